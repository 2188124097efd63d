from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FormsConfig(AppConfig):
    name = "payvand.forms"
    label = "formbuilder"
    verbose_name = _("Forms")
    default_auto_field = "django.db.models.BigAutoField"
