"""The questions section of the asset and trial pages (forecasting/templatetags/question_sections.py): every question
on the asset or trial with its type, status, close time and community forecast (only once revealed), an empty state
only when there are none, and a fixed number of queries whatever the number of questions."""
import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from assets.demo import assets_demo_load
from forecasting.forecasts.services.forecasts import forecast_create
from markets.demo import questions_demo_load
from tests import factories

pytestmark = pytest.mark.django_db


def page(client, url) -> str:
    response = client.get(url)
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def questions_section(html: str) -> str:
    start = html.index('id="questions"')
    return html[start:html.index("</section>", start)]


@pytest.fixture
def trial():
    asset = factories.AssetFactory(name="Mezigdomide")
    return factories.TrialFactory(assets=[asset], acronym="SUCCESSOR-2")


def on(trial, factory=factories.QuestionFactory, **fields):
    return factory(asset=trial.assets.get(), trial=trial, **fields)


def test_demo_asset_and_trial_pages_list_their_open_questions(client):
    # The reported bug: "No forecasting questions on Mezigdomide yet" while five were open.
    assets_demo_load()
    _, questions = questions_demo_load()
    on_successor_2 = [q for q in questions if q.trial.slug == "successor-2"]
    assert len(on_successor_2) == 6  # five binary and numeric, one multiple choice
    for url, name in (("/assets/mezigdomide/", "Mezigdomide"), ("/trials/successor-2/", "SUCCESSOR-2")):
        section = questions_section(page(client, url))
        assert f"No forecasting questions on {name}" not in section
        for question in on_successor_2:
            assert f'href="{question.get_absolute_url()}"' in section, (url, question.slug)


@pytest.mark.parametrize("subject", ["asset", "trial"])
def test_section_shows_type_status_close_time_and_revealed_community(client, trial, user, subject):
    binary = on(trial, title="Will SUCCESSOR-2 report a PFS hazard ratio below 0.7?")
    forecast_create(question=binary, user=user, probability=0.35)
    numeric = on(trial, factories.NumericQuestionFactory, title="Median PFS in the MeziKd arm, months?")
    resolved = on(
        trial, status="resolved", title="Did SUCCESSOR-1 meet its primary endpoint?",
        scheduled_close_time=timezone.now() - dt.timedelta(days=3),
    )
    url = trial.assets.get().get_absolute_url() if subject == "asset" else trial.get_absolute_url()
    section = questions_section(page(client, url))

    assert f'<a class="item-title question-title" href="{binary.get_absolute_url()}">{binary.title}</a>' in section
    assert numeric.get_absolute_url() in section and resolved.get_absolute_url() in section
    assert '<span class="badge kind q-type-binary">Binary</span>' in section
    assert '<span class="badge kind q-type-numeric">Numeric</span>' in section
    assert '<span class="badge open">Open</span>' in section
    assert '<span class="badge resolved">Resolved</span>' in section
    assert "closes in 4\xa0weeks" in section and "closed 3\xa0days ago" in section
    assert '<span class="prob">35%</span>' in section
    assert "No forecasts yet" in section  # the numeric question
    # Open questions first, closing soonest; the resolved one after them.
    assert section.index(binary.title) < section.index(resolved.title)
    assert "No forecasting questions" not in section


def test_section_does_not_reveal_a_hidden_community_forecast(client, trial, user):
    hidden = on(trial, reveal_time=timezone.now() + dt.timedelta(days=10))
    forecast_create(question=hidden, user=user, probability=0.83)
    section = questions_section(page(client, trial.get_absolute_url()))
    assert hidden.get_absolute_url() in section
    assert "Hidden until" in section
    assert "83%" not in section


def test_section_has_the_empty_state_only_when_there_are_no_questions(client, trial, staff_user):
    other = factories.TrialFactory(assets=[factories.AssetFactory(name="Iberdomide")], acronym="EXCALIBER")
    on(other)
    asset = trial.assets.get()
    for url, name in ((asset.get_absolute_url(), "Mezigdomide"), (trial.get_absolute_url(), "SUCCESSOR-2")):
        assert f"No forecasting questions on {name} yet." in questions_section(page(client, url))

    draft = on(trial, status="draft")
    assert "No forecasting questions on SUCCESSOR-2 yet." in questions_section(page(client, trial.get_absolute_url()))
    # Staff see drafts here as on the question list.
    client.force_login(staff_user)
    staff_section = questions_section(page(client, trial.get_absolute_url()))
    assert draft.get_absolute_url() in staff_section
    assert '<span class="badge draft">Draft</span>' in staff_section


@pytest.mark.parametrize("subject", ["asset", "trial"])
def test_section_runs_the_same_queries_for_3_and_12_questions(client, user, django_assert_num_queries, subject):
    def make(name, n):
        trial = factories.TrialFactory(assets=[factories.AssetFactory(name=name)], acronym=name.upper())
        for i in range(n):
            question = on(trial, factories.QuestionFactory if i % 2 else factories.NumericQuestionFactory)
            if question.is_binary:
                forecast_create(question=question, user=user, probability=0.4)
        return trial.assets.get() if subject == "asset" else trial

    few, many = make("Fewmide", 3), make("Manymide", 12)
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(few.get_absolute_url()).status_code == 200
    with django_assert_num_queries(len(ctx.captured_queries)):
        html = client.get(many.get_absolute_url()).content.decode()
    section = questions_section(html)
    # A long list stops at the limit and links to the question list filtered to the asset or trial.
    from forecasting.templatetags.question_sections import SECTION_LIMIT

    assert section.count('class="item-title question-title"') == SECTION_LIMIT
    assert f'href="/questions/?{subject}={many.slug}">All questions on {many.name}' in section
    assert "All questions on" not in questions_section(page(client, few.get_absolute_url()))


def test_rows_on_put_open_questions_first_closing_soonest_then_the_latest_closed(trial):
    from forecasting.questions.selectors import question_rows_on

    now = timezone.now()
    late = on(trial, scheduled_close_time=now + dt.timedelta(days=60))
    soon = on(trial, scheduled_close_time=now + dt.timedelta(days=5))
    long_ago = on(
        trial, status="resolved", open_time=now - dt.timedelta(days=500), scheduled_close_time=now - dt.timedelta(days=400)
    )
    recently = on(trial, status="closed", scheduled_close_time=now - dt.timedelta(days=2))
    on(trial, status="draft")
    questions, more = question_rows_on(trial=trial, limit=10)
    assert [q.pk for q in questions] == [soon.pk, late.pk, recently.pk, long_ago.pk]
    assert more is False
    assert question_rows_on(asset=trial.assets.get(), limit=3) == ([soon, late, recently], True)
    with pytest.raises(TypeError):
        question_rows_on(limit=3)
