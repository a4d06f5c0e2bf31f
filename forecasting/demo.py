"""The demo data set, in our own words from the facts of the seed documents. Idempotent.

Each app contributes its part; this module runs them in dependency order (assets <- markets <- forecasting).
"""
from django.db import transaction

from assets.demo import assets_demo_load


@transaction.atomic
def demo_load() -> list[str]:
    lines = []
    lines += assets_demo_load()
    return lines
