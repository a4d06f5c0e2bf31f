"""The incremental active set: each forecaster's latest forecast, updated per event and serialized for storage."""
from __future__ import annotations

import struct
from typing import Any

import numpy as np

from forecasting.maths.cdf import GRID_SIZE

from .binary import _extremized_unchecked
from .numeric import _numeric_mean_unchecked
from .weights import DEFAULT_EXTREMIZATION, Kind, MEDIAN_RTOL, _median_of_sorted, recency_weights


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
