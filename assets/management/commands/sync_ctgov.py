"""``manage.py sync_ctgov [NCT...]``: refresh trials from the ClinicalTrials.gov API (assets.services.registry_sync)."""
from django.core.management.base import BaseCommand, CommandError

from assets.ctgov_client import nct_id_clean
from assets.errors import ValidationError
from assets.services.registry_sync import trial_registry_ids_tracked, trial_registry_sync


class Command(BaseCommand):
    help = (
        "Fetch trials' records from the ClinicalTrials.gov API v2 and save them: status, why stopped, start, primary "
        "completion and completion dates (ACTUAL/ESTIMATED), enrollment, results, last update, arms and endpoints. "
        "Every registry change is kept as history and shown on the trial's timeline. With no NCT id, every trial "
        "that has one. Each trial is saved in its own transaction: one that fails is left as it was and the others "
        "go on. Prints '[2/7] NCT05552976 SUCCESSOR-2: unchanged' (or created, changed: ..., FAILED ...) per trial. "
        "Exit status 1 when any trial failed."
    )

    def add_arguments(self, parser):
        parser.add_argument("registry_ids", nargs="*", metavar="NCT", help="NCT ids (NCT + 8 digits). Default: every trial with one.")
        parser.add_argument("--dry-run", action="store_true", help="Fetch and save each trial, report, then roll it back.")

    def handle(self, *args, **options):
        ids = options["registry_ids"]
        try:
            ids = [nct_id_clean(value) for value in ids]  # refuse a bad id before any request
        except ValidationError as exc:
            raise CommandError(exc.message) from None
        ids = list(dict.fromkeys(ids)) or trial_registry_ids_tracked()
        counts = {"created": 0, "changed": 0, "unchanged": 0, "failed": 0}
        for index, outcome in enumerate(trial_registry_sync(registry_ids=ids, dry_run=options["dry_run"]), start=1):
            counts[outcome.state] += 1
            line = f"[{index}/{len(ids)}] {outcome.line()}"
            self.stdout.write(self.style.ERROR(line) if not outcome.ok else line)
            self.stdout.flush()
        done = sum(counts.values())
        if not done:
            self.stdout.write("No trial has an NCT id: nothing to sync.")
            return
        summary = (
            f"{'Dry run: ' if options['dry_run'] else ''}Synced {done - counts['failed']} of {done} "
            f"trial{'s' if done != 1 else ''} with ClinicalTrials.gov: {counts['created']} created, "
            f"{counts['changed']} changed, {counts['unchanged']} unchanged, {counts['failed']} failed"
            f"{' (nothing saved)' if options['dry_run'] else ''}."
        )
        if counts["failed"]:
            raise CommandError(summary, returncode=1)
        self.stdout.write(self.style.SUCCESS(summary))
