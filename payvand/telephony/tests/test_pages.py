"""The call pages, the banner (one, several, no matching contact) and its one-click actions."""

from __future__ import annotations

import pytest
from django.test import Client

from payvand.contacts.models import Contact
from payvand.contacts.services import contact_create, contact_flag_add
from payvand.helpdesk import services as ticket_services
from payvand.helpdesk.models import Channel, Ticket
from payvand.telephony.models import Call, WrapUpCode


@pytest.fixture
def ringing(post_event, agent_ext):
    def make(caller: str, call_id: str = "p-1") -> Call:
        post_event("ringing", call_id=call_id, caller=caller, extension="201")
        return Call.objects.get(call_id=call_id)

    return make


def test_the_banner_of_a_known_caller_shows_flags_tickets_and_history(
    client_for, ringing, agent_ext, customer_x, flag_type
):
    contact_flag_add(contact=customer_x, flag_type=flag_type, note="3 months", by=None)
    ticket_services.ticket_create(by=agent_ext, subject="Broken router", requester=customer_x)
    call = ringing("0912 123 4567")
    r = client_for(agent_ext).get(f"/telephony/calls/{call.pk}/pop/")
    assert r.status_code == 200
    html = r.content.decode()
    assert 'id="call-banner-flags"' in html
    assert "Payment arrears" in html
    assert "Broken router" in html
    assert "Xerxes Customer" in html
    assert 'id="call-ticket-form"' in html


def test_several_matches_let_the_agent_pick_one(client_for, ringing, agent_ext, customer_x):
    other = contact_create(by=None, name="Xavier Namesake", phones=["09121234567"], allow_duplicates=True)
    call = ringing("09121234567")
    client = client_for(agent_ext)
    html = client.get(f"/telephony/calls/{call.pk}/pop/").content.decode()
    assert 'id="call-banner-matches"' in html
    assert "Xavier Namesake" in html
    assert "Xerxes Customer" in html
    r = client.post(f"/telephony/calls/{call.pk}/contact/", {"contact": other.pk})
    assert r.status_code == 302
    assert r["Location"] == f"/contacts/{other.pk}/?call={call.pk}"
    assert Call.objects.get(pk=call.pk).contact == other


def test_an_unknown_caller_gets_a_prefilled_quick_create_form(client_for, ringing, agent_ext):
    call = ringing("+36 1 234 5678")
    client = client_for(agent_ext)
    html = client.get(f"/telephony/calls/{call.pk}/pop/").content.decode()
    assert 'id="call-quick-contact"' in html
    assert 'value="+36 1 234 5678"' in html
    assert client.post(f"/telephony/calls/{call.pk}/contact/", {"name": ""}).status_code == 302
    assert not Contact.objects.exists()  # an empty name creates nothing
    r = client.post(f"/telephony/calls/{call.pk}/contact/", {"name": "Új Ügyfél"})
    contact = Contact.objects.get()
    assert r["Location"] == f"/contacts/{contact.pk}/?call={call.pk}"
    assert contact.identities.get().value == "+3612345678"
    assert Call.objects.get(pk=call.pk).contact == contact


def test_log_new_ticket_and_add_to_ticket_in_one_click(client_for, ringing, agent_ext, customer_x):
    wrap = WrapUpCode.objects.create(name="Complaint")
    call = ringing("09121234567")
    client = client_for(agent_ext)
    r = client.post(f"/telephony/calls/{call.pk}/log/", {"note": "Angry", "wrap_up": wrap.pk, "next": "/cartable/"})
    assert r["Location"] == "/cartable/"
    assert Call.objects.get(pk=call.pk).wrap_up == wrap
    r = client.post(f"/telephony/calls/{call.pk}/ticket/", {"subject": "Phone complaint"})
    ticket = Ticket.objects.get(subject="Phone complaint")
    assert ticket.channel == Channel.PHONE
    assert ticket.requester == customer_x
    assert r["Location"] == f"/tickets/{ticket.pk}/"
    other = ticket_services.ticket_create(by=agent_ext, subject="Older", requester=customer_x)
    client.post(f"/telephony/calls/{call.pk}/log/", {"ticket": other.pk})
    call = Call.objects.get(pk=call.pk)
    assert call.ticket == other
    assert call.note == "Angry"  # adding to a ticket leaves the note alone


def test_a_ticket_needs_a_subject_and_a_contact(client_for, ringing, agent_ext):
    call = ringing("+989351112233")  # unknown caller
    client_for(agent_ext).post(f"/telephony/calls/{call.pk}/ticket/", {"subject": "x"})
    assert not Ticket.objects.exists()


def test_pages_are_for_agents_only(client_for, ringing, agent_b, outsider):
    call = ringing("09121234567")
    assert Client().get("/telephony/").status_code == 302
    assert client_for(outsider).get("/telephony/").status_code == 403
    assert client_for(agent_b).get(f"/telephony/calls/{call.pk}/pop/").status_code == 404
    assert client_for(agent_b).post(f"/telephony/calls/{call.pk}/log/", {"note": "x"}).status_code == 404
    assert Call.objects.get(pk=call.pk).note == ""


def test_call_list_callbacks_and_cartable_in_persian(client_for, post_event, agent_a):
    post_event("ringing", call_id="m1", caller="09121234567")
    post_event("missed", call_id="m1")
    agent_a.language = "fa"
    agent_a.save(update_fields=["language"])
    client = client_for(agent_a)
    html = client.get("/telephony/").content.decode()
    assert 'dir="rtl"' in html
    assert "۰۹۱۲۱۲۳۴۵۶۷" in html or "+۹۸۹۱۲۱۲۳۴۵۶۷" in html
    queue = client.get("/telephony/callbacks/?fragment=1").content.decode()
    assert 'id="callback-queue"' in queue
    assert 'data-callback-of="' in queue
    assert 'id="cartable-callbacks"' in client.get("/cartable/").content.decode()
    call = Call.objects.get()
    r = client.post(f"/telephony/calls/{call.pk}/callback-done/")
    assert r.status_code == 302
    assert Call.objects.get().callback == "done"
    assert client.get(f"/telephony/calls/{call.pk}/").status_code == 200


def test_every_agent_page_carries_the_pop_script(client_for, agent_a, outsider):
    assert 'id="pv-telephony"' in client_for(agent_a).get("/cartable/").content.decode()
    assert 'id="pv-telephony"' not in client_for(outsider).get("/accounts/profile/").content.decode()
