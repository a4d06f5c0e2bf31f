"""The assets demo data: the seed facts, idempotence, and text in our own words."""
import builtins
import datetime as dt
import pathlib
import re

import pytest
from django.core.management import call_command

from assets import demo
from assets.demo import assets_demo_load
from assets.models import (
    Arm,
    Asset,
    AssetAlias,
    CommentarySection,
    Company,
    CompanyAlias,
    Endpoint,
    Indication,
    NewsItem,
    Readout,
    Trial,
    TrialEndpoint,
    TrialEvent,
)

from assets.demo_clock import calendar_on

# The demo's story is dated from the day it is loaded (assets/demo_clock.py).
DEMO = calendar_on(dt.datetime.now(dt.timezone.utc).date())
TOPLINE = DEMO.topline.isoformat()
READOUT = f"medical conference, {DEMO.questions_close.year}"


pytestmark = pytest.mark.django_db

MODELS = [
    Company, CompanyAlias, Indication, Endpoint, Asset, AssetAlias, CommentarySection, Trial, Arm, TrialEndpoint,
    NewsItem, TrialEvent, Readout,
]


def counts():
    return {model.__name__: model.objects.count() for model in MODELS}


def test_demo_load_twice_creates_nothing_the_second_time():
    first_lines = assets_demo_load()
    first = counts()
    second_lines = assets_demo_load()
    assert counts() == first
    assert all(n > 0 for n in first.values()), first
    assert any("(0 new)" not in line for line in first_lines)
    assert all("(0 new)" in line for line in second_lines if line.startswith("Assets demo: ") and "new)" in line)


def test_load_demo_command_twice_keeps_the_same_asset_counts(capsys):
    call_command("load_demo")
    first = counts()
    call_command("load_demo")
    assert counts() == first
    assert "Assets demo: 5 assets" in capsys.readouterr().out


def test_demo_merges_into_a_company_an_importer_already_created_under_an_alias():
    Company.objects.create(name="BMS")
    assets_demo_load()
    assert Company.objects.filter_name_or_alias("Bristol-Myers Squibb").count() == 1
    assert Asset.objects.get(name="Mezigdomide").sponsor.name == "BMS"


def test_demo_mezigdomide_profile():
    assets_demo_load()
    mezi = Asset.objects.get(slug="mezigdomide")
    assert mezi.sponsor.name == "Bristol-Myers Squibb"
    assert sorted(mezi.sponsor.aliases.values_list("name", flat=True)) == ["BMS", "Bristol Myers Squibb"]
    assert mezi.mechanism == "CELMoD agent (cereblon E3 ligase modulator)"
    assert mezi.development_codes == ["CC-92480"]
    sections = list(mezi.commentary.values_list("emoji", "heading"))
    assert sections == [
        ("🧬", "Development Program Significance"),
        ("🏥", "Medical Significance"),
        ("📊", "Commercial Significance"),
    ]
    for fact in ["SUCCESSOR-2", "NCT05552976", "MeziKd", "Kd", "SUCCESSOR-1", "PFS"]:
        assert fact in mezi.description


def test_demo_successor_2_design():
    assets_demo_load()
    trial = Trial.objects.get(registry_id="NCT05552976")
    assert (trial.acronym, trial.slug, trial.phase, trial.status) == (
        "SUCCESSOR-2", "successor-2", Trial.Phase.PHASE3, Trial.Status.ACTIVE_NOT_RECRUITING
    )
    assert trial.expected_readout == READOUT
    assert trial.indication.abbreviation == "RRMM"
    assert "lenalidomide" in trial.population and "anti-CD38" in trial.population
    assert list(trial.arms.values_list("name", "role", "description")) == [
        ("MeziKd", "experimental", "Mezigdomide + carfilzomib + dexamethasone"),
        ("Kd", "control", "Carfilzomib + dexamethasone"),
    ]
    endpoints = dict(trial.trial_endpoints.values_list("endpoint__code", "kind"))
    assert endpoints == {
        "PFS": "primary", "OS": "key_secondary", "ORR": "key_secondary", "MRD": "key_secondary",
        "HRQOL": "key_secondary",
    }
    event = trial.events.get()
    assert str(event) == f"topline: primary endpoint met, {TOPLINE}"
    assert event.news.trials.get() == trial
    assert not trial.readouts.exists()  # the numbers are not public yet


def test_demo_successor_1_has_no_nct_id_and_a_bortezomib_triplet():
    assets_demo_load()
    trial = Trial.objects.get(acronym="SUCCESSOR-1")
    assert trial.registry_id is None
    assert trial.phase == Trial.Phase.PHASE3
    assert "bortezomib" in trial.arms.get(role="experimental").description.lower()


def test_demo_endpoints_table():
    assets_demo_load()
    assert set(Endpoint.objects.values_list("code", flat=True)) == {"PFS", "OS", "ORR", "MRD", "HRQOL", "EFS", "CR"}
    assert Endpoint.objects.get(code="MRD").name == "MRD negativity"


def test_demo_other_assets_cover_other_sponsors_and_indications():
    assets_demo_load()
    iberdomide = Asset.objects.get(name="Iberdomide")
    excaliber = iberdomide.trials.get()
    assert excaliber.phase == Trial.Phase.PHASE3
    assert {a.name for a in excaliber.arms.all()} == {"IberDd", "DVd"}
    assert "daratumumab" in excaliber.arms.get(role="experimental").description.lower()
    golcadomide = Asset.objects.get(name="Golcadomide")
    assert golcadomide.trials.get().phase == Trial.Phase.PHASE2
    assert golcadomide.indications.get().name == "Follicular lymphoma"
    assert Company.objects.count() >= 3
    assert Readout.objects.filter(trial__acronym="CARTITUDE-4", metric="hazard_ratio").get().value == 0.26


def test_demo_readouts_are_public_and_consistent():
    assets_demo_load()
    for readout in Readout.objects.all():
        assert readout.known_at <= dt.datetime.now(dt.timezone.utc)
        if readout.ci_lower is not None:
            assert readout.ci_lower <= readout.value <= readout.ci_upper


def test_demo_does_not_read_the_shared_folder(monkeypatch):
    real_open = builtins.open

    def guarded_open(file, *args, **kwargs):
        assert "shared" not in str(file), f"the demo read {file}"
        return real_open(file, *args, **kwargs)

    monkeypatch.setattr(builtins, "open", guarded_open)
    monkeypatch.setattr(pathlib.Path, "read_text", lambda self, *a, **k: pytest.fail(f"the demo read {self}"))
    assets_demo_load()


def _shingles(text, n=8):
    words = re.findall(r"[a-z0-9]+", text.lower())
    return {" ".join(words[i:i + n]) for i in range(len(words) - n + 1)}


def test_demo_prose_is_in_our_own_words(seeds_dir):
    """No run of eight words of the seed documents appears in the demo's description, commentary or news."""
    seed = _shingles((seeds_dir / "000_1f57dd90c1545bac.txt").read_text() + " "
                     + (seeds_dir / "001_c57e25d1a3d0fbcd.txt").read_text())
    ours = [demo.MEZIGDOMIDE_DESCRIPTION] + [body for _, _, body in demo.MEZIGDOMIDE_COMMENTARY]
    ours += [item["body"] for item in demo.NEWS] + [item["title"] for item in demo.NEWS]
    copied = set().union(*(_shingles(text) & seed for text in ours))
    assert not copied, sorted(copied)[:5]
