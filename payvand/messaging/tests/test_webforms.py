"""The public web form of a ticket type: a ticket with channel web for a found or new contact; the honeypot, the
per-IP rate limit, bad input and the type form's own validation; framing allowed for this page only."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from payvand.accounts.models import Team
from payvand.contacts.models import Contact
from payvand.forms.services import form_create
from payvand.helpdesk.models import Ticket, TicketType
from payvand.helpdesk.tests.factories import TicketTypeFactory
from payvand.messaging.admin import embed_snippet
from payvand.messaging.models import WebForm

pytestmark = pytest.mark.django_db

SPEC = {
    "sections": [
        {
            "title": "Device",
            "fields": [
                {
                    "name": "serial",
                    "kind": "text",
                    "label": "Serial number",
                    "required": True,
                    "pattern": "[A-Z]{2}-[0-9]{4}",
                },
            ],
        }
    ]
}


@pytest.fixture
def web_form(db: None) -> WebForm:
    form = form_create(by=None, name="Repair", spec=SPEC)
    ticket_type: TicketType = TicketTypeFactory.create(name="Repair", form=form)
    return WebForm.objects.create(ticket_type=ticket_type, slug="repair", title="Repair request", thanks="We call you.")


GOOD = {
    "name": "Bahar Karimi",
    "email": "bahar@example.com",
    "phone": "",
    "subject": "Broken screen",
    "description": "It fell.",
    "fv-serial": "AB-1234",
}


def test_it_shows_the_form_with_the_types_fields_and_allows_framing(web_form: WebForm) -> None:
    response = Client().get("/f/repair/")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'name="fv-serial"' in html
    assert 'name="website"' in html  # the honeypot
    assert "X-Frame-Options" not in response.headers
    # Every other page still refuses to be framed.
    assert Client().get("/accounts/login/").headers.get("X-Frame-Options") == "DENY"


def test_it_registers_a_ticket_for_a_new_contact(web_form: WebForm, team_a: Team) -> None:
    response = Client().post("/f/repair/", GOOD)
    assert response.status_code == 200, response.content.decode()[:2000]
    ticket = Ticket.objects.get()
    assert (ticket.channel, ticket.type, ticket.subject) == ("web", web_form.ticket_type, "Broken screen")
    assert ticket.form_values["serial"] == "AB-1234"
    assert ticket.requester.name == "Bahar Karimi"
    assert ticket.requester.identities.filter(kind="email", value="bahar@example.com").exists()
    assert ticket.reference in response.content.decode()


def test_it_finds_the_contact_by_phone(web_form: WebForm, customer_x: Contact) -> None:
    response = Client().post("/f/repair/", {**GOOD, "email": "", "phone": "+98 912 123 4567"})
    assert response.status_code == 200
    assert Ticket.objects.get().requester == customer_x
    assert Contact.objects.count() == 1


def test_it_refuses_a_filled_honeypot_and_stores_nothing(web_form: WebForm) -> None:
    response = Client().post("/f/repair/", {**GOOD, "website": "http://spam.example"})
    assert response.status_code == 400
    assert Ticket.objects.count() == 0
    assert Contact.objects.count() == 0


def test_it_rate_limits_submissions_per_ip(web_form: WebForm, settings: Any) -> None:
    settings.WEBFORM_RATE_LIMIT = 2
    for n in range(2):
        assert Client().post("/f/repair/", {**GOOD, "subject": f"s{n}"}).status_code == 200
    blocked = Client().post("/f/repair/", {**GOOD, "subject": "third"})
    assert blocked.status_code == 429
    assert "Too many submissions" in blocked.content.decode()
    assert Ticket.objects.count() == 2
    other = Client(REMOTE_ADDR="10.0.0.9").post("/f/repair/", {**GOOD, "subject": "other ip"})
    assert other.status_code == 200
    assert Ticket.objects.count() == 3


@pytest.mark.parametrize(
    ("change", "field_text"),
    [
        ({"name": ""}, "This field is required"),
        ({"email": "", "phone": ""}, "Give an email address or a phone number"),
        ({"email": "not-an-email"}, "This is not an email address"),
        ({"phone": "12"}, "This is not a phone number"),
        ({"subject": ""}, "This field is required"),
    ],
)
def test_it_shows_form_errors_for_bad_input_and_stores_nothing(
    web_form: WebForm, change: dict[str, str], field_text: str
) -> None:
    response = Client().post("/f/repair/", {**GOOD, **change})
    assert response.status_code == 422
    assert field_text in response.content.decode()
    assert Ticket.objects.count() == 0
    assert Contact.objects.count() == 0


def test_it_shows_the_type_forms_own_errors(web_form: WebForm) -> None:
    response = Client().post("/f/repair/", {**GOOD, "fv-serial": "nonsense"})
    assert response.status_code == 422
    html = response.content.decode()
    assert 'value="nonsense"' in html  # the input is kept
    assert "invalid-feedback" in html or "is-invalid" in html
    assert Ticket.objects.count() == 0
    assert Contact.objects.count() == 0


def test_it_answers_404_for_an_unknown_or_inactive_form(web_form: WebForm) -> None:
    assert Client().get("/f/nope/").status_code == 404
    WebForm.objects.filter(pk=web_form.pk).update(is_active=False)
    assert Client().get("/f/repair/").status_code == 404
    assert Client().post("/f/repair/", GOOD).status_code == 404


def test_it_shows_the_embed_snippet_to_admins(web_form: WebForm, admin_user: Any, client_for: Any) -> None:
    assert '<iframe src="http://127.0.0.1:8000/f/repair/"' in embed_snippet(web_form)
    page = client_for(admin_user).get(f"/admin/messaging/webform/{web_form.pk}/change/")
    assert page.status_code == 200
    assert "embed-snippet" in page.content.decode()
    assert "&lt;iframe" in page.content.decode()
