from __future__ import annotations

from typing import Any

import pytest

from payvand.helpdesk.models import Ticket
from payvand.mail.models import InboundEmail, Mailbox

pytestmark = pytest.mark.django_db

URL = "/api/v1/mail/inbound"


def _post(client: Any, raw: bytes, to: str = "support@payvand.test") -> Any:
    return client.post(f"{URL}?to={to}", data=raw, content_type="message/rfc822")


def test_it_stores_raw_mime_and_answers_201_then_200_for_a_repeat(
    api_for: Any, mail_server_user: Any, mailbox: Mailbox, make_eml: Any, django_capture_on_commit_callbacks: Any
) -> None:
    client = api_for(mail_server_user)
    with django_capture_on_commit_callbacks(execute=True):
        first = _post(client, make_eml())
    assert first.status_code == 201, first.content
    body = first.json()
    assert body["created"] is True
    assert body["key"] == "<m1@example.com>"
    assert InboundEmail.objects.get().status == InboundEmail.Status.PROCESSED
    assert Ticket.objects.count() == 1
    again = _post(client, make_eml())
    assert again.status_code == 200
    assert again.json()["id"] == body["id"]
    assert InboundEmail.objects.count() == 1


def test_it_accepts_an_alias_address(api_for: Any, mail_server_user: Any, mailbox: Mailbox, make_eml: Any) -> None:
    assert _post(api_for(mail_server_user), make_eml(), to="HELP@payvand.test").status_code == 201


def test_it_refuses_a_bad_token_and_stores_nothing(client: Any, mailbox: Mailbox, make_eml: Any) -> None:
    response = client.post(
        f"{URL}?to=support@payvand.test",
        data=make_eml(),
        content_type="message/rfc822",
        headers={"Authorization": "Bearer not-a-token"},
    )
    assert response.status_code == 401
    assert set(response.json()) >= {"detail", "errors"}
    assert InboundEmail.objects.count() == 0


def test_it_refuses_a_token_without_the_permission(api_for: Any, agent_a: Any, mailbox: Mailbox, make_eml: Any) -> None:
    response = _post(api_for(agent_a), make_eml())
    assert response.status_code == 403
    assert InboundEmail.objects.count() == 0


def test_it_answers_404_for_an_unknown_address_and_422_for_bad_input(
    api_for: Any, mail_server_user: Any, mailbox: Mailbox, make_eml: Any
) -> None:
    client = api_for(mail_server_user)
    unknown = _post(client, make_eml(), to="nobody@payvand.test")
    assert unknown.status_code == 404
    assert unknown.json()["detail"]
    assert _post(client, b"   ").status_code == 422
    assert client.post(URL, data=make_eml(), content_type="message/rfc822").status_code == 422  # no ?to=
    assert InboundEmail.objects.count() == 0


def test_it_lists_mailboxes_and_inbound_for_supervisors_only(
    api_for: Any, supervisor: Any, agent_a: Any, mailbox: Mailbox, deliver: Any, make_eml: Any
) -> None:
    deliver(mailbox, make_eml())
    sup = api_for(supervisor)
    boxes = sup.get("/api/v1/mail/mailboxes")
    assert boxes.status_code == 200
    assert boxes.json()[0]["addresses"] == ["support@payvand.test", "help@payvand.test"]
    rows = sup.get("/api/v1/mail/inbound?status=processed")
    assert rows.status_code == 200
    assert [r["status"] for r in rows.json()] == ["processed"]
    assert "raw" not in rows.json()[0]
    assert sup.get("/api/v1/mail/inbound?status=bogus").status_code == 422
    one = sup.get(f"/api/v1/mail/inbound/{rows.json()[0]['id']}")
    assert one.json()["ticket_id"] == Ticket.objects.get().pk
    assert sup.get("/api/v1/mail/inbound/999999").status_code == 404
    outsider = api_for(agent_a)
    assert outsider.get("/api/v1/mail/mailboxes").status_code == 403
    assert outsider.get("/api/v1/mail/inbound").status_code == 403


def test_it_reprocesses_only_unprocessable_mail(
    api_for: Any, supervisor: Any, agent_a: Any, mailbox: Mailbox, deliver: Any, make_eml: Any
) -> None:
    row, _ = deliver(mailbox, make_eml(sender="not an address"))
    assert row.status == InboundEmail.Status.UNPROCESSABLE
    assert row.reason
    url = f"/api/v1/mail/inbound/{row.pk}/reprocess"
    assert api_for(agent_a).post(url).status_code == 403
    response = api_for(supervisor).post(url)
    assert response.status_code == 200
    assert response.json()["status"] == "received"  # queued again (it runs after the commit)
    assert api_for(supervisor).post(url).status_code == 409
