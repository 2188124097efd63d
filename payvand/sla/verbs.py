"""Timeline texts of the SLA events, added to the core table of verbs when the app loads."""

from __future__ import annotations

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from payvand.core.events import VERBS

SLA_VERBS: dict[str, Promise] = {
    "sla.applied": _("SLA policy applied"),
    "sla.paused": _("SLA clock paused"),
    "sla.resumed": _("SLA clock resumed"),
    "sla.warning.first_response": _("SLA warning: first response due soon"),
    "sla.warning.next_response": _("SLA warning: next response due soon"),
    "sla.warning.resolution": _("SLA warning: resolution due soon"),
    "sla.breached.first_response": _("SLA breached: first response overdue"),
    "sla.breached.next_response": _("SLA breached: next response overdue"),
    "sla.breached.resolution": _("SLA breached: resolution overdue"),
    "sla.met.first_response": _("First response within the SLA"),
    "sla.met.next_response": _("Next response within the SLA"),
    "sla.met.resolution": _("Resolved within the SLA"),
    "sla.breached_done.first_response": _("First response given, after the SLA target"),
    "sla.breached_done.next_response": _("Next response given, after the SLA target"),
    "sla.breached_done.resolution": _("Resolved, after the SLA target"),
    "sla.escalated": _("SLA escalation"),
    "sla.escalation_failed": _("SLA escalation could not be done"),
    "sla.calendar_created": _("Business calendar created"),
    "sla.calendar_updated": _("Business calendar changed"),
    "sla.calendar_deleted": _("Business calendar deleted"),
    "sla.holidays_loaded": _("Public holidays loaded"),
    "sla.holiday_added": _("Holiday added"),
    "sla.holiday_removed": _("Holiday removed"),
    "sla.policy_created": _("SLA policy created"),
    "sla.policy_updated": _("SLA policy changed"),
    "sla.policy_deleted": _("SLA policy deleted"),
}


def register() -> None:
    for verb, text in SLA_VERBS.items():
        VERBS.setdefault(verb, text)
