"""Import jobs: files uploaded on the admin's Import page, imported later by a worker (docs/deploy.md, "Imports").

:func:`import_job_create` stores the files and the job (the admin enqueues ``assets.tasks.run_import_job`` on
commit); :func:`import_job_run` imports them one by one, recording each file's result as it goes, so the job page
shows progress. Both are safe to call again: a job that finished is left alone, and a file whose result is recorded
is never imported twice.
"""
from __future__ import annotations

import logging
from collections.abc import Sequence

from django.db import transaction
from django.utils import timezone

from assets.importers import FORMATS, detect_format, run_import
from assets.importers.common import ImportFileError
from assets.models import ImportJob, ImportJobFile

logger = logging.getLogger(__name__)

JOB_FORMATS = ("auto", *FORMATS)


def import_job_create(*, user, fmt: str, files: Sequence[tuple[str, bytes]], dry_run: bool = False) -> ImportJob:
    """A queued job holding ``files`` (``(name, bytes)`` pairs, already checked for size and names by the caller).

    Runs in one transaction: the job and its files appear together. The caller enqueues the task after commit.
    Errors: ``ValueError`` for an unknown format or no files (the admin form checks both first)."""
    if fmt not in JOB_FORMATS:
        raise ValueError(f"Unknown import format {fmt!r}; expected one of {', '.join(JOB_FORMATS)}.")
    if not files:
        raise ValueError("An import job needs at least one file.")
    with transaction.atomic():
        job = ImportJob.objects.create(created_by=user, format=fmt, dry_run=dry_run, total_files=len(files))
        ImportJobFile.objects.bulk_create(
            ImportJobFile(job=job, position=position, name=name, size=len(data), data=data)
            for position, (name, data) in enumerate(files, start=1)
        )
    return job


def import_job_run(*, job_id: int) -> ImportJob:
    """Import the job's pending files, each in its own transaction together with its recorded result, then mark the
    job ``done`` (every file imported) or ``failed`` (at least one file failed). A failing file never stops the
    others.

    Idempotent: a finished job is returned unchanged; a job left ``running`` by a worker that died (the task is
    ``acks_late``, so it is delivered again) carries on with the files that have no result yet. Each file row is
    locked while it is imported, so two deliveries running at once never import the same file twice.
    Errors: ``ImportJob.DoesNotExist``.
    """
    with transaction.atomic():
        job = ImportJob.objects.select_for_update().get(pk=job_id)
        if job.finished:
            return job
        if job.status == ImportJob.Status.QUEUED:
            job.status, job.started_at = ImportJob.Status.RUNNING, timezone.now()
            job.save(update_fields=["status", "started_at"])
    pending = list(job.files.filter(status=ImportJobFile.Status.PENDING).order_by("position").values_list("pk", flat=True))
    for file_id in pending:
        _import_one(job, file_id)
    return import_job_finish(job_id=job.pk)


def _import_one(job: ImportJob, file_id: int) -> None:
    with transaction.atomic():
        row = ImportJobFile.objects.select_for_update().get(pk=file_id)
        if row.status != ImportJobFile.Status.PENDING:
            return  # another delivery of the task got here first
        data = bytes(row.data)
        fmt = detect_format(row.name, data) if job.format == "auto" else job.format
        try:
            result = run_import(fmt=fmt, filename=row.name, data=data, dry_run=job.dry_run)
        except ImportFileError as exc:
            row.status, row.error = ImportJobFile.Status.FAILED, str(exc)
        except Exception:  # a bug in an importer fails this file, not the batch; run_import rolled its writes back
            logger.exception("import job %s: %s could not be imported", job.pk, row.name)
            row.status = ImportJobFile.Status.FAILED
            row.error = f"{row.name}: could not be imported (an unexpected error, logged for the developers)"
        else:
            row.status, row.result = ImportJobFile.Status.OK, result.describe()
        row.finished_at = timezone.now()
        row.save(update_fields=["status", "result", "error", "finished_at"])
        done = job.files.exclude(status=ImportJobFile.Status.PENDING).count()
        ImportJob.objects.filter(pk=job.pk).update(done_files=done)


def import_job_finish(*, job_id: int, error: str = "") -> ImportJob:
    """Mark the job finished: ``failed`` when ``error`` is given (the job could not run) or any file failed, else
    ``done``. A finished job is left as it is."""
    with transaction.atomic():
        job = ImportJob.objects.select_for_update().get(pk=job_id)
        if job.finished:
            return job
        failed = job.files.filter(status=ImportJobFile.Status.FAILED).exists()
        job.status = ImportJob.Status.FAILED if error or failed else ImportJob.Status.DONE
        job.error = error
        job.done_files = job.files.exclude(status=ImportJobFile.Status.PENDING).count()
        job.finished_at = timezone.now()
        job.save(update_fields=["status", "error", "done_files", "finished_at"])
    if job.status == ImportJob.Status.FAILED:
        logger.warning("import job %s failed: %s", job.pk, error or "a file failed")
    return job
