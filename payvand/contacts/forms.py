"""UI forms for contacts. Thin: they collect input; services validate and write."""

from __future__ import annotations

import datetime
import re
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from payvand.accounts.models import User
from payvand.contacts.customfields import custom_fields_for
from payvand.contacts.models import Contact, CustomField, FlagType, Identity
from payvand.core.forms import BootstrapForm
from payvand.core.localization import format_date_short

_SPLIT = re.compile(r"[\n,;،]+")


def split_list(text: str) -> list[str]:
    return [part.strip() for part in _SPLIT.split(text or "") if part.strip()]


class OrganisationField(forms.CharField):
    """An organisation typed by name (with a datalist of suggestions), resolved to the Contact."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("label", _("Organisation"))
        kwargs.setdefault("max_length", 200)
        kwargs.setdefault("widget", forms.TextInput(attrs={"list": "organisation-names", "autocomplete": "off"}))
        super().__init__(**kwargs)

    def clean(self, value: Any) -> Contact | None:
        name = super().clean(value)
        if not name:
            return None
        org = Contact.objects.filter(kind=Contact.Kind.ORGANISATION, name__iexact=name.strip()).order_by("pk").first()
        if org is None:
            raise forms.ValidationError(_("There is no organisation with this name. Create it first."))
        return org


class ContactForm(BootstrapForm):
    kind = forms.ChoiceField(label=_("Kind"), choices=Contact.Kind.choices, initial=Contact.Kind.PERSON)
    name = forms.CharField(label=_("Name"), max_length=200)
    phones = forms.CharField(
        label=_("Phone numbers"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2, "dir": "ltr"}),
        help_text=_("One per line. Any format: 0912 123 4567, +36 30 123 4567, ۰۹۱۲…"),
    )
    emails = forms.CharField(
        label=_("Email addresses"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2, "dir": "ltr"}),
        help_text=_("One per line."),
    )
    telegram = forms.CharField(
        label=_("Telegram"), required=False, max_length=64, widget=forms.TextInput(attrs={"dir": "ltr"})
    )
    whatsapp = forms.CharField(
        label=_("WhatsApp"), required=False, max_length=32, widget=forms.TextInput(attrs={"dir": "ltr"})
    )
    instagram = forms.CharField(
        label=_("Instagram"), required=False, max_length=64, widget=forms.TextInput(attrs={"dir": "ltr"})
    )
    status = forms.ChoiceField(label=_("Status"), choices=Contact.Status.choices, initial=Contact.Status.PROSPECT)
    rating = forms.TypedChoiceField(
        label=_("Rating"), coerce=int, initial=0, choices=[(i, "★" * i or "–") for i in range(6)]
    )
    owner = forms.ModelChoiceField(label=_("Owner"), queryset=User.objects.filter(is_active=True), required=False)
    source = forms.CharField(
        label=_("Source"),
        max_length=100,
        required=False,
        help_text=_("Where the contact came from: web form, fair, referral…"),
    )
    tags = forms.CharField(label=_("Tags"), required=False, help_text=_("Separated by commas."))
    segments = forms.CharField(label=_("Groups"), required=False, help_text=_("Separated by commas."))
    interests = forms.CharField(label=_("Interests"), required=False, help_text=_("Separated by commas."))
    notes = forms.CharField(label=_("Notes"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    allow_duplicates = forms.BooleanField(label=_("Create it anyway: it is not a duplicate"), required=False)

    identity_fields = ("telegram", "whatsapp", "instagram")

    def __init__(self, *args: Any, kind: str | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.custom_fields = custom_fields_for(kind or self.data.get("kind") or self.initial.get("kind") or "person")
        for cf in self.custom_fields:
            self.fields[f"custom_{cf.key}"] = _custom_form_field(cf)
        self.style_fields()

    def custom_values(self) -> dict[str, Any]:
        return {cf.key: self.cleaned_data.get(f"custom_{cf.key}") for cf in self.custom_fields}

    def identities(self) -> list[tuple[str, str]]:
        return [(k, self.cleaned_data[k]) for k in self.identity_fields if self.cleaned_data.get(k)]

    @staticmethod
    def field_for(error_field: str) -> str | None:
        head, _sep, rest = error_field.partition(".")
        if head == "custom":
            return f"custom_{rest}"
        if head == "identities":
            return None
        return head


class ContactCreateForm(ContactForm):
    organisation = OrganisationField(required=False)
    organisation_role = forms.CharField(label=_("Role in the organisation"), required=False, max_length=100)
    street = forms.CharField(label=_("Street"), required=False, max_length=255)
    city = forms.CharField(label=_("City"), required=False, max_length=100)
    postcode = forms.CharField(label=_("Postcode"), required=False, max_length=20)
    country = forms.CharField(
        label=_("Country code"),
        required=False,
        max_length=2,
        widget=forms.TextInput(attrs={"dir": "ltr", "placeholder": "IR"}),
    )
    latitude = forms.CharField(
        label=_("Latitude"), required=False, max_length=20, widget=forms.TextInput(attrs={"dir": "ltr"})
    )
    longitude = forms.CharField(
        label=_("Longitude"), required=False, max_length=20, widget=forms.TextInput(attrs={"dir": "ltr"})
    )
    flags = forms.ModelMultipleChoiceField(
        label=_("Flags"),
        required=False,
        queryset=FlagType.objects.filter(is_active=True),
        widget=forms.CheckboxSelectMultiple,
    )

    @staticmethod
    def field_for(error_field: str) -> str | None:
        if error_field.startswith("addresses."):
            return error_field.split(".")[-1]
        if error_field.startswith("organisations"):
            return "organisation"
        return ContactForm.field_for(error_field)


class ContactEditForm(ContactForm):
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        del self.fields["allow_duplicates"]

    @staticmethod
    def field_for(error_field: str) -> str | None:
        if error_field == "version":
            return None  # a hidden field: its error goes to the top of the form, where it is seen
        return ContactForm.field_for(error_field)

    @classmethod
    def hidden_handles(cls, contact: Contact) -> list[tuple[str, str]]:
        """The handles the form does not show (it shows the first of each kind), so that saving keeps them."""
        shown: set[str] = set()
        hidden = []
        for identity in contact.identities.all():  # in the order initial_for() picks the first one
            if identity.kind in cls.identity_fields:
                if identity.kind in shown:
                    hidden.append((identity.kind, identity.value))
                shown.add(identity.kind)
        return hidden

    @classmethod
    def initial_for(cls, contact: Contact) -> dict[str, Any]:
        ids = list(contact.identities.all())

        def first(kind: str) -> str:
            return next((i.value for i in ids if i.kind == kind), "")

        initial: dict[str, Any] = {
            "kind": contact.kind,
            "name": contact.name,
            "status": contact.status,
            "rating": contact.rating,
            "owner": contact.owner_id,
            "source": contact.source,
            "notes": contact.notes,
            "version": contact.version,
            "phones": "\n".join(i.value for i in ids if i.kind == "phone"),
            "emails": "\n".join(i.value for i in ids if i.kind == "email"),
            "telegram": first(Identity.Kind.TELEGRAM),
            "whatsapp": first(Identity.Kind.WHATSAPP),
            "instagram": first(Identity.Kind.INSTAGRAM),
            "tags": ", ".join(t.name for t in contact.tags.all()),
            "segments": ", ".join(s.name for s in contact.segments.all()),
            "interests": ", ".join(i.name for i in contact.interests.all()),
        }
        for key, value in contact.custom.items():
            initial[f"custom_{key}"] = value
        return initial


def _custom_form_field(cf: CustomField) -> forms.Field:
    common: dict[str, Any] = {"label": cf.label, "required": False}
    if cf.kind == CustomField.Kind.CHOICE:
        return forms.ChoiceField(choices=[("", "—"), *((c, c) for c in cf.choices)], **common)
    if cf.kind == CustomField.Kind.BOOLEAN:
        return forms.NullBooleanField(**common)
    if cf.kind == CustomField.Kind.DATE:
        example = format_date_short(datetime.date(2025, 3, 21))
        return forms.CharField(
            widget=forms.TextInput(attrs={"dir": "ltr", "placeholder": example}),
            help_text=_("Jalali (1404/01/01) or Gregorian (2025-03-21)."),
            **common,
        )
    if cf.kind == CustomField.Kind.NUMBER:
        return forms.CharField(widget=forms.TextInput(attrs={"dir": "ltr", "inputmode": "decimal"}), **common)
    return forms.CharField(max_length=1000, **common)


class FlagAddForm(BootstrapForm):
    flag_type = forms.ModelChoiceField(label=_("Flag"), queryset=FlagType.objects.filter(is_active=True))
    note = forms.CharField(label=_("Note"), required=False, max_length=255)


class IdentityAddForm(BootstrapForm):
    kind = forms.ChoiceField(label=_("Kind"), choices=Identity.Kind.choices)
    value = forms.CharField(label=_("Value"), max_length=254, widget=forms.TextInput(attrs={"dir": "ltr"}))
    label = forms.CharField(label=_("Label"), required=False, max_length=40)


class AddressForm(BootstrapForm):
    label = forms.CharField(label=_("Label"), required=False, max_length=40)
    street = forms.CharField(label=_("Street"), required=False, max_length=255)
    city = forms.CharField(label=_("City"), required=False, max_length=100)
    region = forms.CharField(label=_("Region"), required=False, max_length=100)
    postcode = forms.CharField(label=_("Postcode"), required=False, max_length=20)
    country = forms.CharField(label=_("Country code"), required=False, max_length=2)
    latitude = forms.CharField(label=_("Latitude"), required=False, max_length=20)
    longitude = forms.CharField(label=_("Longitude"), required=False, max_length=20)


class AffiliationForm(BootstrapForm):
    organisation = OrganisationField()
    role = forms.CharField(label=_("Role"), required=False, max_length=100)


class MergeForm(BootstrapForm):
    duplicate_id = forms.IntegerField(label=_("Contact to merge into this one"), min_value=1, max_value=2**63 - 1)


# ---------------------------------------------------------------------------------------------- import


class ImportUploadForm(BootstrapForm):
    file = forms.FileField(
        label=_("File"),
        help_text=_(
            "CSV, Excel workbook (.xlsx) or vCard (.vcf). The first row of a CSV file or workbook holds the "
            "column names."
        ),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.txt,.tsv,.xlsx,.vcf,.vcard"}),
    )
    skip_duplicates = forms.BooleanField(
        label=_("Skip rows that match an existing email, phone or handle"), required=False, initial=True
    )
    source = forms.CharField(
        label=_("Source"),
        required=False,
        max_length=100,
        help_text=_("Given to every imported contact that has no source of its own, such as “Book fair 2025”."),
    )


class ImportMappingForm(BootstrapForm):
    """One choice per column of the file: the field it is imported into, or nothing."""

    def __init__(
        self, *args: Any, headers: list[str], targets: list[tuple[str, str]], columns: list[str], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.headers = headers
        choices = [("", _("— ignore —")), *targets]
        for index, header in enumerate(headers):
            self.fields[f"col_{index}"] = forms.ChoiceField(
                label=header or _("Column %(n)s") % {"n": index + 1},
                choices=choices,
                required=False,
                initial=columns[index] if index < len(columns) else "",
                widget=forms.Select(attrs={"class": "form-select form-select-sm"}),
            )
        self.style_fields()

    def mapping(self) -> list[str]:
        return [self.cleaned_data.get(f"col_{index}") or "" for index in range(len(self.headers))]

    @staticmethod
    def field_for(error_field: str) -> str | None:
        head, _sep, rest = error_field.partition(".")
        return f"col_{rest}" if head == "mapping" and rest.isdigit() else None
