"""The resolution API: readouts, proposals, resolve/unresolve, the audit trail; only resolvers write."""
import datetime as dt

import pytest
from django.contrib.auth.models import Group
from django.utils import timezone
from rest_framework.test import APIClient

from forecasting.models import ProposedResolution, ResolutionEvent, Score
from markets.models import Question
from tests import factories
from tests.forecasting.resolution.test_resolution_services import (  # noqa: F401
    bound_question, eager_celery, pfs, readout, trial, with_forecasts,
)


def client_for(user):
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


@pytest.fixture
def resolver_client(db):
    user = factories.UserFactory(username="resolver-bob")
    user.groups.add(Group.objects.get_or_create(name="resolvers")[0])
    return client_for(user)


@pytest.fixture
def proposal(trial, pfs):  # noqa: F811
    bound_question(trial, pfs)
    readout(trial, pfs)
    return ProposedResolution.objects.get()


def readout_body(**overrides):
    body = {
        "trial": "SUCCESSOR-9", "endpoint": "pfs", "metric": "hazard_ratio", "value": 0.64, "ci_lower": 0.52,
        "ci_upper": 0.79, "p_value": 0.0001, "source": "ASCO 2026, LBA 1", "url": "https://example.org/lba1",
        "known_at": "2026-05-31T14:00:00Z",
    }
    body.update(overrides)
    return body


# ----------------------------------------------------------------------------------------------------------------
# Permissions: every write endpoint refuses forecasters and anonymous users
# ----------------------------------------------------------------------------------------------------------------
def _write_requests(question, proposal):
    return [
        ("post", "/api/v1/readouts/", readout_body(source="Another")),
        ("get", "/api/v1/proposals/", None),
        ("post", f"/api/v1/proposals/{proposal.pk}/confirm/", {}),
        ("post", f"/api/v1/proposals/{proposal.pk}/reject/", {}),
        ("post", "/api/v1/proposals/confirm-all/", {}),
        ("post", f"/api/v1/questions/{question.pk}/resolve/",
         {"outcome": "yes", "known_at": timezone.now().isoformat()}),
        ("post", f"/api/v1/questions/{question.pk}/unresolve/", {}),
    ]


@pytest.mark.parametrize("who", ["anonymous", "forecaster"])
def test_only_resolvers_may_use_the_resolution_endpoints(proposal, user, who):
    client = client_for(None if who == "anonymous" else user)
    question = proposal.question
    for method, url, body in _write_requests(question, proposal):
        response = getattr(client, method)(url, body, format="json")
        assert response.status_code == 403, (method, url, response.status_code)
    question.refresh_from_db()
    assert question.status == Question.Status.PENDING  # halted by the readout, and nothing more
    assert list(ResolutionEvent.objects.values_list("action", flat=True)) == [ResolutionEvent.Action.HALT]
    assert ProposedResolution.objects.get().status == ProposedResolution.Status.PENDING


def test_a_member_of_the_resolvers_group_may_resolve(resolver_client, open_question):
    response = resolver_client.post(
        f"/api/v1/questions/{open_question.pk}/resolve/", {"outcome": "no", "known_at": timezone.now().isoformat()},
        format="json",
    )
    assert response.status_code == 200, response.data
    assert response.data["status"] == "resolved" and response.data["outcome"] == 0.0


# ----------------------------------------------------------------------------------------------------------------
# Readouts
# ----------------------------------------------------------------------------------------------------------------
def test_posting_a_readout_proposes_resolutions(staff_client, staff_user, trial, pfs):  # noqa: F811
    question = bound_question(trial, pfs)
    response = staff_client.post("/api/v1/readouts/", readout_body(), format="json")
    assert response.status_code == 201, response.data
    assert response.data["trial"] == "SUCCESSOR-9" and response.data["endpoint"] == "PFS"
    assert [(p["question"], p["outcome"], p["status"]) for p in response.data["proposals"]] == [
        (question.pk, 1.0, "pending")
    ]
    assert ProposedResolution.objects.get().readout.created_by == staff_user


@pytest.mark.parametrize(
    "overrides, field",
    [
        ({"trial": "NOPE-1"}, "trial"),
        ({"endpoint": "XYZ"}, "endpoint"),
        ({"metric": "hazard"}, "metric"),
        ({"p_value": 1.5}, "p_value"),
        ({"ci_lower": 0.9, "ci_upper": 0.5}, "ci_lower"),
        ({"metric": "met_endpoint", "value": 0.5}, "value"),
        ({"known_at": "not a date"}, "known_at"),
    ],
)
def test_a_bad_readout_is_a_400_naming_the_field(staff_client, trial, pfs, overrides, field):  # noqa: F811
    response = staff_client.post("/api/v1/readouts/", readout_body(**overrides), format="json")
    assert response.status_code == 400
    assert field in response.data


def test_a_nan_readout_value_is_a_400(staff_client, trial, pfs):  # noqa: F811
    body = '{"trial": "SUCCESSOR-9", "endpoint": "PFS", "metric": "hazard_ratio", "value": NaN, ' \
           '"source": "X", "known_at": "2026-05-31T14:00:00Z"}'
    response = staff_client.post("/api/v1/readouts/", body, content_type="application/json")
    assert response.status_code == 400 and "value" in response.data


def test_the_readout_list_is_public_filtered_and_hides_embargoed_readouts(api_client, staff_client, trial, pfs):  # noqa: F811
    os_endpoint = factories.EndpointFactory(code="OS")
    readout(trial, pfs, source="public")
    readout(trial, os_endpoint, source="os")
    readout(trial, pfs, source="embargoed", known_at=timezone.now() + dt.timedelta(days=3))
    factories.ReadoutFactory(source="other trial")
    sources = lambda r: sorted(row["source"] for row in r.data["results"])  # noqa: E731
    assert sources(api_client.get("/api/v1/readouts/", {"trial": "successor-9"})) == ["os", "public"]
    assert sources(api_client.get("/api/v1/readouts/", {"trial": "NCT09999999", "endpoint": "PFS"})) == ["public"]
    assert sources(staff_client.get("/api/v1/readouts/", {"trial": trial.pk, "endpoint": "PFS"})) == [
        "embargoed", "public"
    ]


# ----------------------------------------------------------------------------------------------------------------
# Proposals
# ----------------------------------------------------------------------------------------------------------------
def test_proposals_list_shows_the_evidence(staff_client, proposal):
    response = staff_client.get("/api/v1/proposals/")
    assert response.status_code == 200
    row = response.data["results"][0]
    assert row["id"] == proposal.pk and row["outcome"] == 1.0
    assert row["binding"] == "SUCCESSOR-9, PFS, Hazard ratio < 0.7"
    assert row["readout"]["value"] == 0.64 and row["readout"]["source"] == "ASCO 2026, abstract 1"


def test_confirm_then_confirm_again_is_409(staff_client, proposal, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(f"/api/v1/proposals/{proposal.pk}/confirm/", {"note": "ok"}, format="json")
    assert response.status_code == 200 and response.data["status"] == "confirmed"
    assert Question.objects.get(pk=proposal.question_id).status == Question.Status.RESOLVED
    again = staff_client.post(f"/api/v1/proposals/{proposal.pk}/confirm/", {}, format="json")
    assert again.status_code == 409


def test_reject_and_confirm_all(staff_client, trial, pfs):  # noqa: F811
    q1 = bound_question(trial, pfs)
    q2 = bound_question(trial, pfs, threshold=0.5)
    readout(trial, pfs)
    p1 = ProposedResolution.objects.get(question=q1)
    assert staff_client.post(f"/api/v1/proposals/{p1.pk}/reject/", {}, format="json").status_code == 200
    response = staff_client.post("/api/v1/proposals/confirm-all/", {}, format="json")
    assert response.status_code == 200
    assert [row["question"] for row in response.data["confirmed"]] == [q2.pk]
    assert response.data["failed"] == []
    assert Question.objects.get(pk=q1.pk).status == Question.Status.OPEN


# ----------------------------------------------------------------------------------------------------------------
# Resolve / unresolve / events
# ----------------------------------------------------------------------------------------------------------------
def test_resolve_unresolve_re_resolve_through_the_api(staff_client, staff_user, open_question, forecasters_three,
                                                      django_capture_on_commit_callbacks):
    with_forecasts(open_question, forecasters_three, [0.1, 0.5, 0.9])
    url = f"/api/v1/questions/{open_question.pk}"
    known_at = timezone.now().isoformat()
    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(f"{url}/resolve/", {"outcome": "yes", "known_at": known_at,
                                                         "source": "Press release", "note": "topline"}, format="json")
    assert response.status_code == 200, response.data
    yes = dict(Score.objects.filter(question=open_question, subject="forecaster").values_list("user_id", "loss"))
    assert staff_client.post(f"{url}/resolve/", {"outcome": "no", "known_at": known_at}, format="json").status_code == 409
    with django_capture_on_commit_callbacks(execute=True):
        assert staff_client.post(f"{url}/unresolve/", {"note": "wrong"}, format="json").status_code == 200
    assert staff_client.post(f"{url}/unresolve/", {}, format="json").status_code == 409
    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(f"{url}/resolve/", {"outcome": "no", "known_at": known_at}, format="json")
    assert response.status_code == 200
    no = dict(Score.objects.filter(question=open_question, subject="forecaster").values_list("user_id", "loss"))
    assert set(no) == set(yes) and no != yes
    events = APIClient().get(f"{url}/resolution-events/")  # public
    assert events.status_code == 200
    name = staff_user.username
    assert [(e["action"], e["outcome"], e["actor"]) for e in events.data["results"]] == [
        ("resolve", 1.0, name), ("unresolve", None, name), ("resolve", 0.0, name),
    ]
    assert events.data["results"][0]["source"] == "Press release"


@pytest.fixture
def forecasters_three(db):
    return [factories.UserFactory() for _ in range(3)]


@pytest.mark.parametrize(
    "body, status, field",
    [
        ({"outcome": "maybe", "known_at": "2026-01-01T00:00:00Z"}, 400, "outcome"),
        ({"outcome": "yes"}, 400, "known_at"),
        ({"outcome": "yes", "known_at": "2999-01-01T00:00:00Z"}, 400, "known_at"),
    ],
)
def test_bad_resolutions_are_400_naming_the_field(staff_client, open_question, body, status, field):
    response = staff_client.post(f"/api/v1/questions/{open_question.pk}/resolve/", body, format="json")
    assert response.status_code == status and field in response.data


def test_annul_through_the_api(staff_client, open_question, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(f"/api/v1/questions/{open_question.pk}/resolve/", {"outcome": "annulled"},
                                     format="json")
    assert response.status_code == 200 and response.data["status"] == "annulled"


def test_a_forecast_after_resolution_is_a_409(staff_client, user_client, open_question):
    staff_client.post(f"/api/v1/questions/{open_question.pk}/resolve/",
                      {"outcome": "yes", "known_at": timezone.now().isoformat()}, format="json")
    response = user_client.post(f"/api/v1/questions/{open_question.pk}/forecasts/", {"probability": 0.3}, format="json")
    assert response.status_code == 409


def test_draft_questions_are_hidden_from_the_public_event_list(api_client, db):
    draft = factories.QuestionFactory(status=Question.Status.DRAFT)
    assert api_client.get(f"/api/v1/questions/{draft.pk}/resolution-events/").status_code == 404


def test_the_schema_documents_the_resolution_endpoints(staff_client):
    response = staff_client.get("/api/v1/schema/", {"format": "json"})
    assert response.status_code == 200
    paths = response.json()["paths"] if hasattr(response, "json") else {}
    for path in ("/api/v1/readouts/", "/api/v1/proposals/{id}/confirm/", "/api/v1/questions/{id}/resolve/",
                 "/api/v1/questions/{id}/resolution-events/"):
        assert path in paths
