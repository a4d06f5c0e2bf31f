import pytest
from django.core.cache import cache


@pytest.fixture(autouse=True)
def _forget_login_failures():
    """Log-in throttling counts failures in the cache, which outlives a test: start and end each test clean so
    failures here (the fuzzer sends many wrong passwords) do not lock out logins in other tests."""
    cache.clear()
    yield
    cache.clear()
