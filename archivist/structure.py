"""Letter structure of typewritten archival pages.

Diplomatic letters, despatches and memoranda of the 1930s-40s follow a small
set of conventions: a head (letterhead, classification, file number, place and
date, subject, addressee), a salutation, the body, a closing formula and a
signature, then the odds and ends typists and registries add (typist's
initials, enclosure lists, postscripts) and the marks left by handling
(receipt stamps, registry scribbles, printed page numbers, catchwords at the
foot of a page). OCR and old transcriptions lose the layout but keep those
conventions, so each line is classified by its content first, by its position
in the letter second, and what is left is prose.

Scanned heads add what OCR makes of stamps, pencil and specks; those lines are
told apart from typed text by the shapes typed words have (case, vowels, short
words), not by a dictionary, so prose in any language stays text. Formulas and
labels that OCR garbles ('Respectfullv yours,', 'SUBJECT;') are read by their
spelling distance and punctuation classes.

Nothing here knows a particular document: only the vocabulary of letter
writing (titles, closing formulas, grading words, month names) and the shapes
of registry marks.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Iterable, Iterator

from rapidfuzz import fuzz

from archivist.dates import find_dates

__all__ = [
    "KINDS",
    "NON_READING",
    "Line",
    "Segment",
    "document_starts",
    "marking_text",
    "page_segments",
    "place_before_date",
    "reading_text",
    "segment_document",
    "segmented_breaks",
]

KINDS = (
    "letterhead", "classification", "reference", "number", "place_date", "subject",
    "addressee", "salutation", "paragraph", "quotation", "closing", "signature",
    "postscript", "enclosure_note", "typist_reference", "marginalia", "stamp",
    "page_number", "catchword", "other",
)
NON_READING = {"marginalia", "stamp", "page_number", "catchword"}


@dataclass
class Line:
    text: str
    page: int = 0
    box: tuple[int, int, int, int] | None = None
    page_width: int | None = None


@dataclass
class Segment:
    kind: str
    text: str
    page: int
    first_line: int
    last_line: int
    box: tuple[int, int, int, int] | None


# --------------------------------------------------------------------------
# Vocabulary and shapes
# --------------------------------------------------------------------------

_WORD = re.compile(r"[A-Za-zÀ-ÿ][A-Za-zÀ-ÿ'’\-]*")
_TERMINAL = re.compile(r"[.!?:;][\"'’”)\]]*$")

_PAGE_NUMBER = re.compile(
    r"^(?:[-–—=~]+\s*\d{1,3}\s*[-–—=~]+|[-–—~]\s*\d{1,3}\s*\.?|\(\s*\d{1,3}\s*\)"
    r"|(?:page|p\.)\s*\d{1,3}\s*\.?)$",
    re.IGNORECASE,
)
_BARE_NUMBER = re.compile(r"^\d{1,4}\s*\.?$")
_TYPIST = re.compile(r"^[A-Z]{2,5}(?:\s?[:/]\s?[A-Za-z]{1,5}){1,3}$")
_SIGNED = re.compile(
    r"^(?:\(\s*(?:sgd|signed|sd|s|sig)\s*\.?\s*\)|(?:signed|sgd\.)\s*:?)\s*\S", re.IGNORECASE
)
_ACTING_FOR = re.compile(r"^for\s+the\s+\w", re.IGNORECASE)
_INITIALS = re.compile(r"^(?:[A-Z]\.\s?){1,3}$")
_CAPS_NAME = re.compile(r"^[A-Z][A-Z'’\-]+(?:\s+[A-Z][A-Z.'’\-]*){0,3}\.?$")
_POSTSCRIPT = re.compile(r"^(?:(?:P\.\s?)?P\.\s?S\.?|PS[.:])(?=[\s:,\-]|$)")
_ENCLOSURE_HEAD = re.compile(r"^(?:enclosures?|encls?\.|enc\.|attachments?|annex(?:es)?)(?![a-z])", re.IGNORECASE)
_ENCLOSURE_ITEM = re.compile(r"^\d{1,2}\s?/\s*(?=\S)")
NUMBER_MARK = r"(?:N[Oo]|NR|Nr|Nº|№)\s?[.,:;\-–]{0,2}\s*"
"""'No.' before a despatch number, with what OCR and typists put after it ('No:', 'No.-')."""
_NUMBER_LINE = re.compile(
    rf"^(?:.{{0,20}}?\s|[^\w\s]{{1,2}})?{NUMBER_MARK}(?P<number>\d[\d\-/]*)\s*\.?$")
"""'No. 557', and as OCR leaves it: '-No. 1367', 'No.- 1584' (specks before and after the 'No.')."""
_FILE_NUMBER = re.compile(
    r"(?<![\w/])(?:[A-Z]{1,3}\s?)?\d{1,6}(?:\s?/\s?\d{1,6}){1,3}(?:/[A-Z]{1,3})?(?![\w/])"
)
_DECIMAL_FILE = re.compile(r"(?<![\w/.])\d{3}\.\d{1,6}(?:/\d{1,6})?(?![\w/])")
_REFERENCE_WORDS = {"file", "no", "nr", "ref", "reference", "your", "our", "registry", "and"}
_CATCHWORD_SLASH = re.compile(r"^[A-Za-zÀ-ÿ][A-Za-zÀ-ÿ'’\-]*(?:/|\.{2,}|…)$")
_INLINE_CATCHWORD = re.compile(r"\s(?P<word>[A-Za-zÀ-ÿ][A-Za-zÀ-ÿ'’\-]*)/$")
_SALUTATION = re.compile(
    r"^(?:(?:my\s+)?(?:very\s+)?dear\s+[^\s,:;][^,:;]{0,40}|(?:dear\s+)?sirs?|(?:dear\s+)?madam"
    r"|mesdames|gentlemen|my\s+(?:dear\s+)?lord|(?:your\s+)?excellency|monsieur(?:\s+le\s+\w+)?"
    r"|madame)\s*[,:;.]?$",
    re.IGNORECASE,
)
_CLOSING_HEAD = re.compile(
    r"^(?:yours\b|your\s+(?:most\s+)?(?:obedient|humble)|ever\s+yours"
    r"|(?:very\s+|most\s+)?(?:sincerely|truly|faithfully|respectfully|cordially|affectionately"
    r"|gratefully)\b|i\s+have\s+the\s+hono(?:u)?r\s+to\s+be\b|(?:i|we)\s+(?:remain|am|are)\b"
    r"|believe\s+me\b|with\s+(?:best|kind|kindest|warm|warmest|all\s+good)\s+(?:regards|wishes))",
    re.IGNORECASE,
)
_CLOSING_WORDS = {
    "yours", "your", "very", "most", "sincerely", "truly", "faithfully", "respectfully",
    "obediently", "obedient", "humble", "servant", "cordially", "affectionately", "gratefully",
    "ever", "i", "we", "am", "are", "remain", "have", "the", "honor", "honour", "to", "be",
    "with", "highest", "high", "consideration", "respect", "sir", "madam", "my", "dear",
    "lord", "excellency", "believe", "me", "kind", "kindest", "best", "regards", "wishes",
    "warm", "warmest", "and", "submitted", "always", "all", "good", "greatest", "esteem",
}
_GRADING = {"secret", "confidential", "restricted"}
_HANDLING = {"personal", "private", "immediate", "urgent", "priority", "important"}
_MARKING_WORDS = _GRADING | _HANDLING | {
    "most", "top", "strictly", "very", "highly", "and", "by", "bag", "air", "mail", "file",
    "for", "only", "en", "clair",
}
_STAMP = re.compile(
    r"\b(?:RECEIVED|REC'D|FILED|RECORDED|REGISTERED|ANSWERED|ACKNOWLEDGED|DIVISION OF"
    r"|COMMUNICATIONS AND RECORDS)\b"
)
_DISTRIBUTION = re.compile(
    r"^(?:copies?\s+(?:sent\s+)?to\b|copy\s+to\b|cc\s*[:.]|c\.\s?c\.|distribution\b"
    r"|to\s+department\s+in\b|in\s+(?:quintuplicate|quadruplicate|triplicate|duplicate)\b)",
    re.IGNORECASE,
)
_STATUS = re.compile(
    r"^(?:true\s+)?(?:copy|translation|paraphrase|draft|duplicate|triplicate|extract)\s*\.?$",
    re.IGNORECASE,
)
SUBJECT_LABEL = re.compile(
    r"^(?:(?:[^\sA-Za-z]{1,2}\s+|[a-z]\s+)?(?:subject|subj|betreff|objet)\s*[:;.\-–]"
    r"|re\s*[:.\-–])\s*",
    re.IGNORECASE,
)
"""The label of a subject line; 'SUBJECT;' (OCR of a colon) and a speck before it included."""
_SUBJECT_STRICT = re.compile(SUBJECT_LABEL.pattern + r"(?=\S)", re.IGNORECASE)
_SUBJECT_BARE = re.compile(r"^(?:subject|subj|betreff|objet)\s*[:;.]?$", re.IGNORECASE)
_SUBJECT_LOOSE = re.compile(r"^re\s+\S", re.IGNORECASE)
_HONORIFIC_OPENER = re.compile(
    r"^(?:t?he\s+)?(?:right\s+|rt\.?\s+)?hon(?:ou?rable\b|\.)|^(?:his|her|their)\s+"
    r"(?:excellency|excellencies|majesty|royal\s+highness)\b|^h\.\s?e\.\s|^messrs\.?\s",
    re.IGNORECASE,
)
_FROM_LABEL = re.compile(
    r"^(?:FROM|From)\s*[:;\-–—]\s*(?=[A-Z])|^(?:FROM|From)\s+(?=[A-Z])\S+(?:\s+\S+){0,3}$")
"""'FROM: Mr. Caldwell' (a memorandum's sender), 'FROM  Sofia' (a telegram's origin)."""
_TRAILING_SPECK = re.compile(r"\s+[.,;:'’`\-–—~_]{1,2}$")
"""' .' that OCR leaves after the last word of a line: a speck, not part of the text."""
_SENTENCE_OPENERS = frozenset("""
the this that these those there their they then thus his her its our your with from for
and but nor yet which what when where while whether after before since although though
however moreover further furthermore also not none some any all each every one two
""".split())
"""Words a new sentence opens with: a page-foot catchword, not a signer's name."""
_TO_OPENER = re.compile(r"^to\s*[-:;–—]\s*(?P<rest>.*)$|^to\s+(?P<name>[A-Z].*)$", re.IGNORECASE)
"""'TO: Mr. Roe', 'TO; Mr. Roe' (OCR of the colon), 'To the Minister'."""
_HEAD_LABEL = re.compile(r"^[A-Z]{2,8}\s?[:;](?:\s|$)")
"""'DATE: ', 'FROM: ': a memorandum head's next label, which ends the line before it."""
PERSON_TITLES = (
    "Mr", "Mrs", "Miss", "Ms", "Messrs", "M", "MM", "Mme", "Mlle", "Dr", "Herr", "Frau",
    "Lord", "Lady", "Sir", "Dame", "General", "Gen", "Colonel", "Col", "Major", "Captain",
    "Capt", "Admiral", "Marshal", "Ambassador", "Minister", "President", "Professor", "Prof",
    "Count", "Countess", "Baron", "Baroness", "Prince", "Princess", "King", "Queen", "Monsieur",
    "Madame", "Signor", "Señor", "Rabbi", "Father", "Bishop", "Archbishop", "Cardinal",
    "Viscount", "Earl", "Duke", "Marquess", "Senator", "Judge", "Governor", "Commissar",
    "Consul", "Lieutenant", "Lt", "Rev", "Reverend", "Dean", "Chancellor", "Premier",
)
_PERSON_OPENER = re.compile(
    rf"^(?:{'|'.join(PERSON_TITLES)})\.?\s+[A-Z]"
)
_FUNCTION_OPENER = re.compile(
    r"^(?:the\s+(?:[A-Z][\w\-]*\s+)?)?(?:secretary|under[\s\-]secretary|minister|ambassador|"
    r"charg[ée]|consul|president|chairman|director|commissioner|governor|high\s+commissioner)\b",
    re.IGNORECASE,
)
ORG_WORDS = (
    "Legation", "Embassy", "Consulate", "Foreign Service", "Foreign Office", "Ministry",
    "Department", "Office", "Council", "Committee", "Bureau", "Agency", "Commission", "Board",
    "Society", "Association", "Mission", "Delegation", "Chancery", "Government", "Institute",
    "University", "Corporation", "Company", "Federation", "Congress", "League",
)
_ORG_WORD = re.compile(rf"\b(?:{'|'.join(ORG_WORDS)})\b", re.IGNORECASE)
_DOC_TYPE_HEADING = re.compile(
    r"\b(?:TELEGRAM|CABLEGRAM|MEMORANDUM|AIDE[\s\-]M[EÉ]MOIRE|MINUTES?|REPORT)\b", re.IGNORECASE
)
_ADDRESS = re.compile(
    r"\bc/o\b|\d+\s*,?\s+[A-Z][a-z]+\s+(?:Street|St\.|Road|Rd\.|Square|Place|Avenue|Park|Lane|"
    r"House|Gardens|Terrace|Strasse|Straße|Platz|Gasse)|\b[NSEW]\.?\s?[CW]?\.?\s?\d{1,2}\b"
)
_PLACE_CONNECTORS = {
    "near", "am", "an", "der", "de", "la", "le", "sur", "upon", "on", "the", "den", "di",
    "dated", "date", "en", "im", "bei",
}
_OPEN_QUOTES = "\"“‘'„«"
_CLOSE_QUOTES = "\"”’'»"


def _words(text: str) -> list[str]:
    return _WORD.findall(text)


def _is_prose(text: str) -> bool:
    """Running text, as opposed to names, titles and addresses: lowercase words dominate."""
    words = _words(text)
    if len(words) < 5:
        return False
    if len(words) >= 10:
        return True  # telegrams are typed in capitals; headings are shorter
    lower = sum(word[0].islower() for word in words)
    return lower / len(words) >= 0.4 or (len(text) >= 60 and lower >= 3)


_GRAMMAR_WORDS = frozenset("""
the a an of to in on at by for with from and or but that which this it its as be is are was
were has have had will would shall should not
""".split())


def _running_text(text: str) -> bool:
    """Prose, or a long line of a text typed in capitals: its grammar words give it away
    ('EXCHANGE OF INFORMATION, AND THE CHINESE MINISTER HAS DRAWN'), where a heading in
    capitals has one 'OF' or 'THE' at most."""
    words = _words(text)
    return _is_prose(text) or (len(words) >= 8 and len(text) >= 45 and sum(
        w.lower() in _GRAMMAR_WORDS for w in words) >= 3)


def _is_caps(text: str) -> bool:
    letters = [c for c in text if c.isalpha()]
    return len(letters) >= 2 and sum(c.isupper() for c in letters) / len(letters) >= 0.8


def _ends_sentence(text: str) -> bool:
    return bool(_TERMINAL.search(text.rstrip()))


def _letter_ratio(text: str) -> float:
    visible = [c for c in text if not c.isspace()]
    return sum(c.isalpha() for c in visible) / len(visible) if visible else 0.0


# --------------------------------------------------------------------------
# OCR debris: the shapes typed words have, and what stamps and pencil leave
# --------------------------------------------------------------------------

_SHORT_WORDS = frozenset("""
a i o y à of to in on at by as is it be or an no we he me my us so do if up go am
la le de du en et un il au ce ne se sa ma ou où je tu ni si ta te va vu eu ça
zu im da er es wo um ob ja du mr dr st nr
""".split())
"""Words of one or two letters that text is made of (English, French, German): any other
one- or two-letter token in a line is more likely a speck read as letters."""
_CASE_PART = r"(?:[a-zà-ÿ]+|[A-ZÀ-Þ][a-zà-ÿ]*|[A-ZÀ-Þ]+)"
_WORD_SHAPE = re.compile(rf"{_CASE_PART}(?:[-'’]{_CASE_PART})*")
_FIGURE_SHAPE = re.compile(r"[A-Z]{0,3}\d[\d,./\-:]*(?:st|nd|rd|th|d)?|[£$]\d[\d,.]*")
_INITIALS_SHAPE = re.compile(r"(?:[A-Za-z]\.)+")
_ROMAN_SHAPE = re.compile(r"[IVXLC]{1,6}")
_OUTER_MARKS = "\"'“”‘’„«»()[]{},;:!?*-–—~_"


@lru_cache(maxsize=1 << 16)
def _well_formed(token: str) -> bool:
    """A token shaped like something typed: a word in lower, Title or UPPER case (one or two
    letters only if it is a short word), a figure or reference, or initials. Asked of every
    token of every line, at least once a page, and tokens repeat: cached (a rebuild of 4,000
    letters asked 2.3 million times before a one-page document was segmented only once)."""
    token = token.strip(_OUTER_MARKS)
    if _INITIALS_SHAPE.fullmatch(token):
        return True
    token = token.rstrip(".").strip(_OUTER_MARKS)
    if _FIGURE_SHAPE.fullmatch(token) or _ROMAN_SHAPE.fullmatch(token):
        return True
    if re.search(r"\w[./][./\-]*\w", token):  # 'Preface.-Introduction', 'and/or'
        parts = [p for p in re.split(r"[./]+", token) if p]
        return all(_well_formed(p) or (p.isupper() and len(p) <= 4) for p in parts)
    if not _WORD_SHAPE.fullmatch(token):
        return False
    if len(token) < 3:
        return token.lower() in _SHORT_WORDS
    return token.isupper() or _pronounceable(token)


def _pronounceable(word: str) -> bool:
    """Typed words have a vowel and no letter three times running ('tht', 'oeeee' are specks);
    capitals are exempt, since acronyms and initials need neither."""
    lower = word.lower()
    has_vowel = re.search(r"[aeiouyàâäéèêëîïôöùûüœæ]", lower)
    return bool(has_vowel) and not re.search(r"(.)\1\1", lower)


def _typed_prose(text: str) -> bool:
    """Prose, and made of typed words: OCR'd stamps and boxes can be long and lower-case too."""
    tokens = [t for t in text.split() if re.search(r"[\wÀ-ÿ]", t)]  # ' , ' and ' – ' are typed
    return _is_prose(text) and sum(_well_formed(t) for t in tokens) >= 0.75 * len(tokens)


def _is_debris(text: str) -> bool:
    """Stamps, pencil and specks as OCR reads them ('aa Lp we?', 'TOobN', 'tht 7A: wo'): less
    than half of the line's characters belong to well-formed tokens. Shapes, not a dictionary,
    decide, so that prose in any language and unknown names stay text."""
    tokens = text.split()
    if not tokens or not re.search(r"[A-Za-zÀ-ÿ]", text):
        return False
    if len(tokens) == 1:
        return len(tokens[0]) >= 2 and not _well_formed(tokens[0])
    good = sum(len(t) for t in tokens if _well_formed(t))
    return good < 0.5 * sum(len(t) for t in tokens)


_RULE_MARKS = re.compile(r"^[^\wÀ-ÿ]*[|{}\[\]_~*°¥©®\\<>=^][^\wÀ-ÿ]*$")
"""A token of strokes no typist types alone ('|', '*}', '--~'); a lone '.', '«' or '—' can be
typed text (French spacing, dialogue dashes)."""


_DASHED_FIGURE = re.compile(r"^[\-–—~_=]+(?=\d)")


def _whole_date(text: str) -> bool:
    """The text is one full date and nothing else but its stop."""
    mentions = find_dates(text)
    return len(mentions) == 1 and mentions[0].start == 0 and mentions[0].precision == "day" \
        and not text[mentions[0].end:].strip(" .,")


def _strip_edge_marks(text: str) -> str:
    """Rules, specks and bracket strokes beside typed text dropped from the ends of a line
    that has words."""
    tokens = text.split()
    dashed = _DASHED_FIGURE.match(text)
    if dashed and _whole_date(text[dashed.end():]):
        return text[dashed.end():]  # '—-23.8.43.': a date typed after a rule's dashes
    if not any(re.search(r"[A-Za-zÀ-ÿ]{3}", t) for t in tokens):
        return text
    while tokens and _RULE_MARKS.match(tokens[0]):
        tokens.pop(0)
    while tokens and _RULE_MARKS.match(tokens[-1]):
        tokens.pop()
    return " ".join(tokens) if len(tokens) < len(text.split()) else text


# --------------------------------------------------------------------------
# Context-free line kinds
# --------------------------------------------------------------------------


def _strong_kind(text: str) -> str | None:
    """Kinds a line announces by itself, wherever it stands."""
    for kind, test in _STRONG_TESTS:
        if test(text):
            return kind
    return None


def _is_classification(text: str) -> bool:
    return marking_text(text) is not None


def marking_text(text: str) -> str | None:
    """The grading or handling words of a classification line ('CONFIDENTIAL ON re' ->
    'CONFIDENTIAL': specks of one or two letters after the marking are left out), else None."""
    if len(text) > 45 or any(c.isdigit() for c in text):
        return None
    tokens = _rejoin_marking_words(text.split())
    while len(tokens) > 1 and len(re.sub(r"[^A-Za-z]", "", tokens[-1])) <= 2 \
            and tokens[-1].strip(".,;:").lower() not in ("and", "by", "en"):
        tokens.pop()
    marking = " ".join(tokens)
    words = [w.lower() for w in _words(marking.replace("&", " and "))]
    if words and all(w in _MARKING_WORDS for w in words) and any(
            w in _GRADING or w in _HANDLING for w in words):
        return marking
    return None


def _rejoin_marking_words(tokens: list[str]) -> list[str]:
    """'CONF IDENTIAL' -> 'CONFIDENTIAL': OCR splits a spaced-out word; two neighbours are
    joined when together they make a grading or handling word and the first alone does not."""
    out: list[str] = []
    for token in tokens:
        if out:
            joined = out[-1] + token
            bare = re.sub(r"[^A-Za-z]", "", joined).lower()
            first = re.sub(r"[^A-Za-z]", "", out[-1]).lower()
            if (bare in _GRADING or bare in _HANDLING) and first not in _MARKING_WORDS \
                    and re.fullmatch(r"[A-Za-z]+", out[-1]):
                out[-1] = joined
                continue
        out.append(token)
    return out


def _is_salutation(text: str) -> bool:
    return len(text) <= 60 and len(_words(text)) <= 6 and bool(_SALUTATION.match(text))


def _is_closing(text: str) -> bool:
    """A closing formula, the whole line made of closing vocabulary."""
    head, tail = _split_closing(text)
    return (head is not None and not tail) or _garbled_closing(text)


_CLOSING_FORMULAS = tuple(
    formula.replace(" ", "")
    for formula in (
        "respectfully yours", "yours respectfully", "sincerely yours", "yours sincerely",
        "faithfully yours", "yours faithfully", "very truly yours", "yours very truly",
        "truly yours", "yours truly", "cordially yours", "yours cordially", "respectfully",
        "sincerely", "faithfully", "we remain", "i remain",
    )
)
_ADVERB_YOURS = re.compile(
    r"^(?:[A-Za-z]{4,14}ly,?\s+yours|yours,?\s+(?:very\s+)?[A-Za-z]{4,14}ly)\s*[,.]?$",
    re.IGNORECASE,
)


def _garbled_closing(text: str) -> bool:
    """A closing formula as OCR leaves it ('Respectfullv yours,', 'Faithf ully ae',
    'wincerelly yours,'): short, and either '<adverb> yours' or close in spelling to a
    formula. The closing is the surest sign that a page ends a letter."""
    if len(text) > 32 or len(text.split()) > 4:
        return False
    if _ADVERB_YOURS.match(text):
        return True
    letters = re.sub(r"[^a-z]", "", text.lower())
    return len(letters) >= 8 and any(fuzz.ratio(letters, f) >= 82 for f in _CLOSING_FORMULAS)


def _split_closing(text: str) -> tuple[str | None, str]:
    """Cut 'Yours very sincerely, (SGD) NAME' into the formula and the signature.

    Returns (None, text) when the line does not start with a closing formula or
    what follows the formula is not a signature (so 'I have the honor to be
    informed' stays prose)."""
    if len(text) > 90 or not _CLOSING_HEAD.match(text):
        return None, text
    tokens = text.split()
    cut = 0
    for token in tokens:
        letters = re.sub(r"[^A-Za-z]", "", token).lower()
        if letters and not _closing_word(letters):
            break
        cut += 1
    head = " ".join(tokens[:cut])
    tail = " ".join(tokens[cut:])
    if not head or (tail and not _looks_signed(tail)):
        return None, text
    return head, tail


_LONG_CLOSING_WORDS = tuple(word for word in _CLOSING_WORDS if len(word) >= 6)


def _closing_word(word: str) -> bool:
    """A word of closing formulas, or one OCR misread by a letter ('gervant', 'obedlent')."""
    return word in _CLOSING_WORDS or (len(word) >= 6 and any(
        abs(len(word) - len(known)) <= 1 and fuzz.ratio(word, known) >= 80
        for known in _LONG_CLOSING_WORDS))


def _looks_signed(text: str) -> bool:
    return bool(_SIGNED.match(text) or _CAPS_NAME.match(text) or _INITIALS.match(text))


def _is_number_line(text: str) -> bool:
    return len(text) <= 32 and bool(_NUMBER_LINE.match(text))


def _is_reference_line(text: str) -> bool:
    """File and registry numbers, alone or with 'File'/'No.'/'Ref.' around them."""
    if len(text) > 60:
        return False
    numbers = [n for n in _FILE_NUMBER.findall(text) if not find_dates(n)]
    if not numbers and not _DECIMAL_FILE.search(text):
        return False
    rest = _DECIMAL_FILE.sub(" ", _FILE_NUMBER.sub(" ", text))
    return all(w.lower() in _REFERENCE_WORDS for w in _words(rest))


def _place_date_mention(text: str):
    """The date of a place-and-date line ('Budapest, January 25, 1939.'), else None.

    The rest of the line must read as a place: capitalised words and a few
    connectors, so a body line mentioning a date is not taken for one."""
    if len(text) > 70:
        return None
    mentions = [m for m in find_dates(text) if m.precision in ("day", "month")]
    if len(mentions) != 1:
        return None
    mention = mentions[0]
    rest = text[: mention.start] + " " + text[mention.end:]
    words = [w.strip("'’\"") for w in _words(rest)]
    if len(words) > 6:
        return None
    if all(w[:1].isupper() or w.lower() in _PLACE_CONNECTORS for w in words if w):
        return mention
    return None


def place_before_date(text: str) -> str | None:
    """The place typed before a date: the run of capitalised words (and connectors) that ends
    where the date begins, so a despatch number or a stamp's figures in front of it
    ('No. 12. Lisbon, ', '| 3 18 jo49 - Lisbon, Portugal, ') are not part of it."""
    kept: list[str] = []
    for token in reversed(text.rstrip(" ,.;:(").split()):
        if not kept and not re.search(r"\w", token):
            continue  # a speck between the place and the date ('Athens, ‘April 4th')
        bare = token.strip(",.;:'’\"()")
        if not (bare[:1].isupper() or bare.lower() in _PLACE_CONNECTORS):
            break
        kept.insert(0, token)
    while kept and kept[0].strip(",.;:").lower() in _PLACE_CONNECTORS:
        kept.pop(0)
    place = " ".join(kept).strip(" ,.;:(")
    return place if re.search(r"[A-Za-zÀ-ÿ]{2}", place) else None


def _date_line_after_debris(text: str) -> bool:
    """A place-and-date line that OCR prefixed with a stamp's figures or specks: one full date
    ending the line, a place right before it. Only trusted in a letter's head."""
    if len(text) > 90:
        return False
    mentions = [m for m in find_dates(text) if m.precision == "day" and m.value is not None]
    if len(mentions) != 1:
        return False
    mention = mentions[0]
    if len(text[mention.end:].strip(" .,;:")) > 3:
        return False
    return place_before_date(text[: mention.start]) is not None


_STAMP_DATE = re.compile(
    r"\b(?:JAN|FEB|MAR|APR|MAY|JUN|JUL|AUG|SEP|SEPT|OCT|NOV|DEC)\s+\d{1,2}\s+1[89]\d\d\b"
)
"""'APR 26 1939': a receipt stamp's date (typists write 'April 26, 1939')."""


def _is_stamp(text: str) -> bool:
    if not _is_caps(text) or len(text) > 60:
        return False
    if _STAMP.search(text):
        return True
    return bool(re.match(r"^\d{4}\s+[A-Z]{3,9}\.?\s+\d{1,2}$", text))


def _is_marginalia(text: str) -> bool:
    """Registry scribbles and OCR debris: short and mostly not letters."""
    if len(text) > 25 or _BARE_NUMBER.match(text) or find_dates(text):
        return False
    if re.fullmatch(r"[A-Za-z]|[^\w\s]+", text):
        return True
    return _letter_ratio(text) < 0.5 or bool(re.search(r"[{}|]", text))


_STRONG_TESTS = (
    ("page_number", lambda t: bool(_PAGE_NUMBER.match(t))),
    ("catchword", lambda t: bool(_CATCHWORD_SLASH.match(t))),
    ("typist_reference", lambda t: bool(_TYPIST.match(t))),
    ("classification", _is_classification),
    ("salutation", _is_salutation),
    ("closing", _is_closing),
    ("signature", lambda t: len(t) <= 60 and bool(_SIGNED.match(t))),
    ("postscript", lambda t: bool(_POSTSCRIPT.match(t))),
    ("enclosure_note", lambda t: len(t) <= 80 and bool(_ENCLOSURE_HEAD.match(t))),
    ("other", lambda t: bool(_DISTRIBUTION.match(t) or _STATUS.match(t))),
    ("stamp", _is_stamp),
    ("number", _is_number_line),
    ("place_date", lambda t: _place_date_mention(t) is not None),
    ("reference", _is_reference_line),
    ("subject", lambda t: len(t) <= 200
                          and bool(_SUBJECT_STRICT.match(t) or _SUBJECT_BARE.match(t))),
    ("marginalia", lambda t: _is_marginalia(t) or _is_debris(t)),
)


# --------------------------------------------------------------------------
# Pieces: non-blank lines (or parts of lines) with their block
# --------------------------------------------------------------------------


@dataclass
class _Piece:
    line: int
    text: str
    block: int
    page: int
    kind: str = ""
    hint: str = ""
    joins: bool = False  # the tagger read it as the next line of the part above


def _pieces(lines: list[Line]) -> list[_Piece]:
    pieces: list[_Piece] = []
    block = 0
    previous: int | None = None
    rows = _rejoined_rows(lines)
    spacing = _typical_gaps(lines)
    for index, line in enumerate(lines):
        if rows.get(index) == "":
            continue  # a fragment put back at the end of its typed line
        text = _strip_edge_marks(rows.get(index, line.text).strip())
        if not text:
            block += 1 if previous is not None else 0
            previous = None
            continue
        if previous is not None and _new_block(lines, previous, index, spacing):
            block += 1
        pieces.extend(_split_line(index, text, block, line.page))
        previous = index
    return _in_reading_order(pieces, lines)


def _rejoined_rows(lines: list[Line]) -> dict[int, str]:
    """Typed lines that OCR cut in two, put back together: Tesseract may read the end of a
    line ('1936.' after 'Washington, D. C., September 6th,') as a block of its own and give it
    anywhere in its reading order. A fragment on the same row as a line, a space or two beside
    it, belongs to that line; the line read first keeps the text of both, left to right, and
    the other maps to ''. A label and the text tabbed away from it stay apart."""
    by_page: dict[int, list[int]] = {}
    for index, line in enumerate(lines):
        if line.box is not None and line.text.strip():
            by_page.setdefault(line.page, []).append(index)
    texts: dict[int, str] = {}
    for indexes in by_page.values():
        boxes = {i: lines[i].box for i in indexes}
        parts: dict[int, list[int]] = {i: [i] for i in indexes}
        for i in indexes:
            if i not in parts:
                continue
            joined = True
            while joined:
                joined = False
                for j in indexes:
                    if j == i or j not in parts or not _beside(boxes[i], boxes[j]):
                        continue
                    parts[i] += parts.pop(j)
                    boxes[i] = _union([boxes[i], boxes[j]])
                    joined = True
        for i, members in parts.items():
            if len(members) > 1:
                ordered = sorted(members, key=lambda m: lines[m].box[0])
                texts[i] = " ".join(lines[m].text.strip() for m in ordered)
                texts.update({m: "" for m in members if m != i})
    return texts


def _beside(a: tuple[int, int, int, int], b: tuple[int, int, int, int]) -> bool:
    """Two boxes of one typed line: the same row, a word space or two apart. On a skewed scan
    a long line's box is taller than the text is high, so the shorter box (a fragment's height
    is about the text's) need only lie mostly within the taller one."""
    if not _one_row(a, b):
        return False
    shorter = min(a[3], b[3])
    left, right = (a, b) if a[0] <= b[0] else (b, a)
    gap = right[0] - (left[0] + left[2])
    return -0.5 * shorter <= gap <= 1.5 * shorter


def _one_row(a: tuple[int, int, int, int], b: tuple[int, int, int, int]) -> bool:
    """Boxes on one row of type, a skewed scan's taller boxes allowed for."""
    top, bottom = max(a[1], b[1]), min(a[1] + a[3], b[1] + b[3])
    taller, shorter = max(a[3], b[3]), min(a[3], b[3])
    return taller <= 2.5 * shorter and bottom - top >= 0.7 * shorter


_NUMBER_PREFIX = re.compile(rf"^(?P<number>{NUMBER_MARK}\d[\d\-/]*\.?)\s+(?=[A-Z(\"'“‘])")


def _split_line(index: int, text: str, block: int, page: int) -> list[_Piece]:
    """One line, or two when a typist put two parts on it: a closing and its signature, or a
    despatch number and the place-and-date line (or letterhead) beside it."""
    head, tail = _split_closing(text)
    if head is not None and tail:
        return [
            _Piece(index, head, block, page, hint="closing"),
            _Piece(index, tail, block, page, hint="signature"),
        ]
    number = _NUMBER_PREFIX.match(text)
    if number and not _is_prose(text[number.end():]):
        return [
            _Piece(index, number.group("number"), block, page, hint="number"),
            _Piece(index, text[number.end():], block, page),
        ]
    return [_Piece(index, text, block, page)]


def _in_reading_order(pieces: list[_Piece], lines: list[Line]) -> list[_Piece]:
    """Tesseract reads a label and the text beside it as two lines and may give the right one
    first ('Closing of the ...' before 'Subject:'): pieces on one row are put left to right.
    Blocks keep their positions, so the block sequence does not change."""
    ordered = list(pieces)
    for i in range(len(ordered) - 1):
        a, b = ordered[i], ordered[i + 1]
        if a.line != b.line and _same_row(lines[a.line], lines[b.line]) \
                and _left_of(lines[b.line], lines[a.line]):
            a.block, b.block = b.block, a.block
            ordered[i], ordered[i + 1] = b, a
    return ordered


def _same_row(a: Line, b: Line) -> bool:
    if a.box is None or b.box is None or a.page != b.page:
        return False
    top = max(a.box[1], b.box[1])
    bottom = min(a.box[1] + a.box[3], b.box[1] + b.box[3])
    taller, shorter = max(a.box[3], b.box[3]), min(a.box[3], b.box[3])
    return taller <= 2 * shorter and bottom - top >= 0.5 * taller


def _left_of(a: Line, b: Line) -> bool:
    return a.box[0] + a.box[2] <= b.box[0] + 0.05 * b.box[2]


def _new_block(lines: list[Line], previous: int, current: int, spacing: dict[int, float]
               ) -> bool:
    """A page change, or (with OCR boxes) a vertical gap clearly wider than line spacing
    (`spacing`: each page's typical gap between lines, from _typical_gaps)."""
    before, line = lines[previous], lines[current]
    if before.page != line.page:
        return True
    if before.box is None or line.box is None:
        return False
    gap = line.box[1] - (before.box[1] + before.box[3])
    typical = spacing.get(line.page, 0.0)
    height = max(1, min(before.box[3], line.box[3]))
    return gap > max(1.6 * typical, typical + 0.8 * height)


def _typical_gaps(lines: list[Line]) -> dict[int, float]:
    """The median gap between consecutive lines of each page, worked out once per document: per
    line it made segmenting a long document quadratic (a 2,000-page stream of one generated
    document took 74 s in this alone)."""
    boxes_by_page: dict[int, list[tuple[int, int, int, int]]] = {}
    for line in lines:
        if line.box and line.text.strip():
            boxes_by_page.setdefault(line.page, []).append(line.box)
    typical = {}
    for page, boxes in boxes_by_page.items():
        gaps = sorted(
            max(0, b[1] - (a[1] + a[3])) for a, b in zip(boxes, boxes[1:]) if b[1] > a[1])
        typical[page] = float(gaps[len(gaps) // 2]) if gaps else 0.0
    return typical


# --------------------------------------------------------------------------
# Tagging: content first, then the letter's running state, then position
# --------------------------------------------------------------------------


@dataclass
class _State:
    head: bool = True  # still in the letter's head (before salutation or first prose)
    body_started: bool = False
    seen_anchor: bool = False  # a date, addressee or salutation: the letterhead is over
    closed: bool = False  # a closing formula has been seen
    mode: str | None = None  # the multi-line part being read
    mode_lines: int = 0
    mode_block: int = -1
    last_text: str = ""
    subject_prefixed: bool = False
    signed: bool = False


@dataclass
class _Tagger:
    pieces: list[_Piece]
    lines: list[Line] = field(default_factory=list)
    state: _State = field(default_factory=_State)

    def run(self) -> None:
        for index, piece in enumerate(self.pieces):
            piece.kind = self._kind(index, piece)
            self._update(piece)

    def _kind(self, index: int, piece: _Piece) -> str:
        if piece.hint:
            return piece.hint
        text = piece.text
        strong = _strong_kind(text)
        if strong == "subject" and self.state.body_started:
            strong = None
        if strong == "marginalia" and self.state.mode == "addressee" and _ADDRESS.search(text):
            piece.joins = self._continuation(piece) is not None  # postal districts: 'W. C. 1.'
            strong = "addressee" if piece.joins else strong
        if strong is not None:
            return self._refine_strong(strong, piece)
        if self.state.head and _date_line_after_debris(text):
            return "place_date"
        continued = self._continuation(piece)
        if continued:
            piece.joins = True
            return continued
        return self._positional(index, piece) or self._head_kind(index, piece) or "paragraph"

    def _refine_strong(self, kind: str, piece: _Piece) -> str:
        if kind == "stamp" and self.state.head and not self.state.seen_anchor \
                and _DOC_TYPE_HEADING.search(piece.text):
            return "letterhead"  # 'TELEGRAM RECEIVED': the form's heading names the document
        if kind == "stamp" and self.state.body_started and self._inside_paragraph(piece):
            return "paragraph"  # a line of an all-capitals body that mentions receiving
        if kind == "place_date" and _is_caps(piece.text) and (
                re.match(r"^\d{4}\s", piece.text) or _STAMP_DATE.search(piece.text)):
            return "stamp"
        return kind

    def _inside_paragraph(self, piece: _Piece) -> bool:
        """The piece continues the paragraph just read: same block, several words."""
        index = self.pieces.index(piece)
        before = self.pieces[index - 1] if index else None
        return before is not None and before.kind == "paragraph" \
            and before.block == piece.block and len(_words(piece.text)) >= 5

    def _continuation(self, piece: _Piece) -> str | None:
        state, text = self.state, piece.text
        same_block = piece.block == state.mode_block
        if state.mode == "addressee" and _FROM_LABEL.match(text):
            return None
        if state.mode == "addressee":
            in_reach = same_block or (piece.block == state.mode_block + 1
                                      and _expects_more_address(state.last_text))
            if in_reach and state.mode_lines < 8 and not state.last_text.endswith(".") \
                    and len(text) <= 60 and not _is_prose(text):
                return "addressee"
        elif state.mode == "subject":
            if same_block and state.mode_lines < 3 and not state.last_text.endswith(".") \
                    and (state.subject_prefixed or not _is_prose(text)) \
                    and not _HEAD_LABEL.match(text):
                return "subject"
        elif state.mode == "closing":
            if same_block and all(_closing_word(w.lower()) for w in _words(text)):
                return "closing"
            if piece.block <= state.mode_block + 1 and len(text) <= 60 and text[0].isupper() \
                    and not _BARE_NUMBER.match(text):
                return "signature"  # whatever follows the formula names the signer
        elif state.mode == "signature":
            if same_block and state.mode_lines < 5 and _signature_like(text):
                return "signature"
        elif state.mode == "postscript":
            if same_block or (state.closed and _is_prose(text)):
                return "postscript"
        elif state.mode == "enclosure":
            listed = state.mode_lines == 1 or re.match(r"^(?:\d{1,2}\s?[/.)]|[-–•])\s*\S", text)
            if same_block and state.mode_lines < 12 and listed:
                return "enclosure_note"
        if state.closed and _ENCLOSURE_ITEM.match(text):
            return "enclosure_note"
        if state.closed and not state.signed and _name_like(text):
            return "signature"  # the signer's name, typed away from the closing
        return None

    def _positional(self, index: int, piece: _Piece) -> str | None:
        text = piece.text
        first, last = self._page_edges(index)
        if _BARE_NUMBER.match(text):
            if (first or last) and not self._beside_text(piece):
                return "page_number"
            return "reference" if self.state.closed else "marginalia"
        if _INITIALS.match(text):
            return "signature"
        if index == len(self.pieces) - 1 and self._closing_name(piece):
            return "signature"
        if last and self._is_page_foot_catchword(index, piece):
            return "catchword"
        return None

    def _opens_paragraph(self, index: int, piece: _Piece) -> bool:
        """An unfinished line the next line of its block carries on as prose: the first line
        of the body (a telegram's capitals read like a title), not a heading."""
        if _ends_sentence(piece.text) or index + 1 >= len(self.pieces):
            return False
        following = self.pieces[index + 1]
        return following.block == piece.block and following.page == piece.page \
            and _running_text(following.text) and _strong_kind(following.text) in (None, "stamp")

    def _beside_text(self, piece: _Piece) -> bool:
        """Another line on the piece's row: a figure typed beside text (the year of a date line
        OCR read apart), not a page number, which stands alone above or below the text."""
        if not self.lines or self.lines[piece.line].box is None:
            return False
        line = self.lines[piece.line]
        return any(other is not line and other.text.strip() and other.box is not None
                   and other.page == line.page and _one_row(line.box, other.box)
                   for other in self.lines)

    def _closing_name(self, piece: _Piece) -> bool:
        """A name ending the document after a finished sentence, with no closing formula: a
        telegram's 'THORNBURY' (capitals, nothing after it, so not a catchword), a
        memorandum's 'Richard P. Roe' typed apart from the text."""
        state, text = self.state, _TRAILING_SPECK.sub("", piece.text.strip())
        if not state.body_started or state.signed or state.closed \
                or not _ends_sentence(_TRAILING_SPECK.sub("", state.last_text)):
            return False
        words = _words(text)
        if _CAPS_NAME.match(text) and 1 <= len(words) <= 3 \
                and all(len(w) >= 3 and w.lower() not in _SENTENCE_OPENERS for w in words):
            return True
        return _name_like(text) and self._set_apart(piece)

    def _set_apart(self, piece: _Piece) -> bool:
        """Typed away from the text above it: a block of its own, or (with OCR boxes) indented
        well to the right of the line before it."""
        index = self.pieces.index(piece)
        before = self.pieces[index - 1] if index else None
        if before is None or before.block != piece.block:
            return True
        if not self.lines:
            return False
        above, line = self.lines[before.line], self.lines[piece.line]
        if above.box is None or line.box is None or not line.page_width:
            return False
        return line.box[0] - above.box[0] > 0.25 * line.page_width

    def _page_edges(self, index: int) -> tuple[bool, bool]:
        page = self.pieces[index].page
        first = index == 0 or self.pieces[index - 1].page != page
        last = index == len(self.pieces) - 1 or self.pieces[index + 1].page != page
        return first, last

    def _is_page_foot_catchword(self, index: int, piece: _Piece) -> bool:
        """One word alone at a page foot, repeated by the next page or left hanging."""
        words = piece.text.split()
        if len(words) != 1 or not _words(piece.text):
            return False
        word = piece.text.rstrip("./…,")
        following = self._next_page_opening(index)
        if following is not None:
            return _same_word(word, following)
        unfinished = piece.text.endswith(("..", "…")) or not _ends_sentence(piece.text)
        return unfinished and index > 0

    def _next_page_opening(self, index: int) -> str | None:
        page = self.pieces[index].page
        for piece in self.pieces[index + 1:]:
            if piece.page == page:
                continue
            kind = _strong_kind(piece.text)
            if kind in NON_READING or kind == "catchword":
                continue
            return piece.text.split()[0]
        return None

    def _head_kind(self, index: int, piece: _Piece) -> str | None:
        """Lines of the letter's head that no content rule claimed."""
        state, text = self.state, piece.text
        if not state.body_started and _SUBJECT_LOOSE.match(text) and len(text) <= 200:
            return "subject"
        if state.head and not state.body_started and _FROM_LABEL.match(text) and len(text) <= 70:
            return "other"  # 'FROM: Mr. Caldwell', a telegram's 'FROM  Sofia': origin, not subject
        if _typed_prose(text) or (_is_prose(text) and not state.head):
            return None
        if _opens_addressee(text, in_head=state.head):
            return "addressee"
        if not state.head or self._opens_paragraph(index, piece):
            return None
        typed = all(_well_formed(token) for token in _TRAILING_SPECK.sub("", text).split())
        if ":" in text.rstrip(":") and _title_like(text) and typed:
            return "subject"
        if not state.seen_anchor and _letterhead_like(text):
            return "letterhead"
        if _title_like(text) and typed and len(text.split()) >= 2:
            return "subject"
        return "other"

    def _update(self, piece: _Piece) -> None:
        state, kind = self.state, piece.kind
        if kind in NON_READING:
            return
        if kind in ("place_date", "addressee", "salutation"):
            state.seen_anchor = True
        if kind == "salutation":
            state.head = False
        if kind == "paragraph":
            state.head = False
            state.body_started = True
        if kind == "closing":
            state.closed = True
        if kind == "signature" and not _ACTING_FOR.match(piece.text):
            state.signed = True  # 'For the Minister:' announces the signer, it does not name him
        mode = _MODES.get(kind)
        if mode is not None and mode == state.mode and kind != "closing":
            state.mode_lines += 1
        else:
            state.mode, state.mode_lines = mode, 1
            state.subject_prefixed = bool(_SUBJECT_STRICT.match(piece.text)
                                          or _SUBJECT_BARE.match(piece.text))
        state.mode_block = piece.block
        state.last_text = piece.text


_MODES = {
    "addressee": "addressee",
    "subject": "subject",
    "closing": "closing",
    "signature": "signature",
    "postscript": "postscript",
    "enclosure_note": "enclosure",
}


def _signature_like(text: str) -> bool:
    """A name, rank or post line of a signature block (not prose, not a bare number)."""
    if len(text) > 50 or _is_prose(text) or not _words(text) or _BARE_NUMBER.match(text):
        return False
    return text[0].isupper() or text.startswith("(")


def _name_like(text: str) -> bool:
    """'Richard P. Roe': two to four capitalised words or initials, nothing else."""
    tokens = text.rstrip(".,").split()
    return 2 <= len(tokens) <= 4 and len(text) <= 40 and not _ORG_WORD.search(text) and all(
        re.fullmatch(r"[A-Z][a-zà-ÿ'’\-]+|[A-Z][A-Z'’\-]+|[A-Z]\.", token) for token in tokens
    )


def _opens_addressee(text: str, *, in_head: bool) -> bool:
    if len(text) > 70:
        return False
    if _HONORIFIC_OPENER.match(text):
        return True
    to = _TO_OPENER.match(text)
    if to:
        rest = to.group("rest") if to.group("rest") is not None else to.group("name")
        return not rest or _mostly_capitalised(rest) or text.rstrip().endswith(",")
    if not in_head:
        return False
    if _FUNCTION_OPENER.match(text) and text.rstrip().endswith(","):
        return True
    return bool(_PERSON_OPENER.match(text)) and text.rstrip().endswith(",")


def _expects_more_address(text: str) -> bool:
    """An addressee line that cannot end the block ('The Honorable', 'The Minister of Finance,'):
    the next line belongs to it even across the wide spacing of a despatch's head."""
    return text.rstrip().endswith(",") or (
        bool(_HONORIFIC_OPENER.match(text)) and len(text.split()) <= 3)


def _mostly_capitalised(text: str) -> bool:
    words = [w for w in _words(text) if len(w) > 3]
    return bool(words) and sum(w[0].isupper() for w in words) / len(words) >= 0.6


def _title_like(text: str) -> bool:
    words = _words(text)
    if not words or len(words) > 10 or len(text) > 80 or text.rstrip().endswith(","):
        return False
    return text[0].isupper() and _mostly_capitalised(text)


def _letterhead_like(text: str) -> bool:
    return _is_caps(text) or bool(_ORG_WORD.search(text)) or bool(_ADDRESS.search(text)) \
        or text.rstrip().endswith(",")


def _same_word(a: str, b: str) -> bool:
    a = a.strip(".,;:/…\"'“”").lower()
    b = b.strip(".,;:/…\"'“”").lower()
    return bool(a) and (a == b or (min(len(a), len(b)) >= 4 and fuzz.ratio(a, b) >= 80))


def _split_inline_catchwords(pieces: list[_Piece]) -> list[_Piece]:
    """'... felt sure that/' at a block's end: the last word is the next page's catchword."""
    result: list[_Piece] = []
    for index, piece in enumerate(pieces):
        ends_block = index == len(pieces) - 1 or pieces[index + 1].block != piece.block
        match = _INLINE_CATCHWORD.search(piece.text)
        if piece.kind == "paragraph" and ends_block and match:
            result.append(_Piece(piece.line, piece.text[: match.start()].rstrip(), piece.block,
                                 piece.page, "paragraph"))
            result.append(_Piece(piece.line, match.group("word") + "/", piece.block, piece.page,
                                 "catchword"))
        else:
            result.append(piece)
    return result


# --------------------------------------------------------------------------
# Grouping pieces into segments
# --------------------------------------------------------------------------

_ALONE = {"catchword", "page_number", "salutation", "place_date", "number"}
_HEAD_PARTS = {"subject", "addressee"}
_PROSE_KINDS = {"paragraph", "postscript", "quotation"}


def segment_document(lines: list[Line]) -> list[Segment]:
    """Letter parts in reading order.

    Lines are classified by what they say (closing formulas, grading words,
    registry marks...), then by where the letter is (head, body, after the
    closing), then by their position on the page (catchwords and page numbers
    sit at the edges). Runs of lines of the same kind inside one block make one
    segment; prose is further cut into paragraphs."""
    pieces = _pieces(lines)
    _Tagger(pieces, lines).run()
    pieces = _split_inline_catchwords(pieces)
    widths = _block_widths(pieces)
    groups: list[list[_Piece]] = []
    for piece in pieces:
        if groups and _continues_group(groups[-1], piece, lines, widths):
            groups[-1].append(piece)
        else:
            groups.append([piece])
    return [_quotation_or_same(_segment(group, lines)) for group in groups]


def _continues_group(
    group: list[_Piece], piece: _Piece, lines: list[Line], widths: dict[int, int]
) -> bool:
    last = group[-1]
    if piece.kind in _HEAD_PARTS and not piece.joins:
        return False  # a second subject or addressee, not a line of the first
    if piece.kind == last.kind == "addressee" and piece.block == last.block + 1:
        return _expects_more_address(last.text)  # one block typed with wide line spacing
    if piece.kind != last.kind or piece.block != last.block or piece.kind in _ALONE:
        return False
    if piece.kind in _PROSE_KINDS:
        return not _paragraph_break(last, piece, lines, widths)
    return True


def _block_widths(pieces: list[_Piece]) -> dict[int, int]:
    """A block's typical prose line length, to recognise a paragraph's short last line."""
    by_block: dict[int, list[int]] = {}
    for piece in pieces:
        if piece.kind in _PROSE_KINDS:
            by_block.setdefault(piece.block, []).append(len(piece.text))
    return {
        block: sorted(lengths)[int(0.8 * (len(lengths) - 1))]
        for block, lengths in by_block.items()
        if len(lengths) >= 3
    }


def _paragraph_break(before: _Piece, piece: _Piece, lines: list[Line], widths: dict[int, int]) -> bool:
    starts_anew = piece.text[:1].isupper() or piece.text[:1].isdigit() or piece.text[:1] in _OPEN_QUOTES
    if not starts_anew:
        return False
    if _indented(lines, before.line, piece.line):
        return True
    width = widths.get(piece.block)
    return bool(width) and _ends_sentence(before.text) and len(before.text) < 0.75 * width


def _indented(lines: list[Line], before: int, current: int) -> bool:
    a, b = lines[before].box, lines[current].box
    if a is None or b is None:
        return False
    page_width = lines[current].page_width or 0
    return b[0] - a[0] > max(0.02 * page_width, 0.8 * min(a[3], b[3]))


def _segment(group: list[_Piece], lines: list[Line]) -> Segment:
    boxes = [lines[i].box for i in sorted({p.line for p in group}) if lines[i].box]
    return Segment(
        kind=group[0].kind,
        text="\n".join(p.text for p in group),
        page=lines[group[0].line].page,
        first_line=group[0].line,
        last_line=group[-1].line,
        box=_union(boxes),
    )


def _union(boxes: list[tuple[int, int, int, int]]) -> tuple[int, int, int, int] | None:
    if not boxes:
        return None
    left = min(b[0] for b in boxes)
    top = min(b[1] for b in boxes)
    right = max(b[0] + b[2] for b in boxes)
    bottom = max(b[1] + b[3] for b in boxes)
    return left, top, right - left, bottom - top


def _quotation_or_same(segment: Segment) -> Segment:
    """A paragraph wholly inside quotation marks is a quoted passage."""
    text = segment.text.strip()
    if segment.kind == "paragraph" and len(text) > 40 and text[0] in _OPEN_QUOTES \
            and text.rstrip(".,;")[-1:] in _CLOSE_QUOTES:
        segment.kind = "quotation"
    return segment


# --------------------------------------------------------------------------
# Reading text
# --------------------------------------------------------------------------

_DEFERRABLE = {"addressee", "typist_reference", "reference", "enclosure_note", "other"}


def reading_text(segments: list[Segment]) -> str:
    """The text a reader follows: registry marks, page furniture and catchwords
    dropped, and a paragraph cut by a page break (or by an addressee block typed
    at the foot of the first page) joined back to its continuation."""
    parts: list[str] = []
    deferred: list[str] = []  # head and foot matter met while a sentence is unfinished
    open_index: int | None = None  # the paragraph whose sentence is unfinished
    catchword: str | None = None
    for segment in segments:
        if segment.kind == "catchword":
            catchword = segment.text.rstrip("/").strip()
            continue
        if segment.kind in NON_READING:
            continue
        text = _reading(segment)
        if open_index is not None and segment.kind in _DEFERRABLE:
            deferred.append(text)
            continue
        if open_index is not None and segment.kind in _PROSE_KINDS and _continues(text, catchword):
            parts[open_index] = _join_lines([parts[open_index], text])
            parts.extend(deferred)
            if _ends_sentence(text):
                open_index = None
        else:
            parts.extend(deferred)
            parts.append(text)
            unfinished = segment.kind in _PROSE_KINDS and not _ends_sentence(text)
            open_index = len(parts) - 1 if unfinished else None
        deferred = []
        catchword = None
    parts.extend(deferred)
    return "\n\n".join(p for p in parts if p)


def _continues(text: str, catchword: str | None) -> bool:
    first = text.split()[0] if text.split() else ""
    if catchword:
        return _same_word(catchword, first)
    return first[:1].islower()


def _reading(segment: Segment) -> str:
    lines = [line.strip() for line in segment.text.split("\n") if line.strip()]
    if segment.kind in _PROSE_KINDS:
        return _join_lines([_ENCLOSURE_ITEM.sub("", line) for line in lines])
    return "\n".join(lines)


def _join_lines(lines: list[str]) -> str:
    """Join typed lines into running text, undoing line-end hyphenation."""
    text = ""
    for line in lines:
        if not text:
            text = line
        elif re.search(r"[A-Za-zÀ-ÿ]-$", text) and line[:1].islower():
            text = text[:-1] + line
        elif re.search(r"[A-Za-zÀ-ÿ]-$", text):
            text += line
        else:
            text += " " + line
    return text


# --------------------------------------------------------------------------
# Page streams
# --------------------------------------------------------------------------

_HEAD_CUES = {
    "salutation": 3, "addressee": 2, "place_date": 2, "number": 1, "classification": 1,
    "letterhead": 1, "subject": 1, "reference": 1,
}
"""First-page cues: the parts of a letter's head, by how surely they open a letter."""

_SIGNED_OFF = 3
"""A closing formula or signature ending the previous page."""
_FOOT_CUES = {"typist_reference": 1, "enclosure_note": 1}
"""What typists and registries add after the signature, on a letter's last page."""

_PAGE_RUNS_ON = 6
"""The previous page's catchword is this page's first word, or its unfinished sentence goes
on in this page's first line (in lower case): the surest signs of a continuation after a
printed page number."""
_PROSE_RUNS_ON = 4
"""The previous page broke off mid-sentence or on a catchword, and this page opens with
prose (capitalised: a name may carry the sentence over)."""
_BROKEN_OFF = 2
"""The previous page broke off, yet this page opens with a head: a page may be missing."""
_ENDS_A_LETTER = 4
"""This page opens with what ends a letter (closing, signature, postscript): the letter's
last sheet."""
_OPENS_AT = 3
"""First-page cues minus continuity cues at which a page opens a document."""


@dataclass
class _PageView:
    printed_number: int | None
    head_score: int  # first-page cues in the page's head
    foot_score: int  # last-page cues at the page's foot
    catchword: str | None  # the word the page ends on for the next page
    broken_off: bool  # the page's last sentence is unfinished
    opening: str | None  # the first part the page reads with
    opening_word: str = ""


def document_starts(pages: list[list[Line]]) -> list[int]:
    """Indexes of the pages that open a new document in a stream of pages.

    Each page boundary is weighed: the cues that a page is a first page (letterhead, grading,
    file and despatch numbers, place and date, subject, addressee, salutation) and that the page
    before it was a last page (closing, signature, typist's reference, enclosure note) against
    the cues that the page goes on with the document (a sentence running across the break, the
    previous page's catchword repeated, a page opening with a closing or a postscript). A
    printed page number above 1 settles it: the page continues."""
    return [index for index, opens in enumerate(document_breaks(pages)) if opens]


def document_breaks(pages: Iterable[list[Line]]) -> Iterator[bool]:
    """For each page of a stream, whether it opens a new document (the first page does): the
    rule of `document_starts`, one page at a time, so that a stream longer than memory can be
    split as it is read. Each decision needs only the page before."""
    return segmented_breaks(page_segments(page) for page in pages)


def page_segments(page: list[Line]) -> list[Segment]:
    """A page segmented on its own, as the first page of a document: what `document_breaks`
    reads of it, and, when the page turns out to be a whole document, that document's
    segments (a caller that keeps them need not segment the page twice)."""
    return segment_document([Line(line.text, 0, line.box, line.page_width) for line in page])


def segmented_breaks(pages: Iterable[list[Segment]]) -> Iterator[bool]:
    """`document_breaks` of pages already segmented by `page_segments`."""
    previous: _PageView | None = None
    for segments in pages:
        view = _view(segments)
        yield previous is None or _opens_document(view, previous)
        previous = view


def _opens_document(page: _PageView, previous: _PageView) -> bool:
    if page.printed_number is not None and page.printed_number > 1:
        return False
    opening = page.head_score + previous.foot_score
    return opening - _continuity(page, previous) >= _OPENS_AT


def _continuity(page: _PageView, previous: _PageView) -> int:
    """How strongly the page reads as the next sheet of the previous page's document."""
    score = 0
    if page.opening in ("closing", "signature", "postscript"):
        score += _ENDS_A_LETTER
    if previous.catchword is not None:
        if page.opening_word and _same_word(previous.catchword, page.opening_word):
            score += _PAGE_RUNS_ON
        else:
            score += _PROSE_RUNS_ON if page.opening in _PROSE_KINDS else _BROKEN_OFF
    elif previous.broken_off:
        if page.opening in _PROSE_KINDS:
            score += _PAGE_RUNS_ON if page.opening_word[:1].islower() else _PROSE_RUNS_ON
        else:
            score += _BROKEN_OFF
    return score


def _view(segments: list[Segment]) -> _PageView:
    reading = [s for s in segments if s.kind not in NON_READING or s.kind == "catchword"]
    opening = next((s for s in reading if s.kind != "catchword"), None)
    words = opening.text.split() if opening else []
    return _PageView(
        printed_number=_printed_number(segments),
        head_score=_head_score(segments),
        foot_score=_foot_score(segments),
        catchword=_catchword(reading),
        broken_off=_broken_off(reading),
        opening=opening.kind if opening else None,
        opening_word=words[0] if words else "",
    )


_MAX_PAGE = 99
"""A letter's own page numbers are small; a larger figure at a sheet's edge is a folio or file
number a registry stamped, and foliation runs on across documents."""


def _printed_number(segments: list[Segment]) -> int | None:
    for segment in segments:
        if segment.kind == "page_number":
            digits = re.search(r"\d+", segment.text)
            if digits and int(digits.group(0)) <= _MAX_PAGE:
                return int(digits.group(0))
    return None


_LETTERHEAD_PROSE = 40
"""Words of prose a letterhead may hold (a printed heading in another language, a postal
address) before an addressee or salutation still makes the page a first page."""


def _head_score(segments: list[Segment]) -> int:
    """How much of a letter's head the page shows before its body. Short paragraphs of stamp
    and pencil debris do not end the head; after a few lines of prose only an addressee or a
    salutation (never found inside a letter) still counts."""
    score = 0
    seen: set[str] = set()
    prose_words = 0
    for position, segment in enumerate(segments):
        if segment.kind in _PROSE_KINDS and _typed_prose(segment.text):
            prose_words += len(_words(segment.text))
        if prose_words > _LETTERHEAD_PROSE:
            break
        late = prose_words and segment.kind not in ("addressee", "salutation")
        if segment.kind in seen or late:
            continue
        seen.add(segment.kind)
        score += _HEAD_CUES.get(segment.kind, 0)
        if segment.kind == "addressee" and position == 0:
            score += 1  # an addressee block opening the page is as telling as a salutation
        if segment.kind == "letterhead" and _DOC_TYPE_HEADING.search(segment.text):
            score += 2
    return score


_PROSE_AFTER_SIGNING = 20
"""Words of prose after the closing or signature beyond which the page did not end there (a
distribution note or a misread line may follow a signature; a letter's body does not)."""


def _closes(segments: list[Segment]) -> bool:
    reading = [s for s in segments if s.kind not in NON_READING]
    signed_at = [i for i, s in enumerate(reading) if s.kind in ("closing", "signature")]
    if not signed_at:
        return False
    after = reading[signed_at[-1]:]
    prose = sum(len(_words(s.text)) for s in after
                if s.kind in ("paragraph", "quotation") and _typed_prose(s.text))
    return prose < _PROSE_AFTER_SIGNING


_AFTER_THE_TEXT = {"addressee", "typist_reference", "reference", "other", "enclosure_note"}
"""What a typist puts below the text of a sheet (the addressee block at the foot of a British
letter's first page, the typist's mark): a sentence or catchword before it still runs on."""


def _foot_score(segments: list[Segment]) -> int:
    if not _closes(segments):
        return 0
    reading = [s for s in segments if s.kind not in NON_READING]
    signed_at = max(i for i, s in enumerate(reading) if s.kind in ("closing", "signature"))
    kinds = {s.kind for s in reading[signed_at:]}
    return _SIGNED_OFF + sum(_FOOT_CUES.get(kind, 0) for kind in kinds)


def _text_end(reading: list[Segment]) -> list[Segment]:
    """The page from its last part of running text on, foot matter included."""
    for index in range(len(reading) - 1, -1, -1):
        if reading[index].kind not in _AFTER_THE_TEXT and reading[index].kind != "catchword":
            return reading[index:]
    return reading


def _catchword(reading: list[Segment]) -> str | None:
    """The catchword the page ends on, foot matter after it allowed."""
    for segment in _text_end(reading):
        if segment.kind == "catchword":
            return segment.text.rstrip("/").strip()
    return None


def _broken_off(reading: list[Segment]) -> bool:
    """The page's text ends in an unfinished sentence (foot matter after it allowed)."""
    end = _text_end(reading)
    return bool(end) and end[0].kind == "paragraph" and not _ends_sentence(end[0].text)
