"""The ticket pages: thin HTMX views over the same services and selectors as the API.

Every page loads its ticket with `selectors.ticket_get_for_user` (404 for people who may not see it). Actions are
plain POST forms: on success they redirect back to the ticket with a message; on bad input, a refused right or a
stale version they draw the ticket page again with the user's input kept and the error shown (422, 403 or 409).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import messages
from django.db import transaction
from django.db.models import Prefetch
from django.db.models.query import prefetch_related_objects
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from payvand.accounts.models import Team, User
from payvand.contacts import selectors as contact_selectors
from payvand.contacts.models import Contact, ContactFlag
from payvand.core.errors import Conflict, NotFound, PayvandError, PermissionDenied, ValidationFailed
from payvand.core.forms import apply_errors
from payvand.core.http import ui_errors
from payvand.core.selectors import event_list_for_target
from payvand.helpdesk import forms as f
from payvand.helpdesk import selectors, services
from payvand.helpdesk.models import (
    Channel,
    Message,
    Priority,
    Referral,
    Status,
    StatusCategory,
    Task,
    Ticket,
    TicketLink,
    TicketType,
    WorkLog,
)

FORM_PREFIX = "fv"

DETAIL_PARTS = ("header", "thread", "tasks", "worklogs", "referrals", "sidebar", "timeline")


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


def _wants_partial(request: HttpRequest) -> bool:
    """htmx asked for a fragment (a boosted link or form wants the whole page)."""
    htmx = getattr(request, "htmx", None)
    return bool(htmx) and not bool(getattr(htmx, "boosted", False))


def _error_text(exc: PayvandError) -> str:
    details = [str(e.message) for e in exc.errors if e.field not in ("version",)]
    return " ".join([str(exc.detail), *details]).strip()


def _apply_errors(
    form: forms.Form,
    exc: ValidationFailed,
    field_for: Callable[[str], str | None] | None,
    ticket_type: TicketType | None = None,
) -> None:
    """Errors of the page's own fields go to those fields; errors of the type's custom form stay with that form
    (its renderer shows them next to its fields), with one line at the top saying something is wrong."""
    custom: set[str] = set()
    if ticket_type is not None and ticket_type.form_id and ticket_type.form is not None:
        custom = set((ticket_type.form.layout or {}).get("fields") or {})
    rest = [e for e in exc.errors if e.field not in custom]
    if exc.errors and not rest:
        form.add_error(None, str(exc.detail))
        return
    apply_errors(form, ValidationFailed(detail=exc.detail, errors=rest), field_for or (lambda name: name.split(".")[0]))


def _is_stale(exc: PayvandError) -> bool:
    return isinstance(exc, Conflict) and any(e.field == "version" for e in exc.errors)


# ---------------------------------------------------------------------------------------------- list


@ui_errors
def ticket_list(request: HttpRequest) -> HttpResponse:
    """Every ticket the user may see, with filters and a keyset "next page" link."""
    user = _user(request)
    selectors.ticket_require_perm(user=user, action="view")
    form = f.TicketFilterForm(request.GET)
    filters = {k: v for k, v in form.cleaned_data.items() if v} if form.is_valid() else {}
    form_fields = _type_form_filters(request, filters)
    sort = request.GET.get("sort", "-updated_at")
    if sort not in selectors.SORTS:
        sort = "-updated_at"
    cursor = request.GET.get("cursor", "")[:500]
    error = ""
    try:
        page = selectors.ticket_page(user=user, filters=filters, sort=sort, cursor=cursor or None, limit=25)
    except ValidationFailed as exc:
        error = _error_text(exc)
        bad = {e.field for e in exc.errors}
        filters = {k: v for k, v in filters.items() if k not in bad}
        cursor = "" if "cursor" in bad else cursor
        page = selectors.ticket_page(user=user, filters=filters, sort=sort, cursor=cursor or None, limit=25)
    context = {
        "page": page,
        "filters": filters,
        "cursor": cursor,
        "sort": sort,
        "error": error,
        "lists": selectors.LISTS,
        "statuses": selectors.statuses(),
        "teams": Team.objects.order_by("name"),
        "priorities": Priority.choices,
        "channels": Channel.choices,
        "sorts": _sort_choices(),
        "types": TicketType.objects.filter(is_active=True).order_by("name"),
        "form_fields": form_fields,
    }
    template = "helpdesk/list.html#rows" if _wants_partial(request) else "helpdesk/list.html"
    return render(request, template, context)


def _type_form_filters(request: HttpRequest, filters: dict[str, Any]) -> list[dict[str, str]]:
    """With a type chosen, one filter box per field of its form (`form.<field>`: exact for choices, numbers and
    checkboxes, contains for text); the values found are added to `filters`."""
    raw_type = str(filters.get("type") or "")
    if not raw_type.isdigit() or len(raw_type) > 18:
        return []
    ticket_type = TicketType.objects.select_related("form").filter(pk=int(raw_type)).first()
    if ticket_type is None or ticket_type.form is None:
        return []
    from payvand.forms.spec import fields_in_order, label_text

    boxes = []
    for name, spec in fields_in_order(ticket_type.form.layout or {}):
        if spec.get("kind") in ("file", "contact"):
            continue
        key = f"form.{name}"
        value = request.GET.get(key, "").strip()[:200]
        if value:
            filters[key] = value
        boxes.append({"key": key, "label": label_text(spec.get("label")) or name, "value": value})
    return boxes


def _sort_choices() -> list[tuple[str, str]]:
    return [
        ("-updated_at", _("Recently changed")),
        ("-created_at", _("Newest")),
        ("created_at", _("Oldest")),
        ("-priority", _("Most urgent")),
        ("due_at", _("Due soonest")),
    ]


# ---------------------------------------------------------------------------------------------- create


def _type_form_context(
    ticket_type: TicketType | None, values: dict[str, Any] | None = None, errors: Any = None
) -> dict[str, Any]:
    if ticket_type is None or ticket_type.form_id is None or ticket_type.form is None:
        return {"type_form_html": ""}
    from payvand.forms.rendering import form_render

    return {"type_form_html": form_render(ticket_type.form, values, errors, prefix=FORM_PREFIX)}


def _type_form_values(
    ticket_type: TicketType | None, request: HttpRequest
) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
    """The type form's values and file uploads from the posted page."""
    if ticket_type is None or ticket_type.form is None:
        return None, None
    from payvand.forms.rendering import form_values_from_post

    values, uploads = form_values_from_post(ticket_type.form, request.POST, request.FILES, prefix=FORM_PREFIX)
    return values, dict(uploads) or None


def _requester_or_none(user: User, raw: Any) -> Contact | None:
    try:
        contact_id = int(str(raw))
    except (TypeError, ValueError):
        return None
    if not 0 < contact_id < 2**63:
        return None
    try:
        contact = contact_selectors.contact_get_for_user(user=user, contact_id=contact_id)
    except (NotFound, PermissionDenied):
        return None
    prefetch_related_objects([contact], _flags_prefetch())
    return contact


def _flags_prefetch() -> Prefetch:
    return Prefetch("flags", queryset=ContactFlag.objects.select_related("flag_type").filter(flag_type__is_active=True))


def _ticket_create_with_files(
    user: User, requester: Contact, d: dict[str, Any], form_values: Any, form_files: Any
) -> Ticket:
    """The ticket, and when files came with it (a scanned letter, a fax) the customer's first message holding them."""
    ticket = services.ticket_create(
        by=user,
        subject=d["subject"],
        requester=requester,
        description=d["description"],
        channel=d["channel"],
        type=d["type"],
        category=d["category"],
        priority=d["priority"],
        team=d["team"],
        project=d["project"],
        form_values=form_values,
        form_files=form_files,
        tags=f.split_list(d["tags"]),
        due_at=d["due_at"],
        estimate_minutes=d["estimate_minutes"],
    )
    if d.get("attachments"):
        services.message_add(
            ticket=ticket,
            by=user,
            body=d["description"],
            kind=Message.Kind.INBOUND,
            attachments=d["attachments"],
            author_contact=requester,
            channel=d["channel"],
        )
    return ticket


@ui_errors
def ticket_create(request: HttpRequest) -> HttpResponse:
    """Register a request for a customer (R-000.11). Likely duplicates are shown before saving: the agent opens one,
    links the new ticket to it, or creates it anyway."""
    user = _user(request)
    selectors.ticket_require_perm(user=user, action="add")
    duplicates: list[services.DuplicateCandidate] = []
    ticket_type: TicketType | None = None
    form_values: dict[str, Any] | None = None
    form_errors: Any = None
    if request.method == "POST":
        form = f.TicketCreateForm(request.POST, request.FILES)
        requester = _requester_or_none(user, request.POST.get("requester"))
        valid = form.is_valid()
        ticket_type = _type_from(request.POST.get("type"))
        form_values, form_files = _type_form_values(ticket_type, request)
        if requester is None:
            form.add_error(None, _("Choose the customer who asks."))
            valid = False
        if valid and requester is not None:
            d = form.cleaned_data
            link_to = _ticket_or_none(user, request.POST.get("link_to"))
            create_anyway = bool(request.POST.get("create_anyway")) or link_to is not None
            if not create_anyway:
                duplicates = services.ticket_find_duplicates(
                    requester=requester, subject=d["subject"], description=d["description"]
                )
                visible = set(
                    selectors.ticket_queryset_for_user(user=user)
                    .filter(pk__in=[c.ticket.pk for c in duplicates])
                    .values_list("pk", flat=True)
                )
                duplicates = [c for c in duplicates if c.ticket.pk in visible]
            if not duplicates:
                try:
                    with transaction.atomic():  # the ticket and its scanned letter, or neither
                        ticket = _ticket_create_with_files(user, requester, d, form_values, form_files)
                    if link_to is not None:
                        services.ticket_link(source=ticket, target=link_to, by=user, kind=TicketLink.Kind.RELATED)
                except ValidationFailed as exc:
                    _apply_errors(form, exc, form.field_for, d["type"])
                    form_errors = exc
                except PayvandError as exc:
                    form.add_error(None, _error_text(exc))
                else:
                    messages.success(request, _("Ticket %(ref)s registered.") % {"ref": ticket.reference})
                    return redirect("helpdesk:detail", ticket_id=ticket.pk)
    else:
        requester = _requester_or_none(user, request.GET.get("requester"))
        form = f.TicketCreateForm()
    context = {
        "form": form,
        "requester": requester,
        "duplicates": duplicates,
        **_type_form_context(ticket_type, form_values, form_errors),
    }
    return render(request, "helpdesk/create.html", context, status=422 if form.errors else 200)


def _type_from(raw: Any) -> TicketType | None:
    try:
        return TicketType.objects.select_related("form").filter(pk=int(str(raw)), is_active=True).first()
    except (TypeError, ValueError, OverflowError):
        return None


def _ticket_or_none(user: User, raw: Any) -> Ticket | None:
    if not raw:
        return None
    try:
        return selectors.ticket_get_for_user(user=user, ticket_id=int(str(raw)))
    except (NotFound, ValueError, OverflowError):
        return None


@ui_errors
def requester_search(request: HttpRequest) -> HttpResponse:
    """htmx: contacts matching a name, phone or email, to pick as the requester."""
    user = _user(request)
    selectors.ticket_require_perm(user=user, action="add")
    q = request.GET.get("q", "").strip()[:200]
    results = contact_selectors.contact_search(user=user, text=q, limit=10) if q else []
    return render(request, "helpdesk/create.html#requester-results", {"q": q, "results": results})


@ui_errors
def requester_pick(request: HttpRequest, contact_id: int) -> HttpResponse:
    """htmx: the chosen requester (hidden input, name, flags)."""
    user = _user(request)
    selectors.ticket_require_perm(user=user, action="add")
    requester = _requester_or_none(user, contact_id)
    if requester is None:
        raise Http404
    return render(request, "helpdesk/create.html#requester-picked", {"requester": requester})


@ui_errors
def type_form(request: HttpRequest) -> HttpResponse:
    """htmx: the custom form of the chosen ticket type (empty when it has none)."""
    selectors.ticket_require_perm(user=_user(request), action="add")
    context = _type_form_context(_type_from(request.GET.get("type")))
    return render(request, "helpdesk/create.html#type-form", context)


# ---------------------------------------------------------------------------------------------- detail


def _choices(queryset: Any, label: Callable[[Any], str] = str) -> list[tuple[Any, str]]:
    return [("", "---------"), *((obj.pk, label(obj)) for obj in queryset)]


def _default_forms(ticket: Ticket) -> dict[str, forms.Form]:
    version = {"version": ticket.version}
    return {
        "edit": f.TicketEditForm(
            initial={
                **version,
                "subject": ticket.subject,
                "description": ticket.description,
                "type": ticket.type_id,
                "category": ticket.category_id,
                "priority": ticket.priority,
                "project": ticket.project_id,
                "tags": ", ".join(t.name for t in ticket.tag_list),  # type: ignore[attr-defined]
                "due_at": ticket.due_at,
                "estimate_minutes": ticket.estimate_minutes,
                "status": ticket.status_id,
            }
        ),
        "message": f.MessageForm(),
        "task": f.TaskForm(),
        "worklog": f.WorkLogForm(tasks=ticket.task_list, ticket_id=ticket.pk),  # type: ignore[attr-defined]
        "assign": f.AssignForm(initial={**version, "assignee": ticket.assignee_id, "team": ticket.team_id}),
        "refer": f.ReferForm(),
        "resolve": f.ResolveForm(initial={**version, "resolution": ticket.proposed_resolution}),
        "close": f.ResolveForm(
            initial={**version, "resolution": ticket.resolution or ticket.proposed_resolution}, prefix="close"
        ),
        "cancel": f.CancelForm(initial=version),
        "postpone": f.PostponeForm(initial=version),
        "reopen": f.ReopenForm(),
        "link": f.LinkForm(),
        "merge": f.MergeForm(),
    }


def _share_choices(all_forms: dict[str, forms.Form]) -> None:
    """The pickers of every panel list the same people, teams and statuses: read each list once."""
    users = _choices(User.objects.filter(is_active=True).order_by("full_name", "email"))
    teams = _choices(Team.objects.order_by("name"))
    statuses = [(s.pk, str(s)) for s in f._active_statuses().order_by("order", "name")]
    for form in all_forms.values():
        for field in form.fields.values():
            if not isinstance(field, forms.ModelChoiceField):
                continue
            model = field.queryset.model if field.queryset is not None else None
            if model is User:
                field.choices = users
            elif model is Team:
                field.choices = teams
            elif model is Status:
                field.choices = statuses


def _detail_context(
    request: HttpRequest,
    ticket_id: int,
    *,
    bound: dict[str, forms.Form] | None = None,
    error: str = "",
    stale: bool = False,
) -> dict[str, Any]:
    user = _user(request)
    ticket = selectors.ticket_detail(user=user, ticket_id=ticket_id)
    prefetch_related_objects([ticket.requester], _flags_prefetch())
    all_forms = _default_forms(ticket)
    for name, form in (bound or {}).items():
        if stale and "version" in form.fields and form.is_bound:
            data = form.data.copy() if isinstance(form.data, QueryDict) else dict(form.data)
            data[form.add_prefix("version")] = str(ticket.version)  # saving again applies over their change
            form.data = data
        all_forms[name] = form
    _share_choices(all_forms)
    my_teams = set(user.memberships.values_list("team_id", flat=True))
    can_dispatch = selectors.sees_everything(user)
    for r in ticket.referral_list:  # type: ignore[attr-defined]
        r.is_mine = r.state == Referral.State.PENDING and (
            r.to_user_id == user.pk or (r.to_user_id is None and r.to_team_id in my_teams) or can_dispatch
        )
    can_review = user.has_perm(selectors.PERMS["review"])
    open_panel = next(iter(bound), "") if bound else ""
    from payvand.messaging.selectors import message_deliveries

    deliveries = message_deliveries(
        message_ids=[m.pk for m in ticket.thread if m.channel in (Channel.SMS, Channel.SOCIAL)]  # type: ignore[attr-defined]
    )
    for m in ticket.thread:  # type: ignore[attr-defined]
        m.can_review = can_review and m.review == Message.Review.PENDING
        m.split_open = open_panel == f"split-{m.pk}"
        m.delivery = deliveries.get(m.pk)
    type_form = ticket.type.form if ticket.type is not None and ticket.type.form_id else None
    edit_type_form_html = ""
    form_value_rows: list[tuple[str, str]] = []
    if type_form is not None:
        from payvand.forms.rendering import form_render, form_values_display

        form_value_rows = form_values_display(type_form, ticket.form_values)
        edit = all_forms["edit"]
        if edit.is_bound:
            edit_values = _type_form_values(ticket.type, request)[0] if ticket.type else None
            errors = getattr(edit, "payvand_error", None)
            edit_type_form_html = form_render(type_form, edit_values, errors, prefix=FORM_PREFIX)
        else:
            edit_type_form_html = form_render(type_form, ticket.form_values, None, prefix=FORM_PREFIX)
    return {
        "ticket": ticket,
        "flags": list(ticket.requester.flags.all()),
        "forms": all_forms,
        "error": error,
        "stale": stale,
        "history": selectors.requester_history(user=user, ticket=ticket),
        "events": event_list_for_target(target=ticket),
        "links": selectors.ticket_links(ticket=ticket),
        "form_value_rows": form_value_rows,
        "edit_type_form_html": edit_type_form_html,
        "is_watching": any(w.pk == user.pk for w in ticket.watcher_list),  # type: ignore[attr-defined]
        "can_change": user.has_perm(selectors.PERMS["change"]),
        "can_close": services.user_may_close(user=user, ticket=ticket),
        "can_reopen": not ticket.is_active
        and not ticket.merged_into_id
        and services.user_may_reopen(user=user, ticket=ticket),
        "can_merge": user.has_perm(selectors.PERMS["merge"]),
        "can_review": can_review,
        "can_see_contacts": user.has_perm("contacts.view_contact"),
        "task_states": Task.State.choices,
        "open_panel": open_panel,
    }


@ui_errors
def ticket_detail(request: HttpRequest, ticket_id: int) -> HttpResponse:
    context = _detail_context(request, ticket_id)
    if _wants_partial(request):
        part = request.GET.get("part", "")
        return render(request, f"helpdesk/detail.html#{part if part in DETAIL_PARTS else 'ticket'}", context)
    return render(request, "helpdesk/detail.html", context)


def _redraw(
    request: HttpRequest, ticket_id: int, panel: str, form: forms.Form, exc: PayvandError | None, status: int
) -> HttpResponse:
    stale = exc is not None and _is_stale(exc)
    if stale:
        error = _(
            "Someone else changed this ticket while you were working on it. The page now shows their "
            "changes and keeps what you typed: check it and save again."
        )
    elif exc is not None:
        error = _error_text(exc)
    else:
        error = _("Please correct the errors below.")
    context = _detail_context(request, ticket_id, bound={panel: form}, error=error, stale=stale)
    return render(request, "helpdesk/detail.html", context, status=status)


def _action(
    request: HttpRequest,
    ticket_id: int,
    panel: str,
    form: forms.Form,
    run: Callable[[Ticket, dict[str, Any]], Any],
    done: str | Callable[[Any], str],
    *,
    need: str = "change",
    field_for: Callable[[str], str | None] | None = None,
    goto: Callable[[Any], str] | None = None,
) -> HttpResponse:
    """Run one action of the ticket page: validate the form, call the service, redirect or draw the errors."""
    user = _user(request)
    ticket = selectors.ticket_get_for_user(user=user, ticket_id=ticket_id, action=need)
    if not form.is_valid():
        return _redraw(request, ticket.pk, panel, form, None, 422)
    try:
        result = run(ticket, form.cleaned_data)
    except ValidationFailed as exc:
        _apply_errors(form, exc, field_for, form.cleaned_data.get("type"))
        form.payvand_error = exc  # type: ignore[attr-defined]  # the type's custom form shows its field errors
        return _redraw(request, ticket.pk, panel, form, exc, 422)
    except PayvandError as exc:
        return _redraw(request, ticket.pk, panel, form, exc, exc.status)
    messages.success(request, done(result) if callable(done) else done)
    return redirect(goto(result) if goto is not None else reverse("helpdesk:detail", args=[ticket.pk]))


def _version(d: dict[str, Any]) -> int:
    return int(d["version"])


@require_POST
@ui_errors
def ticket_edit(request: HttpRequest, ticket_id: int) -> HttpResponse:
    form = f.TicketEditForm(request.POST)
    user = _user(request)

    def run(ticket: Ticket, d: dict[str, Any]) -> Ticket:
        changes: dict[str, Any] = {
            "subject": d["subject"],
            "description": d["description"],
            "type": d["type"],
            "category": d["category"],
            "priority": d["priority"],
            "project": d["project"],
            "due_at": d["due_at"],
            "estimate_minutes": d["estimate_minutes"],
            "tags": f.split_list(d["tags"]),
            "status": d["status"],
        }
        if d["type"] is not None and d["type"].form_id and d["type"].pk == ticket.type_id:
            changes["form_values"] = _type_form_values(d["type"], request)[0]
        return services.ticket_update(ticket=ticket, by=user, version=_version(d), **changes)

    return _action(request, ticket_id, "edit", form, run, _("Changes saved."), field_for=form.field_for)


@require_POST
@ui_errors
def ticket_assign(request: HttpRequest, ticket_id: int) -> HttpResponse:
    user = _user(request)
    return _action(
        request,
        ticket_id,
        "assign",
        f.AssignForm(request.POST),
        lambda t, d: services.ticket_assign(
            ticket=t, by=user, assignee=d["assignee"], team=d["team"], version=_version(d)
        ),
        _("Assignment saved."),
    )


@require_POST
@ui_errors
def ticket_watch(request: HttpRequest, ticket_id: int) -> HttpResponse:
    user = _user(request)
    watch = request.POST.get("watch") != "0"
    ticket = selectors.ticket_get_for_user(user=user, ticket_id=ticket_id)
    services.ticket_watch(ticket=ticket, by=user, watch=watch)
    if _wants_partial(request):
        return render(request, "helpdesk/detail.html#watch", {"ticket": ticket, "is_watching": watch})
    messages.success(request, _("You are watching this ticket.") if watch else _("You no longer watch this ticket."))
    return redirect("helpdesk:detail", ticket_id=ticket.pk)


# ---------------------------------------------------------------------------------------------- thread


@require_POST
@ui_errors
def message_add(request: HttpRequest, ticket_id: int) -> HttpResponse:
    user = _user(request)
    draft = request.POST.get("draft") == "1"

    def run(ticket: Ticket, d: dict[str, Any]) -> Message:
        return services.message_add(
            ticket=ticket,
            by=user,
            body=d["body"],
            kind=d["kind"],
            is_draft=draft,
            attachments=d["attachments"],
            channel=d.get("channel") or "" if d["kind"] == Message.Kind.REPLY else "",
        )

    def done(message: Message) -> str:
        if message.is_draft:
            return _("Draft saved. Only you can see it until you send it.")
        if message.review == Message.Review.PENDING:
            return _("Your reply waits for review before it is sent.")
        return _("Note added.") if message.kind == Message.Kind.NOTE else _("Reply sent.")

    return _action(request, ticket_id, "message", f.MessageForm(request.POST, request.FILES), run, done)


def _message_of(ticket: Ticket, user: User, message_id: int) -> Message:
    """A message of this ticket the user may see (someone else's draft is not one)."""
    message = Message.objects.filter(pk=message_id, ticket=ticket).select_related("ticket").first()
    if message is None or (message.is_draft and message.author_id != user.pk):
        raise NotFound(detail=_("No such message."))
    return message


@require_POST
@ui_errors
def message_send(request: HttpRequest, ticket_id: int, message_id: int) -> HttpResponse:
    """Send one of my drafts."""
    user = _user(request)
    ticket = selectors.ticket_get_for_user(user=user, ticket_id=ticket_id, action="change")
    message = _message_of(ticket, user, message_id)
    try:
        message = services.message_publish_draft(message=message, by=user)
    except PayvandError as exc:
        messages.error(request, _error_text(exc))
    else:
        pending = message.review == Message.Review.PENDING
        messages.success(request, _("Your reply waits for review before it is sent.") if pending else _("Sent."))
    return redirect("helpdesk:detail", ticket_id=ticket.pk)


@require_POST
@ui_errors
def message_review(request: HttpRequest, ticket_id: int, message_id: int) -> HttpResponse:
    """A reviewer approves a waiting reply (as written or edited) or sends it back to its author."""
    user = _user(request)
    ticket = selectors.ticket_get_for_user(user=user, ticket_id=ticket_id)
    message = _message_of(ticket, user, message_id)
    form = f.ReviewForm(request.POST)

    def run(_ticket: Ticket, d: dict[str, Any]) -> Message:
        approve = d["decision"] == "approve"
        edited = d["body"].strip()
        body = edited if approve and edited and edited != message.body_text.strip() else None
        return services.message_review(message=message, by=user, approve=approve, body=body, note=d["note"])

    def done(m: Message) -> str:
        return _("Reply approved and sent.") if m.review == Message.Review.APPROVED else _("Reply sent back.")

    return _action(request, ticket.pk, f"review-{message.pk}", form, run, done, need="view")


@require_POST
@ui_errors
def message_split(request: HttpRequest, ticket_id: int, message_id: int) -> HttpResponse:
    user = _user(request)
    ticket = selectors.ticket_get_for_user(user=user, ticket_id=ticket_id, action="change")
    message = _message_of(ticket, user, message_id)
    return _action(
        request,
        ticket.pk,
        f"split-{message.pk}",
        f.SplitForm(request.POST),
        lambda _t, d: services.message_split(message=message, by=user, subject=d["subject"]),
        lambda new: _("The message is now ticket %(ref)s.") % {"ref": new.reference},
        goto=lambda new: reverse("helpdesk:detail", args=[new.pk]),
    )


@ui_errors
def attachment_download(request: HttpRequest, ticket_id: int, attachment_id: int) -> FileResponse:
    """Attachments are served only through this view, to people who may see the ticket (never a public URL)."""
    user = _user(request)
    attachment = selectors.attachment_get_for_user(user=user, ticket_id=ticket_id, attachment_id=attachment_id)
    try:
        handle = attachment.file.open("rb")
    except (FileNotFoundError, OSError):
        raise Http404(_("The file is missing from the storage.")) from None
    response = FileResponse(handle, as_attachment=True, filename=attachment.name, content_type=attachment.content_type)
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "private, no-store"
    return response


# ---------------------------------------------------------------------------------------------- tasks and time


@require_POST
@ui_errors
def task_add(request: HttpRequest, ticket_id: int) -> HttpResponse:
    user = _user(request)
    return _action(
        request,
        ticket_id,
        "task",
        f.TaskForm(request.POST),
        lambda t, d: services.task_create(
            ticket=t,
            by=user,
            title=d["title"],
            description=d["description"],
            assignee=d["assignee"],
            team=d["team"],
            required_skill=d["required_skill"],
            due_at=d["due_at"],
            mandatory=d["mandatory"],
        ),
        _("Task added."),
    )


@require_POST
@ui_errors
def task_state(request: HttpRequest, ticket_id: int, task_id: int) -> HttpResponse:
    user = _user(request)
    ticket = selectors.ticket_get_for_user(user=user, ticket_id=ticket_id, action="change")
    task = Task.objects.filter(pk=task_id, ticket=ticket).first()
    if task is None:
        raise Http404(_("No such task."))
    return _action(
        request,
        ticket.pk,
        "tasks",
        f.TaskStateForm(request.POST),
        lambda _t, d: services.task_update(task=task, by=user, state=d["state"]),
        _("Task updated."),
    )


@require_POST
@ui_errors
def worklog_add(request: HttpRequest, ticket_id: int) -> HttpResponse:
    user = _user(request)
    ticket = selectors.ticket_get_for_user(user=user, ticket_id=ticket_id, action="change")
    return _action(
        request,
        ticket.pk,
        "worklog",
        f.WorkLogForm(request.POST, ticket_id=ticket.pk),
        lambda t, d: services.worklog_add(
            ticket=t, by=user, minutes=d["minutes"], billable=d["billable"], note=d["note"], task=d["task"]
        ),
        _("Time logged."),
    )


@require_POST
@ui_errors
def worklog_delete(request: HttpRequest, ticket_id: int, worklog_id: int) -> HttpResponse:
    user = _user(request)
    ticket = selectors.ticket_get_for_user(user=user, ticket_id=ticket_id, action="change")
    worklog = WorkLog.objects.filter(pk=worklog_id, ticket=ticket).select_related("ticket").first()
    if worklog is None:
        raise Http404(_("No such work log."))
    try:
        services.worklog_delete(worklog=worklog, by=user)
    except PayvandError as exc:
        messages.error(request, _error_text(exc))
    else:
        messages.success(request, _("Logged time removed."))
    return redirect("helpdesk:detail", ticket_id=ticket.pk)


# ---------------------------------------------------------------------------------------------- referral


@require_POST
@ui_errors
def ticket_refer(request: HttpRequest, ticket_id: int) -> HttpResponse:
    user = _user(request)
    return _action(
        request,
        ticket_id,
        "refer",
        f.ReferForm(request.POST),
        lambda t, d: services.ticket_refer(
            ticket=t, by=user, to_user=d["to_user"], to_team=d["to_team"], note=d["note"]
        ),
        _("Referred."),
    )


@require_POST
@ui_errors
def referral_answer(request: HttpRequest, ticket_id: int, referral_id: int) -> HttpResponse:
    user = _user(request)
    ticket = selectors.ticket_get_for_user(user=user, ticket_id=ticket_id)
    referral = Referral.objects.filter(pk=referral_id, ticket=ticket).first()
    if referral is None:
        raise Http404(_("No such referral."))
    return _action(
        request,
        ticket.pk,
        "referrals",
        f.ReferralAnswerForm(request.POST),
        lambda _t, d: services.referral_respond(
            referral=referral, by=user, accept=d["decision"] == "accept", note=d["note"]
        ),
        lambda r: _("Referral accepted.") if r.state == Referral.State.ACCEPTED else _("Referral returned."),
        need="view",
    )


# ---------------------------------------------------------------------------------------------- links and merge


@require_POST
@ui_errors
def ticket_link(request: HttpRequest, ticket_id: int) -> HttpResponse:
    user = _user(request)

    def run(ticket: Ticket, d: dict[str, Any]) -> TicketLink:
        target = _by_reference(user, d["reference"])
        return services.ticket_link(source=ticket, target=target, by=user, kind=d["kind"])

    return _action(request, ticket_id, "link", f.LinkForm(request.POST), run, _("Linked."), field_for=_reference_field)


def _by_reference(user: User, reference: str) -> Ticket:
    try:
        return selectors.ticket_get_by_reference(user=user, reference=reference)
    except NotFound:
        message = _("There is no ticket %(ref)s that you can see.") % {"ref": reference}
        raise ValidationFailed.on("reference", message) from None


def _reference_field(name: str) -> str | None:
    return "reference" if name in ("reference", "target", "into") else None


@require_POST
@ui_errors
def ticket_merge(request: HttpRequest, ticket_id: int) -> HttpResponse:
    """Merge this ticket into another one (the survivor); this one closes and points there."""
    user = _user(request)

    def run(ticket: Ticket, d: dict[str, Any]) -> Ticket:
        survivor = _by_reference(user, d["reference"])
        return services.ticket_merge(survivor=survivor, duplicate=ticket, by=user)

    return _action(
        request,
        ticket_id,
        "merge",
        f.MergeForm(request.POST),
        run,
        lambda keep: _("Merged into %(ref)s.") % {"ref": keep.reference},
        need="view",
        field_for=_reference_field,
        goto=lambda keep: reverse("helpdesk:detail", args=[keep.pk]),
    )


# ---------------------------------------------------------------------------------------------- life cycle


@require_POST
@ui_errors
def ticket_resolve(request: HttpRequest, ticket_id: int) -> HttpResponse:
    user = _user(request)

    def done(ticket: Ticket) -> str:
        if ticket.status_category == StatusCategory.RESOLVED:
            return _("Resolved.")
        return _("Your resolution is proposed; someone with the right to close will check it.")

    return _action(
        request,
        ticket_id,
        "resolve",
        f.ResolveForm(request.POST),
        lambda t, d: services.ticket_resolve(ticket=t, by=user, resolution=d["resolution"], version=_version(d)),
        done,
    )


@require_POST
@ui_errors
def ticket_close(request: HttpRequest, ticket_id: int) -> HttpResponse:
    user = _user(request)
    return _action(
        request,
        ticket_id,
        "close",
        f.ResolveForm(request.POST, prefix="close"),
        lambda t, d: services.ticket_close(ticket=t, by=user, resolution=d["resolution"], version=_version(d)),
        _("Closed."),
        need="view",
    )


@require_POST
@ui_errors
def ticket_cancel(request: HttpRequest, ticket_id: int) -> HttpResponse:
    user = _user(request)
    return _action(
        request,
        ticket_id,
        "cancel",
        f.CancelForm(request.POST),
        lambda t, d: services.ticket_cancel(ticket=t, by=user, reason=d["reason"], version=_version(d)),
        _("Cancelled."),
        need="view",
    )


@require_POST
@ui_errors
def ticket_postpone(request: HttpRequest, ticket_id: int) -> HttpResponse:
    user = _user(request)
    return _action(
        request,
        ticket_id,
        "postpone",
        f.PostponeForm(request.POST),
        lambda t, d: services.ticket_postpone(ticket=t, by=user, until=d["until"], note=d["note"], version=_version(d)),
        _("Postponed."),
    )


@require_POST
@ui_errors
def ticket_reopen(request: HttpRequest, ticket_id: int) -> HttpResponse:
    user = _user(request)
    return _action(
        request,
        ticket_id,
        "reopen",
        f.ReopenForm(request.POST),
        lambda t, d: services.ticket_reopen(ticket=t, by=user, reason=d["reason"]),
        _("Reopened."),
        need="view",
    )
