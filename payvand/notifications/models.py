"""In-app and email notifications, and what each user wants to receive."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Kind(models.TextChoices):
    ASSIGNED = "assigned", _("A ticket is assigned to me")
    REFERRED = "referred", _("A ticket is referred to me or my team")
    MESSAGE = "message", _("A new message on a ticket I follow")
    MENTION = "mention", _("Someone mentions me")
    TASK = "task", _("A task is given to me")
    REVIEW = "review", _("A reply waits for my review")
    REVIEW_DONE = "review_done", _("My reply was approved or returned")
    STATUS = "status", _("A ticket I follow changes status")
    QUEUED = "queued", _("A new ticket arrives in my team's queue")
    APPOINTMENT = "appointment", _("A call or meeting I planned starts")


class Notification(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    kind = models.CharField(_("kind"), max_length=32, choices=Kind.choices)
    title = models.CharField(_("title"), max_length=300)
    body = models.TextField(_("body"), blank=True)
    url = models.CharField(_("link"), max_length=500, blank=True)
    ticket = models.ForeignKey(
        "helpdesk.Ticket", null=True, blank=True, on_delete=models.CASCADE, related_name="notifications"
    )
    created_at = models.DateTimeField(_("time"), default=timezone.now)
    read_at = models.DateTimeField(_("read"), null=True, blank=True)
    email_due = models.BooleanField(default=False, help_text=_("Waiting to go out by email (now or in the digest)."))
    emailed_at = models.DateTimeField(_("emailed"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["user", "read_at", "-created_at"], name="notif_user_unread_idx"),
            models.Index(fields=["email_due", "user"], name="notif_email_due_idx"),
        ]
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")

    def __str__(self) -> str:
        return self.title


class Preference(models.Model):
    """One row per (user, kind) the user changed; without a row the defaults apply (in-app and email, no digest)."""

    class Email(models.TextChoices):
        NEVER = "never", _("Never")
        INSTANT = "instant", _("At once")
        DIGEST = "digest", _("In a daily digest")

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_prefs")
    kind = models.CharField(_("kind"), max_length=32, choices=Kind.choices)
    in_app = models.BooleanField(_("in the app"), default=True)
    email = models.CharField(_("by email"), max_length=16, choices=Email.choices, default=Email.INSTANT)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "kind"], name="notif_pref_unique")]
        verbose_name = _("notification preference")
        verbose_name_plural = _("notification preferences")

    def __str__(self) -> str:
        return f"{self.user} {self.kind}"
