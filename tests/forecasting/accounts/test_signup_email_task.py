"""Sign-up does not wait for the mail server: the verification e-mail is a Celery task
(forecasting.tasks.send_verification_email), queued once the account is committed; password hashing is untouched."""
import re
import smtplib
from unittest import mock

import pytest
from django.core import mail
from django.test import Client

from forecasting.accounts.tasks import send_verification_email
from forecasting.celery import app
from forecasting.common.enqueue import SEND_VERIFICATION_EMAIL

FORM = {"username": "newcomer", "email": "newcomer@example.org", "display_name": "",
        "password1": "a long walk in the hills 42", "password2": "a long walk in the hills 42"}


@pytest.fixture
def queued(settings):
    """As with a broker: tasks are queued (recorded here), not run in the request."""
    task = app.tasks[SEND_VERIFICATION_EMAIL]
    eager = task.app.conf.task_always_eager
    task.app.conf.task_always_eager = False
    try:
        with mock.patch.object(task, "delay") as delay:
            yield delay
    finally:
        task.app.conf.task_always_eager = eager


def test_sign_up_queues_the_email_and_sends_nothing_itself(db, queued):
    response = Client().post("/accounts/signup/", FORM)
    assert response.status_code == 302
    assert mail.outbox == []
    from django.contrib.auth.models import User

    user = User.objects.get(username="newcomer")
    queued.assert_called_once_with(user.pk)


def test_the_task_sends_the_link_and_skips_verified_or_deleted_users(db, user):
    user.email = "ann@example.org"
    user.save()
    from forecasting.accounts.models import Profile

    Profile.objects.update_or_create(user=user, defaults={"email_verified": False})
    assert send_verification_email(user.pk) is True
    assert mail.outbox[-1].to == ["ann@example.org"]
    assert re.search(r"/accounts/verify/\S+/", mail.outbox[-1].body)
    Profile.objects.filter(user=user).update(email_verified=True)
    assert send_verification_email(user.pk) is False
    assert send_verification_email(10**9) is False
    assert len(mail.outbox) == 1


def test_the_task_retries_mail_server_errors():
    task = app.tasks[SEND_VERIFICATION_EMAIL]
    assert smtplib.SMTPException in task.autoretry_for and OSError in task.autoretry_for
    assert task.max_retries >= 3


def test_without_a_broker_the_email_is_sent_in_process(db):
    assert Client().post("/accounts/signup/", FORM).status_code == 302
    assert mail.outbox[-1].to == ["newcomer@example.org"]


def test_production_password_hashing_is_not_weakened():
    """The project keeps Django's default hashers (PBKDF2-SHA256, 1,000,000 iterations in Django 5.2); only the test
    suite swaps in a fast hasher (tests' conftest)."""
    from django.conf import global_settings
    from django.contrib.auth.hashers import PBKDF2PasswordHasher

    from forecasting import settings as project_settings

    hasher_names = getattr(project_settings, "PASSWORD_HASHERS", global_settings.PASSWORD_HASHERS)
    assert hasher_names[0] == "django.contrib.auth.hashers.PBKDF2PasswordHasher"
    assert PBKDF2PasswordHasher.iterations >= 1_000_000
