"""GET /calls, GET /calls/{id}, POST /calls/{id}/log, callback-done, originate (without a PBX)."""

from __future__ import annotations

import pytest
from django.test import Client

from payvand.helpdesk import services as ticket_services
from payvand.helpdesk.models import Channel
from payvand.telephony.models import Call, WrapUpCode


@pytest.fixture
def call_of_a(post_event, agent_ext, customer_x) -> Call:
    post_event("ringing", call_id="a-1", caller="09121234567", extension="201")
    post_event("answered", call_id="a-1", extension="201")
    post_event("hangup", call_id="a-1")
    return Call.objects.get(call_id="a-1")


def test_an_agent_lists_their_calls_and_not_a_colleagues(api_for, call_of_a, agent_ext, agent_b, supervisor):
    r = api_for(agent_ext).get("/api/v1/telephony/calls")
    assert r.status_code == 200
    assert [c["call_id"] for c in r.json()] == ["a-1"]
    assert api_for(agent_b).get("/api/v1/telephony/calls").json() == []
    assert api_for(agent_b).get(f"/api/v1/telephony/calls/{call_of_a.pk}").status_code == 404
    assert [c["id"] for c in api_for(supervisor).get("/api/v1/telephony/calls").json()] == [call_of_a.pk]


def test_the_list_filters_and_pages(api_for, post_event, supervisor):
    for n in range(3):
        post_event("ringing", call_id=f"m-{n}", caller="+36301234567")
        post_event("missed", call_id=f"m-{n}")
    api = api_for(supervisor)
    first = api.get("/api/v1/telephony/calls?limit=2&outcome=missed").json()
    assert len(first) == 2
    rest = api.get(f"/api/v1/telephony/calls?limit=2&before={first[-1]['id']}").json()
    assert len(rest) == 1
    assert api.get("/api/v1/telephony/calls?callback=pending").json()[0]["callback"] == "pending"
    assert api.get("/api/v1/telephony/calls?limit=0").status_code == 422
    assert api.get("/api/v1/telephony/calls?outcome=lost").status_code == 422


def test_it_logs_a_call_with_a_note_wrap_up_and_ticket(api_for, call_of_a, agent_ext, customer_x):
    wrap = WrapUpCode.objects.create(name="Billing question")
    ticket = ticket_services.ticket_create(by=agent_ext, subject="Invoice", requester=customer_x, channel=Channel.PHONE)
    r = api_for(agent_ext).post(
        f"/api/v1/telephony/calls/{call_of_a.pk}/log",
        {"note": "Asked about the invoice", "wrap_up": wrap.pk, "ticket": ticket.pk},
        content_type="application/json",
    )
    assert r.status_code == 200, r.content
    assert r.json()["wrap_up"] == "Billing question"
    call = Call.objects.get(pk=call_of_a.pk)
    assert call.note == "Asked about the invoice"
    assert call.ticket == ticket
    assert call.logged_at is not None


def test_logging_refuses_bad_input_and_changes_nothing(api_for, call_of_a, agent_ext):
    api = api_for(agent_ext)
    url = f"/api/v1/telephony/calls/{call_of_a.pk}/log"
    r = api.post(url, {"note": "x", "wrap_up": 999}, content_type="application/json")
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == "wrap_up"
    assert api.post(url, {"ticket": 999}, content_type="application/json").status_code == 404
    assert api.post(url, {"note": "x" * 10001}, content_type="application/json").status_code == 422
    assert Call.objects.get(pk=call_of_a.pk).note == ""


def test_permissions_on_calls(client_for, api_for, call_of_a, outsider, agent_b):
    assert Client().get("/api/v1/telephony/calls").status_code == 401
    assert api_for(outsider).get("/api/v1/telephony/calls").status_code == 403
    assert (
        api_for(agent_b)
        .post(f"/api/v1/telephony/calls/{call_of_a.pk}/log", {}, content_type="application/json")
        .status_code
        == 404
    )
    assert api_for(agent_b).get("/api/v1/telephony/calls/99999").status_code == 404
    assert api_for(agent_b).get("/api/v1/telephony/calls/0").status_code == 422


def test_a_missed_call_is_returned_once(api_for, post_event, agent_a):
    post_event("ringing", call_id="miss", caller="+36301234567")
    post_event("missed", call_id="miss")
    call = Call.objects.get()
    api = api_for(agent_a)  # nobody took it: every agent sees it in the queue
    r = api.post(f"/api/v1/telephony/calls/{call.pk}/callback-done")
    assert r.status_code == 200
    assert r.json()["callback"] == "done"
    assert api.post(f"/api/v1/telephony/calls/{call.pk}/callback-done").status_code == 422


def test_click_to_call_without_a_pbx_is_refused_cleanly(api_for, agent_ext):
    r = api_for(agent_ext).post(
        "/api/v1/telephony/originate", {"number": "09121234567"}, content_type="application/json"
    )
    assert r.status_code == 422
    assert not Call.objects.exists()
