"""The customer portal: accounts of contacts, magic links, portal API tokens, branding and satisfaction answers."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class PortalAccount(models.Model):
    """A contact's portal settings: an optional password and the admin-granted right to see the organisation's
    requests. Made on the first sign-in; a contact with an email address needs no account to get a magic link."""

    contact = models.OneToOneField("contacts.Contact", on_delete=models.CASCADE, related_name="portal_account")
    password = models.CharField(_("password"), max_length=128, blank=True)
    sees_organisation = models.BooleanField(
        _("sees the organisation's requests"),
        default=False,
        help_text=_("The customer sees every request of their organisation in the portal, not only their own."),
    )
    last_login = models.DateTimeField(_("last sign-in"), null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("portal account")
        verbose_name_plural = _("portal accounts")

    def __str__(self) -> str:
        return f"portal account of {self.contact_id}"


class MagicLink(models.Model):
    """A single-use sign-in link. Only the SHA-256 of its token is stored."""

    contact = models.ForeignKey("contacts.Contact", on_delete=models.CASCADE, related_name="+")
    token_hash = models.CharField(max_length=64, unique=True)
    email = models.CharField(max_length=254)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["contact", "created_at"], name="portal_magic_contact_idx")]

    def __str__(self) -> str:
        return f"magic link {self.pk} of {self.contact_id}"


class SignInAttempt(models.Model):
    """One portal sign-in attempt (a magic-link request or a password attempt), once under the email address and
    once under the IP address: the sign-in rate limit counts these, as the web forms count `WebFormHit`s."""

    key = models.CharField(max_length=300)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["key", "created_at"], name="portal_signin_key_idx")]

    def __str__(self) -> str:
        return f"{self.key} {self.created_at:%Y-%m-%d %H:%M}"


class PortalToken(models.Model):
    """A customer's API token for /api/v1/portal/ (from a magic-link or password sign-in). Stored hashed."""

    contact = models.ForeignKey("contacts.Contact", on_delete=models.CASCADE, related_name="+")
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"portal token {self.pk} of {self.contact_id}"


class Branding(models.Model):
    """How the portal looks: one row, edited by admins (Administration → Portal branding)."""

    name = models.CharField(_("name"), max_length=120, blank=True, help_text=_("Empty: the installation's name."))
    logo = models.FileField(_("logo"), upload_to="portal/", blank=True)
    primary_colour = models.CharField(_("main colour"), max_length=7, default="#0d6efd")
    accent_colour = models.CharField(_("accent colour"), max_length=7, default="#198754")
    welcome = models.TextField(_("welcome text"), blank=True)

    class Meta:
        verbose_name = _("portal branding")
        verbose_name_plural = _("portal branding")

    def __str__(self) -> str:
        return self.name or settings.PAYVAND_NAME


class Satisfaction(models.Model):
    """The customer's answer to the survey after a request was resolved: 1 (bad) to 5 (very good) and a comment."""

    ticket = models.OneToOneField("helpdesk.Ticket", on_delete=models.CASCADE, related_name="satisfaction")
    contact = models.ForeignKey("contacts.Contact", null=True, on_delete=models.SET_NULL, related_name="+")
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    team = models.ForeignKey("accounts.Team", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    rating = models.PositiveSmallIntegerField(_("rating"), validators=[MinValueValidator(1), MaxValueValidator(5)])
    comment = models.TextField(_("comment"), blank=True)
    answered_at = models.DateTimeField(_("answered"), default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["answered_at"], name="portal_satisfaction_time_idx")]
        verbose_name = _("satisfaction answer")
        verbose_name_plural = _("satisfaction answers")

    def __str__(self) -> str:
        return f"{self.rating} on {self.ticket_id}"
