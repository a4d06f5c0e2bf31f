"""assets.signals.registry_changed: sent inside the transaction of a reading that wrote registry history, with the
new rows' ids; not sent by a reading that changes nothing (assets knows nothing of what listens)."""
import datetime as dt

import pytest
from django.db import transaction

from assets.models import TrialRegistryChange
from assets.services.registry_sync import trial_registry_sync
from assets.signals import registry_changed
from tests.assets.ctgov_server import record


@pytest.fixture
def received():
    calls = []

    def listener(sender, *, trial_id, change_ids, **kwargs):
        calls.append((trial_id, change_ids, transaction.get_connection().in_atomic_block))

    registry_changed.connect(listener, dispatch_uid="test.registry_changed")
    yield calls
    registry_changed.disconnect(dispatch_uid="test.registry_changed")


def test_a_sync_that_writes_history_sends_the_new_change_ids_inside_its_transaction(db, ctgov_api, received):
    ctgov_api.publish(record("NCT09990001.2024-01"))
    list(trial_registry_sync(registry_ids=["NCT09990001"], observed_at=dt.datetime(2024, 1, 15, tzinfo=dt.UTC)))
    ctgov_api.publish(record("NCT09990001"))
    list(trial_registry_sync(registry_ids=["NCT09990001"]))
    list(trial_registry_sync(registry_ids=["NCT09990001"]))  # unchanged: nothing sent
    assert len(received) == 2
    trial_id, ids, atomic = received[1]
    assert atomic
    changes = TrialRegistryChange.objects.filter(pk__in=ids)
    assert {c.trial_id for c in changes} == {trial_id}
    assert not any(c.initial for c in changes)
    assert {"overall_status", "has_results"} <= {c.field for c in changes}
    assert set(ids) == set(TrialRegistryChange.objects.filter(initial=False).values_list("pk", flat=True))
