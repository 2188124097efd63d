from __future__ import annotations

import signal
import threading
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand

from payvand.mail.smtpd import controller


class Command(BaseCommand):
    help = "Run the SMTP listener: accepts mail for the configured mailboxes' addresses, 550 for any other."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--host", default=settings.MAIL_SMTP_HOST)
        parser.add_argument("--port", type=int, default=settings.MAIL_SMTP_PORT or 2525)

    def handle(self, *args: Any, host: str, port: int, **options: Any) -> None:
        server = controller(host=host, port=port)
        server.start()
        self.stdout.write(self.style.SUCCESS(f"SMTP listener on {host}:{port} (Ctrl-C stops it)"))
        stop = threading.Event()
        signal.signal(signal.SIGINT, lambda *_a: stop.set())
        signal.signal(signal.SIGTERM, lambda *_a: stop.set())
        try:
            stop.wait()
        finally:
            server.stop()
            self.stdout.write("stopped")
