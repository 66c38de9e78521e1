"""Export the corpus's letters as CMIF, the correspondence metadata that correspSearch harvests.

CMIF (Correspondence Metadata Interchange Format) is a TEI profile: one ``teiHeader`` whose
``profileDesc`` holds one ``correspDesc`` per letter, each with a ``sent`` and a ``received``
``correspAction`` (who, where, when). Only metadata is exported; the letter texts stay in the
database.

Choices that follow from what the database knows:

* **No authority ids.** archivist does not link names to GND/VIAF/GeoNames, so ``persName`` and
  ``placeName`` carry the name only, without ``@ref``. correspSearch accepts that.
* **Dates at the precision written.** ``documents.doc_date`` stores a month-only date as the
  1st of the month, so writing it as ``@when`` would invent a day. The precision is read back
  from ``date_text``: a full date becomes ``@when="YYYY-MM-DD"``, a month or year becomes the
  range ``@notBefore``/``@notAfter``, and a date that could not be resolved keeps only its text.
* **No letter URLs.** There is no online edition to point ``correspDesc/@ref`` at, so every
  ``correspDesc`` points with ``@source`` at the one ``bibl`` that describes this corpus, and
  carries the ``document_id`` in ``@key`` so a record can be traced back to its row.
* **Atomic file.** The XML is written to a temporary file next to the target and renamed, so
  a harvester never fetches half a file and an interrupted export leaves the old one intact.
"""

from __future__ import annotations

import calendar
import datetime
import io
import logging
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import duckdb

from archivist.analytics import dict_rows
from archivist.dates import find_dates
from archivist.errors import UsageError
from archivist.outfiles import write_bytes
from archivist.store import Store

__all__ = ["TEI_NS", "LICENCE_URL", "DEFAULT_DOC_TYPES", "documents_to_cmif", "export_cmif"]

log = logging.getLogger(__name__)

TEI_NS = "http://www.tei-c.org/ns/1.0"
XML_NS = "http://www.w3.org/XML/1998/namespace"
LICENCE_URL = "https://creativecommons.org/licenses/by/4.0/"
BIBL_ID = "archivist-corpus"
"""``xml:id`` of the corpus ``bibl``; every ``correspDesc/@source`` points at it."""

DEFAULT_DOC_TYPES: tuple[str, ...] = ("letter", "despatch", "telegram", "memorandum")
"""Document types that are correspondence. Minutes and reports have no addressee in the
CMIF sense and would only add noise to correspSearch."""

_COLUMNS = ("document_id", "doc_type", "doc_date", "date_text", "sender", "sender_title",
            "place", "recipient", "recipient_place")

# Characters XML 1.0 forbids even when escaped (OCR output does contain form feeds and other
# control characters); ElementTree writes them through and the file would not parse.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_SPACE = re.compile(r"\s+")


def _tei(name: str) -> str:
    """Clark name of a TEI element, so the tree is in the TEI namespace in memory too."""
    return f"{{{TEI_NS}}}{name}"


def _sub(parent: ET.Element, name: str, text: str | None = None, **attrib: str) -> ET.Element:
    """Append a TEI child; keeps the tree-building code one line per element."""
    child = ET.SubElement(parent, _tei(name), attrib)
    if text is not None:
        child.text = text
    return child


def _clean(value: Any) -> str | None:
    """One-line, XML-safe text, or None when nothing is left.

    Names from OCR can span lines (``'Mr.\\nEden'``) and contain control characters; CMIF
    values are single names, and XML cannot carry those characters at all.
    """
    if value is None:
        return None
    text = _SPACE.sub(" ", _NOT_XML.sub(" ", str(value))).strip()
    return text or None


def _sender_name(row: Mapping[str, Any]) -> str | None:
    """``sender`` plus ``sender_title`` (``'Halifax, Ambassador'``), or whichever exists.

    The title disambiguates a bare signature name; with no signature, the function alone is
    still the best description of who wrote.
    """
    parts = [p for p in (_clean(row.get("sender")), _clean(row.get("sender_title"))) if p]
    return ", ".join(parts) or None


def _date_attributes(doc_date: Any, date_text: str | None) -> dict[str, str]:
    """``@when`` for a full date, ``@notBefore``/``@notAfter`` for a month or year.

    ``doc_date`` alone cannot tell ``1941-12-01`` from "December 1941", so the precision comes
    from re-reading ``date_text``. Without ``date_text`` the stored date is taken as exact.
    """
    doc_date = _as_date(doc_date)
    if doc_date is None:
        return {}
    precision = _precision(doc_date, date_text)
    if precision == "month":
        last = calendar.monthrange(doc_date.year, doc_date.month)[1]
        return {"notBefore": doc_date.replace(day=1).isoformat(),
                "notAfter": doc_date.replace(day=last).isoformat()}
    if precision == "year":
        return {"notBefore": f"{doc_date.year:04d}-01-01", "notAfter": f"{doc_date.year:04d}-12-31"}
    return {"when": doc_date.isoformat()}


def _as_date(value: Any) -> datetime.date | None:
    """A ``date`` from DuckDB's ``DATE`` or from an ISO string in hand-built rows."""
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    if isinstance(value, str):
        try:
            return datetime.date.fromisoformat(value.strip())
        except ValueError:
            return None
    return None


def _precision(doc_date: datetime.date, date_text: str | None) -> str:
    """``'day'``, ``'month'`` or ``'year'``: that of the mention in ``date_text`` giving ``doc_date``."""
    if not date_text:
        return "day"
    for mention in find_dates(date_text, reference=doc_date):
        if mention.value == doc_date:
            return mention.precision
    return "day"


def _date_element(parent: ET.Element, row: Mapping[str, Any]) -> None:
    """Add ``<date>`` when anything is known: attributes if resolved, the words as written."""
    date_text = _clean(row.get("date_text"))
    attributes = _date_attributes(row.get("doc_date"), date_text)
    if attributes or date_text:
        _sub(parent, "date", date_text, **attributes)


def _action(parent: ET.Element, kind: str, person: str | None, place: str | None) -> ET.Element:
    """One ``correspAction`` with whatever of person and place is known."""
    action = _sub(parent, "correspAction", type=kind)
    if person:
        _sub(action, "persName", person)
    if place:
        _sub(action, "placeName", place)
    return action


def _is_exportable(row: Mapping[str, Any]) -> bool:
    """A record with no sender, no recipient and no date says nothing about correspondence."""
    return bool(_sender_name(row) or _clean(row.get("recipient"))
                or _as_date(row.get("doc_date")) is not None or _clean(row.get("date_text")))


def _corresp_desc(parent: ET.Element, row: Mapping[str, Any]) -> None:
    """The ``correspDesc`` of one document."""
    attributes = {"source": f"#{BIBL_ID}"}
    key = _clean(row.get("document_id"))
    if key:
        attributes["key"] = key
    desc = _sub(parent, "correspDesc", **attributes)
    sent = _action(desc, "sent", _sender_name(row), _clean(row.get("place")))
    _date_element(sent, row)
    _action(desc, "received", _clean(row.get("recipient")), _clean(row.get("recipient_place")))


def _file_desc(header: ET.Element, title: str, publisher: str, source_url: str | None,
               today: datetime.date) -> None:
    """Title, publication and source statements that correspSearch requires of every file."""
    file_desc = _sub(header, "fileDesc")
    title_stmt = _sub(file_desc, "titleStmt")
    _sub(title_stmt, "title", _clean(title) or "archivist corpus")
    _sub(title_stmt, "editor", _clean(publisher) or "archivist")
    publication = _sub(file_desc, "publicationStmt")
    _sub(publication, "publisher", _clean(publisher) or "archivist")
    if source_url:
        # The URL the file itself is published at; correspSearch harvests it from there.
        _sub(publication, "idno", _clean(source_url), type="url")
    _sub(publication, "date", when=today.isoformat())
    availability = _sub(publication, "availability")
    _sub(availability, "licence", "This file is licensed under the terms of the Creative "
         "Commons License CC-BY 4.0", target=LICENCE_URL)
    source_desc = _sub(file_desc, "sourceDesc")
    _sub(source_desc, "bibl", _clean(title) or "archivist corpus",
         type="hybrid", **{f"{{{XML_NS}}}id": BIBL_ID})


def documents_to_cmif(
    rows: Iterable[Mapping[str, Any]],
    *,
    title: str = "archivist corpus",
    publisher: str = "archivist",
    source_url: str | None = None,
    today: datetime.date | None = None,
) -> ET.ElementTree:
    """Build the CMIF tree for ``rows`` (dicts with ``documents`` columns), in the given order.

    Rows with neither sender, recipient nor date are left out. Elements are in the TEI
    namespace (Clark names such as ``{http://www.tei-c.org/ns/1.0}correspDesc``).
    """
    root = ET.Element(_tei("TEI"))
    header = _sub(root, "teiHeader")
    _file_desc(header, title, publisher, source_url, today or datetime.date.today())
    profile = _sub(header, "profileDesc")
    for row in rows:
        if _is_exportable(row):
            _corresp_desc(profile, row)
    # TEI requires a text; CMIF files carry an empty one.
    _sub(_sub(_sub(root, "text"), "body"), "p")
    return ET.ElementTree(root)


def _read_documents(db_path: Path, doc_types: tuple[str, ...]) -> list[dict[str, Any]]:
    """The documents of the wanted types, read-only, oldest first, undated last.

    Read-only so an export can run beside other readers; it still fails (DatabaseBusy) while
    ``archivist run`` holds the write lock.
    """
    if not db_path.is_file():
        raise UsageError(f"{db_path}: database not found")
    sql = (f"SELECT {', '.join(_COLUMNS)} FROM documents "
           "WHERE list_contains(?, doc_type) ORDER BY doc_date NULLS LAST, document_id")
    with Store(db_path, read_only=True) as store:
        try:
            cursor = store.con.execute(sql, [list(doc_types)])
        except duckdb.CatalogException as exc:
            raise UsageError(f"{db_path}: not an archivist database ({exc})") from exc
        return dict_rows(cursor)


def _check_target(out_path: Path) -> None:
    """Fail before any work when the output cannot be written, naming the path."""
    if not out_path.parent.is_dir():
        raise UsageError(f"cannot write CMIF to {out_path}: directory {out_path.parent} "
                         "does not exist")
    if out_path.is_dir():
        raise UsageError(f"cannot write CMIF to {out_path}: it is a directory")


def _write_atomically(tree: ET.ElementTree, out_path: Path) -> None:
    """Serialise ``tree`` and put it in place atomically (outfiles.write_bytes): readers see the
    old file or the new one, never a partial one."""
    plain = _unprefixed(tree.getroot())
    ET.indent(plain, space="  ")
    body = io.BytesIO()
    ET.ElementTree(plain).write(body, encoding="utf-8", xml_declaration=False)
    write_bytes(out_path, b'<?xml version="1.0" encoding="UTF-8"?>\n' + body.getvalue() + b"\n")


def _unprefixed(element: ET.Element) -> ET.Element:
    """A copy whose TEI elements are written unprefixed under one ``xmlns`` on the root.

    ``ElementTree.write(default_namespace=...)`` rejects the plain attribute names TEI uses
    (``type``, ``when``), and ``register_namespace`` would change every caller's output, so
    the namespace is moved from the tags to a root attribute on a copy instead.
    """
    copy = _strip_namespace(element)
    copy.set("xmlns", TEI_NS)
    return copy


def _strip_namespace(element: ET.Element) -> ET.Element:
    """Deep copy of ``element`` with the TEI namespace removed from element names."""
    tag = element.tag.removeprefix(f"{{{TEI_NS}}}")
    copy = ET.Element(tag, dict(element.attrib))
    copy.text, copy.tail = element.text, element.tail
    copy.extend(_strip_namespace(child) for child in element)
    return copy


def export_cmif(
    db_path: str | Path,
    out_path: str | Path,
    *,
    title: str = "archivist corpus",
    publisher: str = "archivist",
    source_url: str | None = None,
    doc_types: tuple[str, ...] = DEFAULT_DOC_TYPES,
    today: datetime.date | None = None,
) -> int:
    """Read documents from the DuckDB file read-only, write CMIF XML (UTF-8, XML declaration,
    pretty-printed), return the number of correspDesc written.

    Writes to a temporary file beside ``out_path`` and renames it, so an interrupted export
    never leaves a half-written file. Documents with nothing to export are counted in the log.
    """
    db_path, out_path = Path(db_path), Path(out_path)
    _check_target(out_path)
    rows = _read_documents(db_path, tuple(doc_types))
    tree = documents_to_cmif(rows, title=title, publisher=publisher, source_url=source_url,
                             today=today)
    written = len(tree.getroot().findall(f"{_tei('teiHeader')}/{_tei('profileDesc')}/"
                                         f"{_tei('correspDesc')}"))
    _write_atomically(tree, out_path)
    skipped = len(rows) - written
    log.info("CMIF: wrote %d correspDesc to %s, skipped %d document(s) without sender, "
             "recipient or date", written, out_path, skipped)
    return written
