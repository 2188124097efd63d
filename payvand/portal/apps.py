from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PortalConfig(AppConfig):
    name = "payvand.portal"
    label = "portal"
    verbose_name = _("Customer portal")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from payvand.core.events import VERBS
        from payvand.portal.reports import register

        register()
        for verb, text in (
            ("portal.signed_in", _("Signed in to the portal")),
            ("portal.accepted", _("The customer accepted the resolution")),
            ("satisfaction.answered", _("The customer rated the service")),
        ):
            VERBS.setdefault(verb, text)
