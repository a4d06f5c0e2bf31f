"""The built-in calendar of the major meetings where trial results become public. Admins edit it (Assets ->
Meetings); ``confirmed`` stays off until someone has checked the dates against the society's own announcement.

Release rules, as the societies usually apply them (they change; check each year):
- ASCO: regular abstracts online on a Thursday about a week before the meeting, 5 pm ET; late-breaking and plenary
  abstracts embargoed until their presentation.
- ASH: regular abstracts online in early November; late-breaking abstracts embargoed until the Tuesday session.
- EHA: abstracts online in mid-May; late-breakers embargoed until presented.
- ESMO: abstracts online at the opening of the congress; LBAs embargoed until 00:05 CET/CEST on the day presented.
- AACR: regular abstracts online mid-March; clinical trial and late-breaking abstracts embargoed until presented.
"""
import datetime as dt
from zoneinfo import ZoneInfo

from django.db import migrations

RULES = {
    "ASCO": ("Regular abstracts online about a week before the meeting, Thursday 17:00 ET.",
             "Late-breaking and plenary abstracts are embargoed until the time of presentation."),
    "ASH": ("Regular abstracts online in early November.",
            "Late-breaking abstracts are embargoed until the Late-Breaking Abstracts session (Tuesday)."),
    "EHA": ("Abstracts online in mid-May.", "Late-breaking abstracts are embargoed until presented."),
    "ESMO": ("Abstracts online at the opening of the congress.",
             "LBAs are embargoed until 00:05 local time on the day of presentation."),
    "AACR": ("Regular abstracts online in mid-March.",
             "Clinical trial and late-breaking abstracts are embargoed until the time of presentation."),
}

# (series, name, start, end, location, time zone, abstract release local time or None, url)
MEETINGS = [
    ("ASH", "ASH Annual Meeting 2026", "2026-12-12", "2026-12-15", "Orlando, FL", "America/New_York",
     "2026-11-03 09:00", "https://www.hematology.org/meetings/annual-meeting"),
    ("AACR", "AACR Annual Meeting 2027", "2027-04-16", "2027-04-21", "United States", "America/New_York",
     "2027-03-15 16:30", "https://www.aacr.org/meeting/aacr-annual-meeting/"),
    ("ASCO", "ASCO Annual Meeting 2027", "2027-06-04", "2027-06-08", "Chicago, IL", "America/Chicago",
     "2027-05-27 16:00", "https://conferences.asco.org/am/"),
    ("EHA", "EHA Congress 2027", "2027-06-10", "2027-06-13", "Europe", "Europe/Berlin",
     "2027-05-14 09:00", "https://ehaweb.org/congress/"),
    ("ESMO", "ESMO Congress 2027", "2027-10-15", "2027-10-19", "Europe", "Europe/Berlin",
     None, "https://www.esmo.org/meeting-calendar"),
    ("ASH", "ASH Annual Meeting 2027", "2027-12-11", "2027-12-14", "United States", "America/New_York",
     "2027-11-02 09:00", "https://www.hematology.org/meetings/annual-meeting"),
]


def seed(apps, schema_editor):
    Meeting = apps.get_model("assets", "Meeting")
    for series, name, start, end, location, tz, release, url in MEETINGS:
        release_at = None
        if release:
            release_at = dt.datetime.strptime(release, "%Y-%m-%d %H:%M").replace(tzinfo=ZoneInfo(tz))
        abstract_rule, late_rule = RULES[series]
        Meeting.objects.get_or_create(name=name, defaults=dict(
            series=series, start_date=dt.date.fromisoformat(start), end_date=dt.date.fromisoformat(end),
            location=location, timezone=tz, abstract_release_at=release_at, abstract_release_rule=abstract_rule,
            late_breaking_rule=late_rule, url=url, confirmed=False,
        ))


def unseed(apps, schema_editor):
    Meeting = apps.get_model("assets", "Meeting")
    Meeting.objects.filter(name__in=[m[1] for m in MEETINGS], moments__isnull=True).delete()


class Migration(migrations.Migration):
    dependencies = [("assets", "0005_public_moments")]
    operations = [migrations.RunPython(seed, unseed)]
