"""The accounts services and model rules: users, roles, preferences, API tokens and team membership."""

from __future__ import annotations

import hashlib

import pytest
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType

from payvand.accounts import roles
from payvand.accounts.models import ApiToken, Team, TeamMembership, User
from payvand.accounts.services import (
    api_token_authenticate,
    api_token_create,
    api_token_revoke,
    roles_ensure,
    team_add_member,
    team_remove_member,
    user_create,
    user_update_preferences,
)
from payvand.core.errors import NotFound, ValidationFailed
from payvand.core.localization import GREGORIAN, JALALI
from payvand.core.models import Event

pytestmark = pytest.mark.django_db


def _perm_keys(group: Group) -> set[str]:
    return {f"{p.content_type.app_label}.{p.codename}" for p in group.permissions.select_related("content_type")}


# --- user_create -------------------------------------------------------------------------------------------------


def test_it_creates_a_user_with_a_lower_cased_email_and_roles(role_groups):
    user = user_create(
        email="  Neda@Example.COM ",
        password="pw-Secret-123",
        full_name="Neda",
        language="fa",
        role_names=[roles.AGENT, roles.MARKETER],
    )
    user.refresh_from_db()
    assert user.email == "neda@example.com"
    assert user.language == "fa"
    assert user.check_password("pw-Secret-123")
    assert sorted(user.groups.values_list("name", flat=True)) == [roles.AGENT, roles.MARKETER]
    assert user.has_perm("contacts.view_contact")


def test_it_refuses_a_duplicate_email_in_any_case(role_groups):
    user_create(email="dup@example.com", password="pw-Secret-123")
    with pytest.raises(ValidationFailed) as info:
        user_create(email="DUP@example.com", password="other-pw-123")
    assert info.value.status == 422
    assert [e.field for e in info.value.errors] == ["email"]
    assert User.objects.filter(email="dup@example.com").count() == 1


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"email": "not-an-email"}, "email"),
        ({"email": ""}, "email"),
        ({"email": "ok@example.com", "language": "de"}, "language"),
        ({"email": "ok@example.com", "role_names": ["wizard"]}, "role_names"),
    ],
)
def test_it_refuses_bad_user_input_without_saving(role_groups, kwargs, field):
    with pytest.raises(ValidationFailed) as info:
        user_create(password="pw-Secret-123", **kwargs)
    assert [e.field for e in info.value.errors] == [field]
    assert not User.objects.exists()


# --- roles_ensure ------------------------------------------------------------------------------------------------


def test_it_creates_every_role_with_its_intended_permissions(db):
    groups = roles_ensure()
    assert set(groups) == set(roles.PERMISSIONS) == set(roles.LABELS)
    assert set(Group.objects.values_list("name", flat=True)) == set(roles.PERMISSIONS)
    every = {f"{p.content_type.app_label}.{p.codename}" for p in Permission.objects.select_related("content_type")}
    for name, wanted in roles.PERMISSIONS.items():
        expected = every if wanted == ["*"] else set(wanted)
        assert expected <= every, f"role {name} names permissions that do not exist: {expected - every}"
        assert _perm_keys(groups[name]) == expected, name


def test_it_gives_the_admin_role_every_permission(db):
    admin = roles_ensure()[roles.ADMIN]
    assert admin.permissions.count() == Permission.objects.count()
    assert {"accounts.delete_user", "contacts.merge_contact", "core.view_event"} <= _perm_keys(admin)


def test_it_keeps_roles_apart(db):
    groups = roles_ensure()
    assert "contacts.merge_contact" not in _perm_keys(groups[roles.AGENT])
    assert "accounts.view_team" not in _perm_keys(groups[roles.AGENT])
    assert "contacts.merge_contact" in _perm_keys(groups[roles.DISPATCHER])
    assert "contacts.import_contact" in _perm_keys(groups[roles.MARKETER])
    assert "contacts.delete_contact" not in _perm_keys(groups[roles.SALES_REP])


def test_it_ensures_roles_idempotently_and_repairs_them(db):
    first = roles_ensure()
    agent = first[roles.AGENT]
    stray = Permission.objects.get(content_type=ContentType.objects.get_for_model(User), codename="delete_user")
    agent.permissions.add(stray)
    Group.objects.get(name=roles.MARKETER).permissions.clear()

    second = roles_ensure()

    assert Group.objects.count() == len(roles.PERMISSIONS)
    assert {g.pk for g in first.values()} == {g.pk for g in second.values()}
    assert "accounts.delete_user" not in _perm_keys(second[roles.AGENT])
    assert _perm_keys(second[roles.MARKETER]) == set(roles.PERMISSIONS[roles.MARKETER])


# --- user_update_preferences -------------------------------------------------------------------------------------


def test_it_updates_preferences(agent_a):
    user_update_preferences(
        user=agent_a, language="hu", time_zone="Europe/Budapest", calendar=JALALI, full_name="  Anna Agent "
    )
    agent_a.refresh_from_db()
    assert (agent_a.language, agent_a.time_zone, agent_a.calendar, agent_a.full_name) == (
        "hu",
        "Europe/Budapest",
        JALALI,
        "Anna Agent",
    )


def test_it_leaves_unnamed_preferences_alone(agent_a):
    user_update_preferences(user=agent_a, calendar=GREGORIAN)
    agent_a.refresh_from_db()
    assert (agent_a.language, agent_a.time_zone, agent_a.calendar) == ("en", "Asia/Tehran", GREGORIAN)


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"language": "de"}, "language"),
        ({"language": ""}, "language"),
        ({"time_zone": "Mars/Olympus"}, "time_zone"),
        ({"time_zone": "EST"}, "time_zone"),
        ({"calendar": "lunar"}, "calendar"),
        ({"full_name": "x" * 201}, "full_name"),
    ],
)
def test_it_refuses_each_bad_preference_and_saves_nothing(agent_a, kwargs, field):
    with pytest.raises(ValidationFailed) as info:
        # A good value beside the bad one is not saved either.
        user_update_preferences(user=agent_a, **{"calendar": GREGORIAN, "language": "hu", **kwargs})
    assert [e.field for e in info.value.errors] == [field]
    stored = User.objects.get(pk=agent_a.pk)
    assert (stored.language, stored.time_zone, stored.calendar) == ("en", "Asia/Tehran", "")
    # The in-memory user (request.user in a view) is untouched too.
    assert (agent_a.language, agent_a.time_zone, agent_a.calendar) == ("en", "Asia/Tehran", "")


def test_it_reports_every_bad_preference_at_once(agent_a):
    with pytest.raises(ValidationFailed) as info:
        user_update_preferences(user=agent_a, language="xx", time_zone="Nowhere/City", calendar="mayan")
    assert sorted(str(e.field) for e in info.value.errors) == ["calendar", "language", "time_zone"]


# --- API tokens --------------------------------------------------------------------------------------------------


def test_it_creates_a_token_storing_only_its_hash(agent_a):
    token, raw = api_token_create(user=agent_a, name="  PBX connector ")
    token.refresh_from_db()
    assert raw.startswith("pvt_")
    assert len(raw) > 40
    assert token.name == "PBX connector"
    assert token.token_hash == hashlib.sha256(raw.encode()).hexdigest()
    assert token.prefix == raw[:12]
    stored = ApiToken.objects.filter(pk=token.pk).values()[0]
    assert raw not in {str(v) for v in stored.values()}
    assert token.is_active
    event = Event.objects.get(verb="token.created")
    assert (event.actor, event.target, event.data) == (agent_a, token, {"name": "PBX connector"})
    assert raw not in str(event.data)


def test_it_creates_different_tokens_each_time(agent_a):
    _t1, raw1 = api_token_create(user=agent_a, name="one")
    _t2, raw2 = api_token_create(user=agent_a, name="one")
    assert raw1 != raw2
    assert ApiToken.objects.filter(user=agent_a).count() == 2


@pytest.mark.parametrize("name", ["", "   ", "x" * 101])
def test_it_refuses_a_bad_token_name(agent_a, name):
    with pytest.raises(ValidationFailed) as info:
        api_token_create(user=agent_a, name=name)
    assert [e.field for e in info.value.errors] == ["name"]
    assert not ApiToken.objects.exists()
    assert not Event.objects.filter(verb="token.created").exists()


def test_it_authenticates_with_a_token_and_notes_its_use(agent_a):
    token, raw = api_token_create(user=agent_a, name="tests")
    assert api_token_authenticate(raw=raw) == agent_a
    token.refresh_from_db()
    assert token.last_used_at is not None


@pytest.mark.parametrize("raw", ["", "pvt_", "pvt_wrong", "Bearer pvt_x", "x" * 300, "pvt_" + "a" * 300])
def test_it_refuses_unknown_tokens(agent_a, raw):
    api_token_create(user=agent_a, name="tests")
    assert api_token_authenticate(raw=raw) is None


def test_it_refuses_the_token_of_an_inactive_user(agent_a):
    _token, raw = api_token_create(user=agent_a, name="tests")
    User.objects.filter(pk=agent_a.pk).update(is_active=False)
    assert api_token_authenticate(raw=raw) is None


def test_it_revokes_a_token_once(agent_a):
    token, raw = api_token_create(user=agent_a, name="tests")
    api_token_revoke(user=agent_a, token_id=token.pk)
    token.refresh_from_db()
    first_revoked_at = token.revoked_at
    assert first_revoked_at is not None
    assert not token.is_active
    assert api_token_authenticate(raw=raw) is None

    api_token_revoke(user=agent_a, token_id=token.pk)  # again: nothing changes
    token.refresh_from_db()
    assert token.revoked_at == first_revoked_at
    assert Event.objects.filter(verb="token.revoked").count() == 1


def test_it_does_not_revoke_another_users_token(agent_a, agent_b):
    token, raw = api_token_create(user=agent_a, name="tests")
    with pytest.raises(NotFound):
        api_token_revoke(user=agent_b, token_id=token.pk)
    with pytest.raises(NotFound):
        api_token_revoke(user=agent_b, token_id=token.pk + 1000)
    token.refresh_from_db()
    assert token.revoked_at is None
    assert api_token_authenticate(raw=raw) == agent_a


# --- teams -------------------------------------------------------------------------------------------------------


def test_it_adds_and_removes_team_members_with_events(supervisor, agent_b, team_a):
    membership = team_add_member(team=team_a, user=agent_b, by=supervisor, capacity=3)
    assert membership.capacity == 3
    assert list(team_a.members.all()) == [agent_b]
    added = Event.objects.get(verb="team.member_added", target_id=str(team_a.pk))
    assert (added.actor, added.target, added.data) == (supervisor, team_a, {"user": agent_b.email})

    again = team_add_member(team=team_a, user=agent_b, by=supervisor)
    assert again.pk == membership.pk
    assert Event.objects.filter(verb="team.member_added", target_id=str(team_a.pk)).count() == 1

    team_remove_member(team=team_a, user=agent_b, by=supervisor)
    assert not TeamMembership.objects.filter(team=team_a, user=agent_b).exists()
    removed = Event.objects.get(verb="team.member_removed")
    assert (removed.actor, removed.target, removed.data) == (supervisor, team_a, {"user": agent_b.email})

    team_remove_member(team=team_a, user=agent_b, by=supervisor)  # not a member any more: no second event
    assert Event.objects.filter(verb="team.member_removed").count() == 1


def test_it_uses_the_team_capacity_unless_the_member_has_their_own(agent_a, team_a, agent_b):
    own = team_add_member(team=team_a, user=agent_b, by=None, capacity=2)
    default = TeamMembership.objects.get(team=team_a, user=agent_a)
    assert default.effective_capacity == team_a.capacity_per_member == 5
    assert own.effective_capacity == 2
    zero = TeamMembership.objects.create(team=Team.objects.create(name="Night shift"), user=agent_a, capacity=0)
    assert zero.effective_capacity == 0


# --- the user model ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("language", "calendar", "expected"),
    [
        ("fa", "", JALALI),
        ("en", "", GREGORIAN),
        ("hu", "", GREGORIAN),
        ("fa", GREGORIAN, GREGORIAN),
        ("en", JALALI, JALALI),
    ],
)
def test_it_picks_the_calendar_by_language_unless_chosen(language, calendar, expected):
    assert User(email="u@example.com", language=language, calendar=calendar).effective_calendar == expected


def test_it_names_a_user_by_full_name_or_email():
    assert str(User(email="a@example.com")) == "a@example.com"
    assert User(email="a@example.com", full_name="Ali Rezaei").get_short_name() == "Ali"
    assert User(email="a@example.com").get_full_name() == "a@example.com"


def test_user_create_and_preference_changes_leave_events(role_groups):
    from payvand.core.models import Event

    user = user_create(email="Events@Example.com", password="pw-Secret-123", role_names=["agent"])
    created = Event.objects.get(verb="user.created", target_id=str(user.pk))
    assert created.data == {"email": "events@example.com", "roles": ["agent"]}

    user_update_preferences(user=user, language="fa", time_zone=user.time_zone)
    changed = Event.objects.get(verb="user.preferences", target_id=str(user.pk))
    assert changed.actor == user
    assert changed.data == {"fields": ["language"]}  # the unchanged time zone is not reported

    user_update_preferences(user=user, language="fa")  # nothing changes: no event
    assert Event.objects.filter(verb="user.preferences", target_id=str(user.pk)).count() == 1
