"""The corpus (corpus/NN-name.eml with NN-name.json beside it, written by corpus/make.py): every message is
delivered in order into one mailbox and must come out as its expectation says."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from payvand.contacts.models import Identity
from payvand.contacts.services import contact_create
from payvand.helpdesk.models import Message
from payvand.mail import parsing
from payvand.mail.models import InboundEmail, Mailbox, OutboundEmail

pytestmark = pytest.mark.django_db

CORPUS = Path(__file__).parent / "corpus"
FILES = sorted(CORPUS.glob("*.eml"))


def test_the_corpus_is_big_enough_and_every_message_has_an_expectation() -> None:
    assert len(FILES) >= 60
    for path in FILES:
        assert path.with_suffix(".json").exists(), path.name


@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
def test_the_parser_never_raises_and_reads_headers(path: Path) -> None:
    expect = json.loads(path.with_suffix(".json").read_text(encoding="utf-8"))
    parsed = parsing.parse(path.read_bytes())
    if "subject" in expect:
        assert parsed.subject == expect["subject"]
    if "from" in expect:
        assert parsed.from_address == expect["from"]
    if "bounced" in expect:
        assert parsed.bounced == expect["bounced"]
    if expect.get("html"):
        assert parsed.html
    assert "\x00" not in parsed.text + parsed.html + parsed.subject


def _check(
    name: str, expect: dict[str, Any], row: InboundEmail, created: bool, rows: dict[str, InboundEmail], acks_before: int
) -> None:
    status = expect.get("status", "processed")
    assert row.status == status, f"{name}: {row.status} {row.reason}"
    if "duplicate_of" in expect:
        assert not created
        assert row.pk == rows[expect["duplicate_of"]].pk
        return
    assert created
    assert row.kind == expect.get("kind", "")
    ticket = expect.get("ticket", "new")
    if ticket == "none":
        assert row.ticket_id is None
    elif ticket == "new":
        assert row.ticket_id is not None
        assert not any(r.ticket_id == row.ticket_id for r in rows.values())
    else:
        assert row.ticket_id == rows[ticket.split(":")[1]].ticket_id
    acks = OutboundEmail.objects.filter(kind=OutboundEmail.Kind.ACK).count() - acks_before
    assert acks == int(expect.get("ack", ticket == "new" and not expect.get("kind"))), name
    if row.ticket_message_id is None:
        return
    message = Message.objects.get(pk=row.ticket_message_id)
    for fragment in expect.get("text", []):
        assert fragment in message.body_text, f"{name}: {fragment!r} not in {message.body_text[:300]!r}"
    for fragment in expect.get("not_text", []):
        assert fragment not in message.body_text + message.body_html
    if "attachments" in expect:
        assert sorted(a.name for a in message.attachments.all()) == sorted(expect["attachments"])
    if "inline" in expect:
        assert message.body_html.count(f'src="/tickets/{message.ticket_id}/attachments/') == expect["inline"]
        assert "cid:" not in message.body_html
    if expect.get("folded"):
        assert "<details><summary>" in message.body_html
    assert "<script" not in message.body_html
    assert "onclick" not in message.body_html


def test_every_corpus_message_comes_out_as_expected(team_a: Any, django_capture_on_commit_callbacks: Any) -> None:
    mailbox = Mailbox.objects.create(name="Support", address="support@payvand.test", team=team_a)
    bouncing = contact_create(by=None, name="Gone", emails=["gone@example.com"], allow_duplicates=True)
    rows: dict[str, InboundEmail] = {}
    from payvand.mail.services import inbound_store

    for path in FILES:
        expect = json.loads(path.with_suffix(".json").read_text(encoding="utf-8"))
        acks_before = OutboundEmail.objects.filter(kind=OutboundEmail.Kind.ACK).count()
        with django_capture_on_commit_callbacks(execute=True):
            row, created = inbound_store(mailbox=mailbox, raw=path.read_bytes(), source="file")
        row.refresh_from_db()
        number = path.stem.split("-")[0]
        _check(path.stem, expect, row, created, rows, acks_before)
        rows.setdefault(number, row)
    assert Identity.objects.get(contact=bouncing).is_bouncing
    assert InboundEmail.objects.count() == len(FILES) - 2  # the two repeats are one message each
