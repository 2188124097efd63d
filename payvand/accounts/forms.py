from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _

from payvand.accounts.models import TIME_ZONE_CHOICES, User
from payvand.core.forms import BootstrapForm


class LoginForm(AuthenticationForm):
    username = forms.EmailField(
        label=_("Email"), widget=forms.EmailInput(attrs={"autofocus": True, "dir": "ltr", "class": "form-control"})
    )
    password = forms.CharField(
        label=_("Password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"class": "form-control", "autocomplete": "current-password"}),
    )

    def clean_username(self) -> str:
        """Emails are stored lower-cased, so the login is case-insensitive."""
        return str(self.cleaned_data["username"]).strip().lower()


class PreferencesForm(BootstrapForm):
    full_name = forms.CharField(label=_("Full name"), max_length=200, required=False)
    language = forms.ChoiceField(label=_("Language"), choices=settings.LANGUAGES)
    time_zone = forms.ChoiceField(label=_("Time zone"), choices=TIME_ZONE_CHOICES)
    calendar = forms.ChoiceField(label=_("Calendar"), choices=User.Calendar.choices, required=False)

    @classmethod
    def initial_for(cls, user: User) -> dict[str, Any]:
        return {
            "full_name": user.full_name,
            "language": user.language,
            "time_zone": user.time_zone,
            "calendar": user.calendar,
        }


class TokenCreateForm(BootstrapForm):
    name = forms.CharField(
        label=_("Token name"), max_length=100, help_text=_("What will use it, e.g. “PBX connector”.")
    )
