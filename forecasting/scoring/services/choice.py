"""Scoring a resolved multiple-choice question (docs/scoring.md, "Multiple-choice questions").

Called by ``question_score`` (``forecasting.scoring.services.scoring``) inside its transaction with the rows it
loaded; returns the Score rows and calibration weights it writes. The maths is ``forecasting.maths.scoring.choice``:
multi-category Brier (0..2) time-averaged over W_u, relative to the community, baseline and peer log scores on the
chosen option's probability. Calibration counts every option's probability as its own prediction "this option
happens" (outcome 1 for the chosen option, 0 for the others), weighted by the forecast's active fraction of |W|.
"""
from __future__ import annotations

import numpy as np

from forecasting.maths import scoring as sm
from forecasting.scoring.models import Score

Subject = Score.Subject

# ForecastScore columns of a multiple-choice calibration row: one per forecast interval and option.
CHOICE_WEIGHT_FIELDS = ["question", "subject", "forecast", "user", "probability", "active_fraction", "outcome",
                        "option"]


def _vectors(values: list, rows, k: int) -> np.ndarray:
    """(len(rows), K) array of the stored probability lists of the given rows (NaN rows for missing values)."""
    out = np.full((len(rows), k), np.nan)
    for j, i in enumerate(rows):
        v = values[i]
        if v is not None and len(v) == k:
            out[j] = v
    return out


def _option_rows(question_id, subject, user_ids, vectors, fractions, chosen: int) -> list[tuple]:
    k = vectors.shape[1]
    outcome = [int(j == chosen) for j in range(k)]
    return [
        (question_id, subject, None, uid, p, w, outcome[j], j)
        for uid, vector, w in zip(user_ids, vectors.tolist(), fractions.tolist())
        for j, p in enumerate(vector)
    ]


def score_choice_question(question, rows, points, market, t0, te, now, timings, *, intervals, forecaster_scores,
                          series_score, market_score):
    """(score rows, calibration weight rows) of a resolved multiple-choice question.

    ``rows`` are the question's forecast rows (``_Rows``, ``cdf_blobs`` holding each row's probability list),
    ``points`` the community points as (created_at, median, extremized, cdf, probabilities), ``market`` the
    market's price series or None. The helpers are ``question_score``'s own (intervals, Score-row builders), passed
    in so this module needs nothing from it at import time.
    """
    k = len(question.options or [])
    chosen = int(round(question.outcome))
    if not 0 <= chosen < k:
        raise ValueError(f"outcome: a multiple-choice question resolves to an option index 0 to {k - 1}, "
                         f"got {question.outcome!r}")
    users, iv, counts = intervals(rows, t0, te)
    timings.forecasters, timings.forecasts = int(users.size), int(rows.pk.size)
    c_times = np.fromiter((p[0].timestamp() for p in points), dtype=np.float64, count=len(points))
    c_values = _vectors([p[4] for p in points], range(len(points)), k)
    p = _vectors(rows.cdf_blobs, iv.row.tolist(), k)
    result = sm.score_choice(
        iv.forecaster, iv.start, iv.end, p, outcome=chosen, t0=t0, te=te, community_times=c_times,
        community_values=c_values, n_forecasters=users.size, check_overlap=False,
    )
    scores = forecaster_scores(question, users, counts, result, now)
    community = dict(community_times=c_times, community_values=c_values)
    scores.append(series_score(question, Subject.COMMUNITY_MEDIAN, sm.score_choice_series(
        c_times, c_values, outcome=chosen, t0=t0, te=te, **community), points=int((c_times < te).sum()), now=now))
    if market is not None and len(market.times):
        m_times = np.fromiter((t.timestamp() for t in market.times), dtype=np.float64, count=len(market.times))
        scores += market_score(question, timings, now=now, points=int((m_times < te).sum()), series=lambda: (
            sm.score_choice_series(m_times, sm.market_choice_probabilities(market.prices), outcome=chosen, t0=t0,
                                   te=te, **community)))

    span = te - t0
    weights = _option_rows(question.pk, str(Subject.FORECASTER), users[iv.forecaster].tolist(), p,
                           iv.seconds / span, chosen)
    if c_times.size:
        start = np.clip(c_times, t0, te)
        end = np.clip(np.append(c_times[1:], te), t0, te)
        keep = ~np.isnan(c_values).any(axis=1) & (end > start)
        weights += _option_rows(question.pk, str(Subject.COMMUNITY_MEDIAN), [None] * int(keep.sum()),
                                c_values[keep], (end - start)[keep] / span, chosen)
    return scores, weights
