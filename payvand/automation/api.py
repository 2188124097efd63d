"""/api/v1/automation/rules: CRUD and test-run of automation rules (admins, supervisors, service managers);
/api/v1/automation/macros: list and apply macros (agents); /api/v1/automation/webhooks: subscriptions and their
delivery log (admins)."""

from __future__ import annotations

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Router

from payvand.accounts.models import User
from payvand.automation import approvals, selectors, services, webhooks
from payvand.automation.models import ApprovalRequest, Rule, WebhookSubscription
from payvand.automation.schemas import (
    ApprovalCreateIn,
    ApprovalDecideIn,
    ApprovalOut,
    DeliveryOut,
    MacroApplyIn,
    MacroApplyOut,
    MacroOut,
    RuleIn,
    RuleMatchOut,
    RuleOut,
    RuleTestRunOut,
    WebhookOut,
)
from payvand.automation.schemas import WebhookIn as WebhookInSchema
from payvand.core.errors import NotFound, ValidationFailed
from payvand.core.schemas import ERRORS, PathId
from payvand.helpdesk.selectors import ticket_get_for_user

router = Router(tags=["automation"])


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


def _in(payload: RuleIn) -> services.RuleIn:
    return services.RuleIn(
        name=payload.name,
        trigger=payload.trigger,
        match=payload.match,
        conditions=[c.dict() for c in payload.conditions],
        actions=[a.dict() for a in payload.actions],
        is_active=payload.is_active,
        max_fires=payload.max_fires,
        position=payload.position,
        state=payload.state,
        after_minutes=payload.after_minutes,
        calendar=payload.calendar,
    )


def _out(rule: Rule) -> RuleOut:
    return RuleOut(
        id=rule.pk,
        name=rule.name,
        trigger=rule.trigger,
        match=rule.match,
        conditions=rule.conditions,
        actions=rule.actions,
        is_active=rule.is_active,
        max_fires=rule.max_fires,
        position=rule.position,
        state=rule.state,
        after_minutes=rule.after_minutes,
        calendar=rule.calendar_id,
    )


@router.get("/rules", response={200: list[RuleOut], **ERRORS}, summary="Automation rules, in order")
def rule_list(request: HttpRequest) -> list[RuleOut]:
    return [_out(r) for r in selectors.rule_list(user=_user(request))]


@router.post("/rules", response={201: RuleOut, **ERRORS}, summary="Create a rule")
def rule_create(request: HttpRequest, payload: RuleIn) -> tuple[int, RuleOut]:
    user = _user(request)
    selectors.rule_require_manage(user=user)
    return 201, _out(services.rule_create(by=user, data=_in(payload)))


@router.get("/rules/{rule_id}", response={200: RuleOut, **ERRORS}, summary="One rule")
def rule_get(request: HttpRequest, rule_id: PathId) -> RuleOut:
    return _out(selectors.rule_get(user=_user(request), rule_id=rule_id))


@router.put("/rules/{rule_id}", response={200: RuleOut, **ERRORS}, summary="Replace a rule")
def rule_update(request: HttpRequest, rule_id: PathId, payload: RuleIn) -> RuleOut:
    user = _user(request)
    rule = selectors.rule_get(user=user, rule_id=rule_id)
    return _out(services.rule_update(rule=rule, by=user, data=_in(payload)))


@router.delete("/rules/{rule_id}", response={204: None, **ERRORS}, summary="Delete a rule")
def rule_delete(request: HttpRequest, rule_id: PathId) -> tuple[int, None]:
    user = _user(request)
    services.rule_delete(rule=selectors.rule_get(user=user, rule_id=rule_id), by=user)
    return 204, None


@router.post("/rules/{rule_id}/test-run", response={200: RuleTestRunOut, **ERRORS}, summary="Tickets it would match")
def rule_test_run(request: HttpRequest, rule_id: PathId) -> RuleTestRunOut:
    user = _user(request)
    rule = selectors.rule_get(user=user, rule_id=rule_id)
    tickets = selectors.rule_test_run(user=user, rule=rule)
    return RuleTestRunOut(
        rule=rule.pk, tickets=[RuleMatchOut(id=t.pk, reference=t.reference, subject=t.subject) for t in tickets]
    )


@router.get("/macros", response={200: list[MacroOut], **ERRORS}, summary="The macros I may apply")
def macro_list(request: HttpRequest) -> list[MacroOut]:
    return [
        MacroOut(id=m.pk, name=m.name, body=m.body, actions=m.actions, team=m.team_id, personal=m.owner_id is not None)
        for m in selectors.macros_for_user(user=_user(request))
    ]


@router.post("/macros/{macro_id}/apply", response={200: MacroApplyOut, **ERRORS}, summary="Apply a macro to a ticket")
def macro_apply(request: HttpRequest, macro_id: PathId, payload: MacroApplyIn) -> MacroApplyOut:
    user = _user(request)
    macro = selectors.macro_get_for_user(user=user, macro_id=macro_id)
    ticket = ticket_get_for_user(user=user, ticket_id=payload.ticket, action="change")
    ticket = services.macro_apply(macro=macro, ticket=ticket, by=user)
    return MacroApplyOut(
        ticket=ticket.pk, reference=ticket.reference, status=ticket.status_category, priority=ticket.priority
    )


def _sub(user: User, webhook_id: int) -> WebhookSubscription:
    webhooks.webhook_require_manage(user=user)
    sub = WebhookSubscription.objects.filter(pk=webhook_id).first()
    if sub is None:
        raise NotFound(detail=_("No such webhook."))
    return sub


def _sub_out(s: WebhookSubscription) -> WebhookOut:
    return WebhookOut(id=s.pk, name=s.name, url=s.url, events=s.events, is_active=s.is_active, secret=s.secret)


def _sub_in(payload: WebhookInSchema) -> webhooks.WebhookIn:
    return webhooks.WebhookIn(name=payload.name, url=payload.url, events=payload.events, is_active=payload.is_active)


@router.get("/webhooks", response={200: list[WebhookOut], **ERRORS}, summary="Webhook subscriptions (admins)")
def webhook_list(request: HttpRequest) -> list[WebhookOut]:
    webhooks.webhook_require_manage(user=_user(request))
    return [_sub_out(s) for s in WebhookSubscription.objects.order_by("name", "id")]


@router.post("/webhooks", response={201: WebhookOut, **ERRORS}, summary="Subscribe an address to events")
def webhook_create(request: HttpRequest, payload: WebhookInSchema) -> tuple[int, WebhookOut]:
    return 201, _sub_out(webhooks.webhook_create(by=_user(request), data=_sub_in(payload)))


@router.get("/webhooks/{webhook_id}", response={200: WebhookOut, **ERRORS}, summary="One subscription")
def webhook_get(request: HttpRequest, webhook_id: PathId) -> WebhookOut:
    return _sub_out(_sub(_user(request), webhook_id))


@router.put("/webhooks/{webhook_id}", response={200: WebhookOut, **ERRORS}, summary="Replace a subscription")
def webhook_update(request: HttpRequest, webhook_id: PathId, payload: WebhookInSchema) -> WebhookOut:
    user = _user(request)
    sub = _sub(user, webhook_id)
    return _sub_out(webhooks.webhook_update(subscription=sub, by=user, data=_sub_in(payload)))


@router.delete("/webhooks/{webhook_id}", response={204: None, **ERRORS}, summary="Delete a subscription")
def webhook_delete(request: HttpRequest, webhook_id: PathId) -> tuple[int, None]:
    user = _user(request)
    webhooks.webhook_delete(subscription=_sub(user, webhook_id), by=user)
    return 204, None


@router.get(
    "/webhooks/{webhook_id}/deliveries", response={200: list[DeliveryOut], **ERRORS}, summary="The delivery log"
)
def webhook_deliveries(request: HttpRequest, webhook_id: PathId) -> list[DeliveryOut]:
    sub = _sub(_user(request), webhook_id)
    return [
        DeliveryOut(
            id=d.pk,
            event=d.event_id,
            verb=d.verb,
            state=d.state,
            attempts=d.attempts,
            last_status=d.last_status,
            last_error=d.last_error,
            created_at=d.created_at,
            next_attempt_at=d.next_attempt_at,
            delivered_at=d.delivered_at,
        )
        for d in sub.deliveries.order_by("-created_at", "-id")[:200]
    ]


def _approval_out(a: ApprovalRequest) -> ApprovalOut:
    asked, approved, rejected = approvals.approval_tally(a)
    return ApprovalOut(
        id=a.pk,
        kind=a.kind,
        amount=str(a.amount) if a.amount is not None else None,
        currency=a.currency,
        reason=a.reason,
        mode=a.mode,
        state=a.state,
        target_type=a.target_type.model,
        target_id=a.target_id,
        requested_by=a.requested_by_id,
        created_at=a.created_at,
        approvers=asked,
        approved=approved,
        rejected=rejected,
    )


@router.get("/approvals", response={200: list[ApprovalOut], **ERRORS}, summary="Requests waiting for my decision")
def approval_list(request: HttpRequest) -> list[ApprovalOut]:
    """My pending approvals (asked of me by name or by role, not yet decided by me, the request still open): the
    same list as the cartable's *Waiting for my approval*."""
    steps = approvals.approvals_pending_for(user=_user(request)).prefetch_related("request__steps")
    return [_approval_out(s.request) for s in steps]


@router.post("/approvals", response={201: ApprovalOut, **ERRORS}, summary="Request a refund or discount on a ticket")
def approval_create(request: HttpRequest, payload: ApprovalCreateIn) -> tuple[int, ApprovalOut]:
    from django.contrib.auth.models import Group

    user = _user(request)
    ticket = ticket_get_for_user(user=user, ticket_id=payload.ticket, action="change")
    role = None
    if payload.role:
        role = Group.objects.filter(name=payload.role).first()
        if role is None:
            raise ValidationFailed.on("role", _("No such role."))
    people = list(User.objects.filter(pk__in=payload.approvers))
    if len(people) != len(set(payload.approvers)):
        raise ValidationFailed.on("approvers", _("No such user."))
    created = approvals.approval_request(
        target=ticket,
        by=user,
        kind=payload.kind,
        reason=payload.reason,
        amount=payload.amount,
        currency=payload.currency,
        approvers=people,
        role=role,
        mode=payload.mode,
    )
    return 201, _approval_out(created)


@router.post("/approvals/{approval_id}/decide", response={200: ApprovalOut, **ERRORS}, summary="Approve or reject")
def approval_decide(request: HttpRequest, approval_id: PathId, payload: ApprovalDecideIn) -> ApprovalOut:
    user = _user(request)
    item = approvals.approval_get_for_user(user=user, approval_id=approval_id)
    return _approval_out(
        approvals.approval_decide(request=item, by=user, approve=payload.approve, comment=payload.comment)
    )
