"""The demo's calendar: every date of the demo's current story (the SUCCESSOR-2 topline, its news and trial event,
the questions it raised and when they close) is counted from the day the demo is first loaded, so a new user always
finds open questions to forecast, whenever the demo is loaded.

The story: the sponsor announced the topline ``TOPLINE_DAYS_AGO`` days before the load, the questions opened the
next morning, and they close about a year after the load. The demo's past (CARTITUDE-4, resolved from its 2023 and
2024 publications) keeps its real dates: it is history, and it stays resolved whenever the demo is loaded.

Loading again later keeps the first load's calendar: the topline date is read back from the trial event the first
load wrote, so a second run updates rows in place instead of adding a second topline.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.utils import timezone

UTC = dt.timezone.utc
TOPLINE_DAYS_AGO = 60
QUESTIONS_CLOSE_DAYS_AFTER_TOPLINE = 425  # about a year after the load
SUCCESSOR_2_REGISTRY_ID = "NCT05552976"


@dataclass(frozen=True)
class DemoCalendar:
    topline: dt.date  # the sponsor's topline press release

    @property
    def questions_open(self) -> dt.datetime:
        """The morning after the topline."""
        day = self.topline + dt.timedelta(days=1)
        return dt.datetime(day.year, day.month, day.day, 9, 0, tzinfo=UTC)

    @property
    def questions_close(self) -> dt.datetime:
        day = self.topline + dt.timedelta(days=QUESTIONS_CLOSE_DAYS_AFTER_TOPLINE)
        return dt.datetime(day.year, day.month, day.day, 23, 59, tzinfo=UTC)

    def text(self, template: str) -> str:
        """Fill a demo text's date placeholders: [TOPLINE_DAY] "9 March 2026", [TOPLINE_MONTH] "March 2026",
        [TOPLINE_YEAR], [READOUT_YEAR] (the year the questions close), [PRIOR_YEAR] (six months before the topline,
        when the sister drug's Phase 3 read out)."""
        prior = self.topline - dt.timedelta(days=183)
        return (
            template.replace("[TOPLINE_DAY]", f"{self.topline.day} {self.topline:%B %Y}")
            .replace("[TOPLINE_MONTH]", f"{self.topline:%B %Y}")
            .replace("[TOPLINE_YEAR]", str(self.topline.year))
            .replace("[READOUT_YEAR]", str(self.questions_close.year))
            .replace("[PRIOR_YEAR]", str(prior.year))
        )


def calendar_on(today: dt.date) -> DemoCalendar:
    """The calendar of a demo first loaded on ``today`` (UTC)."""
    return DemoCalendar(topline=today - dt.timedelta(days=TOPLINE_DAYS_AGO))


def demo_calendar(*, today: dt.date | None = None) -> DemoCalendar:
    """The calendar of the demo in this database: the first load's, or one counted from ``today`` (default: today)."""
    from assets.models import TrialEvent  # the clock itself needs no models; only the lookup does

    first = (
        TrialEvent.objects.filter(trial__registry_id=SUCCESSOR_2_REGISTRY_ID, kind=TrialEvent.Kind.TOPLINE)
        .order_by("date").values_list("date", flat=True).first()
    )
    if first is not None:
        return DemoCalendar(topline=first)
    return calendar_on(today or timezone.now().date())
