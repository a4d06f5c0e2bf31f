"""The Django admin of the assets app: every model's pages, and the Import page."""
import datetime as dt

import pytest
from django.apps import apps
from django.contrib import admin
from django.urls import reverse

from assets.models import (
    Asset,
    ImportJob,
    ImportJobFile,
    NewsItem,
    Readout,
    Trial,
    TrialRegistryChange,
)
from tests import factories
from tests.assets.test_import_profile import DATA, SEED_PROFILE, run

SEED_NEWS = "001_c57e25d1a3d0fbcd.txt"
IMPORT_URL = "/admin/assets/asset/import/"
ASSETS_MODELS = list(apps.get_app_config("assets").get_models())
READ_ONLY_MODELS = {TrialRegistryChange, ImportJob, ImportJobFile}


@pytest.fixture
def staff_client(client, staff_user):
    client.force_login(staff_user)
    return client


@pytest.fixture
def full_database(db, seeds_dir):
    """Both seeds, our profiles and records, and a readout: at least one row in every assets table."""
    run("import_profile", seeds_dir / SEED_PROFILE, *sorted(DATA.glob("profile_*.txt")))
    run("import_news", seeds_dir / SEED_NEWS, *sorted(DATA.glob("news_*.txt")))
    run("import_ctgov", *sorted(DATA.glob("*.json")))
    trial = Trial.objects.get(acronym="SUCCESSOR-2")
    factories.ReadoutFactory(trial=trial, endpoint=trial.endpoints.get(code="PFS"), source="ASCO 2026")
    from assets.models import Meeting, PublicMoment

    PublicMoment.objects.create(trial=trial, kind="presentation", at=dt.datetime(2026, 12, 8, 15, tzinfo=dt.timezone.utc),
                                timezone="America/New_York", meeting=Meeting.objects.first())
    from assets.services.imports import import_job_create, import_job_run

    import_job_run(job_id=import_job_create(user=None, fmt="profile", files=[("SUCCESSOR-2.txt", b"x\n")]).pk)
    for model in ASSETS_MODELS:
        assert model.objects.exists(), model


# --- every model ---------------------------------------------------------------------------------------------------

def test_every_assets_model_is_registered_with_search():
    for model in ASSETS_MODELS:
        assert model in admin.site._registry, model
        assert admin.site._registry[model].search_fields, model


def test_url_for_the_import_page():
    assert reverse("admin:assets_import") == IMPORT_URL


@pytest.mark.parametrize("model", ASSETS_MODELS, ids=lambda m: m.__name__)
def test_changelist_change_and_add_pages_answer_200_for_staff(model, full_database, staff_client):
    info = (model._meta.app_label, model._meta.model_name)
    changelist = reverse("admin:%s_%s_changelist" % info)
    assert staff_client.get(changelist).status_code == 200
    assert staff_client.get(changelist, {"q": "successor"}).status_code == 200
    obj = model.objects.order_by("pk").first()
    assert staff_client.get(reverse("admin:%s_%s_change" % info, args=[obj.pk])).status_code == 200
    # The registry history is append-only: its admin shows rows but adds none.
    add_status = 403 if model in READ_ONLY_MODELS else 200
    assert staff_client.get(reverse("admin:%s_%s_add" % info)).status_code == add_status


@pytest.mark.parametrize("model", [Asset, Trial, NewsItem], ids=lambda m: m.__name__)
def test_asset_trial_and_news_lists_link_to_the_import_page(model, full_database, staff_client):
    response = staff_client.get(reverse(f"admin:assets_{model._meta.model_name}_changelist"))
    assert f'href="{IMPORT_URL}"' in response.content.decode()


def test_asset_list_shows_readable_columns(full_database, staff_client):
    content = staff_client.get(reverse("admin:assets_asset_changelist")).content.decode()
    for text in ("Mezigdomide", "Bristol-Myers Squibb", "CELMoD agent (cereblon E3 ligase modulator)", "REGN5458"):
        assert text in content


def test_asset_search_finds_an_alias(full_database, staff_client):
    response = staff_client.get(reverse("admin:assets_asset_changelist"), {"q": "Lynozyfic"})
    assert list(response.context["cl"].result_list) == [Asset.objects.get(name="Linvoseltamab")]


def test_trial_change_page_shows_arms_endpoints_and_timeline_inline(full_database, staff_client):
    trial = Trial.objects.get(acronym="SUCCESSOR-2")
    content = staff_client.get(reverse("admin:assets_trial_change", args=[trial.pk])).content.decode()
    for text in ("MeziKd", "carfilzomib + dexamethasone", "primary endpoint met", "Timeline", "Endpoints"):
        assert text in content


def test_a_news_item_added_in_the_admin_gets_its_content_hash(db, staff_client):
    response = staff_client.post(
        reverse("admin:assets_newsitem_add"),
        {"date": "2026-04-01", "title": "A title", "source": "", "url": "", "body": "Some news."},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    item = NewsItem.objects.get()
    assert len(item.content_hash) == 64
    again = staff_client.post(reverse("admin:assets_newsitem_add"), {"date": "2026-04-01", "title": "B", "body": "Some  news."})
    assert again.status_code == 200 and "This news item already exists" in again.content.decode()
    assert NewsItem.objects.count() == 1


def test_a_readout_added_in_the_admin_records_who_entered_it(db, staff_client, staff_user):
    trial = factories.TrialFactory()
    endpoint = factories.EndpointFactory()
    response = staff_client.post(reverse("admin:assets_readout_add"), {
        "trial": trial.pk, "endpoint": endpoint.pk, "metric": "hazard_ratio", "value": "0.64", "ci_lower": "0.5",
        "ci_upper": "0.8", "source": "ASCO 2026", "known_at_0": "2026-06-01", "known_at_1": "12:00:00",
    })
    assert response.status_code == 302, response.content.decode()[:3000]
    assert Readout.objects.get().created_by == staff_user

# The Import page and its jobs: tests/assets/test_import_jobs.py.
