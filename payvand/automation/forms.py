"""The rule builder's form: the rule's own fields, and rows of conditions and actions (select + value)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from payvand.automation.models import Rule, Trigger
from payvand.automation.services import MacroIn, RuleIn
from payvand.core.forms import BootstrapForm
from payvand.helpdesk.models import StatusCategory

CONDITION_ROWS = 5
ACTION_ROWS = 5

FIELDS = [
    ("", "—"),
    ("status", _("Status")),
    ("priority", _("Priority")),
    ("channel", _("Channel")),
    ("type", _("Ticket type")),
    ("category", _("Category")),
    ("team", _("Team")),
    ("assignee", _("Assignee (email)")),
    ("tags", _("Tags")),
    ("subject", _("Subject")),
    ("description", _("Description")),
    ("text", _("Subject or description")),
    ("hours_since_created", _("Hours since created")),
    ("hours_since_updated", _("Hours since last change")),
    ("form", _("Form field (name below: field=value)")),
]
OPS = [
    ("eq", _("is")),
    ("ne", _("is not")),
    ("contains", _("contains")),
    ("not_contains", _("does not contain")),
    ("gt", _("more than")),
    ("lt", _("less than")),
    ("is_set", _("is set")),
    ("not_set", _("is empty")),
]
ACTIONS = [
    ("", "—"),
    ("set_status", _("Set status")),
    ("set_priority", _("Set priority")),
    ("set_type", _("Set ticket type")),
    ("set_category", _("Set category")),
    ("add_tag", _("Add a tag")),
    ("assign_team", _("Assign to team")),
    ("assign_user", _("Assign to person (email)")),
    ("refer_team", _("Refer to team")),
    ("add_task", _("Add a task (title; skill in the second box)")),
    ("notify", _("Notify (assignee, team_lead or an email; text in the second box)")),
    ("send_email", _("Email the customer (subject; body in the second box)")),
    ("send_sms", _("SMS to the customer (text in the second box)")),
    ("webhook", _("Call a webhook (address)")),
]


class RuleForm(BootstrapForm):
    name = forms.CharField(label=_("Name"), max_length=200)
    trigger = forms.ChoiceField(label=_("When"), choices=Trigger.choices)
    match = forms.ChoiceField(label=_("Conditions that must hold"), choices=Rule.Match.choices)
    max_fires = forms.IntegerField(label=_("Runs at most, per ticket"), min_value=1, max_value=100, initial=3)
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)
    state = forms.ChoiceField(
        label=_("Time-based: in status"), choices=[("", "—"), *StatusCategory.choices], required=False
    )
    after_minutes = forms.IntegerField(label=_("for (minutes)"), min_value=1, max_value=525600, required=False)
    calendar: forms.ModelChoiceField[Any] = forms.ModelChoiceField(
        label=_("counted in business hours of"),
        queryset=None,
        required=False,
        empty_label=_("Wall-clock time"),
    )

    def __init__(self, *args: Any, rule: Rule | None = None, **kwargs: Any) -> None:
        if rule is not None and "initial" not in kwargs and not args:
            kwargs["initial"] = {
                "name": rule.name,
                "trigger": rule.trigger,
                "match": rule.match,
                "max_fires": rule.max_fires,
                "is_active": rule.is_active,
                "state": rule.state,
                "after_minutes": rule.after_minutes,
                "calendar": rule.calendar_id,
            }
            for i, c in enumerate(rule.conditions[:CONDITION_ROWS]):
                field = c["field"]
                value = c.get("value", "")
                if field.startswith("form:"):
                    value = f"{field[5:]}={value}"
                    field = "form"
                kwargs["initial"] |= {f"c{i}_field": field, f"c{i}_op": c["op"], f"c{i}_value": value}
            for i, a in enumerate(rule.actions[:ACTION_ROWS]):
                kwargs["initial"] |= {
                    f"a{i}_type": a["type"],
                    f"a{i}_value": a.get("value", ""),
                    f"a{i}_text": a.get("text", ""),
                }
        super().__init__(*args, **kwargs)
        from payvand.sla.models import BusinessCalendar

        self.fields["calendar"].queryset = BusinessCalendar.objects.order_by("name")  # type: ignore[attr-defined]
        for i in range(CONDITION_ROWS):
            self.fields[f"c{i}_field"] = forms.ChoiceField(label=_("Field"), choices=FIELDS, required=False)
            self.fields[f"c{i}_op"] = forms.ChoiceField(label=_("Operator"), choices=OPS, required=False)
            self.fields[f"c{i}_value"] = forms.CharField(label=_("Value"), max_length=500, required=False)
        for i in range(ACTION_ROWS):
            self.fields[f"a{i}_type"] = forms.ChoiceField(label=_("Action"), choices=ACTIONS, required=False)
            self.fields[f"a{i}_value"] = forms.CharField(label=_("Value"), max_length=500, required=False)
            self.fields[f"a{i}_text"] = forms.CharField(
                label=_("Text"), max_length=5000, required=False, widget=forms.Textarea(attrs={"rows": 1})
            )
        self.style_fields()

    def condition_rows(self) -> list[list[forms.BoundField]]:
        return [[self[f"c{i}_field"], self[f"c{i}_op"], self[f"c{i}_value"]] for i in range(CONDITION_ROWS)]

    def action_rows(self) -> list[list[forms.BoundField]]:
        return [[self[f"a{i}_type"], self[f"a{i}_value"], self[f"a{i}_text"]] for i in range(ACTION_ROWS)]

    def _rows(self) -> tuple[list[tuple[int, dict[str, Any]]], list[tuple[int, dict[str, Any]]]]:
        d = self.cleaned_data
        conditions = []
        for i in range(CONDITION_ROWS):
            field = d.get(f"c{i}_field")
            if not field:
                continue
            value = d.get(f"c{i}_value") or ""
            if field == "form":
                key, _sep, value = value.partition("=")
                field = f"form:{key.strip()}"
            conditions.append((i, {"field": field, "op": d.get(f"c{i}_op"), "value": value.strip()}))
        actions = []
        for i in range(ACTION_ROWS):
            kind = d.get(f"a{i}_type")
            if kind:
                actions.append((i, {"type": kind, "value": d.get(f"a{i}_value"), "text": d.get(f"a{i}_text")}))
        self._row_of = {f"conditions.{n}": f"c{i}" for n, (i, _c) in enumerate(conditions)} | {
            f"actions.{n}": f"a{i}" for n, (i, _a) in enumerate(actions)
        }
        return conditions, actions

    def data_in(self) -> RuleIn:
        conditions, actions = self._rows()
        d = self.cleaned_data
        return RuleIn(
            name=d["name"],
            trigger=d["trigger"],
            match=d["match"],
            conditions=[c for _i, c in conditions],
            actions=[a for _i, a in actions],
            is_active=bool(d.get("is_active")),
            max_fires=d["max_fires"],
            state=d.get("state") or "",
            after_minutes=d.get("after_minutes"),
            calendar=d["calendar"].pk if d.get("calendar") else None,
        )

    def field_for(self, name: str) -> str | None:
        """`conditions.2.value` of the service's errors → the form field of that row (`c3_value`)."""
        parts = name.split(".")
        if len(parts) >= 2 and parts[0] in ("conditions", "actions"):
            row = getattr(self, "_row_of", {}).get(f"{parts[0]}.{parts[1]}")
            if row is None:
                return None
            part = parts[2] if len(parts) > 2 else ("field" if parts[0] == "conditions" else "type")
            if part == "field" and parts[0] == "conditions":
                return f"{row}_field"
            return f"{row}_{part}"
        return parts[0]


MACRO_ACTION_ROWS = 3


class MacroForm(BootstrapForm):
    name = forms.CharField(label=_("Name"), max_length=200)
    body = forms.CharField(
        label=_("Reply"),
        required=False,
        max_length=20000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("May use {customer_name}, {ticket_reference}, {ticket_subject} and {date}."),
    )
    personal = forms.BooleanField(label=_("Only for me"), required=False, initial=True)
    team: forms.ModelChoiceField[Any] = forms.ModelChoiceField(
        label=_("Team"), queryset=None, required=False, empty_label=_("Everyone")
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        from payvand.accounts.models import Team

        self.fields["team"].queryset = Team.objects.order_by("name")  # type: ignore[attr-defined]
        for i in range(MACRO_ACTION_ROWS):
            self.fields[f"a{i}_type"] = forms.ChoiceField(label=_("Action"), choices=ACTIONS, required=False)
            self.fields[f"a{i}_value"] = forms.CharField(label=_("Value"), max_length=500, required=False)
            self.fields[f"a{i}_text"] = forms.CharField(label=_("Text"), max_length=5000, required=False)
        self.style_fields()

    def action_rows(self) -> list[list[forms.BoundField]]:
        return [[self[f"a{i}_type"], self[f"a{i}_value"], self[f"a{i}_text"]] for i in range(MACRO_ACTION_ROWS)]

    def data_in(self) -> MacroIn:
        d = self.cleaned_data
        actions: list[dict[str, Any]] = []
        self._row_of: dict[str, str] = {}
        for i in range(MACRO_ACTION_ROWS):
            if d.get(f"a{i}_type"):
                self._row_of[f"actions.{len(actions)}"] = f"a{i}"
                actions.append({"type": d[f"a{i}_type"], "value": d.get(f"a{i}_value"), "text": d.get(f"a{i}_text")})
        return MacroIn(
            name=d["name"], body=d.get("body") or "", actions=actions, team=d.get("team"), personal=bool(d["personal"])
        )

    def field_for(self, name: str) -> str | None:
        parts = name.split(".")
        if parts[0] == "actions" and len(parts) >= 2:
            row = getattr(self, "_row_of", {}).get(f"actions.{parts[1]}")
            return f"{row}_{parts[2] if len(parts) > 2 else 'type'}" if row else None
        return parts[0]


class ApprovalRequestForm(BootstrapForm):
    kind = forms.ChoiceField(
        label=_("Request"),
        choices=[("refund", _("Refund")), ("discount", _("Discount"))],
    )
    amount = forms.CharField(label=_("Amount"), max_length=20)
    currency = forms.CharField(label=_("Currency"), max_length=3, required=False, initial="IRR")
    reason = forms.CharField(label=_("Reason"), max_length=5000, widget=forms.Textarea(attrs={"rows": 2}))
    role: forms.ModelChoiceField[Any] = forms.ModelChoiceField(
        label=_("Approvers: everyone with the role"), queryset=None, required=False, empty_label="—"
    )
    approver = forms.CharField(label=_("or a person (email)"), max_length=254, required=False)
    mode = forms.ChoiceField(label=_("Needs"), choices=[("any", _("Any one approver")), ("all", _("All approvers"))])

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        from django.contrib.auth.models import Group

        from payvand.accounts.roles import LABELS

        self.fields["role"].queryset = Group.objects.order_by("name")  # type: ignore[attr-defined]
        self.fields["role"].label_from_instance = lambda g: str(LABELS.get(g.name, g.name))  # type: ignore[attr-defined]
        self.style_fields()
