"""Staff resolution pages and the admin: enter a readout, pending resolutions, resolve by hand, unresolve."""
import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from assets.models import Readout
from forecasting.models import ProposedResolution, ResolutionEvent
from markets.models import Question
from tests import factories
from tests.forecasting.resolution.test_resolution_services import (  # noqa: F401
    bound_question, eager_celery, pfs, readout, trial,
)


@pytest.fixture
def staff_browser(staff_user):
    client = Client()
    client.force_login(staff_user)
    return client


@pytest.fixture
def forecaster_browser(user):
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def proposal(trial, pfs):  # noqa: F811
    bound_question(trial, pfs, title="Will SUCCESSOR-9 report a PFS HR below 0.7?")
    readout(trial, pfs, url="https://example.org/abstract", ci_lower=0.5, ci_upper=0.8, p_value=0.002)
    return ProposedResolution.objects.select_related("question").get()


def test_anonymous_visitors_are_sent_to_log_in_and_forecasters_get_403(proposal, forecaster_browser):
    urls = [
        ("get", reverse("resolution:readout-new")),
        ("get", reverse("resolution:pending")),
        ("post", reverse("resolution:confirm", args=[proposal.pk])),
        ("post", reverse("resolution:reject", args=[proposal.pk])),
        ("post", reverse("resolution:confirm-all")),
        ("get", reverse("resolution:resolve", args=[proposal.question.slug])),
        ("post", reverse("resolution:unresolve", args=[proposal.question.slug])),
    ]
    for method, url in urls:
        anonymous = getattr(Client(), method)(url)
        assert anonymous.status_code == 302 and "/accounts/login/" in anonymous["Location"], url
        assert getattr(forecaster_browser, method)(url).status_code == 403, url
    assert ProposedResolution.objects.get().status == ProposedResolution.Status.PENDING


def test_pending_page_lists_proposals_with_their_evidence(staff_browser, proposal):
    html = staff_browser.get(reverse("resolution:pending")).content.decode()
    assert "Will SUCCESSOR-9 report a PFS HR below 0.7?" in html
    assert "SUCCESSOR-9, PFS, Hazard ratio &lt; 0.7" in html  # the binding
    assert "Hazard ratio = 0.64" in html and "95% CI 0.5–0.8" in html and "p = 0.002" in html
    assert 'href="https://example.org/abstract"' in html
    assert reverse("resolution:confirm", args=[proposal.pk]) in html
    assert "Confirm all (1)" in html


def test_confirm_from_the_page_resolves_with_a_message(staff_browser, proposal):
    response = staff_browser.post(reverse("resolution:confirm", args=[proposal.pk]), follow=True)
    assert "Resolved “Will SUCCESSOR-9 report a PFS HR below 0.7?” as Yes" in response.content.decode()
    assert Question.objects.get(pk=proposal.question_id).status == Question.Status.RESOLVED
    again = staff_browser.post(reverse("resolution:confirm", args=[proposal.pk]), follow=True)
    assert "only a pending proposal can be confirmed" in again.content.decode()


def test_reject_and_confirm_all_from_the_page(staff_browser, proposal, trial, pfs):  # noqa: F811
    other = bound_question(trial, pfs, threshold=0.5)
    readout(trial, pfs, source="Second source")
    staff_browser.post(reverse("resolution:reject", args=[proposal.pk]))
    assert ProposedResolution.objects.get(pk=proposal.pk).status == ProposedResolution.Status.REJECTED
    response = staff_browser.post(reverse("resolution:confirm-all"), follow=True)
    assert "Resolved 2 questions" in response.content.decode()
    assert Question.objects.get(pk=other.pk).status == Question.Status.RESOLVED


def test_enter_a_readout_shows_errors_inline_then_saves(staff_browser, trial, pfs):  # noqa: F811
    bound_question(trial, pfs)
    url = reverse("resolution:readout-new")
    assert staff_browser.get(url).status_code == 200
    data = {"trial": trial.pk, "endpoint": "PFS", "metric": "hazard_ratio", "value": "0.64", "ci_lower": "0.9",
            "ci_upper": "0.5", "source": "ASCO 2026", "known_at": "2026-05-31T14:00"}
    response = staff_browser.post(url, data)
    assert response.status_code == 400
    assert 'class="field has-error"' in response.content.decode()
    assert "must not exceed ci_upper" in response.content.decode()
    data["ci_lower"] = "0.5"
    response = staff_browser.post(url, data, follow=True)
    assert "Readout saved" in response.content.decode() and "1 resolution proposed" in response.content.decode()
    readout_row = Readout.objects.get()
    assert readout_row.known_at == dt.datetime(2026, 5, 31, 14, 0, tzinfo=dt.timezone.utc)


def test_resolve_by_hand_then_unresolve(staff_browser, staff_user, open_question):
    url = reverse("resolution:resolve", args=[open_question.slug])
    page = staff_browser.get(url).content.decode()
    assert 'value="yes"' in page and 'value="annulled"' in page
    missing = staff_browser.post(url, {"outcome": "yes", "source": "PR"})
    assert missing.status_code == 400 and "known_at is required" in missing.content.decode()
    known_at = (timezone.now() - dt.timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M")
    response = staff_browser.post(url, {"outcome": "no", "known_at": known_at, "source": "PR", "note": "n"},
                                  follow=True)
    html = response.content.decode()
    assert "Question resolved" in html and "Unresolve" in html and "Resolved by hand" in html
    question = Question.objects.get(pk=open_question.pk)
    assert (question.status, question.outcome) == (Question.Status.RESOLVED, 0.0)
    response = staff_browser.post(reverse("resolution:unresolve", args=[open_question.slug]), {"note": "oops"},
                                  follow=True)
    assert "Question unresolved" in response.content.decode()
    assert Question.objects.get(pk=open_question.pk).status == Question.Status.CLOSED
    assert list(ResolutionEvent.objects.values_list("action", "actor")) == [
        ("resolve", staff_user.pk), ("unresolve", staff_user.pk)
    ]


def test_numeric_resolve_form_names_a_closed_range_error(staff_browser, db):
    question = factories.NumericQuestionFactory(open_upper_bound=False)
    url = reverse("resolution:resolve", args=[question.slug])
    known_at = timezone.now().strftime("%Y-%m-%dT%H:%M")
    response = staff_browser.post(url, {"outcome": "55", "known_at": known_at})
    assert response.status_code == 400
    assert "above the range maximum 40 and the upper bound is closed" in response.content.decode()
    response = staff_browser.post(url, {"annul": "on"}, follow=True)
    assert "Question annulled" in response.content.decode()


def test_admin_lists_and_confirms_selected_proposals(staff_browser, proposal):
    changelist = reverse("admin:forecasting_proposedresolution_changelist")
    assert staff_browser.get(changelist).status_code == 200
    response = staff_browser.post(changelist, {"action": "confirm_proposals", "_selected_action": [proposal.pk]},
                                  follow=True)
    assert response.status_code == 200
    assert ProposedResolution.objects.get().status == ProposedResolution.Status.CONFIRMED
    events = reverse("admin:forecasting_resolutionevent_changelist")
    assert staff_browser.get(events).status_code == 200
    event = ResolutionEvent.objects.get(action=ResolutionEvent.Action.CONFIRM_PROPOSAL)
    change = staff_browser.get(reverse("admin:forecasting_resolutionevent_change", args=[event.pk]))
    assert change.status_code == 200 and 'name="_save"' not in change.content.decode()  # read-only


def test_admin_rejects_selected_pending_proposals_and_skips_decided_ones(staff_browser, proposal, trial, pfs):  # noqa: F811
    readout(trial, pfs, source="ESMO 2026")
    other = ProposedResolution.objects.exclude(pk=proposal.pk).get()
    ProposedResolution.objects.filter(pk=other.pk).update(status=ProposedResolution.Status.SUPERSEDED)
    changelist = reverse("admin:forecasting_proposedresolution_changelist")
    response = staff_browser.post(
        changelist, {"action": "reject_proposals", "_selected_action": [proposal.pk, other.pk]}, follow=True
    )
    assert "Rejected 1 proposal(s)." in response.content.decode()
    statuses = dict(ProposedResolution.objects.values_list("pk", "status"))
    assert statuses == {proposal.pk: ProposedResolution.Status.REJECTED, other.pk: ProposedResolution.Status.SUPERSEDED}
    A = ResolutionEvent.Action
    assert list(ResolutionEvent.objects.values_list("action", flat=True)) == [A.HALT, A.REJECT_PROPOSAL, A.RELEASE]


def test_a_readout_added_in_the_admin_proposes_resolutions(staff_browser, trial, pfs):  # noqa: F811
    bound_question(trial, pfs)
    response = staff_browser.post(reverse("admin:assets_readout_add"), {
        "trial": trial.pk, "endpoint": pfs.pk, "metric": "hazard_ratio", "value": "0.6", "source": "ESMO",
        "known_at_0": "2026-05-31", "known_at_1": "14:00:00",
    })
    assert response.status_code == 302, response.content.decode()[:2000]
    assert ProposedResolution.objects.get().outcome == 1.0


def test_admin_pages_for_profiles_and_forecasts_load(staff_browser, staff_user):
    for name in ("admin:forecasting_profile_changelist", "admin:forecasting_forecast_changelist"):
        assert staff_browser.get(reverse(name)).status_code == 200
