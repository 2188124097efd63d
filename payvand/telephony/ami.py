"""A small asyncio client for the Asterisk Manager Interface (AMI): log in, read events, send actions.

`AmiConnector.run()` keeps one connection up (reconnecting with exponential backoff and jitter) and turns the
events of a call into Payvand call events: DialBegin → ringing at the dialled extension, DialEnd with ANSWER →
answered, BlindTransfer/AttendedTransfer → transferred, Hangup of the call's first channel → hung up (missed when
nobody answered). The call id is the Asterisk Linkedid, the same for every channel of one call.
`originate_sync()` opens a short connection for click-to-call (Action: Originate).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import re
from collections.abc import Awaitable, Callable
from typing import Any

from django.conf import settings

log = logging.getLogger(__name__)

Message = dict[str, str]
EOL = "\r\n"
_CHANNEL_PEER = re.compile(r"^[A-Za-z0-9]+/([^-@;/]+)")


class AmiError(Exception):
    """The PBX refused a login or an action."""


def channel_extension(channel: str) -> str:
    """The peer of a channel name: PJSIP/201-0000000a → 201, SIP/alice-00000001 → alice, Local/201@ctx-1;1 → 201."""
    match = _CHANNEL_PEER.match(channel or "")
    return match.group(1) if match else ""


def encode(fields: dict[str, str]) -> bytes:
    return ("".join(f"{k}: {v}{EOL}" for k, v in fields.items()) + EOL).encode()


class AmiConnection:
    """One logged-in AMI connection."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer
        self._ids = 0

    @classmethod
    async def open(
        cls, *, host: str, port: int, username: str, secret: str, events: bool = True, timeout: float = 10
    ) -> AmiConnection:
        reader, writer = await asyncio.wait_for(asyncio.open_connection(host, port), timeout)
        conn = cls(reader, writer)
        try:
            banner = await asyncio.wait_for(reader.readline(), timeout)
            if not banner.startswith(b"Asterisk Call Manager"):
                raise AmiError(f"not an AMI server: {banner[:60]!r}")
            reply = await conn.action(
                {"Action": "Login", "Username": username, "Secret": secret, "Events": "on" if events else "off"},
                timeout=timeout,
            )
            if reply.get("Response", "").lower() != "success":
                raise AmiError(reply.get("Message", "login refused"))
        except BaseException:
            conn.close()
            raise
        return conn

    async def read(self) -> Message:
        """The next message (event or response). Raises ConnectionError when the server hangs up."""
        message: Message = {}
        while True:
            line = await self.reader.readline()
            if not line:
                raise ConnectionError("AMI connection closed")
            text = line.decode("utf-8", "replace").rstrip("\r\n")
            if not text:
                if message:
                    return message
                continue
            key, sep, value = text.partition(":")
            if sep:
                message[key.strip()] = value.strip()

    async def send(self, fields: dict[str, str]) -> str:
        self._ids += 1
        action_id = fields.get("ActionID") or f"pv-{self._ids}"
        self.writer.write(encode({**fields, "ActionID": action_id}))
        await self.writer.drain()
        return action_id

    async def action(self, fields: dict[str, str], timeout: float = 10) -> Message:
        """Send an action and wait for its response (events read meanwhile are dropped: use it before reading)."""
        action_id = await self.send(fields)
        async with asyncio.timeout(timeout):
            while True:
                message = await self.read()
                if "Response" in message and message.get("ActionID") == action_id:
                    return message

    def close(self) -> None:
        self.writer.close()


EventSink = Callable[..., Awaitable[Any]]


class CallTracker:
    """Turns AMI events into call events (the keyword arguments of `services.call_event_record`)."""

    def __init__(self, agent_extensions: Callable[[], set[str]] | None = None) -> None:
        self.answered: set[str] = set()
        self.agent_extensions = agent_extensions or (lambda: set())

    def translate(self, event: Message) -> list[dict[str, Any]]:
        name = event.get("Event", "")
        call_id = event.get("Linkedid") or event.get("Uniqueid") or ""
        if not call_id:
            return []
        base = {"call_id": call_id, "caller": event.get("CallerIDNum", "")}
        if base["caller"] in ("", "<unknown>"):
            base["caller"] = ""
        if name == "DialBegin":
            if base["caller"] and base["caller"] in self.agent_extensions():
                return []  # an agent dialling out or a colleague: not a customer call
            extension = event.get("DestCallerIDNum") or channel_extension(event.get("DestChannel", ""))
            return [{**base, "kind": "ringing", "extension": extension, "dialled": event.get("Exten", "")}]
        if name == "DialEnd" and event.get("DialStatus") == "ANSWER":
            extension = event.get("DestCallerIDNum") or channel_extension(event.get("DestChannel", ""))
            self.answered.add(call_id)
            return [{**base, "kind": "answered", "extension": extension}]
        if name in ("BlindTransfer", "AttendedTransfer"):
            call_id = event.get("TransfereeLinkedid") or call_id
            target = event.get("Extension") or event.get("SecondTransfererCallerIDNum") or ""
            if not target:
                return []
            return [{"call_id": call_id, "caller": "", "kind": "transferred", "extension": target}]
        if name == "Hangup" and event.get("Uniqueid") == call_id:
            kind = "hangup" if call_id in self.answered else "missed"
            self.answered.discard(call_id)
            outcome = "busy" if event.get("Cause") == "17" else ""
            return [{**base, "kind": kind, "extension": "", "outcome": outcome}]
        return []


class AmiConnector:
    """Keeps an AMI connection and hands translated call events to `sink` (an async callable)."""

    def __init__(
        self,
        *,
        host: str,
        port: int,
        username: str,
        secret: str,
        sink: EventSink,
        tracker: CallTracker | None = None,
        min_delay: float = 1.0,
        max_delay: float = 60.0,
    ) -> None:
        self.host, self.port, self.username, self.secret = host, port, username, secret
        self.sink = sink
        self.tracker = tracker or CallTracker()
        self.min_delay, self.max_delay = min_delay, max_delay
        self.connections = 0
        self.stopping = asyncio.Event()

    async def run_once(self) -> None:
        conn = await AmiConnection.open(host=self.host, port=self.port, username=self.username, secret=self.secret)
        self.connections += 1
        log.info("connected to AMI at %s:%s", self.host, self.port)
        stopped = asyncio.ensure_future(self.stopping.wait())
        try:
            while True:
                reading = asyncio.ensure_future(conn.read())
                await asyncio.wait({reading, stopped}, return_when=asyncio.FIRST_COMPLETED)
                if not reading.done():  # stop() was called: leave now, not at the next event
                    reading.cancel()
                    return
                message = reading.result()
                if "Event" not in message:
                    continue
                for call_event in self.tracker.translate(message):
                    try:
                        await self.sink(**call_event)
                    except Exception:  # one bad event must not drop the connection
                        log.exception("call event %s refused", call_event)
        finally:
            stopped.cancel()
            conn.close()

    async def run(self) -> None:
        delay = self.min_delay
        while not self.stopping.is_set():
            started = asyncio.get_running_loop().time()
            try:
                await self.run_once()
            except (OSError, ConnectionError, TimeoutError, AmiError) as exc:
                log.warning("AMI connection lost: %s", exc)
            if self.stopping.is_set():
                break
            if asyncio.get_running_loop().time() - started > self.max_delay:
                delay = self.min_delay  # it had been up for a while: start the backoff again
            wait = delay / 2 + random.random() * delay / 2  # noqa: S311 - jitter, not security
            delay = min(delay * 2, self.max_delay)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.stopping.wait(), wait)

    def stop(self) -> None:
        self.stopping.set()


async def originate(*, extension: str, number: str, action_id: str, timeout: float = 10) -> Message:
    conn = await AmiConnection.open(
        host=settings.TELEPHONY_AMI_HOST,
        port=settings.TELEPHONY_AMI_PORT,
        username=settings.TELEPHONY_AMI_USER,
        secret=settings.TELEPHONY_AMI_SECRET,
        events=False,
        timeout=timeout,
    )
    try:
        reply = await conn.action(
            {
                "Action": "Originate",
                "Channel": settings.TELEPHONY_ORIGINATE_CHANNEL.format(extension=extension),
                "Exten": number,
                "Context": settings.TELEPHONY_ORIGINATE_CONTEXT,
                "Priority": "1",
                "CallerID": number,
                "Async": "true",
                "ActionID": action_id,
            },
            timeout=timeout,
        )
    finally:
        conn.close()
    if reply.get("Response", "").lower() != "success":
        raise AmiError(reply.get("Message", "originate refused"))
    return reply


def originate_sync(*, extension: str, number: str, action_id: str) -> Message:
    return asyncio.run(originate(extension=extension, number=number, action_id=action_id))
