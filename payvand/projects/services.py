"""Every write of projects: create, change, add and remove members. Each in one transaction, each leaving an Event."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import ProtectedError
from django.utils.translation import gettext as _

from payvand.accounts.models import Team, User
from payvand.contacts.models import Contact
from payvand.core.errors import Conflict, FieldError, ValidationFailed
from payvand.core.services import event_record
from payvand.projects.models import Project
from payvand.projects.selectors import project_require_perm

CODE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
MAX_DESCRIPTION = 20_000
EDITABLE = ("name", "code", "description", "customer", "team", "status", "starts_on", "ends_on", "members")


def _validate(
    *,
    name: str,
    code: str,
    description: str,
    status: str,
    starts_on: dt.date | None,
    ends_on: dt.date | None,
    customer: Contact | None,
    team: Team | None,
    members: Iterable[User],
    exclude_pk: int | None = None,
) -> None:
    errors: list[FieldError] = []
    if not name.strip():
        errors.append(FieldError("name", _("Give the project a name.")))
    elif len(name) > 200:
        errors.append(FieldError("name", _("Use at most %(n)s characters.") % {"n": 200}))
    if not code:
        errors.append(FieldError("code", _("Give the project a short code.")))
    elif len(code) > 32 or not CODE_RE.match(code):
        errors.append(FieldError("code", _("Use up to 32 Latin letters, digits, dots, dashes or underscores.")))
    elif Project.objects.filter(code__iexact=code).exclude(pk=exclude_pk or 0).exists():
        errors.append(FieldError("code", _("Another project already uses this code.")))
    if len(description) > MAX_DESCRIPTION:
        errors.append(FieldError("description", _("Use at most %(n)s characters.") % {"n": MAX_DESCRIPTION}))
    if status not in Project.Status.values:
        errors.append(FieldError("status", _("Unknown status.")))
    if starts_on and ends_on and ends_on < starts_on:
        errors.append(FieldError("ends_on", _("The end can't be before the start.")))
    if customer is not None and customer.pk is None:
        errors.append(FieldError("customer", _("No such contact.")))
    if team is not None and team.pk is None:
        errors.append(FieldError("team", _("No such team.")))
    if any(not m.is_active for m in members):
        errors.append(FieldError("members", _("Only active users can be members.")))
    if errors:
        raise ValidationFailed(detail=_("Some fields are not valid."), errors=errors)


def _jsonable(value: Any) -> Any:
    if isinstance(value, Contact | Team | User):
        return value.pk
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


@transaction.atomic
def project_create(
    *,
    by: User,
    name: str,
    code: str,
    description: str = "",
    customer: Contact | None = None,
    team: Team | None = None,
    members: Iterable[User] = (),
    status: str = Project.Status.ACTIVE,
    starts_on: dt.date | None = None,
    ends_on: dt.date | None = None,
) -> Project:
    project_require_perm(user=by, action="add")
    name, code, members = name.strip(), code.strip(), list(members)
    _validate(
        name=name,
        code=code,
        description=description,
        status=status,
        starts_on=starts_on,
        ends_on=ends_on,
        customer=customer,
        team=team,
        members=members,
    )
    try:
        with transaction.atomic():
            project = Project.objects.create(
                name=name,
                code=code,
                description=description,
                customer=customer,
                team=team,
                status=status,
                starts_on=starts_on,
                ends_on=ends_on,
            )
    except IntegrityError:  # another request took the code between the check and the insert
        raise ValidationFailed.on("code", _("Another project already uses this code.")) from None
    if members:
        project.members.add(*members)
    event_record(
        actor=by,
        verb="project.created",
        target=project,
        contact=customer,
        data={"name": name, "code": code, "members": [m.pk for m in members]},
    )
    return project


@transaction.atomic
def project_update(*, project: Project, by: User, **changes: Any) -> Project:
    """Change any of name, code, description, customer, team, status, starts_on, ends_on, members (the full set)."""
    project_require_perm(user=by, action="change")
    unknown = set(changes) - set(EDITABLE)
    if unknown:
        raise ValidationFailed.on(sorted(unknown)[0], _("This field can't be changed."))
    locked = Project.objects.select_for_update().get(pk=project.pk)
    members = changes.pop("members", None)
    for key in ("name", "code"):
        if key in changes and isinstance(changes[key], str):
            changes[key] = changes[key].strip()
    current_members = list(locked.members.all())
    merged = {key: changes.get(key, getattr(locked, key)) for key in EDITABLE if key != "members"}
    _validate(**merged, members=members if members is not None else [], exclude_pk=locked.pk)
    changed = [key for key, value in changes.items() if getattr(locked, key) != value]
    for key in changed:
        setattr(locked, key, changes[key])
    if changed:
        locked.save(update_fields=[*changed, "updated_at"])
    data: dict[str, Any] = {"changed": {key: _jsonable(changes[key]) for key in changed}}
    if members is not None:
        before = {m.pk for m in current_members}
        after = {m.pk for m in members}
        if before != after:
            locked.members.set(members)
            data["members_added"] = sorted(after - before)
            data["members_removed"] = sorted(before - after)
    if len(data) > 1 or changed:
        event_record(actor=by, verb="project.updated", target=locked, contact=locked.customer, data=data)
    return locked


@transaction.atomic
def project_member_add(*, project: Project, user: User, by: User) -> Project:
    project_require_perm(user=by, action="change")
    if not user.is_active:
        raise ValidationFailed.on("user", _("Only active users can be members."))
    locked = Project.objects.select_for_update().get(pk=project.pk)
    if locked.members.filter(pk=user.pk).exists():
        return locked
    locked.members.add(user)
    event_record(actor=by, verb="project.member_added", target=locked, contact=locked.customer, data={"user": user.pk})
    return locked


@transaction.atomic
def project_member_remove(*, project: Project, user: User, by: User) -> Project:
    project_require_perm(user=by, action="change")
    locked = Project.objects.select_for_update().get(pk=project.pk)
    if not locked.members.filter(pk=user.pk).exists():
        raise ValidationFailed.on("user", _("This user is not a member of the project."))
    locked.members.remove(user)
    event_record(
        actor=by, verb="project.member_removed", target=locked, contact=locked.customer, data={"user": user.pk}
    )
    return locked


@transaction.atomic
def project_delete(*, project: Project, by: User) -> None:
    """Delete a project that has no tickets (a project with tickets is cancelled instead)."""
    project_require_perm(user=by, action="delete")
    locked = Project.objects.select_for_update().get(pk=project.pk)
    if locked.tickets.exists():
        raise Conflict(detail=_("This project has tickets; set its status to cancelled instead."))
    event_record(
        actor=by,
        verb="project.deleted",
        target=locked,
        contact=locked.customer,
        data={"name": locked.name, "code": locked.code},
    )
    try:
        locked.delete()
    except ProtectedError:
        raise Conflict(detail=_("This project is still in use; set its status to cancelled instead.")) from None
