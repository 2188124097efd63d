"""Timeline texts of the automation events, added to the core table of verbs when the app loads."""

from __future__ import annotations

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from payvand.core.events import VERBS

AUTOMATION_VERBS: dict[str, Promise] = {
    "automation.fired": _("Automation rule ran"),
    "automation.failed": _("Automation rule failed"),
    "automation.limit_reached": _("Automation rule stopped: it ran as often as allowed on this ticket"),
    "automation.email_sent": _("Automatic email to the customer"),
    "automation.sms_recorded": _("Automatic SMS recorded (no SMS channel installed)"),
    "automation.sms_sent": _("Automatic SMS to the customer"),
    "automation.sms_skipped": _("Automatic SMS not sent: the customer has no phone number"),
    "automation.webhook_queued": _("Webhook call queued"),
    "automation.rule_created": _("Automation rule created"),
    "automation.rule_updated": _("Automation rule changed"),
    "automation.rule_deleted": _("Automation rule deleted"),
    "automation.macro_created": _("Macro created"),
    "automation.macro_deleted": _("Macro deleted"),
    "automation.macro_applied": _("Macro applied"),
    "automation.webhook_created": _("Webhook created"),
    "automation.webhook_updated": _("Webhook changed"),
    "automation.webhook_deleted": _("Webhook deleted"),
    "approval.requested": _("Approval requested"),
    "approval.approved_by": _("An approver approved"),
    "approval.rejected_by": _("An approver rejected"),
    "approval.approved": _("Request approved"),
    "approval.rejected": _("Request rejected"),
}


def register() -> None:
    for verb, text in AUTOMATION_VERBS.items():
        VERBS.setdefault(verb, text)
