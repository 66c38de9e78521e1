"""Reading signals (confidence, dictionary words) and the pure helpers of adaptive re-reading."""

import numpy as np
import pytest

from archivist.ocr import Word, line_strip, place_strip_words, straight_quotes
from archivist.signals import (Signals, better, is_noise, is_poor, line_quality, signals,
                               weak_lines)


def words(text: str, conf: float = 90.0, line: int = 1) -> list[Word]:
    return [Word(1, 1, line, n, t, conf, 100 * n, 50 * line, 90, 30)
            for n, t in enumerate(text.split(), 1)]


def test_signals_count_confidence_and_dictionary_words():
    s = signals(words("the war was resumed at once") + words("tlhe aro , a", 20.0))
    assert s.words == 10  # "," and "a" count as words read, not as word-like tokens
    assert s.mean_conf == pytest.approx((6 * 90 + 4 * 20) / 10)
    assert s.dict_rate == pytest.approx(6 / 8)
    assert s.dict_words == pytest.approx(6 * 0.9)
    assert signals([]) == Signals(0, 0.0, 0.0, 0.0)
    assert set(s.as_dict()) == {"words", "mean_conf", "dict_rate", "dict_words"}


def test_a_page_is_poor_with_few_words_low_confidence_or_many_non_words():
    good = signals(words("the government has considered the question of frontiers") * 2)
    assert not is_poor(good)
    assert is_poor(signals(words("the war")))
    assert is_poor(signals(words("the government has considered the question", 60.0)))
    assert is_poor(signals(words("tne governnent nas consicered tbe questian of fronticrs")))


def test_the_reading_that_finds_much_less_loses_whatever_its_confidence():
    full = signals(words("the government has considered the question of frontiers", 85.0))
    half = signals(words("the government has", 97.0))
    assert not better(full, half) and better(half, full)


def test_otherwise_confidence_and_dictionary_share_decide_and_ties_keep_the_first():
    a = signals(words("the government has considered the question of frontiers", 85.0))
    b = signals(words("the government has considered the question of frontiers", 92.0))
    c = signals(words("tne government has considered the question of frontiers", 92.0))
    assert better(a, b) and not better(b, a)
    assert not better(b, c)
    assert not better(a, a)


def test_line_quality_and_an_empty_reading():
    assert line_quality(words("the question of frontiers", 90.0)) == pytest.approx(1.9)
    assert line_quality([]) == -1.0


def test_weak_lines_are_the_weakest_within_the_share_in_page_order():
    lines = [words("good line here", c, i) for i, c in enumerate([95, 60, 70, 96, 80, 40])]
    assert weak_lines(lines, max_share=1.0) == [1, 2, 4, 5]
    assert weak_lines(lines, max_share=0.34) == [1, 5]  # two of six: the two weakest
    assert weak_lines(lines, max_share=0.0) == []
    assert weak_lines([[]], max_share=1.0) == []


def test_straight_quotes_for_typescript():
    assert straight_quotes("“Jews living in Sofia” and ‘surplus’") == \
        '"Jews living in Sofia" and \'surplus\''
    assert straight_quotes("resumé £5") == "resumé £5"


def test_line_strip_stacks_crops_and_words_map_back_onto_the_page():
    image = np.full((1000, 800), 255, np.uint8)
    image[100:130, 200:500] = 0
    image[600:640, 100:300] = 0
    boxes = [(200, 100, 500, 130), (100, 600, 300, 640)]
    strip, slots = line_strip(image, boxes, pad_x=10, pad_y=5, gap=20)
    assert strip.shape[0] == (40 + 1) + (50 + 1) + 3 * 20
    for (left, top, right, bottom), (s_top, s_bottom, dx, dy) in zip(boxes, slots):
        assert (strip[top + dy:bottom + dy, left + dx:right + dx] == 0).all()
        assert s_top <= top + dy and bottom + dy <= s_bottom
    found = [Word(1, 1, 1, 1, "first", 90, 200 + slots[0][2], 100 + slots[0][3], 300, 30),
             Word(1, 1, 2, 1, "second", 90, 100 + slots[1][2], 600 + slots[1][3], 200, 40),
             Word(1, 1, 3, 1, "gap", 90, 0, 0, 10, 10)]
    first, second = place_strip_words(found, slots)
    assert [(w.text, w.left, w.top) for w in first] == [("first", 200, 100)]
    assert [(w.text, w.left, w.top) for w in second] == [("second", 100, 600)]


def test_line_strip_clips_crops_at_the_image_edge():
    image = np.zeros((100, 100), np.uint8)
    strip, slots = line_strip(image, [(0, 0, 100, 100)], pad_x=30, pad_y=30, gap=5)
    assert strip.shape == (110, 110)
    (top, bottom, dx, dy), = slots
    assert dx == 5 and dy == 5 and bottom - top == 100


def test_noise_reads_with_low_confidence_and_mostly_non_words():
    assert is_noise(signals(words("aoe Bas sae wt Moe Nae soy the", 40.0)))
    assert not is_noise(signals(words("the government has considered", 40.0)))  # words
    assert not is_noise(signals(words("aoe Bas sae wt Moe Nae soy", 85.0)))  # confident
