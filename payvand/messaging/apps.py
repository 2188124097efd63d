from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MessagingConfig(AppConfig):
    name = "payvand.messaging"
    label = "messaging"
    verbose_name = _("Channels")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from payvand.core.events import VERBS

        for verb, text in (
            ("message.delivered", _("Reply delivered")),
            ("message.delivery_failed", _("Reply could not be delivered")),
            ("message.delivery_retry", _("Reply delivery failed; retrying")),
            ("satisfaction.sms_sent", _("Satisfaction survey sent by SMS")),
            ("satisfaction.sms_unclear", _("The SMS answer to the survey was not a rating from 1 to 5; asked again")),
        ):
            VERBS.setdefault(verb, text)
