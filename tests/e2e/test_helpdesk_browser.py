"""End to end in a real browser, with live updates over a real WebSocket (issue 3, "Must show").

A dispatcher refers a ticket of another team to agent A; A's cartable, open in another browser, shows it without a
reload. A accepts the referral, adds a task for agent C (whose "My tasks" list shows it live too) and logs 30
minutes. A has no closing right: posting the close form is refused with a clear message and the ticket stays open,
so A proposes a resolution instead. C finishes the task; the supervisor closes the ticket. The database then holds
the closed ticket, the task, the work log and the Events of every step.

The pages are served by the ASGI app under uvicorn (`asgi_server`), because pytest-django's live server has no
WebSockets. The flow runs once in English and once in Persian (right to left, Jalali dates, Persian digits), with
full-page screenshots in test-artifacts/screenshots/ (helpdesk-*-en.png, helpdesk-*-fa.png, and the cartable and
the ticket page on a 360×740 phone in fa).
"""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo
from typing import Any

import jdatetime
import pytest
from django.contrib.contenttypes.models import ContentType
from django.utils import timezone, translation
from django.utils.translation import gettext

from payvand.accounts import roles
from payvand.accounts.models import Team, User
from payvand.accounts.services import roles_ensure, team_add_member, user_create
from payvand.contacts.services import contact_create
from payvand.core.models import Event
from payvand.helpdesk.models import Referral, StatusCategory, Task, Ticket, WorkLog
from payvand.helpdesk.services import ticket_create
from tests.e2e.conftest import PageProblems, assert_no_horizontal_overflow, sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

REFUSED = "You may not close this ticket; propose a resolution instead."
PERSIAN_DIGITS = str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")
# Written out here rather than taken from payvand.core.localization, so that the test checks the page independently.
JALALI_MONTHS_FA = [
    "فروردین",
    "اردیبهشت",
    "خرداد",
    "تیر",
    "مرداد",
    "شهریور",
    "مهر",
    "آبان",
    "آذر",
    "دی",
    "بهمن",
    "اسفند",
]

TEXT = {
    "en": {
        "subject": "The internet connection drops every evening",
        "note": "Please check the line; the customer has called three times.",
        "task": "Replace the modem at the customer's site",
        "worklog": "Line test and call with the customer",
        "proposal": "The modem was faulty; a technician replaces it.",
        "resolution": "Modem replaced, the line is stable.",
    },
    "fa": {
        "subject": "اینترنت هر شب قطع می‌شود",
        "note": "لطفاً خط را بررسی کنید؛ مشتری سه بار تماس گرفته است.",
        "task": "تعویض مودم در محل مشتری",
        "worklog": "تست خط و تماس با مشتری",
        "proposal": "مودم خراب بود؛ تکنسین آن را عوض می‌کند.",
        "resolution": "مودم تعویض شد و خط پایدار است.",
    },
}


def _seed(lang: str) -> dict[str, Any]:
    roles_ensure()
    team_a = Team.objects.create(name="Team A" if lang == "en" else "تیم الف", capacity=20, capacity_per_member=5)
    team_b = Team.objects.create(name="Team B" if lang == "en" else "تیم ب", capacity=20, capacity_per_member=5)

    def person(email: str, name: str, role: str, team: Team | None = None) -> User:
        user = user_create(email=email, password="pw-Secret-123", full_name=name, language=lang, role_names=[role])
        if team is not None:
            team_add_member(team=team, user=user, by=None)
        return user

    cast: dict[str, Any] = {
        "dispatcher": person("dispatcher@example.com", "Dana Dispatcher", roles.DISPATCHER),
        "agent_a": person("agent.a@example.com", "Arash Agent", roles.AGENT, team_a),
        "agent_c": person("agent.c@example.com", "Cyrus Colleague", roles.AGENT, team_a),
        "supervisor": person("supervisor@example.com", "Sima Supervisor", roles.SUPERVISOR),
        "other": person("agent.b@example.com", "Bela Other", roles.AGENT, team_b),
        "team_a": team_a,
    }
    requester = contact_create(
        by=None,
        name="Emma Johnson" if lang == "en" else "مریم احمدی",
        phones=["0912 123 4567"],
        emails=["customer@example.com"],
        allow_duplicates=True,
    )
    cast["ticket"] = ticket_create(
        by=cast["dispatcher"],
        subject=TEXT[lang]["subject"],
        description="…",
        requester=requester,
        team=team_b,
        route=False,
    )
    return cast


def _today_as_shown(lang: str, user: User) -> str:
    """Today's date as the page shows it to `user`: Jalali with Persian digits in fa, ISO in en."""
    today = timezone.now().astimezone(zoneinfo.ZoneInfo(user.time_zone)).date()
    if lang == "en":
        return today.isoformat()
    jd = jdatetime.date.fromgregorian(date=today)
    return f"{jd.day} {JALALI_MONTHS_FA[jd.month - 1]} {jd.year}".translate(PERSIAN_DIGITS)


def _assert_language(page: Any, lang: str) -> None:
    assert page.get_attribute("html", "lang") == lang
    assert page.get_attribute("html", "dir") == ("rtl" if lang == "fa" else "ltr")


def _reference_as_shown(ticket: Ticket, lang: str) -> str:
    return ticket.reference.translate(PERSIAN_DIGITS) if lang == "fa" else ticket.reference


def _open_panel(page: Any, form_id: str) -> None:
    """Open the <details> panel that holds a form of the ticket page."""
    page.locator(f"details:has(#{form_id}) > summary").click()
    page.wait_for_selector(f"#{form_id}", state="visible")


def _submit(page: Any, button: Any) -> None:
    with page.expect_navigation():
        button.click()
    page.wait_for_load_state("load")


def _live(page: Any) -> None:
    """The page's WebSocket to the server is open (live.js sets the hook on <html>)."""
    page.wait_for_selector("html[data-pv-live='open']", state="attached")


def _expected_refusal(problems: PageProblems, status: int, url: str) -> None:
    """The one refused request just made is the expected answer, not a problem of the page: forget it."""
    assert problems.failed == [f"{status} {url}"], problems.failed
    problems.failed.clear()
    console = f"the server responded with a status of {status}"
    assert [e for e in problems.console_errors if console in e], problems.console_errors
    problems.console_errors[:] = [e for e in problems.console_errors if console not in e]


def _events(ticket: Ticket) -> list[tuple[str, int | None]]:
    return list(
        Event.objects.filter(target_type=ContentType.objects.get_for_model(Ticket), target_id=str(ticket.pk))
        .order_by("pk")
        .values_list("verb", "actor_id")
    )


@pytest.mark.parametrize("lang", ["en", "fa"])
def test_it_refers_a_ticket_live_works_it_and_only_a_supervisor_closes_it(
    lang: str, asgi_server: str, new_page: Any, screenshot: Any
) -> None:
    base = asgi_server
    cast = _seed(lang)
    ticket: Ticket = cast["ticket"]
    agent_a, agent_c = cast["agent_a"], cast["agent_c"]
    text = TEXT[lang]
    ticket_url = f"{base}/tickets/{ticket.pk}/"
    problems = PageProblems()

    def browser_for(user: User, *, width: int = 1280, height: int = 900) -> Any:
        page = new_page(width=width, height=height, problems=problems)
        sign_in(page, user, base)
        return page

    # Agent A watches their cartable ("My tickets"); the ticket belongs to team B, so it is not there.
    agent = browser_for(agent_a)
    agent.goto(f"{base}/cartable/")
    _assert_language(agent, lang)
    _live(agent)
    assert agent.locator(f"[data-ticket-id='{ticket.pk}']").count() == 0
    agent.evaluate("window.pvNoReload = true")  # gone if the page were reloaded

    # Agent C watches "My tasks".
    colleague = browser_for(agent_c)
    colleague.goto(f"{base}/cartable/?list=tasks")
    _live(colleague)
    assert colleague.locator("#cartable-rows [data-task-id]").count() == 0
    colleague.evaluate("window.pvNoReload = true")

    # The dispatcher refers the ticket to agent A, with a note.
    dispatcher = browser_for(cast["dispatcher"])
    dispatcher.goto(ticket_url)
    _assert_language(dispatcher, lang)
    _open_panel(dispatcher, "refer-form")
    dispatcher.select_option("#refer-form select[name=to_user]", str(agent_a.pk))
    dispatcher.fill("#refer-form textarea[name=note]", text["note"])
    _submit(dispatcher, dispatcher.locator("#refer-form button[type=submit]"))
    assert dispatcher.url == ticket_url
    assert dispatcher.locator("#referrals .badge.text-bg-warning").count() == 1  # pending

    # Without a reload, the ticket appears in A's cartable, with its counter.
    row = agent.locator(f"#cartable-list [data-ticket-id='{ticket.pk}']")
    row.wait_for(state="visible")
    assert agent.evaluate("window.pvNoReload") is True
    assert text["subject"] in row.inner_text()
    assert _reference_as_shown(ticket, lang) in row.inner_text()
    assert _today_as_shown(lang, agent_a) in row.inner_text()  # updated just now, in the user's calendar
    agent.wait_for_function("document.querySelector('#cartable-count-mine')?.dataset.count === '1'")
    assert agent.inner_text("#cartable-count-mine").strip() == ("1" if lang == "en" else "۱")
    if lang == "fa":
        assert not re.search(r"[0-9]", row.inner_text()), row.inner_text()  # every digit in Persian
    screenshot(agent, f"helpdesk-cartable-live-{lang}")

    # A opens it and accepts the referral.
    _submit(agent, row.locator("a").first)
    assert agent.url == ticket_url
    _assert_language(agent, lang)
    assert text["note"] in agent.inner_text("#referrals")
    _submit(agent, agent.locator(".referral-answer button[value=accept]"))
    assert agent.locator("#referrals .badge.text-bg-success").count() == 1
    assert Referral.objects.get(ticket=ticket).state == Referral.State.ACCEPTED

    # A adds a task for C ...
    _open_panel(agent, "task-form")
    agent.fill("#task-form input[name=title]", text["task"])
    agent.select_option("#task-form select[name=assignee]", str(agent_c.pk))
    _submit(agent, agent.locator("#task-form button[type=submit]"))
    task = Task.objects.get(ticket=ticket)
    assert (task.assignee_id, task.created_by_id, task.state) == (agent_c.pk, agent_a.pk, Task.State.OPEN)
    assert text["task"] in agent.inner_text(f"#task-{task.pk}")

    # ... which C's "My tasks" shows at once, without a reload.
    task_row = colleague.locator(f"#cartable-list [data-task-id='{task.pk}']")
    task_row.wait_for(state="visible")
    assert colleague.evaluate("window.pvNoReload") is True
    assert text["task"] in task_row.inner_text()
    screenshot(colleague, f"helpdesk-tasks-live-{lang}")

    # ... and logs 30 minutes on it. (Typed in Latin digits in fa too: the field is an <input type=number>, which
    # Chromium leaves empty when Persian digits are typed.)
    _open_panel(agent, "worklog-form")
    agent.fill("#worklog-form input[name=minutes]", "30")
    agent.select_option("#worklog-form select[name=task]", str(task.pk))
    agent.fill("#worklog-form input[name=note]", text["worklog"])
    agent.check("#worklog-form input[name=billable]")
    _submit(agent, agent.locator("#worklog-form button[type=submit]"))
    thirty = "30".translate(PERSIAN_DIGITS) if lang == "fa" else "30"
    assert re.search(rf"(?<![0-9۰-۹]){thirty}(?![0-9۰-۹])", agent.inner_text("#minutes-total")), thirty
    assert text["worklog"] in agent.inner_text("#worklogs")
    screenshot(agent, f"helpdesk-ticket-work-{lang}")

    # A has no closing right: no Close button, and posting the close form anyway is refused.
    assert agent.locator("#close-form").count() == 0
    agent.evaluate(
        """(fields) => {
            const form = document.createElement('form');
            form.method = 'post';
            form.action = fields.action;
            const add = (name, value) => {
                const input = document.createElement('input');
                input.type = 'hidden'; input.name = name; input.value = value; form.append(input);
            };
            add('csrfmiddlewaretoken', document.querySelector('input[name=csrfmiddlewaretoken]').value);
            add('close-version', document.getElementById('ticket').dataset.version);
            add('close-resolution', fields.resolution);
            document.body.append(form);
            form.submit();
        }""",
        {"action": f"/tickets/{ticket.pk}/close/", "resolution": text["resolution"]},
    )
    agent.wait_for_selector("#ticket-error")
    with translation.override(lang):  # the message in the user's language (as far as locale/ translates it)
        assert gettext(REFUSED) in agent.inner_text("#ticket-error")
    _expected_refusal(problems, 403, f"{base}/tickets/{ticket.pk}/close/")
    _assert_language(agent, lang)
    screenshot(agent, f"helpdesk-close-refused-{lang}")
    ticket.refresh_from_db()
    assert ticket.status_category in (StatusCategory.NEW, StatusCategory.OPEN)
    assert ticket.closed_at is None

    # C opens the task from their cartable and marks it done.
    _submit(colleague, task_row.locator("a").first)
    _assert_language(colleague, lang)
    colleague.select_option(f"#task-{task.pk} select[name=state]", Task.State.DONE)
    _submit(colleague, colleague.locator(f"#task-{task.pk} button[type=submit]"))
    task.refresh_from_db()
    assert task.state == Task.State.DONE

    # So A proposes a resolution, the way for an agent (now that the mandatory task is done).
    agent.goto(ticket_url)
    _open_panel(agent, "resolve-form")
    agent.fill("#resolve-form textarea[name=resolution]", text["proposal"])
    _submit(agent, agent.locator("#resolve-form button[type=submit]"))
    assert text["proposal"] in agent.inner_text("#proposed-resolution")

    # The supervisor closes the ticket; the proposed resolution is already in the form.
    supervisor = browser_for(cast["supervisor"])
    supervisor.goto(ticket_url)
    _open_panel(supervisor, "close-form")
    assert supervisor.input_value("#close-form textarea[name=close-resolution]") == text["proposal"]
    supervisor.fill("#close-form textarea[name=close-resolution]", text["resolution"])
    _submit(supervisor, supervisor.locator("#close-ticket"))
    assert supervisor.url == ticket_url
    assert text["resolution"] in supervisor.inner_text("#ticket-header")
    assert supervisor.locator("#close-form").count() == 0
    _assert_language(supervisor, lang)
    screenshot(supervisor, f"helpdesk-ticket-closed-{lang}")

    # The database: closed by the supervisor, with its task, its time and an Event for every step.
    ticket.refresh_from_db()
    assert ticket.status_category == StatusCategory.CLOSED
    assert ticket.closed_at is not None
    assert ticket.resolution == text["resolution"]
    assert (ticket.assignee_id, ticket.team_id) == (agent_a.pk, cast["team_a"].pk)
    worklog = WorkLog.objects.get(ticket=ticket)
    assert (worklog.user_id, worklog.minutes, worklog.billable, worklog.task_id, worklog.note) == (
        agent_a.pk,
        30,
        True,
        task.pk,
        text["worklog"],
    )
    events = _events(ticket)
    dispatcher_id, supervisor_id = cast["dispatcher"].pk, cast["supervisor"].pk
    for step in [
        ("ticket.referred", dispatcher_id),
        ("referral.accepted", agent_a.pk),
        ("task.created", agent_a.pk),
        ("worklog.added", agent_a.pk),
        ("ticket.resolution_proposed", agent_a.pk),
        ("task.done", agent_c.pk),
        ("ticket.closed", supervisor_id),
    ]:
        assert step in events, (step, events)
    verbs = [verb for verb, _actor in events]
    assert verbs.index("ticket.referred") < verbs.index("referral.accepted") < verbs.index("ticket.closed")
    assert ("ticket.closed", agent_a.pk) not in events
    assert verbs.count("ticket.closed") == 1

    # Outsiders: an agent of team B no longer sees the ticket (it moved to team A).
    outsider = browser_for(cast["other"])
    response = outsider.goto(ticket_url)
    assert response is not None
    assert response.status == 404
    _expected_refusal(problems, 404, ticket_url)

    if lang == "fa":
        # The cartable and the ticket page on a 360×740 phone, right to left: nothing wider than the screen.
        phone = browser_for(agent_a, width=360, height=740)
        phone.goto(f"{base}/cartable/?list=all")
        _assert_language(phone, lang)
        phone.locator(f"#cartable-list [data-ticket-id='{ticket.pk}']").wait_for()
        screenshot(phone, "helpdesk-cartable-fa-phone")
        assert_no_horizontal_overflow(phone)
        phone.goto(ticket_url)
        screenshot(phone, "helpdesk-ticket-fa-phone")
        assert_no_horizontal_overflow(phone)

    problems.assert_clean()
    assert dt.timedelta(0) <= timezone.now() - ticket.closed_at < dt.timedelta(minutes=5)
