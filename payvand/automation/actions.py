"""What a rule can do to a ticket. Each action calls the helpdesk's own services (so every change writes its own
event and keeps the ticket's invariants); the engine runs them inside the rule's savepoint.

To add an action: a function here taking (action, ticket, ctx), an entry in ACTIONS, and its validation in
`services._action_clean`."""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, cast

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from payvand.accounts.models import Skill, Team, User
from payvand.core.errors import Conflict, ValidationFailed
from payvand.core.localization import format_date
from payvand.core.services import event_record
from payvand.helpdesk.models import DONE_CATEGORIES, Category, Status, StatusCategory, Ticket, TicketType

if TYPE_CHECKING:
    from payvand.automation.engine import Compiled, Facts

SYSTEM = cast(User, None)  # rules act for no one: their events carry no actor


class _Unchanged:
    """What an action returns when it left the ticket's row and tags as they were (the engine then does not read
    the ticket again); any other result, None included, means "read it again"."""

    def __repr__(self) -> str:
        return "UNCHANGED"


UNCHANGED = _Unchanged()


def _by(rule: Compiled) -> User:
    return cast(User, rule.actor) if rule.actor is not None else SYSTEM


def _closer(rule: Compiled) -> User:
    """Resolving, closing and cancelling need a person with that right: the macro's user or the rule's maker."""
    if rule.actor is not None:
        return cast(User, rule.actor)
    maker = User.objects.filter(pk=rule.maker_id or 0, is_active=True).first()
    if maker is None:
        raise ValidationFailed.on("value", _("The rule's maker is no longer active; only a person can close tickets."))
    return maker


def placeholders(ticket: Ticket) -> dict[str, str]:
    """The values `{customer_name}`, `{ticket_reference}`, `{ticket_subject}` and `{date}` stand for; the date is
    in the calendar of the active language (Jalali with Persian digits for fa)."""
    return {
        "customer_name": ticket.requester.name,
        "ticket_reference": ticket.reference,
        "ticket_subject": ticket.subject,
        "date": format_date(timezone.now()),
    }


def render_text(template: str, ticket: Ticket) -> str:
    text = template
    for key, value in placeholders(ticket).items():
        text = text.replace("{" + key + "}", value)
    return text


def _requester_identity(ticket: Ticket, kind: str) -> str:
    from payvand.contacts.models import Identity

    value = (
        Identity.objects.filter(contact_id=ticket.requester_id, kind=kind, is_bouncing=False)
        .order_by("-is_primary", "id")
        .values_list("value", flat=True)
        .first()
    )
    if not value:
        raise ValidationFailed.on(
            "requester",
            _("The customer has no email address.") if kind == "email" else _("The customer has no phone number."),
        )
    return value


def _set_status(action: dict[str, Any], ticket: Ticket, rule: Compiled) -> object:
    from payvand.helpdesk import services as helpdesk

    status = Status.objects.filter(pk=int(action.get("id") or 0)).first()
    if status is None:
        raise ValidationFailed.on("value", _("This status no longer exists."))
    if status.pk == ticket.status_id:
        return UNCHANGED
    if status.category == StatusCategory.RESOLVED:
        helpdesk.ticket_resolve(
            ticket=ticket, by=_closer(rule), resolution=_("Resolved by rule %(name)s") % {"name": rule.name}
        )
    elif status.category == StatusCategory.CLOSED:
        helpdesk.ticket_close(
            ticket=ticket, by=_closer(rule), resolution=_("Closed by rule %(name)s") % {"name": rule.name}
        )
    elif status.category == StatusCategory.CANCELLED:
        helpdesk.ticket_cancel(
            ticket=ticket, by=_closer(rule), reason=_("Cancelled by rule %(name)s") % {"name": rule.name}
        )
    elif ticket.status_category in DONE_CATEGORIES:
        raise Conflict(detail=_("Reopen the ticket before changing it."))
    else:
        helpdesk.ticket_set_status(ticket=ticket, by=_by(rule), status=status)
    return None


def _set_priority(action: dict[str, Any], ticket: Ticket, rule: Compiled) -> None:
    from payvand.helpdesk import services as helpdesk

    helpdesk.ticket_update(ticket=ticket, by=_by(rule), priority=int(action["value"]))


def _set_type(action: dict[str, Any], ticket: Ticket, rule: Compiled) -> None:
    from payvand.helpdesk import services as helpdesk

    kind = TicketType.objects.filter(pk=int(action.get("id") or 0)).first()
    if kind is None:
        raise ValidationFailed.on("value", _("This ticket type no longer exists."))
    helpdesk.ticket_update(ticket=ticket, by=_by(rule), type=kind)


def _set_category(action: dict[str, Any], ticket: Ticket, rule: Compiled) -> None:
    from payvand.helpdesk import services as helpdesk

    category = Category.objects.filter(pk=int(action.get("id") or 0)).first()
    if category is None:
        raise ValidationFailed.on("value", _("This category no longer exists."))
    helpdesk.ticket_update(ticket=ticket, by=_by(rule), category=category)


def _add_tag(action: dict[str, Any], ticket: Ticket, rule: Compiled, tags: list[str] | None = None) -> object:
    """`tags`: the ticket's tag names when the engine has read them already for this ticket as it is now."""
    from payvand.helpdesk import services as helpdesk

    names = tags if tags is not None else list(ticket.tags.values_list("name", flat=True))
    if str(action["value"]).casefold() in {n.casefold() for n in names}:
        return UNCHANGED
    helpdesk.ticket_update(ticket=ticket, by=_by(rule), tags=[*names, str(action["value"])])
    return None


def _team(action: dict[str, Any]) -> Team:
    team = Team.objects.filter(pk=int(action.get("id") or 0)).first()
    if team is None:
        raise ValidationFailed.on("value", _("This team no longer exists."))
    return team


def _assign_team(action: dict[str, Any], ticket: Ticket, rule: Compiled) -> object:
    from payvand.helpdesk import services as helpdesk

    team = _team(action)
    if ticket.team_id == team.pk:
        return UNCHANGED
    helpdesk.ticket_assign(ticket=ticket, by=_by(rule), assignee=None, team=team)
    return None


def _assign_user(action: dict[str, Any], ticket: Ticket, rule: Compiled) -> object:
    from payvand.helpdesk import services as helpdesk

    user = User.objects.filter(pk=int(action.get("id") or 0)).first()
    if user is None:
        raise ValidationFailed.on("value", _("This user no longer exists."))
    if ticket.assignee_id == user.pk:
        return UNCHANGED
    team = ticket.team if ticket.team_id and user.memberships.filter(team_id=ticket.team_id).exists() else None
    helpdesk.ticket_assign(ticket=ticket, by=_by(rule), assignee=user, team=team)
    return None


def _refer_team(action: dict[str, Any], ticket: Ticket, rule: Compiled) -> None:
    from payvand.helpdesk import services as helpdesk

    helpdesk.ticket_refer(
        ticket=ticket, by=_by(rule), to_team=_team(action), note=_("Referred by rule %(name)s") % {"name": rule.name}
    )


def _add_task(action: dict[str, Any], ticket: Ticket, rule: Compiled) -> None:
    from payvand.helpdesk import services as helpdesk

    skill = Skill.objects.filter(pk=action["skill"]).first() if action.get("skill") else None
    helpdesk.task_create(
        ticket=ticket, by=_by(rule), title=render_text(str(action["value"]), ticket), required_skill=skill
    )


def _notify(action: dict[str, Any], ticket: Ticket, rule: Compiled) -> object:
    from payvand.helpdesk.services import ticket_url
    from payvand.notifications.services import notify

    who = str(action["value"])
    if who == "assignee":
        recipients = [ticket.assignee]
    elif who == "team_lead":
        recipients = [ticket.team.lead if ticket.team else None]
    else:
        recipients = list(User.objects.filter(pk=int(action.get("id") or 0)))
    sent = notify(
        recipients=recipients,
        kind="automation",
        title=f"{ticket.reference}: {render_text(str(action.get('text') or rule.name), ticket)}",
        body=ticket.subject,
        url=ticket_url(ticket),
        ticket=ticket,
    )
    if not sent:
        raise ValidationFailed.on("value", _("There is no one to notify."))
    return UNCHANGED


def _send_email(action: dict[str, Any], ticket: Ticket, rule: Compiled) -> object:
    from django.core.mail import send_mail

    to = _requester_identity(ticket, "email")
    subject = render_text(str(action["value"]), ticket)
    body = render_text(str(action.get("text") or ""), ticket)
    event_record(
        actor=None,
        verb="automation.email_sent",
        target=ticket,
        contact=ticket.requester,
        data={"rule": rule.id, "to": to, "subject": subject},
    )
    transaction.on_commit(lambda: send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [to]))
    return UNCHANGED


def _send_sms(action: dict[str, Any], ticket: Ticket, rule: Compiled) -> None:
    """Text the requester through the SMS channel (payvand.messaging): the SMS is a reply on the ticket with channel
    SMS, authored by the macro's agent (a rule's has none), delivered after commit by the configured backend with
    its retries; a rolled-back rule sends nothing. A customer without a number is a recorded skip, not a failure."""
    from payvand.helpdesk import services as helpdesk
    from payvand.helpdesk.models import Channel
    from payvand.messaging.services import sms_number_for

    text = render_text(str(action.get("text") or ""), ticket)
    to = sms_number_for(ticket)
    if not to:
        event_record(
            actor=rule.actor,
            verb="automation.sms_skipped",
            target=ticket,
            contact=ticket.requester,
            data={"rule": rule.id, "name": rule.name, "reason": _("The customer has no phone number.")},
        )
        return
    message = helpdesk.message_add(
        ticket=ticket, by=rule.actor, body=text, channel=Channel.SMS, automatic=rule.actor is None
    )
    event_record(
        actor=rule.actor,
        verb="automation.sms_sent",
        target=ticket,
        contact=ticket.requester,
        data={"rule": rule.id, "to": to, "message": message.pk},
    )


def sign(secret: str, body: bytes) -> str:
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def _webhook(action: dict[str, Any], ticket: Ticket, rule: Compiled, trigger: str = "") -> object:
    from payvand.automation.tasks import webhook_post

    payload = {
        "event": trigger,
        "rule": rule.id,
        "ticket": {
            "id": ticket.pk,
            "reference": ticket.reference,
            "subject": ticket.subject,
            "status": ticket.status_category,
            "priority": ticket.priority,
        },
        "at": timezone.now().isoformat(),
    }
    body = json.dumps(payload, sort_keys=True)
    url = str(action["value"])
    event_record(
        actor=None, verb="automation.webhook_queued", target=ticket, contact_id=ticket.requester_id, data={"url": url}
    )
    transaction.on_commit(lambda: webhook_post.enqueue(url=url, body=body))
    return UNCHANGED


ACTIONS: dict[str, Callable[..., object]] = {
    "set_status": _set_status,
    "set_priority": _set_priority,
    "set_type": _set_type,
    "set_category": _set_category,
    "add_tag": _add_tag,
    "assign_team": _assign_team,
    "assign_user": _assign_user,
    "refer_team": _refer_team,
    "add_task": _add_task,
    "notify": _notify,
    "send_email": _send_email,
    "send_sms": _send_sms,
    "webhook": _webhook,
}


def run_action(
    *, action: dict[str, Any], ticket: Ticket, rule: Compiled, trigger: str, facts: Facts | None = None
) -> object:
    """Run one action; returns `UNCHANGED` when it left the ticket as it was. `facts`: what the engine has read of
    this ticket as it is now (its tags), so the action need not read it again."""
    kind = str(action.get("type"))
    function = ACTIONS.get(kind)
    if function is None:
        raise ValidationFailed.on("type", _("Unknown action."))
    if kind == "webhook":
        return _webhook(action, ticket, rule, trigger)
    if kind == "add_tag":
        return _add_tag(action, ticket, rule, tags=facts.tag_names if facts and facts.ticket is ticket else None)
    return function(action, ticket, rule)
