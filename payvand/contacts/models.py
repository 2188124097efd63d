"""People and organisations, their identities, flags, attributes, addresses and imports."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, RegexValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from payvand.core.models import TimeStampedModel


class Tag(models.Model):
    name = models.CharField(_("name"), max_length=64, unique=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("tag")
        verbose_name_plural = _("tags")

    def __str__(self) -> str:
        return self.name


class Segment(models.Model):
    """A customer group, used for routing, SLAs and campaigns."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    description = models.TextField(_("description"), blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("group")
        verbose_name_plural = _("groups")

    def __str__(self) -> str:
        return self.name


class Interest(models.Model):
    name = models.CharField(_("name"), max_length=100, unique=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("interest")
        verbose_name_plural = _("interests")

    def __str__(self) -> str:
        return self.name


class FlagType(models.Model):
    class Severity(models.IntegerChoices):
        INFO = 1, _("Information")
        WARNING = 2, _("Warning")
        CRITICAL = 3, _("Critical")

    name = models.CharField(_("name"), max_length=100, unique=True)
    description = models.TextField(_("description"), blank=True)
    colour = models.CharField(
        _("colour"),
        max_length=7,
        default="#dc3545",
        validators=[RegexValidator(r"^#[0-9a-fA-F]{6}$", _("Use a colour like #dc3545."))],
    )
    icon = models.CharField(_("icon"), max_length=40, default="flag-fill", help_text=_("A Bootstrap Icons name."))
    severity = models.PositiveSmallIntegerField(_("severity"), choices=Severity.choices, default=Severity.WARNING)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["-severity", "name"]
        verbose_name = _("flag type")
        verbose_name_plural = _("flag types")

    def __str__(self) -> str:
        return self.name


class CustomField(models.Model):
    class Kind(models.TextChoices):
        TEXT = "text", _("Text")
        NUMBER = "number", _("Number")
        DATE = "date", _("Date")
        CHOICE = "choice", _("Choice")
        BOOLEAN = "boolean", _("Yes / no")

    class AppliesTo(models.TextChoices):
        ALL = "all", _("People and organisations")
        PERSON = "person", _("People")
        ORGANISATION = "organisation", _("Organisations")

    key = models.SlugField(_("key"), max_length=64, unique=True)
    label = models.CharField(_("label"), max_length=100)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices, default=Kind.TEXT)
    choices = models.JSONField(_("choices"), default=list, blank=True, help_text=_("For choice fields: a list."))
    required = models.BooleanField(_("required"), default=False)
    applies_to = models.CharField(_("applies to"), max_length=16, choices=AppliesTo.choices, default=AppliesTo.ALL)
    order = models.PositiveIntegerField(_("order"), default=0)

    class Meta:
        ordering = ["order", "label"]
        verbose_name = _("custom field")
        verbose_name_plural = _("custom fields")

    def __str__(self) -> str:
        return self.label


class Contact(TimeStampedModel):
    class Kind(models.TextChoices):
        PERSON = "person", _("Person")
        ORGANISATION = "organisation", _("Organisation")

    class Status(models.TextChoices):
        PROSPECT = "prospect", _("Prospect")
        CUSTOMER = "customer", _("Customer")
        FORMER = "former", _("Former customer")

    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices, default=Kind.PERSON)
    name = models.CharField(_("name"), max_length=200)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.PROSPECT)
    rating = models.PositiveSmallIntegerField(_("rating"), default=0, validators=[MaxValueValidator(5)])
    source = models.CharField(_("source"), max_length=100, blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="owned_contacts",
        verbose_name=_("owner"),
    )
    tags = models.ManyToManyField(Tag, blank=True, related_name="contacts", verbose_name=_("tags"))
    segments = models.ManyToManyField(Segment, blank=True, related_name="contacts", verbose_name=_("groups"))
    interests = models.ManyToManyField(Interest, blank=True, related_name="contacts", verbose_name=_("interests"))
    custom = models.JSONField(_("custom fields"), default=dict, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    version = models.PositiveIntegerField(default=1)
    # Normalised name, identities and organisation names; indexed by FTS5 (SQLite) or tsvector + trigram (PostgreSQL).
    search_text = models.TextField(blank=True, default="", editable=False)

    class Meta:
        ordering = ["name", "id"]
        indexes = [
            models.Index(fields=["status"], name="contacts_status_idx"),
            models.Index(fields=["kind", "name"], name="contacts_kind_name_idx"),
            models.Index(fields=["owner"], name="contacts_owner_idx"),
            models.Index(fields=["-updated_at"], name="contacts_updated_idx"),
        ]
        permissions = [
            ("merge_contact", "Can merge contacts"),
            ("import_contact", "Can import contacts"),
            ("export_contact", "Can export contacts"),
        ]
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")

    def __str__(self) -> str:
        return self.name

    @property
    def is_organisation(self) -> bool:
        return self.kind == self.Kind.ORGANISATION


class Identity(models.Model):
    class Kind(models.TextChoices):
        EMAIL = "email", _("Email")
        PHONE = "phone", _("Phone")
        TELEGRAM = "telegram", _("Telegram")
        WHATSAPP = "whatsapp", _("WhatsApp")
        INSTAGRAM = "instagram", _("Instagram")

    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="identities")
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    value = models.CharField(_("value"), max_length=254)
    label = models.CharField(_("label"), max_length=40, blank=True)
    is_primary = models.BooleanField(_("primary"), default=False)
    is_bouncing = models.BooleanField(_("bouncing"), default=False)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["kind", "-is_primary", "id"]
        indexes = [models.Index(fields=["kind", "value"], name="contacts_identity_lookup_idx")]
        constraints = [
            models.UniqueConstraint(fields=["contact", "kind", "value"], name="contacts_identity_unique_per_contact")
        ]
        verbose_name = _("identity")
        verbose_name_plural = _("identities")

    def __str__(self) -> str:
        return f"{self.kind}:{self.value}"


class Affiliation(models.Model):
    """A person's role in an organisation. A person may belong to several organisations."""

    person = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="affiliations")
    organisation = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="members")
    role = models.CharField(_("role"), max_length=100, blank=True)
    is_primary = models.BooleanField(_("primary"), default=False)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["person", "organisation"], name="contacts_affiliation_unique")]
        verbose_name = _("affiliation")
        verbose_name_plural = _("affiliations")

    def __str__(self) -> str:
        return f"{self.person_id} → {self.organisation_id}"


class Address(models.Model):
    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="addresses")
    label = models.CharField(_("label"), max_length=40, blank=True)
    street = models.CharField(_("street"), max_length=255, blank=True)
    city = models.CharField(_("city"), max_length=100, blank=True)
    region = models.CharField(_("region"), max_length=100, blank=True)
    postcode = models.CharField(_("postcode"), max_length=20, blank=True)
    country = models.CharField(_("country"), max_length=2, blank=True, help_text=_("ISO 3166 code, e.g. IR or HU."))
    latitude = models.DecimalField(_("latitude"), max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField(_("longitude"), max_digits=9, decimal_places=6, null=True, blank=True)

    class Meta:
        ordering = ["id"]
        verbose_name = _("address")
        verbose_name_plural = _("addresses")

    def __str__(self) -> str:
        return ", ".join(p for p in (self.street, self.city, self.country) if p)

    @property
    def has_coordinates(self) -> bool:
        return self.latitude is not None and self.longitude is not None


class ContactFlag(models.Model):
    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="flags")
    flag_type = models.ForeignKey(FlagType, on_delete=models.PROTECT, related_name="+", verbose_name=_("flag"))
    note = models.CharField(_("note"), max_length=255, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-flag_type__severity", "flag_type__name"]
        constraints = [models.UniqueConstraint(fields=["contact", "flag_type"], name="contacts_flag_unique")]
        verbose_name = _("contact flag")
        verbose_name_plural = _("contact flags")

    def __str__(self) -> str:
        return f"{self.flag_type_id}@{self.contact_id}"


class ImportJob(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting")
        RUNNING = "running", _("Running")
        DONE = "done", _("Finished")
        FAILED = "failed", _("Failed")

    class Format(models.TextChoices):
        CSV = "csv", "CSV"
        XLSX = "xlsx", "XLSX"
        VCARD = "vcf", "vCard"

    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    file = models.FileField(upload_to="imports/%Y/%m/")
    original_name = models.CharField(max_length=255, blank=True)
    format = models.CharField(max_length=8, choices=Format.choices)
    mapping = models.JSONField(default=dict, blank=True)
    skip_duplicates = models.BooleanField(_("skip rows that match an existing email or phone"), default=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    total_rows = models.PositiveIntegerField(default=0)
    processed_rows = models.PositiveIntegerField(default=0)
    created_count = models.PositiveIntegerField(default=0)
    skipped_count = models.PositiveIntegerField(default=0)
    error_count = models.PositiveIntegerField(default=0)
    errors = models.JSONField(default=list, blank=True)
    failure = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("import")
        verbose_name_plural = _("imports")

    def __str__(self) -> str:
        return f"import {self.pk} ({self.status})"

    @property
    def percent(self) -> int:
        if not self.total_rows:
            return 100 if self.status == self.Status.DONE else 0
        return min(100, int(self.processed_rows * 100 / self.total_rows))


class ContactPageLayout(models.Model):
    """Which sections a team's 360° page shows, in order (keys of payvand.contacts.sections.SECTIONS)."""

    team = models.OneToOneField(
        "accounts.Team", on_delete=models.CASCADE, related_name="contact_page_layout", verbose_name=_("team")
    )
    sections = models.JSONField(_("sections"), default=list)
    updated_at = models.DateTimeField(_("updated"), default=timezone.now)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = _("360° page layout")
        verbose_name_plural = _("360° page layouts")

    def __str__(self) -> str:
        return f"{self.team}: {', '.join(self.sections)}"
