from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import transaction

from assets.demo import assets_demo_load
from forecasting.discussion.demo import discussion_demo_load
from forecasting.forecasts.demo import forecasters_demo_load, forecasts_demo_load
from forecasting.forecasts.demo_date import date_forecasts_demo_load
from forecasting.groups.demo import trial_native_demo_load
from forecasting.resolution.demo import resolution_demo_load
from markets.demo import questions_demo_load
from markets.demo_date import date_question_demo_load
from markets.demo_markets import markets_demo_load


@transaction.atomic
def demo_load() -> list[str]:
    """The demo data set, each app's and room's part in dependency order (assets <- markets <- forecasts <-
    resolution). Idempotent."""
    lines = list(assets_demo_load())
    question_lines, questions = questions_demo_load()
    lines += question_lines
    users = forecasters_demo_load()
    lines += markets_demo_load()
    lines += forecasts_demo_load(questions, users)
    date_lines, date_question = date_question_demo_load(users=users)
    lines += date_lines + date_forecasts_demo_load(date_question, users)
    lines += discussion_demo_load(questions, users)
    lines += resolution_demo_load()
    lines += trial_native_demo_load()  # groups, a conditional pair, a base-rate example
    return lines


class Command(BaseCommand):
    help = "Load the demo data set (assets, trials, news, questions, forecasters). Safe to run again."

    def handle(self, *args, **options):
        # Demo forecasters have made-up addresses: resolving the demo's past questions must not mail them.
        settings.EMAIL_BACKEND = "django.core.mail.backends.dummy.EmailBackend"
        summary = demo_load()
        for line in summary:
            self.stdout.write(line)
        self.stdout.write(self.style.SUCCESS("Demo data loaded."))
