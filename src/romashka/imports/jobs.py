"""Imports as background jobs: a thread per uploaded file, its progress in memory for the live progress bar.

One laptop needs no broker or worker: `romashka serve` is one process, so the job's thread and the
page that polls its progress share this module. The job's row records the outcome; the import's
own transaction keeps the database unchanged when the job fails or the process stops mid-way.
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path

from django.conf import settings
from django.db import close_old_connections
from django.utils import timezone

from romashka.imports.models import ImportJob

log = logging.getLogger(__name__)
_progress: dict[int, tuple[str, int, int]] = {}
_lock = threading.Lock()


def job_folder(job_id: int | str) -> Path:
    return Path(settings.DATA_DIR) / "imports" / str(job_id)


def job_progress(job: ImportJob) -> tuple[str, int, int]:
    """(stage, done, total) of a running job; the stored state otherwise."""
    with _lock:
        live = _progress.get(job.pk)
    return live if live is not None else (job.stage, job.done, job.total)


def _report(job_id: int, stage: str, done: int, total: int) -> None:
    with _lock:
        _progress[job_id] = (stage, done, total)


def job_run(job_id: int, *, own_connection: bool = True) -> None:
    """Runs one queued job to its end (done or failed); in a thread with ``own_connection``."""
    from romashka.imports.services import ImportOptions, file_import
    from romashka.ingest.readers import IngestError

    if own_connection:
        close_old_connections()
    try:
        job = ImportJob.objects.select_related("organisation").get(pk=job_id)
        ImportJob.objects.filter(pk=job_id).update(state=ImportJob.State.RUNNING, started_at=timezone.now())
        options = job.options or {}
        rejected_path = job_folder(job.pk) / "rejected.csv"
        rejected_path.parent.mkdir(parents=True, exist_ok=True)
        try:
            result = file_import(
                organisation=job.organisation, path=job.stored_path, filename=job.filename,
                options=ImportOptions(kind=job.kind or None, mapping=options.get("mapping") or None,
                                      encoding=options.get("encoding") or None,
                                      delimiter=options.get("delimiter") or None,
                                      date_format=options.get("date_format") or None, source=job.source),
                rejected_out=rejected_path, max_bytes=settings.IMPORT_MAX_BYTES,
                progress=lambda stage, done, total: _report(job_id, stage, done, total),
            )
        except IngestError as error:
            ImportJob.objects.filter(pk=job_id).update(
                state=ImportJob.State.FAILED, error=str(error), finished_at=timezone.now(), stage="failed")
            return
        except Exception as error:  # a programming error: logged in full, the job shows it failed
            log.exception("import job %s failed", job_id)
            ImportJob.objects.filter(pk=job_id).update(
                state=ImportJob.State.FAILED, error=f"{type(error).__name__}: {error}", finished_at=timezone.now(),
                stage="failed")
            return
        ImportJob.objects.filter(pk=job_id).update(
            state=ImportJob.State.DONE, result=result, batch_id=result.get("batch"), stage="done", done=1, total=1,
            rejected_path=str(rejected_path) if result.get("rejected") else "", finished_at=timezone.now(),
        )
        Path(job.stored_path).unlink(missing_ok=True)  # the data is in the database now
    finally:
        with _lock:
            _progress.pop(job_id, None)
        if own_connection:
            close_old_connections()


def job_start(job: ImportJob) -> None:
    """Queues the job and starts its thread; with the setting IMPORT_RUN_INLINE (tests) runs it right here."""
    ImportJob.objects.filter(pk=job.pk).update(state=ImportJob.State.QUEUED, stage="queued")
    _report(job.pk, "queued", 0, 1)
    if getattr(settings, "IMPORT_RUN_INLINE", False):
        job_run(job.pk, own_connection=False)
        return
    threading.Thread(target=job_run, args=(job.pk,), name=f"import-{job.pk}", daemon=True).start()
