"""Every contacts endpoint: anonymous → 401, no role → 403, ids too big for the database → 422, missing → 404.
All in the one JSON error shape, and nothing written."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from django.test import Client

from payvand.contacts import services
from payvand.contacts.models import Address, Affiliation, Contact, ContactFlag, Identity
from payvand.contacts.tests.factories import ContactFactory, OrganisationFactory
from payvand.core.models import Event

pytestmark = pytest.mark.django_db

HUGE = "99999999999999999999"
MISSING = "987654321"


@dataclass
class World:
    contact: Contact
    other: Contact
    org: Contact
    flag: ContactFlag
    identity: Identity
    affiliation: Affiliation
    address: Address
    flag_type_id: int

    def fill(self, path: str, body: dict[str, Any] | None) -> tuple[str, dict[str, Any] | None]:
        values = {
            "id": self.contact.pk,
            "flag": self.flag.pk,
            "identity": self.identity.pk,
            "affiliation": self.affiliation.pk,
            "address": self.address.pk,
        }
        if body is not None:
            body = {
                k: (getattr(self, v[1:]) if isinstance(v, str) and v.startswith("$") else v) for k, v in body.items()
            }
            body = {k: (v.pk if isinstance(v, Contact) else v) for k, v in body.items()}
        return path.format(**values), body


@pytest.fixture
def world(flag_type) -> World:
    org = OrganisationFactory.create(name="Acme")
    contact = ContactFactory.create(
        name="Ali Rezaei",
        phones=["0912 123 4567"],
        organisations=[(org, "CEO")],
        flags=[(flag_type, "")],
        addresses=[services.AddressIn(city="Tehran")],
    )
    return World(
        contact=contact,
        other=ContactFactory.create(name="Other One", emails=["other@example.com"]),
        org=org,
        flag=contact.flags.get(),
        identity=contact.identities.get(),
        affiliation=contact.affiliations.get(),
        address=contact.addresses.get(),
        flag_type_id=flag_type.pk,
    )


# (method, path, json body or None, query params); {id} and friends are filled from the world.
ENDPOINTS: list[tuple[str, str, dict[str, Any] | None, dict[str, str]]] = [
    ("get", "/api/v1/contacts", None, {}),
    ("post", "/api/v1/contacts", {"name": "New One", "phones": ["0912 999 8888"]}, {}),
    ("get", "/api/v1/contacts/lookup", None, {"phone": "09121234567"}),
    ("get", "/api/v1/contacts/search", None, {"q": "ali"}),
    ("post", "/api/v1/contacts/duplicates", {"name": "Ali Rezaei"}, {}),
    ("get", "/api/v1/contacts/flag-types", None, {}),
    ("get", "/api/v1/contacts/custom-fields", None, {}),
    ("get", "/api/v1/contacts/{id}", None, {}),
    ("patch", "/api/v1/contacts/{id}", {"name": "Renamed"}, {}),
    ("delete", "/api/v1/contacts/{id}", None, {}),
    ("get", "/api/v1/contacts/{id}/timeline", None, {}),
    ("post", "/api/v1/contacts/{id}/merge", {"duplicate_id": "$other"}, {}),
    ("post", "/api/v1/contacts/{id}/flags", {"flag_type_id": "$flag_type_id"}, {}),
    ("delete", "/api/v1/contacts/{id}/flags/{flag}", None, {}),
    ("post", "/api/v1/contacts/{id}/identities", {"kind": "email", "value": "new@example.com"}, {}),
    ("delete", "/api/v1/contacts/{id}/identities/{identity}", None, {}),
    ("post", "/api/v1/contacts/{id}/organisations", {"organisation_id": "$org"}, {}),
    ("delete", "/api/v1/contacts/{id}/organisations/{affiliation}", None, {}),
    ("post", "/api/v1/contacts/{id}/addresses", {"city": "Shiraz"}, {}),
    ("delete", "/api/v1/contacts/{id}/addresses/{address}", None, {}),
]
WITH_ID = [e for e in ENDPOINTS if "{" in e[1]]
WITH_SUB_ID = [e for e in ENDPOINTS if e[1].count("{") == 2]


def _call(client: Client, method: str, path: str, body: dict[str, Any] | None, query: dict[str, str]):
    if body is not None:
        return getattr(client, method)(path, body, content_type="application/json", QUERY_STRING="")
    if query:
        return client.get(path, query)
    return getattr(client, method)(path)


def _state() -> tuple[Any, ...]:
    return (
        list(Contact.objects.order_by("pk").values_list("pk", "name", "version")),
        Identity.objects.count(),
        ContactFlag.objects.count(),
        Affiliation.objects.count(),
        Address.objects.count(),
        Event.objects.count(),
    )


def _assert_error_shape(response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert set(body) >= {"detail", "errors"}
    assert isinstance(body["detail"], str)
    assert body["detail"]
    assert isinstance(body["errors"], list)
    for error in body["errors"]:
        assert set(error) == {"field", "message"}
    return body


def _ids(endpoints):
    return [f"{m} {p}" for m, p, _b, _q in endpoints]


@pytest.mark.parametrize(("method", "path", "body", "query"), ENDPOINTS, ids=_ids(ENDPOINTS))
def test_it_asks_anonymous_callers_to_authenticate(world, method, path, body, query):
    path, body = world.fill(path, body)
    before = _state()
    _assert_error_shape(_call(Client(), method, path, body, query), 401)
    bad_token = Client(headers={"Authorization": "Bearer not-a-token"})
    _assert_error_shape(_call(bad_token, method, path, body, query), 401)
    assert _state() == before


@pytest.mark.parametrize(("method", "path", "body", "query"), ENDPOINTS, ids=_ids(ENDPOINTS))
def test_it_forbids_users_without_a_contacts_role(world, outsider, api_for, client_for, method, path, body, query):
    path, body = world.fill(path, body)
    api, browser = api_for(outsider), client_for(outsider)
    before = _state()
    _assert_error_shape(_call(api, method, path, body, query), 403)
    _assert_error_shape(_call(browser, method, path, body, query), 403)  # the browser session too
    assert _state() == before


@pytest.mark.parametrize(("method", "path", "body", "query"), WITH_ID, ids=_ids(WITH_ID))
def test_it_refuses_ids_too_big_for_the_database(world, supervisor, api_for, method, path, body, query):
    path, body = world.fill(path.replace("{id}", HUGE), body)
    api = api_for(supervisor)
    before = _state()
    body_out = _assert_error_shape(_call(api, method, path, body, query), 422)
    assert body_out["errors"][0]["field"] == "contact_id"
    assert _state() == before


@pytest.mark.parametrize(("method", "path", "body", "query"), WITH_SUB_ID, ids=_ids(WITH_SUB_ID))
def test_it_refuses_sub_ids_too_big_for_the_database(world, supervisor, api_for, method, path, body, query):
    path = path.rsplit("/", 1)[0] + "/" + HUGE
    path, body = world.fill(path, body)
    api = api_for(supervisor)
    before = _state()
    _assert_error_shape(_call(api, method, path, body, query), 422)
    assert _state() == before


@pytest.mark.parametrize(("method", "path", "body", "query"), WITH_ID, ids=_ids(WITH_ID))
def test_it_says_not_found_for_a_missing_contact(world, supervisor, api_for, method, path, body, query):
    path, body = world.fill(path.replace("{id}", MISSING), body)
    api = api_for(supervisor)
    before = _state()
    _assert_error_shape(_call(api, method, path, body, query), 404)
    assert _state() == before


@pytest.mark.parametrize(("method", "path", "body", "query"), WITH_SUB_ID, ids=_ids(WITH_SUB_ID))
def test_it_says_not_found_for_a_missing_part(world, supervisor, api_for, method, path, body, query):
    path = path.rsplit("/", 1)[0] + "/" + MISSING
    path, body = world.fill(path, body)
    api = api_for(supervisor)
    before = _state()
    _assert_error_shape(_call(api, method, path, body, query), 404)
    assert _state() == before


@pytest.mark.parametrize(("method", "path", "body", "query"), WITH_SUB_ID, ids=_ids(WITH_SUB_ID))
def test_it_does_not_touch_a_part_of_another_contact(world, supervisor, api_for, method, path, body, query):
    path, body = world.fill(path.replace("{id}", str(world.other.pk)), body)
    api = api_for(supervisor)
    before = _state()
    _assert_error_shape(_call(api, method, path, body, query), 404)
    assert _state() == before


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [(m, p, b) for m, p, b, _q in ENDPOINTS if b is not None],
    ids=[f"{m} {p}" for m, p, b, _q in ENDPOINTS if b is not None],
)
def test_it_refuses_a_body_that_is_not_json(world, supervisor, api_for, method, path, body):
    path, _body = world.fill(path, body)
    api = api_for(supervisor)
    before = _state()
    response = getattr(api, method)(path, "{not json", content_type="application/json")
    body_out = _assert_error_shape(response, response.status_code)
    assert response.status_code in (400, 422), body_out
    response = getattr(api, method)(path, "[1, 2]", content_type="application/json")
    _assert_error_shape(response, 422)
    assert _state() == before


def test_it_checks_csrf_on_session_writes(world, supervisor):
    client = Client(enforce_csrf_checks=True)
    client.force_login(supervisor)
    before = _state()
    response = client.post("/api/v1/contacts", {"name": "No Token"}, content_type="application/json")
    _assert_error_shape(response, 403)
    assert _state() == before
    assert client.get("/api/v1/contacts").status_code == 200  # reads need no token
