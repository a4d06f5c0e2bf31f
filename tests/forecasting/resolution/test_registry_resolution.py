"""Registry-resolved questions: a question bound to a ClinicalTrials.gov predicate is proposed a resolution when the
registry sync records the change (evidence: the TrialRegistryChange row), staff confirm it through the normal flow,
a stopped trial proposes annulment or No per question and e-mails staff once, and a deadline that passes without
the change proposes No. Runs against the local ClinicalTrials.gov stand-in (tests/assets/ctgov_server.py)."""
import datetime as dt
from io import StringIO

import pytest
from django.core import mail
from django.core.management import call_command
from django.urls import reverse

from assets.errors import ValidationError
from assets.models import Trial, TrialRegistryChange
from assets.services.registry_sync import trial_registry_sync
from forecasting.forecasts.services.forecasts import forecast_create
from forecasting.models import (
    ProposedResolution,
    RegistryStaffNotice,
    ResolutionEvent,
    Score,
)
from forecasting.resolution.services.registry import (
    registry_day_start,
    registry_deadlines_propose,
)
from forecasting.resolution.services.resolution import proposal_confirm, proposal_reject
from markets.models import Market, Question
from markets.services import market_create, question_create
from tests import factories
from tests.assets.ctgov_server import CtgovServer, record
from tests.forecasting.resolution.test_resolution_services import eager_celery

UTC = dt.UTC
P = ProposedResolution.Status
B = ProposedResolution.Basis
A = ResolutionEvent.Action


@pytest.fixture
def ctgov_api(settings):
    server = CtgovServer().start()
    settings.CTGOV_API_BASE_URL = server.base_url
    settings.CTGOV_REQUESTS_PER_MINUTE = 0
    settings.CTGOV_BACKOFF_SECONDS = 0
    settings.CTGOV_MAX_ATTEMPTS = 2
    yield server
    server.stop()


def sync(*ids: str) -> str:
    out = StringIO()
    call_command("sync_ctgov", *ids, stdout=out)
    return out.getvalue()


def first_read(ctgov_api, name: str, nct: str, at: dt.datetime) -> Trial:
    ctgov_api.publish(record(name))
    list(trial_registry_sync(registry_ids=[nct], observed_at=at))
    return Trial.objects.get(registry_id=nct)


@pytest.fixture
def successor_2(db, ctgov_api):
    """SUCCESSOR-2 read once in March 2024 (primary completion ESTIMATED 2026-01); the API now serves the record of
    2026-03-12 (primary completion ACTUAL 2026-01-30)."""
    factories.TrialFactory(acronym="SUCCESSOR-2", registry_id="NCT05552976")
    trial = first_read(ctgov_api, "NCT05552976.2024-03", "NCT05552976", dt.datetime(2024, 3, 20, 6, tzinfo=UTC))
    ctgov_api.publish(record("NCT05552976"))
    return trial


@pytest.fixture
def synth_1(db, ctgov_api):
    """SYNTH-1 read while recruiting in January 2024; the API now says TERMINATED with results posted 2025-11-20
    (record last updated 2025-11-20)."""
    trial = first_read(ctgov_api, "NCT09990001.2024-01", "NCT09990001", dt.datetime(2024, 1, 15, tzinfo=UTC))
    ctgov_api.publish(record("NCT09990001"))
    return trial


def registry_question(trial, *, field="primary_completion_date_type", value="ACTUAL",
                      deadline=dt.date(2027, 3, 31), **kwargs):
    return factories.QuestionFactory(trial=trial, registry_field=field, registry_value=value,
                                     registry_deadline=deadline, **kwargs)


# ----------------------------------------------------------------------------------------------------------------
# The brief's example: sync -> answer pending -> staff confirm -> hand-computed scores
# ----------------------------------------------------------------------------------------------------------------
def test_sync_makes_a_primary_completion_question_pending_and_confirming_scores_it(
    successor_2, staff_user, eager_celery, django_capture_on_commit_callbacks
):
    t0 = dt.datetime(2026, 3, 2, 4, tzinfo=UTC)  # the record is posted 2026-03-12: 00:00 EDT = 04:00 UTC
    question = registry_question(successor_2, open_time=t0, scheduled_close_time=dt.datetime(2027, 3, 31, tzinfo=UTC))
    market_create(question=question, b=100, created_by=staff_user)
    alice, bob = factories.UserFactory(), factories.UserFactory()
    day = dt.timedelta(days=1)
    forecast_create(question=question, user=alice, probability=0.6, at=t0)
    forecast_create(question=question, user=bob, probability=0.3, at=t0 + 2 * day)
    forecast_create(question=question, user=alice, probability=0.9, at=t0 + 5 * day)
    forecast_create(question=question, user=alice, probability=0.2, at=t0 + 20 * day)  # after known_at: scores nothing

    output = sync("NCT05552976")
    assert "primary completion now ACTUAL: 2026-01-30" in output

    question.refresh_from_db()
    assert question.status == Question.Status.PENDING and question.pending_readout is None
    assert Market.objects.get(question=question).status == Market.Status.CLOSED
    change = TrialRegistryChange.objects.get(trial=successor_2, field="primary_completion_date_type",
                                             new_value="ACTUAL")
    proposal = ProposedResolution.objects.get(question=question)
    known_at = dt.datetime(2026, 3, 12, 4, tzinfo=UTC)
    assert (proposal.basis, proposal.registry_change, proposal.readout, proposal.outcome, proposal.known_at) == (
        B.REGISTRY, change, None, 1.0, known_at)
    assert proposal.source == ("ClinicalTrials.gov NCT05552976: primary completion date type ACTUAL, "
                               "record updated 2026-03-12")
    halt = ResolutionEvent.objects.get(question=question)
    assert (halt.action, halt.registry_change, halt.known_at) == (A.HALT, change, known_at)
    # forecasts are refused from now on
    with pytest.raises(Exception, match="pending"):
        forecast_create(question=question, user=bob, probability=0.5)

    with django_capture_on_commit_callbacks(execute=True):
        proposal_confirm(proposal=proposal, actor=staff_user)
    question.refresh_from_db()
    assert (question.status, question.outcome, question.known_at, question.actual_close_time) == (
        Question.Status.RESOLVED, 1.0, known_at, known_at)
    confirm = ResolutionEvent.objects.filter(question=question).last()
    assert (confirm.action, confirm.registry_change, confirm.proposal) == (A.CONFIRM_PROPOSAL, change, proposal)

    # Hand-computed, W = [2 Mar 04:00, 12 Mar 04:00) = 10 days, outcome 1:
    # alice 0.6 for 5 days (0.16), 0.9 for 5 days (0.01): B = 0.085, coverage 1.
    # bob 0.3 for 8 days (0.49): B = 0.49, coverage 0.8.
    # crowd median: 0.6 for 2 days (0.16), (0.3 + 0.6)/2 = 0.45 for 3 days (0.3025), median(0.3, 0.9) = 0.6 for
    # 5 days (0.16): B = (0.32 + 0.9075 + 0.8) / 10 = 0.20275.
    # relative: alice 0.085 - 0.20275 = -0.11775; bob (0 for 2 days, then 8 x 0.49 - (0.9075 + 0.8)) / 10 = 0.22125.
    scores = {s.user_id: s for s in Score.objects.filter(question=question, subject="forecaster")}
    assert scores[alice.pk].loss == pytest.approx(0.085) and scores[alice.pk].coverage == pytest.approx(1.0)
    assert scores[bob.pk].loss == pytest.approx(0.49) and scores[bob.pk].coverage == pytest.approx(0.8)
    assert scores[alice.pk].relative == pytest.approx(-0.11775)
    assert scores[bob.pk].relative == pytest.approx(0.22125)
    crowd = Score.objects.get(question=question, subject="community_median")
    assert crowd.loss == pytest.approx(0.20275)


def test_a_second_identical_sync_proposes_nothing_new(successor_2):
    question = registry_question(successor_2, open_time=dt.datetime(2026, 3, 1, tzinfo=UTC))
    sync("NCT05552976")
    assert "unchanged" in sync("NCT05552976")
    assert ProposedResolution.objects.filter(question=question).count() == 1
    assert ResolutionEvent.objects.filter(question=question, action=A.HALT).count() == 1


def test_a_change_posted_after_the_deadline_proposes_no_known_at_the_end_of_the_deadline(successor_2):
    question = registry_question(successor_2, deadline=dt.date(2026, 2, 28), open_time=dt.datetime(2026, 1, 1, tzinfo=UTC))
    sync("NCT05552976")
    proposal = ProposedResolution.objects.get(question=question)
    assert proposal.outcome == 0.0
    assert proposal.known_at == registry_day_start(dt.date(2026, 3, 1)) == dt.datetime(2026, 3, 1, 5, tzinfo=UTC)


def test_a_change_public_before_the_question_opened_proposes_annulment(successor_2):
    question = registry_question(successor_2, open_time=dt.datetime(2026, 3, 20, tzinfo=UTC))
    sync("NCT05552976")
    proposal = ProposedResolution.objects.get(question=question)
    assert proposal.outcome is None and "before the question opened" in proposal.note


def test_rejecting_the_registry_proposal_lifts_the_halt(successor_2, staff_user):
    question = registry_question(successor_2, open_time=dt.datetime(2026, 3, 1, tzinfo=UTC))
    sync("NCT05552976")
    proposal_reject(proposal=ProposedResolution.objects.get(question=question), actor=staff_user)
    question.refresh_from_db()
    assert question.status == Question.Status.OPEN and question.pending_since is None
    assert list(ResolutionEvent.objects.filter(question=question).values_list("action", flat=True)) == [
        A.HALT, A.REJECT_PROPOSAL, A.RELEASE]


# ----------------------------------------------------------------------------------------------------------------
# First readings
# ----------------------------------------------------------------------------------------------------------------
def test_a_first_reading_is_dated_by_the_facts_own_date_or_annulled(db, ctgov_api):
    """SUCCESSOR-2 first read after the questions opened, already ACTUAL 2026-01-30 and active: the completion
    cannot have been public before 30 Jan 2026, so that is known_at; a question opened after that date cannot be
    dated and is proposed annulment."""
    factories.TrialFactory(acronym="SUCCESSOR-2", registry_id="NCT05552976")
    trial = Trial.objects.get(registry_id="NCT05552976")
    early = registry_question(trial, open_time=dt.datetime(2025, 6, 1, tzinfo=UTC))
    late = registry_question(trial, open_time=dt.datetime(2026, 2, 15, tzinfo=UTC))
    ctgov_api.publish(record("NCT05552976"))
    sync("NCT05552976")
    first = ProposedResolution.objects.get(question=early)
    assert first.registry_change.initial
    assert (first.outcome, first.known_at) == (1.0, dt.datetime(2026, 1, 30, 5, tzinfo=UTC))
    assert ProposedResolution.objects.get(question=late).outcome is None


# ----------------------------------------------------------------------------------------------------------------
# A trial that stops
# ----------------------------------------------------------------------------------------------------------------
def test_a_terminated_trial_proposes_annulment_or_no_per_question_and_emails_staff_once(
    synth_1, staff_user, settings, django_capture_on_commit_callbacks
):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.SITE_URL = "https://readout.example"
    factories.StaffFactory(email="")  # staff without an address are skipped
    opened = dt.datetime(2025, 6, 1, tzinfo=UTC)
    annul = factories.QuestionFactory(trial=synth_1, on_trial_stopped="annul", open_time=opened, title="Annul me")
    no = factories.QuestionFactory(trial=synth_1, on_trial_stopped="no", open_time=opened, title="No for me")
    untouched = factories.QuestionFactory(trial=synth_1, open_time=opened)
    stopped = registry_question(synth_1, field="overall_status", value="TERMINATED, withdrawn",
                                deadline=dt.date(2026, 6, 30), open_time=opened, on_trial_stopped="annul")
    results = registry_question(synth_1, field="has_results", value="true", deadline=dt.date(2025, 12, 31),
                                open_time=opened)

    with django_capture_on_commit_callbacks(execute=True):
        sync("NCT09990001")
    known_at = dt.datetime(2025, 11, 20, 5, tzinfo=UTC)  # posted 2025-11-20, 00:00 EST
    proposals = {p.question_id: p for p in ProposedResolution.objects.all()}
    assert set(proposals) == {annul.pk, no.pk, stopped.pk, results.pk}
    assert (proposals[annul.pk].basis, proposals[annul.pk].outcome, proposals[annul.pk].known_at) == (
        B.TRIAL_STOPPED, None, known_at)
    assert (proposals[no.pk].basis, proposals[no.pk].outcome) == (B.TRIAL_STOPPED, 0.0)
    assert proposals[no.pk].registry_change.new_value == "TERMINATED"
    # the status question follows its predicate: Yes (not its on_trial_stopped)
    assert (proposals[stopped.pk].basis, proposals[stopped.pk].outcome) == (B.REGISTRY, 1.0)
    # results posted carry their own posting date
    assert (proposals[results.pk].outcome, proposals[results.pk].known_at) == (1.0, known_at)
    for question in (annul, no, stopped, results):
        question.refresh_from_db()
        assert question.status == Question.Status.PENDING
    untouched.refresh_from_db()
    assert untouched.status == Question.Status.OPEN

    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [staff_user.email]
    assert "SYNTH-1" in message.subject and "terminated" in message.subject
    assert "Why stopped: Sponsor decision" in message.body
    assert "https://readout.example/staff/resolutions/" in message.body
    assert f"https://readout.example{annul.get_absolute_url()}" in message.body

    # A second identical sync (a retried task) sends nothing and proposes nothing new
    with django_capture_on_commit_callbacks(execute=True):
        assert "unchanged" in sync("NCT09990001")
    assert len(mail.outbox) == 1 and ProposedResolution.objects.count() == 4
    assert RegistryStaffNotice.objects.count() == 1


def test_confirming_an_annulment_proposal_annuls_with_the_registry_as_evidence(
    synth_1, staff_user, django_capture_on_commit_callbacks
):
    question = factories.QuestionFactory(trial=synth_1, on_trial_stopped="annul",
                                         open_time=dt.datetime(2025, 6, 1, tzinfo=UTC))
    sync("NCT09990001")
    proposal = ProposedResolution.objects.get(question=question)
    with django_capture_on_commit_callbacks(execute=False):
        proposal_confirm(proposal=proposal, actor=staff_user)
    question.refresh_from_db()
    assert question.status == Question.Status.ANNULLED
    event = ResolutionEvent.objects.filter(question=question).last()
    assert event.action == A.ANNUL and event.proposal == proposal and "TERMINATED" in event.note


def test_a_dry_run_sync_proposes_and_sends_nothing(synth_1, settings, staff_user, django_capture_on_commit_callbacks):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    question = factories.QuestionFactory(trial=synth_1, on_trial_stopped="annul",
                                         open_time=dt.datetime(2025, 6, 1, tzinfo=UTC))
    with django_capture_on_commit_callbacks(execute=True):
        call_command("sync_ctgov", "NCT09990001", "--dry-run", stdout=StringIO())
    question.refresh_from_db()
    assert question.status == Question.Status.OPEN and not ProposedResolution.objects.exists()
    assert mail.outbox == []


# ----------------------------------------------------------------------------------------------------------------
# Deadlines that pass without the change
# ----------------------------------------------------------------------------------------------------------------
def test_a_deadline_that_passes_without_the_change_proposes_no_once(successor_2):
    question = registry_question(successor_2, deadline=dt.date(2025, 1, 31),
                                 open_time=dt.datetime(2024, 6, 1, tzinfo=UTC))
    assert registry_deadlines_propose(at=dt.datetime(2025, 2, 1, 12, tzinfo=UTC)) == []  # D + 1: not yet
    (proposal,) = registry_deadlines_propose(at=dt.datetime(2025, 2, 2, 12, tzinfo=UTC))
    assert (proposal.basis, proposal.outcome, proposal.registry_change) == (B.REGISTRY_DEADLINE, 0.0, None)
    assert proposal.known_at == dt.datetime(2025, 2, 1, 5, tzinfo=UTC)  # the end of D, US Eastern
    question.refresh_from_db()
    assert question.status == Question.Status.PENDING
    assert registry_deadlines_propose(at=dt.datetime(2025, 2, 3, tzinfo=UTC)) == []


def test_the_deadline_task_runs_the_service(successor_2):
    from forecasting.pipeline.tasks import registry_deadlines_check

    registry_question(successor_2, deadline=dt.date(2025, 1, 31), open_time=dt.datetime(2024, 6, 1, tzinfo=UTC))
    assert registry_deadlines_check() == 1
    assert registry_deadlines_check() == 0


# ----------------------------------------------------------------------------------------------------------------
# The binding: validation, API, form, page
# ----------------------------------------------------------------------------------------------------------------
def binding_payload(trial, **overrides):
    payload = {
        "title": "Will SUCCESSOR-2's primary completion be ACTUAL by 31 Mar 2027?", "type": "binary",
        "trial": trial.slug, "resolution_criteria": "YES if ClinicalTrials.gov shows it by then.",
        "open_time": "2026-03-10T00:00:00Z", "scheduled_close_time": "2027-03-31T00:00:00Z",
        "registry_field": "primary_completion_date_type", "registry_value": "actual",
        "registry_deadline": "2027-03-31", "on_trial_stopped": "annul",
    }
    payload.update(overrides)
    return {k: v for k, v in payload.items() if v is not None}


@pytest.mark.parametrize("overrides, field", [
    ({"registry_field": "sponsor"}, "registry_field"),
    ({"registry_deadline": None}, "registry_deadline"),
    ({"registry_value": "FINISHED"}, "registry_value"),
    ({"registry_value": ""}, "registry_value"),
    ({"on_trial_stopped": "maybe"}, "on_trial_stopped"),
    ({"type": "numeric", "range_min": 0, "range_max": 1}, "registry_field"),
])
def test_a_bad_binding_is_a_400_naming_the_field_and_stores_nothing(staff_client, overrides, field):
    trial = factories.TrialFactory(acronym="SUCCESSOR-2", registry_id="NCT05552976")
    response = staff_client.post("/api/v1/questions/", binding_payload(trial, **overrides), format="json")
    assert response.status_code == 400, response.content
    assert field in response.json(), response.json()
    assert not Question.objects.exists()


def test_a_binding_needs_a_trial_with_an_nct_id(db):
    trial = factories.TrialFactory(registry_id=None)
    with pytest.raises(ValidationError) as caught:
        question_create(title="x", type="binary", trial=trial, resolution_criteria="x",
                        open_time=dt.datetime(2026, 1, 1, tzinfo=UTC), scheduled_close_time=dt.datetime(2027, 1, 1, tzinfo=UTC),
                        registry_field="has_results", registry_value="true", registry_deadline=dt.date(2026, 12, 31))
    assert caught.value.field == "trial" and not Question.objects.exists()


def test_the_api_creates_and_shows_the_binding(staff_client, api_client):
    trial = factories.TrialFactory(acronym="SUCCESSOR-2", registry_id="NCT05552976")
    response = staff_client.post("/api/v1/questions/", binding_payload(trial, status="open"), format="json")
    assert response.status_code == 201, response.content
    body = api_client.get(f"/api/v1/questions/{response.json()['id']}/").json()
    assert (body["registry_field"], body["registry_value"], body["registry_deadline"], body["on_trial_stopped"]) == (
        "primary_completion_date_type", "ACTUAL", "2027-03-31", "annul")
    assert body["registry_binding"] == "primary completion ACTUAL by 31 Mar 2027"


def test_the_staff_form_saves_the_binding_and_names_a_bad_field(client, staff_user):
    trial = factories.TrialFactory(acronym="SUCCESSOR-2", registry_id="NCT05552976")
    client.force_login(staff_user)
    data = {
        "title": "Will SUCCESSOR-2 be terminated or withdrawn by 2026?", "type": "binary", "trial": trial.pk,
        "resolution_criteria": "YES if ClinicalTrials.gov says so.", "open_time": "2026-01-01T09:00",
        "scheduled_close_time": "2027-01-01T00:00", "registry_field": "overall_status",
        "registry_value": "TERMINATED, WITHDRAWN", "registry_deadline": "", "publish": "on",
    }
    bad = client.post(reverse("questions:new"), data)
    assert bad.status_code == 400 and "registry_deadline" in bad.context["form"].errors
    assert not Question.objects.exists()
    response = client.post(reverse("questions:new"), {**data, "registry_deadline": "2026-12-31"})
    question = Question.objects.get()
    assert response.status_code == 302
    assert question.registry_binding_summary == "status TERMINATED or WITHDRAWN by 31 Dec 2026"
    assert question.on_trial_stopped == "nothing"


def test_the_question_page_shows_the_registry_binding(client, db):
    trial = factories.TrialFactory(acronym="SUCCESSOR-2", registry_id="NCT05552976")
    question = registry_question(trial)
    page = client.get(question.get_absolute_url()).content.decode()
    assert "Resolves from the registry: primary completion ACTUAL by 31 Mar 2027" in page


def test_the_pending_page_and_api_show_the_registry_evidence(successor_2, staff_client, client, staff_user):
    question = registry_question(successor_2, open_time=dt.datetime(2026, 3, 1, tzinfo=UTC))
    sync("NCT05552976")
    client.force_login(staff_user)
    page = client.get(reverse("resolution:pending")).content.decode()
    assert "Registry predicate" in page and "ClinicalTrials.gov NCT05552976" in page
    (item,) = staff_client.get("/api/v1/proposals/").json()["results"]
    assert (item["question"], item["basis"], item["readout"], item["outcome"]) == (question.pk, "registry", None, 1.0)
    assert item["registry_change"]["new_value"] == "ACTUAL" and item["known_at"] == "2026-03-12T04:00:00Z"
    assert item["binding"] == "primary completion ACTUAL by 31 Mar 2027"
    page = client.get(question.get_absolute_url()).content.decode()
    assert "The answer is pending: the trial&#x27;s registry record changed at" in page
    detail = client.get(f"/api/v1/questions/{question.pk}/").json()
    assert detail["resolution"]["status"] == "pending"
    assert detail["resolution"]["source"].startswith("ClinicalTrials.gov NCT05552976")


def test_a_trial_first_read_as_terminated_without_questions_emails_nobody(db, ctgov_api, settings,
                                                                        django_capture_on_commit_callbacks):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    factories.StaffFactory()
    ctgov_api.publish(record("NCT09990001"))
    with django_capture_on_commit_callbacks(execute=True):
        sync("NCT09990001")
    assert mail.outbox == [] and not RegistryStaffNotice.objects.exists()
