"""Access to forms, and filtering records by the values entered into a form (SQLite and PostgreSQL)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from payvand.core.errors import NotFound, PermissionDenied, ValidationFailed
from payvand.forms import selectors, services
from payvand.forms.models import Form

pytestmark = pytest.mark.django_db


def test_it_lets_ticket_workers_read_forms_and_only_admins_change_them(device_form, viewer, agent_a, outsider):
    assert selectors.form_get_for_user(user=viewer, form_id=device_form.pk) == device_form
    assert selectors.form_get_for_user(user=agent_a, form_id=device_form.pk) == device_form
    with pytest.raises(PermissionDenied):
        selectors.form_get_for_user(user=viewer, form_id=device_form.pk, action="change")
    with pytest.raises(PermissionDenied):
        selectors.form_get_for_user(user=outsider, form_id=device_form.pk)
    with pytest.raises(PermissionDenied):
        selectors.form_list(user=outsider)
    with pytest.raises(NotFound):
        selectors.form_get_for_user(user=viewer, form_id=device_form.pk + 1000)


def test_it_lists_forms_with_their_ticket_type_counts_in_one_query(admin_user, device_form):
    from payvand.helpdesk.models import TicketType

    services.form_create(by=admin_user, name="Another", spec={"sections": []}, is_active=False)
    TicketType.objects.create(name="Repair", form=device_form)
    TicketType.objects.create(name="Repair 2", form=device_form)
    with CaptureQueriesContext(connection) as queries:
        forms = list(selectors.form_list(user=admin_user))
    assert [(f.name, f.ticket_type_count) for f in forms] == [("Another", 0), ("Device repair", 2)]  # type: ignore[attr-defined]
    assert len([q for q in queries.captured_queries if "formbuilder_form" in q["sql"]]) == 1
    assert [f.name for f in selectors.form_list(user=admin_user, active=True)] == ["Device repair"]
    assert [f.name for f in selectors.form_list(user=admin_user, q="anoth")] == ["Another"]


def test_it_returns_the_schema_and_layout_of_an_older_version(admin_user, device_form):
    old_layout = device_form.layout
    form = services.form_update(
        form=device_form,
        by=admin_user,
        version=1,
        spec={"sections": [{"fields": [{"name": "only", "kind": "text", "label": "Only"}]}]},
    )
    assert selectors.form_layout_for_version(form=form, version=1)[1] == old_layout
    assert selectors.form_layout_for_version(form=form, version=2)[1] == form.layout
    assert selectors.form_layout_for_version(form=form, version=99)[1] == form.layout


# ---------------------------------------------------------------------------------------------- filtering


@pytest.fixture
def rows(device_form, customer_x):
    """Records holding form values: forms stand in for tickets here, with the values in their `schema` column."""
    values = [
        {
            "serial": "AB-1234",
            "model": "x1",
            "bought": "2024-03-20",
            "count": 3,
            "problems": ["screen"],
            "warranty": True,
            "customer": customer_x.pk,
            "notes": "Cracked screen, شکسته",
        },
        {
            "serial": "CD-5678",
            "model": "x2",
            "count": 7.5,
            "problems": ["screen", "battery"],
            "warranty": False,
            "asset": "LAPTOP-42",
        },
        {"serial": "EF-0001", "model": "x2", "count": 10, "problems": [], "warranty": False},
    ]
    for n, v in enumerate(values):
        Form.objects.create(name=f"row {n}", schema=v)
    return Form.objects.filter(name__startswith="row ")


def _names(qs) -> list[str]:
    return sorted(qs.values_list("name", flat=True))


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ({"model": "x2"}, ["row 1", "row 2"]),
        ({"serial": "cd-56"}, ["row 1"]),
        ({"notes": "شکسته"}, ["row 0"]),
        ({"count": "۳"}, ["row 0"]),
        ({"count": 7.5}, ["row 1"]),
        ({"count__min": 5}, ["row 1", "row 2"]),
        ({"count__min": 5, "count__max": "9"}, ["row 1"]),
        ({"warranty": True}, ["row 0"]),
        ({"warranty": "false"}, ["row 1", "row 2"]),
        ({"problems": "battery"}, ["row 1"]),
        ({"problems": "screen"}, ["row 0", "row 1"]),
        ({"bought": "1403/01/01"}, ["row 0"]),
        ({"bought__min": "2024-01-01"}, ["row 0"]),
        ({"bought__max": "2023-01-01"}, []),
        ({"asset": "laptop"}, ["row 1"]),
        ({"model": "x2", "problems": "screen"}, ["row 1"]),
        ({"model": ""}, ["row 0", "row 1", "row 2"]),
    ],
)
def test_it_filters_by_values(device_form, rows, filters, expected):
    assert _names(selectors.form_values_filter(rows, "schema", filters, form=device_form)) == expected


def test_it_filters_by_a_contact(device_form, rows, customer_x):
    qs = selectors.form_values_filter(rows, "schema", {"customer": customer_x.pk}, form=device_form)
    assert _names(qs) == ["row 0"]


def test_it_searches_every_text_field(device_form, rows):
    assert _names(selectors.form_values_filter(rows, "schema", {}, form=device_form, search="laptop")) == ["row 1"]
    assert _names(selectors.form_values_filter(rows, "schema", {}, form=device_form, search="ef-0")) == ["row 2"]


def test_it_filters_through_a_relation(admin_user, device_form, rows):
    from payvand.forms.models import FormVersion

    for form in rows:
        FormVersion.objects.create(form=form, version=1)
    qs = selectors.form_values_filter(FormVersion.objects.all(), "form__schema", {"model": "x1"}, form=device_form)
    assert [v.form.name for v in qs] == ["row 0"]


@pytest.mark.parametrize(
    ("filters", "field"),
    [
        ({"colour": "red"}, "colour"),
        ({"model__min": "x1"}, "model__min"),
        ({"count__like": 1}, "count__like"),
        ({"count": "many"}, "count"),
        ({"bought": "yesterday"}, "bought"),
        ({"invoice": "a.pdf"}, "invoice"),
        ({"serial": "a\x00"}, "serial"),
        ({"model": "x\x00"}, "model"),
    ],
)
def test_it_refuses_filters_it_cannot_apply(device_form, rows, filters, field):
    with pytest.raises(ValidationFailed) as info:
        list(selectors.form_values_filter(rows, "schema", filters, form=device_form))
    assert info.value.errors[0].field == field
