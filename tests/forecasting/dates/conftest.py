import datetime as dt

import pytest
from django.utils import timezone

from markets import date_axis
from markets.services import question_create
from tests import factories

RANGE = ("2027-01-01", "2027-12-31")


def date_question_create(**overrides):
    now = timezone.now()
    fields = {
        "status": "open", "title": "When will SUCCESSOR-2 full PFS data be presented?", "type": "date",
        "resolution_criteria": "The UTC date on which the PFS hazard ratio is first public.",
        "open_time": now - dt.timedelta(days=10), "scheduled_close_time": now + dt.timedelta(days=60),
        "range_min": date_axis.parse_date(RANGE[0]), "range_max": date_axis.parse_date(RANGE[1]),
    }
    fields.update(overrides)
    return question_create(**fields)


@pytest.fixture
def date_question(db):
    return date_question_create()


@pytest.fixture
def open_ended_date_question(db):
    return date_question_create(title="When will the FDA decide?", open_lower_bound=True, open_upper_bound=True)


@pytest.fixture
def forecaster(db):
    return factories.UserFactory(username="amira")
