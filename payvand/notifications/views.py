"""Notification pages: the list, the bell in the navigation bar, and each user's preferences."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from payvand.accounts.models import User
from payvand.core.errors import NotFound, ValidationFailed
from payvand.core.forms import BootstrapForm, apply_errors
from payvand.core.http import is_htmx
from payvand.notifications import selectors, services
from payvand.notifications.models import Kind, Preference


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


def ui_errors(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            return view(request, *args, **kwargs)
        except NotFound as exc:
            raise Http404(str(exc)) from exc

    return login_required(wrapper)


def _local(request: HttpRequest, url: str) -> bool:
    return bool(url) and url_has_allowed_host_and_scheme(url, allowed_hosts={request.get_host()}, require_https=False)


@require_GET
@ui_errors
def notification_list(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    cursor = request.GET.get("cursor", "")[:500]
    try:
        page = selectors.notification_page(user=user, cursor=cursor or None)
    except ValidationFailed:
        cursor = ""
        page = selectors.notification_page(user=user)
    context = {"page": page, "cursor": cursor}
    template = "notifications/list.html#items" if is_htmx(request) else "notifications/list.html"
    return render(request, template, context)


@require_GET
@ui_errors
def bell(request: HttpRequest) -> HttpResponse:
    """The bell's dropdown menu (loaded when it opens)."""
    user = _user(request)
    return render(request, "notifications/bell.html", {"notes": selectors.notification_latest(user=user)})


@require_GET
@ui_errors
def unread_count(request: HttpRequest) -> HttpResponse:
    """The bell's badge (loaded with every page, refreshed by live pushes)."""
    count = selectors.notification_unread_count(user=_user(request))
    return render(request, "notifications/bell_count.html", {"unread": count})


@require_GET
@ui_errors
def notification_open(request: HttpRequest, notification_id: int) -> HttpResponse:
    """Follow a notification: mark it read and go where it points."""
    user = _user(request)
    note = selectors.notification_get_for_user(user=user, notification_id=notification_id)
    services.notification_mark_read(user=user, ids=[note.pk])
    return redirect(note.url if _local(request, note.url) else "notifications:list")


@require_POST
@ui_errors
def notification_read(request: HttpRequest, notification_id: int) -> HttpResponse:
    user = _user(request)
    note = selectors.notification_get_for_user(user=user, notification_id=notification_id)
    services.notification_mark_read(user=user, ids=[note.pk])
    return _after_marking(request)


@require_POST
@ui_errors
def notification_read_all(request: HttpRequest) -> HttpResponse:
    count = services.notification_mark_read(user=_user(request))
    if not is_htmx(request):
        messages.success(request, _("%(n)s notifications marked as read.") % {"n": count})
    return _after_marking(request)


def _after_marking(request: HttpRequest) -> HttpResponse:
    if is_htmx(request):
        # The page or the bell re-fetches itself; the badge everywhere follows.
        return HttpResponse(status=204, headers={"HX-Trigger": "pv-notifications-changed"})
    nxt = request.POST.get("next", "")
    return redirect(nxt if _local(request, nxt) else "notifications:list")


class PreferencesForm(BootstrapForm):
    """Per kind: in the app on/off, and email never / at once / digest."""

    def __init__(self, *args: Any, rows: list[selectors.PreferenceRow], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for row in rows:
            self.fields[f"in_app_{row.kind}"] = forms.BooleanField(
                label=gettext_lazy("In the app"), required=False, initial=row.in_app
            )
            self.fields[f"email_{row.kind}"] = forms.ChoiceField(
                label=gettext_lazy("By email"), choices=Preference.Email.choices, initial=row.email
            )
        self.style_fields()
        self.rows = rows

    def field_rows(self) -> list[dict[str, Any]]:
        return [
            {"row": row, "in_app": self[f"in_app_{row.kind}"], "email": self[f"email_{row.kind}"]} for row in self.rows
        ]


@ui_errors
def preferences(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    rows = selectors.preference_rows(user=user)
    form = PreferencesForm(request.POST or None, rows=rows)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                with transaction.atomic():  # all kinds or none
                    for kind in Kind.values:
                        services.preference_set(
                            user=user,
                            kind=kind,
                            in_app=form.cleaned_data[f"in_app_{kind}"],
                            email=form.cleaned_data[f"email_{kind}"],
                        )
            except ValidationFailed as exc:
                apply_errors(form, exc)
            else:
                messages.success(request, _("Your notification settings are saved."))
                return redirect("notifications:preferences")
        status = 422
    return render(request, "notifications/preferences.html", {"form": form}, status=status)
