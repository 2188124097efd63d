from __future__ import annotations

import datetime
from decimal import Decimal

import pytest

from payvand.contacts import services
from payvand.contacts.models import (
    Address,
    Affiliation,
    Contact,
    ContactFlag,
    CustomField,
    Identity,
    Interest,
    Segment,
    Tag,
)
from payvand.contacts.selectors import contact_search_ids
from payvand.contacts.tests.factories import ContactFactory, CustomFieldFactory, FlagTypeFactory, OrganisationFactory
from payvand.core.errors import Conflict, NotFound, ValidationFailed
from payvand.core.models import Event

pytestmark = pytest.mark.django_db


def _counts() -> tuple[int, ...]:
    return (
        Contact.objects.count(),
        Identity.objects.count(),
        Address.objects.count(),
        Affiliation.objects.count(),
        ContactFlag.objects.count(),
        Event.objects.count(),
        Tag.objects.count(),
    )


def _fields(exc: pytest.ExceptionInfo) -> set[str | None]:
    return {e.field for e in exc.value.errors}


def _verbs(contact: Contact) -> list[str]:
    return list(Event.objects.filter(contact=contact).order_by("id").values_list("verb", flat=True))


# ---------------------------------------------------------------------------------------------- create


def test_it_creates_a_contact_with_every_field(supervisor, flag_type):
    org = OrganisationFactory.create(name="Pars Trading")
    CustomFieldFactory.create(key="birthday", kind=CustomField.Kind.DATE)
    contact = services.contact_create(
        by=supervisor,
        name="  علی رضایی ",
        emails=["Ali@Bücher.DE"],
        phones=["۰۹۱۲۱۲۳۴۵۶۷", "+36 30 123 4567"],
        identities=[
            services.IdentityIn("telegram", "@Ali_R", "work"),
            services.IdentityIn("whatsapp", "0912 123 4567"),
        ],
        status=Contact.Status.CUSTOMER,
        rating=4,
        source=" fair ",
        owner=supervisor,
        tags=["vip", "vip", " "],
        segments=["Gold"],
        interests=["Solar"],
        custom={"birthday": "1403/01/01"},
        notes="Met at the fair.",
        organisations=[(org, "Buyer")],
        addresses=[
            services.AddressIn(
                label="Home", street="Valiasr 1", city="Tehran", country="ir", latitude="35.6892", longitude="51.389"
            )
        ],
        flags=[(flag_type, "owes 2 invoices")],
    )
    contact = Contact.objects.get(pk=contact.pk)
    assert contact.name == "علی رضایی"
    assert (contact.kind, contact.status, contact.rating, contact.source) == ("person", "customer", 4, "fair")
    assert contact.owner == supervisor
    assert contact.notes == "Met at the fair."
    assert contact.custom == {"birthday": "2024-03-20"}
    assert contact.version == 1
    ids = {(i.kind, i.value, i.is_primary) for i in contact.identities.all()}
    assert ids == {
        ("email", "ali@xn--bcher-kva.de", True),
        ("phone", "+989121234567", True),
        ("phone", "+36301234567", False),
        ("telegram", "ali_r", True),
        ("whatsapp", "+989121234567", True),
    }
    assert contact.identities.get(kind="telegram").label == "work"
    assert [t.name for t in contact.tags.all()] == ["vip"]
    assert [s.name for s in contact.segments.all()] == ["Gold"]
    assert [i.name for i in contact.interests.all()] == ["Solar"]
    address = contact.addresses.get()
    assert (address.country, address.latitude, address.longitude) == ("IR", Decimal("35.689200"), Decimal("51.389000"))
    affiliation = contact.affiliations.get()
    assert (affiliation.organisation, affiliation.role, affiliation.is_primary) == (org, "Buyer", True)
    flag = contact.flags.get()
    assert (flag.flag_type, flag.note, flag.created_by) == (flag_type, "owes 2 invoices", supervisor)
    event = Event.objects.get(contact=contact)
    assert (event.verb, event.actor, event.data["name"]) == ("contact.created", supervisor, "علی رضایی")
    # The denormalised search text knows the name, the phones in both forms, the email and the organisation.
    for word in ("علی", "989121234567", "09121234567", "ali@xn--bcher-kva.de", "pars trading"):
        assert word in contact.search_text


def test_it_creates_an_organisation():
    org = services.contact_create(by=None, name="Kovács Kft.", kind="organisation", phones=["06 1 234 5678"])
    assert org.is_organisation
    assert org.identities.get().value == "+3612345678"


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"phones": ["0912 123 4567", "not a phone"]}, "phones.1"),
        ({"phones": ["12"]}, "phones.0"),
        ({"emails": ["ali@"]}, "emails.0"),
        ({"identities": [services.IdentityIn("telegram", "has space")]}, "identities.0"),
        ({"identities": [services.IdentityIn("fax", "123")]}, "identities.0"),
        ({"rating": 6}, "rating"),
        ({"rating": -1}, "rating"),
        ({"status": "vip"}, "status"),
        ({"kind": "robot"}, "kind"),
        ({"name": "   "}, "name"),
        ({"name": "x" * 201}, "name"),
        ({"source": "s" * 101}, "source"),
        ({"custom": {"nope": 1}}, "custom.nope"),
        ({"addresses": [services.AddressIn(city="Tehran", country="IRN")]}, "addresses.0.country"),
        ({"addresses": [services.AddressIn(city="Tehran", latitude="35.7")]}, "addresses.0.latitude"),
        ({"addresses": [services.AddressIn(city="Tehran", latitude="95", longitude="51")]}, "addresses.0.latitude"),
        ({"addresses": [services.AddressIn(city="Tehran", latitude="35", longitude="east")]}, "addresses.0.longitude"),
        ({"addresses": [services.AddressIn(city="x" * 101)]}, "addresses.0.city"),
        ({"addresses": [services.AddressIn()]}, "addresses.0"),
        ({"tags": ["t" * 65]}, "tags"),
        ({"tags": [3]}, "tags"),
    ],
)
def test_it_refuses_bad_input_on_create_and_writes_nothing(kwargs, field):
    ContactFactory.create(name="Someone Else", phones=["0912 000 0000"])
    before = _counts()
    with pytest.raises(ValidationFailed) as exc:
        services.contact_create(by=None, **{"name": "Ali Rezaei", **kwargs})
    assert field in _fields(exc)
    assert exc.value.as_dict()["errors"]
    assert _counts() == before


def test_it_reports_every_bad_field_at_once():
    before = _counts()
    with pytest.raises(ValidationFailed) as exc:
        services.contact_create(by=None, name="Ali", phones=["x"], emails=["y"], rating=9, status="vip")
    assert _fields(exc) == {"phones.0", "emails.0", "rating", "status"}
    assert _counts() == before


def test_it_refuses_a_person_as_an_organisation():
    person = ContactFactory.create(name="Not A Company")
    with pytest.raises(ValidationFailed) as exc:
        services.contact_create(by=None, name="Ali", organisations=[(person, "boss")])
    assert _fields(exc) == {"organisations"}


# ---------------------------------------------------------------------------------------------- custom fields


@pytest.mark.parametrize(
    ("kind", "extra", "raw", "stored"),
    [
        ("text", {}, "  Blue  ", "Blue"),
        ("number", {}, "۱۲٫۵", 12.5),
        ("number", {}, "۱٬۲۳۴", 1234),
        ("number", {}, "1,234", 1234),
        ("number", {}, 42, 42),
        ("number", {}, "-3", -3),
        ("date", {}, "1403/01/01", "2024-03-20"),
        ("date", {}, "۱۴۰۳/۰۱/۰۱", "2024-03-20"),
        ("date", {}, "2024-03-20", "2024-03-20"),
        ("choice", {"choices": ["phone", "email"]}, "email", "email"),
        ("boolean", {}, True, True),
        ("boolean", {}, "igen", True),
        ("boolean", {}, "بله", True),
        ("boolean", {}, "no", False),
        ("boolean", {}, "0", False),
    ],
)
def test_it_coerces_custom_values_of_each_kind(kind, extra, raw, stored):
    CustomFieldFactory.create(key="f", kind=kind, **extra)
    contact = services.contact_create(by=None, name="Ali", custom={"f": raw})
    contact.refresh_from_db()
    assert contact.custom == {"f": stored}


@pytest.mark.parametrize(
    ("kind", "extra", "raw"),
    [
        ("text", {}, "x" * 1001),
        ("text", {}, ["a", "list"]),
        ("number", {}, "twelve"),
        ("number", {}, "NaN"),
        ("number", {}, "Infinity"),
        ("number", {}, True),
        ("number", {}, "1e999999999"),
        ("number", {}, {"a": 1}),
        ("date", {}, "2024-02-30"),
        ("date", {}, "1403/13/01"),
        ("date", {}, "yesterday"),
        ("choice", {"choices": ["phone", "email"]}, "fax"),
        ("boolean", {}, "maybe"),
    ],
)
def test_it_refuses_bad_custom_values(kind, extra, raw):
    CustomFieldFactory.create(key="f", kind=kind, **extra)
    before = _counts()
    with pytest.raises(ValidationFailed) as exc:
        services.contact_create(by=None, name="Ali", custom={"f": raw})
    assert _fields(exc) == {"custom.f"}
    assert _counts() == before


def test_it_requires_required_custom_fields_of_the_right_kind():
    CustomFieldFactory.create(key="national_id", required=True, applies_to=CustomField.AppliesTo.PERSON)
    CustomFieldFactory.create(key="vat", applies_to=CustomField.AppliesTo.ORGANISATION)
    with pytest.raises(ValidationFailed) as exc:
        services.contact_create(by=None, name="Ali")
    assert _fields(exc) == {"custom.national_id"}
    with pytest.raises(ValidationFailed) as exc:
        services.contact_create(by=None, name="Ali", custom={"national_id": "", "vat": "HU1"})
    assert _fields(exc) == {"custom.national_id", "custom.vat"}
    # The person-only field does not bind organisations, and the organisation field is theirs.
    org = services.contact_create(by=None, name="Kft", kind="organisation", custom={"vat": "HU1"})
    assert org.custom == {"vat": "HU1"}
    person = services.contact_create(by=None, name="Ali", custom={"national_id": "0012345678"})
    assert person.custom == {"national_id": "0012345678"}


# ---------------------------------------------------------------------------------------------- update


def test_it_updates_with_the_current_version_and_records_what_changed(agent_a):
    contact = ContactFactory.create(name="Ali", rating=1)
    updated = services.contact_update(
        contact=contact,
        by=agent_a,
        version=1,
        name=" Ali Rezaei ",
        rating=3,
        status="customer",
        source="web",
        notes="  keep spaces  ",
        owner=agent_a,
    )
    assert updated.version == 2
    contact.refresh_from_db()
    assert (contact.name, contact.rating, contact.status, contact.source, contact.notes, contact.owner) == (
        "Ali Rezaei",
        3,
        "customer",
        "web",
        "  keep spaces  ",
        agent_a,
    )
    assert contact.version == 2
    event = Event.objects.filter(contact=contact, verb="contact.updated").get()
    assert event.actor == agent_a
    assert event.data["changed"] == {
        "name": ["Ali", "Ali Rezaei"],
        "rating": [1, 3],
        "status": ["prospect", "customer"],
    }
    assert contact_search_ids(text="rezaei") == [contact.pk]


def test_it_refuses_a_stale_version_and_changes_nothing():
    contact = ContactFactory.create(name="Ali", tags=["a"])
    services.contact_update(contact=contact, by=None, version=1, name="Ali R")
    events = Event.objects.count()
    with pytest.raises(Conflict) as exc:
        services.contact_update(
            contact=contact, by=None, version=1, name="Overwritten", tags=["b"], phones=["0912 123 4567"]
        )
    assert _fields(exc) == {"version"}
    contact.refresh_from_db()
    assert (contact.name, contact.version) == ("Ali R", 2)
    assert [t.name for t in contact.tags.all()] == ["a"]
    assert not contact.identities.exists()
    assert Event.objects.count() == events


def test_it_updates_without_a_version():
    contact = ContactFactory.create(name="Ali")
    services.contact_update(contact=contact, by=None, name="Ali 2")
    services.contact_update(contact=contact, by=None, name="Ali 3")
    contact.refresh_from_db()
    assert (contact.name, contact.version) == ("Ali 3", 3)


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"name": ""}, "name"),
        ({"rating": 7}, "rating"),
        ({"status": "gone"}, "status"),
        ({"kind": "robot"}, "kind"),
        ({"phones": ["0912 123 4567", "garbage"]}, "phones.1"),
        ({"emails": ["no-at-sign"]}, "emails.0"),
        ({"source": "s" * 101}, "source"),
        ({"custom": {"unknown": 1}}, "custom.unknown"),
        ({"search_text": "hack"}, "search_text"),
        ({"version_bump": 1}, "version_bump"),
    ],
)
def test_it_refuses_bad_updates_and_changes_nothing(changes, field):
    contact = ContactFactory.create(name="Ali", phones=["0912 111 2222"])
    before = _counts()
    with pytest.raises(ValidationFailed) as exc:
        services.contact_update(contact=contact, by=None, version=1, **changes)
    assert _fields(exc) == {field}
    contact.refresh_from_db()
    assert (contact.name, contact.version) == ("Ali", 1)
    assert list(contact.identities.values_list("value", flat=True)) == ["+989121112222"]
    assert _counts() == before


def test_it_replaces_emails_and_phones_and_keeps_a_primary():
    contact = ContactFactory.create(
        name="Ali",
        emails=["a@example.com", "b@example.com"],
        phones=["0912 111 1111", "0912 222 2222"],
        identities=[services.IdentityIn("telegram", "ali")],
    )
    services.contact_update(contact=contact, by=None, emails=["B@EXAMPLE.COM", "c@example.com"])
    emails = list(contact.identities.filter(kind="email").order_by("value").values_list("value", "is_primary"))
    assert emails == [("b@example.com", True), ("c@example.com", False)]
    # Phones and handles were not part of the change.
    assert contact.identities.filter(kind="phone").count() == 2
    assert contact.identities.filter(kind="telegram").exists()
    services.contact_update(contact=contact, by=None, phones=["+98 912 222 2222"])
    assert list(contact.identities.filter(kind="phone").values_list("value", "is_primary")) == [("+989122222222", True)]
    assert contact_search_ids(text="09121111111") == []
    assert contact_search_ids(text="09122222222") == [contact.pk]
    # The first of the list is the primary, as the edit form lists them.
    services.contact_update(contact=contact, by=None, emails=["c@example.com", "b@example.com"])
    assert dict(contact.identities.filter(kind="email").values_list("value", "is_primary")) == {
        "c@example.com": True,
        "b@example.com": False,
    }
    services.contact_update(contact=contact, by=None, emails=[])
    assert not contact.identities.filter(kind="email").exists()


def test_it_replaces_social_handles_but_not_a_phone_with_the_same_number():
    contact = ContactFactory.create(
        name="Ali",
        phones=["0912 111 1111"],
        identities=[services.IdentityIn("whatsapp", "0912 111 1111"), services.IdentityIn("telegram", "ali")],
    )
    services.contact_update(
        contact=contact, by=None, phones=["0912 111 1111"], identities=[services.IdentityIn("instagram", "ali.insta")]
    )
    assert set(contact.identities.values_list("kind", "value")) == {
        ("phone", "+989121111111"),
        ("instagram", "ali.insta"),
    }


def test_it_replaces_tags_groups_and_interests():
    contact = ContactFactory.create(name="Ali", tags=["a", "b"], segments=["Gold"], interests=["Solar"])
    services.contact_update(contact=contact, by=None, tags=["b", "c"], segments=[], interests=["Wind", "Solar"])
    assert sorted(contact.tags.values_list("name", flat=True)) == ["b", "c"]
    assert not contact.segments.exists()
    assert sorted(contact.interests.values_list("name", flat=True)) == ["Solar", "Wind"]
    assert Segment.objects.filter(name="Gold").exists()  # the group itself stays for others
    assert Interest.objects.count() == 2


def test_it_merges_custom_values_and_clears_with_none():
    CustomFieldFactory.create(key="colour")
    CustomFieldFactory.create(key="size", kind=CustomField.Kind.NUMBER)
    contact = ContactFactory.create(name="Ali", custom={"colour": "blue", "size": "3"})
    services.contact_update(contact=contact, by=None, custom={"size": "۴"})
    contact.refresh_from_db()
    assert contact.custom == {"colour": "blue", "size": 4}
    services.contact_update(contact=contact, by=None, custom={"colour": None})
    contact.refresh_from_db()
    assert contact.custom == {"size": 4}


def test_it_refreshes_the_members_search_when_an_organisation_is_renamed():
    org = OrganisationFactory.create(name="Old Name Ltd")
    person = ContactFactory.create(name="Ali Rezaei", organisations=[(org, "CEO")])
    assert person.pk in contact_search_ids(text="old name")
    services.contact_update(contact=org, by=None, name="Brand New Co")
    assert contact_search_ids(text="old name") == []
    assert set(contact_search_ids(text="brand new")) == {org.pk, person.pk}


def test_it_refuses_to_change_the_kind_of_a_linked_contact():
    org = OrganisationFactory.create(name="Pars")
    person = ContactFactory.create(name="Ali", organisations=[(org, "")])
    with pytest.raises(ValidationFailed) as exc:
        services.contact_update(contact=person, by=None, kind="organisation")
    assert _fields(exc) == {"kind"}
    with pytest.raises(ValidationFailed):
        services.contact_update(contact=org, by=None, kind="person")
    loner = ContactFactory.create(name="Alone")
    services.contact_update(contact=loner, by=None, kind="organisation")
    loner.refresh_from_db()
    assert loner.is_organisation


def test_it_says_not_found_when_updating_a_deleted_contact():
    contact = ContactFactory.create(name="Ali")
    services.contact_delete(contact=Contact.objects.get(pk=contact.pk), by=None)
    with pytest.raises(NotFound):
        services.contact_update(contact=contact, by=None, name="Ghost")


# ---------------------------------------------------------------------------------------------- delete


def test_it_deletes_a_contact_keeping_its_timeline_as_audit(supervisor, flag_type):
    contact = ContactFactory.create(
        name="Ali Rezaei",
        phones=["0912 123 4567"],
        flags=[(flag_type, "")],
        addresses=[services.AddressIn(city="Tehran")],
    )
    pk = contact.pk
    services.contact_delete(contact=contact, by=supervisor)
    assert not Contact.objects.filter(pk=pk).exists()
    assert not Identity.objects.filter(contact_id=pk).exists()
    assert not ContactFlag.objects.exists()
    assert not Address.objects.exists()
    deleted = Event.objects.get(verb="contact.deleted")
    assert (deleted.actor, deleted.target_id, deleted.data) == (supervisor, str(pk), {"name": "Ali Rezaei", "id": pk})
    assert Event.objects.filter(verb="contact.created", contact=None).exists()
    assert contact_search_ids(text="Ali Rezaei") == []
    assert contact_search_ids(text="09121234567") == []


def test_it_forgets_a_deleted_organisation_in_its_members_search():
    org = OrganisationFactory.create(name="Zagros Ltd")
    person = ContactFactory.create(name="Ali", organisations=[(org, "")])
    services.contact_delete(contact=org, by=None)
    assert contact_search_ids(text="zagros") == []
    person.refresh_from_db()
    assert "zagros" not in person.search_text


# ---------------------------------------------------------------------------------------------- flags


def test_it_adds_and_removes_flags(agent_a, flag_type):
    contact = ContactFactory.create(name="Ali")
    flag = services.contact_flag_add(contact=contact, flag_type=flag_type, note="two invoices", by=agent_a)
    assert (flag.contact, flag.note, flag.created_by) == (contact, "two invoices", agent_a)
    with pytest.raises(Conflict) as exc:
        services.contact_flag_add(contact=contact, flag_type=flag_type, by=agent_a)
    assert _fields(exc) == {"flag_type_id"}
    assert contact.flags.count() == 1
    services.contact_flag_remove(contact=contact, flag_id=flag.pk, by=agent_a)
    assert not contact.flags.exists()
    with pytest.raises(NotFound):
        services.contact_flag_remove(contact=contact, flag_id=flag.pk, by=agent_a)
    assert _verbs(contact) == ["contact.created", "contact.flag_added", "contact.flag_removed"]
    assert Event.objects.get(verb="contact.flag_removed").data == {"flag": "Payment arrears"}


def test_it_refuses_inactive_flag_types_and_long_notes():
    contact = ContactFactory.create(name="Ali")
    inactive = FlagTypeFactory.create(is_active=False)
    with pytest.raises(ValidationFailed):
        services.contact_flag_add(contact=contact, flag_type=inactive, by=None)
    with pytest.raises(ValidationFailed) as exc:
        services.contact_flag_add(contact=contact, flag_type=FlagTypeFactory.create(), note="n" * 256, by=None)
    assert _fields(exc) == {"note"}
    assert not contact.flags.exists()


def test_it_only_removes_a_flag_of_this_contact(flag_type):
    one, other = ContactFactory.create(name="One"), ContactFactory.create(name="Other")
    flag = services.contact_flag_add(contact=other, flag_type=flag_type, by=None)
    with pytest.raises(NotFound):
        services.contact_flag_remove(contact=one, flag_id=flag.pk, by=None)
    assert ContactFlag.objects.filter(pk=flag.pk).exists()


@pytest.mark.parametrize("remove", ["flag", "identity", "address", "affiliation"])
def test_removing_a_part_of_a_contact_deleted_meanwhile_says_not_found_and_records_nothing(remove, flag_type):
    # The view loaded the contact, then another request deleted it: the removal must not write an event pointing
    # at the deleted contact (its foreign key would fail at commit: a 500 on PostgreSQL, seen by schemathesis).
    org = OrganisationFactory.create(name="Acme")
    contact = ContactFactory.create(name="Ali", emails=["ali@example.com"], organisations=[(org, "")])
    part_id = {
        "flag": lambda: services.contact_flag_add(contact=contact, flag_type=flag_type, by=None).pk,
        "identity": lambda: contact.identities.get().pk,
        "address": lambda: (
            services.contact_address_add(contact=contact, address=services.AddressIn(city="Tehran"), by=None).pk
        ),
        "affiliation": lambda: contact.affiliations.get().pk,
    }[remove]()
    Contact.objects.filter(pk=contact.pk).delete()
    events = Event.objects.count()
    with pytest.raises(NotFound) as exc:
        getattr(services, f"contact_{remove}_remove")(contact=contact, **{f"{remove}_id": part_id}, by=None)
    assert exc.value.detail == "No such contact."
    assert Event.objects.count() == events


# ---------------------------------------------------------------------------------------------- identities


def test_it_adds_identities_in_any_format():
    contact = ContactFactory.create(name="Ali")
    phone = services.contact_identity_add(contact=contact, kind="phone", value="۰۹۱۲ ۱۲۳ ۴۵۶۷", label="mobile", by=None)
    assert (phone.value, phone.is_primary, phone.label) == ("+989121234567", True, "mobile")
    second = services.contact_identity_add(contact=contact, kind="phone", value="+36 30 123 4567", by=None)
    assert not second.is_primary
    email = services.contact_identity_add(contact=contact, kind="email", value="Ali@Example.com", by=None)
    assert (email.value, email.is_primary) == ("ali@example.com", True)
    assert contact_search_ids(text="06301234567") == [contact.pk]
    with pytest.raises(Conflict):
        services.contact_identity_add(contact=contact, kind="phone", value="0098 912 123 4567", by=None)
    with pytest.raises(ValidationFailed) as exc:
        services.contact_identity_add(contact=contact, kind="phone", value="call me", by=None)
    assert _fields(exc) == {"value"}
    with pytest.raises(ValidationFailed):
        services.contact_identity_add(contact=contact, kind="pager", value="123", by=None)
    assert contact.identities.count() == 3
    assert _verbs(contact).count("contact.identity_added") == 3


def test_it_passes_the_primary_to_the_next_identity_when_removing():
    contact = ContactFactory.create(name="Ali", phones=["0912 111 1111", "0912 222 2222", "0912 333 3333"])
    first, second, third = contact.identities.order_by("id")
    assert first.is_primary
    services.contact_identity_remove(contact=contact, identity_id=first.pk, by=None)
    assert list(contact.identities.order_by("id").values_list("pk", "is_primary")) == [
        (second.pk, True),
        (third.pk, False),
    ]
    services.contact_identity_remove(contact=contact, identity_id=third.pk, by=None)
    assert list(contact.identities.values_list("pk", "is_primary")) == [(second.pk, True)]
    assert contact_search_ids(text="09121111111") == []
    with pytest.raises(NotFound):
        services.contact_identity_remove(contact=contact, identity_id=first.pk, by=None)
    removed = Event.objects.filter(contact=contact, verb="contact.identity_removed").order_by("id").first()
    assert removed is not None
    assert removed.data == {"kind": "phone", "value": "+989121111111"}


def test_it_only_removes_an_identity_of_this_contact():
    one, other = ContactFactory.create(name="One"), ContactFactory.create(name="Other", emails=["o@example.com"])
    with pytest.raises(NotFound):
        services.contact_identity_remove(contact=one, identity_id=other.identities.get().pk, by=None)
    assert other.identities.exists()


# ---------------------------------------------------------------------------------------------- affiliations


def test_it_links_people_to_organisations(agent_a):
    person = ContactFactory.create(name="Ali")
    acme, pars = OrganisationFactory.create(name="Acme"), OrganisationFactory.create(name="Pars")
    first = services.contact_affiliation_add(person=person, organisation=acme, role=" CEO ", by=agent_a)
    assert (first.role, first.is_primary) == ("CEO", True)
    second = services.contact_affiliation_add(person=person, organisation=pars, role="Advisor", by=agent_a)
    assert not second.is_primary
    again = services.contact_affiliation_add(person=person, organisation=acme, role="Chair", by=agent_a)
    assert again.pk == first.pk
    assert Affiliation.objects.get(pk=first.pk).role == "Chair"
    assert person.affiliations.count() == 2
    assert person.pk in contact_search_ids(text="pars")
    assert Event.objects.filter(contact=person, verb="contact.affiliation_added").count() == 3
    # Removing works from either side.
    services.contact_affiliation_remove(contact=pars, affiliation_id=second.pk, by=agent_a)
    services.contact_affiliation_remove(contact=person, affiliation_id=first.pk, by=agent_a)
    assert not Affiliation.objects.exists()
    assert person.pk not in contact_search_ids(text="pars")
    assert Event.objects.filter(contact=person, verb="contact.affiliation_removed").count() == 2
    with pytest.raises(NotFound):
        services.contact_affiliation_remove(contact=person, affiliation_id=first.pk, by=agent_a)


def test_it_links_only_a_person_to_an_organisation():
    person, other = ContactFactory.create(name="Ali"), ContactFactory.create(name="Sara")
    org, org2 = OrganisationFactory.create(name="Acme"), OrganisationFactory.create(name="Pars")
    with pytest.raises(ValidationFailed) as exc:
        services.contact_affiliation_add(person=person, organisation=other, by=None)
    assert _fields(exc) == {"organisation_id"}
    with pytest.raises(ValidationFailed) as exc:
        services.contact_affiliation_add(person=org, organisation=org2, by=None)
    assert _fields(exc) == {"person"}
    with pytest.raises(ValidationFailed) as exc:
        services.contact_affiliation_add(person=person, organisation=org, role="r" * 101, by=None)
    assert _fields(exc) == {"role"}
    assert not Affiliation.objects.exists()


def test_it_does_not_remove_someone_elses_affiliation():
    org = OrganisationFactory.create(name="Acme")
    person, stranger = (
        ContactFactory.create(name="Ali", organisations=[(org, "")]),
        ContactFactory.create(name="Stranger"),
    )
    with pytest.raises(NotFound):
        services.contact_affiliation_remove(contact=stranger, affiliation_id=person.affiliations.get().pk, by=None)
    assert Affiliation.objects.count() == 1


# ---------------------------------------------------------------------------------------------- addresses


def test_it_adds_and_removes_addresses(agent_a):
    contact = ContactFactory.create(name="Ali")
    address = services.contact_address_add(
        contact=contact,
        by=agent_a,
        address=services.AddressIn(
            label="Office",
            street="Andrássy út 1",
            city="Budapest",
            postcode="1061",
            country="hu",
            latitude=Decimal("47.5025"),
            longitude=19.0604,
        ),
    )
    address.refresh_from_db()
    assert (address.country, address.latitude, address.longitude) == ("HU", Decimal("47.502500"), Decimal("19.060400"))
    assert address.has_coordinates
    event = Event.objects.get(contact=contact, verb="contact.address_added")
    assert event.data == {"address": "Andrássy út 1, Budapest, HU"}
    services.contact_address_remove(contact=contact, address_id=address.pk, by=agent_a)
    assert not contact.addresses.exists()
    assert Event.objects.filter(contact=contact, verb="contact.address_removed").exists()
    with pytest.raises(NotFound):
        services.contact_address_remove(contact=contact, address_id=address.pk, by=agent_a)


@pytest.mark.parametrize(
    ("address", "field"),
    [
        (services.AddressIn(city="Tehran", latitude="35.7"), "latitude"),
        (services.AddressIn(city="Tehran", longitude="51"), "latitude"),
        (services.AddressIn(city="Tehran", latitude="-91", longitude="0"), "latitude"),
        (services.AddressIn(city="Tehran", latitude="0", longitude="181"), "longitude"),
        (services.AddressIn(city="Tehran", latitude="NaN", longitude="0"), "latitude"),
        (services.AddressIn(city="Tehran", country="Iran"), "country"),
        (services.AddressIn(city="Tehran", country="1R"), "country"),
        (services.AddressIn(postcode="1" * 21), "postcode"),
        (services.AddressIn(), None),
    ],
)
def test_it_refuses_bad_addresses(address, field):
    contact = ContactFactory.create(name="Ali")
    events = Event.objects.count()
    with pytest.raises(ValidationFailed) as exc:
        services.contact_address_add(contact=contact, address=address, by=None)
    assert field in _fields(exc)
    assert not Address.objects.exists()
    assert Event.objects.count() == events


def test_it_accepts_coordinates_written_in_any_locale():
    contact = ContactFactory.create(name="Ali")
    for latitude, longitude in (("۳۵٫۷", "۵۱٫۴"), ("35,7", " 51,4 "), ("35.7", "51.4")):
        address = services.contact_address_add(
            contact=contact, by=None, address=services.AddressIn(city="Tehran", latitude=latitude, longitude=longitude)
        )
        assert (address.latitude, address.longitude) == (Decimal("35.7"), Decimal("51.4"))


def test_it_accepts_coordinates_of_zero():
    contact = ContactFactory.create(name="Gulf of Guinea")
    address = services.contact_address_add(
        contact=contact, by=None, address=services.AddressIn(latitude=0, longitude="0")
    )
    assert address.has_coordinates


# ---------------------------------------------------------------------------------------------- timeline


def test_it_writes_every_change_to_the_contacts_timeline(agent_a, flag_type):
    org = OrganisationFactory.create(name="Acme")
    contact = ContactFactory.create(name="Ali", by=agent_a)
    services.contact_update(contact=contact, by=agent_a, rating=2)
    flag = services.contact_flag_add(contact=contact, flag_type=flag_type, by=agent_a)
    services.contact_flag_remove(contact=contact, flag_id=flag.pk, by=agent_a)
    identity = services.contact_identity_add(contact=contact, kind="email", value="a@b.com", by=agent_a)
    services.contact_identity_remove(contact=contact, identity_id=identity.pk, by=agent_a)
    link = services.contact_affiliation_add(person=contact, organisation=org, by=agent_a)
    services.contact_affiliation_remove(contact=contact, affiliation_id=link.pk, by=agent_a)
    address = services.contact_address_add(contact=contact, address=services.AddressIn(city="Pécs"), by=agent_a)
    services.contact_address_remove(contact=contact, address_id=address.pk, by=agent_a)
    assert _verbs(contact) == [
        "contact.created",
        "contact.updated",
        "contact.flag_added",
        "contact.flag_removed",
        "contact.identity_added",
        "contact.identity_removed",
        "contact.affiliation_added",
        "contact.affiliation_removed",
        "contact.address_added",
        "contact.address_removed",
    ]
    assert set(Event.objects.filter(contact=contact).values_list("actor", flat=True)) == {agent_a.pk}
    assert all(e.created_at <= datetime.datetime.now(tz=datetime.UTC) for e in Event.objects.all())


def test_a_contact_with_tickets_is_not_deleted_but_refused(customer_x, dispatcher, team_a, api_for, supervisor):
    from payvand.core.errors import Conflict
    from payvand.core.models import Event
    from payvand.helpdesk.services import ticket_create

    ticket_create(by=dispatcher, subject="Modem", requester=customer_x, team=team_a)
    with pytest.raises(Conflict):
        services.contact_delete(contact=customer_x, by=supervisor)
    assert Contact.objects.filter(pk=customer_x.pk).exists()
    assert not Event.objects.filter(verb="contact.deleted").exists()
    response = api_for(supervisor).delete(f"/api/v1/contacts/{customer_x.pk}")
    assert response.status_code == 409
    assert "merge" in response.json()["detail"]


def test_the_delete_button_explains_why_a_contact_with_tickets_stays(
    customer_x, dispatcher, team_a, client_for, supervisor
):
    from payvand.helpdesk.services import ticket_create

    ticket_create(by=dispatcher, subject="Modem", requester=customer_x, team=team_a)
    response = client_for(supervisor).post(f"/contacts/{customer_x.pk}/delete/", follow=True)
    assert response.status_code == 200
    assert "merge it into another contact" in response.content.decode()
    assert Contact.objects.filter(pk=customer_x.pk).exists()
