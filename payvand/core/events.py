"""Human, translated descriptions of event verbs for the timeline."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from django.utils.functional import Promise

    from payvand.core.models import Event

VERBS: dict[str, Promise] = {
    "contact.created": _("Contact created"),
    "contact.updated": _("Contact updated"),
    "contact.merged": _("Another contact was merged into this one"),
    "contact.imported": _("Contact imported"),
    "contact.flag_added": _("Flag added"),
    "contact.flag_removed": _("Flag removed"),
    "contact.identity_added": _("Identity added"),
    "contact.identity_removed": _("Identity removed"),
    "contact.affiliation_added": _("Linked to an organisation"),
    "contact.affiliation_removed": _("Unlinked from an organisation"),
    "contact.address_added": _("Address added"),
    "contact.address_removed": _("Address removed"),
    "contact.deleted": _("Contact deleted"),
    "import.finished": _("Import finished"),
    "token.created": _("API token created"),
    "token.revoked": _("API token revoked"),
    "team.member_added": _("Member added to team"),
    "team.member_removed": _("Member removed from team"),
    "team.member_changed": _("Team membership changed"),
    "team.helpdesk_settings": _("Team's helpdesk settings changed"),
    "user.created": _("User created"),
    "user.preferences": _("Preferences changed"),
    "user.availability": _("Availability changed"),
    "ticket.created": _("Ticket registered"),
    "ticket.updated": _("Ticket changed"),
    "ticket.routed": _("Ticket routed to a team"),
    "ticket.assigned": _("Ticket assigned"),
    "ticket.queued": _("Ticket waits in the team's queue"),
    "ticket.referred": _("Ticket referred"),
    "referral.accepted": _("Referral accepted"),
    "referral.returned": _("Referral returned"),
    "ticket.watched": _("Started watching"),
    "ticket.unwatched": _("Stopped watching"),
    "ticket.linked": _("Linked to another ticket"),
    "ticket.merged": _("Merged into another ticket"),
    "ticket.merged_in": _("Another ticket was merged into this one"),
    "ticket.split": _("A message was split into a new ticket"),
    "ticket.split_from": _("Split from another ticket"),
    "ticket.follow_up": _("Follow-up ticket opened"),
    "ticket.resolution_proposed": _("Resolution proposed"),
    "ticket.resolved": _("Ticket resolved"),
    "ticket.closed": _("Ticket closed"),
    "ticket.cancelled": _("Ticket cancelled"),
    "ticket.postponed": _("Ticket postponed"),
    "ticket.reopened": _("Ticket reopened"),
    "ticket.woken": _("Postponed ticket is due again"),
    "message.reply": _("Reply"),
    "message.note": _("Internal note"),
    "message.inbound": _("Message from the customer"),
    "message.draft": _("Draft saved"),
    "message.approved": _("Reply approved"),
    "message.returned": _("Reply sent back"),
    "task.created": _("Task added"),
    "task.updated": _("Task changed"),
    "task.done": _("Task done"),
    "worklog.added": _("Time logged"),
    "worklog.removed": _("Logged time removed"),
    "project.created": _("Project created"),
    "project.updated": _("Project changed"),
    "project.deleted": _("Project deleted"),
    "project.member_added": _("Member added to project"),
    "project.member_removed": _("Member removed from project"),
    "form.created": _("Form created"),
    "form.updated": _("Form changed"),
    "form.deactivated": _("Form deactivated"),
    "form.deleted": _("Form deleted"),
    "notification.preference": _("Notification preference changed"),
}

ROUTING_VERBS = {"ticket.routed", "ticket.assigned", "ticket.queued"}


def describe(event: Event) -> str:
    """The event's text; routing decisions carry their reason ("Ticket assigned: least loaded")."""
    text = str(VERBS.get(event.verb, event.verb))
    reason = (event.data or {}).get("reason") if isinstance(event.data, dict) else None
    if event.verb in ROUTING_VERBS and reason:
        from payvand.helpdesk.routing import reason_label

        text = f"{text}: {reason_label(str(reason))}"
    return text
