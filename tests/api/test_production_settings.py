"""Production settings (DJANGO_ENV=production) refuse to start without SECRET_KEY and ALLOWED_HOSTS, and pass
`manage.py check --deploy` with no warnings. Each case runs manage.py in a subprocess: settings are read once per
process."""
import os
import secrets
import string
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
# Variables that would change what is being tested if they leaked in from the developer's or CI's environment.
SCRUBBED = ("DJANGO_ENV", "SECRET_KEY", "ALLOWED_HOSTS", "DEBUG", "SECURE_SSL_REDIRECT", "SECURE_HSTS_SECONDS",
            "CSRF_TRUSTED_ORIGINS", "DJANGO_SETTINGS_MODULE",
            "DJANGO_ALLOW_ASYNC_UNSAFE")  # set by the browser tests in this process; fails check --deploy


def random_secret_key() -> str:
    alphabet = string.ascii_letters + string.digits + "!@#%^&*(-_=+)"
    return "".join(secrets.choice(alphabet) for _ in range(50))


def manage(*args: str, **env: str) -> subprocess.CompletedProcess:
    environment = {k: v for k, v in os.environ.items() if k not in SCRUBBED}
    environment.update(DJANGO_SETTINGS_MODULE="forecasting.settings", **env)
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=REPO, env=environment, capture_output=True, text=True, timeout=120
    )


@pytest.mark.parametrize(
    ("env", "missing"),
    [
        ({"SECRET_KEY": "", "ALLOWED_HOSTS": "example.com"}, "SECRET_KEY"),
        ({"SECRET_KEY": random_secret_key(), "ALLOWED_HOSTS": ""}, "ALLOWED_HOSTS"),
        ({"SECRET_KEY": "", "ALLOWED_HOSTS": ""}, "SECRET_KEY"),
    ],
    ids=["no SECRET_KEY", "no ALLOWED_HOSTS", "neither"],
)
def test_production_refuses_to_start_without_secret_key_or_allowed_hosts(env, missing):
    result = manage("check", DJANGO_ENV="production", **env)
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr and f"{missing} must be set" in result.stderr


def test_check_deploy_is_clean_with_production_settings():
    result = manage(
        "check", "--deploy", "--fail-level", "WARNING",
        DJANGO_ENV="production", SECRET_KEY=random_secret_key(), ALLOWED_HOSTS="example.com",
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_check_deploy_would_catch_a_weakened_production_setting():
    """The clean run above means something: switching off the HTTPS redirect makes the same check fail."""
    result = manage(
        "check", "--deploy", "--fail-level", "WARNING",
        DJANGO_ENV="production", SECRET_KEY=random_secret_key(), ALLOWED_HOSTS="example.com",
        SECURE_SSL_REDIRECT="false",
    )
    assert result.returncode != 0
    assert "security.W008" in result.stdout + result.stderr


def test_development_defaults_still_start():
    result = manage("check")
    assert result.returncode == 0, result.stdout + result.stderr
