"""The community forecast (SCORING.md section 4): recency weights, weighted median, extremized log-odds mean,
mean of CDFs, and an incremental per-question set of active forecasts.

Pure maths: imports numpy and the standard library only, never Django.

Conventions used throughout:
- "oldest first": forecasts are ordered by the time the forecaster's latest active forecast was made, index
  n = 1 (oldest) ... N (newest). Recency weights are w_n = exp(sqrt(n) - sqrt(N)), all ones when N <= 2.
- Binary values are probabilities strictly inside (0, 1) (the API accepts [0.001, 0.999]).
- Numeric values are CDFs on the 201-point unit grid (see ``forecasting.maths.cdf``).
- Ties among equal values in the weighted median are broken by the stable order: equal values keep their
  oldest-first order. The median itself does not depend on that choice (equal values are equal); fixing it only
  makes the floating-point running sum, and therefore the result, bit-for-bit reproducible.
"""
from __future__ import annotations

import math
import struct
from collections.abc import Iterable, Sequence
from functools import lru_cache
from typing import Any, Literal

import numpy as np

from .cdf import GRID_SIZE

__all__ = [
    "DEFAULT_EXTREMIZATION",
    "MEDIAN_RTOL",
    "ActiveSet",
    "binary_extremized",
    "binary_median",
    "numeric_mean",
    "recency_weights",
    "replay",
    "replay_incremental",
    "weighted_median",
]

Kind = Literal["binary", "numeric"]

DEFAULT_EXTREMIZATION = 1.5
MEDIAN_RTOL = 1e-9


# --------------------------------------------------------------------------------------------------------------
# Weights and aggregates
# --------------------------------------------------------------------------------------------------------------
@lru_cache(maxsize=256)
def _recency_weights_cached(n: int) -> np.ndarray:
    if n <= 2:
        w = np.ones(n, dtype=np.float64)
    else:
        k = np.arange(1, n + 1, dtype=np.float64)
        w = np.exp(np.sqrt(k) - math.sqrt(n))
    w.flags.writeable = False  # shared by every caller through the cache
    return w


def recency_weights(n: int) -> np.ndarray:
    """Recency weights for ``n`` forecasts ordered oldest first: w_k = exp(sqrt(k) - sqrt(n)), k = 1..n.

    All weights are 1 when n <= 2; the newest weight is always 1. Returns a read-only float64 array of shape (n,)
    (cached, so the caller must not modify it). Raises ValueError when n is negative or not an int.
    Weights of very old forecasts underflow to 0.0 only past n ~ 555,000 (sqrt(n) - 1 > 745), which is harmless.
    """
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)):
        raise ValueError(f"n must be an integer, got {n!r}")
    if n < 0:
        raise ValueError(f"n must be >= 0, got {n}")
    return _recency_weights_cached(int(n))


def _median_of_sorted(sorted_values: np.ndarray, sorted_weights: np.ndarray, rtol: float) -> float:
    """Weighted median of values already sorted ascending (SCORING.md section 4).

    S is taken as the last running sum, so that C_N == S holds exactly and the search always ends. The running
    sums never decrease, so the first C_i that is > S/2 or within ``rtol`` of S/2 is found by binary search: it is
    the first C_i >= S/2 * (1 - rtol).
    """
    c = np.cumsum(sorted_weights)
    half = float(c[-1]) / 2.0
    i = int(np.searchsorted(c, half * (1.0 - rtol), side="left"))
    while True:  # at most two rounds; the loop only guards against rounding in half * (1 - rtol)
        ci = float(c[i])
        # "C_i equals S/2 within relative tolerance rtol", relative to S/2 (math.isclose semantics).
        if abs(ci - half) <= rtol * max(ci, half):
            if i + 1 < c.shape[0]:
                return float((sorted_values[i] + sorted_values[i + 1]) / 2.0)
            return float(sorted_values[i])
        if ci > half:
            return float(sorted_values[i])
        i += 1


def weighted_median(values: Any, weights: Any, rtol: float = MEDIAN_RTOL) -> float:
    """Weighted median, exactly as SCORING.md section 4 defines it.

    Sort the values ascending with their weights (stable: equal values keep their input order), S = sum of weights,
    C_i = running sum. The result is v_i for the smallest i with C_i > S/2; if that first C_i reaching S/2 equals
    S/2 within relative tolerance ``rtol`` (|C_i - S/2| <= rtol * max(C_i, S/2)), the result is (v_i + v_{i+1})/2.
    With equal weights this is the ordinary median (``np.median``).

    Preconditions: 1-D, same length >= 1, finite values, finite non-negative weights with a positive sum.
    Raises ValueError otherwise.
    """
    v = np.asarray(values, dtype=np.float64)
    w = np.asarray(weights, dtype=np.float64)
    if v.ndim != 1 or w.ndim != 1 or v.shape != w.shape:
        raise ValueError(f"values and weights must be 1-D of the same length, got shapes {v.shape} and {w.shape}")
    if v.shape[0] == 0:
        raise ValueError("weighted_median needs at least one value")
    if not np.all(np.isfinite(v)):
        raise ValueError("values must be finite")
    if not np.all(np.isfinite(w)) or np.any(w < 0) or not w.sum() > 0:
        raise ValueError("weights must be finite, non-negative and have a positive sum")
    order = np.argsort(v, kind="stable")
    return _median_of_sorted(v[order], w[order], rtol)


def _logit(p: np.ndarray) -> np.ndarray:
    # One log instead of log(p) - log1p(-p): half the cost, and 1 - p loses nothing that matters for p in (0, 1).
    return np.log(p / (1.0 - p))


def _sigmoid(x: float) -> float:
    # Two branches so exp never overflows.
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    e = math.exp(x)
    return e / (1.0 + e)


def _check_probabilities(p: np.ndarray) -> None:
    if p.ndim != 1 or p.shape[0] == 0:
        raise ValueError(f"expected a non-empty 1-D array of probabilities, got shape {p.shape}")
    if not np.all((p > 0.0) & (p < 1.0)):  # also rejects NaN
        raise ValueError("probabilities must lie strictly between 0 and 1")


def _extremized_unchecked(p: np.ndarray, w: np.ndarray, a: float) -> float:
    z = float(np.dot(w, _logit(p))) / float(np.sum(w))
    return _sigmoid(a * z)


def binary_median(values_oldest_first: Any) -> float:
    """Community median: the recency-weighted median of the latest active probabilities, ordered oldest first.

    Raises ValueError on an empty input or values outside (0, 1).
    """
    p = np.asarray(values_oldest_first, dtype=np.float64)
    _check_probabilities(p)
    return weighted_median(p, recency_weights(p.shape[0]))


def binary_extremized(values_oldest_first: Any, a: float = DEFAULT_EXTREMIZATION) -> float:
    """Extremized recency-weighted mean of log-odds: sigmoid(a * sum(w_n logit p_n) / S).

    ``values_oldest_first`` are probabilities strictly inside (0, 1); ``a`` is the extremization factor
    (1 = plain log-odds mean; SCORING.md default 1.5). logit is computed as log(p / (1 - p)) and the sigmoid
    in the branch that cannot overflow. Raises ValueError on empty input, values outside (0, 1) or a bad ``a``.
    """
    if not (isinstance(a, (int, float)) and not isinstance(a, bool) and math.isfinite(a)):
        raise ValueError(f"extremization factor a must be a finite number, got {a!r}")
    p = np.asarray(values_oldest_first, dtype=np.float64)
    _check_probabilities(p)
    return _extremized_unchecked(p, recency_weights(p.shape[0]), float(a))


def numeric_mean(cdfs_oldest_first: Any) -> np.ndarray:
    """Recency-weighted mean of CDFs: sum(w_n * cdf_n) / S, shape (K,) for input of shape (N, K) (K = 201 here).

    A convex combination of valid CDFs is a valid CDF (steps and bounds are preserved up to rounding).
    Raises ValueError on an empty or non-2-D input or non-finite values.
    """
    c = np.asarray(cdfs_oldest_first, dtype=np.float64)
    if c.ndim != 2 or c.shape[0] == 0:
        raise ValueError(f"expected an (N, K) array of CDFs with N >= 1, got shape {c.shape}")
    if not np.all(np.isfinite(c)):
        raise ValueError("CDF values must be finite")
    return _numeric_mean_unchecked(c)


def _numeric_mean_unchecked(c: np.ndarray) -> np.ndarray:
    w = recency_weights(c.shape[0])
    return (w @ c) / float(np.sum(w))


# --------------------------------------------------------------------------------------------------------------
# Incremental active set
# --------------------------------------------------------------------------------------------------------------
_MAGIC = b"RDAS"
_VERSION = 1
_HEADER = struct.Struct("<4sBBHQ")  # magic, version, kind code, reserved, N  -> 16 bytes keeps arrays 8-aligned
_KIND_CODES = {"binary": 0, "numeric": 1}
_I8 = np.dtype("<i8")
_F8 = np.dtype("<f8")


def _check_kind(kind: str) -> None:
    if kind not in _KIND_CODES:
        raise ValueError(f"kind must be 'binary' or 'numeric', got {kind!r}")


def _readonly(a: np.ndarray) -> np.ndarray:
    a.flags.writeable = False
    return a


class ActiveSet:
    """The latest active forecast of each forecaster on ONE question, oldest first.

    ``ids`` (int64, shape (N,)) and ``values`` (float64, shape (N,) for binary, (N, 201) for numeric) are kept in
    the order the forecasts were made; ``upsert`` moves a forecaster to the end (newest). For binary questions the
    set also keeps ``order``, the permutation that sorts ``values`` ascending (ties: older first), updated in O(N)
    vectorized steps per change, so the weighted median never needs an O(N log N) sort. All arrays are read-only
    to callers; every change builds new arrays.

    Costs per call at N forecasters: ``upsert``/``remove`` O(N) memory moves (O(201 N) for numeric), aggregates
    O(N). Binary at N = 10,000 runs a full load -> upsert -> both aggregates -> save cycle in roughly 0.1-0.2 ms
    (see benchmarks in docs/forecast-maths.md).
    """

    __slots__ = ("kind", "_ids", "_values", "_order")

    def __init__(self, kind: Kind, ids: Any = None, values: Any = None):
        """Build a set from time-ordered ``ids`` and ``values`` (oldest first), or an empty set.

        Raises ValueError for an unknown kind, mismatched shapes, duplicate ids, non-finite values, binary values
        outside (0, 1) or numeric rows that are not 201 long.
        """
        _check_kind(kind)
        self.kind: Kind = kind
        width = () if kind == "binary" else (GRID_SIZE,)
        if ids is None and values is None:
            self._ids = _readonly(np.empty(0, dtype=np.int64))
            self._values = _readonly(np.empty((0, *width), dtype=np.float64))
        else:
            ids_arr = np.array(ids, dtype=np.int64).reshape(-1)
            vals = np.array(values, dtype=np.float64)
            if vals.shape != (ids_arr.shape[0], *width):
                raise ValueError(f"values must have shape {(ids_arr.shape[0], *width)}, got {vals.shape}")
            if np.unique(ids_arr).shape[0] != ids_arr.shape[0]:
                raise ValueError("ids must be unique: one latest forecast per forecaster")
            self._check_values(vals)
            self._ids = _readonly(ids_arr)
            self._values = _readonly(vals)
        self._order = None
        if kind == "binary":
            self._order = _readonly(np.argsort(self._values, kind="stable").astype(np.int64))

    # -- validation -----------------------------------------------------------------------------------------
    def _check_values(self, vals: np.ndarray) -> None:
        if not np.all(np.isfinite(vals)):
            raise ValueError("forecast values must be finite")
        if self.kind == "binary" and not np.all((vals > 0.0) & (vals < 1.0)):
            raise ValueError("binary forecast values must lie strictly between 0 and 1")

    def _coerce_value(self, value: Any) -> np.ndarray | float:
        if self.kind == "binary":
            if isinstance(value, bool) or not isinstance(value, (int, float, np.floating, np.integer)):
                raise ValueError(f"a binary forecast value must be a number, got {value!r}")
            v = float(value)
            if not (0.0 < v < 1.0):  # also rejects NaN
                raise ValueError(f"a binary forecast value must lie strictly between 0 and 1, got {v!r}")
            return v
        arr = np.asarray(value, dtype=np.float64)
        if arr.shape != (GRID_SIZE,):
            raise ValueError(f"a numeric forecast value must be a CDF of {GRID_SIZE} values, got shape {arr.shape}")
        if not np.all(np.isfinite(arr)):
            raise ValueError("a numeric forecast value must be finite")
        return arr

    # -- accessors ------------------------------------------------------------------------------------------
    @property
    def ids(self) -> np.ndarray:
        """Forecaster ids, oldest first (read-only int64 array)."""
        return self._ids

    @property
    def values(self) -> np.ndarray:
        """Latest active values, oldest first (read-only float64 array, (N,) or (N, 201))."""
        return self._values

    def __len__(self) -> int:
        return int(self._ids.shape[0])

    def __contains__(self, forecaster_id: object) -> bool:
        return bool(np.any(self._ids == forecaster_id))

    def __repr__(self) -> str:
        return f"ActiveSet(kind={self.kind!r}, n={len(self)})"

    # -- changes --------------------------------------------------------------------------------------------
    def _position(self, forecaster_id: int) -> int:
        hits = np.flatnonzero(self._ids == forecaster_id)
        return int(hits[0]) if hits.shape[0] else -1

    def _delete_at(self, j: int) -> None:
        self._ids = _readonly(np.concatenate((self._ids[:j], self._ids[j + 1:])))
        self._values = _readonly(np.concatenate((self._values[:j], self._values[j + 1:])))
        if self._order is not None:
            order = self._order
            k = int(np.flatnonzero(order == j)[0])
            order = np.concatenate((order[:k], order[k + 1:]))
            # Every entry made after j moves one place towards the oldest end.
            order -= order > j
            self._order = _readonly(order)

    def upsert(self, forecaster_id: int, value: Any) -> None:
        """Record ``value`` as ``forecaster_id``'s latest forecast, now the newest in the set.

        The forecaster's previous entry, if any, is removed first. ``value`` is a probability in (0, 1) (binary)
        or a 201-value CDF (numeric; validate it with ``cdf.validate_cdf`` before). Raises ValueError on bad input.
        """
        fid = int(forecaster_id)
        v = self._coerce_value(value)
        j = self._position(fid)
        if j >= 0:
            self._delete_at(j)
        n = self._ids.shape[0]
        if self._order is not None:
            # Insertion point after every value <= v ("right"): the newest entry goes after equal older values,
            # matching a stable sort. A scalar bisection through the permutation avoids gathering all N values.
            order, vals = self._order, self._values
            lo_, hi_ = 0, n
            while lo_ < hi_:
                mid = (lo_ + hi_) // 2
                if vals[order[mid]] <= v:
                    lo_ = mid + 1
                else:
                    hi_ = mid
            k = lo_
            self._order = _readonly(np.concatenate((self._order[:k], np.array([n], dtype=np.int64),
                                                    self._order[k:])))
        self._ids = _readonly(np.concatenate((self._ids, np.array([fid], dtype=np.int64))))
        new_row = np.asarray(v, dtype=np.float64).reshape((1, *self._values.shape[1:]))
        self._values = _readonly(np.concatenate((self._values, new_row)))

    def remove(self, forecaster_id: int) -> bool:
        """Withdraw ``forecaster_id``'s active forecast. Returns False (and changes nothing) if there was none."""
        j = self._position(int(forecaster_id))
        if j < 0:
            return False
        self._delete_at(j)
        return True

    # -- aggregates -----------------------------------------------------------------------------------------
    def binary_aggregates(self, a: float = DEFAULT_EXTREMIZATION) -> tuple[float, float] | None:
        """(recency-weighted median, extremized log-odds mean) of the active forecasts; None when the set is empty.

        Bit-for-bit equal to ``binary_median(values)`` and ``binary_extremized(values, a)``. Raises ValueError on a
        numeric set.
        """
        if self.kind != "binary":
            raise ValueError("binary_aggregates() needs a binary active set")
        n = len(self)
        if n == 0:
            return None
        w = recency_weights(n)
        median = _median_of_sorted(self._values[self._order], w[self._order], MEDIAN_RTOL)
        return median, _extremized_unchecked(self._values, w, float(a))

    def numeric_aggregate(self) -> np.ndarray | None:
        """Recency-weighted mean CDF (shape (201,)) of the active forecasts; None when the set is empty."""
        if self.kind != "numeric":
            raise ValueError("numeric_aggregate() needs a numeric active set")
        if len(self) == 0:
            return None
        return _numeric_mean_unchecked(self._values)

    # -- serialization ----------------------------------------------------------------------------------------
    def to_bytes(self) -> bytes:
        """Compact binary form: a 16-byte header (b"RDAS", version, kind, N), then little-endian int64 ids,
        float64 values (row-major) and, for binary sets, the int64 sort permutation. No pickle."""
        n = len(self)
        parts = [_HEADER.pack(_MAGIC, _VERSION, _KIND_CODES[self.kind], 0, n),
                 self._ids.astype(_I8, copy=False).tobytes(),
                 self._values.astype(_F8, copy=False).tobytes()]
        if self._order is not None:
            parts.append(self._order.astype(_I8, copy=False).tobytes())
        return b"".join(parts)

    @classmethod
    def from_bytes(cls, data: bytes, kind: Kind, *, check: bool = False) -> ActiveSet:
        """Load a set written by ``to_bytes``. ``kind`` must match the stored kind.

        Always checks the header, the kind, the exact length and that the stored permutation indexes the values,
        in O(1) + one min/max pass, because this runs on every forecast. With ``check=True`` it also verifies
        everything ``to_bytes`` guarantees: unique ids, finite values, binary values in (0, 1), and a permutation
        that sorts the values with ties in time order (O(N log N); for rebuilds, audits and tests).
        Raises ValueError on anything malformed.
        """
        _check_kind(kind)
        if not isinstance(data, (bytes, bytearray, memoryview)):
            raise ValueError("ActiveSet.from_bytes needs bytes")
        buf = data if isinstance(data, bytes) else bytes(data)
        if len(buf) < _HEADER.size:
            raise ValueError("active-set data is too short")
        magic, version, code, _reserved, n = _HEADER.unpack_from(buf, 0)
        if magic != _MAGIC or version != _VERSION:
            raise ValueError("not an active-set blob (bad magic or version)")
        if code != _KIND_CODES[kind]:
            raise ValueError(f"active-set data holds a different kind than {kind!r}")
        width = 1 if kind == "binary" else GRID_SIZE
        expected = _HEADER.size + 8 * n * (1 + width + (1 if kind == "binary" else 0))
        if len(buf) != expected:
            raise ValueError(f"active-set data has {len(buf)} bytes, expected {expected} for N={n}")
        off = _HEADER.size
        # frombuffer gives read-only views on the bytes: no copy until the next change.
        ids = np.frombuffer(buf, dtype=_I8, count=n, offset=off).astype(np.int64, copy=False)
        off += 8 * n
        values = np.frombuffer(buf, dtype=_F8, count=n * width, offset=off).astype(np.float64, copy=False)
        off += 8 * n * width
        self = cls.__new__(cls)
        self.kind = kind
        self._ids = ids
        self._order = None
        if kind == "numeric":
            self._values = values.reshape(n, GRID_SIZE)
        else:
            self._values = values
            order = np.frombuffer(buf, dtype=_I8, count=n, offset=off).astype(np.int64, copy=False)
            if n and (int(order.min()) < 0 or int(order.max()) >= n):
                raise ValueError("active-set data holds a corrupt sort permutation")
            self._order = order
        for arr in (self._ids, self._values) + ((self._order,) if self._order is not None else ()):
            if arr.flags.writeable:
                arr.flags.writeable = False
        if check:
            self.check()
        return self

    def check(self) -> None:
        """Verify the invariants in O(N log N): unique ids, finite values, binary values in (0, 1) and a sort
        permutation that orders the values ascending with ties oldest first. Raises ValueError if one fails."""
        n = len(self)
        if np.unique(self._ids).shape[0] != n:
            raise ValueError("active set holds duplicate forecaster ids")
        self._check_values(self._values)
        if self._order is not None:
            if self._order.shape != (n,) or (n and np.any(np.bincount(self._order, minlength=n) != 1)):
                raise ValueError("active set holds a corrupt sort permutation")
            if not np.array_equal(self._order, np.argsort(self._values, kind="stable")):
                raise ValueError("active set holds a corrupt sort permutation")


# --------------------------------------------------------------------------------------------------------------
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
