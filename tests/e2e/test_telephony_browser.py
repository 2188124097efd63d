"""The screen-pop in a real browser: a call event posted to the running ASGI server reaches the agent's open page
over the live WebSocket, which opens the caller's 360° page with the call banner and its flags. Once in English and
once in Persian, with screenshots (test-artifacts/screenshots/telephony-pop-*.png). The time from posting the event
to the banner with the flags on screen is printed (the issue asks for under one second); the test waits up to 5 s,
as browser tests here are not timed."""

from __future__ import annotations

import json
import time
import urllib.request
from typing import Any

import pytest
from django.contrib.auth.models import Permission

from payvand.accounts import roles
from payvand.accounts.models import Team
from payvand.accounts.services import api_token_create, roles_ensure, team_add_member, user_create
from payvand.cases.models import CaseTemplate
from payvand.contacts.models import FlagType
from payvand.contacts.services import contact_create, contact_flag_add
from payvand.helpdesk.models import TicketType
from payvand.helpdesk.services import ticket_create
from tests.e2e.conftest import PageProblems, sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def _post(base: str, token: str, body: dict[str, Any]) -> int:
    request = urllib.request.Request(  # noqa: S310 - the test server on 127.0.0.1
        f"{base}/api/v1/telephony/events",
        data=json.dumps(body).encode(),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
        return int(response.status)


@pytest.mark.parametrize("lang", ["en", "fa"])
def test_a_ringing_call_pops_the_callers_360_page_with_flags(lang, asgi_server, new_page, screenshot):
    base = asgi_server
    roles_ensure()
    agent = user_create(
        email=f"agent.{lang}@example.com",
        password="pw-Secret-123",
        full_name="Agent Tel",
        role_names=[roles.AGENT],
        language=lang,
    )
    agent.extension = "201"
    agent.save(update_fields=["extension"])
    team_add_member(team=Team.objects.create(name="Support"), user=agent, by=None)
    pbx = user_create(email="pbx@example.com", password="pw-Secret-123", full_name="PBX", role_names=[])
    pbx.user_permissions.add(Permission.objects.get(codename="post_events"))
    _token, raw = api_token_create(user=pbx, name="pbx")
    caller = contact_create(
        by=None,
        name="سارا محمدی" if lang == "fa" else "Sara Mohammadi",
        phones=["+98 912 555 0101"],
        allow_duplicates=True,
    )
    vip = FlagType.objects.create(name="VIP", colour="#b8860b", severity=2)
    arrears = FlagType.objects.create(name="Payment arrears", colour="#dc3545", severity=3)
    contact_flag_add(contact=caller, flag_type=arrears, note="2 invoices", by=None)
    contact_flag_add(contact=caller, flag_type=vip, by=None)
    ticket_create(by=agent, subject="Router keeps rebooting", requester=caller)
    case = CaseTemplate.objects.create(
        name="Router fault", button="Report a router fault", ticket_type=TicketType.objects.create(name="Router")
    )

    problems = PageProblems()
    page = new_page(problems=problems)
    sign_in(page, agent, base)
    page.goto(f"{base}/cartable/")
    assert page.get_attribute("html", "dir") == ("rtl" if lang == "fa" else "ltr")
    page.wait_for_selector("html[data-pv-live='open']", state="attached")

    started = time.monotonic()
    assert (
        _post(base, raw, {"event": "ringing", "call_id": f"e2e-{lang}", "caller": "۰۹۱۲۵۵۵۰۱۰۱", "extension": "201"})
        == 201
    )
    page.wait_for_url(f"**/contacts/{caller.pk}/?call=*", timeout=5000)
    flags = page.locator("#pv-call-banner-slot #call-banner-flags")
    flags.wait_for(state="visible", timeout=5000)
    elapsed = time.monotonic() - started
    print(f"screen-pop ({lang}): event posted → banner with flags shown in {elapsed * 1000:.0f} ms")
    assert "Payment arrears" in flags.inner_text()
    assert "VIP" in flags.inner_text()
    assert "Router keeps rebooting" in page.locator("#call-banner-tickets").inner_text()
    case_button = page.locator(f"#pv-call-banner-slot #call-banner-cases a[data-case='{case.pk}']")
    assert "Report a router fault" in case_button.inner_text()
    assert "?call=" in (case_button.get_attribute("href") or "")
    assert page.locator("#pv-call-banner-slot #call-banner-appointment").count() == 1
    number = page.locator("#call-banner-number").inner_text()
    assert ("۹۱۲" in number) if lang == "fa" else ("912" in number)
    screenshot(page, f"telephony-pop-{lang}")

    # Log the call from the banner: back on the same page, with the note kept.
    page.fill("#pv-call-banner-slot textarea[name=note]", "Asked about the router")
    page.locator("#pv-call-banner-slot form[id^=call-log-form] button[type=submit]").click()
    page.wait_for_load_state("load")
    page.locator("#pv-call-banner-slot #call-banner-flags").wait_for(state="visible")
    assert page.locator("#pv-call-banner-slot textarea[name=note]").input_value() == "Asked about the router"

    # An unknown caller: the pop shows the quick-create form, prefilled, in whatever page is open.
    page.goto(f"{base}/tickets/")
    page.wait_for_selector("html[data-pv-live='open']", state="attached")
    assert (
        _post(
            base, raw, {"event": "ringing", "call_id": f"e2e-u-{lang}", "caller": "+36 1 234 5678", "extension": "201"}
        )
        == 201
    )
    page.locator("#pv-call-pop #call-quick-contact").wait_for(state="visible", timeout=5000)
    assert page.locator("#pv-call-pop #call-quick-contact input[readonly]").input_value() == "+36 1 234 5678"
    screenshot(page, f"telephony-pop-unknown-{lang}")
    problems.assert_clean()
