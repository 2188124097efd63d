"""The general approval step. `approval_request()` on any record (a ticket here; sales orders later) sends it to
approvers, chosen by user or by role; `approval_decide()` records one approver's approval or rejection with a
comment. When the request is settled (any one / all approved, or rejected) the target's handler runs, in the
same transaction: for tickets, an internal note, a tag (`refund-approved`, `discount-rejected`, …) and a timeline
event. Other apps register their own handler in ON_SETTLED."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from decimal import Decimal, InvalidOperation
from typing import Any

from django.contrib.auth.models import Group
from django.contrib.contenttypes.models import ContentType
from django.db import models, transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from payvand.accounts.models import User
from payvand.automation.models import ApprovalRequest, ApprovalStep
from payvand.core.errors import Conflict, FieldError, NotFound, PermissionDenied, ValidationFailed
from payvand.core.services import event_record

ON_SETTLED: dict[str, Callable[[ApprovalRequest, User], None]] = {}


def _contact_of(target: models.Model) -> Any:
    return getattr(target, "requester", None) or getattr(target, "contact", None)


def approval_request(
    *,
    target: models.Model,
    by: User,
    kind: str,
    reason: str,
    amount: Any = None,
    currency: str = "",
    approvers: Iterable[User] = (),
    role: Group | None = None,
    mode: str = ApprovalRequest.Mode.ANY,
) -> ApprovalRequest:
    errors: list[FieldError] = []
    if kind not in ApprovalRequest.Kind.values:
        errors.append(FieldError("kind", _("Choose refund, discount or other.")))
    if not (reason or "").strip():
        errors.append(FieldError("reason", _("Give the reason.")))
    elif len(reason) > 5000:
        errors.append(FieldError("reason", _("Use at most %(n)s characters.") % {"n": 5000}))
    value: Decimal | None = None
    if amount not in (None, ""):
        try:
            value = Decimal(str(amount))
            if not value.is_finite() or value <= 0 or value >= Decimal("1e12"):
                raise InvalidOperation
            value = value.quantize(Decimal("0.01"))
        except InvalidOperation:
            errors.append(FieldError("amount", _("Give a positive amount.")))
    elif kind in (ApprovalRequest.Kind.REFUND, ApprovalRequest.Kind.DISCOUNT):
        errors.append(FieldError("amount", _("Give the amount.")))
    if currency and (len(currency) != 3 or not currency.isalpha()):
        errors.append(FieldError("currency", _("Give an ISO currency code (IRR, HUF, EUR).")))
    if mode not in ApprovalRequest.Mode.values:
        errors.append(FieldError("mode", _("Choose any or all.")))
    people = {u.pk: u for u in approvers if u is not None and u.is_active}
    if role is not None:
        people |= {u.pk: u for u in User.objects.filter(groups=role, is_active=True)}
    people.pop(by.pk, None)  # no one approves their own request
    if not people:
        errors.append(FieldError("approvers", _("Choose approvers (people or a role with members other than you).")))
    if errors:
        raise ValidationFailed(detail=_("Some fields are not valid."), errors=errors)
    with transaction.atomic():
        request = ApprovalRequest.objects.create(
            target_type=ContentType.objects.get_for_model(target),
            target_id=str(target.pk),
            kind=kind,
            amount=value,
            currency=currency.upper(),
            reason=reason.strip(),
            mode=mode,
            requested_by=by,
        )
        ApprovalStep.objects.bulk_create(ApprovalStep(request=request, approver=u) for u in people.values())
        event_record(
            actor=by,
            verb="approval.requested",
            target=target,
            contact=_contact_of(target),
            data={"approval": request.pk, "kind": kind, "amount": str(value) if value else None, "mode": mode},
        )
        from payvand.notifications.services import notify

        notify(
            recipients=people.values(),
            kind="approval",
            title=_("Approval needed: %(kind)s") % {"kind": request.get_kind_display()},
            body=request.reason[:500],
            url="/automation/approvals/",
            exclude=by,
        )
    return request


def approvals_pending_for(*, user: User) -> QuerySet[ApprovalStep]:
    if not user.is_authenticated:
        raise PermissionDenied(detail=_("Sign in first."))
    return (
        ApprovalStep.objects.filter(
            approver=user, decision=ApprovalStep.Decision.PENDING, request__state=ApprovalRequest.State.PENDING
        )
        .select_related("request__requested_by", "request__target_type")
        .order_by("request__created_at", "id")
    )


def approval_tally(request: ApprovalRequest) -> tuple[int, int, int]:
    """(approvers asked, approved, rejected) of the request, from its steps (prefetch `steps` for a list)."""
    decisions = [s.decision for s in request.steps.all()]
    return (
        len(decisions),
        decisions.count(ApprovalStep.Decision.APPROVED),
        decisions.count(ApprovalStep.Decision.REJECTED),
    )


def approval_get_for_user(*, user: User, approval_id: int) -> ApprovalRequest:
    """The request, for one of its approvers or its requester (404 for anyone else)."""
    if not user.is_authenticated:
        raise PermissionDenied(detail=_("Sign in first."))
    request = ApprovalRequest.objects.filter(pk=approval_id).first()
    if request is None or not (request.requested_by_id == user.pk or request.steps.filter(approver=user).exists()):
        raise NotFound(detail=_("No such approval request."))
    return request


def approval_decide(*, request: ApprovalRequest, by: User, approve: bool, comment: str = "") -> ApprovalRequest:
    if len(comment or "") > 5000:
        raise ValidationFailed.on("comment", _("Use at most %(n)s characters.") % {"n": 5000})
    if not approve and not (comment or "").strip():
        raise ValidationFailed.on("comment", _("Say why you reject it."))
    with transaction.atomic():
        locked = ApprovalRequest.objects.select_for_update().get(pk=request.pk)
        step = ApprovalStep.objects.select_for_update().filter(request=locked, approver=by).first()
        if step is None:
            raise PermissionDenied(detail=_("You are not an approver of this request."))
        if locked.state != ApprovalRequest.State.PENDING or step.decision != ApprovalStep.Decision.PENDING:
            raise Conflict(detail=_("This request has already been decided."))
        now = timezone.now()
        step.decision = ApprovalStep.Decision.APPROVED if approve else ApprovalStep.Decision.REJECTED
        step.comment = (comment or "").strip()
        step.decided_at = now
        step.save(update_fields=["decision", "comment", "decided_at"])
        decisions = list(locked.steps.values_list("decision", flat=True))
        if locked.mode == ApprovalRequest.Mode.ANY:
            settled = (
                ApprovalRequest.State.APPROVED
                if ApprovalStep.Decision.APPROVED in decisions
                else ApprovalRequest.State.REJECTED
                if all(d == ApprovalStep.Decision.REJECTED for d in decisions)
                else None
            )
        else:
            settled = (
                ApprovalRequest.State.REJECTED
                if ApprovalStep.Decision.REJECTED in decisions
                else ApprovalRequest.State.APPROVED
                if all(d == ApprovalStep.Decision.APPROVED for d in decisions)
                else None
            )
        target = locked.target
        event_record(
            actor=by,
            verb="approval.approved_by" if approve else "approval.rejected_by",
            target=target if target is not None else locked,
            contact=_contact_of(target) if target is not None else None,
            data={"approval": locked.pk, "comment": step.comment},
        )
        if settled is not None:
            locked.state = settled
            locked.decided_at = now
            locked.save(update_fields=["state", "decided_at"])
            event_record(
                actor=by,
                verb=f"approval.{settled}",
                target=target if target is not None else locked,
                contact=_contact_of(target) if target is not None else None,
                data={"approval": locked.pk, "kind": locked.kind, "amount": str(locked.amount or "")},
            )
            handler = ON_SETTLED.get(locked.target_type.model_class()._meta.label_lower)  # type: ignore[union-attr]
            if handler is not None:
                handler(locked, by)
    return locked


def _ticket_settled(request: ApprovalRequest, by: User) -> None:
    """A ticket's refund or discount was decided: an internal note and a tag say so; the process goes on there."""
    from payvand.helpdesk.models import Ticket
    from payvand.helpdesk.services import message_add, ticket_update

    ticket = Ticket.objects.filter(pk=request.target_id).first()
    if ticket is None:
        return
    comments = "; ".join(c for c in request.steps.exclude(comment="").values_list("comment", flat=True))
    text = _("%(kind)s of %(amount)s %(currency)s %(state)s. %(comments)s") % {
        "kind": request.get_kind_display(),
        "amount": request.amount or "",
        "currency": request.currency,
        "state": request.get_state_display(),
        "comments": comments,
    }
    message_add(ticket=ticket, by=by, body=text.strip(), kind="note")
    if ticket.is_active:
        names = list(ticket.tags.values_list("name", flat=True))
        ticket_update(ticket=Ticket.objects.get(pk=ticket.pk), by=by, tags=[*names, f"{request.kind}-{request.state}"])


ON_SETTLED["helpdesk.ticket"] = _ticket_settled
