"""``manage.py ledger_check``: check every ledger and market invariant (markets.selectors.ledger_check); prints each
problem and exits with status 1 if there is any, so it can run from cron or a deploy check."""
from django.core.management.base import BaseCommand, CommandError

from markets.selectors import ledger_check


class Command(BaseCommand):
    help = "Check the points ledger and every market against its question; exit 1 on any problem."

    def handle(self, *args, **options):
        problems = ledger_check()
        for problem in problems:
            self.stdout.write(problem)
        if problems:
            raise CommandError(f"{len(problems)} ledger problem(s).")
        self.stdout.write(self.style.SUCCESS("Ledger sound: every invariant holds."))
