"""Automation rules: a trigger, conditions (all or any) and actions, kept as JSON lists that the engine compiles
once per change of the rule set. `RuleFiring` counts how often a rule ran on a ticket (loop protection)."""

from __future__ import annotations

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from payvand.helpdesk.models import StatusCategory


class Trigger(models.TextChoices):
    TICKET_CREATED = "ticket.created", _("Ticket created")
    TICKET_UPDATED = "ticket.updated", _("Ticket updated")
    MESSAGE_RECEIVED = "message.received", _("Message received from the customer")
    TASK_DONE = "task.done", _("Task done")
    SLA_WARNING = "sla.warning", _("SLA warning")
    SLA_BREACHED = "sla.breached", _("SLA breached")
    TIME_ELAPSED = "time.elapsed", _("Time passed in a status")


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
    # Time-based rules (trigger time.elapsed): `after_minutes` in `state`, counted in the calendar's business time
    # (wall-clock time without a calendar); once per ticket and entry into the state.
    state = models.CharField(_("status"), max_length=24, blank=True, choices=StatusCategory.choices)
    after_minutes = models.PositiveIntegerField(_("after (minutes)"), null=True, blank=True)
    calendar = models.ForeignKey(
        "sla.BusinessCalendar",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("business calendar"),
    )
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


class StateEntry(models.Model):
    """When the ticket entered its current status category (kept by the helpdesk's status changes)."""

    ticket = models.OneToOneField("helpdesk.Ticket", on_delete=models.CASCADE, primary_key=True, related_name="+")
    category = models.CharField(max_length=24, choices=StatusCategory.choices)
    entered_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["category", "entered_at"], name="automation_state_entry_idx")]

    def __str__(self) -> str:
        return f"{self.ticket_id}: {self.category} since {self.entered_at:%Y-%m-%d %H:%M}"


class TimedFiring(models.Model):
    """A time-based rule fired on a ticket for one entry into the state: it never fires twice for it."""

    rule = models.ForeignKey(Rule, on_delete=models.CASCADE, related_name="timed_firings")
    ticket = models.ForeignKey("helpdesk.Ticket", on_delete=models.CASCADE, related_name="+")
    entered_at = models.DateTimeField()
    fired_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["rule", "ticket", "entered_at"], name="automation_timed_once")]

    def __str__(self) -> str:
        return f"{self.rule_id}@{self.ticket_id}"


class WebhookSubscription(models.Model):
    """An outgoing subscription: the events whose verb starts with one of `events` are POSTed to `url`, signed
    with HMAC-SHA256 of the body under `secret`."""

    name = models.CharField(_("name"), max_length=200)
    url = models.URLField(_("address"), max_length=500)
    secret = models.CharField(_("secret"), max_length=128)
    events = models.JSONField(_("events"), default=list, help_text=_("Verb prefixes, e.g. ticket. or ticket.created"))
    is_active = models.BooleanField(_("active"), default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("webhook")
        verbose_name_plural = _("webhooks")

    def __str__(self) -> str:
        return self.name


class WebhookDelivery(models.Model):
    class State(models.TextChoices):
        PENDING = "pending", _("Waiting")
        DELIVERED = "delivered", _("Delivered")
        FAILED = "failed", _("Failed")

    subscription = models.ForeignKey(WebhookSubscription, on_delete=models.CASCADE, related_name="deliveries")
    event_id = models.BigIntegerField()
    verb = models.CharField(max_length=64)
    payload = models.JSONField(default=dict)
    state = models.CharField(_("state"), max_length=16, choices=State.choices, default=State.PENDING)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    last_status = models.PositiveSmallIntegerField(_("last response"), null=True, blank=True)
    last_error = models.CharField(_("last error"), max_length=500, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(
                fields=["next_attempt_at"], name="automation_webhook_due_idx", condition=models.Q(state="pending")
            ),
            models.Index(fields=["subscription", "-created_at"], name="automation_webhook_log_idx"),
        ]
        constraints = [models.UniqueConstraint(fields=["subscription", "event_id"], name="automation_webhook_once")]

    def __str__(self) -> str:
        return f"{self.verb} → {self.subscription_id} ({self.state})"


class WebhookCursor(models.Model):
    """The last Event handed to the subscriptions (one row)."""

    name = models.CharField(max_length=32, unique=True)
    last_event_id = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.name}: {self.last_event_id}"


class ApprovalRequest(models.Model):
    """A general approval step on any record (a generic relation): refunds and discounts on tickets now, sales
    orders and marketing plans later. It goes to approvers (chosen by user, or everyone with a role at the time of
    the request) and needs any one of them or all of them."""

    class Kind(models.TextChoices):
        REFUND = "refund", _("Refund")
        DISCOUNT = "discount", _("Discount")
        OTHER = "other", _("Other")

    class Mode(models.TextChoices):
        ANY = "any", _("Any one approver")
        ALL = "all", _("All approvers")

    class State(models.TextChoices):
        PENDING = "pending", _("Waiting for approval")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")

    target_type = models.ForeignKey("contenttypes.ContentType", on_delete=models.CASCADE, related_name="+")
    target_id = models.CharField(max_length=64)
    target = GenericForeignKey("target_type", "target_id")
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    amount = models.DecimalField(_("amount"), max_digits=14, decimal_places=2, null=True, blank=True)
    currency = models.CharField(_("currency"), max_length=3, blank=True)
    reason = models.TextField(_("reason"))
    mode = models.CharField(_("needs"), max_length=8, choices=Mode.choices, default=Mode.ANY)
    state = models.CharField(_("state"), max_length=16, choices=State.choices, default=State.PENDING)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("requested by")
    )
    created_at = models.DateTimeField(default=timezone.now)
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["target_type", "target_id"], name="automation_approval_target_idx")]
        verbose_name = _("approval request")
        verbose_name_plural = _("approval requests")

    def __str__(self) -> str:
        return f"{self.kind} {self.amount or ''} ({self.state})"


class ApprovalStep(models.Model):
    """One approver's part of a request."""

    class Decision(models.TextChoices):
        PENDING = "pending", _("Waiting")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")

    request = models.ForeignKey(ApprovalRequest, on_delete=models.CASCADE, related_name="steps")
    approver = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="approval_steps")
    decision = models.CharField(_("decision"), max_length=16, choices=Decision.choices, default=Decision.PENDING)
    comment = models.TextField(_("comment"), blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["approver", "decision"], name="automation_approval_mine_idx")]
        constraints = [models.UniqueConstraint(fields=["request", "approver"], name="automation_approval_once")]

    def __str__(self) -> str:
        return f"{self.request_id}: {self.approver_id} {self.decision}"
