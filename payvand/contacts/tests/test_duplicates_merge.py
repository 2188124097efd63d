from __future__ import annotations

import pytest

from payvand.contacts import services
from payvand.contacts.models import Address, Affiliation, Contact, ContactFlag, Identity
from payvand.contacts.selectors import contact_lookup_unscoped, contact_search_ids
from payvand.contacts.tests.factories import ContactFactory, CustomFieldFactory, FlagTypeFactory, OrganisationFactory
from payvand.core.errors import Conflict, NotFound, ValidationFailed
from payvand.core.models import Event

pytestmark = pytest.mark.django_db


def _found(**kwargs) -> dict[int, list[str]]:
    return {d.contact.pk: d.reasons for d in services.contact_find_duplicates(**kwargs)}


# ---------------------------------------------------------------------------------------------- finding duplicates


def test_it_finds_the_same_email_in_another_case():
    ali = ContactFactory.create(name="Ali Rezaei", emails=["ali@example.com"])
    found = _found(name="Somebody Else", emails=["ALI@Example.COM"])
    assert list(found) == [ali.pk]
    assert "ali@example.com" in found[ali.pk][0]


@pytest.mark.parametrize("phone", ["۰۹۱۲۱۲۳۴۵۶۷", "+98 912 123 4567", "0098 912 123 4567", "989121234567"])
def test_it_finds_the_same_phone_in_another_format(phone):
    ali = ContactFactory.create(name="Ali Rezaei", phones=["0912 123 4567"])
    assert list(_found(name="Different Person", phones=[phone])) == [ali.pk]


def test_it_finds_a_whatsapp_number_as_the_same_phone():
    ali = ContactFactory.create(name="Ali", identities=[services.IdentityIn("whatsapp", "0912 123 4567")])
    assert list(_found(phones=["+989121234567"])) == [ali.pk]


@pytest.mark.parametrize(
    ("existing", "typed"),
    [
        ("Ali Rezaei", "Ali Rezaie"),
        ("Ali Rezaei", "ali  rezaei"),
        ("Nagy Gábor", "Nagy Gabor"),
        ("Nagy Gábor", "Gábor Nagy"),
        ("علی رضایی", "علي رضايي"),
        ("علی رضائی", "علی رضایی"),
        ("Maryam Ahmadi", "Maryam Ahmadian"),
    ],
)
def test_it_finds_a_very_similar_name(existing, typed):
    contact = ContactFactory.create(name=existing)
    ContactFactory.create(name="Unrelated Person")
    found = _found(name=typed)
    assert list(found) == [contact.pk]
    assert "similar name" in found[contact.pk][0]


@pytest.mark.parametrize(
    ("existing", "typed"),
    [("Ali Rezaei", "Ali Karimi"), ("Nagy Gábor", "Kovács Anna"), ("Ali Rezaei", "Sara Rezaei"), ("Acme", "Pars")],
)
def test_it_does_not_find_unrelated_names(existing, typed):
    ContactFactory.create(name=existing)
    assert _found(name=typed) == {}


def test_it_ranks_identity_matches_first_and_excludes_the_contact_itself():
    by_name = ContactFactory.create(name="Ali Rezaie")
    by_phone = ContactFactory.create(name="Someone", phones=["0912 123 4567"])
    found = services.contact_find_duplicates(name="Ali Rezaei", phones=["09121234567"])
    assert [d.contact.pk for d in found] == [by_phone.pk, by_name.pk]
    assert found[0].score == 100
    assert 88 <= found[1].score < 100
    assert _found(name="Ali Rezaie", exclude_id=by_name.pk) == {}


def test_it_ignores_bad_identities_and_empty_input():
    ContactFactory.create(name="Ali", phones=["0912 123 4567"])
    assert _found() == {}
    assert _found(name="  ", emails=["not-an-email"], phones=["garbage"]) == {}


def test_it_limits_the_number_of_duplicates():
    for _ in range(5):
        ContactFactory.create(name="Ali Rezaei")
    assert len(services.contact_find_duplicates(name="Ali Rezaei", limit=3)) == 3


# ---------------------------------------------------------------------------------------------- create refuses


def test_it_refuses_to_create_a_likely_duplicate_and_lists_it():
    ali = ContactFactory.create(name="Ali Rezaei", phones=["0912 123 4567"])
    before = (Contact.objects.count(), Identity.objects.count(), Event.objects.count())
    with pytest.raises(Conflict) as exc:
        services.contact_create(by=None, name="Ali Rezaie", phones=["+98 912 123 4567"])
    body = exc.value.as_dict()
    assert [d["id"] for d in body["duplicates"]] == [ali.pk]
    assert body["duplicates"][0]["name"] == "Ali Rezaei"
    assert body["duplicates"][0]["score"] == 100
    assert body["errors"][0]["field"] is None
    assert "Ali Rezaei" in body["errors"][0]["message"]
    assert (Contact.objects.count(), Identity.objects.count(), Event.objects.count()) == before
    created = services.contact_create(by=None, name="Ali Rezaie", phones=["+98 912 123 4567"], allow_duplicates=True)
    assert Identity.objects.filter(value="+989121234567").count() == 2
    assert created.pk != ali.pk


# ---------------------------------------------------------------------------------------------- merge


def test_it_merges_everything_into_the_primary(supervisor):
    gold, arrears, vip = (
        FlagTypeFactory.create(name="Gold"),
        FlagTypeFactory.create(name="Arrears"),
        FlagTypeFactory.create(name="VIP"),
    )
    CustomFieldFactory.create(key="colour")
    CustomFieldFactory.create(key="size")
    acme, pars = OrganisationFactory.create(name="Acme"), OrganisationFactory.create(name="Pars")
    primary = ContactFactory.create(
        name="Ali Rezaei",
        emails=["ali@example.com"],
        phones=["0912 111 1111"],
        tags=["a"],
        segments=["Gold"],
        custom={"colour": "blue"},
        flags=[(gold, "primary's")],
        organisations=[(acme, "CEO")],
        rating=1,
        addresses=[services.AddressIn(city="Tehran")],
    )
    duplicate = ContactFactory.create(
        name="Ali Rezaie",
        emails=["ALI@example.com", "ali.r@example.com"],
        phones=["0912 222 2222"],
        identities=[services.IdentityIn("telegram", "ali_r")],
        tags=["a", "b"],
        interests=["Solar"],
        custom={"colour": "red", "size": "L"},
        flags=[(gold, "dup's"), (arrears, "")],
        organisations=[(acme, "Owner"), (pars, "Advisor")],
        rating=4,
        source="fair",
        notes="from the fair",
        owner=supervisor,
        addresses=[services.AddressIn(city="Shiraz")],
    )
    services.contact_flag_add(contact=duplicate, flag_type=vip, by=None)
    dup_pk = duplicate.pk
    dup_events = set(Event.objects.filter(contact=duplicate).values_list("pk", flat=True))

    merged = services.contact_merge(primary=primary, duplicate=duplicate, by=supervisor)

    assert merged.pk == primary.pk
    assert not Contact.objects.filter(pk=dup_pk).exists()
    assert set(primary.identities.values_list("kind", "value")) == {
        ("email", "ali@example.com"),
        ("email", "ali.r@example.com"),
        ("phone", "+989121111111"),
        ("phone", "+989122222222"),
        ("telegram", "ali_r"),
    }
    # One primary per kind, the primary's own.
    primaries = dict(primary.identities.filter(is_primary=True).values_list("kind", "value"))
    assert primaries == {"email": "ali@example.com", "phone": "+989121111111", "telegram": "ali_r"}
    flags = dict(ContactFlag.objects.filter(contact=primary).values_list("flag_type__name", "note"))
    assert flags == {"Gold": "primary's", "Arrears": "", "VIP": ""}
    assert dict(primary.affiliations.values_list("organisation__name", "role")) == {"Acme": "CEO", "Pars": "Advisor"}
    assert primary.affiliations.filter(is_primary=True).count() == 1
    assert sorted(primary.addresses.values_list("city", flat=True)) == ["Shiraz", "Tehran"]
    assert sorted(primary.tags.values_list("name", flat=True)) == ["a", "b"]
    assert list(primary.segments.values_list("name", flat=True)) == ["Gold"]
    assert list(primary.interests.values_list("name", flat=True)) == ["Solar"]
    primary.refresh_from_db()
    assert primary.custom == {"colour": "blue", "size": "L"}
    assert (primary.source, primary.notes, primary.owner, primary.rating) == ("fair", "from the fair", supervisor, 4)
    assert primary.version == 2
    assert primary.name == "Ali Rezaei"
    assert dup_events <= set(Event.objects.filter(contact=primary).values_list("pk", flat=True))
    event = Event.objects.get(verb="contact.merged")
    assert (event.contact, event.actor) == (primary, supervisor)
    assert event.data["merged"]["id"] == dup_pk
    assert event.data["merged"]["name"] == "Ali Rezaie"
    assert ["phone", "+989122222222"] in event.data["merged"]["identities"]
    # Findable by the duplicate's phone and email, in any format.
    assert [c.pk for c in contact_lookup_unscoped(phone="۰۹۱۲ ۲۲۲ ۲۲۲۲")] == [primary.pk]
    assert [c.pk for c in contact_lookup_unscoped(email="Ali.R@Example.com")] == [primary.pk]
    assert contact_search_ids(text="09122222222") == [primary.pk]
    assert contact_search_ids(text="pars") == [pars.pk, primary.pk]
    assert dup_pk not in contact_search_ids(text="ali")


def test_it_merges_organisations_and_moves_their_members():
    primary, duplicate = OrganisationFactory.create(name="Acme Ltd"), OrganisationFactory.create(name="ACME Limited")
    shared = ContactFactory.create(name="Shared", organisations=[(primary, "CEO"), (duplicate, "Owner")])
    member = ContactFactory.create(name="Member", organisations=[(duplicate, "Clerk")])
    services.contact_merge(primary=primary, duplicate=duplicate, by=None)
    assert dict(primary.members.values_list("person__name", "role")) == {"Shared": "CEO", "Member": "Clerk"}
    assert Affiliation.objects.count() == 2
    member.refresh_from_db()
    assert "acme ltd" in member.search_text
    assert "limited" not in member.search_text
    assert set(contact_search_ids(text="acme")) == {primary.pk, shared.pk, member.pk}
    assert contact_search_ids(text="limited") == []


def test_it_refuses_to_merge_a_contact_into_itself():
    ali = ContactFactory.create(name="Ali")
    with pytest.raises(ValidationFailed) as exc:
        services.contact_merge(primary=ali, duplicate=ali, by=None)
    assert exc.value.errors[0].field == "duplicate_id"
    assert Contact.objects.filter(pk=ali.pk).exists()
    assert not Event.objects.filter(verb="contact.merged").exists()


def test_it_refuses_to_merge_a_person_and_an_organisation():
    person, org = ContactFactory.create(name="Acme"), OrganisationFactory.create(name="Acme")
    with pytest.raises(ValidationFailed):
        services.contact_merge(primary=org, duplicate=person, by=None)
    assert Contact.objects.count() == 2


def test_it_says_not_found_when_one_of_the_pair_is_gone():
    ali, other = ContactFactory.create(name="Ali"), ContactFactory.create(name="Other", phones=["0912 123 4567"])
    Contact.objects.filter(pk=other.pk).delete()
    with pytest.raises(NotFound):
        services.contact_merge(primary=ali, duplicate=other, by=None)
    assert not ali.identities.exists()


def test_it_keeps_the_duplicates_primary_when_the_primary_had_none_of_that_kind():
    primary = ContactFactory.create(name="Ali")
    duplicate = ContactFactory.create(name="Ali 2", emails=["a@example.com", "b@example.com"])
    services.contact_merge(primary=primary, duplicate=duplicate, by=None)
    assert list(primary.identities.filter(is_primary=True).values_list("value", flat=True)) == ["a@example.com"]
    assert Address.objects.count() == 0
