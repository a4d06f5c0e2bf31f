"""The read-only assets API: payloads, lookups, filters, constant query counts and a valid OpenAPI schema."""
import datetime as dt

import pytest
from django.core.management import call_command
from django.utils import timezone
from drf_spectacular.generators import SchemaGenerator

from assets.demo import assets_demo_load
from assets.models import AssetAlias, CompanyAlias, NewsItem, Trial, TrialEvent
from tests import factories

from assets.demo_clock import calendar_on

# The demo's story is dated from the day it is loaded (assets/demo_clock.py).
DEMO = calendar_on(dt.datetime.now(dt.timezone.utc).date())
TOPLINE = DEMO.topline.isoformat()
READOUT = f"medical conference, {DEMO.questions_close.year}"


pytestmark = pytest.mark.django_db


@pytest.fixture
def demo():
    assets_demo_load()


def get(api_client, url, params=None, status=200):
    response = api_client.get(url, params or {})
    assert response.status_code == status, (response.status_code, getattr(response, "data", None))
    return response.json()


def names(payload, key="name"):
    return [row[key] for row in payload["results"]]


# --- assets and companies -----------------------------------------------------------------------------------------

def test_asset_detail_has_sponsor_aliases_commentary_and_trial_ids(api_client, demo):
    data = get(api_client, "/api/v1/assets/mezigdomide/")
    assert data["name"] == "Mezigdomide"
    assert data["sponsor"]["name"] == "Bristol-Myers Squibb"
    assert data["mechanism"] == "CELMoD agent (cereblon E3 ligase modulator)"
    assert {"name": "CC-92480", "kind": "development_code"} in data["aliases"]
    assert [s["emoji"] for s in data["commentary"]] == ["🧬", "🏥", "📊"]
    trial_ids = set(Trial.objects.filter(acronym__in=["SUCCESSOR-1", "SUCCESSOR-2"]).values_list("pk", flat=True))
    assert set(data["trials"]) == trial_ids
    assert data["page_url"] == "/assets/mezigdomide/"


@pytest.mark.parametrize(
    "params, expected",
    [
        ({"q": "cc-92480"}, ["Mezigdomide"]),
        ({"q": "blenrep"}, ["Belantamab mafodotin"]),
        ({"sponsor": "gsk"}, ["Belantamab mafodotin"]),
        ({"sponsor": "bristol-myers-squibb", "q": "ibe"}, ["Iberdomide"]),
        ({"indication": "fl"}, ["Golcadomide"]),
    ],
)
def test_asset_list_filters(api_client, demo, params, expected):
    assert names(get(api_client, "/api/v1/assets/", params)) == expected


def test_asset_list_rejects_an_unknown_sponsor_slug_naming_the_parameter(api_client, demo):
    data = get(api_client, "/api/v1/assets/", {"sponsor": "acme"}, status=400)
    assert "sponsor" in data


def test_unknown_asset_slug_is_404(api_client, demo):
    get(api_client, "/api/v1/assets/no-such-drug/", status=404)


def test_companies_list_their_aliases_and_search_them(api_client, demo):
    data = get(api_client, "/api/v1/companies/", {"q": "bms"})
    assert names(data) == ["Bristol-Myers Squibb"]
    assert sorted(data["results"][0]["aliases"]) == ["BMS", "Bristol Myers Squibb"]
    assert get(api_client, "/api/v1/companies/gsk/")["aliases"] == ["GlaxoSmithKline"]


def test_indications_and_endpoints_are_listed(api_client, demo):
    assert names(get(api_client, "/api/v1/indications/")) == [
        "Follicular lymphoma",
        "Relapsed/refractory multiple myeloma",
    ]
    codes = names(get(api_client, "/api/v1/endpoints/"), key="code")
    assert codes == sorted(["PFS", "OS", "ORR", "MRD", "HRQOL", "EFS", "CR"])
    assert get(api_client, "/api/v1/endpoints/MRD/")["name"] == "MRD negativity"


# --- trials -------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("identifier", ["NCT05552976", "nct05552976", "SUCCESSOR-2", "successor-2", "Successor-2"])
def test_trial_detail_by_nct_id_or_acronym_ignoring_case(api_client, demo, identifier):
    data = get(api_client, f"/api/v1/trials/{identifier}/")
    assert data["registry_id"] == "NCT05552976"
    assert data["acronym"] == "SUCCESSOR-2"
    assert data["phase"] == "3"
    assert data["status"] == "active_not_recruiting"
    assert data["sponsor"]["slug"] == "bristol-myers-squibb"
    assert data["assets"] == ["mezigdomide"]
    assert data["expected_readout"] == READOUT
    assert [(a["name"], a["role"]) for a in data["arms"]] == [("MeziKd", "experimental"), ("Kd", "control")]
    assert [(e["code"], e["kind"]) for e in data["endpoints"]] == [
        ("PFS", "primary"),
        ("OS", "key_secondary"),
        ("ORR", "key_secondary"),
        ("MRD", "key_secondary"),
        ("HRQOL", "key_secondary"),
    ]
    topline = NewsItem.objects.get(date=DEMO.topline)
    assert data["events"] == [
        {
            "date": TOPLINE,
            "date_precision": "day",
            "kind": "topline",
            "description": "primary endpoint met",
            "news": topline.pk,
        }
    ]
    assert data["readouts"] == []


def test_trial_without_nct_id_is_found_by_acronym(api_client, demo):
    data = get(api_client, "/api/v1/trials/successor-1/")
    assert data["registry_id"] is None
    assert [a["name"] for a in data["arms"]] == ["MeziVd", "PVd"]


def test_trial_detail_lists_public_readouts_only(api_client):
    trial = factories.TrialFactory(acronym="HALF-PUBLIC")
    factories.ReadoutFactory(trial=trial, value=0.61, source="Abstract", known_at=timezone.now() - dt.timedelta(days=1))
    factories.ReadoutFactory(trial=trial, value=0.55, source="Plenary", known_at=timezone.now() + dt.timedelta(days=1))
    data = get(api_client, "/api/v1/trials/half-public/")
    assert [(r["source"], r["value"]) for r in data["readouts"]] == [("Abstract", 0.61)]


def test_unknown_trial_identifier_is_404_with_a_message(api_client, demo):
    data = get(api_client, "/api/v1/trials/NCT00000000/", status=404)
    assert "NCT00000000" in data["detail"]


def test_an_acronym_shared_by_two_trials_is_a_409_asking_for_the_nct_id(api_client):
    factories.TrialFactory(acronym="TWIN", slug="twin-a")
    factories.TrialFactory(acronym="TWIN", slug="twin-b")
    data = get(api_client, "/api/v1/trials/twin/", status=409)
    assert "NCT id" in data["detail"]


@pytest.mark.parametrize(
    "params, expected",
    [
        ({"phase": "2"}, ["golcadomide-rituximab-fl-phase-2"]),
        ({"status": "unknown"}, ["golcadomide-rituximab-fl-phase-2", "successor-1"]),
        ({"sponsor": "gsk"}, ["dreamm-7"]),
        ({"asset": "mezigdomide"}, ["successor-1", "successor-2"]),
        ({"indication": "fl"}, ["golcadomide-rituximab-fl-phase-2"]),
        ({"q": "nct0555"}, ["successor-2"]),
        ({"asset": "mezigdomide", "ordering": "-acronym"}, ["successor-2", "successor-1"]),
    ],
)
def test_trial_list_filters(api_client, demo, params, expected):
    assert names(get(api_client, "/api/v1/trials/", params), key="slug") == expected


def test_trial_list_rejects_an_unknown_phase_naming_the_parameter(api_client, demo):
    assert "phase" in get(api_client, "/api/v1/trials/", {"phase": "7"}, status=400)


# --- news ---------------------------------------------------------------------------------------------------------

def test_news_items_carry_linked_ids(api_client, demo):
    data = get(api_client, "/api/v1/news/", {"trial": "SUCCESSOR-2"})
    assert len(data["results"]) == 1
    item = data["results"][0]
    assert item["date"] == TOPLINE
    assert item["trials"] == [Trial.objects.get(acronym="SUCCESSOR-2").pk]
    assert len(item["assets"]) == 3
    assert len(item["companies"]) == 1


@pytest.mark.parametrize(
    "params, expected_dates",
    [
        ({}, [TOPLINE, "2023-06-05"]),
        ({"date_after": "2024-01-01"}, [TOPLINE]),
        ({"date_before": "2024-01-01"}, ["2023-06-05"]),
        ({"date_after": TOPLINE, "date_before": TOPLINE}, [TOPLINE]),
        ({"asset": "ciltacabtagene-autoleucel"}, ["2023-06-05"]),
        ({"trial": "nct04181827"}, ["2023-06-05"]),
        ({"company": "bristol-myers-squibb"}, [TOPLINE]),
        ({"trial": "NCT00000000"}, []),
    ],
)
def test_news_filters(api_client, demo, params, expected_dates):
    assert names(get(api_client, "/api/v1/news/", params), key="date") == expected_dates


def test_news_rejects_a_malformed_date(api_client, demo):
    assert "date" in get(api_client, "/api/v1/news/", {"date_after": "March 2026"}, status=400)


# --- query counts -------------------------------------------------------------------------------------------------

def make_rows(n):
    """``n`` companies, assets, trials and news items, each with every relation its serializer shows."""
    indication = factories.IndicationFactory()
    endpoint = factories.EndpointFactory()
    for i in range(n):
        company = factories.CompanyFactory(name=f"Pharma {i:03d}-{n}")
        CompanyAlias.objects.create(company=company, name=f"P{i:03d}-{n}")
        asset = factories.AssetFactory(name=f"Countmab-{i:03d}-{n}", sponsor=company)
        asset.aliases.create(name=f"CM-{i:03d}-{n}", kind=AssetAlias.Kind.DEVELOPMENT_CODE)
        asset.commentary.create(heading="Why it matters", emoji="🧬", body="Because.", order=0)
        asset.indications.add(indication)
        trial = factories.TrialFactory(assets=[asset], sponsor=company, indication=indication)
        trial.trial_endpoints.create(endpoint=endpoint, kind="primary")
        news = factories.NewsItemFactory()
        news.companies.add(company)
        news.assets.add(asset)
        news.trials.add(trial)
        TrialEvent.objects.create(trial=trial, date=dt.date(2026, 1, 1), kind="topline", description="met", news=news)


# (url, queries): the page count, the rows, then one query per prefetched relation, whatever the page size.
LIST_QUERIES = [
    ("/api/v1/companies/", 3),  # count, rows, aliases
    ("/api/v1/assets/", 6),  # count, rows + sponsor, aliases, commentary, indications, trial ids
    ("/api/v1/trials/", 3),  # count, rows + sponsor + indication, assets
    ("/api/v1/news/", 5),  # count, rows, companies, assets, trials
    ("/api/v1/indications/", 2),
    ("/api/v1/endpoints/", 2),
]


@pytest.mark.parametrize("url, queries", LIST_QUERIES)
def test_list_endpoints_run_a_constant_number_of_queries(api_client, django_assert_num_queries, url, queries):
    make_rows(3)
    with django_assert_num_queries(queries):
        small = get(api_client, url)
    make_rows(27)
    with django_assert_num_queries(queries):
        large = get(api_client, url)
    assert large["count"] > small["count"] or url in ("/api/v1/indications/", "/api/v1/endpoints/")
    if url not in ("/api/v1/indications/", "/api/v1/endpoints/"):
        assert len(large["results"]) == 30


def test_trial_detail_runs_a_constant_number_of_queries(api_client, django_assert_num_queries):
    few = factories.TrialFactory(acronym="FEW")
    many = factories.TrialFactory(acronym="MANY")
    for trial, n in ((few, 1), (many, 8)):
        for i in range(n):
            factories.ArmFactory(trial=trial)
            TrialEvent.objects.create(trial=trial, date=dt.date(2026, 1, 1 + i), kind="other", description=f"e{i}")
            factories.ReadoutFactory(trial=trial, known_at=timezone.now() - dt.timedelta(days=1))
    # slug lookup, then arms, endpoints, events, readouts, assets
    with django_assert_num_queries(6):
        get(api_client, "/api/v1/trials/few/")
    with django_assert_num_queries(6):
        get(api_client, "/api/v1/trials/many/")


# --- schema -------------------------------------------------------------------------------------------------------

def test_schema_endpoint_serves_openapi_3(api_client):
    response = api_client.get("/api/v1/schema/", {"format": "json"})
    assert response.status_code == 200
    assert response.json()["openapi"].startswith("3.")


def test_schema_validates_without_warnings(tmp_path):
    # --validate checks the document against the OpenAPI 3 JSON schema; --fail-on-warn turns every guess
    # drf-spectacular had to make (an untyped field, an unknown path parameter) into a failure.
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "schema.yaml"))
    assert (tmp_path / "schema.yaml").read_text().startswith("openapi: 3")


def _parameters(schema, path, method="get"):
    return {p["name"]: p for p in schema["paths"][path][method].get("parameters", [])}


@pytest.mark.parametrize(
    "path, expected",
    [
        ("/api/v1/assets/", {"q", "sponsor", "indication", "ordering", "page", "page_size"}),
        (
            "/api/v1/trials/",
            {"q", "phase", "status", "sponsor", "asset", "indication", "ordering", "page", "page_size"},
        ),
        ("/api/v1/news/", {"date_after", "date_before", "asset", "trial", "company", "ordering", "page", "page_size"}),
        ("/api/v1/companies/", {"q", "ordering", "page", "page_size"}),
        ("/api/v1/trials/{identifier}/", {"identifier"}),
        ("/api/v1/assets/{slug}/", {"slug"}),
    ],
)
def test_schema_documents_every_parameter(path, expected):
    schema = SchemaGenerator().get_schema(request=None, public=True)
    parameters = _parameters(schema, path)
    assert expected <= set(parameters)
    for name in expected - {"page", "page_size", "ordering"}:
        assert parameters[name].get("description"), f"{path} {name} has no description"


def test_schema_describes_the_trial_lookup_by_nct_id_or_acronym():
    schema = SchemaGenerator().get_schema(request=None, public=True)
    identifier = _parameters(schema, "/api/v1/trials/{identifier}/")["identifier"]
    assert identifier["in"] == "path"
    assert identifier["schema"]["type"] == "string"
    assert "NCT05552976" in identifier["description"] and "SUCCESSOR-2" in identifier["description"]
    responses = schema["paths"]["/api/v1/trials/{identifier}/"]["get"]["responses"]
    assert {"200", "404", "409"} <= set(responses)
