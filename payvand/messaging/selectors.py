"""Every read of the channels, scoped to what the viewer may see."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from payvand.accounts.models import User
from payvand.core.errors import NotFound, PermissionDenied, ValidationFailed
from payvand.messaging.models import InboundMessage, Kind, OutboundMessage

PERMS = {"view": "messaging.view_inboundmessage", "change": "messaging.change_inboundmessage"}


def inbound_require_perm(*, user: User, action: str) -> None:
    if not user.is_authenticated or not user.has_perm(PERMS[action]):
        raise PermissionDenied(detail=_("You may not see the inbound message store."))


def inbound_page(
    *, user: User, state: str | None = None, before_id: int | None = None, limit: int = 50
) -> list[InboundMessage]:
    """Newest first, `before_id` for the next page (keyset on the id)."""
    inbound_require_perm(user=user, action="view")
    qs: QuerySet[InboundMessage] = InboundMessage.objects.order_by("-id")
    if state:
        if state not in InboundMessage.State.values:
            raise ValidationFailed.on("state", _("Unknown state."))
        qs = qs.filter(state=state)
    if before_id is not None:
        qs = qs.filter(id__lt=before_id)
    return list(qs.select_related("ticket_message")[:limit])


def inbound_get_for_user(*, user: User, inbound_id: int, action: str = "view") -> InboundMessage:
    inbound_require_perm(user=user, action=action)
    inbound = InboundMessage.objects.select_related("ticket_message").filter(pk=inbound_id).first()
    if inbound is None:
        raise NotFound(detail=_("No such inbound message."))
    return inbound


@dataclass(frozen=True)
class Delivery:
    """How a ticket message travelled on SMS/Telegram/WhatsApp: its messenger, and for a reply its delivery state."""

    channel_label: str
    state: str = ""
    state_label: str = ""
    error: str = ""


def message_deliveries(*, message_ids: list[int]) -> dict[int, Delivery]:
    """For the ticket page: two queries whatever the number of messages."""
    if not message_ids:
        return {}
    out: dict[int, Delivery] = {}
    for message_id, kind in InboundMessage.objects.filter(ticket_message_id__in=message_ids).values_list(
        "ticket_message_id", "kind"
    ):
        out[message_id] = Delivery(channel_label=str(Kind(kind).label))
    for o in OutboundMessage.objects.filter(message_id__in=message_ids).order_by("id"):
        out[o.message_id] = Delivery(
            channel_label=str(Kind(o.kind).label),
            state=o.state,
            state_label=str(OutboundMessage.State(o.state).label),
            error=o.last_error[:300],
        )
    return out
