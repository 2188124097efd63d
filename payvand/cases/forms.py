"""The case-template builder's form: the template's own fields, and rows of tasks (title, role, skill, team,
person, due after, mandatory). Rows with no title are left out; each edit offers a few empty rows more."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.models import Group
from django.utils.translation import gettext_lazy as _

from payvand.accounts.models import Skill, Team, User
from payvand.cases.models import CaseTemplate
from payvand.cases.services import MAX_TASKS, CaseTaskIn, CaseTemplateIn
from payvand.core.forms import BootstrapForm
from payvand.core.localization import localize_digits, to_ascii_digits
from payvand.helpdesk.models import Priority, TicketType

EMPTY_ROWS = 3
TASK_PARTS = ("title", "role", "skill", "team", "assignee", "due")  # a row with any of these is a task
NEW_TYPE = ""


def _numeric(label: Any, *, required: bool = False, help_text: Any = "") -> forms.CharField:
    """A number typed in any digits (Persian too): a text box, checked by the service."""
    return forms.CharField(
        label=label,
        required=required,
        max_length=12,
        help_text=help_text,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "dir": "ltr", "class": "pv-ltr"}),
    )


class CaseTemplateForm(BootstrapForm):
    name = forms.CharField(label=_("Name"), max_length=120)
    button = forms.CharField(
        label=_("Button label"),
        max_length=80,
        help_text=_("What the agent presses, e.g. “Report a missed collection”."),
    )
    subject = forms.CharField(
        label=_("Ticket subject"), max_length=200, required=False, help_text=_("Default: the template's name.")
    )
    ticket_type = forms.ChoiceField(label=_("Ticket type"), required=False)
    form = forms.ChoiceField(
        label=_("Questions: the form of a new ticket type"),
        required=False,
        help_text=_("Only when the ticket type is “new”: a ticket type named after the case is made with this form."),
    )
    team = forms.ChoiceField(label=_("Route to team"), required=False)
    priority = forms.ChoiceField(label=_("Priority"), required=False)
    tags = forms.CharField(label=_("Tags"), max_length=1000, required=False, help_text=_("Comma separated."))
    order = _numeric(_("Order"), required=True, help_text=_("Buttons are shown in this order."))
    is_active = forms.BooleanField(label=_("Active (agents can start it)"), required=False, initial=True)

    def __init__(self, *args: Any, template: CaseTemplate | None = None, **kwargs: Any) -> None:
        self.rows = EMPTY_ROWS
        if template is not None and "initial" not in kwargs and not args:
            tasks = list(template.tasks.all())
            kwargs["initial"] = {
                "name": template.name,
                "button": template.button,
                "subject": template.subject,
                "ticket_type": str(template.ticket_type_id),
                "team": str(template.team_id or ""),
                "priority": str(template.priority or ""),
                "tags": ", ".join(template.tags or []),
                "order": localize_digits(str(template.order)),
                "is_active": template.is_active,
            }
            for i, k in enumerate(tasks):
                kwargs["initial"] |= {
                    f"t{i}_title": k.title,
                    f"t{i}_role": k.role,
                    f"t{i}_skill": str(k.skill_id or ""),
                    f"t{i}_team": str(k.team_id or ""),
                    f"t{i}_assignee": k.assignee.email if k.assignee else "",
                    f"t{i}_due": localize_digits(str(k.due_minutes or "")),
                    f"t{i}_mandatory": k.mandatory,
                }
            self.rows = len(tasks) + EMPTY_ROWS
        elif args:
            data = args[0]
            filled = [i for i in range(MAX_TASKS) if any(data.get(f"t{i}_{part}") for part in TASK_PARTS)]
            self.rows = max(filled, default=-1) + 1 + EMPTY_ROWS
        else:
            kwargs.setdefault("initial", {"order": localize_digits("100")})
        self.rows = min(max(self.rows, 1), MAX_TASKS)
        super().__init__(*args, **kwargs)
        from payvand.accounts.roles import LABELS
        from payvand.forms.models import Form

        types = TicketType.objects.filter(is_active=True).select_related("form").order_by("name")
        type_choices: list[tuple[str, Any]] = [(NEW_TYPE, _("New ticket type with the form below"))]
        for t in types:
            type_choices.append((str(t.pk), f"{t.name} — {t.form.name if t.form else _('no questions')}"))
        if template is not None and template.ticket_type_id and not template.ticket_type.is_active:
            type_choices.append((str(template.ticket_type_id), template.ticket_type.name))
        forms_ = [(str(f.pk), f.name) for f in Form.objects.filter(is_active=True).order_by("name")]
        teams = [(str(t.pk), t.name) for t in Team.objects.order_by("name")]
        choices: dict[str, list[tuple[Any, Any]]] = {
            "ticket_type": type_choices,
            "form": [("", "—"), *forms_],
            "team": [("", _("The routing rules choose")), *teams],
            "priority": [("", _("The ticket type's default")), *Priority.choices],
        }
        for name, options in choices.items():
            self.fields[name].choices = options  # type: ignore[attr-defined]
        roles = [("", "—"), *[(g.name, str(LABELS.get(g.name, g.name))) for g in Group.objects.order_by("name")]]
        skills = [("", "—"), *[(str(k.pk), k.name) for k in Skill.objects.order_by("name")]]
        for i in range(self.rows):
            self.fields[f"t{i}_title"] = forms.CharField(label=_("Task"), max_length=300, required=False)
            self.fields[f"t{i}_role"] = forms.ChoiceField(label=_("Role"), choices=roles, required=False)
            self.fields[f"t{i}_skill"] = forms.ChoiceField(label=_("Skill"), choices=skills, required=False)
            self.fields[f"t{i}_team"] = forms.ChoiceField(
                label=_("Team"), choices=[("", _("The ticket's team")), *teams], required=False
            )
            self.fields[f"t{i}_assignee"] = forms.CharField(
                label=_("Person (email)"),
                max_length=254,
                required=False,
                widget=forms.TextInput(attrs={"dir": "ltr", "autocomplete": "off"}),
            )
            self.fields[f"t{i}_due"] = _numeric(_("Due after (minutes)"))
            self.fields[f"t{i}_mandatory"] = forms.BooleanField(label=_("Mandatory"), required=False, initial=True)
        self.style_fields()
        for i in range(self.rows):
            for part in TASK_PARTS:
                widget = self.fields[f"t{i}_{part}"].widget
                small = "form-select-sm" if isinstance(widget, forms.Select) else "form-control-sm"
                widget.attrs["class"] = f"{widget.attrs.get('class', '')} {small}"

    def task_rows(self) -> list[dict[str, forms.BoundField]]:
        parts = (*TASK_PARTS, "mandatory")
        return [{part: self[f"t{i}_{part}"] for part in parts} for i in range(self.rows)]

    def _int(self, name: str, value: Any) -> int | None:
        text = to_ascii_digits(str(value or "")).strip()
        if not text:
            return None
        if not text.isdigit() or len(text) > 9:
            self.add_error(name, _("Give a whole number."))
            return None
        return int(text)

    def data_in(self) -> CaseTemplateIn | None:
        """The service's input, or None when a box holds something that is not a number or email (errors added)."""
        d = self.cleaned_data
        self._row_of: dict[str, int] = {}
        tasks: list[CaseTaskIn] = []
        for i in range(self.rows):
            title = (d.get(f"t{i}_title") or "").strip()
            if not any(d.get(f"t{i}_{part}") for part in TASK_PARTS):
                continue
            assignee_id: int | None = None
            email = (d.get(f"t{i}_assignee") or "").strip()
            if email:
                person = User.objects.filter(email__iexact=email).first()
                if person is None:
                    self.add_error(f"t{i}_assignee", _("No user has this email."))
                else:
                    assignee_id = person.pk
            self._row_of[f"tasks.{len(tasks)}"] = i
            tasks.append(
                CaseTaskIn(
                    title=title,
                    role=d.get(f"t{i}_role") or "",
                    skill=self._int(f"t{i}_skill", d.get(f"t{i}_skill")),
                    team=self._int(f"t{i}_team", d.get(f"t{i}_team")),
                    assignee=assignee_id,
                    due_minutes=self._int(f"t{i}_due", d.get(f"t{i}_due")),
                    mandatory=bool(d.get(f"t{i}_mandatory")),
                )
            )
        order = self._int("order", d.get("order"))
        priority = self._int("priority", d.get("priority"))
        if self.errors:
            return None
        tags = [t.strip() for t in (d.get("tags") or "").replace("،", ",").split(",") if t.strip()]
        return CaseTemplateIn(
            name=d.get("name") or "",
            button=d.get("button") or "",
            subject=d.get("subject") or "",
            ticket_type=self._int("ticket_type", d.get("ticket_type")),
            form=self._int("form", d.get("form")) if not d.get("ticket_type") else None,
            team=self._int("team", d.get("team")),
            priority=priority,
            tags=tags,
            order=order if order is not None else 100,
            is_active=bool(d.get("is_active")),
            tasks=tasks,
        )

    def field_for(self, name: str) -> str | None:
        """`tasks.2.due_minutes` of the service's errors → the form field of that row (`t3_due`)."""
        parts = name.split(".")
        if parts[0] == "tasks" and len(parts) >= 2:
            row = getattr(self, "_row_of", {}).get(f"tasks.{parts[1]}")
            if row is None:
                return None
            part = {"due_minutes": "due"}.get(parts[2], parts[2]) if len(parts) > 2 else "title"
            return f"t{row}_{part}"
        return parts[0]
