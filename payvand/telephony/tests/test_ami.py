"""The AMI connector against a scripted AMI server on 127.0.0.1 (fake_ami.py; Asterisk is not installed here):
events become calls and a screen-pop, the connector reconnects after a drop, a bad login is retried with backoff,
and click-to-call sends an Originate."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from asgiref.sync import async_to_sync, sync_to_async

from payvand.telephony import services
from payvand.telephony.ami import AmiConnector, CallTracker, channel_extension
from payvand.telephony.models import Call
from payvand.telephony.tests.fake_ami import FakeAmi, Session, dial_begin, dial_end, hangup


async def _run_until(connector: AmiConnector, done: Any, timeout: float = 10) -> None:
    task = asyncio.create_task(connector.run())
    try:
        async with asyncio.timeout(timeout):
            while not await done():
                await asyncio.sleep(0.05)
    finally:
        connector.stop()
        await asyncio.wait_for(task, 5)


def test_channel_names_give_the_extension():
    assert channel_extension("PJSIP/201-0000000a") == "201"
    assert channel_extension("SIP/alice-00000001") == "alice"
    assert channel_extension("Local/201@from-queue-00000001;1") == "201"
    assert channel_extension("") == ""


def test_an_agent_dialling_out_is_not_a_customer_call():
    tracker = CallTracker(lambda: {"201"})
    assert tracker.translate(dial_begin("L9", "201", "202")) == []
    assert tracker.translate({"Event": "Newexten"}) == []


@pytest.mark.django_db(transaction=True)
def test_ami_events_become_calls_and_the_connector_reconnects(agent_ext, customer_x, settings):
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    sessions = [
        Session(
            events=[
                dial_begin("1700.1", "09121234567", "201"),
                dial_end("1700.1", "09121234567", "201"),
                hangup("1700.1", "09121234567"),
            ]
        ),
        Session(events=[dial_begin("1700.2", "+36301234567", "201"), hangup("1700.2", "+36301234567")], stay_open=True),
    ]
    received: list[dict[str, Any]] = []

    def record(**event: Any) -> None:
        received.append(event)
        services.call_event_record(**event)

    with FakeAmi(sessions) as server:
        connector = AmiConnector(
            host="127.0.0.1",
            port=server.port,
            username="payvand",
            secret="s3cret",
            sink=sync_to_async(record),
            min_delay=0.05,
            max_delay=0.2,
        )

        async def done() -> bool:
            return len(received) >= 5

        async_to_sync(_run_until)(connector, done)
        assert server.logins == 2
    assert connector.connections == 2
    assert [e["kind"] for e in received] == ["ringing", "answered", "hangup", "ringing", "missed"]
    answered = Call.objects.get(call_id="1700.1")
    assert answered.outcome == "answered"
    assert answered.agent == agent_ext
    assert answered.contact == customer_x
    assert answered.dialled == "02188001234"
    missed = Call.objects.get(call_id="1700.2")
    assert missed.outcome == "missed"
    assert missed.callback == "pending"


def test_a_refused_login_is_retried_with_backoff(db):
    with FakeAmi([], secret="other") as server:
        connector = AmiConnector(
            host="127.0.0.1",
            port=server.port,
            username="payvand",
            secret="wrong",
            sink=sync_to_async(lambda **e: None),
            min_delay=0.05,
            max_delay=0.1,
        )
        attempts = {"n": 0}

        async def run_once() -> None:
            attempts["n"] += 1
            await AmiConnector.run_once(connector)

        connector.run_once = run_once  # type: ignore[method-assign]

        async def done() -> bool:
            return attempts["n"] >= 3

        async_to_sync(_run_until)(connector, done)
    assert connector.connections == 0
    assert attempts["n"] >= 3


def test_click_to_call_sends_an_originate(api_for, agent_ext, customer_x, settings):
    with FakeAmi([Session(stay_open=True)]) as server:
        settings.TELEPHONY_AMI_HOST = "127.0.0.1"
        settings.TELEPHONY_AMI_PORT = server.port
        settings.TELEPHONY_AMI_USER = "payvand"
        settings.TELEPHONY_AMI_SECRET = "s3cret"
        r = api_for(agent_ext).post(
            "/api/v1/telephony/originate",
            {"number": "0912 123 4567", "contact": customer_x.pk},
            content_type="application/json",
        )
        assert r.status_code == 201, r.content
        originate = [a for a in server.actions if a.get("Action") == "Originate"]
    assert len(originate) == 1
    assert originate[0]["Channel"] == "PJSIP/201"
    assert originate[0]["Exten"] == "+989121234567"
    call = Call.objects.get()
    assert call.direction == "outbound"
    assert call.contact == customer_x
    assert call.call_id == originate[0]["ActionID"]


def test_a_pbx_that_refuses_leaves_no_call(api_for, agent_ext, settings):
    with FakeAmi([], secret="other") as server:
        settings.TELEPHONY_AMI_HOST = "127.0.0.1"
        settings.TELEPHONY_AMI_PORT = server.port
        settings.TELEPHONY_AMI_USER = "payvand"
        settings.TELEPHONY_AMI_SECRET = "wrong"
        r = api_for(agent_ext).post(
            "/api/v1/telephony/originate", {"number": "09121234567"}, content_type="application/json"
        )
    assert r.status_code == 422
    assert not Call.objects.exists()


def test_click_to_call_from_a_page_and_the_tel_links(client_for, agent_ext, settings):
    with FakeAmi([Session(stay_open=True)]) as server:
        settings.TELEPHONY_AMI_HOST = "127.0.0.1"
        settings.TELEPHONY_AMI_PORT = server.port
        settings.TELEPHONY_AMI_USER = "payvand"
        settings.TELEPHONY_AMI_SECRET = "s3cret"
        client = client_for(agent_ext)
        page = client.get("/telephony/").content.decode()
        assert 'data-originate-url="/telephony/originate/"' in page
        r = client.post("/telephony/originate/", {"number": "+36301234567"}, headers={"Accept": "application/json"})
        assert r.status_code == 201
        bad = client.post("/telephony/originate/", {"number": "hello"}, headers={"Accept": "application/json"})
        assert bad.status_code == 422
        assert set(bad.json()) == {"detail", "errors"}
    assert Call.objects.count() == 1
    settings.TELEPHONY_AMI_HOST = ""
    assert 'data-originate-url=""' in client.get("/telephony/").content.decode()
