"""Email in a real browser: an email thread on the ticket (channel badge, the quote folded away and opened with a
click, the inline image shown in place) and the unprocessable list with its reprocess button, in English and in
Persian (right to left, Jalali dates in Persian digits), on a desktop and a 360 px phone. Screenshots go to
test-artifacts/screenshots/mail-*.png."""

from __future__ import annotations

from pathlib import Path

import pytest

from payvand.accounts import roles
from payvand.accounts.models import Team
from payvand.accounts.services import roles_ensure, user_create
from payvand.helpdesk.models import Ticket
from payvand.mail.models import InboundEmail, Mailbox
from payvand.mail.services import inbound_store
from tests.e2e.conftest import PageProblems, assert_no_horizontal_overflow, sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

CORPUS = Path(__file__).resolve().parents[2] / "payvand" / "mail" / "tests" / "corpus"
PERSIAN_DIGITS = set("۰۱۲۳۴۵۶۷۸۹")


def _deliver(mailbox: Mailbox, name: str) -> InboundEmail:
    row, _created = inbound_store(mailbox=mailbox, raw=(CORPUS / f"{name}.eml").read_bytes(), source="file")
    row.refresh_from_db()
    return row


@pytest.mark.parametrize(("lang", "width"), [("en", 1280), ("fa", 1280), ("fa", 360)])
def test_an_email_thread_and_the_unprocessable_list(lang, width, live_server, new_page, screenshot):
    roles_ensure()
    team = Team.objects.create(name="Support")
    supervisor = user_create(
        email="sup@example.com",
        password="pw-Secret-123",
        full_name="Sima Supervisor",
        role_names=[roles.SUPERVISOR],
        language=lang,
    )
    mailbox = Mailbox.objects.create(name="Support", address="support@payvand.test", team=team)
    first = _deliver(mailbox, "01-gmail-new")
    _deliver(mailbox, "02-gmail-reply")
    pictures = _deliver(mailbox, "04-gmail-attachment-inline")
    persian = _deliver(mailbox, "03-gmail-persian-utf8")
    broken = _deliver(mailbox, "53-malformed-no-from")
    assert broken.status == InboundEmail.Status.UNPROCESSABLE

    problems = PageProblems()
    page = new_page(width=width, height=900, problems=problems)
    sign_in(page, supervisor, live_server.url)

    # The reply thread: the quote is folded, one click opens it.
    page.goto(f"{live_server.url}/tickets/{first.ticket_id}/")
    assert page.locator("html").get_attribute("dir") == ("rtl" if lang == "fa" else "ltr")
    thread = page.locator("#thread article.pv-message")
    assert thread.count() == 2
    reply = thread.nth(1)
    assert reply.locator(".pv-channel").inner_text().strip()
    details = reply.locator("div[dir='auto'] details")
    assert details.count() == 1
    assert not details.evaluate("d => d.open")
    assert not reply.get_by_text("I cannot log in to the portal since this morning").first.is_visible()
    details.locator("summary").click()
    assert details.evaluate("d => d.open")
    assert reply.get_by_text("I cannot log in to the portal since this morning").first.is_visible()
    assert_no_horizontal_overflow(page)
    screenshot(page, f"mail-thread-{lang}-{width}")

    # The inline image is shown in place (loaded from the stored attachment), the other file is listed.
    page.goto(f"{live_server.url}/tickets/{pictures.ticket_id}/")
    image = page.locator("#thread article.pv-message img").first
    image.wait_for()
    assert image.evaluate("img => img.complete && img.naturalWidth") == 1
    assert page.get_by_text("invoice-2026-118.pdf").count() >= 1
    assert_no_horizontal_overflow(page)

    # A Persian message reads right to left.
    page.goto(f"{live_server.url}/tickets/{persian.ticket_id}/")
    body = page.locator("#thread article.pv-message div[dir='auto']").first
    assert body.evaluate("el => getComputedStyle(el).direction") == "rtl"
    assert_no_horizontal_overflow(page)
    screenshot(page, f"mail-persian-{lang}-{width}")

    # The unprocessable list, and reprocessing from it.
    page.goto(f"{live_server.url}/mail/inbound/")
    row = page.locator(f"#inbound-{broken.pk}")
    assert row.count() == 1
    received = row.locator(".received").inner_text()
    if lang == "fa":
        assert PERSIAN_DIGITS & set(received), received
    assert_no_horizontal_overflow(page)
    screenshot(page, f"mail-unprocessable-{lang}-{width}")
    InboundEmail.objects.filter(pk=broken.pk).update(raw=(CORPUS / "12-apple-new.eml").read_bytes())
    row.locator("button.reprocess").click()
    page.wait_for_load_state()
    broken.refresh_from_db()
    assert broken.status == InboundEmail.Status.PROCESSED
    assert page.locator(f"#inbound-{broken.pk}").count() == 0
    assert Ticket.objects.filter(pk=broken.ticket_id).exists()
    problems.assert_clean()
