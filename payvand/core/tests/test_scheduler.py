"""The scheduler: one lease holder at a time, each periodic job enqueued once per interval, and `scheduler --once`."""

from __future__ import annotations

import datetime as dt
import signal
from io import StringIO

import pytest
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.models import Session
from django.core.management import call_command
from django.utils import timezone

from payvand.core import scheduler
from payvand.core.models import ScheduledRun, SchedulerLease
from payvand.core.tasks import sessions_purge

pytestmark = pytest.mark.django_db

T0 = dt.datetime(2026, 1, 1, 8, 0, tzinfo=dt.UTC)
TTL = dt.timedelta(seconds=60)
ALL_JOBS = ["core.sessions_purge", "contacts.import_files_purge"]
REAL_JOBS = scheduler.jobs


@pytest.fixture(autouse=True)
def _two_jobs(monkeypatch: pytest.MonkeyPatch) -> None:
    """The timing tests run on the two jobs of the core and contacts apps (6 h and 1 h intervals)."""
    monkeypatch.setattr(scheduler, "jobs", lambda: [j for j in REAL_JOBS() if j.name in ALL_JOBS])


def test_every_app_registers_its_periodic_jobs():
    names = {j.name for j in REAL_JOBS()}
    assert {*ALL_JOBS, "helpdesk.postponed_wake", "helpdesk.queues_drain", "notifications.digest"} <= names


def _lease() -> SchedulerLease:
    return SchedulerLease.objects.get(name=scheduler.LEASE_NAME)


def test_it_gives_the_lease_to_one_holder_at_a_time():
    assert scheduler.lease_acquire(holder="a", ttl=TTL, now=T0) is True
    assert scheduler.lease_acquire(holder="b", ttl=TTL, now=T0 + dt.timedelta(seconds=1)) is False
    assert (_lease().holder, _lease().expires_at) == ("a", T0 + TTL)
    assert SchedulerLease.objects.count() == 1


def test_it_lets_the_holder_renew_the_lease():
    scheduler.lease_acquire(holder="a", ttl=TTL, now=T0)
    later = T0 + dt.timedelta(seconds=50)
    assert scheduler.lease_acquire(holder="a", ttl=TTL, now=later) is True
    assert _lease().expires_at == later + TTL
    assert scheduler.lease_acquire(holder="b", ttl=TTL, now=T0 + dt.timedelta(seconds=70)) is False


def test_it_hands_an_expired_lease_to_another_holder():
    scheduler.lease_acquire(holder="a", ttl=TTL, now=T0)
    assert scheduler.lease_acquire(holder="b", ttl=TTL, now=T0 + TTL) is False  # expires *after* this instant
    assert scheduler.lease_acquire(holder="b", ttl=TTL, now=T0 + TTL + dt.timedelta(seconds=1)) is True
    assert _lease().holder == "b"
    assert scheduler.lease_acquire(holder="a", ttl=TTL, now=T0 + TTL + dt.timedelta(seconds=2)) is False


def test_it_frees_the_lease_only_for_its_holder():
    scheduler.lease_acquire(holder="a", ttl=TTL, now=T0)
    scheduler.lease_release(holder="b")
    assert _lease().holder == "a"
    scheduler.lease_release(holder="a")
    assert (_lease().holder, _lease().expires_at) == ("", None)
    assert scheduler.lease_acquire(holder="b", ttl=TTL, now=T0 + dt.timedelta(seconds=1)) is True


def test_it_uses_the_current_time_by_default():
    assert scheduler.lease_acquire(holder="a", ttl=TTL) is True
    assert scheduler.lease_acquire(holder="b", ttl=TTL) is False
    expires_at = _lease().expires_at
    assert expires_at is not None
    assert expires_at > timezone.now()


def test_it_enqueues_each_job_once_per_interval(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        assert sorted(scheduler.enqueue_due(now=T0)) == sorted(ALL_JOBS)
    assert len(callbacks) == 2
    assert dict(ScheduledRun.objects.values_list("job", "last_run_at")) == dict.fromkeys(ALL_JOBS, T0)

    with django_capture_on_commit_callbacks() as callbacks:
        assert scheduler.enqueue_due(now=T0) == []
        assert scheduler.enqueue_due(now=T0 + dt.timedelta(minutes=59)) == []
    assert callbacks == []

    assert scheduler.enqueue_due(now=T0 + dt.timedelta(hours=1)) == ["contacts.import_files_purge"]
    assert scheduler.enqueue_due(now=T0 + dt.timedelta(hours=1, minutes=30)) == []
    assert sorted(scheduler.enqueue_due(now=T0 + dt.timedelta(hours=6))) == sorted(ALL_JOBS)
    runs = dict(ScheduledRun.objects.values_list("job", "last_run_at"))
    assert runs == dict.fromkeys(ALL_JOBS, T0 + dt.timedelta(hours=6))


def test_it_catches_up_once_after_a_long_pause(django_capture_on_commit_callbacks):
    scheduler.enqueue_due(now=T0)
    with django_capture_on_commit_callbacks() as callbacks:
        assert sorted(scheduler.enqueue_due(now=T0 + dt.timedelta(days=3))) == sorted(ALL_JOBS)
    assert len(callbacks) == 2  # not one per missed interval


def test_it_runs_the_enqueued_tasks_after_commit(django_capture_on_commit_callbacks):
    expired = SessionStore()
    expired.set_expiry(-60)
    expired.save()
    live = SessionStore()
    live.save()
    with django_capture_on_commit_callbacks(execute=True):  # the test task backend runs them at once
        scheduler.enqueue_due(now=T0)
    assert list(Session.objects.values_list("session_key", flat=True)) == [live.session_key]


def test_it_purges_only_expired_sessions():
    old = SessionStore()
    old.set_expiry(-1)
    old.save()
    fresh = SessionStore()
    fresh.save()
    assert sessions_purge.call() == 1
    assert list(Session.objects.values_list("session_key", flat=True)) == [fresh.session_key]


def test_it_checks_once_from_the_command_line():
    before = signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM)
    out = StringIO()
    call_command("scheduler", "--once", stdout=out)
    lines = out.getvalue().splitlines()
    assert sorted(line for line in lines if line.startswith("enqueued ")) == sorted(f"enqueued {j}" for j in ALL_JOBS)
    assert lines[-1] == "scheduler stopped"
    assert ScheduledRun.objects.count() == 2
    assert _lease().holder == ""  # released on the way out
    assert (signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM)) == before

    out = StringIO()
    call_command("scheduler", "--once", stdout=out)
    assert "enqueued" not in out.getvalue()  # nothing is due yet


def test_it_enqueues_nothing_while_another_scheduler_holds_the_lease():
    scheduler.lease_acquire(holder="elsewhere:1", ttl=dt.timedelta(minutes=5))
    out = StringIO()
    call_command("scheduler", "--once", stdout=out)
    assert "enqueued" not in out.getvalue()
    assert not ScheduledRun.objects.exists()
    assert _lease().holder == "elsewhere:1"
