from archivist.align import align, find_matches, token_key, tokenize

PASSAGE = ("Mr. Eden pointed out that in the meantime the Japanese might adopt the policy of "
           "dealing with their enemies piecemeal and that the next few months would be very "
           "difficult in the Far East.")
OTHER = ("In the first place, as regards the general discussions with the representatives, "
         "you will remember that any agreement that might be signed should include a "
         "reference to the restoration of the frontiers.")


def test_token_keys_ignore_case_and_punctuation():
    assert token_key("U.S.S.R.,") == "ussr" and token_key("-") == ""


def test_tokens_carry_their_line_and_offset_in_the_witness():
    tokens = tokenize(["alpha beta", "gamma"], "w", offsets=[0, 11])
    assert [(t.text, t.line, t.start) for t in tokens] == [
        ("alpha", 0, 0), ("beta", 0, 6), ("gamma", 1, 11)]


def test_a_passage_repeated_with_misreadings_inside_one_witness_is_found():
    noisy = PASSAGE.replace("Japanese", "Japaneso").replace("enemies", "enernies")
    tokens = tokenize([OTHER, PASSAGE, "something else entirely here", noisy])
    (m,) = find_matches(tokens, min_tokens=15)
    first = " ".join(t.text for t in tokens[m.a_start:m.a_end])
    second = " ".join(t.text for t in tokens[m.b_start:m.b_end])
    assert first == PASSAGE and second == noisy
    assert 80 <= m.score < 100


def test_copies_in_two_witnesses_are_found_with_their_spans():
    a = tokenize([OTHER, PASSAGE])
    b = tokenize(["preface words", PASSAGE.lower()])
    (m,) = find_matches(a, b, min_tokens=15)
    assert a[m.a_start].text == "Mr." and b[m.b_start].text == "mr."
    assert m.a_end == len(a) and m.b_end == len(b)


def test_unrelated_text_and_short_formulae_are_not_copies():
    tokens = tokenize([PASSAGE, OTHER, "you will remember that I explained it", "you will "
                       "remember that I told you"])
    assert find_matches(tokens, min_tokens=15) == []


def test_alignment_pairs_every_word_once_in_order():
    a = tokenize(["one two three four"])
    b = tokenize(["one too three four five"])
    assert align(a, b) == [(0, 0), (1, 1), (2, 2), (3, 3), (None, 4)]
