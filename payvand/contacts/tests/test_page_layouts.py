"""The configurable 360° page (R-001.7, R-001.8): sections per team, in order; the first team's layout; the default;
the admin page and the API, with bad input and outsiders."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from payvand.accounts.models import Team
from payvand.accounts.services import team_add_member
from payvand.contacts.models import ContactPageLayout
from payvand.contacts.sections import default_layout

API = "/api/v1/contacts/page-layouts"


def _sections(html: str) -> list[str]:
    return re.findall(r'<section data-section="([a-z_]+)"', html)


@pytest.fixture
def sales(db) -> Team:
    return Team.objects.create(name="Sales")


def test_without_a_layout_the_page_shows_the_default(client_for, agent_a, customer_x):
    html = client_for(agent_a).get(reverse("contacts:detail", args=[customer_x.pk])).content.decode()
    assert _sections(html) == default_layout()
    assert default_layout()[0] == "flags"
    assert {"tickets", "calls", "appointments", "timeline", "map", "cases"} <= set(default_layout())


def test_support_and_sales_see_different_layouts(
    api_for, client_for, admin_user, agent_a, agent_b, team_a, team_b, customer_x
):
    api = api_for(admin_user)
    r = api.put(f"{API}/{team_a.pk}", {"sections": ["flags", "calls", "tickets"]}, content_type="application/json")
    assert r.status_code == 200, r.content
    assert r.json() == {
        "team_id": team_a.pk,
        "team": "Team A",
        "sections": ["flags", "calls", "tickets"],
        "is_default": False,
    }
    api.put(f"{API}/{team_b.pk}", {"sections": ["map", "timeline"]}, content_type="application/json")
    url = reverse("contacts:detail", args=[customer_x.pk])
    support = client_for(agent_a).get(url).content.decode()
    sales = client_for(agent_b).get(url).content.decode()
    assert _sections(support) == ["flags", "calls", "tickets"]
    assert _sections(sales) == ["map", "timeline"]
    assert 'id="contact-addresses"' in sales
    assert 'id="contact-addresses"' not in support
    assert 'id="timeline"' in sales
    assert 'id="timeline"' not in support
    body = api.get(API).json()
    assert {t["team"]: t["sections"] for t in body["teams"]} == {
        "Team A": ["flags", "calls", "tickets"],
        "Team B": ["map", "timeline"],
    }
    assert {"flags", "tickets", "calls", "timeline", "map", "appointments"} <= {s["key"] for s in body["available"]}
    # null goes back to the default
    r = api.put(f"{API}/{team_b.pk}", {"sections": None}, content_type="application/json")
    assert r.json()["is_default"] is True
    assert _sections(client_for(agent_b).get(url).content.decode()) == default_layout()


def test_a_user_in_several_teams_gets_the_first_teams_layout(
    client_for, admin_user, agent_a, team_a, sales, customer_x
):
    from payvand.contacts.services import contact_page_layout_set

    team_add_member(team=sales, user=agent_a, by=None)  # joined after Team A
    contact_page_layout_set(by=admin_user, team=sales, sections=["timeline"])
    url = reverse("contacts:detail", args=[customer_x.pk])
    assert _sections(client_for(agent_a).get(url).content.decode()) == ["timeline"]  # Team A has none: next team
    contact_page_layout_set(by=admin_user, team=team_a, sections=["tickets", "flags"])
    assert _sections(client_for(agent_a).get(url).content.decode()) == ["tickets", "flags"]


def test_a_section_needs_its_permission(client_for, admin_user, team_a, customer_x, role_groups):
    from payvand.accounts import roles
    from payvand.accounts.services import user_create
    from payvand.contacts.services import contact_page_layout_set

    marketer = user_create(email="m@example.com", password="pw-Secret-123", full_name="M", role_names=[roles.MARKETER])
    team_add_member(team=team_a, user=marketer, by=None)
    contact_page_layout_set(by=admin_user, team=team_a, sections=["calls", "timeline"])
    html = client_for(marketer).get(reverse("contacts:detail", args=[customer_x.pk])).content.decode()
    assert _sections(html) == ["timeline"]  # marketers do not see calls


@pytest.mark.parametrize(
    "body",
    [
        {"sections": ["flags", "deals"]},
        {"sections": ["flags", "flags"]},
        {"sections": []},
        {"sections": "flags"},
        {},
        {"sections": ["x" * 41]},
    ],
)
def test_bad_layouts_are_a_422_and_change_nothing(api_for, admin_user, team_a, body):
    r = api_for(admin_user).put(f"{API}/{team_a.pk}", body, content_type="application/json")
    assert r.status_code == 422, r.content
    assert r.json()["detail"]
    assert not ContactPageLayout.objects.exists()


def test_only_admins_change_layouts(api_for, client_for, agent_a, supervisor, outsider, team_a):
    for user in (agent_a, supervisor, outsider):
        assert api_for(user).get(API).status_code == 403
        r = api_for(user).put(f"{API}/{team_a.pk}", {"sections": ["flags"]}, content_type="application/json")
        assert r.status_code == 403
        assert client_for(user).get(reverse("contacts:layouts")).status_code == 403
    assert (
        api_for(agent_a).put(f"{API}/{10**9}", {"sections": ["flags"]}, content_type="application/json").status_code
        == 403
    )
    assert not ContactPageLayout.objects.exists()


def test_admins_edit_the_layout_on_the_page(client_for, admin_user, team_a, team_b):
    client = client_for(admin_user)
    html = client.get(reverse("contacts:layouts")).content.decode()
    assert f'id="layout-{team_a.pk}"' in html
    assert f'id="layout-{team_b.pk}"' in html
    r = client.post(
        reverse("contacts:layout_save", args=[team_a.pk]),
        {"show_map": "1", "order_map": "۱", "show_tickets": "1", "order_tickets": "2", "order_timeline": "3"},
    )
    assert r.status_code == 302
    assert ContactPageLayout.objects.get(team=team_a).sections == ["map", "tickets"]  # Persian digits read
    html = client.get(reverse("contacts:layouts")).content.decode()
    form = html.split(f'id="layout-{team_a.pk}"')[1].split("</form>")[0]
    assert form.index('name="show_map"') < form.index('name="show_tickets"')
    assert f'name="show_map" value="1" id="show-{team_a.pk}-map" checked' in form
    # bad input: a message, nothing changed
    r = client.post(
        reverse("contacts:layout_save", args=[team_a.pk]), {"show_flags": "1", "order_flags": "first"}, follow=True
    )
    assert "is not a number" in r.content.decode()
    r = client.post(reverse("contacts:layout_save", args=[team_a.pk]), {}, follow=True)
    assert "Choose at least one section" in r.content.decode()
    assert ContactPageLayout.objects.get(team=team_a).sections == ["map", "tickets"]
    client.post(reverse("contacts:layout_save", args=[team_a.pk]), {"reset": "1"})
    assert not ContactPageLayout.objects.filter(team=team_a).exists()
    assert client.post(reverse("contacts:layout_save", args=[10**9]), {"show_map": "1"}).status_code == 404


def test_the_map_section_without_a_tile_server_links_geo(client_for, agent_a, db):
    from payvand.contacts import services

    ali = services.contact_create(
        by=agent_a,
        name="Ali",
        addresses=[services.AddressIn(street="Valiasr 1", city="Tehran", latitude="35.7", longitude="51.4")],
    )
    html = client_for(agent_a).get(reverse("contacts:detail", args=[ali.pk])).content.decode()
    assert 'href="geo:35.7' in html
    assert 'id="contact-map"' not in html
    assert "leaflet" not in html
