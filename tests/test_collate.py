from archivist.collate import (PageText, group_pages, group_signed_pages, normalize,
                               page_signatures)

PAGE_A = ("Mr. Eden pointed out to M. Stalin that in the meantime the Japanese might adopt "
          "the policy of dealing with their enemies piecemeal and that the next few months "
          "would be very difficult in the Far East.")
PAGE_A_CARBON = PAGE_A.replace("Japanese", "Japaneso").replace("enemies", "enemles")
PAGE_B = ("In the first place, as regards the general discussions with the Soviet "
          "representatives, you will remember that I explained that any agreement that "
          "might be signed should include a reference to the restoration of the frontiers.")


def test_rescan_and_carbon_of_one_page_form_one_group_with_the_best_read_canonical():
    pages = [PageText("a", PAGE_A, 91.0, 35), PageText("b", PAGE_B, 90.0, 35),
             PageText("a2", PAGE_A_CARBON, 70.0, 35)]
    members = {m.page_id: m for m in group_pages(pages)}
    assert members["a"].group_id == members["a2"].group_id != members["b"].group_id
    assert members["a"].is_canonical and not members["a2"].is_canonical
    assert members["b"].is_canonical
    assert 75 <= members["a2"].similarity < 100


def test_different_pages_of_one_letter_stay_apart():
    pages = [PageText("a", PAGE_A, 90.0, 35), PageText("b", PAGE_B, 90.0, 35)]
    assert len({m.group_id for m in group_pages(pages)}) == 2


def test_from_signatures_only_the_candidates_texts_are_read():
    """A corpus too large to hold its texts: the signatures find the candidates, and only their
    texts are asked for to confirm them."""
    pages = [PageText("a", PAGE_A, 91.0, 35), PageText("b", PAGE_B, 90.0, 35),
             PageText("a2", PAGE_A_CARBON, 70.0, 35)]
    asked = []

    def texts_of(wanted):
        asked.extend(wanted)
        return {i: normalize(pages[i].text) for i in wanted}

    members = group_signed_pages(pages, page_signatures([p.text for p in pages]), texts_of)
    assert sorted(asked) == [0, 2]
    assert members == group_pages(pages)
