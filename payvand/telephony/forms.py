from __future__ import annotations

import datetime as dt

from django import forms
from django.utils.translation import gettext_lazy as _

from payvand.core.forms import BootstrapForm
from payvand.helpdesk.forms import LocalDateTimeField
from payvand.telephony.models import AppointmentKind, WrapUpCode


class CallLogForm(BootstrapForm):
    note = forms.CharField(label=_("Note"), required=False, max_length=10000, widget=forms.Textarea(attrs={"rows": 2}))
    wrap_up = forms.ModelChoiceField(label=_("Wrap-up"), queryset=WrapUpCode.objects.none(), required=False)
    ticket = forms.IntegerField(label=_("Ticket"), required=False, min_value=1, widget=forms.HiddenInput)

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.fields["wrap_up"].queryset = WrapUpCode.objects.filter(is_active=True)  # type: ignore[attr-defined]


class CallTicketForm(BootstrapForm):
    subject = forms.CharField(label=_("Subject"), max_length=200)
    description = forms.CharField(label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 2}))


class QuickContactForm(BootstrapForm):
    name = forms.CharField(label=_("Name"), max_length=200)


class PickContactForm(forms.Form):
    contact = forms.IntegerField(min_value=1, max_value=2**63 - 1)


class OriginateForm(forms.Form):
    number = forms.CharField(max_length=64)
    contact = forms.IntegerField(required=False, min_value=1, max_value=2**63 - 1)
    callback_of = forms.IntegerField(required=False, min_value=1, max_value=2**63 - 1)


class AppointmentForm(BootstrapForm):
    kind = forms.ChoiceField(label=_("Kind"), choices=AppointmentKind.choices)
    starts_at = LocalDateTimeField(label=_("Starts"), default_time=dt.time(9, 0))
    duration = forms.IntegerField(label=_("Minutes"), min_value=1, max_value=1440, initial=15)
    note = forms.CharField(label=_("Note"), required=False, max_length=10000)
    ticket = forms.IntegerField(required=False, min_value=1, max_value=2**63 - 1, widget=forms.HiddenInput)
