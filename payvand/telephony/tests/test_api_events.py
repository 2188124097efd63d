"""POST /api/v1/telephony/events: the CTI endpoint."""

from __future__ import annotations

import pytest
from django.test import Client

from payvand.contacts.models import FlagType
from payvand.contacts.services import contact_create, contact_flag_add
from payvand.core.models import Event
from payvand.telephony.models import Call, CallEvent


def test_it_records_a_call_through_its_events(post_event, agent_ext, customer_x):
    r = post_event("ringing", caller="09121234567", dialled="02188001234", extension="201")
    assert r.status_code == 201, r.content
    body = r.json()
    assert body["created"] is True
    assert body["call"]["state"] == "ringing"
    assert body["call"]["number_e164"] == "+989121234567"
    assert body["call"]["contact_id"] == customer_x.pk
    assert post_event("answered", extension="201", at="2030-01-01T10:00:00Z").status_code == 422  # far future
    assert post_event("answered", extension="201").status_code == 201
    r = post_event("hangup")
    call = Call.objects.get(call_id="c-1")
    assert r.json()["call"]["outcome"] == "answered"
    assert call.state == "ended"
    assert call.agent == agent_ext
    assert call.answered_at
    assert call.ended_at
    assert call.duration is not None
    assert call.duration >= 0
    assert call.callback == ""
    assert list(call.events.values_list("kind", flat=True)) == ["ringing", "answered", "hangup"]
    assert Event.objects.filter(verb="call.ringing", contact=customer_x).exists()


def test_the_same_event_twice_is_taken_once(post_event, agent_ext):
    first = post_event("ringing", caller="+36301234567", extension="201")
    again = post_event("ringing", caller="+36301234567", extension="201")
    assert first.status_code == 201
    assert again.status_code == 200
    assert again.json()["created"] is False
    assert again.json()["call"]["id"] == first.json()["call"]["id"]
    assert CallEvent.objects.count() == 1
    assert Event.objects.filter(verb="call.ringing").count() == 1


def test_a_call_nobody_answers_goes_to_the_callback_queue(post_event):
    post_event("ringing", caller="۰۹۱۲۱۲۳۴۵۶۷", extension="300")
    r = post_event("missed", outcome="voicemail")
    assert r.status_code == 201
    call = Call.objects.get()
    assert call.outcome == "voicemail"
    assert call.callback == "pending"
    assert call.caller_e164 == "+989121234567"


@pytest.mark.parametrize(
    ("written", "e164"),
    [
        ("۰۹۱۲ ۱۲۳ ۴۵۶۷", "+989121234567"),  # Persian digits
        ("٠٩١٢١٢٣٤٥٦٧", "+989121234567"),  # Arabic-Indic digits
        ("+98 912 123 4567", "+989121234567"),
        ("00989121234567", "+989121234567"),
        ("06 30 123 4567", "+36301234567"),  # Hungarian national (06 prefix)
        ("+36 (30) 123-4567", "+36301234567"),
    ],
)
def test_it_finds_the_caller_in_every_number_format(post_event, customer_x, customer_y, written, e164):
    r = post_event("ringing", call_id=f"fmt-{e164}-{len(written)}", caller=written)
    assert r.status_code == 201, r.content
    assert r.json()["call"]["number_e164"] == e164
    expected = customer_x if e164.startswith("+98") else customer_y
    assert r.json()["call"]["contact_id"] == expected.pk


def test_several_contacts_with_the_number_leave_the_choice_to_the_agent(post_event, customer_x):
    contact_create(by=None, name="Xerxes Junior", phones=["09121234567"], allow_duplicates=True)
    r = post_event("ringing", caller="09121234567")
    assert r.json()["call"]["contact_id"] is None


def test_an_unknown_caller_or_a_withheld_number_is_still_a_call(post_event):
    assert post_event("ringing", call_id="u1", caller="+989351112233").json()["call"]["contact_id"] is None
    r = post_event("ringing", call_id="u2", caller="anonymous")
    assert r.status_code == 201
    assert r.json()["call"]["number_e164"] == ""


def test_a_bad_token_is_refused(db):
    r = Client(headers={"Authorization": "Bearer nope"}).post(
        "/api/v1/telephony/events", {"event": "ringing", "call_id": "x"}, content_type="application/json"
    )
    assert r.status_code == 401
    assert set(r.json()) == {"detail", "errors"}
    assert not Call.objects.exists()


def test_a_session_is_not_enough_and_an_agent_token_may_not_post(client_for, api_for, agent_a):
    r = client_for(agent_a).post(
        "/api/v1/telephony/events", {"event": "ringing", "call_id": "x"}, content_type="application/json"
    )
    assert r.status_code == 401
    r = api_for(agent_a).post(
        "/api/v1/telephony/events", {"event": "ringing", "call_id": "x"}, content_type="application/json"
    )
    assert r.status_code == 403
    assert not Call.objects.exists()


@pytest.mark.parametrize(
    "body",
    [
        {"event": "exploded", "call_id": "x"},
        {"event": "ringing"},
        {"event": "ringing", "call_id": ""},
        {"event": "ringing", "call_id": "has space"},
        {"event": "ringing", "call_id": "x" * 129},
        {"event": "ringing", "call_id": "x", "extension": "2" * 33},
        {"event": "ringing", "call_id": "x", "caller": "1" * 65},
        {"event": "ringing", "call_id": "x", "at": "yesterday"},
        {"event": "ringing", "call_id": "x", "at": "1990-01-01T00:00:00Z"},
        {"event": "missed", "call_id": "x", "outcome": "lost"},
        {"event": "ringing", "call_id": "x", "direction": "sideways"},
        {"event": "ringing", "call_id": "x", "caller": "a\x00b"},
    ],
)
def test_it_refuses_bad_input_with_the_error_shape(pbx, body):
    r = pbx.post("/api/v1/telephony/events", body, content_type="application/json")
    assert r.status_code == 422, r.content
    assert set(r.json()) == {"detail", "errors"}
    assert not Call.objects.exists()


def test_a_transfer_pops_the_call_for_the_new_agent(post_event, agent_ext, agent_b):
    agent_b.extension = "202"
    agent_b.save(update_fields=["extension"])
    post_event("ringing", caller="+36301234567", extension="201")
    post_event("answered", extension="201")
    r = post_event("transferred", extension="202")
    assert r.status_code == 201
    assert Call.objects.get().agent == agent_b


def test_flags_of_the_caller_are_in_the_pop(post_event, customer_x):
    flag = FlagType.objects.create(name="Hard of hearing", colour="#6f42c1", severity=2)
    contact_flag_add(contact=customer_x, flag_type=flag, by=None)
    from payvand.contacts.selectors import contact_lookup_summaries_unscoped
    from payvand.telephony.services import pop_payload

    post_event("ringing", caller="09121234567")
    call = Call.objects.get()
    payload = pop_payload(call=call, matches=contact_lookup_summaries_unscoped(phone="+989121234567"), event="ringing")
    assert payload["matches"][0]["flags"] == [{"name": "Hard of hearing", "colour": "#6f42c1"}]
    assert payload["contact_url"] == f"/contacts/{customer_x.pk}/?call={call.pk}"
