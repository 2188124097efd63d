"""Thin views: the call log, the callback queue, the screen-pop banner and its one-click actions, click-to-call."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from payvand.accounts.models import User
from payvand.contacts import selectors as contact_selectors
from payvand.contacts.normalize import phone_display
from payvand.core.errors import FieldError, PayvandError, ValidationFailed
from payvand.core.http import ui_errors
from payvand.core.selectors import event_list_for_contact
from payvand.helpdesk import selectors as ticket_selectors
from payvand.helpdesk.models import ACTIVE_CATEGORIES
from payvand.telephony import selectors, services
from payvand.telephony.forms import (
    AppointmentForm,
    CallLogForm,
    CallTicketForm,
    OriginateForm,
    PickContactForm,
    QuickContactForm,
)
from payvand.telephony.models import Call, Outcome

PAGE_SIZE = 50


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


def _next(request: HttpRequest, fallback: str) -> str:
    nxt = request.POST.get("next") or request.GET.get("next") or ""
    if nxt and url_has_allowed_host_and_scheme(nxt, allowed_hosts={request.get_host()}, require_https=False):
        return nxt
    return fallback


def _errors(request: HttpRequest, exc: PayvandError) -> None:
    messages.error(request, "; ".join([str(exc.detail), *(str(e.message) for e in exc.errors)]))


def _form_errors(form: Any) -> ValidationFailed:
    errors = [FieldError(name, " ".join(str(m) for m in msgs)) for name, msgs in form.errors.items()]
    return ValidationFailed(detail=_("Some fields are not valid."), errors=errors)


@ui_errors
@require_GET
def call_list(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    outcome = request.GET.get("outcome", "")
    outcome = outcome if outcome in Outcome.values else ""
    try:
        before = int(request.GET.get("before", "")) or None
    except ValueError:
        before = None
    calls = selectors.call_list(user=user, filters={"outcome": outcome}, limit=PAGE_SIZE, before=before)
    context = {
        "calls": calls,
        "outcome": outcome,
        "outcomes": Outcome.choices,
        "next_before": calls[-1].pk if len(calls) == PAGE_SIZE else None,
    }
    return render(request, "telephony/calls.html", context)


@ui_errors
@require_GET
def callbacks(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    context = {"calls": selectors.callback_queue(user=user, limit=200), "pbx": services.ami_configured()}
    template = "telephony/callbacks.html#queue" if request.GET.get("fragment") else "telephony/callbacks.html"
    return render(request, template, context)


@ui_errors
@require_GET
def call_detail(request: HttpRequest, call_id: int) -> HttpResponse:
    call = selectors.call_get_for_user(user=_user(request), call_id=call_id)
    context = {"call": call, "log_form": CallLogForm(initial={"note": call.note, "wrap_up": call.wrap_up_id})}
    return render(request, "telephony/call_detail.html", context)


def _banner_context(request: HttpRequest, call: Call) -> dict[str, Any]:
    user = _user(request)
    number = call.caller_e164
    context: dict[str, Any] = {
        "call": call,
        "number": phone_display(number) if number else call.caller,
        "log_form": CallLogForm(initial={"note": call.note, "wrap_up": call.wrap_up_id}),
        "ticket_form": CallTicketForm(),
        "contact_form": QuickContactForm(),
        "next": _next(request, request.GET.get("here", "") or reverse("telephony:detail", args=[call.pk])),
        "can_change": user.has_perm(selectors.CHANGE),
        "can_add_ticket": user.has_perm("helpdesk.add_ticket"),
        "can_add_contact": user.has_perm("contacts.add_contact"),
        "contact": None,
        "matches": [],
    }
    contact = call.contact
    if contact is None and number:
        matches = contact_selectors.contact_lookup_summaries(user=user, phone=number)
        if len(matches) == 1:
            contact = contact_selectors.contact_get_for_user(user=user, contact_id=matches[0].id)
        context["matches"] = matches
    if contact is not None:
        contact = contact_selectors.contact_get_for_user(user=user, contact_id=contact.pk)
        tickets = ticket_selectors.tickets_for_contact(user=user, contact_id=contact.pk)
        context.update(
            contact=contact,
            flags=list(contact.flags.all()),
            open_tickets=[t for t in tickets if t.status_category in ACTIVE_CATEGORIES][:5],
            events=event_list_for_contact(contact=contact, limit=5),
            appointment_form=AppointmentForm(auto_id=f"appt-{call.pk}-%s"),
            case_buttons=_case_buttons(user),
            appointment_next=context["next"],
            recent_calls=[c for c in selectors.calls_for_contact(user=user, contact_id=contact.pk) if c.pk != call.pk][
                :3
            ],
        )
    return context


def _case_buttons(user: User) -> list[Any]:
    from payvand.cases.selectors import case_buttons

    return case_buttons(user=user)


@ui_errors
@require_GET
def call_pop(request: HttpRequest, call_id: int) -> HttpResponse:
    """The call banner: the caller's contact (flags, open tickets, last interactions, one-click actions), a choice
    when several contacts share the number, or a quick-create form when none does."""
    call = selectors.call_get_for_user(user=_user(request), call_id=call_id)
    return render(request, "telephony/pop.html", _banner_context(request, call))


@ui_errors
@require_POST
def call_log(request: HttpRequest, call_id: int) -> HttpResponse:
    user = _user(request)
    call = selectors.call_get_for_user(user=user, call_id=call_id, action="change")
    form = CallLogForm(request.POST)
    try:
        if not form.is_valid():
            raise _form_errors(form)
        wrap_up = form.cleaned_data["wrap_up"]
        services.call_log(
            call=call,
            by=user,
            note=form.cleaned_data["note"] if "note" in request.POST else None,
            wrap_up_id=wrap_up.pk if wrap_up else None,
            ticket_id=form.cleaned_data["ticket"],
        )
        messages.success(request, _("Call logged."))
    except PayvandError as exc:
        _errors(request, exc)
    return redirect(_next(request, reverse("telephony:detail", args=[call.pk])))


@ui_errors
@require_POST
def call_ticket(request: HttpRequest, call_id: int) -> HttpResponse:
    user = _user(request)
    call = selectors.call_get_for_user(user=user, call_id=call_id, action="change")
    form = CallTicketForm(request.POST)
    try:
        if not form.is_valid():
            raise _form_errors(form)
        ticket = services.call_ticket_create(
            call=call, by=user, subject=form.cleaned_data["subject"], description=form.cleaned_data["description"]
        )
    except PayvandError as exc:
        _errors(request, exc)
        return redirect(_next(request, reverse("telephony:detail", args=[call.pk])))
    messages.success(request, _("Ticket %(ref)s created from the call.") % {"ref": ticket.reference})
    return redirect("helpdesk:detail", ticket.pk)


@ui_errors
@require_POST
def call_contact(request: HttpRequest, call_id: int) -> HttpResponse:
    """Quick-create the unknown caller, or pick one of the contacts that share the number."""
    user = _user(request)
    call = selectors.call_get_for_user(user=user, call_id=call_id, action="change")
    try:
        if "contact" in request.POST:
            pick = PickContactForm(request.POST)
            if not pick.is_valid():
                raise _form_errors(pick)
            services.call_log(call=call, by=user, contact_id=pick.cleaned_data["contact"])
            contact_id = pick.cleaned_data["contact"]
        else:
            form = QuickContactForm(request.POST)
            if not form.is_valid():
                raise _form_errors(form)
            contact_id = services.call_contact_create(call=call, by=user, name=form.cleaned_data["name"]).pk
    except PayvandError as exc:
        _errors(request, exc)
        return redirect(_next(request, reverse("telephony:detail", args=[call.pk])))
    return redirect(reverse("contacts:detail", args=[contact_id]) + f"?call={call.pk}")


@ui_errors
@require_POST
def callback_done(request: HttpRequest, call_id: int) -> HttpResponse:
    user = _user(request)
    call = selectors.call_get_for_user(user=user, call_id=call_id, action="change")
    try:
        services.call_callback_done(call=call, by=user)
        messages.success(request, _("Marked as called back."))
    except PayvandError as exc:
        _errors(request, exc)
    return redirect(_next(request, reverse("telephony:callbacks")))


@ui_errors
@require_POST
def originate(request: HttpRequest) -> HttpResponse:
    """Click-to-call. Answers JSON to the page script (pop.js), or redirects back for a plain form."""
    user = _user(request)
    form = OriginateForm(request.POST)
    wants_json = request.headers.get("Accept", "").startswith("application/json")
    try:
        if not form.is_valid():
            raise _form_errors(form)
        contact = None
        if form.cleaned_data["contact"]:
            contact = contact_selectors.contact_get_for_user(user=user, contact_id=form.cleaned_data["contact"])
        callback_of = None
        if form.cleaned_data["callback_of"]:
            callback_of = selectors.call_get_for_user(
                user=user, call_id=form.cleaned_data["callback_of"], action="change"
            )
        call = services.call_originate(
            by=user, number=form.cleaned_data["number"], contact=contact, callback_of=callback_of
        )
    except PayvandError as exc:
        if wants_json:
            return JsonResponse(exc.as_dict(), status=exc.status)
        _errors(request, exc)
        return redirect(_next(request, reverse("telephony:calls")))
    text = _("Calling %(number)s: pick up your phone.") % {"number": phone_display(call.dialled)}
    if wants_json:
        return JsonResponse({"call": call.pk, "message": text}, status=201)
    messages.success(request, text)
    return redirect(_next(request, reverse("telephony:calls")))


# --- Scheduled calls and meetings -------------------------------------------------------------------------------


@ui_errors
@require_POST
def appointment_add(request: HttpRequest, contact_id: int) -> HttpResponse:
    """Plan a call or meeting with the contact, from the 360° page or the call banner."""
    user = _user(request)
    contact = contact_selectors.contact_get_for_user(user=user, contact_id=contact_id)
    fallback = reverse("contacts:detail", args=[contact.pk])
    form = AppointmentForm(request.POST)
    try:
        if not form.is_valid():
            raise _form_errors(form)
        data = form.cleaned_data
        services.appointment_create(
            by=user,
            contact=contact,
            kind=data["kind"],
            starts_at=data["starts_at"],
            duration=data["duration"],
            note=data["note"],
            ticket_id=data["ticket"],
        )
        messages.success(request, _("Planned."))
    except PayvandError as exc:
        _errors(request, exc)
    return redirect(_next(request, fallback))


@ui_errors
@require_POST
def appointment_done(request: HttpRequest, appointment_id: int) -> HttpResponse:
    user = _user(request)
    appointment = selectors.appointment_get_for_user(user=user, appointment_id=appointment_id, action="change")
    try:
        services.appointment_update(appointment=appointment, by=user, changes={"done": True})
        messages.success(request, _("Marked as done."))
    except PayvandError as exc:
        _errors(request, exc)
    return redirect(_next(request, reverse("contacts:detail", args=[appointment.contact_id])))


@ui_errors
@require_POST
def appointment_edit(request: HttpRequest, appointment_id: int) -> HttpResponse:
    """Change a planned call or meeting (kind, start, length, note) from the 360° page; a new start re-arms the
    reminder."""
    user = _user(request)
    appointment = selectors.appointment_get_for_user(user=user, appointment_id=appointment_id, action="change")
    form = AppointmentForm(request.POST)
    try:
        if not form.is_valid():
            raise _form_errors(form)
        data = form.cleaned_data
        changes = {"kind": data["kind"], "starts_at": data["starts_at"], "duration": data["duration"]}
        changes["note"] = data["note"]
        services.appointment_update(appointment=appointment, by=user, changes=changes)
        messages.success(request, _("Changed."))
    except PayvandError as exc:
        _errors(request, exc)
    return redirect(_next(request, reverse("contacts:detail", args=[appointment.contact_id])))


@ui_errors
@require_POST
def appointment_cancel(request: HttpRequest, appointment_id: int) -> HttpResponse:
    """Call off a planned call or meeting (it goes; the timeline keeps that it was planned and called off)."""
    user = _user(request)
    appointment = selectors.appointment_get_for_user(user=user, appointment_id=appointment_id, action="delete")
    contact_id = appointment.contact_id
    services.appointment_delete(appointment=appointment, by=user)
    messages.success(request, _("Called off."))
    return redirect(_next(request, reverse("contacts:detail", args=[contact_id])))


@ui_errors
@require_GET
def appointments_cartable(request: HttpRequest) -> HttpResponse:
    """The cartable's box: the agent's open calls and meetings, with how many there are and how many are due."""
    rows, total, due = selectors.appointments_open_for_user(user=_user(request))
    context = {"appointments": rows, "total": total, "due": due, "now": timezone.now()}
    return render(request, "telephony/cartable_appointments.html#rows", context)


def section_calls(user: User, contact: Any) -> dict[str, Any]:
    return {"contact_calls": selectors.calls_for_contact(user=user, contact_id=contact.pk, limit=10)}


def section_appointments(user: User, contact: Any) -> dict[str, Any]:
    appointments = selectors.appointments_for_contact(user=user, contact_id=contact.pk)
    if appointments and user.has_perm("telephony.change_appointment"):
        # Rows the viewer may change (their own, or their team's as a lead): each gets a "Change" form with its values.
        mine = set(
            selectors.appointment_queryset_for_user(user=user)
            .filter(pk__in=[a.pk for a in appointments])
            .values_list("pk", flat=True)
        )
        for a in appointments:
            if a.pk not in mine:
                continue
            initial = {"kind": a.kind, "starts_at": a.starts_at, "duration": a.duration, "note": a.note}
            a.edit_form = AppointmentForm(initial=initial, auto_id=f"appt{a.pk}-%s")  # type: ignore[attr-defined]
    return {"appointments": appointments, "appointment_form": AppointmentForm(auto_id="appt-%s")}
