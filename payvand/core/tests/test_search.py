"""The global search page: contacts by name, phone (in any format) and email; the htmx partial; who may search."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

pytestmark = pytest.mark.django_db

URL = reverse("core:search")


def _names(response) -> list[str]:
    return [c.name for c in response.context["results"]]


@pytest.mark.parametrize("q", ["Xerxes", "xerx", "Customer Xerxes", "XERXES customer"])
def test_it_finds_contacts_by_name(agent_a, customer_x, customer_y, client_for, q):
    response = client_for(agent_a).get(URL, {"q": q})
    assert response.status_code == 200
    assert _names(response) == ["Xerxes Customer"]
    html = response.content.decode()
    assert "Xerxes Customer" in html
    assert "Yvette" not in html
    assert '<html lang="en"' in html
    assert 'id="search-count"' in html


def test_it_finds_both_by_a_shared_word(agent_a, customer_x, customer_y, client_for):
    assert sorted(_names(client_for(agent_a).get(URL, {"q": "customer"}))) == ["Xerxes Customer", "Yvette Customer"]


@pytest.mark.parametrize(
    "q",
    [
        "0912 123 4567",
        "09121234567",
        "+989121234567",
        "+98 912 123 4567",
        "0098 912 123 4567",
        "۰۹۱۲۱۲۳۴۵۶۷",
        "۰۹۱۲ ۱۲۳ ۴۵۶۷",
        "٠٩١٢١٢٣٤٥٦٧",
        "(0912) 123-4567",
    ],
)
def test_it_finds_an_iranian_phone_written_any_way(agent_a, customer_x, customer_y, client_for, q):
    assert _names(client_for(agent_a).get(URL, {"q": q})) == ["Xerxes Customer"]


@pytest.mark.parametrize("q", ["+36 30 123 4567", "+36 (30) 123-4567", "0036 30 123 4567", "+36301234567"])
def test_it_finds_a_hungarian_phone_written_any_way(agent_a, customer_x, customer_y, client_for, q):
    assert _names(client_for(agent_a).get(URL, {"q": q})) == ["Yvette Customer"]


@pytest.mark.parametrize("q", ["x@example.com", "X@Example.COM"])
def test_it_finds_contacts_by_email(agent_a, customer_x, customer_y, client_for, q):
    assert _names(client_for(agent_a).get(URL, {"q": q})) == ["Xerxes Customer"]


def test_it_says_when_nothing_is_found(agent_a, customer_x, client_for):
    response = client_for(agent_a).get(URL, {"q": "Zoltan"})
    assert response.status_code == 200
    assert _names(response) == []
    assert "Nothing found." in response.content.decode()


@pytest.mark.parametrize(
    "q", ["", "   ", '"', "*", "'; DROP TABLE contacts_contact; --", "a" * 5000, "%_%", "NEAR(", "+98", "\u200c"]
)
def test_it_copes_with_odd_queries(agent_a, customer_x, client_for, q):
    response = client_for(agent_a).get(URL, {"q": q})
    assert response.status_code == 200
    assert len(response.context["q"]) <= 200


def test_it_returns_only_the_partial_to_htmx(agent_a, customer_x, client_for):
    response = client_for(agent_a).get(URL, {"q": "Xerxes"}, headers={"HX-Request": "true"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "Xerxes Customer" in html
    assert 'id="search-count"' in html
    assert "<html" not in html
    assert "<nav" not in html
    assert 'id="search-q"' not in html


def test_it_goes_straight_to_a_single_hit_when_asked(agent_a, customer_x, customer_y, client_for):
    response = client_for(agent_a).get(URL, {"q": "+989121234567", "go": "1"})
    assert response.status_code == 302
    assert response["Location"] == reverse("contacts:detail", args=[customer_x.pk])
    response = client_for(agent_a).get(URL, {"q": "customer", "go": "1"})  # two hits: the list
    assert response.status_code == 200


def test_it_forbids_a_user_without_a_role(outsider, customer_x, client_for):
    response = client_for(outsider).get(URL, {"q": "Xerxes"})
    assert response.status_code == 403
    assert b"Xerxes" not in response.content
    response = client_for(outsider).get(URL, {"q": "Xerxes"}, headers={"HX-Request": "true"})
    assert response.status_code == 403
    assert client_for(outsider).get(URL).status_code == 403


def test_it_sends_anonymous_visitors_to_the_login_page(customer_x):
    response = Client().get(URL, {"q": "Xerxes"})
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))
