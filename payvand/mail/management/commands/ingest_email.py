"""`manage.py ingest_email --to ADDRESS [--create-mailbox] PATH...`: import .eml files, .mbox files and folders."""

from __future__ import annotations

import mailbox as mbox
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from payvand.core.errors import PayvandError
from payvand.mail.models import InboundEmail, Mailbox
from payvand.mail.services import inbound_process_batch, inbound_store_many, mailbox_create, mailbox_for_address

BATCH = 200


def _is_mbox(path: Path) -> bool:
    if path.suffix.lower() == ".mbox":
        return True
    with path.open("rb") as fh:
        return fh.read(5) == b"From "


def raw_messages(paths: list[Path]) -> Iterator[tuple[str, bytes]]:
    """(where, raw bytes) of every message under the paths: .eml files, mbox files, folders of either (recursive)."""
    for path in paths:
        if path.is_dir():
            yield from raw_messages(
                sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in (".eml", ".mbox", ".msg", ""))
            )
        elif not path.exists():
            raise CommandError(f"{path}: no such file or folder")
        elif _is_mbox(path):
            box = mbox.mbox(str(path), create=False)
            try:
                for n, key in enumerate(box.iterkeys()):
                    yield f"{path}#{n + 1}", box.get_bytes(key)
            finally:
                box.close()
        else:
            yield str(path), path.read_bytes()


class Command(BaseCommand):
    help = "Import .eml files, .mbox files and folders of them into a mailbox; each becomes a ticket message."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("paths", nargs="+", type=Path)
        parser.add_argument("--to", required=True, help="the mailbox's address")
        parser.add_argument("--create-mailbox", action="store_true", help="create the mailbox if it does not exist")
        parser.add_argument("--queue", action="store_true", help="only store; let the task worker process the messages")

    def handle(self, *args: Any, paths: list[Path], to: str, create_mailbox: bool, queue: bool, **options: Any) -> None:
        target: Mailbox | None = mailbox_for_address(to)
        if target is None:
            if not create_mailbox:
                raise CommandError(f"No mailbox has the address {to}; add --create-mailbox to create one.")
            try:
                target = mailbox_create(name=to, address=to)
            except PayvandError as exc:
                raise CommandError(f"{to}: {exc}; {'; '.join(e.message for e in exc.errors)}") from exc
        stored = duplicates = processed = failed = 0
        batch: list[tuple[str, bytes]] = []

        def flush() -> None:
            nonlocal stored, duplicates, processed, failed
            good = []
            for where, raw in batch:
                if not raw or raw.isspace():
                    self.stderr.write(f"{where}: empty, skipped")
                    failed += 1
                else:
                    good.append(raw)
            rows = inbound_store_many(mailbox=target, raws=good, source=InboundEmail.Source.FILE, enqueue=queue)
            new_ids = [row.pk for row, created in rows if created]
            stored += len(new_ids)
            duplicates += len(rows) - len(new_ids)
            if not queue and new_ids:
                processed += inbound_process_batch(inbound_ids=new_ids)
            batch.clear()

        for item in raw_messages(paths):
            batch.append(item)
            if len(batch) >= BATCH:
                flush()
        if batch:
            flush()
        unprocessable = stored - processed if not queue else 0
        self.stdout.write(
            f"stored {stored}, duplicates {duplicates}, processed {processed}, unprocessable {unprocessable}, "
            f"skipped {failed}"
        )
