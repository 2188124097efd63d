"""Knowledge-base pages: public pages with clean URLs (/kb/<category>/<slug>/) and meta tags, the portal's
suggestions while a customer writes a new request, "did this help?", and the staff pages that manage articles."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from payvand.core.errors import NotFound, PayvandError, PermissionDenied
from payvand.core.forms import apply_errors
from payvand.core.http import ui_errors
from payvand.kb import selectors, services
from payvand.kb.forms import ArticleForm, CategoryForm
from payvand.kb.models import Article, Category
from payvand.portal.auth import portal_contact

HELPED_KEY = "kb_helped"


def _lang() -> str:
    return (translation.get_language() or "en").split("-")[0]


def index(request: HttpRequest) -> HttpResponse:
    q = request.GET.get("q", "")[:200]
    results = selectors.article_search(query=q, language=_lang(), user=request.user, limit=20) if q.strip() else []
    if q.strip() and not results:  # nothing in the reader's language: look in every language
        results = selectors.article_search(query=q, user=request.user, limit=20)
    categories = list(Category.objects.all())
    latest = list(
        selectors.public_articles().filter(language=_lang()).select_related("category").order_by("-published_at")[:10]
    )
    context = {"q": q, "results": results, "categories": categories, "latest": latest}
    return render(request, "kb/index.html", context)


def suggest(request: HttpRequest) -> HttpResponse:
    """htmx: public articles matching what the customer types as the subject of a new request."""
    q = (request.GET.get("subject") or request.GET.get("q") or "")[:200]
    results = selectors.article_suggest(query=q, language=_lang()) if len(q.strip()) >= 3 else []
    if len(q.strip()) >= 3 and not results:
        results = selectors.article_suggest(query=q)
    return render(request, "kb/_suggestions.html", {"results": results})


def detail(request: HttpRequest, category: str, slug: str) -> HttpResponse:
    try:
        article = selectors.article_get_public(category_slug=category, slug=slug, language=_lang(), user=request.user)
    except NotFound as exc:
        raise Http404(str(exc.detail)) from exc
    if request.GET.get("suggested") == "1" and article.is_public:
        if not request.session.session_key:
            request.session.save()
        services.suggestion_opened(
            article=article, session_key=request.session.session_key or "", contact=portal_contact(request)
        )
    context = {
        "article": article,
        "translations": selectors.translations_of(article, request.user),
        "answered": article.pk in request.session.get(HELPED_KEY, []),
    }
    return render(request, "kb/detail.html", context)


@require_POST
def helpful(request: HttpRequest, article_id: int) -> HttpResponse:
    try:
        article = selectors.article_get_for_user(user=None, article_id=article_id)  # public articles only
    except NotFound as exc:
        raise Http404(str(exc.detail)) from exc
    done = request.session.get(HELPED_KEY, [])
    status = 200
    if article.pk not in done:
        try:
            services.article_feedback(article=article, helpful=request.POST.get("helpful"))
        except PayvandError as exc:
            return render(request, "kb/_helpful.html", {"article": article, "error": str(exc.detail)}, status=422)
        request.session[HELPED_KEY] = [*done, article.pk][-200:]
    if request.headers.get("HX-Request"):
        return render(request, "kb/_helpful.html", {"article": article, "answered": True}, status=status)
    messages.success(request, _("Thank you for telling us."))
    return redirect("kb:detail", category=article.category.slug, slug=article.slug)


def attachment(request: HttpRequest, attachment_id: int) -> FileResponse:
    try:
        item = selectors.attachment_get(user=request.user, attachment_id=attachment_id)
    except NotFound as exc:
        raise Http404(str(exc.detail)) from exc
    try:
        handle = item.file.open("rb")
    except (FileNotFoundError, OSError):
        raise Http404(_("The file is missing from the storage.")) from None
    response = FileResponse(handle, as_attachment=True, filename=item.name, content_type=item.content_type)
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


# ---------------------------------------------------------------------------------------------- staff


def _require(request: HttpRequest, perm: str) -> Any:
    user = request.user
    if not user.has_perm(perm):
        raise PermissionDenied(detail=_("You do not have permission to do this."))
    return user


@ui_errors
def manage(request: HttpRequest) -> HttpResponse:
    _require(request, "kb.view_article")
    q = request.GET.get("q", "")[:200]
    if q.strip():
        articles = selectors.article_search(query=q, user=request.user, limit=100)
    else:
        articles = list(Article.objects.select_related("category").order_by("-updated_at")[:100])
    category_form = CategoryForm()
    if request.method == "POST":
        _require(request, "kb.add_category")
        category_form = CategoryForm(request.POST)
        if category_form.is_valid():
            if Category.objects.filter(slug=category_form.cleaned_data["slug"]).exists():
                category_form.add_error("slug", _("Another category has that address."))
            else:
                Category.objects.create(**category_form.cleaned_data)
                messages.success(request, _("Category added."))
                return redirect("kb:manage")
    context = {
        "articles": articles,
        "q": q,
        "category_form": category_form,
        "deflections": selectors.deflections(),
    }
    return render(request, "kb/manage.html", context, status=422 if category_form.errors else 200)


@ui_errors
def edit(request: HttpRequest, article_id: int | None = None) -> HttpResponse:
    user = _require(request, "kb.change_article" if article_id else "kb.add_article")
    article = Article.objects.filter(pk=article_id).select_related("category").first() if article_id else None
    if article_id and article is None:
        raise Http404(_("No such article."))
    if request.method == "POST":
        form = ArticleForm(request.POST)
        if form.is_valid():
            d = form.cleaned_data
            files = request.FILES.getlist("attachments")
            try:
                if article is None:
                    article = services.article_create(
                        by=user,
                        category=d["category"],
                        title=d["title"],
                        body=d["body"],
                        language=d["language"],
                        summary=d["summary"],
                        visibility=d["visibility"],
                        state=d["state"],
                        slug=d["slug"],
                        translation_of=d["translation_of"],
                        attachments=files,
                    )
                else:
                    article = services.article_update(
                        article=article,
                        by=user,
                        version=d["version"],
                        attachments=files,
                        title=d["title"],
                        body=d["body"],
                        summary=d["summary"],
                        visibility=d["visibility"],
                        state=d["state"],
                        category=d["category"],
                        slug=d["slug"],
                    )
            except PayvandError as exc:
                apply_errors(form, exc)
            else:
                messages.success(request, _("Article saved (version %(n)s).") % {"n": article.version})
                return redirect("kb:edit", article_id=article.pk)
        status = 422
    else:
        initial: dict[str, Any] = {"language": _lang(), "state": Article.State.DRAFT}
        if article is not None:
            initial = {
                "category": article.category,
                "language": article.language,
                "title": article.title,
                "slug": article.slug,
                "summary": article.summary,
                "body": article.body,
                "visibility": article.visibility,
                "state": article.state,
                "translation_of": article.translation_of,
                "version": article.version,
            }
        form = ArticleForm(initial=initial)
        status = 200
    context = {
        "form": form,
        "article": article,
        "versions": list(article.versions.all()[:20]) if article else [],
        "deflections": selectors.deflections(article=article) if article else 0,
        "translations": selectors.translations_of(article, user) if article else [],
    }
    return render(request, "kb/edit.html", context, status=status)


@require_POST
@ui_errors
def from_ticket(request: HttpRequest, ticket_id: int) -> HttpResponse:
    """The "draft article from this ticket" button on the ticket page."""
    from payvand.helpdesk import selectors as helpdesk_selectors

    user = _require(request, "kb.add_article")
    ticket = helpdesk_selectors.ticket_get_for_user(user=user, ticket_id=ticket_id)
    try:
        article = services.article_draft_from_ticket(ticket=ticket, by=user)
    except PayvandError as exc:
        messages.error(request, str(exc.detail))
        return redirect("helpdesk:detail", ticket_id=ticket.pk)
    messages.success(request, _("Draft article made; the customer's data is left out. Check it before publishing."))
    return redirect("kb:edit", article_id=article.pk)
