"""Keeping trials current with ClinicalTrials.gov: ``manage.py sync_ctgov`` and the service behind it, against the
local test server (tests/assets/ctgov_server.py). No network."""
import datetime as dt
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from assets.models import Trial, TrialEvent, TrialRegistryChange
from assets.selectors_registry import trial_registry_became, trial_registry_facts
from assets.services.registry_sync import trial_registry_ids_tracked, trial_registry_sync
from tests import factories
from tests.assets.ctgov_server import Reply, record
from tests.assets.test_import_profile import DATA, SEED_PROFILE, db_snapshot, run

WRITES = ("INSERT", "UPDATE", "DELETE")


def sync(*ids: str) -> str:
    out = StringIO()
    call_command("sync_ctgov", *ids, stdout=out)
    return out.getvalue()


def sync_failing(*ids: str) -> str:
    out = StringIO()
    with pytest.raises(CommandError) as caught:
        call_command("sync_ctgov", *ids, stdout=out)
    return out.getvalue() + str(caught.value)


def writes(queries) -> list[str]:
    return [q["sql"] for q in queries.captured_queries if q["sql"].lstrip().upper().startswith(WRITES)]


@pytest.fixture
def successor_2_followed_since_2024(db, seeds_dir, ctgov_api):
    """SUCCESSOR-2 imported from the seed profile and synced once in March 2024 (recruiting, primary completion
    estimated for January 2026); the API now answers with the 2026 record."""
    run("import_profile", seeds_dir / SEED_PROFILE)
    ctgov_api.publish(record("NCT05552976.2024-03"))
    list(trial_registry_sync(registry_ids=["NCT05552976"], observed_at=dt.datetime(2024, 3, 20, 6, tzinfo=dt.timezone.utc)))
    ctgov_api.publish(record("NCT05552976"))
    ctgov_api.requests.clear()
    return Trial.objects.get(registry_id="NCT05552976")


# --- the brief's example -------------------------------------------------------------------------------------------

def test_sync_successor_2_records_status_history_actual_completion_and_a_timeline_event(successor_2_followed_since_2024, ctgov_api):
    output = sync("NCT05552976")
    today = dt.date.today().isoformat()
    assert ("[1/1] NCT05552976 SUCCESSOR-2: changed: status now Active, not recruiting; primary completion now "
            "ACTUAL: 2026-01-30; completion now ESTIMATED: 2028-06-30; last update posted now 2026-03-12") in output
    assert "Synced 1 of 1 trial with ClinicalTrials.gov: 0 created, 1 changed, 0 unchanged, 0 failed." in output
    assert ctgov_api.requests == [("/api/v2/studies", {"filter.ids": "NCT05552976", "pageSize": "100", "format": "json"})]

    trial = Trial.objects.get(registry_id="NCT05552976")
    assert (trial.status, trial.primary_completion_date, trial.primary_completion_date_type) == (
        "active_not_recruiting", dt.date(2026, 1, 30), "ACTUAL")
    assert (trial.completion_date, trial.completion_date_type, trial.registry_last_update_posted) == (
        dt.date(2028, 6, 30), "ESTIMATED", dt.date(2026, 3, 12))
    statuses = [(c.old_value, c.new_value, c.initial, c.observed_at.date())
                for c in trial.registry_changes.filter(field="overall_status").order_by("observed_at")]
    assert statuses == [("", "RECRUITING", True, dt.date(2024, 3, 20)),
                        ("RECRUITING", "ACTIVE_NOT_RECRUITING", False, dt.date.today())]
    became = trial_registry_became(trial=trial, field="primary_completion_date_type", value="ACTUAL")
    assert (became.old_value, became.initial, became.registry_posted_on) == ("ESTIMATED", False, dt.date(2026, 3, 12))
    event = became.event
    assert (event.kind, event.date.isoformat(), event.description) == (
        "registry", today, "primary completion now ACTUAL: 2026-01-30")
    # on the trial page's timeline
    page = Client().get(trial.get_absolute_url())
    assert page.status_code == 200 and "primary completion now ACTUAL: 2026-01-30" in page.content.decode()


def test_running_it_again_changes_nothing_writes_nothing_and_says_unchanged(successor_2_followed_since_2024):
    sync("NCT05552976")
    before = db_snapshot(ignore=())  # updated_at included: nothing may even be touched
    with CaptureQueriesContext(connection) as queries:
        output = sync("NCT05552976")
    assert "[1/1] NCT05552976 SUCCESSOR-2: unchanged" in output
    assert "0 created, 0 changed, 1 unchanged, 0 failed." in output
    assert writes(queries) == []
    assert db_snapshot(ignore=()) == before


def test_a_first_sync_of_a_trial_known_from_its_profile(db, seeds_dir, ctgov_api):
    run("import_profile", seeds_dir / SEED_PROFILE)
    output = sync("NCT05552976")
    assert "NCT05552976 SUCCESSOR-2: changed: primary completion ACTUAL: 2026-01-30; first reading of the registry record: 11 fields recorded" in output
    trial = Trial.objects.get(registry_id="NCT05552976")
    assert trial.registry_changes.count() == 11 and not trial.registry_changes.filter(initial=False).exists()
    completion = trial.events.get(kind="registry")  # a milestone already reached: dated by the registry's own date
    assert (completion.date, completion.description) == (dt.date(2026, 1, 30), "primary completion ACTUAL: 2026-01-30")
    assert trial.events.get(kind="start").date == dt.date(2022, 12, 20)
    assert trial.enrollment == 522 and trial.enrollment_type == "ESTIMATED" and trial.has_results is False


def test_a_terminated_trial_with_results(db, ctgov_api):
    ctgov_api.publish(record("NCT09990001.2024-01"))
    list(trial_registry_sync(registry_ids=["NCT09990001"], observed_at=dt.datetime(2024, 1, 15, tzinfo=dt.timezone.utc)))
    ctgov_api.publish(record("NCT09990001"))
    output = sync("NCT09990001")
    assert ("NCT09990001 SYNTH-1: changed: status now Terminated (why stopped: Sponsor decision (business reasons, "
            "not related to safety)); primary completion now ACTUAL: 2025-04-15; completion now ACTUAL: 2025-04-15; "
            "enrollment now ACTUAL: 87; results now posted (first posted 2025-11-20)") in output
    trial = Trial.objects.get(registry_id="NCT09990001")
    assert (trial.status, trial.why_stopped, trial.has_results, trial.results_first_posted) == (
        "terminated", "Sponsor decision (business reasons, not related to safety)", True, dt.date(2025, 11, 20))
    terminated = trial_registry_became(trial=trial, field="overall_status", value="TERMINATED", changes_only=True)
    assert terminated.observed_at.date() == dt.date.today() and terminated.registry_posted_on == dt.date(2025, 11, 20)
    facts = trial_registry_facts(trial=trial)
    assert facts["results_first_posted"].value == "2025-11-20" and facts["enrollment"].value == "87"


def test_a_trial_first_read_when_already_terminated(db, ctgov_api):
    output = sync("NCT09990001")
    assert "NCT09990001 SYNTH-1: created:" in output
    lines = sorted((e.date.isoformat(), e.description) for e in TrialEvent.objects.filter(kind="registry"))
    assert lines == [
        ("2025-04-15", "completion ACTUAL: 2025-04-15"),
        ("2025-04-15", "primary completion ACTUAL: 2025-04-15"),
        ("2025-11-20", "results first posted"),
        ("2025-11-20", "status Terminated (why stopped: Sponsor decision (business reasons, not related to safety))"),
    ]
    assert trial_registry_became(trial=Trial.objects.get(), field="overall_status", value="TERMINATED", changes_only=True) is None


# --- which trials --------------------------------------------------------------------------------------------------

def test_with_no_ids_every_trial_with_an_nct_id_is_synced(db, ctgov_api):
    run("import_ctgov", DATA / "NCT05552976.json", DATA / "NCT05083169.json")
    factories.TrialFactory(registry_id=None, acronym="NO-NCT-1")
    assert trial_registry_ids_tracked() == ["NCT05083169", "NCT05552976"]
    output = sync()
    assert "[1/2] NCT05083169 MajesTEC-3:" in output and "[2/2] NCT05552976 SUCCESSOR-2:" in output
    assert ctgov_api.requests == [("/api/v2/studies", {"filter.ids": "NCT05083169,NCT05552976", "pageSize": "100", "format": "json"})]


def test_with_no_trials_there_is_nothing_to_do(db, ctgov_api):
    assert "No trial has an NCT id: nothing to sync." in sync()
    assert ctgov_api.requests == []


def test_batches_and_pages(db, ctgov_api, settings):
    settings.CTGOV_IDS_PER_REQUEST = 2
    settings.CTGOV_PAGE_SIZE = 1
    output = sync("NCT05552976", "NCT05083169", "NCT09990001")
    assert "Synced 3 of 3 trials with ClinicalTrials.gov: 3 created, 0 changed, 0 unchanged, 0 failed." in output
    assert [(q["filter.ids"], q.get("pageToken")) for _, q in ctgov_api.requests] == [
        ("NCT05552976,NCT05083169", None), ("NCT05552976,NCT05083169", "page-1"), ("NCT09990001", None)]


# --- bad input and failures ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("bad", ["NCT123", "NCT0555297612", "ISRCTN12345678", "nct-05552976"])
def test_a_malformed_nct_id_is_refused_before_any_request(bad, db, ctgov_api):
    with pytest.raises(CommandError, match=rf"^'{bad}' is not an NCT id \(NCT followed by 8 digits, e.g. NCT05552976\)\.$"):
        call_command("sync_ctgov", "NCT05552976", bad, stdout=StringIO())
    assert ctgov_api.requests == [] and not Trial.objects.exists()


def test_a_study_the_registry_does_not_know(db, ctgov_api):
    output = sync_failing("NCT05552976", "NCT00000001")
    assert "[1/2] NCT05552976 SUCCESSOR-2: created" in output
    assert "[2/2] NCT00000001: FAILED NCT00000001: ClinicalTrials.gov has no study with this NCT id" in output
    assert "Synced 1 of 2 trials with ClinicalTrials.gov: 1 created, 0 changed, 0 unchanged, 1 failed." in output


def test_the_api_down_fails_each_trial_naming_it_and_changes_nothing(successor_2_followed_since_2024, ctgov_api):
    before = db_snapshot(ignore=())
    ctgov_api.script(*[Reply(503)] * 3)
    output = sync_failing("NCT05552976")
    assert ("[1/1] NCT05552976 SUCCESSOR-2: FAILED NCT05552976: ClinicalTrials.gov answered HTTP 503 Service "
            "Unavailable; gave up after 3 attempts") in output
    assert db_snapshot(ignore=()) == before
    assert len(ctgov_api.requests) == 3  # retried, and not fanned out study by study while the API is down


def test_unreachable_api(db, settings):
    settings.CTGOV_API_BASE_URL = "http://127.0.0.1:9/api/v2"
    output = sync_failing("NCT05552976")
    assert ("NCT05552976: FAILED NCT05552976: the connection to ClinicalTrials.gov at http://127.0.0.1:9/api/v2 failed "
            "(Connection refused); gave up after 3 attempts") in output


def test_a_429_is_honoured_then_the_sync_goes_on(db, ctgov_api):
    ctgov_api.script(Reply(429, headers={"Retry-After": "1"}))
    output = sync("NCT05552976")
    assert "NCT05552976 SUCCESSOR-2: created" in output and len(ctgov_api.requests) == 2


def test_a_malformed_batch_is_fetched_study_by_study_and_one_bad_record_fails_only_its_trial(successor_2_followed_since_2024, ctgov_api):
    ctgov_api.publish(record("NCT09990001.2024-01"))
    list(trial_registry_sync(registry_ids=["NCT09990001"]))
    ctgov_api.publish(record("NCT09990001"))
    synth_before = db_snapshot(ignore=())
    ctgov_api.requests.clear()
    cut = b'{"protocolSection": {"identificationModule": {"nctId": "NCT09990001"'  # truncated JSON
    ctgov_api.script(Reply(body=b"{not json"), Reply(), Reply(body=cut))
    output = sync_failing("NCT05552976", "NCT09990001")
    assert "[1/2] NCT05552976 SUCCESSOR-2: changed: status now Active, not recruiting" in output
    assert f"[2/2] NCT09990001 SYNTH-1: FAILED NCT09990001: ClinicalTrials.gov sent truncated JSON: it stops after {len(cut)} bytes" in output
    assert [p for p in ctgov_api.paths()] == ["/api/v2/studies", "/api/v2/studies/NCT05552976", "/api/v2/studies/NCT09990001"]
    synth = Trial.objects.get(registry_id="NCT09990001")
    assert synth.status == "recruiting" and synth.registry_changes.filter(new_value="TERMINATED").count() == 0
    assert [r for r in db_snapshot(ignore=())["assets_trial"] if r["registry_id"] == "NCT09990001"] == [
        r for r in synth_before["assets_trial"] if r["registry_id"] == "NCT09990001"]


def test_a_record_readout_cannot_read_fails_its_trial_with_the_reason(db, ctgov_api):
    broken = record("NCT05552976")
    broken["protocolSection"]["statusModule"]["overallStatus"] = "PAUSED"
    ctgov_api.publish(broken)
    output = sync_failing("NCT05552976")
    assert ("NCT05552976: FAILED NCT05552976: ClinicalTrials.gov sent a record Readout cannot read: expected "
            "statusModule.overallStatus to be one of RECRUITING") in output
    assert not Trial.objects.exists()


def test_a_failure_while_saving_leaves_the_trial_exactly_as_it_was(successor_2_followed_since_2024, monkeypatch):
    """The registry columns are written before the timeline events: a failure at the events must undo them."""
    from assets.services import registry

    before = db_snapshot(ignore=())

    def broken(**kwargs):
        raise registry.ValidationError("the timeline is full")

    monkeypatch.setattr(registry, "trial_event_add", broken)
    output = sync_failing("NCT05552976")
    assert "NCT05552976 SUCCESSOR-2: FAILED NCT05552976: could not save the trial: the timeline is full" in output
    assert db_snapshot(ignore=()) == before


def test_a_dry_run_saves_nothing(successor_2_followed_since_2024):
    before = db_snapshot(ignore=())
    out = StringIO()
    call_command("sync_ctgov", "NCT05552976", "--dry-run", stdout=out)
    assert "NCT05552976 SUCCESSOR-2: changed: status now Active, not recruiting" in out.getvalue()
    assert "Dry run: Synced 1 of 1 trial" in out.getvalue() and "(nothing saved)" in out.getvalue()
    assert db_snapshot(ignore=()) == before


def test_the_service_checks_every_id_before_any_request(db, ctgov_api):
    from assets.errors import ValidationError

    with pytest.raises(ValidationError, match="'NCT1' is not an NCT id"):
        list(trial_registry_sync(registry_ids=["NCT05552976", "NCT1"]))
    assert ctgov_api.requests == []
    assert TrialRegistryChange.objects.count() == 0
