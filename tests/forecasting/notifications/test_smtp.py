"""A real SMTP conversation: an aiosmtpd server started on a free loopback port, Django's SMTP backend pointed at it
(as EMAIL_URL=smtp://127.0.0.1:<port> would), one notification job run, and the received messages checked: one per
user, the List-Unsubscribe headers, absolute links, both bodies."""
import email
import email.policy
import socket

import pytest
from django.utils import timezone

from forecasting.notifications.services.resolution import questions_notify_resolution
from tests import factories
from tests.forecasting.notifications.conftest import followers

aiosmtpd_controller = pytest.importorskip("aiosmtpd.controller")

pytestmark = pytest.mark.django_db


class Collect:
    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append((envelope.rcpt_tos, envelope.content))
        return "250 OK"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def smtp_server(settings):
    handler = Collect()
    controller = aiosmtpd_controller.Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", controller.port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    try:
        yield handler
    finally:
        controller.stop()


def test_a_job_sends_through_a_real_smtp_server(smtp_server, settings):
    settings.READOUT_SITE_URL = "https://readout.example"
    trial = factories.TrialFactory(acronym="SUCCESSOR-2")
    now = timezone.now()
    questions = [factories.QuestionFactory(trial=trial, status="resolved", outcome=1.0, resolved_at=now, known_at=now,
                                           slug=f"successor-2-q{i}") for i in range(3)]
    users = followers(4, trial)
    assert questions_notify_resolution(question_ids=[q.pk for q in questions]) == 4
    assert questions_notify_resolution(question_ids=[q.pk for q in questions]) == 0  # a retry sends nothing
    assert sorted(r[0] for r, _ in smtp_server.messages) == sorted(u.email for u in users)
    _, raw = smtp_server.messages[0]
    message = email.message_from_bytes(raw, policy=email.policy.default)
    assert message["Subject"].startswith("3 updates: Resolved:")
    assert str(message["List-Unsubscribe"]).strip().startswith("<https://readout.example/notifications/unsubscribe/")
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    for q in questions:
        assert f"https://readout.example/questions/{q.slug}/" in text
        assert f'href="https://readout.example/questions/{q.slug}/"' in html
