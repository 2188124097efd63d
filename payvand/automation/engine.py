"""The rule engine: rules compiled once into Python predicates, the active set cached per process (one cheap
query per event checks that it is current), and `dispatch()` which runs the matching rules on a ticket, each in
its own savepoint, at most `max_fires` times per ticket."""

from __future__ import annotations

import contextvars
import datetime as dt
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.db.models import Count, F, Max
from django.utils import timezone

from payvand.automation.models import Rule, RuleFiring
from payvand.core import batch
from payvand.core.errors import PayvandError
from payvand.core.services import event_record
from payvand.helpdesk.models import Ticket

log = logging.getLogger(__name__)

# Rules that change the ticket raise new events, which run the rules again; this is the hard stop behind the
# per-rule limit (`Rule.max_fires`).
MAX_DEPTH = 5
_depth: contextvars.ContextVar[int] = contextvars.ContextVar("automation_depth", default=0)


class Facts:
    """What conditions read from a ticket, loaded lazily (the tags only when a rule asks for them)."""

    def __init__(self, ticket: Ticket, now: dt.datetime | None = None) -> None:
        self.ticket = ticket
        self.now = now or timezone.now()
        self._tag_names: list[str] | None = None
        self._tags: set[str] | None = None
        self._values: dict[str, Any] = {}

    @property
    def tag_names(self) -> list[str]:
        """The ticket's tags as stored (one query, the first time a rule or an action asks)."""
        if self._tag_names is None:
            self._tag_names = list(self.ticket.tags.values_list("name", flat=True))
        return self._tag_names

    @property
    def tags(self) -> set[str]:
        if self._tags is None:
            self._tags = {n.casefold() for n in self.tag_names}
        return self._tags

    def value(self, name: str) -> Any:
        """An attribute of `ATTRS`, computed once per event however many rules read it."""
        try:
            return self._values[name]
        except KeyError:
            value = self._values[name] = ATTRS[name](self)
            return value

    def folded(self, name: str) -> str:
        """The attribute as case-folded text (what "contains" compares), computed once per event."""
        key = "folded:" + name
        try:
            return self._values[key]
        except KeyError:
            have = self.value(name) if not name.startswith("form:") else (self.ticket.form_values or {}).get(name[5:])
            value = self._values[key] = ("" if have is None else str(have)).casefold()
            return value


Predicate = Callable[[Facts], bool]


def _number(value: Any) -> float | None:
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def _compare(op: str, have: Any, want: Any) -> bool:
    if op == "is_set":
        return have not in (None, "", [], {})
    if op == "not_set":
        return have in (None, "", [], {})
    if op in ("gt", "lt"):
        a, b = _number(have), _number(want)
        if a is None or b is None:
            return False
        return a > b if op == "gt" else a < b
    if op in ("contains", "not_contains"):
        found = str(want).casefold() in ("" if have is None else str(have)).casefold()
        return found if op == "contains" else not found
    if isinstance(have, int | float) and not isinstance(have, bool):
        same = _number(want) == float(have)
    elif isinstance(have, str) and isinstance(want, str):
        same = have.casefold() == want.casefold()
    else:
        same = have == want or (have is not None and str(have) == str(want))
    return same if op == "eq" else not same


ATTRS: dict[str, Callable[[Facts], Any]] = {
    "status": lambda f: f.ticket.status_category,
    "priority": lambda f: f.ticket.priority,
    "channel": lambda f: f.ticket.channel,
    "type": lambda f: f.ticket.type_id,
    "category": lambda f: f.ticket.category_id,
    "team": lambda f: f.ticket.team_id,
    "assignee": lambda f: f.ticket.assignee_id,
    "subject": lambda f: f.ticket.subject,
    "description": lambda f: f.ticket.description,
    "text": lambda f: f"{f.ticket.subject}\n{f.ticket.description}",
    "hours_since_created": lambda f: (f.now - f.ticket.created_at).total_seconds() / 3600,
    "hours_since_updated": lambda f: (f.now - f.ticket.updated_at).total_seconds() / 3600,
}
BY_ID = {"type", "category", "team", "assignee"}


def compile_condition(cond: dict[str, Any]) -> Predicate:
    name, op = str(cond["field"]), str(cond["op"])
    want: Any = cond.get("id") if name in BY_ID and cond.get("id") is not None else cond.get("value")
    if name == "tags":
        tag = str(want).casefold()
        if op == "contains":
            return lambda f: tag in f.tags
        return lambda f: tag not in f.tags
    if name not in ATTRS and not name.startswith("form:"):
        raise KeyError(name)
    if op in ("contains", "not_contains"):
        needle = str(want).casefold()
        if op == "contains":
            return lambda f: needle in f.folded(name)
        return lambda f: needle not in f.folded(name)
    if name.startswith("form:"):
        key = name[5:]
        return lambda f: _compare(op, (f.ticket.form_values or {}).get(key), want)
    if name in BY_ID and op in ("eq", "ne"):
        want_id = int(want)
        if op == "eq":
            return lambda f: f.value(name) == want_id
        return lambda f: f.value(name) != want_id
    return lambda f: _compare(op, f.value(name), want)


@dataclass
class Compiled:
    id: int
    name: str
    trigger: str
    max_fires: int
    actions: list[dict[str, Any]]
    predicates: list[Predicate] = field(default_factory=list)
    match_all: bool = True
    # Who a macro's actions act for (the agent applying it); rules act for no one, except that resolving,
    # closing or cancelling needs someone with that right: the rule's maker (`maker_id`).
    actor: Any = None
    maker_id: int | None = None

    def matches(self, facts: Facts) -> bool:
        if not self.predicates:
            return True
        if self.match_all:
            return all(p(facts) for p in self.predicates)
        return any(p(facts) for p in self.predicates)


def compile_rule(rule: Rule) -> Compiled:
    return Compiled(
        id=rule.pk,
        name=rule.name,
        trigger=rule.trigger,
        max_fires=rule.max_fires,
        actions=list(rule.actions or []),
        predicates=[compile_condition(c) for c in rule.conditions or []],
        match_all=rule.match == Rule.Match.ALL,
        maker_id=rule.created_by_id,
    )


class _Cache:
    def __init__(self) -> None:
        self.stamp: tuple[Any, ...] | None = None
        self.by_trigger: dict[str, list[Compiled]] = {}
        self.lock = threading.Lock()


_cache = _Cache()


def _stamp() -> tuple[Any, ...]:
    row = Rule.objects.aggregate(n=Count("id"), at=Max("updated_at"), ids=Max("id"))
    return (row["n"], row["at"], row["ids"])


def active_rules(trigger: str) -> list[Compiled]:
    """The active rules of a trigger in order, compiled; recompiled only when a rule changed (one aggregate query)."""
    # In a batch (an email import) the rules are checked once for the whole batch.
    stamp = batch.memo("automation.stamp", _stamp)
    if stamp != _cache.stamp:
        with _cache.lock:
            by_trigger: dict[str, list[Compiled]] = {}
            for rule in Rule.objects.filter(is_active=True).order_by("position", "id"):
                try:
                    by_trigger.setdefault(rule.trigger, []).append(compile_rule(rule))
                except (KeyError, TypeError, ValueError):
                    log.warning("automation rule %s does not compile; skipped", rule.pk)
            _cache.by_trigger, _cache.stamp = by_trigger, stamp
    return _cache.by_trigger.get(trigger, [])


def cache_clear() -> None:
    _cache.stamp = None


def dispatch(*, trigger: str, ticket: Ticket, data: dict[str, Any] | None = None) -> int:
    """Run the active rules of `trigger` whose conditions hold on the ticket. Returns how many ran. Each rule's
    actions run in a savepoint: a failing action undoes that rule's changes only, and `automation.failed` is
    recorded. A rule runs at most `max_fires` times on one ticket (then `automation.limit_reached`, once)."""
    depth = _depth.get()
    if depth >= MAX_DEPTH:
        return 0
    rules = active_rules(trigger)
    if not rules:
        return 0
    facts = Facts(ticket)
    first = next((i for i, r in enumerate(rules) if r.matches(facts)), None)
    if first is None:
        return 0
    counts = dict(
        RuleFiring.objects.filter(ticket_id=ticket.pk, rule_id__in=[r.id for r in rules[first:]]).values_list(
            "rule_id", "count"
        )
    )
    fired = 0
    token = _depth.set(depth + 1)
    try:
        # Inside the triggering change's transaction this adds nothing (each rule still has its savepoint in
        # `fire`); on its own it makes the counting and the firings one transaction.
        with transaction.atomic(savepoint=False):
            current = ticket
            for position, rule in enumerate(rules[first:]):
                if position and not rule.matches(facts):
                    continue
                used = counts.get(rule.id, 0)
                if used >= rule.max_fires:
                    if used == rule.max_fires:
                        _count(rule, current)
                        event_record(
                            actor=None,
                            verb="automation.limit_reached",
                            target=current,
                            contact_id=current.requester_id,
                            data={"rule": rule.id, "name": rule.name, "max_fires": rule.max_fires},
                        )
                    continue
                _count(rule, current)
                ok, after = fire(rule=rule, ticket=current, trigger=trigger, facts=facts)
                if ok:
                    fired += 1
                if after is not current:  # later rules see the ticket as this one left it
                    current, facts = after, Facts(after)
    finally:
        _depth.reset(token)
    return fired


def fire(*, rule: Compiled, ticket: Ticket, trigger: str, facts: Facts | None = None) -> tuple[bool, Ticket]:
    """Run the rule's actions on the ticket in a savepoint; record `automation.fired`, or `automation.failed` (with
    the reason) after undoing everything the rule did. Returns whether it ran and the ticket as stored now (the
    same object when no action changed it: an action that left the ticket alone says so, and the ticket is then
    not read again)."""
    from payvand.automation.actions import UNCHANGED, run_action

    done: list[str] = []
    current = ticket
    facts = facts if facts is not None and facts.ticket is ticket else Facts(ticket)
    try:
        with transaction.atomic():
            for action in rule.actions:
                result = run_action(action=action, ticket=current, rule=rule, trigger=trigger, facts=facts)
                if result is not UNCHANGED:
                    current = Ticket.objects.select_related("requester").get(pk=ticket.pk)
                    facts = Facts(current)
                done.append(str(action.get("type")))
            event_record(
                actor=None,
                verb="automation.fired",
                target=current,
                contact_id=current.requester_id,
                data={"rule": rule.id, "name": rule.name, "trigger": trigger, "actions": done},
            )
        return True, current
    except Exception as exc:  # a rule must never break the change that triggered it
        reason = exc.detail if isinstance(exc, PayvandError) else f"{type(exc).__name__}: {exc}"
        if not isinstance(exc, PayvandError):
            log.exception("automation rule %s failed", rule.id)
        current = Ticket.objects.select_related("requester").get(pk=ticket.pk)
        event_record(
            actor=None,
            verb="automation.failed",
            target=current,
            contact_id=current.requester_id,
            data={"rule": rule.id, "name": rule.name, "trigger": trigger, "action": len(done), "reason": str(reason)},
        )
        return False, current


def _count(rule: Compiled, ticket: Ticket) -> None:
    now = timezone.now()
    if not RuleFiring.objects.filter(rule_id=rule.id, ticket_id=ticket.pk).update(count=F("count") + 1, last_at=now):
        RuleFiring.objects.create(rule_id=rule.id, ticket_id=ticket.pk, count=1, last_at=now)


def tickets_matching(*, rule: Rule, tickets: Any, limit: int = 50) -> list[Ticket]:
    """The tickets (of `tickets`, a queryset the viewer may see) the rule's conditions hold on now."""
    compiled = compile_rule(rule)
    now = timezone.now()
    found = []
    for ticket in tickets.select_related("requester", "status").prefetch_related("tags").iterator(chunk_size=500):
        facts = Facts(ticket, now)
        facts._tags = {t.name.casefold() for t in ticket.tags.all()}
        if compiled.matches(facts):
            found.append(ticket)
            if len(found) >= limit:
                break
    return found
