"""UI forms for the ticket pages. Thin: they collect and type the input; services validate the rules and write."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.functional import lazy
from django.utils.translation import gettext_lazy as _

from payvand.accounts.models import Skill, Team, User
from payvand.core.forms import BootstrapForm
from payvand.core.localization import format_date_short, parse_date, to_ascii_digits
from payvand.helpdesk.models import (
    ACTIVE_CATEGORIES,
    Category,
    Channel,
    Message,
    Priority,
    Status,
    StatusCategory,
    Task,
    TicketLink,
    TicketType,
)
from payvand.projects.models import Project

_SPLIT = re.compile(r"[\n,;،]+")
_TIME = re.compile(r"^(\d{1,2}):(\d{2})$")


def split_list(text: str) -> list[str]:
    return [part.strip() for part in _SPLIT.split(text or "") if part.strip()]


def _users() -> Any:
    return User.objects.filter(is_active=True).order_by("full_name", "email")


# The example in the viewer's calendar and digits, worked out when the page is drawn (fields are built at import).
_example_date = lazy(lambda: format_date_short(dt.date(2025, 3, 25)), str)


class LocalDateTimeField(forms.CharField):
    """A date typed in the viewer's calendar (Jalali 1404/01/05 or Gregorian 2025-03-25, with any digits),
    optionally followed by a time (14:30); read in the viewer's time zone. Without a time, `default_time`."""

    def __init__(self, *, default_time: dt.time = dt.time(23, 59), **kwargs: Any) -> None:
        self.default_time = default_time
        kwargs.setdefault("max_length", 40)
        kwargs.setdefault(
            "help_text", _("Jalali (1404/01/05) or Gregorian (2025-03-25), optionally with a time (14:30).")
        )
        super().__init__(**kwargs)

    def widget_attrs(self, widget: forms.Widget) -> dict[str, Any]:
        attrs = super().widget_attrs(widget)
        attrs.update({"dir": "ltr", "autocomplete": "off", "placeholder": _example_date()})
        return attrs

    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, dt.datetime):
            local = timezone.localtime(value)
            text = format_date_short(local)
            return (
                text if local.time().replace(second=0, microsecond=0) == self.default_time else f"{text} {local:%H:%M}"
            )
        return value

    def clean(self, value: Any) -> dt.datetime | None:
        text = to_ascii_digits(super().clean(value) or "").strip()
        if not text:
            return None
        date_part, _sep, time_part = text.replace("T", " ").partition(" ")
        try:
            day = parse_date(date_part)
        except ValueError:
            raise forms.ValidationError(_("Enter a date such as 1404/01/05 or 2025-03-25.")) from None
        at = self.default_time
        if time_part.strip():
            match = _TIME.match(time_part.strip())
            if match is None or int(match[1]) > 23 or int(match[2]) > 59:
                raise forms.ValidationError(_("Enter the time as hours and minutes, such as 14:30."))
            at = dt.time(int(match[1]), int(match[2]))
        return timezone.make_aware(dt.datetime.combine(day, at), timezone.get_current_timezone())


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> list[Any]:
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(d, initial) for d in data if d]
        return [single(data, initial)] if data else []


class VersionForm(BootstrapForm):
    """Every edit carries the version the editor read: a stale one is refused with a conflict (409)."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1, max_value=2**31 - 1)


# ---------------------------------------------------------------------------------------------- create and edit


class TicketFieldsForm(BootstrapForm):
    subject = forms.CharField(label=_("Subject"), max_length=300)
    description = forms.CharField(
        label=_("Description"), required=False, max_length=100_000, widget=forms.Textarea(attrs={"rows": 5})
    )
    type = forms.ModelChoiceField(
        label=_("Type"), required=False, queryset=TicketType.objects.filter(is_active=True).order_by("name")
    )
    category = forms.ModelChoiceField(
        label=_("Category"), required=False, queryset=Category.objects.filter(is_active=True).order_by("name")
    )
    priority = forms.TypedChoiceField(
        label=_("Priority"), coerce=int, choices=Priority.choices, initial=Priority.NORMAL
    )
    project = forms.ModelChoiceField(
        label=_("Project"),
        required=False,
        queryset=Project.objects.filter(status__in=[Project.Status.PLANNED, Project.Status.ACTIVE]).order_by("name"),
    )
    tags = forms.CharField(label=_("Tags"), required=False, max_length=1000, help_text=_("Separated by commas."))
    due_at = LocalDateTimeField(label=_("Due"), required=False)
    estimate_minutes = forms.IntegerField(
        label=_("Estimate (minutes)"),
        required=False,
        min_value=0,
        max_value=100_000,
        # A text box, not type=number: browsers drop Persian digits typed into number inputs; int() reads them.
        widget=forms.TextInput(attrs={"dir": "ltr", "inputmode": "numeric"}),
    )

    @staticmethod
    def field_for(error_field: str) -> str | None:
        if error_field.startswith("form_values") or error_field.startswith("form."):
            return None
        return error_field.split(".")[0]


class TicketCreateForm(TicketFieldsForm):
    channel = forms.ChoiceField(label=_("Channel"), choices=Channel.choices, initial=Channel.PHONE)
    team = forms.ModelChoiceField(
        label=_("Team"),
        required=False,
        queryset=Team.objects.order_by("name"),
        help_text=_("Empty: the routing rules choose."),
    )
    attachments = MultipleFileField(
        label=_("Scanned letter and other files"),
        required=False,
        help_text=_("Kept on the ticket's first message, from the customer."),
    )
    field_order = ["subject", "description", "channel", "type", "category", "priority", "team"]

    @staticmethod
    def field_for(error_field: str) -> str | None:
        return TicketFieldsForm.field_for(error_field)


def _active_statuses() -> Any:
    return Status.objects.filter(category__in=ACTIVE_CATEGORIES).exclude(category=StatusCategory.POSTPONED)


class TicketEditForm(TicketFieldsForm, VersionForm):
    status = forms.ModelChoiceField(label=_("Status"), queryset=_active_statuses().order_by("order", "name"))

    @staticmethod
    def field_for(error_field: str) -> str | None:
        if error_field == "version":
            return None
        return TicketFieldsForm.field_for(error_field)


# ---------------------------------------------------------------------------------------------- thread


REPLY_CHANNELS = ("email", "sms", "social")


class MessageForm(BootstrapForm):
    kind = forms.ChoiceField(
        label=_("Kind"),
        choices=[(Message.Kind.REPLY, _("Public reply")), (Message.Kind.NOTE, _("Internal note"))],
        initial=Message.Kind.REPLY,
        widget=forms.RadioSelect,
    )
    body = forms.CharField(
        label=_("Message"),
        required=False,
        max_length=100_000,
        widget=forms.Textarea(attrs={"rows": 4, "dir": "auto"}),
        help_text=_("Mention a colleague with @their-email to notify them."),
    )
    attachments = MultipleFileField(label=_("Attachments"), required=False)
    channel = forms.ChoiceField(
        label=_("Send by"),
        required=False,
        choices=[("", _("The way the customer last wrote")), *[c for c in Channel.choices if c[0] in REPLY_CHANNELS]],
    )


class ReviewForm(BootstrapForm):
    body = forms.CharField(
        label=_("Reply"), required=False, max_length=100_000, widget=forms.Textarea(attrs={"rows": 3, "dir": "auto"})
    )
    note = forms.CharField(label=_("Note to the author"), required=False, max_length=5000)
    decision = forms.ChoiceField(choices=[("approve", _("Approve")), ("return", _("Send back"))])


class SplitForm(BootstrapForm):
    subject = forms.CharField(label=_("Subject of the new ticket"), required=False, max_length=300)


# ---------------------------------------------------------------------------------------------- tasks and time


class TaskForm(BootstrapForm):
    title = forms.CharField(label=_("Task"), max_length=300)
    description = forms.CharField(
        label=_("Description"), required=False, max_length=5000, widget=forms.Textarea(attrs={"rows": 2})
    )
    assignee = forms.ModelChoiceField(label=_("Person"), required=False, queryset=_users())
    team = forms.ModelChoiceField(label=_("Team"), required=False, queryset=Team.objects.order_by("name"))
    required_skill = forms.ModelChoiceField(label=_("Skill"), required=False, queryset=Skill.objects.order_by("name"))
    due_at = LocalDateTimeField(label=_("Due"), required=False)
    mandatory = forms.BooleanField(label=_("Must be done before the ticket is resolved"), required=False, initial=True)


class TaskStateForm(BootstrapForm):
    state = forms.ChoiceField(label=_("Status"), choices=Task.State.choices)


class WorkLogForm(BootstrapForm):
    minutes = forms.IntegerField(
        label=_("Minutes"),
        min_value=1,
        max_value=24 * 60,
        widget=forms.TextInput(attrs={"dir": "ltr", "inputmode": "numeric"}),
    )
    billable = forms.BooleanField(label=_("Billable"), required=False)
    note = forms.CharField(label=_("Note"), required=False, max_length=5000)
    task = forms.ModelChoiceField(label=_("Task"), required=False, queryset=Task.objects.none())

    def __init__(self, *args: Any, tasks: list[Task] | None = None, ticket_id: int | None = None, **kwargs: Any):
        super().__init__(*args, **kwargs)
        field = self.fields["task"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = Task.objects.filter(ticket_id=ticket_id or 0)
        if tasks is not None:  # the detail page already holds them: no query to list the choices
            field.choices = [("", "---------"), *((t.pk, t.title) for t in tasks)]

    def clean_minutes(self) -> int:
        return int(to_ascii_digits(str(self.cleaned_data["minutes"])))


# ---------------------------------------------------------------------------------------------- people


class AssignForm(VersionForm):
    assignee = forms.ModelChoiceField(label=_("Person"), required=False, queryset=_users())
    team = forms.ModelChoiceField(label=_("Team"), required=False, queryset=Team.objects.order_by("name"))


class ReferForm(BootstrapForm):
    to_user = forms.ModelChoiceField(label=_("Person"), required=False, queryset=_users())
    to_team = forms.ModelChoiceField(label=_("Team"), required=False, queryset=Team.objects.order_by("name"))
    note = forms.CharField(label=_("Note"), required=False, max_length=5000, widget=forms.Textarea(attrs={"rows": 2}))

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not data.get("to_user") and not data.get("to_team"):
            raise forms.ValidationError(_("Refer to a person or a team."))
        return data


class ReferralAnswerForm(BootstrapForm):
    note = forms.CharField(label=_("Answer"), required=False, max_length=5000)
    decision = forms.ChoiceField(choices=[("accept", _("Accept")), ("return", _("Return"))])


class LinkForm(BootstrapForm):
    reference = forms.CharField(label=_("Ticket"), max_length=40, widget=forms.TextInput(attrs={"dir": "ltr"}))
    kind = forms.ChoiceField(label=_("Kind"), choices=TicketLink.Kind.choices, initial=TicketLink.Kind.RELATED)


class MergeForm(BootstrapForm):
    reference = forms.CharField(
        label=_("Merge into ticket"),
        max_length=40,
        widget=forms.TextInput(attrs={"dir": "ltr", "placeholder": "#10042"}),
        help_text=_("Messages, tasks, time and watchers move there; this ticket closes."),
    )


# ---------------------------------------------------------------------------------------------- life cycle


class ResolveForm(VersionForm):
    resolution = forms.CharField(
        label=_("Resolution"), required=False, max_length=100_000, widget=forms.Textarea(attrs={"rows": 2})
    )


class CancelForm(VersionForm):
    reason = forms.CharField(label=_("Reason"), max_length=5000, widget=forms.Textarea(attrs={"rows": 2}))


class PostponeForm(VersionForm):
    until = LocalDateTimeField(label=_("Postpone until"), default_time=dt.time(8, 0))
    note = forms.CharField(label=_("Note"), required=False, max_length=500)


class ReopenForm(BootstrapForm):
    reason = forms.CharField(label=_("Reason"), required=False, max_length=500)


class StatusForm(VersionForm):
    status = forms.ModelChoiceField(label=_("Status"), queryset=_active_statuses().order_by("order", "name"))


# ---------------------------------------------------------------------------------------------- list


class TicketFilterForm(forms.Form):
    """The list filters, named as `selectors.ticket_filter` expects them. Bad values are dropped, not errors."""

    search = forms.CharField(required=False, max_length=200)
    list = forms.ChoiceField(
        required=False,
        choices=[
            ("", _("All I can see")),
            ("mine", _("My tickets")),
            ("team", _("My team's queue")),
            ("unassigned", _("Unassigned")),
            ("overdue", _("Overdue")),
            ("closed", _("Recently done")),
        ],
    )
    status = forms.CharField(required=False, max_length=40)
    team = forms.CharField(required=False, max_length=20)
    assignee = forms.CharField(required=False, max_length=20)
    priority = forms.CharField(required=False, max_length=4)
    type = forms.CharField(required=False, max_length=20)
    category = forms.CharField(required=False, max_length=20)
    project = forms.CharField(required=False, max_length=20)
    requester = forms.CharField(required=False, max_length=20)
    channel = forms.CharField(required=False, max_length=16)
    tag = forms.CharField(required=False, max_length=64)
