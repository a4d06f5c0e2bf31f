"""The daily registry sync task (assets.tasks) against the local ClinicalTrials.gov server, and its beat schedule."""
import pytest
from celery.exceptions import Retry
from django.conf import settings as django_settings

from assets.models import Trial, TrialRegistryChange
from assets.tasks import RETRY_COUNTDOWN_SECONDS, sync_ctgov_trials
from forecasting.celery import app
from tests.assets.ctgov_server import Reply, record
from tests.assets.test_import_profile import DATA, db_snapshot, run


@pytest.fixture
def tracked_trials(db, ctgov_api):
    """SUCCESSOR-2 and MajesTEC-3 imported from files; the API answers with the same SUCCESSOR-2 and a newer
    MajesTEC-3 (its completion date and last update)."""
    run("import_ctgov", DATA / "NCT05552976.json", DATA / "NCT05083169.json")
    return Trial.objects.order_by("registry_id")


def test_the_task_is_scheduled_daily():
    entry = django_settings.CELERY_BEAT_SCHEDULE["sync-ctgov-trials"]
    assert entry == {"task": "assets.tasks.sync_ctgov_trials", "schedule": 86400.0}
    assert "assets.tasks.sync_ctgov_trials" in app.tasks


def test_with_no_ids_it_refreshes_every_trial_with_an_nct_id_and_twice_is_the_same(tracked_trials, ctgov_api):
    first = sync_ctgov_trials.apply().get()
    assert first == {"created": 0, "changed": 1, "unchanged": 1, "failed": 0, "failed_ids": []}
    assert ctgov_api.requests[0][1]["filter.ids"] == "NCT05083169,NCT05552976"
    before = db_snapshot(ignore=())
    second = sync_ctgov_trials.apply().get()
    assert second == {"created": 0, "changed": 0, "unchanged": 2, "failed": 0, "failed_ids": []}
    assert db_snapshot(ignore=()) == before


def test_it_takes_ids(tracked_trials, ctgov_api):
    assert sync_ctgov_trials.apply(kwargs={"registry_ids": ["NCT09990001"]}).get()["created"] == 1
    assert ctgov_api.requests[0][1]["filter.ids"] == "NCT09990001"


def test_trials_the_api_could_not_serve_are_retried_alone_later(tracked_trials, ctgov_api, monkeypatch):
    ctgov_api.publish(record("NCT05552976.2024-03"))
    calls = []

    def retry(**kwargs):
        calls.append(kwargs)
        return Retry("later")

    monkeypatch.setattr(sync_ctgov_trials, "retry", retry)
    ctgov_api.script(*[Reply(503)] * 3)
    with pytest.raises(Retry):
        sync_ctgov_trials.run()  # as a worker runs it (not eagerly)
    assert calls == [{"kwargs": {"registry_ids": ["NCT05083169", "NCT05552976"]}, "countdown": RETRY_COUNTDOWN_SECONDS}]
    assert RETRY_COUNTDOWN_SECONDS < django_settings.CELERY_BROKER_TRANSPORT_OPTIONS["visibility_timeout"]


def test_failures_that_would_fail_again_are_not_retried(tracked_trials, ctgov_api, monkeypatch):
    monkeypatch.setattr(sync_ctgov_trials, "retry", lambda **kwargs: pytest.fail("retried"))
    result = sync_ctgov_trials.run(registry_ids=["NCT05552976", "NCT00000001"])
    assert result["failed_ids"] == ["NCT00000001"] and result["unchanged"] == 1


def test_run_in_process_it_reports_failures_instead_of_retrying(tracked_trials, ctgov_api):
    ctgov_api.script(*[Reply(503)] * 3)
    before = TrialRegistryChange.objects.count()
    result = sync_ctgov_trials.apply(kwargs={"registry_ids": ["NCT05552976"]}).get()
    assert result == {"created": 0, "changed": 0, "unchanged": 0, "failed": 1, "failed_ids": ["NCT05552976"]}
    assert TrialRegistryChange.objects.count() == before
