"""Two jobs delivering the same event at once (a retry racing the original): each user still gets one row and one
e-mail. On PostgreSQL (DATABASE_URL=postgres://...) this exercises the unique index under real concurrency and the
claim UPDATE's row locks; on SQLite the writers are serialized, which the test also accepts."""
import threading

import pytest
from django.core import mail
from django.db import connection

from forecasting.notifications.models import Kind, Notification
from forecasting.notifications.services.delivery import Item, notifications_deliver
from tests import factories

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL for concurrent writers")
def test_two_concurrent_jobs_notify_and_email_once():
    users = [factories.UserFactory(username=f"racer{i}") for i in range(40)]
    items = [Item(user_id=u.pk, kind=Kind.READOUT, dedupe_key="readout:77", title="Readout", text="x",
                  link="/trials/x/") for u in users]
    barrier = threading.Barrier(2)
    errors = []

    def run():
        try:
            barrier.wait()
            notifications_deliver(items)
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert Notification.objects.count() == 40
    assert sorted(m.to[0] for m in mail.outbox) == sorted(u.email for u in users)
    assert set(Notification.objects.values_list("email_state", flat=True)) == {"sent"}
