"""Calls and the PBX events that make them: one Call per PBX call id, one CallEvent per (call, event, extension)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Direction(models.TextChoices):
    INBOUND = "inbound", _("Inbound")
    OUTBOUND = "outbound", _("Outbound")


class State(models.TextChoices):
    RINGING = "ringing", _("Ringing")
    ANSWERED = "answered", _("In progress")
    ENDED = "ended", _("Ended")


class Outcome(models.TextChoices):
    ANSWERED = "answered", _("Answered")
    MISSED = "missed", _("Missed")
    VOICEMAIL = "voicemail", _("Voicemail")
    BUSY = "busy", _("Busy")


class EventKind(models.TextChoices):
    RINGING = "ringing", _("Ringing")
    ANSWERED = "answered", _("Answered")
    HANGUP = "hangup", _("Hung up")
    MISSED = "missed", _("Missed")
    TRANSFERRED = "transferred", _("Transferred")


class Callback(models.TextChoices):
    NONE = "", _("Not needed")
    PENDING = "pending", _("To call back")
    DONE = "done", _("Called back")


class WrapUpCode(models.Model):
    """Why the call happened / how it ended, chosen by the agent after the call. Configured in the admin."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    is_active = models.BooleanField(_("active"), default=True)
    order = models.PositiveIntegerField(_("order"), default=0)

    class Meta:
        ordering = ["order", "name"]
        verbose_name = _("wrap-up code")
        verbose_name_plural = _("wrap-up codes")

    def __str__(self) -> str:
        return self.name


class Call(models.Model):
    call_id = models.CharField(_("PBX call id"), max_length=128, unique=True)
    direction = models.CharField(_("direction"), max_length=8, choices=Direction.choices, default=Direction.INBOUND)
    caller = models.CharField(_("caller number"), max_length=64, blank=True)
    caller_e164 = models.CharField(_("customer number (E.164)"), max_length=32, blank=True, db_index=True)
    dialled = models.CharField(_("dialled number"), max_length=64, blank=True)
    extension = models.CharField(_("extension"), max_length=32, blank=True)
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="calls",
        verbose_name=_("agent"),
    )
    state = models.CharField(_("state"), max_length=8, choices=State.choices, default=State.RINGING)
    outcome = models.CharField(_("outcome"), max_length=12, choices=Outcome.choices, blank=True)
    started_at = models.DateTimeField(_("started"), default=timezone.now, db_index=True)
    answered_at = models.DateTimeField(_("answered"), null=True, blank=True)
    ended_at = models.DateTimeField(_("ended"), null=True, blank=True)
    duration = models.PositiveIntegerField(_("talk time (seconds)"), null=True, blank=True)
    wrap_up = models.ForeignKey(
        WrapUpCode, null=True, blank=True, on_delete=models.PROTECT, related_name="calls", verbose_name=_("wrap-up")
    )
    note = models.TextField(_("note"), blank=True)
    contact = models.ForeignKey(
        "contacts.Contact",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="calls",
        verbose_name=_("contact"),
    )
    ticket = models.ForeignKey(
        "helpdesk.Ticket",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="calls",
        verbose_name=_("ticket"),
    )
    callback = models.CharField(_("callback"), max_length=8, choices=Callback.choices, blank=True, db_index=True)
    returned_at = models.DateTimeField(_("called back at"), null=True, blank=True)
    logged_at = models.DateTimeField(_("logged"), null=True, blank=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["-started_at", "-id"]
        verbose_name = _("call")
        verbose_name_plural = _("calls")
        indexes = [
            models.Index(fields=["agent", "-started_at"], name="telephony_call_agent_idx"),
            models.Index(fields=["contact", "-started_at"], name="telephony_call_contact_idx"),
        ]
        permissions = [
            ("post_events", _("Send call events (PBX connector)")),
            ("view_all_calls", _("See every agent's calls")),
            ("originate_call", _("Start calls from Payvand (click-to-call)")),
            ("view_call_reports", _("See call-centre reports")),
        ]

    def __str__(self) -> str:
        return f"{self.call_id} {self.caller}"


class CallEvent(models.Model):
    call = models.ForeignKey(Call, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(_("event"), max_length=12, choices=EventKind.choices)
    extension = models.CharField(_("extension"), max_length=32, blank=True)
    occurred_at = models.DateTimeField(_("occurred"), default=timezone.now)
    received_at = models.DateTimeField(_("received"), default=timezone.now)
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["occurred_at", "id"]
        verbose_name = _("call event")
        verbose_name_plural = _("call events")
        constraints = [
            models.UniqueConstraint(fields=["call", "kind", "extension"], name="telephony_event_once"),
        ]

    def __str__(self) -> str:
        return f"{self.call_id} {self.kind}"


class AppointmentKind(models.TextChoices):
    CALL = "call", _("Call")
    MEETING = "meeting", _("Meeting")


class Appointment(models.Model):
    """A call or meeting with a customer planned for a time (R-002.14): in the owner's cartable, on the contact's
    360° page, and a reminder to the owner when it starts."""

    contact = models.ForeignKey(
        "contacts.Contact", on_delete=models.CASCADE, related_name="appointments", verbose_name=_("contact")
    )
    ticket = models.ForeignKey(
        "helpdesk.Ticket",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="appointments",
        verbose_name=_("ticket"),
    )
    kind = models.CharField(_("kind"), max_length=10, choices=AppointmentKind.choices, default=AppointmentKind.CALL)
    starts_at = models.DateTimeField(_("starts"))
    duration = models.PositiveIntegerField(_("duration (minutes)"), default=15)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="appointments", verbose_name=_("owner")
    )
    note = models.TextField(_("note"), blank=True)
    done = models.BooleanField(_("done"), default=False)
    reminded_at = models.DateTimeField(_("reminded"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["starts_at", "id"]
        verbose_name = _("scheduled call or meeting")
        verbose_name_plural = _("scheduled calls and meetings")
        indexes = [
            models.Index(fields=["owner", "done", "starts_at"], name="telephony_appt_owner"),
            models.Index(fields=["contact", "starts_at"], name="telephony_appt_contact"),
            models.Index(fields=["done", "reminded_at", "starts_at"], name="telephony_appt_due"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.starts_at:%Y-%m-%d %H:%M}"
