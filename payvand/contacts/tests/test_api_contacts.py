from __future__ import annotations

import base64

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from payvand.contacts import services
from payvand.contacts.models import Address, Affiliation, Contact, ContactFlag, CustomField, FlagType, Identity
from payvand.contacts.tests.factories import (
    ContactFactory,
    CustomFieldFactory,
    FlagTypeFactory,
    OrganisationFactory,
    iran_mobile,
)
from payvand.core.models import Event

pytestmark = pytest.mark.django_db

URL = "/api/v1/contacts"


def _post(api, path, body):
    return api.post(path, body, content_type="application/json")


def _patch(api, path, body):
    return api.patch(path, body, content_type="application/json")


def _fields(response) -> set[str | None]:
    return {e["field"] for e in response.json()["errors"]}


# ---------------------------------------------------------------------------------------------- create


def test_it_creates_a_contact_with_normalised_identities(agent_a, api_for, flag_type):
    org = OrganisationFactory.create(name="Pars Trading")
    CustomFieldFactory.create(key="birthday", kind=CustomField.Kind.DATE)
    api = api_for(agent_a)
    response = _post(
        api,
        URL,
        {
            "name": "علی رضایی",
            "emails": ["Ali@Bücher.DE"],
            "phones": ["۰۹۱۲۱۲۳۴۵۶۷", "06 30 123 4567"],
            "identities": [{"kind": "telegram", "value": "@Ali_R"}],
            "status": "customer",
            "rating": 5,
            "source": "web",
            "owner_id": agent_a.pk,
            "tags": ["vip"],
            "segments": ["Gold"],
            "interests": ["Solar"],
            "custom": {"birthday": "۱۴۰۳/۰۱/۰۱"},
            "notes": "note",
            "organisations": [{"organisation_id": org.pk, "role": "CEO"}],
            "addresses": [{"city": "Tehran", "country": "IR", "latitude": "35.6892", "longitude": 51.389}],
            "flags": [{"flag_type_id": flag_type.pk, "note": "owes"}],
        },
    )
    assert response.status_code == 201, response.content
    body = response.json()
    contact = Contact.objects.get(pk=body["id"])
    assert body["name"] == contact.name == "علی رضایی"
    assert [(p["value"], p["is_primary"]) for p in body["phones"]] == [("+989121234567", True), ("+36301234567", False)]
    assert [e["value"] for e in body["emails"]] == ["ali@xn--bcher-kva.de"]
    assert [(s["kind"], s["value"]) for s in body["social"]] == [("telegram", "ali_r")]
    assert (body["status"], body["rating"], body["source"], body["owner_id"]) == ("customer", 5, "web", agent_a.pk)
    assert (body["tags"], body["segments"], body["interests"]) == (["vip"], ["Gold"], ["Solar"])
    assert body["custom"] == {"birthday": "2024-03-20"}
    assert body["organisations"][0]["organisation_name"] == "Pars Trading"
    assert body["addresses"][0]["latitude"] == "35.689200"
    assert body["flags"][0]["flag_type"]["name"] == "Payment arrears"
    assert body["version"] == 1
    assert contact.identities.count() == 4
    assert Event.objects.get(contact=contact).actor == agent_a


def test_it_refuses_a_likely_duplicate_with_409_listing_it(agent_a, api_for, customer_x):
    api = api_for(agent_a)
    count = Contact.objects.count()
    response = _post(api, URL, {"name": "Somebody", "phones": ["+98 912 123 4567"]})
    assert response.status_code == 409
    body = response.json()
    assert body["detail"]
    assert body["duplicates"] == [
        {"id": customer_x.pk, "name": "Xerxes Customer", "reasons": ["same phone +989121234567"], "score": 100}
    ]
    assert body["errors"][0]["field"] is None
    assert Contact.objects.count() == count
    response = _post(api, URL, {"name": "Somebody", "phones": ["+98 912 123 4567"], "allow_duplicates": True})
    assert response.status_code == 201
    assert Identity.objects.filter(value="+989121234567").count() == 2


def test_it_refuses_a_similar_name_with_409(agent_a, api_for):
    ali = ContactFactory.create(name="Nagy Gábor")
    response = _post(api_for(agent_a), URL, {"name": "Nagy Gabor"})
    assert response.status_code == 409
    assert [d["id"] for d in response.json()["duplicates"]] == [ali.pk]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "name"),
        ({"name": ""}, "name"),
        ({"name": "   "}, "name"),
        ({"name": "x" * 201}, "name"),
        ({"name": "Ali", "phones": ["0912 123 4567", "call me"]}, "phones.1"),
        ({"name": "Ali", "emails": ["nope"]}, "emails.0"),
        ({"name": "Ali", "phones": "09121234567"}, "phones"),
        ({"name": "Ali", "phones": [12]}, "phones.0"),
        ({"name": "Ali", "rating": 6}, "rating"),
        ({"name": "Ali", "status": "vip"}, "status"),
        ({"name": "Ali", "kind": "robot"}, "kind"),
        ({"name": "Ali", "identities": [{"kind": "fax", "value": "1"}]}, "identities.0.kind"),
        ({"name": "Ali", "identities": [{"kind": "telegram", "value": "no spaces"}]}, "identities.0"),
        ({"name": "Ali", "owner_id": 987654}, "owner_id"),
        ({"name": "Ali", "owner_id": 99999999999999999999}, "owner_id"),
        ({"name": "Ali", "organisations": [{"organisation_id": 987654}]}, "organisations.0.organisation_id"),
        ({"name": "Ali", "flags": [{"flag_type_id": 987654}]}, "flags.0.flag_type_id"),
        ({"name": "Ali", "custom": {"nope": "1"}}, "custom.nope"),
        ({"name": "Ali", "custom": []}, "custom"),
        ({"name": "Ali", "addresses": [{"city": "Tehran", "latitude": 35}]}, "addresses.0.latitude"),
        ({"name": "Ali", "addresses": [{"city": "Tehran", "latitude": 91, "longitude": 0}]}, "addresses.0.latitude"),
        ({"name": "Ali", "addresses": [{"city": "Tehran", "country": "IRN"}]}, "addresses.0.country"),
        ({"name": "Ali", "addresses": [{"city": "Tehran", "country": "1R"}]}, "addresses.0.country"),
        ({"name": "Ali", "addresses": [{}]}, "addresses.0"),
        ({"name": "Ali", "tags": ["t" * 65]}, "tags"),
        ({"name": "Ali", "allow_duplicates": "maybe"}, "allow_duplicates"),
    ],
)
def test_it_refuses_bad_input_on_create_with_422(agent_a, api_for, body, field):
    api = api_for(agent_a)
    before = (Contact.objects.count(), Identity.objects.count(), Event.objects.count(), Address.objects.count())
    response = _post(api, URL, body)
    assert response.status_code == 422, response.content
    assert response.json()["detail"]
    assert field in _fields(response)
    assert (Contact.objects.count(), Identity.objects.count(), Event.objects.count(), Address.objects.count()) == before


def test_it_refuses_an_inactive_flag_type_on_create(agent_a, api_for):
    inactive = FlagTypeFactory.create(is_active=False)
    response = _post(api_for(agent_a), URL, {"name": "Ali", "flags": [{"flag_type_id": inactive.pk}]})
    assert response.status_code == 422
    assert _fields(response) == {"flags.0.flag_type_id"}


# ---------------------------------------------------------------------------------------------- read


def test_it_gets_a_contact_with_everything(agent_a, api_for, flag_type):
    org = OrganisationFactory.create(name="Acme")
    ali = ContactFactory.create(
        name="Ali",
        phones=["0912 123 4567"],
        emails=["a@example.com"],
        flags=[(flag_type, "n")],
        organisations=[(org, "CEO")],
        addresses=[services.AddressIn(city="Pécs", country="HU")],
    )
    body = api_for(agent_a).get(f"{URL}/{ali.pk}").json()
    assert body["id"] == ali.pk
    assert body["phones"][0]["value"] == "+989121234567"
    assert body["emails"][0]["value"] == "a@example.com"
    assert body["flags"][0]["note"] == "n"
    assert body["organisations"] == [
        {
            "id": ali.affiliations.get().pk,
            "organisation_id": org.pk,
            "organisation_name": "Acme",
            "role": "CEO",
            "is_primary": True,
        }
    ]
    assert body["addresses"][0]["city"] == "Pécs"
    org_body = api_for(agent_a).get(f"{URL}/{org.pk}").json()
    assert org_body["members"] == [
        {"id": ali.affiliations.get().pk, "person_id": ali.pk, "person_name": "Ali", "role": "CEO"}
    ]


def test_it_lists_with_filters(agent_a, api_for, flag_type):
    OrganisationFactory.create(name="Acme", status="customer")
    ali = ContactFactory.create(
        name="Ali", status="customer", tags=["vip"], segments=["Gold"], flags=[(flag_type, "")], owner=agent_a
    )
    ContactFactory.create(name="Sara", tags=["new"])
    api = api_for(agent_a)

    def names(**params):
        response = api.get(URL, params)
        assert response.status_code == 200, response.content
        return [c["name"] for c in response.json()["items"]]

    assert names() == ["Acme", "Ali", "Sara"]
    assert names(kind="organisation") == ["Acme"]
    assert names(kind="person") == ["Ali", "Sara"]
    assert names(status="customer") == ["Acme", "Ali"]
    assert names(tag="vip") == ["Ali"]
    assert names(segment="Gold") == ["Ali"]
    assert names(flag=flag_type.pk) == ["Ali"]
    assert names(owner=agent_a.pk) == ["Ali"]
    assert names(q="sara") == ["Sara"]
    assert names(q="sara", kind="organisation") == []
    body = api.get(URL, {"tag": "vip"}).json()
    assert body["total"] == 1
    assert body["next_cursor"] is None
    assert body["items"][0] == {
        "id": ali.pk,
        "kind": "person",
        "name": "Ali",
        "status": "customer",
        "emails": [],
        "phones": [],
        "flags": [body["items"][0]["flags"][0]],
    }
    assert body["items"][0]["flags"][0]["name"] == "Payment arrears"


def test_it_walks_every_page_with_the_keyset_cursor(agent_a, api_for):
    for n in range(12):
        ContactFactory.create(name=f"Same Name {n % 3}")  # equal names: the id breaks the tie
    api = api_for(agent_a)
    seen: list[int] = []
    cursor = ""
    pages = 0
    while True:
        body = api.get(URL, {"limit": 5, "cursor": cursor}).json()
        assert body["total"] == 12
        seen += [c["id"] for c in body["items"]]
        pages += 1
        if not body["next_cursor"]:
            break
        cursor = body["next_cursor"]
    assert pages == 3
    assert len(seen) == len(set(seen)) == 12
    assert seen == list(Contact.objects.order_by("name", "pk").values_list("pk", flat=True))


def test_it_has_no_next_page_when_the_last_page_is_full(agent_a, api_for):
    for n in range(4):
        ContactFactory.create(name=f"P{n}")
    body = api_for(agent_a).get(URL, {"limit": 4}).json()
    assert len(body["items"]) == 4
    assert body["next_cursor"] is None


@pytest.mark.parametrize(
    "params",
    [
        {"cursor": "!!!"},
        {"cursor": "bm90LWEtY3Vyc29y"},  # base64 of "not-a-cursor"
        {"cursor": base64.urlsafe_b64encode(b"Ali\x00abc").decode()},
        {"cursor": base64.urlsafe_b64encode(b"Ali\x0099999999999999999999").decode()},
        {"cursor": base64.urlsafe_b64encode(b"Ali\x00-5").decode()},
        {"cursor": base64.urlsafe_b64encode(b"\xff\xfe\x00\x01").decode()},
        {"cursor": "x" * 501},
        {"limit": 0},
        {"limit": 201},
        {"limit": "many"},
        {"kind": "robot"},
        {"status": "vip"},
        {"flag": "99999999999999999999"},
        {"owner": 0},
        {"q": "q" * 201},
    ],
)
def test_it_refuses_bad_list_parameters(agent_a, api_for, params):
    ContactFactory.create(name="Ali")
    response = api_for(agent_a).get(URL, params)
    assert response.status_code == 422, response.content
    assert _fields(response) == {next(iter(params))}


# ---------------------------------------------------------------------------------------------- update


def test_it_patches_with_the_version(agent_a, api_for):
    ali = ContactFactory.create(name="Ali", emails=["old@example.com"], tags=["a"])
    api = api_for(agent_a)
    response = _patch(
        api,
        f"{URL}/{ali.pk}",
        {
            "version": 1,
            "name": "Ali Rezaei",
            "rating": 3,
            "emails": ["NEW@example.com"],
            "tags": ["b"],
            "owner_id": agent_a.pk,
        },
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["name"], body["rating"], body["version"], body["tags"], body["owner_id"]) == (
        "Ali Rezaei",
        3,
        2,
        ["b"],
        agent_a.pk,
    )
    assert [e["value"] for e in body["emails"]] == ["new@example.com"]
    ali.refresh_from_db()
    assert (ali.name, ali.version, ali.owner) == ("Ali Rezaei", 2, agent_a)
    # A stale version conflicts, and nothing changes.
    response = _patch(api, f"{URL}/{ali.pk}", {"version": 1, "name": "Lost Update"})
    assert response.status_code == 409
    assert _fields(response) == {"version"}
    ali.refresh_from_db()
    assert (ali.name, ali.version) == ("Ali Rezaei", 2)
    # Clearing the owner with null; leaving out a field leaves it alone.
    response = _patch(api, f"{URL}/{ali.pk}", {"owner_id": None})
    assert response.status_code == 200
    ali.refresh_from_db()
    assert (ali.owner, ali.name, ali.rating) == (None, "Ali Rezaei", 3)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": None}, "name"),
        ({"name": ""}, "name"),
        ({"rating": None}, "rating"),
        ({"rating": 9}, "rating"),
        ({"status": "vip"}, "status"),
        ({"phones": ["garbage"]}, "phones.0"),
        ({"version": 0}, "version"),
        ({"version": "one"}, "version"),
        ({"owner_id": 987654}, "owner_id"),
        ({"custom": {"nope": 1}}, "custom.nope"),
        ({"kind": "organisation", "version": 1, "name": "Ok"}, "kind"),
    ],
)
def test_it_refuses_bad_patches_and_changes_nothing(agent_a, api_for, body, field):
    org = OrganisationFactory.create(name="Acme")
    ali = ContactFactory.create(name="Ali", phones=["0912 123 4567"], organisations=[(org, "")])
    api = api_for(agent_a)
    events = Event.objects.count()
    response = _patch(api, f"{URL}/{ali.pk}", body)
    assert response.status_code == 422, response.content
    assert field in _fields(response)
    ali.refresh_from_db()
    assert (ali.name, ali.version, ali.kind) == ("Ali", 1, "person")
    assert list(ali.identities.values_list("value", flat=True)) == ["+989121234567"]
    assert Event.objects.count() == events


# ---------------------------------------------------------------------------------------------- delete


def test_it_deletes_only_with_the_delete_permission(agent_a, supervisor, api_for):
    ali = ContactFactory.create(name="Ali", phones=["0912 123 4567"])
    response = api_for(agent_a).delete(f"{URL}/{ali.pk}")
    assert response.status_code == 403
    assert Contact.objects.filter(pk=ali.pk).exists()
    api = api_for(supervisor)
    response = api.delete(f"{URL}/{ali.pk}")
    assert response.status_code == 204
    assert response.content == b""
    assert not Contact.objects.filter(pk=ali.pk).exists()
    assert not Identity.objects.filter(value="+989121234567").exists()
    assert Event.objects.filter(verb="contact.deleted", actor=supervisor, target_id=str(ali.pk)).exists()
    assert api.delete(f"{URL}/{ali.pk}").status_code == 404
    assert api.get(URL, {"q": "ali"}).json()["items"] == []


# ---------------------------------------------------------------------------------------------- lookup and search


@pytest.mark.parametrize(
    "params",
    [
        {"phone": "0912 123 4567"},
        {"phone": "۰۹۱۲۱۲۳۴۵۶۷"},
        {"phone": "+98 912 123 4567"},
        {"phone": "0098 912 123 4567"},
        {"phone": "989121234567"},
        {"email": "X@Example.COM"},
        {"email": " x@example.com "},
        {"phone": "+36 30 999 9999", "email": "x@example.com"},
    ],
)
def test_it_looks_up_by_phone_or_email_in_any_format(agent_a, api_for, customer_x, customer_y, params):
    response = api_for(agent_a).get(f"{URL}/lookup", params)
    assert response.status_code == 200, response.content
    body = response.json()
    assert [c["id"] for c in body] == [customer_x.pk]
    assert body[0]["phones"] == ["+989121234567"]
    assert body[0]["emails"] == ["x@example.com"]


def test_it_looks_up_a_whatsapp_number_and_several_owners(agent_a, api_for):
    one = ContactFactory.create(name="One", phones=["06 30 123 4567"])
    two = ContactFactory.create(name="Two", identities=[services.IdentityIn("whatsapp", "+36301234567")])
    response = api_for(agent_a).get(f"{URL}/lookup", {"phone": "0036 30 123 4567"})
    assert [c["id"] for c in response.json()] == [one.pk, two.pk]


def test_it_looks_up_with_the_same_summaries_as_search(agent_a, api_for, flag_type):
    """The lean caller-ID path answers exactly what the full summary (search, list) shows: phones and emails in
    their order, no social ids or WhatsApp numbers, active flags by severity, contacts by name."""
    gold = FlagType.objects.create(name="Gold", severity=FlagType.Severity.INFO, colour="#ffd700", icon="star")
    hidden = FlagType.objects.create(name="Hidden", is_active=False)
    shared = "+36301234567"
    zoe = ContactFactory.create(
        name="Zoe Shared",
        phones=["0912 111 1111", shared],
        emails=["z2@example.com", "z1@example.com"],
        identities=[services.IdentityIn("telegram", "zoe"), services.IdentityIn("whatsapp", "+989122222222")],
        flags=[(gold, ""), (flag_type, "owes"), (hidden, "")],
    )
    adam = ContactFactory.create(name="Adam Shared", identities=[services.IdentityIn("whatsapp", shared)])
    ContactFactory.create(name="Other", phones=["0912 333 3333"], flags=[(flag_type, "")])
    api = api_for(agent_a)
    body = api.get(f"{URL}/lookup", {"phone": "06 30 123 4567"}).json()
    assert [c["id"] for c in body] == [adam.pk, zoe.pk]
    searched = {c["id"]: c for c in api.get(f"{URL}/search", {"q": "shared"}).json()}
    assert body == [searched[adam.pk], searched[zoe.pk]]
    assert body[1]["phones"] == ["+989121111111", shared]
    assert body[1]["emails"] == ["z2@example.com", "z1@example.com"]
    assert [f["name"] for f in body[1]["flags"]] == [flag_type.name, "Gold"]
    assert body[0] | {"phones": [], "emails": [], "flags": []} == body[0]
    # By email, by a WhatsApp number, and by both at once (either matches).
    assert [c["id"] for c in api.get(f"{URL}/lookup", {"email": "Z1@example.com"}).json()] == [zoe.pk]
    assert [c["id"] for c in api.get(f"{URL}/lookup", {"phone": "09122222222"}).json()] == [zoe.pk]
    both = api.get(f"{URL}/lookup", {"phone": "0912 333 3333", "email": "z1@example.com"}).json()
    assert [c["name"] for c in both] == ["Other", "Zoe Shared"]
    assert [f["name"] for f in both[0]["flags"]] == [flag_type.name]


def test_it_looks_up_an_unknown_number_as_an_empty_list(agent_a, api_for, customer_x):
    api = api_for(agent_a)
    assert api.get(f"{URL}/lookup", {"phone": "0912 000 0000"}).json() == []
    assert api.get(f"{URL}/lookup", {"email": "nobody@example.com"}).json() == []


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({}, "phone"),
        ({"phone": ""}, "phone"),
        ({"phone": "garbage"}, "phone"),
        ({"phone": "12"}, "phone"),
        ({"email": "not-an-email"}, "email"),
        ({"phone": "1" * 65}, "phone"),
    ],
)
def test_it_refuses_bad_lookups_with_422(agent_a, api_for, params, field):
    response = api_for(agent_a).get(f"{URL}/lookup", params)
    assert response.status_code == 422
    assert _fields(response) == {field}


def test_it_searches(agent_a, api_for, customer_x, customer_y):
    api = api_for(agent_a)
    assert [c["id"] for c in api.get(f"{URL}/search", {"q": "+36301234567"}).json()] == [customer_y.pk]
    assert [c["id"] for c in api.get(f"{URL}/search", {"q": "customer"}).json()] == [customer_x.pk, customer_y.pk]
    assert [c["id"] for c in api.get(f"{URL}/search", {"q": "customer", "limit": 1}).json()] == [customer_x.pk]
    assert api.get(f"{URL}/search", {"q": "nobody"}).json() == []
    for params in ({}, {"q": ""}, {"q": "x" * 201}, {"q": "ali", "limit": 0}, {"q": "ali", "limit": 101}):
        response = api.get(f"{URL}/search", params)
        assert response.status_code == 422, params


def test_it_checks_for_duplicates(agent_a, api_for, customer_x):
    api = api_for(agent_a)
    response = _post(api, f"{URL}/duplicates", {"name": "Xerxes Customr", "emails": ["X@EXAMPLE.com"]})
    assert response.status_code == 200
    body = response.json()
    assert [d["contact"]["id"] for d in body] == [customer_x.pk]
    assert body[0]["score"] == 100
    assert len(body[0]["reasons"]) == 2
    assert _post(api, f"{URL}/duplicates", {"name": "Completely Different"}).json() == []
    response = _post(api, f"{URL}/duplicates", {"emails": "x@example.com"})
    assert response.status_code == 422
    assert Contact.objects.count() == 1


def test_it_lists_flag_types_and_custom_fields(agent_a, api_for, flag_type):
    FlagTypeFactory.create(name="VIP", severity=1)
    FlagTypeFactory.create(name="Retired", is_active=False)
    CustomFieldFactory.create(
        key="channel", label="Preferred channel", kind="choice", choices=["phone", "email"], required=True
    )
    api = api_for(agent_a)
    assert [f["name"] for f in api.get(f"{URL}/flag-types").json()] == ["Payment arrears", "VIP"]
    assert api.get(f"{URL}/custom-fields").json() == [
        {
            "key": "channel",
            "label": "Preferred channel",
            "kind": "choice",
            "choices": ["phone", "email"],
            "required": True,
            "applies_to": "all",
        }
    ]


def test_it_shows_the_timeline_newest_first(agent_a, api_for, flag_type):
    ali = ContactFactory.create(name="Ali", by=agent_a)
    services.contact_flag_add(contact=ali, flag_type=flag_type, by=agent_a)
    body = api_for(agent_a).get(f"{URL}/{ali.pk}/timeline").json()
    assert [e["verb"] for e in body] == ["contact.flag_added", "contact.created"]
    assert body[0]["summary"] == "Flag added"
    assert body[0]["actor_id"] == agent_a.pk
    assert body[0]["data"] == {"flag": "Payment arrears", "note": ""}


# ---------------------------------------------------------------------------------------------- merge


def test_it_merges_over_the_api(dispatcher, api_for):
    ali = ContactFactory.create(name="Ali Rezaei", phones=["0912 111 1111"])
    dup = ContactFactory.create(name="Ali Rezaie", phones=["0912 222 2222"], emails=["ali@example.com"])
    response = _post(api_for(dispatcher), f"{URL}/{ali.pk}/merge", {"duplicate_id": dup.pk})
    assert response.status_code == 200, response.content
    body = response.json()
    assert sorted(p["value"] for p in body["phones"]) == ["+989121111111", "+989122222222"]
    assert [e["value"] for e in body["emails"]] == ["ali@example.com"]
    assert body["version"] == 2
    assert not Contact.objects.filter(pk=dup.pk).exists()
    assert Event.objects.filter(verb="contact.merged", contact=ali, actor=dispatcher).exists()


def test_it_refuses_bad_merges(agent_a, supervisor, api_for):
    ali, dup = ContactFactory.create(name="Ali"), ContactFactory.create(name="Dup")
    org = OrganisationFactory.create(name="Org")
    api = api_for(supervisor)
    response = _post(api_for(agent_a), f"{URL}/{ali.pk}/merge", {"duplicate_id": dup.pk})
    assert response.status_code == 403  # agents may not merge
    response = _post(api, f"{URL}/{ali.pk}/merge", {"duplicate_id": ali.pk})
    assert response.status_code == 422
    assert _fields(response) == {"duplicate_id"}
    response = _post(api, f"{URL}/{ali.pk}/merge", {"duplicate_id": org.pk})
    assert response.status_code == 422
    assert _post(api, f"{URL}/{ali.pk}/merge", {"duplicate_id": 987654}).status_code == 404
    response = _post(api, f"{URL}/{ali.pk}/merge", {"duplicate_id": 99999999999999999999})
    assert response.status_code == 422
    assert _fields(response) == {"duplicate_id"}
    assert _post(api, f"{URL}/{ali.pk}/merge", {}).status_code == 422
    assert Contact.objects.count() == 3
    assert not Event.objects.filter(verb="contact.merged").exists()


# ---------------------------------------------------------------------------------------------- query counts


def _rich_contacts(count: int, flag_type) -> None:
    gold = FlagType.objects.get_or_create(name="Gold")[0]
    for n in range(count):
        ContactFactory.create(
            name=f"Customer {n:03d}",
            phones=[iran_mobile(n)],
            emails=[f"c{n}@example.com"],
            identities=[services.IdentityIn("telegram", f"c_{n}")],
            tags=["vip", f"t{n}"],
            flags=[(flag_type, ""), (gold, "")],
        )


def _queries(api, path: str, params: dict) -> int:
    api.get(path, params)  # warm up: the token's last use is stamped at most once a minute
    with CaptureQueriesContext(connection) as ctx:
        response = api.get(path, params)
    assert response.status_code == 200, response.content
    return len(ctx.captured_queries)


@pytest.mark.parametrize(
    ("path", "params"),
    [
        (URL, {"limit": 50}),
        (URL, {"q": "customer", "limit": 50}),
        (f"{URL}/search", {"q": "customer", "limit": 50}),
        (f"{URL}/lookup", {"phone": "+989121000000"}),
    ],
)
def test_it_lists_and_searches_in_a_bounded_number_of_queries(agent_a, api_for, flag_type, path, params):
    api = api_for(agent_a)
    _rich_contacts(5, flag_type)
    small = _queries(api, path, params)
    Contact.objects.all().delete()
    _rich_contacts(25, flag_type)
    assert ContactFlag.objects.count() == 50
    assert _queries(api, path, params) == small
    assert small <= 12


def test_it_gets_a_contact_in_a_bounded_number_of_queries(agent_a, api_for, flag_type):
    api = api_for(agent_a)
    org = OrganisationFactory.create(name="Acme")
    one = ContactFactory.create(name="One", phones=[iran_mobile(1)], organisations=[(org, "")])
    many = ContactFactory.create(
        name="Many",
        phones=[iran_mobile(n) for n in range(2, 8)],
        tags=["a", "b", "c"],
        flags=[(flag_type, ""), (FlagTypeFactory.create(), "")],
        organisations=[(org, "")],
        addresses=[services.AddressIn(city=f"City {n}") for n in range(3)],
    )
    api.get(f"{URL}/{one.pk}")  # warm up: the token's last use is stamped at most once a minute
    with CaptureQueriesContext(connection) as ctx:
        assert api.get(f"{URL}/{one.pk}").status_code == 200
    with CaptureQueriesContext(connection) as ctx_many:
        assert api.get(f"{URL}/{many.pk}").status_code == 200
    assert len(ctx.captured_queries) == len(ctx_many.captured_queries)
    assert Affiliation.objects.count() == 2
