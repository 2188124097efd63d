"""The builder pages at /forms/: admins only; create, edit, preview; and the calendar and contact helpers."""

from __future__ import annotations

import json

import pytest
from django.urls import reverse

from payvand.forms.models import Form

pytestmark = pytest.mark.django_db


def _builder_data(**overrides) -> dict[str, str]:
    data = {
        "name": "Device repair",
        "description": "",
        "is_active": "on",
        "sections": "1",
        "s0-title": "Device",
        "s0-fields": "2",
        "s0-f0-name": "model",
        "s0-f0-kind": "choice",
        "s0-f0-label": "Model",
        "s0-f0-choices": "x1 | X One\nx2 | X Two",
        "s0-f0-required": "on",
        "s0-f1-name": "bought",
        "s0-f1-kind": "date",
        "s0-f1-label": '{"en": "Bought on", "fa": "تاریخ خرید"}',
        "s0-f1-min": "1400/01/01",
        "s0-f1-show_if_field": "model",
        "s0-f1-show_if_equals": "x1",
        "op": "save",
    }
    data.update(overrides)
    return data


def test_it_lists_forms_for_admins(client_for, admin_user, device_form):
    response = client_for(admin_user).get(reverse("formbuilder:list"))
    assert response.status_code == 200
    assert "Device repair" in response.content.decode()


def test_it_refuses_the_builder_to_non_admins(client_for, agent_a, outsider, device_form):
    for user in (agent_a, outsider):
        client = client_for(user)
        assert client.get(reverse("formbuilder:list")).status_code == 403
        assert client.get(reverse("formbuilder:create")).status_code == 403
        assert client.get(reverse("formbuilder:edit", args=[device_form.pk])).status_code == 403
        assert client.post(reverse("formbuilder:create"), _builder_data(name="Sneaky")).status_code == 403
        assert client.post(reverse("formbuilder:preview"), _builder_data()).status_code == 403
        assert client.post(reverse("formbuilder:delete", args=[device_form.pk])).status_code == 403
    assert not Form.objects.filter(name="Sneaky").exists()
    anonymous = client_for(None).get(reverse("formbuilder:list"))
    assert anonymous.status_code == 302


def test_it_draws_the_builder(client_for, admin_user, device_form):
    response = client_for(admin_user).get(reverse("formbuilder:edit", args=[device_form.pk]))
    assert response.status_code == 200
    page = response.content.decode()
    assert 'name="s0-f0-name" value="serial"' in page
    assert 'name="s0-f0-pattern" value="[A-Z]{2}-[0-9]{4}"' in page
    assert "x1\nx2</textarea>" in page
    assert '<option value="model" selected>' in page  # bought: shown only when model ...
    assert 'name="version" value="1"' in page
    new = client_for(admin_user).get(reverse("formbuilder:create"))
    assert new.status_code == 200
    assert 'name="s0-f0-name"' in new.content.decode()


def test_it_creates_a_form_from_the_builder(client_for, admin_user):
    response = client_for(admin_user).post(reverse("formbuilder:create"), _builder_data())
    form = Form.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("formbuilder:edit", args=[form.pk])
    assert form.layout["sections"] == [{"title": "Device", "fields": ["model", "bought"]}]
    assert form.layout["fields"]["model"]["choices"][1] == {"value": "x2", "label": "X Two"}
    assert form.layout["fields"]["bought"]["label"] == {"en": "Bought on", "fa": "تاریخ خرید"}
    assert form.layout["fields"]["bought"]["min"] == "2021-03-21"
    assert form.layout["fields"]["bought"]["show_if"] == {"field": "model", "equals": "x1"}


def test_it_redirects_htmx_saves_with_a_header(client_for, admin_user):
    response = client_for(admin_user).post(
        reverse("formbuilder:create"), _builder_data(), headers={"HX-Request": "true"}
    )
    assert response.status_code == 200
    assert response["HX-Redirect"] == reverse("formbuilder:edit", args=[Form.objects.get().pk])


def test_it_shows_mistakes_next_to_their_settings(client_for, admin_user):
    data = _builder_data(**{"s0-f0-name": "Bad Name", "s0-f1-min": "someday", "name": ""})
    response = client_for(admin_user).post(reverse("formbuilder:create"), data)
    assert response.status_code == 200
    page = response.content.decode()
    assert "lower-case letters" in page
    assert "Enter a date" in page
    assert not Form.objects.exists()


def test_it_shows_a_name_taken_by_another_form(client_for, admin_user, device_form):
    response = client_for(admin_user).post(reverse("formbuilder:create"), _builder_data(name="device repair"))
    assert response.status_code == 200
    assert "Another form already has this name." in response.content.decode()
    assert Form.objects.count() == 1


def test_it_edits_a_form_making_a_new_version(client_for, admin_user, device_form):
    client = client_for(admin_user)
    url = reverse("formbuilder:edit", args=[device_form.pk])
    response = client.post(url, _builder_data(name="Repairs", version="1"))
    assert response.status_code == 302
    device_form.refresh_from_db()
    assert (device_form.name, device_form.version) == ("Repairs", 2)
    assert list(device_form.layout["fields"]) == ["model", "bought"]
    stale = client.post(url, _builder_data(name="Other", version="1"))
    assert stale.status_code == 200
    assert "Someone else changed this form" in stale.content.decode()
    device_form.refresh_from_db()
    assert device_form.name == "Repairs"


@pytest.mark.parametrize(
    ("op", "check"),
    [
        ("section-add", lambda page: 'name="sections" value="2"' in page),
        ("field-add:0", lambda page: 'name="s0-fields" value="3"' in page),
        ("field-remove:0:0", lambda page: 'name="s0-f0-name" value="bought"' in page),
        ("field-down:0:0", lambda page: 'name="s0-f1-name" value="model"' in page),
        ("section-remove:0", lambda page: 'name="sections" value="0"' in page),
        ("bogus:9:9", lambda page: 'name="s0-f0-name" value="model"' in page),
    ],
)
def test_it_edits_the_builder_state_with_buttons(client_for, admin_user, op, check):
    response = client_for(admin_user).post(
        reverse("formbuilder:create"), _builder_data(op=op), headers={"HX-Request": "true"}
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "<html" not in page  # the partial only
    assert check(page)
    assert not Form.objects.exists()


def test_it_shows_settings_for_the_chosen_kind(client_for, admin_user):
    data = _builder_data(**{"s0-f0-kind": "text", "s0-f0-pattern": "[0-9]+", "op": "refresh"})
    page = client_for(admin_user).post(reverse("formbuilder:create"), data).content.decode()
    assert 'id="s0-f0-pattern"' in page  # a text field has a pattern
    assert 'id="s0-f0-choices"' not in page  # ... and no choices, though they are kept
    assert 'type="hidden" name="s0-f0-choices" value="x1 | X One' in page


def test_it_previews_and_checks_values(client_for, admin_user):
    client = client_for(admin_user)
    response = client.post(reverse("formbuilder:preview"), _builder_data(), headers={"HX-Request": "true"})
    assert response.status_code == 200
    page = response.content.decode()
    assert 'name="preview-model"' in page
    assert 'name="preview-bought"' in page
    spec = json.loads(response.context["spec_json"])
    bad = client.post(
        reverse("formbuilder:preview_check"), {"spec": json.dumps(spec), "preview-model": "x1", "preview-bought": "?"}
    )
    assert "Enter a date such as" in bad.content.decode()
    assert 'value="?"' in bad.content.decode()
    good = client.post(
        reverse("formbuilder:preview_check"),
        {"spec": json.dumps(spec), "preview-model": "x1", "preview-bought": "۱۴۰۳/۰۱/۰۱"},
    )
    assert "The values are valid" in good.content.decode()
    assert "2024-03-20" in good.content.decode()
    assert not Form.objects.exists()


def test_it_previews_a_broken_spec_without_failing(client_for, admin_user):
    response = client_for(admin_user).post(
        reverse("formbuilder:preview"), _builder_data(**{"s0-f0-kind": "choice", "s0-f0-choices": ""})
    )
    assert response.status_code == 200
    assert "Give at least one choice." in response.content.decode()
    junk = client_for(admin_user).post(reverse("formbuilder:preview_check"), {"spec": "{not json"})
    assert junk.status_code == 200


def test_it_survives_garbage_posted_to_the_builder(client_for, admin_user):
    data = {"sections": "99999999999999", "s0-fields": "-3", "s0-f0-kind": "evil", "name": "X\x00", "op": "save"}
    response = client_for(admin_user).post(reverse("formbuilder:create"), data)
    assert response.status_code == 200
    assert not Form.objects.exists()


def test_it_deactivates_and_deletes_from_the_list(client_for, admin_user, device_form):
    from payvand.helpdesk.models import TicketType

    client = client_for(admin_user)
    TicketType.objects.create(name="Repair", form=device_form)
    response = client.post(reverse("formbuilder:delete", args=[device_form.pk]), follow=True)
    assert "Ticket types use this form" in response.content.decode()
    client.post(reverse("formbuilder:deactivate", args=[device_form.pk]))
    device_form.refresh_from_db()
    assert device_form.is_active is False
    TicketType.objects.all().delete()
    client.post(reverse("formbuilder:delete", args=[device_form.pk]))
    assert not Form.objects.exists()


def test_it_draws_a_jalali_month_for_the_picker(client_for, agent_a):
    client = client_for(agent_a)
    response = client.get(reverse("formbuilder:calendar"), {"month": "1403-01"}, headers={"Accept-Language": "fa"})
    assert response.status_code == 200
    page = response.content.decode()
    assert 'data-calendar-pick="1403/01/31"' in page or 'data-calendar-pick="۱۴۰۳/۰۱/۳۱"' in page
    assert 'data-calendar-month="1403-02"' in page
    by_value = client.get(reverse("formbuilder:calendar"), {"value": "2024-03-20"})
    assert 'data-calendar-month="1402-12"' in by_value.content.decode()
    for junk in ({"month": "99999-99"}, {"value": "x" * 100}, {"month": "۱۴۰۳-۰۷"}):
        assert client.get(reverse("formbuilder:calendar"), junk).status_code == 200
    assert client_for(None).get(reverse("formbuilder:calendar")).status_code == 302


def test_it_finds_contacts_for_contact_fields(client_for, agent_a, outsider, customer_x):
    response = client_for(agent_a).get(reverse("formbuilder:contact_options"), {"q": "Xerxes"})
    assert response.status_code == 200
    assert f'data-contact-pick="{customer_x.pk}"' in response.content.decode()
    assert client_for(outsider).get(reverse("formbuilder:contact_options"), {"q": "Xerxes"}).status_code == 403
