"""Import and export pages: upload, column mapping with a preview, progress, and downloads."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

from asgiref.sync import sync_to_async
from django.conf import settings
from django.core.handlers.asgi import ASGIRequest
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render

from payvand.accounts.models import User
from payvand.contacts import selectors, services
from payvand.contacts.forms import ImportMappingForm, ImportUploadForm
from payvand.contacts.models import Contact, ImportJob
from payvand.core.errors import Conflict, ValidationFailed
from payvand.core.forms import apply_errors
from payvand.core.http import is_htmx, ui_errors

FINISHED = (ImportJob.Status.DONE, ImportJob.Status.FAILED)


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


@ui_errors
def import_start(request: HttpRequest) -> HttpResponse:
    """Upload a file; the user's recent imports are listed beside the form."""
    user = _user(request)
    selectors.contact_require_perm(user=user, action="import")
    if request.method == "POST":
        form = ImportUploadForm(request.POST, request.FILES)
        if form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                job = services.import_job_create(
                    by=user,
                    upload=upload,
                    original_name=upload.name or "",
                    skip_duplicates=form.cleaned_data["skip_duplicates"],
                    source=form.cleaned_data["source"],
                )
            except ValidationFailed as exc:
                apply_errors(form, exc)
            else:
                return redirect("contacts:import_detail", job_id=job.pk)
    else:
        form = ImportUploadForm()
    return render(
        request,
        "contacts/import_start.html",
        {
            "form": form,
            "jobs": selectors.import_job_list_for_user(user=user),
            "max_mb": settings.IMPORT_MAX_BYTES // (1024 * 1024),
        },
    )


@ui_errors
def import_detail(request: HttpRequest, job_id: int) -> HttpResponse:
    """The column mapping and preview until the import starts; then its progress (the htmx partial polls)."""
    user = _user(request)
    job = selectors.import_job_get_for_user(user=user, job_id=job_id)
    if selectors.import_job_awaiting_mapping(job):
        return _import_mapping(request, job)
    labels = dict(selectors.import_targets())
    context = {
        "job": job,
        "finished": job.status in FINISHED,
        "errors": [
            {
                "row": e.get("row"),
                "field": labels.get(e.get("field") or "", e.get("field") or ""),
                "message": e.get("message", ""),
            }
            for e in job.errors
        ],
        "more_errors": job.error_count > len(job.errors),
    }
    template = "contacts/import_progress.html#progress" if is_htmx(request) else "contacts/import_progress.html"
    return render(request, template, context)


def _import_mapping(request: HttpRequest, job: ImportJob) -> HttpResponse:
    preview = selectors.import_job_preview(job=job)
    options: dict[str, Any] = {
        "headers": job.mapping.get("headers", []),
        "targets": selectors.import_targets(),
        "columns": preview.columns,
    }
    if request.method == "POST":
        form = ImportMappingForm(request.POST, **options)
        if form.is_valid():
            try:
                services.import_job_start(job=job, mapping=form.mapping(), by=_user(request))
            except ValidationFailed as exc:
                apply_errors(form, exc, form.field_for)
            except Conflict:
                return redirect("contacts:import_detail", job_id=job.pk)
            else:
                return redirect("contacts:import_detail", job_id=job.pk)
    else:
        form = ImportMappingForm(**options)
    return render(
        request,
        "contacts/import_mapping.html",
        {
            "job": job,
            "preview": preview,
            "form": form,
            "columns": [form[f"col_{index}"] for index in range(len(options["headers"]))],
        },
    )


@ui_errors
def export(request: HttpRequest) -> HttpResponseBase:
    """The contacts matching the list's filters, as CSV, XLSX or vCard."""
    filters: dict[str, Any] = {k: request.GET.get(k, "").strip()[:200] for k in ("q", "tag", "segment")}
    kind, status = request.GET.get("kind", ""), request.GET.get("status", "")
    filters["kind"] = kind if kind in Contact.Kind.values else ""
    filters["status"] = status if status in Contact.Status.values else ""
    for key in ("flag", "owner"):
        value = request.GET.get(key, "")
        filters[key] = int(value) if value.isdigit() and 0 < int(value) < 2**63 else None
    try:
        file = selectors.contact_export_file(
            user=_user(request),
            fmt=request.GET.get("format", "csv"),
            version=request.GET.get("version", "3.0"),
            **filters,
        )
    except ValidationFailed as exc:
        return HttpResponseBadRequest(" ".join(str(e.message) for e in exc.errors) or str(exc.detail))
    return export_response(request, file)


def export_response(request: HttpRequest, file: selectors.ExportFile) -> StreamingHttpResponse:
    """A download streamed chunk by chunk, under WSGI and ASGI alike."""
    content = _pull_in_sync_thread(file.chunks) if isinstance(request, ASGIRequest) else file.chunks
    response = StreamingHttpResponse(content, content_type=file.content_type)
    response["Content-Disposition"] = f'attachment; filename="{file.filename}"'
    response["Cache-Control"] = "no-store"
    return response


async def _pull_in_sync_thread(chunks: Iterator[bytes]) -> AsyncIterator[bytes]:
    """Under ASGI, Django reads a synchronous iterator to the end before it sends a byte. Pull one chunk at a time
    instead, in the request's thread for sync code (where its database connection lives)."""
    pull = sync_to_async(_next_chunk, thread_sensitive=True)
    while (chunk := await pull(chunks)) is not None:
        yield chunk


def _next_chunk(chunks: Iterator[bytes]) -> bytes | None:
    return next(chunks, None)
