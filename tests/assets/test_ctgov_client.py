"""The ClinicalTrials.gov API v2 client against the local test server (tests/assets/ctgov_server.py): records,
paging, retries, rate limiting and the errors it reports. No network."""
import datetime as dt
import email.utils
import json
import re

import pytest

from assets.ctgov_client import CtgovClient, CtgovError, CtgovNotFound, nct_id_clean
from assets.errors import ValidationError
from tests.assets.ctgov_server import Reply, record


class Sleeps(list):
    """A ``sleep`` that records how long the client asked to wait, and does not wait."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)


@pytest.fixture
def sleeps():
    return Sleeps()


@pytest.fixture
def client(ctgov_api, sleeps):
    return CtgovClient(sleep=sleeps, backoff=1, backoff_max=8, max_attempts=3)


# --- answers -------------------------------------------------------------------------------------------------------

def test_one_study_record(client, ctgov_api):
    study = client.study("nct05552976 ")
    assert study["protocolSection"]["statusModule"]["primaryCompletionDateStruct"] == {"date": "2026-01-30", "type": "ACTUAL"}
    assert ctgov_api.requests == [("/api/v2/studies/NCT05552976", {"format": "json"})]


def test_many_studies_page_by_page_with_page_tokens(ctgov_api, sleeps):
    client = CtgovClient(sleep=sleeps, page_size=2)
    studies = list(client.studies(["NCT05552976", "NCT05083169", "NCT09990001"]))
    assert [s["protocolSection"]["identificationModule"]["nctId"] for s in studies] == [
        "NCT05552976", "NCT05083169", "NCT09990001"]
    (path1, first), (path2, second) = ctgov_api.requests
    assert path1 == path2 == "/api/v2/studies"
    assert first == {"filter.ids": "NCT05552976,NCT05083169,NCT09990001", "pageSize": "2", "format": "json"}
    assert second == {**first, "pageToken": "page-2"}


def test_studies_the_registry_does_not_know_are_absent(client):
    assert [s["protocolSection"]["identificationModule"]["nctId"] for s in client.studies(["NCT00000001", "NCT09990001"])] == ["NCT09990001"]


@pytest.mark.parametrize("bad", ["NCT123", "NCT0555297", "NCT055529761", "05552976", "NCT0555297X", ""])
def test_a_malformed_nct_id_is_refused_before_any_request(bad, client, ctgov_api):
    with pytest.raises(ValidationError, match="is not an NCT id \\(NCT followed by 8 digits"):
        client.study(bad)
    with pytest.raises(ValidationError, match="is not an NCT id"):
        list(client.studies(["NCT05552976", bad]))
    assert ctgov_api.requests == []


def test_nct_id_clean():
    assert nct_id_clean(" nct05552976\n") == "NCT05552976"


# --- retried: 5xx, 429, connection errors, timeouts, cut-off transfers -----------------------------------------------

def test_a_5xx_is_retried_with_exponential_backoff(client, ctgov_api, sleeps):
    ctgov_api.script(Reply(503), Reply(502))
    assert client.study("NCT05552976")["protocolSection"]
    assert len(ctgov_api.requests) == 3
    assert len(sleeps) == 2 and 0.5 <= sleeps[0] <= 1 and 1 <= sleeps[1] <= 2  # 1 s then 2 s, with jitter


def test_a_5xx_every_time_gives_up_naming_the_study(client, ctgov_api):
    ctgov_api.script(*[Reply(500)] * 3)
    with pytest.raises(CtgovError) as caught:
        client.study("NCT05552976")
    assert str(caught.value) == (
        "NCT05552976: ClinicalTrials.gov answered HTTP 500 Internal Server Error; gave up after 3 attempts")
    assert caught.value.transient and caught.value.status == 500
    assert len(ctgov_api.requests) == 3


def test_a_429_waits_as_long_as_retry_after_says(client, ctgov_api, sleeps):
    ctgov_api.script(Reply(429, headers={"Retry-After": "7"}))
    assert client.study("NCT05552976")["protocolSection"]
    assert sleeps == [7.0]


def test_a_429_with_an_http_date_in_retry_after(client, ctgov_api, sleeps):
    when = dt.datetime.now(dt.timezone.utc) + dt.timedelta(seconds=30)
    ctgov_api.script(Reply(429, headers={"Retry-After": email.utils.format_datetime(when, usegmt=True)}))
    client.study("NCT05552976")
    assert len(sleeps) == 1 and 25 <= sleeps[0] <= 30


def test_a_429_asking_for_longer_than_the_cap_fails_at_once(ctgov_api, sleeps):
    client = CtgovClient(sleep=sleeps, retry_after_max=60)
    ctgov_api.script(Reply(429, headers={"Retry-After": "3600"}))
    with pytest.raises(CtgovError) as caught:
        client.study("NCT05552976")
    assert "NCT05552976: ClinicalTrials.gov is rate-limiting requests (HTTP 429) and asked to wait 3600 s, longer than the 60 s allowed" in str(caught.value)
    assert caught.value.transient and sleeps == [] and len(ctgov_api.requests) == 1


def test_a_429_without_retry_after_backs_off_and_gives_up(client, ctgov_api, sleeps):
    ctgov_api.script(*[Reply(429)] * 3)
    with pytest.raises(CtgovError, match=r"rate-limiting requests \(HTTP 429\); gave up after 3 attempts"):
        client.study("NCT05552976")
    assert len(sleeps) == 2


def test_a_refused_connection_is_retried_then_reported(settings, sleeps):
    client = CtgovClient(base_url="http://127.0.0.1:9/api/v2", sleep=sleeps, max_attempts=2)
    with pytest.raises(CtgovError) as caught:
        list(client.studies(["NCT05552976", "NCT05083169"]))
    message = str(caught.value)
    assert message.startswith("NCT05552976, NCT05083169: the connection to ClinicalTrials.gov at http://127.0.0.1:9/api/v2 failed (Connection refused)")
    assert message.endswith("gave up after 2 attempts") and caught.value.transient and len(sleeps) == 1


def test_a_dropped_connection_is_retried(client, ctgov_api):
    ctgov_api.script(Reply(drop=True))
    assert client.study("NCT05552976")["protocolSection"]
    assert len(ctgov_api.requests) == 2
    ctgov_api.script(*[Reply(drop=True)] * 3)
    with pytest.raises(CtgovError, match=r"^NCT05552976: the connection to ClinicalTrials.gov at http://127.0.0.1:\d+/api/v2 failed \(Remote end closed connection without response\); gave up after 3 attempts$"):
        client.study("NCT05552976")


def test_a_slow_answer_times_out_and_is_retried(ctgov_api, sleeps):
    client = CtgovClient(sleep=sleeps, read_timeout=0.3, max_attempts=2)
    ctgov_api.script(Reply(delay=1.0))
    assert client.study("NCT05552976")["protocolSection"]
    ctgov_api.script(Reply(delay=1.0), Reply(delay=1.0))
    with pytest.raises(CtgovError, match=r"^NCT05552976: ClinicalTrials.gov did not answer within 0.3 s \(timeout\); gave up after 2 attempts$"):
        client.study("NCT05552976")


def test_a_body_cut_off_in_transfer_is_retried(client, ctgov_api):
    ctgov_api.script(Reply(truncate_to=200))
    assert client.study("NCT05552976")["protocolSection"]
    ctgov_api.script(*[Reply(truncate_to=200)] * 3)
    with pytest.raises(CtgovError, match=r"^NCT05552976: ClinicalTrials.gov's response was cut off in transfer \(IncompleteRead\(200 bytes read, \d+ more expected\)\); gave up after 3 attempts$"):
        client.study("NCT05552976")


# --- not retried: other 4xx, bad JSON ------------------------------------------------------------------------------

def test_an_unknown_study_is_not_found_at_once(client, ctgov_api):
    with pytest.raises(CtgovNotFound, match=r"^NCT00000001: ClinicalTrials.gov has no such study \(HTTP 404\)$"):
        client.study("NCT00000001")
    assert len(ctgov_api.requests) == 1


def test_a_4xx_is_not_retried(client, ctgov_api):
    ctgov_api.script(Reply(400, body=b'{"message": "filter.ids: invalid value"}'))
    with pytest.raises(CtgovError) as caught:
        client.study("NCT05552976")
    assert str(caught.value) == ('NCT05552976: ClinicalTrials.gov refused the request: HTTP 400 Bad Request: '
                                 '{"message": "filter.ids: invalid value"}')
    assert not caught.value.transient and len(ctgov_api.requests) == 1


def test_malformed_json_is_reported_with_line_and_column_and_not_retried(client, ctgov_api):
    ctgov_api.script(Reply(body=b'{\n  "protocolSection": {"statusModule": {,}}\n}'))
    with pytest.raises(CtgovError) as caught:
        client.study("NCT05552976")
    assert str(caught.value) == ("NCT05552976: ClinicalTrials.gov sent malformed JSON: Expecting property name "
                                 "enclosed in double quotes at line 2 column 40")
    assert not caught.value.transient and len(ctgov_api.requests) == 1


@pytest.mark.parametrize("cut", [100, 2000, -1])
def test_truncated_json_is_reported_as_truncated(cut, client, ctgov_api):
    body = json.dumps(record("NCT05552976"), indent=2).encode()[:cut]
    ctgov_api.script(Reply(body=body))
    with pytest.raises(CtgovError, match=rf"^NCT05552976: ClinicalTrials.gov sent truncated JSON: it stops after {len(body)} bytes"):
        client.study("NCT05552976")
    assert len(ctgov_api.requests) == 1


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (b"", "sent an empty response where JSON was expected"),
        (b"<html>Service moved</html>", "sent malformed JSON: Expecting value at line 1 column 1"),
        (b'{"studies": []}', "sent JSON that is not a study record (no protocolSection)"),
        (b"\xff\xfe{}", "sent a response that is not UTF-8"),
    ],
)
def test_answers_that_are_not_a_study_record(body, expected, client, ctgov_api):
    ctgov_api.script(Reply(body=body))
    with pytest.raises(CtgovError, match="^" + re.escape(f"NCT05552976: ClinicalTrials.gov {expected}")):
        client.study("NCT05552976")


def test_a_page_that_is_not_a_list_of_studies_names_the_page(ctgov_api, sleeps):
    client = CtgovClient(sleep=sleeps, page_size=2)
    ctgov_api.script(Reply(), Reply(body=b'{"totalCount": 3}'))
    with pytest.raises(CtgovError, match=r"^NCT05552976, NCT05083169, NCT09990001 \(page 2\): ClinicalTrials.gov sent JSON that is not a list of studies"):
        list(client.studies(["NCT05552976", "NCT05083169", "NCT09990001"]))


def test_a_page_token_sent_twice_stops_paging(client, ctgov_api):
    page = b'{"studies": [], "nextPageToken": "again"}'
    ctgov_api.script(Reply(body=page), Reply(body=page))
    with pytest.raises(CtgovError, match="sent a page token it already sent"):
        list(client.studies(["NCT05552976"]))
    assert len(ctgov_api.requests) == 2


# --- rate limit ----------------------------------------------------------------------------------------------------

def test_requests_are_spaced_to_the_rate_limit(ctgov_api):
    now = [100.0]
    waits = []

    def sleep(seconds):
        waits.append(round(seconds, 6))
        now[0] += seconds

    client = CtgovClient(requests_per_minute=50, sleep=sleep, clock=lambda: now[0])
    for _ in range(3):
        client.study("NCT05552976")
    assert waits == [1.2, 1.2]  # 60 s / 50 requests
    now[0] += 5  # a pause longer than the interval: no wait
    client.study("NCT05552976")
    assert waits == [1.2, 1.2]


def test_the_base_url_and_limits_come_from_settings(settings):
    settings.CTGOV_API_BASE_URL = "http://example.invalid/api/v2/"
    settings.CTGOV_REQUESTS_PER_MINUTE = 30
    settings.CTGOV_RETRY_AFTER_MAX_SECONDS = 90
    client = CtgovClient()
    assert (client.base_url, client.interval, client.retry_after_max) == ("http://example.invalid/api/v2", 2.0, 90.0)


def test_defaults_without_settings(settings):
    for name in ("CTGOV_API_BASE_URL", "CTGOV_REQUESTS_PER_MINUTE", "CTGOV_MAX_ATTEMPTS", "CTGOV_BACKOFF_SECONDS",
                 "CTGOV_CONNECT_TIMEOUT_SECONDS", "CTGOV_READ_TIMEOUT_SECONDS"):
        delattr(settings, name)
    client = CtgovClient()
    assert client.base_url == "https://clinicaltrials.gov/api/v2"
    assert (client.interval, client.max_attempts, client.timeout, client.page_size) == (1.2, 4, (5.0, 30.0), 100)
