"""Approvals: a refund or discount requested on a ticket goes to approvers by user or role, any one or all decide,
and the ticket gets a note, a tag and timeline events."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from payvand.accounts import roles
from payvand.accounts.models import Team, User
from payvand.automation import approvals
from payvand.automation.models import ApprovalRequest, ApprovalStep
from payvand.contacts.models import Contact
from payvand.core.errors import Conflict, PermissionDenied, ValidationFailed
from payvand.helpdesk.models import Message, Ticket
from payvand.helpdesk.tests.services_support import ticket_new, verbs
from payvand.notifications.models import Notification

pytestmark = pytest.mark.django_db


def tags(ticket: Ticket) -> set[str]:
    return set(Ticket.objects.get(pk=ticket.pk).tags.values_list("name", flat=True))


def test_any_one_approver_approves_and_the_ticket_goes_on(
    agent_a: User, supervisor: User, dispatcher: User, team_a: Team, customer_x: Contact
) -> None:
    ticket = ticket_new(by=agent_a, requester=customer_x, team=team_a)
    req = approvals.approval_request(
        target=ticket,
        by=agent_a,
        kind="refund",
        amount="1500000",
        currency="irr",
        reason="Charged twice",
        approvers=[supervisor, dispatcher],
    )
    assert req.currency == "IRR"
    assert Notification.objects.filter(kind="approval", user__in=[supervisor, dispatcher]).count() == 2
    assert [s.request_id for s in approvals.approvals_pending_for(user=supervisor)] == [req.pk]
    approvals.approval_decide(request=req, by=supervisor, approve=True, comment="OK")
    req.refresh_from_db()
    assert req.state == ApprovalRequest.State.APPROVED
    assert tags(ticket) == {"refund-approved"}
    note = Message.objects.get(ticket=ticket, kind="note")
    assert "1500000.00 IRR" in note.body_text
    assert "OK" in note.body_text
    assert {"approval.requested", "approval.approved_by", "approval.approved"} <= set(verbs(ticket))
    assert not approvals.approvals_pending_for(user=dispatcher).exists()  # settled: nothing waits any more
    with pytest.raises(Conflict):
        approvals.approval_decide(request=req, by=dispatcher, approve=True)


def test_all_approvers_of_a_role_are_needed_and_one_rejection_rejects(
    agent_a: User, supervisor: User, role_groups: dict[str, Any], team_a: Team, customer_x: Contact
) -> None:
    from payvand.accounts.services import user_create

    other = user_create(email="sup2@example.com", password=None, full_name="Sup Two", role_names=[roles.SUPERVISOR])
    ticket = ticket_new(by=agent_a, requester=customer_x, team=team_a)
    role = Group.objects.get(name=roles.SUPERVISOR)
    req = approvals.approval_request(
        target=ticket, by=agent_a, kind="discount", amount="10", reason="Loyal customer", role=role, mode="all"
    )
    assert set(req.steps.values_list("approver_id", flat=True)) == {supervisor.pk, other.pk}
    approvals.approval_decide(request=req, by=supervisor, approve=True)
    req.refresh_from_db()
    assert req.state == ApprovalRequest.State.PENDING
    with pytest.raises(ValidationFailed):  # a rejection needs a reason
        approvals.approval_decide(request=req, by=other, approve=False)
    approvals.approval_decide(request=req, by=other, approve=False, comment="Too much")
    req.refresh_from_db()
    assert req.state == ApprovalRequest.State.REJECTED
    assert tags(ticket) == {"discount-rejected"}


def test_bad_requests_and_outsiders(agent_a: User, agent_b: User, team_a: Team, customer_x: Contact) -> None:
    ticket = ticket_new(by=agent_a, requester=customer_x, team=team_a)
    with pytest.raises(ValidationFailed) as exc:
        approvals.approval_request(target=ticket, by=agent_a, kind="gift", amount="-1", reason="", approvers=[agent_a])
    assert {e.field for e in exc.value.errors} == {"kind", "amount", "reason", "approvers"}
    assert not ApprovalRequest.objects.exists()
    req = approvals.approval_request(
        target=ticket, by=agent_a, kind="refund", amount="5", reason="r", approvers=[agent_b]
    )
    with pytest.raises(PermissionDenied):  # the requester is not an approver
        approvals.approval_decide(request=req, by=agent_a, approve=True)
    assert ApprovalStep.objects.get().decision == "pending"


def test_the_pages_request_and_decide(
    agent_a: User, supervisor: User, team_a: Team, customer_x: Contact, client_for: Any
) -> None:
    ticket = ticket_new(by=agent_a, requester=customer_x, team=team_a)
    agent = client_for(agent_a)
    card = agent.get(reverse("automation:ticket_macros", args=[ticket.pk])).content.decode()
    assert "approval-form" in card
    bad = agent.post(
        reverse("automation:approval_request", args=[ticket.pk]),
        {"kind": "refund", "amount": "x", "reason": "r", "mode": "any", "approver": supervisor.email},
        follow=True,
    )
    assert "Give a positive amount." in bad.content.decode()
    assert not ApprovalRequest.objects.exists()
    ok = agent.post(
        reverse("automation:approval_request", args=[ticket.pk]),
        {
            "kind": "refund",
            "amount": "۲۵۰۰",
            "currency": "IRR",
            "reason": "Broken on arrival",
            "mode": "any",
            "approver": supervisor.email,
        },
    )
    assert ok.status_code == 302
    req = ApprovalRequest.objects.get()
    assert str(req.amount) == "2500.00"
    boss = client_for(supervisor)
    assert "Broken on arrival" in boss.get(reverse("automation:approvals")).content.decode()
    assert agent.post(reverse("automation:approval_decide", args=[req.pk]), {"decision": "approve"}).status_code == 302
    req.refresh_from_db()
    assert req.state == "pending"  # the requester may not approve
    boss.post(reverse("automation:approval_decide", args=[req.pk]), {"decision": "approve", "comment": "Fine"})
    req.refresh_from_db()
    assert req.state == "approved"


def test_the_api_requests_lists_and_decides(
    agent_a: User, agent_b: User, supervisor: User, team_a: Team, customer_x: Contact, api_for: Any
) -> None:
    ticket = ticket_new(by=agent_a, requester=customer_x, team=team_a)
    api = api_for(agent_a)
    body = {
        "ticket": ticket.pk,
        "kind": "refund",
        "amount": "12.5",
        "currency": "EUR",
        "reason": "Late",
        "approvers": [supervisor.pk],
    }
    created = api.post("/api/v1/automation/approvals", body, content_type="application/json")
    assert created.status_code == 201, created.content
    approval_id = created.json()["id"]
    assert (
        api.post("/api/v1/automation/approvals", {**body, "role": "nope"}, content_type="application/json").status_code
        == 422
    )
    assert (
        api.post("/api/v1/automation/approvals", {**body, "amount": "0"}, content_type="application/json").status_code
        == 422
    )
    assert (
        api_for(agent_b).post("/api/v1/automation/approvals", body, content_type="application/json").status_code == 404
    )
    boss = api_for(supervisor)
    assert [a["id"] for a in boss.get("/api/v1/automation/approvals").json()] == [approval_id]
    url = f"/api/v1/automation/approvals/{approval_id}/decide"
    assert api_for(agent_b).post(url, {"approve": True}, content_type="application/json").status_code == 404
    decided = boss.post(url, {"approve": True, "comment": "ok"}, content_type="application/json")
    assert decided.status_code == 200
    assert decided.json()["state"] == "approved"
    assert boss.post(url, {"approve": True}, content_type="application/json").status_code == 409
    assert ApprovalRequest.objects.count() == 1
