from __future__ import annotations

import datetime
import re

import pytest
from django.contrib.messages import get_messages
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from payvand.contacts import services
from payvand.contacts.models import Address, Affiliation, Contact, ContactFlag, CustomField, Identity
from payvand.contacts.tests.factories import (
    ContactFactory,
    CustomFieldFactory,
    FlagTypeFactory,
    OrganisationFactory,
    iran_mobile,
)
from payvand.core.models import Event

pytestmark = pytest.mark.django_db


def _messages(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def _flash(client, url: str, data: dict | None = None) -> list[str]:
    """POST a small action; it redirects back to the 360° page, which shows what happened."""
    response = client.post(url, data or {}, follow=True)
    assert response.status_code == 200
    assert response.redirect_chain[-1][0].startswith("/contacts/")
    return [str(m) for m in response.context["messages"]]


def _form_data(**overrides) -> dict[str, str]:
    data = {
        "kind": "person",
        "name": "",
        "phones": "",
        "emails": "",
        "telegram": "",
        "whatsapp": "",
        "instagram": "",
        "status": "prospect",
        "rating": "0",
        "owner": "",
        "source": "",
        "tags": "",
        "segments": "",
        "interests": "",
        "notes": "",
        "organisation": "",
        "organisation_role": "",
        "street": "",
        "city": "",
        "postcode": "",
        "country": "",
        "latitude": "",
        "longitude": "",
    }
    data.update(overrides)
    return data


def _state() -> tuple[int, ...]:
    return (
        Contact.objects.count(),
        Identity.objects.count(),
        ContactFlag.objects.count(),
        Address.objects.count(),
        Affiliation.objects.count(),
        Event.objects.count(),
    )


# ---------------------------------------------------------------------------------------------- list


def test_it_lists_and_filters_contacts(agent_a, client_for, flag_type):
    OrganisationFactory.create(name="Acme Trading", status="customer")
    ContactFactory.create(name="Ali Rezaei", phones=["0912 123 4567"], tags=["vip"], flags=[(flag_type, "")])
    ContactFactory.create(name="Nagy Gábor", status="customer")
    client = client_for(agent_a)
    url = reverse("contacts:list")

    def names(**params) -> list[str]:
        response = client.get(url, params)
        assert response.status_code == 200
        return re.findall(r"<bdi>([^<]+)</bdi>", response.content.decode().split('id="contact-rows"')[1])

    assert names() == ["Acme Trading", "Ali Rezaei", "Nagy Gábor"]
    assert names(kind="organisation") == ["Acme Trading"]
    assert names(status="customer") == ["Acme Trading", "Nagy Gábor"]
    assert names(tag="vip") == ["Ali Rezaei"]
    assert names(flag=str(flag_type.pk)) == ["Ali Rezaei"]
    assert names(q="gabor") == ["Nagy Gábor"]
    assert names(q="۰۹۱۲ ۱۲۳ ۴۵۶۷") == ["Ali Rezaei"]
    # Nonsense in the filters is ignored, never a 500.
    assert names(kind="robot", status="vip", flag="99999999999999999999", cursor="!!") == [
        "Acme Trading",
        "Ali Rezaei",
        "Nagy Gábor",
    ]
    page = client.get(url).content.decode()
    assert "+989121234567" in page
    assert "Payment arrears" in page  # flags stand out in the list


def test_it_returns_only_the_rows_to_htmx(agent_a, client_for):
    ContactFactory.create(name="Ali Rezaei")
    response = client_for(agent_a).get(reverse("contacts:list"), {"q": "ali"}, headers={"HX-Request": "true"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "<html" not in html
    assert "Ali Rezaei" in html
    assert 'id="contact-rows"' not in html


def test_it_pages_through_the_list(agent_a, client_for):
    for n in range(30):
        ContactFactory.create(name=f"Person {n:02d}")
    client = client_for(agent_a)
    first = client.get(reverse("contacts:list")).content.decode()
    assert first.count('class="list-group-item list-group-item-action') == 25
    found = re.search(r'href="\?([^"]+)" id="next-page"', first)
    assert found is not None
    next_href = found.group(1).replace("&amp;", "&")
    second = client.get(reverse("contacts:list") + "?" + next_href).content.decode()
    assert second.count('class="list-group-item list-group-item-action') == 5
    assert "Person 25" in second
    assert "Person 24" not in second
    assert 'id="next-page"' not in second
    assert "First page" in second


def test_it_lists_in_a_bounded_number_of_queries(agent_a, client_for, flag_type):
    client = client_for(agent_a)

    def count() -> int:
        client.get(reverse("contacts:list"))
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(reverse("contacts:list")).status_code == 200
        return len(ctx.captured_queries)

    for n in range(3):
        ContactFactory.create(name=f"A{n}", phones=[iran_mobile(n)], tags=["t"], flags=[(flag_type, "")])
    small = count()
    for n in range(3, 25):
        ContactFactory.create(
            name=f"A{n}", phones=[iran_mobile(n)], emails=[f"a{n}@x.com"], tags=["t", f"x{n}"], flags=[(flag_type, "")]
        )
    assert count() == small


# ---------------------------------------------------------------------------------------------- create


def test_it_shows_the_create_form(agent_a, client_for):
    OrganisationFactory.create(name="Acme")
    response = client_for(agent_a).get(reverse("contacts:create"), {"name": "Ali", "phone": "09121234567"})
    assert response.status_code == 200
    html = response.content.decode()
    assert 'value="Ali"' in html
    assert "09121234567" in html
    assert '<option value="Acme">' in html
    assert 'name="allow_duplicates"' not in html  # only offered once duplicates were found


def test_it_creates_a_contact_from_the_form(agent_a, client_for, flag_type):
    org = OrganisationFactory.create(name="Acme")
    response = client_for(agent_a).post(
        reverse("contacts:create"),
        _form_data(
            name="علی رضایی",
            phones="۰۹۱۲۱۲۳۴۵۶۷\n+36 30 123 4567",
            emails="Ali@Example.com, a2@example.com",
            telegram="@ali_r",
            tags="vip, new",
            organisation="acme",
            organisation_role="CEO",
            city="Tehran",
            country="ir",
            latitude="35.7",
            longitude="51.4",
            flags=[str(flag_type.pk)],
            owner=str(agent_a.pk),
        ),
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    contact = Contact.objects.get(name="علی رضایی")
    assert response.url == reverse("contacts:detail", args=[contact.pk])
    assert set(contact.identities.values_list("kind", "value")) == {
        ("phone", "+989121234567"),
        ("phone", "+36301234567"),
        ("email", "ali@example.com"),
        ("email", "a2@example.com"),
        ("telegram", "ali_r"),
    }
    assert contact.affiliations.get().organisation == org
    assert contact.addresses.get().country == "IR"
    assert contact.flags.get().flag_type == flag_type
    assert sorted(contact.tags.values_list("name", flat=True)) == ["new", "vip"]
    assert contact.owner == agent_a
    assert any("created" in m for m in _messages(response))


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"phones": "0912 123 4567\nnot a phone"}, "phones", "not a valid phone number"),
        ({"emails": "nope"}, "emails", "not a valid email address"),
        ({"name": ""}, "name", "required"),
        ({"telegram": "has space"}, None, "not a valid handle"),
        ({"latitude": "35.7"}, "latitude", "both latitude and longitude"),
        ({"country": "1R"}, "country", "two-letter country code"),
        ({"organisation": "No Such Org"}, "organisation", "no organisation with this name"),
        ({"custom_size": "big"}, "custom_size", "Enter a number"),
    ],
)
def test_it_shows_form_errors_and_creates_nothing(agent_a, client_for, overrides, field, message):
    CustomFieldFactory.create(key="size", kind=CustomField.Kind.NUMBER)
    before = _state()
    data = _form_data(**{"name": "Ali Rezaei", **overrides})
    response = client_for(agent_a).post(reverse("contacts:create"), data)
    assert response.status_code == 200
    form = response.context["form"]
    errors = form.errors.get(field if field else "__all__", [])
    assert any(message in e for e in errors), form.errors
    assert message in response.content.decode()
    assert _state() == before


def test_it_warns_about_duplicates_and_creates_anyway_when_asked(agent_a, client_for, customer_x):
    client = client_for(agent_a)
    before = _state()
    data = _form_data(name="Somebody New", phones="+98 912 123 4567")
    response = client.post(reverse("contacts:create"), data)
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="duplicates"' in html
    assert "Xerxes Customer" in html
    assert reverse("contacts:detail", args=[customer_x.pk]) in html
    assert 'name="allow_duplicates"' in html
    assert _state() == before
    response = client.post(reverse("contacts:create"), {**data, "allow_duplicates": "on"})
    assert response.status_code == 302
    assert Identity.objects.filter(value="+989121234567").count() == 2


def test_it_needs_the_add_permission_to_create(outsider, client_for):
    client = client_for(outsider)
    assert client.get(reverse("contacts:create")).status_code == 403
    assert client.post(reverse("contacts:create"), _form_data(name="X")).status_code == 403
    assert not Contact.objects.exists()


# ---------------------------------------------------------------------------------------------- detail


def test_it_shows_the_360_page(agent_a, client_for, flag_type, settings):
    settings.MAP_TILE_URL = "http://127.0.0.1:9/{z}/{x}/{y}.png"  # an installation's own tile server
    org = OrganisationFactory.create(name="Acme Trading")
    ali = ContactFactory.create(
        name="Ali Rezaei",
        phones=["0912 123 4567"],
        emails=["ali@example.com"],
        identities=[services.IdentityIn("telegram", "ali_r")],
        flags=[(flag_type, "owes two invoices")],
        organisations=[(org, "Buyer")],
        tags=["vip"],
        notes="Prefers mornings.",
        addresses=[services.AddressIn(street="Valiasr 1", city="Tehran", latitude="35.7", longitude="51.4")],
        by=agent_a,
    )
    response = client_for(agent_a).get(reverse("contacts:detail", args=[ali.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    assert "+98 912 123 4567" in html
    assert 'href="tel:+989121234567"' in html
    assert "ali@example.com" in html
    assert "@ali_r" in html
    banner = html.split('id="flag-banner"')[1].split("</div>")[0]
    assert "Payment arrears" in banner
    assert "owes two invoices" in banner
    assert reverse("contacts:detail", args=[org.pk]) in html
    assert "Acme Trading" in html
    assert 'id="contact-map"' in html
    assert '"lat": 35.7' in html
    timeline = html.split('id="timeline"')[1]
    assert "Contact created" in timeline
    assert "Prefers mornings." in html
    assert reverse("contacts:edit", args=[ali.pk]) in html
    assert reverse("contacts:delete", args=[ali.pk]) not in html  # agents may not delete


def test_it_leaves_out_the_map_and_banner_when_there_is_nothing_to_show(agent_a, client_for):
    ali = ContactFactory.create(name="Ali", addresses=[services.AddressIn(city="Tehran")])
    html = client_for(agent_a).get(reverse("contacts:detail", args=[ali.pk])).content.decode()
    assert 'id="contact-map"' not in html
    assert 'id="flag-banner"' not in html
    assert "leaflet" not in html


def test_it_lists_the_members_of_an_organisation(agent_a, client_for):
    org = OrganisationFactory.create(name="Acme")
    ali = ContactFactory.create(name="Ali", organisations=[(org, "CEO")])
    html = client_for(agent_a).get(reverse("contacts:detail", args=[org.pk])).content.decode()
    assert reverse("contacts:detail", args=[ali.pk]) in html
    assert "CEO" in html


def test_it_shows_the_360_page_in_persian(agent_a, client_for):
    agent_a.language = "fa"
    agent_a.save(update_fields=["language"])
    ali = ContactFactory.create(name="علی رضایی", phones=["0912 123 4567"])
    moment = datetime.datetime(2024, 3, 20, 12, 0, tzinfo=datetime.UTC)  # 1 Farvardin 1403, 15:30 in Tehran
    Contact.objects.filter(pk=ali.pk).update(created_at=moment)
    Event.objects.filter(contact=ali).update(created_at=moment)
    html = client_for(agent_a).get(reverse("contacts:detail", args=[ali.pk])).content.decode()
    assert 'dir="rtl"' in html
    assert 'lang="fa"' in html
    assert "۱ فروردین ۱۴۰۳ ۱۵:۳۰" in html
    assert "2024-03-20" not in html
    assert "+98 912 123 4567" in html  # phone numbers stay as dialled


def test_it_shows_the_detail_page_in_a_bounded_number_of_queries(agent_a, client_for, flag_type):
    client = client_for(agent_a)
    org = OrganisationFactory.create(name="Acme")
    CustomFieldFactory.create(key="colour")

    def count(contact: Contact) -> int:
        url = reverse("contacts:detail", args=[contact.pk])
        client.get(url)
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url).status_code == 200
        return len(ctx.captured_queries)

    plain = ContactFactory.create(
        name="Plain",
        phones=[iran_mobile(1)],
        organisations=[(org, "")],
        tags=["a"],
        flags=[(flag_type, "")],
        addresses=[services.AddressIn(city="A")],
        custom={"colour": "r"},
    )
    rich = ContactFactory.create(
        name="Rich",
        phones=[iran_mobile(n) for n in range(2, 8)],
        emails=[f"r{n}@x.com" for n in range(4)],
        organisations=[(org, ""), (OrganisationFactory.create(name="Pars"), "")],
        tags=["a", "b", "c"],
        segments=["Gold", "Silver"],
        interests=["Solar"],
        custom={"colour": "blue"},
        flags=[(flag_type, ""), (FlagTypeFactory.create(), "")],
        addresses=[services.AddressIn(city=f"C{n}", latitude=n, longitude=n) for n in range(3)],
    )
    for n in range(5):
        services.contact_update(contact=rich, by=agent_a, rating=n % 5)
    assert count(rich) == count(plain)


# ---------------------------------------------------------------------------------------------- edit


def test_it_edits_a_contact(agent_a, client_for):
    ali = ContactFactory.create(
        name="Ali",
        phones=["0912 111 1111"],
        emails=["a@example.com"],
        tags=["old"],
        identities=[services.IdentityIn("telegram", "ali_one"), services.IdentityIn("telegram", "ali_two")],
    )
    client = client_for(agent_a)
    response = client.get(reverse("contacts:edit", args=[ali.pk]))
    assert response.status_code == 200
    initial = response.context["form"].initial
    assert (initial["version"], initial["telegram"], initial["emails"]) == (1, "ali_one", "a@example.com")
    response = client.post(
        reverse("contacts:edit", args=[ali.pk]),
        _form_data(
            version="1",
            name="Ali Rezaei",
            phones="0912 222 2222",
            emails="a@example.com",
            telegram="ali_one",
            tags="new",
            rating="4",
            status="customer",
        ),
    )
    assert response.status_code == 302, response.context["form"].errors
    ali.refresh_from_db()
    assert (ali.name, ali.rating, ali.status, ali.version) == ("Ali Rezaei", 4, "customer", 2)
    assert list(ali.identities.filter(kind="phone").values_list("value", flat=True)) == ["+989122222222"]
    assert list(ali.tags.values_list("name", flat=True)) == ["new"]
    # The second handle was not on the form: it is kept.
    assert sorted(ali.identities.filter(kind="telegram").values_list("value", flat=True)) == ["ali_one", "ali_two"]


def test_it_refuses_a_stale_edit_with_a_visible_error(agent_a, client_for):
    ali = ContactFactory.create(name="Ali")
    services.contact_update(contact=ali, by=None, name="Ali (changed by someone)")
    response = client_for(agent_a).post(
        reverse("contacts:edit", args=[ali.pk]), _form_data(version="1", name="My version")
    )
    assert response.status_code == 200
    assert "Someone else changed this contact meanwhile" in response.content.decode()
    ali.refresh_from_db()
    assert (ali.name, ali.version) == ("Ali (changed by someone)", 2)


def test_it_shows_edit_errors_and_changes_nothing(agent_a, client_for):
    ali = ContactFactory.create(name="Ali", phones=["0912 111 1111"])
    response = client_for(agent_a).post(
        reverse("contacts:edit", args=[ali.pk]), _form_data(version="1", name="Ali", phones="garbage")
    )
    assert response.status_code == 200
    assert "not a valid phone number" in response.context["form"].errors["phones"][0]
    ali.refresh_from_db()
    assert ali.version == 1
    assert ali.identities.get().value == "+989121111111"


# ---------------------------------------------------------------------------------------------- merge and delete


def test_it_suggests_and_merges_duplicates(dispatcher, client_for):
    ali = ContactFactory.create(name="Ali Rezaei", phones=["0912 111 1111"])
    dup = ContactFactory.create(name="Ali Rezaie", emails=["ali@example.com"])
    other = ContactFactory.create(name="Somebody Else")
    client = client_for(dispatcher)
    response = client.get(reverse("contacts:merge", args=[ali.pk]))
    assert response.status_code == 200
    assert [d.contact.pk for d in response.context["suggestions"]] == [dup.pk]
    response = client.get(reverse("contacts:merge", args=[ali.pk]), {"q": "somebody"})
    assert [c.pk for c in response.context["results"]] == [other.pk]
    response = client.post(reverse("contacts:merge", args=[ali.pk]), {"duplicate_id": str(dup.pk)})
    assert response.status_code == 302
    assert response.url == reverse("contacts:detail", args=[ali.pk])
    assert not Contact.objects.filter(pk=dup.pk).exists()
    assert ali.identities.filter(value="ali@example.com").exists()
    assert any("merged" in m for m in _messages(response))


@pytest.mark.parametrize("duplicate_id", ["self", "987654", "99999999999999999999", "x", "", "org"])
def test_it_refuses_bad_merges_on_the_page(dispatcher, client_for, duplicate_id):
    ali = ContactFactory.create(name="Ali")
    org = OrganisationFactory.create(name="Org")
    value = {"self": str(ali.pk), "org": str(org.pk)}.get(duplicate_id, duplicate_id)
    before = _state()
    response = client_for(dispatcher).post(reverse("contacts:merge", args=[ali.pk]), {"duplicate_id": value})
    assert response.status_code == 200
    assert response.context["form"].errors
    assert 'class="alert alert-danger"' in response.content.decode()
    assert _state() == before


def test_it_deletes_with_the_delete_permission_only(agent_a, supervisor, client_for):
    ali = ContactFactory.create(name="Ali")
    url = reverse("contacts:delete", args=[ali.pk])
    assert client_for(agent_a).post(url).status_code == 403
    assert client_for(supervisor).get(url).status_code == 405
    response = client_for(supervisor).post(url)
    assert response.status_code == 302
    assert response.url == reverse("contacts:list")
    assert not Contact.objects.filter(pk=ali.pk).exists()
    assert client_for(supervisor).post(url).status_code == 404


def test_it_needs_the_merge_permission(agent_a, client_for):
    ali, dup = ContactFactory.create(name="Ali"), ContactFactory.create(name="Dup")
    assert client_for(agent_a).get(reverse("contacts:merge", args=[ali.pk])).status_code == 403
    assert (
        client_for(agent_a).post(reverse("contacts:merge", args=[ali.pk]), {"duplicate_id": dup.pk}).status_code == 403
    )
    assert Contact.objects.count() == 2


# ---------------------------------------------------------------------------------------------- small actions


def test_it_adds_and_removes_a_flag(agent_a, client_for, flag_type):
    ali = ContactFactory.create(name="Ali")
    client = client_for(agent_a)
    add = reverse("contacts:flag_add", args=[ali.pk])
    assert _flash(client, add, {"flag_type": flag_type.pk, "note": "n"}) == ["Flag added."]
    flag = ali.flags.get()
    assert (flag.note, flag.created_by) == ("n", agent_a)
    assert "already has this flag" in _flash(client, add, {"flag_type": flag_type.pk})[0]
    assert _flash(client, add, {"flag_type": "987654"})[0].startswith("Flag:")
    assert _flash(client, add, {"flag_type": FlagTypeFactory.create(is_active=False).pk})[0].startswith("Flag:")
    assert _flash(client, add, {"flag_type": flag_type.pk, "note": "n" * 256})[0].startswith("Note:")
    assert ali.flags.count() == 1
    assert _flash(client, reverse("contacts:flag_remove", args=[ali.pk, flag.pk])) == ["Flag removed."]
    assert not ali.flags.exists()
    assert "No such flag" in _flash(client, reverse("contacts:flag_remove", args=[ali.pk, flag.pk]))[0]
    assert [e.verb for e in Event.objects.filter(contact=ali).order_by("id")] == [
        "contact.created",
        "contact.flag_added",
        "contact.flag_removed",
    ]


def test_it_adds_and_removes_an_identity(agent_a, client_for):
    ali = ContactFactory.create(name="Ali")
    client = client_for(agent_a)
    add = reverse("contacts:identity_add", args=[ali.pk])
    assert _flash(client, add, {"kind": "phone", "value": "۰۹۱۲ ۱۲۳ ۴۵۶۷", "label": "mobile"}) == ["Identity added."]
    identity = ali.identities.get()
    assert (identity.value, identity.label, identity.is_primary) == ("+989121234567", "mobile", True)
    assert "not a valid phone number" in _flash(client, add, {"kind": "phone", "value": "garbage"})[0]
    assert "already has this identity" in _flash(client, add, {"kind": "phone", "value": "+989121234567"})[0]
    assert _flash(client, add, {"kind": "fax", "value": "1"})[0].startswith("Kind:")
    assert ali.identities.count() == 1
    remove = reverse("contacts:identity_remove", args=[ali.pk, identity.pk])
    assert _flash(client, remove) == ["Identity removed."]
    assert not ali.identities.exists()
    assert "No such identity" in _flash(client, remove)[0]


def test_it_adds_and_removes_an_address(agent_a, client_for):
    ali = ContactFactory.create(name="Ali")
    client = client_for(agent_a)
    add = reverse("contacts:address_add", args=[ali.pk])
    assert _flash(
        client,
        add,
        {
            "label": "Home",
            "street": "Valiasr 1",
            "city": "Tehran",
            "country": "ir",
            "latitude": "35.7",
            "longitude": "51.4",
        },
    ) == ["Address added."]
    address = ali.addresses.get()
    assert (address.country, str(address.latitude)) == ("IR", "35.700000")
    for bad in (
        {"city": "Tehran", "latitude": "35.7"},
        {"city": "Tehran", "country": "Iran"},
        {"city": "Tehran", "latitude": "north", "longitude": "0"},
        {},
    ):
        shown = _flash(client, add, bad)
        assert len(shown) == 1
        assert shown[0] != "Address added.", bad
    assert ali.addresses.count() == 1
    remove = reverse("contacts:address_remove", args=[ali.pk, address.pk])
    assert _flash(client, remove) == ["Address removed."]
    assert not ali.addresses.exists()
    assert "No such address" in _flash(client, remove)[0]


def test_it_links_and_unlinks_an_organisation(agent_a, client_for):
    ali = ContactFactory.create(name="Ali")
    org = OrganisationFactory.create(name="Acme Trading")
    client = client_for(agent_a)
    add = reverse("contacts:affiliation_add", args=[ali.pk])
    assert _flash(client, add, {"organisation": "acme trading", "role": "CEO"}) == ["Organisation linked."]
    link = ali.affiliations.get()
    assert (link.organisation, link.role) == (org, "CEO")
    assert "no organisation with this name" in _flash(client, add, {"organisation": "Nowhere Ltd"})[0]
    assert (
        "Only a person"
        in _flash(client, reverse("contacts:affiliation_add", args=[org.pk]), {"organisation": "Acme Trading"})[0]
    )
    assert Affiliation.objects.count() == 1
    remove = reverse("contacts:affiliation_remove", args=[ali.pk, link.pk])
    assert _flash(client, remove) == ["Link removed."]
    assert not Affiliation.objects.exists()
    assert "No such link" in _flash(client, remove)[0]


# ---------------------------------------------------------------------------------------------- access


def _all_pages(contact: Contact, flag_type_id: int) -> list[tuple[str, str, dict]]:
    pk = contact.pk
    return [
        ("get", reverse("contacts:list"), {}),
        ("get", reverse("contacts:create"), {}),
        ("post", reverse("contacts:create"), _form_data(name="X")),
        ("get", reverse("contacts:detail", args=[pk]), {}),
        ("get", reverse("contacts:edit", args=[pk]), {}),
        ("post", reverse("contacts:edit", args=[pk]), _form_data(name="X", version="1")),
        ("get", reverse("contacts:merge", args=[pk]), {}),
        ("post", reverse("contacts:delete", args=[pk]), {}),
        ("post", reverse("contacts:flag_add", args=[pk]), {"flag_type": flag_type_id}),
        ("post", reverse("contacts:flag_remove", args=[pk, 1]), {}),
        ("post", reverse("contacts:identity_add", args=[pk]), {"kind": "email", "value": "a@b.com"}),
        ("post", reverse("contacts:identity_remove", args=[pk, 1]), {}),
        ("post", reverse("contacts:address_add", args=[pk]), {"city": "X"}),
        ("post", reverse("contacts:address_remove", args=[pk, 1]), {}),
        ("post", reverse("contacts:affiliation_add", args=[pk]), {"organisation": "X"}),
        ("post", reverse("contacts:affiliation_remove", args=[pk, 1]), {}),
    ]


def test_it_forbids_every_page_to_a_user_without_a_role(outsider, client_for, flag_type):
    ali = ContactFactory.create(name="Ali", phones=["0912 123 4567"], flags=[(flag_type, "")])
    client = client_for(outsider)
    before = _state()
    for method, url, data in _all_pages(ali, flag_type.pk):
        response = getattr(client, method)(url, data)
        assert response.status_code == 403, (method, url)
        assert "Ali" not in response.content.decode()
    assert _state() == before


def test_it_sends_anonymous_visitors_to_the_login_page(client_for, flag_type):
    ali = ContactFactory.create(name="Ali")
    client = client_for(None)
    before = _state()
    for method, url, data in _all_pages(ali, flag_type.pk):
        response = getattr(client, method)(url, data)
        assert response.status_code == 302, (method, url)
        assert response.url.startswith(reverse("accounts:login")), url
    assert _state() == before


def test_it_says_not_found_for_a_missing_contact(agent_a, client_for):
    client = client_for(agent_a)
    for name in ("detail", "edit"):
        assert client.get(reverse(f"contacts:{name}", args=[987654])).status_code == 404
    assert client.get("/contacts/99999999999999999999/").status_code == 404
    assert client.post(reverse("contacts:flag_add", args=[987654]), {"flag_type": 1}).status_code == 404
