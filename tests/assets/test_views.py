"""Pages for assets and trials: key facts, search, filters, empty states, pagination, redirects, query counts."""
import datetime as dt

import pytest
from django.db import connection
from django.template.loader import render_to_string
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from assets import selectors
from assets.demo import assets_demo_load
from assets.models import AssetAlias, Trial, TrialEvent
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


def page(client, url, **params):
    response = client.get(url, params)
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def make_assets(n, *, prefix="Alphamab"):
    """``n`` assets, each with a development code, an indication and a trial, so every prefetch has rows."""
    indication = factories.IndicationFactory()
    assets = []
    for i in range(n):
        asset = factories.AssetFactory(name=f"{prefix}-{i:03d}")
        asset.aliases.create(name=f"{prefix[:2].upper()}-{i:05d}", kind=AssetAlias.Kind.DEVELOPMENT_CODE)
        asset.indications.add(indication)
        factories.TrialFactory(assets=[asset], sponsor=asset.sponsor)
        assets.append(asset)
    return assets


def count_queries(client, url):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries)


# --- asset page ---------------------------------------------------------------------------------------------------

def test_asset_page_shows_profile_trials_commentary_and_news(client, demo):
    html = page(client, "/assets/mezigdomide/")
    for fact in [
        "Mezigdomide",
        "Bristol-Myers Squibb",
        "CELMoD agent (cereblon E3 ligase modulator)",
        "CC-92480",
        "SUCCESSOR-2",
        "SUCCESSOR-1",
        "Phase 3",
        "Active, not recruiting",
        READOUT,
        "Development Program Significance",
        "Medical Significance",
        "Commercial Significance",
        "🧬",
        "primary endpoint met",
        "Mezigdomide triplet meets its PFS primary endpoint",
    ]:
        assert fact in html, fact
    # The NCT id is a plain link to the registry.
    assert 'href="https://clinicaltrials.gov/study/NCT05552976"' in html
    # The slot for the lead's questions section is there.
    assert 'id="questions"' in html


def test_asset_page_for_an_unknown_slug_is_404(client, demo):
    assert client.get("/assets/no-such-drug/").status_code == 404


def test_asset_page_without_trials_news_or_commentary_shows_empty_states(client):
    asset = factories.AssetFactory(name="Lonelimab")
    html = page(client, asset.get_absolute_url())
    assert "No trials linked to Lonelimab yet." in html
    assert "No commentary on Lonelimab yet." in html
    assert "No news on Lonelimab yet." in html


def test_asset_page_runs_a_fixed_number_of_queries_whatever_the_number_of_trials(client):
    few, many = factories.AssetFactory(name="Fewmab"), factories.AssetFactory(name="Manymab")
    for asset, n in ((few, 2), (many, 12)):
        for _ in range(n):
            trial = factories.TrialFactory(assets=[asset])
            TrialEvent.objects.create(trial=trial, date=dt.date(2026, 1, 1), kind="start", description="first patient")
    assert count_queries(client, few.get_absolute_url()) == count_queries(client, many.get_absolute_url())


# --- trial page ---------------------------------------------------------------------------------------------------

def test_trial_page_shows_design_endpoints_and_timeline(client, demo):
    html = page(client, "/trials/successor-2/")
    for fact in [
        "SUCCESSOR-2",
        "NCT05552976",
        "Phase 3",
        "Active, not recruiting",
        "Bristol-Myers Squibb",
        "Relapsed/refractory multiple myeloma",
        "MeziKd",
        "Mezigdomide + carfilzomib + dexamethasone",
        ">Kd<",
        "Carfilzomib + dexamethasone",
        "Experimental",
        "Control",
        "Primary",
        "Key secondary",
        "PFS",
        "OS",
        "MRD",
        "HRQOL",
        "lenalidomide",
        READOUT,
        "Topline",
        "primary endpoint met",
        TOPLINE,  # machine-readable date of the topline
        "No results reported yet.",
    ]:
        assert fact in html, fact
    assert 'href="https://clinicaltrials.gov/study/NCT05552976"' in html


def test_trial_page_lists_public_readouts_with_ci_and_source(client, demo):
    html = page(client, "/trials/cartitude-4/")
    assert "Hazard ratio" in html
    assert "0.26" in html
    assert "0.18–0.38" in html
    assert "N Engl J Med 2023;389:335-47" in html
    assert "No results reported yet." not in html


def test_trial_page_hides_readouts_still_under_embargo(client):
    trial = factories.TrialFactory(acronym="EMBARGO-1")
    factories.ReadoutFactory(trial=trial, value=0.123, known_at=timezone.now() + dt.timedelta(days=3))
    html = page(client, trial.get_absolute_url())
    assert "0.123" not in html
    assert "No results reported yet." in html


def test_timeline_shows_a_news_item_cited_by_an_event_once(client, demo):
    html = page(client, "/trials/successor-2/")
    assert html.count("Mezigdomide triplet meets its PFS primary endpoint") == 1


@pytest.mark.parametrize(
    "identifier", ["NCT05552976", "nct05552976", "SUCCESSOR-2", "Successor-2"]
)
def test_trial_is_reachable_by_nct_id_or_acronym_and_redirects_to_its_slug_url(client, demo, identifier):
    response = client.get(f"/trials/{identifier}/")
    assert response.status_code == 302
    assert response["Location"] == "/trials/successor-2/"


def test_trial_page_for_an_unknown_identifier_is_404(client, demo):
    assert client.get("/trials/NCT00000000/").status_code == 404


def test_an_acronym_shared_by_two_trials_redirects_to_a_search_for_it(client):
    factories.TrialFactory(acronym="TWIN", slug="twin-a")
    factories.TrialFactory(acronym="TWIN", slug="twin-b")
    response = client.get("/trials/Twin/")
    assert response.status_code == 302
    assert response["Location"] == "/trials/?q=Twin"


# --- asset list ---------------------------------------------------------------------------------------------------

def test_asset_list_shows_every_asset_with_sponsor_and_trial_count(client, demo):
    html = page(client, "/assets/")
    for name in ["Mezigdomide", "Iberdomide", "Golcadomide", "Ciltacabtagene autoleucel", "Belantamab mafodotin"]:
        assert name in html
    assert "5 assets" in html


@pytest.mark.parametrize(
    "query, found, not_found",
    [
        ("cc-92480", "Mezigdomide", "Iberdomide"),  # development code, other case
        ("Carvykti", "Ciltacabtagene autoleucel", "Mezigdomide"),  # other name
        ("domide", "Golcadomide", "Belantamab mafodotin"),  # part of the name
    ],
)
def test_asset_list_searches_names_and_aliases(client, demo, query, found, not_found):
    html = page(client, "/assets/", q=query)
    assert found in html
    assert not_found not in html


def test_asset_list_filters_by_sponsor_slug(client, demo):
    html = page(client, "/assets/", sponsor="gsk")
    assert "Belantamab mafodotin" in html
    assert "Mezigdomide" not in html
    assert '<option value="gsk" selected>' in html


def test_asset_list_with_no_match_says_so_and_offers_to_clear_the_filters(client, demo):
    html = page(client, "/assets/", q="xyz")
    assert "No assets match &#x27;xyz&#x27;." in html or "No assets match 'xyz'." in html
    assert 'href="/assets/">clear the filters</a>' in html


def test_asset_list_with_an_unknown_sponsor_shows_the_error(client, demo):
    html = page(client, "/assets/", sponsor="no-such-company")
    assert "Select a valid choice" in html


def test_asset_list_with_no_assets_at_all_has_an_empty_state(client):
    html = page(client, "/assets/")
    assert "No assets yet." in html


def test_asset_list_paginates_25_a_page_and_keeps_the_search_in_page_links(client):
    make_assets(30)
    first = page(client, "/assets/", q="alphamab")
    assert first.count('href="/assets/alphamab-') == 25
    assert "1–25 of 30 assets" in first
    assert 'href="?q=alphamab&amp;page=2"' in first
    second = page(client, "/assets/", q="alphamab", page=2)
    assert second.count('href="/assets/alphamab-') == 5
    assert "Alphamab-029" in second


def test_asset_list_page_out_of_range_shows_the_last_page(client):
    make_assets(30)
    html = page(client, "/assets/", page=99)
    assert "Alphamab-029" in html


def test_asset_list_runs_the_same_queries_for_3_and_30_rows(client, django_assert_num_queries):
    # count, rows, aliases, indications, the sponsor select's options: 5 whatever the number of rows.
    make_assets(3, prefix="Fewmab")
    with django_assert_num_queries(5):
        client.get("/assets/")
    make_assets(27, prefix="Moremab")
    with django_assert_num_queries(5):
        html = client.get("/assets/").content.decode()
    assert html.count('href="/assets/') >= 25


# --- trial list ---------------------------------------------------------------------------------------------------

@pytest.mark.parametrize(
    "params, found, not_found",
    [
        ({"q": "NCT05552976"}, "successor-2", "dreamm-7"),
        ({"q": "successor"}, "successor-1", "cartitude-4"),
        ({"q": "follicular"}, "golcadomide-rituximab-fl-phase-2", "successor-2"),
        ({"phase": "2"}, "golcadomide-rituximab-fl-phase-2", "successor-2"),
        ({"status": "unknown"}, "successor-1", "dreamm-7"),
        ({"sponsor": "johnson-johnson"}, "cartitude-4", "successor-2"),
    ],
)
def test_trial_list_searches_and_filters(client, demo, params, found, not_found):
    html = page(client, "/trials/", **params)
    assert f'href="/trials/{found}/"' in html
    assert f'href="/trials/{not_found}/"' not in html


def test_trial_list_with_no_match_has_an_empty_state(client, demo):
    html = page(client, "/trials/", q="NCT99999999")
    assert "No trials match" in html
    assert "NCT99999999" in html
    assert 'href="/trials/">clear the filters</a>' in html


def test_trial_list_runs_the_same_queries_for_3_and_30_rows(client, django_assert_num_queries):
    # count, rows, assets, the sponsor select's options: 4 whatever the number of rows.
    make_assets(3, prefix="Fewmab")
    with django_assert_num_queries(4):
        client.get("/trials/")
    make_assets(27, prefix="Moremab")
    with django_assert_num_queries(4):
        client.get("/trials/")


def test_trial_list_sorts_a_trial_without_acronym_by_its_title(demo):
    names = [t.name for t in selectors.trial_list_queryset()]
    assert names == sorted(names, key=str.lower)


# --- home ---------------------------------------------------------------------------------------------------------

def test_home_page_introduces_readout_and_lists_assets_and_trials(client, demo):
    html = page(client, "/")
    assert "Forecast what clinical trials will report" in html
    assert "Mezigdomide" in html
    assert "SUCCESSOR-2" in html


def test_home_template_shows_recent_news_from_the_highlights(demo):
    request = RequestFactory().get("/")
    html = render_to_string("home.html", selectors.home_highlights(), request=request)
    assert "Mezigdomide triplet meets its PFS primary endpoint in Phase 3 SUCCESSOR-2" in html
    # The asset with the latest news leads the featured list.
    assert html.index("Mezigdomide") < html.index("Belantamab mafodotin")


def test_home_highlights_order_assets_by_latest_news(demo):
    assets = list(selectors.home_highlights()["assets"])
    assert assets[0].name in {"Mezigdomide", "Iberdomide", "Golcadomide"}  # all three are in the 2026 news
    assert assets[-1].name == "Belantamab mafodotin"  # no news at all


# --- shared partials ----------------------------------------------------------------------------------------------

def test_pagination_partial_keeps_other_query_parameters():
    from django.core.paginator import Paginator

    request = RequestFactory().get("/questions/", {"status": "open", "q": "pfs", "page": "2"})
    page_obj = Paginator(list(range(100)), 10).page(2)
    html = render_to_string("includes/pagination.html", {"page_obj": page_obj}, request=request)
    assert 'href="?status=open&amp;q=pfs&amp;page=1"' in html
    assert 'href="?status=open&amp;q=pfs&amp;page=3"' in html
    assert "11–20 of 100" in html


def test_pagination_partial_renders_nothing_for_a_single_page():
    from django.core.paginator import Paginator

    request = RequestFactory().get("/")
    page_obj = Paginator([1, 2], 10).page(1)
    assert render_to_string("includes/pagination.html", {"page_obj": page_obj}, request=request).strip() == ""


def test_form_fields_partial_still_renders_inline_errors():
    from django import forms

    class Form(forms.Form):
        probability = forms.FloatField(min_value=0.001, max_value=0.999, help_text="Between 0.001 and 0.999.")

    form = Form(data={"probability": "2"})
    form.is_valid()
    html = render_to_string("includes/form_fields.html", {"form": form})
    assert 'class="field has-error"' in html
    assert 'class="field-errors"' in html
    assert "Between 0.001 and 0.999." in html


def test_trial_detail_url_name_reverses_to_slug():
    assert reverse("assets:trial-detail", kwargs={"slug": "successor-2"}) == "/trials/successor-2/"


def test_trial_find_prefers_the_slug_then_nct_id_then_acronym(demo):
    trial = Trial.objects.get(registry_id="NCT05552976")
    assert selectors.trial_find(identifier="successor-2") == trial
    assert selectors.trial_find(identifier=" nct05552976 ") == trial
    with pytest.raises(Trial.DoesNotExist):
        selectors.trial_find(identifier="SUCCESSOR-9")
