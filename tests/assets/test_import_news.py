"""The news importer (seed 001 and our own items), company matching and the timeline service it relies on."""
import datetime as dt
from pathlib import Path

import pytest

from assets import services
from assets.companies import alias_candidates, company_key, initials, well_known_canonical
from assets.errors import ValidationError
from assets.importers.events import detect_events, detect_expected_readout
from assets.importers.news import derive_title, parse_news
from assets.models import Company, CompanyAlias, NewsItem, Trial, TrialEvent
from tests import factories
from tests.assets.test_import_profile import DATA, SEED_PROFILE, db_snapshot, run, run_failing

SEED_NEWS = "001_c57e25d1a3d0fbcd.txt"


@pytest.fixture
def seed_news(seeds_dir):
    return seeds_dir / SEED_NEWS


@pytest.fixture
def imported_seeds(db, seeds_dir, seed_news):
    run("import_profile", seeds_dir / SEED_PROFILE)
    run("import_news", seed_news)
    return NewsItem.objects.get()


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


# --- seed 001 ------------------------------------------------------------------------------------------------------

def test_seed_news_gives_the_item_with_date_title_and_paragraphs(imported_seeds, seed_news):
    item = imported_seeds
    assert item.date == dt.date(2026, 3, 9)
    assert item.title == "Bristol Myers Squibb’s mezigdomide has scored its first phase 3 win"
    paragraphs = item.body.split("\n\n")
    assert len(paragraphs) == 8
    assert paragraphs[0].startswith("Bristol Myers Squibb’s mezigdomide has scored its first phase 3 win, with the")
    assert paragraphs[-1].endswith("golcadomide, later this year.")
    assert item.content_hash == services.news_content_hash(date=item.date, body=item.body)


def test_seed_news_links_the_company_asset_and_trial_it_names(imported_seeds):
    item = imported_seeds
    assert [c.name for c in item.companies.all()] == ["Bristol-Myers Squibb"]
    assert [a.name for a in item.assets.all()] == ["Mezigdomide"]
    assert [t.acronym for t in item.trials.all()] == ["SUCCESSOR-2"]  # written "Successor-2" in the text


def test_seed_news_puts_the_topline_on_the_timeline_once(imported_seeds):
    event = TrialEvent.objects.get()  # the profile's "March 2026" and the news' 2026-03-09 are one event
    assert event.trial.acronym == "SUCCESSOR-2"
    assert str(event) == "topline: primary endpoint met, 2026-03-09"
    assert (event.date_precision, event.news) == ("day", imported_seeds)


def test_news_before_profile_gives_the_same_single_event(db, seeds_dir, seed_news):
    run("import_ctgov", DATA / "NCT05552976.json")  # the trial exists, from the registry, before any profile
    run("import_news", seed_news)
    run("import_profile", seeds_dir / SEED_PROFILE)  # its "March 2026" topline is the news' 2026-03-09 one
    topline = TrialEvent.objects.get(kind="topline")
    assert (topline.date, topline.date_precision, topline.news) == (dt.date(2026, 3, 9), "day", NewsItem.objects.get())
    # and the registry's start and ACTUAL primary completion
    assert TrialEvent.objects.filter(trial__acronym="SUCCESSOR-2").count() == 3


def test_importing_both_seeds_twice_changes_nothing(imported_seeds, seeds_dir, seed_news):
    before = db_snapshot()
    run("import_profile", seeds_dir / SEED_PROFILE)
    output = run("import_news", seed_news)
    assert db_snapshot() == before
    assert f"[1/1] {seed_news}: ok (news 2026-03-09, 1 company, 1 asset, 1 trial)" in output


def test_news_without_known_names_is_imported_without_links(db, seed_news):
    run("import_news", seed_news)
    item = NewsItem.objects.get()
    assert not item.companies.exists() and not item.assets.exists() and not item.trials.exists()
    assert not TrialEvent.objects.exists()


def test_the_same_text_rewrapped_is_the_same_item(imported_seeds, seed_news, tmp_path):
    text = seed_news.read_text(encoding="utf-8").replace(". ", ".  ").replace("\n\n", "\n\n\n")
    run("import_news", write(tmp_path, "copy.txt", text))
    assert NewsItem.objects.count() == 1


# --- our own news items --------------------------------------------------------------------------------------------

def test_news_of_data_presented_at_a_conference(db):
    run("import_profile", DATA / "profile_linvoseltamab.txt")
    run("import_news", DATA / "news_linker_mm3_ash.txt")
    item = NewsItem.objects.get()
    assert item.title.startswith("Regeneron presented detailed results from the Phase 3 LINKER-MM3 trial at ASH 2026")
    assert [c.name for c in item.companies.all()] == ["Regeneron Pharmaceuticals"]
    assert [t.acronym for t in item.trials.all()] == ["LINKER-MM3"]
    event = TrialEvent.objects.get(kind="readout")
    assert (event.trial.acronym, event.description, event.date) == ("LINKER-MM3", "data presented at ASH 2026", dt.date(2026, 12, 7))


def test_news_of_an_approval_names_the_trial_it_was_based_on(db):
    run("import_profile", DATA / "profile_linvoseltamab.txt")
    run("import_news", DATA / "news_lynozyfic_approval.txt")
    item = NewsItem.objects.get()
    assert [a.name for a in item.assets.all()] == ["Linvoseltamab"]  # by its other name, Lynozyfic
    assert sorted(t.acronym for t in item.trials.all()) == ["LINKER-MM1", "LINKER-MM3"]
    event = TrialEvent.objects.get(kind="regulatory")
    assert (event.trial.acronym, event.description, event.date) == ("LINKER-MM1", "FDA accelerated approval", dt.date(2025, 7, 2))


def test_news_of_a_missed_endpoint(db, tmp_path):
    trial = factories.TrialFactory(acronym="ALPHA-3", registry_id="NCT01234567")
    path = write(tmp_path, "alpha.txt", " date 2026-05-04 Acme said on Monday that its Phase 3 Alpha-3 study did not "
                 "meet its primary endpoint of overall survival.\n\nShares fell 40%.\n")
    run("import_news", path)
    event = trial.events.get()
    assert (event.kind, event.description, event.date) == ("topline", "primary endpoint missed", dt.date(2026, 5, 4))


def test_news_links_companies_by_alias_initials_and_spelling(db, tmp_path):
    bms, _ = services.company_get_or_create_by_name(name="Bristol-Myers Squibb")
    other = factories.CompanyFactory(name="Acme Bio")
    for text in ("BMS’ CELMoD program", "Bristol Myers Squibb Company said", "bristol-myers squibb's drug"):
        NewsItem.objects.all().delete()
        run("import_news", write(tmp_path, "n.txt", f" date 2026-01-02 {text} something.\n"))
        assert list(NewsItem.objects.get().companies.all()) == [bms], text
    assert other.news.count() == 0


def test_news_links_a_trial_by_nct_id(db, tmp_path):
    trial = factories.TrialFactory(acronym="", registry_id="NCT07654321")
    run("import_news", write(tmp_path, "n.txt", " date 2026-01-02 Results of NCT07654321 were presented at ASCO 2026.\n"))
    assert list(NewsItem.objects.get().trials.all()) == [trial]
    assert trial.events.get().description == "data presented at ASCO 2026"


# --- errors --------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("data", "line", "expected"),
    [
        (b"", 1, "expected ' date YYYY-MM-DD ' and the first paragraph, found an empty file"),
        (b"Bristol Myers Squibb news without a date\n", 1, "expected the line to start with ' date YYYY-MM-DD '"),
        (b" date 09/03/2026 Some text.\n", 1, "expected a date as YYYY-MM-DD after 'date', found '09/03/2026'"),
        (b" date 2026-02-30 Some text.\n", 1, "expected a real calendar date, found 2026-02-30"),
        (b" date 2026-03-09 \n", 1, "expected the first paragraph after 'date 2026-03-09', found nothing"),
        (b" date 2026-03-09 First.\n\nCaf\xe9 second.\n", 3, "expected UTF-8 text, found byte 0xe9"),
    ],
    ids=["empty", "no date", "date format", "impossible date", "no paragraph", "not utf-8"],
)
def test_bad_news_fails_with_file_and_line_and_changes_nothing(imported_seeds, tmp_path, data, line, expected):
    path = tmp_path / "bad-news.txt"
    path.write_bytes(data)
    before = db_snapshot()
    output = run_failing("import_news", path)
    assert f"{path}:{line}: {expected}" in output
    assert db_snapshot() == before


# --- titles, events, companies ---------------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("paragraph", "title"),
    [
        ("Short headline sentence. More text follows.", "Short headline sentence"),
        ("A" * 50 + ", then a clause that goes on and on well beyond the limit of the title, and further still past it.",
         "A" * 50 + ", then a clause that goes on and on well beyond the limit of the title"),
        ("word " * 40, ("word " * 23).strip() + "…"),
    ],
)
def test_derive_title(paragraph, title):
    assert derive_title(paragraph) == title
    assert len(title) <= 120


@pytest.mark.parametrize(
    ("sentence", "events"),
    [
        ("In March 2026, BMS announced SUCCESSOR-2 met its primary PFS endpoint.", [("topline", "primary endpoint met")]),
        ("The oral regimen hit the study’s primary endpoint by demonstrating a benefit.", [("topline", "primary endpoint met")]),
        ("The trial did not meet its primary endpoint of overall survival.", [("topline", "primary endpoint missed")]),
        ("If SUCCESSOR-2 meets its primary endpoint, BMS will file.", []),
        ("Data will be presented at ASH 2026.", []),
        ("Results were presented at the ASCO Annual Meeting 2025.", [("readout", "data presented at ASCO Annual Meeting 2025")]),
        ("The results were published in NEJM.", [("readout", "results published in NEJM")]),
        ("The FDA approved the drug for RRMM.", [("regulatory", "FDA approval")]),
        ("The CHMP adopted a positive opinion recommending approval.", [("regulatory", "CHMP positive opinion")]),
        ("The company will seek approval from the FDA.", []),
        ("The company completed enrollment in the study.", [("enrollment_complete", "enrollment complete")]),
        ("The first patient was dosed in the Phase 3 study.", [("start", "first patient dosed")]),
    ],
)
def test_detect_events(sentence, events):
    assert [(e.kind, e.description) for e in detect_events(sentence)] == events


@pytest.mark.parametrize(
    ("sentence", "label"),
    [
        ("full results are expected at an upcoming medical conference", "Upcoming medical conference"),
        ("topline data are expected in H2 2026", "H2 2026"),
        ("data are anticipated at ASH 2026", "ASH 2026"),
        ("ahead of a planned medical conference presentation", "Upcoming medical conference"),
        ("the trial continues", ""),
    ],
)
def test_detect_expected_readout(sentence, label):
    assert detect_expected_readout(sentence) == label


@pytest.mark.parametrize(
    ("a", "b"),
    [("Bristol-Myers Squibb", "Bristol Myers Squibb Company"), ("Merck & Co., Inc.", "Merck & Co."),
     ("Regeneron Pharmaceuticals, Inc.", "regeneron pharmaceuticals"), ("Eli Lilly and Company", "Eli Lilly")],
)
def test_company_key_ignores_punctuation_case_and_legal_form(a, b):
    assert company_key(a) == company_key(b)


def test_alias_candidates_for_a_sponsor():
    assert alias_candidates("Bristol-Myers Squibb")[:3] == ["Bristol Myers Squibb", "BMS", "Celgene"]
    assert initials("Harbor Point Oncology") == "HPO"
    assert initials("Eli Lilly") == ""  # two initials are too ambiguous
    assert "Harbor Point" in alias_candidates("Harbor Point Therapeutics")
    assert well_known_canonical("Janssen Research & Development, LLC") == "Johnson & Johnson"


def test_a_new_company_keeps_the_name_as_given(db):
    company, created = services.company_get_or_create_by_name(name="Harbor Point Therapeutics, Inc.")
    assert created and company.name == "Harbor Point Therapeutics, Inc."
    assert {"Harbor Point Therapeutics", "Harbor Point", "HPT"} <= {a.name for a in company.aliases.all()}


def test_company_get_or_create_finds_spelling_variants_and_aliases(db):
    bms, created = services.company_get_or_create_by_name(name="BMS", canonical=True)
    assert created and bms.name == "Bristol-Myers Squibb"
    for name in ("Bristol Myers Squibb", "Bristol-Myers Squibb Company", "Celgene", "bms"):
        assert services.company_get_or_create_by_name(name=name) == (bms, False)
    assert Company.objects.count() == 1


def test_an_alias_never_points_at_two_companies(db):
    first, _ = services.company_get_or_create_by_name(name="Harbor Point Oncology")
    second = factories.CompanyFactory(name="Hyper Protein Organics")
    assert services.company_alias_add(company=second, name="HPO") is None
    assert CompanyAlias.objects.get(name="HPO").company == first


@pytest.mark.parametrize(
    ("first", "second", "dates"),
    [
        ((dt.date(2026, 3, 1), "month"), (dt.date(2026, 3, 9), "day"), [(dt.date(2026, 3, 9), "day")]),
        ((dt.date(2026, 3, 9), "day"), (dt.date(2026, 3, 1), "month"), [(dt.date(2026, 3, 9), "day")]),
        ((dt.date(2026, 1, 1), "year"), (dt.date(2026, 7, 1), "half"), [(dt.date(2026, 7, 1), "half")]),
        ((dt.date(2026, 3, 1), "month"), (dt.date(2026, 4, 2), "day"),
         [(dt.date(2026, 3, 1), "month"), (dt.date(2026, 4, 2), "day")]),
    ],
    ids=["refined", "coarser ignored", "year to half", "different month is another event"],
)
def test_trial_event_add_merges_one_event_known_to_different_precision(db, first, second, dates):
    trial = factories.TrialFactory()
    for date, precision in (first, second, first, second):
        services.trial_event_add(trial=trial, kind="topline", date=date, precision=precision, description="primary endpoint met")
    assert [(e.date, e.date_precision) for e in trial.events.order_by("date")] == dates


def test_trial_event_add_refuses_an_unknown_kind(db):
    with pytest.raises(ValidationError) as excinfo:
        services.trial_event_add(trial=factories.TrialFactory(), kind="party", date=dt.date(2026, 1, 1), description="x")
    assert excinfo.value.field == "kind"


def test_a_first_paragraph_on_the_next_line_and_a_colon_are_accepted():
    doc = parse_news("n.txt", b"date: 2026-03-09\n\nFirst paragraph,\nwrapped.\n\nSecond.\n")
    assert doc.date == dt.date(2026, 3, 9) and doc.body == "First paragraph, wrapped.\n\nSecond." and doc.lines == [3, 6]


def test_parse_news_is_pure(seed_news):
    doc = parse_news("n.txt", seed_news.read_bytes())
    assert doc.date == dt.date(2026, 3, 9) and doc.lines[:3] == [1, 3, 5]


def test_trial_upsert_refuses_a_bad_nct_id(db):
    with pytest.raises(ValidationError) as excinfo:
        services.trial_upsert(registry_id="NCT123", acronym="X-1")
    assert excinfo.value.field == "registry_id"
    assert not Trial.objects.exists()
