"""/api/v1/cases: the guided-case templates an agent may start, starting one for a contact, and building the
templates (for those with `cases.change_casetemplate`)."""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Router

from payvand.accounts.models import User
from payvand.cases import selectors, services
from payvand.cases.models import CaseTemplate
from payvand.cases.schemas import (
    CaseStartIn,
    CaseStartOut,
    CaseTaskOut,
    CaseTemplateActiveIn,
    CaseTemplateIn,
    CaseTemplateOut,
)
from payvand.contacts import selectors as contact_selectors
from payvand.core.schemas import ERRORS, PathId

router = Router(tags=["cases"])


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


def _out(t: CaseTemplate) -> CaseTemplateOut:
    return CaseTemplateOut(
        id=t.pk,
        name=t.name,
        button=t.button,
        subject=t.subject,
        ticket_type_id=t.ticket_type_id,
        form_id=t.ticket_type.form_id,
        team_id=t.team_id,
        priority=t.priority,
        tags=list(t.tags or []),
        order=t.order,
        is_active=t.is_active,
        archived=t.archived_at is not None,
        started_count=t.started_count,
        tasks=[
            CaseTaskOut(
                title=k.title,
                skill=k.skill.name if k.skill else None,
                skill_id=k.skill_id,
                role=k.role,
                team_id=k.team_id,
                assignee_id=k.assignee_id,
                due_minutes=k.due_minutes,
                mandatory=k.mandatory,
            )
            for k in t.tasks.all()
        ],
    )


def _in(payload: CaseTemplateIn) -> services.CaseTemplateIn:
    return services.CaseTemplateIn(
        name=payload.name,
        button=payload.button,
        subject=payload.subject,
        ticket_type=payload.ticket_type_id,
        form=payload.form_id,
        team=payload.team_id,
        priority=payload.priority,
        tags=list(payload.tags),
        order=payload.order,
        is_active=payload.is_active,
        tasks=[
            services.CaseTaskIn(
                title=k.title,
                role=k.role,
                skill=k.skill_id,
                team=k.team_id,
                assignee=k.assignee_id,
                due_minutes=k.due_minutes,
                mandatory=k.mandatory,
            )
            for k in payload.tasks
        ],
    )


def _fresh(user: User, template_id: int) -> CaseTemplateOut:
    return _out(selectors.case_template_get_manage(user=user, template_id=template_id))


@router.get("/templates", response={200: list[CaseTemplateOut], **ERRORS}, summary="Guided cases you may start")
def template_list(request: HttpRequest, manage: bool = False) -> list[CaseTemplateOut]:
    """The active templates you may start; `manage=true` (for those who build them): every template, archived too."""
    user = _user(request)
    if manage:
        return [_out(t) for t in selectors.case_templates_manage(user=user, archived=None)]
    qs = selectors.case_templates_active(user=user).prefetch_related("tasks__skill")
    return [_out(t) for t in qs]


@router.post("/templates", response={201: CaseTemplateOut, **ERRORS}, summary="Build a guided-case template")
def template_create(request: HttpRequest, payload: CaseTemplateIn) -> tuple[int, CaseTemplateOut]:
    user = _user(request)
    template = services.case_template_create(by=user, data=_in(payload))
    return 201, _fresh(user, template.pk)


@router.get("/templates/{template_id}", response={200: CaseTemplateOut, **ERRORS}, summary="One template")
def template_get(request: HttpRequest, template_id: PathId) -> CaseTemplateOut:
    return _fresh(_user(request), template_id)


@router.put("/templates/{template_id}", response={200: CaseTemplateOut, **ERRORS}, summary="Replace a template")
def template_update(request: HttpRequest, template_id: PathId, payload: CaseTemplateIn) -> CaseTemplateOut:
    user = _user(request)
    template = selectors.case_template_get_manage(user=user, template_id=template_id)
    services.case_template_update(template=template, by=user, data=_in(payload))
    return _fresh(user, template_id)


@router.delete(
    "/templates/{template_id}",
    response={200: CaseTemplateOut, 204: None, **ERRORS},
    summary="Delete a template (204), or archive it when cases were started from it (200, archived)",
)
def template_delete(request: HttpRequest, template_id: PathId) -> tuple[int, CaseTemplateOut | None]:
    user = _user(request)
    template = selectors.case_template_get_manage(user=user, template_id=template_id)
    if services.case_template_delete(template=template, by=user):
        return 204, None
    return 200, _fresh(user, template_id)


@router.post("/templates/{template_id}/active", response={200: CaseTemplateOut, **ERRORS}, summary="Turn on or off")
def template_set_active(request: HttpRequest, template_id: PathId, payload: CaseTemplateActiveIn) -> CaseTemplateOut:
    user = _user(request)
    template = selectors.case_template_get_manage(user=user, template_id=template_id)
    services.case_template_set_active(template=template, by=user, active=payload.is_active)
    return _fresh(user, template_id)


@router.post(
    "/templates/{template_id}/restore", response={200: CaseTemplateOut, **ERRORS}, summary="Un-archive (still off)"
)
def template_restore(request: HttpRequest, template_id: PathId) -> CaseTemplateOut:
    user = _user(request)
    template = selectors.case_template_get_manage(user=user, template_id=template_id)
    services.case_template_restore(template=template, by=user)
    return _fresh(user, template_id)


@router.post("/start", response={201: CaseStartOut, **ERRORS}, summary="Start a guided case: the ticket and tasks")
def case_start(request: HttpRequest, payload: CaseStartIn) -> tuple[int, CaseStartOut]:
    user = _user(request)
    template = selectors.case_template_get_for_user(user=user, template_id=payload.template_id)
    contact = contact_selectors.contact_get_for_user(user=user, contact_id=payload.contact_id)
    call = None
    if payload.call_id is not None:
        from payvand.telephony import selectors as call_selectors

        call = call_selectors.call_get_for_user(user=user, call_id=payload.call_id, action="change")
    ticket = services.case_start(by=user, template=template, contact=contact, values=payload.values, call=call)
    return 201, CaseStartOut(
        ticket_id=ticket.pk,
        reference=ticket.reference,
        team_id=ticket.team_id,
        priority=ticket.priority,
        task_ids=list(ticket.tasks.order_by("pk").values_list("pk", flat=True)),
    )
