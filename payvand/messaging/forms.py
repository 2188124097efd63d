from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from payvand.core.forms import BootstrapForm

FORM_PREFIX = "fv"
HONEYPOT = "website"


class WebFormForm(BootstrapForm):
    name = forms.CharField(label=_("Your name"), max_length=200)
    email = forms.CharField(
        label=_("Email"), required=False, max_length=254, widget=forms.EmailInput(attrs={"dir": "ltr"})
    )
    phone = forms.CharField(
        label=_("Phone"), required=False, max_length=40, widget=forms.TextInput(attrs={"dir": "ltr", "type": "tel"})
    )
    subject = forms.CharField(label=_("Subject"), max_length=300)
    description = forms.CharField(
        label=_("Your message"),
        required=False,
        max_length=20_000,
        widget=forms.Textarea(attrs={"rows": 5, "dir": "auto"}),
    )
