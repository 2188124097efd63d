"""`manage.py seed_demo`: the demo data once, and the admin login printed every time."""

from __future__ import annotations

import re
from io import StringIO

import pytest
from django.core.management import call_command
from django.test import Client

from payvand.accounts import roles
from payvand.accounts.models import Team, User
from payvand.contacts.models import Contact, ContactFlag, FlagType, Identity
from payvand.core.models import Event
from payvand.helpdesk.models import Ticket

pytestmark = pytest.mark.django_db


def _seed() -> str:
    out = StringIO()
    call_command("seed_demo", stdout=out)
    return out.getvalue()


def _counts() -> dict[str, int]:
    return {
        model.__name__: model.objects.count()
        for model in (Contact, Identity, ContactFlag, FlagType, User, Team, Event, Ticket)
    }


def test_it_seeds_the_demo_once_and_prints_the_admin_login(settings, tmp_path):
    settings.VAR_DIR = tmp_path
    output = _seed()

    people = Contact.objects.filter(kind=Contact.Kind.PERSON)
    organisations = Contact.objects.filter(kind=Contact.Kind.ORGANISATION)
    assert 45 <= people.count() <= 60
    assert organisations.count() == 15
    assert ContactFlag.objects.values("contact").distinct().count() >= 5
    assert FlagType.objects.count() >= 5
    assert people.filter(name__regex=r"[\u0600-\u06FF]").exists()  # Persian names
    assert people.filter(name__contains="á").exists()  # Hungarian names
    phones = set(Identity.objects.filter(kind="phone").values_list("value", flat=True))
    assert any(p.startswith("+98") for p in phones)
    assert any(p.startswith("+36") for p in phones)
    assert Team.objects.count() >= 2
    assert f"Demo data loaded: {Contact.objects.count()} contacts." in output
    # The helpdesk demo: tickets routed to a team, some assigned, some already resolved or closed.
    assert Ticket.objects.count() == 40
    assert not Ticket.objects.filter(team__isnull=True).exists()
    assert Ticket.objects.filter(assignee__isnull=False).exists()
    assert Ticket.objects.filter(status_category__in=["resolved", "closed"]).exists()
    assert Ticket.objects.filter(project__isnull=False).exists()
    assert f"Helpdesk demo loaded: {Ticket.objects.count()} tickets." in output

    match = re.search(r"Admin login: (\S+) / (\S+)", output)
    assert match
    email, password = match.groups()
    admin = User.objects.get(email=email)
    assert admin.is_superuser
    assert admin.groups.filter(name=roles.ADMIN).exists()
    assert (tmp_path / "admin-password").read_text().strip() == password
    client = Client()
    assert client.post("/accounts/login/", {"username": email, "password": password}).status_code == 302

    before = _counts()
    again = _seed()
    assert _counts() == before
    assert "Demo data already loaded." in again
    assert f"Admin login: {email} / {password}" in again


def test_it_keeps_an_existing_admin_and_never_prints_a_wrong_password(settings, tmp_path, admin_user, customer_x):
    settings.VAR_DIR = tmp_path
    (tmp_path / "admin-password").write_text("stale-password")  # admin_user's password is another one
    out = StringIO()
    call_command("seed_demo", "--admin-email", admin_user.email, stdout=out)
    output = out.getvalue()
    assert "Demo data already loaded." in output
    assert f"Admin login: {admin_user.email} (password changed" in output
    assert "stale-password" not in output
    assert User.objects.filter(email=admin_user.email).count() == 1
    assert list(Contact.objects.all()) == [customer_x]
