"""The report filter form: period in the viewer's calendar, team, and (for series) day or week."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy

from payvand.accounts.models import Team
from payvand.core.forms import BootstrapForm
from payvand.projects.forms import LocalDateField


class ReportFilterForm(BootstrapForm):
    # Field names match the API's query parameters (from, to, team, interval); "from" is a keyword in Python.
    start = LocalDateField(label=gettext_lazy("From"), required=False)
    end = LocalDateField(label=gettext_lazy("To"), required=False)
    team = forms.ModelChoiceField(
        label=gettext_lazy("Team"),
        queryset=Team.objects.none(),
        required=False,
        empty_label=gettext_lazy("All teams"),
    )
    interval = forms.ChoiceField(
        label=gettext_lazy("Per"),
        required=False,
        choices=[("day", gettext_lazy("Day")), ("week", gettext_lazy("Week"))],
    )

    def __init__(self, *args: Any, intervals: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["team"].queryset = Team.objects.order_by("name")  # type: ignore[attr-defined]
        if not intervals:
            del self.fields["interval"]

    def add_prefix(self, field_name: str) -> str:
        return {"start": "from", "end": "to"}.get(field_name, field_name)
