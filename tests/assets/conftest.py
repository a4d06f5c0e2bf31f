"""Fixtures of the assets tests: the local ClinicalTrials.gov API (tests/assets/ctgov_server.py)."""
import pytest

from tests.assets.ctgov_server import CtgovServer, record


@pytest.fixture(autouse=True)
def no_real_ctgov(settings):
    """No assets test reaches the real ClinicalTrials.gov: the client points at a closed local port unless a test
    starts the local server (``ctgov_api``)."""
    settings.CTGOV_API_BASE_URL = "http://127.0.0.1:9/api/v2"
    settings.CTGOV_REQUESTS_PER_MINUTE = 0
    settings.CTGOV_BACKOFF_SECONDS = 0
    settings.CTGOV_MAX_ATTEMPTS = 3
    settings.CTGOV_CONNECT_TIMEOUT_SECONDS = 2
    settings.CTGOV_READ_TIMEOUT_SECONDS = 5


@pytest.fixture
def ctgov_api(settings):
    """The local API serving today's records of SUCCESSOR-2, MajesTEC-3 and the synthetic SYNTH-1."""
    server = CtgovServer().start()
    server.publish(record("NCT05552976"), record("NCT05083169"), record("NCT09990001"))
    settings.CTGOV_API_BASE_URL = server.base_url
    yield server
    server.stop()
