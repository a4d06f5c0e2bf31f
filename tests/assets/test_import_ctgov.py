"""The ClinicalTrials.gov importer: our SUCCESSOR-2 and MajesTEC-3 records, merging with profiles, errors, and the
endpoint vocabulary it maps outcome measures with."""
import datetime as dt
import json

import pytest

from assets.importers.ctgov import parse_ctgov
from assets.importers.endpoints import derive_endpoint, resolve_endpoint
from assets.models import Arm, Company, Endpoint, Trial, TrialEndpoint, TrialEvent
from tests.assets.test_import_profile import DATA, SEED_PROFILE, db_snapshot, run, run_failing

SUCCESSOR_2 = DATA / "NCT05552976.json"
MAJESTEC_3 = DATA / "NCT05083169.json"


def record(path=SUCCESSOR_2) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def write_record(tmp_path, data: dict, name="study.json"):
    path = tmp_path / name
    path.write_text(json.dumps(data, indent=2), encoding="utf-8")
    return path


def test_successor_2_record_creates_the_trial(db):
    output = run("import_ctgov", SUCCESSOR_2)
    assert "ok (trial SUCCESSOR-2 (NCT05552976), 2 arms, 8 endpoints)" in output
    trial = Trial.objects.get()
    assert (trial.registry_id, trial.acronym, trial.phase, trial.status) == (
        "NCT05552976", "SUCCESSOR-2", "3", "active_not_recruiting")
    assert trial.title.startswith("A Study to Evaluate Mezigdomide in Combination With Carfilzomib")
    assert (trial.enrollment, trial.start_date, trial.primary_completion_date) == (522, dt.date(2022, 12, 20), dt.date(2026, 1, 30))
    assert trial.sponsor.name == "Bristol-Myers Squibb"  # the record's lead sponsor is Celgene, a BMS company
    assert trial.indication.name == "Multiple myeloma"
    assert [(a.name, a.role, a.description) for a in trial.arms.all()] == [
        ("MeziKd", "experimental", "mezigdomide + carfilzomib + dexamethasone"),
        ("Kd", "control", "carfilzomib + dexamethasone"),
    ]
    kinds = {te.endpoint.code: te.kind for te in trial.trial_endpoints.select_related("endpoint")}
    assert kinds == {"PFS": "primary", "OS": "secondary", "ORR": "secondary", "MRD": "secondary", "DOR": "secondary",
                     "TTP": "secondary", "AE": "secondary", "HRQOL": "secondary"}
    start, completion = TrialEvent.objects.order_by("date")
    assert (start.kind, start.date, start.description) == ("start", dt.date(2022, 12, 20), "trial started")
    # the registry's ACTUAL primary completion, first read: a timeline line dated by the completion itself
    assert (completion.kind, completion.date, completion.description) == (
        "registry", dt.date(2026, 1, 30), "primary completion ACTUAL: 2026-01-30")


def test_record_after_the_profile_updates_without_duplicating(db, seeds_dir):
    run("import_profile", seeds_dir / SEED_PROFILE)
    run("import_ctgov", SUCCESSOR_2)
    trial = Trial.objects.get(registry_id="NCT05552976")
    assert Trial.objects.count() == 2 and Company.objects.count() == 1
    assert [a.name for a in trial.arms.all()] == ["MeziKd", "Kd"] and Arm.objects.count() == 2
    assert trial.indication.abbreviation == "RRMM"  # the profile's indication is more precise than the condition
    assert [a.name for a in trial.assets.all()] == ["Mezigdomide"]
    kinds = {te.endpoint.code: te.kind for te in trial.trial_endpoints.select_related("endpoint")}
    assert kinds["OS"] == "key_secondary" and kinds["PFS"] == "primary" and kinds["TTP"] == "secondary"
    assert trial.status == "active_not_recruiting" and trial.enrollment == 522


def test_profile_after_the_record_merges_arms_by_regimen(db, seeds_dir):
    run("import_ctgov", SUCCESSOR_2)
    run("import_profile", seeds_dir / SEED_PROFILE)
    trial = Trial.objects.get(registry_id="NCT05552976")
    assert [a.name for a in trial.arms.all()] == ["MeziKd", "Kd"]
    assert trial.trial_endpoints.get(endpoint__code="OS").kind == "key_secondary"
    assert list(trial.assets.values_list("name", flat=True)) == ["Mezigdomide"]


def test_importing_records_twice_changes_nothing(db):
    run("import_ctgov", SUCCESSOR_2, MAJESTEC_3)
    before = db_snapshot()
    output = run("import_ctgov", SUCCESSOR_2, MAJESTEC_3)
    assert db_snapshot() == before
    assert "[2/2]" in output


def test_majestec_3_record_maps_roles_sponsor_and_unknown_measures(db):
    run("import_ctgov", MAJESTEC_3)
    trial = Trial.objects.get(registry_id="NCT05083169")
    assert trial.acronym == "MajesTEC-3" and trial.sponsor.name == "Johnson & Johnson"
    assert trial.indication.name == "Relapsed/refractory multiple myeloma"
    assert trial.primary_completion_date == dt.date(2025, 7, 1)
    assert [(a.name, a.role) for a in trial.arms.all()] == [("Tec-Dara", "experimental"), ("DPd or DVd", "control")]
    codes = [te.endpoint.code for te in trial.trial_endpoints.order_by("order")]
    assert codes == ["PFS", "CR", "ORR", "VGPR", "MRD", "OS", "PFS2", "TTNT", "TTWS", "AE"]
    assert Endpoint.objects.get(code="TTWS").name == "Time to Worsening of Symptoms"
    assert not TrialEvent.objects.exists() or TrialEvent.objects.get().kind == "start"


def test_a_record_fills_the_nct_id_of_a_trial_known_by_acronym(db, seeds_dir, tmp_path):
    run("import_profile", seeds_dir / SEED_PROFILE)
    data = record()
    ident = data["protocolSection"]["identificationModule"]
    ident.update(nctId="NCT05519085", acronym="SUCCESSOR-1", briefTitle="Mezigdomide With Bortezomib (SUCCESSOR-1)")
    run("import_ctgov", write_record(tmp_path, data))
    trial = Trial.objects.get(acronym="SUCCESSOR-1")
    assert trial.registry_id == "NCT05519085" and Trial.objects.count() == 2


def test_placebo_and_phase_combinations(db, tmp_path):
    data = record()
    data["protocolSection"]["designModule"]["phases"] = ["PHASE2", "PHASE3"]
    data["protocolSection"]["armsInterventionsModule"]["armGroups"][1]["type"] = "PLACEBO_COMPARATOR"
    data["protocolSection"]["statusModule"]["startDateStruct"] = {"date": "2022-12", "type": "ACTUAL"}
    run("import_ctgov", write_record(tmp_path, data))
    trial = Trial.objects.get()
    assert trial.phase == "2/3" and trial.arms.get(name="Kd").role == "control"
    assert (trial.start_date, trial.events.get(kind="start").date_precision) == (dt.date(2022, 12, 1), "month")


def test_a_search_response_with_several_studies(db, tmp_path):
    path = write_record(tmp_path, {"studies": [record(SUCCESSOR_2), record(MAJESTEC_3)]})
    output = run("import_ctgov", path)
    assert "SUCCESSOR-2" in output and "MajesTEC-3" in output
    assert Trial.objects.count() == 2


# --- errors --------------------------------------------------------------------------------------------------------

def _broken(mutate):
    data = record()
    mutate(data)
    return json.dumps(data, indent=2).encode()


def _line_of(data: bytes, needle: bytes) -> int:
    return data[: data.index(needle)].count(b"\n") + 1


BAD_RECORDS = {
    "invalid json": (lambda: SUCCESSOR_2.read_bytes().replace(b'"acronym": "SUCCESSOR-2"', b'"acronym" "SUCCESSOR-2"'),
                     b'"acronym" "SUCCESSOR-2"', ": expected valid JSON: Expecting ':' delimiter"),
    "missing protocolSection": (lambda: json.dumps({"derivedSection": {}, "hasResults": False}).encode(), None,
                                ":1: expected a 'protocolSection' object (a ClinicalTrials.gov API v2 study record)"),
    "bad nct id": (lambda: _broken(lambda d: d["protocolSection"]["identificationModule"].update(nctId="NCT5552976")),
                   b'"nctId"', "expected identificationModule.nctId to be an NCT id (NCT followed by 8 digits), found 'NCT5552976'"),
    "bad phase": (lambda: _broken(lambda d: d["protocolSection"]["designModule"].update(phases=["PHASE5"])),
                  b'"phases"', 'expected designModule.phases to hold EARLY_PHASE1, PHASE1, PHASE2, PHASE3, PHASE4, NA, found "PHASE5"'),
    "bad status": (lambda: _broken(lambda d: d["protocolSection"]["statusModule"].update(overallStatus="PAUSED")),
                   b'"overallStatus"', "expected statusModule.overallStatus to be one of"),
    "bad date": (lambda: _broken(lambda d: d["protocolSection"]["statusModule"].update(startDateStruct={"date": "20 Dec 2022"})),
                 b'"date": "20 Dec 2022"', "expected statusModule.startDateStruct.date as YYYY-MM-DD or YYYY-MM, found '20 Dec 2022'"),
    "bad arm type": (lambda: _broken(lambda d: d["protocolSection"]["armsInterventionsModule"]["armGroups"][0].update(type="CONTROL")),
                     b'"type": "CONTROL"', "expected an arm group type of EXPERIMENTAL"),
    "not utf-8": (lambda: SUCCESSOR_2.read_bytes().replace(b"Celgene", b"Celg\xe8ne", 1), b"Celg\xe8ne", "expected UTF-8 text"),
    "empty": (lambda: b"", None, ":1: expected a ClinicalTrials.gov JSON study record, found an empty file"),
    "not an object": (lambda: b"[1, 2]", None, ":1: expected a JSON object (a study record), found a list"),
}


@pytest.mark.parametrize("case", list(BAD_RECORDS))
def test_bad_record_fails_with_file_and_line_and_changes_nothing(case, db, seeds_dir, tmp_path):
    run("import_profile", seeds_dir / SEED_PROFILE)
    make, needle, expected = BAD_RECORDS[case]
    data = make()
    path = tmp_path / "NCT00000000.json"
    path.write_bytes(data)
    before = db_snapshot()
    output = run_failing("import_ctgov", path)
    if needle is not None:
        assert f"{path}:{_line_of(data, needle)}:" in output
    assert expected in output
    assert db_snapshot() == before


def test_invalid_json_names_line_and_column(tmp_path, db):
    path = tmp_path / "x.json"
    path.write_bytes(b'{\n  "protocolSection": {\n    "identificationModule": {"nctId": "NCT05552976",}\n  }\n}')
    output = run_failing("import_ctgov", path)
    assert f"{path}:3:" in output and "expected valid JSON: Expecting property name enclosed in double quotes" in output
    assert f"{path}:3:53:" in output


def test_parse_ctgov_is_pure():
    (study,) = parse_ctgov("s.json", SUCCESSOR_2.read_bytes())
    assert study.line == 4 and study.sponsor == "Celgene" and study.conditions == ["Multiple Myeloma"]


# --- endpoint vocabulary -------------------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("phrase", "code"),
    [
        ("PFS", "PFS"), ("progression-free survival", "PFS"), ("Progression Free Survival (PFS)", "PFS"),
        ("Progression-free Survival on Next-line Therapy (PFS2)", "PFS2"),
        ("OS", "OS"), ("Overall Survival", "OS"),
        ("overall response rate", "ORR"), ("Objective Response Rate (ORR)", "ORR"),
        ("complete response", "CR"), ("Complete Response Rate", "CR"), ("stringent complete response", "CR"),
        ("event-free survival", "EFS"), ("MRD negativity", "MRD"),
        ("Minimal Residual Disease (MRD) Negativity Rate", "MRD"), ("HRQoL", "HRQOL"),
        ("Change From Baseline in EORTC QLQ-C30 Global Health Status/Quality of Life", "HRQOL"),
        ("Duration of Response (DoR)", "DOR"), ("Number of Participants With Adverse Events (AEs)", "AE"),
        ("Very Good Partial Response or Better", "VGPR"), ("Pathologic complete response", "PCR"),
        ("time to next treatment", "TTNT"), ("Time to Progression", "TTP"),
        ("Time to Worsening of Symptoms", None), ("Cmax of drugumab", "PK"),
    ],
)
def test_resolve_endpoint(phrase, code):
    assert resolve_endpoint(phrase) == code


@pytest.mark.parametrize(
    ("measure", "code", "name"),
    [
        ("Time to Worsening of Symptoms Measured by the MySIm-Q", "TTWS", "Time to Worsening of Symptoms"),
        ("Percentage of Participants With Sustained Clinical Remission (SCR-52)", "SCR52", "Sustained Clinical Remission"),
        ("Number of Participants Who Achieved Transfusion Independence", "TI", "Transfusion Independence"),
    ],
)
def test_derive_endpoint_for_unknown_measures(measure, code, name):
    spec = derive_endpoint(measure)
    assert (spec.code, spec.name, spec.known) == (code, name, False)


def test_two_unknown_measures_with_the_same_initials_stay_apart(db, tmp_path):
    data = record()
    data["protocolSection"]["outcomesModule"]["secondaryOutcomes"] = [
        {"measure": "Time to Deterioration"}, {"measure": "Treatment Duration"}]
    run("import_ctgov", write_record(tmp_path, data))
    assert sorted(Endpoint.objects.filter(code__startswith="T").values_list("code", "name")) == [
        ("TD", "Treatment Duration"), ("TTD", "Time to Deterioration")]
    data["protocolSection"]["outcomesModule"]["secondaryOutcomes"] = [{"measure": "Tumor Diameter"}]
    run("import_ctgov", write_record(tmp_path, data, name="second.json"))
    assert Endpoint.objects.get(name="Tumor Diameter").code == "TD2"
    assert TrialEndpoint.objects.filter(endpoint__code="TD2").count() == 1
