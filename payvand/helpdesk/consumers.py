"""The live channel of every signed-in page: one WebSocket at /ws/live/ that forwards pushes to the browser.

A socket joins the groups its user listens on: `user.<id>`, `team.<id>` for each of the user's teams, and `dispatch`
when the user sees every ticket (dispatchers, supervisors, admins). `payvand.notifications.live` sends
`{"type": "live.push", "payload": {...}}` to those groups after each commit; the consumer hands the payload on
unchanged, and `core/static/core/live.js` refreshes the page parts that show it. Team memberships are read when the
socket connects; the browser reconnects (and refreshes) after a drop, which picks up changed memberships.
"""

from __future__ import annotations

import json
from typing import Any

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from payvand.accounts.models import User
from payvand.helpdesk import selectors
from payvand.notifications.live import team_group, user_group

DISPATCH_GROUP = "dispatch"
# The close code a socket gets when nobody is signed in (4000-4999 are free for applications).
CLOSE_NOT_SIGNED_IN = 4401


def live_groups_for(user: User) -> list[str]:
    """The groups a signed-in user's sockets listen on."""
    groups = [user_group(user.pk)]
    groups += [team_group(team_id) for team_id in user.memberships.values_list("team_id", flat=True)]
    if user.has_perm(selectors.PERMS["view"]) and selectors.sees_everything(user):
        groups.append(DISPATCH_GROUP)
    return groups


class LiveConsumer(AsyncJsonWebsocketConsumer):
    live_groups: list[str]

    async def connect(self) -> None:
        self.live_groups = []
        user = self.scope.get("user")
        if user is None or not user.is_authenticated or not user.is_active:
            await self.close(code=CLOSE_NOT_SIGNED_IN)
            return
        self.live_groups = await database_sync_to_async(live_groups_for)(user)
        for group in self.live_groups:
            await self.channel_layer.group_add(group, self.channel_name)
        await self.accept()

    async def disconnect(self, code: int) -> None:
        for group in self.live_groups:
            await self.channel_layer.group_discard(group, self.channel_name)
        self.live_groups = []

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None, **kwargs: Any) -> None:
        """Frames that are not JSON text are dropped, not fatal."""
        if not text_data:
            return
        try:
            content = json.loads(text_data)
        except ValueError:
            return
        await self.receive_json(content, **kwargs)

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        """The browser only pings (to keep proxies from closing an idle socket); anything else is ignored."""
        if isinstance(content, dict) and content.get("type") == "ping":
            await self.send_json({"type": "pong"})

    async def live_push(self, event: dict[str, Any]) -> None:
        """A `live.push` group message: forward its payload to the browser."""
        payload = event.get("payload")
        if isinstance(payload, dict):
            await self.send_json(payload)
