"""Issue 13, item 6: inputs that used to fail with a 500 get a 400 naming what is wrong, and store nothing."""
import json

import pytest
from django.core.management import CommandError, call_command
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import OperationalError, connection
from django.test import Client
from rest_framework.test import APIClient

from assets.models import Readout, Trial
from forecasting.models import Forecast
from markets.services import market_create
from tests import factories

DEEP = "[" * 50_000 + "]" * 50_000
TOO_DEEP_BUT_PARSEABLE = json.dumps({"probability": 0.3, "rationale": "x", "extra": [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]})


def _client(user=None) -> APIClient:
    client = APIClient(raise_request_exception=False)
    if user is not None:
        client.force_authenticate(user)
    return client


@pytest.mark.parametrize("rationale, problem", [("a\u0000b", "NUL"), ("a\ud800b", "surrogate")])
def test_rationale_with_nul_or_lone_surrogate_is_refused_naming_the_field(user, open_question, rationale, problem):
    body = json.dumps({"probability": 0.3, "rationale": rationale})  # ensure_ascii: "\u0000", "\ud800" escapes
    response = _client(user).post(f"/api/v1/questions/{open_question.pk}/forecasts/", body,
                                  content_type="application/json")
    assert response.status_code == 400, response.content[:200]
    assert problem in response.json()["rationale"][0]
    assert not Forecast.objects.exists()


def test_the_forecast_service_refuses_nul_in_a_rationale_from_any_caller(user, open_question):
    from assets.errors import ValidationError
    from forecasting.forecasts.services.forecasts import forecast_create

    with pytest.raises(ValidationError) as excinfo:
        forecast_create(question=open_question, user=user, probability=0.3, rationale="a\x00b")
    assert excinfo.value.field == "rationale"


@pytest.mark.parametrize("path", ["quote", "trades"])
def test_deeply_nested_json_is_a_400_even_anonymously(db, staff_user, user, path):
    market = market_create(question=factories.QuestionFactory(), b=100, created_by=staff_user)
    client = _client(None if path == "quote" else user)
    response = client.post(f"/api/v1/markets/{market.pk}/{path}/", DEEP, content_type="application/json")
    assert response.status_code == 400
    assert "levels deep" in response.json()["detail"]


def test_deeply_nested_json_on_the_token_endpoint_is_a_400(db):
    response = _client().post("/api/v1/auth/token/", DEEP, content_type="application/json")
    assert response.status_code == 400
    assert "levels deep" in response.json()["detail"]


def test_json_nested_past_the_limit_but_parseable_is_refused_too(user, open_question):
    response = _client(user).post(f"/api/v1/questions/{open_question.pk}/forecasts/", TOO_DEEP_BUT_PARSEABLE,
                                  content_type="application/json")
    assert response.status_code == 400
    assert not Forecast.objects.exists()


def test_brackets_inside_strings_do_not_count_as_nesting(user, open_question):
    body = json.dumps({"probability": 0.3, "rationale": "[" * 3000})
    response = _client(user).post(f"/api/v1/questions/{open_question.pk}/forecasts/", body,
                                  content_type="application/json")
    assert response.status_code == 201


def _ctgov_file(tmp_path, text: str):
    path = tmp_path / "NCT00000001.json"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize("text, expected", [
    ('{"protocolSection": ' + "[" * 50_000 + "]" * 50_000 + "}", "levels deep"),
    ('{"protocolSection": {"identificationModule": {"nctId": "NCT0000000\\u0000"}}}', "NUL"),
    ('{"protocolSection": {"identificationModule": {"briefTitle": "a\\ud800"}}}', "surrogate"),
])
def test_import_ctgov_refuses_nested_json_and_bad_text_naming_the_file(db, tmp_path, text, expected):
    path = _ctgov_file(tmp_path, text)
    with pytest.raises(CommandError):
        call_command("import_ctgov", str(path), stdout=open("/dev/null", "w"), stderr=open("/dev/null", "w"))
    # The failure is reported per file, not as a traceback, and nothing is stored.
    from assets.importers import run_imports

    [outcome] = list(run_imports(fmt="ctgov", files=[(path.name, path.read_bytes)], total=1))
    assert not outcome.ok and outcome.error.startswith("NCT00000001.json:") and expected in outcome.error
    assert not Trial.objects.exists()


def test_import_ctgov_carries_on_past_a_deeply_nested_file(db, tmp_path):
    from assets.importers import run_imports
    from tests.assets.test_import_profile import DATA

    deep = _ctgov_file(tmp_path, "[" * 50_000 + "]" * 50_000)
    good = DATA / "NCT05552976.json"
    outcomes = list(run_imports(fmt="ctgov", files=[(deep.name, deep.read_bytes), (good.name, good.read_bytes)], total=2))
    assert [o.ok for o in outcomes] == [False, True]
    assert Trial.objects.filter(registry_id="NCT05552976").exists()


@pytest.mark.parametrize("text, expected", [
    ('{"readouts": ' + "[" * 50_000 + "]" * 50_000 + "}", "levels deep"),
    (json.dumps([{"trial": "X", "endpoint": "PFS", "metric": "hazard_ratio", "value": 0.6, "source": "ASCO\u0000",
                  "known_at": "2026-05-31T14:00:00Z"}]), "NUL"),
])
def test_import_readouts_refuses_nested_json_and_bad_text(db, tmp_path, text, expected):
    path = tmp_path / "asco.json"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(CommandError) as excinfo:
        call_command("import_readouts", str(path), verbosity=0)
    assert "asco.json" in str(excinfo.value) and expected in str(excinfo.value)
    assert not Readout.objects.exists()


def test_admin_upload_of_a_deeply_nested_file_fails_its_job_with_the_error_shown(db, staff_user,
                                                                              django_capture_on_commit_callbacks):
    client = Client(raise_request_exception=False)
    client.force_login(staff_user)
    upload = SimpleUploadedFile("deep.json", ("[" * 50_000 + "]" * 50_000).encode(), content_type="application/json")
    with django_capture_on_commit_callbacks(execute=True):  # the job's task is enqueued on commit
        response = client.post("/admin/assets/asset/import/", {"format": "ctgov", "files": [upload]})
    response = client.get(response["Location"])
    # The upload becomes an import job (run eagerly here); its page shows the file failed, with the error.
    from assets.models import ImportJob

    assert response.status_code == 200 and ImportJob.objects.get().status == "failed"
    assert "deep.json:1:" in response.content.decode()
    assert not Trial.objects.exists()


@pytest.mark.parametrize("path", ["/healthz", "/healthz?deep=1"])
def test_healthz_with_the_database_down_answers_json_503(db, monkeypatch, path):
    def down(*args, **kwargs):
        raise OperationalError("connection refused")

    with monkeypatch.context() as patch:
        patch.setattr(connection, "cursor", down)
        response = Client(raise_request_exception=False).get(path)
    assert response.status_code == 503
    assert response["Content-Type"] == "application/json"
    assert response.json()["status"] == "down"


def test_database_connections_are_health_checked_before_reuse(settings):
    """A persistent connection that the server dropped is replaced at the next request instead of failing it with
    a 500 (Django's CONN_HEALTH_CHECKS; it matters with CONN_MAX_AGE > 0, as in production)."""
    assert settings.DATABASES["default"]["CONN_HEALTH_CHECKS"] is True


def test_the_forecast_form_refuses_a_lone_surrogate_in_the_rationale():
    from forecasting.forecasts.forms import BinaryForecastForm

    form = BinaryForecastForm(data={"percent": "40", "rationale": "a\ud800b"})
    assert not form.is_valid()
    assert "surrogate" in form.errors["rationale"][0]


@pytest.mark.django_db(transaction=True)
def test_a_connection_the_database_dropped_is_replaced_not_a_500():
    """What a web worker with CONN_MAX_AGE > 0 does after PostgreSQL (or a failover, or a pooler) closed its kept
    connection: the next request, through the real WSGI handler, is served. Without health checks it failed with
    a 500 (once per worker). PostgreSQL only: SQLite connections cannot be dropped from outside."""
    import io

    from django.db import connections

    from forecasting.wsgi import application

    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL (CI): SQLite connections cannot be terminated from outside")
    saved = connection.settings_dict["CONN_MAX_AGE"]
    connection.settings_dict["CONN_MAX_AGE"] = 60  # production keeps connections (docs/deploy.md)
    try:
        connection.close()
        connection.ensure_connection()
        pid = connection.connection.info.backend_pid
        other = connections.create_connection("default")
        try:
            with other.cursor() as cursor:
                cursor.execute("SELECT pg_terminate_backend(%s)", [pid])
        finally:
            other.close()
        statuses = []
        environ = {"REQUEST_METHOD": "GET", "PATH_INFO": "/healthz", "QUERY_STRING": "", "SERVER_NAME": "testserver",
                   "SERVER_PORT": "80", "HTTP_HOST": "testserver", "wsgi.input": io.BytesIO(), "wsgi.url_scheme": "http",
                   "wsgi.errors": io.StringIO()}
        body = b"".join(application(environ, lambda status, headers: statuses.append(status)))
        assert statuses == ["200 OK"], body[:200]
    finally:
        connection.settings_dict["CONN_MAX_AGE"] = saved
        connection.close()
