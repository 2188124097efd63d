"""Search runs on SQLite (FTS5) and PostgreSQL (tsvector + trigram): every test here runs on both."""

from __future__ import annotations

import pytest
from django.db import connection

from payvand.contacts import services
from payvand.contacts.models import Contact
from payvand.contacts.selectors import contact_search, contact_search_ids
from payvand.contacts.tests.factories import ContactFactory, OrganisationFactory
from payvand.core import search
from payvand.core.errors import PermissionDenied

pytestmark = pytest.mark.django_db


@pytest.fixture
def people() -> dict[str, Contact]:
    acme = OrganisationFactory.create(name="Acme Trading", emails=["info@acme.example"])
    return {
        "acme": acme,
        "ali": ContactFactory.create(name="Ali Rezaei", phones=["0912 123 4567"], emails=["ali.r@example.com"]),
        "aliakbar": ContactFactory.create(name="Aliakbar Karimi", phones=["+36 30 123 4567"]),
        "sara": ContactFactory.create(name="سارا کریمی", emails=["sara@example.ir"]),
        "gabor": ContactFactory.create(name="Nagy Gábor", phones=["06 70 234 1003"], organisations=[(acme, "Buyer")]),
        "anna": ContactFactory.create(name="Kovács Anna", identities=[services.IdentityIn("telegram", "anna_k")]),
    }


def _ids(text: str, **kwargs) -> list[int]:
    return contact_search_ids(text=text, **kwargs)


def test_it_finds_by_name_prefix(people):
    assert _ids("Ali") == [people["ali"].pk, people["aliakbar"].pk]
    assert _ids("rez") == [people["ali"].pk]
    assert _ids("ali rez") == [people["ali"].pk]
    assert _ids("REZAEI ALI") == [people["ali"].pk]


def test_it_finds_hungarian_names_with_or_without_accents(people):
    assert _ids("gabor") == [people["gabor"].pk]
    assert _ids("Gábor") == [people["gabor"].pk]
    assert _ids("kovacs") == [people["anna"].pk]


def test_it_finds_persian_names_typed_with_arabic_letters(people):
    assert _ids("سارا") == [people["sara"].pk]
    assert _ids("كريمي") == [people["sara"].pk]  # Arabic kaf and yeh
    assert _ids("کریمی") == [people["sara"].pk]


def test_it_finds_a_person_by_their_organisations_name(people):
    assert _ids("acme") == [people["acme"].pk, people["gabor"].pk]
    assert _ids("trading") == [people["acme"].pk, people["gabor"].pk]


def test_it_finds_by_email(people):
    assert _ids("ALI.R@Example.com")[0] == people["ali"].pk
    assert _ids("sara@example.ir") == [people["sara"].pk]
    assert _ids("info@acme.example")[0] == people["acme"].pk


@pytest.mark.parametrize(
    "phone", ["+989121234567", "۰۹۱۲۱۲۳۴۵۶۷", "0912 123 4567", "0098 912 123 4567", "989121234567", "09121234567"]
)
def test_it_finds_by_phone_in_any_format(people, phone):
    assert _ids(phone) == [people["ali"].pk]


@pytest.mark.parametrize("partial", ["0912 12", "09121", "+98 912", "0098 912 1", "+36 30 12", "0630123", "٠٩١٢"])
def test_it_finds_by_a_phone_being_typed(people, partial):
    expected = people["aliakbar"].pk if "36" in partial or "063" in partial else people["ali"].pk
    assert _ids(partial) == [expected]


def test_it_finds_by_social_handle(people):
    assert _ids("anna_k") == [people["anna"].pk]


def test_it_finds_nothing_for_nonsense(people):
    assert _ids("zzzz") == []
    assert _ids("") == []
    assert _ids("   ") == []
    assert _ids('"*()') == []
    assert _ids("AND OR NOT") == []


def test_it_ranks_name_matches_first_and_respects_the_limit(people):
    workers = [ContactFactory.create(name=f"Worker {n:02d}", organisations=[(people["acme"], "")]) for n in range(6)]
    found = _ids("acme", limit=4)
    assert found == [people["acme"].pk, people["gabor"].pk, workers[0].pk, workers[1].pk]
    assert len(_ids("worker", limit=3)) == 3
    assert len(_ids("worker", limit=50)) == 6


def test_it_keeps_the_index_in_step_after_an_update(people):
    ali = people["ali"]
    services.contact_update(contact=ali, by=None, name="Reza Tehrani", phones=["0935 111 2222"])
    assert _ids("rezaei") == []
    assert _ids("tehrani") == [ali.pk]
    assert _ids("09121234567") == []
    assert _ids("+98 935 111 2222") == [ali.pk]
    services.contact_identity_add(contact=ali, kind="email", value="new@mail.example", by=None)
    assert _ids("new@mail.example") == [ali.pk]


def test_it_keeps_the_index_in_step_after_a_merge(people):
    ali, aliakbar = people["ali"], people["aliakbar"]
    services.contact_merge(primary=ali, duplicate=aliakbar, by=None)
    assert _ids("aliakbar") == []
    assert _ids("+36 30 123 4567") == [ali.pk]
    assert _ids("0630123") == [ali.pk]
    assert _ids("ali") == [ali.pk]


def test_it_does_not_return_deleted_contacts(people):
    ali = people["ali"]
    services.contact_delete(contact=ali, by=None)
    assert _ids("ali") == [people["aliakbar"].pk]
    assert _ids("0912 123 4567") == []
    assert _ids("ali.r@example.com") == []
    services.contact_delete(contact=people["acme"], by=None)
    assert _ids("acme") == []


def test_it_scopes_the_search_to_the_viewer(people, agent_a, outsider):
    assert [c.pk for c in contact_search(user=agent_a, text="ali")] == [people["ali"].pk, people["aliakbar"].pk]
    with pytest.raises(PermissionDenied):
        contact_search(user=outsider, text="ali")


def test_it_uses_the_databases_own_index():
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM sqlite_master WHERE name = 'contacts_contact_fts'")
            assert cursor.fetchone()[0] == 1
    else:
        with connection.cursor() as cursor:
            cursor.execute("SELECT indexname FROM pg_indexes WHERE tablename = 'contacts_contact'")
            names = {row[0] for row in cursor.fetchall()}
        assert {"contacts_contact_fts_idx", "contacts_contact_trgm_idx"} <= names


def test_it_finds_similar_names_on_postgresql_only():
    ali = ContactFactory.create(name="Mohammad Rezaei")
    found = set(search.similar_filter(Contact.objects.all(), "mohamad rezaei").values_list("pk", flat=True))
    assert found == ({ali.pk} if connection.vendor == "postgresql" else set())
