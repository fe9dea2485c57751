"""The import pages: upload → preview with the recognised mapping (editable) → background job with progress → result."""

from __future__ import annotations

import csv
from pathlib import Path

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from romashka.core.access import organisation_of
from romashka.imports import jobs
from romashka.imports.models import ImportJob, ImportKind, SavedMapping
from romashka.imports.services import (
    import_job_create,
    may_import,
    reason_labels,
    saved_mapping_for,
    saved_mapping_save,
)
from romashka.ingest.readers import IngestError
from romashka.ingest.tables import KINDS, preview

PREVIEW_ROWS = 10
SHOWN_REJECTED = 100


def _require_importer(request: HttpRequest) -> None:
    if not may_import(request.user):
        raise PermissionDenied("the role may not import data")


def _job(request: HttpRequest, job_id: int) -> ImportJob:
    """The job of the user's organisation; 404 for anyone else's (their ids are not confirmed)."""
    _require_importer(request)
    job = ImportJob.objects.filter(pk=job_id, organisation=organisation_of(request.user)).first()
    if job is None:
        raise Http404
    return job


def role_labels() -> dict[str, str]:
    return {
        "customer_id": _("Client id (card, phone)"), "occurred_at": _("Date and time"), "amount": _("Amount"),
        "location": _("Location"), "receipt_ref": _("Receipt number"), "category": _("Product category"),
        "customer_name": _("Client's name"), "external_id": _("Id (card, code)"), "name": _("Name"),
        "phone": _("Phone"), "email": _("E-mail"), "birthday": _("Birthday"), "consent": _("Consent to mailings"),
        "city": _("City"), "department": _("Department"), "position": _("Position"), "hired_on": _("Hired"),
        "left_on": _("Left"), "supplier": _("Supplier"), "supplier_id": _("Supplier's tax id (INN)"),
        "ordered_on": _("Order date"), "reference": _("Order number"),
    }


@login_required
@require_http_methods(["GET", "POST"])
def import_upload(request: HttpRequest) -> HttpResponse:
    _require_importer(request)
    organisation = organisation_of(request.user)
    limit = settings.IMPORT_MAX_BYTES
    if request.method == "POST":
        upload = request.FILES.get("file")
        kind = request.POST.get("kind", "")
        source = request.POST.get("source", "").strip() or "import"
        if kind and kind not in KINDS:
            kind = ""
        if upload is None:
            messages.error(request, _("Choose a file to import."))
        elif upload.size > limit:
            messages.error(request, _("The file is %(size)s MB; the limit is %(limit)s MB.") % {
                "size": f"{upload.size / 1024 / 1024:.1f}", "limit": f"{limit / 1024 / 1024:.0f}"})
        elif upload.size == 0:
            messages.error(request, _("The file is empty; expected a header line and rows."))
        else:
            job = import_job_create(user=request.user, upload=upload, kind=kind, source=source)
            return redirect("data_import_preview", job_id=job.pk)
    jobs_list = ImportJob.objects.filter(organisation=organisation).select_related("created_by")[:20]
    sources = SavedMapping.objects.filter(organisation=organisation).values_list("source", flat=True).distinct()
    return render(request, "imports/upload.html", {
        "kinds": [(k.value, k.label) for k in ImportKind if may_import(request.user, k.value)],
        "jobs": jobs_list, "limit_mb": f"{limit / 1024 / 1024:.0f}", "sources": sorted(set(sources)),
    })


def _options_from_post(request: HttpRequest, kind: str) -> dict:
    mapping = {}
    for role in KINDS[kind]:
        value = request.POST.get(f"map_{role.name}")
        if value is not None:
            mapping[role.name] = value
    return {
        "mapping": mapping,
        "encoding": request.POST.get("encoding", "").strip(),
        "delimiter": request.POST.get("delimiter", ""),
        "date_format": request.POST.get("date_format", "").strip(),
    }


@login_required
@require_http_methods(["GET", "POST"])
def import_preview(request: HttpRequest, job_id: int) -> HttpResponse:
    job = _job(request, job_id)
    if job.state != ImportJob.State.UPLOADED:
        return redirect("data_import_job", job_id=job.pk)
    if request.method == "POST":
        kind = request.POST.get("kind") or job.kind
        if kind not in KINDS:
            kind = ""
        if kind and not may_import(request.user, kind):
            raise PermissionDenied("the role may not import this kind of data")
        if kind != job.kind:
            job.kind = kind
            job.options = saved_mapping_for(organisation=job.organisation, source=job.source, kind=kind) or {}
        else:
            job.options = _options_from_post(request, kind) if kind else {}
        job.save(update_fields=["kind", "options"])
        if request.POST.get("action") == "run" and kind:
            if request.POST.get("save_mapping"):
                options = dict(job.options)
                saved_mapping_save(user=request.user, source=job.source, kind=kind,
                                   mapping=options.pop("mapping", {}), options=options)
            jobs.job_start(job)
            return redirect("data_import_job", job_id=job.pk)
    options = job.options or {}
    try:
        shown = preview(job.stored_path, kind=job.kind or None, mapping=options.get("mapping") or None,
                        encoding=options.get("encoding") or None, delimiter=options.get("delimiter") or None,
                        rows=PREVIEW_ROWS, max_bytes=settings.IMPORT_MAX_BYTES)
    except IngestError as error:
        return render(request, "imports/preview.html", {"job": job, "error": str(error), "kinds": list(ImportKind),
                                                        "options": options})
    if not job.kind:
        # Recognised from the headers: keep it, and take the mapping saved for this source if there is one.
        job.kind = shown["kind"]
        saved = saved_mapping_for(organisation=job.organisation, source=job.source, kind=job.kind)
        job.options = saved or {}
        job.save(update_fields=["kind", "options"])
        if saved:
            return redirect("data_import_preview", job_id=job.pk)
    labels = role_labels()
    roles = [{"name": role.name, "label": labels[role.name], "required": role.required,
              "header": shown["mapping"].get(role.name, "")} for role in KINDS[job.kind]]
    reasons = reason_labels()
    return render(request, "imports/preview.html", {
        "job": job, "shown": shown, "roles": roles, "kinds": list(ImportKind), "options": options,
        "summary": shown["summary"],
        "detected_delimiter": _("tab") if shown["delimiter"] == "\t" else shown["delimiter"] or "",
        "delimiters": [(";", ";"), (",", ","), ("\t", _("tab")), ("|", "|")],
        "rejected": [{**row, "reason_label": reasons.get(row["reason"], row["reason"])} for row in shown["rejected"]],
        "saved": SavedMapping.objects.filter(organisation=job.organisation, source=job.source, kind=job.kind).exists(),
    })


def _progress_context(job: ImportJob) -> dict:
    stage, done, total = jobs.job_progress(job)
    stages = {
        "queued": _("Waiting to start"), "reading": _("Reading the file"), "checking": _("Checking the rows"),
        "clients": _("Adding new clients"), "channels": _("Adding contacts"), "purchases": _("Writing purchases"),
        "staging": _("Writing purchases"),
        "statuses": _("Refreshing the client's path"), "done": _("Done"), "failed": _("Failed"),
    }
    percent = 100 if job.state == ImportJob.State.DONE else int(100 * done / total) if total else 0
    return {"job": job, "stage": stages.get(stage, stage), "done": done, "total": total, "percent": percent,
            "finished": job.state in (ImportJob.State.DONE, ImportJob.State.FAILED)}


@login_required
def import_job(request: HttpRequest, job_id: int) -> HttpResponse:
    job = _job(request, job_id)
    context = _progress_context(job)
    if job.state == ImportJob.State.DONE and job.result:
        context.update(_result_context(job))
    return render(request, "imports/job.html", context)


@login_required
def import_job_progress(request: HttpRequest, job_id: int) -> HttpResponse:
    """The progress fragment the job page polls; once finished, the browser reloads the whole page."""
    job = _job(request, job_id)
    response = render(request, "imports/_progress.html", _progress_context(job))
    if job.state in (ImportJob.State.DONE, ImportJob.State.FAILED):
        response["HX-Refresh"] = "true"
    return response


def _result_context(job: ImportJob) -> dict:
    reasons = reason_labels()
    result = dict(job.result)
    by_reason = [(reasons.get(code, code), count) for code, count in result.get("rejected_by_reason", {}).items()]
    rejected = []
    if job.rejected_path and Path(job.rejected_path).is_file():
        with open(job.rejected_path, encoding="utf-8-sig", newline="") as handle:
            reader = csv.reader(handle, delimiter=";")
            next(reader, None)
            for index, row in enumerate(reader):
                if index >= SHOWN_REJECTED:
                    break
                rejected.append(row)
    return {"result": result, "by_reason": by_reason, "rejected": rejected, "shown_rejected": SHOWN_REJECTED}


@login_required
def import_rejected_csv(request: HttpRequest, job_id: int) -> FileResponse:
    job = _job(request, job_id)
    if not job.rejected_path or not Path(job.rejected_path).is_file():
        raise Http404
    stem = Path(job.filename).stem or "import"
    return FileResponse(open(job.rejected_path, "rb"), as_attachment=True,  # noqa: SIM115 - FileResponse closes it
                        filename=f"{stem}-rejected.csv", content_type="text/csv; charset=utf-8")
