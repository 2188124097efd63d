"""/api/v1/telephony: call events from the PBX (token only), the call log, click-to-call."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Query, Router

from payvand.accounts.auth import TokenAuth
from payvand.accounts.models import User
from payvand.contacts import selectors as contact_selectors
from payvand.core.errors import PermissionDenied, ValidationFailed
from payvand.core.schemas import ERRORS, PathId
from payvand.telephony import selectors, services
from payvand.telephony.models import Appointment, Call
from payvand.telephony.schemas import (
    AppointmentCreateIn,
    AppointmentListIn,
    AppointmentOut,
    AppointmentUpdateIn,
    CallEventIn,
    CallEventOut,
    CallListIn,
    CallLogIn,
    CallOriginateIn,
    CallOut,
)

router = Router(tags=["telephony"])


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


def call_out(call: Call) -> CallOut:
    return CallOut(
        id=call.pk,
        call_id=call.call_id,
        direction=call.direction,
        caller=call.caller,
        number_e164=call.caller_e164,
        dialled=call.dialled,
        extension=call.extension,
        agent_id=call.agent_id,
        state=call.state,
        outcome=call.outcome,
        started_at=call.started_at,
        answered_at=call.answered_at,
        ended_at=call.ended_at,
        duration=call.duration,
        wrap_up=call.wrap_up.name if call.wrap_up else None,
        note=call.note,
        contact_id=call.contact_id,
        ticket_id=call.ticket_id,
        callback=call.callback,
        returned_at=call.returned_at,
    )


@router.post(
    "/events",
    auth=TokenAuth(),
    response={200: CallEventOut, 201: CallEventOut, **ERRORS},
    summary="A call event from the PBX (ringing, answered, hangup, missed, transferred); a repeat is taken once",
)
def event_post(request: HttpRequest, payload: CallEventIn) -> tuple[int, CallEventOut]:
    user = _user(request)
    if not user.has_perm("telephony.post_events"):
        raise PermissionDenied(detail=_("This token may not send call events."))
    result = services.call_event_record(
        kind=payload.event,
        call_id=payload.call_id,
        caller=payload.caller,
        dialled=payload.dialled,
        extension=payload.extension,
        at=payload.at,
        outcome=payload.outcome,
        direction=payload.direction,
        by=user,
    )
    body = CallEventOut(created=result.created, event=result.event.kind, call=call_out(result.call))
    return (201 if result.created else 200), body


@router.get("/calls", response={200: list[CallOut], **ERRORS}, summary="Calls, newest first (keyset: before=<id>)")
def call_list(request: HttpRequest, params: Query[CallListIn]) -> list[CallOut]:
    filters: dict[str, Any] = params.dict(exclude={"before", "limit"})
    calls = selectors.call_list(user=_user(request), filters=filters, limit=params.limit, before=params.before)
    return [call_out(c) for c in calls]


@router.get("/calls/{call_id}", response={200: CallOut, **ERRORS}, summary="One call")
def call_detail(request: HttpRequest, call_id: PathId) -> CallOut:
    return call_out(selectors.call_get_for_user(user=_user(request), call_id=call_id))


@router.post("/calls/{call_id}/log", response={200: CallOut, **ERRORS}, summary="Log a call: note, wrap-up, ticket")
def call_log(request: HttpRequest, call_id: PathId, payload: CallLogIn) -> CallOut:
    user = _user(request)
    call = selectors.call_get_for_user(user=user, call_id=call_id, action="change")
    call = services.call_log(
        call=call,
        by=user,
        note=payload.note,
        wrap_up_id=payload.wrap_up,
        ticket_id=payload.ticket,
        contact_id=payload.contact,
    )
    return call_out(selectors.call_get_for_user(user=user, call_id=call.pk))


@router.post("/calls/{call_id}/callback-done", response={200: CallOut, **ERRORS}, summary="A missed call returned")
def callback_done(request: HttpRequest, call_id: PathId) -> CallOut:
    user = _user(request)
    call = selectors.call_get_for_user(user=user, call_id=call_id, action="change")
    services.call_callback_done(call=call, by=user)
    return call_out(selectors.call_get_for_user(user=user, call_id=call.pk))


@router.post("/originate", response={201: CallOut, **ERRORS}, summary="Click-to-call through the PBX (AMI Originate)")
def originate(request: HttpRequest, payload: CallOriginateIn) -> tuple[int, CallOut]:
    user = _user(request)
    contact = None
    if payload.contact is not None:
        contact = contact_selectors.contact_get_for_user(user=user, contact_id=payload.contact)
    call = services.call_originate(by=user, number=payload.number, contact=contact)
    return 201, call_out(call)


def appointment_out(a: Appointment) -> AppointmentOut:
    return AppointmentOut(
        id=a.pk,
        contact_id=a.contact_id,
        ticket_id=a.ticket_id,
        kind=a.kind,
        starts_at=a.starts_at,
        duration=a.duration,
        owner_id=a.owner_id,
        note=a.note,
        done=a.done,
        reminded_at=a.reminded_at,
        version=a.version,
    )


@router.get(
    "/appointments",
    response={200: list[AppointmentOut], **ERRORS},
    summary="Scheduled calls and meetings, by start time (yours; leads: everyone's)",
)
def appointment_list(request: HttpRequest, params: Query[AppointmentListIn]) -> list[AppointmentOut]:
    rows = selectors.appointment_list(
        user=_user(request), contact_id=params.contact, done=params.done, limit=params.limit
    )
    return [appointment_out(a) for a in rows]


@router.post("/appointments", response={201: AppointmentOut, **ERRORS}, summary="Plan a call or meeting")
def appointment_create(request: HttpRequest, payload: AppointmentCreateIn) -> tuple[int, AppointmentOut]:
    user = _user(request)
    contact = contact_selectors.contact_get_for_user(user=user, contact_id=payload.contact_id)
    appointment = services.appointment_create(
        by=user,
        contact=contact,
        kind=payload.kind,
        starts_at=payload.starts_at,
        duration=payload.duration,
        note=payload.note,
        owner_id=payload.owner_id,
        ticket_id=payload.ticket_id,
    )
    return 201, appointment_out(appointment)


@router.get("/appointments/{appointment_id}", response={200: AppointmentOut, **ERRORS}, summary="One")
def appointment_detail(request: HttpRequest, appointment_id: PathId) -> AppointmentOut:
    return appointment_out(selectors.appointment_get_for_user(user=_user(request), appointment_id=appointment_id))


@router.patch("/appointments/{appointment_id}", response={200: AppointmentOut, **ERRORS}, summary="Change, or done")
def appointment_update(request: HttpRequest, appointment_id: PathId, payload: AppointmentUpdateIn) -> AppointmentOut:
    user = _user(request)
    appointment = selectors.appointment_get_for_user(user=user, appointment_id=appointment_id, action="change")
    changes = payload.dict(exclude_unset=True)
    for key in ("kind", "starts_at", "duration", "note", "done", "owner_id"):
        if key in changes and changes[key] is None:
            raise ValidationFailed.on(key, _("This field cannot be empty."))
    if changes.get("ticket_id") == 0:
        changes["ticket_id"] = None
    return appointment_out(services.appointment_update(appointment=appointment, by=user, changes=changes))


@router.delete("/appointments/{appointment_id}", response={204: None, **ERRORS}, summary="Cancel")
def appointment_delete(request: HttpRequest, appointment_id: PathId) -> tuple[int, None]:
    user = _user(request)
    appointment = selectors.appointment_get_for_user(user=user, appointment_id=appointment_id, action="delete")
    services.appointment_delete(appointment=appointment, by=user)
    return 204, None
