"""The live channel (/ws/live/): who may connect, which groups a socket joins, and that service changes reach it.

Channels' WebsocketCommunicator runs the consumer in an event loop (`async_to_sync` here, no pytest-asyncio). Tests
that go through the services are transactional, so `transaction.on_commit` fires and pushes for real.
"""

from __future__ import annotations

import importlib.util
import sys
import types
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import channels
import pytest
from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from django.contrib.auth.models import AnonymousUser

from payvand.core.routing import websocket_urlpatterns
from payvand.helpdesk import services
from payvand.helpdesk.consumers import LiveConsumer, live_groups_for
from payvand.helpdesk.tests.factories import TicketFactory
from payvand.notifications import live

# channels.testing's __init__ also imports its live-server test case, which needs the daphne server; Payvand is served
# by uvicorn and does not install daphne. The communicator needs only asgiref: import its module without that __init__.
if importlib.util.find_spec("daphne") is None and "channels.testing" not in sys.modules:
    _package = types.ModuleType("channels.testing")
    _package.__path__ = [str(Path(channels.__file__).parent / "testing")]
    sys.modules["channels.testing"] = _package
from channels.testing.websocket import WebsocketCommunicator  # noqa: E402


@pytest.fixture(autouse=True)
def _fresh_layer(settings: Any) -> None:
    """A new in-memory channel layer per test (changing the setting resets Channels' cache of layers)."""
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}


def run(coro_fn: Callable[[], Awaitable[Any]]) -> Any:
    return async_to_sync(coro_fn)()


def communicator(user: Any, path: str = "/ws/live/") -> WebsocketCommunicator:
    comm = WebsocketCommunicator(LiveConsumer.as_asgi(), path)
    comm.scope["user"] = user
    return comm


async def receive_until(comm: WebsocketCommunicator, wanted: Callable[[dict[str, Any]], bool]) -> dict[str, Any]:
    """The first message that matches (a change also sends notifications, in any order)."""
    for _ in range(10):
        message = await comm.receive_json_from(timeout=3)
        if wanted(message):
            return message
    raise AssertionError("the expected push never came")


def test_it_refuses_anonymous_sockets(db):
    async def scenario() -> tuple[bool, Any]:
        comm = communicator(AnonymousUser())
        connected, code = await comm.connect()
        await comm.disconnect()
        return connected, code

    connected, code = run(scenario)
    assert connected is False
    assert code == 4401


def test_it_refuses_inactive_users(agent_a):
    agent_a.is_active = False

    async def scenario() -> bool:
        comm = communicator(agent_a)
        connected, _code = await comm.connect()
        await comm.disconnect()
        return connected

    assert run(scenario) is False


def test_it_joins_my_user_and_team_groups_and_dispatch_only_for_dispatchers(agent_a, dispatcher, team_a, outsider):
    assert live_groups_for(agent_a) == [f"user.{agent_a.pk}", f"team.{team_a.pk}"]
    assert live_groups_for(dispatcher) == [f"user.{dispatcher.pk}", "dispatch"]
    assert live_groups_for(outsider) == [f"user.{outsider.pk}"]


@pytest.mark.django_db(transaction=True)
def test_it_forwards_pushes_to_my_groups_only(agent_a, agent_b, team_a):
    async def scenario() -> tuple[dict[str, Any], dict[str, Any], bool]:
        mine, theirs = communicator(agent_a), communicator(agent_b)
        assert (await mine.connect())[0]
        assert (await theirs.connect())[0]
        layer = get_channel_layer()
        payload = {"type": "ticket", "ticket": 7, "verb": "updated"}
        await layer.group_send(f"team.{team_a.pk}", {"type": "live.push", "payload": payload})
        got_team = await mine.receive_json_from(timeout=3)
        await layer.group_send(f"user.{agent_a.pk}", {"type": "live.push", "payload": {"type": "notification"}})
        got_user = await mine.receive_json_from(timeout=3)
        nothing_for_b = await theirs.receive_nothing(timeout=0.3)
        await mine.disconnect()
        await theirs.disconnect()
        return got_team, got_user, nothing_for_b

    got_team, got_user, nothing_for_b = run(scenario)
    assert got_team == {"type": "ticket", "ticket": 7, "verb": "updated"}
    assert got_user == {"type": "notification"}
    assert nothing_for_b is True


@pytest.mark.django_db(transaction=True)
def test_a_ticket_referred_to_my_team_reaches_my_socket(agent_a, dispatcher, team_a, team_b):
    ticket = TicketFactory.create(team=team_b)

    async def scenario() -> tuple[dict[str, Any], dict[str, Any]]:
        agent, desk = communicator(agent_a), communicator(dispatcher)
        assert (await agent.connect())[0]
        assert (await desk.connect())[0]
        await database_sync_to_async(services.ticket_refer)(ticket=ticket, by=dispatcher, to_team=team_a, note="yours")
        is_ticket = lambda m: m.get("type") == "ticket"  # noqa: E731
        pushed = await receive_until(agent, is_ticket)
        seen_by_dispatch = await receive_until(desk, is_ticket)
        await agent.disconnect()
        await desk.disconnect()
        return pushed, seen_by_dispatch

    pushed, seen_by_dispatch = run(scenario)
    assert pushed == {"type": "ticket", "ticket": ticket.pk, "verb": "referred"}
    assert seen_by_dispatch["ticket"] == ticket.pk


@pytest.mark.django_db(transaction=True)
def test_a_notification_reaches_the_bell(agent_a, dispatcher, team_a):
    ticket = TicketFactory.create(team=team_a)

    async def scenario() -> dict[str, Any]:
        agent = communicator(agent_a)
        assert (await agent.connect())[0]
        await database_sync_to_async(services.ticket_assign)(ticket=ticket, by=dispatcher, assignee=agent_a)
        got = await receive_until(agent, lambda m: m.get("type") == "notification")
        await agent.disconnect()
        return got

    assert run(scenario) == {"type": "notification", "kind": "assigned"}


@pytest.mark.django_db(transaction=True)
def test_push_ticket_reaches_team_and_dispatch_but_not_other_teams(agent_a, agent_b, dispatcher, team_a):
    async def scenario() -> tuple[dict[str, Any], dict[str, Any], bool]:
        a, b, d = communicator(agent_a), communicator(agent_b), communicator(dispatcher)
        for comm in (a, b, d):
            assert (await comm.connect())[0]
        await database_sync_to_async(live.push_ticket)(ticket_id=5, team_ids=[team_a.pk], user_ids=[], verb="created")
        got_a = await a.receive_json_from(timeout=3)
        got_d = await d.receive_json_from(timeout=3)
        quiet_b = await b.receive_nothing(timeout=0.3)
        for comm in (a, b, d):
            await comm.disconnect()
        return got_a, got_d, quiet_b

    got_a, got_d, quiet_b = run(scenario)
    assert got_a == got_d == {"type": "ticket", "ticket": 5, "verb": "created"}
    assert quiet_b is True


@pytest.mark.django_db(transaction=True)
def test_it_answers_pings_and_ignores_junk(agent_a):
    async def scenario() -> tuple[dict[str, Any], bool]:
        comm = communicator(agent_a)
        assert (await comm.connect())[0]
        await comm.send_to(text_data="not json {")
        await comm.send_to(bytes_data=b"\x00\x01")
        await comm.send_json_to({"type": "subscribe", "group": "dispatch"})  # clients cannot join groups
        quiet = await comm.receive_nothing(timeout=0.2)
        await comm.send_json_to({"type": "ping"})
        pong = await comm.receive_json_from(timeout=3)
        await comm.disconnect()
        return pong, quiet

    pong, quiet = run(scenario)
    assert pong == {"type": "pong"}
    assert quiet is True


@pytest.mark.django_db(transaction=True)
def test_the_route_refuses_other_sites_and_accepts_our_own_pages(agent_a):
    from channels.routing import URLRouter

    app = URLRouter(websocket_urlpatterns)

    async def connect(origin: bytes) -> bool:
        comm = WebsocketCommunicator(app, "/ws/live/", headers=[(b"origin", origin), (b"host", b"testserver")])
        comm.scope["user"] = agent_a
        connected, _code = await comm.connect()
        await comm.disconnect()
        return connected

    async def from_elsewhere() -> bool:
        return await connect(b"https://evil.example")

    async def from_our_page() -> bool:
        return await connect(b"http://testserver")

    assert run(from_elsewhere) is False
    assert run(from_our_page) is True
