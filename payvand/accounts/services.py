"""Every write about users, teams, roles and API tokens."""

from __future__ import annotations

import hashlib
import secrets
from typing import Any

from django.contrib.auth.models import Group, Permission
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from payvand.accounts import roles
from payvand.accounts.models import ApiToken, Team, TeamMembership, User
from payvand.core.errors import NotFound, ValidationFailed
from payvand.core.localization import CALENDARS
from payvand.core.services import event_record

TOKEN_PREFIX = "pvt_"


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


@transaction.atomic
def roles_ensure() -> dict[str, Group]:
    """Create or update the built-in role groups with their permissions. Idempotent."""
    groups: dict[str, Group] = {}
    all_perms = list(Permission.objects.select_related("content_type"))
    by_key = {f"{p.content_type.app_label}.{p.codename}": p for p in all_perms}
    for name, wanted in roles.PERMISSIONS.items():
        group, _created = Group.objects.get_or_create(name=name)
        perms = all_perms if wanted == ["*"] else [by_key[key] for key in wanted if key in by_key]
        group.permissions.set(perms)
        groups[name] = group
    return groups


@transaction.atomic
def user_create(
    *,
    email: str,
    password: str | None,
    full_name: str = "",
    language: str = "en",
    role_names: list[str] | None = None,
    is_staff: bool = False,
    is_superuser: bool = False,
) -> User:
    email = email.strip().lower()
    if User.objects.filter(email=email).exists():
        raise ValidationFailed.on("email", _("A user with this email already exists."))
    user = User.objects.create_user(
        email, password, full_name=full_name, language=language, is_staff=is_staff, is_superuser=is_superuser
    )
    if role_names:
        user.groups.set(Group.objects.filter(name__in=role_names))
    return user


def user_update_preferences(
    *, user: User, language: str | None = None, time_zone: str | None = None, calendar: str | None = None,
    full_name: str | None = None,
) -> User:
    from django.conf import settings

    from payvand.accounts.models import TIME_ZONE_CHOICES

    errors = []
    fields: list[str] = []
    if language is not None:
        if language not in dict(settings.LANGUAGES):
            errors.append(("language", _("Unknown language.")))
        else:
            user.language = language
            fields.append("language")
    if time_zone is not None:
        if time_zone not in dict(TIME_ZONE_CHOICES):
            errors.append(("time_zone", _("Unknown time zone.")))
        else:
            user.time_zone = time_zone
            fields.append("time_zone")
    if calendar is not None:
        if calendar not in ("", *CALENDARS):
            errors.append(("calendar", _("Unknown calendar.")))
        else:
            user.calendar = calendar
            fields.append("calendar")
    if full_name is not None:
        if len(full_name) > 200:
            errors.append(("full_name", _("At most 200 characters.")))
        else:
            user.full_name = full_name.strip()
            fields.append("full_name")
    if errors:
        from payvand.core.errors import FieldError

        raise ValidationFailed(detail=_("Some fields are not valid."), errors=[FieldError(f, m) for f, m in errors])
    if fields:
        user.save(update_fields=fields)
    return user


@transaction.atomic
def api_token_create(*, user: User, name: str) -> tuple[ApiToken, str]:
    """Create a token and return it with its raw value, which is never stored and shown only this once."""
    name = name.strip()
    if not name:
        raise ValidationFailed.on("name", _("Give the token a name."))
    if len(name) > 100:
        raise ValidationFailed.on("name", _("At most 100 characters."))
    secret = secrets.token_urlsafe(32)
    raw = f"{TOKEN_PREFIX}{secret}"
    token = ApiToken.objects.create(user=user, name=name, prefix=raw[:12], token_hash=hash_token(raw))
    event_record(actor=user, verb="token.created", target=token, data={"name": name})
    return token, raw


@transaction.atomic
def api_token_revoke(*, user: User, token_id: int) -> ApiToken:
    token = ApiToken.objects.select_for_update().filter(user=user, pk=token_id).first()
    if token is None:
        raise NotFound(detail=_("No such token."))
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        event_record(actor=user, verb="token.revoked", target=token, data={"name": token.name})
    return token


def api_token_authenticate(*, raw: str) -> User | None:
    if not raw.startswith(TOKEN_PREFIX) or len(raw) > 200:
        return None
    token = (
        ApiToken.objects.select_related("user")
        .filter(token_hash=hash_token(raw), revoked_at__isnull=True, user__is_active=True)
        .first()
    )
    if token is None:
        return None
    now = timezone.now()
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user


@transaction.atomic
def team_add_member(*, team: Team, user: User, by: User | None, capacity: int | None = None) -> TeamMembership:
    membership, created = TeamMembership.objects.get_or_create(team=team, user=user, defaults={"capacity": capacity})
    if created:
        event_record(actor=by, verb="team.member_added", target=team, data={"user": user.email})
    return membership


@transaction.atomic
def team_remove_member(*, team: Team, user: User, by: User | None) -> None:
    deleted, _info = TeamMembership.objects.filter(team=team, user=user).delete()
    if deleted:
        event_record(actor=by, verb="team.member_removed", target=team, data={"user": user.email})


def user_search_q(text: str) -> Q:
    return Q(email__icontains=text) | Q(full_name__icontains=text)


def user_role_names(user: Any) -> list[str]:
    return [g.name for g in user.groups.all()]
