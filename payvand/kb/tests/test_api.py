"""The staff knowledge-base API (/api/v1/kb/): list with search, filters and pages, one article, create, change
(a new version each time, 409 when stale), publish, unpublish, archive, delete, categories; the staff pages' rights;
bad input answered in the one error shape; customers never reach drafts or internal articles through it."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from payvand.accounts.models import User
from payvand.contacts.models import Contact
from payvand.kb import services
from payvand.kb.models import Article, ArticleVersion, Category
from payvand.portal.auth import SESSION_KEY

pytestmark = pytest.mark.django_db

BASE = "/api/v1/kb"


@pytest.fixture
def category(db: None) -> Category:
    return Category.objects.create(name="Internet", slug="internet")


@pytest.fixture
def articles(supervisor: User, category: Category) -> dict[str, Article]:
    def make(title: str, **extra: Any) -> Article:
        return services.article_create(
            by=supervisor, category=category, title=title, body=f"{title}: unplug the modem.", **extra
        )

    return {
        "public": make("Restart the router", language="en", state=Article.State.PUBLISHED),
        "draft": make("Router draft", language="en"),
        "internal": make(
            "Router internal notes",
            language="en",
            state=Article.State.PUBLISHED,
            visibility=Article.Visibility.INTERNAL,
        ),
        "hu": make("Router újraindítása", language="hu", state=Article.State.PUBLISHED),
    }


def _errors(response: Any) -> dict[str | None, str]:
    body = response.json()
    assert set(body) == {"detail", "errors"}, body
    assert body["detail"]
    return {e["field"]: e["message"] for e in body["errors"]}


def test_list_filters_search_and_pages(agent_a: User, api_for: Any, articles: dict[str, Article], category: Category):
    api = api_for(agent_a)
    everything = api.get(f"{BASE}/articles", {"count": "true"}).json()
    assert everything["count"] == 4
    assert {a["id"] for a in everything["items"]} == {a.pk for a in articles.values()}  # drafts, internal too
    assert everything["items"][0]["category"] == {
        "id": category.pk,
        "name": "Internet",
        "slug": "internet",
        "order": 100,
    }

    def ids(**params: Any) -> set[int]:
        response = api.get(f"{BASE}/articles", params)
        assert response.status_code == 200, response.content
        return {a["id"] for a in response.json()["items"]}

    assert ids(state="draft") == {articles["draft"].pk}
    assert ids(visibility="internal") == {articles["internal"].pk}
    assert ids(language="hu") == {articles["hu"].pk}
    assert ids(category=category.pk, state="published", visibility="public", language="en") == {articles["public"].pk}
    assert ids(q="rout", language="en") == {articles["public"].pk, articles["draft"].pk, articles["internal"].pk}
    assert ids(q="rout", state="draft") == {articles["draft"].pk}
    assert ids(q="nothing-like-this") == set()

    seen: list[int] = []
    cursor = None
    for _ in range(4):
        params: dict[str, Any] = {"limit": 3}
        if cursor:
            params["cursor"] = cursor
        page = api.get(f"{BASE}/articles", params).json()
        seen += [a["id"] for a in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert len(seen) == 4
    assert set(seen) == {a.pk for a in articles.values()}
    assert page["count"] is None


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"language": "xx"}, "language"),
        ({"visibility": "secret"}, "visibility"),
        ({"state": "gone"}, "state"),
        ({"category": "abc"}, "category"),
        ({"category": "0"}, "category"),
        ({"limit": "0"}, "limit"),
        ({"limit": "201"}, "limit"),
        ({"q": "x" * 201}, "q"),
        ({"cursor": "not-a-cursor"}, "cursor"),
        ({"cursor": "WzEsMl0"}, "cursor"),  # base64 of [1,2]: not a time
        ({"q": "router", "cursor": "WzEsMl0"}, "cursor"),
        ({"q": "a\x00b"}, "q"),
    ],
)
def test_list_bad_input_gets_422_on_the_field(admin_user: User, api_for: Any, params: dict[str, str], field: str):
    response = api_for(admin_user).get(f"{BASE}/articles", params)
    assert response.status_code == 422, response.content
    assert field in {(f or "").split(".")[-1] for f in _errors(response)}


def test_create_change_versions_publish_archive_delete(
    agent_a: User, admin_user: User, api_for: Any, category: Category
):
    api = api_for(agent_a)
    made = api.post(
        f"{BASE}/articles",
        {"category_id": category.pk, "title": "Reset the password", "body": "Use the link.", "language": "en"},
        "application/json",
    )
    assert made.status_code == 201, made.content
    body = made.json()
    assert (body["state"], body["visibility"], body["version"], body["slug"]) == (
        "draft",
        "public",
        1,
        "reset-the-password",
    )
    pk = body["id"]
    assert body["url"] == "/kb/internet/reset-the-password/"

    changed = api.patch(f"{BASE}/articles/{pk}", {"version": 1, "body": "Use the emailed link."}, "application/json")
    assert changed.status_code == 200, changed.content
    assert (changed.json()["version"], changed.json()["body"]) == (2, "Use the emailed link.")
    assert changed.json()["title"] == "Reset the password"  # what was not sent stays
    stale = api.patch(f"{BASE}/articles/{pk}", {"version": 1, "body": "stale"}, "application/json")
    assert stale.status_code == 409
    assert "version" in _errors(stale)

    published = api.post(f"{BASE}/articles/{pk}/publish", {"version": 2}, "application/json")
    assert published.status_code == 200
    assert (published.json()["state"], published.json()["version"]) == ("published", 3)
    assert published.json()["published_at"] is not None
    assert Client().get(f"/api/v1/portal/kb/articles/{pk}").status_code == 200
    unpublished = api.post(f"{BASE}/articles/{pk}/unpublish", {}, "application/json")
    assert unpublished.json()["state"] == "draft"
    assert Client().get(f"/api/v1/portal/kb/articles/{pk}").status_code == 404
    archived = api.post(f"{BASE}/articles/{pk}/archive", {}, "application/json")
    assert archived.json()["state"] == "archived"
    assert Client().get("/kb/internet/reset-the-password/").status_code == 404

    versions = api.get(f"{BASE}/articles/{pk}/versions").json()
    assert [v["number"] for v in versions] == [5, 4, 3, 2, 1]
    assert [v["state"] for v in versions] == ["archived", "draft", "published", "draft", "draft"]
    assert versions[-1]["body"] == "Use the link."
    assert ArticleVersion.objects.filter(article_id=pk).count() == 5

    assert api.delete(f"{BASE}/articles/{pk}").status_code == 403  # agents may not delete
    assert api_for(admin_user).delete(f"{BASE}/articles/{pk}").status_code == 204
    assert not Article.objects.filter(pk=pk).exists()
    assert api.get(f"{BASE}/articles/{pk}").status_code == 404


def test_deleting_the_first_article_of_a_translation_group_keeps_the_others_linked(
    admin_user: User, supervisor: User, api_for: Any, category: Category
):
    first = services.article_create(by=supervisor, category=category, title="Modem", body="x", language="en")
    fa = services.article_create(
        by=supervisor, category=category, title="مودم", body="x", language="fa", translation_of=first
    )
    hu = services.article_create(
        by=supervisor, category=category, title="Modem hu", body="x", language="hu", translation_of=first
    )
    assert api_for(admin_user).delete(f"{BASE}/articles/{first.pk}").status_code == 204
    fa.refresh_from_db()
    hu.refresh_from_db()
    assert fa.translation_of_id is None
    assert hu.translation_of_id == fa.pk


@pytest.mark.parametrize(
    ("payload", "fields"),
    [
        ({}, {"category_id", "title", "body", "language"}),
        ({"category_id": 999999, "title": "t", "body": "b", "language": "en"}, {"category_id"}),
        ({"category_id": 0, "title": "t", "body": "b", "language": "en"}, {"category_id"}),
        ({"category_id": "CAT", "title": "t", "body": "b", "language": "xx"}, {"language"}),
        ({"category_id": "CAT", "title": " ", "body": " ", "language": "en"}, {"title", "body"}),
        ({"category_id": "CAT", "title": "t" * 201, "body": "b", "language": "en"}, {"title"}),
        ({"category_id": "CAT", "title": "t", "body": "b", "language": "en", "state": "gone"}, {"state"}),
        ({"category_id": "CAT", "title": "t", "body": "b", "language": "en", "visibility": "x"}, {"visibility"}),
        (
            {"category_id": "CAT", "title": "t", "body": "b", "language": "en", "translation_of": 99999},
            {"translation_of"},
        ),
        ({"category_id": "CAT", "title": "t\x00", "body": "b", "language": "en"}, {"title"}),
    ],
)
def test_create_bad_input(agent_a: User, api_for: Any, category: Category, payload: dict[str, Any], fields: set[str]):
    payload = {k: (category.pk if v == "CAT" else v) for k, v in payload.items()}
    response = api_for(agent_a).post(f"{BASE}/articles", payload, "application/json")
    assert response.status_code == 422, response.content
    assert {(f or "").split(".")[-1] for f in _errors(response)} >= fields
    assert not Article.objects.exists()


def test_change_bad_input_and_missing_ids(agent_a: User, api_for: Any, articles: dict[str, Article]):
    api = api_for(agent_a)
    pk = articles["draft"].pk
    for payload, field in (
        ({"title": ""}, "title"),
        ({"state": "gone"}, "state"),
        ({"category_id": 999999}, "category_id"),
        ({"version": 0}, "version"),
        ({"body": "x" * 200_001}, "body"),
    ):
        response = api.patch(f"{BASE}/articles/{pk}", payload, "application/json")
        assert response.status_code == 422, (payload, response.content)
        assert field in {(f or "").split(".")[-1] for f in _errors(response)}
    assert api.patch(f"{BASE}/articles/{pk}", "not json", "application/json").status_code in (400, 422)
    for method, path in (
        ("get", "/articles/999999"),
        ("patch", "/articles/999999"),
        ("delete", "/articles/999999"),
        ("post", "/articles/999999/publish"),
        ("get", "/articles/999999/versions"),
    ):
        response = getattr(api, method)(f"{BASE}{path}", {}, "application/json")
        assert response.status_code in (403, 404), (method, path)
        _errors(response)
    assert api.get(f"{BASE}/articles/0").status_code == 422
    assert api.get(f"{BASE}/articles/99999999999999999999").status_code == 422
    articles["draft"].refresh_from_db()
    assert articles["draft"].version == 1


def test_rights_are_those_of_the_staff_pages(
    outsider: User, agent_a: User, api_for: Any, articles: dict[str, Article], category: Category
):
    pk = articles["draft"].pk
    anonymous = Client()
    for method, path in (("get", "/articles"), ("get", f"/articles/{pk}"), ("get", "/categories")):
        response = getattr(anonymous, method)(f"{BASE}{path}")
        assert response.status_code == 401
        _errors(response)
    nobody = api_for(outsider)  # signed in, no knowledge-base right
    for method, path in (
        ("get", "/articles"),
        ("get", f"/articles/{pk}"),
        ("get", f"/articles/{pk}/versions"),
        ("get", "/categories"),
        ("post", "/articles"),
        ("patch", f"/articles/{pk}"),
        ("post", f"/articles/{pk}/publish"),
        ("delete", f"/articles/{pk}"),
    ):
        payload = {"category_id": category.pk, "title": "t", "body": "b", "language": "en"}
        response = getattr(nobody, method)(f"{BASE}{path}", payload, "application/json")
        assert response.status_code == 403, (method, path, response.content)
        _errors(response)
    articles["draft"].refresh_from_db()
    assert (articles["draft"].state, articles["draft"].version) == ("draft", 1)
    assert Article.objects.count() == 4
    cats = api_for(agent_a).get(f"{BASE}/categories")
    assert cats.json() == [{"id": category.pk, "name": "Internet", "slug": "internet", "order": 100}]


def test_customers_never_reach_drafts_or_internal_articles(
    customer_x: Contact, articles: dict[str, Article], mailoutbox: list[Any]
):
    from payvand.portal import services as portal_services
    from payvand.portal.tests.conftest import link_token

    browser = Client()
    session = browser.session
    session[SESSION_KEY] = customer_x.pk
    session.save()
    browser.cookies["sessionid"] = str(session.session_key)
    portal_services.magic_link_request(email="x@example.com")
    token = browser.post("/api/v1/portal/login/magic", {"token": link_token(mailoutbox[-1].body)}, "application/json")
    bearer = Client(headers={"Authorization": f"Bearer {token.json()['token']}"})
    for client in (browser, bearer):  # the portal session and the portal token: neither opens the staff API
        for path in ("/articles", f"/articles/{articles['draft'].pk}", f"/articles/{articles['internal'].pk}"):
            assert client.get(f"{BASE}{path}").status_code == 401
        for article in (articles["draft"], articles["internal"]):
            assert client.get(f"/api/v1/portal/kb/articles/{article.pk}").status_code == 404
        found = client.get("/api/v1/portal/kb/articles", {"q": "router"}).json()
        assert {a["id"] for a in found} == {articles["public"].pk, articles["hu"].pk}
