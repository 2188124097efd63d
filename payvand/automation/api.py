"""/api/v1/automation/rules: CRUD and test-run of automation rules (admins, supervisors, service managers);
/api/v1/automation/macros: list and apply macros (agents)."""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Router

from payvand.accounts.models import User
from payvand.automation import selectors, services
from payvand.automation.models import Rule
from payvand.automation.schemas import (
    MacroApplyIn,
    MacroApplyOut,
    MacroOut,
    RuleIn,
    RuleMatchOut,
    RuleOut,
    RuleTestRunOut,
)
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
