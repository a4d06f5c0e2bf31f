"""Accounts: sign-up, log-in, log-out, password reset, profile."""
import re

import pytest
from django.contrib.auth.models import User
from django.core import mail
from django.test import Client

from forecasting.models import Profile

pytestmark = pytest.mark.django_db


def test_signup_creates_user_with_profile_and_logs_in(client):
    response = client.post(
        "/accounts/signup/",
        {"username": "newbie", "email": "newbie@example.com", "display_name": "New Bie",
         "password1": "a-long-unusual-passphrase", "password2": "a-long-unusual-passphrase"},
    )
    assert response.status_code == 302
    user = User.objects.get(username="newbie")
    assert user.profile.display_name == "New Bie"
    assert client.get("/").context["user"].is_authenticated


def test_signup_errors_are_shown_inline_and_nothing_is_created(client):
    response = client.post(
        "/accounts/signup/",
        {"username": "x", "email": "not-an-email", "password1": "abc", "password2": "abd"},
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "field-errors" in html
    assert "Enter a valid email address." in html
    assert not User.objects.filter(username="x").exists()


def test_login_and_logout(client, user):
    response = client.post("/accounts/login/", {"username": user.username, "password": "correct-horse-battery"})
    assert response.status_code == 302
    assert client.get("/").context["user"].is_authenticated
    assert client.post("/accounts/logout/").status_code == 302
    assert not client.get("/").context["user"].is_authenticated


def test_wrong_password_is_refused(client, user):
    response = client.post("/accounts/login/", {"username": user.username, "password": "nope"})
    assert response.status_code == 200
    assert "correct username and password" in response.content.decode()


def test_password_reset_sends_a_working_link(client, user):
    response = client.post("/accounts/password-reset/", {"email": user.email})
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    link = re.search(r"http://testserver(/accounts/reset/\S+/)", mail.outbox[0].body).group(1)
    form_page = client.get(link, follow=True)
    assert form_page.status_code == 200
    done = client.post(
        form_page.redirect_chain[-1][0],
        {"new_password1": "another-long-passphrase", "new_password2": "another-long-passphrase"},
    )
    assert done.status_code == 302
    assert Client().login(username=user.username, password="another-long-passphrase")


def test_profile_edit_changes_display_name(client, user):
    client.force_login(user)
    assert client.post("/accounts/profile/", {"display_name": "Dr. Forecast", "bio": ""}).status_code == 302
    assert Profile.objects.get(user=user).display_name == "Dr. Forecast"


def test_profile_requires_login(client):
    assert client.get("/accounts/profile/").status_code == 302


def test_forms_enforce_csrf(user):
    csrf_client = Client(enforce_csrf_checks=True)
    assert csrf_client.post("/accounts/login/", {"username": user.username, "password": "x"}).status_code == 403
