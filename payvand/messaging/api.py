"""/api/v1/channels: the raw inbound store (SMS, Telegram, WhatsApp) and reprocessing what failed."""

from __future__ import annotations

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Query, Router

from payvand.accounts.models import User
from payvand.core.errors import Conflict
from payvand.core.schemas import ERRORS, PathId
from payvand.messaging import selectors, services
from payvand.messaging.models import InboundMessage
from payvand.messaging.schemas import InboundListIn, InboundListOut, InboundOut

router = Router(tags=["channels"])


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


def inbound_out(inbound: InboundMessage) -> InboundOut:
    message = inbound.ticket_message
    return InboundOut(
        id=inbound.pk,
        provider=inbound.provider,
        kind=inbound.kind,
        provider_message_id=inbound.provider_message_id,
        sender=inbound.sender,
        state=inbound.state,
        error=inbound.error,
        attempts=inbound.attempts,
        next_attempt_at=inbound.next_attempt_at,
        ticket_id=message.ticket_id if message is not None else None,
        message_id=message.pk if message is not None else None,
        received_at=inbound.received_at,
        processed_at=inbound.processed_at,
    )


@router.get("/inbound", response={200: InboundListOut, **ERRORS}, summary="Stored inbound messages, newest first")
def inbound_list(request: HttpRequest, filters: Query[InboundListIn]) -> InboundListOut:
    items = selectors.inbound_page(
        user=_user(request), state=filters.state, before_id=filters.before_id, limit=filters.limit + 1
    )
    more = len(items) > filters.limit
    items = items[: filters.limit]
    return InboundListOut(items=[inbound_out(i) for i in items], next_before_id=items[-1].pk if more else None)


@router.post(
    "/inbound/{inbound_id}/reprocess",
    response={200: InboundOut, **ERRORS},
    summary="Process a message that could not be processed, or was over the sender's rate limit, again",
)
def inbound_reprocess(request: HttpRequest, inbound_id: PathId) -> InboundOut:
    inbound = selectors.inbound_get_for_user(user=_user(request), inbound_id=inbound_id, action="change")
    if inbound.state not in services.REPROCESSABLE:
        raise Conflict(
            detail=_("Only a message that could not be processed or was over the rate limit can be processed again.")
        )
    result = services.inbound_reprocess(inbound=inbound)
    assert result is not None  # noqa: S101 - the row exists: it was just loaded
    return inbound_out(selectors.inbound_get_for_user(user=_user(request), inbound_id=result.pk))
