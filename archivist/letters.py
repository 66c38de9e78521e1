"""Synthetic archival letters whose metadata is known, for measuring metadata extraction.

``synth`` makes pages whose *text* is known; a metadata benchmark also needs to know what a
reader would write on the catalogue card: the kind of document, its date, who wrote to whom,
the grading, the subject, the place, the despatch number, the file references and how many
pages it has.  This module types such documents in the four shapes the collections hold
(British private letters, US despatches, memoranda, US telegrams), with the date forms,
gradings and reference shapes the period's typists used, 1-4 pages long with page numbers and
catchwords, and some fields left out as real documents leave them out.

Everything is a pure function of the arguments and the seed, so a benchmark run can be
repeated exactly.  The names are invented; the places are real cities of the period.

The ground truth follows the column definitions of ``docs/schema.md``: ``place`` is the place
written on the place-and-date line (or the telegram's origin), so a British letter whose date
line holds only the date has no place even though its letterhead names a city.
"""

from __future__ import annotations

import dataclasses
import datetime
import textwrap
from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

import numpy as np

from archivist import synth

__all__ = ["DATE_FORMS", "DOC_TYPES", "GeneratedLetter", "LetterTruth", "PROFILES",
           "degradation", "format_date", "generate_letters", "letter_text", "page_file_name",
           "write_letters"]

MAX_LINES = 37       # typed lines that fit a letter-size sheet at synth's spacing
MAX_COLUMNS = 72     # characters that fit across it
WRAP = 65            # where the typist returns the carriage
DPI = 300
DOC_TYPES = ("letter", "despatch", "memorandum", "telegram")
DATE_FORMS = ("mdy_ordinal", "mdy", "dmy_ordinal", "numeric", "stamp")
PROFILES = ("clean", "degraded")

# Letters and despatches are the bulk of a diplomatic file; the cycle keeps every sample of a
# dozen varied without leaving the mix to chance.
_TYPE_CYCLE = ("letter", "despatch", "memorandum", "letter", "telegram", "despatch")


# --------------------------------------------------------------------------
# Public data
# --------------------------------------------------------------------------

@dataclass
class LetterTruth:
    """What a careful cataloguer would record for one generated document.

    ``sender`` and ``recipient`` are the surname (or the function, e.g. "Secretary of State")
    that an extracted name must contain; ``date_text`` is the date exactly as typed."""

    doc_type: str
    doc_date: datetime.date | None
    sender: str | None
    recipient: str | None
    classification: str | None
    subject: str | None
    place: str | None
    number: str | None
    references: list[str]
    pages: int
    date_text: str | None = None


@dataclass
class GeneratedLetter:
    truth: LetterTruth
    pages: list[list[str]]  # typed lines per page


# --------------------------------------------------------------------------
# Vocabulary: invented people, real places, templated prose
# --------------------------------------------------------------------------

@dataclass(frozen=True)
class _Person:
    given: str    # "Harold B."
    surname: str  # "Whitcomb"

    @property
    def full(self) -> str:
        return f"{self.given} {self.surname}"

    @property
    def initials(self) -> str:
        letters = [part[0] for part in self.given.replace(".", " ").split()] + [self.surname[0]]
        return "".join(letters)


_AMERICANS = [
    _Person("Harold B.", "Whitcomb"), _Person("Edwin S.", "Garland"),
    _Person("Walter K.", "Prescott"), _Person("Lloyd M.", "Hollis"),
    _Person("Franklin T.", "Ashby"), _Person("George R.", "Mercer"),
    _Person("Thomas R.", "Caldwell"), _Person("Nathan E.", "Winslow"),
    _Person("Charles D.", "Thornbury"), _Person("Arthur W.", "Kingsley"),
    _Person("Samuel P.", "Lathrop"), _Person("Howard J.", "Pendleton"),
]
# British signatures: a peer signs with his title alone, officials with initials and surname.
_BRITISH_SIGNERS = [("ASHCOMBE", "Ashcombe"), ("KINGSWORTH", "Kingsworth"),
                    ("J. H. PENROSE", "Penrose"), ("D. W. FENWICK", "Fenwick"),
                    ("A. C. REDMAYNE", "Redmayne"), ("R. L. MARWOOD", "Marwood")]
_US_FUNCTIONS = ["Under Secretary of State", "Assistant Secretary of State",
                 "Counselor of the Department of State"]
_BRITISH_POSTS = [("BRITISH EMBASSY,", "WASHINGTON, D. C."), ("BRITISH EMBASSY,", "ANKARA."),
                  ("BRITISH LEGATION,", "BERNE."), ("BRITISH LEGATION,", "LISBON.")]
_US_POSTS = [("AMERICAN LEGATION", "American Minister"),
             ("AMERICAN EMBASSY", "American Ambassador"),
             ("AMERICAN LEGATION", "Charge d'Affaires ad interim"),
             ("AMERICAN CONSULATE GENERAL", "American Consul General")]
_CITIES = ["Budapest", "Bucharest", "Sofia", "Belgrade", "Lisbon", "Berne", "Helsinki",
           "Riga", "Athens", "Ankara", "Stockholm", "Prague"]
_MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August",
           "September", "October", "November", "December"]
_GRADES = ["SECRET", "CONFIDENTIAL", "STRICTLY CONFIDENTIAL", "RESTRICTED"]
_HANDLING = {"SECRET": "Personal and Secret", "CONFIDENTIAL": "Personal and Confidential"}

_BRITISH_SUBJECTS = [
    "Soviet Union: Post-war Aims", "Shipping: Allocation of Tonnage",
    "Persia: Supply Route", "Far East: Defence of Singapore",
    "Baltic States: Question of Recognition", "Lend-Lease: Oil Deliveries",
    "Turkey: Supply of Aircraft", "Portugal: Transit of Refugees",
]
_US_SUBJECTS = [
    "Negotiations for a Commercial Agreement with the Hungarian Government.",
    "Transit of Refugees through Portugal.",
    "Position of American Oil Interests.",
    "Frontier Incidents on the Danube.",
    "Second Jewish Bill: passage through the Upper House.",
    "Political Situation following the Resignation of the Cabinet.",
    "Proposed Purchase of Wheat by the Government.",
    "Press Comment on the Visit of the Foreign Minister.",
]
_MEMO_SUBJECTS = ["Allocation of Tonnage", "Shipping Programme for the Spring",
                  "Conversation with the Netherlands Minister", "Supply of Munitions to Turkey",
                  "Exchange of Information on Refugees", "The Oil Situation in Rumania"]

_ACTORS = [
    "His Majesty's Government", "the Foreign Office", "the Soviet Government",
    "the Prime Minister", "the Ambassador", "the Department of State",
    "the War Cabinet", "the Netherlands Government", "the Chinese Minister",
    "our representative", "the Admiralty", "the President", "the Polish Government",
    "the Minister of Supply", "the Combined Shipping Board", "the Foreign Minister",
    "the Hungarian Government", "the Turkish Government",
]
_OBJECTS = [
    "the proposed agreement", "the question of frontiers", "the supply of munitions",
    "the draft communique", "the situation in the Far East", "the terms of the declaration",
    "the shipping programme", "the recent telegrams", "the future of the Baltic States",
    "the arrangements for convoys", "the text of the memorandum", "the allocation of tonnage",
    "the question of credits", "the position in Persia", "the exchange of information",
    "the post-war settlement", "the treatment of prisoners", "the oil situation",
]
_TAILS = [
    "at the earliest opportunity", "in the present circumstances",
    "before the end of the month", "without further delay",
    "with the utmost discretion", "as a matter of urgency",
    "in the light of recent events", "for the time being", "when the situation is clearer",
]
_OPENERS = ["", "", "", "I understand that ", "It would seem that ", "I am informed that ",
            "I think you should know that ", "It is my impression that ", "We are told that "]


def _pick(rng: np.random.Generator, items: list | tuple):
    return items[int(rng.integers(len(items)))]


def _chance(rng: np.random.Generator, p: float) -> bool:
    return bool(rng.random() < p)


def _clause(rng: np.random.Generator) -> str:
    text = f"{_pick(rng, _ACTORS)} {_pick(rng, synth._VERBS)} {_pick(rng, _OBJECTS)}"
    if _chance(rng, 0.6):
        text += f" {_pick(rng, _TAILS)}"
    return text


def _sentence(rng: np.random.Generator, opener: str | None = None) -> str:
    """One clause of templated 1940s diplomatic prose, capitalised and stopped."""
    text = (opener if opener is not None else _pick(rng, _OPENERS)) + _clause(rng)
    if _chance(rng, 0.3):
        text += f", and {_clause(rng)}"
    return text[0].upper() + text[1:] + "."


# --------------------------------------------------------------------------
# Typing helpers
# --------------------------------------------------------------------------

def _at(column: int, text: str) -> str:
    return " " * column + text


def _centre(text: str) -> str:
    return _at(max(0, (WRAP - len(text)) // 2), text)


def _right(text: str) -> str:
    return _at(max(0, WRAP - len(text)), text)


def _wrap(text: str, indent: int) -> list[str]:
    """A paragraph as a typist wraps it: first-line indent, no hyphenation."""
    return textwrap.wrap(" ".join(text.split()), width=WRAP, initial_indent=" " * indent,
                         break_long_words=False, break_on_hyphens=False)


def _ordinal(day: int) -> str:
    suffix = "th" if 11 <= day <= 13 else {1: "st", 2: "nd", 3: "rd"}.get(day % 10, "th")
    return f"{day}{suffix}"


def format_date(date: datetime.date, form: str) -> str:
    """The date as one of the period's typists or stamps wrote it (see DATE_FORMS)."""
    month = _MONTHS[date.month - 1]
    if form == "mdy_ordinal":
        return f"{month} {_ordinal(date.day)}, {date.year}"
    if form == "mdy":
        return f"{month} {date.day}, {date.year}"
    if form == "dmy_ordinal":
        return f"{_ordinal(date.day)} {month}, {date.year}"
    if form == "numeric":
        return f"{date.day}.{date.month}.{date.year % 100:02d}"
    if form == "stamp":
        return f"{date.year} {month.upper()} {date.day}"
    raise ValueError(f"unknown date form {form!r}")


def _random_date(rng: np.random.Generator) -> datetime.date:
    return datetime.date(int(rng.integers(1936, 1947)), int(rng.integers(1, 13)),
                         int(rng.integers(1, 29)))


def _british_reference(rng: np.random.Generator, year: int) -> str:
    """Foreign Office registry shapes: '6253/14/41' or 'F 4321/12/10'."""
    if _chance(rng, 0.5):
        return f"{int(rng.integers(100, 9999))}/{int(rng.integers(1, 99))}/{year % 100}"
    return f"{chr(65 + int(rng.integers(26)))} {int(rng.integers(100, 9999))}/" \
           f"{int(rng.integers(1, 99))}/{int(rng.integers(1, 99))}"


def _decimal_reference(rng: np.random.Generator) -> str:
    """State Department decimal file shape: '711.00/123'."""
    return f"{int(rng.integers(100, 900))}.{int(rng.integers(0, 100)):02d}/" \
           f"{int(rng.integers(1, 9999))}"


# --------------------------------------------------------------------------
# Bodies and pagination
# --------------------------------------------------------------------------

def _body(rng: np.random.Generator, budget: int, *, indent: int = 5, first: str | None = None,
          telegram: bool = False) -> list[str]:
    """Paragraphs of 2-4 whole sentences, a blank line between, within `budget` lines.

    At least one sentence is always typed: a document has a body even when its head is long.
    ``first`` opens the first sentence ("I have the honor to report that ")."""
    done: list[str] = []
    sentences: list[str] = []
    target = int(rng.integers(2, 5))
    while True:
        opener = first if not done and not sentences else None
        trial = sentences + [_sentence(rng, opener)]
        lines = _paragraphs(done, trial, indent, telegram)
        if len(lines) > budget and (done or sentences):
            break
        sentences = trial
        if len(lines) >= budget:
            break
        if len(sentences) == target:
            done, sentences = _paragraphs(done, sentences, indent, telegram), []
            target = int(rng.integers(2, 5))
    return _paragraphs(done, sentences, indent, telegram) if sentences else done


def _paragraphs(lines: list[str], sentences: list[str], indent: int, telegram: bool) -> list[str]:
    text = " ".join(sentences)
    if telegram:  # capitals, and STOP where the sender paid for a full stop
        text = text.upper().replace(".", " STOP")
        text = text[: -len(" STOP")] + "." if text.endswith(" STOP") else text
    return lines + ([""] if lines else []) + _wrap(text, indent)


def _catchword(line: str) -> str:
    word = line.split()[0].strip(".,;:\"'()")
    return _right(f"{word}/")


def _paginate(head: list[str], body: list[str], foot: list[str], *,
              first_foot: Sequence[str] = (), catchwords: bool = False) -> list[list[str]]:
    """Typed pages: the head, the body flowing over as many sheets as it needs, the closing
    block kept whole on the last sheet.

    Later sheets open with a centred '- n -'; with ``catchwords`` every sheet but the last
    ends with the next sheet's first word and a slash.  ``first_foot`` is what a British
    typist puts at the foot of the first sheet (the addressee block, the typist's mark): it
    stays on page 1, after the closing when the letter has one sheet."""
    reserve = 1 if catchwords else 0
    pages: list[list[str]] = []
    current = list(head)

    def limit() -> int:
        return MAX_LINES - reserve - (len(first_foot) if not pages else 0)

    def turn(next_line: str) -> None:
        nonlocal current
        while current and not current[-1].strip():
            current.pop()
        if catchwords:
            current.append(_catchword(next_line))
        if not pages:
            current += list(first_foot)
        pages.append(current)
        current = [_centre(f"- {len(pages) + 1} -"), ""]

    for line in body:
        if not line.strip() and (len(current) >= limit() or (pages and len(current) <= 2)):
            continue  # a sheet neither ends nor opens with a blank line
        if len(current) >= limit():
            turn(line)
        current.append(line)
    closing_room = MAX_LINES - (len(first_foot) if not pages else 0)
    if len(current) + len(foot) > closing_room:
        turn(next(line for line in foot if line.strip()))
        while foot and not foot[0].strip():
            foot = foot[1:]
    current += foot
    if not pages:
        current += list(first_foot)
    pages.append(current)
    return pages


def _body_budget(head: int, foot: int, first_foot: int, n_pages: int, catchwords: bool,
                 rng: np.random.Generator) -> int:
    """Body lines that fill `n_pages` sheets, leaving the last one partly empty."""
    reserve = 1 if catchwords else 0
    if n_pages == 1:
        return max(2, MAX_LINES - head - foot - first_foot - 1)
    first = MAX_LINES - head - first_foot - reserve
    middle = (MAX_LINES - 2 - reserve) * (n_pages - 2)
    last_room = MAX_LINES - 2 - foot - 1
    return first + middle + int(rng.integers(min(4, last_room), last_room + 1))


# --------------------------------------------------------------------------
# The four document shapes
# --------------------------------------------------------------------------

@dataclass
class _Draft:
    """A document being typed: its parts and what is known about it so far."""

    truth: LetterTruth
    head: list[str] = field(default_factory=list)
    foot: list[str] = field(default_factory=list)
    first_foot: list[str] = field(default_factory=list)
    catchwords: bool = False
    indent: int = 5
    first: str | None = None
    telegram: bool = False
    postscript: list[str] = field(default_factory=list)

    def finish(self, rng: np.random.Generator, n_pages: int) -> GeneratedLetter:
        """Fill the body to the wanted length and lay the document out on its sheets."""
        foot = self.foot + self.postscript
        answer = self._cross_reference(rng)
        for pages in range(n_pages, 0, -1):  # a long head can leave no room: try shorter
            budget = _body_budget(len(self.head), len(foot), len(self.first_foot), pages,
                                  self.catchwords, rng)
            body = _body(rng, budget - len(answer), indent=self.indent, first=self.first,
                         telegram=self.telegram) + answer
            laid = _paginate(self.head, body, foot, first_foot=self.first_foot,
                             catchwords=self.catchwords)
            if len(laid) <= 4:
                break
        self.truth.pages = len(laid)
        return GeneratedLetter(self.truth, laid)

    def _cross_reference(self, rng: np.random.Generator) -> list[str]:
        """Now and then the letter answers another: 'With reference to your letter F 12/3/41
        of March 3rd, ...', a reference typed in the body rather than the head."""
        if self.telegram or not _chance(rng, 0.25):
            return []
        reference = _british_reference(rng, 1940)
        day = _ordinal(int(rng.integers(1, 29)))
        sentence = (f"With reference to your letter {reference} of {_pick(rng, _MONTHS)} {day}, "
                    f"{_clause(rng)}.")
        self.truth.references.append(reference)
        return ["", *_wrap(sentence, self.indent)]


def _new_truth(doc_type: str) -> LetterTruth:
    return LetterTruth(doc_type=doc_type, doc_date=None, sender=None, recipient=None,
                       classification=None, subject=None, place=None, number=None,
                       references=[], pages=0)


def _date(rng: np.random.Generator, truth: LetterTruth, forms: tuple[str, ...],
          p_missing: float = 0.0) -> str | None:
    """Pick the document's date and its typed form; record both in the truth."""
    if _chance(rng, p_missing):
        return None
    truth.doc_date = _random_date(rng)
    truth.date_text = format_date(truth.doc_date, _pick(rng, forms))
    return truth.date_text


def _grade(rng: np.random.Generator, truth: LetterTruth, p_none: float) -> str | None:
    truth.classification = None if _chance(rng, p_none) else _pick(rng, _GRADES)
    return truth.classification


def _british_letter(rng: np.random.Generator) -> _Draft:
    """A private letter from a British mission: the Halifax letter's layout and its kin."""
    draft = _Draft(_new_truth("letter"), catchwords=_chance(rng, 0.8))
    truth, head = draft.truth, draft.head
    grade = _grade(rng, truth, 0.3)
    if grade:
        head.append(_at(min(50, MAX_COLUMNS - len(grade)), grade))
    date = _date(rng, truth, ("mdy_ordinal", "dmy_ordinal", "numeric", "mdy"), p_missing=0.1)
    if _chance(rng, 0.7):
        truth.references.append(_british_reference(rng, truth.doc_date.year if date else 1941))
        head.append(truth.references[-1])
    head.append("")
    if _chance(rng, 0.75):  # letterhead; the date line then holds the date alone
        for line in _pick(rng, _BRITISH_POSTS):
            head.append(_at(42, line))
        date_line = f"{date}." if date else None
    else:  # no letterhead: the place is typed on the date line
        truth.place = "Washington, D. C." if date else None
        date_line = f"Washington, D. C., {date}." if date else None
    if _chance(rng, 0.6):
        truth.subject = _pick(rng, _BRITISH_SUBJECTS)
        head.append(truth.subject)
    if date_line:
        head.append(_at(max(0, min(42, MAX_COLUMNS - len(date_line))), date_line))
    if grade in _HANDLING and _chance(rng, 0.6):
        head += ["", _HANDLING[grade]]
    recipient = _pick(rng, _AMERICANS)
    salutation = _pick(rng, [f"My dear {recipient.surname},", f"Dear Mr. {recipient.surname},",
                             "Dear Mr. Secretary,", "Dear Sir,"])
    head += ["", salutation, ""]
    addressed = _chance(rng, 0.7)
    if addressed:
        function = _pick(rng, _US_FUNCTIONS).split(" of ")
        draft.first_foot = ["", "The Honourable", f"{recipient.full},", function[0],
                            *([f"of {' of '.join(function[1:])},"] if len(function) > 1 else []),
                            "Washington, D. C."]
    if addressed or recipient.surname in salutation:
        truth.recipient = recipient.surname
    elif "Secretary" in salutation:  # 'Dear Mr. Secretary,' still says who is written to
        truth.recipient = "Secretary"
    signature, truth.sender = _pick(rng, _BRITISH_SIGNERS)
    closing = _pick(rng, ["Yours very sincerely,", "Yours sincerely,", "Yours ever,"])
    draft.foot = ["", _at(35, closing), "", "", _at(42, signature)]
    if _chance(rng, 0.5):
        draft.first_foot += ["", _pick(rng, ["FRHM:HK", "JB:MW", "RLM:DP", "AHP:EC"])]
    if _chance(rng, 0.2):
        draft.postscript = ["", *_wrap("P.S. " + _sentence(rng), 0)]
    return draft


def _us_despatch(rng: np.random.Generator) -> _Draft:
    """A numbered despatch from an American mission to the Secretary of State."""
    draft = _Draft(_new_truth("despatch"))
    truth, head = draft.truth, draft.head
    letterhead, title = _pick(rng, _US_POSTS)
    grade = _grade(rng, truth, 0.5)
    top = []
    if _chance(rng, 0.85):
        truth.number = str(int(rng.integers(10, 2000)))
        top.append(f"No. {truth.number}")
    if grade:
        top.append(_at(max(0, 60 - len(grade)), grade))
    head += top + ["", _centre(letterhead), ""]
    truth.place = _pick(rng, _CITIES)
    date = _date(rng, truth, ("mdy", "mdy", "mdy_ordinal"))
    head += [_at(35, f"{truth.place}, {date}."), ""]
    if _chance(rng, 0.85):
        truth.subject = _pick(rng, _US_SUBJECTS)
        head += textwrap.wrap(f"SUBJECT: {truth.subject}", width=50, subsequent_indent=" " * 9)
        head.append("")
    sender, recipient = [_AMERICANS[i] for i in rng.choice(len(_AMERICANS), 2, replace=False)]
    if _chance(rng, 0.7):
        head += ["The Honorable", "The Secretary of State,", "Washington."]
        truth.recipient = "Secretary of State"
    else:
        head += ["The Honorable", f"{recipient.full},", "Secretary of State,", "Washington."]
        truth.recipient = recipient.surname
    head += ["", "Sir:", ""]
    draft.first = _pick(rng, ["I have the honor to report that ",
                              "I have the honor to inform the Department that "])
    closing = _pick(rng, [["Respectfully yours,"],
                          ["I have the honor to be, Sir,", "Your obedient servant,"]])
    truth.sender = sender.surname
    draft.foot = ["", *(_at(35, line) for line in closing), "", "",
                  _at(35, sender.full), _at(35, title)]
    tail = []
    if _chance(rng, 0.5):
        truth.references.append(_decimal_reference(rng))
        tail.append(f"File No. {truth.references[-1]}")
    tail.append(f"{sender.initials}/{_pick(rng, ['mk', 'hb', 'ew', 'js'])}")
    draft.foot += ["", *tail]
    return draft


def _memorandum(rng: np.random.Generator) -> _Draft:
    """An office memorandum: TO/FROM/SUBJECT/DATE lines, initials at the end."""
    draft = _Draft(_new_truth("memorandum"), catchwords=_chance(rng, 0.5), indent=0)
    truth, head = draft.truth, draft.head
    head.append(_centre("MEMORANDUM"))
    grade = _grade(rng, truth, 0.5)
    if grade:
        head.append(_at(max(0, 60 - len(grade)), grade))
    head.append("")
    if _chance(rng, 0.3):
        truth.references.append(_decimal_reference(rng))
        head += [truth.references[-1], ""]
    sender, recipient = [_AMERICANS[i] for i in rng.choice(len(_AMERICANS), 2, replace=False)]
    truth.recipient, truth.sender = recipient.surname, sender.surname
    head.append(f"TO:       Mr. {recipient.surname}")
    head.append(f"FROM:     Mr. {sender.surname}")
    if _chance(rng, 0.8):
        truth.subject = _pick(rng, _MEMO_SUBJECTS)
        head.append(f"SUBJECT:  {truth.subject}")
    date = _date(rng, truth, ("mdy", "stamp", "numeric", "dmy_ordinal"), p_missing=0.15)
    if date:
        head.append(f"DATE:     {date}")
    head.append("")
    signed = _at(45, ". ".join(sender.initials) + ".") if _chance(rng, 0.5) \
        else _at(45, sender.full)
    draft.foot = ["", signed]
    return draft


def _telegram(rng: np.random.Generator) -> _Draft:
    """A telegram as received in Washington: form heading, capitals, STOP, the chief's name."""
    draft = _Draft(_new_truth("telegram"), indent=0, telegram=True)
    truth, head = draft.truth, draft.head
    head.append("TELEGRAM RECEIVED")
    grade = _grade(rng, truth, 0.4)
    if grade:
        head.append(_at(max(0, 60 - len(grade)), grade))
    head.append("")
    truth.place = _pick(rng, _CITIES)
    date = _date(rng, truth, ("mdy", "numeric", "stamp"))
    received = f"Rec'd {int(rng.integers(1, 12))}:{int(rng.integers(0, 60)):02d} " \
               f"{_pick(rng, ['a.m.', 'p.m.'])}"
    head += [_at(40, f"FROM  {truth.place}"), _at(40, f"Dated {date}"), _at(40, received), ""]
    head += ["Secretary of State,", _at(5, "Washington."), ""]
    truth.recipient = "Secretary of State"
    if _chance(rng, 0.6):
        truth.number = str(int(rng.integers(1, 900)))
        head += [f"No. {truth.number}", ""]
    sender = _pick(rng, _AMERICANS)
    truth.sender = sender.surname
    draft.foot = ["", _at(45, sender.surname.upper())]
    return draft


_SHAPES = {"letter": _british_letter, "despatch": _us_despatch, "memorandum": _memorandum,
           "telegram": _telegram}
_PAGES = {"letter": (1, 2, 3, 4), "despatch": (1, 2, 3), "memorandum": (1, 1, 2),
          "telegram": (1, 1, 1, 2)}


# --------------------------------------------------------------------------
# Public API
# --------------------------------------------------------------------------

def generate_letters(n: int, *, seed: int = 0) -> list[GeneratedLetter]:
    """`n` documents of varied shape, date form, grading, references and length (1-4 pages),
    each with its ground truth. Letter i depends only on (seed, i), so the first letters of a
    longer run are the same as those of a shorter one."""
    letters = []
    for index in range(n):
        rng = np.random.default_rng([seed, index])
        doc_type = _TYPE_CYCLE[(index + seed) % len(_TYPE_CYCLE)]
        draft = _SHAPES[doc_type](rng)
        letters.append(draft.finish(rng, int(_pick(rng, _PAGES[doc_type]))))
    return letters


def letter_text(letter: GeneratedLetter) -> str:
    """The whole document as typed, pages separated by a form feed."""
    return "\f".join(synth.ground_truth(page) for page in letter.pages)


def degradation(profile: str, rng: np.random.Generator) -> synth.Degradation:
    """How one sheet was scanned: a ribbon copy ('clean') or a faint, blurred, skewed carbon
    ('degraded'), each sheet a little differently as a real scanning session goes."""
    if profile == "clean":
        return dataclasses.replace(synth.Degradation.ribbon(),
                                   rotation_deg=float(rng.uniform(-0.8, 0.8)))
    if profile == "degraded":
        return dataclasses.replace(
            synth.Degradation.carbon(),
            rotation_deg=float(rng.choice([-1, 1]) * rng.uniform(0.8, 1.8)),
            ink=float(rng.uniform(0.4, 0.5)), blur=float(rng.uniform(1.0, 1.3)),
            noise=float(rng.uniform(6.0, 8.0)))
    raise ValueError(f"profile must be one of {PROFILES}, got {profile!r}")


def write_letters(out_dir: Path, letters: list[GeneratedLetter], *, profile: str = "clean",
                  seed: int = 0) -> list[Path]:
    """One greyscale PNG per page, `letter_007_p2.png`, so sorting the names puts the pages of
    a letter together and in order (as the pipeline reads a drop folder). Returns the paths in
    that order."""
    if profile not in PROFILES:
        raise ValueError(f"profile must be one of {PROFILES}, got {profile!r}")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = []
    for index, letter in enumerate(letters, 1):
        for number, lines in enumerate(letter.pages, 1):
            rng = np.random.default_rng([seed, index, number, PROFILES.index(profile)])
            image = synth.render_page(lines, seed=int(rng.integers(2**31)), dpi=DPI,
                                      degradation=degradation(profile, rng))
            path = out_dir / page_file_name(index, number)
            image.save(path, format="PNG", dpi=(DPI, DPI))
            paths.append(path)
    return paths


def page_file_name(letter_number: int, page_number: int) -> str:
    """'letter_007_p2.png' for page 2 of the 7th letter (both 1-based)."""
    return f"letter_{letter_number:03d}_p{page_number}.png"
