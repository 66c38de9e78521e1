import numpy as np

from archivist.collate import (PageGroupMember, PageText, duplicate_groups, group_members,
                               group_pages, normalize, page_signatures, pair_blocks)
from archivist.passages import candidate_pairs

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

    members = _members(pages, page_signatures([p.text for p in pages]), texts_of)
    assert sorted(asked) == [0, 2]
    assert members == group_pages(pages)


def _members(pages: list[PageText], sigs: np.ndarray, texts_of, block: int = 10_000
             ) -> list[PageGroupMember]:
    """group_pages from signatures, through duplicate_groups as the assembly calls it."""
    groups = duplicate_groups(np.array([p.mean_conf for p in pages]),
                              np.array([p.words for p in pages]),
                              pair_blocks(candidate_pairs(sigs), block), texts_of, block)
    return group_members([p.page_id for p in pages], groups)


def _damaged(text: str, start: int, step: int = 7) -> str:
    return "".join("#" if k >= start and (k - start) % step == 0 else c
                   for k, c in enumerate(text))


def test_the_groups_are_the_same_whatever_the_blocks_of_texts_held():
    """Duplicates are confirmed a block of first pages at a time, with only the texts their
    pairs need from other blocks: a carbon three blocks of one page away from its page, and a
    member joined through a third page (x2 scores 71 against x, under 75, but 85.5 against x1,
    which scores 85.5 against x), must come out the same with one page a block and with all
    pages in one. The signatures of the x pages are made equal so that all their pairs are
    candidates."""
    x1 = _damaged(PAGE_A, 0)
    pages = [PageText("x2", _damaged(x1, 3), 60.0, 35), PageText("b", PAGE_B, 90.0, 35),
             PageText("c", PAGE_B[:20], 90.0, 4), PageText("x", PAGE_A, 91.0, 35),
             PageText("b2", PAGE_B.replace("agreement", "agreernent"), 80.0, 35),
             PageText("x1", x1, 70.0, 35)]
    sigs = page_signatures([p.text for p in pages])
    sigs[[0, 5]] = sigs[3]
    loads = []

    def texts_of(wanted):
        loads.append(wanted)
        return {i: normalize(pages[i].text) for i in wanted}

    one_block = _members(pages, sigs, texts_of, block=len(pages))
    loads.clear()
    per_page = _members(pages, sigs, texts_of, block=1)
    assert max(len(w) for w in loads) == 1 and len(loads) > 2
    assert per_page == one_block
    members = {m.page_id: m for m in one_block}
    assert {m.group_id for m in one_block} == {"gx", "gb", "gc"}
    assert members["x"].is_canonical and members["b"].is_canonical
    assert members["x2"].group_id == "gx" and members["b2"].group_id == "gb"
    assert (members["x1"].similarity, members["x2"].similarity) == (85.5, 71.0)
