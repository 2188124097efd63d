from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema
from pydantic import Field

from payvand.accounts.models import Team, User
from payvand.contacts.models import Contact
from payvand.core.errors import ValidationFailed
from payvand.core.schemas import ERRORS, PathId, QueryId
from payvand.projects import selectors, services
from payvand.projects.models import Project
from payvand.projects.schemas import (
    ProjectCreateIn,
    ProjectMemberIn,
    ProjectMemberOut,
    ProjectOut,
    ProjectPageOut,
    ProjectStatsOut,
    ProjectSummaryOut,
    ProjectUpdateIn,
)

router = Router(tags=["projects"])


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


def project_out(project: Project) -> ProjectOut:
    members = getattr(project, "member_list", None)
    if members is None:
        members = list(project.members.order_by("full_name", "email"))
    return ProjectOut(
        id=project.pk,
        name=project.name,
        code=project.code,
        description=project.description,
        customer_id=project.customer_id,
        customer_name=project.customer.name if project.customer else None,
        team_id=project.team_id,
        team_name=project.team.name if project.team else None,
        status=project.status,
        starts_on=project.starts_on,
        ends_on=project.ends_on,
        members=[ProjectMemberOut(id=m.pk, name=m.get_full_name(), email=m.email) for m in members],
        created_at=project.created_at,
        updated_at=project.updated_at,
    )


def _customer(customer_id: int | None) -> Contact | None:
    if customer_id is None:
        return None
    contact = Contact.objects.filter(pk=customer_id).first()
    if contact is None:
        raise ValidationFailed.on("customer_id", _("No such contact."))
    return contact


def _team(team_id: int | None) -> Team | None:
    if team_id is None:
        return None
    team = Team.objects.filter(pk=team_id).first()
    if team is None:
        raise ValidationFailed.on("team_id", _("No such team."))
    return team


def _members(ids: list[int]) -> list[User]:
    found = {u.pk: u for u in User.objects.filter(pk__in=ids)}
    for n, pk in enumerate(ids):
        if pk not in found:
            raise ValidationFailed.on(f"member_ids.{n}", _("No such user."))
    return [found[pk] for pk in dict.fromkeys(ids)]


class ListParams(Schema):
    q: str = Field(default="", max_length=200)
    status: str = Field(default="", pattern="^(|planned|active|on_hold|done|cancelled)$")
    team: QueryId | None = None
    customer: QueryId | None = None
    member: QueryId | None = None
    offset: int = Field(default=0, ge=0, le=1_000_000)
    limit: int = Field(default=25, ge=1, le=200)


@router.get("", response={200: ProjectPageOut, **ERRORS}, summary="List projects")
def project_list(request: HttpRequest, params: Query[ListParams]) -> ProjectPageOut:
    page = selectors.project_list(user=_user(request), **params.model_dump())
    return ProjectPageOut(
        items=[
            ProjectSummaryOut(
                id=p.pk,
                name=p.name,
                code=p.code,
                customer_id=p.customer_id,
                team_id=p.team_id,
                status=p.status,
                starts_on=p.starts_on,
                ends_on=p.ends_on,
                ticket_count=p.ticket_count,  # type: ignore[attr-defined]
                open_count=p.open_count,  # type: ignore[attr-defined]
            )
            for p in page.items
        ],
        total=page.total,
        next_offset=page.next_offset,
    )


@router.post("", response={201: ProjectOut, **ERRORS}, summary="Create a project")
def project_create(request: HttpRequest, payload: ProjectCreateIn) -> tuple[int, ProjectOut]:
    user = _user(request)
    selectors.project_require_perm(user=user, action="add")
    project = services.project_create(
        by=user,
        name=payload.name,
        code=payload.code,
        description=payload.description,
        customer=_customer(payload.customer_id),
        team=_team(payload.team_id),
        members=_members(payload.member_ids),
        status=payload.status,
        starts_on=payload.starts_on,
        ends_on=payload.ends_on,
    )
    return 201, project_out(selectors.project_detail(user=user, project_id=project.pk))


@router.get("/{project_id}", response={200: ProjectOut, **ERRORS}, summary="A project with its members")
def project_get(request: HttpRequest, project_id: PathId) -> ProjectOut:
    return project_out(selectors.project_detail(user=_user(request), project_id=project_id))


@router.patch("/{project_id}", response={200: ProjectOut, **ERRORS}, summary="Change a project")
def project_update(request: HttpRequest, project_id: PathId, payload: ProjectUpdateIn) -> ProjectOut:
    user = _user(request)
    project = selectors.project_get_for_user(user=user, project_id=project_id, action="change")
    changes: dict[str, Any] = payload.model_dump(exclude_unset=True)
    for key in ("name", "code", "description", "status"):
        if key in changes and changes[key] is None:
            raise ValidationFailed.on(key, _("This field cannot be empty."))
    if "customer_id" in changes:
        changes["customer"] = _customer(changes.pop("customer_id"))
    if "team_id" in changes:
        changes["team"] = _team(changes.pop("team_id"))
    if "member_ids" in changes:
        changes["members"] = _members(changes.pop("member_ids") or [])
    services.project_update(project=project, by=user, **changes)
    return project_out(selectors.project_detail(user=user, project_id=project_id))


@router.delete("/{project_id}", response={204: None, **ERRORS}, summary="Delete a project without tickets")
def project_delete(request: HttpRequest, project_id: PathId) -> tuple[int, None]:
    user = _user(request)
    project = selectors.project_get_for_user(user=user, project_id=project_id, action="delete")
    services.project_delete(project=project, by=user)
    return 204, None


@router.get(
    "/{project_id}/stats",
    response={200: ProjectStatsOut, **ERRORS},
    summary="Ticket volume per week, open versus closed, time per person, tickets per category",
)
def project_stats(request: HttpRequest, project_id: PathId) -> ProjectStatsOut:
    project = selectors.project_get_for_user(user=_user(request), project_id=project_id)
    return ProjectStatsOut.model_validate(selectors.project_stats(project=project))


@router.post("/{project_id}/members", response={201: ProjectOut, **ERRORS}, summary="Add a member")
def project_member_add(request: HttpRequest, project_id: PathId, payload: ProjectMemberIn) -> tuple[int, ProjectOut]:
    user = _user(request)
    project = selectors.project_get_for_user(user=user, project_id=project_id, action="change")
    member = User.objects.filter(pk=payload.user_id).first()
    if member is None:
        raise ValidationFailed.on("user_id", _("No such user."))
    services.project_member_add(project=project, user=member, by=user)
    return 201, project_out(selectors.project_detail(user=user, project_id=project_id))


@router.delete("/{project_id}/members/{user_id}", response={204: None, **ERRORS}, summary="Remove a member")
def project_member_remove(request: HttpRequest, project_id: PathId, user_id: PathId) -> tuple[int, None]:
    user = _user(request)
    project = selectors.project_get_for_user(user=user, project_id=project_id, action="change")
    member = User.objects.filter(pk=user_id).first()
    if member is None:
        raise ValidationFailed.on("user_id", _("No such user."))
    services.project_member_remove(project=project, user=member, by=user)
    return 204, None
