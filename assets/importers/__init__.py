"""Importers for the formats Readout's admins have: asset-profile text, news text and ClinicalTrials.gov JSON.

Use :func:`run_import` for one file and :func:`run_imports` for many: each file is its own transaction (a file that
fails changes nothing), errors read ``file:line: expected ...``, and ``dry_run`` rolls back after importing. The
management commands (``import_profile``, ``import_news``, ``import_ctgov``) and the admin's Import page both call them.
"""
from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import DatabaseError, transaction

from assets.errors import DomainError
from assets.importers.common import ImportFileError, ImportResult

FORMATS: dict[str, str] = {
    "profile": "Asset profile (text)",
    "news": "News item (text)",
    "ctgov": "ClinicalTrials.gov study (JSON)",
}


def _importer(fmt: str) -> Callable[..., ImportResult]:
    if fmt == "profile":
        from assets.importers.profile import import_profile

        return import_profile
    if fmt == "news":
        from assets.importers.news import import_news

        return import_news
    if fmt == "ctgov":
        from assets.importers.ctgov import import_ctgov

        return import_ctgov
    raise ValueError(f"Unknown import format {fmt!r}; expected one of {', '.join(FORMATS)}.")


def detect_format(filename: str, data: bytes) -> str:
    """Guess a file's format: ``.json`` or a leading ``{`` is ClinicalTrials.gov, a first line starting with
    ``date YYYY-`` is news, anything else a profile."""
    head = data[:200].lstrip(b"\xef\xbb\xbf \t\r\n")
    if filename.lower().endswith(".json") or head.startswith(b"{"):
        return "ctgov"
    if re.match(rb"date\s+\d{4}-", head, re.IGNORECASE):
        return "news"
    return "profile"


def run_import(*, fmt: str, filename: str, data: bytes, dry_run: bool = False) -> ImportResult:
    """Import one file in its own transaction: all of it or, on any error, none of it.

    ``dry_run`` does the whole import and then rolls it back, so the result says what would change.
    Errors: :class:`ImportFileError` (``str()`` is ``file:line: what was expected``); database and domain errors
    raised while saving are wrapped in one, at line 1 when no better line is known.
    """
    importer = _importer(fmt)
    try:
        with transaction.atomic():
            result = importer(filename=filename, data=data)
            result.dry_run = dry_run
            if dry_run:
                transaction.set_rollback(True)
    except ImportFileError:
        raise
    except RecursionError:
        # A nesting no importer expects (each parser refuses deep JSON; this keeps one file from failing the batch).
        raise ImportFileError(filename, 1, "expected a document nested a few levels deep, found one too deeply "
                              "nested to read") from None
    except (DomainError, DjangoValidationError, DatabaseError) as exc:
        message = getattr(exc, "message", None) or "; ".join(getattr(exc, "messages", [])) or str(exc)
        raise ImportFileError(filename, 1, f"could not save the file's records: {message}") from exc
    return result


@dataclass
class Outcome:
    """One file's outcome in a batch: ``result`` when it was imported, ``error`` when it failed."""

    index: int
    total: int
    filename: str
    result: ImportResult | None = None
    error: str = ""

    @property
    def ok(self) -> bool:
        return self.result is not None

    def progress_line(self) -> str:
        """``[3/120] file.txt: ok (asset Foo, 2 trials)`` or ``[4/120] bad.txt: FAILED bad.txt:3: expected ...``."""
        prefix = f"[{self.index}/{self.total}] {self.filename}:"
        if self.ok:
            dry = ", dry run" if self.result.dry_run else ""
            return f"{prefix} ok ({self.result.summary}{dry})"
        return f"{prefix} FAILED {self.error}"


def run_imports(
    *, fmt: str, files: Iterable[tuple[str, Callable[[], bytes]]], total: int, dry_run: bool = False
) -> Iterator[Outcome]:
    """Import many files one by one, yielding an :class:`Outcome` per file as soon as it is done (for progress).

    ``files`` yields ``(filename, read)`` pairs; ``read`` is called only when the file's turn comes, and an
    ``OSError`` from it fails that file alone. A failing file never stops the batch. ``fmt`` may be ``"auto"`` to
    detect each file's format with :func:`detect_format`.
    """
    for index, (filename, read) in enumerate(files, start=1):
        outcome = Outcome(index, total, filename)
        try:
            data = read()
        except OSError as exc:
            outcome.error = f"{filename}: cannot read the file: {exc.strerror or exc}"
            yield outcome
            continue
        file_format = detect_format(filename, data) if fmt == "auto" else fmt
        try:
            outcome.result = run_import(fmt=file_format, filename=filename, data=data, dry_run=dry_run)
        except ImportFileError as exc:
            outcome.error = str(exc)
        yield outcome


__all__ = ["FORMATS", "ImportFileError", "ImportResult", "Outcome", "detect_format", "run_import", "run_imports"]
