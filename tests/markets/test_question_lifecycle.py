"""Question lifecycle services: validation, draft -> open -> closed, and the periodic close."""
import datetime as dt

import pytest
from django.utils import timezone

from assets.errors import StateError, ValidationError
from markets.models import Question
from markets.services import question_close, question_create, question_open, question_update, questions_close_due
from markets.tasks import close_due_questions
from tests import factories

pytestmark = pytest.mark.django_db

NOW = timezone.now()


def _fields(**overrides):
    fields = {
        "title": "Will SUCCESSOR-2 report a PFS hazard ratio below 0.7?",
        "type": "binary",
        "resolution_criteria": "YES if the hazard ratio is below 0.7.",
        "open_time": NOW - dt.timedelta(days=1),
        "scheduled_close_time": NOW + dt.timedelta(days=30),
    }
    return {**fields, **overrides}


def test_create_draft_then_open_then_close():
    question = question_create(**_fields())
    assert question.status == Question.Status.DRAFT
    assert question.slug == "will-successor-2-report-a-pfs-hazard-ratio-below-07"
    question = question_open(question=question)
    assert question.status == Question.Status.OPEN
    question = question_close(question=question)
    assert question.status == Question.Status.CLOSED
    with pytest.raises(StateError, match="Only a draft can be opened"):
        question_open(question=question)


def test_slugs_are_unique():
    first = question_create(**_fields())
    second = question_create(**_fields())
    assert first.slug != second.slug


@pytest.mark.parametrize(
    "overrides, field",
    [
        ({"title": " "}, "title"),
        ({"resolution_criteria": ""}, "resolution_criteria"),
        ({"scheduled_close_time": NOW - dt.timedelta(days=2)}, "scheduled_close_time"),
        ({"type": "numeric"}, "range_min"),
        ({"type": "numeric", "range_min": 5.0, "range_max": 1.0}, "range_max"),
        ({"type": "numeric", "range_min": 0.0, "range_max": 2.0, "log_scale": True}, "range_min"),
        ({"type": "numeric", "range_min": 0.0, "range_max": float("inf")}, "range_max"),
        ({"bound_metric": "hazard_ratio"}, "bound_metric"),
        ({"type": "maybe"}, "type"),
    ],
)
def test_invalid_questions_are_refused_naming_the_field(overrides, field):
    with pytest.raises(ValidationError) as excinfo:
        question_create(**_fields(**overrides))
    assert excinfo.value.field == field
    assert Question.objects.count() == 0


def test_bound_binary_question_needs_comparator_and_threshold():
    trial = factories.TrialFactory()
    endpoint = factories.EndpointFactory()
    with pytest.raises(ValidationError) as excinfo:
        question_create(**_fields(trial=trial, endpoint=endpoint, bound_metric="hazard_ratio"))
    assert excinfo.value.field == "bound_comparator"
    question = question_create(
        **_fields(trial=trial, endpoint=endpoint, bound_metric="hazard_ratio", bound_comparator="<", bound_threshold=0.7)
    )
    assert question.binding_summary.endswith("Hazard ratio < 0.7")


def test_scoring_fields_are_frozen_once_open():
    question = question_open(question=question_create(**_fields()))
    with pytest.raises(StateError):
        question_update(question=question, open_time=NOW - dt.timedelta(days=3))
    question = question_update(question=question, fine_print="Intention-to-treat population.")
    assert question.fine_print == "Intention-to-treat population."


def test_periodic_task_closes_only_due_questions():
    due = factories.QuestionFactory(open_time=NOW - dt.timedelta(days=5), scheduled_close_time=NOW - dt.timedelta(minutes=1))
    later = factories.QuestionFactory()
    draft = factories.QuestionFactory(
        status="draft", open_time=NOW - dt.timedelta(days=5), scheduled_close_time=NOW - dt.timedelta(minutes=1)
    )
    assert close_due_questions.delay().get() == 1
    assert Question.objects.get(pk=due.pk).status == Question.Status.CLOSED
    assert Question.objects.get(pk=later.pk).status == Question.Status.OPEN
    assert Question.objects.get(pk=draft.pk).status == Question.Status.DRAFT
    assert questions_close_due() == 0  # running again changes nothing


def test_close_task_is_in_the_beat_schedule(settings):
    schedule = settings.CELERY_BEAT_SCHEDULE
    assert any(entry["task"] == "markets.tasks.close_due_questions" for entry in schedule.values())


def test_admin_add_question_validates_and_sets_slug(client, staff_user):
    client.force_login(staff_user)
    data = {
        "title": "Will DREAMM-7 show an OS benefit?", "type": "binary", "publish": "on",
        "resolution_criteria": "YES if OS is significant.", "description": "", "fine_print": "",
        "open_time": "2026-01-01T00:00", "scheduled_close_time": "2025-01-01T00:00",
        "unit": "", "bound_metric": "", "bound_comparator": "",
    }
    response = client.post("/admin/markets/question/add/", data)
    assert response.status_code == 200  # re-rendered with the error
    html = response.content.decode()
    assert "The close time must be after the open time." in html
    assert "is violated" not in html
    assert Question.objects.count() == 0
    data["scheduled_close_time"] = "2027-01-01T00:00"
    response = client.post("/admin/markets/question/add/", data)
    assert response.status_code == 302, response.content.decode()[:2000]
    question = Question.objects.get()
    assert question.slug == "will-dreamm-7-show-an-os-benefit"
    assert question.status == Question.Status.OPEN


def test_admin_cannot_change_scoring_fields_or_status_of_an_open_question(client, staff_user):
    client.force_login(staff_user)
    question = factories.QuestionFactory()
    page = client.get(f"/admin/markets/question/{question.pk}/change/")
    assert page.status_code == 200
    assert 'name="status"' not in page.content.decode()
