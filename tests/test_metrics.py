import pytest

from archivist.metrics import cer, wer


def test_identical_text_up_to_layout_has_no_error():
    assert cer("arrange-\nments  would", "arrangements would") == 0.0


def test_cer_counts_edits_over_the_reference_length():
    assert cer("abcd", "abxd") == pytest.approx(0.25)
    assert cer("ab", "abcdef") == pytest.approx(2.0)  # insertions can exceed 1


def test_combining_marks_belong_to_their_letter():
    assert cer("communique\u0301", "communiqu\u00e9") == 0.0  # NFC
    assert cer("e\u0301x", "a\u0301x") == pytest.approx(0.5)


def test_wer_counts_words():
    assert wer("the cat sat", "the hat sat") == pytest.approx(1 / 3)


def test_score_splits_edits_into_substitutions_deletions_and_insertions():
    from archivist.metrics import score, total

    s = score("abcdef", "abXdefGH")  # one substitution, two insertions
    assert (s.substitutions, s.deletions, s.insertions) == (1, 0, 2)
    assert s.cer == pytest.approx(3 / 6) and s.gt_side_error == pytest.approx(1 / 6)
    both = total([s, score("xy", "x")])
    assert both.ref_len == 8 and both.deletions == 1 and both.distance == 4
