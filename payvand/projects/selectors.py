"""Every read of projects, scoped to the viewer: who may see a project, the list, and the project page's figures."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, F, Q, QuerySet, Sum
from django.db.models.functions import TruncWeek
from django.utils import timezone
from django.utils.translation import gettext as _

from payvand.accounts.models import User
from payvand.core.errors import NotFound, PermissionDenied, ValidationFailed
from payvand.core.localization import to_ascii_digits
from payvand.helpdesk.models import ACTIVE_CATEGORIES, StatusCategory, Ticket, WorkLog
from payvand.projects.models import Project

PERMS = {
    "view": "projects.view_project",
    "add": "projects.add_project",
    "change": "projects.change_project",
    "delete": "projects.delete_project",
}

MAX_WEEKS = 104  # the volume chart shows at most two years of weeks


def project_require_perm(*, user: User, action: str) -> None:
    if not user.is_authenticated or not user.is_active:
        raise PermissionDenied(detail=_("Sign in first."))
    if not user.has_perm(PERMS[action]):
        raise PermissionDenied(detail=_("You do not have permission to do this with projects."))


def _sees_all(user: User) -> bool:
    return bool(user.is_superuser or user.has_perm(PERMS["view"]))


def project_queryset_for_user(*, user: User) -> QuerySet[Project]:
    """Roles with projects.view_project see every project; anyone else only the projects they are a member of or
    whose team they belong to."""
    if not user.is_authenticated or not user.is_active:
        raise PermissionDenied(detail=_("Sign in first."))
    qs = Project.objects.select_related("customer", "team")
    if _sees_all(user):
        return qs
    visible = Project.objects.filter(Q(members=user) | Q(team__memberships__user=user)).values("pk")
    return qs.filter(pk__in=visible)


def project_get_for_user(*, user: User, project_id: Any, action: str = "view") -> Project:
    """The project if the user may see it (404 otherwise), then checked for `action` (403)."""
    try:
        pk = int(project_id)
    except (TypeError, ValueError):
        raise NotFound(detail=_("No such project.")) from None
    project = project_queryset_for_user(user=user).filter(pk=pk).first()
    if project is None:
        raise NotFound(detail=_("No such project."))
    if action != "view":
        project_require_perm(user=user, action=action)
    return project


@dataclass
class ProjectPage:
    items: list[Project]
    total: int
    offset: int
    limit: int

    @property
    def next_offset(self) -> int | None:
        return self.offset + self.limit if self.offset + self.limit < self.total else None

    @property
    def previous_offset(self) -> int | None:
        return max(self.offset - self.limit, 0) if self.offset > 0 else None


def project_list(
    *,
    user: User,
    q: str = "",
    status: str = "",
    team: int | None = None,
    customer: int | None = None,
    member: int | None = None,
    offset: int = 0,
    limit: int = 25,
) -> ProjectPage:
    """A page of projects with, on each, `open_count` and `ticket_count` (one extra query for the page)."""
    qs = project_queryset_for_user(user=user)
    q = q.strip()
    if q:
        qs = qs.filter(Q(name__icontains=q) | Q(code__icontains=to_ascii_digits(q)))
    if status:
        if status not in Project.Status.values:
            raise ValidationFailed.on("status", _("Unknown status."))
        qs = qs.filter(status=status)
    if team is not None:
        qs = qs.filter(team_id=team)
    if customer is not None:
        qs = qs.filter(customer_id=customer)
    if member is not None:
        qs = qs.filter(pk__in=Project.objects.filter(members__id=member).values("pk"))
    total = qs.count()
    items = list(qs.order_by("name", "id")[offset : offset + limit])
    counts: dict[int, dict[str, Any]] = {
        row["project_id"]: dict(row)
        for row in Ticket.objects.filter(project_id__in=[p.pk for p in items])
        .values("project_id")
        .annotate(total=Count("id"), open=Count("id", filter=Q(status_category__in=ACTIVE_CATEGORIES)))
        .order_by()
    }
    for project in items:
        row: dict[str, Any] = counts.get(project.pk, {})
        project.ticket_count = row.get("total", 0)  # type: ignore[attr-defined]
        project.open_count = row.get("open", 0)  # type: ignore[attr-defined]
    return ProjectPage(items=items, total=total, offset=offset, limit=limit)


def project_detail(*, user: User, project_id: Any) -> Project:
    """The project with its members loaded (for the page and the API)."""
    project = project_get_for_user(user=user, project_id=project_id)
    project.member_list = list(project.members.order_by("full_name", "email"))  # type: ignore[attr-defined]
    return project


def _week_start(value: dt.date) -> dt.date:
    return value - dt.timedelta(days=value.weekday())


def project_stats(*, project: Project, today: dt.date | None = None) -> dict[str, Any]:
    """The project page's figures, each one GROUP BY query:

    - `volume`: tickets created per week (Monday-based, in the current time zone), gaps filled with zero;
    - `open`, `closed`, `cancelled`: tickets still needing work, resolved or closed, and cancelled;
    - `time`: minutes logged per person (with billable minutes), and `minutes_total`;
    - `categories`: tickets per category (the root-cause axis), uncategorised ones under `None`.
    """
    tickets = Ticket.objects.filter(project=project)
    by_week = {
        (row["week"].date() if isinstance(row["week"], dt.datetime) else row["week"]): row["n"]
        for row in tickets.annotate(week=TruncWeek("created_at"))
        .values("week")
        .annotate(n=Count("id"))
        .order_by("week")
    }
    volume: list[dict[str, Any]] = []
    if by_week:
        today = today or timezone.localdate()
        last = max(_week_start(today), max(by_week))
        first = max(min(by_week), last - dt.timedelta(weeks=MAX_WEEKS - 1))
        week = first
        while week <= last:
            volume.append({"week": week, "tickets": by_week.get(week, 0)})
            week += dt.timedelta(weeks=1)
    states = tickets.aggregate(
        open=Count("id", filter=Q(status_category__in=ACTIVE_CATEGORIES)),
        closed=Count("id", filter=Q(status_category__in=(StatusCategory.RESOLVED, StatusCategory.CLOSED))),
        cancelled=Count("id", filter=Q(status_category=StatusCategory.CANCELLED)),
    )
    time = [
        {
            "user_id": row["user_id"],
            "name": row["user__full_name"] or row["user__email"],
            "minutes": row["spent"] or 0,
            "billable_minutes": row["billable"] or 0,
        }
        for row in WorkLog.objects.filter(ticket__project=project)
        .values("user_id", "user__full_name", "user__email")
        .annotate(spent=Sum("minutes"), billable=Sum("minutes", filter=Q(billable=True)))
        .order_by("-spent", "user_id")
    ]
    categories = [
        {"category_id": row["category_id"], "name": row["category__name"], "tickets": row["n"]}
        for row in tickets.values("category_id", "category__name")
        .annotate(n=Count("id"))
        .order_by("-n", F("category__name").asc(nulls_last=True))
    ]
    return {
        "volume": volume,
        "open": states["open"],
        "closed": states["closed"],
        "cancelled": states["cancelled"],
        "time": time,
        "minutes_total": sum(row["minutes"] for row in time),
        "categories": categories,
    }


def project_tickets(*, user: User, project: Project, limit: int = 50) -> list[Ticket]:
    """The project's tickets the user may see (none without the ticket role), newest first."""
    if not (user.is_superuser or user.has_perm("helpdesk.view_ticket")):
        return []
    from payvand.helpdesk.selectors import ticket_queryset_for_user

    return list(
        ticket_queryset_for_user(user=user)
        .filter(project=project)
        .select_related("status", "assignee", "requester", "category")
        .order_by("-created_at", "-id")[:limit]
    )


def project_choices(*, user: User) -> list[Project]:
    """Projects to pick from (ticket forms, report filters)."""
    return list(project_queryset_for_user(user=user).exclude(status=Project.Status.CANCELLED).order_by("name"))
