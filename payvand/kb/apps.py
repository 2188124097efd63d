from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class KbConfig(AppConfig):
    name = "payvand.kb"
    label = "kb"
    verbose_name = _("Knowledge base")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from payvand.core.events import VERBS

        for verb, text in (
            ("kb.article_created", _("Article written")),
            ("kb.article_updated", _("Article changed")),
            ("kb.article_drafted_from_ticket", _("Draft article made from the ticket")),
        ):
            VERBS.setdefault(verb, text)
