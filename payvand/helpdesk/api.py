"""The helpdesk API: tickets and their actions, reference data, and the cartable. Thin: parse → service/selector →
schema. Ids in a body that name nothing (or nothing the caller may use) are a 422 naming the field."""

from __future__ import annotations

from typing import Any

from django.db.models import Model, Q
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import File, Form, Query, Router, UploadedFile

from payvand.accounts.models import Skill, Team, User
from payvand.contacts.models import Contact
from payvand.core.errors import NotFound, PermissionDenied, ValidationFailed
from payvand.core.schemas import ERRORS, PathId
from payvand.helpdesk import selectors, services
from payvand.helpdesk.models import (
    Category,
    Message,
    Referral,
    Status,
    Task,
    Ticket,
    TicketLink,
    TicketType,
    WorkLog,
)
from payvand.helpdesk.schemas import (
    AttachmentOut,
    AvailabilityIn,
    AvailabilityOut,
    CartableMentionOut,
    CartableMessageOut,
    CartableOut,
    CartableReferralOut,
    CartableTaskOut,
    CategoryOut,
    ContactRefOut,
    LinkOut,
    MessageAddIn,
    MessageKindIn,
    MessageOut,
    MessageReviewIn,
    MessageSplitIn,
    NamedRefOut,
    ReferralOut,
    ReferralRespondIn,
    SavedViewIn,
    SavedViewOut,
    StatusOut,
    TaskCreateIn,
    TaskOut,
    TaskUpdateIn,
    TeamRefOut,
    TicketAssignIn,
    TicketCancelIn,
    TicketCreateIn,
    TicketCreateOut,
    TicketDuplicateOut,
    TicketLinkIn,
    TicketListItemOut,
    TicketListParams,
    TicketMergeIn,
    TicketOut,
    TicketPageOut,
    TicketPostponeIn,
    TicketReferIn,
    TicketRefOut,
    TicketReopenIn,
    TicketResolveIn,
    TicketStateOut,
    TicketTypeOut,
    TicketUpdateIn,
    TicketWatchIn,
    TicketWatchOut,
    UserRefOut,
    WorkLogAddIn,
    WorkLogOut,
)
from payvand.projects.models import Project

router = Router(tags=["tickets"])
cartable_router = Router(tags=["cartable"])

MAX_FILES = 20


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


# ---------------------------------------------------------------------------------------------- input references


def _ref[M: Model](model: type[M], pk: int | None, field: str, message: str, **filters: Any) -> M | None:
    """The object a body field names, or a 422 on that field."""
    if pk is None:
        return None
    obj = model._default_manager.filter(pk=pk, **filters).first()
    if obj is None:
        raise ValidationFailed.on(field, message)
    return obj


def _contact(pk: int, field: str) -> Contact:
    contact = _ref(Contact, pk, field, _("No such contact."))
    assert contact is not None
    return contact


def _agent(pk: int | None, field: str) -> User | None:
    return _ref(User, pk, field, _("No such active user."), is_active=True)


def _team(pk: int | None, field: str) -> Team | None:
    return _ref(Team, pk, field, _("No such team."))


def _type(pk: int | None, field: str = "type") -> TicketType | None:
    return _ref(TicketType, pk, field, _("No such ticket type."), is_active=True)


def _category(pk: int | None, field: str = "category") -> Category | None:
    return _ref(Category, pk, field, _("No such category."), is_active=True)


def _project(pk: int | None, field: str = "project") -> Project | None:
    return _ref(Project, pk, field, _("No such project."))


def _watchers(ids: list[int], field: str = "watchers") -> list[User]:
    found = {u.pk: u for u in User.objects.filter(pk__in=ids, is_active=True)}
    for n, pk in enumerate(ids):
        if pk not in found:
            raise ValidationFailed.on(f"{field}.{n}", _("No such active user."))
    return [found[pk] for pk in dict.fromkeys(ids)]


def _visible_ticket(user: User, pk: int, field: str, action: str = "view") -> Ticket:
    """Another ticket named in a body: one the caller may see, or a 422 on that field."""
    try:
        return selectors.ticket_get_for_user(user=user, ticket_id=pk, action=action)
    except NotFound:
        raise ValidationFailed.on(field, _("No such ticket.")) from None


# ---------------------------------------------------------------------------------------------- output


def user_ref(u: User | None) -> UserRefOut | None:
    return UserRefOut(id=u.pk, full_name=u.full_name, email=u.email) if u is not None else None


def user_out(u: User) -> UserRefOut:
    return UserRefOut(id=u.pk, full_name=u.full_name, email=u.email)


def team_ref(t: Team | None) -> TeamRefOut | None:
    return TeamRefOut(id=t.pk, name=t.name) if t is not None else None


def contact_ref(c: Contact | None) -> ContactRefOut | None:
    return ContactRefOut(id=c.pk, name=c.name) if c is not None else None


def named_ref(o: Any) -> NamedRefOut | None:
    return NamedRefOut(id=o.pk, name=str(o.name)) if o is not None else None


def ticket_ref(t: Ticket) -> TicketRefOut:
    return TicketRefOut(id=t.pk, reference=t.reference, subject=t.subject)


def status_out(s: Status) -> StatusOut:
    return StatusOut(id=s.pk, name=str(s), category=s.category, is_builtin=s.is_builtin, order=s.order, colour=s.colour)


def ticket_state_out(t: Ticket) -> dict[str, Any]:
    return {
        "id": t.pk,
        "reference": t.reference,
        "subject": t.subject,
        "version": t.version,
        "status": status_out(t.status),
        "team": team_ref(t.team),
        "assignee": user_ref(t.assignee),
        "postponed_until": t.postponed_until,
        "resolution": t.resolution,
        "proposed_resolution": t.proposed_resolution,
        "merged_into": ticket_ref(t.merged_into) if t.merged_into is not None else None,
    }


def message_out(m: Message) -> MessageOut:
    return MessageOut(
        id=m.pk,
        kind=m.kind,
        author=user_ref(m.author),
        author_contact=contact_ref(m.author_contact),
        channel=m.channel,
        body_text=m.body_text,
        body_html=m.body_html,
        is_draft=m.is_draft,
        review=m.review,
        reviewed_by=user_ref(m.reviewed_by),
        review_note=m.review_note,
        created_at=m.created_at,
        sent_at=m.sent_at,
        attachments=[
            AttachmentOut(id=a.pk, name=a.name, content_type=a.content_type, size=a.size) for a in m.attachments.all()
        ],
    )


def task_out(t: Task) -> TaskOut:
    return TaskOut(
        id=t.pk,
        ticket_id=t.ticket_id,
        title=t.title,
        description=t.description,
        assignee=user_ref(t.assignee),
        team=team_ref(t.team),
        required_skill=named_ref(t.required_skill),
        due_at=t.due_at,
        state=t.state,
        mandatory=t.mandatory,
        done_at=t.done_at,
        created_at=t.created_at,
    )


def worklog_out(w: WorkLog) -> WorkLogOut:
    return WorkLogOut(
        id=w.pk,
        ticket_id=w.ticket_id,
        task_id=w.task_id,
        user=user_out(w.user),
        started_at=w.started_at,
        minutes=w.minutes,
        billable=w.billable,
        note=w.note,
    )


def referral_out(r: Referral) -> ReferralOut:
    return ReferralOut(
        id=r.pk,
        ticket_id=r.ticket_id,
        from_user=user_ref(r.from_user),
        from_team=team_ref(r.from_team),
        to_user=user_ref(r.to_user),
        to_team=team_ref(r.to_team),
        note=r.note,
        state=r.state,
        response_note=r.response_note,
        responded_by=user_ref(r.responded_by),
        created_at=r.created_at,
        responded_at=r.responded_at,
    )


def _links(user: User, ticket: Ticket) -> list[LinkOut]:
    """The ticket's links, to tickets the viewer may see."""
    rows = list(
        TicketLink.objects.filter(Q(source=ticket) | Q(target=ticket))
        .select_related("source", "target")
        .order_by("created_at", "id")
    )
    others = {r.target_id if r.source_id == ticket.pk else r.source_id for r in rows}
    visible = set(selectors.ticket_queryset_for_user(user=user).filter(pk__in=others).values_list("pk", flat=True))
    out = []
    for r in rows:
        outgoing = r.source_id == ticket.pk
        other = r.target if outgoing else r.source
        if other.pk in visible:
            out.append(LinkOut(id=r.pk, kind=r.kind, direction="out" if outgoing else "in", ticket=ticket_ref(other)))
    return out


def ticket_out(user: User, ticket_id: int) -> TicketOut:
    t: Any = selectors.ticket_detail(user=user, ticket_id=ticket_id)
    requester = contact_ref(t.requester)
    assert requester is not None
    return TicketOut(
        **ticket_state_out(t),
        description=t.description,
        requester=requester,
        organisation=contact_ref(t.organisation),
        channel=t.channel,
        type=named_ref(t.type),
        category=named_ref(t.category),
        priority=t.priority,
        project=named_ref(t.project),
        form_values=t.form_values,
        estimate_minutes=t.estimate_minutes,
        due_at=t.due_at,
        external_id=t.external_id,
        cancel_reason=t.cancel_reason,
        first_response_at=t.first_response_at,
        resolved_at=t.resolved_at,
        closed_at=t.closed_at,
        created_at=t.created_at,
        updated_at=t.updated_at,
        may_close=services.user_may_close(user=user, ticket=t),
        tags=[tag.name for tag in t.tag_list],
        watchers=[user_out(w) for w in t.watcher_list],
        messages=[message_out(m) for m in t.thread],
        tasks=[task_out(task) for task in t.task_list],
        worklogs=[worklog_out(w) for w in t.worklog_list],
        minutes_total=t.minutes_total,
        referrals=[referral_out(r) for r in t.referral_list],
        links=_links(user, t),
    )


def list_item_out(t: Ticket) -> TicketListItemOut:
    requester = contact_ref(t.requester)
    assert requester is not None
    return TicketListItemOut(
        id=t.pk,
        reference=t.reference,
        subject=t.subject,
        status=status_out(t.status),
        priority=t.priority,
        channel=t.channel,
        requester=requester,
        team=team_ref(t.team),
        assignee=user_ref(t.assignee),
        type=named_ref(t.type),
        category=named_ref(t.category),
        due_at=t.due_at,
        created_at=t.created_at,
        updated_at=t.updated_at,
        version=t.version,
    )


def _message_for(user: User, ticket: Ticket, message_id: int) -> Message:
    """A message of this ticket the user may see: other people's drafts do not exist for them."""
    message = (
        Message.objects.filter(ticket=ticket, pk=message_id)
        .filter(Q(is_draft=False) | Q(author=user))
        .select_related("ticket", "author", "author_contact", "reviewed_by")
        .first()
    )
    if message is None:
        raise NotFound(detail=_("No such message."))
    return message


def _message_reloaded(message: Message) -> MessageOut:
    m = (
        Message.objects.select_related("author", "author_contact", "reviewed_by")
        .prefetch_related("attachments")
        .get(pk=message.pk)
    )
    return message_out(m)


# ---------------------------------------------------------------------------------------------- reference data


@router.get("/statuses", response={200: list[StatusOut], **ERRORS}, summary="Ticket statuses (built-in and custom)")
def status_list(request: HttpRequest) -> list[StatusOut]:
    selectors.ticket_require_perm(user=_user(request), action="view")
    return [status_out(s) for s in selectors.statuses()]


@router.get("/types", response={200: list[TicketTypeOut], **ERRORS}, summary="Ticket types in use")
def type_list(request: HttpRequest) -> list[TicketTypeOut]:
    selectors.ticket_require_perm(user=_user(request), action="view")
    return [TicketTypeOut.model_validate(t, from_attributes=True) for t in TicketType.objects.filter(is_active=True)]


@router.get("/categories", response={200: list[CategoryOut], **ERRORS}, summary="Ticket categories in use")
def category_list(request: HttpRequest) -> list[CategoryOut]:
    selectors.ticket_require_perm(user=_user(request), action="view")
    return [CategoryOut.model_validate(c, from_attributes=True) for c in Category.objects.filter(is_active=True)]


# ---------------------------------------------------------------------------------------------- tickets


@router.post(
    "", response={201: TicketCreateOut, **ERRORS}, summary="Register a request (routed unless a team is given)"
)
def ticket_create(request: HttpRequest, payload: TicketCreateIn) -> tuple[int, TicketCreateOut]:
    """201 with the new ticket and its likely duplicates; 409 with `reference` when `external_id` was seen before."""
    user = _user(request)
    selectors.ticket_require_perm(user=user, action="add")
    ticket = services.ticket_create(
        by=user,
        subject=payload.subject,
        description=payload.description,
        requester=_contact(payload.requester, "requester"),
        channel=payload.channel,
        type=_type(payload.type),
        category=_category(payload.category),
        team=_team(payload.team, "team"),
        assignee=_agent(payload.assignee, "assignee"),
        priority=payload.priority,
        project=_project(payload.project),
        form_values=payload.form_values,
        tags=payload.tags,
        watchers=_watchers(payload.watchers),
        estimate_minutes=payload.estimate_minutes,
        due_at=payload.due_at,
        external_id=payload.external_id,
    )
    found = services.ticket_find_duplicates(
        requester=ticket.requester,
        subject=ticket.subject,
        description=ticket.description,
        external_id=ticket.external_id,
        exclude_id=ticket.pk,
    )
    visible = set(
        selectors.ticket_queryset_for_user(user=user)
        .filter(pk__in=[d.ticket.pk for d in found])
        .values_list("pk", flat=True)
    )
    ticket = Ticket.objects.select_related("status", "team", "assignee", "merged_into").get(pk=ticket.pk)
    duplicates = [
        TicketDuplicateOut(ticket=ticket_ref(d.ticket), score=d.score, reason=d.reason)
        for d in found
        if d.ticket.pk in visible
    ]
    return 201, TicketCreateOut(**ticket_state_out(ticket), duplicates=duplicates)


@router.get("", response={200: TicketPageOut, **ERRORS}, summary="List and filter tickets (keyset pages)")
def ticket_list(request: HttpRequest, params: Query[TicketListParams]) -> TicketPageOut:
    """Filters combine; `form.<field>=value` query parameters filter on the type's form values too."""
    filters: dict[str, Any] = params.model_dump(exclude={"sort", "cursor", "limit", "count"}, exclude_none=True)
    filters.update({k: v for k, v in request.GET.items() if k.startswith("form.") and len(k) <= 70 and len(v) <= 200})
    page = selectors.ticket_page(
        user=_user(request),
        filters=filters,
        sort=params.sort,
        cursor=params.cursor,
        limit=params.limit,
        with_count=params.count,
    )
    return TicketPageOut(items=[list_item_out(t) for t in page.items], next_cursor=page.next_cursor, count=page.count)


@router.get("/{ticket_id}", response={200: TicketOut, **ERRORS}, summary="A ticket with its thread, tasks and time")
def ticket_get(request: HttpRequest, ticket_id: PathId) -> TicketOut:
    """Agents see internal notes; a draft only to its author."""
    return ticket_out(_user(request), ticket_id)


@router.patch("/{ticket_id}", response={200: TicketOut, **ERRORS}, summary="Change a ticket (409 on a stale version)")
def ticket_update(request: HttpRequest, ticket_id: PathId, payload: TicketUpdateIn) -> TicketOut:
    user = _user(request)
    ticket = selectors.ticket_get_for_user(user=user, ticket_id=ticket_id, action="change")
    changes: dict[str, Any] = payload.model_dump(exclude_unset=True)
    version = changes.pop("version")
    for key in ("subject", "description", "priority", "channel", "form_values", "tags", "watchers", "status"):
        if key in changes and changes[key] is None:
            raise ValidationFailed.on(key, _("This field cannot be empty."))
    lookups = {"type": _type, "category": _category, "project": _project}
    for key, lookup in lookups.items():
        if key in changes:
            changes[key] = lookup(changes[key])
    if "watchers" in changes:
        changes["watchers"] = _watchers(changes["watchers"])
    if "status" in changes:
        changes["status"] = _ref(Status, changes["status"], "status", _("No such status."))
    services.ticket_update(ticket=ticket, by=user, version=version, **changes)
    return ticket_out(user, ticket_id)


# ---------------------------------------------------------------------------------------------- assign, refer, merge


@router.post("/{ticket_id}/assign", response={200: TicketStateOut, **ERRORS}, summary="Assign to a person (or team)")
def ticket_assign(request: HttpRequest, ticket_id: PathId, payload: TicketAssignIn) -> TicketStateOut:
    user = _user(request)
    ticket = selectors.ticket_get_for_user(user=user, ticket_id=ticket_id, action="change")
    done = services.ticket_assign(
        ticket=ticket,
        by=user,
        assignee=_agent(payload.assignee, "assignee"),
        team=_team(payload.team, "team"),
        version=payload.version,
    )
    return TicketStateOut(**ticket_state_out(done))


@router.post(
    "/{ticket_id}/refer", response={201: ReferralOut, **ERRORS}, summary="Refer to another person or team, with a note"
)
def ticket_refer(request: HttpRequest, ticket_id: PathId, payload: TicketReferIn) -> tuple[int, ReferralOut]:
    user = _user(request)
    ticket = selectors.ticket_get_for_user(user=user, ticket_id=ticket_id, action="change")
    referral = services.ticket_refer(
        ticket=ticket,
        by=user,
        to_user=_agent(payload.to_user, "to_user"),
        to_team=_team(payload.to_team, "to_team"),
        note=payload.note,
    )
    return 201, referral_out(referral)


def _referral_answer(request: HttpRequest, ticket_id: int, referral_id: int, note: str, accept: bool) -> ReferralOut:
    user = _user(request)
    ticket = selectors.ticket_get_for_user(user=user, ticket_id=ticket_id, action="change")
    referral = ticket.referrals.filter(pk=referral_id).first()
    if referral is None:
        raise NotFound(detail=_("No such referral."))
    done = services.referral_respond(referral=referral, by=user, accept=accept, note=note)
    return referral_out(done)


@router.post(
    "/{ticket_id}/referrals/{referral_id}/accept",
    response={200: ReferralOut, **ERRORS},
    summary="Accept a referral (and take the ticket)",
)
def referral_accept(
    request: HttpRequest, ticket_id: PathId, referral_id: PathId, payload: ReferralRespondIn
) -> ReferralOut:
    return _referral_answer(request, ticket_id, referral_id, payload.note, accept=True)


@router.post(
    "/{ticket_id}/referrals/{referral_id}/return",
    response={200: ReferralOut, **ERRORS},
    summary="Return a referral to whoever sent it",
)
def referral_return(
    request: HttpRequest, ticket_id: PathId, referral_id: PathId, payload: ReferralRespondIn
) -> ReferralOut:
    return _referral_answer(request, ticket_id, referral_id, payload.note, accept=False)


@router.post(
    "/{ticket_id}/merge",
    response={200: TicketStateOut, **ERRORS},
    summary="Merge this ticket into another (messages, tasks, time and watchers move; this one closes)",
)
def ticket_merge(request: HttpRequest, ticket_id: PathId, payload: TicketMergeIn) -> TicketStateOut:
    user = _user(request)
    duplicate = selectors.ticket_get_for_user(user=user, ticket_id=ticket_id, action="merge")
    survivor = _visible_ticket(user, payload.into, "into", action="merge")
    keep = services.ticket_merge(survivor=survivor, duplicate=duplicate, by=user)
    return TicketStateOut(**ticket_state_out(keep))


@router.post("/{ticket_id}/links", response={201: LinkOut, **ERRORS}, summary="Link to another ticket")
def ticket_link(request: HttpRequest, ticket_id: PathId, payload: TicketLinkIn) -> tuple[int, LinkOut]:
    user = _user(request)
    source = selectors.ticket_get_for_user(user=user, ticket_id=ticket_id, action="change")
    target = _visible_ticket(user, payload.target, "target")
    link = services.ticket_link(source=source, target=target, by=user, kind=payload.kind)
    return 201, LinkOut(id=link.pk, kind=link.kind, direction="out", ticket=ticket_ref(target))


@router.post("/{ticket_id}/watch", response={200: TicketWatchOut, **ERRORS}, summary="Watch a ticket, or stop")
def ticket_watch(request: HttpRequest, ticket_id: PathId, payload: TicketWatchIn) -> TicketWatchOut:
    user = _user(request)
    ticket = selectors.ticket_get_for_user(user=user, ticket_id=ticket_id)
    services.ticket_watch(ticket=ticket, by=user, watch=payload.watch)
    watchers = list(ticket.watchers.order_by("pk"))
    return TicketWatchOut(watching=payload.watch, watchers=[user_out(w) for w in watchers])


# ---------------------------------------------------------------------------------------------- messages


def _message_add(
    request: HttpRequest, ticket_id: int, payload: MessageAddIn, files: list[UploadedFile]
) -> tuple[int, MessageOut]:
    user = _user(request)
    ticket = selectors.ticket_get_for_user(user=user, ticket_id=ticket_id, action="change")
    if len(files) > MAX_FILES:
        raise ValidationFailed.on("files", _("Attach at most %(n)s files.") % {"n": MAX_FILES})
    message = services.message_add(
        ticket=ticket,
        by=user,
        body=payload.body,
        kind=payload.kind,
        is_html=payload.is_html,
        is_draft=payload.is_draft,
        attachments=files,
    )
    return 201, _message_reloaded(message)


@router.post(
    "/{ticket_id}/messages",
    response={201: MessageOut, **ERRORS},
    summary="Add a public reply, an internal note or a draft",
)
def message_add(request: HttpRequest, ticket_id: PathId, payload: MessageAddIn) -> tuple[int, MessageOut]:
    """A reply of a team with review switched on waits for a dispatcher (`review: pending`)."""
    return _message_add(request, ticket_id, payload, [])


@router.post(
    "/{ticket_id}/messages/upload",
    response={201: MessageOut, **ERRORS},
    summary="Add a message with attachments (multipart/form-data)",
)
def message_upload(
    request: HttpRequest,
    ticket_id: PathId,
    files: File[list[UploadedFile]],
    body: Form[str] = "",
    kind: Form[MessageKindIn] = "reply",
    is_html: Form[bool] = False,
    is_draft: Form[bool] = False,
) -> tuple[int, MessageOut]:
    """Each file is checked against the size limit (422) and its content type is sniffed from its bytes."""
    # ninja validated each form field already; the service checks the body's length.
    payload = MessageAddIn.model_construct(body=body, kind=kind, is_html=is_html, is_draft=is_draft)
    return _message_add(request, ticket_id, payload, list(files))


@router.post(
    "/{ticket_id}/messages/{message_id}/publish", response={200: MessageOut, **ERRORS}, summary="Send my draft"
)
def message_publish(request: HttpRequest, ticket_id: PathId, message_id: PathId) -> MessageOut:
    user = _user(request)
    ticket = selectors.ticket_get_for_user(user=user, ticket_id=ticket_id, action="change")
    message = services.message_publish_draft(message=_message_for(user, ticket, message_id), by=user)
    return _message_reloaded(message)


@router.post(
    "/{ticket_id}/messages/{message_id}/review",
    response={200: MessageOut, **ERRORS},
    summary="Approve a reply waiting for review (optionally edited), or send it back",
)
def message_review(request: HttpRequest, ticket_id: PathId, message_id: PathId, payload: MessageReviewIn) -> MessageOut:
    user = _user(request)
    ticket = selectors.ticket_get_for_user(user=user, ticket_id=ticket_id)
    message = services.message_review(
        message=_message_for(user, ticket, message_id),
        by=user,
        approve=payload.decision == "approve",
        body=payload.body,
        note=payload.note,
    )
    return _message_reloaded(message)


@router.post(
    "/{ticket_id}/messages/{message_id}/split",
    response={201: TicketStateOut, **ERRORS},
    summary="Move a message out into a new ticket, linked to this one",
)
def message_split(
    request: HttpRequest, ticket_id: PathId, message_id: PathId, payload: MessageSplitIn
) -> tuple[int, TicketStateOut]:
    user = _user(request)
    ticket = selectors.ticket_get_for_user(user=user, ticket_id=ticket_id, action="change")
    selectors.ticket_require_perm(user=user, action="add")
    message = _message_for(user, ticket, message_id)
    if message.is_draft:
        raise ValidationFailed.on(None, _("Send or discard the draft first."))
    new = services.message_split(message=message, by=user, subject=payload.subject.strip())
    new = Ticket.objects.select_related("status", "team", "assignee", "merged_into").get(pk=new.pk)
    return 201, TicketStateOut(**ticket_state_out(new))


# ---------------------------------------------------------------------------------------------- tasks and time


def _task_for(ticket: Ticket, task_id: int) -> Task:
    task = ticket.tasks.filter(pk=task_id).first()
    if task is None:
        raise NotFound(detail=_("No such task."))
    return task


def _task_reloaded(task: Task) -> TaskOut:
    return task_out(Task.objects.select_related("assignee", "team", "required_skill").get(pk=task.pk))


@router.post("/{ticket_id}/tasks", response={201: TaskOut, **ERRORS}, summary="Add a task (for a person or a team)")
def task_create(request: HttpRequest, ticket_id: PathId, payload: TaskCreateIn) -> tuple[int, TaskOut]:
    user = _user(request)
    ticket = selectors.ticket_get_for_user(user=user, ticket_id=ticket_id, action="change")
    task = services.task_create(
        ticket=ticket,
        by=user,
        title=payload.title,
        description=payload.description,
        assignee=_agent(payload.assignee, "assignee"),
        team=_team(payload.team, "team"),
        required_skill=_ref(Skill, payload.required_skill, "required_skill", _("No such skill.")),
        due_at=payload.due_at,
        mandatory=payload.mandatory,
    )
    return 201, _task_reloaded(task)


@router.patch("/{ticket_id}/tasks/{task_id}", response={200: TaskOut, **ERRORS}, summary="Change a task or its state")
def task_update(request: HttpRequest, ticket_id: PathId, task_id: PathId, payload: TaskUpdateIn) -> TaskOut:
    user = _user(request)
    ticket = selectors.ticket_get_for_user(user=user, ticket_id=ticket_id, action="change")
    task = _task_for(ticket, task_id)
    changes: dict[str, Any] = payload.model_dump(exclude_unset=True)
    for key in ("title", "description", "state", "mandatory"):
        if key in changes and changes[key] is None:
            raise ValidationFailed.on(key, _("This field cannot be empty."))
    if "assignee" in changes:
        changes["assignee"] = _agent(changes["assignee"], "assignee")
    if "team" in changes:
        changes["team"] = _team(changes["team"], "team")
    services.task_update(task=task, by=user, **changes)
    return _task_reloaded(task)


@router.post("/{ticket_id}/worklogs", response={201: WorkLogOut, **ERRORS}, summary="Log time on the ticket or a task")
def worklog_add(request: HttpRequest, ticket_id: PathId, payload: WorkLogAddIn) -> tuple[int, WorkLogOut]:
    user = _user(request)
    ticket = selectors.ticket_get_for_user(user=user, ticket_id=ticket_id, action="change")
    if not user.has_perm("helpdesk.add_worklog"):
        raise PermissionDenied(detail=_("You may not log time."))
    task = None
    if payload.task is not None:
        task = ticket.tasks.filter(pk=payload.task).first()
        if task is None:
            raise ValidationFailed.on("task", _("No such task on this ticket."))
    log = services.worklog_add(
        ticket=ticket,
        by=user,
        minutes=payload.minutes,
        billable=payload.billable,
        note=payload.note,
        task=task,
        started_at=payload.started_at,
    )
    return 201, worklog_out(log)


@router.delete("/{ticket_id}/worklogs/{worklog_id}", response={204: None, **ERRORS}, summary="Remove logged time")
def worklog_delete(request: HttpRequest, ticket_id: PathId, worklog_id: PathId) -> tuple[int, None]:
    user = _user(request)
    ticket = selectors.ticket_get_for_user(user=user, ticket_id=ticket_id, action="change")
    worklog = ticket.worklogs.select_related("ticket").filter(pk=worklog_id).first()
    if worklog is None:
        raise NotFound(detail=_("No such work log."))
    services.worklog_delete(worklog=worklog, by=user)
    return 204, None


# ---------------------------------------------------------------------------------------------- life cycle


def _acted(ticket: Ticket) -> TicketStateOut:
    return TicketStateOut(**ticket_state_out(ticket))


@router.post(
    "/{ticket_id}/resolve",
    response={200: TicketStateOut, **ERRORS},
    summary="Resolve (without the closing right: propose the resolution)",
)
def ticket_resolve(request: HttpRequest, ticket_id: PathId, payload: TicketResolveIn) -> TicketStateOut:
    user = _user(request)
    ticket = selectors.ticket_get_for_user(user=user, ticket_id=ticket_id, action="change")
    return _acted(
        services.ticket_resolve(ticket=ticket, by=user, resolution=payload.resolution, version=payload.version)
    )


@router.post("/{ticket_id}/close", response={200: TicketStateOut, **ERRORS}, summary="Close (needs the closing right)")
def ticket_close(request: HttpRequest, ticket_id: PathId, payload: TicketResolveIn) -> TicketStateOut:
    user = _user(request)
    ticket = selectors.ticket_get_for_user(user=user, ticket_id=ticket_id, action="change")
    return _acted(services.ticket_close(ticket=ticket, by=user, resolution=payload.resolution, version=payload.version))


@router.post("/{ticket_id}/cancel", response={200: TicketStateOut, **ERRORS}, summary="Cancel, with a reason")
def ticket_cancel(request: HttpRequest, ticket_id: PathId, payload: TicketCancelIn) -> TicketStateOut:
    user = _user(request)
    ticket = selectors.ticket_get_for_user(user=user, ticket_id=ticket_id, action="change")
    return _acted(services.ticket_cancel(ticket=ticket, by=user, reason=payload.reason, version=payload.version))


@router.post("/{ticket_id}/postpone", response={200: TicketStateOut, **ERRORS}, summary="Postpone until a time")
def ticket_postpone(request: HttpRequest, ticket_id: PathId, payload: TicketPostponeIn) -> TicketStateOut:
    user = _user(request)
    ticket = selectors.ticket_get_for_user(user=user, ticket_id=ticket_id, action="change")
    done = services.ticket_postpone(
        ticket=ticket, by=user, until=payload.until, note=payload.note, version=payload.version
    )
    return _acted(done)


@router.post("/{ticket_id}/reopen", response={200: TicketStateOut, **ERRORS}, summary="Reopen a done ticket")
def ticket_reopen(request: HttpRequest, ticket_id: PathId, payload: TicketReopenIn) -> TicketStateOut:
    user = _user(request)
    ticket = selectors.ticket_get_for_user(user=user, ticket_id=ticket_id, action="change")
    return _acted(services.ticket_reopen(ticket=ticket, by=user, reason=payload.reason))


# ninja turns paths into URL patterns in the order they were declared: the fixed paths go before "/{ticket_id}".
router.path_operations = {
    **{path: router.path_operations[path] for path in ("/statuses", "/types", "/categories")},
    **router.path_operations,
}


# ---------------------------------------------------------------------------------------------- cartable


@cartable_router.get("", response={200: CartableOut, **ERRORS}, summary="My work inbox: counts and first items")
def cartable(request: HttpRequest) -> CartableOut:
    user = _user(request)
    counts = selectors.cartable_counts(user=user)
    from payvand.automation.approvals import approvals_pending_for

    counts["approvals"] = approvals_pending_for(user=user).count()  # listed by GET /api/v1/automation/approvals
    first = 10
    tasks = list(selectors.task_queryset_mine(user=user)[:first])
    review = list(selectors.review_queue(user=user)[:first]) if user.has_perm(selectors.PERMS["review"]) else []
    mentions = list(selectors.mentions_for(user=user).filter(seen_at__isnull=True)[:first])
    referrals = list(selectors.referrals_waiting(user=user)[:first])
    return CartableOut(
        counts=counts,
        tasks=[
            CartableTaskOut(id=t.pk, title=t.title, state=t.state, due_at=t.due_at, ticket=ticket_ref(t.ticket))
            for t in tasks
        ],
        review=[
            CartableMessageOut(
                id=m.pk,
                ticket=ticket_ref(m.ticket),
                author=user_ref(m.author),
                body_text=m.body_text[:500],
                created_at=m.created_at,
            )
            for m in review
        ],
        mentions=[
            CartableMentionOut(
                id=n.pk,
                message_id=n.message_id,
                ticket=ticket_ref(n.message.ticket),
                author=user_ref(n.message.author),
                seen_at=n.seen_at,
                created_at=n.message.created_at,
            )
            for n in mentions
        ],
        referrals=[
            CartableReferralOut(
                id=r.pk,
                ticket=ticket_ref(r.ticket),
                from_user=user_ref(r.from_user),
                to_team=team_ref(r.to_team),
                note=r.note,
                created_at=r.created_at,
            )
            for r in referrals
        ],
    )


@cartable_router.get("/views", response={200: list[SavedViewOut], **ERRORS}, summary="My saved views")
def saved_view_list(request: HttpRequest) -> list[SavedViewOut]:
    user = _user(request)
    selectors.ticket_require_perm(user=user, action="view")
    return [SavedViewOut.model_validate(v, from_attributes=True) for v in user.saved_views.order_by("name")]


@cartable_router.post(
    "/views", response={201: SavedViewOut, **ERRORS}, summary="Save a view (a view of the same name is replaced)"
)
def saved_view_save(request: HttpRequest, payload: SavedViewIn) -> tuple[int, SavedViewOut]:
    """`filters` take the names of the ticket list filters (list, status, team, assignee, …)."""
    user = _user(request)
    selectors.ticket_require_perm(user=user, action="view")
    view = services.saved_view_save(user=user, name=payload.name, filters=payload.filters, sort=payload.sort)
    return 201, SavedViewOut.model_validate(view, from_attributes=True)


@cartable_router.delete("/views/{view_id}", response={204: None, **ERRORS}, summary="Delete one of my saved views")
def saved_view_delete(request: HttpRequest, view_id: PathId) -> tuple[int, None]:
    user = _user(request)
    selectors.ticket_require_perm(user=user, action="view")
    services.saved_view_delete(user=user, view_id=view_id)
    return 204, None


@cartable_router.put(
    "/availability", response={200: AvailabilityOut, **ERRORS}, summary="Set my availability (routing respects it)"
)
def availability_set(request: HttpRequest, payload: AvailabilityIn) -> AvailabilityOut:
    user = _user(request)
    selectors.ticket_require_perm(user=user, action="view")
    done = services.availability_set(user=user, availability=payload.availability)
    return AvailabilityOut(availability=done.availability)
