from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from typing import Any

from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = (
        "Run the web server (uvicorn), the task worker and the scheduler together (and the SMTP listener when "
        "MAIL_SMTP_PORT is set). Ctrl-C stops them all."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
        parser.add_argument("--port", default=os.environ.get("PORT", "8000"))

    def handle(self, *args: Any, host: str, port: str, **options: Any) -> None:
        python = sys.executable
        commands = {
            "web": [python, "-m", "uvicorn", "payvand.asgi:application", "--host", host, "--port", str(port)],
            "worker": [python, "manage.py", "db_worker", "--interval", "1", "--no-reload"],
            "scheduler": [python, "manage.py", "scheduler"],
        }
        from django.conf import settings

        if settings.MAIL_SMTP_PORT:  # the SMTP listener of payvand.mail
            commands["smtp"] = [python, "manage.py", "smtp_listen"]
        procs = {name: subprocess.Popen(cmd) for name, cmd in commands.items()}
        self.stdout.write(self.style.SUCCESS(f"Payvand is running at http://{host}:{port}/ (Ctrl-C stops it)"))
        stopping = False

        def _stop(signum: int, frame: Any) -> None:
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGINT, _stop)
        signal.signal(signal.SIGTERM, _stop)
        try:
            while not stopping:
                for name, proc in procs.items():
                    if proc.poll() is not None:
                        self.stderr.write(f"{name} exited with {proc.returncode}; stopping the others")
                        stopping = True
                time.sleep(0.5)
        finally:
            for proc in procs.values():
                if proc.poll() is None:
                    proc.send_signal(signal.SIGTERM)
            deadline = time.monotonic() + 10
            for proc in procs.values():
                try:
                    proc.wait(timeout=max(0.1, deadline - time.monotonic()))
                except subprocess.TimeoutExpired:
                    proc.kill()
            self.stdout.write("stopped")
