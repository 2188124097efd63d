"""Forms built by admins: JSON Schema for the values plus a layout (sections, field order, conditions)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from payvand.core.models import TimeStampedModel


class Form(TimeStampedModel):
    """A form definition. `schema` is a JSON Schema (draft 2020-12) object for the values; `layout` says how the
    fields are shown: {"sections": [{"title": str, "fields": [name, ...]}], "fields": {name: {"kind": ..., "label":
    ..., "show_if": {"field": name, "equals": value}}}}."""

    name = models.CharField(_("name"), max_length=120, unique=True)
    description = models.TextField(_("description"), blank=True)
    schema = models.JSONField(_("schema"), default=dict, blank=True)
    layout = models.JSONField(_("layout"), default=dict, blank=True)
    version = models.PositiveIntegerField(_("version"), default=1)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("form")
        verbose_name_plural = _("forms")

    def __str__(self) -> str:
        return self.name
