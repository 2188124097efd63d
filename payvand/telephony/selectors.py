"""Every read of the telephony app, scoped to the viewer."""

from __future__ import annotations

from typing import Any

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from payvand.accounts.models import User
from payvand.core.errors import NotFound, PermissionDenied
from payvand.telephony.models import Appointment, Call, Callback, CallEvent, WrapUpCode

VIEW = "telephony.view_call"
CHANGE = "telephony.change_call"
VIEW_ALL = "telephony.view_all_calls"


def call_require_perm(*, user: User, perm: str = VIEW) -> None:
    if not user.has_perm(perm):
        raise PermissionDenied(detail=_("You do not have permission to see calls."))


def call_queryset_for_user(*, user: User) -> QuerySet[Call]:
    """Supervisors see every call; an agent sees their own calls and the missed calls nobody took."""
    call_require_perm(user=user)
    qs = Call.objects.select_related("agent", "contact", "ticket", "wrap_up")
    if user.has_perm(VIEW_ALL):
        return qs
    mine = Q(agent=user) | Q(agent__isnull=True, callback__in=[Callback.PENDING, Callback.DONE])
    if user.extension:  # a call that rang at my extension (a ring group rings several)
        mine |= Q(Exists(CallEvent.objects.filter(call=OuterRef("pk"), extension=user.extension)))
    return qs.filter(mine)


def call_get_for_user(*, user: User, call_id: int, action: str = "view") -> Call:
    qs = call_queryset_for_user(user=user)
    if action == "change":
        call_require_perm(user=user, perm=CHANGE)
    call = qs.filter(pk=call_id).first()
    if call is None:
        raise NotFound(detail=_("No such call."))
    return call


def call_list(
    *, user: User, filters: dict[str, Any] | None = None, limit: int = 50, before: int | None = None
) -> list[Call]:
    """Newest first; `before` is the id of the last call of the previous page (keyset pagination)."""
    qs = call_queryset_for_user(user=user)
    filters = filters or {}
    for name in ("outcome", "direction", "state", "callback"):
        if filters.get(name):
            qs = qs.filter(**{name: filters[name]})
    if filters.get("contact"):
        qs = qs.filter(contact_id=filters["contact"])
    if before is not None:
        qs = qs.filter(pk__lt=before)
    return list(qs.order_by("-id")[:limit])


def callback_queue(*, user: User, limit: int = 50) -> list[Call]:
    """Missed calls waiting for a callback, oldest first."""
    qs = call_queryset_for_user(user=user).filter(callback=Callback.PENDING)
    return list(qs.order_by("ended_at", "id")[:limit])


def callback_count(*, user: User) -> int:
    if not user.has_perm(VIEW):
        return 0
    return call_queryset_for_user(user=user).filter(callback=Callback.PENDING).count()


def calls_for_contact(*, user: User, contact_id: int, limit: int = 10) -> list[Call]:
    if not user.has_perm(VIEW):
        return []
    return list(call_queryset_for_user(user=user).filter(contact_id=contact_id).order_by("-started_at")[:limit])


def wrap_up_choices() -> QuerySet[WrapUpCode]:
    return WrapUpCode.objects.filter(is_active=True)


# --- Scheduled calls and meetings ---------------------------------------------------------------------------------

APPOINTMENT_VIEW = "telephony.view_appointment"


def appointment_queryset_for_user(*, user: User) -> QuerySet[Appointment]:
    """Leads see every planned call and meeting; others those they own or planned."""
    if not user.has_perm(APPOINTMENT_VIEW):
        raise PermissionDenied(detail=_("You do not have permission to see scheduled calls and meetings."))
    qs = Appointment.objects.select_related("contact", "owner", "ticket")
    if user.has_perm(VIEW_ALL):
        return qs
    return qs.filter(Q(owner=user) | Q(created_by=user))


def appointment_get_for_user(*, user: User, appointment_id: int, action: str = "view") -> Appointment:
    qs = appointment_queryset_for_user(user=user)
    if action != "view" and not user.has_perm(f"telephony.{action}_appointment"):
        raise PermissionDenied(detail=_("You may not change scheduled calls and meetings."))
    appointment = qs.filter(pk=appointment_id).first()
    if appointment is None:
        raise NotFound(detail=_("No such scheduled call or meeting."))
    return appointment


def appointment_list(
    *,
    user: User,
    contact_id: int | None = None,
    done: bool | None = None,
    limit: int = 50,
    after: tuple[Any, int] | None = None,
) -> list[Appointment]:
    """Oldest start first (keyset on (starts_at, id) via `after`)."""
    qs = appointment_queryset_for_user(user=user)
    if contact_id is not None:
        qs = qs.filter(contact_id=contact_id)
    if done is not None:
        qs = qs.filter(done=done)
    if after is not None:
        qs = qs.filter(Q(starts_at__gt=after[0]) | Q(starts_at=after[0], pk__gt=after[1]))
    return list(qs.order_by("starts_at", "id")[:limit])


def appointments_open_for_user(*, user: User, limit: int = 50) -> tuple[list[Appointment], int, int]:
    """The agent's own open calls and meetings for the cartable: (list, how many, how many already due)."""
    if not user.has_perm(APPOINTMENT_VIEW):
        return [], 0, 0
    qs = Appointment.objects.select_related("contact", "ticket").filter(owner=user, done=False)
    rows = list(qs.order_by("starts_at", "id")[:limit])
    total = qs.count()
    due = qs.filter(starts_at__lte=timezone.now()).count()
    return rows, total, due


def appointments_for_contact(*, user: User, contact_id: int, limit: int = 10) -> list[Appointment]:
    """The contact's open planned calls and meetings, whoever owns them (the 360° page; the contact's access was
    checked by the caller)."""
    if not user.has_perm(APPOINTMENT_VIEW):
        return []
    qs = Appointment.objects.select_related("owner", "ticket").filter(contact_id=contact_id, done=False)
    return list(qs.order_by("starts_at", "id")[:limit])
