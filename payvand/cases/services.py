"""Every write of the guided cases: starting one, and building the templates (create, update, enable or disable,
delete — or archive when cases were started from it)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth.models import Group
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from payvand.accounts.models import Skill, Team, User
from payvand.cases import selectors
from payvand.cases.models import CaseTaskTemplate, CaseTemplate
from payvand.contacts.models import Contact
from payvand.core.errors import Conflict, FieldError, NotFound, PermissionDenied, ValidationFailed
from payvand.core.services import event_record
from payvand.helpdesk import services as ticket_services
from payvand.helpdesk.models import Channel, Priority, Task, Ticket, TicketType

MAX_TASKS = 30
MAX_TAGS = 20
MAX_DUE_MINUTES = 525_600  # a year


def _task_target(task: CaseTaskTemplate, ticket: Ticket) -> tuple[User | None, Team | None]:
    """Who gets the task: its person (if still active); else the first active member of its team (or the ticket's)
    with its role and/or skill; else that team."""
    if task.assignee is not None and task.assignee.is_active:
        return task.assignee, None
    team_id = task.team_id or ticket.team_id
    team = task.team if task.team_id else ticket.team
    if team_id is None or not (task.role or task.skill_id):
        return None, team
    members = User.objects.filter(memberships__team_id=team_id, is_active=True)
    if task.role:
        members = members.filter(groups__name=task.role)
    if task.skill_id is not None:
        members = members.filter(skills=task.skill_id)
    member = members.order_by("pk").first()
    return (member, None) if member is not None else (None, team)


def _skill_for(task: CaseTaskTemplate, assignee: User | None) -> Skill | None:
    """The task's skill, unless its person has lost it since (the task then goes to them without it)."""
    if task.skill_id is None or assignee is None or assignee.skills.filter(pk=task.skill_id).exists():
        return task.skill
    return None


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
    if not template.is_active or template.archived_at is not None or not template.ticket_type.is_active:
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
        now = timezone.now()
        for spec in template.tasks.select_related("skill", "team", "assignee").all():
            assignee, team = _task_target(spec, ticket)
            tasks.append(
                ticket_services.task_create(
                    ticket=ticket,
                    by=by,
                    title=spec.title,
                    assignee=assignee,
                    team=team,
                    required_skill=_skill_for(spec, assignee),
                    due_at=now + dt.timedelta(minutes=spec.due_minutes) if spec.due_minutes else None,
                    mandatory=spec.mandatory,
                )
            )
        CaseTemplate.objects.filter(pk=template.pk).update(started_count=F("started_count") + 1)
        if call is not None:
            from payvand.telephony.services import call_ticket_attach

            call_ticket_attach(call=call, ticket=ticket, by=by)
        event_record(
            actor=by,
            verb="case.started",
            target=ticket,
            contact=contact,
            data={
                "template": template.name,
                "template_id": template.pk,
                "tasks": len(tasks),
                "call": getattr(call, "call_id", None),
            },
        )
    return ticket


# ---------------------------------------------------------------------------------------------- the builder


@dataclass
class CaseTaskIn:
    title: str
    role: str = ""
    skill: int | None = None
    team: int | None = None
    assignee: int | None = None
    due_minutes: int | None = None
    mandatory: bool = True


@dataclass
class CaseTemplateIn:
    """A template as the builder page and the API give it. `ticket_type` is the type whose form asks the questions;
    without one, `form` makes a new ticket type named after the template with that form (or reuses the type of
    that name with that form)."""

    name: str
    button: str
    subject: str = ""
    ticket_type: int | None = None
    form: int | None = None
    team: int | None = None
    priority: int | None = None
    tags: list[str] = field(default_factory=list)
    order: int = 100
    is_active: bool = True
    tasks: list[CaseTaskIn] = field(default_factory=list)


def _text(errors: list[FieldError], name: str, value: Any, limit: int, *, required: bool) -> str:
    text = (value or "").strip() if isinstance(value, str) else ""
    if value is not None and not isinstance(value, str):
        errors.append(FieldError(name, _("Give text.")))
    elif required and not text:
        errors.append(FieldError(name, _("This field is required.")))
    elif len(text) > limit:
        errors.append(FieldError(name, _("Use at most %(n)s characters.") % {"n": limit}))
    return text


def _by_pk(errors: list[FieldError], name: str, model: Any, pk: int | None, message: str, **extra: Any) -> Any:
    if pk is None:
        return None
    found = model.objects.filter(pk=pk, **extra).first() if 0 < pk < 2**63 else None
    if found is None:
        errors.append(FieldError(name, message))
    return found


def _clean_task(errors: list[FieldError], n: int, task: CaseTaskIn) -> CaseTaskTemplate:
    p = f"tasks.{n}"
    title = _text(errors, f"{p}.title", task.title, 300, required=True)
    role = _text(errors, f"{p}.role", task.role, 80, required=False)
    if role and not Group.objects.filter(name=role).exists():
        errors.append(FieldError(f"{p}.role", _("No such role.")))
    skill = _by_pk(errors, f"{p}.skill", Skill, task.skill, _("No such skill."))
    team = _by_pk(errors, f"{p}.team", Team, task.team, _("No such team."))
    assignee = _by_pk(errors, f"{p}.assignee", User, task.assignee, _("No active user with this id or email."))
    if assignee is not None and not assignee.is_active:
        errors.append(FieldError(f"{p}.assignee", _("This user is not active.")))
    elif assignee is not None and team is not None and not assignee.memberships.filter(team=team).exists():
        errors.append(FieldError(f"{p}.assignee", _("This person is not a member of that team.")))
    elif assignee is not None and skill is not None and not assignee.skills.filter(pk=skill.pk).exists():
        errors.append(FieldError(f"{p}.assignee", _("This person does not have the required skill.")))
    due = task.due_minutes
    if due is not None and not (isinstance(due, int) and 1 <= due <= MAX_DUE_MINUTES):
        errors.append(FieldError(f"{p}.due_minutes", _("Give whole minutes from 1 to %(n)s.") % {"n": MAX_DUE_MINUTES}))
        due = None
    return CaseTaskTemplate(
        title=title,
        role=role,
        skill=skill,
        team=team,
        assignee=assignee,
        due_minutes=due,
        mandatory=bool(task.mandatory),
        order=(n + 1) * 10,
    )


def _ticket_type_for(errors: list[FieldError], data: CaseTemplateIn, name: str) -> tuple[TicketType | None, Any]:
    """The existing ticket type, or (None, form) for a new one with that form."""
    from payvand.forms.models import Form

    ticket_type = _by_pk(errors, "ticket_type", TicketType, data.ticket_type, _("No such ticket type."))
    form = _by_pk(errors, "form", Form, data.form, _("No such form."))
    if ticket_type is not None:
        if form is not None and ticket_type.form_id != form.pk:
            errors.append(
                FieldError("form", _("The questions are the ticket type's form: choose that type, or only a form."))
            )
        elif not ticket_type.is_active:
            errors.append(FieldError("ticket_type", _("This ticket type is not in use.")))
        return ticket_type, None
    if data.ticket_type is None and data.form is None:
        errors.append(FieldError("ticket_type", _("Choose a ticket type, or a form for a new ticket type.")))
    if form is not None and not form.is_active:
        errors.append(FieldError("form", _("This form is not in use.")))
    if form is not None and name:
        same = TicketType.objects.filter(name__iexact=name).first()
        if same is not None and same.form_id != form.pk:
            errors.append(
                FieldError(
                    "form",
                    _("A ticket type named “%(name)s” already exists with another form: choose it as the ticket type.")
                    % {"name": same.name},
                )
            )
    return None, form


def _clean(data: CaseTemplateIn, *, instance: CaseTemplate | None) -> tuple[dict[str, Any], list[CaseTaskTemplate]]:
    errors: list[FieldError] = []
    name = _text(errors, "name", data.name, 120, required=True)
    others = CaseTemplate.objects.filter(name__iexact=name)
    if instance is not None:
        others = others.exclude(pk=instance.pk)
    if name and others.exists():
        errors.append(FieldError("name", _("Another guided case has this name.")))
    button = _text(errors, "button", data.button, 80, required=True)
    subject = _text(errors, "subject", data.subject, 200, required=False)
    ticket_type, new_form = _ticket_type_for(errors, data, name)
    team = _by_pk(errors, "team", Team, data.team, _("No such team."))
    if data.priority is not None and data.priority not in Priority.values:
        errors.append(FieldError("priority", _("Give a priority from 1 to 4.")))
    tags_raw = data.tags if isinstance(data.tags, list) else None
    tags: list[str] = []
    if tags_raw is None or not all(isinstance(t, str) for t in tags_raw):
        errors.append(FieldError("tags", _("Give a list of tags.")))
    else:
        tags = list(dict.fromkeys(t.strip() for t in tags_raw if t.strip()))
        if any(len(t) > 64 for t in tags):
            errors.append(FieldError("tags", _("A tag has at most 64 characters.")))
        elif len(tags) > MAX_TAGS:
            errors.append(FieldError("tags", _("Give at most %(n)s tags.") % {"n": MAX_TAGS}))
    if not (isinstance(data.order, int) and 0 <= data.order <= 32767):
        errors.append(FieldError("order", _("Give a whole number from 0 to 32767.")))
    if len(data.tasks) > MAX_TASKS:
        errors.append(FieldError("tasks", _("Give at most %(n)s tasks.") % {"n": MAX_TASKS}))
    tasks = [_clean_task(errors, n, t) for n, t in enumerate(data.tasks[:MAX_TASKS])]
    if errors:
        raise ValidationFailed(detail=_("Some fields are not valid."), errors=errors)
    values = {
        "name": name,
        "button": button,
        "subject": subject,
        "ticket_type": ticket_type,
        "team": team,
        "priority": data.priority,
        "tags": tags,
        "order": data.order,
        "is_active": bool(data.is_active),
        "_new_form": new_form,
    }
    return values, tasks


def _save(template: CaseTemplate, values: dict[str, Any], tasks: list[CaseTaskTemplate]) -> CaseTemplate:
    new_form = values.pop("_new_form")
    if values["ticket_type"] is None:
        ticket_type = TicketType.objects.filter(name__iexact=values["name"], form=new_form).first()
        if ticket_type is None:
            ticket_type = TicketType.objects.create(
                name=values["name"], form=new_form, default_priority=values["priority"] or Priority.NORMAL
            )
        values["ticket_type"] = ticket_type
    for key, value in values.items():
        setattr(template, key, value)
    template.save()
    template.tasks.all().delete()
    for task in tasks:
        task.template = template
    CaseTaskTemplate.objects.bulk_create(tasks)
    return template


def case_template_create(*, by: User, data: CaseTemplateIn) -> CaseTemplate:
    """A new guided-case template with its tasks (replacing nothing). Raises ValidationFailed, PermissionDenied."""
    selectors.case_template_require_manage(user=by)
    with transaction.atomic():
        values, tasks = _clean(data, instance=None)
        template = _save(CaseTemplate(), values, tasks)
        event_record(actor=by, verb="case.template_created", target=template, data={"name": template.name})
    return template


def case_template_update(*, template: CaseTemplate, by: User, data: CaseTemplateIn) -> CaseTemplate:
    """Replace the template's fields and tasks (cases already started keep their tickets and tasks)."""
    selectors.case_template_require_manage(user=by)
    with transaction.atomic():
        locked = CaseTemplate.objects.select_for_update().filter(pk=template.pk).first()
        if locked is None:
            raise NotFound(detail=_("No such guided case."))
        if locked.archived_at is not None and data.is_active:
            raise Conflict(detail=_("Restore the archived guided case before you turn it on."))
        values, tasks = _clean(data, instance=locked)
        _save(locked, values, tasks)
        event_record(actor=by, verb="case.template_updated", target=locked, data={"name": locked.name})
    return locked


def case_template_set_active(*, template: CaseTemplate, by: User, active: bool) -> CaseTemplate:
    selectors.case_template_require_manage(user=by)
    with transaction.atomic():
        locked = CaseTemplate.objects.select_for_update().get(pk=template.pk)
        if active and locked.archived_at is not None:
            raise Conflict(detail=_("Restore the archived guided case before you turn it on."))
        locked.is_active = active
        locked.save(update_fields=["is_active"])
        event_record(actor=by, verb="case.template_updated", target=locked, data={"is_active": active})
    return locked


def case_template_delete(*, template: CaseTemplate, by: User) -> bool:
    """Delete the template, or archive it (turned off, kept for the record) when cases were started from it.
    True when it was deleted."""
    selectors.case_template_require_manage(user=by)
    with transaction.atomic():
        locked = CaseTemplate.objects.select_for_update().get(pk=template.pk)
        if locked.started_count:
            locked.is_active = False
            locked.archived_at = locked.archived_at or timezone.now()
            locked.save(update_fields=["is_active", "archived_at"])
            event_record(actor=by, verb="case.template_archived", target=locked, data={"name": locked.name})
            return False
        event_record(actor=by, verb="case.template_deleted", target=locked, data={"name": locked.name})
        locked.delete()
    return True


def case_template_restore(*, template: CaseTemplate, by: User) -> CaseTemplate:
    """Bring an archived template back (still turned off)."""
    selectors.case_template_require_manage(user=by)
    with transaction.atomic():
        locked = CaseTemplate.objects.select_for_update().get(pk=template.pk)
        locked.archived_at = None
        locked.save(update_fields=["archived_at"])
        event_record(actor=by, verb="case.template_updated", target=locked, data={"restored": True})
    return locked
