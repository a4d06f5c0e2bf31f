from django.core.management.base import BaseCommand

from forecasting.demo import demo_load


class Command(BaseCommand):
    help = "Load the demo data set (assets, trials, news, questions, forecasters). Safe to run again."

    def handle(self, *args, **options):
        summary = demo_load()
        for line in summary:
            self.stdout.write(line)
        self.stdout.write(self.style.SUCCESS("Demo data loaded."))
