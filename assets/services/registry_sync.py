"""Keep trials current with ClinicalTrials.gov: fetch their records through the API and save each one as the
ClinicalTrials.gov importer does (:func:`assets.importers.ctgov.ctgov_study_save`), recording every registry change.

Used by ``manage.py sync_ctgov`` and the daily ``assets.tasks.sync_ctgov_trials``. Not exported from
``assets.services``: it imports the importer, which imports ``assets.services``.
"""
from __future__ import annotations

import datetime as dt
import json
import logging
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

from django.conf import settings
from django.db import DatabaseError, transaction
from django.utils import timezone

from assets.ctgov_client import CtgovClient, CtgovError, nct_id_clean
from assets.errors import DomainError
from assets.importers.common import ImportFileError, ImportResult
from assets.importers.ctgov import ctgov_study_save, parse_ctgov
from assets.models import Trial, TrialRegistryChange

logger = logging.getLogger(__name__)


@dataclass
class SyncOutcome:
    """One trial's outcome: ``state`` is created, changed, unchanged or failed. ``transient`` failures (the API
    unreachable, overloaded or rate-limiting) may pass if tried again later; the others will not."""

    registry_id: str
    state: str
    trial: str = ""
    changes: list[str] = field(default_factory=list)
    error: str = ""
    transient: bool = False

    @property
    def ok(self) -> bool:
        return self.state != "failed"

    def line(self) -> str:
        """``NCT05552976 SUCCESSOR-2: changed: primary completion now ACTUAL: 2026-01-30`` or
        ``NCT05552976: FAILED NCT05552976: ClinicalTrials.gov ...``."""
        name = f"{self.registry_id} {self.trial}".strip() if self.trial and self.trial != self.registry_id else self.registry_id
        if not self.ok:
            return f"{name}: FAILED {self.error}"
        if self.changes:
            return f"{name}: {self.state}: " + "; ".join(self.changes)
        return f"{name}: {self.state}"


def trial_registry_ids_tracked() -> list[str]:
    """The NCT ids of every trial that has one, in order: the trials the daily sync keeps current."""
    return list(Trial.objects.filter_registered().order_by("registry_id").values_list("registry_id", flat=True))


def trial_registry_sync(
    *,
    registry_ids: Sequence[str] | None = None,
    client: CtgovClient | None = None,
    observed_at: dt.datetime | None = None,
    dry_run: bool = False,
) -> Iterator[SyncOutcome]:
    """Fetch and save the registry record of each trial, yielding one :class:`SyncOutcome` per NCT id as soon as
    it is done (for progress output).

    ``registry_ids`` defaults to every trial with an NCT id; an id of a trial Readout does not know creates it.
    Every id is checked before any request (ValidationError naming the first bad one). Records are fetched
    ``CTGOV_IDS_PER_REQUEST`` (100) ids at a time, paging with ``pageToken``; when a batch fails for a reason other
    than the API being unreachable, its studies are fetched one by one, so one bad record fails only its own trial.

    Each study is saved in its own transaction: a study that fails leaves its trial exactly as it was, and the others
    are still saved. A record that changes nothing writes nothing (state "unchanged"). ``dry_run`` saves each study
    and rolls it back. Idempotent: running it again with the same registry answers changes nothing.
    """
    ids = list(dict.fromkeys(nct_id_clean(i) for i in registry_ids)) if registry_ids is not None else trial_registry_ids_tracked()
    if not ids:
        return
    client = client or CtgovClient()
    observed_at = observed_at or timezone.now()
    batch = max(1, int(getattr(settings, "CTGOV_IDS_PER_REQUEST", 100)))
    for start in range(0, len(ids), batch):
        chunk = ids[start : start + batch]
        names = dict(Trial.objects.filter(registry_id__in=chunk).values_list("registry_id", "acronym"))
        pending = dict.fromkeys(chunk)  # ordered set of ids not answered yet
        try:
            for study in client.studies(chunk):
                nct = _nct_of(study)
                if nct in pending:
                    del pending[nct]
                    yield _save(nct, study, observed_at=observed_at, dry_run=dry_run)
        except CtgovError as exc:
            if exc.transient or len(pending) == 1:
                for nct in pending:
                    yield _failed(nct, exc, names.get(nct, ""))
                continue
            logger.warning("ClinicalTrials.gov batch failed (%s); fetching its %d studies one by one", exc, len(pending))
            for nct in list(pending):
                yield _fetch_one(client, nct, names.get(nct, ""), observed_at=observed_at, dry_run=dry_run)
            continue
        for nct in pending:  # the API answered, without these
            yield SyncOutcome(nct, "failed", trial=names.get(nct, ""),
                              error=f"{nct}: ClinicalTrials.gov has no study with this NCT id")


def _fetch_one(client: CtgovClient, nct: str, name: str, *, observed_at: dt.datetime, dry_run: bool) -> SyncOutcome:
    try:
        study = client.study(nct)
    except CtgovError as exc:
        return _failed(nct, exc, name)
    if _nct_of(study) != nct:
        return SyncOutcome(nct, "failed", trial=name,
                           error=f"{nct}: ClinicalTrials.gov answered with the record of {_nct_of(study) or 'no NCT id'}")
    return _save(nct, study, observed_at=observed_at, dry_run=dry_run)


def _failed(nct: str, exc: CtgovError, name: str) -> SyncOutcome:
    return SyncOutcome(nct, "failed", trial=name, error=f"{nct}: {exc.problem}", transient=exc.transient)


def _nct_of(study: dict) -> str:
    ident = (study.get("protocolSection") or {}).get("identificationModule") or {}
    value = ident.get("nctId")
    return value.strip().upper() if isinstance(value, str) else ""


def _save(nct: str, study: dict, *, observed_at: dt.datetime, dry_run: bool) -> SyncOutcome:
    """Parse and save one study in its own transaction (a savepoint inside an outer one)."""
    source = f"{nct} (ClinicalTrials.gov API)"
    name = Trial.objects.filter(registry_id=nct).values_list("acronym", flat=True).first() or ""
    try:
        (record,) = parse_ctgov(source, json.dumps(study, indent=1, ensure_ascii=False).encode())
    except ImportFileError as exc:
        return SyncOutcome(nct, "failed", trial=name,
                           error=f"{nct}: ClinicalTrials.gov sent a record Readout cannot read: {exc.detail}")
    try:
        with transaction.atomic():
            result = ImportResult(source, "ctgov")
            saved = ctgov_study_save(record=record, result=result, via=TrialRegistryChange.Via.SYNC, observed_at=observed_at)
            if dry_run:
                transaction.set_rollback(True)
    except (DomainError, DatabaseError) as exc:
        message = getattr(exc, "message", None) or str(exc)
        logger.warning("registry sync: could not save %s: %s", nct, message, exc_info=isinstance(exc, DatabaseError))
        return SyncOutcome(nct, "failed", trial=name, error=f"{nct}: could not save the trial: {message}")
    state = "created" if saved.created else "changed" if saved.changed else "unchanged"
    changes = saved.registry.describe() if saved.changed else []
    if saved.changed and not changes:
        changes = ["title, arms or endpoints updated"]
    return SyncOutcome(nct, state, trial=saved.trial.acronym or "", changes=changes)
