"""A client for the ClinicalTrials.gov API v2 (https://clinicaltrials.gov/data-api/api): one study, or many by NCT id
with paging (``nextPageToken`` -> ``pageToken``).

Requests have connect and read timeouts and are spaced to honour the API's rate limit (about 50 requests a minute
per IP). Connection errors, timeouts, responses cut off in transfer, 5xx answers and 429 are retried with exponential
backoff (a 429's ``Retry-After`` is honoured, up to a cap); other 4xx answers, malformed or truncated JSON and JSON
that is not what the API returns are not, since asking again would get the same answer. Every error is a
:class:`CtgovError` whose text names the studies asked for and what went wrong.

Settings (read when a client is made; the defaults suit production):

``CTGOV_API_BASE_URL``              "https://clinicaltrials.gov/api/v2"
``CTGOV_CONNECT_TIMEOUT_SECONDS``   5
``CTGOV_READ_TIMEOUT_SECONDS``      30
``CTGOV_MAX_ATTEMPTS``              4 (the first try and up to three retries)
``CTGOV_BACKOFF_SECONDS``           2 (then 4, 8, ... with jitter)
``CTGOV_BACKOFF_MAX_SECONDS``       60
``CTGOV_RETRY_AFTER_MAX_SECONDS``   120 (a 429 asking for a longer wait fails rather than waits)
``CTGOV_REQUESTS_PER_MINUTE``       50 (0: no spacing, for tests)
``CTGOV_PAGE_SIZE``                 100 studies per page (the API allows up to 1,000)
"""
from __future__ import annotations

import email.utils
import json
import logging
import random
import re
import time
from collections.abc import Callable, Iterator, Sequence

import requests
from django.conf import settings
from django.utils import timezone

from assets.errors import ValidationError
from assets.models import NCT_ID_VALIDATOR

logger = logging.getLogger(__name__)

DEFAULT_BASE_URL = "https://clinicaltrials.gov/api/v2"
USER_AGENT = "Readout registry sync (+https://clinicaltrials.gov/data-api/api)"


def nct_id_clean(value: str) -> str:
    """``value`` as an NCT id ("nct05552976 " -> "NCT05552976"). Errors: ValidationError for anything that is not
    NCT followed by 8 digits, before any request is made."""
    cleaned = (value or "").strip().upper()
    try:
        NCT_ID_VALIDATOR(cleaned)
    except Exception:
        raise ValidationError(
            f"{value!r} is not an NCT id (NCT followed by 8 digits, e.g. NCT05552976).", field="registry_id"
        ) from None
    return cleaned


class CtgovError(Exception):
    """A request to ClinicalTrials.gov failed. ``str()`` is "<studies asked for>: <what went wrong>".

    ``transient`` is true when asking again later may work (the API was unreachable, overloaded or rate-limiting);
    ``status`` is the HTTP status, when there was an answer.
    """

    def __init__(self, what: str, problem: str, *, transient: bool = False, status: int | None = None):
        super().__init__(f"{what}: {problem}")
        self.what = what
        self.problem = problem
        self.transient = transient
        self.status = status


class CtgovNotFound(CtgovError):
    """The API has no study with this NCT id (HTTP 404)."""


class _Retry(Exception):
    """One failed attempt that may be retried: why, and how long the API asked us to wait (``None``: backoff)."""

    def __init__(self, problem: str, *, wait: float | None = None, status: int | None = None):
        super().__init__(problem)
        self.problem = problem
        self.wait = wait
        self.status = status


def _setting(name: str, default):
    return getattr(settings, name, default)


class CtgovClient:
    """ClinicalTrials.gov API v2. Arguments override the ``CTGOV_*`` settings; ``sleep`` and ``clock`` are
    ``time.sleep`` and ``time.monotonic`` unless a test passes its own. Not thread-safe (one client per job)."""

    def __init__(
        self,
        *,
        base_url: str | None = None,
        connect_timeout: float | None = None,
        read_timeout: float | None = None,
        max_attempts: int | None = None,
        backoff: float | None = None,
        backoff_max: float | None = None,
        retry_after_max: float | None = None,
        requests_per_minute: float | None = None,
        page_size: int | None = None,
        session: requests.Session | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ):
        pick = lambda value, name, default: _setting(name, default) if value is None else value  # noqa: E731
        self.base_url = pick(base_url, "CTGOV_API_BASE_URL", DEFAULT_BASE_URL).rstrip("/")
        self.timeout = (float(pick(connect_timeout, "CTGOV_CONNECT_TIMEOUT_SECONDS", 5)),
                        float(pick(read_timeout, "CTGOV_READ_TIMEOUT_SECONDS", 30)))
        self.max_attempts = max(1, int(pick(max_attempts, "CTGOV_MAX_ATTEMPTS", 4)))
        self.backoff = float(pick(backoff, "CTGOV_BACKOFF_SECONDS", 2))
        self.backoff_max = float(pick(backoff_max, "CTGOV_BACKOFF_MAX_SECONDS", 60))
        self.retry_after_max = float(pick(retry_after_max, "CTGOV_RETRY_AFTER_MAX_SECONDS", 120))
        rpm = float(pick(requests_per_minute, "CTGOV_REQUESTS_PER_MINUTE", 50))
        self.interval = 60.0 / rpm if rpm > 0 else 0.0
        self.page_size = min(1000, max(1, int(pick(page_size, "CTGOV_PAGE_SIZE", 100))))
        self.session = session or requests.Session()
        self.session.headers.setdefault("User-Agent", USER_AGENT)
        self.session.headers["Accept"] = "application/json"
        self.sleep = sleep
        self.clock = clock
        self._last_request_at: float | None = None
        self.requests_made = 0

    # --- the API ---------------------------------------------------------------------------------------------------

    def study(self, nct_id: str) -> dict:
        """``GET /studies/{nct_id}``: one study record (an object with ``protocolSection``).
        Errors: ValidationError for a malformed id (no request made); CtgovNotFound; CtgovError."""
        nct_id = nct_id_clean(nct_id)
        data = self._get_json(f"/studies/{nct_id}", {"format": "json"}, what=nct_id)
        if not isinstance(data, dict) or not isinstance(data.get("protocolSection"), dict):
            raise CtgovError(nct_id, "ClinicalTrials.gov sent JSON that is not a study record (no protocolSection)")
        return data

    def studies(self, nct_ids: Sequence[str]) -> Iterator[dict]:
        """``GET /studies?filter.ids=...``: the study records of ``nct_ids``, page after page (``pageToken``).

        Studies the API does not know are simply absent. Every id is checked before the first request. Errors:
        ValidationError; CtgovError naming the ids asked for and, past the first, the page that failed.
        """
        ids = list(dict.fromkeys(nct_id_clean(i) for i in nct_ids))
        if not ids:
            return
        what = ", ".join(ids)
        params = {"filter.ids": ",".join(ids), "pageSize": self.page_size, "format": "json"}
        seen_tokens: set[str] = set()
        page = 1
        while True:
            where = what if page == 1 else f"{what} (page {page})"
            data = self._get_json("/studies", params, what=where)
            if not isinstance(data, dict) or not isinstance(data.get("studies"), list):
                raise CtgovError(where, "ClinicalTrials.gov sent JSON that is not a list of studies (no 'studies')")
            for study in data["studies"]:
                if not isinstance(study, dict) or not isinstance(study.get("protocolSection"), dict):
                    raise CtgovError(where, "ClinicalTrials.gov sent a study that is not a study record (no protocolSection)")
                yield study
            token = data.get("nextPageToken")
            if not token:
                return
            if not isinstance(token, str) or token in seen_tokens:
                raise CtgovError(where, f"ClinicalTrials.gov sent a page token it already sent ({str(token)[:40]!r}); stopped paging")
            seen_tokens.add(token)
            params = {**params, "pageToken": token}
            page += 1

    # --- one request, retried --------------------------------------------------------------------------------------

    def _get_json(self, path: str, params: dict, *, what: str) -> object:
        """GET ``path`` and parse the JSON, retrying what may pass (see the module docstring)."""
        url = self.base_url + path
        for attempt in range(1, self.max_attempts + 1):
            try:
                return self._attempt(url, params, what=what)
            except _Retry as retry:
                if attempt == self.max_attempts:
                    raise CtgovError(what, f"{retry.problem}; gave up after {attempt} attempts",
                                     transient=True, status=retry.status) from None
                wait = retry.wait if retry.wait is not None else self._backoff(attempt)
                logger.warning("ClinicalTrials.gov %s, attempt %d of %d: %s; retrying in %.1f s",
                               what, attempt, self.max_attempts, retry.problem, wait)
                self.sleep(wait)
        raise AssertionError("unreachable")  # pragma: no cover

    def _backoff(self, attempt: int) -> float:
        base = min(self.backoff_max, self.backoff * 2 ** (attempt - 1))
        return base * random.uniform(0.5, 1.0)  # jitter: workers that failed together do not retry together

    def _throttle(self) -> None:
        if self.interval and self._last_request_at is not None:
            wait = self._last_request_at + self.interval - self.clock()
            if wait > 0:
                self.sleep(wait)
        self._last_request_at = self.clock()

    def _attempt(self, url: str, params: dict, *, what: str) -> object:
        self._throttle()
        self.requests_made += 1
        try:
            response = self.session.get(url, params=params, timeout=self.timeout)
        except requests.Timeout:
            raise _Retry(f"ClinicalTrials.gov did not answer within {self.timeout[1]:g} s (timeout)") from None
        except requests.exceptions.ChunkedEncodingError as exc:
            raise _Retry(f"ClinicalTrials.gov's response was cut off in transfer ({_reason(exc)})") from None
        except requests.ConnectionError as exc:
            raise _Retry(f"the connection to ClinicalTrials.gov at {self.base_url} failed ({_reason(exc)})") from None
        except requests.RequestException as exc:
            raise CtgovError(what, f"the request to ClinicalTrials.gov failed: {_reason(exc)}") from None
        status = response.status_code
        if status == 429:
            wait = _retry_after(response.headers.get("Retry-After"))
            if wait is not None and wait > self.retry_after_max:
                raise CtgovError(
                    what,
                    f"ClinicalTrials.gov is rate-limiting requests (HTTP 429) and asked to wait {wait:g} s, longer "
                    f"than the {self.retry_after_max:g} s allowed (CTGOV_RETRY_AFTER_MAX_SECONDS); try again later",
                    transient=True, status=429,
                )
            raise _Retry("ClinicalTrials.gov is rate-limiting requests (HTTP 429)", wait=wait, status=429)
        if status >= 500:
            raise _Retry(f"ClinicalTrials.gov answered HTTP {status} {response.reason or ''}".rstrip(), status=status)
        if status == 404:
            raise CtgovNotFound(what, "ClinicalTrials.gov has no such study (HTTP 404)", status=404)
        if status >= 400:
            detail = " ".join(response.text.split())[:200]
            raise CtgovError(what, f"ClinicalTrials.gov refused the request: HTTP {status} {response.reason or ''}"
                             f"{': ' + detail if detail else ''}".rstrip(), status=status)
        if status != 200:
            raise CtgovError(what, f"ClinicalTrials.gov answered HTTP {status} where a study record was expected",
                             status=status)
        return _parse_json(response.content, what=what)


def _reason(exc: Exception) -> str:
    """The innermost reason of a requests/urllib3 error, short: "Connection refused", "Remote end closed connection
    without response", "IncompleteRead(200 bytes read, 6549 more expected)"."""
    text = str(exc)
    for pattern in (r"\[Errno -?\d+\] ([^'\")\]]+)", r"RemoteDisconnected\('([^']+)'", r"(IncompleteRead\([^)]*\))"):
        found = re.search(pattern, text)
        if found:
            return found.group(1).strip()
    return " ".join(text.split())[:200]


def _retry_after(value: str | None) -> float | None:
    """``Retry-After`` as seconds: a number of seconds or an HTTP date; ``None`` when absent or unreadable."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        return None
    return max(0.0, (when - timezone.now()).total_seconds())


def _parse_json(content: bytes, *, what: str) -> object:
    if not content.strip():
        raise CtgovError(what, "ClinicalTrials.gov sent an empty response where JSON was expected")
    try:
        text = content.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise CtgovError(what, f"ClinicalTrials.gov sent a response that is not UTF-8 (byte {exc.start})") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        if exc.pos >= len(text.rstrip()) or exc.msg.startswith("Unterminated string"):
            raise CtgovError(
                what, f"ClinicalTrials.gov sent truncated JSON: it stops after {len(content)} bytes, in the middle "
                f"of the document ({exc.msg} at line {exc.lineno} column {exc.colno})",
            ) from None
        raise CtgovError(
            what, f"ClinicalTrials.gov sent malformed JSON: {exc.msg} at line {exc.lineno} column {exc.colno}"
        ) from None
