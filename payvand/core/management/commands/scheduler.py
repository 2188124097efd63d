from __future__ import annotations

import datetime as dt
import os
import signal
import socket
import time
from typing import Any

from django.core.management.base import BaseCommand

from payvand.core import scheduler


class Command(BaseCommand):
    help = "Enqueue periodic jobs when they are due. Safe to run twice: only the lease holder enqueues."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--interval", type=float, default=15.0, help="Seconds between checks.")
        parser.add_argument("--once", action="store_true", help="Check once and exit.")

    def handle(self, *args: Any, interval: float, once: bool, **options: Any) -> None:
        holder = f"{socket.gethostname()}:{os.getpid()}"
        stop = False

        def _stop(signum: int, frame: Any) -> None:
            nonlocal stop
            stop = True

        # Restored on the way out, so calling the command in-process (tests, call_command) leaves Ctrl-C working.
        previous = {sig: signal.signal(sig, _stop) for sig in (signal.SIGTERM, signal.SIGINT)}
        self.stdout.write(f"scheduler {holder} started")
        try:
            while not stop:
                if scheduler.lease_acquire(holder=holder, ttl=dt.timedelta(seconds=interval * 4)):
                    for name in scheduler.enqueue_due():
                        self.stdout.write(f"enqueued {name}")
                if once:
                    break
                deadline = time.monotonic() + interval
                while not stop and time.monotonic() < deadline:
                    time.sleep(0.2)
        finally:
            scheduler.lease_release(holder=holder)
            for sig, handler in previous.items():
                signal.signal(sig, handler)
            self.stdout.write("scheduler stopped")
