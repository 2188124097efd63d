"""/api/v1/cases: the guided-case templates an agent may start, and starting one for a contact."""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Router

from payvand.accounts.models import User
from payvand.cases import selectors, services
from payvand.cases.models import CaseTemplate
from payvand.cases.schemas import CaseStartIn, CaseStartOut, CaseTaskOut, CaseTemplateOut
from payvand.contacts import selectors as contact_selectors
from payvand.core.schemas import ERRORS

router = Router(tags=["cases"])


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


def _out(t: CaseTemplate) -> CaseTemplateOut:
    return CaseTemplateOut(
        id=t.pk,
        name=t.name,
        button=t.button,
        ticket_type_id=t.ticket_type_id,
        form_id=t.ticket_type.form_id,
        team_id=t.team_id,
        priority=t.priority,
        tags=list(t.tags or []),
        tasks=[
            CaseTaskOut(title=k.title, skill=k.skill.name if k.skill else None, role=k.role, mandatory=k.mandatory)
            for k in t.tasks.all()
        ],
    )


@router.get("/templates", response={200: list[CaseTemplateOut], **ERRORS}, summary="Guided cases you may start")
def template_list(request: HttpRequest) -> list[CaseTemplateOut]:
    qs = selectors.case_templates_active(user=_user(request)).prefetch_related("tasks__skill")
    return [_out(t) for t in qs]


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
