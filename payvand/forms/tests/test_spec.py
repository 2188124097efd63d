"""The builder spec compiler: what it accepts, what it refuses, and the JSON Schema it writes."""

from __future__ import annotations

import jsonschema_rs
import pytest

from payvand.core.errors import ValidationFailed
from payvand.forms import spec as specs
from payvand.forms.tests.conftest import device_spec


def _errors(spec) -> dict[str | None, str]:
    with pytest.raises(ValidationFailed) as info:
        specs.compile_spec(spec)
    return {e.field: str(e.message) for e in info.value.errors}


def _one(field: dict, *others: dict) -> dict:
    return {"sections": [{"title": "", "fields": [*others, field]}]}


def test_it_compiles_a_valid_draft_2020_12_schema():
    schema, layout = specs.compile_spec(device_spec())
    jsonschema_rs.meta.validate(schema)  # a valid JSON Schema document itself
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["required"] == ["serial", "model", "warranty"]
    assert schema["additionalProperties"] is False
    assert schema["properties"]["serial"]["pattern"] == "^(?:[A-Z]{2}-[0-9]{4})$"
    assert schema["properties"]["model"]["enum"] == ["x1", "x2"]
    assert schema["properties"]["bought"]["format"] == "date"
    assert schema["properties"]["count"]["minimum"] == 1
    rule = schema["allOf"][0]
    assert rule["if"] == {"properties": {"model": {"const": "x1"}}, "required": ["model"]}
    assert rule["then"] == {"required": ["bought"]}
    assert layout["sections"][0] == {
        "title": {"en": "Device", "fa": "دستگاه"},
        "fields": ["serial", "model", "bought", "count", "problems", "notes"],
    }
    assert layout["fields"]["bought"]["show_if"] == {"field": "model", "equals": "x1"}


def test_it_round_trips_through_the_layout():
    _schema, layout = specs.compile_spec(device_spec())
    again = specs.compile_spec(specs.spec_from_layout(layout))
    assert again[1] == layout


def test_it_accepts_jalali_date_limits_and_localised_numbers():
    _schema, layout = specs.compile_spec(
        {
            "sections": [
                {
                    "fields": [
                        {"name": "d", "kind": "date", "label": "D", "min": "۱۴۰۳/۰۱/۰۱", "max": "1403/12/30"},
                        {"name": "n", "kind": "number", "label": "N", "min": "۱٫۵", "max": "2000"},
                    ]
                }
            ]
        }
    )
    assert layout["fields"]["d"]["min"] == "2024-03-20"
    assert layout["fields"]["d"]["max"] == "2025-03-20"
    assert layout["fields"]["n"]["min"] == 1.5


def test_it_takes_plain_strings_as_choices():
    _schema, layout = specs.compile_spec(_one({"name": "c", "kind": "choice", "label": "C", "choices": ["a", "b"]}))
    assert layout["fields"]["c"]["choices"] == [{"value": "a", "label": "a"}, {"value": "b", "label": "b"}]


@pytest.mark.parametrize(
    ("spec", "field", "fragment"),
    [
        (None, "spec", "object"),
        ([], "spec", "object"),
        ({"sections": "x"}, "sections", "list"),
        ({"sections": [], "extra": 1}, "spec.extra", "Unknown"),
        ({"sections": ["x"]}, "sections.0", "section"),
        ({"sections": [{"fields": {}}]}, "sections.0.fields", "list"),
        (_one({"name": "Bad Name", "kind": "text", "label": "L"}), "sections.0.fields.0.name", "lower-case"),
        (_one({"name": "a", "kind": "colour", "label": "L"}), "sections.0.fields.0.kind", "kind"),
        (_one({"name": "a", "kind": "text", "label": ""}), "sections.0.fields.0.label", "required"),
        (_one({"name": "a", "kind": "text", "label": {"xx": "L"}}), "sections.0.fields.0.label", "language"),
        (_one({"name": "a", "kind": "text", "label": 5}), "sections.0.fields.0.label", "text"),
        (_one({"name": "a", "kind": "text", "label": "L", "colour": 1}), "sections.0.fields.0.colour", "Unknown"),
        (_one({"name": "a", "kind": "text", "label": "L", "pattern": "("}), "sections.0.fields.0.pattern", "regular"),
        (
            _one({"name": "a", "kind": "text", "label": "L", "pattern": "(?=x)a"}),
            "sections.0.fields.0.pattern",
            "regular",
        ),
        (_one({"name": "a", "kind": "text", "label": "L", "pattern": 5}), "sections.0.fields.0.pattern", "regular"),
        (_one({"name": "a", "kind": "text", "label": "L", "min": 5, "max": 2}), "sections.0.fields.0.max", "minimum"),
        (_one({"name": "a", "kind": "text", "label": "L", "max": 10**6}), "sections.0.fields.0.max", "1000"),
        (_one({"name": "a", "kind": "text", "label": "L", "min": -1}), "sections.0.fields.0.min", "0 or more"),
        (_one({"name": "a", "kind": "number", "label": "L", "min": "abc"}), "sections.0.fields.0.min", "number"),
        (
            _one({"name": "a", "kind": "number", "label": "L", "pattern": "x"}),
            "sections.0.fields.0.pattern",
            "does not use",
        ),
        (_one({"name": "a", "kind": "date", "label": "L", "min": "2024-02-30"}), "sections.0.fields.0.min", "date"),
        (_one({"name": "a", "kind": "choice", "label": "L"}), "sections.0.fields.0.choices", "at least one"),
        (
            _one({"name": "a", "kind": "choice", "label": "L", "choices": ["a", "a"]}),
            "sections.0.fields.0.choices.1.value",
            "same",
        ),
        (
            _one({"name": "a", "kind": "choice", "label": "L", "choices": ["a b"]}),
            "sections.0.fields.0.choices.0.value",
            "Latin",
        ),
        (
            _one({"name": "a", "kind": "choice", "label": "L", "choices": [{"value": "a", "x": 1}]}),
            "sections.0.fields.0.choices.0",
            "object",
        ),
        (
            _one({"name": "a", "kind": "checkbox", "label": "L", "required": "maybe"}),
            "sections.0.fields.0.required",
            "yes or no",
        ),
        (
            _one({"name": "a", "kind": "text", "label": "L", "show_if": {"field": "zz", "equals": 1}}),
            "sections.0.fields.0.show_if.field",
            "before",
        ),
        (_one({"name": "a", "kind": "text", "label": "L", "show_if": "b"}), "sections.0.fields.0.show_if", "condition"),
        (
            _one({"name": "b", "kind": "text", "label": "L"}, {"name": "b", "kind": "text", "label": "L"}),
            "sections.0.fields.1.name",
            "already",
        ),
        (_one({"name": "a", "kind": "text", "label": "L\x00"}), "sections.0.fields.0.label", "NUL"),
    ],
)
def test_it_refuses_bad_specs_naming_the_setting(spec, field, fragment):
    errors = _errors(spec)
    assert field in errors, errors
    assert fragment.lower() in errors[field].lower()


def test_it_refuses_conditions_on_later_or_unsuitable_fields():
    later = {
        "sections": [
            {
                "fields": [
                    {"name": "a", "kind": "text", "label": "A", "show_if": {"field": "b", "equals": "x"}},
                    {"name": "b", "kind": "text", "label": "B"},
                ]
            }
        ]
    }
    assert "sections.0.fields.0.show_if.field" in _errors(later)
    on_file = _one(
        {"name": "b", "kind": "text", "label": "B", "show_if": {"field": "f", "equals": "x"}},
        {"name": "f", "kind": "file", "label": "F"},
    )
    assert "sections.0.fields.1.show_if.field" in _errors(on_file)
    bad_choice = _one(
        {"name": "b", "kind": "text", "label": "B", "show_if": {"field": "c", "equals": "zz"}},
        {"name": "c", "kind": "choice", "label": "C", "choices": ["x"]},
    )
    assert "sections.0.fields.1.show_if.equals" in _errors(bad_choice)


def test_it_limits_the_size_of_a_form():
    many = {
        "sections": [{"fields": [{"name": f"f{n}", "kind": "text", "label": "L"} for n in range(specs.MAX_FIELDS + 1)]}]
    }
    assert "sections" in _errors(many)
    assert "sections" in _errors({"sections": [{}] * (specs.MAX_SECTIONS + 1)})


def test_it_coerces_condition_values_to_the_tested_kind():
    _schema, layout = specs.compile_spec(
        _one(
            {"name": "b", "kind": "text", "label": "B", "show_if": {"field": "ok", "equals": "true"}},
            {"name": "ok", "kind": "checkbox", "label": "OK"},
        )
    )
    assert layout["fields"]["b"]["show_if"] == {"field": "ok", "equals": True}
