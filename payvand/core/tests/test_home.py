"""The home page: contact figures and recent contacts for staff roles, a hint for users without a role."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from payvand.accounts.models import User
from payvand.contacts.models import Contact
from payvand.contacts.services import contact_create

pytestmark = pytest.mark.django_db

HOME = reverse("core:home")


def _contacts(count: int, *, owner: User, flag_type) -> None:
    start = Contact.objects.count()
    for i in range(start, start + count):
        contact_create(
            by=None,
            name=f"Customer {i:03}",
            phones=[f"0912 555 {i:04}"],
            emails=[f"c{i}@example.com"],
            status=Contact.Status.CUSTOMER,
            owner=owner,
            tags=["vip", f"t{i % 3}"],
            flags=[(flag_type, "")] if i % 2 else [],
            allow_duplicates=True,
        )


def test_it_sends_anonymous_visitors_to_the_login_page(db):
    response = Client().get(HOME)
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('accounts:login')}?next=/"


def test_it_shows_figures_and_recent_contacts_to_an_agent(agent_a, customer_x, customer_y, flag_type, client_for):
    contact_create(
        by=None,
        name="Flagged Person",
        phones=["0935 111 2222"],
        owner=agent_a,
        status=Contact.Status.CUSTOMER,
        flags=[(flag_type, "late twice")],
        allow_duplicates=True,
    )
    response = client_for(agent_a).get(HOME)
    assert response.status_code == 200
    stats = response.context["stats"]
    assert (stats["total"], stats["flagged"], stats["by_status"]["customer"]) == (3, 1, 1)
    html = response.content.decode()
    assert "Welcome, Agent.A" in html
    assert "Xerxes Customer" in html
    assert "Yvette Customer" in html
    assert "+989121234567" in html  # identities are shown normalised
    assert "Payment arrears" in html  # flags stand out
    assert [c.name for c in response.context["mine"]] == ["Flagged Person"]
    assert 'id="global-search"' in html


def test_it_shows_figures_with_persian_digits_in_persian(agent_a, client_for, flag_type):
    User.objects.filter(pk=agent_a.pk).update(language="fa")
    _contacts(12, owner=agent_a, flag_type=flag_type)
    html = client_for(agent_a).get(HOME).content.decode()
    assert '<div class="pv-stat">۱۲</div>' in html
    assert 'dir="rtl"' in html


def test_it_shows_no_customer_records_to_a_user_without_a_role(outsider, customer_x, client_for):
    response = client_for(outsider).get(HOME)
    assert response.status_code == 200
    assert "stats" not in response.context
    html = response.content.decode()
    assert "Your account has no role yet." in html
    assert "Xerxes" not in html
    assert 'id="global-search"' not in html
    assert reverse("contacts:list") not in html


def test_it_does_not_grow_queries_with_contacts(agent_a, flag_type, client_for, django_assert_max_num_queries):
    client = client_for(agent_a)
    _contacts(3, owner=agent_a, flag_type=flag_type)
    client.get(HOME)
    with django_assert_max_num_queries(20) as few:
        response = client.get(HOME)
    assert len(response.context["recent"]) == 3
    _contacts(27, owner=agent_a, flag_type=flag_type)
    with django_assert_max_num_queries(20) as many:
        response = client.get(HOME)
    assert len(response.context["recent"]) == 8
    assert response.context["stats"]["total"] == 30
    assert len(many.captured_queries) == len(few.captured_queries)
