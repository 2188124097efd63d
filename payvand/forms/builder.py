"""The builder page's state: the spec as the admin is typing it, read from and written to plain form inputs.

Inputs are named `s<i>-title` and `s<i>-f<j>-<setting>`, with counts in `sections` and `s<i>-fields`; every button
posts the whole state with an `op` (`field-add:0`, `field-up:0:2`, ...), so the page works as one server-side form
(htmx swaps it in place). Translated texts are typed as JSON: {"en": "Model", "fa": "مدل"}.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext as _

from payvand.core.errors import FieldError
from payvand.core.localization import to_ascii_digits
from payvand.forms import spec as specs

TEXT_MAX = 20000
SETTINGS = (
    "name",
    "kind",
    "label",
    "help",
    "pattern",
    "pattern_message",
    "min",
    "max",
    "choices",
    "show_if_field",
    "show_if_equals",
)


@dataclass
class FieldState:
    name: str = ""
    kind: str = specs.TEXT
    label: str = ""
    help: str = ""
    required: bool = False
    pattern: str = ""
    pattern_message: str = ""
    min: str = ""
    max: str = ""
    choices: str = ""
    show_if_field: str = ""
    show_if_equals: str = ""
    errors: dict[str, list[str]] = field(default_factory=dict)
    condition_fields: list[str] = field(default_factory=list)  # what the "show only when" list offers

    def uses(self, setting: str) -> bool:
        """Whether this kind of field has the setting (the page shows only those)."""
        return setting in specs._OPTIONS.get(self.kind, set())

    @property
    def uses_pattern(self) -> bool:
        return self.uses("pattern")

    @property
    def uses_limits(self) -> bool:
        return self.uses("min")

    @property
    def uses_choices(self) -> bool:
        return self.uses("choices")

    @property
    def limit_hint(self) -> str:
        if self.kind in specs.TEXT_KINDS:
            return _("Length in characters")
        if self.kind == specs.MULTI_CHOICE:
            return _("How many may be chosen")
        if self.kind == specs.DATE:
            return _("Dates such as 2024-03-20 or 1403/01/01")
        return ""


@dataclass
class SectionState:
    title: str = ""
    fields: list[FieldState] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


@dataclass
class BuilderState:
    sections: list[SectionState] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def fields_before(self, i: int, j: int) -> list[FieldState]:
        """Fields a condition of field (i, j) may test: the named fields before it."""
        before = [f for section in self.sections[:i] for f in section.fields]
        before += self.sections[i].fields[:j]
        return [f for f in before if f.name and f.kind in specs.CONDITION_KINDS]


def offer_conditions(state: BuilderState) -> None:
    """Fill each field's `condition_fields` (keeping a chosen field that no longer qualifies, so it is not lost)."""
    for i, section in enumerate(state.sections):
        for j, f in enumerate(section.fields):
            names = [other.name for other in state.fields_before(i, j)]
            if f.show_if_field and f.show_if_field not in names:
                names.append(f.show_if_field)
            f.condition_fields = list(dict.fromkeys(names))


def new_state() -> BuilderState:
    return BuilderState(sections=[SectionState(fields=[FieldState()])])


# ---------------------------------------------------------------------------------------------- text <-> values


def _text_in(raw: str) -> Any:
    """A typed text: JSON of translations ({"en": ..., "fa": ...}) becomes that object, anything else stays text."""
    text = raw.strip()
    if text.startswith("{") and text.endswith("}"):
        try:
            value = json.loads(text)
        except ValueError:
            return text
        if isinstance(value, dict):
            return value
    return text


def _text_out(value: Any) -> str:
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False)
    return "" if value is None else str(value)


def _choices_in(raw: str) -> list[dict[str, Any]]:
    """One choice per line, `value | label` (or just a label: it gets the value option_<n>)."""
    choices = []
    for n, line in enumerate(raw.splitlines(), start=1):
        if not line.strip():
            continue
        value, bar, label = line.partition("|")
        if not bar:
            text = line.strip()
            value, label = (text, text) if specs.CHOICE_VALUE_RE.fullmatch(text) else (f"option_{n}", text)
        choices.append({"value": value.strip(), "label": _text_in(label) or value.strip()})
    return choices


def _choices_out(choices: Iterable[Mapping[str, Any]]) -> str:
    lines = []
    for c in choices:
        label = _text_out(c.get("label"))
        lines.append(c["value"] if label == c["value"] else f"{c['value']} | {label}")
    return "\n".join(lines)


# ---------------------------------------------------------------------------------------------- spec <-> state


def state_from_spec(spec: Mapping[str, Any]) -> BuilderState:
    state = BuilderState()
    for section in spec.get("sections", []):
        fields = []
        for f in section.get("fields", []):
            condition = f.get("show_if") or {}
            equals = condition.get("equals")
            fields.append(
                FieldState(
                    name=f.get("name", ""),
                    kind=f.get("kind", specs.TEXT),
                    label=_text_out(f.get("label")),
                    help=_text_out(f.get("help")),
                    required=bool(f.get("required")),
                    pattern=f.get("pattern", ""),
                    pattern_message=_text_out(f.get("pattern_message")),
                    min=_text_out(f.get("min")),
                    max=_text_out(f.get("max")),
                    choices=_choices_out(f.get("choices", [])),
                    show_if_field=condition.get("field", ""),
                    show_if_equals=json.dumps(equals) if isinstance(equals, bool) else _text_out(equals),
                )
            )
        state.sections.append(SectionState(title=_text_out(section.get("title")), fields=fields))
    return state


def spec_from_state(state: BuilderState) -> dict[str, Any]:
    """The spec to compile: each field with the settings its kind uses (others the page kept are left out)."""
    sections = []
    for section in state.sections:
        fields = []
        for f in section.fields:
            item: dict[str, Any] = {"name": f.name.strip(), "kind": f.kind, "label": _text_in(f.label)}
            if f.help.strip():
                item["help"] = _text_in(f.help)
            if f.required:
                item["required"] = True
            if f.uses("pattern") and f.pattern.strip():
                item["pattern"] = f.pattern.strip()
                if f.pattern_message.strip():
                    item["pattern_message"] = _text_in(f.pattern_message)
            if f.uses("min"):
                for key in ("min", "max"):
                    if getattr(f, key).strip():
                        item[key] = getattr(f, key).strip()
            if f.uses("choices"):
                item["choices"] = _choices_in(f.choices)
            if f.show_if_field.strip():
                item["show_if"] = {"field": f.show_if_field.strip(), "equals": f.show_if_equals.strip()}
            fields.append(item)
        sections.append({"title": _text_in(section.title), "fields": fields})
    return {"sections": sections}


def _count(raw: Any, cap: int) -> int:
    text = to_ascii_digits(str(raw or "")).strip()
    return min(int(text), cap) if text.isdigit() and len(text) < 6 else 0


def state_from_post(data: Mapping[str, Any]) -> BuilderState:
    def text(key: str) -> str:
        value = data.get(key, "")
        return str(value)[:TEXT_MAX] if value is not None else ""

    state = BuilderState()
    for i in range(_count(data.get("sections"), specs.MAX_SECTIONS + 1)):
        section = SectionState(title=text(f"s{i}-title"))
        for j in range(_count(data.get(f"s{i}-fields"), specs.MAX_FIELDS + 1)):
            prefix = f"s{i}-f{j}-"
            values = {key: text(prefix + key) for key in SETTINGS}
            values["kind"] = values["kind"] if values["kind"] in specs.KINDS else specs.TEXT
            item = FieldState(required=bool(data.get(prefix + "required")))
            for key, value in values.items():
                setattr(item, key, value)
            section.fields.append(item)
        state.sections.append(section)
    return state


# ---------------------------------------------------------------------------------------------- buttons


def _index(part: str, size: int) -> int | None:
    return int(part) if part.isdigit() and int(part) < size else None


def apply_op(state: BuilderState, op: str) -> None:
    """Apply one builder button: section-add, section-remove:i, section-up:i, section-down:i, field-add:i,
    field-remove:i:j, field-up:i:j, field-down:i:j (a field moves across sections at either end). Unknown or
    out-of-range operations do nothing."""
    action, *parts = op.split(":")
    sections = state.sections
    i = _index(parts[0], len(sections)) if parts else None
    total = sum(len(s.fields) for s in sections)
    if action == "section-add" and len(sections) < specs.MAX_SECTIONS:
        sections.append(SectionState(fields=[FieldState()] if total < specs.MAX_FIELDS else []))
        return
    if i is None:
        return
    if action == "section-remove":
        del sections[i]
    elif action == "section-up" and i > 0:
        sections[i - 1], sections[i] = sections[i], sections[i - 1]
    elif action == "section-down" and i < len(sections) - 1:
        sections[i + 1], sections[i] = sections[i], sections[i + 1]
    elif action == "field-add" and total < specs.MAX_FIELDS:
        sections[i].fields.append(FieldState())
    if not action.startswith("field-") or len(parts) < 2:
        return
    fields = sections[i].fields
    j = _index(parts[1], len(fields))
    if j is None:
        return
    if action == "field-remove":
        del fields[j]
    elif action == "field-up":
        if j > 0:
            fields[j - 1], fields[j] = fields[j], fields[j - 1]
        elif i > 0:
            sections[i - 1].fields.append(fields.pop(j))
    elif action == "field-down":
        if j < len(fields) - 1:
            fields[j + 1], fields[j] = fields[j], fields[j + 1]
        elif i < len(sections) - 1:
            sections[i + 1].fields.insert(0, fields.pop(j))


# ---------------------------------------------------------------------------------------------- errors


_SETTING_FOR = {"show_if": "show_if_field", "show_if.field": "show_if_field", "show_if.equals": "show_if_equals"}


def attach_errors(state: BuilderState, errors: Iterable[FieldError]) -> list[FieldError]:
    """Put each spec error (`sections.0.fields.2.pattern`) next to its input; return the ones about other things
    (the form's name and description)."""
    others = []
    for error in errors:
        parts = (error.field or "").split(".")
        message = str(error.message)
        if parts[0] != "sections" or len(parts) < 2 or not parts[1].isdigit():
            if parts[0] in ("spec", "sections"):
                state.errors.append(message)
            else:
                others.append(error)
            continue
        i = int(parts[1])
        if i >= len(state.sections):
            state.errors.append(message)
            continue
        section = state.sections[i]
        if len(parts) < 4 or parts[2] != "fields" or not parts[3].isdigit() or int(parts[3]) >= len(section.fields):
            section.errors.append(message)
            continue
        f = section.fields[int(parts[3])]
        rest = parts[4:]
        if rest[:1] == ["choices"] and len(rest) > 1 and rest[1].isdigit():
            message = _("Choice %(n)d: %(message)s") % {"n": int(rest[1]) + 1, "message": message}
        key = _SETTING_FOR.get(".".join(rest[:2]), rest[0] if rest else "name")
        f.errors.setdefault(key if key in SETTINGS else "name", []).append(message)
    return others
