"""python manage.py import_readouts FILE: one conference's batch of readouts from CSV or JSON, all or nothing."""
from __future__ import annotations

import csv
import datetime as dt
import io
import json
import math
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from assets.errors import ValidationError
from assets.validators import MAX_JSON_DEPTH, json_too_deep, text_problem, too_deep_message
from forecasting.resolution.services.readouts import readouts_import

REQUIRED = ("trial", "endpoint", "metric", "value", "source", "known_at")
OPTIONAL = ("ci_lower", "ci_upper", "p_value", "experimental_value", "control_value", "url", "note")
NUMBERS = ("value", "ci_lower", "ci_upper", "p_value", "experimental_value", "control_value")
COLUMNS = REQUIRED + OPTIONAL


class RowError(Exception):
    def __init__(self, where: str, field: str, message: str):
        super().__init__(f"{where}, field {field}: {message}")


def _number(raw, *, where: str, field: str):
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None
    if isinstance(raw, bool):
        raise RowError(where, field, f"expected a number, got {raw!r}")
    if isinstance(raw, (int, float)):
        return raw
    try:
        value = float(str(raw).strip())
    except ValueError:
        raise RowError(where, field, f"expected a number, got {raw!r}") from None
    if not math.isfinite(value):
        raise RowError(where, field, f"expected a finite number, got {raw!r}")
    return value


def _datetime(raw, *, where: str, field: str) -> dt.datetime:
    text = str(raw or "").strip()
    try:
        value = dt.datetime.fromisoformat(text)
    except ValueError:
        value = None
    if value is None or value.tzinfo is None:
        raise RowError(
            where, field,
            f"expected an ISO 8601 date and time with a timezone, e.g. 2026-05-31T14:00:00Z, got {raw!r}",
        )
    return value


def _clean_row(raw: dict, *, where: str) -> dict:
    unknown = sorted(k for k in raw if k not in COLUMNS)
    if unknown:
        raise RowError(where, unknown[0], f"unknown column; allowed: {', '.join(COLUMNS)}")
    fields = {}
    for name in COLUMNS:
        value = raw.get(name)
        if value is None or (isinstance(value, str) and not value.strip()):
            if name in REQUIRED:
                raise RowError(where, name, "missing value (required)")
            continue
        if name in NUMBERS:
            value = _number(value, where=where, field=name)
        elif name == "known_at":
            value = _datetime(value, where=where, field=name)
        elif not isinstance(value, str):
            value = str(value)
        if isinstance(value, str) and text_problem(value):
            # A JSON "\u0000" or lone "\ud800" escape: the database cannot store it.
            raise RowError(where, name, text_problem(value))
        fields[name] = value.strip() if isinstance(value, str) else value
    return fields


def parse_csv(text: str, *, name: str) -> list[tuple[str, dict]]:
    """Rows of a CSV file with a header line. Row labels name the file line (the header is line 1)."""
    reader = csv.DictReader(io.StringIO(text), restkey="__extra__", strict=True)
    header = reader.fieldnames or []
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        raise RowError(f"{name}, line 1", missing[0], f"missing column; the header needs {', '.join(REQUIRED)}")
    unknown = [c for c in header if c not in COLUMNS]
    if unknown:
        raise RowError(f"{name}, line 1", unknown[0], f"unknown column; allowed: {', '.join(COLUMNS)}")
    rows = []
    try:
        for raw in reader:
            where = f"{name}, line {reader.line_num}"
            if "__extra__" in raw:
                raise RowError(where, "row", f"{len(header) + len(raw['__extra__'])} values for {len(header)} columns")
            absent = [k for k, v in raw.items() if v is None]
            if absent:
                raise RowError(where, absent[0], f"missing: the row has fewer values than the header ({len(header)}); "
                               "is the file truncated?")
            rows.append((where, _clean_row(raw, where=where)))
    except csv.Error as exc:
        raise RowError(f"{name}, line {reader.line_num}", "row", f"malformed CSV ({exc}); is the file truncated?") from None
    if not rows:
        raise RowError(name, "row", "no readouts in the file")
    return rows


def parse_json(text: str, *, name: str) -> list[tuple[str, dict]]:
    """A JSON list of readout objects, or {"readouts": [...]}. Row labels name the item index (from 0)."""
    if json_too_deep(text, MAX_JSON_DEPTH):
        raise RowError(name, "json", too_deep_message(MAX_JSON_DEPTH))
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise RowError(f"{name}, line {exc.lineno} column {exc.colno}", "json",
                       f"invalid JSON ({exc.msg}); is the file truncated?") from None
    except RecursionError:
        raise RowError(name, "json", too_deep_message(MAX_JSON_DEPTH)) from None
    if isinstance(data, dict) and isinstance(data.get("readouts"), list):
        data = data["readouts"]
    if not isinstance(data, list) or not data:
        raise RowError(name, "readouts", 'expected a non-empty list of readouts, or {"readouts": [...]}')
    rows = []
    for i, item in enumerate(data):
        where = f"{name}, item [{i}]"
        if not isinstance(item, dict):
            raise RowError(where, "item", "each readout must be an object")
        rows.append((where, _clean_row(item, where=where)))
    return rows


class Command(BaseCommand):
    help = (
        "Import one conference's readouts from a CSV (header line) or JSON (a list of objects) file, chosen by the "
        "file extension. Columns: " + ", ".join(REQUIRED) + " (required), " + ", ".join(OPTIONAL) + " (optional). "
        "trial is an NCT id or acronym, endpoint a code (PFS), metric one of the readout metrics, known_at an ISO "
        "8601 date-time with a timezone. All or nothing: any bad row (named by file, line or item, and field) "
        "changes nothing. Idempotent: the same trial, endpoint, metric and source update the readout. Each readout "
        "proposes resolutions for the questions bound to it; confirm them on the Pending resolutions page."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", metavar="FILE", help="A .csv or .json file.")
        parser.add_argument("--user", help="Username recorded as the readouts' creator.")
        parser.add_argument("--dry-run", action="store_true", help="Check and report, then roll back.")

    def handle(self, *args, **options):
        path = Path(options["path"])
        if not path.is_file():
            raise CommandError(f"{path}: no such file.")
        suffix = path.suffix.lower()
        if suffix not in (".csv", ".json"):
            raise CommandError(f"{path.name}: expected a .csv or .json file.")
        try:
            text = path.read_text(encoding="utf-8-sig")
        except UnicodeDecodeError as exc:
            raise CommandError(f"{path.name}: not UTF-8 text ({exc.reason} at byte {exc.start}).") from None
        user = None
        if options.get("user"):
            user = get_user_model().objects.filter(username=options["user"]).first()
            if user is None:
                raise CommandError(f"--user: no user {options['user']!r}.")
        try:
            rows = (parse_csv if suffix == ".csv" else parse_json)(text, name=path.name)
            with transaction.atomic():
                summary = readouts_import(rows=rows, created_by=user)
                if options["dry_run"]:
                    transaction.set_rollback(True)
        except (RowError, ValidationError) as exc:
            text = str(exc).rstrip(".")
            raise CommandError(f"{text}. Nothing was imported.") from None
        prefix = "Dry run, nothing saved: would import" if options["dry_run"] else "Imported"
        self.stdout.write(self.style.SUCCESS(
            f"{prefix} {len(rows)} readouts from {path.name}: {summary.created} created, {summary.updated} updated; "
            f"{summary.proposals} resolutions pending confirmation."
        ))
