from __future__ import annotations

from django.http import HttpRequest
from ninja import Router

from payvand.accounts import selectors, services
from payvand.accounts.models import Team, User
from payvand.accounts.schemas import MeOut, MeUpdateIn, TeamMemberOut, TeamOut, TokenCreateIn, TokenCreateOut, TokenOut
from payvand.core.schemas import ERRORS, PathId

router = Router(tags=["accounts"])


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


def _me(user: User) -> MeOut:
    return MeOut(
        id=user.pk,
        email=user.email,
        full_name=user.full_name,
        language=user.language,
        time_zone=user.time_zone,
        calendar=user.effective_calendar,
        roles=sorted(g.name for g in user.groups.all()),
        teams=sorted(user.memberships.values_list("team_id", flat=True)),
    )


@router.get("/me", response={200: MeOut, **ERRORS}, summary="The signed-in user")
def me_get(request: HttpRequest) -> MeOut:
    return _me(_user(request))


@router.patch("/me", response={200: MeOut, **ERRORS}, summary="Change my language, time zone or calendar")
def me_update(request: HttpRequest, payload: MeUpdateIn) -> MeOut:
    user = services.user_update_preferences(user=_user(request), **payload.model_dump(exclude_unset=True))
    return _me(user)


@router.get("/me/tokens", response={200: list[TokenOut], **ERRORS}, summary="My API tokens")
def token_list(request: HttpRequest) -> list[TokenOut]:
    return [
        TokenOut.model_validate(t, from_attributes=True) for t in selectors.api_token_list_for_user(user=_user(request))
    ]


@router.post("/me/tokens", response={201: TokenCreateOut, **ERRORS}, summary="Create an API token (shown once)")
def token_create(request: HttpRequest, payload: TokenCreateIn) -> tuple[int, TokenCreateOut]:
    token, raw = services.api_token_create(user=_user(request), name=payload.name)
    out = TokenCreateOut(**TokenOut.model_validate(token, from_attributes=True).model_dump(), token=raw)
    return 201, out


@router.delete("/me/tokens/{token_id}", response={204: None, **ERRORS}, summary="Revoke an API token")
def token_revoke(request: HttpRequest, token_id: PathId) -> tuple[int, None]:
    services.api_token_revoke(user=_user(request), token_id=token_id)
    return 204, None


def _team(team: Team) -> TeamOut:
    return TeamOut(
        id=team.pk,
        name=team.name,
        description=team.description,
        lead_id=team.lead_id,
        capacity=team.capacity,
        capacity_per_member=team.capacity_per_member,
        members=[
            TeamMemberOut(
                user_id=m.user_id, email=m.user.email, full_name=m.user.full_name, capacity=m.effective_capacity
            )
            for m in team.memberships.all()
        ],
    )


@router.get("/teams", response={200: list[TeamOut], **ERRORS}, summary="Teams I may see")
def team_list(request: HttpRequest) -> list[TeamOut]:
    return [_team(t) for t in selectors.team_list_for_user(user=_user(request))]


@router.get("/teams/{team_id}", response={200: TeamOut, **ERRORS}, summary="One team with its members")
def team_get(request: HttpRequest, team_id: PathId) -> TeamOut:
    return _team(selectors.team_get_for_user(user=_user(request), team_id=team_id))
