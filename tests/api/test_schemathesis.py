"""Fuzz every operation of /api/v1/schema/ with schemathesis, in process against the Django WSGI app.

Each operation gets a bounded, derandomized set of generated requests (so CI is stable) against a database with a few
questions, a market, a readout and a proposal. Write operations are sent with a token: an admin's for the staff
endpoints, a forecaster's otherwise. Checks: no response is a 5xx, and every status code, content type and body is
the one the schema documents.

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
    asset = factories.AssetFactory()
    trial = factories.TrialFactory(assets=[asset])
    readout = factories.ReadoutFactory(trial=trial)
    news = factories.NewsItemFactory()
    return {
        "staff_token": Token.objects.create(user=staff).key,
        "forecaster_token": Token.objects.create(user=forecaster).key,
        "ids": {
            "id": [binary.pk, numeric.pk, draft.pk, market.pk, news.pk, readout.pk],
            "pk": [binary.pk, numeric.pk, draft.pk, market.pk, readout.pk],
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


@schema.parametrize()
@settings(
    # 20 per operation keeps the run near a minute on two cores; READOUT_FUZZ_EXAMPLES=200 fuzzes deeper locally.
    max_examples=int(os.environ.get("READOUT_FUZZ_EXAMPLES", "20")),
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)
def test_api_conforms_to_its_schema_and_never_fails_with_5xx(case, fuzz_world):
    key = (case.method.upper(), case.path)
    _use_existing_ids(case, fuzz_world["ids"])
    headers = {}
    if key not in ANONYMOUS_OPERATIONS:
        token = fuzz_world["staff_token"] if key in STAFF_OPERATIONS else fuzz_world["forecaster_token"]
        headers["Authorization"] = f"Token {token}"
    case.call_and_validate(headers=headers, checks=CHECKS)
