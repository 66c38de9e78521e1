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
    data = Path(path).read_bytes()
    try:
        raw = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise SourceError(path, f"not UTF-8 text (byte {exc.start}: {data[exc.start:exc.start + 1]!r})") from exc
    if "\x00" in raw:
        raise SourceError(path, "binary data in a text file")
    if not raw.strip():
        raise SourceError(path, "empty transcription")
    return parse_markdown(raw)


def parse_markdown(raw: str) -> Transcription:
    """Paragraphs are separated by blank lines; inside one, only hard breaks start a new line."""
    lines: list[TextLine] = []
    offset = 0
    for par_no, paragraph in enumerate(_paragraphs(raw)):
        if lines:
            offset += 1
        for text in _logical_lines(paragraph):
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
