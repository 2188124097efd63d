"""Seeding the helpdesk at scale: teams, agents, routing rules, then tickets with messages, tasks and worklogs.

`seed_helpdesk(tickets=N)` tops the database up to N tickets (5 messages each on average, one worklog, a task on
every fifth). Ticket i always gets the same data, and each batch commits on its own, so an interrupted seed resumes.
On PostgreSQL rows go in with COPY; elsewhere with bulk_create.
"""

from __future__ import annotations

import datetime as dt
import random
import sys
import time
from collections.abc import Callable, Iterator
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from payvand.accounts import roles
from payvand.accounts.models import Team, TeamMembership, User
from payvand.accounts.services import roles_ensure
from payvand.contacts.models import Contact
from payvand.helpdesk.models import (
    Category,
    Channel,
    Message,
    RoutingRule,
    Status,
    StatusCategory,
    Task,
    TeamSettings,
    Ticket,
    TicketCounter,
    WorkLog,
)

TEAMS = 20
AGENTS_PER_TEAM = 10
CATEGORIES = 40
MESSAGES_PER_TICKET = 5
# Share of tickets still being worked on (new, open, pending): a realistic backlog of 5 %.
ACTIVE_SHARE = 0.05
BASE_NUMBER = 10_000_000  # bench tickets: #10000000 upwards, far from the counter of a normal installation

WORDS_TEXT = (
    "internet slow outage invoice refund modem router fibre bill payment contract upgrade cancel address move "
    "password portal login collection bin missed repair technician visit appointment sms email delay error "
    "قطعی اینترنت صورتحساب مودم پرداخت قرارداد نصب تعمیر زباله "
    "internet lassú számla modem hiba szerződés fizetés javítás"
)
WORDS = WORDS_TEXT.split()


def _log(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


def ensure_staff() -> dict[str, Any]:
    """Teams with agents, a dispatcher and a supervisor, categories and one routing rule per category. Idempotent."""
    groups = roles_ensure()
    if Team.objects.filter(name="Bench team 00").exists():
        teams = list(Team.objects.filter(name__startswith="Bench team").order_by("name"))
    else:
        teams = []
        for t in range(TEAMS):
            team = Team.objects.create(name=f"Bench team {t:02d}", capacity=1_000_000, capacity_per_member=100_000)
            TeamSettings.objects.create(team=team, strategy=TeamSettings.Strategy.LEAST_LOADED)
            teams.append(team)
            for a in range(AGENTS_PER_TEAM):
                user = User.objects.create_user(
                    f"bench.agent.{t:02d}.{a:02d}@example.com", None, full_name=f"Agent {t}-{a}"
                )
                user.groups.add(groups[roles.AGENT])
                TeamMembership.objects.create(team=team, user=user)
        for email, role in (
            ("bench.dispatcher@example.com", roles.DISPATCHER),
            ("bench.supervisor@example.com", roles.SUPERVISOR),
        ):
            user = User.objects.create_user(email, None, full_name=role.title())
            user.groups.add(groups[role])
        for c in range(CATEGORIES):
            category = Category.objects.create(name=f"Bench category {c:02d}")
            RoutingRule.objects.create(name=f"Category {c:02d}", order=c, category=category, team=teams[c % TEAMS])
    return {
        "teams": teams,
        "members": {
            team.pk: list(
                TeamMembership.objects.filter(team=team).order_by("user_id").values_list("user_id", flat=True)
            )
            for team in teams
        },
        "categories": list(
            Category.objects.filter(name__startswith="Bench category").order_by("name").values_list("pk", flat=True)
        ),
        "statuses": {s.category: s.pk for s in Status.objects.filter(is_builtin=True)},
    }


def ticket_count() -> int:
    return Ticket.objects.filter(number__gte=BASE_NUMBER).count()


def _ticket_rows(
    start: int, stop: int, ctx: dict[str, Any], contact_ids: list[int], now: dt.datetime
) -> Iterator[dict[str, Any]]:
    teams = ctx["teams"]
    statuses = ctx["statuses"]
    for i in range(start, stop):
        rng = random.Random(i)
        team = teams[i % len(teams)]
        members = ctx["members"][team.pk]
        active = rng.random() < ACTIVE_SHARE
        category = (
            rng.choice(["new", "open", "open", "pending_customer"])
            if active
            else rng.choice(["closed", "closed", "resolved"])
        )
        created = now - dt.timedelta(seconds=(2_000_000 - i) * 45 + rng.randint(0, 3600))  # about 3 years
        updated = created + dt.timedelta(minutes=rng.randint(5, 60 * 24 * 5))
        subject = " ".join(rng.choice(WORDS) for _ in range(5))
        yield {
            "number": BASE_NUMBER + i,
            "subject": subject,
            "description": subject + " " + " ".join(rng.choice(WORDS) for _ in range(20)),
            "requester_id": contact_ids[rng.randrange(len(contact_ids))],
            "channel": rng.choice(Channel.values),
            "category_id": ctx["categories"][i % len(ctx["categories"])],
            "priority": rng.choice([1, 2, 2, 2, 3, 4]),
            "status_id": statuses[category],
            "status_category": category,
            "team_id": team.pk,
            "assignee_id": None if category == "new" and rng.random() < 0.5 else members[rng.randrange(len(members))],
            "created_at": created,
            "updated_at": updated,
            "due_at": created + dt.timedelta(days=3) if rng.random() < 0.3 else None,
            "first_response_at": created + dt.timedelta(minutes=rng.randint(5, 600)),
            "resolved_at": updated if category in ("resolved", "closed") else None,
            "closed_at": updated if category == "closed" else None,
            "search_text": subject,
        }


TICKET_COLUMNS = [
    "created_at",
    "updated_at",
    "number",
    "subject",
    "description",
    "requester_id",
    "organisation_id",
    "channel",
    "type_id",
    "category_id",
    "priority",
    "status_id",
    "status_category",
    "team_id",
    "assignee_id",
    "project_id",
    "form_values",
    "estimate_minutes",
    "due_at",
    "postponed_until",
    "version",
    "external_id",
    "merged_into_id",
    "cancel_reason",
    "resolution",
    "proposed_resolution",
    "created_by_id",
    "first_response_at",
    "resolved_at",
    "closed_at",
    "search_text",
    "minutes_spent",
]
TICKET_DEFAULTS = {
    "minutes_spent": 0,  # summed from the worklogs after each batch
    "organisation_id": None,
    "type_id": None,
    "project_id": None,
    "form_values": "{}",
    "estimate_minutes": None,
    "postponed_until": None,
    "version": 1,
    "external_id": "",
    "merged_into_id": None,
    "cancel_reason": "",
    "resolution": "",
    "proposed_resolution": "",
    "created_by_id": None,
}
MESSAGE_COLUMNS = [
    "ticket_id",
    "kind",
    "author_id",
    "author_contact_id",
    "channel",
    "body_text",
    "body_html",
    "is_draft",
    "review",
    "reviewed_by_id",
    "review_note",
    "external_id",
    "created_at",
    "sent_at",
]
WORKLOG_COLUMNS = ["ticket_id", "task_id", "user_id", "started_at", "minutes", "billable", "note", "created_at"]
TASK_COLUMNS = [
    "created_at",
    "updated_at",
    "ticket_id",
    "title",
    "description",
    "assignee_id",
    "team_id",
    "required_skill_id",
    "due_at",
    "state",
    "mandatory",
    "created_by_id",
    "done_at",
]


def _children(ticket_id: int, t: dict[str, Any], i: int) -> tuple[list[tuple], list[tuple], list[tuple]]:
    rng = random.Random(-i)
    messages = []
    when = t["created_at"]
    n = rng.randint(MESSAGES_PER_TICKET - 2, MESSAGES_PER_TICKET + 2)
    for m in range(n):
        when = when + dt.timedelta(minutes=rng.randint(1, 600))
        kind = "inbound" if m == 0 else rng.choice(["reply", "reply", "note", "inbound"])
        author = t["assignee_id"] if kind != "inbound" else None
        contact = t["requester_id"] if kind == "inbound" else None
        body = " ".join(rng.choice(WORDS) for _ in range(rng.randint(10, 40)))
        messages.append(
            (
                ticket_id,
                kind,
                author,
                contact,
                t["channel"],
                body,
                "",
                False,
                "",
                None,
                "",
                "",
                when,
                when if kind == "reply" else None,
            )
        )
    worklogs = []
    if t["assignee_id"] is not None:
        worklogs.append(
            (
                ticket_id,
                None,
                t["assignee_id"],
                t["created_at"],
                rng.choice([5, 10, 15, 30, 45, 60, 90]),
                rng.random() < 0.3,
                "",
                t["created_at"],
            )
        )
    tasks = []
    if i % 5 == 0:
        state = "open" if t["status_category"] in ("new", "open", "pending_customer") else "done"
        tasks.append(
            (
                t["created_at"],
                t["updated_at"],
                ticket_id,
                "Call the customer back",
                "",
                t["assignee_id"],
                t["team_id"],
                None,
                None,
                state,
                False,
                None,
                None,
            )
        )
    return messages, worklogs, tasks


def _copy(table: str, columns: list[str], rows: list[tuple]) -> None:
    with connection.cursor() as cursor:
        raw = cursor.cursor
        with raw.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)


def _insert_batch(start: int, stop: int, ctx: dict[str, Any], contact_ids: list[int], now: dt.datetime) -> None:
    tickets = list(_ticket_rows(start, stop, ctx, contact_ids, now))
    postgres = connection.vendor == "postgresql"
    with transaction.atomic():
        if postgres:
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT nextval(pg_get_serial_sequence('helpdesk_ticket', 'id')) FROM generate_series(1, %s)",
                    [len(tickets)],
                )
                ids = [r[0] for r in cursor.fetchall()]
            rows = []
            for pk, t in zip(ids, tickets, strict=True):
                full = {**TICKET_DEFAULTS, **t}
                rows.append((pk, *[full[c] for c in TICKET_COLUMNS]))
            _copy("helpdesk_ticket", ["id", *TICKET_COLUMNS], rows)
        else:
            objs = Ticket.objects.bulk_create([Ticket(**t) for t in tickets], batch_size=2000)
            ids = [o.pk for o in objs]
        messages, worklogs, tasks = [], [], []
        for offset, (pk, t) in enumerate(zip(ids, tickets, strict=True)):
            m, w, k = _children(pk, t, start + offset)
            messages += m
            worklogs += w
            tasks += k
        if postgres:
            _copy("helpdesk_message", MESSAGE_COLUMNS, messages)
            _copy("helpdesk_worklog", WORKLOG_COLUMNS, worklogs)
            _copy("helpdesk_task", TASK_COLUMNS, tasks)
        else:
            Message.objects.bulk_create(
                [Message(**dict(zip(MESSAGE_COLUMNS, r, strict=True))) for r in messages], batch_size=2000
            )
            WorkLog.objects.bulk_create(
                [WorkLog(**dict(zip(WORKLOG_COLUMNS, r, strict=True))) for r in worklogs], batch_size=2000
            )
            Task.objects.bulk_create([Task(**dict(zip(TASK_COLUMNS, r, strict=True))) for r in tasks], batch_size=2000)
        with connection.cursor() as cursor:  # each ticket's total time, as the worklog services keep it
            cursor.execute(
                "UPDATE helpdesk_ticket SET minutes_spent = (SELECT COALESCE(SUM(w.minutes), 0) FROM helpdesk_worklog w"
                " WHERE w.ticket_id = helpdesk_ticket.id) WHERE id BETWEEN %s AND %s",
                [min(ids), max(ids)],
            )


def seed_helpdesk(*, tickets: int, batch: int = 20_000, log: Callable[[str], None] = _log) -> dict[str, Any]:
    began = time.perf_counter()
    ctx = ensure_staff()
    have = ticket_count()
    if have >= tickets:
        return {"added": 0, "seconds": 0.0}
    contact_ids = list(Contact.objects.order_by("pk").values_list("pk", flat=True)[:200_000])
    if not contact_ids:
        raise SystemExit("bench: seed contacts first (bench.seed.seed_contacts)")
    now = timezone.now()
    for start in range(have, tickets, batch):
        stop = min(start + batch, tickets)
        _insert_batch(start, stop, ctx, contact_ids, now)
        if (stop // batch) % 5 == 0 or stop == tickets:
            log(f"tickets {stop:,}/{tickets:,} ({time.perf_counter() - began:.0f}s)")
    last = Ticket.objects.order_by("-number").values_list("number", flat=True).first() or 0
    TicketCounter.objects.filter(pk=1).update(last=max(last, BASE_NUMBER + tickets))
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            for table in ("helpdesk_ticket", "helpdesk_message", "helpdesk_worklog", "helpdesk_task"):
                cursor.execute(f"VACUUM ANALYZE {table}")
    return {"added": tickets - have, "seconds": round(time.perf_counter() - began, 1)}


def active_ticket_sample(n: int, rng: random.Random) -> list[tuple[int, int]]:
    """(ticket id, assignee id) of n assigned tickets."""
    top = Ticket.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    out: list[tuple[int, int]] = []
    while len(out) < n:
        ids = [rng.randint(1, top) for _ in range(n * 2)]
        out += [
            (pk, a)
            for pk, a in Ticket.objects.filter(pk__in=ids, assignee__isnull=False).values_list("pk", "assignee_id")
        ]
    return out[:n]


def statuses_ok() -> bool:
    return Status.objects.filter(is_builtin=True, category=StatusCategory.NEW).exists()
