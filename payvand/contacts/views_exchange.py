"""Import and export pages (filled in by the import/export work)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse


@login_required
def import_start(request: HttpRequest) -> HttpResponse:
    raise NotImplementedError


@login_required
def import_detail(request: HttpRequest, job_id: int) -> HttpResponse:
    raise NotImplementedError


@login_required
def export(request: HttpRequest) -> HttpResponse:
    raise NotImplementedError
