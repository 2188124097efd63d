"""Every write of the guided cases: starting one."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils.translation import gettext as _

from payvand.accounts.models import User
from payvand.cases.models import CaseTaskTemplate, CaseTemplate
from payvand.contacts.models import Contact
from payvand.core.errors import PermissionDenied, ValidationFailed
from payvand.core.services import event_record
from payvand.helpdesk import services as ticket_services
from payvand.helpdesk.models import Channel, Task, Ticket


def _task_assignee(task: CaseTaskTemplate, ticket: Ticket) -> User | None:
    """The first active member of the ticket's team with the task's role (and skill, when both are given)."""
    if not task.role or ticket.team_id is None:
        return None
    members = User.objects.filter(memberships__team_id=ticket.team_id, groups__name=task.role, is_active=True)
    if task.skill_id is not None:
        members = members.filter(skills=task.skill_id)
    return members.order_by("pk").first()


def case_start(
    *,
    by: User,
    template: CaseTemplate,
    contact: Contact,
    values: dict[str, Any] | None,
    files: Mapping[str, UploadedFile] | None = None,
    channel: str = Channel.WEB,
    call: Any = None,
) -> Ticket:
    """Start the guided case for the contact: one ticket of the template's type with the answers (checked against
    the type's form), routed to the template's team (or by the routing rules), with its priority and tags, and the
    template's tasks — each for the team member with its role or skill, else for the team. From a call, the ticket
    has the phone channel and the call is linked to it. All or nothing. Raises ValidationFailed, PermissionDenied."""
    if not by.has_perm("cases.start_case") or not by.has_perm("helpdesk.add_ticket"):
        raise PermissionDenied(detail=_("You may not start guided cases."))
    if not template.is_active or not template.ticket_type.is_active:
        raise ValidationFailed.on("template", _("This guided case is no longer in use."))
    if call is not None:
        channel = Channel.PHONE
    with transaction.atomic():
        ticket = ticket_services.ticket_create(
            by=by,
            subject=template.subject or template.name,
            requester=contact,
            channel=channel,
            type=template.ticket_type,
            priority=template.priority if template.priority is not None else template.ticket_type.default_priority,
            team=template.team,
            form_values=values or {},
            form_files=files,
            tags=list(template.tags or []),
            route=template.team is None,
        )
        tasks: list[Task] = []
        for spec in template.tasks.select_related("skill").all():
            assignee = _task_assignee(spec, ticket)
            tasks.append(
                ticket_services.task_create(
                    ticket=ticket,
                    by=by,
                    title=spec.title,
                    assignee=assignee,
                    team=None if assignee is not None or spec.skill_id else ticket.team,
                    required_skill=spec.skill,
                    mandatory=spec.mandatory,
                )
            )
        if call is not None:
            from payvand.telephony.services import call_ticket_attach

            call_ticket_attach(call=call, ticket=ticket, by=by)
        event_record(
            actor=by,
            verb="case.started",
            target=ticket,
            contact=contact,
            data={"template": template.name, "tasks": len(tasks), "call": getattr(call, "call_id", None)},
        )
    return ticket
