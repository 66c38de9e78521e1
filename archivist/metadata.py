"""Document metadata and named entities from a letter's segments.

Everything is read from the parts ``structure.segment_document`` found: the
date from the place-and-date line, the sender from the signature, the
recipient from the addressee block or the salutation, grading and handling
from the classification lines. Entities come from general patterns of
diplomatic prose: titled names ("Mr. X", "M. X", "Lord X"), "the X Government",
"Department of State", places after "in"/"at"/"from" or in a small gazetteer
of the period's countries, capitals and regions. People named without a title
are found by what they do in the sentence ("X says", "X, who was"), by being
where the writer learnt something from, or by being a word no dictionary knows
that the collection keeps using as a name. No rule knows a document.
"""

from __future__ import annotations

import datetime
import re
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field

from archivist.align import tokenize
from archivist.dates import find_dates
from archivist.fusion import proper_names
from archivist.lexicon import is_word
from archivist.structure import (
    NUMBER_MARK,
    NON_READING,
    ORG_WORDS,
    PERSON_TITLES,
    SUBJECT_LABEL,
    Segment,
    marking_text,
    place_before_date,
)

__all__ = ["DocumentMeta", "Entity", "describe"]


@dataclass
class Entity:
    kind: str  # "person" | "place" | "organization" | "date" | "reference"
    text: str
    normalized: str
    segment: int


@dataclass
class DocumentMeta:
    doc_type: str = "other"
    doc_date: datetime.date | None = None
    date_text: str | None = None
    sender: str | None = None
    recipient: str | None = None
    classification: str | None = None
    subject: str | None = None
    place: str | None = None
    number: str | None = None
    sender_title: str | None = None
    sender_org: str | None = None
    recipient_title: str | None = None
    recipient_place: str | None = None
    handling: str | None = None
    references: list[str] = field(default_factory=list)
    salutation: str | None = None
    closing: str | None = None


def describe(
    segments: list[Segment],
    *,
    century: int | None = None,
    names: Mapping[str, int] | None = None,
) -> tuple[DocumentMeta, list[Entity]]:
    """Metadata of one document and the entities mentioned in it.

    ``century`` is passed to the date grammar for two-digit years; body dates
    without a year are resolved against the document's own date. ``names`` is the
    collection's vocabulary of proper names (lower-cased word -> how often it stands
    capitalised inside a sentence, as ``fusion.proper_names`` counts it); it lets a
    person named without a title be recognised. Without it, the document's own
    vocabulary is used."""
    meta = DocumentMeta()
    _read_date(meta, segments, century)
    _read_markings(meta, segments)
    _read_head(meta, segments)
    _read_addressee(meta, segments)
    initials = _read_signature(meta, segments)
    _read_from_line(meta, segments)
    if meta.sender is None and initials:
        meta.sender, meta.sender_title = initials  # initials only when nothing names the signer
    meta.doc_type = _doc_type(segments)
    entities = _entities(segments, meta, century, _vocabulary(segments, names))
    meta.references = _unique(e.normalized for e in entities if e.kind == "reference")
    return meta, entities


# --------------------------------------------------------------------------
# Shared vocabulary
# --------------------------------------------------------------------------

_SMALL_WORDS = {"of", "the", "for", "and", "in", "on", "at", "to", "de", "du", "von", "van", "am"}
_GRADING = ("top secret", "most secret", "strictly confidential", "secret", "confidential",
            "restricted")
_HANDLING_WORDS = {"personal", "private", "immediate", "urgent", "priority", "important", "bag",
                   "mail", "only", "clair"}
_FUNCTION_WORDS = re.compile(
    r"\b(?:secretary|under[\s\-]secretary|minister|ambassador|charg[ée]|consul|president|"
    r"chairman|director|commissioner|governor|envoy|counsellor|counselor|attach[ée]|"
    r"representative|delegate|agent)\b",
    re.IGNORECASE,
)
_HONORIFIC_PREFIX = re.compile(
    r"^(?:t?he\s+)?(?:right\s+|rt\.?\s+)?hon(?:ou?rable\b|\.)\s*|^(?:his|her|their)\s+"
    r"(?:excellency|excellencies)\s*|^h\.\s?e\.\s*",
    re.IGNORECASE,
)
_TO_PREFIX = re.compile(r"^to\s*(?:[-:;–—]\s*|\s(?=[A-Z]))", re.IGNORECASE)
_SIGNED_PREFIX = re.compile(
    r"^(?:\(\s*(?:sgd|signed|sd|s|sig)\s*\.?\s*\)|(?:signed|sgd\.)\s*:?)\s*", re.IGNORECASE
)
_ACTING_FOR = re.compile(r"^for\s+the\s+\w", re.IGNORECASE)
_INITIALS_ONLY = re.compile(r"^(?:[A-Z]\.\s?){1,3}$")
_SUBJECT_PREFIX = re.compile(r"^(?:subject|subj|re|betreff|objet)\s*[:.\-–]?\s+", re.IGNORECASE)
_GENERIC_ADDRESS = {"sir", "sirs", "madam", "gentlemen", "colleague", "friend", "friends",
                    "lord", "excellency", "madame", "monsieur", "mesdames"}
_MONTHS = {"January", "February", "March", "April", "May", "June", "July", "August",
           "September", "October", "November", "December"}
_WEEKDAYS = {"Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"}
_STOP = {
    "The", "This", "That", "These", "Those", "He", "She", "It", "We", "They", "I", "In", "On",
    "At", "And", "But", "A", "An", "His", "Her", "Their", "Our", "Its", "My", "Your", "If",
    "As", "For", "With", "From", "To", "By", "Of", "Secondly", "Firstly", "Finally", "There",
    "When", "While", "After", "Before", "Since", "Instead", "Both", "Mean", "Time", "Greenwich",
}
_NOT_PLACES = {
    "Parliament", "Congress", "Cabinet", "Senate", "Chamber", "Court", "Government",
    "Department", "Ministry", "Office", "Embassy", "Legation", "Consulate", "Council",
    "Committee", "Press", "Law", "Act", "Bill", "Article", "Spring", "Summer", "Autumn",
    "Winter", "Christian", "God", "Heaven", "Paradise", "English", "French", "Latin",
    "North", "South", "East", "West", "Northern", "Southern", "Eastern", "Western", "Central",
}
GAZETTEER = frozenset("""
Afghanistan Albania Algeria Argentina Argentine Australia Austria Belgium Bolivia Brazil
Bulgaria Burma Canada Ceylon Chile China Colombia Cuba Czechoslovakia Czecho-Slovakia Danzig
Denmark Ecuador Egypt England Estonia Ethiopia Abyssinia Finland France Germany Greece
Hungary Iceland India Iran Persia Iraq Ireland Eire Italy Japan Latvia Lebanon Liberia
Lithuania Luxembourg Manchuria Manchukuo Mexico Morocco Netherlands Holland Norway Palestine
Panama Paraguay Peru Philippines Poland Portugal Rumania Romania Roumania Russia Scotland
Wales Siam Spain Sweden Switzerland Syria Transjordan Tunisia Turkey Uruguay Venezuela
Yugoslavia Jugoslavia Korea Mongolia Nepal Arabia Albania Slovakia Bohemia Moravia Croatia
Serbia Slovenia Montenegro Macedonia Bessarabia Bucovina Bukovina Transylvania Galicia
Silesia Ruthenia Ukraine Crimea Caucasus Siberia Burgenland Sudetenland Alsace Lorraine
Saar Rhineland Bavaria Prussia Saxony Tyrol Flanders Wallonia Balkans Baltic Scandinavia
Europe Asia Africa America Australia Pacific Atlantic Mediterranean Indochina Java Sumatra
Borneo Malaya Singapore Hongkong Formosa Shanghai Tientsin Peking Peiping Nanking Chungking
Tokyo Manila Batavia Rangoon Calcutta Bombay Delhi Karachi Kabul Tehran Teheran Baghdad
Damascus Beirut Jerusalem Haifa Jaffa Cairo Alexandria Ankara Angora Istanbul Constantinople
Smyrna Athens Salonika Sofia Belgrade Zagreb Bucharest Budapest Vienna Prague Bratislava
Warsaw Cracow Krakow Lodz Lwow Lemberg Vilna Wilno Kovno Kaunas Riga Tallinn Reval Helsinki
Helsingfors Stockholm Oslo Copenhagen Berlin Hamburg Munich Frankfurt Cologne Dresden Leipzig
Breslau Konigsberg Nuremberg Stuttgart Bremen Vichy Paris Lyons Lyon Marseilles Marseille
Bordeaux Brussels Antwerp Amsterdam Rotterdam Hague Luxemburg Geneva Berne Bern Zurich Basle
Basel Lausanne Rome Milan Naples Turin Genoa Venice Trieste Fiume Madrid Barcelona Lisbon
London Liverpool Manchester Edinburgh Glasgow Dublin Belfast Moscow Leningrad Kiev Odessa
Minsk Kuibyshev Stalingrad Tiflis Baku Washington Ottawa Mexico Havana Panama Lima Santiago
Buenos Aires Montevideo Rio Janeiro Caracas Bogota Quito York Chicago Boston Philadelphia
Tangier Algiers Tunis Casablanca Dakar Lagos Nairobi Johannesburg Capetown Pretoria Gibraltar
Malta Cyprus Crete Rhodes Corfu Memel Vilnius Theresienstadt Auschwitz Dachau Buchenwald
Lublin Lvov Czernowitz Cernauti Kishinev Chisinau Iasi Jassy Cluj Timisoara Varna Burgas
Plovdiv Skoplje Sarajevo Split Ljubljana Lisbon Oporto Tangiers Ankara
""".split())
MULTIWORD_PLACES = (
    "Great Britain", "United Kingdom", "United States", "Soviet Union", "Far East",
    "Middle East", "Near East", "South East Asia", "South-East Asia", "North Africa",
    "Latin America", "South America", "North America", "Central Europe", "Eastern Europe",
    "Western Europe", "Balkan States", "Baltic States", "New York", "Buenos Aires",
    "Rio de Janeiro", "The Hague", "Hong Kong", "Sub-Carpathian Ruthenia", "Upper Silesia",
    "East Prussia", "Dutch East Indies", "Netherlands East Indies", "West Indies",
    "Irish Free State", "Free City of Danzig", "Saudi Arabia", "South Africa",
    "Union of South Africa", "New Zealand", "Czecho-Slovakia", "U.S.S.R.", "U.S.A.", "U.K.",
)
# Longest first: "Union of South Africa" takes its span before "South Africa" can (_Collector).
_MULTIWORD_PLACE_PATTERNS = [(place, re.compile(rf"(?<![\w]){re.escape(place)}(?![\w])"))
                             for place in sorted(MULTIWORD_PLACES, key=len, reverse=True)]


def _unique(values) -> list[str]:
    seen: dict[str, None] = {}
    for value in values:
        seen.setdefault(value, None)
    return list(seen)


def _title_case(text: str) -> str:
    """'CARTER' -> 'Carter', 'THE SECRETARY OF STATE' -> 'The Secretary of State'."""
    if not _is_caps(text):
        return text
    words = re.split(r"(\s+)", text)
    out = []
    for index, word in enumerate(words):
        if word.isspace() or not word:
            out.append(word)
        elif index > 0 and word.lower() in _SMALL_WORDS:
            out.append(word.lower())
        elif re.fullmatch(r"(?:[A-Z]\.)+", word):
            out.append(word)  # initials and abbreviations stay
        else:
            out.append(re.sub(r"[A-Za-z]+", lambda m: m.group(0).capitalize(), word))
    return "".join(out)


def _is_caps(text: str) -> bool:
    letters = [c for c in text if c.isalpha()]
    return len(letters) >= 2 and sum(c.isupper() for c in letters) / len(letters) >= 0.8


def _clean(text: str) -> str:
    """Spacing collapsed, trailing commas and sentence stops dropped (not an initial's dot)."""
    text = re.sub(r"\s+", " ", text).strip().rstrip(",;:")
    if text.endswith(".") and not re.search(r"(?:^|[\s.])[A-Za-z]\.$", text):
        text = text[:-1]
    return text.strip()


def _lines(segment: Segment) -> list[str]:
    return [line.strip() for line in segment.text.split("\n") if line.strip()]


def _first(segments: list[Segment], kind: str) -> tuple[int, Segment] | None:
    for index, segment in enumerate(segments):
        if segment.kind == kind:
            return index, segment
    return None


def _head(segments: list[Segment]) -> list[Segment]:
    """The segments before the body."""
    head = []
    for segment in segments:
        if segment.kind in ("paragraph", "quotation"):
            break
        head.append(segment)
    return head


# --------------------------------------------------------------------------
# Metadata fields
# --------------------------------------------------------------------------


def _read_date(meta: DocumentMeta, segments: list[Segment], century: int | None) -> None:
    candidates = [s for s in segments if s.kind == "place_date"] + [
        s for s in _head(segments) if s.kind in ("letterhead", "other")
    ]
    for segment in candidates:
        for line in _lines(segment):
            mentions = [m for m in find_dates(line, century=century)
                        if m.precision in ("day", "month") and m.value is not None]
            if not mentions:
                continue
            mention = mentions[0]
            stop = "." if line[mention.end:mention.end + 1] == "." else ""
            meta.doc_date = mention.value
            meta.date_text = mention.text + stop
            if segment.kind == "place_date":
                meta.place = place_before_date(line[: mention.start])
            return


def _read_markings(meta: DocumentMeta, segments: list[Segment]) -> None:
    """Grading (SECRET...) and handling instructions (Personal and Secret...)."""
    grades: list[str] = []
    for segment in segments:
        if segment.kind != "classification":
            continue
        text = _clean(marking_text(segment.text) or segment.text)
        words = {w.lower() for w in re.findall(r"[A-Za-z]+", text)}
        if words & _HANDLING_WORDS:
            meta.handling = meta.handling or text
            grades.extend(g.upper() for g in _GRADING if re.search(rf"\b{g}\b", text, re.I))
        elif meta.classification is None:
            meta.classification = text.upper()
    if meta.classification is None and grades:
        meta.classification = grades[0]


def _read_head(meta: DocumentMeta, segments: list[Segment]) -> None:
    meta.subject = _subject(segments)
    found = _first(segments, "number")
    if found:
        digits = re.search(NUMBER_MARK + r"(\d[\d\-/]*)", found[1].text)
        meta.number = digits.group(1) if digits else _clean(found[1].text)
    found = _first(segments, "salutation")
    if found:
        meta.salutation = found[1].text.strip()
    found = _first(segments, "closing")
    if found:
        meta.closing = " ".join(_lines(found[1]))
    org_lines = [line for line in _letterhead_lines(segments) if _ORG_WORD.search(line)]
    if org_lines:
        meta.sender_org = _title_case(org_lines[-1])


def _letterhead_lines(segments: list[Segment]) -> list[str]:
    """The letterhead's lines, a line ending in 'OF THE' joined to the next one
    ('EMBASSY OF THE' + 'REPUBLIC OF UTOPIA')."""
    lines: list[str] = []
    for segment in segments:
        if segment.kind != "letterhead":
            continue
        for line in _lines(segment):
            line = _clean(_without_specks(line).lstrip("-–—~_ "))
            if lines and re.search(r"\b(?:of|the|and|for)$", lines[-1], re.IGNORECASE):
                lines[-1] = f"{lines[-1]} {line}"
            elif line:
                lines.append(line)
    return lines


def _subject(segments: list[Segment]) -> str | None:
    """The subject line without its label. A line labelled 'Subject:' wins over an unlabelled
    title line: in a scanned head, stamps and headings also read as title lines."""
    subjects = [s for s in segments if s.kind == "subject"]
    labelled = [s for s in subjects if SUBJECT_LABEL.match(s.text)]
    chosen = (labelled or subjects or [None])[0]
    if chosen is None:
        return None
    text = " ".join(_lines(chosen))
    bare = SUBJECT_LABEL.sub("", text, count=1)
    if bare == text:
        bare = _SUBJECT_PREFIX.sub("", text, count=1)  # 're the Interned Persons...'
    known = {w.lower() for s in segments for w in _WORD_TOKEN.findall(s.text)}
    return _rejoin_split_words(bare.strip().rstrip(",;").strip(), known) or None


_WORD_TOKEN = re.compile(r"[A-Za-z]+")


def _rejoin_split_words(text: str, known: set[str] | frozenset[str] = frozenset()) -> str:
    """Words OCR cut in two at a wide letter space put back together ('Negot iations',
    'MEMORAND UM'): two neighbours are joined when together they make a dictionary word, or a
    word the document itself spells whole (`known`: a name in the body), and the two alone are
    not both words, the second going on in the first one's case."""
    tokens = text.split(" ")
    out: list[str] = []
    for token in tokens:
        if out and _split_pair(out[-1], token, known):
            out[-1] += token
        else:
            out.append(token)
    return " ".join(out)


def _split_pair(left: str, right: str, known: set[str] | frozenset[str] = frozenset()) -> bool:
    if not re.fullmatch(r"[A-Za-z]+", left) or not re.fullmatch(r"[A-Za-z]+[.,;:]?", right):
        return False
    tail = right.rstrip(".,;:")
    same_case = tail.islower() or (left.isupper() and tail.isupper())
    joined = left + tail
    return (same_case and (is_word(joined) or joined.lower() in known)
            and not (is_word(left) and is_word(tail)))


def _read_addressee(meta: DocumentMeta, segments: list[Segment]) -> None:
    found = _addressee_block(segments)
    name = function = org = place = None
    if found:
        name, function, org, place = _parse_addressee(found[1])
    meta.recipient_title = function
    meta.recipient_place = place
    meta.recipient = name or _salutation_name(meta.salutation) or function or org


def _addressee_block(segments: list[Segment]) -> tuple[int, list[str]] | None:
    """The first addressee segment and the lines of the block it opens: addressee segments
    that follow it with only stamps and pencil marks between belong to it."""
    found = _first(segments, "addressee")
    if found is None:
        return None
    lines: list[str] = []
    for segment in segments[found[0]:]:
        if segment.kind == "addressee":
            for line in _lines(segment):
                if _FROM_LINE.match(line) and lines:
                    return found[0], lines  # 'TO: ...' then 'FROM: ...': the sender's line
                lines.append(line)
        elif segment.kind not in NON_READING:
            break
    return found[0], lines


def _without_specks(line: str) -> str:
    """An addressee or letterhead line without what OCR added beside it: lower-case tokens
    after a line typed in capitals ('THE MINISTER OF FINANCE, Xqzle,'), a one- or
    two-letter speck after the last stop ('Lisbon. ne')."""
    tokens = line.split()
    while tokens and not re.search(r"[\wÀ-ÿ]", tokens[0]):
        tokens.pop(0)
    caps = [i for i, t in enumerate(tokens) if re.search(r"[A-Z]{2}", t) and t.upper() == t]
    caps_letters = sum(len(re.findall(r"[A-Z]", tokens[i])) for i in caps)
    if caps and caps[0] == 0 and caps_letters >= 6 and all(
            re.search(r"[a-z]", t) for t in tokens[caps[-1] + 1:]):
        tokens = tokens[: caps[-1] + 1]
    text = " ".join(tokens)
    return re.sub(r"(?<=[.,;:])\s+[a-z]{1,2}$", "", text)


def _parse_addressee(lines: list[str]) -> tuple[str | None, str | None, str | None, str | None]:
    """(name, function, organisation, place) from an addressee block."""
    parts = []
    for line in lines:
        line = _TO_PREFIX.sub("", _without_specks(line), count=1)
        line = re.sub(r"(?<=\w)[:;](?=\s+[a-z])", "", line)  # 'The Secretary: of State': a speck
        line = _without_specks(_HONORIFIC_PREFIX.sub("", line, count=1))
        line = _title_case(_clean(line))
        if re.search(r"[A-Za-zÀ-ÿ]{3}", line):
            parts.append(line)
    name = function = org = None
    functions: list[str] = []
    rest: list[str] = []
    for part in parts:
        if functions and part[:1].islower() and not rest:
            functions.append(part)  # 'of the United States,' continues the function
        elif _FUNCTION_WORDS.search(part) and not rest:
            functions.append(part)
        elif _ORG_WORD.search(part) and org is None and not rest:
            org = part
        elif name is None and not functions and org is None and _person_like(part):
            name = part
        else:
            rest.append(part)
    if functions:
        function = " ".join(functions)
    places = [p for p in rest if re.fullmatch(r"[A-Z][\w.,'’ \-]*", p)
              and not _FUNCTION_WORDS.search(p) and not _ORG_WORD.search(p)]
    known = [p for p in places if _in_gazetteer(p)]
    place = None
    if known:
        place = known[0]
    elif places and len(parts) >= 3:
        place = places[-1]
    return name, function, org, place


def _person_like(text: str) -> bool:
    words = text.split()
    if _PERSON_TITLE_START.match(text):
        return True
    return 1 <= len(words) <= 5 and all(w[:1].isupper() or w in _SMALL_WORDS for w in words) \
        and not _in_gazetteer(text)


def _in_gazetteer(text: str) -> bool:
    head = text.split(",")[0].strip()
    return head in GAZETTEER or head in MULTIWORD_PLACES


def _salutation_name(salutation: str | None) -> str | None:
    if not salutation:
        return None
    match = re.match(r"^(?:my\s+)?(?:very\s+)?dear\s+(.+?)\s*[,:;.]?$", salutation.strip(),
                     re.IGNORECASE)
    if not match:
        return None
    name = _title_case(match.group(1).strip())
    return None if name.lower() in _GENERIC_ADDRESS else name


_FROM_LINE = re.compile(r"^(?:FROM|From)(?P<label>\s*[:;\-–—])?\s*(?P<rest>[A-Z].*)$")


def _read_from_line(meta: DocumentMeta, segments: list[Segment]) -> None:
    """A FROM line in the head: 'FROM: Mr. Caldwell' names the sender when no signature did;
    'FROM  Sofia' (a place, or a telegram's unlabelled origin) gives the place of origin."""
    for segment in _head(segments):
        if segment.kind not in ("other", "addressee", "letterhead"):
            continue
        for line in _lines(segment):
            match = _FROM_LINE.match(line)
            if not match:
                continue
            rest = _title_case(_clean(match.group("rest")))
            if not re.search(r"[A-Za-zÀ-ÿ]{2}", rest):
                continue
            origin = _in_gazetteer(rest) or (
                not match.group("label") and len(rest.split()) <= 2
                and not _PERSON_TITLE_START.match(rest))
            if origin:
                meta.place = meta.place or rest.split(",")[0].strip()
            elif match.group("label") and meta.sender is None:
                meta.sender = rest
            return


def _read_signature(meta: DocumentMeta, segments: list[Segment]) -> tuple[str, str | None] | None:
    """The signer: the first signature naming someone. Initials alone are returned instead,
    to be used only when no FROM line names the sender either."""
    fallback: tuple[str, str | None] | None = None
    for segment in segments:
        if segment.kind != "signature":
            continue
        lines = [_SIGNED_PREFIX.sub("", line) for line in _lines(segment)]
        lines = [line for line in lines if not _ACTING_FOR.match(line)]
        if not lines:
            continue
        name = _title_case(_clean(lines[0]))
        title = _title_case(_clean(lines[1])) if len(lines) > 1 else None
        if _INITIALS_ONLY.match(lines[0].strip()) or not re.search(r"[A-Za-z]{3}", lines[0]):
            fallback = fallback or (name, title)  # initials ('S. P. L.', 'S. P. Lh' as OCR'd)
            continue
        meta.sender, meta.sender_title = name, title
        return None
    return fallback


# --------------------------------------------------------------------------
# Document type
# --------------------------------------------------------------------------

_FORMAL_SALUTATION = re.compile(r"^(?:sir|sirs|my\s+lord|(?:your\s+)?excellency)\s*[,:;.]?$", re.I)
_HONOUR_OPENING = re.compile(r"^I\s+have\s+the\s+hono(?:u)?r\s+to\b", re.I)


def _doc_type(segments: list[Segment]) -> str:
    head = _head(segments)
    heading = "\n".join(_rejoin_split_words(s.text) for s in head
                        if s.kind in ("letterhead", "other", "subject", "number"))
    kinds = {s.kind for s in segments}
    if re.search(r"\b(?:TELEGRAM|CABLEGRAM)\b", heading, re.I) or _telegraphic(segments):
        return "telegram"
    if re.search(r"\bMEMORANDUM\b|\bAIDE[\s\-]M[EÉ]MOIRE\b", heading, re.I):
        return "memorandum"
    if re.search(r"\bMINUTES?\b", heading):
        return "minute"
    if _despatch_score(segments) >= 2:
        return "despatch"
    if any(re.search(r"\bReport\b", line, re.I) and len(line.split()) <= 8
           for line in heading.split("\n")):
        return "report"
    if "salutation" in kinds or "closing" in kinds:
        return "letter"
    return "other"


def _telegraphic(segments: list[Segment]) -> bool:
    """Telegram forms: receipt headers, or an all-capitals body punctuated by STOP."""
    head = "\n".join(s.text for s in _head(segments))
    if re.search(r"^(?:Rec'd|Recd|Sent|Dated)\b", head, re.M) and re.search(r"^FROM\b", head, re.M | re.I):
        return True
    body = " ".join(s.text for s in segments if s.kind not in NON_READING)
    return _is_caps(body) and bool(re.search(r"\bSTOP\b", body)) and len(body.split()) >= 8


def _despatch_score(segments: list[Segment]) -> int:
    score = 0
    kinds = {s.kind for s in segments}
    if "number" in kinds:
        score += 1
    if any(s.kind == "salutation" and _FORMAL_SALUTATION.match(s.text.strip()) for s in segments):
        score += 1
    if any(s.kind == "paragraph" and _HONOUR_OPENING.match(s.text) for s in segments):
        score += 2
    if any(s.kind == "closing" and re.search(r"obedient|respectfully", s.text, re.I) for s in segments):
        score += 1
    if any(s.kind == "addressee" and re.search(r"secretary\s+of\s+state", s.text, re.I) for s in segments):
        score += 1
    return score


# --------------------------------------------------------------------------
# Entities
# --------------------------------------------------------------------------

_ABBREVIATED_TITLES = {
    "mr": "Mr.", "mrs": "Mrs.", "ms": "Ms.", "messrs": "Messrs.", "m": "M.", "mm": "MM.",
    "mme": "Mme.", "mlle": "Mlle.", "dr": "Dr.", "gen": "Gen.", "col": "Col.", "capt": "Capt.",
    "prof": "Prof.", "lt": "Lt.", "rev": "Rev.",
}


def _title_alternation() -> str:
    forms = []
    for title in sorted(PERSON_TITLES, key=len, reverse=True):
        needs_dot = title in ("M", "MM")  # 'M' without its dot is an initial or a letter
        for form in {title, title.upper()}:
            forms.append(re.escape(form) + (r"\." if needs_dot else r"\.?"))
    return "|".join(forms)


_NAME_TOKEN = r"(?:(?:Mc|Mac|O['’])?[A-Z][a-zà-ÿ]+(?:-[A-Z][a-zà-ÿ]+)?|[A-Z]{2,}(?:-[A-Z]{2,})?|[A-Z]\.)"
_PARTICLE = r"(?:von|van|de|du|der|den|la|le|di|da|del|zu|ten|ter)"
_PERSON = re.compile(
    rf"(?<![\w.])(?P<title>{_title_alternation()})\s+"
    rf"(?P<name>(?:{_PARTICLE}[ \t]+)?{_NAME_TOKEN}"
    rf"(?:(?:[ \t]+|(?<=[A-Z]\.)\s+)(?:{_PARTICLE}[ \t]+)?{_NAME_TOKEN}){{0,3}})"
    r"(?![a-zà-ÿ])"
)
_PERSON_TITLE_START = re.compile(rf"^(?:{_title_alternation()})\s+[A-Z]")
_NOT_NAMES = _STOP | _MONTHS | _WEEKDAYS | {w for w in ORG_WORDS if " " not in w} | {
    "Assembly", "Staff", "State", "States", "Secretary", "Service", "Services", "Council",
    "Headquarters", "Post", "Election", "Elections", "Majesty", "Highness", "Excellency",
}
_PLACE_WORDS = {word for place in MULTIWORD_PLACES for word in re.findall(r"[A-Za-z]+", place)}
_TITLE_WORDS = set(PERSON_TITLES)
_CAP = r"[A-Z][\w'’\-]*"
_ORG_TAIL = rf"(?:\s+(?:of|for)\s+(?:the\s+)?{_CAP}(?:(?:[ \t]+|\s+(?:of|for)\s+(?:the\s+)?){_CAP}){{0,4}})"
_ORG_HEAD_WORDS = (
    "Consulate General", "Government", "Embassy", "Legation", "Consulate", "Ministry", "Office",
    "Department", "Committee", "Council", "Bureau", "Agency", "Commission", "Board", "Society",
    "Association", "Mission", "Delegation", "Party", "Cabinet", "Institute", "University",
    "League", "Federation", "Congress", "Service", "Bank", "Corporation", "Company",
)
_ORG_WORD = re.compile(rf"\b(?:{'|'.join(ORG_WORDS)})\b", re.IGNORECASE)
_ORG_QUALIFIED = re.compile(
    rf"(?P<qual>(?:[A-Z][\w'’\-]*[ \t]+){{1,4}})(?P<word>{'|'.join(_ORG_HEAD_WORDS)})\b(?P<tail>{_ORG_TAIL})?"
)
_ORG_OF = re.compile(
    rf"\b(?P<word>{'|'.join(_ORG_HEAD_WORDS)}){_ORG_TAIL}"
)
_ORG_BARE = re.compile(r"(?<=\bthe )(?:Embassy|Legation|Consulate|Department|Foreign Office)\b")
_PLACE_AFTER = re.compile(
    r"\b(?:in|at|near)\s+(?P<place>[A-Z][\w'’]*(?:-[A-Za-z]+)*(?:\s+[A-Z][\w'’]*(?:-[A-Za-z]+)*){0,2})",
    re.IGNORECASE,
)
_FILE_NUMBER = re.compile(
    r"(?<![\w/])(?:[A-Z]{1,3}\s?)?\d{1,6}(?:\s?/\s?\d{1,6}){1,3}(?:/[A-Z]{1,3})?(?![\w/])"
)
_FILE_DECIMAL = re.compile(r"(?<![\w/.])\d{3}(?:\s?\.\s?\d{1,6}(?:\s?/\s?\d{1,6})?)?(?![\w/])")
_FILE_DECIMAL_SLASH = re.compile(r"(?<![\w/.])\d{3}\s?\.\s?\d{1,6}\s?/\s?\d{1,6}(?![\w/])")
"""A decimal file number ('280.76/104', OCR may space it: '220 .03/4802'): found whole, before
the slash pattern can take its tail ('76/104') for a reference of its own."""

_ENTITY_KINDS = {"paragraph", "quotation", "postscript", "subject", "addressee", "salutation",
                 "signature", "place_date", "letterhead", "other", "classification"}


class _Collector:
    """Entities in document order, one per text span."""

    def __init__(self) -> None:
        self.entities: list[Entity] = []
        self.spans: dict[int, list[tuple[int, int]]] = {}
        self.starts: dict[int, int] = {}  # id(entity) -> offset in its segment

    def add(self, kind: str, text: str, normalized: str, segment: int,
            span: tuple[int, int] | None = None) -> None:
        if span is not None:
            taken = self.spans.setdefault(segment, [])
            if any(span[0] < end and start < span[1] for start, end in taken):
                return
            taken.append(span)
        entity = Entity(kind, text, normalized, segment)
        self.entities.append(entity)
        self.starts[id(entity)] = span[0] if span else -1

    def in_order(self) -> list[Entity]:
        return sorted(self.entities, key=lambda e: (e.segment, self.starts[id(e)]))


def _entities(segments: list[Segment], meta: DocumentMeta, century: int | None,
              names: Mapping[str, int]) -> list[Entity]:
    found = _Collector()
    texts = {i: _entity_text(s) for i, s in enumerate(segments) if s.kind in _ENTITY_KINDS}
    _persons(found, texts, segments, meta)
    _organizations(found, texts)
    _untitled_persons(found, texts, names)
    people = {token for e in found.entities if e.kind == "person" for token in e.normalized.split()}
    _places(found, texts, segments, meta, people)
    _dates(found, segments, meta, century)
    _references(found, segments)
    _as_written(found, segments)
    return found.in_order()


def _as_written(found: _Collector, segments: list[Segment]) -> None:
    """Mentions found in a capitals heading read in title case get their written form back
    (title casing keeps every character where it was)."""
    for entity in found.entities:
        start = found.starts[id(entity)]
        if start < 0:
            continue
        written = segments[entity.segment].text[start:start + len(entity.text)]
        if written != entity.text and written.lower() == entity.text.lower():
            entity.text = written


def _entity_text(segment: Segment) -> str:
    """Capitals-only headings are read in title case so the same patterns apply."""
    text = segment.text
    if segment.kind == "letterhead" and _is_caps(text):
        return _title_case(text)
    return text


def _persons(found: _Collector, texts: dict[int, str], segments: list[Segment],
             meta: DocumentMeta) -> None:
    surnames: dict[str, set[str]] = {}
    for index, text in texts.items():
        for match in _PERSON.finditer(text):
            normalized = _normalize_person(match.group("title"), match.group("name"))
            if normalized is None:
                continue
            end = match.start("name") + len(_name_part(match.group("name"), normalized))
            found.add("person", text[match.start():end], normalized, index, (match.start(), end))
            surnames.setdefault(_surname(normalized), set()).add(normalized)
    for kind, name in (("addressee", _recipient_name(segments, meta)), ("signature", meta.sender)):
        if name and _person_like(name) and not _FUNCTION_WORDS.search(name) \
                and not _INITIALS_ONLY.match(name):
            _add_written_name(found, segments, kind, name)
            surnames.setdefault(_surname(name), set()).add(name)
    _merge_short_forms(found, surnames)
    _bare_surnames(found, texts, surnames)


def _add_written_name(found: _Collector, segments: list[Segment], kind: str, name: str) -> None:
    """The recipient's or signer's name where it is written: in the first segment of its kind
    that holds it (a signature may open with 'For the Minister:')."""
    pattern = re.compile(re.escape(name).replace(r"\ ", r"\s+"), re.I)
    located = [(i, s) for i, s in enumerate(segments) if s.kind == kind]
    for index, segment in located:
        written = pattern.search(segment.text)
        if written:
            found.add("person", written.group(0), name, index, written.span())
            return
    if located:
        found.add("person", name, name, located[0][0])


def _merge_short_forms(found: _Collector, surnames: dict[str, set[str]]) -> None:
    """'Professor Roe' after 'Professor A. Roe': the same person when only one fuller form with
    that title and surname is known."""
    for surname, forms in surnames.items():
        for short in list(forms):
            fuller = [f for f in forms if f != short and set(short.split()) < set(f.split())
                      and f.split()[0] == short.split()[0]]
            if len(fuller) != 1:
                continue
            for entity in found.entities:
                if entity.kind == "person" and entity.normalized == short:
                    entity.normalized = fuller[0]
            forms.discard(short)


def _recipient_name(segments: list[Segment], meta: DocumentMeta) -> str | None:
    """The recipient when it is a person (not a function or an institution)."""
    block = _addressee_block(segments)
    name = _parse_addressee(block[1])[0] if block else None
    return name or _salutation_name(meta.salutation)


def _surname(name: str) -> str:
    """'Viscount Samuel of Mount Carmel' -> 'Samuel': territorial designations are not names."""
    return re.split(r"\s+of\s+", name)[0].split()[-1]


def _name_part(name: str, normalized: str) -> str:
    """The written name cut to the tokens kept in the normalised form."""
    kept = len(normalized.split()) - 1
    tokens = list(re.finditer(r"\S+", name))
    return name[: tokens[kept - 1].end()] if kept else ""


def _normalize_person(title: str, name: str) -> str | None:
    tokens = name.split()
    while tokens and tokens[-1] in _NOT_NAMES:
        tokens.pop()
    if not tokens or tokens[0] in _NOT_NAMES:
        return None
    key = title.rstrip(".").lower()
    title = _ABBREVIATED_TITLES.get(key, title.rstrip(".").capitalize())
    name = " ".join(_title_case(t) if len(t) > 2 else t for t in tokens)
    return f"{title} {name}"


def _bare_surnames(found: _Collector, texts: dict[int, str], surnames: dict[str, set[str]]) -> None:
    """'Carter says' after 'Mr. Carter': the same person, unless the surname is shared."""
    for surname, people in surnames.items():
        if len(people) != 1 or len(surname) < 3 or surname in _NOT_NAMES or surname in GAZETTEER:
            continue
        person = next(iter(people))
        pattern = re.compile(rf"(?<![\w.]){re.escape(surname)}(?:['’]s)?\b")
        for index, text in texts.items():
            for match in pattern.finditer(text):
                found.add("person", match.group(0), person, index, match.span())


def _vocabulary(segments: list[Segment], collection: Mapping[str, int] | None) -> Counter:
    """Proper names: the collection's, completed by the document's own (counted the same way,
    and also where a quotation mark opens before the name: '"Roe who')."""
    lines = [re.sub(r"(?<!\S)[\"'“‘(]+(?=[A-Z])", "", s.text)
             for s in segments if s.kind not in NON_READING]
    own = proper_names(tokenize(lines))
    vocabulary = Counter(collection or {})
    for word, count in own.items():
        vocabulary[word] = max(vocabulary[word], count)
    return vocabulary


# A name without a title is recognised by what stands around it: it does what people do
# (says, reports, who...), or it is where the writer learnt something from; or, failing
# such a context, it is a word no dictionary knows that the collection keeps using
# capitalised inside sentences.
_PERSON_VERB = re.compile(
    r"^[\"'”’]?\s*,?\s*(?:who\s+(?:was|is|has|[a-z]+s)\b|says|said|states|stated|reports|"
    r"reported|told|tells|thinks|thought|believes|believed|adds|added|explained|declared|"
    r"replied|asked|agreed|insisted|suggested|informed|remarked|emphasi[sz]ed|considers|"
    r"considered|feels|felt|promised|himself|herself)\b"
)
"""What a person does, in the singular: 'X says', 'X, who was present' ('Poles who are' is
a group)."""
_LEARNT_FROM = re.compile(
    r"\b(?:know|knows|knew|known|hear|heard|learn|learns|learned|learnt|gather|gathered|"
    r"understand|understood)\b[^.;:!?]{0,40}?\bfrom\s+$",
    re.IGNORECASE,
)
_ARTICLE_BEFORE = re.compile(
    r"\b(?:the|a|an|this|these|those)\s+"
    r"(?:(?!(?:from|by|with|to|of|in|at|on|for|and|or|as|than)\b)[a-z\-]+\s+)?$",
    re.IGNORECASE,
)
"""'the final Act', 'the Roe regime': a determiner before it makes a capitalised word a thing."""
_PLACE_PREPOSITION_BEFORE = re.compile(r"\b(?:in|at|near|to|into|via|across)\s+$",
                                       re.IGNORECASE)
_GROUP_SUFFIX = re.compile(r"(?:ans|ese|ish|ics|ists|ism|ites)$")
_ADJECTIVE_SUFFIX = re.compile(r"(?:an|ic|ish|ese|ist|ism)$")
_CAPITALISED = re.compile(r"(?<![\w.'’\-])[A-Z][a-zà-ÿ]{2,}(?:-[A-Z][a-zà-ÿ]+)?(?![\w\-])")
_PROPER_USE_MIN = 2
"""Uses inside sentences that make an unknown capitalised word a name without other evidence."""


def _untitled_persons(found: _Collector, texts: dict[int, str], names: Mapping[str, int]) -> None:
    """People named without a title: each name found in one place is then found everywhere
    in the document."""
    titled = {token for e in found.entities if e.kind == "person" for token in e.normalized.split()}
    established: set[str] = set()
    for text in texts.values():
        for match in _CAPITALISED.finditer(text):
            word = match.group(0)
            if word not in established | titled and _named_person(word, text, match, names):
                established.add(word)
    for word in sorted(established):
        pattern = re.compile(rf"(?<![\w.]){re.escape(word)}(?![\w\-])")
        for index, text in texts.items():
            for match in pattern.finditer(text):
                found.add("person", word, word, index, match.span())


def _named_person(word: str, text: str, match: re.Match, names: Mapping[str, int]) -> bool:
    """Whether this mention shows the word to be a person's name (see the evidence above)."""
    if not _could_be_name(word, names):
        return False
    before, after = text[: match.start()], text[match.end():]
    if _ARTICLE_BEFORE.search(before):
        return False
    if _PERSON_VERB.match(after):
        return True
    if _plural_of_a_word(word):
        return False
    if _LEARNT_FROM.search(before):
        return True
    return (not is_word(word) and names.get(word.lower(), 0) >= _PROPER_USE_MIN
            and not _PLACE_PREPOSITION_BEFORE.search(before)
            and not _ADJECTIVE_SUFFIX.search(word) and not _within_a_name(before, after))


def _could_be_name(word: str, names: Mapping[str, int]) -> bool:
    """A word the collection uses capitalised inside sentences and that is not a known place,
    month, title, institution or word for a group of people."""
    if names.get(word.lower(), 0) < 1:
        return False
    parts = set(word.split("-"))
    return not (parts & _NOT_NAMES or parts & _NOT_PLACES or word in GAZETTEER
                or word in _PLACE_WORDS or word in _TITLE_WORDS or _GROUP_SUFFIX.search(word))


def _within_a_name(before: str, after: str) -> bool:
    """'Arrow Cross', 'Press Act', 'Roe Government': a capitalised word next to another is
    part of a longer name, not a surname standing alone."""
    previous = re.search(r"([A-Z][a-z]*)\s+$", before)
    return bool(re.match(r"\s+(?:[A-Z][a-z]|of\s+[A-Z])", after)
                or (previous and previous.group(1) not in _STOP))


def _plural_of_a_word(word: str) -> bool:
    """'Britons', 'Poles': the plural of a known word names a group, not a person."""
    return word.endswith("s") and is_word(word[:-1])


def _organizations(found: _Collector, texts: dict[int, str]) -> None:
    for index, text in texts.items():
        for match in _ORG_QUALIFIED.finditer(text):
            start, qualifier = _strip_leading_stopwords(match.start("qual"), match.group("qual"), text)
            if not qualifier and not match.group("tail"):
                continue
            _add_org(found, text, start, match.end(), index)
        for match in _ORG_OF.finditer(text):
            _add_org(found, text, match.start(), match.end(), index)
        for match in _ORG_BARE.finditer(text):
            _add_org(found, text, match.start(), match.end(), index)


def _strip_leading_stopwords(start: int, qualifier: str, text: str) -> tuple[int, str]:
    words = qualifier.split()
    while words and (words[0] in _STOP or words[0] in _MONTHS or _PERSON_TITLE_START.match(words[0] + " X")):
        start = text.index(words[0], start) + len(words[0])
        while text[start].isspace():
            start += 1
        words.pop(0)
    return start, " ".join(words)


def _add_org(found: _Collector, text: str, start: int, end: int, index: int) -> None:
    phrase = text[start:end]
    normalized = re.sub(r"^the\s+", "", re.sub(r"\s+", " ", phrase), flags=re.I)
    found.add("organization", phrase, normalized, index, (start, end))


def _places(found: _Collector, texts: dict[int, str], segments: list[Segment],
            meta: DocumentMeta, people: set[str]) -> None:
    for index, text in texts.items():
        for place, pattern in _MULTIWORD_PLACE_PATTERNS:
            if place in text:  # a substring test first: most texts name none of them
                for match in pattern.finditer(text):
                    found.add("place", match.group(0), place, index, match.span())
        for match in re.finditer(r"(?<![\w\-])[A-Z][a-z]+(?:-[A-Z][a-z]+)?(?![\w\-])", text):
            if match.group(0) in GAZETTEER:
                found.add("place", match.group(0), match.group(0), index, match.span())
        for match in _PLACE_AFTER.finditer(text):
            place = _place_candidate(match.group("place"))
            if place and not set(place.split()) & people:
                start = match.start("place")
                found.add("place", place, place, index, (start, start + len(place)))
    for kind, place in (("place_date", meta.place), ("addressee", meta.recipient_place)):
        located = [(i, s) for i, s in enumerate(segments) if s.kind == kind]
        if located and place:
            for part in place.split(","):
                part = _clean(part)
                if re.search(r"[A-Za-z]{3}", part):
                    _add_written_place(found, located, part)


def _add_written_place(found: _Collector, located: list[tuple[int, Segment]], part: str) -> None:
    """A place of the date line or addressee block, as written ('LISBON' for 'Lisbon')."""
    pattern = re.compile(re.escape(part), re.IGNORECASE)
    for index, segment in located:
        written = pattern.search(segment.text)
        if written:
            found.add("place", written.group(0), _title_case(part), index, written.span())
            return
    found.add("place", part, _title_case(part), located[0][0])


def _place_candidate(phrase: str) -> str | None:
    """A capitalised name after 'in'/'at'/'from'/'near' that is not a month, a title, an
    institution or a nationality adjective."""
    words = phrase.split()
    kept = []
    for word in words:
        bare = re.sub(r"['’]s$", "", word)
        if bare in _NOT_NAMES or bare in _NOT_PLACES or _PERSON_TITLE_START.match(bare + " X") \
                or not bare[:1].isupper():
            break
        kept.append(bare)
    if not kept:
        return None
    place = " ".join(kept)
    if place in GAZETTEER or place in MULTIWORD_PLACES:
        return place
    if re.search(r"(?:ish|ese|ian|an|ic|ans)$", kept[-1]) or _ORG_WORD.search(place):
        return None
    if _is_caps(place):
        return None  # capitals name newspapers and acronyms more often than places
    return place


def _dates(found: _Collector, segments: list[Segment], meta: DocumentMeta, century: int | None) -> None:
    for index, segment in enumerate(segments):
        if segment.kind in NON_READING or segment.kind in ("reference", "number", "typist_reference"):
            continue
        for mention in find_dates(segment.text, reference=meta.doc_date, century=century):
            if mention.value is None:
                continue
            found.add("date", mention.text, _iso(mention.value, mention.precision), index,
                      (mention.start, mention.end))


def _iso(value: datetime.date, precision: str) -> str:
    if precision == "year":
        return f"{value.year:04d}"
    if precision == "month":
        return f"{value.year:04d}-{value.month:02d}"
    return value.isoformat()


def _references(found: _Collector, segments: list[Segment]) -> None:
    for index, segment in enumerate(segments):
        if segment.kind in NON_READING:
            continue
        pattern = _FILE_DECIMAL if segment.kind == "reference" else _FILE_DECIMAL_SLASH
        taken: list[tuple[int, int]] = []
        for match in pattern.finditer(segment.text):
            taken.append(match.span())
            found.add("reference", match.group(0), re.sub(r"\s+", "", match.group(0)), index,
                      match.span())
        for match in _FILE_NUMBER.finditer(segment.text):
            if find_dates(match.group(0)):
                continue
            start, end = match.span()
            if any(start < t_end and t_start < end for t_start, t_end in taken):
                continue
            found.add("reference", match.group(0), re.sub(r"\s+", "", match.group(0)), index,
                      match.span())
