"""Time duplicate-passage detection on N generated passages with planted noisy copies.

    .venv/bin/python bench/passage_dedup.py [--sizes 50000 100000 200000] [--seed 7]

Each passage is 200-1000 chars of generated English (sentences from a built-in list of ~1,000
words). 10 % of the originals get 1-3 copies that look like re-OCR, a carbon copy or a second
transcription: ~3 % character substitutions (OCR confusions), insertions and deletions, the text
re-wrapped at another line width with some hyphenation at line ends, and half of them cut by up
to 10 % at one end. Everything is shuffled and handed to `group_passages`; pairs inside one
planted group are the truth (a copy and a copy of the same original count too).

Columns: planted pairs; seconds for signatures (normalisation included), LSH, verification,
grouping, and in all (corpus generation excluded); candidate pairs from LSH, pairs confirmed by
alignment, pairs implied by the groups found (every pair inside a group), their precision and
recall against the planted pairs; peak RSS of the process that ran the size (one per size).
"""

from __future__ import annotations

import argparse
import multiprocessing
import resource
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from itertools import combinations
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from archivist.passages import Passage, PassageGroupMember, group_passages  # noqa: E402

# Grammar words: the glue every passage shares, as real prose does.
DETERMINERS = "the the the a a this that his their our every no some any each such".split()
PREPOSITIONS = ("of of of in in to to with for on at by from under upon against after before "
                "without between during through towards").split()
MODALS = ["would", "would", "will", "should", "must", "may", "might", "could", "cannot",
          "has to", "had to", "is ready to", "was unable to", "did not"]
CONNECTIVES = ["that", "because", "although", "and", "but", "while", "since", "unless"]

# Content words (~1,000 with the names), drawn evenly so that unrelated passages rarely share a
# run of them.
NOUNS = """
minister ambassador foreign office cabinet despatch memorandum letter secretary government treaty
agreement conference proposal question answer matter department ministry council delegation mission
consul legation president prime admiral general captain major lieutenant soldier sailor airman army
force fleet squadron division battalion brigade headquarters command operation campaign offensive
attack retreat advance line position sector frontier territory province region city town village
capital harbour coast island river valley plain desert road railway bridge station factory mill
mine coal steel iron copper wheat grain cotton wool shipping cargo convoy steamer tanker cruiser
destroyer aircraft bomber fighter gun rifle ammunition supply equipment material materials
production industry trade commerce price cost payment credit debt currency exchange dollar franc
gold silver finance budget revenue tax duty customs import contract purchase sale order instruction
directive decision declaration statement communique report account record register file draft
version text clause article section annex appendix schedule list table minute reply acknowledgement
reference subject date hour evening night week season spring summer autumn january february march
april july august september november december monday tuesday thursday friday saturday yesterday
tomorrow today moment opportunity situation condition circumstance problem danger risk pressure
influence interest concern confidence doubt suspicion opinion view attitude policy purpose object
aim intention scheme programme arrangement solution compromise concession guarantee promise
undertaking obligation responsibility authority power right demand protest objection complaint
support assistance help cooperation collaboration friendship alliance relation relations contact
communication conversation discussion talk meeting interview audience visit voyage arrival
departure absence presence attendance representative envoy agent adviser official clerk typist
messenger press newspaper journalist correspondent broadcast speech address announcement
publication bulletin news intelligence evidence fact point aspect feature factor item case example
instance incident episode development change improvement increase decrease expansion extension
growth failure success result effect outcome reason cause motive basis foundation argument
explanation interpretation understanding knowledge judgment wisdom prudence caution attention
consideration regard esteem gratitude appreciation satisfaction regret disappointment surprise
alarm fear hope wish preference choice alternative option probability likelihood chance outlook
future past history custom practice procedure means manner form shape extent degree measure scale
rate speed distance width weight quantity amount balance share portion majority minority population
citizen foreigner refugee prisoner hostage ally neutral friend predecessor successor king queen
princess emperor duke lady sir madam gentleman father mother brother sister daughter wife husband
children widow heir church priest university professor school college library museum doctor nurse
lawyer judge trial sentence law code constitution election vote leader member opposition reform
revolution rebellion strike police guard passport visa licence certificate document papers archive
registry seal signature initials envelope bag pouch cipher key cable signal telephone message
despatches instructions
""".split()

VERBS = """
accept agree appear apply approve argue arrive ask assume attach attempt avoid believe bring build
call charge check close collect combine compare complete consider consult continue contribute
control convince correct cover create deal declare defend deliver deny describe deserve determine
develop differ discover discuss display distribute draw drive drop ease embark employ enable end
endeavour engage ensure enter estimate examine exceed excuse execute exist expect express extend
face fall feel finish fix forbid forget forgive fulfil gain give grant grow guess handle happen
hear hold ignore implement imply impose include indicate insist inspect intend interpret introduce
involve issue justify keep kill leave lend lie limit live lose maintain mark marry mention mind
modify move negotiate obey oblige obtain occupy offer open oppose owe pass perform persuade please
possess postpone prefer prepare preserve prevent proceed propose protect provide publish punish
pursue push qualify raise read realise receive recognise recommend reduce refer refuse reject rely
remain remark remind remove repeat replace require resent reserve resist resolve rest restore
retain reveal review ride rise run satisfy save seem seize send serve ship show sign sit sleep
spend stand stay stop strengthen study submit suffer suggest suppose surrender surround suspect
sustain tell tend threaten throw touch transfer translate treat trust try understand unite vary
verify walk want warn watch wear win wonder write yield
""".split()

ADJECTIVES = """
able acceptable active actual adequate adverse aggressive agreeable ancient annual apparent
appropriate armed assured available awkward bad basic bitter bold brave bright brisk brutal busy
capable careless certain cheap civil clever comfortable common complex considerable content
convenient cordial critical curious daily dangerous dead decent deep delicate democratic dependent
desperate different difficult dirty distinct doubtful dry dull early eastern economic efficient
elderly empty enormous entire essential european exact excellent excessive expensive external
extraordinary fair false famous favourable fierce financial firm flexible foolish former frank
frequent fresh full further gentle glad global greek gross handsome happy harsh heavy hidden
historic honourable huge humble hungry identical ill immediate important impossible inadequate
independent individual industrial informal innocent internal international italian joint keen large
late legal liberal limited literary local lonely loud loyal mad marked mature maximum mental mild
minimum modern modest mutual narrow naval near necessary nervous northern notable odd ordinary
outstanding pale parallel particular patient peculiar permanent physical polish political poor
positive potential practical precious premature previous principal private probable prompt
prosperous provisional prudent quick radical rapid rare raw real recent regular relative reliable
remarkable respectable responsible rigid round rural russian sad satisfactory secret senior
sensible separate severe short sick silent simple single slight smooth solid southern soviet
special splendid steady strange strict stupid substantial sudden sufficient superior sure sweet
swift temporary terrible thin tiny tough tropical typical ultimate unable unfortunate unique
universal unknown unpleasant upper urgent useful vague various verbal vigorous violent vital warm
wealthy weary whole wild wise wooden worthy young
""".split()

ADVERBS = """
accordingly almost alone apparently clearly closely consequently constantly deliberately entirely
equally eventually exactly fairly firmly formally fully gradually greatly heavily immediately
indeed lately likewise mostly naturally nearly normally officially openly particularly partly
personally possibly practically previously privately probably properly quite rather really recently
repeatedly shortly simply slowly somewhat strictly subsequently substantially suddenly therefore
thoroughly together undoubtedly urgently virtually whereas widely
""".split()

NAMES = """
london washington moscow paris berlin rome tokyo chungking delhi cairo ankara lisbon madrid
stockholm berne ottawa canberra singapore hongkong shanghai teheran baghdad angora vichy halifax
eden churchill roosevelt stalin welles hull cadogan hopkins winant maisky molotov
""".split()

WORDS = sorted(set(DETERMINERS + PREPOSITIONS + " ".join(MODALS).split() + CONNECTIVES + NOUNS
                   + VERBS + ADJECTIVES + ADVERBS + NAMES))  # ~1,050

# OCR-like confusions; other substitutions pick a random letter.
CONFUSIONS = {"e": "c", "c": "e", "l": "1", "i": "l", "o": "0", "a": "o", "n": "u", "u": "n",
              "h": "b", "m": "n", "t": "f", "s": "5", "r": "n", ",": ".", ".": ","}
LETTERS = np.array(list("abcdefghijklmnopqrstuvwxyz"))


@dataclass(frozen=True)
class Corpus:
    passages: list[Passage]
    planted: dict[str, int]  # passage key -> planted group (the original's number)


def make_corpus(n: int, seed: int = 7, dup_share: float = 0.10) -> Corpus:
    """n passages in shuffled order: originals, and for a dup_share of them 1-3 noisy copies."""
    rng = np.random.default_rng(seed)
    rows: list[tuple[str, int, float]] = []  # (text, planted group, quality)
    group = 0
    while len(rows) < n:
        original = _wrap(_passage(rng), rng, width=65, hyphenate=0.0)
        rows.append((original, group, float(rng.uniform(80, 95))))
        if rng.random() < dup_share:
            for _ in range(int(rng.integers(1, 4))):
                rows.append((_noisy_copy(original, rng), group, float(rng.uniform(50, 90))))
        group += 1
    rows = rows[:n]
    order = rng.permutation(len(rows))
    passages, planted = [], {}
    for position, index in enumerate(order):
        text, group_no, quality = rows[index]
        witness = f"w{position // 40}"
        key = f"{witness}:{position}"
        passages.append(Passage(key, witness, 0, len(text), text, quality))
        planted[key] = group_no
    return Corpus(passages, planted)


def _passage(rng: np.random.Generator) -> str:
    """Sentences until a drawn length of 200-1000 chars is reached, cut back to a word."""
    target = int(rng.integers(200, 1001))
    sentences, length = [], 0
    while length < target:
        sentence = _sentence(rng)
        sentences.append(sentence)
        length += len(sentence) + 1
    text = " ".join(sentences)[:target]
    return text[:text.rfind(" ")].rstrip(",;") + "." if len(text) == target else text


def _sentence(rng: np.random.Generator) -> str:
    """Clause (connective clause)?: "the secretary would consider some urgent proposal of the
    embassy, although ..." with optional adverbs and prepositional phrases."""
    clauses = [_clause(rng)]
    while rng.random() < 0.4:
        clauses.append(_pick(rng, CONNECTIVES) + " " + _clause(rng))
    text = ", ".join(clauses)
    if rng.random() < 0.2:
        text = _pick(rng, ADVERBS) + ", " + text
    return text[0].upper() + text[1:] + _pick(rng, [".", ".", ".", ".", ";", "?"])


def _clause(rng: np.random.Generator) -> str:
    words = [_noun_phrase(rng), _pick(rng, MODALS)]
    if rng.random() < 0.2:
        words.append(_pick(rng, ADVERBS))
    words += [_pick(rng, VERBS), _noun_phrase(rng)]
    while rng.random() < 0.45:
        words += [_pick(rng, PREPOSITIONS), _noun_phrase(rng)]
    return " ".join(words)


def _noun_phrase(rng: np.random.Generator) -> str:
    if rng.random() < 0.06:
        return _pick(rng, NAMES).capitalize()
    words = [_pick(rng, DETERMINERS)]
    while rng.random() < 0.4 and len(words) < 3:
        words.append(_pick(rng, ADJECTIVES))
    return " ".join(words + [_pick(rng, NOUNS)])


def _pick(rng: np.random.Generator, words: list[str]) -> str:
    return words[int(rng.integers(len(words)))]


def _wrap(text: str, rng: np.random.Generator, width: int, hyphenate: float) -> str:
    """Typewritten lines of about `width` chars; some words broken with a hyphen at line end."""
    lines, line = [], ""
    for word in text.split():
        if line and len(line) + 1 + len(word) > width:
            if len(word) > 6 and rng.random() < hyphenate:
                cut = int(rng.integers(3, len(word) - 2))
                lines.append(f"{line} {word[:cut]}-")
                line = word[cut:]
                continue
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}" if line else word
    lines.append(line)
    return "\n".join(lines)


def _noisy_copy(original: str, rng: np.random.Generator, rate: float = 0.03) -> str:
    text = _wrap(" ".join(original.split()), rng, width=int(rng.integers(50, 80)), hyphenate=0.3)
    text = _char_noise(text, rng, rate)
    if rng.random() < 0.5:
        cut = int(len(text) * rng.uniform(0, 0.10))
        text = text[cut:] if rng.random() < 0.5 else text[:len(text) - cut]
    return text


def _char_noise(text: str, rng: np.random.Generator, rate: float) -> str:
    chars = list(text)
    for pos in sorted(np.flatnonzero(rng.random(len(chars)) < rate), reverse=True):
        op = rng.random()
        if op < 0.6:
            c = chars[pos].lower()
            chars[pos] = CONFUSIONS.get(c) if c in CONFUSIONS and rng.random() < 0.7 \
                else str(rng.choice(LETTERS))
        elif op < 0.8:
            del chars[pos]
        else:
            chars.insert(pos, str(rng.choice(LETTERS)))
    return "".join(chars)


# --------------------------------------------------------------------------
# Scoring
# --------------------------------------------------------------------------

@dataclass(frozen=True)
class Score:
    planted_pairs: int
    found_pairs: int
    true_pairs: int

    @property
    def precision(self) -> float:
        return self.true_pairs / self.found_pairs if self.found_pairs else 1.0

    @property
    def recall(self) -> float:
        return self.true_pairs / self.planted_pairs if self.planted_pairs else 1.0


def score(corpus: Corpus, members: list[PassageGroupMember]) -> Score:
    """Pairs implied by the found groups against pairs inside the planted groups."""
    sizes: dict[int, int] = {}
    for group_no in corpus.planted.values():
        sizes[group_no] = sizes.get(group_no, 0) + 1
    planted_pairs = sum(k * (k - 1) // 2 for k in sizes.values())
    found: dict[str, list[str]] = {}
    for m in members:
        found.setdefault(m.group_id, []).append(m.key)
    found_pairs = true_pairs = 0
    for keys in found.values():
        for a, b in combinations(keys, 2):
            found_pairs += 1
            true_pairs += corpus.planted[a] == corpus.planted[b]
    return Score(planted_pairs, found_pairs, true_pairs)


def run(n: int, seed: int) -> dict[str, float]:
    corpus = make_corpus(n, seed)
    stats: dict[str, float] = {}
    started = time.perf_counter()
    members = group_passages(corpus.passages, stats=stats)
    total = time.perf_counter() - started
    s = score(corpus, members)
    rss_gb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
    return {"passages": n, "planted": s.planted_pairs, **stats, "total": total,
            "found": s.found_pairs, "precision": s.precision, "recall": s.recall,
            "rss_gb": rss_gb}


def fragment_recall(n: int, seed: int) -> dict[tuple[str, str], tuple[int, int]]:
    """Containment, apart from the main table: n originals of 400-1000 chars, each with one
    noisy fragment (30-80 % of it, at its start, end or middle). Returns, per (place, size
    band), how many fragments were grouped with their original and how many there were."""
    rng = np.random.default_rng([seed, 1])
    passages, origin, kinds = [], {}, {}
    while len(kinds) < n:
        text = _passage(rng)
        if len(text) < 400:
            continue
        place = ("start", "end", "middle")[len(kinds) % 3]
        share = float(rng.uniform(0.3, 0.8))
        size = int(len(text) * share)
        begin = {"start": 0, "end": len(text) - size,
                 "middle": (len(text) - size) // 2}[place]
        fragment = _char_noise(_wrap(text[begin:begin + size], rng, 60, 0.3), rng, 0.03)
        number = len(kinds)
        passages += [Passage(f"o:{number}", "o", 0, len(text), text, 90.0),
                     Passage(f"f:{number}", "f", begin, begin + size, fragment, 50.0)]
        kinds[f"f:{number}"] = (place, "30-50 %" if share < 0.5 else "50-80 %")
        origin[f"f:{number}"] = f"po:{number}"
    grouped = {m.key: m.group_id for m in group_passages(passages)}
    counts: dict[tuple[str, str], tuple[int, int]] = {}
    for key, kind in kinds.items():
        hit, total = counts.get(kind, (0, 0))
        counts[kind] = (hit + (grouped.get(key) == origin[key]), total + 1)
    return counts


def _in_fresh_process(n: int, seed: int) -> dict[str, float]:
    """One child process per size, so that the peak RSS reported is that size's own."""
    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as pool:
        return pool.submit(run, n, seed).result()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[50_000, 100_000, 200_000])
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--fragments", type=int, default=3000,
                        help="fragment/passage pairs for the containment table")
    args = parser.parse_args()
    header = (f"{'passages':>9} {'planted':>8} {'sigs s':>7} {'lsh s':>7} {'verify s':>8} "
              f"{'group s':>7} {'total s':>8} {'candidates':>10} {'confirmed':>9} {'found':>8} "
              f"{'precision':>9} {'recall':>7} {'peak RSS GB':>11}")
    print(header)
    print("-" * len(header))
    for n in args.sizes:
        r = _in_fresh_process(n, args.seed)
        print(f"{r['passages']:>9} {r['planted']:>8} {r['signatures']:>7.1f} {r['lsh']:>7.1f} "
              f"{r['verify']:>8.1f} {r['group']:>7.1f} {r['total']:>8.1f} {r['candidates']:>10} "
              f"{r['confirmed']:>9} {r['found']:>8} "
              f"{r['precision']:>9.4f} {r['recall']:>7.4f} {r['rss_gb']:>11.2f}", flush=True)
    print(f"\nfragments grouped with their passage ({args.fragments} noisy fragments, 3 % noise)")
    for (place, band), (hit, total) in sorted(fragment_recall(args.fragments, args.seed).items()):
        print(f"  {place:<7} {band:<8} {hit:>5} / {total:<5} {hit / total:6.1%}")


if __name__ == "__main__":
    main()
