"""markets.date_axis: dates <-> POSIX seconds at 00:00 UTC, strict ISO parsing, wording; bucket labels in dates."""
import datetime as dt
import math

import pytest
from hypothesis import given, strategies as st

from markets import date_axis
from markets.buckets import date_bucket_labels

DAYS = st.dates(min_value=date_axis.MIN_DATE, max_value=date_axis.MAX_DATE)


@pytest.mark.parametrize("text, seconds", [
    ("1970-01-01", 0.0),
    ("2027-06-15", dt.datetime(2027, 6, 15, tzinfo=dt.timezone.utc).timestamp()),
    ("1900-01-01", dt.datetime(1900, 1, 1, tzinfo=dt.timezone.utc).timestamp()),
    (" 2027-12-31 ", dt.datetime(2027, 12, 31, tzinfo=dt.timezone.utc).timestamp()),
])
def test_an_iso_date_is_its_midnight_utc_in_posix_seconds(text, seconds):
    assert date_axis.parse_date(text) == seconds
    assert date_axis.is_midnight(seconds)


@pytest.mark.parametrize("raw, words", [
    ("2027-02-30", "is not a calendar date"),
    ("2027-6-1", "YYYY-MM-DD"),
    ("15/06/2027", "YYYY-MM-DD"),
    ("2027-06-15T00:00:00Z", "YYYY-MM-DD"),
    ("", "YYYY-MM-DD"),
    ("1899-12-31", "outside the dates allowed"),
    ("3000-01-01", "outside the dates allowed"),
    (None, "got null"),
    (float("nan"), "got a float"),
    (1812412800, "got a int"),
    (True, "got a bool"),
    (["2027-06-15"], "got a list"),
    ("2027-06-15\x00", "YYYY-MM-DD"),
    ("x" * 10_000, "YYYY-MM-DD"),
    (dt.datetime(2027, 6, 15, tzinfo=dt.timezone.utc), "not a date and time"),
])
def test_anything_but_a_strict_iso_date_in_range_is_refused_with_words(raw, words):
    with pytest.raises(date_axis.DateInputError) as exc:
        date_axis.parse_date(raw)
    assert words in exc.value.message
    assert len(exc.value.message) < 200  # long input is not echoed whole


@given(DAYS)
def test_dates_round_trip_exactly_through_seconds(day):
    seconds = date_axis.parse_date(day.isoformat())
    assert seconds == date_axis.date_to_seconds(day)
    assert date_axis.seconds_to_date(seconds) == day
    assert date_axis.iso(seconds) == day.isoformat()


@given(DAYS, st.floats(min_value=-43199.0, max_value=43199.0))
def test_an_instant_shows_as_its_nearest_date(day, offset):
    assert date_axis.seconds_to_date(date_axis.date_to_seconds(day) + offset) == day


def test_an_instant_maps_to_the_midnight_of_its_utc_date():
    paris = dt.timezone(dt.timedelta(hours=2))
    assert date_axis.instant_to_day_seconds(dt.datetime(2027, 6, 15, 1, 30, tzinfo=paris)) == \
        date_axis.parse_date("2027-06-14")
    assert date_axis.instant_to_day_seconds(dt.datetime(2027, 6, 15, 23, 59, tzinfo=dt.timezone.utc)) == \
        date_axis.parse_date("2027-06-15")
    with pytest.raises(ValueError):
        date_axis.instant_to_day_seconds(dt.datetime(2027, 6, 15))


def test_wording_of_days_and_ranges():
    d = date_axis.parse_date
    assert date_axis.format_day(d("2027-06-05")) == "5 Jun 2027"
    assert date_axis.format_day_range(d("2027-04-02"), d("2027-09-30")) == "2 Apr – 30 Sep 2027"
    assert date_axis.format_day_range(d("2026-12-02"), d("2027-09-30")) == "2 Dec 2026 – 30 Sep 2027"
    assert date_axis.format_day(None) == "" and date_axis.format_day(math.inf) == "" and date_axis.iso(math.nan) is None


def test_bucket_labels_of_a_date_market_are_date_ranges():
    lo, hi = date_axis.parse_date("2027-01-01"), date_axis.parse_date("2027-12-31")
    labels = date_bucket_labels(K=4, range_min=lo, range_max=hi)
    # Edges every 91 days: 2 Apr, 2 Jul, 1 Oct 2027.
    assert labels == ["by 2 Apr 2027", "2 Apr – 2 Jul 2027", "2 Jul – 1 Oct 2027", "after 1 Oct 2027"]
