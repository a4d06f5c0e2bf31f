"""Replays: the community series of a question from its events, in full or incrementally."""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

from .active_set import ActiveSet, _check_kind
from .binary import binary_extremized, binary_median
from .numeric import numeric_mean
from .weights import DEFAULT_EXTREMIZATION, Kind


# Replays
# --------------------------------------------------------------------------------------------------------------
Event = tuple[Any, int, Any]


def _check_event_order(events: Sequence[Event]) -> None:
    for i in range(1, len(events)):
        if events[i][0] < events[i - 1][0]:
            raise ValueError(f"events must be in time order: event {i} is earlier than event {i - 1}")


def replay(events: Iterable[Event], kind: Kind, *, a: float = DEFAULT_EXTREMIZATION) -> list[tuple[Any, Any]]:
    """Recompute the community forecast from scratch after every event (the test oracle, and for small rebuilds).

    ``events`` are (time, forecaster_id, value) in time order (equal times keep their given order); value None is
    a withdrawal (a no-op for a forecaster without an active forecast). After each event the latest active
    forecasts are ordered by the time they were made and aggregated with ``binary_median``/``binary_extremized``
    (result ``(median, extremized)``) or ``numeric_mean`` (result: a (201,) CDF); the result is None when nobody
    has an active forecast. Returns [(time, result), ...], one entry per event.

    Cost O(E * N log N); ``replay_incremental`` gives identical results in O(E * N) for large rebuilds.
    Raises ValueError for an unknown kind or events out of time order.
    """
    _check_kind(kind)
    events = list(events)
    _check_event_order(events)
    latest: dict[int, tuple[Any, int, Any]] = {}  # forecaster -> (time, event index, value)
    out: list[tuple[Any, Any]] = []
    for seq, (time, fid, value) in enumerate(events):
        if value is None:
            latest.pop(int(fid), None)
        else:
            latest[int(fid)] = (time, seq, value)
        if not latest:
            out.append((time, None))
            continue
        active = sorted(latest.values(), key=lambda e: (e[0], e[1]))
        if kind == "binary":
            vals = np.array([float(e[2]) for e in active], dtype=np.float64)
            out.append((time, (binary_median(vals), binary_extremized(vals, a))))
        else:
            cdfs = np.array([np.asarray(e[2], dtype=np.float64) for e in active], dtype=np.float64)
            out.append((time, numeric_mean(cdfs)))
    return out


def replay_incremental(events: Iterable[Event], kind: Kind, *,
                       a: float = DEFAULT_EXTREMIZATION) -> list[tuple[Any, Any]]:
    """Same contract and results as ``replay``, computed with one ``ActiveSet`` (O(N) per event)."""
    _check_kind(kind)
    events = list(events)
    _check_event_order(events)
    active = ActiveSet(kind)
    out: list[tuple[Any, Any]] = []
    for time, fid, value in events:
        if value is None:
            active.remove(int(fid))
        else:
            active.upsert(int(fid), value)
        out.append((time, active.binary_aggregates(a) if kind == "binary" else active.numeric_aggregate()))
    return out
