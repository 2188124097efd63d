"""/api/v1/kb/: the staff knowledge-base API. Articles (list with search and filters, one article, its versions,
create, change, publish, unpublish, archive, delete) and categories, with the rights of the staff pages
(`kb.view_article`, `kb.add_article`, `kb.change_article`; deleting needs `kb.delete_article`). Customers read
published public articles through /api/v1/portal/kb/; portal tokens and sessions are not accepted here."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext as _
from ninja import Query, Router

from payvand.accounts.models import User
from payvand.core.errors import ValidationFailed
from payvand.core.schemas import ERRORS, PathId
from payvand.kb import selectors, services
from payvand.kb.models import Article, Category
from payvand.kb.schemas import (
    KbArticleCreateIn,
    KbArticleFilterIn,
    KbArticleOut,
    KbArticlePageOut,
    KbArticleStateIn,
    KbArticleUpdateIn,
    KbArticleVersionOut,
    KbCategoryOut,
)

router = Router(tags=["kb"])


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


def _category_out(c: Category) -> dict[str, Any]:
    return {"id": c.pk, "name": c.name, "slug": c.slug, "order": c.order}


def _item_out(a: Article) -> dict[str, Any]:
    return {
        "id": a.pk,
        "title": a.title,
        "summary": a.summary,
        "slug": a.slug,
        "language": a.language,
        "category": _category_out(a.category),
        "visibility": a.visibility,
        "state": a.state,
        "version": a.version,
        "translation_of": a.translation_of_id,
        "helpful_yes": a.helpful_yes,
        "helpful_no": a.helpful_no,
        "updated_at": a.updated_at,
        "published_at": a.published_at,
    }


def _article_out(a: Article) -> dict[str, Any]:
    return {
        **_item_out(a),
        "body": a.body,
        "created_at": a.created_at,
        "source_ticket": a.source_ticket_id,
        "attachments": [
            {"id": f.pk, "name": f.name, "content_type": f.content_type, "size": f.size} for f in a.attachments.all()
        ],
        "url": reverse("kb:detail", args=[a.category.slug, a.slug]),
    }


def _category(pk: int | None, field: str = "category_id") -> Category | None:
    if pk is None:
        return None
    category = Category.objects.filter(pk=pk).first()
    if category is None:
        raise ValidationFailed.on(field, _("No such category."))
    return category


def _article(request: HttpRequest, article_id: int) -> Article:
    return selectors.article_get_for_staff(user=_user(request), article_id=article_id)


@router.get("/articles", response={200: KbArticlePageOut, **ERRORS}, summary="Articles: search, filters, pages")
def article_list(request: HttpRequest, params: Query[KbArticleFilterIn]) -> dict[str, Any]:
    """Latest change first, a page at a time (`next_cursor`). With `q`, the best `limit` matches instead (one
    page). Drafts, internal and archived articles are included; filter with `state` and `visibility`."""
    filters: dict[str, Any] = {}
    if params.category is not None:
        filters["category_id"] = params.category
    for name in ("language", "visibility", "state"):
        if getattr(params, name):
            filters[name] = getattr(params, name)
    page = selectors.article_page(
        user=_user(request),
        query=params.q or "",
        filters=filters,
        cursor=params.cursor,
        limit=params.limit,
        with_count=params.count,
    )
    return {"items": [_item_out(a) for a in page.items], "next_cursor": page.next_cursor, "count": page.count}


@router.post("/articles", response={201: KbArticleOut, **ERRORS}, summary="Create an article")
def article_create(request: HttpRequest, payload: KbArticleCreateIn) -> tuple[int, dict[str, Any]]:
    user = _user(request)
    selectors.category_list(user=user)  # 403 before looking anything up for those without the right
    category = _category(payload.category_id)
    translation_of = None
    if payload.translation_of is not None:
        translation_of = Article.objects.filter(pk=payload.translation_of).first()
        if translation_of is None:
            raise ValidationFailed.on("translation_of", _("No such article."))
    article = services.article_create(
        by=user,
        category=category,  # type: ignore[arg-type]
        title=payload.title,
        body=payload.body,
        language=payload.language,
        summary=payload.summary,
        visibility=payload.visibility,
        state=payload.state,
        slug=payload.slug,
        translation_of=translation_of,
    )
    return 201, _article_out(_article(request, article.pk))


@router.get("/articles/{article_id}", response={200: KbArticleOut, **ERRORS}, summary="One article")
def article_get(request: HttpRequest, article_id: PathId) -> dict[str, Any]:
    return _article_out(_article(request, article_id))


@router.patch("/articles/{article_id}", response={200: KbArticleOut, **ERRORS}, summary="Change an article")
def article_update(request: HttpRequest, article_id: PathId, payload: KbArticleUpdateIn) -> dict[str, Any]:
    """Every change writes a new version; send `version` to be protected against a concurrent edit (409)."""
    article = _article(request, article_id)
    changes = payload.dict(exclude_unset=True, exclude={"version", "category_id"})
    changes = {k: v for k, v in changes.items() if v is not None}
    if payload.category_id is not None:
        changes["category"] = _category(payload.category_id)
    services.article_update(article=article, by=_user(request), version=payload.version, **changes)
    return _article_out(_article(request, article_id))


@router.delete("/articles/{article_id}", response={204: None, **ERRORS}, summary="Delete an article (admins)")
def article_delete(request: HttpRequest, article_id: PathId) -> tuple[int, None]:
    """Deletes the article, its versions and files. To take an article away but keep it, archive it."""
    services.article_delete(article=_article(request, article_id), by=_user(request))
    return 204, None


def _set_state(request: HttpRequest, article_id: int, payload: KbArticleStateIn, state: str) -> dict[str, Any]:
    article = _article(request, article_id)
    services.article_set_state(article=article, by=_user(request), state=state, version=payload.version)
    return _article_out(_article(request, article_id))


@router.post("/articles/{article_id}/publish", response={200: KbArticleOut, **ERRORS}, summary="Publish")
def article_publish(request: HttpRequest, article_id: PathId, payload: KbArticleStateIn) -> dict[str, Any]:
    return _set_state(request, article_id, payload, Article.State.PUBLISHED)


@router.post("/articles/{article_id}/unpublish", response={200: KbArticleOut, **ERRORS}, summary="Back to draft")
def article_unpublish(request: HttpRequest, article_id: PathId, payload: KbArticleStateIn) -> dict[str, Any]:
    return _set_state(request, article_id, payload, Article.State.DRAFT)


@router.post("/articles/{article_id}/archive", response={200: KbArticleOut, **ERRORS}, summary="Archive")
def article_archive(request: HttpRequest, article_id: PathId, payload: KbArticleStateIn) -> dict[str, Any]:
    """Archived articles stay, with their versions, for the staff; customers no longer reach them."""
    return _set_state(request, article_id, payload, Article.State.ARCHIVED)


@router.get("/articles/{article_id}/versions", response={200: list[KbArticleVersionOut], **ERRORS}, summary="Versions")
def article_versions(request: HttpRequest, article_id: PathId) -> list[dict[str, Any]]:
    user = _user(request)
    article = _article(request, article_id)
    return [
        {
            "number": v.number,
            "title": v.title,
            "summary": v.summary,
            "body": v.body,
            "state": v.state,
            "visibility": v.visibility,
            "created_by": v.created_by.full_name if v.created_by else None,
            "created_at": v.created_at,
        }
        for v in selectors.article_versions(user=user, article=article)
    ]


@router.get("/categories", response={200: list[KbCategoryOut], **ERRORS}, summary="Article categories")
def category_list(request: HttpRequest) -> list[dict[str, Any]]:
    return [_category_out(c) for c in selectors.category_list(user=_user(request))]
