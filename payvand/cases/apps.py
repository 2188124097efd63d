from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CasesConfig(AppConfig):
    name = "payvand.cases"
    label = "cases"
    verbose_name = _("Guided cases")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from payvand.cases import views
        from payvand.contacts.sections import Section, register
        from payvand.core.events import VERBS

        VERBS.setdefault("case.started", _("Guided case started"))
        VERBS.setdefault("case.template_created", _("Guided case created"))
        VERBS.setdefault("case.template_updated", _("Guided case changed"))
        VERBS.setdefault("case.template_archived", _("Guided case archived"))
        VERBS.setdefault("case.template_deleted", _("Guided case deleted"))
        register(
            Section(
                "cases",
                _("Guided cases"),
                "cases/section.html",
                views.section_cases,
                permission="cases.start_case",
                default_order=15,
            )
        )
