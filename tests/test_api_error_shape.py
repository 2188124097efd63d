"""The API's one error shape also holds for what Django and ninja answer themselves, and for NUL characters
(which PostgreSQL cannot store: they used to be 500s there). Schemathesis found these; these tests pin them down."""

from __future__ import annotations

from typing import Any

import pytest

pytestmark = pytest.mark.django_db


def _shape(response: Any) -> dict[str, Any]:
    assert response["Content-Type"].startswith("application/json"), response.content[:200]
    body = response.json()
    assert set(body) >= {"detail", "errors"}
    assert isinstance(body["detail"], str)
    assert body["detail"]
    assert all(set(e) == {"field", "message"} for e in body["errors"])
    return body


@pytest.mark.parametrize("path", ["/api/v1/nope", "/api/v1/me/", "/api/v1/contacts/1/nothing-here"])
def test_it_answers_unknown_api_paths_with_a_json_404(admin_user, api_for, path):
    response = api_for(admin_user).get(path)
    assert response.status_code == 404
    _shape(response)


def test_it_answers_a_method_the_path_does_not_allow_with_a_json_405(admin_user, api_for):
    response = api_for(admin_user).put("/api/v1/contacts", data={}, content_type="application/json")
    assert response.status_code == 405
    assert "GET" in response["Allow"]
    assert "POST" in response["Allow"]
    _shape(response)


def test_it_leaves_the_html_404_of_pages_alone(admin_user, client_for):
    response = client_for(admin_user).get("/no-such-page/")
    assert response.status_code == 404
    assert not response["Content-Type"].startswith("application/json")


@pytest.mark.parametrize(
    ("path", "field"),
    [
        ("/api/v1/contacts/search?q=a%00b", "q"),
        ("/api/v1/contacts?q=a%00", "q"),
        ("/api/v1/contacts?tag=a%00", "tag"),
        ("/api/v1/contacts?segment=%00", "segment"),
    ],
)
def test_it_refuses_nul_characters_in_the_query(admin_user, api_for, path, field):
    response = api_for(admin_user).get(path)
    assert response.status_code == 422
    assert _shape(response)["errors"][0]["field"] == field


@pytest.mark.parametrize(
    ("method", "path", "payload", "field"),
    [
        ("post", "/api/v1/contacts", {"name": "a\x00b", "allow_duplicates": True}, "name"),
        ("post", "/api/v1/contacts", {"name": "Ali", "tags": ["x\x00"]}, "tags.0"),
        ("post", "/api/v1/contacts", {"name": "Ali", "notes": "\x00"}, "notes"),
        ("post", "/api/v1/contacts", {"name": "Ali", "addresses": [{"city": "\x00"}]}, "addresses.0.city"),
        ("post", "/api/v1/contacts/duplicates", {"name": "a\x00"}, "name"),
        ("patch", "/api/v1/me", {"full_name": "a\x00"}, "full_name"),
        ("post", "/api/v1/me/tokens", {"name": "a\x00"}, "name"),
    ],
)
def test_it_refuses_nul_characters_in_the_body_and_writes_nothing(admin_user, api_for, method, path, payload, field):
    from payvand.contacts.models import Contact

    before = Contact.objects.count()
    response = getattr(api_for(admin_user), method)(path, data=payload, content_type="application/json")
    assert response.status_code == 422
    assert _shape(response)["errors"][0]["field"] == field
    assert Contact.objects.count() == before


def test_it_still_answers_a_body_that_is_not_json_with_400(admin_user, api_for):
    response = api_for(admin_user).post("/api/v1/contacts", data="{bad", content_type="application/json")
    assert response.status_code == 400
    _shape(response)


@pytest.mark.parametrize(
    "url", ["/search/?q=a%00b", "/contacts/?q=%00", "/contacts/?tag=%00", "/contacts/?segment=%00"]
)
def test_it_serves_pages_whose_query_has_nul_characters(admin_user, client_for, url):
    assert client_for(admin_user).get(url).status_code == 200


@pytest.mark.parametrize("part", ["address", "identity", "flag", "organisation"])
def test_it_refuses_a_part_for_a_contact_deleted_meanwhile(admin_user, customer_x, flag_type, part):
    """Schemathesis (4 workers) added an address while another request deleted the contact: the foreign key failed
    at commit, a 500. The services now lock the contact first and answer 404."""
    from payvand.contacts import services
    from payvand.contacts.models import Contact
    from payvand.core.errors import NotFound

    org = services.contact_create(by=None, name="Acme Ltd", kind=Contact.Kind.ORGANISATION)
    Contact.objects.filter(pk=customer_x.pk).delete()  # customer_x is now a stale object, as in a racing request
    calls = {
        "address": lambda: services.contact_address_add(
            contact=customer_x, address=services.AddressIn(city="Tehran"), by=admin_user
        ),
        "identity": lambda: services.contact_identity_add(
            contact=customer_x, kind="email", value="new@example.com", by=admin_user
        ),
        "flag": lambda: services.contact_flag_add(contact=customer_x, flag_type=flag_type, by=admin_user),
        "organisation": lambda: services.contact_affiliation_add(person=customer_x, organisation=org, by=admin_user),
    }
    with pytest.raises(NotFound):
        calls[part]()
