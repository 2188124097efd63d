"""Writes of automation rules: create, change, delete, reorder, enable/disable. Input is cleaned here (names of
teams, types, users resolved to ids), so the engine compiles only valid rules."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from payvand.accounts.models import Skill, Team, User
from payvand.automation.actions import ACTIONS
from payvand.automation.engine import ATTRS, cache_clear
from payvand.automation.models import Macro, Rule, Trigger
from payvand.core.errors import Conflict, FieldError, NotFound, PermissionDenied, ValidationFailed
from payvand.core.localization import to_ascii_digits
from payvand.core.services import event_record
from payvand.helpdesk.models import Category, Channel, Priority, Status, StatusCategory, Ticket, TicketType

OPS = {"eq", "ne", "gt", "lt", "contains", "not_contains", "is_set", "not_set"}
TEXT_FIELDS = {"subject", "description", "text"}
NUMBER_FIELDS = {"priority", "hours_since_created", "hours_since_updated"}
MAX_CONDITIONS = 20
MAX_ACTIONS = 20


@dataclass
class RuleIn:
    name: str
    trigger: str
    match: str = Rule.Match.ALL
    conditions: list[dict[str, Any]] = field(default_factory=list)
    actions: list[dict[str, Any]] = field(default_factory=list)
    is_active: bool = True
    max_fires: int = 3
    position: int | None = None
    state: str = ""
    after_minutes: int | None = None
    calendar: int | None = None


def _lookup(model: Any, value: str) -> Any:
    value = value.strip()
    if value.isdigit():
        found = model.objects.filter(pk=int(value)).first()
        if found is not None:
            return found
    return model.objects.filter(name__iexact=value).first()


def _user(value: str) -> User | None:
    value = value.strip()
    return User.objects.filter(Q(email__iexact=value) | Q(pk=int(value) if value.isdigit() else 0)).first()


def _priority(value: str) -> int | None:
    value = to_ascii_digits(value.strip())
    if value.isdigit() and int(value) in Priority.values:
        return int(value)
    for choice in Priority:
        if value.casefold() in (choice.name.casefold(), str(choice.label).casefold()):
            return int(choice.value)
    return None


def _status_category(value: str) -> str | None:
    value = value.strip()
    for choice in StatusCategory:
        if value.casefold() in (choice.value, str(choice.label).casefold()):
            return str(choice.value)
    return None


def _condition_clean(raw: Any, where: str, errors: list[FieldError]) -> dict[str, Any] | None:
    if not isinstance(raw, dict):
        errors.append(FieldError(where, _("A condition needs a field, an operator and a value.")))
        return None
    name = str(raw.get("field") or "").strip()
    op = str(raw.get("op") or "").strip()
    value = raw.get("value")
    value = "" if value is None else str(value).strip()
    if not (name in ATTRS or name == "tags" or (name.startswith("form:") and len(name) > 5 and len(name) < 100)):
        errors.append(FieldError(f"{where}.field", _("Unknown field.")))
        return None
    if op not in OPS:
        errors.append(FieldError(f"{where}.op", _("Unknown operator.")))
        return None
    out: dict[str, Any] = {"field": name, "op": op, "value": value}
    if op in ("is_set", "not_set"):
        if name in ("tags",) or name in NUMBER_FIELDS or name in ("status", "channel"):
            errors.append(FieldError(f"{where}.op", _("This operator does not fit this field.")))
        out["value"] = ""
        return out
    if not value:
        errors.append(FieldError(f"{where}.value", _("Give a value to compare with.")))
        return None
    if len(value) > 500:
        errors.append(FieldError(f"{where}.value", _("Use at most %(n)s characters.") % {"n": 500}))
        return None
    bad_op = FieldError(f"{where}.op", _("This operator does not fit this field."))
    if name == "tags":
        if op not in ("contains", "not_contains"):
            errors.append(bad_op)
    elif name in TEXT_FIELDS:
        if op not in ("contains", "not_contains", "eq", "ne"):
            errors.append(bad_op)
    elif name in NUMBER_FIELDS:
        if op not in ("eq", "ne", "gt", "lt"):
            errors.append(bad_op)
        elif name == "priority":
            priority = _priority(value)
            if priority is None:
                errors.append(FieldError(f"{where}.value", _("Unknown priority.")))
            out["value"] = priority
        else:
            try:
                out["value"] = float(to_ascii_digits(value))
            except ValueError:
                errors.append(FieldError(f"{where}.value", _("Give a number.")))
    elif name == "status":
        category = _status_category(value)
        if op not in ("eq", "ne"):
            errors.append(bad_op)
        elif category is None:
            errors.append(FieldError(f"{where}.value", _("Unknown status.")))
        out["value"] = category
    elif name == "channel":
        if op not in ("eq", "ne"):
            errors.append(bad_op)
        elif value not in Channel.values:
            errors.append(FieldError(f"{where}.value", _("Unknown channel.")))
    elif name in ("type", "category", "team", "assignee"):
        if op not in ("eq", "ne"):
            errors.append(bad_op)
        else:
            model = {"type": TicketType, "category": Category, "team": Team}.get(name)
            found = _user(value) if name == "assignee" else _lookup(model, value)
            if found is None:
                errors.append(FieldError(f"{where}.value", _("Nothing of that name exists.")))
            else:
                out["id"] = found.pk
    return out


def _action_clean(raw: Any, where: str, errors: list[FieldError]) -> dict[str, Any] | None:
    if not isinstance(raw, dict):
        errors.append(FieldError(where, _("An action needs a type.")))
        return None
    kind = str(raw.get("type") or "").strip()
    value = "" if raw.get("value") is None else str(raw.get("value")).strip()
    text = "" if raw.get("text") is None else str(raw.get("text")).strip()
    if kind not in ACTIONS:
        errors.append(FieldError(f"{where}.type", _("Unknown action.")))
        return None
    if len(value) > 500 or len(text) > 5000:
        errors.append(FieldError(f"{where}.value", _("This is too long.")))
        return None
    out: dict[str, Any] = {"type": kind, "value": value, "text": text}
    missing = FieldError(f"{where}.value", _("This action needs a value."))
    unknown = FieldError(f"{where}.value", _("Nothing of that name exists."))
    if kind == "set_status":
        status = _lookup(Status, value)
        if status is None:
            category = _status_category(value)
            status = Status.objects.filter(category=category, is_builtin=True).first() if category else None
        if status is None:
            errors.append(unknown)
        else:
            out["id"] = status.pk
    elif kind == "set_priority":
        priority = _priority(value)
        if priority is None:
            errors.append(FieldError(f"{where}.value", _("Unknown priority.")))
        out["value"] = priority
    elif kind in ("set_type", "set_category", "assign_team", "refer_team"):
        model = {"set_type": TicketType, "set_category": Category}.get(kind, Team)
        found = _lookup(model, value) if value else None
        if found is None:
            errors.append(unknown if value else missing)
        else:
            out["id"] = found.pk
    elif kind == "assign_user":
        user = _user(value) if value else None
        if user is None:
            errors.append(unknown if value else missing)
        else:
            out["id"] = user.pk
    elif kind == "add_tag":
        if not value:
            errors.append(missing)
        elif len(value) > 64:
            errors.append(FieldError(f"{where}.value", _("Use at most %(n)s characters.") % {"n": 64}))
    elif kind == "add_task":
        if not value:
            errors.append(missing)
        if text:
            skill = _lookup(Skill, text)
            if skill is None:
                errors.append(FieldError(f"{where}.text", _("Unknown skill.")))
            else:
                out["skill"] = skill.pk
    elif kind == "notify":
        if value not in ("assignee", "team_lead"):
            user = _user(value) if value else None
            if user is None:
                errors.append(unknown if value else missing)
            else:
                out["id"] = user.pk
    elif kind == "send_email":
        if not value:
            errors.append(missing)
        if not text:
            errors.append(FieldError(f"{where}.text", _("Write the message.")))
    elif kind == "send_sms":
        if not text and not value:
            errors.append(FieldError(f"{where}.text", _("Write the message.")))
        out["text"] = text or value
    elif kind == "webhook":
        from django.core.exceptions import ValidationError as DjangoValidationError
        from django.core.validators import URLValidator

        try:
            URLValidator(schemes=["http", "https"])(value)
        except DjangoValidationError:
            errors.append(FieldError(f"{where}.value", _("Give a web address (http or https).")))
    return out


def _clean(data: RuleIn) -> dict[str, Any]:
    errors: list[FieldError] = []
    name = (data.name or "").strip()
    if not name:
        errors.append(FieldError("name", _("Give the rule a name.")))
    elif len(name) > 200:
        errors.append(FieldError("name", _("Use at most %(n)s characters.") % {"n": 200}))
    if data.trigger not in Trigger.values:
        errors.append(FieldError("trigger", _("Choose a trigger.")))
    if data.match not in Rule.Match.values:
        errors.append(FieldError("match", _("Choose all or any.")))
    if not isinstance(data.max_fires, int) or not 1 <= data.max_fires <= 100:
        errors.append(FieldError("max_fires", _("Give a number from 1 to 100.")))
    if data.position is not None and (not isinstance(data.position, int) or not 0 <= data.position <= 100000):
        errors.append(FieldError("position", _("Give a number from 0 to 100000.")))
    timed: dict[str, Any] = {"state": "", "after_minutes": None, "calendar_id": None}
    if data.trigger == Trigger.TIME_ELAPSED:
        if data.state not in StatusCategory.values:
            errors.append(FieldError("state", _("Choose the status the ticket waits in.")))
        if not isinstance(data.after_minutes, int) or not 1 <= data.after_minutes <= 525600:
            errors.append(FieldError("after_minutes", _("Give a number of minutes from 1 to 525600.")))
        if data.calendar is not None:
            from payvand.sla.models import BusinessCalendar

            if not BusinessCalendar.objects.filter(pk=data.calendar).exists():
                errors.append(FieldError("calendar", _("No such calendar.")))
        timed = {"state": data.state, "after_minutes": data.after_minutes, "calendar_id": data.calendar}
    conditions = data.conditions if isinstance(data.conditions, list) else None
    actions = data.actions if isinstance(data.actions, list) else None
    if conditions is None or len(conditions) > MAX_CONDITIONS:
        errors.append(FieldError("conditions", _("Give at most %(n)s conditions.") % {"n": MAX_CONDITIONS}))
        conditions = []
    if not actions:
        errors.append(FieldError("actions", _("Give the rule at least one action.")))
        actions = []
    elif len(actions) > MAX_ACTIONS:
        errors.append(FieldError("actions", _("Give at most %(n)s actions.") % {"n": MAX_ACTIONS}))
        actions = []
    clean_conditions = [_condition_clean(c, f"conditions.{i}", errors) for i, c in enumerate(conditions)]
    clean_actions = [_action_clean(a, f"actions.{i}", errors) for i, a in enumerate(actions)]
    if errors:
        raise ValidationFailed(detail=_("Some fields are not valid."), errors=errors)
    return {
        "name": name,
        "trigger": data.trigger,
        "match": data.match,
        "conditions": [c for c in clean_conditions if c is not None],
        "actions": [a for a in clean_actions if a is not None],
        "is_active": bool(data.is_active),
        "max_fires": data.max_fires,
        **timed,
    }


def _changed() -> None:
    transaction.on_commit(cache_clear)


@transaction.atomic
def rule_create(*, by: User | None, data: RuleIn) -> Rule:
    values = _clean(data)
    if data.position is None:
        last = Rule.objects.order_by("-position").values_list("position", flat=True).first()
        position = (last or 0) + 10
    else:
        position = data.position
    rule = Rule.objects.create(**values, position=position, created_by=by, updated_at=timezone.now())
    event_record(actor=by, verb="automation.rule_created", target=rule, data={"name": rule.name})
    _changed()
    return rule


@transaction.atomic
def rule_update(*, rule: Rule, by: User | None, data: RuleIn) -> Rule:
    values = _clean(data)
    locked = Rule.objects.select_for_update().filter(pk=rule.pk).first()
    if locked is None:
        raise NotFound(detail=_("No such rule."))
    for key, value in values.items():
        setattr(locked, key, value)
    if data.position is not None:
        locked.position = data.position
    locked.updated_at = timezone.now()
    locked.save()
    event_record(actor=by, verb="automation.rule_updated", target=locked, data={"name": locked.name})
    _changed()
    return locked


@transaction.atomic
def rule_set_active(*, rule: Rule, by: User | None, active: bool) -> Rule:
    Rule.objects.filter(pk=rule.pk).update(is_active=active, updated_at=timezone.now())
    rule.refresh_from_db()
    event_record(actor=by, verb="automation.rule_updated", target=rule, data={"is_active": active})
    _changed()
    return rule


@transaction.atomic
def rule_move(*, rule: Rule, by: User | None, up: bool) -> Rule:
    """Swap the rule with its neighbour (in the shared order of every rule)."""
    rules = list(Rule.objects.select_for_update().order_by("position", "id"))
    index = next((i for i, r in enumerate(rules) if r.pk == rule.pk), None)
    if index is None:
        raise NotFound(detail=_("No such rule."))
    other = index - 1 if up else index + 1
    if 0 <= other < len(rules):
        rules[index], rules[other] = rules[other], rules[index]
        now = timezone.now()
        for i, r in enumerate(rules):
            r.position, r.updated_at = (i + 1) * 10, now
        Rule.objects.bulk_update(rules, ["position", "updated_at"])
        event_record(actor=by, verb="automation.rule_updated", target=rule, data={"moved": "up" if up else "down"})
        _changed()
    rule.refresh_from_db()
    return rule


@transaction.atomic
def rule_delete(*, rule: Rule, by: User | None) -> None:
    event_record(actor=by, verb="automation.rule_deleted", target=rule, data={"name": rule.name})
    rule.delete()
    _changed()


def rule_preview(*, data: RuleIn) -> Rule:
    """An unsaved rule from the input, cleaned as for saving: what a test-run evaluates before the rule exists."""
    return Rule(**_clean(data), position=data.position or 0)


# ---------------------------------------------------------------------------------------------- macros


@dataclass
class MacroIn:
    name: str
    body: str = ""
    actions: list[dict[str, Any]] = field(default_factory=list)
    team: Team | None = None
    personal: bool = False


@transaction.atomic
def macro_create(*, by: User, data: MacroIn) -> Macro:
    """A macro: personal (only its owner sees it), for one team, or for everyone. Shared macros (team or everyone)
    need the automation permission; a team macro also needs membership of the team, unless the maker manages
    automation."""
    errors: list[FieldError] = []
    name = (data.name or "").strip()
    if not name:
        errors.append(FieldError("name", _("Give the macro a name.")))
    elif len(name) > 200:
        errors.append(FieldError("name", _("Use at most %(n)s characters.") % {"n": 200}))
    if len(data.body or "") > 20000:
        errors.append(FieldError("body", _("Use at most %(n)s characters.") % {"n": 20000}))
    actions = data.actions if isinstance(data.actions, list) else []
    if len(actions) > MAX_ACTIONS:
        errors.append(FieldError("actions", _("Give at most %(n)s actions.") % {"n": MAX_ACTIONS}))
        actions = []
    clean = [_action_clean(a, f"actions.{i}", errors) for i, a in enumerate(actions)]
    if not (data.body or "").strip() and not actions:
        errors.append(FieldError("body", _("Write the reply or give at least one action.")))
    if not data.personal and not by.has_perm("automation.change_rule"):
        errors.append(FieldError("personal", _("Only managers share macros; make it personal.")))
    if errors:
        raise ValidationFailed(detail=_("Some fields are not valid."), errors=errors)
    macro = Macro.objects.create(
        name=name,
        body=data.body or "",
        actions=[a for a in clean if a is not None],
        team=None if data.personal else data.team,
        owner=by if data.personal else None,
    )
    event_record(actor=by, verb="automation.macro_created", target=macro, data={"name": name})
    return macro


@transaction.atomic
def macro_delete(*, macro: Macro, by: User) -> None:
    if macro.owner_id != by.pk and not by.has_perm("automation.change_rule"):
        raise PermissionDenied(detail=_("You may delete only your own macros."))
    event_record(actor=by, verb="automation.macro_deleted", target=macro, data={"name": macro.name})
    macro.delete()


@transaction.atomic
def macro_apply(*, macro: Macro, ticket: Ticket, by: User) -> Ticket:
    """Post the macro's reply (placeholders filled in; the date in the active language's calendar, Jalali for fa)
    and run its actions, all or nothing: if one action fails, nothing of the macro stays (422/409)."""
    from payvand.automation.actions import render_text, run_action
    from payvand.automation.engine import Compiled
    from payvand.helpdesk.services import message_add

    if not ticket.is_active:
        raise Conflict(detail=_("Reopen the ticket before changing it."))
    stub = Compiled(id=macro.pk, name=macro.name, trigger="macro", max_fires=0, actions=macro.actions, actor=by)
    current = Ticket.objects.select_related("requester").get(pk=ticket.pk)
    message_id = None
    if macro.body.strip():
        message_id = message_add(ticket=current, by=by, body=render_text(macro.body, current)).pk
    for action in macro.actions:
        current = Ticket.objects.select_related("requester").get(pk=ticket.pk)
        run_action(action=action, ticket=current, rule=stub, trigger="macro")
    current = Ticket.objects.select_related("requester").get(pk=ticket.pk)
    event_record(
        actor=by,
        verb="automation.macro_applied",
        target=current,
        contact=current.requester,
        data={"macro": macro.pk, "name": macro.name, "message": message_id},
    )
    return current
