"""Flags, identities, organisation links and addresses of a contact, over the API."""

from __future__ import annotations

import pytest

from payvand.contacts import services
from payvand.contacts.models import Address, Affiliation, ContactFlag, Identity
from payvand.contacts.tests.factories import ContactFactory, FlagTypeFactory, OrganisationFactory
from payvand.core.models import Event

pytestmark = pytest.mark.django_db

URL = "/api/v1/contacts"


def _post(api, path, body):
    return api.post(path, body, content_type="application/json")


def _fields(response) -> set[str | None]:
    return {e["field"] for e in response.json()["errors"]}


@pytest.fixture
def ali():
    return ContactFactory.create(name="Ali", phones=["0912 111 1111"])


# ---------------------------------------------------------------------------------------------- flags


def test_it_flags_and_unflags_a_contact(agent_a, api_for, ali, flag_type):
    api = api_for(agent_a)
    response = _post(api, f"{URL}/{ali.pk}/flags", {"flag_type_id": flag_type.pk, "note": "two invoices"})
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["flag_type"]["name"] == "Payment arrears"
    assert body["note"] == "two invoices"
    flag = ContactFlag.objects.get(pk=body["id"])
    assert (flag.contact, flag.created_by) == (ali, agent_a)
    assert Event.objects.filter(contact=ali, verb="contact.flag_added", actor=agent_a).exists()
    # The flag shows wherever the contact appears.
    assert api.get(URL, {"q": "ali"}).json()["items"][0]["flags"][0]["id"] == flag_type.pk
    response = _post(api, f"{URL}/{ali.pk}/flags", {"flag_type_id": flag_type.pk})
    assert response.status_code == 409
    assert _fields(response) == {"flag_type_id"}
    response = api.delete(f"{URL}/{ali.pk}/flags/{flag.pk}")
    assert response.status_code == 204
    assert not ContactFlag.objects.exists()
    assert Event.objects.filter(contact=ali, verb="contact.flag_removed").exists()
    assert api.delete(f"{URL}/{ali.pk}/flags/{flag.pk}").status_code == 404


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "flag_type_id"),
        ({"flag_type_id": 987654}, "flag_type_id"),
        ({"flag_type_id": "x"}, "flag_type_id"),
        ({"flag_type_id": 0}, "flag_type_id"),
        ({"flag_type_id": "$inactive"}, "flag_type_id"),
        ({"flag_type_id": "$active", "note": "n" * 256}, "note"),
    ],
)
def test_it_refuses_bad_flags(agent_a, api_for, ali, body, field):
    inactive, active = FlagTypeFactory.create(is_active=False), FlagTypeFactory.create()
    body = {
        k: {"$inactive": inactive.pk, "$active": active.pk}.get(v, v) if isinstance(v, str) else v
        for k, v in body.items()
    }
    api = api_for(agent_a)
    events = Event.objects.count()
    response = _post(api, f"{URL}/{ali.pk}/flags", body)
    assert response.status_code == 422, response.content
    assert _fields(response) == {field}
    assert not ContactFlag.objects.exists()
    assert Event.objects.count() == events


# ---------------------------------------------------------------------------------------------- identities


def test_it_adds_and_removes_identities(agent_a, api_for, ali):
    api = api_for(agent_a)
    response = _post(api, f"{URL}/{ali.pk}/identities", {"kind": "phone", "value": "۰۶ ۳۰ ۱۲۳ ۴۵۶۷", "label": "hu"})
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["kind"], body["value"], body["label"], body["is_primary"]) == ("phone", "+36301234567", "hu", False)
    response = _post(api, f"{URL}/{ali.pk}/identities", {"kind": "email", "value": "Ali@Bücher.de"})
    assert response.json()["value"] == "ali@xn--bcher-kva.de"
    assert response.json()["is_primary"] is True
    assert [c["id"] for c in api.get(f"{URL}/lookup", {"phone": "06301234567"}).json()] == [ali.pk]
    response = _post(api, f"{URL}/{ali.pk}/identities", {"kind": "phone", "value": "+36 30 123 4567"})
    assert response.status_code == 409
    assert _fields(response) == {"value"}
    # Removing the primary phone passes it to the other one.
    first = ali.identities.get(value="+989121111111")
    assert api.delete(f"{URL}/{ali.pk}/identities/{first.pk}").status_code == 204
    assert list(ali.identities.filter(kind="phone").values_list("value", "is_primary")) == [("+36301234567", True)]
    assert api.get(f"{URL}/lookup", {"phone": "09121111111"}).json() == []
    assert Event.objects.filter(contact=ali, verb="contact.identity_removed").count() == 1
    assert Event.objects.filter(contact=ali, verb="contact.identity_added").count() == 2


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"kind": "phone", "value": "call me"}, "value"),
        ({"kind": "email", "value": "nope"}, "value"),
        ({"kind": "telegram", "value": "has space"}, "value"),
        ({"kind": "fax", "value": "1"}, "kind"),
        ({"kind": "phone"}, "value"),
        ({"value": "a@b.com"}, "kind"),
        ({"kind": "email", "value": "a" * 255}, "value"),
        ({"kind": "email", "value": "a@b.com", "label": "l" * 41}, "label"),
    ],
)
def test_it_refuses_bad_identities(agent_a, api_for, ali, body, field):
    api = api_for(agent_a)
    response = _post(api, f"{URL}/{ali.pk}/identities", body)
    assert response.status_code == 422, response.content
    assert _fields(response) == {field}
    assert Identity.objects.count() == 1


# ---------------------------------------------------------------------------------------------- organisations


def test_it_links_and_unlinks_organisations(agent_a, api_for, ali):
    acme = OrganisationFactory.create(name="Acme")
    api = api_for(agent_a)
    response = _post(api, f"{URL}/{ali.pk}/organisations", {"organisation_id": acme.pk, "role": "CEO"})
    assert response.status_code == 201, response.content
    body = response.json()
    assert body == {
        "id": body["id"],
        "organisation_id": acme.pk,
        "organisation_name": "Acme",
        "role": "CEO",
        "is_primary": True,
    }
    assert [c["id"] for c in api.get(f"{URL}/search", {"q": "acme"}).json()] == [acme.pk, ali.pk]
    assert api.get(f"{URL}/{acme.pk}").json()["members"][0]["person_id"] == ali.pk
    # Linking again changes the role, it does not duplicate the link.
    response = _post(api, f"{URL}/{ali.pk}/organisations", {"organisation_id": acme.pk, "role": "Chair"})
    assert response.status_code == 201
    assert list(Affiliation.objects.values_list("role", flat=True)) == ["Chair"]
    # Unlinking works from the organisation's side too.
    assert api.delete(f"{URL}/{acme.pk}/organisations/{body['id']}").status_code == 204
    assert not Affiliation.objects.exists()
    assert [c["id"] for c in api.get(f"{URL}/search", {"q": "acme"}).json()] == [acme.pk]


def test_it_refuses_bad_organisation_links(agent_a, api_for, ali):
    acme = OrganisationFactory.create(name="Acme")
    other_person = ContactFactory.create(name="Sara")
    api = api_for(agent_a)
    cases = [
        (ali.pk, {"organisation_id": other_person.pk}, "organisation_id"),
        (ali.pk, {"organisation_id": 987654}, "organisation_id"),
        (ali.pk, {"organisation_id": "acme"}, "organisation_id"),
        (ali.pk, {}, "organisation_id"),
        (ali.pk, {"organisation_id": acme.pk, "role": "r" * 101}, "role"),
        (acme.pk, {"organisation_id": acme.pk}, "person"),
    ]
    for contact_id, body, field in cases:
        response = _post(api, f"{URL}/{contact_id}/organisations", body)
        assert response.status_code == 422, (body, response.content)
        assert _fields(response) == {field}, body
    assert not Affiliation.objects.exists()


# ---------------------------------------------------------------------------------------------- addresses


def test_it_adds_and_removes_addresses(agent_a, api_for, ali):
    api = api_for(agent_a)
    response = _post(
        api,
        f"{URL}/{ali.pk}/addresses",
        {
            "label": "Office",
            "street": "Andrássy út 1",
            "city": "Budapest",
            "postcode": "1061",
            "country": "hu",
            "latitude": 47.5025,
            "longitude": "19.0604",
        },
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["country"], body["latitude"], body["longitude"]) == ("HU", "47.502500", "19.060400")
    address = Address.objects.get(pk=body["id"])
    assert address.contact == ali
    assert api.get(f"{URL}/{ali.pk}").json()["addresses"][0]["id"] == address.pk
    assert api.delete(f"{URL}/{ali.pk}/addresses/{address.pk}").status_code == 204
    assert not Address.objects.exists()
    assert [e.verb for e in Event.objects.filter(contact=ali).order_by("id")][-2:] == [
        "contact.address_added",
        "contact.address_removed",
    ]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"city": "Tehran", "latitude": 35.7}, "latitude"),
        ({"city": "Tehran", "longitude": 51}, "latitude"),
        ({"city": "Tehran", "latitude": 91, "longitude": 0}, "latitude"),
        ({"city": "Tehran", "latitude": 0, "longitude": -181}, "longitude"),
        ({"city": "Tehran", "latitude": "north", "longitude": 0}, "latitude"),
        ({"city": "Tehran", "latitude": 1.1234567, "longitude": 0}, "latitude"),
        ({"city": "Tehran", "country": "IRN"}, "country"),
        ({"city": "Tehran", "country": "1R"}, "country"),
        ({"city": "x" * 101}, "city"),
        ({}, None),
        ({"label": "Home only"}, None),
    ],
)
def test_it_refuses_bad_addresses(agent_a, api_for, ali, body, field):
    api = api_for(agent_a)
    events = Event.objects.count()
    response = _post(api, f"{URL}/{ali.pk}/addresses", body)
    assert response.status_code == 422, response.content
    assert field in _fields(response)
    assert not Address.objects.exists()
    assert Event.objects.count() == events


def test_it_needs_the_change_permission_for_parts(api_for, outsider, ali, flag_type):
    services.contact_flag_add(contact=ali, flag_type=flag_type, by=None)
    api = api_for(outsider)
    response = _post(api, f"{URL}/{ali.pk}/flags", {"flag_type_id": flag_type.pk})
    assert response.status_code == 403
    assert api.delete(f"{URL}/{ali.pk}/flags/{ali.flags.get().pk}").status_code == 403
    assert ali.flags.count() == 1
