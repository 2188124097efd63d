"""The customer portal: magic links, passwords, isolation between customers (pages and API), what customers never
see, opening, answering, accepting and reopening requests, signed tracking links and the satisfaction survey."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from payvand.accounts.models import Team, User
from payvand.contacts.models import Affiliation, Contact
from payvand.contacts.services import contact_create
from payvand.core.errors import NotAuthenticated
from payvand.helpdesk import services as helpdesk
from payvand.helpdesk.models import Attachment, Message, StatusCategory, Ticket
from payvand.portal import links, services
from payvand.portal.models import MagicLink, PortalAccount, Satisfaction
from payvand.portal.tests.conftest import link_token

pytestmark = pytest.mark.django_db

PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
    b"\x00\x00\x00\rIDATx\x9cc\xf8\xff\xff?\x00\x05\xfe\x02\xfe\xa7\x35\x81\x84\x00\x00\x00\x00IEND\xaeB`\x82"
)
SECRET_NOTE = "INTERNAL: customer owes us money, be careful"


@pytest.fixture
def ticket_x(agent_a: User, customer_x: Contact, team_a: Team) -> Ticket:
    ticket = helpdesk.ticket_create(
        by=agent_a, requester=customer_x, team=team_a, assignee=agent_a, subject="Router is down", route=False
    )
    helpdesk.message_add(ticket=ticket, by=agent_a, body=SECRET_NOTE, kind=Message.Kind.NOTE)
    helpdesk.message_add(ticket=ticket, by=agent_a, body="We are looking at it.")
    helpdesk.message_add(
        ticket=ticket,
        by=agent_a,
        body="internal file",
        kind=Message.Kind.NOTE,
        attachments=[SimpleUploadedFile("secret.png", PNG, "image/png")],
    )
    return ticket


@pytest.fixture
def ticket_y(agent_a: User, customer_y: Contact, team_a: Team) -> Ticket:
    ticket = helpdesk.ticket_create(by=agent_a, requester=customer_y, team=team_a, subject="Y's invoice", route=False)
    helpdesk.message_add(
        ticket=ticket,
        by=None,
        body="my scan",
        kind=Message.Kind.INBOUND,
        author_contact=customer_y,
        attachments=[SimpleUploadedFile("scan.png", PNG, "image/png")],
    )
    return ticket


def _api(client: Client, token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _sign_in(client: Client, mailoutbox: list[Any], email: str) -> None:
    client.post("/portal/login/", {"action": "link", "link-email": email})
    token = link_token(mailoutbox[-1].body)
    response = client.post(f"/portal/login/{token}/")
    assert response.status_code == 302


# ---------------------------------------------------------------------------------------------- signing in


def test_magic_link_signs_in_once(customer_x: Contact, mailoutbox: list[Any], client: Client):
    response = client.post("/portal/login/", {"action": "link", "link-email": "X@Example.com"})
    assert response.status_code == 200
    assert len(mailoutbox) == 1
    assert mailoutbox[0].to == ["x@example.com"]
    token = link_token(mailoutbox[0].body)
    link = MagicLink.objects.get()
    assert token not in link.token_hash
    assert len(link.token_hash) == 64
    assert client.get(f"/portal/login/{token}/").status_code == 200  # GET does not spend it
    assert MagicLink.objects.get().used_at is None
    assert client.post(f"/portal/login/{token}/").status_code == 302
    assert client.get("/portal/").status_code == 200
    other = Client()
    again = other.post(f"/portal/login/{token}/")
    assert again.status_code == 400
    assert "already used" in again.content.decode()
    assert other.get("/portal/").status_code == 302  # still signed out


def test_magic_link_expires(customer_x: Contact, mailoutbox: list[Any]):
    past = timezone.now() - dt.timedelta(minutes=services.MAGIC_LINK_MINUTES + 1)
    services.magic_link_request(email="x@example.com", now=past)
    token = link_token(mailoutbox[-1].body)
    with pytest.raises(NotAuthenticated, match="expired"):
        services.magic_link_consume(token=token)
    assert MagicLink.objects.get().used_at is None
    with pytest.raises(NotAuthenticated):
        services.magic_link_consume(token="not-a-token")


def test_unknown_address_gets_the_same_answer_and_no_mail(db: None, mailoutbox: list[Any], client: Client):
    response = client.post("/portal/login/", {"action": "link", "link-email": "nobody@example.com"})
    assert response.status_code == 200
    assert 'id="link-sent"' in response.content.decode()
    assert mailoutbox == []
    bad = client.post("/portal/login/", {"action": "link", "link-email": "not an email"})
    assert bad.status_code == 422
    assert MagicLink.objects.count() == 0


def test_api_magic_link_gives_a_token_once(customer_x: Contact, mailoutbox: list[Any], client: Client):
    assert client.post("/api/v1/portal/login/link", {"email": "x@example.com"}, "application/json").status_code == 202
    token = link_token(mailoutbox[-1].body)
    first = client.post("/api/v1/portal/login/magic", {"token": token}, "application/json")
    assert first.status_code == 200
    api_token = first.json()["token"]
    second = client.post("/api/v1/portal/login/magic", {"token": token}, "application/json")
    assert second.status_code == 401
    assert set(second.json()) == {"detail", "errors"}
    assert Client().get("/api/v1/portal/tickets", headers=_api(client, api_token)).status_code == 200
    assert Client().get("/api/v1/portal/tickets").status_code == 401
    assert Client().get("/api/v1/portal/tickets", headers=_api(client, "pvp_wrong")).status_code == 401


def test_password_sign_in(customer_x: Contact, portal_client: Any, client: Client):
    c = portal_client(customer_x)
    assert c.post("/portal/password/", {"password": "short"}).status_code == 422
    assert c.post("/portal/password/", {"password": "a-Long-enough-secret-9"}).status_code == 302
    account = PortalAccount.objects.get(contact=customer_x)
    assert account.password.startswith("md5$") or "$" in account.password  # hashed
    wrong = client.post("/portal/login/", {"action": "password", "pw-email": "x@example.com", "pw-password": "nope"})
    assert wrong.status_code == 422
    ok = client.post(
        "/portal/login/", {"action": "password", "pw-email": "x@example.com", "pw-password": "a-Long-enough-secret-9"}
    )
    assert ok.status_code == 302
    api = Client().post(
        "/api/v1/portal/login/password",
        {"email": "x@example.com", "password": "a-Long-enough-secret-9"},
        "application/json",
    )
    assert api.status_code == 200
    assert api.json()["token"].startswith("pvp_")


def test_staff_session_is_not_a_portal_session(agent_a: User, client: Client):
    client.force_login(agent_a)
    assert client.get("/portal/").status_code == 302
    assert client.get("/api/v1/portal/tickets").status_code == 401


# ---------------------------------------------------------------------------------------------- isolation


def test_customer_sees_own_ticket_without_internal_notes(ticket_x: Ticket, customer_x: Contact, portal_client: Any):
    c = portal_client(customer_x)
    home = c.get("/portal/").content.decode()
    assert "Router is down" in home
    page = c.get(f"/portal/requests/{ticket_x.pk}/")
    html = page.content.decode()
    assert page.status_code == 200
    assert "We are looking at it." in html
    assert SECRET_NOTE not in html
    assert "secret.png" not in html
    assert "internal file" not in html
    assert "agent.a@example.com" not in html  # agents' private data
    api = c.get(f"/api/v1/portal/tickets/{ticket_x.pk}/messages").content.decode()
    assert "We are looking at it." in api
    assert SECRET_NOTE not in api
    assert "secret.png" not in api
    assert "agent.a@example.com" not in api


def test_my_requests_page_by_page_newest_first(
    customer_x: Contact, customer_y: Contact, agent_a: User, team_a: Team, portal_client: Any, settings: Any
):
    settings.PORTAL_PAGE_SIZE = 2
    made = [
        helpdesk.ticket_create(by=agent_a, requester=customer_x, team=team_a, subject=f"Request {n}", route=False)
        for n in range(5)
    ]
    helpdesk.ticket_create(by=agent_a, requester=customer_y, team=team_a, subject="Not mine", route=False)
    now = timezone.now()
    for n, t in enumerate(made):
        Ticket.objects.filter(pk=t.pk).update(created_at=now - dt.timedelta(hours=10 - n))
    Ticket.objects.filter(pk=made[0].pk).update(merged_into=made[1])  # merged requests are not listed
    c = portal_client(customer_x)

    def subjects(html: str) -> list[str]:
        return [f"Request {n}" for n in range(5) if f"Request {n}<" in html]

    first = c.get("/portal/").content.decode()
    assert subjects(first) == ["Request 3", "Request 4"]
    assert "Page 1 of 2 (4 requests)" in first
    assert 'rel="next" href="?page=2"' in first
    second = c.get("/portal/", {"page": "2"}).content.decode()
    assert subjects(second) == ["Request 1", "Request 2"]
    assert 'rel="prev" href="?page=1"' in second
    assert "Not mine" not in first + second
    for bad in ("99", "-1", "x", "9" * 30):  # out of range or not a number: the nearest page, never an error
        response = c.get("/portal/", {"page": bad})
        assert response.status_code == 200
    assert subjects(c.get("/portal/", {"page": "99"}).content.decode()) == ["Request 1", "Request 2"]
    assert subjects(c.get("/portal/", {"page": "x"}).content.decode()) == ["Request 3", "Request 4"]


def test_customer_a_cannot_reach_customer_b(
    ticket_x: Ticket, ticket_y: Ticket, customer_x: Contact, customer_y: Contact, portal_client: Any, mailoutbox: Any
):
    c = portal_client(customer_x)
    assert "Y&#x27;s invoice" not in c.get("/portal/").content.decode()
    scan = Attachment.objects.get(name="scan.png")
    secret = Attachment.objects.get(name="secret.png")
    for url in (
        f"/portal/requests/{ticket_y.pk}/",
        f"/portal/files/{scan.pk}/",
        f"/portal/files/{secret.pk}/",  # an internal note's file on X's own ticket
    ):
        assert c.get(url).status_code == 404, url
    for url in (
        f"/portal/requests/{ticket_y.pk}/reply/",
        f"/portal/requests/{ticket_y.pk}/accept/",
        f"/portal/requests/{ticket_y.pk}/reopen/",
        f"/portal/requests/{ticket_y.pk}/rate/",
    ):
        assert c.post(url, {"body": "hi", "rating": "5"}).status_code == 404, url
    services.magic_link_request(email="x@example.com")
    token = c.post("/api/v1/portal/login/magic", {"token": link_token(mailoutbox[-1].body)}, "application/json")
    headers = _api(c, token.json()["token"])
    api = Client()
    assert [t["id"] for t in api.get("/api/v1/portal/tickets", headers=headers).json()] == [ticket_x.pk]
    for url in (
        f"/api/v1/portal/tickets/{ticket_y.pk}",
        f"/api/v1/portal/tickets/{ticket_y.pk}/messages",
        f"/api/v1/portal/attachments/{scan.pk}",
        f"/api/v1/portal/attachments/{secret.pk}",
    ):
        response = api.get(url, headers=headers)
        assert response.status_code == 404, url
        assert set(response.json()) == {"detail", "errors"}
    assert api.post(f"/api/v1/portal/tickets/{ticket_y.pk}/messages", {"body": "x"}, headers=headers).status_code == 404
    rate = api.post(
        f"/api/v1/portal/tickets/{ticket_y.pk}/satisfaction", {"rating": 5}, "application/json", headers=headers
    )
    assert rate.status_code == 404
    assert Message.objects.filter(ticket=ticket_y).count() == 1  # nothing written
    own = Attachment.objects.filter(message__ticket=ticket_y).get()
    assert portal_client(customer_y).get(f"/portal/files/{own.pk}/").status_code == 200


def test_organisation_requests_only_when_granted(
    ticket_y: Ticket, customer_x: Contact, customer_y: Contact, portal_client: Any
):
    org = contact_create(by=None, name="Acme Ltd", kind=Contact.Kind.ORGANISATION, allow_duplicates=True)
    Affiliation.objects.create(person=customer_x, organisation=org)
    Affiliation.objects.create(person=customer_y, organisation=org)
    Ticket.objects.filter(pk=ticket_y.pk).update(organisation=org)
    c = portal_client(customer_x)
    assert c.get(f"/portal/requests/{ticket_y.pk}/").status_code == 404
    PortalAccount.objects.create(contact=customer_x, sees_organisation=True)
    assert c.get(f"/portal/requests/{ticket_y.pk}/").status_code == 200
    assert "Y&#x27;s invoice" in c.get("/portal/").content.decode()


# ---------------------------------------------------------------------------------------------- working on requests


def test_open_reply_accept_and_rate(customer_x: Contact, agent_a: User, portal_client: Any, supervisor: User):
    c = portal_client(customer_x)
    assert c.post("/portal/new/", {"subject": "", "description": "x"}).status_code == 422
    assert c.post("/portal/new/", {"subject": "s", "type": "99999"}).status_code == 422
    assert not Ticket.objects.exists()
    response = c.post("/portal/new/", {"subject": "My bill is wrong", "description": "Twice charged"})
    ticket = Ticket.objects.get()
    assert response.status_code == 302
    assert ticket.channel == "portal"
    assert ticket.requester == customer_x
    assert c.post(f"/portal/requests/{ticket.pk}/reply/", {"body": ""}).status_code == 422
    reply = c.post(
        f"/portal/requests/{ticket.pk}/reply/",
        {"body": "Here is the bill", "attachments": [SimpleUploadedFile("bill.png", PNG, "image/png")]},
    )
    assert reply.status_code == 302
    inbound = Message.objects.get(ticket=ticket, kind=Message.Kind.INBOUND)
    assert inbound.author_contact == customer_x
    assert inbound.attachments.count() == 1
    # Nothing to accept or rate yet.
    c.post(f"/portal/requests/{ticket.pk}/accept/")
    assert Ticket.objects.get().status_category != StatusCategory.CLOSED
    assert c.post(f"/portal/requests/{ticket.pk}/rate/", {"rating": "5"}).status_code == 422
    helpdesk.ticket_resolve(ticket=Ticket.objects.get(), by=supervisor, resolution="Refunded.")
    assert c.post(f"/portal/requests/{ticket.pk}/rate/", {"rating": "9"}).status_code == 422
    assert c.post(f"/portal/requests/{ticket.pk}/rate/", {"rating": "5", "comment": "Quick"}).status_code == 302
    answer = Satisfaction.objects.get()
    assert answer.rating == 5
    assert answer.comment == "Quick"
    c.post(f"/portal/requests/{ticket.pk}/accept/")
    assert Ticket.objects.get().status_category == StatusCategory.CLOSED
    c.post(f"/portal/requests/{ticket.pk}/reopen/")
    assert Ticket.objects.get().status_category == StatusCategory.OPEN


def test_api_open_and_bad_input(customer_x: Contact, portal_client: Any):
    c = portal_client(customer_x)
    services.magic_link_request(email="x@example.com")
    strict = Client(enforce_csrf_checks=True)
    strict.cookies = c.cookies
    assert strict.post("/api/v1/portal/tickets", {"subject": "x"}, "application/json").status_code == 403  # CSRF
    from django.core import mail

    api_token = (
        Client()
        .post("/api/v1/portal/login/magic", {"token": link_token(str(mail.outbox[-1].body))}, "application/json")
        .json()["token"]
    )
    api, h = Client(), _api(c, api_token)
    for payload, field in (({"subject": ""}, "subject"), ({"subject": "a", "type_id": 999999}, "type_id")):
        response = api.post("/api/v1/portal/tickets", payload, "application/json", headers=h)
        assert response.status_code == 422
        assert response.json()["errors"][0]["field"] == field
    assert api.get("/api/v1/portal/tickets?state=weird", headers=h).status_code == 422
    assert api.get("/api/v1/portal/tickets/0", headers=h).status_code == 422
    created = api.post("/api/v1/portal/tickets", {"subject": "API request"}, "application/json", headers=h)
    assert created.status_code == 201
    assert created.json()["reference"]
    tid = created.json()["id"]
    assert api.post(f"/api/v1/portal/tickets/{tid}/messages", {"body": ""}, headers=h).status_code == 422
    assert api.post(f"/api/v1/portal/tickets/{tid}/messages", {"body": "more"}, headers=h).status_code == 201
    assert api.post(f"/api/v1/portal/tickets/{tid}/accept", headers=h).status_code == 409


# ---------------------------------------------------------------------------------------------- signed links


def test_tracking_link_shows_the_request_without_an_account(ticket_x: Ticket, client: Client):
    url = links.track_url(ticket_x).split("127.0.0.1:8000")[-1]
    page = client.get(url)
    html = page.content.decode()
    assert page.status_code == 200
    assert "Router is down" in html
    assert "We are looking at it." in html
    assert SECRET_NOTE not in html
    assert client.get(url[:-3] + "xx/").status_code == 404
    # A moved ticket voids old links.
    other = contact_create(by=None, name="Other", emails=["o@example.com"], allow_duplicates=True)
    Ticket.objects.filter(pk=ticket_x.pk).update(requester=other)
    assert client.get(url).status_code == 404


def test_requester_emails_carry_tracking_and_survey_links(
    ticket_x: Ticket, supervisor: User, mailoutbox: list[Any], django_capture_on_commit_callbacks: Any, client: Client
):
    with django_capture_on_commit_callbacks(execute=True):
        helpdesk.message_add(ticket=ticket_x, by=supervisor, body="Try restarting it.")
    assert "/portal/track/" in mailoutbox[-1].body
    with django_capture_on_commit_callbacks(execute=True):
        helpdesk.ticket_resolve(ticket=Ticket.objects.get(pk=ticket_x.pk), by=supervisor, resolution="Restarted.")
    body = mailoutbox[-1].body
    assert "/portal/survey/" in body
    survey = "/portal/survey/" + body.split("/portal/survey/")[1].split()[0]
    assert client.post(survey, {"rating": "0"}).status_code == 422
    assert client.post(survey, {"rating": "4", "comment": "fine"}).status_code == 200
    assert Satisfaction.objects.get(ticket=ticket_x).rating == 4
    assert client.get("/portal/survey/garbage/").status_code == 404


def test_pwa_files(client: Client):
    sw = client.get("/portal/sw.js")
    assert sw.status_code == 200
    assert sw["Content-Type"].startswith("application/javascript")
    assert "fetch" in sw.content.decode()
    assert client.get("/sw.js").status_code == 200
