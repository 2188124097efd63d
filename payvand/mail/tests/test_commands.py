from __future__ import annotations

import mailbox as mbox
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from payvand.helpdesk.models import Message, Ticket
from payvand.mail.models import InboundEmail, Mailbox

from .conftest import eml

pytestmark = pytest.mark.django_db


def _run(*args: str) -> str:
    out = StringIO()
    call_command("ingest_email", *args, stdout=out, stderr=StringIO())
    return out.getvalue()


def test_it_imports_eml_files_mbox_files_and_folders(tmp_path: Path, mailbox: Mailbox) -> None:
    (tmp_path / "one.eml").write_bytes(eml())
    folder = tmp_path / "folder" / "deeper"
    folder.mkdir(parents=True)
    (folder / "two.eml").write_bytes(eml(message_id="<m2@example.com>", subject="Second"))
    (folder / "again.eml").write_bytes(eml())  # the first message once more
    box = mbox.mbox(str(tmp_path / "archive.mbox"))
    box.add(eml(message_id="<m3@example.com>", subject="Third"))
    box.add(eml(message_id="<m4@example.com>", subject="Fourth"))
    box.flush()
    box.close()
    output = _run(
        "--to",
        "support@payvand.test",
        str(tmp_path / "one.eml"),
        str(tmp_path / "folder"),
        str(tmp_path / "archive.mbox"),
    )
    assert "stored 4, duplicates 1, processed 4, unprocessable 0" in output
    assert InboundEmail.objects.filter(source="file").count() == 4
    assert sorted(Ticket.objects.values_list("subject", flat=True)) == ["Fourth", "Printer broken", "Second", "Third"]
    assert Message.objects.count() == 4
    # Importing again changes nothing.
    assert "stored 0, duplicates 5" in _run("--to", "support@payvand.test", str(tmp_path))
    assert Message.objects.count() == 4


def test_it_creates_the_mailbox_only_when_asked(tmp_path: Path, db: None) -> None:
    (tmp_path / "one.eml").write_bytes(eml(to="new@payvand.test"))
    with pytest.raises(CommandError, match="--create-mailbox"):
        _run("--to", "new@payvand.test", str(tmp_path))
    assert Mailbox.objects.count() == 0
    assert "stored 1" in _run("--to", "new@payvand.test", "--create-mailbox", str(tmp_path))
    assert Mailbox.objects.get().address == "new@payvand.test"
    assert Ticket.objects.count() == 1


def test_it_refuses_bad_input(tmp_path: Path, mailbox: Mailbox) -> None:
    with pytest.raises(CommandError, match="no such file"):
        _run("--to", "support@payvand.test", str(tmp_path / "missing.eml"))
    with pytest.raises(CommandError):
        _run("--to", "not an address", "--create-mailbox", str(tmp_path))
    (tmp_path / "empty.eml").write_bytes(b"")
    assert "skipped 1" in _run("--to", "support@payvand.test", str(tmp_path))
    assert InboundEmail.objects.count() == 0


def test_it_only_stores_with_queue(tmp_path: Path, mailbox: Mailbox, django_capture_on_commit_callbacks: Any) -> None:
    (tmp_path / "one.eml").write_bytes(eml())
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        _run("--to", "support@payvand.test", "--queue", str(tmp_path))
    assert InboundEmail.objects.get().status == InboundEmail.Status.RECEIVED
    assert len(callbacks) == 1  # processing is queued after the commit
    assert Ticket.objects.count() == 0
