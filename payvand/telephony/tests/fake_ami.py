"""A small scripted AMI server on 127.0.0.1 for the tests (Asterisk itself is not installed on the test machines).

It speaks the AMI wire format: the banner line, `Key: Value` lines ending in a blank line, a Login action answered
with Success or Error, and scripted events per session. Each accepted connection plays the next script, then closes
the connection (so the client's reconnect is exercised) unless the script says to stay open."""

from __future__ import annotations

import asyncio
import threading
from dataclasses import dataclass, field
from typing import Any

from payvand.telephony.ami import encode


@dataclass
class Session:
    events: list[dict[str, str]] = field(default_factory=list)
    stay_open: bool = False


class FakeAmi:
    def __init__(self, sessions: list[Session], username: str = "payvand", secret: str = "s3cret") -> None:
        self.sessions = list(sessions)
        self.username, self.secret = username, secret
        self.actions: list[dict[str, str]] = []
        self.logins = 0
        self.port = 0
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._server: asyncio.Server | None = None

    def __enter__(self) -> FakeAmi:
        self._thread.start()
        assert self._ready.wait(5)
        return self

    def __exit__(self, *exc: Any) -> None:
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(5)

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        self._server = self._loop.run_until_complete(asyncio.start_server(self._handle, "127.0.0.1", 0))
        self.port = self._server.sockets[0].getsockname()[1]
        self._ready.set()
        self._loop.run_forever()
        self._server.close()

    async def _read(self, reader: asyncio.StreamReader) -> dict[str, str] | None:
        message: dict[str, str] = {}
        while True:
            line = await reader.readline()
            if not line:
                return None
            text = line.decode().rstrip("\r\n")
            if not text:
                if message:
                    return message
                continue
            key, _sep, value = text.partition(":")
            message[key.strip()] = value.strip()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(b"Asterisk Call Manager/9.0.0\r\n")
        login = await self._read(reader)
        if not login or login.get("Action") != "Login":
            writer.close()
            return
        if (login.get("Username"), login.get("Secret")) != (self.username, self.secret):
            writer.write(
                encode({"Response": "Error", "ActionID": login.get("ActionID", ""), "Message": "Authentication failed"})
            )
            await writer.drain()
            writer.close()
            return
        self.logins += 1
        writer.write(
            encode({"Response": "Success", "ActionID": login.get("ActionID", ""), "Message": "Authentication accepted"})
        )
        writer.write(encode({"Event": "FullyBooted", "Privilege": "system,all", "Status": "Fully Booted"}))
        session = self.sessions.pop(0) if self.sessions else Session(stay_open=True)
        for event in session.events:
            writer.write(encode(event))
        await writer.drain()
        while session.stay_open:
            action = await self._read(reader)
            if action is None:
                break
            self.actions.append(action)
            if action.get("Action") == "Originate":
                writer.write(
                    encode(
                        {
                            "Response": "Success",
                            "ActionID": action.get("ActionID", ""),
                            "Message": "Originate successfully queued",
                        }
                    )
                )
            elif action.get("Action") == "Logoff":
                break
            else:
                writer.write(
                    encode(
                        {
                            "Response": "Error",
                            "ActionID": action.get("ActionID", ""),
                            "Message": "Invalid/unknown command",
                        }
                    )
                )
            await writer.drain()
        writer.close()


def dial_begin(linkedid: str, caller: str, extension: str, exten: str = "02188001234") -> dict[str, str]:
    return {
        "Event": "DialBegin",
        "Channel": f"PJSIP/trunk-{linkedid}",
        "CallerIDNum": caller,
        "Exten": exten,
        "Uniqueid": linkedid,
        "Linkedid": linkedid,
        "DestChannel": f"PJSIP/{extension}-0000{linkedid[-2:]}",
        "DestCallerIDNum": extension,
        "DestUniqueid": f"{linkedid}.1",
        "DestLinkedid": linkedid,
    }


def dial_end(linkedid: str, caller: str, extension: str, status: str = "ANSWER") -> dict[str, str]:
    return {**dial_begin(linkedid, caller, extension), "Event": "DialEnd", "DialStatus": status}


def hangup(linkedid: str, caller: str, cause: str = "16") -> dict[str, str]:
    return {
        "Event": "Hangup",
        "Channel": f"PJSIP/trunk-{linkedid}",
        "CallerIDNum": caller,
        "Uniqueid": linkedid,
        "Linkedid": linkedid,
        "Cause": cause,
    }
