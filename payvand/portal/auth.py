"""The portal session: separate from staff sign-in. A signed-in customer's contact id sits under its own session
key; staff authentication (request.user) is never consulted, and a customer is never a Django user."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.http import HttpRequest
from django.http.response import HttpResponseBase
from django.shortcuts import redirect
from django.urls import reverse

from payvand.contacts.models import Contact

SESSION_KEY = "portal_contact_id"


def portal_login(request: HttpRequest, contact: Contact) -> None:
    request.session.cycle_key()  # no session fixation
    request.session[SESSION_KEY] = contact.pk


def portal_logout(request: HttpRequest) -> None:
    request.session.pop(SESSION_KEY, None)
    request.session.cycle_key()


def portal_contact(request: HttpRequest) -> Contact | None:
    contact_id = request.session.get(SESSION_KEY)
    if not isinstance(contact_id, int):
        return None
    # With the portal account (if any): the pages ask it whether the customer sees the organisation's requests.
    return Contact.objects.select_related("portal_account").filter(pk=contact_id).first()


def portal_required[R: HttpResponseBase](view: Callable[..., R]) -> Callable[..., HttpResponseBase]:
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        contact = portal_contact(request)
        if contact is None:
            return redirect(reverse("portal:login") + "?next=" + request.path)
        request.portal_contact = contact  # type: ignore[attr-defined]
        return view(request, *args, **kwargs)

    return wrapper
