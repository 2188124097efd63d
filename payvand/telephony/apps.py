from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TelephonyConfig(AppConfig):
    name = "payvand.telephony"
    label = "telephony"
    verbose_name = _("Telephony")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from payvand.core.events import VERBS
        from payvand.telephony.reports import register

        register()
        self.register_sections()
        # How the call events read on the 360° timeline and the ticket history.
        for verb, text in (
            ("call.ringing", _("Incoming call")),
            ("call.answered", _("Call answered")),
            ("call.hangup", _("Call ended")),
            ("call.missed", _("Missed call")),
            ("call.transferred", _("Call transferred")),
            ("call.logged", _("Call logged")),
            ("call.originated", _("Call started from Payvand")),
            ("call.returned", _("Missed call returned")),
            ("ticket.call_linked", _("Call linked to the ticket")),
            ("appointment.created", _("Call or meeting planned")),
            ("appointment.changed", _("Planned call or meeting changed")),
            ("appointment.done", _("Planned call or meeting done")),
            ("appointment.deleted", _("Planned call or meeting cancelled")),
        ):
            VERBS.setdefault(verb, text)

    def register_sections(self) -> None:
        """The telephony sections of the 360° page: recent calls, and the planned calls and meetings."""
        from payvand.contacts.sections import Section
        from payvand.contacts.sections import register as section_register
        from payvand.telephony import views

        section_register(
            Section(
                "calls",
                _("Calls"),
                "telephony/sections/calls.html",
                views.section_calls,
                permission="telephony.view_call",
                default_order=30,
            )
        )
        section_register(
            Section(
                "appointments",
                _("Scheduled calls and meetings"),
                "telephony/_appointments.html",
                views.section_appointments,
                permission="telephony.view_appointment",
                default_order=40,
            )
        )
