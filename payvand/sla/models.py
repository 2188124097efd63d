"""Service levels: business calendars, SLA policies with their escalations, and the per-ticket timers."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

MAX_TARGET_MINUTES = 60 * 24 * 366  # a year of round-the-clock business time


class Weekday(models.IntegerChoices):
    """Python's numbering (date.weekday()): Monday is 0."""

    MONDAY = 0, _("Monday")
    TUESDAY = 1, _("Tuesday")
    WEDNESDAY = 2, _("Wednesday")
    THURSDAY = 3, _("Thursday")
    FRIDAY = 4, _("Friday")
    SATURDAY = 5, _("Saturday")
    SUNDAY = 6, _("Sunday")


class BusinessCalendar(models.Model):
    """When the clock runs: a time zone, working hours per weekday and holidays."""

    name = models.CharField(_("name"), max_length=120, unique=True)
    time_zone = models.CharField(_("time zone"), max_length=64, default="Asia/Tehran")
    country = models.CharField(
        _("holiday country"),
        max_length=8,
        blank=True,
        help_text=_("Country code whose public holidays are loaded (IR, HU, DE, …); empty for none."),
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["name"]
        verbose_name = _("business calendar")
        verbose_name_plural = _("business calendars")

    def __str__(self) -> str:
        return self.name


class WorkingHours(models.Model):
    """One working interval on a weekday (a day may have several, e.g. around a lunch break)."""

    calendar = models.ForeignKey(BusinessCalendar, on_delete=models.CASCADE, related_name="hours")
    weekday = models.PositiveSmallIntegerField(_("weekday"), choices=Weekday.choices)
    start = models.TimeField(_("from"))
    end = models.TimeField(_("until"), help_text=_("00:00 means midnight at the end of the day."))

    class Meta:
        ordering = ["weekday", "start"]
        verbose_name = _("working hours")
        verbose_name_plural = _("working hours")

    def __str__(self) -> str:
        return f"{self.weekday} {self.start}-{self.end}"


class Holiday(models.Model):
    class Source(models.TextChoices):
        PACKAGE = "package", _("Public holiday list")
        ADMIN = "admin", _("Added by an admin")

    calendar = models.ForeignKey(BusinessCalendar, on_delete=models.CASCADE, related_name="holidays")
    date = models.DateField(_("date"))
    name = models.CharField(_("name"), max_length=200)
    source = models.CharField(_("source"), max_length=16, choices=Source.choices, default=Source.ADMIN)

    class Meta:
        ordering = ["date"]
        constraints = [models.UniqueConstraint(fields=["calendar", "date"], name="sla_holiday_unique")]
        verbose_name = _("holiday")
        verbose_name_plural = _("holidays")

    def __str__(self) -> str:
        return f"{self.date} {self.name}"


class TimerKind(models.TextChoices):
    FIRST_RESPONSE = "first_response", _("First response")
    NEXT_RESPONSE = "next_response", _("Next response")
    RESOLUTION = "resolution", _("Resolution")


class SlaPolicy(models.Model):
    """Targets for the tickets it matches. Policies are tried in order; the first whose conditions all hold wins.
    An empty condition matches anything."""

    name = models.CharField(_("name"), max_length=120, unique=True)
    order = models.PositiveIntegerField(_("order"), default=100)
    is_active = models.BooleanField(_("active"), default=True)
    calendar = models.ForeignKey(
        BusinessCalendar, on_delete=models.PROTECT, related_name="policies", verbose_name=_("calendar")
    )
    priorities = models.JSONField(_("priorities"), default=list, blank=True)
    channels = models.JSONField(_("channels"), default=list, blank=True)
    types = models.ManyToManyField("helpdesk.TicketType", blank=True, related_name="+", verbose_name=_("types"))
    segments = models.ManyToManyField(
        "contacts.Segment", blank=True, related_name="+", verbose_name=_("customer groups")
    )
    organisations = models.ManyToManyField(
        "contacts.Contact", blank=True, related_name="+", verbose_name=_("organisations")
    )
    first_response_minutes = models.PositiveIntegerField(
        _("first response (business minutes)"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(MAX_TARGET_MINUTES)],
    )
    next_response_minutes = models.PositiveIntegerField(
        _("next response (business minutes)"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(MAX_TARGET_MINUTES)],
    )
    resolution_minutes = models.PositiveIntegerField(
        _("resolution (business minutes)"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(MAX_TARGET_MINUTES)],
    )
    warning_percent = models.PositiveSmallIntegerField(
        _("warn at (per cent of the target)"), default=80, validators=[MinValueValidator(1), MaxValueValidator(99)]
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["order", "id"]
        verbose_name = _("SLA policy")
        verbose_name_plural = _("SLA policies")

    def __str__(self) -> str:
        return self.name

    def target_for(self, kind: str) -> int | None:
        targets: dict[str, int | None] = {
            TimerKind.FIRST_RESPONSE: self.first_response_minutes,
            TimerKind.NEXT_RESPONSE: self.next_response_minutes,
            TimerKind.RESOLUTION: self.resolution_minutes,
        }
        return targets.get(kind)


class Escalation(models.Model):
    """What happens when one of a policy's timers warns or breaches."""

    class On(models.TextChoices):
        WARNING = "warning", _("Warning")
        BREACH = "breach", _("Breach")

    class Action(models.TextChoices):
        NOTIFY_ASSIGNEE = "notify_assignee", _("Notify the assignee")
        NOTIFY_LEAD = "notify_lead", _("Notify the team lead")
        NOTIFY_MANAGER = "notify_manager", _("Notify the team's service managers")
        REASSIGN = "reassign", _("Reassign to a person")
        RAISE_PRIORITY = "raise_priority", _("Raise the priority")
        REFER = "refer", _("Refer to another team")

    policy = models.ForeignKey(SlaPolicy, on_delete=models.CASCADE, related_name="escalations")
    on = models.CharField(_("on"), max_length=16, choices=On.choices)
    kind = models.CharField(
        _("timer"), max_length=20, choices=TimerKind.choices, blank=True, help_text=_("Empty: every timer.")
    )
    action = models.CharField(_("action"), max_length=20, choices=Action.choices)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("person"),
    )
    team = models.ForeignKey(
        "accounts.Team", null=True, blank=True, on_delete=models.CASCADE, related_name="+", verbose_name=_("team")
    )

    class Meta:
        ordering = ["policy", "on", "id"]
        verbose_name = _("escalation")
        verbose_name_plural = _("escalations")

    def __str__(self) -> str:
        return f"{self.on} {self.action}"


class Timer(models.Model):
    """One clock of one ticket. Running: `running_since` is set and `warn_at`/`breach_at` are the wall-clock
    deadlines (business time already converted), so the scheduler's tick is one indexed range query. Paused or
    stopped: the business seconds used so far are in `used_seconds`."""

    class State(models.TextChoices):
        RUNNING = "running", _("Running")
        PAUSED = "paused", _("Paused")
        STOPPED = "stopped", _("Stopped")

    ticket = models.ForeignKey("helpdesk.Ticket", on_delete=models.CASCADE, related_name="sla_timers")
    policy = models.ForeignKey(SlaPolicy, on_delete=models.CASCADE, related_name="timers")
    kind = models.CharField(max_length=20, choices=TimerKind.choices)
    state = models.CharField(max_length=12, choices=State.choices, default=State.RUNNING)
    target_minutes = models.PositiveIntegerField()
    warning_percent = models.PositiveSmallIntegerField(default=80)
    started_at = models.DateTimeField(default=timezone.now)
    running_since = models.DateTimeField(null=True, blank=True)
    used_seconds = models.PositiveBigIntegerField(default=0)
    warn_at = models.DateTimeField(null=True, blank=True)
    breach_at = models.DateTimeField(null=True, blank=True)
    warned_at = models.DateTimeField(null=True, blank=True)
    breached_at = models.DateTimeField(null=True, blank=True)
    stopped_at = models.DateTimeField(null=True, blank=True)
    # Who had the ticket when the timer stopped (or breached): the compliance report's "per agent" and "per team".
    team = models.ForeignKey("accounts.Team", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["started_at", "id"]
        indexes = [
            models.Index(fields=["ticket", "kind"], name="sla_timer_ticket_idx"),
            models.Index(
                fields=["warn_at"],
                name="sla_timer_warn_due_idx",
                condition=models.Q(state="running", warned_at__isnull=True),
            ),
            models.Index(
                fields=["breach_at"],
                name="sla_timer_breach_due_idx",
                condition=models.Q(state="running", breached_at__isnull=True),
            ),
            models.Index(fields=["started_at"], name="sla_timer_started_idx"),
        ]
        verbose_name = _("SLA timer")
        verbose_name_plural = _("SLA timers")

    def __str__(self) -> str:
        return f"{self.kind} of {self.ticket_id}"

    @property
    def target_seconds(self) -> int:
        return self.target_minutes * 60

    @property
    def warn_seconds(self) -> int:
        return self.target_minutes * 60 * self.warning_percent // 100
