"""CSRF on every form: a POST without the token is refused with 403, and the same POST with the token is not (so the
403 is the CSRF check, not a permission). A template check makes sure every POST form renders the token."""
import datetime as dt
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client
from django.utils import timezone

from forecasting.models import ProposedResolution
from forecasting.resolution.services import readouts as readout_services
from markets.services import market_create
from tests import factories
from tests.forecasting.resolution.test_resolution_services import bound_question

# (path template, who posts, form fields). Paths are formatted with the world below.
FORMS = [
    ("/accounts/signup/", None, {"username": "newbie", "email": "n@example.com", "password1": "x", "password2": "x"}),
    ("/accounts/login/", None, {"username": "fc", "password": "wrong"}),
    ("/accounts/logout/", "forecaster", {}),
    ("/accounts/profile/", "forecaster", {"display_name": "Fc"}),
    ("/accounts/password-change/", "forecaster", {"old_password": "x", "new_password1": "y", "new_password2": "y"}),
    ("/accounts/password-reset/", None, {"email": "fc@example.com"}),
    ("/questions/{question_slug}/", "forecaster", {"probability": "0.4"}),
    ("/questions/{question_slug}/withdraw/", "forecaster", {}),
    ("/questions/new/", "staff", {"title": "A question?"}),
    ("/questions/{question_slug}/edit/", "staff", {"title": "A question?"}),
    ("/markets/{market}/trade/", "forecaster", {"outcome": "1", "shares": "1"}),
    ("/staff/readouts/new/", "staff", {"value": "0.6"}),
    ("/staff/resolutions/confirm-all/", "staff", {}),
    ("/staff/resolutions/{proposal}/confirm/", "staff", {}),
    ("/staff/resolutions/{proposal}/reject/", "staff", {}),
    ("/staff/questions/{question_slug}/resolve/", "staff", {"outcome": "no"}),
    ("/staff/questions/{question_slug}/unresolve/", "staff", {}),
    ("/admin/login/", None, {"username": "admin", "password": "wrong"}),
    ("/admin/assets/asset/import/", "staff", {}),
    ("/admin/markets/question/", "staff", {"action": "open_market", "_selected_action": "{question}"}),
    # The API with a session (a browser's fetch) is held to the same rule.
    ("/api/v1/questions/{question}/forecasts/", "forecaster", {"probability": "0.4"}),
]


@pytest.fixture
def world(db):
    staff = factories.StaffFactory()
    forecaster = factories.UserFactory(username="fc")
    trial = factories.TrialFactory()
    pfs = factories.EndpointFactory(code="PFS")
    question = bound_question(trial, pfs)
    market = market_create(question=question, b=100, created_by=staff)
    readout_services.readout_create(
        trial=trial, endpoint=pfs, metric="hazard_ratio", value=0.64, source="ASCO 2026, abstract 1",
        known_at=timezone.now() - dt.timedelta(hours=1), created_by=staff,
    )
    return {
        "users": {"staff": staff, "forecaster": forecaster, None: None},
        "question": question.pk,
        "question_slug": question.slug,
        "market": market.pk,
        "proposal": ProposedResolution.objects.get(question=question).pk,
    }


def csrf_client(user) -> Client:
    client = Client(enforce_csrf_checks=True)
    if user is not None:
        client.force_login(user)
    return client


@pytest.mark.parametrize(("path", "who", "data"), FORMS, ids=[row[0] for row in FORMS])
def test_a_form_post_without_the_csrf_token_is_refused(path, who, data, world):
    path = path.format(**world)
    data = {name: value.format(**world) for name, value in data.items()}
    response = csrf_client(world["users"][who]).post(path, data)
    assert response.status_code == 403
    assert b"CSRF" in response.content


@pytest.mark.parametrize(("path", "who", "data"), FORMS, ids=[row[0] for row in FORMS])
def test_the_same_post_with_the_csrf_token_gets_past_the_check(path, who, data, world):
    client = csrf_client(world["users"][who])
    client.get("/accounts/password-reset/")  # a form page (for anyone) sets the csrftoken cookie
    token = client.cookies[settings.CSRF_COOKIE_NAME].value
    path = path.format(**world)
    data = {name: value.format(**world) for name, value in data.items()}
    response = client.post(path, {**data, "csrfmiddlewaretoken": token}, HTTP_X_CSRFTOKEN=token)
    assert response.status_code != 403, response.content[:500]


POST_FORM = re.compile(r"<form\b[^>]*method=\"post\"[^>]*>(.*?)</form>", re.IGNORECASE | re.DOTALL)


def test_every_post_form_in_the_templates_renders_the_csrf_token():
    templates = Path(settings.BASE_DIR) / "templates"
    missing = []
    forms = 0
    for template in templates.rglob("*.html"):
        for body in POST_FORM.findall(template.read_text()):
            forms += 1
            if "{% csrf_token %}" not in body:
                missing.append(str(template.relative_to(templates)))
    assert forms >= 15  # the regex finds the forms (a broken pattern would make this test pass vacuously)
    assert not missing, f"POST forms without {{% csrf_token %}}: {missing}"
