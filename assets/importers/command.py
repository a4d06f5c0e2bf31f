"""The shared body of the ``import_profile``, ``import_news`` and ``import_ctgov`` management commands."""
from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from assets.importers import run_imports

EXIT_STATUS_HELP = (
    "Each file is imported in its own transaction: a file that fails changes nothing, and the command goes on with "
    "the next one. Progress is printed as '[3/120] file: ok (...)' or '[4/120] file: FAILED file:line: ...', then a "
    "summary. Exit status: 0 when every file was imported, 1 when any failed (or no file was given)."
)


class ImportCommand(BaseCommand):
    """Subclasses set ``format`` (a key of :data:`assets.importers.FORMATS`), ``help`` and ``suffixes``."""

    format = ""
    suffixes: tuple[str, ...] = ()

    def add_arguments(self, parser):
        parser.add_argument(
            "paths", nargs="+", metavar="FILE",
            help="Files to import. A directory stands for the files in it (not recursive), in name order.",
        )
        parser.add_argument("--dry-run", action="store_true", help="Import each file, report, then roll it back.")

    def _expand(self, paths: list[str]) -> list[Path]:
        files: list[Path] = []
        for raw in paths:
            path = Path(raw)
            if path.is_dir():
                files += sorted(
                    p for p in path.iterdir()
                    if p.is_file() and not p.name.startswith(".") and (not self.suffixes or p.suffix.lower() in self.suffixes)
                )
            else:
                files.append(path)
        return files

    def handle(self, *args, **options):
        files = self._expand(options["paths"])
        if not files:
            raise CommandError("No files to import.")
        dry_run = options["dry_run"]
        failed = 0
        created = updated = unchanged = 0
        for outcome in run_imports(
            fmt=self.format,
            files=((str(path), path.read_bytes) for path in files),
            total=len(files),
            dry_run=dry_run,
        ):
            if outcome.ok:
                created += len(outcome.result.created)
                updated += len(outcome.result.updated)
                unchanged += len(outcome.result.unchanged)
                if options["verbosity"] >= 1:
                    self.stdout.write(outcome.progress_line())
                if options["verbosity"] >= 2:
                    self.stdout.write("    " + outcome.result.describe())
            else:
                failed += 1
                # on stdout with the other progress lines, so the order stays readable when both go to a terminal
                self.stdout.write(self.style.ERROR(outcome.progress_line()))
            self.stdout.flush()
        done = len(files) - failed
        summary = (
            f"{'Dry run: would have imported' if dry_run else 'Imported'} {done} of {len(files)} "
            f"file{'s' if len(files) != 1 else ''} ({created} records created, {updated} updated, {unchanged} unchanged"
            f"{', nothing saved' if dry_run else ''}); {failed} failed."
        )
        if failed:
            raise CommandError(summary, returncode=1)
        self.stdout.write(self.style.SUCCESS(summary))
