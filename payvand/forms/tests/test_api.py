"""/api/v1/forms: admins design forms, ticket workers read them and check values; nobody else gets in."""

from __future__ import annotations

import pytest
from django.test import Client

from payvand.core.models import Event
from payvand.forms.models import Form
from payvand.forms.tests.conftest import device_spec

pytestmark = pytest.mark.django_db

URL = "/api/v1/forms"


def _post(api, path, body):
    return api.post(path, body, content_type="application/json")


def _patch(api, path, body):
    return api.patch(path, body, content_type="application/json")


def _fields(response) -> set[str | None]:
    return {e["field"] for e in response.json()["errors"]}


def test_it_creates_a_form(admin_user, api_for):
    response = _post(api_for(admin_user), URL, {"name": "Device repair", "spec": device_spec()})
    assert response.status_code == 201, response.content
    body = response.json()
    form = Form.objects.get()
    assert body["id"] == form.pk
    assert body["version"] == 1
    assert body["spec"]["sections"][0]["fields"][0]["name"] == "serial"
    assert body["value_schema"]["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert body["layout"] == form.layout


def test_it_refuses_a_bad_spec_with_422_naming_each_setting(admin_user, api_for):
    spec = {"sections": [{"fields": [{"name": "a", "kind": "text", "label": "A", "pattern": "("}, {"kind": "x"}]}]}
    response = _post(api_for(admin_user), URL, {"name": "Bad", "spec": spec})
    assert response.status_code == 422
    assert {"sections.0.fields.0.pattern", "sections.0.fields.1.name", "sections.0.fields.1.kind"} <= _fields(response)
    assert not Form.objects.exists()


@pytest.mark.parametrize(
    "body",
    [
        {},
        [],
        "x",
        {"name": "", "spec": {}},
        {"name": "x" * 121, "spec": {}},
        {"name": "A", "spec": []},
        {"name": "A", "spec": {"sections": [None]}},
        {"name": "A", "spec": {"sections": [{"fields": [[]]}]}},
        {"name": "A", "spec": {"sections": [{"fields": [{"name": "a", "kind": "text", "label": {"en": 1}}]}]}},
        {"name": "A\x00", "spec": {}},
        {"name": "A", "spec": {}, "is_active": "maybe"},
    ],
)
def test_it_answers_bad_input_with_4xx_never_500(admin_user, api_for, body):
    response = _post(api_for(admin_user), URL, body)
    assert 400 <= response.status_code < 500, response.content
    assert "detail" in response.json()


def test_it_refuses_a_duplicate_name(admin_user, api_for, device_form):
    response = _post(api_for(admin_user), URL, {"name": "DEVICE repair", "spec": {"sections": []}})
    assert response.status_code == 422
    assert _fields(response) == {"name"}


def test_it_lists_and_gets_forms_for_ticket_workers(agent_a, api_for, device_form):
    api = api_for(agent_a)
    response = api.get(URL)
    assert response.status_code == 200
    assert response.json()["total"] == 1
    assert response.json()["items"][0]["name"] == "Device repair"
    response = api.get(f"{URL}/{device_form.pk}")
    assert response.status_code == 200
    assert response.json()["spec"]["sections"][1]["title"] == "Extra"
    assert api.get(f"{URL}?active=false").json()["items"] == []


def test_it_updates_a_form_making_a_new_version(admin_user, api_for, device_form):
    api = api_for(admin_user)
    spec = device_spec()
    spec["sections"].pop()
    response = _patch(api, f"{URL}/{device_form.pk}", {"version": 1, "spec": spec, "name": "Repairs"})
    assert response.status_code == 200, response.content
    assert response.json()["version"] == 2
    assert response.json()["name"] == "Repairs"
    assert "warranty" not in response.json()["value_schema"]["properties"]
    stale = _patch(api, f"{URL}/{device_form.pk}", {"version": 1, "name": "Again"})
    assert stale.status_code == 409
    assert _fields(stale) == {"version"}
    bad = _patch(api, f"{URL}/{device_form.pk}", {"version": 2, "spec": {"sections": "x"}})
    assert bad.status_code == 422
    assert Form.objects.get().version == 2


def test_it_deletes_an_unused_form(admin_user, api_for, device_form):
    response = api_for(admin_user).delete(f"{URL}/{device_form.pk}")
    assert response.status_code == 204
    assert not Form.objects.exists()


def test_it_refuses_to_delete_a_used_form(admin_user, api_for, device_form):
    from payvand.helpdesk.models import TicketType

    TicketType.objects.create(name="Repair", form=device_form)
    assert api_for(admin_user).delete(f"{URL}/{device_form.pk}").status_code == 409


def test_it_validates_values(agent_a, api_for, device_form):
    api = api_for(agent_a)
    response = _post(
        api,
        f"{URL}/{device_form.pk}/validate",
        {"values": {"serial": "AB-1234", "model": "x1", "bought": "۱۴۰۳/۰۱/۰۱", "count": "۲"}},
    )
    assert response.status_code == 200, response.content
    assert response.json() == {
        "version": 1,
        "values": {"serial": "AB-1234", "model": "x1", "bought": "2024-03-20", "count": 2, "warranty": False},
    }


def test_it_reports_bad_values_per_field(agent_a, api_for, device_form):
    response = _post(
        api_for(agent_a),
        f"{URL}/{device_form.pk}/validate",
        {"values": {"serial": "nope", "model": "x1", "count": 99, "colour": "red"}},
    )
    assert response.status_code == 422
    body = response.json()
    assert body["detail"] == "Some fields are not valid."
    assert {e["field"]: e["message"] for e in body["errors"]} == {
        "colour": "This form has no such field.",
        "serial": "Like AB-1234",
        "bought": "This field is required.",
        "count": "The largest allowed value is 10.",
    }


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"values": []},
        {"values": "x"},
        {"values": {"count": {"a": [1, 2]}}},
        {"values": {"customer": 2**80}},
        {"values": {"invoice": {"name": "a", "size": -1, "content_type": "x"}}},
        {"values": {"bought": "9999999999999999999/01/01"}},
    ],
)
def test_it_answers_bad_values_with_422_never_500(agent_a, api_for, device_form, body):
    response = _post(api_for(agent_a), f"{URL}/{device_form.pk}/validate", body)
    assert response.status_code == 422, response.content


def test_it_keeps_outsiders_out(outsider, api_for, device_form):
    api = api_for(outsider)
    assert api.get(URL).status_code == 403
    assert api.get(f"{URL}/{device_form.pk}").status_code == 403
    assert _post(api, f"{URL}/{device_form.pk}/validate", {"values": {}}).status_code == 403
    assert _post(api, URL, {"name": "X", "spec": {"sections": []}}).status_code == 403


def test_it_lets_only_admins_change_forms(agent_a, api_for, device_form):
    api = api_for(agent_a)
    assert _post(api, URL, {"name": "X", "spec": {"sections": []}}).status_code == 403
    assert _patch(api, f"{URL}/{device_form.pk}", {"version": 1, "name": "Y"}).status_code == 403
    assert api.delete(f"{URL}/{device_form.pk}").status_code == 403
    assert Form.objects.get().name == "Device repair"
    assert not Event.objects.filter(verb="form.updated").exists()


def test_it_needs_authentication(device_form):
    client = Client()
    assert client.get(URL).status_code == 401
    assert client.get(f"{URL}/{device_form.pk}").status_code == 401
    assert client.post(f"{URL}/{device_form.pk}/validate", {}, content_type="application/json").status_code == 401


def test_it_answers_404_and_422_for_missing_or_impossible_ids(admin_user, api_for):
    api = api_for(admin_user)
    assert api.get(f"{URL}/999999").status_code == 404
    assert api.get(f"{URL}/0").status_code == 422
    assert api.get(f"{URL}/{2**64}").status_code == 422
    assert _post(api, f"{URL}/999999/validate", {"values": {}}).status_code == 404
