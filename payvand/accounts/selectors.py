"""Every read about users and teams, scoped to the viewer."""

from __future__ import annotations

from django.db.models import Count, Prefetch, QuerySet
from django.utils.translation import gettext as _

from payvand.accounts.models import ApiToken, Team, TeamMembership, User
from payvand.core.errors import NotFound, PermissionDenied


def team_list_for_user(*, user: User) -> QuerySet[Team]:
    """Users with `view_team` see every team; everyone else sees the teams they belong to."""
    qs = (
        Team.objects.select_related("lead")
        .prefetch_related(
            Prefetch("memberships", queryset=TeamMembership.objects.select_related("user").order_by("user__full_name"))
        )
        .annotate(member_count=Count("memberships", distinct=True))
    )
    if not user.has_perm("accounts.view_team"):
        qs = qs.filter(memberships__user=user)
    return qs.order_by("name")


def team_get_for_user(*, user: User, team_id: int) -> Team:
    team = team_list_for_user(user=user).filter(pk=team_id).first()
    if team is None:
        if Team.objects.filter(pk=team_id).exists():
            raise PermissionDenied(detail=_("You may not see this team."))
        raise NotFound(detail=_("No such team."))
    return team


def api_token_list_for_user(*, user: User) -> QuerySet[ApiToken]:
    return ApiToken.objects.filter(user=user).order_by("-created_at")
