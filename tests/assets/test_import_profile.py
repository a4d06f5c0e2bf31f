"""The asset-profile importer: seed 000, our own profiles in tests/assets/data, errors, and the text tools it uses."""
import datetime as dt
from pathlib import Path

import pytest
from django.apps import apps
from django.core.management import CommandError, call_command
from hypothesis import given
from hypothesis import strategies as st

from assets.importers.common import ImportFileError, decode_text
from assets.importers.profile import parse_profile
from assets.importers.text import PHASE_RE, find_dates, match_key, phase_from_match, split_emoji, split_sentences
from assets.importers.trials import parse_arms, parse_endpoints
from assets.models import Asset, CommentarySection, Company, Indication, Trial, TrialEvent

DATA = Path(__file__).parent / "data"
SEED_PROFILE = "000_1f57dd90c1545bac.txt"


def db_snapshot(*, ignore=("updated_at",)) -> dict:
    """Every row of every assets table (many-to-many tables included), as plain values, ``ignore`` fields left out."""
    snapshot = {}
    for model in apps.get_app_config("assets").get_models(include_auto_created=True):
        if model._meta.db_table == "assets_meeting":  # the meeting calendar ships with the database (migration 0006)
            continue
        if model._meta.db_table in ("assets_importjob", "assets_importjobfile"):  # the log of uploads, not the domain
            continue
        rows = [
            {k: v for k, v in row.items() if k not in ignore} for row in model.objects.order_by("pk").values()
        ]
        snapshot[model._meta.db_table] = rows
    return snapshot


def row_counts() -> dict:
    return {table: len(rows) for table, rows in db_snapshot().items()}


def run(command: str, *paths, **options) -> str:
    """Run an import command; return its output. Raises CommandError like the command line's exit status 1."""
    from io import StringIO

    out = StringIO()
    call_command(command, *[str(p) for p in paths], stdout=out, stderr=out, **options)
    return out.getvalue()


def run_failing(command: str, *paths, **options) -> str:
    from io import StringIO

    out = StringIO()
    with pytest.raises(CommandError) as excinfo:
        call_command(command, *[str(p) for p in paths], stdout=out, stderr=out, **options)
    return out.getvalue() + str(excinfo.value)


@pytest.fixture
def seed_profile(seeds_dir):
    return seeds_dir / SEED_PROFILE


@pytest.fixture
def imported_seed_profile(db, seed_profile):
    run("import_profile", seed_profile)
    return Asset.objects.get(name="Mezigdomide")


# --- seed 000 ------------------------------------------------------------------------------------------------------

def test_seed_profile_gives_the_asset_its_sponsor_and_mechanism(imported_seed_profile):
    asset = imported_seed_profile
    assert asset.sponsor.name == "Bristol-Myers Squibb"
    assert asset.slug == "mezigdomide"
    assert asset.mechanism == "CELMoD agent (cereblon E3 ligase modulator)"
    assert asset.description.startswith("CELMoD agent (cereblon E3 ligase modulator) developed as a next-generation")
    assert asset.description.endswith("response depth in this population.")
    assert asset.development_codes == [] and asset.other_names == []
    assert [(i.name, i.abbreviation) for i in asset.indications.all()] == [
        ("Relapsed/refractory multiple myeloma", "RRMM")
    ]


def test_seed_profile_gives_the_sponsor_its_aliases(imported_seed_profile):
    company = Company.objects.get()
    aliases = {a.name for a in company.aliases.all()}
    assert {"Bristol Myers Squibb", "BMS"} <= aliases
    for name in ("Bristol Myers Squibb", "BMS", "bristol-myers squibb"):
        assert list(Company.objects.filter_name_or_alias(name)) == [company]


def test_seed_profile_gives_three_commentary_sections_in_order(imported_seed_profile):
    sections = list(imported_seed_profile.commentary.order_by("order"))
    assert [(s.order, s.emoji, s.heading) for s in sections] == [
        (0, "🧬", "Development Program Significance"),
        (1, "🏥", "Medical Significance"),
        (2, "📊", "Commercial Significance"),
    ]
    assert sections[0].body.startswith("CELMoD agent (cereblon E3 ligase modulator). Mezigdomide represents")
    assert sections[2].body.endswith("where within that range the asset ultimately lands.")


def test_seed_profile_gives_successor_2_with_arms_and_endpoints(imported_seed_profile):
    trial = Trial.objects.get(acronym="SUCCESSOR-2")
    assert trial.registry_id == "NCT05552976"
    assert trial.phase == Trial.Phase.PHASE3
    assert trial.sponsor.name == "Bristol-Myers Squibb"
    assert list(trial.assets.all()) == [imported_seed_profile]
    assert trial.indication.abbreviation == "RRMM"
    assert trial.population == "patients with prior lenalidomide and anti-CD38 exposure"
    assert trial.expected_readout == "Upcoming medical conference"
    assert [(a.name, a.role, a.description) for a in trial.arms.order_by("order")] == [
        ("MeziKd", "experimental", "mezigdomide + carfilzomib + dexamethasone"),
        ("Kd", "control", "carfilzomib + dexamethasone"),
    ]
    endpoints = {te.endpoint.code: te.kind for te in trial.trial_endpoints.select_related("endpoint")}
    assert endpoints == {"PFS": "primary", "OS": "key_secondary", "ORR": "key_secondary", "MRD": "key_secondary",
                         "HRQOL": "key_secondary"}
    assert trial.trial_endpoints.get(endpoint__code="MRD").endpoint.name == "MRD negativity"


def test_seed_profile_gives_the_topline_event_dated_march_2026(imported_seed_profile):
    event = TrialEvent.objects.get()
    assert event.trial.acronym == "SUCCESSOR-2"
    assert (event.kind, event.description) == ("topline", "primary endpoint met")
    assert (event.date, event.date_precision) == (dt.date(2026, 3, 1), "month")
    assert str(event) == "topline: primary endpoint met, 2026-03-01"
    assert event.date_display == "March 2026"


def test_seed_profile_gives_successor_1_as_a_second_trial_without_nct_id(imported_seed_profile):
    assert Trial.objects.count() == 2
    trial = Trial.objects.get(acronym="SUCCESSOR-1")
    assert trial.registry_id is None
    assert trial.phase == ""
    assert list(trial.assets.all()) == [imported_seed_profile]
    assert trial.indication.abbreviation == "RRMM"
    assert not trial.arms.exists() and not trial.trial_endpoints.exists()


def test_importing_the_seed_profile_twice_changes_nothing(imported_seed_profile, seed_profile):
    before = db_snapshot()
    output = run("import_profile", seed_profile)
    assert db_snapshot() == before
    assert "[1/1]" in output and "ok (asset Mezigdomide, 2 trials)" in output


def test_progress_line_and_summary_for_the_seed(db, seed_profile):
    output = run("import_profile", seed_profile)
    assert f"[1/1] {seed_profile}: ok (asset Mezigdomide, 2 trials)" in output
    assert "Imported 1 of 1 file" in output and "0 failed" in output


def test_dry_run_reports_but_saves_nothing(db, seed_profile):
    output = run("import_profile", seed_profile, dry_run=True)
    assert "ok (asset Mezigdomide, 2 trials, dry run)" in output
    assert "Dry run" in output
    assert all(count == 0 for count in row_counts().values())


# --- our own profiles ----------------------------------------------------------------------------------------------

def test_profile_with_two_nct_ids_filled_aliases_and_other_emojis(db):
    run("import_profile", DATA / "profile_linvoseltamab.txt")
    asset = Asset.objects.get(name="Linvoseltamab")
    assert asset.sponsor.name == "Regeneron Pharmaceuticals"  # as line 2 spells it
    assert {a.name for a in asset.sponsor.aliases.all()} >= {"Regeneron"}
    assert asset.mechanism == "BCMAxCD3 bispecific antibody"
    assert asset.development_codes == ["REGN5458"]
    assert set(asset.other_names) == {"linvoseltamab-gcpt", "Lynozyfic"}
    assert [(s.emoji, s.heading) for s in asset.commentary.all()] == [
        ("🔬", "Scientific Rationale"), ("👩\u200d⚕️", "Physician Perspective"), ("💰", "Commercial Outlook"),
    ]
    mm1 = Trial.objects.get(registry_id="NCT03761108")
    assert (mm1.acronym, mm1.phase) == ("LINKER-MM1", "1/2")
    assert {te.endpoint.code: te.kind for te in mm1.trial_endpoints.all()} == {
        "ORR": "primary", "DOR": "key_secondary", "CR": "key_secondary"}
    mm3 = Trial.objects.get(registry_id="NCT05730036")
    assert (mm3.acronym, mm3.phase, mm3.expected_readout) == ("LINKER-MM3", "3", "H2 2026")
    assert [(a.name, a.role, a.description) for a in mm3.arms.all()] == [
        ("linvoseltamab", "experimental", ""), ("EPd", "control", "elotuzumab + pomalidomide + dexamethasone")]
    assert {te.endpoint.code: te.kind for te in mm3.trial_endpoints.all()} == {
        "PFS": "primary", "OS": "key_secondary", "MRD": "key_secondary"}
    assert [(e.kind, e.date, e.date_precision) for e in mm3.events.all()] == [
        ("enrollment_complete", dt.date(2025, 3, 1), "month")]
    # the competitor trial named in the commercial section is teclistamab's, not linvoseltamab's
    assert not Trial.objects.filter(acronym__iexact="MajesTEC-3").exists()
    assert Trial.objects.count() == 2


def test_profile_without_analyst_commentary_and_a_phase_2_trial(db, seed_profile):
    run("import_profile", seed_profile)
    run("import_profile", DATA / "profile_golcadomide_no_commentary.txt")
    asset = Asset.objects.get(name="Golcadomide")
    # "Bristol Myers Squibb" on line 2 is the seed's "Bristol-Myers Squibb", not a second company
    assert Company.objects.count() == 1 and asset.sponsor.name == "Bristol-Myers Squibb"
    assert asset.mechanism == "Oral CELMoD agent"
    assert not asset.commentary.exists()
    assert asset.development_codes == ["BMS-986369", "CC-99282"]
    trial = Trial.objects.get(registry_id="NCT05169515")
    assert (trial.acronym, trial.phase) == ("GOLSTAR-2", "2")
    assert trial.indication.name == "Relapsed/refractory follicular lymphoma"
    assert {te.endpoint.code: te.kind for te in trial.trial_endpoints.all()} == {
        "CR": "primary", "EFS": "secondary", "ORR": "secondary"}
    assert [(a.name, a.role) for a in trial.arms.all()] == [
        ("golcadomide plus rituximab", "experimental"), ("rituximab", "control")]


def test_profile_with_event_free_survival_and_an_abbreviated_comparator(db):
    run("import_profile", DATA / "profile_axicel.txt")
    asset = Asset.objects.get(name="Axicabtagene ciloleucel")
    assert asset.sponsor.name == "Gilead Sciences, Inc."
    assert {"Gilead", "Kite Pharma", "Gilead Sciences"} <= {a.name for a in asset.sponsor.aliases.all()}
    assert set(asset.other_names) == {"axi-cel", "Yescarta"} and asset.development_codes == ["KTE-C19"]
    zuma7 = Trial.objects.get(registry_id="NCT03391466")
    assert (zuma7.acronym, zuma7.phase) == ("ZUMA-7", "3")
    assert zuma7.indication.name == "Large B-cell lymphoma"
    assert {te.endpoint.code: te.kind for te in zuma7.trial_endpoints.all()} == {
        "EFS": "primary", "ORR": "key_secondary", "OS": "key_secondary"}
    assert [(a.name, a.role, a.description) for a in zuma7.arms.all()] == [
        ("axi-cel", "experimental", ""), ("SOC", "control", "standard of care second-line therapy")]
    assert Trial.objects.filter(acronym="ZUMA-1", registry_id__isnull=True).count() == 1


def test_profile_with_dual_primary_endpoints_and_a_trial_named_by_context(db):
    run("import_profile", DATA / "profile_iberdomide.txt")
    trial = Trial.objects.get(registry_id="NCT04975997")
    assert trial.acronym == "EXCALIBER-RRMM"
    assert {te.endpoint.code: te.kind for te in trial.trial_endpoints.all()} == {"MRD": "primary", "PFS": "primary"}
    assert [(a.name, a.description) for a in trial.arms.all()] == [
        ("IberDd", "iberdomide + daratumumab + dexamethasone"), ("DVd", "daratumumab + bortezomib + dexamethasone")]
    event = trial.events.get()
    assert (event.kind, event.date, event.description) == ("topline", dt.date(2025, 9, 1), "primary endpoint met")
    maintenance = Trial.objects.get(acronym="EXCALIBER-Maintenance")
    assert [(a.name, a.role) for a in maintenance.arms.all()] == [("iberdomide", "experimental"), ("lenalidomide", "control")]


def test_profile_with_plain_headings_blank_lines_and_a_placeholder_alias(db):
    run("import_profile", DATA / "profile_zorvatinib_plain_headings.txt")
    asset = Asset.objects.get(name="Zorvatinib")
    assert asset.sponsor.name == "Harbor Point Therapeutics, Inc."
    assert {"Harbor Point Therapeutics", "Harbor Point", "HPT"} <= {a.name for a in asset.sponsor.aliases.all()}
    assert asset.mechanism == "Oral, selective FGFR2 inhibitor"
    assert [(s.emoji, s.heading) for s in asset.commentary.all()] == [
        ("", "Development Program Significance"), ("", "Commercial Significance")]
    assert asset.development_codes == ["HPT-101"] and asset.other_names == []  # "None" is no name
    forward2 = Trial.objects.get(registry_id="NCT09876543")
    assert (forward2.acronym, forward2.phase, forward2.expected_readout) == ("FORWARD-2", "2", "Q4 2026")
    assert forward2.population == "previously treated patients with FGFR2 fusion-positive intrahepatic cholangiocarcinoma"
    assert {te.endpoint.code: te.kind for te in forward2.trial_endpoints.all()} == {
        "ORR": "primary", "DOR": "secondary", "PFS": "secondary", "AE": "secondary"}
    forward3 = Trial.objects.get(acronym="FORWARD-3")
    assert (forward3.registry_id, forward3.phase) == (None, "3")
    assert [(a.name, a.role) for a in forward3.arms.all()] == [
        ("zorvatinib", "experimental"), ("gemcitabine plus cisplatin", "control")]


def test_analyst_commentary_with_no_sections(db, tmp_path):
    path = tmp_path / "p.txt"
    path.write_text("Drugomab\nAcme Bio\nA monoclonal antibody.\nAnalyst Commentary\nAlso Known As\n"
                    "Development codes\nOther names", encoding="utf-8")
    run("import_profile", path)
    asset = Asset.objects.get()
    assert (asset.name, asset.sponsor.name, asset.mechanism) == ("Drugomab", "Acme Bio", "Monoclonal antibody")
    assert not asset.commentary.exists() and not Trial.objects.exists()


def test_every_own_profile_imports_twice_without_new_rows(db):
    paths = sorted(DATA.glob("profile_*.txt"))
    assert len(paths) >= 4
    run("import_profile", *paths)
    before = db_snapshot()
    output = run("import_profile", *paths)
    assert db_snapshot() == before
    assert f"[{len(paths)}/{len(paths)}]" in output


def test_a_changed_profile_updates_aliases_and_commentary_in_place(imported_seed_profile, seed_profile, tmp_path):
    text = seed_profile.read_text(encoding="utf-8")
    commentary_start = text.index("🏥 Medical Significance")
    commentary_end = text.index("📊 Commercial Significance")
    edited = text[:commentary_start] + text[commentary_end:]  # drop the medical section
    edited = edited.replace("Development codes\nOther names", "Development codes\nCC-92480\nBMS-986348\nOther names\nMezi")
    path = tmp_path / "mezigdomide-v2.txt"
    path.write_text(edited, encoding="utf-8")
    run("import_profile", path)
    asset = Asset.objects.get()
    assert [s.heading for s in asset.commentary.order_by("order")] == [
        "Development Program Significance", "Commercial Significance"]
    assert CommentarySection.objects.count() == 2
    assert sorted(asset.development_codes) == ["BMS-986348", "CC-92480"] and asset.other_names == ["Mezi"]
    assert Trial.objects.count() == 2 and Company.objects.count() == 1


# --- errors --------------------------------------------------------------------------------------------------------

def _seed_bytes(seeds_dir) -> bytes:
    return (seeds_dir / SEED_PROFILE).read_bytes()


def _bad_files(seeds_dir):
    seed = _seed_bytes(seeds_dir)
    lines = seed.split(b"\n")
    heading_without_paragraph = b"\n".join(lines[:5] + lines[6:])  # drop the first section's paragraph (line 6)
    last_heading_without_paragraph = b"\n".join(lines[:9] + lines[10:])  # drop the paragraph of line 10
    not_utf8 = b"\n".join(lines[:4] + [lines[4].replace(b"Development", b"Devel\xe9pment")] + lines[5:])
    cut_in_character = seed[: seed.index("🏥".encode()) + 2]
    return {
        "empty": (b"", 1, "found an empty file"),
        "blank lines only": (b"\n\n  \n", 1, "found an empty file"),
        "name only": (b"Mezigdomide\n", 2, "expected the sponsor on line 2"),
        "two header lines": (b"Mezigdomide\nBristol-Myers Squibb", 3, "expected a one-paragraph description on line 3"),
        "description replaced by a section": (b"Mezigdomide\nBMS\nAnalyst Commentary\n", 3, "found the heading 'Analyst Commentary'"),
        "heading without paragraph": (heading_without_paragraph, 5, "expected a paragraph after the commentary heading 'Development Program Significance'"),
        "last heading without paragraph": (last_heading_without_paragraph, 9, "expected a paragraph after the commentary heading 'Commercial Significance'"),
        "not utf-8": (not_utf8, 5, "expected UTF-8 text, found byte 0xe9 at column"),
        "truncated in commentary": (seed[: seed.index(b"Relapsed/refractory multiple myeloma remains") + 40], 8, "expected an 'Also Known As' line, found the end of the file"),
        "truncated inside a character": (cut_in_character, 7, "expected UTF-8 text"),
        "truncated before other names": (seed[: seed.index(b"Other names")], 12, "expected an 'Other names' line"),
        "truncated after the header": (b"\n".join(lines[:3]), 3, "expected an 'Also Known As' line"),
    }


BAD_CASES = [
    "empty", "blank lines only", "name only", "two header lines", "description replaced by a section",
    "heading without paragraph", "last heading without paragraph", "not utf-8", "truncated in commentary",
    "truncated inside a character", "truncated before other names", "truncated after the header",
]


@pytest.mark.parametrize("case", BAD_CASES)
def test_bad_profile_fails_with_file_and_line_and_changes_nothing(case, imported_seed_profile, seeds_dir, tmp_path):
    data, line, expected = _bad_files(seeds_dir)[case]
    path = tmp_path / "bad-profile.txt"
    path.write_bytes(data)
    before = db_snapshot()
    output = run_failing("import_profile", path)
    assert f"{path}:{line}: " in output
    assert expected in output
    assert "FAILED" in output and "1 failed" in output
    assert db_snapshot() == before


def test_a_failing_file_does_not_stop_the_others(db, seed_profile, tmp_path):
    bad = tmp_path / "bad.txt"
    bad.write_bytes(b"Only a name\n")
    output = run_failing("import_profile", bad, seed_profile, DATA / "profile_axicel.txt")
    assert f"[1/3] {bad}: FAILED {bad}:2: expected the sponsor" in output
    assert f"[2/3] {seed_profile}: ok (asset Mezigdomide, 2 trials)" in output
    assert "[3/3]" in output and "ok (asset Axicabtagene ciloleucel, 2 trials)" in output
    assert "Imported 2 of 3 files" in output and "1 failed" in output
    assert Asset.objects.count() == 2


def test_a_missing_file_is_reported_and_fails_the_command(db, tmp_path):
    output = run_failing("import_profile", tmp_path / "nope.txt")
    assert "nope.txt: cannot read the file" in output


def test_a_directory_stands_for_its_files(db, tmp_path):
    for path in DATA.glob("profile_*.txt"):
        (tmp_path / path.name).write_bytes(path.read_bytes())
    count = len(list(DATA.glob("profile_*.txt")))
    output = run("import_profile", tmp_path)
    assert f"[{count}/{count}]" in output and Asset.objects.count() == count


def test_a_failure_while_saving_rolls_the_whole_file_back(imported_seed_profile, seed_profile, tmp_path, monkeypatch):
    from assets import services
    from assets.errors import ValidationError

    def broken(**kwargs):
        raise ValidationError("disk on fire", field="trial")

    monkeypatch.setattr(services, "trial_event_add", broken)
    path = tmp_path / "renamed.txt"
    path.write_bytes(seed_profile.read_bytes().replace(b"Mezigdomide\n", b"Mezigdomide v2\n", 1))
    before = db_snapshot()
    output = run_failing("import_profile", path)
    assert f"{path}:3: could not save trial SUCCESSOR-2: disk on fire" in output
    assert db_snapshot() == before


# --- the text tools ------------------------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("line", "emoji", "rest"),
    [
        ("🧬 Development Program Significance", "🧬", "Development Program Significance"),
        ("👩‍⚕️ Physician Perspective", "👩\u200d⚕️", "Physician Perspective"),
        ("👍🏽 Upside", "👍🏽", "Upside"),
        ("🇺🇸 US Market", "🇺🇸", "US Market"),
        ("1️⃣ First", "1️⃣", "First"),
        ("⚠️ Risks", "⚠️", "Risks"),
        ("Medical Significance", "", "Medical Significance"),
        ("2026 outlook", "", "2026 outlook"),
    ],
)
def test_split_emoji(line, emoji, rest):
    assert split_emoji(line) == (emoji, rest)


@pytest.mark.parametrize(
    ("text", "phase"),
    [("pivotal Phase 3", "3"), ("phase III study", "3"), ("Phase 1b/2", "1/2"), ("phase 2/3", "2/3"),
     ("Phase II", "2"), ("Phase 1", "1"), ("a phase 2a trial", "2"), ("Phase 4", "4"), ("Phase 3b", "3")],
)
def test_phase_from_text(text, phase):
    assert phase_from_match(PHASE_RE.search(text)) == phase


@pytest.mark.parametrize(
    ("text", "value", "precision"),
    [
        ("In March 2026, BMS announced", dt.date(2026, 3, 1), "month"),
        ("on March 9, 2026 the company", dt.date(2026, 3, 9), "day"),
        ("on 9 March 2026", dt.date(2026, 3, 9), "day"),
        ("dated 2026-03-09", dt.date(2026, 3, 9), "day"),
        ("data in Q3 2026", dt.date(2026, 7, 1), "quarter"),
        ("expected in H2 2026", dt.date(2026, 7, 1), "half"),
        ("in the second half of 2026", dt.date(2026, 7, 1), "half"),
        ("completed in 2025", dt.date(2025, 1, 1), "year"),
    ],
)
def test_find_dates(text, value, precision):
    (found,) = find_dates(text)
    assert (found.value, found.precision) == (value, precision)


def test_find_dates_skips_impossible_dates():
    assert find_dates("on 2026-02-30") == []


def test_sentences_keep_abbreviations_together():
    text = "MeziKd vs. Kd was tested (see Dr. Smith et al. for details). It met its endpoint. HR was 0.64."
    assert [s.text for s in split_sentences(text)] == [
        "MeziKd vs. Kd was tested (see Dr. Smith et al. for details).", "It met its endpoint.", "HR was 0.64."]


@pytest.mark.parametrize(
    ("segment", "arms"),
    [
        ("SUCCESSOR-2 is the pivotal Phase 3 study: MeziKd versus Kd in relapsed/refractory multiple myeloma",
         [("MeziKd", "experimental", ""), ("Kd", "control", "")]),
        ("a Phase 3 trial of drugumab plus dexamethasone (Dd) vs. placebo plus dexamethasone (Pd) in adults",
         [("Dd", "experimental", "drugumab plus dexamethasone"), ("Pd", "control", "placebo plus dexamethasone")]),
        ("the study compares drugumab monotherapy compared with investigator's choice of chemotherapy, with OS",
         [("drugumab monotherapy", "experimental", "drugumab monotherapy"),
          ("investigator's choice of chemotherapy", "control", "investigator's choice of chemotherapy")]),
        ("a single-arm study of drugumab in RRMM", []),
    ],
)
def test_parse_arms(segment, arms):
    assert [(a.name, a.role, a.description) for a in parse_arms(segment)] == arms


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("primary endpoint PFS, key secondaries OS, ORR, MRD negativity, and HRQoL",
         [("PFS", "primary"), ("OS", "key_secondary"), ("ORR", "key_secondary"), ("MRD", "key_secondary"),
          ("HRQOL", "key_secondary")]),
        ("the primary endpoint is event-free survival; secondary endpoints include overall response rate and complete response",
         [("EFS", "primary"), ("ORR", "secondary"), ("CR", "secondary")]),
        ("BMS announced the trial met its primary PFS endpoint", [("PFS", "primary")]),
        ("with progression-free survival (PFS) as the primary endpoint", [("PFS", "primary")]),
        ("the co-primary endpoints are overall survival and time to deterioration", [("OS", "primary"), ("TTD", "primary")]),
        ("the primary endpoint was met", []),
    ],
)
def test_parse_endpoints(text, expected):
    assert [(e.code, e.kind) for e in parse_endpoints(text)] == expected


def test_parse_profile_is_pure_and_keeps_line_numbers(seed_profile):
    doc = parse_profile("seed.txt", seed_profile.read_bytes())
    assert [s.line for s in doc.sections] == [5, 7, 9]
    assert [t.label for t in doc.trials] == ["SUCCESSOR-2", "SUCCESSOR-1"]


def test_a_profile_with_windows_newlines_and_a_bom_parses_like_the_original(seed_profile):
    data = seed_profile.read_bytes()
    original = parse_profile("a.txt", data)
    windows = parse_profile("b.txt", b"\xef\xbb\xbf" + data.replace(b"\n", b"\r\n"))
    assert (windows.name, windows.description, windows.sections) == (original.name, original.description, original.sections)


def test_inline_and_separated_alias_lists(seed_profile):
    data = seed_profile.read_bytes().replace(
        b"Development codes\nOther names", b"Development codes: CC-92480; BMS-986348\nOther names\n- Mezi, MEZI\n\n"
    )
    doc = parse_profile("x.txt", data)
    assert doc.development_codes == ["CC-92480", "BMS-986348"]
    assert doc.other_names == ["Mezi"]  # "MEZI" is the same alias ignoring case


@given(prefix=st.text(alphabet=st.characters(codec="utf-8", exclude_categories=["Cs", "Cc"], include_characters="\n"), max_size=60),
       newlines=st.integers(min_value=0, max_value=5))
def test_decode_reports_the_line_of_the_first_bad_byte(prefix, newlines):
    data = prefix.encode() + b"\n" * newlines + b"\xff rest"
    with pytest.raises(ImportFileError) as excinfo:
        decode_text("f.txt", data)
    assert excinfo.value.line == prefix.count("\n") + newlines + 1


@given(st.text())
def test_match_key_is_idempotent(text):
    assert match_key(match_key(text)) == match_key(text)


def test_indication_is_reused_by_abbreviation(imported_seed_profile):
    assert Indication.objects.count() == 1
