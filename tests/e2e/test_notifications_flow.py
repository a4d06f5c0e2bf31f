"""Follows and notifications in headless Chromium: Amira follows the SUCCESSOR-2 trial with its page's button; Bea
comments on a SUCCESSOR-2 question; Amira's bell count goes up and the notification shows the comment; staff resolve
the question; Amira's e-mail has an absolute link that opens the resolved page.

Bea posts her comment through the question page's comment form, in her own browser session."""
import datetime as dt
import re

import pytest
from django.contrib.auth.models import User
from django.core import mail
from django.utils import timezone

from forecasting.discussion.models import Comment
from forecasting.resolution.services.resolution import question_resolve_manual
from markets.services import question_create
from tests import factories
from tests.forecasting.resolution.test_resolution_services import eager_celery  # noqa: F401

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "Tall-Giraffe-Reads-42"


@pytest.fixture
def successor_question(db):
    asset = factories.AssetFactory(name="Mezigdomide")
    trial = factories.TrialFactory(acronym="SUCCESSOR-2", registry_id="NCT05552976", assets=[asset])
    now = timezone.now()
    return question_create(
        status="open", title="Will SUCCESSOR-2 report a PFS hazard ratio below 0.7?", type="binary", asset=asset,
        trial=trial, resolution_criteria="Resolves YES if the primary PFS hazard ratio (MeziKd vs Kd) is below 0.7.",
        open_time=now - dt.timedelta(days=21), scheduled_close_time=now + dt.timedelta(days=40),
    )


def log_in(page, base_url, username):
    page.goto(f"{base_url}/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_load_state()


def test_follow_comment_bell_resolution_email(live_server, page, browser, successor_question, settings, screenshot):
    settings.READOUT_SITE_URL = live_server.url
    base = live_server.url
    User.objects.create_user(username="amira", email="amira@example.com", password=PASSWORD)
    bea = User.objects.create_user(username="bea", email="bea@example.com", password=PASSWORD)
    staff = User.objects.create_user(username="curator", password=PASSWORD, is_staff=True)
    trial = successor_question.trial

    # Amira follows the trial with the button on its page.
    log_in(page, base, "amira")
    page.goto(f"{base}{trial.get_absolute_url()}")
    button = page.get_by_test_id("follow-button")
    assert button.inner_text().strip() == "Follow"
    assert page.get_by_test_id("notification-count").count() == 0
    button.click()
    page.wait_for_load_state()
    assert "Following" in page.get_by_test_id("follow-button").inner_text()
    assert "Following SUCCESSOR-2" in page.locator(".messages").inner_text()

    # Bea comments on the trial's question through the page's form, in her own session.
    bea_context = browser.new_context(viewport={"width": 1280, "height": 900})
    bea_page = bea_context.new_page()
    log_in(bea_page, base, "bea")
    bea_page.goto(f"{base}{successor_question.get_absolute_url()}")
    form = bea_page.get_by_test_id("comment-form")
    form.locator("textarea[name=body]").fill("The topline says it met PFS; I expect an HR near 0.64.")
    form.get_by_role("button", name="Post comment").click()
    bea_page.wait_for_load_state()
    bea_context.close()
    comment = Comment.objects.get(question=successor_question, author=bea)
    assert "HR near 0.64" in comment.body

    # Amira reloads: the bell counts one, and the notification shows the comment.
    page.reload()
    assert page.get_by_test_id("notification-count").inner_text() == "1"
    page.get_by_test_id("notification-bell").click()
    page.wait_for_load_state()
    item = page.get_by_test_id("notification").first
    assert f"bea commented on {successor_question.title}" in item.inner_text()
    assert "I expect an HR near 0.64" in item.inner_text()
    screenshot(page, "notifications-comment")
    item.get_by_role("button", name="Open").click()  # marks it read and opens the question at the comment
    page.wait_for_url(re.compile(rf"{re.escape(successor_question.get_absolute_url())}#comment-{comment.pk}$"))
    assert page.get_by_test_id("notification-count").count() == 0

    # Staff resolve the question; Amira gets an e-mail with an absolute link to it.
    mail.outbox.clear()
    question_resolve_manual(question=successor_question, outcome="yes",
                            known_at=timezone.now() - dt.timedelta(minutes=5), actor=staff)
    [message] = [m for m in mail.outbox if m.to == ["amira@example.com"]]
    assert message.subject == f"Resolved: {successor_question.title}"
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    link = re.search(r"See how everyone scored: (\S+)", message.body).group(1)
    assert link == f"{base}{successor_question.get_absolute_url()}"

    page.goto(link)
    main = page.locator("main").inner_text()
    assert re.search(r"Resolved\s+Yes", main), main[:500]
    assert page.get_by_test_id("notification-count").inner_text() == "1"  # the resolution, unread
    screenshot(page, "notifications-resolved")
    assert page.js_errors == []
