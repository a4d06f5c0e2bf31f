"""The incremental community forecast: load a question's active set, apply one event, persist cheaply.

Durable truth is the append-only Forecast rows. ``CommunityState`` keeps a snapshot of the active set plus the id of
the last forecast it includes; loading replays the few rows after it. A small per-process cache keyed by
(question, last applied forecast id) skips even that on the common path. The cache is only trusted when its key
matches the locked state row, and it is updated only after commit, so a rolled-back transaction or another
process's write simply causes a rebuild from the snapshot.
"""
import copy
import threading
from collections import OrderedDict

from django.db import transaction

from forecasting.forecasts.models import CommunityState, Forecast
from forecasting.maths.aggregation import ActiveSet, ChoiceActiveSet
from forecasting.maths.aggregation.choice import KIND as CHOICE_KIND

SNAPSHOT_EVERY = 64
CACHE_MAX_ENTRIES = 256


class _ActiveSetCache:
    def __init__(self, max_entries: int):
        self._entries: OrderedDict[tuple, tuple[int, ActiveSet]] = OrderedDict()
        self._lock = threading.Lock()
        self._max = max_entries

    def get(self, key: tuple, last_forecast_id: int) -> ActiveSet | None:
        with self._lock:
            entry = self._entries.get(key)
            if entry is None or entry[0] != last_forecast_id:
                return None
            self._entries.move_to_end(key)
            # ActiveSet changes rebind new arrays and never write into old ones, so a shallow copy is independent.
            return copy.copy(entry[1])

    def put(self, key: tuple, last_forecast_id: int, active: ActiveSet) -> None:
        with self._lock:
            self._entries[key] = (last_forecast_id, active)
            self._entries.move_to_end(key)
            while len(self._entries) > self._max:
                self._entries.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


active_set_cache = _ActiveSetCache(CACHE_MAX_ENTRIES)


def _cache_key(state: CommunityState) -> tuple:
    # The token changes if the state row is ever recreated (e.g. a restored or flushed database reusing ids).
    return (state.question_id, state.token)


def community_state_lock(*, question_id: int) -> CommunityState:
    """Lock (creating if needed) the question's state row, without fetching the snapshot blob.

    Must run inside a transaction. Every writer of the question's forecasts calls this first.
    """
    state = (
        CommunityState.objects.select_for_update()
        .select_related("question")
        .defer("data")
        .filter(question_id=question_id)
        .first()
    )
    if state is None:
        CommunityState.objects.get_or_create(question_id=question_id)
        state = CommunityState.objects.select_for_update().select_related("question").defer("data").get(
            question_id=question_id
        )
    return state


def _replay_rows(active: ActiveSet, *, question_id: int, after_id: int) -> None:
    rows = (
        Forecast.objects.filter(question_id=question_id, pk__gt=after_id)
        .order_by("pk")
        .values_list("user_id", "kind", "probability", "cdf", "probabilities")
    )
    for user_id, kind, probability, cdf, probabilities in rows.iterator(chunk_size=500):
        if kind == Forecast.Kind.WITHDRAWAL:
            active.remove(user_id)
        elif active.kind == CHOICE_KIND:
            active.upsert(user_id, probabilities)
        else:
            active.upsert(user_id, probability if active.kind == "binary" else Forecast.decode_cdf(cdf))


def community_active_set_load(*, state: CommunityState, kind: str) -> ActiveSet | ChoiceActiveSet:
    """The active set as of ``state.last_forecast_id``. ``state`` must be locked by the caller. Multiple-choice
    questions get a ``ChoiceActiveSet`` sized by the question's options."""
    cached = active_set_cache.get(_cache_key(state), state.last_forecast_id)
    if cached is not None:
        return cached
    data = bytes(CommunityState.objects.filter(pk=state.pk).values_list("data", flat=True)[0] or b"")
    if kind == CHOICE_KIND:
        k = len(state.question.options or [])
        active = ChoiceActiveSet.from_bytes(data, k) if data else ChoiceActiveSet(k)
    else:
        active = ActiveSet.from_bytes(data, kind) if data else ActiveSet(kind)
    _replay_rows(active, question_id=state.question_id, after_id=state.snapshot_forecast_id)
    return active


def community_state_save(*, state: CommunityState, active: ActiveSet, forecast: Forecast, point) -> None:
    """Record that ``forecast`` was applied; snapshot every SNAPSHOT_EVERY events; refresh the cache on commit."""
    state.last_forecast_id = forecast.pk
    state.updated_at = forecast.created_at
    state.latest_point = point
    state.events_since_snapshot += 1
    fields = ["last_forecast_id", "updated_at", "latest_point", "events_since_snapshot"]
    if state.events_since_snapshot >= SNAPSHOT_EVERY:
        state.data = active.to_bytes()
        state.snapshot_forecast_id = forecast.pk
        state.events_since_snapshot = 0
        fields += ["data", "snapshot_forecast_id"]
    state.save(update_fields=fields)
    key, last_id = _cache_key(state), forecast.pk
    transaction.on_commit(lambda: active_set_cache.put(key, last_id, active))
