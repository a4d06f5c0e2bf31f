"""How the pages word date questions (markets.date_axis): community forecasts, forecasts, ranges and outcomes in
dates, "median 12 Jun 2027, 80% between 2 Apr and 30 Sep 2027"."""
from markets import date_axis
from markets.models import Question

BEYOND_WORDS = {"below": "on or before", "above": "on or after"}


def format_date_quantile(seconds: float | None, beyond: str | None) -> str:
    """A reported quantile as a date: "12 Jun 2027", or at an open bound "on or after 31 Dec 2027"."""
    text = date_axis.format_day(seconds)
    return f"{BEYOND_WORDS[beyond]} {text}" if text and beyond else text


def date_between(low: float, low_beyond: str | None, high: float, high_beyond: str | None) -> str:
    """"between 2 Apr and 30 Sep 2027" (the year once when both share it), or "on or after ..." at open bounds."""
    a, b = date_axis.seconds_to_date(low), date_axis.seconds_to_date(high)
    left = date_axis.format_day(low, year=a.year != b.year or bool(high_beyond))
    if low_beyond:
        left = f"{BEYOND_WORDS[low_beyond]} {date_axis.format_day(low)}"
    right = format_date_quantile(high, high_beyond)
    return f"between {left} and {right}"


def date_community_text(q: dict) -> tuple[str, str]:
    """(median, detail) of a community forecast's reported quantiles (``selectors.community_quantiles``)."""
    median = format_date_quantile(q["q50"], q["q50_beyond"])
    if q["q10"] is None or q["q90"] is None:
        return median, ""
    return median, f"80% {date_between(q['q10'], q['q10_beyond'], q['q90'], q['q90_beyond'])}"


def date_forecast_text(quantiles: dict) -> str:
    """A forecast typed as dates: "12 Jun 2027 (2 Apr – 30 Sep 2027)"; "" when the input has no 10/50/90 dates."""
    try:
        low, median, high = (date_axis.parse_date(quantiles.get(k)) for k in ("0.1", "0.5", "0.9"))
    except date_axis.DateInputError:
        return ""
    return f"{date_axis.format_day(median)} ({date_axis.format_day_range(low, high)})"


def date_range_text(question: Question) -> str:
    """"1 Jan 2027 to 31 Dec 2027" for the forms' help."""
    return f"{date_axis.format_day(question.range_min)} to {date_axis.format_day(question.range_max)}"


def date_detail_context(question: Question, quantiles: dict) -> dict:
    """What the question page shows in dates instead of numbers: the range ends, the community's 10/50/90%
    quantiles (with "on or after" at an open bound) and the sentence under them."""
    context = {
        "range_min_text": date_axis.format_day(question.range_min),
        "range_max_text": date_axis.format_day(question.range_max),
        "range_min_iso": date_axis.iso(question.range_min),
        "range_max_iso": date_axis.iso(question.range_max),
    }
    if quantiles and quantiles.get("q50") is not None:
        for name in ("q10", "q50", "q90"):
            context[f"community_{name}"] = format_date_quantile(quantiles[name], quantiles[f"{name}_beyond"])
        if not (quantiles["q10_beyond"] or quantiles["q90_beyond"]):
            context["community_date_range"] = date_axis.format_day_range(quantiles["q10"], quantiles["q90"])
        median, detail = date_community_text(quantiles)
        context["community_date_sentence"] = f"Median {median}, {detail}." if detail else f"Median {median}."
    return context
