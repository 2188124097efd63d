"""Portal pages: thin views over portal services and selectors. Every ticket is loaded through
`selectors.portal_ticket_get`, so a customer only ever reaches their own (or their organisation's) requests."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import SuspiciousOperation
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from payvand.core.errors import NotFound, PayvandError, TooManyRequests, ValidationFailed
from payvand.core.forms import apply_errors
from payvand.core.http import client_ip
from payvand.helpdesk.models import StatusCategory, Ticket, TicketType
from payvand.portal import forms as f
from payvand.portal import links, selectors, services
from payvand.portal.auth import portal_contact, portal_login, portal_logout, portal_required

FORM_PREFIX = "fv"


def _next(request: HttpRequest) -> str:
    nxt = request.POST.get("next") or request.GET.get("next") or ""
    if nxt.startswith("/portal/") and url_has_allowed_host_and_scheme(nxt, allowed_hosts={request.get_host()}):
        return nxt
    return reverse("portal:home")


def login(request: HttpRequest) -> HttpResponse:
    """Ask for a magic link, or sign in with a password."""
    link_form, password_form = f.EmailForm(prefix="link"), f.PasswordLoginForm(prefix="pw")
    sent = False
    status = 200
    if request.method == "POST" and request.POST.get("action") == "password":
        password_form = f.PasswordLoginForm(request.POST, prefix="pw")
        if password_form.is_valid():
            try:
                contact = services.password_login(
                    email=password_form.cleaned_data["email"],
                    password=password_form.cleaned_data["password"],
                    ip=client_ip(request),
                )
            except PayvandError as exc:
                password_form.add_error(None, str(exc.detail))
                status = 429 if isinstance(exc, TooManyRequests) else 422
            else:
                portal_login(request, contact)
                return redirect(_next(request))
        else:
            status = 422
    elif request.method == "POST":
        link_form = f.EmailForm(request.POST, prefix="link")
        if link_form.is_valid():
            try:
                services.magic_link_request(email=link_form.cleaned_data["email"], ip=client_ip(request))
            except ValidationFailed as exc:
                apply_errors(link_form, exc)
            except TooManyRequests as exc:
                link_form.add_error(None, str(exc.detail))
                status = 429
            else:
                sent = True
        if link_form.errors and status == 200:
            status = 422
    context = {"link_form": link_form, "password_form": password_form, "sent": sent, "next": _next(request)}
    return render(request, "portal/login.html", context, status=status)


def magic(request: HttpRequest, token: str) -> HttpResponse:
    """GET shows a button; only the POST uses the link (mail scanners that open links must not spend it)."""
    if request.method == "POST":
        try:
            contact = services.magic_link_consume(token=token)
        except PayvandError as exc:
            return render(request, "portal/magic.html", {"error": str(exc.detail)}, status=400)
        portal_login(request, contact)
        messages.success(request, _("You are signed in."))
        return redirect("portal:home")
    return render(request, "portal/magic.html", {"token": token})


@require_POST
def logout(request: HttpRequest) -> HttpResponse:
    portal_logout(request)
    return redirect("portal:login")


@portal_required
def home(request: HttpRequest) -> HttpResponse:
    contact = request.portal_contact  # type: ignore[attr-defined]
    state = request.GET.get("state", "")
    state = state if state in ("open", "done") else ""
    page = selectors.portal_ticket_page(contact=contact, state=state, page=request.GET.get("page", "1")[:12])
    context = {"tickets": page.items, "page": page, "state": state, "contact": contact}
    return render(request, "portal/home.html", context)


def _type_or_none(raw: Any) -> TicketType | None:
    try:
        return TicketType.objects.select_related("form").filter(pk=int(str(raw)), is_active=True).first()
    except (TypeError, ValueError, OverflowError):
        return None


@portal_required
def request_new(request: HttpRequest) -> HttpResponse:
    """Open a request: choose its type, fill in the type's form (payvand/forms renders and validates it)."""
    from payvand.forms.rendering import form_render, form_values_from_post

    contact = request.portal_contact  # type: ignore[attr-defined]
    types = list(TicketType.objects.filter(is_active=True).select_related("form").order_by("name"))
    raw_type = request.POST.get("type") if request.method == "POST" else request.GET.get("type")
    ticket_type = _type_or_none(raw_type) if raw_type else None
    form_values: dict[str, Any] | None = None
    form_errors: Any = None
    status = 200
    if request.method == "POST":
        form = f.RequestForm(request.POST)
        form_files = None
        if ticket_type is not None and ticket_type.form is not None:
            form_values, uploads = form_values_from_post(
                ticket_type.form, request.POST, request.FILES, prefix=FORM_PREFIX
            )
            form_files = dict(uploads) or None
        if raw_type and ticket_type is None:
            form.add_error(None, _("Choose one of the request types."))
        if form.is_valid() and not form.errors:
            try:
                ticket = services.portal_ticket_create(
                    contact=contact,
                    subject=form.cleaned_data["subject"],
                    description=form.cleaned_data["description"],
                    type=ticket_type,
                    form_values=form_values,
                    form_files=form_files,
                )
            except ValidationFailed as exc:
                custom = (
                    set((ticket_type.form.layout or {}).get("fields") or {})
                    if ticket_type and ticket_type.form
                    else set()
                )
                rest = [e for e in exc.errors if e.field not in custom]
                form_errors = exc
                if rest:
                    apply_errors(form, ValidationFailed(detail=exc.detail, errors=rest))
                else:
                    form.add_error(None, str(exc.detail))
            except PayvandError as exc:
                form.add_error(None, str(exc.detail))
            else:
                from payvand.kb.services import suggestions_submitted

                suggestions_submitted(session_key=request.session.session_key or "")
                messages.success(request, _("Your request %(ref)s is registered.") % {"ref": ticket.reference})
                return redirect("portal:detail", ticket_id=ticket.pk)
        status = 422
    else:
        form = f.RequestForm()
    type_form_html = ""
    if ticket_type is not None and ticket_type.form is not None:
        type_form_html = form_render(ticket_type.form, form_values, form_errors, prefix=FORM_PREFIX)
    context = {"form": form, "types": types, "ticket_type": ticket_type, "type_form_html": type_form_html}
    return render(request, "portal/new.html", context, status=status)


def _detail_context(ticket: Ticket) -> dict[str, Any]:
    msgs = list(selectors.public_messages(ticket=ticket))
    for m in msgs:
        m.agent_name = selectors.agent_display_name(m)  # type: ignore[attr-defined]
    from payvand.core.events import VERBS
    from payvand.portal.models import Satisfaction

    history = list(selectors.public_history(ticket=ticket))
    for e in history:
        e.verb_label = str(VERBS.get(e.verb, ""))  # type: ignore[attr-defined]
    satisfaction = Satisfaction.objects.filter(ticket=ticket).first()
    return {
        "ticket": ticket,
        "messages_public": msgs,
        "history": [e for e in history if e.verb_label],  # type: ignore[attr-defined]
        "can_accept": ticket.status_category == StatusCategory.RESOLVED
        or (ticket.is_active and bool(ticket.proposed_resolution)),
        "can_reopen": ticket.status_category in (StatusCategory.RESOLVED, StatusCategory.CLOSED),
        "can_rate": ticket.status_category in (StatusCategory.RESOLVED, StatusCategory.CLOSED),
        "satisfaction": satisfaction,
        "assignee_name": (ticket.assignee.full_name or "").split(" ")[0] if ticket.assignee else "",
    }


@portal_required
def detail(request: HttpRequest, ticket_id: int) -> HttpResponse:
    contact = request.portal_contact  # type: ignore[attr-defined]
    ticket = _ticket(contact, ticket_id)
    context = {**_detail_context(ticket), "reply_form": f.ReplyForm(), "rating_form": f.RatingForm()}
    return render(request, "portal/detail.html", context)


def _ticket(contact: Any, ticket_id: int) -> Ticket:
    try:
        return selectors.portal_ticket_get(contact=contact, ticket_id=ticket_id)
    except NotFound as exc:
        raise Http404(str(exc.detail)) from exc


@require_POST
@portal_required
def reply(request: HttpRequest, ticket_id: int) -> HttpResponse:
    contact = request.portal_contact  # type: ignore[attr-defined]
    ticket = _ticket(contact, ticket_id)
    form = f.ReplyForm(request.POST)
    if form.is_valid():
        try:
            message = services.portal_reply(
                contact=contact,
                ticket=ticket,
                body=form.cleaned_data["body"],
                attachments=request.FILES.getlist("attachments"),
            )
        except PayvandError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("Your message was sent."))
            return redirect("portal:detail", ticket_id=message.ticket_id)
    context = {**_detail_context(ticket), "reply_form": form, "rating_form": f.RatingForm()}
    return render(request, "portal/detail.html", context, status=422)


@require_POST
@portal_required
def accept(request: HttpRequest, ticket_id: int) -> HttpResponse:
    contact = request.portal_contact  # type: ignore[attr-defined]
    ticket = _ticket(contact, ticket_id)
    try:
        services.portal_accept(contact=contact, ticket=ticket)
    except PayvandError as exc:
        messages.error(request, str(exc.detail))
    else:
        messages.success(request, _("Thank you: the request is closed."))
    return redirect("portal:detail", ticket_id=ticket.pk)


@require_POST
@portal_required
def reopen(request: HttpRequest, ticket_id: int) -> HttpResponse:
    contact = request.portal_contact  # type: ignore[attr-defined]
    ticket = _ticket(contact, ticket_id)
    try:
        services.portal_reopen(contact=contact, ticket=ticket, reason=request.POST.get("reason", ""))
    except PayvandError as exc:
        messages.error(request, str(exc.detail))
    else:
        messages.success(request, _("The request is open again."))
    return redirect("portal:detail", ticket_id=ticket.pk)


def _rate(request: HttpRequest, ticket: Ticket, contact: Any) -> tuple[f.RatingForm, bool]:
    form = f.RatingForm(request.POST)
    if not form.is_valid():
        return form, False
    try:
        services.satisfaction_answer(
            ticket=ticket, contact=contact, rating=form.cleaned_data["rating"], comment=form.cleaned_data["comment"]
        )
    except PayvandError as exc:
        apply_errors(form, exc)
        return form, False
    return form, True


@require_POST
@portal_required
def rate(request: HttpRequest, ticket_id: int) -> HttpResponse:
    contact = request.portal_contact  # type: ignore[attr-defined]
    ticket = _ticket(contact, ticket_id)
    form, ok = _rate(request, ticket, contact)
    if ok:
        messages.success(request, _("Thank you for your rating."))
        return redirect("portal:detail", ticket_id=ticket.pk)
    context = {**_detail_context(ticket), "reply_form": f.ReplyForm(), "rating_form": form}
    return render(request, "portal/detail.html", context, status=422)


@portal_required
def attachment(request: HttpRequest, attachment_id: int) -> FileResponse:
    contact = request.portal_contact  # type: ignore[attr-defined]
    try:
        item = selectors.portal_attachment_get(contact=contact, attachment_id=attachment_id)
    except NotFound as exc:
        raise Http404(str(exc.detail)) from exc
    try:
        handle = item.file.open("rb")
    except (FileNotFoundError, OSError):
        raise Http404(_("The file is missing from the storage.")) from None
    response = FileResponse(handle, as_attachment=True, filename=item.name, content_type=item.content_type)
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "private, no-store"
    return response


def track(request: HttpRequest, token: str) -> HttpResponse:
    """A request by its signed link from an email, without an account: status and public history, read-only."""
    ticket = links.ticket_from_token(token, salt=links.TRACK_SALT, max_age=links.TRACK_MAX_AGE)
    if ticket is None:
        return render(request, "portal/link_invalid.html", status=404)
    context = {**_detail_context(ticket), "tracking": True, "signed_in": portal_contact(request) is not None}
    return render(request, "portal/detail.html", context)


def survey(request: HttpRequest, token: str) -> HttpResponse:
    """The satisfaction survey from the email after a request was resolved."""
    ticket = links.ticket_from_token(token, salt=links.SURVEY_SALT, max_age=links.SURVEY_MAX_AGE)
    if ticket is None:
        return render(request, "portal/link_invalid.html", status=404)
    status = 200
    done = False
    if request.method == "POST":
        form, done = _rate(request, ticket, ticket.requester)
        status = 200 if done else 422
    else:
        form = f.RatingForm()
    return render(request, "portal/survey.html", {"ticket": ticket, "form": form, "done": done}, status=status)


@portal_required
def password(request: HttpRequest) -> HttpResponse:
    contact = request.portal_contact  # type: ignore[attr-defined]
    form = f.PasswordSetForm(request.POST or None)
    if request.method == "POST":
        if form.is_valid():
            try:
                services.password_set(contact=contact, password=form.cleaned_data["password"])
            except PayvandError as exc:
                apply_errors(form, exc)
            else:
                messages.success(request, _("Your password is set. You can sign in with it from now on."))
                return redirect("portal:home")
        return render(request, "portal/password.html", {"form": form}, status=422)
    return render(request, "portal/password.html", {"form": form})


def service_worker(request: HttpRequest, scope: str = "portal") -> HttpResponse:
    """The service worker, served from the scope it controls (a file under /static/ could only control /static/)."""
    from django.contrib.staticfiles import finders

    path = finders.find("portal/sw.js")
    if not path:
        raise SuspiciousOperation("the service worker is missing")
    with open(path, encoding="utf-8") as fh:  # noqa: PTH123
        body = fh.read()
    response = HttpResponse(body, content_type="application/javascript")
    response["Cache-Control"] = "no-cache"
    response["Service-Worker-Allowed"] = "/"
    return response
