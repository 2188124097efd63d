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
        ):
            VERBS.setdefault(verb, text)
