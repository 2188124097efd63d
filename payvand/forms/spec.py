"""The builder spec: what an admin designs, and how it becomes a JSON Schema (draft 2020-12) plus a layout.

No database access here: `services` wraps these functions with the writes, and `form_values_clean` uses
`coerce_value` and `visible` so that values are read exactly as the compiled schema expects them.

A spec (docs/forms.md has the full description):

    {"sections": [{"title": "Device", "fields": [
        {"name": "serial", "kind": "text", "label": "Serial number", "required": true, "pattern": "[A-Z]{2}-[0-9]{4}"},
        {"name": "model", "kind": "choice", "label": "Model", "choices": [{"value": "x1", "label": "X1"}]},
        {"name": "bought", "kind": "date", "label": "Bought on", "show_if": {"field": "model", "equals": "x1"}}]}]}
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

import jsonschema_rs
from babel.numbers import NumberFormatError, parse_decimal
from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from payvand.core.errors import FieldError, ValidationFailed
from payvand.core.localization import parse_date, to_ascii_digits

TEXT = "text"
LONG_TEXT = "long_text"
NUMBER = "number"
DATE = "date"
CHOICE = "choice"
MULTI_CHOICE = "multi_choice"
CHECKBOX = "checkbox"
FILE = "file"
CONTACT = "contact"
ASSET = "asset"

KINDS = {
    TEXT: gettext_lazy("Text"),
    LONG_TEXT: gettext_lazy("Long text"),
    NUMBER: gettext_lazy("Number"),
    DATE: gettext_lazy("Date"),
    CHOICE: gettext_lazy("Choice"),
    MULTI_CHOICE: gettext_lazy("Multiple choice"),
    CHECKBOX: gettext_lazy("Checkbox"),
    FILE: gettext_lazy("File"),
    CONTACT: gettext_lazy("Contact"),
    ASSET: gettext_lazy("Asset"),
}
TEXT_KINDS = (TEXT, LONG_TEXT, ASSET)
CHOICE_KINDS = (CHOICE, MULTI_CHOICE)
# Kinds another field's condition may test (the browser compares their values as typed, without conversions).
CONDITION_KINDS = (CHOICE, MULTI_CHOICE, CHECKBOX, NUMBER, TEXT, LONG_TEXT, ASSET)

# What each kind accepts besides name, kind, label, help, required and show_if.
_OPTIONS = {
    TEXT: {"pattern", "pattern_message", "min", "max"},
    LONG_TEXT: {"pattern", "pattern_message", "min", "max"},
    ASSET: {"pattern", "pattern_message", "min", "max"},
    NUMBER: {"min", "max"},
    DATE: {"min", "max"},
    CHOICE: {"choices"},
    MULTI_CHOICE: {"choices", "min", "max"},
    CHECKBOX: set(),
    FILE: set(),
    CONTACT: set(),
}
_COMMON = {"name", "kind", "label", "help", "required", "show_if"}
_ALL_KEYS = _COMMON | {"pattern", "pattern_message", "min", "max", "choices"}

# Longest text a value of each text kind may have; an admin's `max` can only lower it.
TEXT_LIMITS = {TEXT: 1000, LONG_TEXT: 10000, ASSET: 200}
NUMBER_LIMIT = 10**15
MAX_SECTIONS = 30
MAX_FIELDS = 150
MAX_CHOICES = 200
LABEL_MAX = 200
HELP_MAX = 500
PATTERN_MAX = 300

NAME_RE = re.compile(r"[a-z][a-z0-9_]{0,39}")
CHOICE_VALUE_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.\-]{0,63}")
SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"


class BadValue(ValueError):
    """A value (or a spec setting) that cannot be read; the message is shown to the user."""


def _empty(value: Any) -> bool:
    return value is None or value == "" or value == [] or value == {}


# ---------------------------------------------------------------------------------------------- labels


def label_text(label: Any, language: str | None = None) -> str:
    """A label in the viewer's language: labels are text, or {"en": ..., "fa": ..., "hu": ...}."""
    if isinstance(label, dict):
        language = (language or translation.get_language() or "en").split("-")[0]
        for key in (language, "en", *label):
            if label.get(key):
                return str(label[key])
        return ""
    return "" if label is None else str(label)


def _language_codes() -> set[str]:
    return {code for code, _name in settings.LANGUAGES}


def _clean_label(raw: Any, *, required: bool, limit: int = LABEL_MAX) -> str | dict[str, str]:
    if isinstance(raw, str):
        text = raw.strip()
        if required and not text:
            raise BadValue(_("This is required."))
        if len(text) > limit:
            raise BadValue(_("At most %(n)d characters.") % {"n": limit})
        return text
    if isinstance(raw, dict):
        languages = _language_codes()
        clean: dict[str, str] = {}
        for key, value in raw.items():
            if key not in languages:
                raise BadValue(_("Unknown language “%(code)s”.") % {"code": str(key)[:10]})
            if not isinstance(value, str):
                raise BadValue(_("Each translation must be text."))
            if len(value.strip()) > limit:
                raise BadValue(_("At most %(n)d characters.") % {"n": limit})
            if value.strip():
                clean[key] = value.strip()
        if required and not clean:
            raise BadValue(_("This is required."))
        return clean
    if raw is None and not required:
        return ""
    raise BadValue(_('Give text, or an object of translations such as {"en": ..., "fa": ...}.'))


# ---------------------------------------------------------------------------------------------- values


def parse_number(raw: Any) -> int | float:
    """A number from JSON or from text typed in any of our languages (Persian digits, ٫ and ٬ separators)."""
    if isinstance(raw, bool):
        raise BadValue(_("Enter a number."))
    if isinstance(raw, int | float | Decimal):
        number = Decimal(str(raw))
    elif isinstance(raw, str):
        text = to_ascii_digits(raw).strip().replace("٫", ".").replace("٬", "").replace("\u066c", "")
        text = text.replace("\u2212", "-").replace(" ", "").replace("\u00a0", "").replace("\u202f", "")
        if not text or len(text) > 40:
            raise BadValue(_("Enter a number."))
        language = (translation.get_language() or "en").split("-")[0]
        try:
            number = parse_decimal(text, locale=language if language in ("en", "fa", "hu") else "en", strict=False)
        except (NumberFormatError, ValueError, InvalidOperation) as exc:
            raise BadValue(_("Enter a number.")) from exc
    else:
        raise BadValue(_("Enter a number."))
    if not number.is_finite():
        raise BadValue(_("Enter a number."))
    if number and number.adjusted() >= 15:  # before int(): 1e999999999 would build a billion-digit integer
        raise BadValue(_("The number is too large."))
    return int(number) if number == number.to_integral_value() else float(number)


def parse_iso_date(raw: Any) -> str:
    """An ISO date (YYYY-MM-DD) from ISO or Jalali input in any digits (1403/01/01, ۱۴۰۳/۰۱/۰۱)."""
    if isinstance(raw, dt.datetime):
        raise BadValue(_("Enter a date such as 2024-03-20 or 1403/01/01."))
    if isinstance(raw, dt.date):
        return raw.isoformat()
    if not isinstance(raw, str) or len(raw) > 40:
        raise BadValue(_("Enter a date such as 2024-03-20 or 1403/01/01."))
    try:
        return parse_date(raw).isoformat()
    except (ValueError, TypeError) as exc:
        raise BadValue(_("Enter a date such as 2024-03-20 or 1403/01/01.")) from exc


def parse_bool(raw: Any) -> bool:
    if isinstance(raw, bool):
        return raw
    if isinstance(raw, int) and raw in (0, 1):
        return bool(raw)
    if isinstance(raw, str):
        text = to_ascii_digits(raw).strip().lower()
        if text in {"1", "true", "yes", "on", "بله", "igen"}:
            return True
        if text in {"", "0", "false", "no", "off", "خیر", "nem"}:
            return False
    raise BadValue(_("Enter yes or no."))


def parse_id(raw: Any) -> int:
    if isinstance(raw, bool):
        raise BadValue(_("Choose a contact."))
    if isinstance(raw, str):
        raw = to_ascii_digits(raw).strip()
        if not raw.isdigit() or len(raw) > 19:
            raise BadValue(_("Choose a contact."))
        raw = int(raw)
    if not isinstance(raw, int) or not 0 < raw < 2**63:
        raise BadValue(_("Choose a contact."))
    return raw


def _text(field: Mapping[str, Any], raw: Any) -> str:
    if not isinstance(raw, str):
        raise BadValue(_("Enter text."))
    if "\x00" in raw:
        raise BadValue(_("Text cannot contain NUL characters."))
    text = raw.replace("\r\n", "\n").replace("\r", "\n").strip()
    if field.get("kind") != LONG_TEXT:
        text = " ".join(text.split())
    if field.get("pattern"):  # national codes and serials are typed in Persian digits too
        text = to_ascii_digits(text)
    return text


def coerce_value(field: Mapping[str, Any], raw: Any) -> Any:
    """The stored form of one non-empty value of a field (layout entry). Raises BadValue. Choice membership, lengths
    and limits are left to the JSON Schema; contacts and files are checked by `services.form_values_clean`."""
    kind = field.get("kind")
    if isinstance(raw, str) and "\x00" in raw or isinstance(raw, list) and any("\x00" in str(r) for r in raw):
        raise BadValue(_("Text cannot contain NUL characters."))
    if kind in TEXT_KINDS:
        return _text(field, raw)
    if kind == NUMBER:
        return parse_number(raw)
    if kind == DATE:
        return parse_iso_date(raw)
    if kind == CHECKBOX:
        return parse_bool(raw)
    if kind == CONTACT:
        return parse_id(raw)
    if kind == CHOICE:
        if isinstance(raw, int | float) and not isinstance(raw, bool):
            raw = str(raw)
        if not isinstance(raw, str):
            raise BadValue(_("Choose one of the offered values."))
        return raw.strip()
    if kind == MULTI_CHOICE:
        items = raw if isinstance(raw, list | tuple) else [raw]
        clean: list[str] = []
        for item in items:
            if isinstance(item, int | float) and not isinstance(item, bool):
                item = str(item)
            if not isinstance(item, str):
                raise BadValue(_("Choose from the offered values."))
            if item.strip() and item.strip() not in clean:
                clean.append(item.strip())
        return clean
    raise BadValue(_("This field cannot take a value here."))


def condition_met(condition: Mapping[str, Any] | None, values: Mapping[str, Any], kinds: Mapping[str, str]) -> bool:
    """Whether a field with this `show_if` is shown, given the values (already cleaned) of the fields before it."""
    if not condition:
        return True
    name = condition.get("field")
    if not isinstance(name, str) or name not in values:
        return False
    current, wanted = values[name], condition.get("equals")
    if kinds.get(name) == MULTI_CHOICE:
        return isinstance(current, list) and wanted in current
    if isinstance(current, bool) or isinstance(wanted, bool):
        return current is wanted
    return bool(current == wanted)


def fields_in_order(layout: Mapping[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """(name, field) of every field of a layout, in display order."""
    fields = layout.get("fields") or {}
    result = []
    for section in layout.get("sections") or []:
        for name in section.get("fields") or []:
            if name in fields:
                result.append((name, fields[name]))
    return result


# ---------------------------------------------------------------------------------------------- compiling


def _nul_path(value: Any, path: str) -> str | None:
    """The path of the first text (or key) holding a NUL character, if any."""
    if isinstance(value, str):
        return path if "\x00" in value else None
    items: list[tuple[Any, Any]] = []
    if isinstance(value, dict):
        items = list(value.items())
        for key in value:
            if isinstance(key, str) and "\x00" in key:
                return path
    elif isinstance(value, list):
        items = list(enumerate(value))
    for key, item in items:
        found = _nul_path(item, f"{path}.{key}" if path else str(key))
        if found is not None:
            return found
    return None


class _Compiler:
    def __init__(self) -> None:
        self.errors: list[FieldError] = []
        self.fields: dict[str, dict[str, Any]] = {}
        self.sections: list[dict[str, Any]] = []

    def error(self, path: str | None, message: str) -> None:
        self.errors.append(FieldError(path, message))

    def run(self, spec: Any) -> None:
        nul = _nul_path(spec, "")
        if nul is not None:  # no database column can hold a NUL (PostgreSQL refuses it outright)
            self.error(nul or None, _("Text cannot contain NUL characters."))
            return
        if not isinstance(spec, dict):
            self.error("spec", _("The form must be an object with a list of sections."))
            return
        for key in spec:
            if key != "sections":
                self.error(f"spec.{str(key)[:40]}", _("Unknown setting."))
        sections = spec.get("sections", [])
        if not isinstance(sections, list):
            self.error("sections", _("Sections must be a list."))
            return
        if len(sections) > MAX_SECTIONS:
            self.error("sections", _("At most %(n)d sections.") % {"n": MAX_SECTIONS})
            return
        total = sum(len(s["fields"]) for s in sections if isinstance(s, dict) and isinstance(s.get("fields"), list))
        if total > MAX_FIELDS:
            self.error("sections", _("At most %(n)d fields.") % {"n": MAX_FIELDS})
            return
        for i, section in enumerate(sections):
            self.section(i, section)

    def section(self, i: int, section: Any) -> None:
        path = f"sections.{i}"
        if not isinstance(section, dict):
            self.error(path, _("A section must be an object with a title and fields."))
            return
        for key in section:
            if key not in ("title", "fields"):
                self.error(f"{path}.{str(key)[:40]}", _("Unknown setting."))
        try:
            title = _clean_label(section.get("title", ""), required=False)
        except BadValue as exc:
            self.error(f"{path}.title", str(exc))
            title = ""
        fields = section.get("fields", [])
        names: list[str] = []
        if not isinstance(fields, list):
            self.error(f"{path}.fields", _("Fields must be a list."))
            fields = []
        for j, field in enumerate(fields):
            name = self.field(f"{path}.fields.{j}", field)
            if name:
                names.append(name)
        self.sections.append({"title": title, "fields": names})

    def field(self, path: str, raw: Any) -> str | None:
        if not isinstance(raw, dict):
            self.error(path, _("A field must be an object."))
            return None
        before = len(self.errors)
        for key in raw:
            if key not in _ALL_KEYS:
                self.error(f"{path}.{str(key)[:40]}", _("Unknown setting."))
        name = raw.get("name")
        if not isinstance(name, str) or not NAME_RE.fullmatch(name):
            self.error(
                f"{path}.name",
                _("Use 1 to 40 lower-case letters, digits and underscores, starting with a letter (e.g. serial_no)."),
            )
            name = None
        elif name in self.fields:
            self.error(f"{path}.name", _("Another field already has this name."))
            name = None
        kind = raw.get("kind")
        if kind not in KINDS:
            self.error(f"{path}.kind", _("Choose a kind of field."))
            return None
        field: dict[str, Any] = {"kind": kind}
        try:
            field["label"] = _clean_label(raw.get("label"), required=True)
        except BadValue as exc:
            self.error(f"{path}.label", str(exc))
        if not _empty(raw.get("help")):
            try:
                field["help"] = _clean_label(raw.get("help"), required=False, limit=HELP_MAX)
            except BadValue as exc:
                self.error(f"{path}.help", str(exc))
        try:
            field["required"] = parse_bool(False if raw.get("required") is None else raw["required"])
        except BadValue as exc:
            self.error(f"{path}.required", str(exc))
        for key in ("pattern", "pattern_message", "min", "max", "choices"):
            if not _empty(raw.get(key)) and key not in _OPTIONS[kind]:
                self.error(f"{path}.{key}", _("This kind of field does not use this setting."))
        if kind in TEXT_KINDS:
            self.text_options(path, raw, field)
        elif kind == NUMBER:
            self.limits(path, raw, field, parse_number)
        elif kind == DATE:
            self.limits(path, raw, field, parse_iso_date)
        elif kind in CHOICE_KINDS:
            self.choices(path, raw.get("choices"), field)
            if kind == MULTI_CHOICE:
                self.limits(path, raw, field, self.count)
        if not _empty(raw.get("show_if")):
            self.condition(path, raw["show_if"], field)
        if name is None or len(self.errors) > before:
            if name is not None:
                self.fields[name] = field  # still known, so later conditions can refer to it
            return None
        self.fields[name] = field
        return name

    @staticmethod
    def count(raw: Any) -> int:
        number = parse_number(raw)
        if not isinstance(number, int) or number < 0:
            raise BadValue(_("Enter a whole number, 0 or more."))
        return number

    def limits(self, path: str, raw: dict[str, Any], field: dict[str, Any], parse: Any) -> None:
        for key in ("min", "max"):
            if _empty(raw.get(key)):
                continue
            try:
                field[key] = parse(raw[key])
            except BadValue as exc:
                self.error(f"{path}.{key}", str(exc))
        if "min" in field and "max" in field and field["min"] > field["max"]:
            self.error(f"{path}.max", _("The maximum must not be less than the minimum."))

    def text_options(self, path: str, raw: dict[str, Any], field: dict[str, Any]) -> None:
        self.limits(path, raw, field, self.count)
        cap = TEXT_LIMITS[field["kind"]]
        if field.get("max", 0) > cap:
            self.error(f"{path}.max", _("At most %(n)d.") % {"n": cap})
        pattern = raw.get("pattern")
        if not _empty(pattern):
            if not isinstance(pattern, str) or len(pattern) > PATTERN_MAX:
                self.error(f"{path}.pattern", _("Give a regular expression of at most %(n)d characters.") % {"n": 300})
            elif not pattern_is_valid(pattern):
                self.error(f"{path}.pattern", _("This is not a regular expression that can be checked."))
            else:
                field["pattern"] = pattern
        if not _empty(raw.get("pattern_message")):
            try:
                field["pattern_message"] = _clean_label(raw["pattern_message"], required=False)
            except BadValue as exc:
                self.error(f"{path}.pattern_message", str(exc))

    def choices(self, path: str, raw: Any, field: dict[str, Any]) -> None:
        if not isinstance(raw, list) or not raw:
            self.error(f"{path}.choices", _("Give at least one choice."))
            return
        if len(raw) > MAX_CHOICES:
            self.error(f"{path}.choices", _("At most %(n)d choices.") % {"n": MAX_CHOICES})
            return
        clean: list[dict[str, Any]] = []
        seen: set[str] = set()
        for n, item in enumerate(raw):
            if isinstance(item, str):
                item = {"value": item, "label": item}
            if not isinstance(item, dict) or set(item) - {"value", "label"}:
                self.error(f"{path}.choices.{n}", _("A choice is an object with a value and a label."))
                continue
            value = item.get("value")
            if not isinstance(value, str) or not CHOICE_VALUE_RE.fullmatch(value):
                self.error(
                    f"{path}.choices.{n}.value",
                    _("A value is 1 to 64 Latin letters, digits, dots, dashes or underscores (e.g. laptop, option_2)."),
                )
                continue
            if value in seen:
                self.error(f"{path}.choices.{n}.value", _("Two choices have the same value."))
                continue
            seen.add(value)
            try:
                label = _clean_label(item.get("label", value) or value, required=True)
            except BadValue as exc:
                self.error(f"{path}.choices.{n}.label", str(exc))
                continue
            clean.append({"value": value, "label": label})
        field["choices"] = clean

    def condition(self, path: str, raw: Any, field: dict[str, Any]) -> None:
        if not isinstance(raw, dict) or set(raw) - {"field", "equals"}:
            self.error(f"{path}.show_if", _("A condition is an object with a field and a value."))
            return
        name = raw.get("field")
        target = self.fields.get(name) if isinstance(name, str) else None
        if target is None:
            self.error(f"{path}.show_if.field", _("Choose a field that comes before this one."))
            return
        if target["kind"] not in CONDITION_KINDS:
            self.error(
                f"{path}.show_if.field", _("A condition can depend on a choice, checkbox, number or text field.")
            )
            return
        equals = raw.get("equals")
        if _empty(equals) and target["kind"] != CHECKBOX:
            self.error(f"{path}.show_if.equals", _("Give the value that shows this field."))
            return
        try:
            if target["kind"] == MULTI_CHOICE:
                value: Any = coerce_value({"kind": CHOICE}, equals)
            else:
                value = coerce_value(target, False if equals is None or equals == "" else equals)
        except BadValue as exc:
            self.error(f"{path}.show_if.equals", str(exc))
            return
        if target["kind"] in CHOICE_KINDS and value not in [c["value"] for c in target.get("choices", [])]:
            self.error(f"{path}.show_if.equals", _("Choose one of that field's values."))
            return
        field["show_if"] = {"field": name, "equals": value}


def pattern_is_valid(pattern: str) -> bool:
    try:
        jsonschema_rs.Draft202012Validator({"pattern": anchored(pattern)}, pattern_options=PATTERN_OPTIONS)
    except (jsonschema_rs.ValidationError, ValueError):
        return False
    return True


def anchored(pattern: str) -> str:
    """JSON Schema patterns match anywhere in the value; ours, like HTML's `pattern`, must match all of it."""
    return f"^(?:{pattern})$"


# Linear-time regular expressions (no look-around or back-references): an admin's pattern can't hang the server.
PATTERN_OPTIONS = jsonschema_rs.RegexOptions(size_limit=1_000_000, dfa_size_limit=1_000_000)


def _property(field: dict[str, Any]) -> dict[str, Any]:
    kind = field["kind"]
    prop: dict[str, Any] = {"title": label_text(field.get("label"), "en"), "x-payvand-kind": kind}
    if field.get("help"):
        prop["description"] = label_text(field["help"], "en")
    if kind in TEXT_KINDS:
        prop.update(type="string", maxLength=field.get("max", TEXT_LIMITS[kind]))
        if field.get("min"):
            prop["minLength"] = field["min"]
        if field.get("pattern"):
            prop["pattern"] = anchored(field["pattern"])
    elif kind == NUMBER:
        prop.update(type="number", exclusiveMinimum=-NUMBER_LIMIT, exclusiveMaximum=NUMBER_LIMIT)
        if "min" in field:
            prop["minimum"] = field["min"]
        if "max" in field:
            prop["maximum"] = field["max"]
    elif kind == DATE:
        prop.update(type="string", format="date")
        if "min" in field:
            prop["formatMinimum"] = field["min"]
        if "max" in field:
            prop["formatMaximum"] = field["max"]
    elif kind == CHOICE:
        prop.update(type="string", enum=[c["value"] for c in field["choices"]])
    elif kind == MULTI_CHOICE:
        prop.update(type="array", items={"enum": [c["value"] for c in field["choices"]]}, uniqueItems=True)
        least = max(field.get("min", 0), 1 if field.get("required") else 0)
        if least:
            prop["minItems"] = least
        if "max" in field:
            prop["maxItems"] = field["max"]
    elif kind == CHECKBOX:
        prop["type"] = "boolean"
        if field.get("required"):
            prop["const"] = True
    elif kind == CONTACT:
        prop.update(type="integer", minimum=1)
    elif kind == FILE:
        prop.update(
            type="object",
            properties={
                "name": {"type": "string", "minLength": 1, "maxLength": 200},
                "size": {"type": "integer", "minimum": 0},
                "content_type": {"type": "string", "maxLength": 100},
                "path": {"type": "string", "maxLength": 300},
            },
            required=["name", "size", "content_type"],
            additionalProperties=False,
        )
    return prop


def _if(target: str, kind: str, equals: Any) -> dict[str, Any]:
    test = {"contains": {"const": equals}} if kind == MULTI_CHOICE else {"const": equals}
    return {"properties": {target: test}, "required": [target]}


def compile_spec(spec: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    """(schema, layout) for a builder spec. Raises ValidationFailed with an error per bad setting, named by its path
    in the spec (`sections.0.fields.2.pattern`)."""
    compiler = _Compiler()
    compiler.run(spec)
    if compiler.errors:
        raise ValidationFailed(detail=_("The form has mistakes."), errors=compiler.errors)
    layout = {"sections": compiler.sections, "fields": compiler.fields}
    properties: dict[str, Any] = {}
    required: list[str] = []
    rules: list[dict[str, Any]] = []
    for name, field in fields_in_order(layout):
        properties[name] = _property(field)
        condition = field.get("show_if")
        if condition is None:
            # A checkbox always has a value (false when unticked); `required` on it means it must be ticked.
            if field.get("required") or field["kind"] == CHECKBOX:
                required.append(name)
            continue
        target = condition["field"]
        rule: dict[str, Any] = {"if": _if(target, compiler.fields[target]["kind"], condition["equals"])}
        if field.get("required") or field["kind"] == CHECKBOX:
            rule["then"] = {"required": [name]}
        rule["else"] = {"not": {"required": [name]}}  # a hidden field never has a value
        rules.append(rule)
    schema: dict[str, Any] = {
        "$schema": SCHEMA_DIALECT,
        "type": "object",
        "properties": properties,
        "additionalProperties": False,
    }
    if required:
        schema["required"] = required
    if rules:
        schema["allOf"] = rules
    validator(schema)  # a compiled schema that does not compile is a bug here, not the admin's mistake
    return schema, layout


def spec_from_layout(layout: Mapping[str, Any]) -> dict[str, Any]:
    """The builder spec a layout was compiled from (what the builder and the API show for editing)."""
    fields = layout.get("fields") or {}
    return {
        "sections": [
            {
                "title": section.get("title", ""),
                "fields": [{"name": name, **fields[name]} for name in section.get("fields", []) if name in fields],
            }
            for section in layout.get("sections") or []
        ]
    }


# ---------------------------------------------------------------------------------------------- validating


class _DateBound:
    """`formatMinimum` / `formatMaximum` for `format: date` (ISO dates compare as text)."""

    keyword = ""

    def __init__(self, parent_schema: dict[str, Any], value: Any, schema_path: list[str | int]) -> None:
        self.bound = str(value)

    def validate(self, instance: Any) -> None:
        if isinstance(instance, str) and self.fails(instance):
            raise ValueError(f"{instance} is out of range ({self.keyword} {self.bound})")

    def fails(self, instance: str) -> bool:
        raise NotImplementedError


class _DateMinimum(_DateBound):
    keyword = "formatMinimum"

    def fails(self, instance: str) -> bool:
        return instance < self.bound


class _DateMaximum(_DateBound):
    keyword = "formatMaximum"

    def fails(self, instance: str) -> bool:
        return instance > self.bound


def validator(schema: dict[str, Any]) -> jsonschema_rs.Draft202012Validator:
    return jsonschema_rs.Draft202012Validator(
        schema,
        validate_formats=True,
        pattern_options=PATTERN_OPTIONS,
        keywords={"formatMinimum": _DateMinimum, "formatMaximum": _DateMaximum},
    )
