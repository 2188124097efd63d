from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SlaConfig(AppConfig):
    name = "payvand.sla"
    label = "sla"
    verbose_name = _("Service levels")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # The timeline's texts and the compliance reports live with the app, registered into the shared tables.
        from payvand.sla import reports, verbs

        verbs.register()
        reports.register()
