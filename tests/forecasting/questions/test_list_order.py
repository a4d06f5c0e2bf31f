"""The question list leads with what can be forecast now: open questions closing soonest, then questions not open
yet, then those waiting for their answer, then resolved and annulled ones, most recently closed first. Filters and
pages keep that order, in a constant number of queries."""
import datetime as dt
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from tests import factories

pytestmark = pytest.mark.django_db


def _titles(html: str) -> list[str]:
    return re.findall(r'class="question-title"[^>]*>([^<]+)<', html)


@pytest.fixture
def mixed_questions(db):
    now = timezone.now()
    days = dt.timedelta(days=1)
    make = factories.QuestionFactory
    return {
        "resolved_long_ago": make(title="Resolved long ago", status="resolved", outcome=1.0,
                                  open_time=now - 900 * days, scheduled_close_time=now - 800 * days,
                                  actual_close_time=now - 800 * days),
        "resolved_recently": make(title="Resolved recently", status="resolved", outcome=0.0,
                                  open_time=now - 90 * days, scheduled_close_time=now - 10 * days,
                                  actual_close_time=now - 10 * days),
        "annulled": make(title="Annulled", status="annulled", open_time=now - 90 * days,
                         scheduled_close_time=now - 30 * days, actual_close_time=now - 30 * days),
        "pending": make(title="Answer pending", status="pending", open_time=now - 60 * days,
                        scheduled_close_time=now + 5 * days, pending_since=now - 2 * days),
        "closed": make(title="Closed awaiting", status="closed", open_time=now - 60 * days,
                       scheduled_close_time=now - 1 * days),
        "open_late": make(title="Open closing late", open_time=now - 5 * days, scheduled_close_time=now + 300 * days),
        "open_soon": make(title="Open closing soon", open_time=now - 5 * days, scheduled_close_time=now + 3 * days),
        "not_yet_open": make(title="Opens next week", open_time=now + 7 * days, scheduled_close_time=now + 90 * days),
    }


EXPECTED = ["Open closing soon", "Open closing late", "Opens next week", "Closed awaiting", "Answer pending",
            "Resolved recently", "Annulled", "Resolved long ago"]


def test_open_questions_come_first_closing_soonest_then_pending_then_resolved_newest_first(client, mixed_questions):
    html = client.get(reverse("questions:list")).content.decode()
    assert _titles(html) == EXPECTED


def test_the_order_holds_across_pages_and_filters(client, mixed_questions, monkeypatch):
    from functools import partial

    from assets.paging import paginate
    from forecasting.questions import pages as question_pages

    monkeypatch.setattr(question_pages, "paginate", partial(paginate, per_page=3))
    pages = [_titles(client.get(reverse("questions:list"), {"page": n}).content.decode()) for n in (1, 2, 3)]
    assert [len(p) for p in pages] == [3, 3, 2]
    assert sum(pages, []) == EXPECTED
    resolved = _titles(client.get(reverse("questions:list"), {"status": "resolved"}).content.decode())
    assert resolved == ["Resolved recently", "Resolved long ago"]


def test_other_sorts_still_work(client, mixed_questions):
    html = client.get(reverse("questions:list"), {"sort": "close"}).content.decode()
    assert _titles(html)[0] == "Resolved long ago"


def test_the_list_takes_the_same_queries_for_3_or_30_questions(client, mixed_questions, django_assert_max_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as few:
        client.get(reverse("questions:list"))
    factories.QuestionFactory.create_batch(22)
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(reverse("questions:list"))
