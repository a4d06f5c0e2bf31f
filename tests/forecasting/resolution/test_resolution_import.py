"""python manage.py import_readouts FILE: CSV or JSON, all or nothing, idempotent, errors naming file/line/field."""
import json

import pytest
from django.core.management import CommandError, call_command

from assets.models import Readout
from forecasting.models import ProposedResolution
from tests import factories
from tests.forecasting.resolution.test_resolution_services import bound_question, pfs, trial  # noqa: F401

HEADER = "trial,endpoint,metric,value,ci_lower,ci_upper,p_value,experimental_value,control_value,source,url,known_at,note"
ROWS = [
    "SUCCESSOR-9,PFS,hazard_ratio,0.64,0.52,0.79,0.0001,,,ASCO 2026 LBA1,https://example.org/lba1,2026-05-31T14:00:00Z,ITT",
    "NCT09999999,PFS,median_months_experimental,19.2,,,,,,ASCO 2026 LBA1,,2026-05-31T14:00:00+00:00,",
    "successor-9,OS,statistically_significant,0,,,,,,ASCO 2026 LBA1,,2026-05-31T14:00:00Z,immature",
]


@pytest.fixture
def endpoints(pfs):  # noqa: F811
    return {"PFS": pfs, "OS": factories.EndpointFactory(code="OS")}


def write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def run(path):
    call_command("import_readouts", path, verbosity=0)


def test_a_csv_batch_is_imported_and_proposes_resolutions(tmp_path, trial, endpoints, capsys):  # noqa: F811
    question = bound_question(trial, endpoints["PFS"])
    path = write(tmp_path, "asco.csv", "\n".join([HEADER, *ROWS]) + "\n")
    call_command("import_readouts", path)
    assert "3 created, 0 updated; 1 resolutions pending" in capsys.readouterr().out
    assert Readout.objects.count() == 3
    hr = Readout.objects.get(metric="hazard_ratio")
    assert (hr.value, hr.ci_lower, hr.ci_upper, hr.p_value, hr.note) == (0.64, 0.52, 0.79, 0.0001, "ITT")
    assert ProposedResolution.objects.get().question == question


def test_importing_the_same_file_twice_updates_instead_of_duplicating(tmp_path, trial, endpoints):  # noqa: F811
    path = write(tmp_path, "asco.csv", "\n".join([HEADER, *ROWS]))
    run(path)
    corrected = "\n".join([HEADER, ROWS[0].replace("0.64", "0.66"), *ROWS[1:]])
    run(write(tmp_path, "asco.csv", corrected))
    assert Readout.objects.count() == 3
    assert Readout.objects.get(metric="hazard_ratio").value == 0.66


def test_a_json_batch_is_imported(tmp_path, trial, endpoints):  # noqa: F811
    items = [
        {"trial": "SUCCESSOR-9", "endpoint": "PFS", "metric": "hazard_ratio", "value": 0.64, "source": "ASCO",
         "known_at": "2026-05-31T14:00:00Z", "ci_lower": 0.5, "ci_upper": 0.8},
        {"trial": "SUCCESSOR-9", "endpoint": "OS", "metric": "met_endpoint", "value": 1, "source": "ASCO",
         "known_at": "2026-05-31T14:00:00Z"},
    ]
    run(write(tmp_path, "asco.json", json.dumps({"readouts": items})))
    assert Readout.objects.count() == 2


@pytest.mark.parametrize(
    "bad_row, message",
    [
        (ROWS[2].replace("statistically_significant", "significance"), "asco.csv, line 4, field metric: metric must be one of"),
        (ROWS[2].replace("successor-9", "NOPE-7"), "asco.csv, line 4, field trial: no trial with NCT id or acronym 'NOPE-7'"),
        (ROWS[2].replace(",OS,", ",XYZ,"), "asco.csv, line 4, field endpoint: no endpoint with code 'XYZ'"),
        (ROWS[2].replace(",0,", ",abc,"), "asco.csv, line 4, field value: expected a number, got 'abc'"),
        (ROWS[2].replace(",0,", ",0.5,"), "asco.csv, line 4, field value: statistically_significant is a flag"),
        (ROWS[2].replace("2026-05-31T14:00:00Z", "2026-05-31"), "asco.csv, line 4, field known_at: expected an ISO 8601"),
        (ROWS[2].replace("ASCO 2026 LBA1", ""), "asco.csv, line 4, field source: missing value"),
    ],
)
def test_one_bad_row_imports_nothing_and_names_file_line_and_field(tmp_path, trial, endpoints, bad_row, message):  # noqa: F811
    path = write(tmp_path, "asco.csv", "\n".join([HEADER, ROWS[0], ROWS[1], bad_row]))
    with pytest.raises(CommandError) as exc:
        run(path)
    assert message in str(exc.value)
    assert "Nothing was imported" in str(exc.value)
    assert not Readout.objects.exists()


def test_a_truncated_csv_imports_nothing(tmp_path, trial, endpoints):  # noqa: F811
    full = "\n".join([HEADER, *ROWS])
    path = write(tmp_path, "asco.csv", full[: full.rindex(",ASCO 2026 LBA1")])
    with pytest.raises(CommandError, match=r"asco.csv, line 4, field \w+: missing.*truncated"):
        run(path)
    assert not Readout.objects.exists()


def test_a_truncated_json_file_imports_nothing(tmp_path, trial, endpoints):  # noqa: F811
    text = json.dumps([{"trial": "SUCCESSOR-9", "endpoint": "PFS", "metric": "hazard_ratio", "value": 0.64,
                        "source": "ASCO", "known_at": "2026-05-31T14:00:00Z"}] * 2, indent=1)
    path = write(tmp_path, "asco.json", text[: len(text) // 2 + 7])
    with pytest.raises(CommandError, match=r"asco.json, line \d+ column \d+, field json: invalid JSON.*truncated"):
        run(path)
    assert not Readout.objects.exists()


def test_json_errors_name_the_item_index(tmp_path, trial, endpoints):  # noqa: F811
    items = [
        {"trial": "SUCCESSOR-9", "endpoint": "PFS", "metric": "hazard_ratio", "value": 0.64, "source": "A",
         "known_at": "2026-05-31T14:00:00Z"},
        {"trial": "SUCCESSOR-9", "endpoint": "PFS", "metric": "hazard_ratio", "value": -1, "source": "B",
         "known_at": "2026-05-31T14:00:00Z"},
    ]
    with pytest.raises(CommandError, match=r"asco.json, item \[1\], field value: A ratio is positive"):
        run(write(tmp_path, "asco.json", json.dumps(items)))
    assert not Readout.objects.exists()


@pytest.mark.parametrize(
    "name, text, message",
    [
        ("asco.txt", "x", "expected a .csv or .json file"),
        ("asco.csv", "trial,endpoint,metric,value,source\n", "field known_at: missing column"),
        ("asco.csv", HEADER.replace("note", "p-value") + "\n", "field p-value: unknown column"),
        ("asco.json", "{}", "expected a non-empty list"),
    ],
)
def test_malformed_files_are_refused_clearly(tmp_path, db, name, text, message):
    with pytest.raises(CommandError, match=message):
        run(write(tmp_path, name, text))


def test_a_missing_file_is_refused(db, tmp_path):
    with pytest.raises(CommandError, match="no such file"):
        run(str(tmp_path / "nope.csv"))


def test_dry_run_checks_and_saves_nothing_and_user_is_recorded(tmp_path, trial, endpoints, staff_user, capsys):  # noqa: F811
    path = write(tmp_path, "asco.csv", "\n".join([HEADER, *ROWS]))
    call_command("import_readouts", path, "--dry-run")
    assert "Dry run, nothing saved" in capsys.readouterr().out
    assert not Readout.objects.exists()
    call_command("import_readouts", path, "--user", staff_user.username, verbosity=0)
    assert set(Readout.objects.values_list("created_by", flat=True)) == {staff_user.pk}
    with pytest.raises(CommandError, match="--user: no user 'ghost'"):
        call_command("import_readouts", path, "--user", "ghost")
