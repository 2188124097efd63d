"""A fake provider API on 127.0.0.1 (Kavenegar, Twilio, the generic gateway, Telegram's Bot API, WhatsApp's Graph
API): it records every request and answers with what a test set for the path."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest


@dataclass
class Seen:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


Answer = tuple[int, bytes, str]


@dataclass
class FakeApi:
    url: str
    seen: list[Seen] = field(default_factory=list)
    routes: dict[str, Callable[[Seen], Answer] | Answer] = field(default_factory=dict)

    def on(self, path_prefix: str, status: int = 200, body: Any = None, content_type: str = "application/json") -> None:
        raw = body if isinstance(body, bytes) else json.dumps(body if body is not None else {}).encode()
        self.routes[path_prefix] = (status, raw, content_type)

    def answer(self, seen: Seen) -> Answer:
        for prefix, answer in sorted(self.routes.items(), key=lambda kv: -len(kv[0])):
            if seen.path.startswith(prefix):
                return answer(seen) if callable(answer) else answer
        return 404, b'{"error": "no route"}', "application/json"


@pytest.fixture
def fake_api() -> Iterator[FakeApi]:
    api = FakeApi(url="")

    class Handler(BaseHTTPRequestHandler):
        def _handle(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            seen = Seen(self.command, self.path, dict(self.headers.items()), self.rfile.read(length) if length else b"")
            api.seen.append(seen)
            status, body, content_type = api.answer(seen)
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_GET = _handle  # noqa: N815
        do_POST = _handle  # noqa: N815

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    api.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield api
    server.shutdown()
    server.server_close()


@pytest.fixture
def channels_on(settings: Any, fake_api: FakeApi) -> FakeApi:
    """Every channel configured, every provider API pointed at the fake server."""
    settings.PAYVAND_BASE_URL = "http://testserver"
    settings.SMS_KAVENEGAR_WEBHOOK_TOKEN = "kave-token-123"
    settings.SMS_KAVENEGAR_API_KEY = "KAVEKEY"
    settings.SMS_KAVENEGAR_URL = fake_api.url + "/kavenegar"
    settings.SMS_TWILIO_ACCOUNT_SID = "AC123"
    settings.SMS_TWILIO_AUTH_TOKEN = "twilio-secret"
    settings.SMS_TWILIO_FROM = "+15550001111"
    settings.SMS_TWILIO_URL = fake_api.url + "/twilio"
    settings.SMS_GENERIC_SECRET = "generic-secret"
    settings.SMS_GENERIC_SEND_URL = fake_api.url + "/generic/send"
    settings.TELEGRAM_BOT_TOKEN = "123:ABC"
    settings.TELEGRAM_WEBHOOK_SECRET = "tg-secret"
    settings.TELEGRAM_API_URL = fake_api.url + "/tg"
    settings.WHATSAPP_TOKEN = "wa-token"
    settings.WHATSAPP_PHONE_NUMBER_ID = "PNID"
    settings.WHATSAPP_APP_SECRET = "wa-app-secret"
    settings.WHATSAPP_VERIFY_TOKEN = "wa-verify"
    settings.WHATSAPP_API_URL = fake_api.url + "/graph"
    return fake_api
