"""Earlier transcriptions (.txt, .md) as witnesses: the text, its lines, the raw bytes kept.

Old transcriptions are often Markdown, by intent or by accident: two trailing spaces or a
backslash end a line hard, a single newline is only a soft wrap inside a paragraph, and
*emphasis* marks the transcriber's italics. We read them that way so that a paragraph typed on one
line and one wrapped by an editor give the same text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from archivist.errors import SourceError
from archivist.images import sniff
from archivist.ocr import TextLine, lines_to_text

_EMPHASIS = re.compile(r"(\*\*|__|\*|_)(?=\S)(.+?)(?<=\S)\1")
_HEADING = re.compile(r"^\s{0,3}#{1,6}\s+")
_HARD_BREAK = re.compile(r"( {2,}|\\)$")


@dataclass
class Transcription:
    raw: str
    lines: list[TextLine]

    @property
    def text(self) -> str:
        return lines_to_text(self.lines)


def read_transcription(path: Path | str) -> Transcription:
    """A transcription file as a witness; SourceError naming the file when it is not readable text.

    Text must be UTF-8 (a BOM is allowed), or UTF-16 marked by its BOM, which is unambiguous.
    Anything else is refused rather than guessed: an 8-bit file decodes "successfully" in every
    legacy code page, most of them wrongly (MacRoman's é is cp1252's Ž), and a corpus whose point
    is faithful text must not silently store the wrong letters. The message says which encoding
    the file most likely is and how to convert it.
    """
    try:
        data = Path(path).read_bytes()
    except FileNotFoundError as exc:
        raise SourceError(path, "the file disappeared before it could be read (moved or deleted "
                                "during the run)") from exc
    except IsADirectoryError as exc:
        raise SourceError(path, "is a folder, not a text file") from exc
    except OSError as exc:
        raise SourceError(path, f"cannot be read: {exc.strerror or exc}") from exc
    if not data:
        raise SourceError(path, "empty transcription (0 bytes)")
    raw = decode_text(path, data)
    if not raw.strip():
        raise SourceError(path, "empty transcription (only blank lines)")
    return parse_markdown(raw)


def decode_text(path: Path | str, data: bytes) -> str:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")) and not data.startswith(b"\xff\xfe\x00\x00"):
        try:
            return _checked_text(path, data.decode("utf-16"))
        except UnicodeDecodeError as exc:
            raise SourceError(path, f"not valid UTF-16 text although it starts with a UTF-16 "
                                    f"byte-order mark (byte {exc.start})") from exc
    binary = _binary_kind(data)
    if binary:
        raise SourceError(path, f"binary data, not text: {binary}")
    try:
        return _checked_text(path, data.decode("utf-8-sig"))
    except UnicodeDecodeError as exc:
        raise SourceError(path, _not_utf8(data, exc)) from exc


def _checked_text(path: Path | str, raw: str) -> str:
    if "\x00" in raw:
        raise SourceError(path, "binary data in a text file (NUL characters)")
    return raw


def _binary_kind(data: bytes) -> str | None:
    """Why these bytes are not text, or None: a known file signature, NUL bytes, or mostly
    control characters (a text file has only tabs, line ends and form feeds among them)."""
    head = data[:4096]
    what = sniff(head)
    if what:
        return f"the file is {what}"
    if b"\x00" in head:
        return "it contains NUL bytes (a binary file, or text in UTF-16 without a byte-order mark)"
    controls = sum(1 for b in head if b < 32 and b not in (9, 10, 12, 13) or b == 127)
    if controls > max(8, len(head) // 20):
        return f"{controls} control bytes in its first {len(head)} bytes"
    return None


def _not_utf8(data: bytes, exc: UnicodeDecodeError) -> str:
    where = f"byte {exc.start}: {data[exc.start:exc.start + 1]!r}"
    line = data[:exc.start].count(b"\n") + 1
    start = data.rfind(b"\n", 0, exc.start) + 1
    end = data.find(b"\n", exc.start)
    snippet = data[start:end if end != -1 else len(data)][:60]
    try:
        preview = snippet.decode("cp1252").strip()
        guess = (f"it reads as Windows-1252 (cp1252): \"{preview}\"; convert it with "
                 f"`iconv -f WINDOWS-1252 -t UTF-8` and add it again")
    except UnicodeDecodeError:
        guess = "save it as UTF-8 and add it again"
    return f"not UTF-8 text (line {line}, {where}); {guess}"


def parse_markdown(raw: str) -> Transcription:
    """Paragraphs are separated by blank lines; inside one, only hard breaks start a new line."""
    lines: list[TextLine] = []
    offset, par_no = 0, -1
    for paragraph in _paragraphs(raw):
        texts = _logical_lines(paragraph)
        if not texts:  # only marks ("# ", "**"): no paragraph, and no blank line before one
            continue
        par_no += 1
        if lines:
            offset += 1
        for text in texts:
            lines.append(TextLine(line_no=len(lines), par_no=par_no, text=text,
                                  char_start=offset, char_end=offset + len(text)))
            offset += len(text) + 1
    return Transcription(raw=raw, lines=lines)


def _paragraphs(raw: str) -> list[list[str]]:
    paragraphs, current = [], []
    for line in raw.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        if line.strip():
            current.append(line)
        elif current:
            paragraphs.append(current)
            current = []
    if current:
        paragraphs.append(current)
    return paragraphs


def _logical_lines(paragraph: list[str]) -> list[str]:
    logical, pending = [], ""
    for line in paragraph:
        hard = bool(_HARD_BREAK.search(line))
        piece = _inline(_HARD_BREAK.sub("", line))
        pending = f"{pending} {piece}".strip() if pending else piece
        if hard:
            logical.append(pending)
            pending = ""
    if pending:
        logical.append(pending)
    return [line for line in logical if line]


def _inline(text: str) -> str:
    text = _HEADING.sub("", text)
    text = _EMPHASIS.sub(r"\2", text)
    return re.sub(r"\s+", " ", text).strip()
