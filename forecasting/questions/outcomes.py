"""What a question resolved to, in words. The question page's outcome panel, the rows of the question list, the home
page and the asset and trial pages, and the API's ``resolution`` object all take their wording from here, so they
always agree; so do the question page's outcome panel scores and its sidebar's state and timing. Pure functions
of a question's fields and of rows already read: no queries (the evidence is read by
``selectors.question_resolution``, the scores by ``selectors_scoring.question_scores``).
"""
from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING

from forecasting.scoring.models import ScoreSubject
from markets import date_axis
from markets.choices import option_label
from markets.models import Question

if TYPE_CHECKING:
    from forecasting.scoring.selectors import QuestionScores

S = Question.Status

# Resolution states as the pages and the API name them: the question's own status, except that an open or closed
# question halted by a readout that is already public counts as "pending" (the periodic close has not marked it
# yet; ``Question.closed_reason`` says the same).
PENDING, RESOLVED, ANNULLED = S.PENDING.value, S.RESOLVED.value, S.ANNULLED.value
RESOLUTION_STATES = [(PENDING, S.PENDING.label), (RESOLVED, S.RESOLVED.label), (ANNULLED, S.ANNULLED.label)]


def answer_pending(question: Question, *, at: dt.datetime) -> bool:
    """Whether the answer is pending: a readout bound to the question was entered and is public, and staff have not
    yet confirmed or rejected it. A readout entered ahead of its embargo (``pending_since`` in the future) does not
    count until then, so nothing on a page or in the API hints that staff already hold the result."""
    if question.status == S.PENDING:
        return True
    return (
        question.status in (S.OPEN, S.CLOSED) and question.pending_since is not None and question.pending_since <= at
    )


def resolution_state(question: Question, *, at: dt.datetime) -> str | None:
    """"resolved", "annulled", "pending" (``answer_pending``), or None for a question still waiting for its answer
    (draft, open, closed)."""
    if question.status in (S.RESOLVED, S.ANNULLED):
        return question.status
    return PENDING if answer_pending(question, at=at) else None


def format_outcome_value(x: float) -> str:
    """A numeric outcome as entered, to six significant figures, without float noise or exponents: 0.26 -> "0.26",
    15.75 -> "15.75", 12000 -> "12,000", 1e-05 -> "0.00001", -0.0 -> "0"."""
    if not math.isfinite(x):  # outcomes are validated finite; never print "nan" if an old row is not
        return "–"
    text = format(Decimal(f"{x:.6g}"), ",f")
    return "0" if text.strip("-0.,") == "" else text


def with_unit(text: str, unit: str) -> str:
    """ "0.26" + "hazard ratio" -> "0.26 hazard ratio"; "45" + "%" -> "45%"."""
    if not unit:
        return text
    return f"{text}{unit}" if unit.startswith("%") else f"{text} {unit}"


def outcome_display(question: Question, *, at: dt.datetime) -> str:
    """What the question resolved to, in a word or a value: "Yes", "No", "0.26 hazard ratio", "Annulled", "Answer
    pending"; "" while there is no answer yet."""
    state = resolution_state(question, at=at)
    if state == RESOLVED:
        if question.outcome is None:
            return "Resolved"
        if question.is_multiple_choice:
            return option_label(question.options, question.outcome)
        if question.is_binary:
            return "Yes" if question.outcome >= 0.5 else "No"
        if question.is_date:
            return date_axis.format_day(question.outcome)
        return with_unit(format_outcome_value(question.outcome), question.unit)
    if state == ANNULLED:
        return "Annulled"
    if state == PENDING:
        return S.PENDING.label
    return ""


def format_moment(moment: dt.datetime | None) -> str:
    """"3 Dec 2026, 14:00 UTC" (the question page's times are all in UTC, whatever the active time zone)."""
    if moment is None:
        return ""
    utc = moment.astimezone(dt.timezone.utc)
    return f"{utc.day} {utc:%b %Y, %H:%M} UTC"


@dataclass(frozen=True)
class Resolution:
    """A question's answer and its evidence (the API's ``resolution`` object, the question page's outcome panel).

    Resolved and annulled: ``outcome`` (1.0 / 0.0 for binary, the value in the question's unit for numeric; None when
    annulled), ``known_at`` (when the answer became public), ``resolved_at``, and the ``source``, ``url`` and
    ``note`` of the latest resolve, confirm or annul event (for an annulment the note is the reason). Pending:
    ``pending_since`` and the ``source`` and ``url`` of the readout that halted the question.
    """

    status: str
    outcome: float | None
    outcome_display: str
    known_at: dt.datetime | None
    resolved_at: dt.datetime | None
    source: str
    url: str
    note: str
    pending_since: dt.datetime | None

    @property
    def is_resolved(self) -> bool:
        return self.status == RESOLVED

    @property
    def is_annulled(self) -> bool:
        return self.status == ANNULLED

    @property
    def is_pending(self) -> bool:
        return self.status == PENDING


def resolution_of(question: Question, *, at: dt.datetime, source: str = "", url: str = "", note: str = "") -> Resolution | None:
    """The question's Resolution from its own fields and the evidence given (None while there is no answer)."""
    state = resolution_state(question, at=at)
    if state is None:
        return None
    pending = state == PENDING
    return Resolution(
        status=state,
        outcome=question.outcome if state == RESOLVED else None,
        outcome_display=outcome_display(question, at=at),
        known_at=None if pending else question.known_at,
        resolved_at=None if pending else question.resolved_at,
        source=source or "",
        url=url or "",
        note="" if pending else (note or ""),
        pending_since=question.pending_since if pending else None,
    )


# ----------------------------------------------------------------------------------------------------------------
# The question page: how the aggregates did (outcome panel), where the question stands (sidebar)
# ----------------------------------------------------------------------------------------------------------------
# Each aggregate's name in the panel's table and in its verdict sentence.
AGGREGATE_NAMES = {
    ScoreSubject.COMMUNITY_MEDIAN: ("Crowd (community median)", "the crowd (community median)"),
    ScoreSubject.COMMUNITY_EXTREMIZED: ("Extremized aggregate", "the extremized aggregate"),
    ScoreSubject.MARKET: ("Market", "the market"),
}


@dataclass
class AggregateResult:
    name: str
    phrase: str
    loss: float | None
    loss_text: str  # "0.042", or "–" when it had no forecast inside the window
    best: bool = False


@dataclass
class OutcomeScores:
    """How the crowd (median), the extremized aggregate and the market did on a resolved question, for the outcome
    panel. ``scored`` is False while the scores are being computed (the panel says so)."""

    scored: bool
    metric: str  # "Brier score" or "unit CRPS"
    rows: list[AggregateResult]
    verdict: str = ""  # "Most accurate: the market." / "Equally accurate: ..." / "" (nothing to compare)


def outcome_scores(question: Question, scores: QuestionScores | None) -> OutcomeScores:
    """``scores`` from ``forecasting.scoring.selectors.question_scores`` (None until the question is scored). The
    aggregates are compared by their time-averaged loss (lower is better); equal losses tie."""
    metric = ("Brier score" if question.is_binary else "multi-category Brier score (0-2)"
              if question.is_multiple_choice else "unit CRPS")
    if scores is None:
        return OutcomeScores(scored=False, metric=metric, rows=[])
    rows = []
    for score in scores.aggregates:
        name, phrase = AGGREGATE_NAMES.get(score.subject, (score.get_subject_display(), score.get_subject_display()))
        loss = score.loss if score.loss is not None and math.isfinite(score.loss) else None
        rows.append(AggregateResult(name, phrase, loss, "–" if loss is None else f"{loss:.3f}"))
    losses = [row.loss for row in rows if row.loss is not None]
    if len(losses) < 2:  # nothing to compare
        return OutcomeScores(scored=True, metric=metric, rows=rows)
    best = min(losses)
    winners = [row for row in rows if row.loss is not None and math.isclose(row.loss, best, rel_tol=1e-9, abs_tol=1e-12)]
    for row in winners:
        row.best = True
    if len(winners) == 1:
        verdict = f"Most accurate: {winners[0].phrase}."
    else:
        verdict = f"Equally accurate: {' and '.join(row.phrase for row in winners)}."
    return OutcomeScores(scored=True, metric=metric, rows=rows, verdict=verdict)


def _early_public_moment(question: Question) -> bool:
    return question.public_at is not None and question.public_at < question.scheduled_close_time


def question_state_text(question: Question, resolution: Resolution | None, *, now: dt.datetime) -> str:
    """One sentence for the sidebar: where the question stands, for every status. Never "Closes ..." once forecasting
    has stopped."""
    when = format_moment
    if resolution is not None:
        if resolution.is_resolved:
            return f"Resolved: {resolution.outcome_display}."
        if resolution.is_annulled:
            return "Annulled: this question will not be scored."
        since = f" since {when(question.pending_since)}" if question.pending_since else ""
        return f"Answer pending{since}: forecasting and trading stopped."
    if question.status == S.DRAFT:
        return "Draft: not published yet."
    if question.status == S.OPEN and question.open_time > now:
        return f"Not yet open: forecasting opens {when(question.open_time)}."
    if question.accepts_forecasts(at=now):
        if _early_public_moment(question):
            return f"Open. Forecasting stops at the scheduled public moment, {when(question.public_at)}."
        return f"Open. Closes {when(question.scheduled_close_time)}."
    return "Closed: forecasting has ended; the answer is awaited."


def question_timing(question: Question, resolution: Resolution | None, *, now: dt.datetime) -> list[tuple[str, str]]:
    """The sidebar's timing facts as (label, "3 Dec 2026, 14:00 UTC") pairs, by state: when forecasting opens and
    stops (the scheduled public moment when it comes before the close), and once stopped, when it did, when the
    answer became public and when it was resolved or annulled."""
    when = format_moment
    ends = question.forecasting_ends_at
    rows = [("Opens" if question.open_time > now else "Opened", when(question.open_time))]
    if resolution is not None and not resolution.is_pending:
        rows.append(("Forecasting closed", when(question.actual_close_time or ends)))
        if resolution.is_resolved and question.known_at:
            rows.append(("Answer public since", when(question.known_at)))
        if question.resolved_at:
            rows.append(("Resolved" if resolution.is_resolved else "Annulled", when(question.resolved_at)))
    elif resolution is not None:  # answer pending
        stopped = min(ends, question.pending_since) if question.pending_since else ends
        rows.append(("Forecasting stopped", when(stopped)))
        if question.pending_since:
            rows.append(("Answer pending since", when(question.pending_since)))
    elif ends <= now:
        moment = ", the scheduled public moment" if _early_public_moment(question) else ""
        rows.append(("Forecasting closed", when(ends) + moment))
    elif question.status == S.CLOSED:  # closed by staff before its time
        rows.append(("Scheduled close", when(question.scheduled_close_time)))
    elif _early_public_moment(question):
        rows.append(("Forecasting stops", f"{when(question.public_at)}, the scheduled public moment"))
        rows.append(("Scheduled close", when(question.scheduled_close_time)))
    else:
        rows.append(("Closes", when(question.scheduled_close_time)))
        if question.public_at is not None:
            rows.append(("Scheduled public moment", when(question.public_at)))
    return rows
