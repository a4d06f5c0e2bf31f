"""Readout day: the moment a trial's answer becomes public. A readout halts its bound questions at once; scheduled
public moments stop forecasting and trading by themselves; a lost task is caught up by the sweep whatever it was
for; an unresolve after a spent payout has a bounded, visible cost to the house."""
import datetime as dt
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.utils import timezone
from rest_framework.test import APIClient

from assets.errors import StateError
from assets.models import Meeting, PublicMoment
from assets.services.moments import public_moment_delete, public_moment_set
from forecasting.forecasts.services.forecasts import forecast_create
from forecasting.models import ProposedResolution, QuestionScoring, ResolutionEvent, Score
from forecasting.pipeline import tasks
from forecasting.resolution.services import resolution as services
from markets.models import Market, Question
from markets.selectors import ledger_check
from markets.services import market_create, questions_close_due, trade_buy_budget, trade_buy_shares
from markets.services.ledger import house_account
from tests import factories
from tests.forecasting.resolution.test_resolution_services import (  # noqa: F401
    bound_question,
    eager_celery,
    pfs,
    readout,
    trial,
    with_forecasts,
)
from tests.markets.conftest import balance, give

A = ResolutionEvent.Action


def client_for(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.fixture
def funded(db):
    user = factories.UserFactory()
    give(user)
    return user


@pytest.fixture
def halted(trial, pfs, staff_user, funded):  # noqa: F811
    """A bound question with a market, then a readout that answers it, entered now."""
    question = bound_question(trial, pfs)
    market = market_create(question=question, b=100, created_by=staff_user)
    trade_buy_shares(market=market, user=funded, outcome=1, shares=5)
    readout(trial, pfs, known_at=timezone.now() - dt.timedelta(minutes=30))
    question.refresh_from_db()
    return question, market


# ----------------------------------------------------------------------------------------------------------------
# Entering a readout halts the bound questions at once
# ----------------------------------------------------------------------------------------------------------------
def test_entering_a_readout_halts_forecasts_and_trades_before_anyone_confirms(halted, funded):
    question, market = halted
    assert question.status == Question.Status.PENDING and question.pending_readout is not None
    market.refresh_from_db()
    assert market.status == Market.Status.CLOSED
    client = client_for(funded)
    # The case: 50 YES bought after the readout was entered paid 55 on confirm. Now it is refused.
    response = client.post(f"/api/v1/markets/{market.pk}/trades/", {"outcome": 1, "shares": 50}, format="json")
    assert response.status_code == 409
    assert "answer is pending" in response.json()["detail"]
    response = client.post(f"/api/v1/questions/{question.pk}/forecasts/", {"probability": 0.9}, format="json")
    assert response.status_code == 409
    assert "answer is pending" in response.json()["detail"]
    assert list(ResolutionEvent.objects.values_list("action", flat=True)) == [A.HALT]


def test_the_page_of_a_halted_question_says_why_and_offers_no_form(halted, funded, client):
    question, _ = halted
    client.force_login(funded)
    html = client.get(question.get_absolute_url()).content.decode()
    assert "answer is pending" in html.lower()
    assert 'name="probability"' not in html and 'name="shares"' not in html


def test_rejecting_the_only_proposal_reopens_forecasting_and_trading(halted, staff_user, funded):
    question, market = halted
    services.proposal_reject(proposal=ProposedResolution.objects.get(), actor=staff_user, note="Wrong endpoint")
    question.refresh_from_db()
    market.refresh_from_db()
    assert (question.status, question.pending_since, market.status) == ("open", None, "open")
    trade_buy_shares(market=market, user=funded, outcome=1, shares=1)
    forecast_create(question=question, user=funded, probability=0.4)


def test_a_readout_entered_ahead_of_its_embargo_stops_forecasting_at_the_embargo(trial, pfs, funded):  # noqa: F811
    question = bound_question(trial, pfs)
    embargo = timezone.now() + dt.timedelta(hours=6)
    readout(trial, pfs, known_at=embargo)
    question.refresh_from_db()
    # Still open (the halt must not leak that staff hold the result), but it stops at the embargo by itself.
    assert question.status == Question.Status.OPEN and question.public_at == embargo
    forecast_create(question=question, user=funded, probability=0.3)
    with pytest.raises(StateError, match="answer is pending"):
        forecast_create(question=question, user=funded, probability=0.35, at=embargo)
    questions_close_due(at=embargo + dt.timedelta(seconds=1))
    question.refresh_from_db()
    assert question.status == Question.Status.PENDING


def test_confirming_the_proposal_resolves_a_pending_question(halted, staff_user, django_capture_on_commit_callbacks):
    question, market = halted
    with django_capture_on_commit_callbacks(execute=True):
        services.proposal_confirm(proposal=ProposedResolution.objects.get(), actor=staff_user)
    question.refresh_from_db()
    market.refresh_from_db()
    assert (question.status, market.status) == (Question.Status.RESOLVED, Market.Status.SETTLED)
    assert ledger_check() == []


# ----------------------------------------------------------------------------------------------------------------
# Scheduled public moments
# ----------------------------------------------------------------------------------------------------------------
def test_the_meeting_calendar_ships_with_the_major_meetings(db):
    series = set(Meeting.objects.values_list("series", flat=True))
    assert {"ASCO", "ASH", "EHA", "ESMO", "AACR"} <= series
    ash = Meeting.objects.filter(series="ASH").first()
    assert "Late-breaking" in ash.late_breaking_rule and ash.timezone


def test_a_trial_public_moment_stops_forecasting_and_trading_on_its_questions(trial, pfs, funded, staff_user):  # noqa: F811
    question = bound_question(trial, pfs)
    market = market_create(question=question, b=100, created_by=staff_user)
    ash = Meeting.objects.filter(series="ASH").first()
    # Typed as the meeting announces it: 10:30 local time in New Orleans / Orlando's zone.
    local = dt.datetime.combine(timezone.now().date() + dt.timedelta(days=2), dt.time(10, 30))
    moment = public_moment_set(trial=trial, kind=PublicMoment.Kind.PRESENTATION, at=local,
                               tz_name="America/New_York", meeting=ash, note="LBA-1")
    question.refresh_from_db()
    assert question.public_at == moment.at and moment.at.utcoffset() is not None
    assert moment.local_at.hour == 10 and moment.local_at.minute == 30
    before, at = moment.at - dt.timedelta(seconds=1), moment.at
    forecast_create(question=question, user=funded, probability=0.5, at=before)
    trade_buy_shares(market=market, user=funded, outcome=1, shares=1, at=before)
    with pytest.raises(StateError, match="scheduled to become public"):
        forecast_create(question=question, user=funded, probability=0.6, at=at)
    with pytest.raises(StateError, match="scheduled to become public"):
        trade_buy_shares(market=market, user=funded, outcome=1, shares=1, at=at)
    # An earlier topline moves the stop earlier; removing it moves it back.
    topline = public_moment_set(trial=trial, kind=PublicMoment.Kind.TOPLINE, at=before - dt.timedelta(hours=1),
                                tz_name="UTC")
    question.refresh_from_db()
    assert question.public_at == topline.at
    public_moment_delete(moment=topline)
    question.refresh_from_db()
    assert question.public_at == moment.at
    assert Question.objects.filter_accepting_forecasts(at=at).filter(pk=question.pk).count() == 0
    assert Question.objects.filter_accepting_forecasts(at=before).filter(pk=question.pk).count() == 1


def test_a_new_question_on_a_trial_takes_its_public_moment(trial, pfs):  # noqa: F811
    at = timezone.now() + dt.timedelta(days=3)
    public_moment_set(trial=trial, kind=PublicMoment.Kind.ABSTRACT_RELEASE, at=at, tz_name="Europe/Berlin")
    from markets.services import question_create

    question = question_create(title="Will OS be significant?", type="binary", trial=trial,
                               resolution_criteria="Per the presentation.", open_time=timezone.now(),
                               scheduled_close_time=at + dt.timedelta(days=30))
    assert question.public_at == at


@pytest.mark.parametrize("tz_name, at", [("Mars/Olympus", dt.datetime(2027, 1, 1, 9)), ("", dt.datetime(2027, 1, 1))])
def test_a_moment_needs_a_real_time_zone(trial, tz_name, at):  # noqa: F811
    from assets.errors import ValidationError

    with pytest.raises(ValidationError) as exc:
        public_moment_set(trial=trial, kind="presentation", at=at, tz_name=tz_name)
    assert exc.value.field == "timezone"
    assert not PublicMoment.objects.exists()


# ----------------------------------------------------------------------------------------------------------------
# Nothing is lost when a task is lost
# ----------------------------------------------------------------------------------------------------------------
@pytest.fixture
def traded_question(db, staff_user, funded):
    question = factories.QuestionFactory()
    market = market_create(question=question, b=100, created_by=staff_user)
    trade_buy_budget(market=market, user=funded, outcome=1, budget=200)
    return question, market


def test_an_annulment_whose_task_was_lost_is_refunded_by_the_sweep(traded_question, staff_user, funded,
                                                                    django_capture_on_commit_callbacks):
    question, market = traded_question
    with django_capture_on_commit_callbacks(execute=False):  # the broker was down: the task never ran
        services.question_resolve_manual(question=question, outcome="annulled", known_at=None, actor=staff_user)
    market.refresh_from_db()
    assert market.status == Market.Status.CLOSED
    assert any("should be refunded" in p for p in ledger_check())
    with pytest.raises(Exception, match="1 ledger problem"):
        call_command("ledger_check")
    assert tasks.sweep_unscored_resolutions.apply().get() == 1
    market.refresh_from_db()
    assert market.status == Market.Status.REFUNDED and balance(funded) == 1_000_000
    assert ledger_check() == []
    assert tasks.sweep_unscored_resolutions.apply().get() == 0


def test_an_unresolve_whose_task_was_lost_clears_scores_by_the_sweep(staff_user, django_capture_on_commit_callbacks):
    question = factories.QuestionFactory()
    users = [factories.UserFactory() for _ in range(3)]
    with_forecasts(question, users, [0.2, 0.5, 0.9])
    with django_capture_on_commit_callbacks(execute=True):
        services.question_resolve_manual(question=question, outcome="yes", known_at=timezone.now(), actor=staff_user)
    assert Score.objects.filter(question=question).exists()
    with django_capture_on_commit_callbacks(execute=False):
        services.question_unresolve_manual(question=question, actor=staff_user)
    assert Score.objects.filter(question=question).exists()  # stale: the clearing task was lost
    assert tasks.sweep_unscored_resolutions.apply().get() == 1
    assert not Score.objects.filter(question=question).exists()
    assert not QuestionScoring.objects.filter(question=question).exists()
    assert tasks.sweep_unscored_resolutions.apply().get() == 0


def test_a_resolved_question_whose_market_did_not_settle_is_settled_by_the_sweep(traded_question, staff_user,
                                                                                  django_capture_on_commit_callbacks):
    question, market = traded_question
    with django_capture_on_commit_callbacks(execute=False):
        services.question_resolve_manual(question=question, outcome="yes", known_at=timezone.now(), actor=staff_user)
    assert any("should be settled" in p for p in ledger_check())
    assert tasks.sweep_unscored_resolutions.apply().get() == 1
    market.refresh_from_db()
    assert market.status == Market.Status.SETTLED and ledger_check() == []


# ----------------------------------------------------------------------------------------------------------------
# Unresolve after a spent payout: bounded, shown, accepted
# ----------------------------------------------------------------------------------------------------------------
@pytest.fixture
def spent_payout(traded_question, staff_user, funded, django_capture_on_commit_callbacks):
    """The winner of ~300 YES shares spends the whole payout in another market before the unresolve."""
    question, market = traded_question
    with django_capture_on_commit_callbacks(execute=True):
        services.question_resolve_manual(question=question, outcome="yes", known_at=timezone.now(), actor=staff_user)
    other = market_create(question=factories.QuestionFactory(), b=1000, created_by=staff_user)
    trade_buy_budget(market=other, user=funded, outcome=0, budget=Decimal(balance(funded)) / 1000)
    return question, market


def test_unresolve_after_a_spent_payout_needs_the_shown_house_cover_accepted(spent_payout, staff_user, funded):
    question, market = spent_payout
    plan = services.question_unresolve_preview(question=question)
    assert plan.house_cover > 100_000 and list(plan.shortfalls) == [funded.pk]
    house_before = house_account().balance
    with pytest.raises(StateError) as exc:
        services.question_unresolve_manual(question=question, actor=staff_user)
    assert exc.value.code == "house_cover" and f"{plan.house_cover / 1000:,.3f}" in exc.value.message
    too_little = Decimal(plan.house_cover - 1) / 1000
    with pytest.raises(StateError):
        services.question_unresolve_manual(question=question, actor=staff_user, accept_house_cover=too_little)
    question.refresh_from_db()
    assert question.status == Question.Status.RESOLVED and house_account().balance == house_before  # nothing moved
    services.question_unresolve_manual(question=question, actor=staff_user,
                                       accept_house_cover=Decimal(plan.house_cover) / 1000)
    market.refresh_from_db()
    assert market.status == Market.Status.CLOSED and ledger_check() == []


def test_the_house_cover_of_an_unresolve_is_capped_by_the_setting(spent_payout, staff_user, settings):
    question, _ = spent_payout
    settings.READOUT = {**settings.READOUT, "UNRESOLVE_MAX_HOUSE_COVER_POINTS": 50}
    with pytest.raises(StateError, match="above the limit"):
        services.question_unresolve_manual(question=question, actor=staff_user, accept_house_cover=50)
    with pytest.raises(Exception, match="at most 50"):
        services.question_unresolve_manual(question=question, actor=staff_user, accept_house_cover=10_000)


def test_staff_see_the_house_cover_before_they_confirm_an_unresolve(spent_payout, staff_user, client):
    question, _ = spent_payout
    plan = services.question_unresolve_preview(question=question)
    client.force_login(staff_user)
    html = client.get(f"/staff/questions/{question.slug}/resolve/").content.decode()
    assert f"The house will lose {plan.house_cover / 1000:,.3f} points" in html
    assert 'name="accept_house_cover"' in html
    api = client_for(staff_user).get(f"/api/v1/questions/{question.pk}/unresolve/").json()
    assert Decimal(str(api["house_cover"])) == Decimal(plan.house_cover) / 1000 and api["traders_short"] == 1
    response = client.post(f"/staff/questions/{question.slug}/unresolve/", {"note": "Wrong arm"}, follow=True)
    assert "Accept a house cover" in response.content.decode()
    question.refresh_from_db()
    assert question.status == Question.Status.RESOLVED
    response = client.post(f"/staff/questions/{question.slug}/unresolve/",
                           {"note": "Wrong arm", "accept_house_cover": f"{plan.house_cover / 1000:.3f}"}, follow=True)
    question.refresh_from_db()
    assert question.status == Question.Status.CLOSED


def test_the_trial_page_shows_its_public_moments_in_their_time_zone(trial, client):  # noqa: F811
    ash = Meeting.objects.filter(series="ASH").first()
    public_moment_set(trial=trial, kind=PublicMoment.Kind.PRESENTATION, at=dt.datetime(2027, 12, 13, 10, 30),
                      tz_name="America/New_York", meeting=ash, note="LBA-2")
    html = client.get(trial.get_absolute_url()).content.decode()
    assert f"Presentation, {ash.name} (LBA-2)" in html
    assert "13 Dec 2027, 10:30 EST" in html and 'title="America/New_York"' in html
    assert 'datetime="2027-12-13T15:30:00+00:00"' in html
