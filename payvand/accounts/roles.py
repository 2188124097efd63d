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
_TICKET_WORK = [
    "helpdesk.view_ticket",
    "helpdesk.add_ticket",
    "helpdesk.change_ticket",
    "helpdesk.view_task",
    "helpdesk.add_task",
    "helpdesk.change_task",
    "helpdesk.add_worklog",
    "helpdesk.view_savedview",
    "projects.view_project",
    "formbuilder.view_form",
]
_TICKET_LEAD = [
    *_TICKET_WORK,
    "helpdesk.close_ticket",
    "helpdesk.merge_ticket",
    "helpdesk.dispatch_ticket",
    "helpdesk.review_message",
    "helpdesk.view_reports",
    "helpdesk.delete_worklog",
]
_TICKET_MANAGE = [
    *_TICKET_LEAD,
    "helpdesk.change_teamsettings",
    "helpdesk.view_teamsettings",
    "projects.add_project",
    "projects.change_project",
]

_SLA_MANAGE = [
    f"sla.{verb}_{model}" for model in ("slapolicy", "businesscalendar") for verb in ("view", "add", "change", "delete")
]
_CHANNELS_MANAGE = [
    *[f"messaging.{verb}_webform" for verb in ("view", "add", "change", "delete")],
    "messaging.view_inboundmessage",
    "messaging.change_inboundmessage",
]
_KB_WORK = ["kb.view_article", "kb.add_article", "kb.change_article"]
_KB_MANAGE = [*_KB_WORK, "kb.add_category", "kb.change_category", "kb.view_category"]
_APPOINTMENTS = [f"telephony.{verb}_appointment" for verb in ("view", "add", "change", "delete")]
_CALL_WORK = [
    "telephony.view_call",
    "telephony.change_call",
    "telephony.originate_call",
    *_APPOINTMENTS,
    "cases.start_case",
    "cases.view_casetemplate",
]
_AUTOMATION_MANAGE = [f"automation.{verb}_rule" for verb in ("view", "add", "change", "delete")]
_CALL_LEAD = [*_CALL_WORK, "telephony.view_all_calls", "telephony.view_call_reports"]
_MAIL_MANAGE = ["mail.view_mailbox", "mail.view_inboundemail", "mail.reprocess_inboundemail"]

PERMISSIONS: dict[str, list[str]] = {
    ADMIN: ["*"],
    SUPERVISOR: [
        *_CONTACT_MANAGE,
        *_TEAMS_VIEW,
        "accounts.change_team",
        *_TICKET_MANAGE,
        *_SLA_MANAGE,
        *_CALL_LEAD,
        *_MAIL_MANAGE,
        *_CHANNELS_MANAGE,
        *_KB_MANAGE,
        *_AUTOMATION_MANAGE,
    ],
    DISPATCHER: [
        *_CONTACT_WORK,
        "contacts.merge_contact",
        *_TEAMS_VIEW,
        *_TICKET_LEAD,
        *_CALL_LEAD,
        *_KB_WORK,
    ],
    AGENT: [*_CONTACT_WORK, *_TICKET_WORK, *_CALL_WORK, *_KB_WORK],
    SERVICE_MANAGER: [
        *_CONTACT_MANAGE,
        *_TEAMS_VIEW,
        *_TICKET_MANAGE,
        *_SLA_MANAGE,
        *_CALL_LEAD,
        *_KB_MANAGE,
        *_AUTOMATION_MANAGE,
    ],
    SALES_MANAGER: [*_CONTACT_MANAGE, *_TEAMS_VIEW, *_TICKET_WORK, "helpdesk.view_reports", *_APPOINTMENTS],
    SALES_REP: [*_CONTACT_WORK, "contacts.export_contact", *_TICKET_WORK, *_APPOINTMENTS],
    MARKETER: [*_CONTACT_WORK, "contacts.import_contact", "contacts.export_contact", "helpdesk.view_ticket"],
}
