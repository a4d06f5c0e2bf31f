"""Display names are unique whatever their case: the sign-up and profile forms say so in words, the service refuses,
the database refuses, and the migration renames the duplicates that existed before."""
import importlib

import pytest
from django.apps import apps
from django.db import IntegrityError, connection, transaction

from assets.errors import ValidationError
from forecasting.accounts.models import Profile
from forecasting.accounts.services import display_name_validate, user_create
from tests import factories

pytestmark = pytest.mark.django_db
migration = importlib.import_module("forecasting.migrations.0011_pages_unique_display_name")


def _profile(user, name):
    profile, _ = Profile.objects.get_or_create(user=user)
    profile.display_name = name
    profile.save()
    return profile


def test_the_service_refuses_a_name_taken_in_any_case_and_allows_your_own():
    owner = factories.UserFactory()
    _profile(owner, "UX Tester")
    with pytest.raises(ValidationError) as exc:
        display_name_validate(display_name="  ux   TESTER ")
    assert exc.value.field == "display_name"
    assert exc.value.message.startswith("Someone already uses the display name “ux TESTER”")
    assert display_name_validate(display_name="UX tester", user=owner) == "UX tester"
    assert display_name_validate(display_name="") == ""
    with pytest.raises(ValidationError):
        user_create(username="second", email="s@example.com", password="a-long-password-1", display_name="ux tester")


def test_blank_names_may_repeat_but_the_database_refuses_a_duplicate():
    a, b, c = factories.UserFactory.create_batch(3)
    _profile(a, "")
    _profile(b, "")
    _profile(a, "Rosa F.")
    with pytest.raises(IntegrityError), transaction.atomic():
        _profile(c, "rosa f.")


def test_the_signup_form_shows_the_error_under_the_field(client):
    _profile(factories.UserFactory(), "UX Tester")
    response = client.post("/accounts/signup/", {
        "username": "newcomer", "email": "n@example.com", "display_name": "ux tester",
        "password1": "a-long-password-1", "password2": "a-long-password-1",
    })
    html = response.content.decode()
    assert response.status_code == 200
    assert 'id="id_display_name_error"' in html and "Someone already uses the display name" in html
    assert 'aria-describedby="id_display_name_helptext id_display_name_error"' in html
    assert 'id="id_display_name_helptext"' in html


def test_the_profile_form_refuses_another_users_name(client):
    _profile(factories.UserFactory(), "UX Tester")
    me = factories.UserFactory()
    _profile(me, "Me")
    client.force_login(me)
    response = client.post("/accounts/profile/", {"display_name": "UX TESTER", "bio": ""})
    assert "Someone already uses the display name" in response.content.decode()
    assert Profile.objects.get(user=me).display_name == "Me"


def test_the_migration_renames_duplicates_keeping_the_oldest():
    # Before the migration there was no index (an expression constraint is a unique index on both databases); the
    # test's transaction puts it back.
    with connection.cursor() as cursor:
        cursor.execute("DROP INDEX profile_display_name_unique_ci")
    users = factories.UserFactory.create_batch(5)
    names = ["UX Tester", "ux tester", "UX Tester ", "UX Tester (2)", "x" * 80]
    profiles = [_profile(user, name) for user, name in zip(users, names)]
    _profile(factories.UserFactory(), "x" * 80)  # a long name's duplicate is cut to fit its suffix
    migration.dedupe_display_names(apps, None)
    got = list(Profile.objects.exclude(display_name="").order_by("pk").values_list("display_name", flat=True))
    assert got[:4] == ["UX Tester", "ux tester (2)", "UX Tester (3)", "UX Tester (2) (2)"]
    assert got[4] == "x" * 80 and got[5] == "x" * 76 + " (2)"
    assert len({name.casefold() for name in got}) == len(got)
    assert len(profiles) == 5
