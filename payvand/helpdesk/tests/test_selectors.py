"""Reads: who sees which ticket, the ticket list's filters and keyset pagination, cartable counts, query counts."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from payvand.accounts.models import Team, User
from payvand.contacts.models import Contact
from payvand.core.errors import NotFound, PermissionDenied, ValidationFailed
from payvand.helpdesk import selectors, services
from payvand.helpdesk.models import Message, StatusCategory, TeamSettings, Ticket
from payvand.helpdesk.tests.factories import CategoryFactory, TicketFactory, TicketTypeFactory, status_for
from payvand.helpdesk.tests.services_support import detail, ticket_new
from payvand.projects.models import Project

pytestmark = pytest.mark.django_db


@pytest.fixture
def ticket_a(agent_a: User, customer_x: Contact, team_a: Team) -> Ticket:
    return ticket_new(by=agent_a, requester=customer_x, team=team_a, assignee=agent_a, subject="Team A ticket")


def _ids(page: selectors.Page) -> list[int]:
    return [t.pk for t in page.items]


# ---------------------------------------------------------------------------------------------- visibility


def test_an_agent_of_another_team_gets_not_found(ticket_a: Ticket, agent_b: User):
    with pytest.raises(NotFound):
        selectors.ticket_get_for_user(user=agent_b, ticket_id=ticket_a.pk)
    with pytest.raises(NotFound):
        detail(user=agent_b, ticket_id=ticket_a.pk)
    assert ticket_a not in selectors.ticket_queryset_for_user(user=agent_b)
    assert selectors.ticket_page(user=agent_b).items == []


def test_an_outsider_is_refused(ticket_a: Ticket, outsider: User):
    with pytest.raises(PermissionDenied):
        selectors.ticket_get_for_user(user=outsider, ticket_id=ticket_a.pk)
    with pytest.raises(PermissionDenied):
        selectors.ticket_page(user=outsider)
    with pytest.raises(PermissionDenied):
        selectors.cartable_counts(user=outsider)
    assert selectors.tickets_for_contact(user=outsider, contact_id=ticket_a.requester_id) == []


def test_a_dispatcher_sees_everything(ticket_a: Ticket, dispatcher: User, customer_y: Contact):
    unrouted = ticket_new(by=None, requester=customer_y)
    assert set(selectors.ticket_queryset_for_user(user=dispatcher)) == {ticket_a, unrouted}
    assert selectors.ticket_get_for_user(user=dispatcher, ticket_id=unrouted.pk) == unrouted


def test_a_task_for_them_makes_it_visible(ticket_a: Ticket, agent_a: User, agent_b: User):
    services.task_create(ticket=ticket_a, by=agent_a, title="Check", assignee=agent_b)
    assert selectors.ticket_get_for_user(user=agent_b, ticket_id=ticket_a.pk) == ticket_a


def test_a_task_for_their_team_makes_it_visible(ticket_a: Ticket, agent_a: User, agent_b: User, team_b: Team):
    services.task_create(ticket=ticket_a, by=agent_a, title="Check", team=team_b)
    assert selectors.ticket_get_for_user(user=agent_b, ticket_id=ticket_a.pk) == ticket_a


def test_a_referral_to_them_makes_it_visible(ticket_a: Ticket, agent_a: User, agent_b: User):
    referral = services.ticket_refer(ticket=ticket_a, by=agent_a, to_user=agent_b)
    services.referral_respond(referral=referral, by=agent_b, accept=False)
    # returned, back in team A: agent B still sees the ticket they were asked about
    assert selectors.ticket_get_for_user(user=agent_b, ticket_id=ticket_a.pk) == ticket_a


def test_watching_makes_it_visible(ticket_a: Ticket, agent_a: User, agent_b: User):
    services.ticket_update(ticket=ticket_a, by=agent_a, watchers=[agent_b])
    assert selectors.ticket_get_for_user(user=agent_b, ticket_id=ticket_a.pk) == ticket_a


def test_project_members_see_its_tickets(agent_b: User, customer_x: Contact):
    project = Project.objects.create(name="Rollout", code="P1")
    project.members.add(agent_b)
    ticket = ticket_new(by=None, requester=customer_x, project=project)
    assert list(selectors.ticket_queryset_for_user(user=agent_b)) == [ticket]


def test_visibility_never_repeats_a_ticket(ticket_a: Ticket, agent_a: User, agent_b: User, team_b: Team):
    services.task_create(ticket=ticket_a, by=agent_a, title="One", assignee=agent_b)
    services.task_create(ticket=ticket_a, by=agent_a, title="Two", team=team_b)
    services.ticket_update(ticket=ticket_a, by=agent_a, watchers=[agent_b])
    assert list(selectors.ticket_queryset_for_user(user=agent_b)) == [ticket_a]
    assert selectors.ticket_page(user=agent_b, with_count=True).count == 1


def test_bad_ids_and_actions(ticket_a: Ticket, agent_a: User):
    with pytest.raises(NotFound):
        selectors.ticket_get_for_user(user=agent_a, ticket_id="abc")  # type: ignore[arg-type]
    with pytest.raises(NotFound):
        selectors.ticket_get_for_user(user=agent_a, ticket_id=10**12)
    with pytest.raises(PermissionDenied):
        selectors.ticket_get_for_user(user=agent_a, ticket_id=ticket_a.pk, action="merge")
    assert selectors.ticket_get_by_reference(user=agent_a, reference=f"#{ticket_a.number}") == ticket_a
    persian = str(ticket_a.number).translate(str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹"))
    assert selectors.ticket_get_by_reference(user=agent_a, reference=persian) == ticket_a
    with pytest.raises(NotFound):
        selectors.ticket_get_by_reference(user=agent_a, reference="#")


# ---------------------------------------------------------------------------------------------- detail


def test_detail_shows_the_thread_tasks_time_and_watchers(ticket_a: Ticket, agent_a: User, supervisor: User):
    reply = services.message_add(ticket=ticket_a, by=agent_a, body="Reply")
    note = services.message_add(ticket=ticket_a, by=agent_a, body="Note", kind=Message.Kind.NOTE)
    services.message_add(ticket=ticket_a, by=supervisor, body="Not mine", is_draft=True)
    task = services.task_create(ticket=ticket_a, by=agent_a, title="Visit")
    services.worklog_add(ticket=ticket_a, by=agent_a, minutes=20, task=task)
    services.worklog_add(ticket=ticket_a, by=agent_a, minutes=25)
    services.ticket_watch(ticket=ticket_a, by=supervisor)
    shown = detail(user=agent_a, ticket_id=ticket_a.pk)
    assert shown.thread == [reply, note]
    assert shown.task_list == [task]
    assert shown.minutes_total == 45
    assert shown.watcher_list == [supervisor]
    assert selectors.time_by_user_for_ticket(ticket=ticket_a) == [
        {"user_id": agent_a.pk, "user__full_name": agent_a.full_name, "user__email": agent_a.email, "minutes": 45}
    ]


def _add_messages(ticket: Ticket, by: User, n: int) -> None:
    for i in range(n):
        message = services.message_add(
            ticket=ticket,
            by=by,
            body=f"Message {i}",
            kind=Message.Kind.NOTE,
            attachments=[SimpleUploadedFile(f"f{i}.txt", b"hello")],
        )
        services.task_create(ticket=ticket, by=by, title=f"Task {i}")
        services.worklog_add(ticket=ticket, by=by, minutes=5)
        assert message.attachments.count() == 1


def test_detail_takes_the_same_number_of_queries_whatever_the_thread(
    agent_a: User, customer_x: Contact, team_a: Team, django_assert_num_queries: Any
):
    small = ticket_new(by=agent_a, requester=customer_x, team=team_a)
    big = ticket_new(by=agent_a, requester=customer_x, team=team_a)
    _add_messages(small, agent_a, 1)
    _add_messages(big, agent_a, 15)

    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    fresh = User.objects.get(pk=agent_a.pk)
    detail(user=fresh, ticket_id=small.pk)  # warm the user's permission cache
    with CaptureQueriesContext(connection) as small_queries:
        shown = detail(user=fresh, ticket_id=small.pk)
        [a.name for m in shown.thread for a in m.attachments.all()]
        [(t.assignee, t.team) for t in shown.task_list]
    with django_assert_num_queries(len(small_queries)):
        shown = detail(user=fresh, ticket_id=big.pk)
        assert len([a.name for m in shown.thread for a in m.attachments.all()]) == 15
        [(t.assignee, t.team) for t in shown.task_list]
    assert len(small_queries) <= 12


# ---------------------------------------------------------------------------------------------- filters


def test_filters(agent_a: User, customer_x: Contact, customer_y: Contact, team_a: Team, dispatcher: User):
    hardware = TicketTypeFactory.create()
    billing = CategoryFactory.create()
    project = Project.objects.create(name="Rollout", code="P2")
    printer = ticket_new(
        by=agent_a,
        requester=customer_x,
        team=team_a,
        assignee=agent_a,
        subject="Printer jammed",
        priority=4,
        type=hardware,
        channel="phone",
        tags=["hw"],
    )
    invoice = ticket_new(
        by=agent_a,
        requester=customer_y,
        team=team_a,
        subject="Invoice wrong",
        category=billing,
        project=project,
        channel="email",
        due_at=timezone.now() - dt.timedelta(hours=1),
    )
    closed = ticket_new(by=agent_a, requester=customer_x, team=team_a, subject="Old printer question")
    services.ticket_close(ticket=closed, by=dispatcher)

    def ids(**filters: Any) -> set[int]:
        return set(_ids(selectors.ticket_page(user=agent_a, filters=filters)))

    assert ids() == {printer.pk, invoice.pk, closed.pk}
    assert ids(list="mine") == {printer.pk}
    assert ids(list="team") == {printer.pk, invoice.pk}
    assert ids(list="unassigned") == {invoice.pk}
    assert ids(list="overdue") == {invoice.pk}
    assert ids(list="closed") == {closed.pk}
    assert ids(status="active") == {printer.pk, invoice.pk}
    assert ids(status=StatusCategory.CLOSED) == {closed.pk}
    assert ids(status=str(status_for(StatusCategory.CLOSED).pk)) == {closed.pk}
    assert ids(team=team_a.pk) == {printer.pk, invoice.pk, closed.pk}
    assert ids(team="none") == set()
    assert ids(assignee="me") == {printer.pk}
    assert ids(assignee="none") == {invoice.pk, closed.pk}
    assert ids(assignee=str(agent_a.pk)) == {printer.pk}
    assert ids(requester=customer_y.pk) == {invoice.pk}
    assert ids(project=project.pk) == {invoice.pk}
    assert ids(priority="4") == {printer.pk}
    assert ids(priority="۴") == {printer.pk}  # Persian digits
    assert ids(type=hardware.pk) == {printer.pk}
    assert ids(category=billing.pk) == {invoice.pk}
    assert ids(channel="email") == {invoice.pk}
    assert ids(tag="hw") == {printer.pk}
    assert ids(search="printer") == {printer.pk, closed.pk}
    assert ids(search="printer jammed") == {printer.pk}
    assert ids(search=f"#{invoice.number}") == {invoice.pk}
    assert ids(search="nothing-like-this") == set()


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"filters": {"priority": "high"}}, "priority"),
        ({"filters": {"team": "x"}}, "team"),
        ({"filters": {"status": "zzz"}}, "status"),
        ({"filters": {"list": "everything"}}, "list"),
        ({"filters": {"channel": "pigeon"}}, "channel"),
        ({"filters": {"form.serial": "AB"}}, "form.serial"),
        ({"sort": "random"}, "sort"),
        ({"limit": 0}, "limit"),
        ({"limit": 201}, "limit"),
        ({"cursor": "not-a-cursor"}, "cursor"),
        ({"cursor": "WzEsMiwzXQ"}, "cursor"),  # [1,2,3]
        ({"cursor": "WyJ4IiwgMV0"}, "cursor"),  # ["x", 1]: not a time
        ({"cursor": "WyIyMDI0LTAxLTAxVDAwOjAwOjAwKzAwOjAwIiwgInkiXQ"}, "cursor"),  # pk is not a number
    ],
)
def test_bad_list_input_is_a_422(ticket_a: Ticket, agent_a: User, kwargs: dict[str, Any], field: str):
    with pytest.raises(ValidationFailed) as exc:
        selectors.ticket_page(user=agent_a, **kwargs)
    assert exc.value.status == 422
    assert [e.field for e in exc.value.errors] == [field]


def test_form_value_filters_need_a_type_with_a_form(agent_a: User, customer_x: Contact, team_a: Team):
    forms_services = pytest.importorskip("payvand.forms.services")
    form = forms_services.form_create(
        by=None,
        name="Device",
        spec={
            "sections": [
                {
                    "title": "Device",
                    "fields": [
                        {"name": "serial", "kind": "text", "label": "Serial"},
                        {"name": "count", "kind": "number", "label": "Count"},
                    ],
                }
            ]
        },
    )
    device = TicketTypeFactory.create(form=form)
    plain = TicketTypeFactory.create()
    one = ticket_new(
        by=agent_a, requester=customer_x, team=team_a, type=device, form_values={"serial": "AB-1", "count": 2}
    )
    ticket_new(by=agent_a, requester=customer_x, team=team_a, type=device, form_values={"serial": "CD-2", "count": 9})

    page = selectors.ticket_page(user=agent_a, filters={"type": device.pk, "form.serial": "ab-1"})
    assert _ids(page) == [one.pk]
    page = selectors.ticket_page(user=agent_a, filters={"type": device.pk, "form.count__max": "۵"})
    assert _ids(page) == [one.pk]
    with pytest.raises(ValidationFailed) as exc:
        selectors.ticket_page(user=agent_a, filters={"type": plain.pk, "form.serial": "x"})
    assert [e.field for e in exc.value.errors] == ["form.serial"]
    with pytest.raises(ValidationFailed) as exc:
        selectors.ticket_page(user=agent_a, filters={"type": device.pk, "form.colour": "x"})
    assert [e.field for e in exc.value.errors] == ["form.colour"]


# ---------------------------------------------------------------------------------------------- keyset pagination


def _walk(user: User, sort: str, limit: int, filters: dict[str, Any] | None = None) -> list[int]:
    seen: list[int] = []
    cursor = None
    for _ in range(100):
        page = selectors.ticket_page(user=user, sort=sort, cursor=cursor, limit=limit, filters=filters)
        seen += _ids(page)
        cursor = page.next_cursor
        if cursor is None:
            return seen
    raise AssertionError("pagination did not end")


@pytest.mark.parametrize("sort", sorted(selectors.SORTS))
def test_pages_neither_repeat_nor_miss_tickets_with_equal_keys(agent_a: User, team_a: Team, sort: str):
    same_time = timezone.now().replace(microsecond=0)
    due = [None, same_time, same_time + dt.timedelta(hours=1)]
    tickets = TicketFactory.create_batch(23, team=team_a, priority=2)
    for i, ticket in enumerate(tickets):
        Ticket.objects.filter(pk=ticket.pk).update(
            updated_at=same_time, created_at=same_time, priority=1 + i % 2, due_at=due[i % 3]
        )
    field, desc = selectors.SORTS[sort]
    expected = sorted(
        Ticket.objects.all(),
        key=lambda t: (
            (getattr(t, field) is None) if field == "due_at" else False,
            _key(getattr(t, field), desc),
            -t.pk if desc else t.pk,
        ),
    )
    walked = _walk(agent_a, sort, 5)
    assert walked == [t.pk for t in expected]
    assert len(set(walked)) == 23


def _key(value: Any, desc: bool) -> Any:
    if value is None:
        return 0
    number = value.timestamp() if isinstance(value, dt.datetime) else value
    return -number if desc else number


def test_a_page_has_a_count_when_asked(ticket_a: Ticket, agent_a: User):
    page = selectors.ticket_page(user=agent_a, with_count=True, limit=1)
    assert (page.count, _ids(page), page.next_cursor) == (1, [ticket_a.pk], None)


def test_the_list_takes_a_bounded_number_of_queries(
    agent_a: User, team_a: Team, customer_x: Contact, django_assert_max_num_queries: Any
):
    for i in range(30):
        ticket_new(by=agent_a, requester=customer_x, team=team_a, assignee=agent_a, subject=f"T{i}")
    fresh = User.objects.get(pk=agent_a.pk)
    with django_assert_max_num_queries(6):
        page = selectors.ticket_page(user=fresh, filters={"list": "team"}, limit=25, with_count=True)
        [(t.requester.name, t.status.name, t.team.name, t.assignee.email) for t in page.items]
    assert len(page.items) == 25


# ---------------------------------------------------------------------------------------------- cartable


def test_cartable_counts(
    agent_a: User, agent_b: User, dispatcher: User, customer_x: Contact, team_a: Team, team_b: Team
):
    TeamSettings.objects.create(team=team_a, review_replies=True)
    mine = ticket_new(by=None, requester=customer_x, team=team_a, assignee=agent_a)
    ticket_new(by=None, requester=customer_x, team=team_a, due_at=timezone.now() - dt.timedelta(hours=1))
    ticket_new(by=None, requester=customer_x, team=team_b)
    done = ticket_new(by=None, requester=customer_x, team=team_a, assignee=agent_a)
    services.ticket_close(ticket=done, by=dispatcher)
    services.task_create(ticket=mine, by=dispatcher, title="Mine", assignee=agent_a)
    services.task_create(ticket=mine, by=dispatcher, title="Team's", team=team_a)
    services.message_add(ticket=mine, by=agent_a, body="Needs review")
    services.message_add(ticket=mine, by=agent_b, body="@agent.a@example.com look", kind=Message.Kind.NOTE)
    other = ticket_new(by=None, requester=customer_x, team=team_b)
    services.ticket_refer(ticket=other, by=dispatcher, to_user=agent_a)

    counts = selectors.cartable_counts(user=agent_a)
    assert counts == {
        "mine": 2,  # the one assigned at creation, and the referred one
        "team": 3,
        "unassigned": 1,
        "overdue": 1,
        "tasks": 2,
        "review": 0,  # an agent doesn't review
        "mentions": 1,
        "referrals": 1,
    }
    dispatcher_counts = selectors.cartable_counts(user=dispatcher)
    assert dispatcher_counts["review"] == 1
    assert dispatcher_counts["unassigned"] == 2  # every team's
    assert dispatcher_counts["team"] == 0  # the dispatcher is in no team


def test_my_tasks_and_requester_history(agent_a: User, agent_b: User, customer_x: Contact, team_a: Team):
    first = ticket_new(by=agent_a, requester=customer_x, team=team_a)
    second = ticket_new(by=agent_a, requester=customer_x, team=team_a)
    hidden = ticket_new(by=None, requester=customer_x)  # no team: agent A can't see it
    task = services.task_create(ticket=first, by=agent_a, title="Mine", assignee=agent_a)
    services.task_create(ticket=first, by=agent_a, title="Someone else's", assignee=agent_b)
    assert list(selectors.task_queryset_mine(user=agent_a)) == [task]
    history = selectors.requester_history(user=agent_a, ticket=first)
    assert history == [second]
    assert hidden not in selectors.tickets_for_contact(user=agent_a, contact_id=customer_x.pk)
