"""The built-in roles: Django groups with permissions. `roles_ensure()` creates or updates them."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

ADMIN = "admin"
SUPERVISOR = "supervisor"
DISPATCHER = "dispatcher"
AGENT = "agent"
SERVICE_MANAGER = "service_manager"
SALES_MANAGER = "sales_manager"
SALES_REP = "sales_rep"
MARKETER = "marketer"

LABELS = {
    ADMIN: _("Admin"),
    SUPERVISOR: _("Supervisor"),
    DISPATCHER: _("Dispatcher (customer-relations officer)"),
    AGENT: _("Agent"),
    SERVICE_MANAGER: _("Service manager"),
    SALES_MANAGER: _("Sales manager"),
    SALES_REP: _("Sales representative"),
    MARKETER: _("Marketer"),
}

_CONTACT_WORK = [
    "contacts.view_contact",
    "contacts.add_contact",
    "contacts.change_contact",
    "contacts.view_flagtype",
    "contacts.view_tag",
    "contacts.view_segment",
]
_CONTACT_MANAGE = [
    *_CONTACT_WORK,
    "contacts.delete_contact",
    "contacts.merge_contact",
    "contacts.import_contact",
    "contacts.export_contact",
]
_TEAMS_VIEW = ["accounts.view_team", "accounts.view_skill", "accounts.view_user"]

PERMISSIONS: dict[str, list[str]] = {
    ADMIN: ["*"],
    SUPERVISOR: [*_CONTACT_MANAGE, *_TEAMS_VIEW, "accounts.change_team"],
    DISPATCHER: [*_CONTACT_WORK, "contacts.merge_contact", *_TEAMS_VIEW],
    AGENT: [*_CONTACT_WORK],
    SERVICE_MANAGER: [*_CONTACT_MANAGE, *_TEAMS_VIEW],
    SALES_MANAGER: [*_CONTACT_MANAGE, *_TEAMS_VIEW],
    SALES_REP: [*_CONTACT_WORK, "contacts.export_contact"],
    MARKETER: [*_CONTACT_WORK, "contacts.import_contact", "contacts.export_contact"],
}
