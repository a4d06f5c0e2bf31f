from django.conf import settings
from django.core.management.base import BaseCommand

from forecasting.demo import demo_load


class Command(BaseCommand):
    help = "Load the demo data set (assets, trials, news, questions, forecasters). Safe to run again."

    def handle(self, *args, **options):
        # Demo forecasters have made-up addresses: resolving the demo's past questions must not mail them.
        settings.EMAIL_BACKEND = "django.core.mail.backends.dummy.EmailBackend"
        summary = demo_load()
        for line in summary:
            self.stdout.write(line)
        self.stdout.write(self.style.SUCCESS("Demo data loaded."))
