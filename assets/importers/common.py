"""What every importer shares: the file-and-line error, UTF-8 decoding that reports the line of a bad byte, and the
result record that the commands and the admin page print.

Pure Python (no Django), so the parsers built on it can be tested without a database.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

from assets.errors import ValidationError


class ImportFileError(ValidationError):
    """A file could not be imported. ``str(error)`` is ``file:line: what was expected`` (``file:line:col:`` for JSON).

    ``line`` is 1-based; it is ``None`` only when the file could not be read at all.
    """

    code = "import_failed"

    def __init__(self, filename: str, line: int | None, message: str, *, column: int | None = None):
        self.filename = filename
        self.line = line
        self.column = column
        self.detail = message
        where = filename
        if line is not None:
            where += f":{line}"
            if column is not None:
                where += f":{column}"
        super().__init__(f"{where}: {message}", field="file")


@dataclass
class ImportResult:
    """What importing one file did. ``summary`` is the short text shown after ``ok`` in progress lines."""

    filename: str
    format: str
    summary: str = ""
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    dry_run: bool = False

    def note(self, label: str, created: bool, changed: bool = True) -> None:
        """Record one row the import touched: created, updated (``changed``) or found as it was."""
        if created:
            self.created.append(label)
        elif changed:
            self.updated.append(label)
        else:
            self.unchanged.append(label)

    def describe(self) -> str:
        """One sentence for the admin's success message: what was created, updated and left as it was."""
        parts = []
        if self.created:
            parts.append("created " + ", ".join(self.created))
        if self.updated:
            parts.append("updated " + ", ".join(self.updated))
        if self.unchanged:
            parts.append("unchanged " + ", ".join(self.unchanged))
        text = "; ".join(parts) or "nothing to change"
        return f"{self.filename}: {text}" + (" (dry run: nothing saved)" if self.dry_run else "")


# Characters that never belong in a text document; a file containing them is almost surely binary or corrupt.
_FORBIDDEN_CONTROLS = {chr(c) for c in range(32) if chr(c) not in "\t\n\r\f"} | {"\x7f"}
# One regex scan instead of a Python loop over every character (0.7 s for a 4.8 MB file).
_FORBIDDEN_RE = re.compile("[" + re.escape("".join(sorted(_FORBIDDEN_CONTROLS))) + "]")


def decode_text(filename: str, data: bytes) -> str:
    """Decode ``data`` as UTF-8 (a leading byte-order mark is dropped) and normalise newlines to ``\\n`` and text to NFC.

    Errors: :class:`ImportFileError` naming the line and column of the first byte that is not valid UTF-8 (a file
    cut inside a multi-byte character fails the same way), or of the first control character such as NUL.
    """
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        head = data[: exc.start]
        line = head.count(b"\n") + 1
        column = exc.start - (head.rfind(b"\n") + 1) + 1
        raise ImportFileError(
            filename,
            line,
            f"expected UTF-8 text, found byte 0x{data[exc.start]:02x} at column {column} that is not valid UTF-8 "
            "(save the file as UTF-8)",
        ) from None
    if text.startswith("\ufeff"):
        text = text[1:]
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    forbidden = _FORBIDDEN_RE.search(text)
    if forbidden:
        index, char = forbidden.start(), forbidden.group()
        line = text.count("\n", 0, index) + 1
        raise ImportFileError(
            filename, line, f"expected text, found the control character U+{ord(char):04X} (is this a binary file?)"
        )
    return unicodedata.normalize("NFC", text)


def check_length(filename: str, line: int, what: str, value: str, limit: int) -> str:
    """Return ``value`` if it fits a column of ``limit`` characters, else fail naming the line."""
    if len(value) > limit:
        raise ImportFileError(filename, line, f"expected {what} of at most {limit} characters, found {len(value)}")
    return value
