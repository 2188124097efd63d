"""Every read of the mail app, scoped to what the viewer may see."""

from __future__ import annotations

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from payvand.accounts.models import User
from payvand.core.errors import NotFound, PermissionDenied, ValidationFailed
from payvand.mail.models import InboundEmail, Mailbox

LIST_FIELDS = [f.name for f in InboundEmail._meta.concrete_fields if f.name != "raw"]


def _require(user: User, perm: str) -> None:
    if not user.has_perm(perm):
        raise PermissionDenied(detail=_("You do not have permission to do this."))


def mailbox_list(*, user: User) -> QuerySet[Mailbox]:
    _require(user, "mail.view_mailbox")
    return Mailbox.objects.order_by("name", "pk")


def inbound_list(
    *, user: User, status: str | None = None, mailbox_id: int | None = None, before: int | None = None, limit: int = 50
) -> list[InboundEmail]:
    """Inbound mail, newest first (keyset pagination on id), without the raw bytes."""
    _require(user, "mail.view_inboundemail")
    qs = InboundEmail.objects.only(*LIST_FIELDS).select_related("mailbox", "ticket").order_by("-pk")
    if status:
        if status not in InboundEmail.Status.values:
            raise ValidationFailed.on("status", _("Unknown status."))
        qs = qs.filter(status=status)
    if mailbox_id:
        qs = qs.filter(mailbox_id=mailbox_id)
    if before:
        qs = qs.filter(pk__lt=before)
    return list(qs[:limit])


def inbound_get_for_user(*, user: User, inbound_id: int) -> InboundEmail:
    _require(user, "mail.view_inboundemail")
    row = InboundEmail.objects.only(*LIST_FIELDS).filter(pk=inbound_id).first()
    if row is None:
        raise NotFound(detail=_("Not found."))
    return row
