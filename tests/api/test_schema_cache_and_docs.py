"""/api/v1/schema/ is built once per process and format (forecasting/api/schema_view.py), and the API docs pages
(Redoc, Swagger UI) reference no other host: everything comes from drf-spectacular-sidecar in our static files."""
import re
from unittest import mock

import pytest
from django.test import Client
from drf_spectacular.generators import SchemaGenerator

from forecasting.api.schema_view import schema_cache_clear


@pytest.fixture
def counted_generation():
    schema_cache_clear()
    with mock.patch.object(SchemaGenerator, "get_schema", autospec=True, side_effect=SchemaGenerator.get_schema) as spy:
        yield spy
    schema_cache_clear()


def test_the_second_request_does_not_regenerate_the_schema(db, counted_generation):
    client = Client()
    first = client.get("/api/v1/schema/")
    second = client.get("/api/v1/schema/")
    assert counted_generation.call_count == 1
    assert first.status_code == second.status_code == 200
    assert first.content == second.content and first["Content-Type"] == second["Content-Type"]
    assert second["Content-Disposition"] == first["Content-Disposition"]
    assert b"openapi: 3" in second.content


def test_each_format_is_cached_apart(db, counted_generation):
    client = Client()
    yaml_body = client.get("/api/v1/schema/").content
    json_response = client.get("/api/v1/schema/", {"format": "json"})
    client.get("/api/v1/schema/", {"format": "json"})
    client.get("/api/v1/schema/")
    assert counted_generation.call_count == 2
    assert json_response["Content-Type"].startswith("application/vnd.oai.openapi+json")
    assert json_response.json()["openapi"].startswith("3") and yaml_body.startswith(b"openapi:")


def test_the_cache_is_the_public_schema_whoever_asks(db, counted_generation, staff_user, user):
    anonymous = Client().get("/api/v1/schema/").content
    for who in (user, staff_user):
        client = Client()
        client.force_login(who)
        assert client.get("/api/v1/schema/").content == anonymous
    assert counted_generation.call_count == 1


EXTERNAL = re.compile(r"""(?:src|href|url)\s*[=(]\s*["']?(?:https?:)?//""", re.I)


@pytest.mark.parametrize("path", ["/api/v1/redoc/", "/api/v1/docs/"])
def test_the_api_docs_reference_no_other_host(db, path):
    response = Client().get(path)
    assert response.status_code == 200
    html = response.content.decode()
    assert not EXTERNAL.findall(html), EXTERNAL.findall(html)
    assert "fonts.googleapis" not in html and "fonts.gstatic" not in html
    assert "/static/drf_spectacular_sidecar/" in html
    csp = response["Content-Security-Policy"]
    assert "googleapis" not in csp and "gstatic" not in csp and "cdn.redoc.ly" not in csp


def test_redoc_may_not_load_its_cdn_logo_or_google_fonts(db):
    """Redoc's bundle always renders its logo from cdn.redoc.ly; the page's policy refuses every other host for images,
    fonts and styles, so the browser requests nothing from the internet (tests/e2e/test_csp.py sees the refusal)."""
    csp = Client().get("/api/v1/redoc/")["Content-Security-Policy"]
    directives = dict(part.strip().split(" ", 1) for part in csp.split(";") if " " in part.strip())
    for name in ("img-src", "font-src", "style-src", "script-src", "connect-src", "default-src"):
        if name in directives:
            assert "http" not in directives[name] and "*" not in directives[name], (name, directives[name])
