"""Settings forms: a calendar (its week as two intervals per day), a holiday, a policy with its escalations."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from payvand.accounts.models import Team, User
from payvand.contacts.models import Contact, Segment
from payvand.core.forms import BootstrapForm
from payvand.helpdesk.models import Channel, Priority, TicketType
from payvand.projects.forms import LocalDateField
from payvand.sla import services
from payvand.sla.models import BusinessCalendar, Escalation, SlaPolicy, TimerKind, Weekday

# The week in the order an Iranian office reads it; the Hungarian one reads from Monday, either works.
WEEK = (5, 6, 0, 1, 2, 3, 4)
SPANS = 2
ESCALATION_ROWS = 4
TIME_ZONES = ("Asia/Tehran", "Europe/Budapest", "UTC", "Europe/Berlin", "Europe/London", "Asia/Dubai")


def _time_field(label: Any) -> forms.TimeField:
    return forms.TimeField(
        label=label, required=False, widget=forms.TimeInput(attrs={"type": "time", "dir": "ltr"}, format="%H:%M")
    )


class CalendarForm(BootstrapForm):
    name = forms.CharField(label=_("Name"), max_length=120)
    time_zone = forms.CharField(
        label=_("Time zone"),
        max_length=64,
        widget=forms.TextInput(attrs={"list": "time-zones", "dir": "ltr"}),
    )
    country = forms.CharField(
        label=_("Holiday country"),
        max_length=8,
        required=False,
        help_text=_("Country code whose public holidays are loaded (IR, HU, DE, …); empty for none."),
        widget=forms.TextInput(attrs={"dir": "ltr"}),
    )

    time_zones = TIME_ZONES

    def __init__(self, *args: Any, calendar: BusinessCalendar | None = None, **kwargs: Any) -> None:
        if calendar is not None and "initial" not in kwargs:
            initial: dict[str, Any] = {
                "name": calendar.name,
                "time_zone": calendar.time_zone,
                "country": calendar.country,
            }
            per_day: dict[int, int] = {}
            for h in calendar.hours.all():
                n = per_day.get(h.weekday, 0) + 1
                per_day[h.weekday] = n
                if n <= SPANS:
                    initial[f"d{h.weekday}_start{n}"] = h.start
                    initial[f"d{h.weekday}_end{n}"] = h.end
            kwargs["initial"] = initial
        super().__init__(*args, **kwargs)
        for day in WEEK:
            for n in range(1, SPANS + 1):
                self.fields[f"d{day}_start{n}"] = _time_field(_("From"))
                self.fields[f"d{day}_end{n}"] = _time_field(_("Until"))
        self.style_fields()

    def week_rows(self) -> list[tuple[Any, list[tuple[Any, Any]]]]:
        return [
            (Weekday(day).label, [(self[f"d{day}_start{n}"], self[f"d{day}_end{n}"]) for n in range(1, SPANS + 1)])
            for day in WEEK
        ]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        for day in WEEK:
            for n in range(1, SPANS + 1):
                start, end = data.get(f"d{day}_start{n}"), data.get(f"d{day}_end{n}")
                if (start is None) != (end is None):
                    self.add_error(f"d{day}_end{n}" if end is None else f"d{day}_start{n}", _("Give both times."))
        return data

    def hours(self) -> list[services.HoursIn]:
        result = []
        for day in WEEK:
            for n in range(1, SPANS + 1):
                start, end = self.cleaned_data.get(f"d{day}_start{n}"), self.cleaned_data.get(f"d{day}_end{n}")
                if isinstance(start, dt.time) and isinstance(end, dt.time):
                    result.append(services.HoursIn(day, start, end))
        return result

    def field_for(self, name: str) -> str | None:
        """Where the service's error goes: hours.<n>.x goes to the n-th filled interval."""
        if name.startswith("hours."):
            parts = name.split(".")
            filled = [
                (day, n)
                for day in WEEK
                for n in range(1, SPANS + 1)
                if self.cleaned_data.get(f"d{day}_start{n}") is not None
            ]
            if len(parts) == 3 and parts[1].isdigit() and int(parts[1]) < len(filled):
                day, n = filled[int(parts[1])]
                return f"d{day}_{'end' if parts[2] == 'end' else 'start'}{n}"
            return None
        return name


class HolidayForm(BootstrapForm):
    date = LocalDateField(label=_("Date"))
    name = forms.CharField(label=_("Name"), max_length=200)


class HolidaysLoadForm(BootstrapForm):
    year = forms.IntegerField(label=_("Year"), min_value=1, max_value=3000)


def _choices_multiple(choices: Any) -> forms.MultipleChoiceField:
    return forms.MultipleChoiceField(choices=choices, required=False, widget=forms.CheckboxSelectMultiple)


class PolicyForm(BootstrapForm):
    name = forms.CharField(label=_("Name"), max_length=120)
    calendar = forms.ModelChoiceField(label=_("Calendar"), queryset=BusinessCalendar.objects.none())
    order = forms.IntegerField(label=_("Order"), min_value=0, max_value=1_000_000, initial=100)
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)
    priorities = _choices_multiple(Priority.choices)
    channels = _choices_multiple(Channel.choices)
    types = forms.ModelMultipleChoiceField(label=_("Ticket types"), queryset=TicketType.objects.none(), required=False)
    segments = forms.ModelMultipleChoiceField(
        label=_("Customer groups"), queryset=Segment.objects.none(), required=False
    )
    organisations = forms.ModelMultipleChoiceField(
        label=_("Organisations"), queryset=Contact.objects.none(), required=False
    )
    first_response_minutes = forms.IntegerField(label=_("First response (business minutes)"), required=False)
    next_response_minutes = forms.IntegerField(label=_("Next response (business minutes)"), required=False)
    resolution_minutes = forms.IntegerField(label=_("Resolution (business minutes)"), required=False)
    warning_percent = forms.IntegerField(label=_("Warn at (per cent of the target)"), initial=80)

    def __init__(self, *args: Any, policy: SlaPolicy | None = None, **kwargs: Any) -> None:
        if policy is not None and "initial" not in kwargs:
            initial: dict[str, Any] = {
                "name": policy.name,
                "calendar": policy.calendar_id,
                "order": policy.order,
                "is_active": policy.is_active,
                "priorities": [str(p) for p in policy.priorities],
                "channels": list(policy.channels),
                "types": list(policy.types.all()),
                "segments": list(policy.segments.all()),
                "organisations": list(policy.organisations.all()),
                "first_response_minutes": policy.first_response_minutes,
                "next_response_minutes": policy.next_response_minutes,
                "resolution_minutes": policy.resolution_minutes,
                "warning_percent": policy.warning_percent,
            }
            for n, esc in enumerate(policy.escalations.all()[:ESCALATION_ROWS]):
                initial |= {
                    f"e{n}_on": esc.on,
                    f"e{n}_kind": esc.kind,
                    f"e{n}_action": esc.action,
                    f"e{n}_user": esc.user_id,
                    f"e{n}_team": esc.team_id,
                }
            kwargs["initial"] = initial
        super().__init__(*args, **kwargs)
        self.fields["priorities"].label = _("Priorities")
        self.fields["channels"].label = _("Channels")
        self.fields["calendar"].queryset = BusinessCalendar.objects.order_by("name")  # type: ignore[attr-defined]
        self.fields["types"].queryset = TicketType.objects.filter(is_active=True)  # type: ignore[attr-defined]
        self.fields["segments"].queryset = Segment.objects.order_by("name")  # type: ignore[attr-defined]
        self.fields["organisations"].queryset = Contact.objects.filter(  # type: ignore[attr-defined]
            kind=Contact.Kind.ORGANISATION
        ).order_by("name")
        users = User.objects.filter(is_active=True).order_by("full_name", "email")
        for n in range(ESCALATION_ROWS):
            self.fields[f"e{n}_on"] = forms.ChoiceField(
                label=_("When"), choices=[("", "—"), *Escalation.On.choices], required=False
            )
            self.fields[f"e{n}_kind"] = forms.ChoiceField(
                label=_("Timer"), choices=[("", _("Every timer")), *TimerKind.choices], required=False
            )
            self.fields[f"e{n}_action"] = forms.ChoiceField(
                label=_("Action"), choices=[("", "—"), *Escalation.Action.choices], required=False
            )
            self.fields[f"e{n}_user"] = forms.ModelChoiceField(label=_("Person"), queryset=users, required=False)
            self.fields[f"e{n}_team"] = forms.ModelChoiceField(
                label=_("Team"), queryset=Team.objects.order_by("name"), required=False
            )
        self.style_fields()

    def escalation_rows(self) -> list[list[Any]]:
        return [[self[f"e{n}_{k}"] for k in ("on", "kind", "action", "user", "team")] for n in range(ESCALATION_ROWS)]

    def _rows_used(self) -> list[int]:
        return [
            n
            for n in range(ESCALATION_ROWS)
            if self.cleaned_data.get(f"e{n}_on") or self.cleaned_data.get(f"e{n}_action")
        ]

    def data_in(self) -> services.PolicyIn:
        d = self.cleaned_data
        escalations = [
            services.EscalationIn(
                on=d.get(f"e{n}_on") or "",
                action=d.get(f"e{n}_action") or "",
                kind=d.get(f"e{n}_kind") or "",
                user=d.get(f"e{n}_user"),
                team=d.get(f"e{n}_team"),
            )
            for n in self._rows_used()
        ]
        return services.PolicyIn(
            name=d["name"],
            calendar=d["calendar"],
            order=d["order"],
            is_active=bool(d.get("is_active")),
            priorities=[int(p) for p in d.get("priorities") or []],
            channels=list(d.get("channels") or []),
            types=list(d.get("types") or []),
            segments=list(d.get("segments") or []),
            organisations=list(d.get("organisations") or []),
            first_response_minutes=d.get("first_response_minutes"),
            next_response_minutes=d.get("next_response_minutes"),
            resolution_minutes=d.get("resolution_minutes"),
            warning_percent=d["warning_percent"],
            escalations=escalations,
        )

    def field_for(self, name: str) -> str | None:
        if name.startswith("escalations."):
            parts = name.split(".")
            rows = self._rows_used()
            if len(parts) == 3 and parts[1].isdigit() and int(parts[1]) < len(rows):
                return f"e{rows[int(parts[1])]}_{parts[2]}"
            return None
        return name
