"""Thin HTMX views over the project services and selectors."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from payvand.accounts.models import Team, User
from payvand.contacts.selectors import contact_search
from payvand.core.errors import PayvandError, ValidationFailed
from payvand.core.forms import apply_errors
from payvand.core.http import is_htmx, ui_errors
from payvand.core.localization import format_date_short, to_ascii_digits
from payvand.projects import selectors, services
from payvand.projects.forms import ProjectForm, customer_label
from payvand.projects.models import Project

PAGE_SIZE = 25


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


def _int_param(request: HttpRequest, name: str) -> int | None:
    raw = to_ascii_digits(request.GET.get(name, "").strip())
    return int(raw) if raw.isdigit() and len(raw) < 18 else None


@ui_errors
def project_list(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    status = request.GET.get("status", "")
    params: dict[str, Any] = {
        "q": request.GET.get("q", "").strip()[:200],
        "status": status if status in Project.Status.values else "",
        "team": _int_param(request, "team"),
    }
    page = selectors.project_list(
        user=user,
        q=params["q"],
        status=params["status"],
        team=params["team"],
        offset=_int_param(request, "offset") or 0,
        limit=PAGE_SIZE,
    )
    context = {"page": page, "params": params, "statuses": Project.Status.choices, "teams": Team.objects.all()}
    template = "projects/list.html#rows" if is_htmx(request) else "projects/list.html"
    return render(request, template, context)


def _save(request: HttpRequest, form: ProjectForm, project: Project | None) -> Project | None:
    user = _user(request)
    d = form.cleaned_data
    values: dict[str, Any] = {
        "name": d["name"],
        "code": d["code"],
        "description": d["description"],
        "customer": d["customer"],
        "team": d["team"],
        "members": list(d["members"]),
        "status": d["status"],
        "starts_on": d["starts_on"],
        "ends_on": d["ends_on"],
    }
    try:
        if project is None:
            return services.project_create(by=user, **values)
        return services.project_update(project=project, by=user, **values)
    except ValidationFailed as exc:
        apply_errors(form, exc)
    except PayvandError as exc:
        form.add_error(None, str(exc.detail))
    return None


@ui_errors
def project_create(request: HttpRequest) -> HttpResponse:
    selectors.project_require_perm(user=_user(request), action="add")
    form = ProjectForm(request.POST or None, initial={"status": Project.Status.ACTIVE})
    if request.method == "POST" and form.is_valid():
        project = _save(request, form, None)
        if project is not None:
            messages.success(request, _("Project “%(name)s” created.") % {"name": project.name})
            return redirect("projects:detail", project_id=project.pk)
    return render(request, "projects/form.html", {"form": form, "project": None})


@ui_errors
def project_edit(request: HttpRequest, project_id: int) -> HttpResponse:
    project = selectors.project_get_for_user(user=_user(request), project_id=project_id, action="change")
    form = ProjectForm(request.POST or None, initial=ProjectForm.initial_for(project))
    if request.method == "POST" and form.is_valid():
        saved = _save(request, form, project)
        if saved is not None:
            messages.success(request, _("Project “%(name)s” saved.") % {"name": saved.name})
            return redirect("projects:detail", project_id=project.pk)
    return render(request, "projects/form.html", {"form": form, "project": project})


def chart_specs(stats: dict[str, Any]) -> dict[str, Any]:
    """The project page's charts as Chart.js specs for reports/charts.js (labels in the viewer's calendar)."""
    return {
        "volume": {
            "type": "line",
            "labels": [format_date_short(row["week"]) for row in stats["volume"]],
            "datasets": [{"label": _("Tickets created"), "values": [row["tickets"] for row in stats["volume"]]}],
        },
        "states": {
            "type": "doughnut",
            "labels": [_("Open"), _("Resolved or closed"), _("Cancelled")],
            "datasets": [{"label": _("Tickets"), "values": [stats["open"], stats["closed"], stats["cancelled"]]}],
        },
        "categories": {
            "type": "bar",
            "horizontal": True,
            "labels": [row["name"] or _("No category") for row in stats["categories"]],
            "datasets": [{"label": _("Tickets"), "values": [row["tickets"] for row in stats["categories"]]}],
        },
    }


@ui_errors
def project_detail(request: HttpRequest, project_id: int) -> HttpResponse:
    user = _user(request)
    project = selectors.project_detail(user=user, project_id=project_id)
    stats = selectors.project_stats(project=project)
    context = {
        "project": project,
        "stats": stats,
        "chart_specs": chart_specs(stats),
        "tickets": selectors.project_tickets(user=user, project=project),
        "can_change": user.has_perm(selectors.PERMS["change"]),
    }
    return render(request, "projects/detail.html", context)


@ui_errors
def customer_options(request: HttpRequest) -> HttpResponse:
    """<option>s for the customer picker's datalist (htmx, as the user types)."""
    text = request.GET.get("customer", "").strip()[:200]
    found = contact_search(user=_user(request), text=text, limit=15) if len(text) >= 2 else []
    return render(request, "projects/form.html#customer-options", {"options": [customer_label(c) for c in found]})
