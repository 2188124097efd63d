"""Knowledge base: versions, translations, visibility, search (FTS5 / PostgreSQL full-text), public pages with
clean URLs and meta tags, "did this help?", suggestions and deflections, and drafts from tickets without the
customer's data."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from payvand.accounts.models import Team, User
from payvand.contacts.models import Contact
from payvand.core.errors import Conflict, PermissionDenied, ValidationFailed
from payvand.helpdesk import services as helpdesk
from payvand.kb import selectors, services
from payvand.kb.models import Article, ArticleVersion, Category, SuggestionOpen
from payvand.portal.auth import SESSION_KEY

pytestmark = pytest.mark.django_db


@pytest.fixture
def category(db: None) -> Category:
    return Category.objects.create(name="Internet", slug="internet")


@pytest.fixture
def article(supervisor: User, category: Category) -> Article:
    return services.article_create(
        by=supervisor,
        category=category,
        title="Restart the router",
        summary="When the internet drops",
        body="Unplug the router for ten seconds.",
        language="en",
        state=Article.State.PUBLISHED,
    )


def _portal(contact: Contact) -> Client:
    client = Client()
    session = client.session
    session[SESSION_KEY] = contact.pk
    session.save()
    client.cookies["sessionid"] = str(session.session_key)
    return client


def test_each_save_keeps_a_version_and_translations_link(article: Article, supervisor: User, category: Category):
    services.article_update(article=article, by=supervisor, version=1, body="Unplug it for thirty seconds.")
    article.refresh_from_db()
    assert article.version == 2
    assert list(ArticleVersion.objects.filter(article=article).values_list("number", flat=True)) == [2, 1]
    assert ArticleVersion.objects.get(article=article, number=1).body == "Unplug the router for ten seconds."
    with pytest.raises(Conflict):
        services.article_update(article=article, by=supervisor, version=1, body="stale")
    fa = services.article_create(
        by=supervisor,
        category=category,
        title="روتر را دوباره راه‌اندازی کنید",
        body="روتر را ده ثانیه خاموش کنید.",
        language="fa",
        translation_of=article,
        state=Article.State.PUBLISHED,
    )
    assert fa.translation_of == article
    assert selectors.translations_of(article) == [fa]
    assert selectors.translations_of(fa) == [article]
    with pytest.raises(ValidationFailed):
        services.article_create(
            by=supervisor, category=category, title="again", body="x", language="fa", translation_of=fa
        )


def test_bad_input_and_rights(category: Category, supervisor: User, outsider: User):
    with pytest.raises(ValidationFailed) as exc:
        services.article_create(by=supervisor, category=category, title="", body="", language="xx", visibility="?")
    assert {e.field for e in exc.value.errors} == {"title", "body", "language", "visibility"}
    with pytest.raises(PermissionDenied):
        services.article_create(by=outsider, category=category, title="t", body="b", language="en")
    assert not Article.objects.exists()


def test_search_finds_published_public_articles_by_prefix(article: Article, supervisor: User, category: Category):
    draft = services.article_create(
        by=supervisor, category=category, title="Router secret draft", body="x", language="en"
    )
    internal = services.article_create(
        by=supervisor,
        category=category,
        title="Router internal",
        body="y",
        language="en",
        visibility=Article.Visibility.INTERNAL,
        state=Article.State.PUBLISHED,
    )
    found = selectors.article_search(query="rout", language="en")
    assert found == [article]
    staff = {a.pk for a in selectors.article_search(query="router", user=supervisor)}
    assert staff == {article.pk, draft.pk, internal.pk}
    assert selectors.article_search(query="   ") == []
    fa = services.article_create(
        by=supervisor,
        category=category,
        title="قطعی اینترنت",
        body="مودم را خاموش و روشن کنید",
        language="fa",
        state=Article.State.PUBLISHED,
    )
    assert selectors.article_search(query="مودم", language="fa") == [fa]
    hu = services.article_create(
        by=supervisor,
        category=category,
        title="Internetkapcsolat",
        body="Kapcsolja ki a routert",
        language="hu",
        state=Article.State.PUBLISHED,
    )
    assert selectors.article_search(query="kapcsol", language="hu") == [hu]


def test_search_has_the_indexes_that_keep_it_fast(db: None):
    """SQLite: FTS5 with prefix indexes (a two-letter prefix no longer walks every term); PostgreSQL: the 'simple'
    GIN index over every language, for searches without a language (bench/kb.py, docs/benchmarks.md)."""
    from django.db import connection

    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("SELECT sql FROM sqlite_master WHERE name = 'kb_article_fts'")
            assert "prefix = '2 3 4'" in cursor.fetchone()[0]
        else:
            cursor.execute("SELECT indexdef FROM pg_indexes WHERE indexname = 'kb_article_fts_idx'")
            assert "to_tsvector('simple'" in cursor.fetchone()[0]


def test_search_ranks_a_capped_set_of_candidates(supervisor: User, category: Category, monkeypatch: pytest.MonkeyPatch):
    """Only the first CANDIDATES matches are ranked (ranking every match of a common word took seconds at 100,000
    articles); the search still answers with matches only, and title matches first on PostgreSQL."""
    from django.db import connection

    made = [
        services.article_create(
            by=supervisor,
            category=category,
            title=f"Billing question {n}" if n == 3 else f"Question {n}",
            body="the modem and the billing" if n != 3 else "modem",
            language="en",
            state=Article.State.PUBLISHED,
        )
        for n in range(5)
    ]
    services.article_create(by=supervisor, category=category, title="Other", body="nothing", language="en")
    assert {a.pk for a in selectors.article_search(query="billing", language="en", limit=10)} == {a.pk for a in made}
    if connection.vendor == "postgresql":
        assert selectors.article_search(query="billing", language="en", limit=1) == [made[3]]
    monkeypatch.setattr(selectors, "CANDIDATES", 2)
    capped = selectors.article_search(query="billing", language="en", limit=1)
    assert len(capped) == 1
    assert capped[0] in made
    assert len(selectors.article_search(query="modem", user=supervisor, limit=1)) == 1


def test_public_page_clean_url_meta_and_helpful(article: Article, client: Client, supervisor: User, category: Category):
    page = client.get("/kb/internet/restart-the-router/")
    html = page.content.decode()
    assert page.status_code == 200
    assert '<meta name="description" content="When the internet drops">' in html
    assert 'property="og:title" content="Restart the router"' in html
    assert client.post(f"/kb/articles/{article.pk}/helpful/", {"helpful": "maybe"}).status_code == 422
    client.post(f"/kb/articles/{article.pk}/helpful/", {"helpful": "yes"})
    client.post(f"/kb/articles/{article.pk}/helpful/", {"helpful": "yes"})  # once per visitor
    article.refresh_from_db()
    assert (article.helpful_yes, article.helpful_no) == (1, 0)
    draft = services.article_create(by=supervisor, category=category, title="Draft one", body="x", language="en")
    assert client.get(f"/kb/internet/{draft.slug}/").status_code == 404
    assert client.post(f"/kb/articles/{draft.pk}/helpful/", {"helpful": "yes"}).status_code == 404
    assert client.get("/kb/nothing/here/").status_code == 404


def test_drafts_and_internal_articles_never_reach_customers(
    article: Article, supervisor: User, category: Category, customer_x: Contact
):
    draft = services.article_create(
        by=supervisor,
        category=category,
        title="Unreleased fix",
        body="internal only",
        language="en",
        attachments=[SimpleUploadedFile("fix.txt", b"secret", "text/plain")],
    )
    c = _portal(customer_x)
    assert c.get(f"/kb/{category.slug}/{draft.slug}/").status_code == 404
    assert c.get(f"/kb/files/{draft.attachments.get().pk}/").status_code == 404
    assert c.get(f"/api/v1/portal/kb/articles/{draft.pk}").status_code == 404
    assert "Unreleased" not in c.get("/api/v1/portal/kb/articles?q=unreleased").content.decode()
    assert "Unreleased" not in c.get("/kb/?q=unreleased").content.decode()
    assert "Unreleased" not in c.get("/kb/suggest/?subject=unreleased").content.decode()
    assert c.get(f"/api/v1/portal/kb/articles/{article.pk}").json()["title"] == "Restart the router"
    assert c.get("/api/v1/portal/kb/articles?language=xx").status_code == 422


def test_suggestions_and_deflections(article: Article, customer_x: Contact):
    c = _portal(customer_x)
    html = c.get("/kb/suggest/?subject=router").content.decode()
    assert "Restart the router" in html
    assert "?suggested=1" in html
    c.get("/kb/internet/restart-the-router/?suggested=1")
    assert selectors.deflections(article=article) == 1  # opened and did not submit
    other = _portal(customer_x)
    other.get("/kb/internet/restart-the-router/?suggested=1")
    other.post("/portal/new/", {"subject": "Router still down"})
    assert SuggestionOpen.objects.filter(submitted=True).count() == 1
    assert selectors.deflections(article=article) == 1


def test_draft_from_ticket_leaves_the_customer_out(
    agent_a: User, supervisor: User, customer_x: Contact, team_a: Team, client_for: Any
):
    ticket = helpdesk.ticket_create(
        by=agent_a, requester=customer_x, team=team_a, subject="Xerxes: router down", route=False
    )
    helpdesk.ticket_resolve(
        ticket=ticket,
        by=supervisor,
        resolution=f"Dear Xerxes Customer ({ticket.reference}), call us at 0912 123 4567 or x@example.com; "
        "we reset the port on the DSLAM.",
    )
    c = client_for(supervisor)
    response = c.post(f"/kb/from-ticket/{ticket.pk}/")
    assert response.status_code == 302
    article = Article.objects.get()
    text = article.title + article.body
    for leak in ("Xerxes", "Customer", ticket.reference, "0912", "123 4567", "x@example.com"):
        assert leak not in text, leak
    assert "we reset the port on the DSLAM." in article.body
    assert (article.state, article.visibility, article.source_ticket_id) == ("draft", "internal", ticket.pk)
    assert 'id="kb-from-ticket"' in c.get(f"/tickets/{ticket.pk}/").content.decode()
    assert client_for(agent_a).post("/kb/from-ticket/999999/").status_code == 404


def test_staff_pages(supervisor: User, category: Category, client_for: Any, outsider: User):
    c = client_for(supervisor)
    assert c.get("/kb/manage/").status_code == 200
    bad = c.post(
        "/kb/manage/new/",
        {"category": category.pk, "language": "en", "title": "", "body": "", "visibility": "public", "state": "draft"},
    )
    assert bad.status_code == 422
    ok = c.post(
        "/kb/manage/new/",
        {
            "category": category.pk,
            "language": "en",
            "title": "Billing FAQ",
            "body": "Pay by card.",
            "visibility": "public",
            "state": "published",
        },
    )
    assert ok.status_code == 302
    article = Article.objects.get()
    edit = c.post(
        f"/kb/manage/{article.pk}/",
        {
            "category": category.pk,
            "language": "en",
            "title": "Billing FAQ",
            "body": "Pay by card or transfer.",
            "visibility": "public",
            "state": "published",
            "version": 1,
        },
    )
    assert edit.status_code == 302
    assert ArticleVersion.objects.filter(article=article).count() == 2
    assert client_for(outsider).get("/kb/manage/").status_code == 403
