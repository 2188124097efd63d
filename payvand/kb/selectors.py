"""Every read of the knowledge base. Readers outside the staff see published public articles only; staff with the
right see drafts and internal articles too."""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

from django.db import connection
from django.db.models import F, Func, Q, QuerySet
from django.utils.translation import gettext as _

from payvand.contacts.normalize import normalize_text
from payvand.core.errors import NotFound, PermissionDenied, ValidationFailed
from payvand.core.search import _without_implied, search_filter, tokens
from payvand.kb.models import Article, ArticleAttachment, ArticleVersion, Category

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


def article_search(
    *, query: str, language: str = "", user: Any = None, limit: int = 10, filters: dict[str, Any] | None = None
) -> list[Article]:
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
    if filters:
        qs = qs.filter(**filters)
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


# ---------------------------------------------------------------------------------------------- staff list


@dataclass
class ArticlePage:
    items: list[Article]
    next_cursor: str | None
    count: int | None = None


def _require_staff(user: Any) -> None:
    if not may_manage(user):
        raise PermissionDenied(detail=_("You do not have permission to do this."))


def _encode_cursor(article: Article) -> str:
    raw = json.dumps([article.updated_at.isoformat(), article.pk])
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def _decode_cursor(cursor: str) -> tuple[dt.datetime, int]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        value, pk = json.loads(raw)
        if not isinstance(pk, int) or not isinstance(value, str):
            raise ValueError
        when = dt.datetime.fromisoformat(value)
        if when.tzinfo is None:
            raise ValueError
        return when, pk
    except (ValueError, TypeError, OverflowError, binascii.Error, UnicodeDecodeError, json.JSONDecodeError):
        raise ValidationFailed.on("cursor", _("This cursor is not valid; start from the first page.")) from None


def article_page(
    *,
    user: Any,
    query: str = "",
    filters: dict[str, Any] | None = None,
    cursor: str | None = None,
    limit: int = 25,
    with_count: bool = False,
) -> ArticlePage:
    """The staff API's list: every article the viewer may see (drafts and internal ones too), latest change first
    by keyset pagination; with a query, the best `limit` matches (one page: search results are ranked, not paged)."""
    _require_staff(user)
    filters = dict(filters or {})
    language = filters.pop("language", "")
    if query.strip():
        if cursor:
            raise ValidationFailed.on("cursor", _("Search results have one page; leave out the cursor."))
        found = article_search(query=query, language=language, user=user, limit=limit, filters=filters)
        return ArticlePage(items=found, next_cursor=None, count=len(found) if with_count else None)
    qs = Article.objects.filter(**filters)
    if language:
        qs = qs.filter(language=language)
    count = qs.count() if with_count else None
    if cursor:
        when, pk = _decode_cursor(cursor)
        qs = qs.filter(Q(updated_at__lt=when) | Q(updated_at=when, pk__lt=pk))
    rows = list(qs.select_related("category").order_by("-updated_at", "-pk")[: limit + 1])
    next_cursor = _encode_cursor(rows[limit - 1]) if len(rows) > limit else None
    return ArticlePage(items=rows[:limit], next_cursor=next_cursor, count=count)


def article_get_for_staff(*, user: Any, article_id: int) -> Article:
    _require_staff(user)
    return article_get_for_user(user=user, article_id=article_id)


def article_versions(*, user: Any, article: Article) -> list[ArticleVersion]:
    _require_staff(user)
    return list(ArticleVersion.objects.filter(article=article).select_related("created_by").order_by("-number"))


def category_list(*, user: Any) -> list[Category]:
    _require_staff(user)
    return list(Category.objects.order_by("order", "name"))


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
