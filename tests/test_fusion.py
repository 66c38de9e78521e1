from collections import Counter

from archivist.align import tokenize
from archivist.fusion import Copy, fuse, proper_names

TEXT = "the necessary arrangements would not be completed for about four months"


def _copy(text: str, witness: str, conf: float | None = None) -> Copy:
    words = text.split()
    return Copy(tokenize([text], witness, [[conf] * len(words)] if conf else None), witness)


def _text(fused) -> str:
    return " ".join(t.text for t in fused.tokens)


def test_three_witnesses_outvote_each_others_independent_errors():
    copies = [_copy(TEXT.replace("necessary", "necessery"), "a", 85),
              _copy(TEXT.replace("completed", "complcted"), "b", 85),
              _copy(TEXT.replace("four", "f0ur"), "c", 85)]
    fused = fuse(copies)
    assert _text(fused) == TEXT
    assert len(fused.variants) == 3
    lost = {alt["text"] for v in fused.variants for alt in v.alternatives} - set(TEXT.split())
    assert lost == {"necessery", "complcted", "f0ur"}


def test_confidence_weights_the_vote():
    copies = [_copy(TEXT.replace("four", "fonr"), "a", 30),
              _copy(TEXT.replace("four", "fonr"), "b", 30),
              _copy(TEXT, "c", 97), _copy(TEXT, "d", 96)]
    assert _text(fuse(copies)) == TEXT


def test_with_two_copies_the_one_without_non_words_wins_and_the_loss_is_kept():
    fused = fuse([_copy(TEXT.replace("arrangements", "arrangemcnts"), "a"), _copy(TEXT, "b")])
    assert _text(fused) == TEXT
    (variant,) = fused.variants
    assert {a["text"] for a in variant.alternatives} == {"arrangemcnts", "arrangements"}
    assert variant.margin > 0


def test_a_name_the_collection_uses_beats_a_common_word():
    names = Counter({"eden": 5})
    good = "in telegraphing about a banquet that Eden had the last night"
    bad = "in telegraphing about a banquet that they had the last night"
    assert _text(fuse([_copy(bad, "a"), _copy(good, "b")], names)) == good


def test_a_fragment_only_speaks_for_the_words_it_covers():
    long = "alpha beta gamma delta epsilon zeta eta theta iota kappa lambda mu"
    fragment = "theta iota kappa lamda"
    fused = fuse([_copy(long, "a", 90), _copy(fragment, "b"), _copy(long, "c", 90)])
    assert _text(fused) == long
    assert [v.chosen for v in fused.variants] == ["lambda"]



PAGE = ("Sir I have the honour to report that the Minister received me this morning "
        "He spoke at length of the situation in the Baltic and of the shipping programme "
        "which he hopes to see settled before the spring I have the honour to be Sir "
        "your obedient servant")


def test_a_fragment_that_reads_better_where_it_stands_keeps_the_rest_of_the_page():
    """A transcribed passage of a page, right where the page's OCR misread a word, is the better
    copy there; it does not become the page."""
    ocr = PAGE.replace("situation", "situatlon")
    fragment = "He spoke at length of the situation in the Baltic and of the shipping programme"
    for copies in ([_copy(ocr, "ocr"), _copy(fragment, "t")],
                   [_copy(fragment, "t"), _copy(ocr, "ocr")]):
        fused = fuse(copies)
        assert _text(fused) == PAGE
        assert fused.pivot_witness == "ocr"


def test_an_empty_or_unreadable_copy_never_replaces_the_text():
    """An earlier OCR pass that read nothing, or the specks a worn carbon reads as, beside good
    copies: they share no words with them, and must not become the reading."""
    noise = _copy("~ ., :: ; i ! ;: -", "noise")
    specks = _copy("1. . : Me : $ : é y . = + o f : Fi ses servant", "specks")  # one shared word
    empty = Copy([], "empty")
    retyped = PAGE.replace("honour", "honur").replace("Baltic", "Baltik")
    for bad in (noise, specks, empty):
        for copies in ([bad, _copy(PAGE, "ocr")], [_copy(PAGE, "ocr"), bad],
                       [bad, _copy(PAGE, "ocr"), _copy(retyped, "retyped")]):
            fused = fuse([Copy(list(c.tokens), c.witness_id) for c in copies])
            assert _text(fused) == PAGE, [c.witness_id for c in copies]


def test_proper_names_skip_words_capitalised_only_by_sentence_start():
    tokens = tokenize(["Then Mr. Eden left. Later M. Stalin and Eden met in Moscow."])
    names = proper_names(tokens)
    assert names["eden"] == 2 and names["stalin"] == 1 and names["moscow"] == 1
    assert names["later"] == 0 and names["then"] == 0
