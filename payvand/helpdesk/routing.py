"""Routing: which team a new ticket goes to, then which of the team's agents gets it.

Team first (`team_choose`), tried in this order:

1. A team set by whoever creates the ticket is kept (reason ``preset``; only `ticket_route` sees this case).
2. A ticket of a project whose project names a team goes to that team (``project``).
3. The active routing rules, in (order, id): the first rule whose conditions all match wins (``rule``). An empty
   condition matches anything. Conditions: the ticket type; the category (a rule for a category also matches its
   subcategories); the channel; the customer group (the requester or the ticket's organisation is in the segment);
   the project. A rule with no condition at all matches every ticket and so is the *default team* (``default_rule``);
   give it the highest order so the other rules are tried first.
4. When no rule matches: the team with the lowest id (``fallback``). So every ticket ends with a team as long as one
   team exists; with no team at all the ticket is left unrouted and a ``ticket.queued`` event says so (``no_team``).

Then a person (`assignee_choose`), by the team's strategy (`TeamSettings.strategy`; a team without settings is
least loaded):

- ``manual``: nobody; the ticket waits in the team's queue for a dispatcher.
- ``round_robin``: the next online member with room after `TeamSettings.last_assigned`, in user-id order.
- ``least_loaded``: the online member with room holding the fewest active tickets (ties: lowest user id).
- ``skill``: only members having every skill the ticket type and category require (a category without a skill
  inherits its parent's), least loaded among them; when no member has them the ticket waits (``no_skilled_agent``).
  Without a required skill it is least loaded.
- ``project``: the ticket's project members who are in the team first (least loaded), then anyone (least loaded).

Availability: only active users who are ``online`` get new tickets; ``away`` and ``off`` agents are skipped.

Capacity: an agent's load is the number of active tickets (status category in `ACTIVE_CATEGORIES`) assigned to them,
in every team; an agent whose load reached their capacity (`TeamMembership.effective_capacity`) is skipped. The team's
total capacity (`Team.capacity`) bounds the active tickets of the team that are assigned; waiting tickets don't count.
When every candidate is full the ticket waits, unassigned, in the team's queue; `queue_drain` assigns waiting tickets,
oldest first, when capacity frees: call it after a ticket is resolved, closed, cancelled or reassigned, when an agent
comes online and when a membership or capacity changes (`queue_drain_for_user` drains every team of one agent).

Every decision writes an Event on the ticket: ``ticket.routed`` (data: team, reason[, rule]), then ``ticket.assigned``
(assignee, reason) or ``ticket.queued`` (team, reason). Reasons are stable codes (`Reason`); `reason_label` gives the
translated text for the timeline.

Concurrency: `ticket_route` and `queue_drain` lock the team's row and then its members' user rows (in id order, so
two routings never deadlock), and only then count loads. Two transactions routing to the same team, or to two teams
sharing an agent, therefore wait for each other and can't both take the last free slot. SQLite serialises writers
anyway (transactions begin IMMEDIATE).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.db import connection, models, transaction
from django.db.models import Count, Q
from django.utils.translation import gettext_lazy as _

from payvand.accounts.models import Availability, Team, TeamMembership, User
from payvand.contacts.models import Contact
from payvand.core import batch
from payvand.core.errors import Conflict
from payvand.core.services import event_record
from payvand.helpdesk.models import ACTIVE_CATEGORIES, Category, RoutingRule, TeamSettings, Ticket, TicketType
from payvand.projects.models import Project

if TYPE_CHECKING:
    from django.utils.functional import Promise

Strategy = TeamSettings.Strategy
_DRAIN_BATCH = 100


class Reason(models.TextChoices):
    """Why routing decided what it did. The code is stored in the event's data; the label is shown."""

    # Team
    PRESET = "preset", _("The team was chosen when the ticket was created")
    PROJECT = "project", _("The ticket's project belongs to this team")
    RULE = "rule", _("A routing rule matched")
    DEFAULT_RULE = "default_rule", _("The default routing rule (one without conditions)")
    FALLBACK = "fallback", _("No routing rule matched: the first team")
    NO_TEAM = "no_team", _("There is no team to route the ticket to")
    # Person
    ROUND_ROBIN = "round_robin", _("Next in turn (round robin)")
    LEAST_LOADED = "least_loaded", _("Fewest open tickets, within capacity")
    SKILL = "skill", _("Has the required skill, fewest open tickets")
    PROJECT_MEMBER = "project_member", _("Member of the ticket's project, fewest open tickets")
    CHOSEN = "chosen", _("Chosen by hand")
    # Waiting in the queue
    MANUAL = "manual", _("The team's tickets are assigned by hand")
    TEAM_FULL = "team_full", _("The team is at its total capacity")
    EVERYONE_FULL = "everyone_full", _("Every available agent is at capacity")
    NOBODY_AVAILABLE = "nobody_available", _("No agent of the team is online")
    NO_SKILLED_AGENT = "no_skilled_agent", _("No agent of the team has the required skill")


# Timeline texts of the events written here (for `payvand.core.events.VERBS`).
VERBS: dict[str, Promise] = {
    "ticket.routed": _("Ticket routed to a team"),
    "ticket.assigned": _("Ticket assigned"),
    "ticket.queued": _("Ticket waits in the team's queue"),
}


def reason_label(code: str) -> str:
    """The translated text of a reason code; an unknown code is shown as it is."""
    try:
        return str(Reason(code).label)
    except ValueError:
        return code


class NoTeamError(Conflict):
    """No team exists, so a ticket can't be routed."""


# --- Team -------------------------------------------------------------------------------------------------------


def _category_chain(category_id: int | None) -> list[tuple[int, int | None]]:
    """(id, required skill id) of the category and its ancestors, nearest first."""
    chain: list[tuple[int, int | None]] = []
    seen: set[int] = set()
    current = category_id
    while current is not None and current not in seen and len(seen) < 32:
        seen.add(current)
        row = Category.objects.filter(pk=current).values_list("parent_id", "required_skill_id").first()
        if row is None:
            break
        chain.append((current, row[1]))
        current = row[0]
    return chain


def _rule_match(ticket: Ticket) -> RoutingRule | None:
    def condition(name: str, value: Any) -> Q:
        empty = Q(**{f"{name}__isnull": True})
        return empty if value is None else empty | Q(**{f"{name}_id": value})

    category_ids = [pk for pk, _skill in _category_chain(ticket.category_id)]
    contact_ids = [pk for pk in (ticket.requester_id, ticket.organisation_id) if pk is not None]
    segment_ids = Contact.segments.through.objects.filter(contact_id__in=contact_ids).values("segment_id")
    return (
        RoutingRule.objects.filter(is_active=True)
        .filter(condition("type", ticket.type_id))
        .filter(Q(category__isnull=True) | Q(category_id__in=category_ids))
        .filter(Q(channel="") | Q(channel=ticket.channel))
        .filter(Q(segment__isnull=True) | Q(segment_id__in=segment_ids))
        .filter(condition("project", ticket.project_id))
        .select_related("team")
        .order_by("order", "id")
        .first()
    )


def _is_catch_all(rule: RoutingRule) -> bool:
    return not (rule.type_id or rule.category_id or rule.channel or rule.segment_id or rule.project_id)


def _team_pick(ticket: Ticket) -> tuple[Team, Reason, RoutingRule | None]:
    if ticket.project_id is not None:
        team_id = Project.objects.filter(pk=ticket.project_id).values_list("team_id", flat=True).first()
        if team_id is not None:
            return Team.objects.get(pk=team_id), Reason.PROJECT, None
    rule = _rule_match(ticket)
    if rule is not None:
        return rule.team, Reason.DEFAULT_RULE if _is_catch_all(rule) else Reason.RULE, rule
    team = Team.objects.order_by("pk").first()
    if team is None:
        raise NoTeamError(detail=_("There is no team to route the ticket to."))
    return team, Reason.FALLBACK, None


def team_choose(*, ticket: Ticket) -> tuple[Team, str]:
    """The team a ticket should go to and the reason code, ignoring any team already set. Reads only.
    Raises NoTeamError when no team exists."""
    team, reason, _rule = _team_pick(ticket)
    return team, reason.value


# --- Person -----------------------------------------------------------------------------------------------------


@dataclass
class _Agent:
    user: User
    capacity: int
    load: int
    skill_ids: frozenset[int] = frozenset()

    @property
    def available(self) -> bool:
        return self.user.is_active and self.user.availability == Availability.ONLINE

    @property
    def has_room(self) -> bool:
        return self.load < self.capacity


@dataclass
class _Pool:
    """A team's members with their loads, read (and locked) once per routing or drain."""

    team: Team
    strategy: str
    has_settings: bool
    last_assigned_id: int | None
    agents: list[_Agent]  # in user-id order: the round-robin rotation
    team_load: int
    _skills: dict[tuple[int | None, int | None], frozenset[int]] = field(default_factory=dict)
    _project_members: dict[int, frozenset[int]] = field(default_factory=dict)

    @property
    def team_has_room(self) -> bool:
        return self.team_load < self.team.capacity

    def can_take_any(self) -> bool:
        return (
            self.strategy != Strategy.MANUAL
            and self.team_has_room
            and any(a.available and a.has_room for a in self.agents)
        )

    def took(self, agent: _Agent) -> None:
        agent.load += 1
        self.team_load += 1
        self.last_assigned_id = agent.user.pk

    def required_skills(self, ticket: Ticket) -> frozenset[int]:
        key = (ticket.type_id, ticket.category_id)
        if key not in self._skills:
            skills: set[int] = set()
            if ticket.type_id is not None:
                type_skill = TicketType.objects.filter(pk=ticket.type_id).values_list("required_skill_id", flat=True)
                skills.update(pk for pk in type_skill if pk is not None)
            category_skill = next((s for _pk, s in _category_chain(ticket.category_id) if s is not None), None)
            if category_skill is not None:
                skills.add(category_skill)
            self._skills[key] = frozenset(skills)
        return self._skills[key]

    def project_members(self, project_id: int) -> frozenset[int]:
        if project_id not in self._project_members:
            ids = Project.members.through.objects.filter(project_id=project_id).values_list("user_id", flat=True)
            self._project_members[project_id] = frozenset(ids)
        return self._project_members[project_id]


def _loads(user_ids: list[int]) -> dict[int, int]:
    rows = (
        Ticket.objects.filter(assignee_id__in=user_ids, status_category__in=ACTIVE_CATEGORIES)
        .order_by()
        .values_list("assignee_id")
        .annotate(n=Count("id"))
    )
    counts: dict[int, int] = {uid: n for uid, n in rows}
    return {uid: counts.get(uid, 0) for uid in user_ids}


def _members(team: Team, *, lock: bool) -> tuple[Team, dict[int, int], list[User]]:
    """The team row, its members' capacities and the members (all locked with `lock`)."""
    teams = Team.objects.select_for_update() if lock else Team.objects.all()
    team = teams.get(pk=team.pk)
    capacities = {
        uid: (cap if cap is not None else team.capacity_per_member)
        for uid, cap in TeamMembership.objects.filter(team=team).values_list("user_id", "capacity")
    }
    users_qs = User.objects.filter(pk__in=list(capacities)).order_by("pk")
    if lock:
        users_qs = users_qs.select_for_update()
    return team, capacities, list(users_qs)


def _members_key(team: Team) -> tuple[str, int, int]:
    return ("routing.members", id(connection.atomic_blocks[0]), team.pk)


def _members_locked(team: Team) -> tuple[Team, dict[int, int], list[User]]:
    """`_members(lock=True)`, or what `members_hold` read and locked for this transaction's batch."""
    if batch.active() and connection.in_atomic_block:
        kept = batch.peek(_members_key(team))
        if kept is not None:
            return kept
    return _members(team, lock=True)


def members_hold(team: Team) -> None:
    """For a batch routing many tickets in one transaction (an email import): read and lock the team's row and its
    members once, kept for the rest of the transaction. Call it inside `core.batch.batch_scope` and the transaction,
    outside any savepoint that could roll back (and, on PostgreSQL, release the locks): the rows stay locked until
    the transaction ends, so nobody else changes the team, its capacities or the members' availability meanwhile.
    Loads are still counted afresh for every ticket. See `helpdesk.services.batch_prepare` for the lock order."""
    if batch.active() and connection.in_atomic_block:
        batch.memo(_members_key(team), lambda: _members(team, lock=True))


def _pool_build(team: Team, *, lock: bool) -> _Pool:
    team, capacities, users = _members_locked(team) if lock else _members(team, lock=False)
    loads = _loads([u.pk for u in users])
    settings_row = TeamSettings.objects.filter(team=team).values_list("strategy", "last_assigned_id").first()
    strategy, last_assigned_id = settings_row if settings_row is not None else (Strategy.LEAST_LOADED, None)
    skills: dict[int, set[int]] = {}
    if strategy == Strategy.SKILL:
        pairs = User.objects.filter(pk__in=[u.pk for u in users], skills__isnull=False).values_list("pk", "skills")
        for uid, sid in pairs:
            skills.setdefault(uid, set()).add(sid)
    team_load = Ticket.objects.filter(team=team, assignee__isnull=False, status_category__in=ACTIVE_CATEGORIES).count()
    agents = [_Agent(u, capacities[u.pk], loads[u.pk], frozenset(skills.get(u.pk, ()))) for u in users]
    return _Pool(team, strategy, settings_row is not None, last_assigned_id, agents, team_load)


def _least_loaded(agents: list[_Agent]) -> _Agent:
    return min(agents, key=lambda a: (a.load, a.user.pk))


def _next_in_turn(agents: list[_Agent], last_id: int | None) -> _Agent:
    if last_id is not None:
        for agent in agents:
            if agent.user.pk > last_id:
                return agent
    return agents[0]


def _choose(pool: _Pool, ticket: Ticket) -> tuple[_Agent | None, Reason]:
    if pool.strategy == Strategy.MANUAL:
        return None, Reason.MANUAL
    if not pool.team_has_room:
        return None, Reason.TEAM_FULL
    candidates = pool.agents
    required = pool.required_skills(ticket) if pool.strategy == Strategy.SKILL else frozenset()
    if required:
        candidates = [a for a in candidates if required <= a.skill_ids]
        if not candidates:
            return None, Reason.NO_SKILLED_AGENT
    online = [a for a in candidates if a.available]
    if not online:
        return None, Reason.NOBODY_AVAILABLE
    free = [a for a in online if a.has_room]
    if not free:
        return None, Reason.EVERYONE_FULL
    if pool.strategy == Strategy.ROUND_ROBIN:
        return _next_in_turn(free, pool.last_assigned_id), Reason.ROUND_ROBIN
    if required:
        return _least_loaded(free), Reason.SKILL
    if pool.strategy == Strategy.PROJECT and ticket.project_id is not None:
        members = pool.project_members(ticket.project_id)
        own = [a for a in free if a.user.pk in members]
        if own:
            return _least_loaded(own), Reason.PROJECT_MEMBER
    return _least_loaded(free), Reason.LEAST_LOADED


def assignee_choose(*, ticket: Ticket, team: Team) -> tuple[User | None, str]:
    """The agent of `team` who should get the ticket by the team's strategy, or None, and the reason code.
    Reads only and takes no lock: `ticket_route` and `queue_drain` lock before they choose."""
    agent, reason = _choose(_pool_build(team, lock=False), ticket)
    return (agent.user if agent is not None else None), reason.value


def capacity_load(*, team: Team) -> dict[int, int]:
    """Active tickets assigned to each member of the team (in any team), by user id; members without any get 0."""
    return _loads(list(TeamMembership.objects.filter(team=team).values_list("user_id", flat=True)))


# --- Writes -----------------------------------------------------------------------------------------------------


def _record(ticket: Ticket, by: User | None, verb: str, data: dict[str, Any]) -> None:
    event_record(actor=by, verb=verb, target=ticket, contact=ticket.requester, data=data)


def _remember_turn(pool: _Pool) -> None:
    if pool.has_settings and pool.last_assigned_id is not None:
        TeamSettings.objects.filter(team=pool.team).update(last_assigned_id=pool.last_assigned_id)


@transaction.atomic
def ticket_route(*, ticket: Ticket, by: User | None = None) -> None:
    """Give a just-created ticket its team (unless it has one) and, by the team's strategy, its assignee (unless it
    has one, or it is no longer active). Call it inside the creating transaction, after the ticket row exists.
    Saves only the fields it changed, bumping `version`, and records why."""
    changed: list[str] = []
    team: Team | None = ticket.team
    team_reason, rule = Reason.PRESET, None
    if team is None:
        try:
            team, team_reason, rule = _team_pick(ticket)
        except NoTeamError:
            _record(ticket, by, "ticket.queued", {"team": None, "reason": Reason.NO_TEAM})
            return
        ticket.team = team
        changed.append("team")
    routed: dict[str, Any] = {"team": team.pk, "reason": team_reason}
    if rule is not None:
        routed["rule"] = rule.pk

    decision: tuple[str, dict[str, Any]] | None = None
    if ticket.assignee_id is None and ticket.status_category in ACTIVE_CATEGORIES:
        pool = _pool_build(team, lock=True)
        agent, reason = _choose(pool, ticket)
        if agent is None:
            decision = ("ticket.queued", {"team": team.pk, "reason": reason})
        else:
            pool.took(agent)
            _remember_turn(pool)
            ticket.assignee = agent.user
            changed.append("assignee")
            decision = ("ticket.assigned", {"assignee": agent.user.pk, "reason": reason})

    if changed:
        ticket.version += 1
        ticket.save(update_fields=[*changed, "version", "updated_at"])
    _record(ticket, by, "ticket.routed", routed)
    if decision is not None:
        _record(ticket, by, *decision)


@transaction.atomic
def queue_drain(*, team: Team, by: User | None = None) -> int:
    """Assign the team's waiting tickets (active, unassigned), oldest first, while its strategy and capacity allow.
    Returns how many were assigned. Tickets locked by another transaction are left for the next drain."""
    pool = _pool_build(team, lock=True)
    if not pool.can_take_any():
        return 0
    waiting = (
        Ticket.objects.select_for_update(skip_locked=True, of=("self",))
        .filter(team_id=pool.team.pk, assignee__isnull=True, status_category__in=ACTIVE_CATEGORIES)
        .select_related("requester")
        .order_by("created_at", "id")
    )
    assigned = 0
    after: Q | None = None  # keyset pagination: rows we assign leave the filter, so no offsets
    while pool.can_take_any():
        batch = list((waiting.filter(after) if after is not None else waiting)[:_DRAIN_BATCH])
        for ticket in batch:
            agent, reason = _choose(pool, ticket)
            if agent is None:
                continue  # e.g. no free agent with this ticket's skill: later tickets may still fit
            pool.took(agent)
            ticket.assignee = agent.user
            ticket.version += 1
            ticket.save(update_fields=["assignee", "version", "updated_at"])
            data = {"assignee": agent.user.pk, "reason": reason, "from_queue": True}
            _record(ticket, by, "ticket.assigned", data)
            _tell_assignee(ticket, agent.user, by)
            assigned += 1
            if not pool.can_take_any():
                break
        if len(batch) < _DRAIN_BATCH:
            break
        last = batch[-1]
        after = Q(created_at__gt=last.created_at) | Q(created_at=last.created_at, id__gt=last.pk)
    if assigned:
        _remember_turn(pool)
    return assigned


def _tell_assignee(ticket: Ticket, user: User, by: User | None) -> None:
    """A ticket taken from the queue: notify its new assignee and refresh the cartables showing it."""
    from django.utils.translation import gettext

    from payvand.notifications import live
    from payvand.notifications.models import Kind
    from payvand.notifications.services import notify

    notify(
        recipients=[user],
        kind=Kind.ASSIGNED,
        title=gettext("%(ref)s assigned to you: %(subject)s") % {"ref": ticket.reference, "subject": ticket.subject},
        url=f"/tickets/{ticket.pk}/",
        ticket=ticket,
        exclude=by,
    )
    ticket_id, team_id, user_id = ticket.pk, ticket.team_id, user.pk
    transaction.on_commit(
        lambda: live.push_ticket(ticket_id=ticket_id, team_ids=[team_id], user_ids=[user_id], verb="assigned")
    )


def queue_drain_for_user(*, user: User, by: User | None = None) -> int:
    """Drain every team of one agent (they came online, or one of their tickets was closed or reassigned)."""
    with transaction.atomic():
        teams = Team.objects.filter(memberships__user=user).order_by("pk")
        return sum(queue_drain(team=team, by=by) for team in teams)
