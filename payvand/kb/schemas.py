"""Schemas of the staff knowledge-base API (/api/v1/kb/)."""

from __future__ import annotations

import datetime as dt

from ninja import Schema
from pydantic import Field

from payvand.core.schemas import QueryId

LANGUAGE = r"^(en|fa|hu)$"
VISIBILITY = r"^(public|internal)$"
STATE = r"^(draft|published|archived)$"


class KbCategoryOut(Schema):
    id: int
    name: str
    slug: str
    order: int


class KbArticleFilterIn(Schema):
    q: str | None = Field(default=None, max_length=200, description="Words (as prefixes) the article must contain.")
    category: QueryId | None = None
    language: str | None = Field(default=None, pattern=LANGUAGE)
    visibility: str | None = Field(default=None, pattern=VISIBILITY)
    state: str | None = Field(default=None, pattern=STATE)
    cursor: str | None = Field(default=None, max_length=500)
    limit: int = Field(default=25, ge=1, le=200)
    count: bool = Field(default=False, description="Also count every match (slower on large lists).")


class KbArticleListItemOut(Schema):
    id: int
    title: str
    summary: str
    slug: str
    language: str
    category: KbCategoryOut
    visibility: str
    state: str
    version: int
    translation_of: int | None
    helpful_yes: int
    helpful_no: int
    updated_at: dt.datetime
    published_at: dt.datetime | None


class KbArticlePageOut(Schema):
    items: list[KbArticleListItemOut]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page; null on the last page.")
    count: int | None


class KbArticleAttachmentOut(Schema):
    id: int
    name: str
    content_type: str
    size: int


class KbArticleOut(KbArticleListItemOut):
    body: str
    created_at: dt.datetime
    source_ticket: int | None
    attachments: list[KbArticleAttachmentOut]
    url: str = Field(description="The article's public address (customers reach it only when published and public).")


class KbArticleVersionOut(Schema):
    number: int
    title: str
    summary: str
    body: str
    state: str
    visibility: str
    created_by: str | None
    created_at: dt.datetime


class KbArticleCreateIn(Schema):
    category_id: QueryId
    title: str = Field(max_length=200)
    body: str = Field(max_length=200_000)
    language: str = Field(pattern=LANGUAGE)
    summary: str = Field(default="", max_length=300)
    visibility: str = Field(default="public", pattern=VISIBILITY)
    state: str = Field(default="draft", pattern=STATE)
    slug: str = Field(default="", max_length=120)
    translation_of: QueryId | None = Field(default=None, description="The article this one translates.")


class KbArticleUpdateIn(Schema):
    version: int | None = Field(
        default=None, ge=1, le=2**31 - 1, description="The version you edited; a stale one gives 409."
    )
    title: str | None = Field(default=None, max_length=200)
    body: str | None = Field(default=None, max_length=200_000)
    summary: str | None = Field(default=None, max_length=300)
    visibility: str | None = Field(default=None, pattern=VISIBILITY)
    state: str | None = Field(default=None, pattern=STATE)
    category_id: QueryId | None = None
    slug: str | None = Field(default=None, max_length=120)


class KbArticleStateIn(Schema):
    version: int | None = Field(default=None, ge=1, le=2**31 - 1)
