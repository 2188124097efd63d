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
}


def describe(event: Event) -> str:
    return str(VERBS.get(event.verb, event.verb))
