"""Every write about users, teams, roles and API tokens."""

from __future__ import annotations

import hashlib
import secrets
from typing import Any

from django.contrib.auth.models import Group, Permission
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from payvand.accounts import roles
from payvand.accounts.models import ApiToken, Team, TeamMembership, User
from payvand.core.errors import FieldError, NotFound, ValidationFailed
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
    from django.conf import settings
    from django.core.exceptions import ValidationError as DjangoValidationError
    from django.core.validators import validate_email

    email = email.strip().lower()
    try:
        validate_email(email)
    except DjangoValidationError as exc:
        raise ValidationFailed.on("email", _("Enter a valid email address.")) from exc
    if language not in dict(settings.LANGUAGES):
        raise ValidationFailed.on("language", _("Unknown language."))
    groups = list(Group.objects.filter(name__in=role_names or []))
    if len(groups) != len(set(role_names or [])):
        raise ValidationFailed.on("role_names", _("Unknown role."))
    if User.objects.filter(email=email).exists():
        raise ValidationFailed.on("email", _("A user with this email already exists."))
    try:
        with transaction.atomic():  # a concurrent sign-up with the same email loses here, not with a 500
            user = User.objects.create_user(
                email, password, full_name=full_name, language=language, is_staff=is_staff, is_superuser=is_superuser
            )
    except IntegrityError as exc:
        raise ValidationFailed.on("email", _("A user with this email already exists.")) from exc
    if groups:
        user.groups.set(groups)
    event_record(actor=None, verb="user.created", target=user, data={"email": email, "roles": sorted(role_names or [])})
    return user


def user_update_preferences(
    *,
    user: User,
    language: str | None = None,
    time_zone: str | None = None,
    calendar: str | None = None,
    full_name: str | None = None,
) -> User:
    from django.conf import settings

    from payvand.accounts.models import TIME_ZONE_CHOICES

    # Validate everything first, so a bad value leaves the user (in the database and in memory) untouched.
    errors: list[FieldError] = []
    changes: dict[str, str] = {}
    if language is not None:
        if language not in dict(settings.LANGUAGES):
            errors.append(FieldError("language", _("Unknown language.")))
        else:
            changes["language"] = language
    if time_zone is not None:
        if time_zone not in dict(TIME_ZONE_CHOICES):
            errors.append(FieldError("time_zone", _("Unknown time zone.")))
        else:
            changes["time_zone"] = time_zone
    if calendar is not None:
        if calendar not in ("", *CALENDARS):
            errors.append(FieldError("calendar", _("Unknown calendar.")))
        else:
            changes["calendar"] = calendar
    if full_name is not None:
        if len(full_name.strip()) > 200:
            errors.append(FieldError("full_name", _("At most 200 characters.")))
        else:
            changes["full_name"] = full_name.strip()
    if errors:
        raise ValidationFailed(detail=_("Some fields are not valid."), errors=errors)
    changed = {name: value for name, value in changes.items() if getattr(user, name) != value}
    for name, value in changed.items():
        setattr(user, name, value)
    if changed:
        with transaction.atomic():
            user.save(update_fields=list(changed))
            event_record(actor=user, verb="user.preferences", target=user, data={"fields": sorted(changed)})
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
