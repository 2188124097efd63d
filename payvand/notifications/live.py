"""Live pushes over Channels: every signed-in page listens on its user's group and its teams' groups."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer

from payvand.core import batch

log = logging.getLogger(__name__)


def user_group(user_id: int) -> str:
    return f"user.{user_id}"


def team_group(team_id: int) -> str:
    return f"team.{team_id}"


async def _send_all(layer: Any, pushes: list[tuple[set[str], dict[str, Any]]]) -> None:
    for groups, message in pushes:
        for group in groups:
            try:
                await layer.group_send(group, message)
            except Exception:  # a push is best effort: the page catches up on its next load
                log.warning("live push to %s failed", group, exc_info=True)


def _send_many(pushes: list[tuple[set[str], dict[str, Any]]]) -> None:
    layer = get_channel_layer()
    if layer is None or not pushes:
        return
    # One trip into the event loop for all the groups (each async_to_sync costs a thread hand-off).
    try:
        async_to_sync(_send_all)(layer, pushes)
    except Exception:  # e.g. called from inside a running event loop: best effort, as above
        log.warning("live push to %s failed", ", ".join(sorted(set().union(*(g for g, _m in pushes)))), exc_info=True)


def _send(groups: Iterable[str], payload: dict[str, Any]) -> None:
    push = (set(groups), {"type": "live.push", "payload": payload})
    # In a batch (an email import), every push of the batch goes out in one trip when the batch has committed.
    if not batch.after_commit("live.push", push, _send_many):
        _send_many([push])


def push_users(user_ids: Iterable[int], payload: dict[str, Any]) -> None:
    _send((user_group(u) for u in user_ids), payload)


def push_ticket(*, ticket_id: int, team_ids: Iterable[int | None], user_ids: Iterable[int | None], verb: str) -> None:
    payload = {"type": "ticket", "ticket": ticket_id, "verb": verb}
    groups = [team_group(t) for t in team_ids if t] + [user_group(u) for u in user_ids if u]
    groups.append("dispatch")
    _send(groups, payload)
