"""Forms for the project pages; dates are typed in the user's calendar (Jalali for fa) with any digits."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from payvand.accounts.models import Team, User
from payvand.contacts.models import Contact
from payvand.core.forms import BootstrapForm
from payvand.core.localization import JALALI, current_calendar, format_date_short, parse_date, to_ascii_digits
from payvand.projects.models import Project


class LocalDateField(forms.CharField):
    """A date typed as 2024-11-22 or, in the Jalali calendar, 1403/09/02 (Persian digits welcome)."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("max_length", 20)
        super().__init__(**kwargs)
        self.widget.attrs.setdefault("dir", "ltr")
        self.widget.attrs.setdefault("inputmode", "numeric")
        self.widget.attrs.setdefault("autocomplete", "off")

    def widget_attrs(self, widget: forms.Widget) -> dict[str, Any]:
        attrs = super().widget_attrs(widget)
        attrs["placeholder"] = "1403/09/02" if current_calendar() == JALALI else "2024-11-22"
        return attrs

    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, dt.date):
            return format_date_short(value)
        return value

    def clean(self, value: Any) -> dt.date | None:
        if isinstance(value, dt.date):
            return value
        text = super().clean(value)
        if not text:
            return None
        try:
            return parse_date(text)
        except ValueError:
            example = "1403/09/02" if current_calendar() == JALALI else "2024-11-22"
            raise forms.ValidationError(_("Enter a date like %(example)s.") % {"example": example}) from None


_CUSTOMER_RE = re.compile(r"#(\d{1,18})\)?\s*$")


class CustomerField(forms.CharField):
    """A contact picked from the datalist ("Name (#42)") or typed as its number."""

    def clean(self, value: Any) -> Contact | None:
        if isinstance(value, Contact):
            return value
        text = to_ascii_digits(super().clean(value) or "").strip()
        if not text:
            return None
        match = _CUSTOMER_RE.search(text)
        raw = match.group(1) if match else (text if text.isdigit() and len(text) <= 18 else "")
        contact = Contact.objects.filter(pk=int(raw)).first() if raw else None
        if contact is None:
            raise forms.ValidationError(_("Pick a customer from the list."))
        return contact

    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, int):
            value = Contact.objects.filter(pk=value).first()
        if isinstance(value, Contact):
            return f"{value.name} (#{value.pk})"
        return value


def customer_label(contact: Contact) -> str:
    return f"{contact.name} (#{contact.pk})"


class ProjectForm(BootstrapForm):
    name = forms.CharField(label=gettext_lazy("Name"), max_length=200)
    code = forms.CharField(
        label=gettext_lazy("Code"),
        max_length=32,
        help_text=gettext_lazy("A short unique code, e.g. ERP-2025."),
        widget=forms.TextInput(attrs={"dir": "ltr"}),
    )
    customer = CustomerField(
        label=gettext_lazy("Customer"),
        required=False,
        max_length=260,
        widget=forms.TextInput(attrs={"list": "customer-options", "autocomplete": "off", "dir": "auto"}),
    )
    team = forms.ModelChoiceField(label=gettext_lazy("Team"), queryset=Team.objects.none(), required=False)
    members = forms.ModelMultipleChoiceField(
        label=gettext_lazy("Members"),
        queryset=User.objects.none(),
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 6}),
    )
    status = forms.ChoiceField(label=gettext_lazy("Status"), choices=Project.Status.choices)
    starts_on = LocalDateField(label=gettext_lazy("Starts"), required=False)
    ends_on = LocalDateField(label=gettext_lazy("Ends"), required=False)
    description = forms.CharField(
        label=gettext_lazy("Description"), required=False, widget=forms.Textarea(attrs={"rows": 4, "dir": "auto"})
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["team"].queryset = Team.objects.order_by("name")  # type: ignore[attr-defined]
        self.fields["members"].queryset = User.objects.filter(is_active=True).order_by(  # type: ignore[attr-defined]
            "full_name", "email"
        )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        starts, ends = data.get("starts_on"), data.get("ends_on")
        if starts and ends and ends < starts:
            self.add_error("ends_on", _("The end can't be before the start."))
        return data

    @staticmethod
    def initial_for(project: Project) -> dict[str, Any]:
        return {
            "name": project.name,
            "code": project.code,
            "customer": project.customer,
            "team": project.team_id,
            "members": list(project.members.values_list("pk", flat=True)),
            "status": project.status,
            "starts_on": project.starts_on,
            "ends_on": project.ends_on,
            "description": project.description,
        }
