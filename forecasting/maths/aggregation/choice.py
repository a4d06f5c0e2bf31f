"""Multiple-choice aggregates: the per-option recency-weighted median, renormalized, and its incremental active set.

The community forecast of a question with K options (docs/scoring.md, "Multiple-choice questions"):

1. take each forecaster's latest active forecast, a vector p_n = (p_n,1 ... p_n,K), ordered oldest first, with the
   recency weights of SCORING.md section 4, w_n = exp(sqrt(n) - sqrt(N)) (all 1 when N <= 2);
2. for each option k, m_k = the weighted median of p_1,k ... p_N,k with those weights, exactly as the binary median
   (``weighted_median``: the smallest i with C_i > S/2, the midpoint of v_i and v_{i+1} on a tie within 1e-9);
3. renormalize: c_k = m_k / (m_1 + ... + m_K), so the community probabilities sum to 1.

With one forecaster the community forecast is that forecaster's vector (each m_k = p_1,k, which already sum to 1).

Pure maths: numpy and the standard library only, never Django.
"""
from __future__ import annotations

import struct
from typing import Any

import numpy as np

from .weights import MEDIAN_RTOL, _median_of_sorted, recency_weights, weighted_median

KIND = "multiple_choice"
MIN_OPTIONS = 2
MAX_OPTIONS = 20

_MAGIC = b"RDMC"
_VERSION = 1
_HEADER = struct.Struct("<4sBBHQ")  # magic, version, reserved, K, N -> 16 bytes keeps the arrays 8-aligned
_I8 = np.dtype("<i8")
_F8 = np.dtype("<f8")


def _check_vectors(p: np.ndarray) -> None:
    if p.ndim != 2 or p.shape[0] == 0 or not MIN_OPTIONS <= p.shape[1] <= MAX_OPTIONS:
        raise ValueError(f"expected an (N, K) array with N >= 1 and 2 <= K <= 20, got shape {p.shape}")
    if not np.all((p > 0.0) & (p < 1.0)):  # also rejects NaN
        raise ValueError("option probabilities must lie strictly between 0 and 1")


def renormalize(medians: np.ndarray) -> np.ndarray:
    """m / sum(m): the per-option medians as a probability vector."""
    m = np.asarray(medians, dtype=np.float64)
    return m / float(m.sum())


def choice_aggregate(vectors_oldest_first: Any) -> np.ndarray:
    """The community forecast of a multiple-choice question, computed from scratch (the test oracle).

    ``vectors_oldest_first`` is (N, K): each active forecaster's option probabilities, oldest first. Returns the
    (K,) vector of per-option recency-weighted medians divided by their sum. Raises ValueError on an empty input,
    a K outside 2..20 or a value outside (0, 1).
    """
    p = np.asarray(vectors_oldest_first, dtype=np.float64)
    _check_vectors(p)
    w = recency_weights(p.shape[0])
    return renormalize(np.array([weighted_median(p[:, k], w) for k in range(p.shape[1])]))


def _readonly(a: np.ndarray) -> np.ndarray:
    a.flags.writeable = False
    return a


class ChoiceActiveSet:
    """The latest active forecast of each forecaster on ONE multiple-choice question, oldest first.

    ``ids`` (N,) and ``values`` (N, K) are in the order the forecasts were made; ``upsert`` moves a forecaster to the
    end. ``order`` (K, N) holds, per option, the permutation that sorts that option's column ascending (ties: older
    first), kept up to date in O(K N) vectorized moves per change, so the K weighted medians never sort. The same
    interface as ``ActiveSet`` (upsert, remove, len, to_bytes/from_bytes) so the forecast services treat both alike.

    Costs per change at N forecasters and K options: O(K N) memory moves plus K scalar bisections; the aggregate
    O(K N). Nothing depends on the length of the question's history.
    """

    kind = KIND
    __slots__ = ("k", "_ids", "_values", "_order")

    def __init__(self, k: int, ids: Any = None, values: Any = None):
        if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or not MIN_OPTIONS <= k <= MAX_OPTIONS:
            raise ValueError(f"k (the number of options) must be an integer from 2 to 20, got {k!r}")
        self.k = int(k)
        if ids is None and values is None:
            self._ids = _readonly(np.empty(0, dtype=np.int64))
            self._values = _readonly(np.empty((0, self.k), dtype=np.float64))
            self._order = _readonly(np.empty((self.k, 0), dtype=np.int64))
            return
        ids_arr = np.array(ids, dtype=np.int64).reshape(-1)
        vals = np.array(values, dtype=np.float64).reshape(ids_arr.shape[0], self.k)
        if np.unique(ids_arr).shape[0] != ids_arr.shape[0]:
            raise ValueError("ids must be unique: one latest forecast per forecaster")
        if vals.shape[0]:
            _check_vectors(vals)
        self._ids = _readonly(ids_arr)
        self._values = _readonly(vals)
        self._order = _readonly(np.argsort(vals.T, axis=1, kind="stable").astype(np.int64))

    # -- accessors ------------------------------------------------------------------------------------------
    @property
    def ids(self) -> np.ndarray:
        return self._ids

    @property
    def values(self) -> np.ndarray:
        """(N, K) latest active vectors, oldest first (read-only)."""
        return self._values

    def __len__(self) -> int:
        return int(self._ids.shape[0])

    def __contains__(self, forecaster_id: object) -> bool:
        return bool(np.any(self._ids == forecaster_id))

    def __repr__(self) -> str:
        return f"ChoiceActiveSet(k={self.k}, n={len(self)})"

    # -- changes --------------------------------------------------------------------------------------------
    def _coerce(self, value: Any) -> np.ndarray:
        v = np.asarray(value, dtype=np.float64)
        if v.shape != (self.k,):
            raise ValueError(f"a multiple-choice forecast needs {self.k} probabilities, got shape {v.shape}")
        if not np.all((v > 0.0) & (v < 1.0)):
            raise ValueError("option probabilities must lie strictly between 0 and 1")
        return v

    def _delete_at(self, j: int) -> None:
        n = self._ids.shape[0]
        self._ids = _readonly(np.concatenate((self._ids[:j], self._ids[j + 1:])))
        self._values = _readonly(np.concatenate((self._values[:j], self._values[j + 1:])))
        order = self._order[self._order != j].reshape(self.k, n - 1)
        order -= order > j  # every entry made after j moves one place towards the oldest end
        self._order = _readonly(order)

    def upsert(self, forecaster_id: int, value: Any) -> None:
        """Record ``value`` (K probabilities in (0, 1); the service checks they sum to 1) as the forecaster's
        latest forecast, now the newest. The previous entry, if any, is removed first. Raises ValueError."""
        fid = int(forecaster_id)
        v = self._coerce(value)
        hits = np.flatnonzero(self._ids == fid)
        if hits.shape[0]:
            self._delete_at(int(hits[0]))
        n = self._ids.shape[0]
        new_order = np.empty((self.k, n + 1), dtype=np.int64)
        vals, order = self._values, self._order
        for k in range(self.k):
            # After every value <= v_k ("right"): the newest goes after equal older values, as a stable sort does.
            row, x, lo, hi = order[k], v[k], 0, n
            while lo < hi:
                mid = (lo + hi) // 2
                if vals[row[mid], k] <= x:
                    lo = mid + 1
                else:
                    hi = mid
            new_order[k, :lo] = row[:lo]
            new_order[k, lo] = n
            new_order[k, lo + 1:] = row[lo:]
        self._order = _readonly(new_order)
        self._ids = _readonly(np.concatenate((self._ids, np.array([fid], dtype=np.int64))))
        self._values = _readonly(np.concatenate((self._values, v.reshape(1, self.k))))

    def remove(self, forecaster_id: int) -> bool:
        """Withdraw the forecaster's active forecast. False (and no change) if there was none."""
        hits = np.flatnonzero(self._ids == int(forecaster_id))
        if not hits.shape[0]:
            return False
        self._delete_at(int(hits[0]))
        return True

    # -- aggregate ------------------------------------------------------------------------------------------
    def aggregate(self) -> np.ndarray | None:
        """The community vector (K,), bit-for-bit ``choice_aggregate(values)``; None when the set is empty."""
        n = len(self)
        if n == 0:
            return None
        w = recency_weights(n)
        medians = np.array([
            _median_of_sorted(self._values[self._order[k], k], w[self._order[k]], MEDIAN_RTOL) for k in range(self.k)
        ])
        return renormalize(medians)

    # -- serialization --------------------------------------------------------------------------------------
    def to_bytes(self) -> bytes:
        """A 16-byte header (b"RDMC", version, K, N), then int64 ids, float64 values (N x K, row-major) and the
        int64 sort permutations (K x N). Little-endian, no pickle."""
        return b"".join((
            _HEADER.pack(_MAGIC, _VERSION, 0, self.k, len(self)),
            self._ids.astype(_I8, copy=False).tobytes(),
            self._values.astype(_F8, copy=False).tobytes(),
            self._order.astype(_I8, copy=False).tobytes(),
        ))

    @classmethod
    def from_bytes(cls, data: bytes, k: int, *, check: bool = False) -> ChoiceActiveSet:
        """Load a set written by ``to_bytes`` for a question with ``k`` options. Checks the header, K and the exact
        length always; ``check=True`` also verifies every invariant (O(K N log N)). Raises ValueError."""
        buf = bytes(data)
        if len(buf) < _HEADER.size:
            raise ValueError("multiple-choice active-set data is too short")
        magic, version, _reserved, stored_k, n = _HEADER.unpack_from(buf, 0)
        if magic != _MAGIC or version != _VERSION:
            raise ValueError("not a multiple-choice active-set blob (bad magic or version)")
        if stored_k != k:
            raise ValueError(f"active-set data holds {stored_k} options, the question has {k}")
        expected = _HEADER.size + 8 * n * (1 + 2 * k)
        if len(buf) != expected:
            raise ValueError(f"active-set data has {len(buf)} bytes, expected {expected} for N={n}, K={k}")
        self = cls.__new__(cls)
        self.k = int(k)
        off = _HEADER.size
        self._ids = _readonly(np.frombuffer(buf, dtype=_I8, count=n, offset=off).copy())
        off += 8 * n
        self._values = _readonly(np.frombuffer(buf, dtype=_F8, count=n * k, offset=off).reshape(n, k).copy())
        off += 8 * n * k
        self._order = _readonly(np.frombuffer(buf, dtype=_I8, count=n * k, offset=off).reshape(k, n).copy())
        if n and (int(self._order.min()) < 0 or int(self._order.max()) >= n):
            raise ValueError("active-set data holds a corrupt sort permutation")
        if check:
            self.check()
        return self

    def check(self) -> None:
        """Verify the invariants: unique ids, values in (0, 1), per-option permutations that sort stably."""
        if np.unique(self._ids).shape[0] != len(self):
            raise ValueError("active set holds duplicate forecaster ids")
        if len(self):
            _check_vectors(self._values)
        if not np.array_equal(self._order, np.argsort(self._values.T, axis=1, kind="stable")):
            raise ValueError("active set holds a corrupt sort permutation")
