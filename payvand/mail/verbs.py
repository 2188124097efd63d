"""Timeline texts of the mail events, added to the core table of verbs when the app loads."""

from __future__ import annotations

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from payvand.core.events import VERBS

MAIL_VERBS: dict[str, Promise] = {
    "mailbox.created": _("Mailbox created"),
    "mail.acknowledged": _("Acknowledgement email sent"),
    "mail.sent": _("Reply emailed"),
    "mail.send_failed": _("Email could not be sent"),
    "mail.bounced": _("Email address bounced"),
    "mail.unprocessable": _("Inbound email could not be processed"),
    "mail.reprocessed": _("Inbound email queued for processing again"),
}


def register() -> None:
    for verb, text in MAIL_VERBS.items():
        VERBS.setdefault(verb, text)
