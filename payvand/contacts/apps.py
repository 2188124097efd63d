from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ContactsConfig(AppConfig):
    name = "payvand.contacts"
    label = "contacts"
    verbose_name = _("Contacts")

    def ready(self) -> None:
        from payvand.contacts import views
        from payvand.contacts.sections import Section, register

        register(Section("flags", _("Flags"), "contacts/sections/flags.html", default_order=10))
        register(
            Section(
                "tickets",
                _("Tickets"),
                "contacts/sections/tickets.html",
                views.section_tickets,
                permission="helpdesk.view_ticket",
                default_order=20,
            )
        )
        register(
            Section(
                "timeline", _("Timeline"), "contacts/sections/timeline.html", views.section_timeline, default_order=50
            )
        )
        register(
            Section("map", _("Addresses and map"), "contacts/sections/map.html", views.section_map, default_order=60)
        )
