"""Shared fixtures. Fixtures are named by the state they set up."""
import os
from pathlib import Path

import pytest
from rest_framework.test import APIClient

from tests import factories

REPO_ROOT = Path(__file__).resolve().parent.parent
SEEDS_DIR = REPO_ROOT.parent / "shared" / "seeds"


@pytest.fixture
def seeds_dir():
    if not SEEDS_DIR.is_dir():
        pytest.skip(f"seed documents not found at {SEEDS_DIR}")
    return SEEDS_DIR


@pytest.fixture
def api_client():
    return APIClient()


@pytest.fixture
def user(db):
    return factories.UserFactory()


@pytest.fixture
def other_user(db):
    return factories.UserFactory()


@pytest.fixture
def staff_user(db):
    return factories.StaffFactory()


@pytest.fixture
def user_client(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.fixture
def staff_client(staff_user):
    client = APIClient()
    client.force_authenticate(staff_user)
    return client


def pytest_collection_modifyitems(config, items):
    chromium = Path(os.environ.get("READOUT_CHROMIUM", "/usr/bin/chromium"))
    if not chromium.exists():
        skip = pytest.mark.skip(reason=f"browser test: {chromium} is missing (apt-get install -y chromium)")
        for item in items:
            if "browser" in item.keywords:
                item.add_marker(skip)


@pytest.fixture
def open_question(db):
    return factories.QuestionFactory()


@pytest.fixture
def open_numeric_question(db):
    return factories.NumericQuestionFactory()


@pytest.fixture
def hidden_question(db):
    import datetime as dt

    from django.utils import timezone

    return factories.QuestionFactory(reveal_time=timezone.now() + dt.timedelta(days=10))


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    """PBKDF2 is deliberately slow; tests create many users."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def pytest_configure(config):
    """Under pytest-xdist, give each worker its own Redis database for the rate-limit counters, below REDIS_URL's (the
    Celery broker of the service tests): clearing a Redis cache (as ``_clear_cache`` does around every test) flushes
    its whole database, which would wipe another worker's counters between the two requests of a throttle test, or
    the broker's queues."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    if not worker.startswith("gw"):
        return
    from django.conf import settings

    throttle = settings.CACHES.get("throttle", {})
    location = throttle.get("LOCATION", "")
    if location.startswith(("redis://", "rediss://")):
        base, _, db = location.rpartition("/")
        first = int(db) if db.isdigit() else 15
        throttle["LOCATION"] = f"{base}/{(first - 1 - int(worker[2:])) % 16}"


@pytest.fixture(autouse=True)
def _clear_cache():
    """Rate-limit counters and other state live in caches, which outlive a test's database transaction."""
    from django.core.cache import caches

    for alias in ("default", "throttle"):
        caches[alias].clear()
    yield
    for alias in ("default", "throttle"):
        caches[alias].clear()


@pytest.fixture(autouse=True)
def _generous_rate_limits(settings):
    """Rate limits (REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], docs/deploy.md) are set out of reach in tests, which post
    many forecasts and trades from one client; tests/forecasting/accounts/test_rate_limits.py lowers them."""
    rates = settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK,
                               "DEFAULT_THROTTLE_RATES": dict.fromkeys(rates, "1000000/min")}
