"""Shared kernel models: the Event timeline and the scheduler lease."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class TimeStampedModel(models.Model):
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        abstract = True


class Event(models.Model):
    """One state change: who did what to which object. The timeline, the audit trail and the webhook feed."""

    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("actor"),
    )
    verb = models.CharField(_("verb"), max_length=64)
    target_type = models.ForeignKey(ContentType, on_delete=models.CASCADE, related_name="+")
    target_id = models.CharField(max_length=64)
    target = GenericForeignKey("target_type", "target_id")
    # The customer the event concerns, so the 360° page can show one timeline across every app.
    contact = models.ForeignKey(
        "contacts.Contact",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="events",
        verbose_name=_("contact"),
    )
    data = models.JSONField(_("data"), default=dict, blank=True)
    created_at = models.DateTimeField(_("time"), default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["target_type", "target_id", "-created_at"], name="core_event_target_idx"),
            models.Index(fields=["contact", "-created_at"], name="core_event_contact_idx"),
        ]
        verbose_name = _("event")
        verbose_name_plural = _("events")

    def __str__(self) -> str:
        return f"{self.verb} {self.target_type_id}:{self.target_id}"

    @property
    def summary(self) -> Any:
        from payvand.core.events import describe

        return describe(self)


class SchedulerLease(models.Model):
    """A single row that only one running scheduler may hold at a time."""

    name = models.CharField(max_length=64, primary_key=True)
    holder = models.CharField(max_length=128, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.name} held by {self.holder or '-'}"


class ScheduledRun(models.Model):
    """When each periodic job was last enqueued, so the scheduler enqueues each due job exactly once."""

    job = models.CharField(max_length=128, primary_key=True)
    last_run_at = models.DateTimeField()

    def __str__(self) -> str:
        return self.job
