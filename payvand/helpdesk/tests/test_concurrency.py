"""Concurrent writes: two agents saving the same ticket at once (one conflicts, nothing is lost), and tickets
created at once (numbers never repeat, an external id is registered once).

The threaded tests need real transactions and a server that runs them at the same time: PostgreSQL. SQLite
serialises writers, so there the same rules are checked one after the other."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection, connections

from payvand.accounts.models import Team, User
from payvand.contacts.models import Contact
from payvand.core.errors import Conflict
from payvand.helpdesk import services
from payvand.helpdesk.models import Ticket
from payvand.helpdesk.tests.services_support import agent_in, event_data, ticket_new

postgres_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="needs concurrent transactions (PostgreSQL)"
)


def _in_threads(jobs: list[Callable[[], Any]], timeout: float = 60) -> list[Any]:
    """Run each job in its own thread (own connection), released together by a barrier; results or exceptions."""
    barrier = threading.Barrier(len(jobs))
    results: list[Any] = [None] * len(jobs)

    def run(i: int, job: Callable[[], Any]) -> None:
        try:
            barrier.wait(timeout=timeout)
            results[i] = job()
        except Exception as exc:  # noqa: BLE001 - the test inspects what each thread got
            results[i] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i, job)) for i, job in enumerate(jobs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=timeout)
    assert not any(t.is_alive() for t in threads), "a thread hung (deadlock?)"
    return results


def _update_job(ticket: Ticket, by: User, version: int, change: dict[str, Any]) -> Callable[[], Ticket]:
    return lambda: services.ticket_update(ticket=ticket, by=by, version=version, **change)


# ---------------------------------------------------------------------------------------------- PostgreSQL


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_two_agents_update_the_same_ticket_at_once(agent_a: User, customer_x: Contact, team_a: Team):
    colleague = agent_in(team_a, "colleague@example.com")
    ticket = ticket_new(by=agent_a, requester=customer_x, team=team_a)
    for round_no in range(5):  # a few rounds, so both orders of arrival are exercised
        current = Ticket.objects.get(pk=ticket.pk)
        version = current.version  # both agents read version N ...
        # Both edits really change something (a no-op edit saves nothing and so never conflicts).
        changes: list[dict[str, Any]] = [
            {"subject": f"Subject by A {round_no}"},
            {"priority": current.priority % 4 + 1},
        ]
        jobs = [
            _update_job(Ticket.objects.get(pk=ticket.pk), editor, version, change)
            for editor, change in zip([agent_a, colleague], changes, strict=True)
        ]

        results = _in_threads(jobs)  # ... and save at once

        conflicts = [r for r in results if isinstance(r, Conflict)]
        wins = [i for i, r in enumerate(results) if isinstance(r, Ticket)]
        assert len(conflicts) == 1, results
        assert len(wins) == 1, results
        assert conflicts[0].extra == {"version": version + 1}
        final = Ticket.objects.get(pk=ticket.pk)
        assert final.version == version + 1
        winner = changes[wins[0]]
        for name, value in winner.items():
            assert getattr(final, name) == value  # the winner's change is there, not overwritten
        assert event_data(final, "ticket.updated")["fields"] == sorted(winner)


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_tickets_created_at_once_never_share_a_number(agent_a: User, customer_x: Contact, team_a: Team):
    agent_in(team_a, "colleague@example.com")

    def job(i: int) -> Callable[[], list[int]]:
        def create() -> list[int]:
            return [
                services.ticket_create(by=None, requester=customer_x, subject=f"T{i}-{n}", team=team_a).number
                for n in range(5)
            ]

        return create

    results = _in_threads([job(i) for i in range(4)])
    assert all(isinstance(r, list) for r in results), results
    numbers = sorted(n for r in results for n in r)
    assert len(numbers) == 20
    assert len(set(numbers)) == 20
    assert numbers == list(range(numbers[0], numbers[0] + 20))  # no gaps either
    for r in results:
        assert r == sorted(r)  # each creator sees its numbers rise
    assert Ticket.objects.count() == 20
    assert Ticket.objects.filter(assignee__isnull=False).count() == 10  # two agents, capacity 5 each


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_the_same_external_id_created_at_once_is_registered_once(customer_x: Contact):
    def job(i: int) -> Callable[[], Ticket]:
        return lambda: services.ticket_create(
            by=None, requester=customer_x, subject=f"Mail {i}", external_id="<same@mail>", route=False
        )

    results = _in_threads([job(i) for i in range(3)])
    assert sum(isinstance(r, Ticket) for r in results) == 1, results
    assert sum(isinstance(r, Conflict) for r in results) == 2, results
    assert Ticket.objects.filter(external_id="<same@mail>").count() == 1


# ---------------------------------------------------------------------------------------------- every database


@pytest.mark.django_db
def test_two_agents_update_in_turn_the_second_conflicts(agent_a: User, customer_x: Contact, team_a: Team):
    colleague = agent_in(team_a, "colleague@example.com")
    ticket = ticket_new(by=agent_a, requester=customer_x, team=team_a)
    seen_by_a = Ticket.objects.get(pk=ticket.pk)
    seen_by_b = Ticket.objects.get(pk=ticket.pk)

    services.ticket_update(ticket=seen_by_a, by=agent_a, version=seen_by_a.version, subject="A's subject")
    with pytest.raises(Conflict) as exc:
        services.ticket_update(ticket=seen_by_b, by=colleague, version=seen_by_b.version, priority=4)

    assert exc.value.extra == {"version": 2}
    final = Ticket.objects.get(pk=ticket.pk)
    assert (final.subject, final.priority, final.version) == ("A's subject", 2, 2)
    # B reloads and saves again: both changes are kept
    services.ticket_update(ticket=final, by=colleague, version=final.version, priority=4)
    final.refresh_from_db()
    assert (final.subject, final.priority, final.version) == ("A's subject", 4, 3)


@pytest.mark.django_db(transaction=True)
def test_numbers_keep_rising_after_a_flushed_counter(customer_x: Contact):
    """A transactional test database is flushed between tests (the counter row with it): numbering still works."""
    numbers = [ticket_new(by=None, requester=customer_x, subject=f"T{i}").number for i in range(3)]
    assert numbers == list(range(numbers[0], numbers[0] + 3))
