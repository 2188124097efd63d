from __future__ import annotations

from django import forms
from django.urls import reverse_lazy
from django.utils.translation import gettext_lazy as _

from payvand.core.forms import BootstrapForm


class EmailForm(BootstrapForm):
    email = forms.EmailField(label=_("Email address"), max_length=254)


class PasswordLoginForm(BootstrapForm):
    email = forms.EmailField(label=_("Email address"), max_length=254)
    password = forms.CharField(label=_("Password"), widget=forms.PasswordInput, max_length=200)


class PasswordSetForm(BootstrapForm):
    password = forms.CharField(label=_("New password"), widget=forms.PasswordInput, max_length=200)


class RequestForm(BootstrapForm):
    subject = forms.CharField(
        label=_("Subject"),
        max_length=300,
        widget=forms.TextInput(
            attrs={
                # Help articles matching the subject while the customer types (deflection).
                "hx-get": reverse_lazy("kb:suggest"),
                "hx-trigger": "input changed delay:300ms",
                "hx-target": "#kb-suggestions",
                "autocomplete": "off",
                "dir": "auto",
            }
        ),
    )
    description = forms.CharField(
        label=_("Describe your request"), widget=forms.Textarea(attrs={"rows": 4}), required=False, max_length=100_000
    )


class ReplyForm(BootstrapForm):
    body = forms.CharField(
        label=_("Your message"), widget=forms.Textarea(attrs={"rows": 3}), required=False, max_length=100_000
    )


class RatingForm(BootstrapForm):
    rating = forms.TypedChoiceField(
        label=_("How satisfied are you?"),
        choices=[(n, str(n)) for n in range(1, 6)],
        coerce=int,
        widget=forms.RadioSelect,
    )
    comment = forms.CharField(
        label=_("Comment"), widget=forms.Textarea(attrs={"rows": 2}), required=False, max_length=4000
    )
