"""What a resolved, annulled or pending question shows (issue 10, defect 5): the question page's outcome panel and
sidebar, the question list's rows and the API's ``resolution`` object say what the question resolved to (Yes, No,
"0.26 hazard ratio", Annulled and why, Answer pending), from which source and since when; never "Closes ..." once
forecasting has stopped; and the list pages and the API list read it without a query per row."""
import datetime as dt
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from forecasting.forecasts.services.forecasts import forecast_create
from forecasting.pipeline.services import resolution_process
from forecasting.resolution.services.resolution import question_resolve_manual
from markets.services import question_create
from markets.services.markets import market_create
from tests import factories

pytestmark = pytest.mark.django_db

UTC = dt.timezone.utc
OPENED = dt.datetime(2026, 6, 1, 9, 0, tzinfo=UTC)
KNOWN = dt.datetime(2026, 11, 20, 14, 0, tzinfo=UTC)  # "Answer public since 20 Nov 2026, 14:00 UTC"
CLOSES = dt.datetime(2030, 1, 1, tzinfo=UTC)
SOURCE = "ASH 2026 late-breaking abstract LBA-3"
SOURCE_URL = "https://ash.example.org/abstracts/lba-3"


def make_question(**overrides):
    fields = {
        "title": "Will SUCCESSOR-2 report a PFS hazard ratio below 0.7?",
        "type": "binary",
        "resolution_criteria": "Resolves YES if the primary PFS hazard ratio reported is below 0.7.",
        "open_time": OPENED,
        "scheduled_close_time": CLOSES,
    }
    fields.update(overrides)
    return question_create(status=fields.pop("status", "open"), **fields)


def make_hr_question(**overrides):
    fields = {
        "title": "What PFS hazard ratio will SUCCESSOR-2 report?", "type": "numeric", "range_min": 0.1,
        "range_max": 2.0, "unit": "hazard ratio", "log_scale": True,
        "resolution_criteria": "The primary PFS hazard ratio as first reported.",
    }
    fields.update(overrides)
    return make_question(**fields)


def resolve(question, outcome, *, staff, note="", source=SOURCE, url=SOURCE_URL, known_at=KNOWN):
    return question_resolve_manual(
        question=question, outcome=outcome, known_at=known_at, source=source, url=url, note=note, actor=staff
    )


def page(client, question) -> str:
    response = client.get(question.get_absolute_url())
    assert response.status_code == 200
    return response.content.decode()


def panel(html: str) -> str:
    match = re.search(r'<section class="card q-outcome[^"]*"[^>]*>(.*?)</section>', html, re.S)
    assert match, "the question page has an outcome panel"
    return match.group(1)


def sidebar(html: str) -> str:
    return html[html.index('<aside>'):html.index('</aside>')]


def text(html: str) -> str:
    """The visible words, whitespace collapsed."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).strip()


def list_row(html: str, question) -> str:
    start = html.index(f'href="{question.get_absolute_url()}"')
    return html[start:html.index("</tr>", start)]


def api_row(body: dict, question) -> dict:
    return next(row for row in body["results"] if row["id"] == question.pk)


def assert_never_closes(html: str) -> None:
    assert "Closes" not in html and "closes in" not in html


# ---------------------------------------------------------------------------------------------------------------
# Resolved binary: Yes and No
# ---------------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("outcome, word", [("yes", "Yes"), ("no", "No")])
def test_resolved_binary_question_page_shows_the_outcome_source_and_times(client, staff_user, user, outcome, word):
    question = make_question()
    forecast_create(question=question, user=user, probability=0.8, at=OPENED + dt.timedelta(days=1))
    question = resolve(question, outcome, staff=staff_user, note="Primary analysis, IRC-assessed.")
    client.force_login(user)
    html = page(client, question)

    top = panel(html)
    assert f'Resolved <strong class="q-outcome-value" data-testid="outcome">{word}</strong>' in top
    assert f'<a href="{SOURCE_URL}" rel="noopener noreferrer" data-testid="outcome-source">{SOURCE}</a>' in top
    assert "Answer public since 20 Nov 2026, 14:00 UTC" in text(top)
    assert f"Resolved {question.resolved_at:%-d %b %Y, %H:%M} UTC" in text(top)
    assert "Primary analysis, IRC-assessed." in top
    # Scoring runs after the resolution commits: until then the panel says so.
    assert 'data-testid="outcome-being-scored">Being scored' in top
    # The panel comes before everything else on the page.
    assert html.index('data-testid="outcome-panel"') < html.index('id="community"')

    aside = sidebar(html)
    assert f'data-testid="question-state">Resolved: {word}.<' in aside
    assert "Forecasting closed" in aside and "Answer public since" in aside
    assert_never_closes(html)
    # No form: the question's own reason instead.
    assert 'name="percent"' not in html
    assert 'data-testid="closed-reason">This question is resolved; forecasting has ended.<' in html


@pytest.mark.parametrize("outcome, word", [("yes", "Yes"), ("no", "No")])
def test_resolved_binary_question_list_and_api_show_the_outcome_not_the_crowd(
    client, api_client, staff_user, user, outcome, word
):
    question = make_question()
    forecast_create(question=question, user=user, probability=0.35, at=OPENED + dt.timedelta(days=1))
    resolve(question, outcome, staff=staff_user, note="From the abstract.")

    row = list_row(client.get(reverse("questions:list")).content.decode(), question)
    assert f'<span class="prob q-answer">{word}</span><span class="item-meta q-detail">Resolved</span>' in row
    assert "35%" not in row
    assert_never_closes(row)

    for body in (api_client.get("/api/v1/questions/").json(), {"results": [
        api_client.get(f"/api/v1/questions/{question.pk}/").json()
    ]}):
        resolution = api_row(body, question)["resolution"]
        assert resolution["status"] == "resolved"
        assert resolution["outcome"] == (1.0 if outcome == "yes" else 0.0)
        assert resolution["outcome_display"] == word
        assert resolution["known_at"] == "2026-11-20T14:00:00Z"
        assert resolution["resolved_at"] is not None
        assert (resolution["source"], resolution["url"], resolution["note"]) == (SOURCE, SOURCE_URL, "From the abstract.")
        assert resolution["pending_since"] is None


def test_scored_question_shows_how_the_crowd_the_extremized_aggregate_and_the_market_did(
    client, staff_user, user, other_user
):
    question = make_question()
    market_create(question=question, b=100, created_by=staff_user, at=OPENED)
    forecast_create(question=question, user=user, probability=0.8, at=OPENED + dt.timedelta(hours=1))
    forecast_create(question=question, user=other_user, probability=0.9, at=OPENED + dt.timedelta(hours=2))
    question = resolve(question, "yes", staff=staff_user)
    resolution_process(question_id=question.pk)

    top = panel(page(client, question))
    assert "Being scored" not in top
    words = text(top)
    assert "Time-averaged Brier score" in words
    for name in ("Crowd (community median)", "Extremized aggregate", "Market"):
        assert name in words
    # Crowd ~0.85 and extremized further towards yes beat a market that stayed at 50% (Brier 0.250).
    assert re.search(r"Market 0\.250", words)
    assert "Most accurate: the extremized aggregate." in words
    assert '<tr class="highlight"><th scope="row">Extremized aggregate <span class="badge yes">most accurate</span>' in top


# ---------------------------------------------------------------------------------------------------------------
# Resolved numeric, with its unit
# ---------------------------------------------------------------------------------------------------------------
def test_resolved_numeric_question_shows_the_value_with_its_unit_everywhere(client, api_client, staff_user, user):
    question = make_hr_question()
    forecast_create(question=question, user=user, quantiles={"0.1": 0.4, "0.5": 0.6, "0.9": 0.8},
                    at=OPENED + dt.timedelta(days=1))
    question = resolve(question, "0.26", staff=staff_user)

    html = page(client, question)
    assert 'data-testid="outcome">0.26 hazard ratio</strong>' in panel(html)
    assert 'data-testid="question-state">Resolved: 0.26 hazard ratio.<' in sidebar(html)
    assert_never_closes(html)

    row = list_row(client.get(reverse("questions:list")).content.decode(), question)
    assert '<span class="prob q-answer">0.26 hazard ratio</span>' in row
    assert "0.6 hazard ratio" not in row  # the crowd's median is not the answer

    resolution = api_row(api_client.get("/api/v1/questions/").json(), question)["resolution"]
    assert (resolution["outcome"], resolution["outcome_display"]) == (0.26, "0.26 hazard ratio")


@pytest.mark.parametrize(
    "value, unit, shown",
    [(0.26, "hazard ratio", "0.26 hazard ratio"), (15.75, "months", "15.75 months"), (12.0, "months", "12 months"),
     (12000.0, "patients", "12,000 patients"), (0.1 + 0.2, "", "0.3"), (1e-05, "", "0.00001"), (45.0, "%", "45%"),
     (-0.0, "", "0")],
)
def test_numeric_outcomes_are_shown_as_entered_without_float_noise(value, unit, shown):
    from forecasting.questions import outcomes
    from markets.models import Question

    q = Question(type="numeric", status="resolved", outcome=value, unit=unit)
    assert outcomes.outcome_display(q, at=timezone.now()) == shown


# ---------------------------------------------------------------------------------------------------------------
# Annulled, with the reason
# ---------------------------------------------------------------------------------------------------------------
def test_annulled_question_shows_annulled_and_why_on_the_page_the_list_and_the_api(client, api_client, staff_user):
    question = make_question()
    reason = "The sponsor stopped the trial for futility; the PFS hazard ratio will never be reported."
    question = resolve(question, "annulled", staff=staff_user, note=reason, source="", url="", known_at=None)

    html = page(client, question)
    top = panel(html)
    assert 'data-testid="outcome">Annulled<' in top
    assert f'data-testid="outcome-note">Why: {reason}<' in top
    assert 'data-testid="question-state">Annulled: this question will not be scored.<' in sidebar(html)
    assert_never_closes(html)
    assert 'data-testid="closed-reason">This question is annulled; forecasting has ended.<' in html

    row = list_row(client.get(reverse("questions:list")).content.decode(), question)
    assert '<span class="prob q-answer">Annulled</span>' in row

    resolution = api_client.get(f"/api/v1/questions/{question.pk}/").json()["resolution"]
    assert resolution["status"] == "annulled" and resolution["outcome"] is None
    assert resolution["outcome_display"] == "Annulled" and resolution["note"] == reason


def test_the_latest_resolution_is_shown_after_an_unresolve(client, staff_user):
    from forecasting.resolution.services.resolution import question_unresolve_manual

    question = make_question()
    question = resolve(question, "no", staff=staff_user, source="Sponsor topline", url="")
    question = question_unresolve_manual(question=question, actor=staff_user, note="Wrong endpoint.")
    question = resolve(question, "yes", staff=staff_user, note="Corrected: the primary endpoint.")
    top = panel(page(client, question))
    assert 'data-testid="outcome">Yes<' in top and "Corrected: the primary endpoint." in top
    assert "Sponsor topline" not in top and SOURCE in top


# ---------------------------------------------------------------------------------------------------------------
# Answer pending: a readout was entered, staff have not confirmed it
# ---------------------------------------------------------------------------------------------------------------
@pytest.fixture
def bound_question(staff_user):
    trial = factories.TrialFactory(acronym="SUCCESSOR-2", assets=[factories.AssetFactory(name="Mezigdomide")])
    endpoint = factories.EndpointFactory(code="PFS")
    question = make_question(trial=trial, endpoint=endpoint, bound_metric="hazard_ratio", bound_comparator="<",
                             bound_threshold=0.7)
    market_create(question=question, b=100, created_by=staff_user)
    return question


def enter_readout(question, *, known_at, staff):
    from forecasting.resolution.services.readouts import readout_create

    return readout_create(
        trial=question.trial, endpoint=question.endpoint, metric="hazard_ratio", value=0.26, source=SOURCE,
        url=SOURCE_URL, known_at=known_at, created_by=staff,
    )


def test_pending_question_says_answer_pending_from_which_readout_and_accepts_nothing(
    client, api_client, staff_user, user, bound_question
):
    enter_readout(bound_question, known_at=timezone.now() - dt.timedelta(hours=2), staff=staff_user)
    bound_question.refresh_from_db()
    assert bound_question.status == "pending"
    since = bound_question.pending_since

    client.force_login(user)
    html = page(client, bound_question)
    top = panel(html)
    assert 'data-testid="outcome">Answer pending<' in top
    assert f'<a href="{SOURCE_URL}" rel="noopener noreferrer" data-testid="outcome-source">{SOURCE}</a>' in top
    assert f"was entered on {since:%-d %b %Y, %H:%M} UTC" in text(top)
    assert "Forecasting and trading stopped then" in top
    assert "0.26" not in top  # the readout's value waits for staff
    aside = sidebar(html)
    assert f'data-testid="question-state">Answer pending since {since.day} {since:%b %Y, %H:%M} UTC: forecasting and trading stopped.<' in aside
    assert_never_closes(html)
    # Neither the forecast form nor the trade form: the question's reason instead.
    assert 'name="percent"' not in html and 'class="market-form"' not in html
    assert 'data-testid="closed-reason">The answer is pending: a readout was entered at' in html

    row = list_row(client.get(reverse("questions:list")).content.decode(), bound_question)
    assert '<span class="q-pending">Answer pending</span>' in row

    resolution = api_client.get(f"/api/v1/questions/{bound_question.pk}/").json()["resolution"]
    assert resolution["status"] == "pending" and resolution["outcome"] is None
    assert resolution["outcome_display"] == "Answer pending"
    assert (resolution["source"], resolution["url"]) == (SOURCE, SOURCE_URL)
    assert resolution["pending_since"] is not None and resolution["known_at"] is None
    listed = api_row(api_client.get("/api/v1/questions/").json(), bound_question)["resolution"]
    assert listed == resolution


def test_a_readout_entered_ahead_of_its_embargo_shows_nothing_pending(client, api_client, staff_user, bound_question):
    embargo = timezone.now() + dt.timedelta(days=2)
    enter_readout(bound_question, known_at=embargo, staff=staff_user)
    bound_question.refresh_from_db()
    assert bound_question.status == "open"

    html = page(client, bound_question)
    assert 'data-testid="outcome-panel"' not in html and "pending" not in text(html).lower()
    assert "Forecasting stops at the scheduled public moment" in sidebar(html)
    row = list_row(client.get(reverse("questions:list")).content.decode(), bound_question)
    assert "Answer pending" not in row and "No forecasts yet" in row
    assert api_client.get(f"/api/v1/questions/{bound_question.pk}/").json()["resolution"] is None


# ---------------------------------------------------------------------------------------------------------------
# Open, with a scheduled public moment before the close
# ---------------------------------------------------------------------------------------------------------------
def test_open_question_with_an_earlier_public_moment_stops_forecasting_there(client, api_client, user):
    public_at = (timezone.now() + dt.timedelta(days=3, hours=1)).replace(microsecond=0)
    question = make_question(open_time=timezone.now() - dt.timedelta(days=7), public_at=public_at)
    client.force_login(user)
    html = page(client, question)
    when = f"{public_at.day} {public_at:%b %Y, %H:%M} UTC"
    aside = sidebar(html)
    assert f'data-testid="question-state">Open. Forecasting stops at the scheduled public moment, {when}.<' in aside
    assert f"<dt>Forecasting stops</dt><dd>{when}, the scheduled public moment</dd>" in aside
    assert "<dt>Closes</dt>" not in aside
    assert 'name="percent"' in html and 'data-testid="outcome-panel"' not in html

    row = list_row(client.get(reverse("questions:list")).content.decode(), question)
    assert "closes in 3\xa0days" in row  # not in four years

    detail = api_client.get(f"/api/v1/questions/{question.pk}/").json()
    assert detail["public_at"] == detail["forecasting_ends_at"] == public_at.isoformat().replace("+00:00", "Z")
    assert detail["resolution"] is None
    listed = api_row(api_client.get("/api/v1/questions/").json(), question)
    assert listed["forecasting_ends_at"] == detail["forecasting_ends_at"]


def test_past_the_public_moment_the_forms_give_way_to_the_reason(client, user, staff_user):
    question = make_question(open_time=timezone.now() - dt.timedelta(days=7),
                             public_at=timezone.now() + dt.timedelta(days=1))
    market_create(question=question, b=100, created_by=staff_user)
    type(question).objects.filter(pk=question.pk).update(public_at=timezone.now() - dt.timedelta(minutes=5))
    client.force_login(user)
    html = page(client, question)
    assert 'name="percent"' not in html and 'class="market-form"' not in html
    assert 'data-testid="closed-reason">The answer was scheduled to become public at' in html
    assert "Trading stopped then" in text(html) or "trading stopped then" in text(html)
    assert 'data-testid="question-state">Closed: forecasting has ended; the answer is awaited.<' in sidebar(html)
    assert_never_closes(sidebar(html))


def test_open_question_without_a_public_moment_says_closes(client):
    question = make_question(open_time=timezone.now() - dt.timedelta(days=7))
    aside = sidebar(page(client, question))
    assert 'data-testid="question-state">Open. Closes 1 Jan 2030, 00:00 UTC.<' in aside
    assert "<dt>Closes</dt><dd>1 Jan 2030, 00:00 UTC</dd>" in aside


# ---------------------------------------------------------------------------------------------------------------
# Every other status has its own words in the sidebar
# ---------------------------------------------------------------------------------------------------------------
def test_draft_and_not_yet_open_questions_say_so(client, staff_user):
    client.force_login(staff_user)
    draft = make_question(status="draft", title="A draft question")
    assert 'data-testid="question-state">Draft: not published yet.<' in sidebar(page(client, draft))
    later = make_question(title="Opens later", open_time=timezone.now() + dt.timedelta(days=2))
    html = page(client, later)
    assert 'data-testid="question-state">Not yet open: forecasting opens' in sidebar(html)
    assert "<dt>Opens</dt>" in sidebar(html)
    assert 'data-testid="closed-reason">This question opens' in html


def test_a_closed_question_awaits_its_answer(client):
    from markets.models import Question

    question = make_question(open_time=timezone.now() - dt.timedelta(days=30),
                             scheduled_close_time=timezone.now() + dt.timedelta(days=1))
    Question.objects.filter(pk=question.pk).update(
        status="closed", scheduled_close_time=timezone.now() - dt.timedelta(days=1)
    )
    html = page(client, question)
    assert 'data-testid="question-state">Closed: forecasting has ended; the answer is awaited.<' in sidebar(html)
    assert "<dt>Forecasting closed</dt>" in sidebar(html)
    assert_never_closes(sidebar(html))
    assert 'data-testid="outcome-panel"' not in html
    assert "Log in to forecast" not in html  # nothing to log in for


# ---------------------------------------------------------------------------------------------------------------
# Queries: the list page and the API list read the outcome and its evidence without a query per row
# ---------------------------------------------------------------------------------------------------------------
def _resolved_questions(n: int, staff, *, offset: int = 0) -> None:
    trial = factories.TrialFactory(assets=[factories.AssetFactory()])
    for i in range(n):
        kind = i % 3
        make = make_hr_question if kind == 2 else make_question
        question = make(title=f"Resolved question {offset + i}", trial=trial)
        outcome = ("yes", "annulled", "0.5")[kind]
        resolve(question, outcome, staff=staff, note=f"Note {i}", known_at=None if kind == 1 else KNOWN)


def test_list_page_queries_are_the_same_for_3_and_12_resolved_questions(client, staff_user, django_assert_num_queries):
    _resolved_questions(3, staff_user)
    with CaptureQueriesContext(connection) as few:
        assert client.get(reverse("questions:list")).status_code == 200
    _resolved_questions(9, staff_user, offset=3)
    with django_assert_num_queries(len(few.captured_queries)):
        html = client.get(reverse("questions:list")).content.decode()
    assert html.count('class="prob q-answer"') == 12
    for answer in ("Annulled", "Yes", "0.5 hazard ratio"):
        assert html.count(f'<span class="prob q-answer">{answer}</span>') == 4


def test_api_list_queries_are_the_same_for_3_and_12_resolved_questions(api_client, staff_user,
                                                                       django_assert_num_queries):
    _resolved_questions(3, staff_user)
    with CaptureQueriesContext(connection) as few:
        assert api_client.get("/api/v1/questions/", {"page_size": 50}).status_code == 200
    _resolved_questions(9, staff_user, offset=3)
    with django_assert_num_queries(len(few.captured_queries)):
        body = api_client.get("/api/v1/questions/", {"page_size": 50}).json()
    notes = sorted(row["resolution"]["note"] for row in body["results"])
    assert len(notes) == 12 and all(note.startswith("Note ") for note in notes)
    assert {row["resolution"]["status"] for row in body["results"]} == {"resolved", "annulled"}
