"""The standard cast for every test: admin, supervisor, dispatcher, agents of two teams, two customers, an outsider."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from payvand.accounts import roles
from payvand.accounts.models import Team, User
from payvand.accounts.services import api_token_create, roles_ensure, team_add_member, user_create
from payvand.contacts.models import Contact, FlagType
from payvand.contacts.services import contact_create


@pytest.fixture(autouse=True)
def _media(settings: Any, tmp_path: Any) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def _language_reset() -> Any:
    """A test that switches language or calendar (a request in fa, translation.activate) must not leak it into the
    next test."""
    from django.conf import settings as django_settings
    from django.utils import translation

    from payvand.core.localization import activate_calendar

    yield
    translation.activate(django_settings.LANGUAGE_CODE)
    activate_calendar(None)


@pytest.fixture(autouse=True)
def _search_index_reset(request: Any, django_db_blocker: Any) -> Any:
    """A transactional test ends with a flush, which empties the tables but not SQLite's FTS5 tables: their rows
    would outlive the run (--reuse-db) and match the next contacts given the same ids. Empty them as well."""
    yield
    marker = request.node.get_closest_marker("django_db")
    transactional = (marker is not None and marker.kwargs.get("transaction")) or any(
        name in request.fixturenames for name in ("transactional_db", "live_server")
    )
    if not transactional:
        return
    from django.db import connection

    if connection.vendor != "sqlite":
        return
    with django_db_blocker.unblock(), connection.cursor() as cursor:
        cursor.execute("SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE '%!_fts' ESCAPE '!'")
        for (table,) in cursor.fetchall():
            cursor.execute(f'DELETE FROM "{table}"')  # noqa: S608


@pytest.fixture
def role_groups(db: None) -> dict[str, Any]:
    return roles_ensure()


def _make_user(email: str, role: str | None, **extra: Any) -> User:
    return user_create(
        email=email,
        password="pw-Secret-123",
        full_name=email.split("@")[0].title(),
        role_names=[role] if role else [],
        **extra,
    )


@pytest.fixture
def admin_user(role_groups: dict[str, Any]) -> User:
    return _make_user("admin@example.com", roles.ADMIN, is_staff=True, is_superuser=True)


@pytest.fixture
def supervisor(role_groups: dict[str, Any]) -> User:
    return _make_user("supervisor@example.com", roles.SUPERVISOR)


@pytest.fixture
def dispatcher(role_groups: dict[str, Any]) -> User:
    return _make_user("dispatcher@example.com", roles.DISPATCHER)


@pytest.fixture
def team_a(db: None) -> Team:
    return Team.objects.create(name="Team A", capacity=20, capacity_per_member=5)


@pytest.fixture
def team_b(db: None) -> Team:
    return Team.objects.create(name="Team B", capacity=20, capacity_per_member=5)


@pytest.fixture
def agent_a(role_groups: dict[str, Any], team_a: Team) -> User:
    user = _make_user("agent.a@example.com", roles.AGENT)
    team_add_member(team=team_a, user=user, by=None)
    return user


@pytest.fixture
def agent_b(role_groups: dict[str, Any], team_b: Team) -> User:
    user = _make_user("agent.b@example.com", roles.AGENT)
    team_add_member(team=team_b, user=user, by=None)
    return user


@pytest.fixture
def outsider(role_groups: dict[str, Any]) -> User:
    """A signed-in user with no role at all (e.g. a portal customer): must see no customer records."""
    return _make_user("outsider@example.com", None)


@pytest.fixture
def customer_x(db: None) -> Contact:
    return contact_create(
        by=None, name="Xerxes Customer", phones=["0912 123 4567"], emails=["x@example.com"], allow_duplicates=True
    )


@pytest.fixture
def customer_y(db: None) -> Contact:
    return contact_create(
        by=None, name="Yvette Customer", phones=["+36 30 123 4567"], emails=["y@example.hu"], allow_duplicates=True
    )


@pytest.fixture
def flag_type(db: None) -> FlagType:
    return FlagType.objects.create(name="Payment arrears", colour="#dc3545", severity=3)


@pytest.fixture
def client_for() -> Callable[[User | None], Client]:
    def make(user: User | None) -> Client:
        client = Client()
        if user is not None:
            client.force_login(user)
        return client

    return make


@pytest.fixture
def api_for() -> Callable[[User], Client]:
    """A client that authenticates to the API with a bearer token of this user."""

    def make(user: User) -> Client:
        _token, raw = api_token_create(user=user, name="tests")
        return Client(headers={"Authorization": f"Bearer {raw}"})

    return make
