from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from payvand.accounts.models import User
from payvand.contacts import selectors as contact_selectors
from payvand.core.errors import PermissionDenied
from payvand.core.http import is_htmx


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


@login_required
def home(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    context: dict[str, object] = {}
    if user.has_perm("contacts.view_contact"):
        context["stats"] = contact_selectors.contact_stats(user=user)
        context["recent"] = contact_selectors.contact_recent(user=user, limit=8)
        context["mine"] = contact_selectors.contact_recent(user=user, limit=8, owner=user)
    return render(request, "core/home.html", context)


@login_required
def search(request: HttpRequest) -> HttpResponse:
    """The global search box. Finds contacts for now; later issues add tickets, deals, articles."""
    user = _user(request)
    q = request.GET.get("q", "").strip()[:200]
    try:
        contact_selectors.contact_require_perm(user=user, action="view")  # even the empty page
        results = contact_selectors.contact_search(user=user, text=q, limit=50) if q else []
    except PermissionDenied as exc:
        raise DjangoPermissionDenied(str(exc)) from exc
    if len(results) == 1 and request.GET.get("go") == "1":
        return redirect("contacts:detail", contact_id=results[0].pk)
    template = "core/search.html#results" if is_htmx(request) else "core/search.html"
    return render(request, template, {"q": q, "results": results})
