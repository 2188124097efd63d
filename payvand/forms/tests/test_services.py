"""Form writes (versions, conflicts, events) and the server-side validation of values."""

from __future__ import annotations

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation

from payvand.core.errors import Conflict, ValidationFailed
from payvand.core.models import Event
from payvand.forms import services
from payvand.forms.models import Form, FormVersion
from payvand.forms.tests.conftest import device_spec

pytestmark = pytest.mark.django_db

GOOD = {"serial": "AB-1234", "model": "x2"}


def _errors(form, values, files=None) -> dict[str | None, str]:
    with pytest.raises(ValidationFailed) as info:
        services.form_values_clean(form=form, values=values, files=files)
    assert info.value.status == 422
    return {e.field: str(e.message) for e in info.value.errors}


# ---------------------------------------------------------------------------------------------- forms


def test_it_creates_a_form_with_version_one_and_an_event(admin_user, device_form):
    assert device_form.version == 1
    assert device_form.schema["properties"]["serial"]["type"] == "string"
    assert list(FormVersion.objects.filter(form=device_form).values_list("version", flat=True)) == [1]
    event = Event.objects.get(verb="form.created")
    assert event.actor == admin_user
    assert event.target_id == str(device_form.pk)


def test_it_refuses_a_bad_spec_or_name_without_writing_anything(admin_user, device_form):
    with pytest.raises(ValidationFailed) as info:
        services.form_create(by=admin_user, name="device REPAIR", spec={"sections": [{"fields": [{"name": "A"}]}]})
    fields = {e.field for e in info.value.errors}
    assert {"name", "sections.0.fields.0.name"} <= fields
    with pytest.raises(ValidationFailed):
        services.form_create(by=admin_user, name="  ", spec={"sections": []})
    assert Form.objects.count() == 1
    assert FormVersion.objects.count() == 1


def test_it_bumps_the_version_on_update_and_keeps_the_old_one(admin_user, device_form):
    spec = device_spec()
    spec["sections"][0]["fields"].append({"name": "colour", "kind": "text", "label": "Colour"})
    form = services.form_update(form=device_form, by=admin_user, version=1, spec=spec, description="Repairs")
    assert form.version == 2
    assert "colour" in form.schema["properties"]
    assert form.description == "Repairs"
    old = FormVersion.objects.get(form=form, version=1)
    assert "colour" not in old.schema["properties"]
    assert Event.objects.filter(verb="form.updated").get().data == {"version": 2, "changed": ["description", "spec"]}


def test_it_refuses_an_update_from_a_stale_version(admin_user, device_form):
    services.form_update(form=device_form, by=admin_user, version=1, name="Repairs")
    with pytest.raises(Conflict) as info:
        services.form_update(form=device_form, by=admin_user, version=1, name="Other")
    assert info.value.status == 409
    assert Form.objects.get().name == "Repairs"


def test_it_refuses_a_bad_spec_on_update_and_leaves_the_form_alone(admin_user, device_form):
    with pytest.raises(ValidationFailed):
        services.form_update(form=device_form, by=admin_user, version=1, spec={"sections": [1]})
    device_form.refresh_from_db()
    assert device_form.version == 1


def test_it_deactivates_and_deletes(admin_user, device_form):
    services.form_deactivate(form=device_form, by=admin_user)
    assert Form.objects.get().is_active is False
    services.form_deactivate(form=device_form, by=admin_user)  # again: nothing more happens
    assert Event.objects.filter(verb="form.deactivated").count() == 1
    services.form_delete(form=device_form, by=admin_user)
    assert not Form.objects.exists()
    assert Event.objects.filter(verb="form.deleted").exists()


def test_it_refuses_to_delete_a_form_a_ticket_type_uses(admin_user, device_form):
    from payvand.helpdesk.models import TicketType

    TicketType.objects.create(name="Repair", form=device_form)
    with pytest.raises(Conflict):
        services.form_delete(form=device_form, by=admin_user)
    assert Form.objects.filter(pk=device_form.pk).exists()


# ---------------------------------------------------------------------------------------------- values


def test_it_cleans_good_values(device_form, customer_x):
    clean = services.form_values_clean(
        form=device_form,
        values={
            "serial": " AB-1234 ",
            "model": "x1",
            "bought": "2024-03-20",
            "count": "۳",
            "problems": ["screen", "battery", "screen"],
            "notes": "line one\r\nline two",
            "warranty": "on",
            "customer": str(customer_x.pk),
            "asset": "  LAPTOP-42 ",
        },
    )
    assert clean == {
        "serial": "AB-1234",
        "model": "x1",
        "bought": "2024-03-20",
        "count": 3,
        "problems": ["screen", "battery"],
        "notes": "line one\nline two",
        "warranty": True,
        "customer": customer_x.pk,
        "asset": "LAPTOP-42",
    }


def test_it_requires_required_fields(device_form):
    errors = _errors(device_form, {})
    assert errors["serial"] == "This field is required."
    assert errors["model"] == "This field is required."
    assert "bought" not in errors  # hidden: its condition (model = x1) is not met


def test_it_checks_the_pattern_with_the_admins_message(device_form):
    assert _errors(device_form, {**GOOD, "serial": "ab-1234"}) == {"serial": "Like AB-1234"}
    assert _errors(device_form, {**GOOD, "serial": "XAB-1234"}) == {"serial": "Like AB-1234"}  # anchored
    # Persian digits are read as digits for a pattern.
    assert services.form_values_clean(form=device_form, values={**GOOD, "serial": "AB-۱۲۳۴"})["serial"] == "AB-1234"


@pytest.mark.parametrize(
    ("values", "field", "fragment"),
    [
        ({"count": 0}, "count", "smallest allowed value is 1"),
        ({"count": "11"}, "count", "largest allowed value is 10"),
        ({"count": "many"}, "count", "Enter a number"),
        ({"count": True}, "count", "Enter a number"),
        ({"count": "1e999"}, "count", "too large"),
        ({"notes": "x" * 51}, "notes", "At most 50 characters"),
        ({"notes": 5}, "notes", "Enter text"),
        ({"model": "x3"}, "model", "offered values"),
        ({"model": ["x1"]}, "model", "offered values"),
        ({"problems": ["fire"]}, "problems", "offered values"),
        ({"problems": [{"a": 1}]}, "problems", "offered values"),
        ({"warranty": "perhaps"}, "warranty", "yes or no"),
        ({"customer": "abc"}, "customer", "Choose a contact"),
        ({"customer": 999999}, "customer", "No such contact"),
        ({"customer": 2**70}, "customer", "Choose a contact"),
        ({"asset": "x" * 201}, "asset", "At most 200"),
        ({"colour": "red"}, "colour", "no such field"),
        ({"notes": "a\x00b"}, "notes", "NUL"),
    ],
)
def test_it_reports_each_bad_value_on_its_field(device_form, values, field, fragment):
    errors = _errors(device_form, {**GOOD, **values})
    assert list(errors) == [field], errors
    assert fragment.lower() in errors[field].lower()


def test_it_refuses_values_that_are_not_an_object(device_form):
    assert None in _errors(device_form, ["serial"])


def test_it_applies_conditions_dropping_hidden_values(device_form):
    # model x2: the purchase date is hidden, so it is neither required nor kept.
    clean = services.form_values_clean(form=device_form, values={**GOOD, "bought": "garbage"})
    assert "bought" not in clean
    # model x1: it is shown and required.
    assert _errors(device_form, {**GOOD, "model": "x1"}) == {"bought": "This field is required."}


def test_it_reads_jalali_dates_in_any_digits_and_checks_limits(device_form):
    values = {**GOOD, "model": "x1"}
    for typed in ("1403/01/01", "۱۴۰۳/۰۱/۰۱", "۱۴۰۳-۰۱-۰۱", "2024-03-20"):
        assert services.form_values_clean(form=device_form, values={**values, "bought": typed})["bought"] == (
            "2024-03-20"
        )
    assert "date" in _errors(device_form, {**values, "bought": "1403/13/01"})["bought"]
    assert "date" in _errors(device_form, {**values, "bought": "2024-02-30"})["bought"]
    assert "earliest" in _errors(device_form, {**values, "bought": "2019-12-31"})["bought"]
    assert "latest" in _errors(device_form, {**values, "bought": "1410/01/01"})["bought"]


def test_it_shows_limits_in_the_viewers_language(device_form):
    with translation.override("fa"):
        errors = _errors(device_form, {**GOOD, "count": "۲۰"})
    assert "۱۰" in errors["count"]


def test_it_reads_numbers_as_typed_in_each_language(device_form):
    assert services.form_values_clean(form=device_form, values={**GOOD, "count": "۲٫۵"})["count"] == 2.5
    with translation.override("hu"):
        assert services.form_values_clean(form=device_form, values={**GOOD, "count": "2,5"})["count"] == 2.5
    assert services.form_values_clean(form=device_form, values={**GOOD, "count": 4.0})["count"] == 4


def test_it_treats_a_missing_checkbox_as_unticked_and_can_require_a_tick(admin_user):
    form = services.form_create(
        by=admin_user,
        name="Consent",
        spec={"sections": [{"fields": [{"name": "agree", "kind": "checkbox", "label": "I agree", "required": True}]}]},
    )
    assert _errors(form, {}) == {"agree": "Tick this box to go on."}
    assert services.form_values_clean(form=form, values={"agree": True}) == {"agree": True}


def test_it_counts_multiple_choices(admin_user):
    form = services.form_create(
        by=admin_user,
        name="Pick",
        spec={
            "sections": [
                {
                    "fields": [
                        {
                            "name": "p",
                            "kind": "multi_choice",
                            "label": "P",
                            "choices": ["a", "b", "c"],
                            "min": 2,
                            "max": 2,
                            "required": True,
                        },
                    ]
                }
            ]
        },
    )
    assert "at least 2" in _errors(form, {"p": ["a"]})["p"]
    assert "at most 2" in _errors(form, {"p": ["a", "b", "c"]})["p"]
    assert _errors(form, {"p": []}) == {"p": "This field is required."}
    assert services.form_values_clean(form=form, values={"p": ["b", "a"]}) == {"p": ["b", "a"]}


def test_it_takes_an_upload_within_the_size_limit(device_form, settings):
    settings.ATTACHMENT_MAX_BYTES = 10
    values = {**GOOD, "warranty": True}
    upload = SimpleUploadedFile("../../invoice.pdf", b"%PDF-1.4", content_type="application/pdf")
    clean = services.form_values_clean(form=device_form, values=values, files={"invoice": upload})
    assert clean["invoice"] == {"name": "invoice.pdf", "size": 8, "content_type": "application/pdf"}
    big = SimpleUploadedFile("big.bin", b"x" * 11, content_type="application/octet-stream")
    assert "too large" in _errors(device_form, values, {"invoice": big})["invoice"]
    # A reference to an upload made elsewhere is checked the same way.
    assert (
        "too large"
        in _errors(device_form, {**values, "invoice": {"name": "a", "size": 11, "content_type": ""}})["invoice"]
    )
    assert "invoice" in _errors(device_form, {**values, "invoice": {"name": "a", "size": 1, "path": "/etc/passwd"}})
    assert "invoice" in _errors(device_form, {**values, "invoice": "a.pdf"})


def test_it_drops_an_upload_for_a_hidden_file_field(device_form):
    upload = SimpleUploadedFile("invoice.pdf", b"%PDF", content_type="application/pdf")
    clean = services.form_values_clean(form=device_form, values=GOOD, files={"invoice": upload})
    assert "invoice" not in clean


def test_it_saves_accepted_uploads(device_form):
    upload = SimpleUploadedFile("فاکتور 1.pdf", b"%PDF", content_type="application/pdf")
    values = {**GOOD, "warranty": True}
    clean = services.form_values_clean(form=device_form, values=values, files={"invoice": upload})
    saved = services.form_files_save(values=clean, files={"invoice": upload})
    path = saved["invoice"]["path"]
    assert services.FILE_PATH_RE.fullmatch(path)
    assert default_storage.open(path).read() == b"%PDF"
    # The stored value (with its path) is valid input again, e.g. when the ticket is edited.
    assert services.form_values_clean(form=device_form, values=saved)["invoice"]["path"] == path


def test_it_validates_against_the_stored_schema(admin_user):
    form = services.form_create(
        by=admin_user, name="Short", spec={"sections": [{"fields": [{"name": "t", "kind": "text", "label": "T"}]}]}
    )
    form.schema["properties"]["t"]["maxLength"] = 3  # what the stored JSON Schema says is what is enforced
    assert "t" in _errors(form, {"t": "abcd"})
