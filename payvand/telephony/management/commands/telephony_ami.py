"""`manage.py telephony_ami`: connect to Asterisk's Manager Interface and turn its events into call events."""

from __future__ import annotations

import asyncio
import signal
from typing import Any

from asgiref.sync import sync_to_async
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from payvand.accounts.models import User
from payvand.telephony import services
from payvand.telephony.ami import AmiConnector, CallTracker


def _record(**event: Any) -> None:
    services.call_event_record(**event)


def _agent_extensions() -> set[str]:
    return set(User.objects.exclude(extension="").values_list("extension", flat=True))


class Command(BaseCommand):
    help = "Listen to Asterisk (AMI) and record its calls; reconnects with backoff. Settings: TELEPHONY_AMI_*."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--host", default=settings.TELEPHONY_AMI_HOST)
        parser.add_argument("--port", type=int, default=settings.TELEPHONY_AMI_PORT)

    def handle(self, *args: Any, host: str, port: int, **options: Any) -> None:
        if not host or not settings.TELEPHONY_AMI_USER:
            raise CommandError("Set TELEPHONY_AMI_HOST, TELEPHONY_AMI_USER and TELEPHONY_AMI_SECRET.")
        asyncio.run(self._run(host, port))

    async def _run(self, host: str, port: int) -> None:
        extensions: set[str] = await sync_to_async(_agent_extensions)()
        connector = AmiConnector(
            host=host,
            port=port,
            username=settings.TELEPHONY_AMI_USER,
            secret=settings.TELEPHONY_AMI_SECRET,
            sink=sync_to_async(_record),
            tracker=CallTracker(lambda: extensions),
        )
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, connector.stop)
        self.stdout.write(f"listening to AMI at {host}:{port}")
        await connector.run()
