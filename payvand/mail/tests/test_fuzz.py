"""Fuzzing with hypothesis: random bytes and mutated real mails never crash the parser, and never cost the raw
message — it is stored byte for byte and ends processed or in the unprocessable list."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from payvand.mail import parsing, services
from payvand.mail.models import InboundEmail, Mailbox

CORPUS = sorted((Path(__file__).parent / "corpus").glob("*.eml"))
REAL = [p.read_bytes() for p in CORPUS]
FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
STORE = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)


@st.composite
def mutated(draw: st.DrawFn) -> bytes:
    """A real mail with a few bytes replaced, inserted or cut, or a header block shuffled."""
    raw = bytearray(draw(st.sampled_from(REAL)))
    for _ in range(draw(st.integers(1, 8))):
        if not raw:
            break
        pos = draw(st.integers(0, len(raw) - 1))
        op = draw(st.sampled_from(["replace", "insert", "delete", "truncate", "dup"]))
        chunk = draw(st.binary(min_size=1, max_size=12))
        if op == "replace":
            raw[pos : pos + len(chunk)] = chunk
        elif op == "insert":
            raw[pos:pos] = chunk
        elif op == "delete":
            del raw[pos : pos + len(chunk)]
        elif op == "truncate":
            del raw[pos:]
        else:
            raw[pos:pos] = raw[max(0, pos - 40) : pos]
    return bytes(raw)


interesting = st.one_of(
    st.binary(min_size=1, max_size=2000),
    mutated(),
    st.builds(
        lambda head, body: head + b"\r\n\r\n" + body,
        st.binary(max_size=300).map(lambda b: b"Subject: " + b + b"\r\nContent-Type: multipart/mixed; boundary=x"),
        st.binary(max_size=500),
    ),
)


@FUZZ
@given(raw=interesting)
# Found by this test: raw 8-bit bytes before an encoded word with a bad charset name, or with broken base64.
@example(raw=b"From: \xe9 =?\xff?q?x?=\r\nTo: a@b.c\r\n\r\nbody\r\n")
@example(raw=b"From: a@b.c\r\nTo: \xe9 =?utf-8?b?QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVphY?=\r\n\r\nbody\r\n")
def test_the_parser_never_raises(raw: bytes) -> None:
    parsed = parsing.parse(raw)
    assert isinstance(parsed.text, str)
    assert "\x00" not in parsed.text + parsed.html + parsed.subject + parsed.from_address
    assert len(parsed.subject) <= 300


@pytest.mark.django_db
@STORE
@given(raw=interesting)
def test_no_input_loses_the_raw_message(raw: bytes, mailbox: Mailbox) -> None:
    if not raw.strip():
        return  # refused with a 422 before anything is stored
    row, created = services.inbound_store(mailbox=mailbox, raw=raw, source="http", enqueue=False)
    services.inbound_process(inbound_id=row.pk)
    row.refresh_from_db()
    if created:
        assert bytes(row.raw) == raw
    else:  # the same Message-ID arrived before: that one message is kept
        assert row.key == (parsing.message_id_of(raw) or parsing.content_key(raw))
    assert row.status in (InboundEmail.Status.PROCESSED, InboundEmail.Status.UNPROCESSABLE)
    if row.status == InboundEmail.Status.UNPROCESSABLE:
        assert row.reason
