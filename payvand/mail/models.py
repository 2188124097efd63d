"""Mailboxes, the raw store of every inbound email, and the copies of every email sent."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Mailbox(models.Model):
    """An address customers write to: how mail comes in (IMAP, the SMTP listener, the HTTP endpoint, files), how
    replies go out (SMTP), where new requests are routed, and how they are acknowledged."""

    class AfterImport(models.TextChoices):
        SEEN = "seen", _("Mark as seen")
        MOVE = "move", _("Move to a folder")

    class Security(models.TextChoices):
        STARTTLS = "starttls", _("STARTTLS")
        SSL = "ssl", _("TLS (SSL)")
        NONE = "none", _("None (local relay only)")

    class ReplyToClosed(models.TextChoices):
        DEFAULT = "", _("The installation's setting")
        REOPEN = "reopen", _("Reopen the ticket")
        FOLLOW_UP = "follow_up", _("Open a follow-up ticket")

    name = models.CharField(_("name"), max_length=120)
    address = models.EmailField(_("address"), unique=True)
    aliases = models.TextField(
        _("other addresses"), blank=True, help_text=_("More addresses delivered to this mailbox, one per line.")
    )
    from_name = models.CharField(_("sender name"), max_length=120, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    team = models.ForeignKey(
        "accounts.Team",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("team"),
        help_text=_("New requests go to this team; empty: the routing rules decide."),
    )
    language = models.CharField(_("language"), max_length=8, choices=settings.LANGUAGES, default=settings.LANGUAGE_CODE)
    reply_to_closed = models.CharField(
        _("reply to a closed ticket"), max_length=16, choices=ReplyToClosed.choices, blank=True, default=""
    )
    auto_acknowledge = models.BooleanField(_("acknowledge new requests"), default=True)
    rate_limit_per_hour = models.PositiveIntegerField(
        _("messages per sender and hour"),
        default=30,
        help_text=_("Mail beyond this from one sender is kept but not turned into tickets; 0: no limit."),
    )
    # IMAP polling
    imap_host = models.CharField(_("IMAP host"), max_length=255, blank=True)
    imap_port = models.PositiveIntegerField(_("IMAP port"), default=993)
    imap_tls = models.BooleanField(_("IMAP over TLS"), default=True)
    imap_ca_file = models.CharField(
        _("IMAP CA certificate file"),
        max_length=500,
        blank=True,
        help_text=_(
            "Path to a PEM file of the certificate authority that signed the IMAP server's certificate, when it is "
            "not one the system trusts (your own CA); empty: MAIL_IMAP_CA_FILE, else the system's authorities."
        ),
    )
    imap_user = models.CharField(_("IMAP user"), max_length=255, blank=True)
    imap_password = models.CharField(_("IMAP password"), max_length=255, blank=True)
    imap_folder = models.CharField(_("IMAP folder"), max_length=255, default="INBOX")
    imap_after = models.CharField(
        _("after import"), max_length=8, choices=AfterImport.choices, default=AfterImport.SEEN
    )
    imap_move_to = models.CharField(_("move to folder"), max_length=255, blank=True, default="Payvand")
    imap_polled_at = models.DateTimeField(_("last polled"), null=True, blank=True, editable=False)
    imap_error = models.TextField(_("last polling error"), blank=True, editable=False)
    # Outbound SMTP; an empty host sends through the installation's default mailer.
    smtp_host = models.CharField(_("SMTP host"), max_length=255, blank=True)
    smtp_port = models.PositiveIntegerField(_("SMTP port"), default=587)
    smtp_security = models.CharField(
        _("SMTP security"), max_length=8, choices=Security.choices, default=Security.STARTTLS
    )
    smtp_user = models.CharField(_("SMTP user"), max_length=255, blank=True)
    smtp_password = models.CharField(_("SMTP password"), max_length=255, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("mailbox")
        verbose_name_plural = _("mailboxes")

    def __str__(self) -> str:
        return f"{self.name} <{self.address}>"

    @property
    def addresses(self) -> list[str]:
        """Every address of the mailbox, lower-cased, the main one first."""
        extra = [a.strip().lower() for a in self.aliases.replace(",", "\n").splitlines() if a.strip()]
        return list(dict.fromkeys([self.address.lower(), *extra]))


class AckTemplate(models.Model):
    """The acknowledgement of a new request, in one language. `{reference}`, `{subject}` and `{name}` are filled in."""

    mailbox = models.ForeignKey(Mailbox, on_delete=models.CASCADE, related_name="ack_templates")
    language = models.CharField(_("language"), max_length=8, choices=settings.LANGUAGES)
    subject = models.CharField(_("subject"), max_length=300, default="[{reference}] {subject}")
    body = models.TextField(_("text"))

    class Meta:
        constraints = [models.UniqueConstraint(fields=["mailbox", "language"], name="mail_ack_template_unique")]
        verbose_name = _("acknowledgement template")
        verbose_name_plural = _("acknowledgement templates")

    def __str__(self) -> str:
        return f"{self.mailbox_id} {self.language}"


class InboundEmail(models.Model):
    """One inbound message exactly as it arrived, stored before anything reads it."""

    class Status(models.TextChoices):
        RECEIVED = "received", _("Received")
        PROCESSED = "processed", _("Processed")
        UNPROCESSABLE = "unprocessable", _("Unprocessable")

    class Source(models.TextChoices):
        IMAP = "imap", _("IMAP")
        SMTP = "smtp", _("SMTP listener")
        HTTP = "http", _("HTTP endpoint")
        FILE = "file", _("File import")

    class Kind(models.TextChoices):
        MESSAGE = "", _("Message")
        AUTO_REPLY = "auto_reply", _("Automatic reply")
        BULK = "bulk", _("Bulk or list mail")
        BOUNCE = "bounce", _("Delivery failure (bounce)")
        OWN = "own", _("From one of our addresses")

    mailbox = models.ForeignKey(Mailbox, on_delete=models.PROTECT, related_name="inbound")
    # The idempotency key: the Message-ID, or "sha256:<hash of the bytes>" when the message has none.
    key = models.CharField(max_length=300)
    message_id = models.CharField(_("Message-ID"), max_length=300, blank=True, db_index=True)
    raw = models.BinaryField(_("raw message"))
    size = models.PositiveBigIntegerField(_("size"), default=0)
    source = models.CharField(_("source"), max_length=8, choices=Source.choices)
    sender = models.CharField(_("sender"), max_length=254, blank=True)
    subject = models.CharField(_("subject"), max_length=300, blank=True)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices, blank=True, default="")
    language = models.CharField(_("language"), max_length=8, blank=True)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.RECEIVED)
    reason = models.TextField(_("reason"), blank=True)
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    received_at = models.DateTimeField(_("received"), default=timezone.now)
    processed_at = models.DateTimeField(_("processed"), null=True, blank=True)
    # Set when an admin sends the message through again: their decision overrides the per-sender rate limit.
    reprocessed_at = models.DateTimeField(_("reprocessed"), null=True, blank=True)
    ticket = models.ForeignKey(
        "helpdesk.Ticket", null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("ticket")
    )
    ticket_message = models.ForeignKey(
        "helpdesk.Message", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-received_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["mailbox", "key"], name="mail_inbound_unique")]
        indexes = [
            models.Index(fields=["status", "received_at"], name="mail_inbound_status_idx"),
            models.Index(fields=["sender", "received_at"], name="mail_inbound_sender_idx"),
        ]
        permissions = [
            ("reprocess_inboundemail", "Can reprocess inbound email"),
            ("deliver_inboundemail", "Can deliver raw inbound email (mail servers piping mail)"),
        ]
        verbose_name = _("inbound email")
        verbose_name_plural = _("inbound emails")

    def __str__(self) -> str:
        return self.key


class OutboundEmail(models.Model):
    """An email we sent (or are sending): its Message-ID threads the customer's answer back to the ticket."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")

    class Kind(models.TextChoices):
        REPLY = "reply", _("Reply")
        ACK = "ack", _("Acknowledgement")

    mailbox = models.ForeignKey(Mailbox, null=True, blank=True, on_delete=models.SET_NULL, related_name="outbound")
    ticket = models.ForeignKey("helpdesk.Ticket", on_delete=models.CASCADE, related_name="+")
    ticket_message = models.ForeignKey(
        "helpdesk.Message", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    kind = models.CharField(_("kind"), max_length=8, choices=Kind.choices, default=Kind.REPLY)
    message_id = models.CharField(_("Message-ID"), max_length=300, unique=True)
    in_reply_to = models.CharField(max_length=300, blank=True)
    references = models.TextField(blank=True)
    to_address = models.CharField(_("to"), max_length=254)
    subject = models.CharField(_("subject"), max_length=300)
    body_text = models.TextField(_("text"), blank=True)
    body_html = models.TextField(_("HTML"), blank=True)
    language = models.CharField(_("language"), max_length=8, blank=True)
    raw = models.BinaryField(_("sent copy"), blank=True, default=b"")
    status = models.CharField(_("status"), max_length=8, choices=Status.choices, default=Status.QUEUED)
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    last_error = models.TextField(_("last error"), blank=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="mail_outbound_due_idx"),
            models.Index(fields=["ticket", "created_at"], name="mail_outbound_ticket_idx"),
        ]
        verbose_name = _("outbound email")
        verbose_name_plural = _("outbound emails")

    def __str__(self) -> str:
        return self.message_id
