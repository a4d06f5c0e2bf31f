"""ensure_demo_admin: the account `make run` prints, with the address the site is actually served on."""
from io import StringIO

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command

pytestmark = pytest.mark.django_db


def test_creates_the_admin_and_prints_where_to_log_in():
    out = StringIO()
    call_command("ensure_demo_admin", "--site", "http://127.0.0.1:8765/", stdout=out)
    admin = User.objects.get(username="admin")
    assert admin.is_staff and admin.is_superuser and admin.check_password("readout-demo")
    assert "log in at http://127.0.0.1:8765/admin/" in out.getvalue()


def test_running_it_again_resets_the_password_and_keeps_one_account():
    call_command("ensure_demo_admin", stdout=StringIO())
    User.objects.filter(username="admin").update(password="!")
    out = StringIO()
    call_command("ensure_demo_admin", stdout=out)
    assert User.objects.filter(username="admin").count() == 1
    assert User.objects.get(username="admin").check_password("readout-demo")
    assert "http://127.0.0.1:8000/admin/" in out.getvalue()
