"""The screen-pop over a real WebSocket client connection (Channels' WebsocketCommunicator on the ASGI app), and
concurrent duplicate events (PostgreSQL)."""

from __future__ import annotations

import importlib.util
import sys
import threading
import types
from pathlib import Path
from typing import Any

import channels
import pytest
from asgiref.sync import async_to_sync
from django.db import connection, connections
from django.test import Client

from payvand.contacts.services import contact_flag_add
from payvand.helpdesk.consumers import LiveConsumer
from payvand.telephony import services
from payvand.telephony.models import Call, CallEvent

if importlib.util.find_spec("daphne") is None and "channels.testing" not in sys.modules:
    _package = types.ModuleType("channels.testing")
    _package.__path__ = [str(Path(channels.__file__).parent / "testing")]
    sys.modules["channels.testing"] = _package
from channels.testing.websocket import WebsocketCommunicator  # noqa: E402


@pytest.fixture(autouse=True)
def _fresh_layer(settings: Any) -> None:
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}


def socket_for(user: Any) -> WebsocketCommunicator:
    comm = WebsocketCommunicator(LiveConsumer.as_asgi(), "/ws/live/")
    comm.scope["user"] = user
    return comm


@pytest.mark.django_db(transaction=True)
def test_a_ringing_call_pops_on_the_socket_of_the_agent_whose_extension_rings(
    pbx, agent_ext, agent_b, customer_x, flag_type
):
    contact_flag_add(contact=customer_x, flag_type=flag_type, by=None)
    agent_b.extension = "202"
    agent_b.save(update_fields=["extension"])

    async def scenario() -> tuple[dict[str, Any], bool]:
        mine, theirs = socket_for(agent_ext), socket_for(agent_b)
        assert (await mine.connect())[0]
        assert (await theirs.connect())[0]
        from channels.db import database_sync_to_async

        def post() -> int:
            body = {"event": "ringing", "call_id": "ws-1", "caller": "۰۹۱۲ ۱۲۳ ۴۵۶۷", "extension": "201"}
            return pbx.post("/api/v1/telephony/events", body, content_type="application/json").status_code

        assert await database_sync_to_async(post)() == 201
        got = await mine.receive_json_from(timeout=3)
        nothing = await theirs.receive_nothing(timeout=0.3)
        await mine.disconnect()
        await theirs.disconnect()
        return got, nothing

    got, nothing_for_b = async_to_sync(scenario)()
    call = Call.objects.get(call_id="ws-1")
    assert got["type"] == "call"
    assert got["event"] == "ringing"
    assert got["call"] == call.pk
    assert got["match_count"] == 1
    assert got["matches"][0]["name"] == "Xerxes Customer"
    assert got["matches"][0]["flags"] == [{"name": "Payment arrears", "colour": "#dc3545"}]
    assert got["contact_url"] == f"/contacts/{customer_x.pk}/?call={call.pk}"
    assert got["url"] == f"/telephony/calls/{call.pk}/pop/"
    assert nothing_for_b is True
    # The banner the page then fetches is the agent's to see.
    client = Client()
    client.force_login(agent_ext)
    assert client.get(got["url"]).status_code == 200


@pytest.mark.django_db(transaction=True)
def test_a_repeated_event_does_not_pop_twice(agent_ext, customer_x):
    async def scenario() -> bool:
        comm = socket_for(agent_ext)
        assert (await comm.connect())[0]
        from channels.db import database_sync_to_async

        def post() -> None:
            services.call_event_record(kind="ringing", call_id="r-1", caller="09121234567", extension="201")

        await database_sync_to_async(post)()
        await comm.receive_json_from(timeout=3)
        await database_sync_to_async(post)()
        silent = await comm.receive_nothing(timeout=0.3)
        await comm.disconnect()
        return silent

    assert async_to_sync(scenario)() is True


postgres_only = pytest.mark.skipif(connection.vendor != "postgresql", reason="needs concurrent transactions")


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_concurrent_duplicate_posts_record_one_call_and_one_event(pbx_user, agent_ext):
    from payvand.accounts.services import api_token_create

    _t, raw = api_token_create(user=pbx_user, name="race")
    for round_no in range(5):
        body = {"event": "ringing", "call_id": f"race-{round_no}", "caller": "+36301234567", "extension": "201"}
        statuses = _race(raw, body, 4)
        assert sorted(statuses) == [200, 200, 200, 201], statuses
        assert Call.objects.filter(call_id=f"race-{round_no}").count() == 1
        assert CallEvent.objects.filter(call__call_id=f"race-{round_no}").count() == 1


def _race(raw: str, body: dict[str, Any], n: int) -> list[Any]:
    """POST the same event from n threads (own connections) released together by a barrier."""
    barrier = threading.Barrier(n)
    statuses: list[Any] = []

    def post() -> None:
        try:
            barrier.wait(timeout=30)
            client = Client(headers={"Authorization": f"Bearer {raw}"})
            statuses.append(client.post("/api/v1/telephony/events", body, content_type="application/json").status_code)
        except Exception as exc:  # noqa: BLE001 - the test inspects what each thread got
            statuses.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=post) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return statuses
