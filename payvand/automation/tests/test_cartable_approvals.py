"""Pending approvals in the approver's work inbox: the cartable's *Waiting for my approval* list (with its count and
the navigation badge) and `GET /api/v1/automation/approvals` show the requests waiting for me — asked of me by name
or through my role, "any one" / "all" respected, the ones I answered gone — each with its ticket and approve/reject
with a comment right there."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from payvand.accounts import roles
from payvand.accounts.models import Team, User
from payvand.accounts.services import team_add_member, user_create
from payvand.automation import approvals
from payvand.automation.models import ApprovalRequest
from payvand.contacts.models import Contact
from payvand.helpdesk.models import Ticket
from payvand.helpdesk.tests.services_support import ticket_new

pytestmark = pytest.mark.django_db
CARTABLE = "/cartable/?list=approvals"


def _ids(client: Any) -> list[int]:
    import re

    html = client.get(CARTABLE).content.decode()
    return [int(x) for x in re.findall(r'id="approval-row-(\d+)"', html)]


def _api_ids(api: Any) -> list[int]:
    r = api.get("/api/v1/automation/approvals")
    assert r.status_code == 200
    return [a["id"] for a in r.json()]


@pytest.fixture
def leads(role_groups: Any, team_a: Team) -> list[User]:
    """Two supervisors (a role) in team A."""
    people = []
    for n in (1, 2):
        user = user_create(
            email=f"lead{n}@example.com", password="pw-Secret-123", full_name=f"Lead {n}", role_names=[roles.SUPERVISOR]
        )
        team_add_member(team=team_a, user=user, by=None)
        people.append(user)
    return people


def _request(ticket: Ticket, by: User, **extra: Any) -> ApprovalRequest:
    base = {"kind": "refund", "amount": "1500000", "currency": "IRR", "reason": "Charged twice"}
    return approvals.approval_request(target=ticket, by=by, **(base | extra))


def test_by_role_with_all_approvers(
    client_for: Any, api_for: Any, agent_a: User, leads: list[User], team_a: Team, customer_x: Contact
) -> None:
    lead1, lead2 = leads
    ticket = ticket_new(by=agent_a, requester=customer_x, team=team_a)
    role = Group.objects.get(name=roles.SUPERVISOR)
    req = _request(ticket, agent_a, role=role, mode="all")
    c1, c2 = client_for(lead1), client_for(lead2)
    assert _ids(c1) == [req.pk]
    assert _ids(c2) == [req.pk]
    assert _api_ids(api_for(lead1)) == [req.pk]
    assert api_for(lead1).get("/api/v1/cartable").json()["counts"]["approvals"] == 1
    assert _ids(client_for(agent_a)) == []  # never the requester's own
    page = c1.get(CARTABLE).content.decode()
    assert 'id="cartable-count-approvals" data-count="1"' in page
    assert reverse("helpdesk:detail", args=[ticket.pk]) in page  # the ticket, linked
    assert ticket.reference in page
    assert f'action="{reverse("automation:approval_decide", args=[req.pk])}"' in page
    assert 'data-count="1"' in c1.get(reverse("cartable:badge")).content.decode()
    # Lead 1 approves from the cartable, with a comment: back on the list, gone from theirs, still on lead 2's.
    r = c1.post(
        reverse("automation:approval_decide", args=[req.pk]),
        {"decision": "approve", "comment": "Fine by me", "next": CARTABLE},
    )
    assert r.status_code == 302
    assert r["Location"] == CARTABLE
    assert _ids(c1) == []
    assert _api_ids(api_for(lead1)) == []
    assert _ids(c2) == [req.pk]
    listed = api_for(lead2).get("/api/v1/automation/approvals").json()
    assert (listed[0]["approvers"], listed[0]["approved"], listed[0]["rejected"]) == (2, 1, 0)
    assert "1 of 2 approved" in c2.get(CARTABLE).content.decode()
    c2.post(reverse("automation:approval_decide", args=[req.pk]), {"decision": "approve", "next": CARTABLE})
    req.refresh_from_db()
    assert req.state == "approved"
    assert _ids(c2) == []


def test_by_user_with_any_one_approver(
    client_for: Any, api_for: Any, agent_a: User, leads: list[User], supervisor: User, team_a: Team, customer_x: Contact
) -> None:
    lead1, lead2 = leads
    ticket = ticket_new(by=agent_a, requester=customer_x, team=team_a)
    req = _request(ticket, agent_a, approvers=[lead1, lead2], mode="any")
    other = _request(ticket, agent_a, approvers=[supervisor], kind="discount", amount="10")
    assert _ids(client_for(lead1)) == [req.pk]
    assert _ids(client_for(supervisor)) == [other.pk]
    # A rejection needs a comment: refused, shown on the cartable, still waiting.
    r = client_for(lead1).post(
        reverse("automation:approval_decide", args=[req.pk]), {"decision": "reject", "next": CARTABLE}, follow=True
    )
    assert "Say why you reject it." in r.content.decode()
    assert _ids(client_for(lead1)) == [req.pk]
    # Lead 1 rejects with a reason: it leaves their list; "any one" still waits for lead 2.
    client_for(lead1).post(
        reverse("automation:approval_decide", args=[req.pk]),
        {"decision": "reject", "comment": "Too much", "next": CARTABLE},
    )
    assert _ids(client_for(lead1)) == []
    page = client_for(lead2).get(CARTABLE).content.decode()
    assert 'id="approval-row-' in page
    assert "1 approver rejected it" in page
    # Lead 2 approves: any one approval settles it, and it leaves every list.
    client_for(lead2).post(reverse("automation:approval_decide", args=[req.pk]), {"decision": "approve"})
    req.refresh_from_db()
    assert req.state == "approved"
    assert _ids(client_for(lead2)) == []
    assert _api_ids(api_for(lead2)) == []
    assert _ids(client_for(supervisor)) == [other.pk]  # the other request is untouched


def test_a_ticket_the_approver_cannot_open_and_a_foreign_next(
    client_for: Any, agent_a: User, agent_b: User, team_b: Team, customer_x: Contact
) -> None:
    ticket = ticket_new(by=agent_b, requester=customer_x, team=team_b)
    req = _request(ticket, agent_b, approvers=[agent_a])  # agent A is not in team B
    client = client_for(agent_a)
    page = client.get(CARTABLE).content.decode()
    assert f'id="approval-row-{req.pk}"' in page
    assert reverse("helpdesk:detail", args=[ticket.pk]) not in page
    assert ticket.subject not in page
    assert "On a ticket you cannot open." in page
    r = client.post(
        reverse("automation:approval_decide", args=[req.pk]),
        {"decision": "approve", "next": "https://evil.example.com/"},
    )
    assert r["Location"] == reverse("automation:approvals")  # an outside address is not followed


def test_empty_list_and_who_sees_the_list(client_for: Any, agent_a: User, outsider: User) -> None:
    page = client_for(agent_a).get(CARTABLE)
    assert page.status_code == 200
    html = page.content.decode()
    assert 'id="cartable-link-approvals"' in html
    assert 'id="cartable-count-approvals" data-count="0"' in html
    assert 'id="cartable-empty"' in html
    assert client_for(outsider).get(CARTABLE).status_code == 403


def test_the_list_takes_the_same_queries_for_1_or_5(
    client_for: Any, agent_a: User, leads: list[User], team_a: Team, customer_x: Contact
) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    lead1, _ = leads
    client = client_for(lead1)
    ticket = ticket_new(by=agent_a, requester=customer_x, team=team_a)
    _request(ticket, agent_a, approvers=[lead1])

    def count() -> int:
        with CaptureQueriesContext(connection) as q:
            client.get(CARTABLE, headers={"HX-Request": "true", "HX-Target": "cartable-list"})
        return len(q)

    count()
    one = count()
    for _n in range(4):
        _request(ticket_new(by=agent_a, requester=customer_x, team=team_a), agent_a, approvers=[lead1])
    assert count() == one
