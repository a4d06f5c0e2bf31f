"""The question page of a multiple-choice question: the community forecast per option (a horizontal bar chart and
the same numbers as a table), the viewer's own forecast beside it, and the community's history per option.

``choice_page_context`` is merged last into the question page's context (``forecasting.questions.pages``), so its
``has_chart`` replaces the binary/numeric history chart, which has nothing to draw for this type.
"""
from __future__ import annotations

import math

from forecasting.forecasts.choice import choice_leader
from markets.models import Question


def _finite(p) -> float | None:
    return float(p) if isinstance(p, (int, float)) and math.isfinite(p) else None


def _percent(p: float | None) -> str:
    if p is None:
        return "–"
    return f"{p * 100:.1f}".rstrip("0").rstrip(".") + "%"


def choice_page_context(*, question: Question, community, current, series: list[dict]) -> dict:
    """Context keys: ``choice`` (rows per option with the community's and the viewer's probability, the leading
    option, the chart data) and ``has_chart`` False. Empty for other question types. No query: ``community`` is
    the latest point, ``current`` the viewer's current forecast, ``series`` the page's community series rows."""
    if not question.is_multiple_choice:
        return {}
    options = list(question.options or [])
    crowd = community.probabilities if community is not None and community.forecaster_count else None
    mine = current.probabilities if current is not None and not current.is_withdrawal else None
    rows = []
    for i, label in enumerate(options):
        c = _finite(crowd[i]) if crowd and len(crowd) == len(options) else None
        m = _finite(mine[i]) if mine and len(mine) == len(options) else None
        rows.append({"index": i, "label": label, "community": c, "community_text": _percent(c),
                     "mine": m, "mine_text": _percent(m) if m is not None else ""})
    history = [
        {"t": row["created_at"], "p": [_finite(p) for p in row["probabilities"]]}
        for row in series if row.get("probabilities") and len(row["probabilities"]) == len(options)
    ]
    lead = choice_leader(options, crowd)
    return {
        "has_chart": False,
        "choice": {
            "rows": rows,
            "leader": {"label": lead[0], "text": _percent(lead[1])} if lead else None,
            "has_mine": mine is not None,
            "chart": {
                "labels": options,
                "community": [r["community"] for r in rows] if crowd else None,
                "mine": [r["mine"] for r in rows] if mine is not None else None,
                "history": history,
                "outcome": int(question.outcome) if question.outcome is not None
                and question.status == Question.Status.RESOLVED else None,
            },
        },
    }
