"""Forms built by admins: JSON Schema for the values plus a layout (sections, field order, conditions)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from payvand.core.models import TimeStampedModel


class Form(TimeStampedModel):
    """A form definition. `schema` is a JSON Schema (draft 2020-12) object for the values; `layout` says how the
    fields are shown: {"sections": [{"title": str, "fields": [name, ...]}], "fields": {name: {"kind": ..., "label":
    ..., "show_if": {"field": name, "equals": value}}}}. Both are written only by `services.form_spec_compile`
    (docs/forms.md describes the format)."""

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


class FormVersion(models.Model):
    """The schema and layout of every version of a form, so values saved under an older version can still be shown
    the way they were entered."""

    form = models.ForeignKey(Form, on_delete=models.CASCADE, related_name="versions", verbose_name=_("form"))
    version = models.PositiveIntegerField(_("version"))
    schema = models.JSONField(_("schema"), default=dict, blank=True)
    layout = models.JSONField(_("layout"), default=dict, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["form", "-version"]
        constraints = [models.UniqueConstraint(fields=["form", "version"], name="formbuilder_version_unique")]
        verbose_name = _("form version")
        verbose_name_plural = _("form versions")

    def __str__(self) -> str:
        return f"{self.form_id} v{self.version}"
