"""Fault injection: a worker killed mid-processing (SIGKILL, in a real subprocess), the database failing during
processing, processing twice. After the restart every message is exactly one ticket message."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.db import OperationalError, connection

from payvand.helpdesk.models import Message, Ticket
from payvand.mail import services
from payvand.mail.models import InboundEmail, Mailbox

from .conftest import eml

ROOT = Path(settings.BASE_DIR)

KILLER = textwrap.dedent(
    """
    import os, sys
    import django
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "payvand.settings")
    django.setup()
    from payvand.mail import services

    real = services.message_add

    def killed(**kwargs):
        real(**kwargs)  # the ticket and the message are written, not committed
        os.kill(os.getpid(), 9)

    services.message_add = killed
    services.inbound_process(inbound_id=int(sys.argv[1]))
    """
)


def _database_url() -> str:
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    return f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def test_a_worker_killed_mid_processing_leaves_the_message_for_the_retry(transactional_db: None, team_a: Any) -> None:
    mailbox = Mailbox.objects.create(name="S", address="support@payvand.test", team=team_a)
    rows = services.inbound_store_many(
        mailbox=mailbox, raws=[eml(), eml(message_id="<m2@example.com>")], source="file", enqueue=False
    )
    victim = rows[0][0]
    env = {**os.environ, "DATABASE_URL": _database_url(), "PYTHONPATH": str(ROOT)}
    env.pop("PAYVAND_TEST_DB", None)
    result = subprocess.run(  # noqa: S603
        [sys.executable, "-c", KILLER, str(victim.pk)], cwd=ROOT, env=env, timeout=120, capture_output=True
    )
    assert result.returncode == -9, result.stderr.decode()[-2000:]
    victim.refresh_from_db()
    assert victim.status == InboundEmail.Status.RECEIVED
    assert Ticket.objects.count() == 0
    assert Message.objects.count() == 0
    # Restart: the retry job picks up everything left "received".
    assert services.inbound_retry_stale(older_than=dt.timedelta(0)) == 2
    assert services.inbound_retry_stale(older_than=dt.timedelta(0)) == 0
    assert Message.objects.count() == 2
    assert Ticket.objects.count() == 2
    assert set(InboundEmail.objects.values_list("status", flat=True)) == {"processed"}


@pytest.mark.django_db
def test_a_database_failure_during_processing_is_retried_and_makes_one_message(
    mailbox: Mailbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    row, _ = services.inbound_store(mailbox=mailbox, raw=eml(), source="smtp", enqueue=False)
    real = services.message_add
    calls = {"n": 0}

    def flaky(**kwargs: Any) -> Any:
        calls["n"] += 1
        message = real(**kwargs)
        if calls["n"] == 1:
            raise OperationalError("server closed the connection unexpectedly")
        return message

    monkeypatch.setattr(services, "message_add", flaky)
    with pytest.raises(OperationalError):
        services.inbound_process(inbound_id=row.pk)
    row.refresh_from_db()
    assert row.status == InboundEmail.Status.RECEIVED
    assert row.attempts == 1
    assert "OperationalError" in row.reason
    assert Ticket.objects.count() == 0
    services.inbound_process(inbound_id=row.pk)
    services.inbound_process(inbound_id=row.pk)  # a second worker, or a repeated task: nothing more
    row.refresh_from_db()
    assert row.status == InboundEmail.Status.PROCESSED
    assert Message.objects.count() == 1
    assert Ticket.objects.count() == 1


@pytest.mark.django_db
def test_a_message_that_keeps_failing_goes_to_the_unprocessable_list(
    mailbox: Mailbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    row, _ = services.inbound_store(mailbox=mailbox, raw=eml(), source="smtp", enqueue=False)

    def broken(**kwargs: Any) -> Any:
        raise OperationalError("database is locked")

    monkeypatch.setattr(services, "message_add", broken)
    for _ in range(services.MAX_ATTEMPTS):
        with pytest.raises(OperationalError):
            services.inbound_process(inbound_id=row.pk)
    row.refresh_from_db()
    assert row.status == InboundEmail.Status.UNPROCESSABLE
    assert row.attempts == services.MAX_ATTEMPTS
    assert bytes(row.raw) == eml()  # the raw message is still there, for the reprocess button


@pytest.mark.django_db
def test_a_batch_with_a_bad_message_processes_the_others(mailbox: Mailbox) -> None:
    rows = services.inbound_store_many(
        mailbox=mailbox,
        raws=[eml(), eml(sender="no address", message_id="<bad@x>"), eml(message_id="<m3@x>")],
        source="file",
        enqueue=False,
    )
    assert services.inbound_process_batch(inbound_ids=[r.pk for r, _c in rows]) == 2
    statuses = dict(InboundEmail.objects.values_list("message_id", "status"))
    assert statuses == {"<m1@example.com>": "processed", "<bad@x>": "unprocessable", "<m3@x>": "processed"}
    assert Message.objects.count() == 2
