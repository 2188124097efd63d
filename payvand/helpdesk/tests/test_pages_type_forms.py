"""A ticket type with its own form (R-000.12): the operator's page draws the form and saves its values."""

from __future__ import annotations

import pytest
from django.urls import reverse

from payvand.forms.services import form_create
from payvand.helpdesk.models import Ticket
from payvand.helpdesk.tests.factories import TicketTypeFactory

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
                {"name": "bought", "kind": "date", "label": "Bought on"},
            ],
        }
    ]
}


@pytest.fixture
def repair_type():
    form = form_create(by=None, name="Repair", spec=SPEC)
    return TicketTypeFactory.create(name="Repair", form=form)


def test_it_draws_the_form_of_the_chosen_type(agent_a, repair_type, client_for):
    response = client_for(agent_a).get(
        reverse("helpdesk:type_form"), {"type": repair_type.pk}, headers={"HX-Request": "true"}
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert 'name="fv-serial"' in html
    assert "Serial number" in html
    assert "<html" not in html


def test_it_saves_the_values_of_the_types_form(agent_a, team_a, customer_x, repair_type, client_for):
    client = client_for(agent_a)
    base = {
        "requester": customer_x.pk,
        "subject": "Laptop does not start",
        "channel": "phone",
        "priority": "2",
        "team": team_a.pk,
        "type": repair_type.pk,
    }
    bad = client.post(reverse("helpdesk:create"), {**base, "fv-serial": "nonsense"})
    assert bad.status_code == 422
    html = bad.content.decode()
    assert 'value="nonsense"' in html  # the input is kept
    assert 'name="fv-serial"' in html
    assert not Ticket.objects.exists()
    ok = client.post(reverse("helpdesk:create"), {**base, "fv-serial": "AB-1234", "fv-bought": "۱۴۰۳/۰۱/۰۱"})
    assert ok.status_code == 302, ok.content.decode()[:3000]
    ticket = Ticket.objects.get()
    assert ticket.form_values == {"serial": "AB-1234", "bought": "2024-03-20"}
    detail = client.get(reverse("helpdesk:detail", args=[ticket.pk])).content.decode()
    assert "Serial number" in detail
    assert "AB-1234" in detail


def test_it_stores_the_file_of_a_file_field(agent_a, team_a, customer_x, client_for):
    from django.core.files.storage import default_storage
    from django.core.files.uploadedfile import SimpleUploadedFile

    spec = {"sections": [{"title": "Proof", "fields": [{"name": "receipt", "kind": "file", "label": "Receipt"}]}]}
    form = form_create(by=None, name="Refund", spec=spec)
    refund = TicketTypeFactory.create(name="Refund", form=form)
    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
    response = client_for(agent_a).post(
        reverse("helpdesk:create"),
        {
            "requester": customer_x.pk,
            "subject": "Refund for a double charge",
            "channel": "email",
            "priority": "2",
            "team": team_a.pk,
            "type": refund.pk,
            "fv-receipt": SimpleUploadedFile("receipt.png", png, content_type="text/plain"),
        },
    )
    assert response.status_code == 302
    value = Ticket.objects.get(subject="Refund for a double charge").form_values["receipt"]
    assert value["name"] == "receipt.png"
    assert value["size"] == len(png)
    with default_storage.open(value["path"]) as stored:
        assert stored.read() == png


def test_the_ticket_list_filters_by_the_values_of_a_types_form(agent_a, team_a, customer_x, repair_type, client_for):
    from payvand.helpdesk.services import ticket_create

    for serial in ("AB-1234", "CD-5678"):
        ticket_create(
            by=agent_a,
            subject=f"Repair {serial}",
            requester=customer_x,
            team=team_a,
            type=repair_type,
            form_values={"serial": serial},
        )
    client = client_for(agent_a)
    page = client.get("/tickets/", {"type": repair_type.pk}).content.decode()
    assert 'name="form.serial"' in page  # one filter box per field of the chosen type's form
    rows = client.get(
        "/tickets/", {"type": repair_type.pk, "form.serial": "CD-5678"}, headers={"HX-Request": "true"}
    ).content.decode()
    assert "Repair CD-5678" in rows
    assert "Repair AB-1234" not in rows
    assert 'name="form.serial"' not in client.get("/tickets/").content.decode()  # no type, no boxes
