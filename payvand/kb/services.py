"""Every write of the knowledge base. Each save keeps a version; drafts from tickets leave the customer's data out."""

from __future__ import annotations

import re
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from payvand.accounts.models import User
from payvand.contacts.models import Identity
from payvand.contacts.normalize import normalize_text
from payvand.core.errors import Conflict, FieldError, PermissionDenied, ValidationFailed
from payvand.core.search import index_rows, unindex
from payvand.core.services import event_record
from payvand.helpdesk.models import Message, Ticket
from payvand.kb.models import Article, ArticleAttachment, ArticleVersion, Category, SuggestionOpen

MAX_BODY = 200_000
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)+", re.UNICODE)
# Phone-like runs: 7 or more digits (Latin, Persian or Arabic-Indic), with spaces, dashes, dots or brackets between.
_PHONE = re.compile(r"\+?[\d۰-۹٠-٩][\d۰-۹٠-٩\s().-]{5,}[\d۰-۹٠-٩]")
_URL = re.compile(r"https?://\S+")


def _require(user: User, perm: str) -> None:
    if not user.is_authenticated or not user.has_perm(perm):
        raise PermissionDenied(detail=_("You do not have permission to do this."))


def _search_text(title: str, summary: str, body: str) -> str:
    return normalize_text(f"{title} {summary} {body}")[:20000]


def _unique_slug(category: Category, language: str, wanted: str, exclude: int | None = None) -> str:
    base = (slugify(wanted, allow_unicode=True) or "article")[:100]
    slug, n = base, 1
    qs = Article.objects.filter(category=category, language=language)
    if exclude:
        qs = qs.exclude(pk=exclude)
    while qs.filter(slug=slug).exists():
        n += 1
        slug = f"{base}-{n}"
    return slug


def _validate(
    *, title: Any, body: Any, language: Any, visibility: Any, state: Any, summary: Any
) -> tuple[str, str, str]:
    from django.conf import settings

    errors: list[FieldError] = []
    title_text, body_text = str(title or "").strip(), str(body or "")
    if not title_text:
        errors.append(FieldError("title", _("Give the article a title.")))
    elif len(title_text) > 200:
        errors.append(FieldError("title", _("Use at most %(n)s characters.") % {"n": 200}))
    if not body_text.strip():
        errors.append(FieldError("body", _("Write the article.")))
    elif len(body_text) > MAX_BODY:
        errors.append(FieldError("body", _("Use at most %(n)s characters.") % {"n": MAX_BODY}))
    if len(str(summary or "")) > 300:
        errors.append(FieldError("summary", _("Use at most %(n)s characters.") % {"n": 300}))
    if language not in dict(settings.LANGUAGES):
        errors.append(FieldError("language", _("Choose one of the languages.")))
    if visibility not in Article.Visibility.values:
        errors.append(FieldError("visibility", _("Choose public or internal.")))
    if state not in Article.State.values:
        errors.append(FieldError("state", _("Choose draft, published or archived.")))
    if errors:
        raise ValidationFailed(detail=_("Some fields are not valid."), errors=errors)
    return title_text, body_text, str(summary or "").strip()


def _snapshot(article: Article, by: User | None) -> None:
    ArticleVersion.objects.create(
        article=article,
        number=article.version,
        title=article.title,
        summary=article.summary,
        body=article.body,
        state=article.state,
        visibility=article.visibility,
        created_by=by if by is not None and by.is_authenticated else None,
    )


def article_create(
    *,
    by: User,
    category: Category,
    title: Any,
    body: Any,
    language: str,
    summary: Any = "",
    visibility: str = Article.Visibility.PUBLIC,
    state: str = Article.State.DRAFT,
    slug: str = "",
    translation_of: Article | None = None,
    source_ticket: Ticket | None = None,
    attachments: Any = (),
) -> Article:
    _require(by, "kb.add_article")
    title_text, body_text, summary_text = _validate(
        title=title, body=body, language=language, visibility=visibility, state=state, summary=summary
    )
    files = _files_clean(attachments)
    group = None
    if translation_of is not None:
        group = translation_of.translation_of or translation_of
        if (
            Article.objects.filter(pk=group.pk, language=language).exists()
            or group.translations.filter(language=language).exists()
        ):
            raise ValidationFailed.on("language", _("This article already has a translation in that language."))
    with transaction.atomic():
        now = timezone.now()
        article = Article.objects.create(
            category=category,
            slug=_unique_slug(category, language, slug or title_text),
            language=language,
            translation_of=group,
            title=title_text,
            summary=summary_text,
            body=body_text,
            visibility=visibility,
            state=state,
            source_ticket=source_ticket,
            created_by=by,
            created_at=now,
            updated_at=now,
            published_at=now if state == Article.State.PUBLISHED else None,
            search_text=_search_text(title_text, summary_text, body_text),
        )
        _attach(article, files)
        _snapshot(article, by)
        index_rows(Article, [(article.pk, article.search_text)])
        event_record(actor=by, verb="kb.article_created", target=article, data={"title": title_text[:200]})
    return article


def article_update(
    *, article: Article, by: User, version: int | None = None, attachments: Any = (), **changes: Any
) -> Article:
    """Change an article; the previous text stays in its versions. `version` guards against lost updates."""
    _require(by, "kb.change_article")
    allowed = {"title", "summary", "body", "visibility", "state", "category", "slug"}
    unknown = set(changes) - allowed
    if unknown:
        raise ValidationFailed.on(sorted(unknown)[0], _("This field can't be changed."))
    files = _files_clean(attachments)
    with transaction.atomic():
        locked = Article.objects.select_for_update().get(pk=article.pk)
        if version is not None and version != locked.version:
            raise Conflict(
                detail=_("Someone changed this article meanwhile; reload it."),
                errors=[FieldError("version", _("The article was changed meanwhile."))],
            )
        merged = {
            "title": locked.title,
            "summary": locked.summary,
            "body": locked.body,
            "visibility": locked.visibility,
            "state": locked.state,
        }
        merged.update({k: v for k, v in changes.items() if k in merged})
        title_text, body_text, summary_text = _validate(language=locked.language, **merged)
        was_published = locked.state == Article.State.PUBLISHED
        locked.title, locked.body, locked.summary = title_text, body_text, summary_text
        locked.visibility, locked.state = merged["visibility"], merged["state"]
        if "category" in changes and changes["category"] is not None:
            locked.category = changes["category"]
        if changes.get("slug"):
            locked.slug = _unique_slug(locked.category, locked.language, changes["slug"], exclude=locked.pk)
        if locked.state == Article.State.PUBLISHED and not was_published:
            locked.published_at = timezone.now()
        locked.version += 1
        locked.updated_at = timezone.now()
        locked.search_text = _search_text(title_text, summary_text, body_text)
        try:
            locked.save()
        except IntegrityError:
            raise ValidationFailed.on("slug", _("Another article in this category has that address.")) from None
        _attach(locked, files)
        _snapshot(locked, by)
        index_rows(Article, [(locked.pk, locked.search_text)])
        event_record(actor=by, verb="kb.article_updated", target=locked, data={"version": locked.version})
    return locked


def article_set_state(*, article: Article, by: User, state: str, version: int | None = None) -> Article:
    """Publish, unpublish (back to draft) or archive: a change like any other, so it keeps a version. Archived
    articles stay for the staff, with their versions, and are "not found" for customers like drafts."""
    if state not in Article.State.values:
        raise ValidationFailed.on("state", _("Choose draft, published or archived."))
    return article_update(article=article, by=by, version=version, state=state)


def article_delete(*, article: Article, by: User) -> None:
    """Delete an article with its versions and files (admins: kb.delete_article). Its translations stay linked
    to each other: the next one becomes the group's first article."""
    _require(by, "kb.delete_article")
    with transaction.atomic():
        locked = Article.objects.select_for_update().get(pk=article.pk)
        if locked.translation_of_id is None:
            rest = list(Article.objects.filter(translation_of=locked).order_by("pk").values_list("pk", flat=True))
            if rest:
                Article.objects.filter(pk__in=rest[1:]).update(translation_of_id=rest[0])
                Article.objects.filter(pk=rest[0]).update(translation_of=None)
        event_record(
            actor=by, verb="kb.article_deleted", target=locked, data={"title": locked.title[:200], "id": locked.pk}
        )
        files = [a.file for a in locked.attachments.all()]
        unindex(Article, [locked.pk])
        locked.delete()

        def remove_files() -> None:
            for f in files:
                f.delete(save=False)

        transaction.on_commit(remove_files)


def _files_clean(attachments: Any) -> list[tuple[Any, str]]:
    from payvand.helpdesk.services import _attachments_clean

    return _attachments_clean(list(attachments or []))


def _attach(article: Article, files: list[tuple[Any, str]]) -> None:
    for f, content_type in files:
        ArticleAttachment.objects.create(
            article=article, file=f, name=(f.name or "file")[:255], content_type=content_type, size=f.size or 0
        )


# ---------------------------------------------------------------------------------------------- from a ticket


def scrub(text: str, ticket: Ticket) -> str:
    """The text without the customer's data: their names, email addresses, phone numbers, the ticket's reference
    and any other email address, phone number or link."""
    out = text
    values = [ticket.reference, str(ticket.number)]
    for contact in filter(None, [ticket.requester, ticket.organisation]):
        values.append(contact.name)
        values += [w for w in contact.name.split() if len(w) > 2]
        values += list(Identity.objects.filter(contact=contact).values_list("value", flat=True))
    for value in sorted({v for v in values if v}, key=len, reverse=True):
        out = re.sub(re.escape(value), "…", out, flags=re.IGNORECASE)
    out = _EMAIL.sub("…", out)
    out = _URL.sub("…", out)
    out = _PHONE.sub("…", out)
    return out


def article_draft_from_ticket(*, ticket: Ticket, by: User, category: Category | None = None) -> Article:
    """One click on the ticket page: a draft, internal article from the ticket's solution (its resolution, else the
    last public reply), with the customer's data left out."""
    _require(by, "kb.add_article")
    solution = ticket.resolution or ticket.proposed_resolution
    if not solution:
        last = (
            Message.objects.filter(ticket=ticket, kind=Message.Kind.REPLY, is_draft=False)
            .order_by("-created_at", "-id")
            .first()
        )
        solution = last.body_text if last is not None else ""
    if not solution.strip():
        raise Conflict(detail=_("This ticket has no solution yet to make an article from."))
    category = category or Category.objects.order_by("order", "pk").first()
    if category is None:
        category = Category.objects.create(name=_("General"), slug="general")
    from django.conf import settings

    language = getattr(ticket.requester, "language", "") or settings.LANGUAGE_CODE
    language = language if language in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE
    title = scrub(ticket.subject, ticket).strip(" …") or _("Solution")
    body = scrub(solution, ticket)
    with transaction.atomic():
        article = article_create(
            by=by,
            category=category,
            title=title[:200],
            body=body,
            language=language,
            visibility=Article.Visibility.INTERNAL,
            state=Article.State.DRAFT,
            source_ticket=ticket,
        )
        event_record(
            actor=by,
            verb="kb.article_drafted_from_ticket",
            target=ticket,
            contact=ticket.requester,
            data={"article": article.pk},
        )
    return article


# ---------------------------------------------------------------------------------------------- readers


def article_feedback(*, article: Article, helpful: Any) -> Article:
    """ "Did this help?": counted once per answer (callers keep one answer per visitor)."""
    if helpful not in (True, False, "yes", "no", "1", "0"):
        raise ValidationFailed.on("helpful", _("Answer yes or no."))
    yes = helpful in (True, "yes", "1")
    field = "helpful_yes" if yes else "helpful_no"
    Article.objects.filter(pk=article.pk).update(**{field: F(field) + 1})
    article.refresh_from_db(fields=["helpful_yes", "helpful_no"])
    return article


def suggestion_opened(*, article: Article, session_key: str, contact: Any = None) -> SuggestionOpen:
    return SuggestionOpen.objects.create(article=article, session_key=session_key[:64], contact=contact)


def suggestions_submitted(*, session_key: str) -> int:
    """The visitor sent their request after all: the articles they opened did not deflect it."""
    if not session_key:
        return 0
    return SuggestionOpen.objects.filter(session_key=session_key, submitted=False).update(submitted=True)
