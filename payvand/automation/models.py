"""Automation rules: a trigger, conditions (all or any) and actions, kept as JSON lists that the engine compiles
once per change of the rule set. `RuleFiring` counts how often a rule ran on a ticket (loop protection)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Trigger(models.TextChoices):
    TICKET_CREATED = "ticket.created", _("Ticket created")
    TICKET_UPDATED = "ticket.updated", _("Ticket updated")
    MESSAGE_RECEIVED = "message.received", _("Message received from the customer")
    TASK_DONE = "task.done", _("Task done")
    SLA_WARNING = "sla.warning", _("SLA warning")
    SLA_BREACHED = "sla.breached", _("SLA breached")


class Rule(models.Model):
    class Match(models.TextChoices):
        ALL = "all", _("All conditions")
        ANY = "any", _("Any condition")

    name = models.CharField(_("name"), max_length=200)
    trigger = models.CharField(_("trigger"), max_length=32, choices=Trigger.choices)
    match = models.CharField(_("match"), max_length=8, choices=Match.choices, default=Match.ALL)
    conditions = models.JSONField(_("conditions"), default=list, blank=True)
    actions = models.JSONField(_("actions"), default=list)
    position = models.PositiveIntegerField(_("order"), default=100)
    is_active = models.BooleanField(_("active"), default=True)
    max_fires = models.PositiveSmallIntegerField(_("runs at most, per ticket"), default=3)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["position", "id"]
        indexes = [models.Index(fields=["trigger", "is_active", "position"], name="automation_rule_active_idx")]
        verbose_name = _("automation rule")
        verbose_name_plural = _("automation rules")

    def __str__(self) -> str:
        return self.name


class RuleFiring(models.Model):
    """How many times a rule ran (or failed) on one ticket."""

    rule = models.ForeignKey(Rule, on_delete=models.CASCADE, related_name="firings")
    ticket = models.ForeignKey("helpdesk.Ticket", on_delete=models.CASCADE, related_name="+")
    count = models.PositiveIntegerField(default=0)
    last_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["ticket", "rule"], name="automation_firing_unique")]

    def __str__(self) -> str:
        return f"{self.rule_id}@{self.ticket_id}: {self.count}"


class Macro(models.Model):
    """A canned reply with placeholders, plus actions (the same as a rule's). Shared with everyone (no team, no
    owner), with one team, or personal (an owner)."""

    name = models.CharField(_("name"), max_length=200)
    body = models.TextField(_("reply"), blank=True)
    actions = models.JSONField(_("actions"), default=list, blank=True)
    team = models.ForeignKey(
        "accounts.Team", null=True, blank=True, on_delete=models.CASCADE, related_name="+", verbose_name=_("team")
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="macros",
        verbose_name=_("personal for"),
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("macro")
        verbose_name_plural = _("macros")

    def __str__(self) -> str:
        return self.name
