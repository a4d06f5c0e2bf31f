"""Re-imports never lose hand-entered data: what each import owns and which staff edits it keeps
(docs/registry.md, "What an import owns"). Each test reproduces a defect of the previous importers first."""
import datetime as dt
from pathlib import Path

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from assets.models import Asset, AssetAlias, NewsItem, Trial, TrialEvent
from tests import factories
from tests.assets.test_import_profile import DATA, SEED_PROFILE, db_snapshot, run

SEED_NEWS = "001_c57e25d1a3d0fbcd.txt"
WRITES = ("INSERT", "UPDATE", "DELETE")


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def writes(queries) -> list[str]:
    return [q["sql"] for q in queries.captured_queries if q["sql"].lstrip().upper().startswith(WRITES)]


@pytest.fixture
def seed_profile(seeds_dir):
    return seeds_dir / SEED_PROFILE


@pytest.fixture
def seed_news(seeds_dir):
    return seeds_dir / SEED_NEWS


@pytest.fixture
def mezigdomide(db, seed_profile):
    run("import_profile", seed_profile)
    return Asset.objects.get(name="Mezigdomide")


# --- asset profiles ------------------------------------------------------------------------------------------------

def test_a_hand_entered_development_code_survives_a_profile_reimport(mezigdomide, seed_profile):
    # The seed profile lists no development codes; staff add mezigdomide's by hand.
    AssetAlias.objects.create(asset=mezigdomide, name="CC-92480", kind=AssetAlias.Kind.DEVELOPMENT_CODE)
    run("import_profile", seed_profile)
    assert mezigdomide.development_codes == ["CC-92480"]
    assert Asset.objects.filter_search("CC-92480").get() == mezigdomide


def test_a_profile_still_owns_the_aliases_it_lists(mezigdomide, seed_profile, tmp_path):
    AssetAlias.objects.create(asset=mezigdomide, name="CC-92480", kind=AssetAlias.Kind.DEVELOPMENT_CODE)
    text = seed_profile.read_text(encoding="utf-8")
    run("import_profile", write(tmp_path, "v2.txt", text.replace("Development codes", "Development codes\nBMS-986348")))
    assert sorted(mezigdomide.development_codes) == ["BMS-986348", "CC-92480"]
    assert mezigdomide.aliases.get(name="BMS-986348").source == "profile"
    run("import_profile", seed_profile)  # the profile no longer lists BMS-986348: gone; the hand-entered code stays
    assert mezigdomide.development_codes == ["CC-92480"]
    assert mezigdomide.aliases.get(name="CC-92480").source == "manual"


def test_an_alias_staff_edit_in_the_admin_becomes_theirs(mezigdomide, seed_profile, tmp_path, client, staff_user):
    text = seed_profile.read_text(encoding="utf-8")
    run("import_profile", write(tmp_path, "v2.txt", text.replace("Development codes", "Development codes\nCC92480")))
    alias = mezigdomide.aliases.get(name="CC92480")
    client.force_login(staff_user)
    response = client.post(f"/admin/assets/assetalias/{alias.pk}/change/",
                           {"asset": mezigdomide.pk, "name": "CC-92480", "kind": "development_code"})
    assert response.status_code == 302
    run("import_profile", seed_profile)  # staff corrected the spelling: the profile's re-import keeps it
    assert mezigdomide.development_codes == ["CC-92480"]


def test_a_hand_set_expected_readout_survives_a_profile_reimport(mezigdomide, seed_profile):
    Trial.objects.filter(acronym="SUCCESSOR-2").update(expected_readout="ASCO 2026")
    run("import_profile", seed_profile)
    assert Trial.objects.get(acronym="SUCCESSOR-2").expected_readout == "ASCO 2026"


def test_reimporting_a_profile_unchanged_writes_nothing_and_says_so(mezigdomide, seed_profile):
    before = db_snapshot(ignore=())  # updated_at included
    with CaptureQueriesContext(connection) as queries:
        output = run("import_profile", seed_profile)
    assert writes(queries) == []
    assert db_snapshot(ignore=()) == before
    assert "(0 records created, 0 updated, 4 unchanged" in output


# --- news ----------------------------------------------------------------------------------------------------------

@pytest.fixture
def imported_news(mezigdomide, seed_news):
    run("import_news", seed_news)
    return NewsItem.objects.get()


def test_importing_the_seed_news_twice_keeps_one_item(imported_news, seed_news):
    run("import_news", seed_news)
    assert NewsItem.objects.get() == imported_news


@pytest.mark.parametrize(
    "edit",
    [
        lambda t: t.replace("six months after", "six months after the"),  # a typo fixed
        lambda t: t.replace("The company is holding back detailed data for a future medical conference",
                            "BMS is keeping the detailed data for an upcoming medical meeting"),  # a sentence reworded
        lambda t: t + "\n\nShares of BMS rose 2% in early trading.",  # a paragraph added
        lambda t: t.rsplit("\n\n", 1)[0],  # the last paragraph dropped
    ],
    ids=["typo", "reworded", "paragraph added", "paragraph dropped"],
)
def test_reimporting_slightly_edited_news_updates_the_same_item(edit, imported_news, seed_news, tmp_path):
    text = edit(seed_news.read_text(encoding="utf-8"))
    run("import_news", write(tmp_path, "edited.txt", text))
    item = NewsItem.objects.get()
    assert item.pk == imported_news.pk
    assert item.body == "\n\n".join(" ".join(p.split()) for p in text.replace(" date 2026-03-09 ", "", 1).split("\n\n"))
    assert TrialEvent.objects.filter(kind="topline").count() == 1  # the same topline, once


def test_a_different_story_about_the_same_topline_is_another_item(imported_news, tmp_path):
    run("import_news", write(tmp_path, "pr.txt", (
        " date 2026-03-09 Bristol Myers Squibb today announced that the Phase 3 SUCCESSOR-2 trial evaluating "
        "mezigdomide in combination with carfilzomib and dexamethasone met its primary endpoint of progression-free "
        "survival in patients with relapsed or refractory multiple myeloma.\n\nThe company will present the data at "
        "an upcoming medical meeting and discuss them with health authorities.")))
    assert NewsItem.objects.count() == 2
    assert TrialEvent.objects.filter(kind="topline").count() == 1


def test_staff_edits_of_a_news_item_survive_a_reimport(imported_news, seed_news, tmp_path):
    trial = factories.TrialFactory(acronym="SUCCESSOR-1X")
    NewsItem.objects.filter(pk=imported_news.pk).update(
        title="BMS: mezigdomide wins in SUCCESSOR-2", source="Fierce Biotech", url="https://example.com/mezi")
    imported_news.trials.add(trial)
    text = seed_news.read_text(encoding="utf-8").replace("six months after", "six months after the")
    run("import_news", seed_news)
    run("import_news", write(tmp_path, "edited.txt", text))
    item = NewsItem.objects.get()
    assert (item.title, item.source, item.url) == (
        "BMS: mezigdomide wins in SUCCESSOR-2", "Fierce Biotech", "https://example.com/mezi")
    assert set(item.trials.values_list("acronym", flat=True)) == {"SUCCESSOR-2", "SUCCESSOR-1X"}


def test_an_untouched_title_follows_the_text(imported_news, seed_news, tmp_path):
    text = seed_news.read_text(encoding="utf-8").replace("has scored its first phase 3 win", "has won its first phase 3")
    run("import_news", write(tmp_path, "edited.txt", text))
    assert NewsItem.objects.get().title == "Bristol Myers Squibb’s mezigdomide has won its first phase 3"


# --- ClinicalTrials.gov records ------------------------------------------------------------------------------------

def test_reimporting_a_ctgov_record_unchanged_writes_nothing_and_says_so(db):
    run("import_ctgov", DATA / "NCT05552976.json", DATA / "NCT05083169.json")
    before = db_snapshot(ignore=())  # updated_at included
    with CaptureQueriesContext(connection) as queries:
        output = run("import_ctgov", DATA / "NCT05552976.json", DATA / "NCT05083169.json")
    assert writes(queries) == []
    assert db_snapshot(ignore=()) == before
    assert "(0 records created, 0 updated, 4 unchanged" in output


def test_a_ctgov_record_keeps_the_sponsor_staff_chose(db):
    run("import_ctgov", DATA / "NCT05552976.json")
    partner = factories.CompanyFactory(name="Partner Pharma")
    Trial.objects.update(sponsor=partner)
    run("import_ctgov", DATA / "NCT05552976.json")
    assert Trial.objects.get().sponsor == partner
    assert Trial.objects.get().primary_completion_date == dt.date(2026, 1, 30)
