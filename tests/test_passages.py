"""Duplicate passages: grouping rules, signatures, splitting, and a small run of the benchmark."""

from __future__ import annotations

import functools
import importlib.util
import sys
from pathlib import Path

import numpy as np
import pytest
from datasketch import LeanMinHash, MinHash, MinHashLSH

from archivist import passages as passages_module
from archivist.passages import (
    Passage,
    PassageIndex,
    candidate_pairs,
    group_passages,
    normalize,
    signatures,
    split_passages,
    verify,
)

BENCH = Path(__file__).resolve().parents[1] / "bench" / "passage_dedup.py"

EDEN = ("Mr. Eden pointed out to M. Stalin that in the meantime the Japanese might adopt the "
        "policy of dealing with their enemies piecemeal, and that the next few months would be "
        "very difficult in the Far East. M. Stalin agreed, but said that the Soviet Government "
        "could not at present declare war on Japan, since the greater part of the Red Army was "
        "engaged in the west and the Far Eastern divisions had been much reduced by the "
        "transfers of the autumn. He hoped that the position would be different by the spring.")
FRONTIERS = ("In the first place, as regards the general discussions with the Soviet "
             "representatives, you will remember that I explained that any agreement that might be "
             "signed should include a reference to the restoration of the frontiers of 1941, and "
             "that His Majesty's Government were not in a position to enter into any such "
             "undertaking without consulting the Government of the United States and the "
             "Dominions, who would certainly expect to be informed before any commitment was made.")
SUPPLIES = ("The question of supplies was then raised. The Soviet representatives asked for "
            "a considerable increase in the deliveries of aluminium, tanks and aircraft by the "
            "northern route, and enquired whether a convoy could sail every ten days during the "
            "winter months. I replied that the matter was one for the Admiralty, and that the "
            "shortage of escort vessels made any firm promise impossible for the present.")


@functools.cache
def _bench():
    """bench/passage_dedup.py, whose generator and noise model the tests share."""
    spec = importlib.util.spec_from_file_location("passage_dedup", BENCH)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses resolve their annotations through it
    spec.loader.exec_module(module)
    return module


def _noisy(text: str, seed: int, rate: float = 0.03) -> str:
    """The benchmark's OCR-like noise: re-wrapped lines, some hyphenated, ~3 % character errors."""
    bench = _bench()
    rng = np.random.default_rng(seed)
    wrapped = bench._wrap(text, rng, width=58, hyphenate=0.5)
    return bench._char_noise(wrapped, rng, rate)


def _passage(key: str, text: str, quality: float = 0.0) -> Passage:
    witness, _, start = key.partition(":")
    return Passage(key, witness, int(start or 0), int(start or 0) + len(text), text, quality)


def _groups(members) -> dict[str, set[str]]:
    groups: dict[str, set[str]] = {}
    for m in members:
        groups.setdefault(m.group_id, set()).add(m.key)
    return groups


# --------------------------------------------------------------------------
# Grouping
# --------------------------------------------------------------------------

def test_noisy_copy_is_grouped_and_the_better_read_copy_is_canonical():
    passages = [_passage("carbon:0", _noisy(EDEN, seed=1), quality=61.0),
                _passage("ribbon:0", EDEN, quality=92.0),
                _passage("ribbon:900", FRONTIERS, quality=92.0)]
    members = {m.key: m for m in group_passages(passages)}
    assert set(members) == {"carbon:0", "ribbon:0"}
    assert members["ribbon:0"].is_canonical and not members["carbon:0"].is_canonical
    assert members["carbon:0"].group_id == members["ribbon:0"].group_id == "pribbon:0"
    assert members["ribbon:0"].similarity == 100.0
    assert 85 <= members["carbon:0"].similarity < 100
    assert members["carbon:0"].witness_id == "carbon"
    assert members["carbon:0"].text == passages[0].text


def test_unrelated_passages_are_not_grouped():
    passages = [_passage(f"w:{i}", text) for i, text in enumerate([EDEN, FRONTIERS, SUPPLIES])]
    assert group_passages(passages) == []


def test_several_copies_form_one_group_across_witnesses():
    passages = [_passage("ribbon:0", EDEN, 90.0), _passage("carbon:0", _noisy(EDEN, 2), 70.0),
                _passage("transcript:0", _noisy(EDEN, 3), 50.0),
                _passage("ribbon:500", SUPPLIES, 90.0),
                _passage("transcript:700", _noisy(SUPPLIES, 4), 50.0)]
    assert sorted(_groups(group_passages(passages)).values(), key=sorted) == [
        {"carbon:0", "ribbon:0", "transcript:0"}, {"ribbon:500", "transcript:700"}]


@pytest.mark.parametrize("text", [EDEN, FRONTIERS, SUPPLIES], ids=["eden", "frontiers", "supplies"])
@pytest.mark.parametrize("place", ["start", "end"])
def test_fragment_of_a_longer_passage_is_grouped_with_it(text, place):
    """A paragraph that another witness breaks off (page break, paragraphs run together): ~60 %
    of the passage at one of its ends, with its own line breaks and hyphenation. (Fragments with
    3 % noise as well are found ~95 % of the time; the benchmark prints the rates.)"""
    cut = int(0.6 * len(text))
    fragment = text[:text.rindex(" ", 0, cut)] if place == "start" else \
        text[text.index(" ", len(text) - cut) + 1:]
    fragment = _noisy(fragment, seed=5, rate=0.0)
    unrelated = SUPPLIES if text is not SUPPLIES else EDEN
    members = {m.key: m for m in group_passages([_passage("page:0", text, 80.0),
                                                 _passage("transcript:0", fragment, 90.0),
                                                 _passage("page:700", unrelated, 80.0)])}
    assert set(members) == {"page:0", "transcript:0"}
    assert members["transcript:0"].is_canonical  # quality first, then length
    assert members["page:0"].similarity == pytest.approx(100.0)


def test_passages_shorter_than_min_chars_are_ignored():
    short = "I have the honour to be, Sir,"
    passages = [_passage("a:0", short), _passage("b:0", short), _passage("c:0", EDEN),
                _passage("d:0", EDEN)]
    assert _groups(group_passages(passages)) == {"pc:0": {"c:0", "d:0"}}
    assert group_passages(passages[:2], min_chars=20) != []


def test_group_ids_are_deterministic_across_runs_and_input_order():
    passages = [_passage("a:0", EDEN, 70.0), _passage("b:0", _noisy(EDEN, 6), 90.0),
                _passage("c:0", FRONTIERS, 50.0), _passage("d:0", _noisy(FRONTIERS, 7), 40.0)]
    first = sorted((m.key, m.group_id, m.similarity) for m in group_passages(passages))
    again = sorted((m.key, m.group_id, m.similarity) for m in group_passages(passages[::-1]))
    assert first == again
    assert {group_id for _, group_id, _ in first} == {"pb:0", "pc:0"}


def test_equal_quality_prefers_the_longer_then_the_first_passage():
    truncated = EDEN[:int(len(EDEN) * 0.9)]
    members = group_passages([_passage("a:0", truncated), _passage("b:0", EDEN),
                              _passage("c:0", EDEN)])
    assert [m.key for m in members if m.is_canonical] == ["b:0"]


# --------------------------------------------------------------------------
# Steps
# --------------------------------------------------------------------------

def test_normalize_undoes_layout_and_case():
    assert normalize("The  arrange-\n  ments were\r\nMADE \u201cquickly\u201d \u2014 ok") == \
        'the arrangements were made "quickly" - ok'
    assert normalize("Caf\u0065\u0301 | \u00a7 12") == "caf\u00e9 12"


def test_signatures_are_datasketch_minhashes_of_the_5gram_hashes():
    texts = [EDEN, "short text with accents: \u00e9t\u00e9, na\u00efve", FRONTIERS]
    sigs = signatures(texts, num_perm=64, seed=3)
    assert sigs.shape == (3, 64) and sigs.dtype == np.uint32
    for text, row in zip(texts, sigs):
        norm = normalize(text)
        lengths = np.array([len(norm)])
        grams = passages_module._gram_hashes(norm, lengths, lengths - 4)
        expected = MinHash(num_perm=64, seed=3, scheme="affine32", hashfunc=int)
        expected.update_batch(grams.tolist())
        assert np.array_equal(expected.hashvalues, row)


def _pairs(array: np.ndarray) -> set[tuple[int, int]]:
    return set(map(tuple, array.tolist()))


def test_texts_under_five_characters_match_nothing():
    sigs = signatures(["", "abc", "abcd", EDEN, EDEN])
    assert _pairs(candidate_pairs(sigs)) == {(3, 4)}


def test_noisy_copies_are_candidates_and_unrelated_passages_are_not():
    texts = [EDEN, _noisy(EDEN, 8), FRONTIERS, _noisy(FRONTIERS, 9), SUPPLIES]
    assert _pairs(candidate_pairs(signatures(texts))) == {(0, 1), (2, 3)}


def _datasketch_pairs(sigs, half_sigs, half_owners):
    """What candidate_pairs and the halves' look-ups give, from datasketch's own index: its
    band buckets (pairs capped as in passages.MAX_BUCKET_ALL_PAIRS) and its `query`."""
    def sketch(row):
        return LeanMinHash(seed=1, hashvalues=row, scheme="affine32")

    def usable(rows):
        return [i for i, row in enumerate(rows) if (row != passages_module.EMPTY).any()]

    lsh = MinHashLSH(threshold=0.5, num_perm=sigs.shape[1])
    for i in usable(sigs):
        lsh.insert(i, sketch(sigs[i]), check_duplication=False)
    pairs = set()
    for table in lsh.hashtables:
        for band in table.keys():
            members = sorted(table.get(band))
            if len(members) <= passages_module.MAX_BUCKET_ALL_PAIRS:
                pairs.update((a, b) for k, a in enumerate(members) for b in members[k + 1:])
            else:
                pairs.update([(members[0], j) for j in members[1:]]
                             + list(zip(members[1:], members[2:])))
    for h in usable(half_sigs):
        owner = int(half_owners[h])
        pairs.update((min(owner, j), max(owner, j)) for j in lsh.query(sketch(half_sigs[h]))
                     if j != owner)
    return pairs


def test_the_band_buckets_give_the_pairs_datasketchs_index_gives():
    """Signatures drawn from few values, so that rows share bands by chance, some buckets pass
    MAX_BUCKET_ALL_PAIRS members (one band is the same in 100 rows), a few signatures are
    empty, and halves look rows up."""
    rng = np.random.default_rng(5)
    sigs = rng.integers(0, 3, size=(400, 128)).astype(np.uint32)
    sigs[:100, 10:15] = 7
    sigs[[3, 50, 333]] = passages_module.EMPTY
    half_owners = rng.integers(0, 400, size=300)
    half_sigs = sigs[half_owners].copy()
    half_sigs[:, ::2] = rng.integers(0, 3, size=(300, 64))
    half_sigs[[0, 7]] = passages_module.EMPTY
    expected = _datasketch_pairs(sigs, half_sigs, half_owners)
    assert len(expected) > 1000
    found = passages_module._candidates(sigs, 0.5, half_sigs, half_owners)
    assert _pairs(found) == expected
    assert list(map(tuple, found.tolist())) == sorted(expected)
    assert _pairs(candidate_pairs(sigs)) == _datasketch_pairs(sigs, half_sigs[:0], half_owners[:0])


def test_verify_accepts_copies_and_fragments_only():
    fragment = EDEN[:int(len(EDEN) * 0.6)]
    texts = [EDEN, _noisy(EDEN, 10), fragment, FRONTIERS]
    confirmed = {(i, j): score for i, j, score in verify(texts, [(0, 1), (0, 2), (0, 3)])}
    assert set(confirmed) == {(0, 1), (0, 2)}
    assert confirmed[0, 2] == pytest.approx(100.0)


def test_split_passages_offsets_point_into_the_text():
    long_paragraph = " ".join([EDEN, FRONTIERS, SUPPLIES, EDEN, FRONTIERS])  # ~2,600 chars
    text = f"  {EDEN}\n\n\n{FRONTIERS}\n   \nSir,\n\n{long_paragraph}\n"
    passages = split_passages("letter", text, quality=88.0)
    for p in passages:
        assert text[p.start:p.end] == p.text
        assert p.key == f"letter:{p.start}" and p.witness_id == "letter" and p.quality == 88.0
    assert [p.text for p in passages[:2]] == [EDEN, FRONTIERS]  # "Sir," is under min_chars
    pieces = passages[2:]
    assert len(pieces) >= 3
    assert all(500 <= len(p.text) <= 1000 for p in pieces[:-1]) and len(pieces[-1].text) <= 1000
    assert all(p.text.endswith((".", "?", "!")) for p in pieces)
    assert normalize(" ".join(p.text for p in pieces)) == normalize(long_paragraph)


# --------------------------------------------------------------------------
# Benchmark, small
# --------------------------------------------------------------------------

def test_small_benchmark_reaches_precision_and_recall_of_098():
    bench = _bench()
    corpus = bench.make_corpus(2000, seed=3)
    result = bench.score(corpus, group_passages(corpus.passages))
    assert result.planted_pairs > 300
    assert result.precision >= 0.98 and result.recall >= 0.98


def test_an_index_finds_a_copy_whatever_else_is_looked_up_with_it():
    """Pages are compared with the transcriptions a batch at a time: a copy is found alone or
    among others, directly (never through a third passage), and only copies are found."""
    index = PassageIndex([Passage("t:0", "t", 0, len(EDEN), EDEN),
                          Passage("t:1", "t", 0, len(FRONTIERS), FRONTIERS)])
    copy = Passage("p:0", "p", 0, 0, _noisy(FRONTIERS, seed=3))
    other = Passage("q:0", "q", 0, 0, SUPPLIES)
    assert index.matches([copy]) == [(0, 1)]
    assert index.matches([other, copy, other]) == [(1, 1)]
    assert index.matches([other]) == []
    half = Passage("r:0", "r", 0, 0, FRONTIERS[:len(FRONTIERS) // 2])
    assert index.matches([half]) == [(0, 1)]


@pytest.mark.parametrize("rows, halves", [(0, 0), (1, 0), (1, 2), (5, 0)])
def test_too_few_or_empty_signatures_give_no_pairs(rows, halves):
    """No rows, one row (with its own halves, which must not pair it with itself), and rows
    whose signatures are all empty (texts under five characters)."""
    sigs = np.full((rows, passages_module.NUM_PERM), passages_module.EMPTY, dtype=np.uint32)
    if rows == 1:
        sigs[0] = signatures([EDEN])[0]
    found = passages_module._candidates(sigs, 0.5, sigs[[0] * halves] if halves else
                                        sigs[:0], np.zeros(halves, dtype=np.int64))
    assert found.shape == (0, 2) and found.dtype == np.int64
    assert candidate_pairs(sigs).shape == (0, 2)
