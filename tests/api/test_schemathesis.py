"""Fuzz every operation of /api/v1/schema/ with schemathesis, in process against the Django WSGI app.

Each operation gets a bounded, derandomized set of generated requests (so CI is stable) against a database with a few
questions, a market, forecasts (community history), a resolved question, a readout and a proposal; then the stateful
phase chains operations along the links schemathesis infers between them. Write operations are sent with a token: an
admin's for the staff endpoints, a forecaster's otherwise. Checks: no response is a 5xx, and every status code,
content type and body is the one the schema documents.

A fraction of the generated path ids are replaced by ids that exist (chosen deterministically from the case), so the
fuzzing reaches the services behind the 404 and not only the lookup.
"""
import os
import zlib

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from rest_framework.authtoken.models import Token
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from schemathesis.checks import not_a_server_error

from django.utils import timezone

from forecasting.forecasts.services.forecasts import forecast_create
from forecasting.resolution.services.resolution import question_resolve_manual
from forecasting.wsgi import application
from markets.services import market_create
from tests import factories
from tests.markets.conftest import give

schema = schemathesis.openapi.from_wsgi("/api/v1/schema/", application)

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]

# Operations only admins may call; everything else is fuzzed as a plain forecaster.
STAFF_OPERATIONS = {
    ("POST", "/api/v1/questions/"),
    ("PATCH", "/api/v1/questions/{id}/"),
    ("POST", "/api/v1/markets/"),
    ("POST", "/api/v1/readouts/"),
    ("GET", "/api/v1/proposals/"),
    ("POST", "/api/v1/proposals/confirm-all/"),
    ("POST", "/api/v1/proposals/{id}/confirm/"),
    ("POST", "/api/v1/proposals/{id}/reject/"),
    ("POST", "/api/v1/questions/{id}/resolve/"),
    ("POST", "/api/v1/questions/{id}/unresolve/"),
    ("POST", "/api/v1/comments/{id}/hide/"),
    ("POST", "/api/v1/comments/{id}/unhide/"),
    ("POST", "/api/v1/questions/{id}/comments/lock/"),
    ("POST", "/api/v1/questions/{id}/comments/unlock/"),
    ("POST", "/api/v1/trials/{identifier}/comments/lock/"),
    ("POST", "/api/v1/trials/{identifier}/comments/unlock/"),
    ("POST", "/api/v1/conditional-pairs/"),
    ("POST", "/api/v1/question-groups/generate/"),
    ("POST", "/api/v1/question-groups/{id}/publish/"),
    ("POST", "/api/v1/question-groups/{id}/readout/"),
    ("POST", "/api/v1/question-groups/{id}/confirm/"),
}
# Logging in is fuzzed anonymously (a token header would be ignored anyway).
ANONYMOUS_OPERATIONS = {("POST", "/api/v1/auth/token/")}


@pytest.fixture
def wsgi_keeps_the_test_connection():
    """The WSGI handler closes "old" connections at the start and end of each request; inside the test's transaction
    PostgreSQL's connection counts as unusable and would be closed under the test. Django's test client disconnects
    the same handler; schemathesis calls the WSGI app directly, so do it here."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def fuzz_world(db, wsgi_keeps_the_test_connection):
    """A small world for the fuzzer: returns the tokens and the ids that exist, per path-parameter name."""
    staff = factories.StaffFactory()
    forecaster = factories.UserFactory(username="fuzzer")
    give(forecaster)
    binary = factories.QuestionFactory()
    numeric = factories.NumericQuestionFactory()
    draft = factories.QuestionFactory(status="draft")
    market = market_create(question=binary, b=100, created_by=staff)
    market_create(question=numeric, b=100, buckets=10, created_by=staff)
    choice = factories.ChoiceQuestionFactory()  # multiple choice: options, per-option forecasts and market outcomes
    choice_market = market_create(question=choice, b=100, created_by=staff)
    asset = factories.AssetFactory()
    trial = factories.TrialFactory(assets=[asset])
    readout = factories.ReadoutFactory(trial=trial)
    news = factories.NewsItemFactory()
    # Community history to return (its points' "cdf" was undocumented-missing), and a question resolved with no
    # actor recorded (events' "actor" can be null; a pending proposal's "decided_by" is null too).
    forecast_create(question=binary, user=forecaster, probability=0.6, rationale="fuzz")
    forecast_create(question=numeric, user=forecaster, quantiles={"0.1": 5, "0.5": 10, "0.9": 20})
    forecast_create(question=choice, user=forecaster, probabilities=[0.5, 0.3, 0.2])
    resolved = factories.QuestionFactory()
    question_resolve_manual(question=resolved, outcome="yes", known_at=timezone.now(), source="fuzz", actor=None)
    # A conditional pair (with a forecast on both branches) and a trial's generated question group.
    from forecasting.conditional.services import conditional_forecast_create, pair_create
    from forecasting.groups.services import group_generate

    pair = pair_create(parent=binary, child=factories.QuestionFactory())
    conditional_forecast_create(pair=pair, user=forecaster, p_yes=0.6, p_no=0.3)
    group = group_generate(trial=trial).group
    return {
        "staff_token": Token.objects.create(user=staff).key,
        "forecaster_token": Token.objects.create(user=forecaster).key,
        "ids": {
            "id": [binary.pk, numeric.pk, draft.pk, market.pk, news.pk, readout.pk, resolved.pk, choice.pk,
                   choice_market.pk],
            "pk": [binary.pk, numeric.pk, draft.pk, market.pk, readout.pk, resolved.pk, choice.pk, choice_market.pk,
                   pair.pk, group.pk],
            "username": ["fuzzer", staff.username],
            "slug": [asset.slug, trial.sponsor.slug, trial.indication.slug],
            "code": [readout.endpoint.code],
            "identifier": [trial.acronym, trial.registry_id],
        },
    }


def _use_existing_ids(case, ids: dict) -> None:
    """Replace about half of the path parameters by existing ids, chosen from a checksum of the case (not hash(),
    which is randomized per process) so the run stays deterministic."""
    if not case.path_parameters:
        return
    digest = zlib.crc32(repr((case.path_parameters, case.query, case.body)).encode())
    if digest % 2:
        return
    for name in list(case.path_parameters):
        choices = ids.get(name)
        if choices:
            case.path_parameters[name] = choices[(digest >> 1) % len(choices)]


def _auth_headers(case, world) -> dict:
    key = (case.method.upper(), case.path)
    if key in ANONYMOUS_OPERATIONS:
        return {}
    token = world["staff_token"] if key in STAFF_OPERATIONS else world["forecaster_token"]
    return {"Authorization": f"Token {token}"}


@schema.parametrize()
@settings(
    # Examples per operation: 100 take about 2 minutes for the whole schema (SQLite or PostgreSQL, one core; make
    # test spreads the operations over two), which keeps CI far under its 20 minutes. READOUT_FUZZ_EXAMPLES=200
    # fuzzes deeper locally (about 4 minutes).
    max_examples=int(os.environ.get("READOUT_FUZZ_EXAMPLES", "100")),
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)
def test_api_conforms_to_its_schema_and_never_fails_with_5xx(case, fuzz_world):
    _use_existing_ids(case, fuzz_world["ids"])
    case.call_and_validate(headers=_auth_headers(case, fuzz_world), checks=CHECKS)


# The stateful phase (READOUT_FUZZ_SCENARIOS scenarios of up to 6 calls, about 30 s for 50): sequences of calls that follow the links schemathesis infers between operations (a created
# question's id into GET/PATCH /questions/{id}/ and its forecasts, a market's id into its quote and trades, ...),
# with the same checks on every response. Its steps run inside one test transaction, so what one scenario creates
# the next ones see.
APIWorkflow = schema.as_state_machine()


def test_api_workflows_conform_to_the_schema(fuzz_world):
    class Workflow(APIWorkflow):
        def get_call_kwargs(self, case):
            return {"headers": _auth_headers(case, fuzz_world)}

        def validate_response(self, response, case, additional_checks=None, **kwargs):
            __tracebackhide__ = True
            case.validate_response(response, checks=CHECKS, transport_kwargs=kwargs or None)

    Workflow.run(settings=settings(
        max_examples=int(os.environ.get("READOUT_FUZZ_SCENARIOS", "50")),
        stateful_step_count=6,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    ))
