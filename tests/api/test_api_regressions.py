"""Regressions for what the schemathesis run (test_schemathesis.py) found: 500s on malformed ids and query values,
HTML or list-shaped error bodies where the schema promises JSON objects, a route shadowed by the router's format
suffixes, and list endpoints documented as single objects."""
import pytest
from drf_spectacular.generators import SchemaGenerator
from rest_framework.test import APIClient

from forecasting.api.schema import add_error_responses
from tests import factories


@pytest.mark.parametrize("value", ["null", "1.5", "-1", "x"])
def test_a_non_numeric_readout_filter_on_proposals_is_a_400_naming_the_field(staff_client, value):
    response = staff_client.get("/api/v1/proposals/", {"readout": value})
    assert response.status_code == 400  # was 500 (ValueError from the int lookup)
    assert "readout" in response.json()


@pytest.mark.parametrize("suffix", ["", "community/", "forecasts/"])
def test_a_malformed_question_id_is_a_json_404(user_client, suffix):
    response = user_client.get(f"/api/v1/questions/null,null/{suffix}")
    assert response.status_code == 404  # was 500 on community/ and forecasts/
    assert response["Content-Type"] == "application/json"


@pytest.mark.parametrize("path", ["/api/v1/markets/abc/", "/api/v1/news/1.5/", "/api/v1/no-such-endpoint/"])
def test_a_path_no_api_route_matches_is_a_json_404(db, path):
    response = APIClient().get(path)
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"  # was Django's HTML page
    assert "detail" in response.json()


def test_pages_outside_the_api_keep_the_html_404(db):
    response = APIClient().get("/no-such-page/")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")


def test_a_filter_error_is_a_json_object_not_a_list(staff_client):
    response = staff_client.get("/api/v1/proposals/", {"search": "\x00"})
    assert response.status_code == 400
    assert isinstance(response.json(), dict)  # was ["Null characters are not allowed."]


def test_the_forecasts_csv_export_is_not_shadowed_by_the_forecasts_action(db):
    import datetime as dt

    from django.utils import timezone

    from forecasting.resolution.services.resolution import question_resolve_manual

    question = factories.QuestionFactory()
    question_resolve_manual(question=question, outcome="yes", known_at=timezone.now() - dt.timedelta(hours=1),
                            actor=factories.StaffFactory())
    response = APIClient().get(f"/api/v1/questions/{question.pk}/forecasts.csv")
    assert response.status_code == 200  # was 404: the router read ".csv" as a format suffix of forecasts/
    assert response["Content-Type"].startswith("text/csv")


@pytest.fixture(scope="module")
def schema():
    return SchemaGenerator().get_schema(request=None, public=True)


@pytest.mark.parametrize("path", ["/api/v1/leaderboards/", "/api/v1/users/{username}/track-record/"])
def test_paginated_list_endpoints_are_documented_as_pages(schema, path):
    ref = schema["paths"][path]["get"]["responses"]["200"]["content"]["application/json"]["schema"]["$ref"]
    page = schema["components"]["schemas"][ref.rsplit("/", 1)[1]]
    assert page["properties"]["results"]["type"] == "array"


def test_every_operation_documents_auth_errors_and_writes_document_body_errors(schema):
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            assert {"401", "403"} <= set(operation["responses"]), (method, path)
            if method in {"post", "patch", "delete"}:
                assert {"400", "413"} <= set(operation["responses"]), (method, path)


def test_the_error_hook_keeps_what_a_view_documented():
    documented = {"description": "The view's own words", "content": {"application/json": {"schema": {"type": "object"}}}}
    result = {"paths": {"/api/v1/x/{id}/": {"post": {"parameters": [{"in": "path", "name": "id"}],
                                                    "responses": {"404": dict(documented)}}}}}
    responses = add_error_responses(result, None, None, True)["paths"]["/api/v1/x/{id}/"]["post"]["responses"]
    assert responses["404"] == documented
    assert {"400", "401", "403", "404", "413", "415"} == set(responses)


NUL_REQUESTS = [
    "/api/v1/questions/?q=%00",
    "/api/v1/questions/?asset=%00&trial=%00&status=%00&type=%00",
    "/api/v1/readouts/?trial=%00&endpoint=%00&metric=%00",
    "/api/v1/leaderboards/?scope=asset&key=%00",
    "/api/v1/leaderboards/export.csv?scope=asset&key=%00",
    "/api/v1/users/%00/calibration/",
    "/api/v1/users/%00/track-record/",
    "/api/v1/assets/%00/",
    "/api/v1/trials/%00/",
    "/api/v1/endpoints/%00/",
    "/api/v1/assets/?q=%00",
    "/api/v1/markets/?status=%00",
]


@pytest.mark.parametrize("path", NUL_REQUESTS)
def test_a_nul_character_in_a_query_or_path_is_refused_not_a_500(db, path):
    """PostgreSQL text cannot hold NUL: unchecked, the lookup raises and the API answers 500 (SQLite does not mind,
    so this only fails on PostgreSQL, as in CI)."""
    response = APIClient().get(path)
    assert response.status_code in (200, 400, 404), response.content[:300]


def test_a_nul_character_on_a_page_is_a_plain_400(db):
    response = APIClient().get("/questions/?q=%00")
    assert response.status_code == 400
    assert b"NUL" in response.content


def test_a_nul_character_in_the_api_is_a_json_400_saying_why(db):
    response = APIClient().get("/api/v1/users/%00/calibration/")
    assert response.status_code == 400
    assert "NUL" in response.json()["detail"]


BIG = "99999999999999999999"


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("get", f"/api/v1/markets/{BIG}/", None),
        ("get", f"/api/v1/questions/{BIG}/", None),
        ("get", f"/api/v1/questions/{BIG}/scores/", None),
        ("get", f"/api/v1/proposals/?readout={BIG}", None),
        ("post", f"/api/v1/proposals/{BIG}/confirm/", {}),
        ("post", f"/api/v1/questions/{BIG}/resolve/", {"outcome": "yes"}),
        ("post", "/api/v1/markets/", {"question": int(BIG), "b": 100}),
        ("post", "/api/v1/forecasts/bulk/", {"forecasts": [{"question": int(BIG), "probability": 0.5}]}),
        ("get", f"/api/v1/markets/?question={BIG}", None),
    ],
)
def test_an_id_beyond_the_database_integer_range_is_not_a_server_error(staff_client, method, path, body):
    """PostgreSQL refuses integers beyond bigint in a query; a lookup or filter with one must find nothing (404, 400
    or an empty page), not fail with 500. (Django 5 answers such lookups as empty without asking the database.)"""
    response = getattr(staff_client, method)(path, body, format="json") if body is not None else \
        getattr(staff_client, method)(path)
    assert response.status_code in (200, 400, 404), response.content[:300]


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("get", "/api/v1/markets/?question=%C2%B2", None),
        ("get", "/api/v1/markets/leaderboard/?limit=%C2%B2", None),
        ("get", "/api/v1/questions/%C2%B2/", None),
        ("get", "/api/v1/questions/%C2%B2/community/", None),
        ("get", "/api/v1/readouts/?trial=%C2%B2", None),
        ("get", "/api/v1/proposals/?readout=%C2%B2", None),
        ("post", "/api/v1/proposals/confirm-all/", {"readout": "\u00b2"}),
        ("post", "/api/v1/readouts/", {"trial": "\u00b2", "endpoint": "PFS", "metric": "hazard_ratio", "value": 1,
                                       "source": "x", "known_at": "2026-01-01T00:00:00Z"}),
    ],
)
def test_a_unicode_digit_that_int_cannot_read_is_not_a_server_error(staff_client, method, path, body):
    """"²".isdigit() is True but int("²") raises: id checks must accept ASCII digits only."""
    response = getattr(staff_client, method)(path, body, format="json") if body is not None else \
        getattr(staff_client, method)(path)
    assert response.status_code in (200, 400, 404), response.content[:300]


def test_the_trade_form_refuses_a_unicode_digit_outcome(db):
    from django.test import Client

    from markets.services import market_create

    staff = factories.StaffFactory()
    market = market_create(question=factories.QuestionFactory(), b=100, created_by=staff)
    client = Client()
    client.force_login(factories.UserFactory())
    response = client.post(f"/markets/{market.pk}/trade/", {"outcome": "\u00b2", "shares": "1"})
    assert response.status_code in (200, 302, 400)  # was 500: int("²")


@pytest.mark.parametrize("suffix", ["community.json", "forecasts.json", "current.json"])
def test_format_suffixes_on_question_actions_are_a_404_not_a_500(db, suffix):
    """The router used to add ".json" routes that reached extra actions with a ``format`` argument they do not take."""
    question = factories.QuestionFactory()
    from django.test import Client

    response = Client(raise_request_exception=False).get(f"/api/v1/questions/{question.pk}/{suffix}")
    assert response.status_code == 404


def test_format_suffix_on_the_market_tape_is_a_404_not_a_500(db, staff_user):
    from django.test import Client

    from markets.services import market_create

    market = market_create(question=factories.QuestionFactory(), b=100, created_by=staff_user)
    assert Client(raise_request_exception=False).get(f"/api/v1/markets/{market.pk}/trades.json").status_code == 404
