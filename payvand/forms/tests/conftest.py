"""Forms used across the forms tests: a device-repair form with every kind of field and a condition."""

from __future__ import annotations

from typing import Any

import pytest

from payvand.forms import services
from payvand.forms.models import Form


def device_spec() -> dict[str, Any]:
    return {
        "sections": [
            {
                "title": {"en": "Device", "fa": "دستگاه"},
                "fields": [
                    {
                        "name": "serial",
                        "kind": "text",
                        "label": "Serial number",
                        "required": True,
                        "pattern": "[A-Z]{2}-[0-9]{4}",
                        "pattern_message": "Like AB-1234",
                    },
                    {"name": "model", "kind": "choice", "label": "Model", "choices": ["x1", "x2"], "required": True},
                    {
                        "name": "bought",
                        "kind": "date",
                        "label": "Bought on",
                        "required": True,
                        "min": "2020-01-01",
                        "max": "2030-12-31",
                        "show_if": {"field": "model", "equals": "x1"},
                    },
                    {"name": "count", "kind": "number", "label": "Count", "min": 1, "max": 10},
                    {"name": "problems", "kind": "multi_choice", "label": "Problems", "choices": ["screen", "battery"]},
                    {"name": "notes", "kind": "long_text", "label": "Notes", "max": 50},
                ],
            },
            {
                "title": "Extra",
                "fields": [
                    {"name": "warranty", "kind": "checkbox", "label": "Under warranty"},
                    {
                        "name": "invoice",
                        "kind": "file",
                        "label": "Invoice",
                        "show_if": {"field": "warranty", "equals": True},
                    },
                    {"name": "customer", "kind": "contact", "label": "Customer"},
                    {"name": "asset", "kind": "asset", "label": "Asset"},
                ],
            },
        ]
    }


@pytest.fixture(autouse=True)
def _calendar_reset() -> Any:
    """Requests set the viewer's calendar for the thread; start each test from the language's default."""
    from payvand.core.localization import activate_calendar

    activate_calendar(None)
    yield
    activate_calendar(None)


@pytest.fixture
def device_form(admin_user: Any) -> Form:
    return services.form_create(by=admin_user, name="Device repair", spec=device_spec())


@pytest.fixture
def viewer(role_groups: dict[str, Any]) -> Any:
    """A user who may read forms (as operators registering requests do) but not change them."""
    from django.contrib.auth.models import Permission

    from payvand.accounts.services import user_create

    user = user_create(email="viewer@example.com", password="pw-Secret-123", full_name="Viewer", role_names=[])
    user.user_permissions.add(Permission.objects.get(codename="view_form", content_type__app_label="formbuilder"))
    return type(user).objects.get(pk=user.pk)  # a fresh instance: permissions are cached per instance
