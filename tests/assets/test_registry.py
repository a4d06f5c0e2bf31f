"""A trial's registry facts and their history (assets.services.registry) and the reads built on it
(assets.selectors_registry)."""
import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from assets.errors import ValidationError
from assets.models import Trial, TrialRegistryChange
from assets.selectors_registry import (
    trial_registry_became,
    trial_registry_facts,
    trial_registry_history,
    trial_registry_value_at,
)
from assets.services import RegistryReading, trial_registry_apply
from tests import factories

JAN = dt.datetime(2025, 1, 10, 6, tzinfo=dt.timezone.utc)
JUN = dt.datetime(2025, 6, 10, 6, tzinfo=dt.timezone.utc)
NOV = dt.datetime(2025, 11, 21, 6, tzinfo=dt.timezone.utc)

RECRUITING = {
    "overall_status": "RECRUITING", "start_date": "2023-02-01", "start_date_type": "ACTUAL",
    "primary_completion_date": "2025-12", "primary_completion_date_type": "ESTIMATED",
    "enrollment": "120", "enrollment_type": "ESTIMATED", "has_results": "false", "last_update_posted": "2024-12-20",
}
TERMINATED = {
    **RECRUITING, "overall_status": "TERMINATED", "why_stopped": "Sponsor decision",
    "primary_completion_date": "2025-04-15", "primary_completion_date_type": "ACTUAL",
    "enrollment": "87", "enrollment_type": "ACTUAL", "last_update_posted": "2025-06-02",
}
RESULTS = {**TERMINATED, "has_results": "true", "results_first_posted": "2025-11-20", "last_update_posted": "2025-11-20"}


@pytest.fixture
def trial(db):
    return factories.TrialFactory(acronym="SYNTH-1", status=Trial.Status.UNKNOWN)


def apply(trial, values, at, via="sync"):
    return trial_registry_apply(trial=trial, reading=RegistryReading(values), observed_at=at, via=via)


@pytest.fixture
def followed_trial(trial):
    """Read in January (recruiting), June (terminated) and November (results posted)."""
    apply(trial, RECRUITING, JAN)
    apply(trial, TERMINATED, JUN)
    apply(trial, RESULTS, NOV)
    trial.refresh_from_db()
    return trial


def test_the_first_reading_records_what_the_registry_says(trial):
    update = apply(trial, RECRUITING, JAN)
    assert {(c.field, c.old_value, c.new_value) for c in update.changes} == {(f, "", v) for f, v in RECRUITING.items()}
    assert all(c.initial and c.registry_posted_on == dt.date(2024, 12, 20) and c.via == "sync" for c in update.changes)
    assert update.events == []  # nothing a timeline needs: no milestone yet
    trial.refresh_from_db()
    assert (trial.status, trial.primary_completion_date, trial.primary_completion_date_type) == (
        "recruiting", dt.date(2025, 12, 1), "ESTIMATED")
    assert (trial.enrollment, trial.enrollment_type, trial.has_results) == (120, "ESTIMATED", False)


def test_each_change_is_a_history_row_and_a_timeline_line_dated_when_seen(followed_trial):
    june = trial_registry_history(trial=followed_trial).filter(observed_at=JUN)
    assert {(c.field, c.old_value, c.new_value) for c in june} == {
        ("overall_status", "RECRUITING", "TERMINATED"), ("why_stopped", "", "Sponsor decision"),
        ("primary_completion_date", "2025-12", "2025-04-15"), ("primary_completion_date_type", "ESTIMATED", "ACTUAL"),
        ("enrollment", "120", "87"), ("enrollment_type", "ESTIMATED", "ACTUAL"),
        ("last_update_posted", "2024-12-20", "2025-06-02"),
    }
    assert not any(c.initial for c in june)
    lines = [(e.date, e.description) for e in followed_trial.events.filter(kind="registry").order_by("date", "pk")]
    assert lines == [
        (dt.date(2025, 6, 10), "status now Terminated (why stopped: Sponsor decision)"),
        (dt.date(2025, 6, 10), "primary completion now ACTUAL: 2025-04-15"),
        (dt.date(2025, 6, 10), "enrollment now ACTUAL: 87"),
        (dt.date(2025, 11, 21), "results now posted (first posted 2025-11-20)"),
    ]
    assert june.get(field="why_stopped").event == june.get(field="overall_status").event
    assert june.get(field="last_update_posted").event is None  # bookkeeping, not news


def test_when_did_it_become_so(followed_trial):
    actual = trial_registry_became(trial=followed_trial, field="primary_completion_date_type", value="ACTUAL")
    assert (actual.observed_at, actual.registry_posted_on, actual.initial) == (JUN, dt.date(2025, 6, 2), False)
    assert trial_registry_became(trial=followed_trial, field="overall_status", value="RECRUITING").initial
    assert trial_registry_became(trial=followed_trial, field="overall_status", value="RECRUITING", changes_only=True) is None
    assert trial_registry_became(trial=followed_trial, field="overall_status", value="COMPLETED") is None
    with pytest.raises(ValueError, match="'status' is not a registry field"):
        trial_registry_became(trial=followed_trial, field="status", value="TERMINATED")


def test_what_the_registry_said_at_a_time(followed_trial):
    value_at = lambda field, at: trial_registry_value_at(trial=followed_trial, field=field, at=at)  # noqa: E731
    assert value_at("overall_status", JAN - dt.timedelta(days=1)) is None  # not read yet
    assert value_at("overall_status", JAN) == "RECRUITING"
    assert value_at("overall_status", JUN - dt.timedelta(seconds=1)) == "RECRUITING"
    assert value_at("overall_status", JUN) == "TERMINATED"
    assert value_at("results_first_posted", JUN) == ""  # read, and the record said nothing
    assert value_at("results_first_posted", NOV) == "2025-11-20"


def test_current_facts_with_when_they_became_so(followed_trial):
    facts = trial_registry_facts(trial=followed_trial)
    assert facts["overall_status"].value == "TERMINATED" and facts["overall_status"].since == JUN
    assert facts["start_date"].value == "2023-02-01" and facts["start_date"].initial
    assert facts["results_first_posted"].registry_posted_on == dt.date(2025, 11, 20)
    assert followed_trial.results_first_posted == dt.date(2025, 11, 20) and followed_trial.has_results is True


def test_the_same_reading_again_writes_nothing(followed_trial):
    updated_at = followed_trial.updated_at
    with CaptureQueriesContext(connection) as queries:
        update = apply(followed_trial, RESULTS, NOV + dt.timedelta(days=1))
    assert not update.changed and update.describe() == []
    assert [q["sql"] for q in queries.captured_queries if not q["sql"].startswith("SELECT")] == []
    followed_trial.refresh_from_db()
    assert followed_trial.updated_at == updated_at


def test_a_staff_edit_is_replaced_by_the_registry_but_never_enters_its_history(followed_trial):
    Trial.objects.filter(pk=followed_trial.pk).update(status=Trial.Status.COMPLETED, enrollment=90)
    followed_trial.refresh_from_db()
    update = apply(followed_trial, RESULTS, NOV + dt.timedelta(days=1))
    assert update.changes == [] and sorted(update.columns) == ["enrollment", "status"]
    assert update.describe() == ["status, enrollment set to the registry's value"]
    followed_trial.refresh_from_db()
    assert (followed_trial.status, followed_trial.enrollment) == ("terminated", 87)
    assert not TrialRegistryChange.objects.filter(new_value="COMPLETED").exists()


def test_a_field_the_registry_stops_stating_is_a_change_to_nothing(followed_trial):
    update = apply(followed_trial, {**RESULTS, "why_stopped": ""}, NOV + dt.timedelta(days=2))
    assert [(c.field, c.old_value, c.new_value) for c in update.changes] == [("why_stopped", "Sponsor decision", "")]
    assert update.describe() == ["why stopped now: (none)"]
    followed_trial.refresh_from_db()
    assert followed_trial.why_stopped == ""


def test_a_first_reading_of_a_finished_trial_puts_its_milestones_on_the_timeline(trial):
    update = apply(trial, RESULTS, NOV, via="import")
    assert sorted((e.date, e.description) for e in update.events) == [
        (dt.date(2025, 4, 15), "primary completion ACTUAL: 2025-04-15"),
        (dt.date(2025, 11, 20), "results first posted"),
        (dt.date(2025, 11, 20), "status Terminated (why stopped: Sponsor decision)"),
    ]
    assert all(c.via == "import" for c in update.changes)


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"overall_status": "PAUSED"}, "'PAUSED' is not a registry status"),
        ({"primary_completion_date_type": "ANTICIPATED"}, "must be ACTUAL or ESTIMATED"),
        ({"enrollment": "about 80"}, "Enrollment must be a whole number"),
        ({"has_results": "yes"}, "has_results must be true or false"),
        ({"start_date": "March 2024"}, "is not a registry date"),
        ({"status": "RECRUITING"}, "'status' is not a registry field"),
    ],
)
def test_a_reading_the_registry_could_not_have_sent_is_refused(values, message):
    with pytest.raises(ValidationError, match=message):
        RegistryReading(values)


def test_observed_at_must_be_timezone_aware(trial):
    with pytest.raises(ValidationError, match="timezone-aware"):
        apply(trial, RECRUITING, dt.datetime(2025, 1, 1))
