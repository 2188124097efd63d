"""Every read of the knowledge base. Readers outside the staff see published public articles only; staff with the
right see drafts and internal articles too."""

from __future__ import annotations

from typing import Any

from django.db import connection
from django.db.models import F, Func, Q, QuerySet
from django.utils.translation import gettext as _

from payvand.contacts.normalize import normalize_text
from payvand.core.errors import NotFound
from payvand.core.search import _without_implied, search_filter, tokens
from payvand.kb.models import Article, ArticleAttachment

CONFIGS = {"fa": "simple", "hu": "hungarian", "en": "english"}


def may_manage(user: Any) -> bool:
    return bool(user is not None and user.is_authenticated and user.has_perm("kb.view_article"))


def public_articles() -> QuerySet[Article]:
    return Article.objects.filter(state=Article.State.PUBLISHED, visibility=Article.Visibility.PUBLIC)


def articles_for(user: Any) -> QuerySet[Article]:
    return Article.objects.all() if may_manage(user) else public_articles()


# At most this many matching articles are ranked. Ranking every match of a common word (24,000 of 100,000 articles
# for a two-letter prefix) took seconds on PostgreSQL; the first few hundred matches take a few milliseconds
# (docs/benchmarks.md). As in the contacts' search, the cap is on candidates, before ranking.
CANDIDATES = 200


def article_search(*, query: str, language: str = "", user: Any = None, limit: int = 10) -> list[Article]:
    """Articles matching every word of the query (as word prefixes), best first. PostgreSQL: full-text with the
    article language's configuration ('simple' for Persian), the first CANDIDATES matches ranked by how well the
    title and summary match; SQLite: FTS5. Then the most helpful first."""
    text = normalize_text(query or "")[:200]
    words = _without_implied(tokens(text))
    if not words:
        return []
    qs = articles_for(user)
    if language:
        qs = qs.filter(language=language)
    if connection.vendor == "postgresql" and language in CONFIGS:
        from django.contrib.postgres.search import SearchQuery, SearchRank, SearchVector, SearchVectorField

        config = CONFIGS[language]
        tsquery = " & ".join(f"{w}:*" for w in words)
        # The expression of the per-language partial GIN index (migration 0002), so the index serves it.
        vector = Func(
            F("search_text"), template=f"to_tsvector('{config}', %(expressions)s)", output_field=SearchVectorField()
        )
        q = SearchQuery(tsquery, search_type="raw", config=config)
        candidates = qs.alias(_v=vector).filter(_v=q).order_by().values("pk")[: max(CANDIDATES, limit)]
        # Ranked on the title and summary only: the text would have to be parsed again for every candidate.
        head = SearchVector("title", weight="A", config=config) + SearchVector("summary", weight="B", config=config)
        found = (
            Article.objects.filter(pk__in=candidates)
            .annotate(_rank=SearchRank(head, q))
            .order_by("-_rank", "-helpful_yes", "-pk")
            .select_related("category")
        )
        return list(found[:limit])
    matches = (
        search_filter(qs, text, limit=max(CANDIDATES, limit)).select_related("category").order_by("-helpful_yes", "-pk")
    )
    return list(matches[:limit])


def article_get_public(*, category_slug: str, slug: str, language: str = "", user: Any = None) -> Article:
    """An article by its clean address (/kb/<category>/<slug>/): the reader's language when there are several."""
    qs = articles_for(user).filter(category__slug=category_slug, slug=slug).select_related("category")
    rows = list(qs)
    if not rows:
        raise NotFound(detail=_("No such article."))
    for row in rows:
        if row.language == language:
            return row
    return rows[0]


def article_get_for_user(*, user: Any, article_id: int) -> Article:
    article = (
        articles_for(user).select_related("category").filter(pk=article_id).first() if 0 < article_id < 2**63 else None
    )
    if article is None:
        raise NotFound(detail=_("No such article."))
    return article


def translations_of(article: Article, user: Any = None) -> list[Article]:
    group = article.group_id
    return list(
        articles_for(user)
        .filter(Q(pk=group) | Q(translation_of_id=group))
        .exclude(pk=article.pk)
        .select_related("category")
        .order_by("language")
    )


def attachment_get(*, user: Any, attachment_id: int) -> ArticleAttachment:
    item = (
        ArticleAttachment.objects.select_related("article").filter(pk=attachment_id).first()
        if 0 < attachment_id < 2**63
        else None
    )
    if item is None or not articles_for(user).filter(pk=item.article_id).exists():
        raise NotFound(detail=_("No such file."))
    return item


def deflections(*, article: Article | None = None) -> int:
    from payvand.kb.models import SuggestionOpen

    qs = SuggestionOpen.objects.filter(submitted=False)
    if article is not None:
        qs = qs.filter(article=article)
    return qs.count()


def article_suggest(*, query: str, language: str = "", limit: int = 5) -> list[Article]:
    """Public articles for what a customer is typing: every word matching first, then articles matching any of the
    longer words (a subject like "my modem has no internet" should still find the modem article)."""
    found = article_search(query=query, language=language, limit=limit)
    if len(found) >= limit:
        return found
    seen = {a.pk for a in found}
    words = sorted({w for w in tokens(normalize_text(query or "")[:200]) if len(w) >= 3}, key=len, reverse=True)
    for word in words:
        for article in article_search(query=word, language=language, limit=limit):
            if article.pk not in seen:
                seen.add(article.pk)
                found.append(article)
        if len(found) >= limit:
            break
    return found[:limit]
