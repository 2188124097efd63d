"""The cartable (R-003.3): every user's work inbox, with its lists, counts, filters, saved views and bulk actions.

Thin views over `helpdesk.selectors` (reads) and `helpdesk.services` (writes). One page, `helpdesk/cartable.html`,
holds the fragments htmx swaps (`#cartable-nav`, `#cartable-list`), so a live push (see `core/static/core/live.js`)
re-fetches only the list and the counts. `docs/cartable.md` describes the page and its test hooks.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.db.models import F
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from payvand.accounts.models import Team, User
from payvand.core.errors import PayvandError, ValidationFailed
from payvand.core.forms import BootstrapForm, apply_errors
from payvand.core.http import is_htmx, ui_errors
from payvand.helpdesk import selectors, services
from payvand.helpdesk.models import (
    ACTIVE_CATEGORIES,
    Category,
    Priority,
    SavedView,
    Status,
    StatusCategory,
    Ticket,
    TicketType,
)

PAGE_SIZE = 25
# Lists that are not ticket lists (tasks, replies to review, mentions, referrals) show at most this many rows,
# the most urgent first; they are short by nature (they empty as the user works).
SHORT_LIST_LIMIT = 100
BULK_LIMIT = 100


@dataclass(frozen=True)
class CartableList:
    key: str
    label: Any
    icon: str
    kind: str  # "tickets" (keyset-paginated, filterable, bulk actions) or the kind of row it shows
    count_key: str | None


LISTS: tuple[CartableList, ...] = (
    CartableList("mine", gettext_lazy("My tickets"), "bi-person-check", "tickets", "mine"),
    CartableList("tasks", gettext_lazy("My tasks"), "bi-list-check", "tasks", "tasks"),
    CartableList("team", gettext_lazy("My team's queue"), "bi-people", "tickets", "team"),
    CartableList("unassigned", gettext_lazy("Unassigned"), "bi-inbox", "tickets", "unassigned"),
    CartableList("review", gettext_lazy("Waiting for my review"), "bi-eye", "review", "review"),
    CartableList("mentions", gettext_lazy("Mentions"), "bi-at", "mentions", "mentions"),
    CartableList("overdue", gettext_lazy("Overdue"), "bi-alarm", "tickets", "overdue"),
    CartableList(
        "referrals", gettext_lazy("Referrals waiting for me"), "bi-arrow-left-right", "referrals", "referrals"
    ),
    CartableList("approvals", gettext_lazy("Waiting for my approval"), "bi-check2-square", "approvals", "approvals"),
    CartableList("all", gettext_lazy("All I can see"), "bi-collection", "tickets", None),
)
LISTS_BY_KEY = {item.key: item for item in LISTS}
DEFAULT_LIST = "mine"
# The filters the page offers (values are what `selectors.ticket_filter` takes).
FILTERS = ("status", "priority", "team", "type", "category", "search")
SORT_LABELS = {
    "-updated_at": gettext_lazy("Recently updated"),
    "updated_at": gettext_lazy("Least recently updated"),
    "-created_at": gettext_lazy("Newest"),
    "created_at": gettext_lazy("Oldest"),
    "-priority": gettext_lazy("Highest priority"),
    "priority": gettext_lazy("Lowest priority"),
    "due_at": gettext_lazy("Due soonest"),
    "-due_at": gettext_lazy("Due latest"),
}
DEFAULT_SORT = "-updated_at"
BULK_ACTIONS = {
    "assign": gettext_lazy("Assign to"),
    "refer": gettext_lazy("Move to team"),
    "status": gettext_lazy("Set status"),
    "close": gettext_lazy("Close"),
    "watch": gettext_lazy("Watch"),
}


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


def _safe_next(request: HttpRequest, fallback: str) -> str:
    nxt = request.POST.get("next") or request.GET.get("next") or ""
    if nxt and url_has_allowed_host_and_scheme(nxt, allowed_hosts={request.get_host()}, require_https=False):
        return nxt
    return fallback


# ---------------------------------------------------------------------------------------------- state


@dataclass
class CartableState:
    """What the viewer asked for: a list, its filters and sort, a page cursor, and the saved view it came from."""

    list_key: str = DEFAULT_LIST
    filters: dict[str, str] = field(default_factory=dict)
    sort: str = DEFAULT_SORT
    cursor: str = ""
    view_id: int | None = None

    @property
    def current(self) -> CartableList:
        return LISTS_BY_KEY[self.list_key]

    def query(self, **overrides: Any) -> str:
        """The query string of this state (without the cursor unless given)."""
        params: dict[str, Any] = {"list": self.list_key, **self.filters}
        if self.sort != DEFAULT_SORT:
            params["sort"] = self.sort
        if self.view_id:
            params["view"] = self.view_id
        params.update(overrides)
        return urlencode({k: v for k, v in params.items() if v not in (None, "")})

    @property
    def url(self) -> str:
        return f"{reverse('cartable:index')}?{self.query()}"

    @property
    def list_query(self) -> str:
        """What the list part re-fetches on a live push: the same page it shows."""
        return self.query(cursor=self.cursor)


def _saved_view_state(view: SavedView) -> CartableState:
    key = view.filters.get("list") or "all"
    return CartableState(
        list_key=key if key in LISTS_BY_KEY else "all",
        filters={k: v for k, v in view.filters.items() if k in FILTERS},
        sort=view.sort if view.sort in SORT_LABELS else DEFAULT_SORT,
        view_id=view.pk,
    )


def _state_from(params: Any, user: User) -> CartableState:
    key = str(params.get("list", "") or DEFAULT_LIST)
    if key not in LISTS_BY_KEY or (key == "review" and not user.has_perm(selectors.PERMS["review"])):
        key = DEFAULT_LIST
    state = CartableState(list_key=key)
    if state.current.kind == "tickets":
        state.filters = {name: str(params.get(name, "")).strip()[:200] for name in FILTERS if params.get(name)}
        sort = str(params.get("sort", "") or DEFAULT_SORT)
        state.sort = sort if sort in SORT_LABELS else DEFAULT_SORT
        state.cursor = str(params.get("cursor", ""))[:500]
    view = str(params.get("view", ""))
    state.view_id = int(view) if view.isdigit() and len(view) < 12 else None
    return state


# ---------------------------------------------------------------------------------------------- reads


@dataclass
class ListResult:
    rows: list[Any]
    next_query: str | None = None
    truncated: bool = False
    errors: list[str] = field(default_factory=list)


def _list_rows(user: User, state: CartableState) -> ListResult:
    kind = state.current.kind
    if kind == "tickets":
        errors: list[str] = []
        try:
            page = selectors.ticket_page(
                user=user,
                filters={"list": state.list_key, **state.filters},
                sort=state.sort,
                cursor=state.cursor or None,
                limit=PAGE_SIZE,
            )
        except ValidationFailed as exc:
            # A bad filter value (hand-edited URL, stale cursor): say so and show the list without its filters.
            errors = [str(e.message) for e in exc.errors] or [str(exc.detail)]
            state.filters, state.cursor = {}, ""
            page = selectors.ticket_page(user=user, filters={"list": state.list_key}, sort=state.sort, limit=PAGE_SIZE)
        for ticket in page.items:
            ticket.url = services.ticket_url(ticket)
        next_query = state.query(cursor=page.next_cursor) if page.next_cursor else None
        return ListResult(rows=page.items, next_query=next_query, errors=errors)
    if kind == "tasks":
        qs: Any = selectors.task_queryset_mine(user=user)
    elif kind == "review":
        qs = selectors.review_queue(user=user)
    elif kind == "approvals":
        return ListResult(rows=_approval_rows(user), truncated=False)
    elif kind == "mentions":
        qs = (
            selectors.mentions_for(user=user)
            .select_related("message__ticket__status")
            .order_by(F("seen_at").asc(nulls_first=True), "-message__created_at", "-pk")
        )
    else:
        qs = selectors.referrals_waiting(user=user).select_related("ticket__status", "to_user")
    rows = list(qs[: SHORT_LIST_LIMIT + 1])
    truncated = len(rows) > SHORT_LIST_LIMIT
    return ListResult(rows=rows[:SHORT_LIST_LIMIT], truncated=truncated)


def _approvals_waiting(user: User) -> Any:
    """The approval requests waiting for my decision (a step of mine still open on a request still open): asked of
    me by name or through my role; with "any one approver" a request leaves every list once someone approved it,
    with "all approvers" it leaves mine once I decided."""
    from payvand.automation import approvals

    return approvals.approvals_pending_for(user=user)


def _approval_rows(user: User) -> list[Any]:
    """The steps waiting for me, each with its request's progress and, for a ticket I may open, the ticket."""
    from django.contrib.contenttypes.models import ContentType

    from payvand.automation import approvals

    steps = list(_approvals_waiting(user).prefetch_related("request__steps")[: SHORT_LIST_LIMIT + 1])
    ticket_type = ContentType.objects.get_for_model(Ticket)
    ids = [int(s.request.target_id) for s in steps if s.request.target_type_id == ticket_type.pk]
    tickets = {t.pk: t for t in selectors.ticket_queryset_for_user(user=user).filter(pk__in=ids)}
    for step in steps:
        request = step.request
        step.total, step.approved, step.rejected = approvals.approval_tally(request)
        step.is_ticket = request.target_type_id == ticket_type.pk
        step.ticket = tickets.get(int(request.target_id)) if step.is_ticket else None
    return steps


def _nav_context(user: User, state: CartableState) -> dict[str, Any]:
    counts = selectors.cartable_counts(user=user)
    counts["approvals"] = _approvals_waiting(user).count()
    may_review = user.has_perm(selectors.PERMS["review"])
    lists: list[dict[str, Any]] = [
        {"item": item, "count": counts.get(item.count_key) if item.count_key else None}
        for item in LISTS
        if item.key != "review" or may_review
    ]
    saved = list(user.saved_views.all())
    views = [{"view": view, "url": _saved_view_state(view).url} for view in saved]
    current_view = next((view for view in saved if view.pk == state.view_id), None)
    for entry in lists:
        entry["active"] = entry["item"].key == state.list_key and current_view is None
    return {"lists": lists, "counts": counts, "saved_views": views, "current_view": current_view, "state": state}


def _choices() -> dict[str, Any]:
    statuses = selectors.statuses()
    return {
        "status_choices": [("active", _("Any open status"))]
        + [(value, label) for value, label in StatusCategory.choices]
        + [(str(s.pk), str(s)) for s in statuses if not s.is_builtin],
        "bulk_statuses": [
            s for s in statuses if s.category in ACTIVE_CATEGORIES and s.category != StatusCategory.POSTPONED
        ],
        "priority_choices": [(str(value), label) for value, label in Priority.choices],
        "teams": list(Team.objects.order_by("name").only("pk", "name")),
        "types": list(TicketType.objects.filter(is_active=True).only("pk", "name")),
        "categories": list(Category.objects.filter(is_active=True).only("pk", "name")),
        "sort_choices": list(SORT_LABELS.items()),
        "bulk_actions": BULK_ACTIONS,
    }


def _assignee_choices(user: User) -> list[User]:
    """People a ticket can be given to from here: members of my teams (anyone active for dispatchers)."""
    qs = User.objects.filter(is_active=True, memberships__isnull=False)
    if not selectors.sees_everything(user):
        qs = qs.filter(memberships__team__members=user)
    return list(qs.distinct().order_by("full_name", "email").only("pk", "full_name", "email"))


class SavedViewForm(BootstrapForm):
    name = forms.CharField(label=gettext_lazy("Name"), max_length=100)


def _page(request: HttpRequest, state: CartableState, *, save_form: SavedViewForm | None = None, status: int = 200):
    user = _user(request)
    context: dict[str, Any] = {
        "state": state,
        "result": _list_rows(user, state),
        **_nav_context(user, state),
        **_choices(),
        "assignees": _assignee_choices(user),
        "save_form": save_form or SavedViewForm(),
        "may_close": user.has_perm(selectors.PERMS["close"]),
        "now": timezone.now(),
    }
    return render(request, "helpdesk/cartable.html", context, status=status)


# ---------------------------------------------------------------------------------------------- pages


@require_GET
@ui_errors
def cartable(request: HttpRequest) -> HttpResponse:
    """The work inbox. htmx asks for a part of it by its target: `cartable-list` (the rows) or `cartable-nav`."""
    user = _user(request)
    selectors.ticket_require_perm(user=user, action="view")
    choice = str(request.GET.get("list", ""))
    if choice.startswith("view:"):  # the list picker on small screens offers saved views too
        view = user.saved_views.filter(pk=int(choice[5:])).first() if choice[5:].isdigit() else None
        url = _saved_view_state(view).url if view else reverse("cartable:index")
        if is_htmx(request):
            return HttpResponse(headers={"HX-Redirect": url})
        return redirect(url)
    state = _state_from(request.GET, user)
    target = request.htmx.target if is_htmx(request) else None  # type: ignore[attr-defined]
    if target == "cartable-list":
        context = {"state": state, "result": _list_rows(user, state), "now": timezone.now()}
        return render(request, "helpdesk/cartable.html#list", context)
    if target == "cartable-nav":
        return render(request, "helpdesk/cartable.html#nav", _nav_context(user, state))
    return _page(request, state)


@require_GET
@ui_errors
def cartable_badge(request: HttpRequest) -> HttpResponse:
    """The navigation badge: how many things wait for me (referrals, unseen mentions, replies to review,
    approvals)."""
    user = _user(request)
    if not user.has_perm(selectors.PERMS["view"]):
        return HttpResponse("")
    waiting = selectors.referrals_waiting(user=user).count() + _approvals_waiting(user).count()
    waiting += selectors.mentions_for(user=user).filter(seen_at__isnull=True).count()
    if user.has_perm(selectors.PERMS["review"]):
        waiting += selectors.review_queue(user=user).count()
    return render(request, "helpdesk/cartable_badge.html", {"waiting": waiting})


@require_POST
@ui_errors
def saved_view_save(request: HttpRequest) -> HttpResponse:
    """Save the current list, filters and sort under a name (the same name again replaces it)."""
    user = _user(request)
    selectors.ticket_require_perm(user=user, action="view")
    state = _state_from(request.POST, user)
    form = SavedViewForm(request.POST)
    if form.is_valid():
        raw = {name: str(request.POST.get(name, "")).strip()[:200] for name in FILTERS if request.POST.get(name)}
        filters = {"list": str(request.POST.get("list", "")), **raw}
        try:
            if LISTS_BY_KEY.get(filters["list"]) is None or LISTS_BY_KEY[filters["list"]].kind != "tickets":
                raise ValidationFailed.on("list", _("Only ticket lists can be saved as views."))
            selectors.ticket_filter(Ticket.objects.none(), user=user, filters=filters)  # checks every value
            view = services.saved_view_save(
                user=user,
                name=form.cleaned_data["name"],
                filters=filters,
                sort=str(request.POST.get("sort", "") or DEFAULT_SORT),
            )
        except ValidationFailed as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("View “%(name)s” saved.") % {"name": view.name})
            return redirect(_saved_view_state(view).url)
    return _page(request, state, save_form=form, status=422)


@require_POST
@ui_errors
def saved_view_delete(request: HttpRequest, view_id: int) -> HttpResponse:
    user = _user(request)
    services.saved_view_delete(user=user, view_id=view_id)
    messages.success(request, _("View deleted."))
    return redirect("cartable:index")


# ---------------------------------------------------------------------------------------------- bulk actions


@dataclass
class BulkResult:
    ticket_id: int
    label: str
    ok: bool
    message: str = ""


def _error_text(exc: PayvandError) -> str:
    parts = [str(exc.detail), *(str(e.message) for e in exc.errors)]
    return " ".join(dict.fromkeys(p for p in parts if p))


def _bulk_target(user: User, action: str, post: Any) -> dict[str, Any]:
    """Check the action and load what it needs (the person, team or status); raise ValidationFailed if missing."""
    if action not in BULK_ACTIONS:
        raise ValidationFailed.on("action", _("Choose an action."))
    if action == "assign":
        raw = str(post.get("assignee", ""))
        assignee = User.objects.filter(pk=int(raw), is_active=True).first() if raw.isdigit() else None
        if assignee is None:
            raise ValidationFailed.on("assignee", _("Choose a person."))
        return {"assignee": assignee}
    if action == "refer":
        raw = str(post.get("team", ""))
        team = Team.objects.filter(pk=int(raw)).first() if raw.isdigit() else None
        if team is None:
            raise ValidationFailed.on("team", _("Choose a team."))
        return {"team": team, "note": str(post.get("note", ""))[:5000]}
    if action == "status":
        raw = str(post.get("status", ""))
        status = Status.objects.filter(pk=int(raw)).first() if raw.isdigit() else None
        if status is None:
            raise ValidationFailed.on("status", _("Choose a status."))
        return {"status": status}
    return {}


def _bulk_one(user: User, action: str, ticket_id: int, target: dict[str, Any]) -> BulkResult:
    label = f"#{ticket_id}"
    try:
        ticket = selectors.ticket_get_for_user(
            user=user, ticket_id=ticket_id, action="view" if action == "watch" else "change"
        )
        label = ticket.reference
        if action == "assign":
            services.ticket_assign(ticket=ticket, by=user, assignee=target["assignee"])
        elif action == "refer":
            services.ticket_refer(ticket=ticket, by=user, to_team=target["team"], note=target["note"])
        elif action == "status":
            services.ticket_set_status(ticket=ticket, by=user, status=target["status"])
        elif action == "close":
            services.ticket_close(ticket=ticket, by=user)
        else:
            services.ticket_watch(ticket=ticket, by=user, watch=True)
    except PayvandError as exc:
        return BulkResult(ticket_id=ticket_id, label=label, ok=False, message=_error_text(exc))
    return BulkResult(ticket_id=ticket_id, label=label, ok=True)


@require_POST
@ui_errors
def cartable_bulk(request: HttpRequest) -> HttpResponse:
    """Run one action on each selected ticket, each in its own transaction, and report per ticket."""
    user = _user(request)
    selectors.ticket_require_perm(user=user, action="view")
    action = str(request.POST.get("action", ""))
    raw_ids = request.POST.getlist("ticket")
    ids = list(dict.fromkeys(int(i) for i in raw_ids if i.isdigit() and len(i) < 18))
    results: list[BulkResult] = []
    error = ""
    try:
        if not ids:
            raise ValidationFailed.on("ticket", _("Select at least one ticket."))
        if len(ids) > BULK_LIMIT:
            raise ValidationFailed.on("ticket", _("Select at most %(n)s tickets at once.") % {"n": BULK_LIMIT})
        target = _bulk_target(user, action, request.POST)
    except ValidationFailed as exc:
        error = _error_text(exc)
    else:
        results = [_bulk_one(user, action, ticket_id, target) for ticket_id in ids]
    done = sum(1 for r in results if r.ok)
    failed = [r for r in results if not r.ok]
    if is_htmx(request):
        # The result box always shows (htmx swaps only 2xx answers); the lists refresh when something changed.
        response = render(
            request,
            "helpdesk/cartable_bulk_result.html",
            {"results": results, "error": error, "done": done, "failed": failed, "action": BULK_ACTIONS.get(action)},
        )
        if done:
            response["HX-Trigger"] = "pv-changed"
        return response
    if error:
        messages.error(request, error)
    if done:
        messages.success(request, _("Done for %(n)s tickets.") % {"n": done})
    for r in failed:
        messages.error(request, f"{r.label}: {r.message}")
    return redirect(_safe_next(request, reverse("cartable:index")))


# ---------------------------------------------------------------------------------------------- availability


@require_POST
@ui_errors
def availability(request: HttpRequest) -> HttpResponse:
    """The online/away/off switch in the navigation bar: routing gives new tickets only to people online."""
    user = _user(request)
    selectors.ticket_require_perm(user=user, action="view")
    error = ""
    try:
        services.availability_set(user=user, availability=str(request.POST.get("availability", "")))
    except ValidationFailed as exc:
        error = _error_text(exc)
    if is_htmx(request):
        return render(request, "helpdesk/cartable_availability.html", {"availability_error": error})
    if error:
        messages.error(request, error)
    return redirect(_safe_next(request, reverse("cartable:index")))
