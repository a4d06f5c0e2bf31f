import pytest
from django.core.cache import cache


@pytest.fixture(autouse=True)
def _forget_login_failures():
    """The cache outlives a test: start and end each test clean. (Log-in lock-out is in the database, rolled back
    with each test; rate-limit counters are in the "throttle" cache, cleared by tests/conftest.py.)"""
    cache.clear()
    yield
    cache.clear()
