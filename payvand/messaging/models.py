"""Channels other than email: who writes from where, every inbound message raw, every outbound delivery, web forms."""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Kind(models.TextChoices):
    SMS = "sms", _("SMS")
    TELEGRAM = "telegram", _("Telegram")
    WHATSAPP = "whatsapp", _("WhatsApp")


# The helpdesk channel a message of each kind carries (helpdesk has one "social" channel for the messengers).
HELPDESK_CHANNEL = {Kind.SMS: "sms", Kind.TELEGRAM: "social", Kind.WHATSAPP: "social"}


class ChannelIdentity(models.Model):
    """A sender on a channel (an E.164 phone for SMS and WhatsApp, a chat id for Telegram) mapped to a contact."""

    kind = models.CharField(_("channel"), max_length=16, choices=Kind.choices)
    address = models.CharField(_("address"), max_length=64)
    contact = models.ForeignKey(
        "contacts.Contact", on_delete=models.CASCADE, related_name="channel_identities", verbose_name=_("contact")
    )
    display_name = models.CharField(_("name"), max_length=200, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    last_seen_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["kind", "address"], name="messaging_identity_unique")]
        verbose_name = _("channel identity")
        verbose_name_plural = _("channel identities")

    def __str__(self) -> str:
        return f"{self.kind}:{self.address}"


class InboundMessage(models.Model):
    """A message exactly as the provider delivered it, stored before it is parsed. (provider, provider message id)
    is unique: a webhook delivered twice is one row."""

    class State(models.TextChoices):
        RECEIVED = "received", _("Received")
        PROCESSED = "processed", _("Processed")
        FAILED = "failed", _("Could not be processed")
        # More messages from this sender within the hour than the channel's rate limit: kept, not turned into a
        # ticket message, not retried by the scheduler; an admin processes it by hand if it was a real customer.
        RATE_LIMITED = "rate_limited", _("Over the sender's rate limit")

    provider = models.CharField(_("provider"), max_length=32)
    kind = models.CharField(_("channel"), max_length=16, choices=Kind.choices)
    provider_message_id = models.CharField(_("provider message id"), max_length=200)
    sender = models.CharField(_("sender"), max_length=64)
    raw = models.TextField(_("raw body"))
    content_type = models.CharField(max_length=100, blank=True)
    # What was read out of the raw body when it was stored (sender, text, file references): processing uses it.
    data = models.JSONField(default=dict, blank=True)
    state = models.CharField(_("state"), max_length=16, choices=State.choices, default=State.RECEIVED)
    error = models.TextField(_("error"), blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    # A failed message is tried again from this time (backoff), until CHANNEL_SEND_ATTEMPTS; then only by hand.
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    ticket_message = models.ForeignKey(
        "helpdesk.Message", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # An SMS that answered (or was an unclear answer to) a satisfaction survey: it became the rating, not a message.
    survey = models.ForeignKey(
        "messaging.SmsSurvey",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="replies",
        verbose_name=_("satisfaction survey"),
    )
    received_at = models.DateTimeField(_("received"), default=timezone.now)
    processed_at = models.DateTimeField(_("processed"), null=True, blank=True)
    # Set when an admin processes the message again: the sender's rate limit no longer holds it back.
    reprocessed_at = models.DateTimeField(_("processed again"), null=True, blank=True)

    class Meta:
        ordering = ["-received_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["provider", "provider_message_id"], name="messaging_inbound_unique")
        ]
        indexes = [
            models.Index(fields=["state", "received_at"], name="messaging_inbound_state_idx"),
            models.Index(fields=["kind", "sender", "received_at"], name="messaging_inbound_sender_idx"),
        ]
        verbose_name = _("inbound message")
        verbose_name_plural = _("inbound messages")

    def __str__(self) -> str:
        return f"{self.provider}:{self.provider_message_id}"


class SmsSurvey(models.Model):
    """The satisfaction survey sent by SMS after a request was resolved. While it is pending (not answered, not
    expired, the request still resolved or closed) an SMS from that number that starts with 1-5 is the rating."""

    ticket = models.OneToOneField(
        "helpdesk.Ticket", on_delete=models.CASCADE, related_name="sms_survey", verbose_name=_("ticket")
    )
    phone = models.CharField(_("phone"), max_length=64)
    language = models.CharField(_("language"), max_length=8)
    message = models.ForeignKey("helpdesk.Message", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    sent_at = models.DateTimeField(_("sent"), default=timezone.now)
    expires_at = models.DateTimeField(_("expires"))
    reasked_at = models.DateTimeField(_("asked again"), null=True, blank=True)
    answered_at = models.DateTimeField(_("answered"), null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["phone", "answered_at", "expires_at"], name="messaging_survey_phone_idx")]
        verbose_name = _("SMS satisfaction survey")
        verbose_name_plural = _("SMS satisfaction surveys")

    def __str__(self) -> str:
        return f"survey of {self.ticket_id} to {self.phone}"


class OutboundMessage(models.Model):
    """One delivery of a public reply over SMS, Telegram or WhatsApp, retried with backoff."""

    class State(models.TextChoices):
        PENDING = "pending", _("Waiting")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")

    message = models.ForeignKey("helpdesk.Message", on_delete=models.CASCADE, related_name="deliveries")
    kind = models.CharField(_("channel"), max_length=16, choices=Kind.choices)
    provider = models.CharField(_("provider"), max_length=32)
    to = models.CharField(_("to"), max_length=64)
    state = models.CharField(_("state"), max_length=16, choices=State.choices, default=State.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(_("last error"), blank=True)
    provider_message_id = models.CharField(max_length=200, blank=True)
    # How many parts of the reply went out (text messages, then files): a retry sends only the rest.
    parts_sent = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [models.UniqueConstraint(fields=["message", "kind"], name="messaging_outbound_unique")]
        indexes = [models.Index(fields=["state", "next_attempt_at"], name="messaging_outbound_due_idx")]
        verbose_name = _("outbound message")
        verbose_name_plural = _("outbound messages")

    def __str__(self) -> str:
        return f"{self.kind} to {self.to}"


class WebForm(models.Model):
    """The public web form of a ticket type, at /f/<slug>/, embeddable on another site."""

    ticket_type = models.OneToOneField(
        "helpdesk.TicketType", on_delete=models.CASCADE, related_name="web_form", verbose_name=_("ticket type")
    )
    slug = models.SlugField(_("address"), max_length=80, unique=True)
    title = models.CharField(_("title"), max_length=200)
    intro = models.TextField(_("introduction"), blank=True)
    thanks = models.TextField(_("thank-you text"), blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["title"]
        verbose_name = _("web form")
        verbose_name_plural = _("web forms")

    def __str__(self) -> str:
        return self.title


class WebFormHit(models.Model):
    """One submission attempt of a public form from an IP address: the per-IP rate limit counts these."""

    ip = models.GenericIPAddressField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["ip", "created_at"], name="messaging_webhit_ip_idx")]

    def __str__(self) -> str:
        return f"{self.ip} {self.created_at:%Y-%m-%d %H:%M}"
