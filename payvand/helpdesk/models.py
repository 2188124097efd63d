"""Tickets and everything worked on them: statuses, types, messages, tasks, worklogs, referrals, routing rules."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from payvand.core.models import TimeStampedModel


class StatusCategory(models.TextChoices):
    NEW = "new", _("New")
    OPEN = "open", _("Open")
    PENDING_CUSTOMER = "pending_customer", _("Pending customer")
    PENDING_THIRD_PARTY = "pending_third_party", _("Pending third party")
    POSTPONED = "postponed", _("Postponed")
    RESOLVED = "resolved", _("Resolved")
    CLOSED = "closed", _("Closed")
    CANCELLED = "cancelled", _("Cancelled")


# Categories in which a ticket still needs work (it counts against capacity and shows in queues).
ACTIVE_CATEGORIES = (
    StatusCategory.NEW,
    StatusCategory.OPEN,
    StatusCategory.PENDING_CUSTOMER,
    StatusCategory.PENDING_THIRD_PARTY,
    StatusCategory.POSTPONED,
)
DONE_CATEGORIES = (StatusCategory.RESOLVED, StatusCategory.CLOSED, StatusCategory.CANCELLED)


class Status(models.Model):
    """A ticket status. The eight built-in ones exist from the first migration; admins add their own, each mapped
    to one category, which is what the rest of the system (capacity, SLA clocks, reports) looks at."""

    name = models.CharField(_("name"), max_length=80, unique=True)
    category = models.CharField(_("category"), max_length=24, choices=StatusCategory.choices)
    is_builtin = models.BooleanField(_("built in"), default=False, editable=False)
    order = models.PositiveSmallIntegerField(_("order"), default=100)
    colour = models.CharField(_("colour"), max_length=7, default="#6c757d")

    class Meta:
        ordering = ["order", "name"]
        verbose_name = _("status")
        verbose_name_plural = _("statuses")

    def __str__(self) -> str:
        if self.is_builtin:
            return str(StatusCategory(self.category).label)
        return self.name


class Category(models.Model):
    """What a ticket is about; also the root-cause axis of reports."""

    name = models.CharField(_("name"), max_length=120, unique=True)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children", verbose_name=_("parent")
    )
    required_skill = models.ForeignKey(
        "accounts.Skill", null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("skill")
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("category")
        verbose_name_plural = _("categories")

    def __str__(self) -> str:
        return self.name


class TicketType(models.Model):
    name = models.CharField(_("name"), max_length=120, unique=True)
    description = models.TextField(_("description"), blank=True)
    form = models.ForeignKey(
        "formbuilder.Form",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="ticket_types",
        verbose_name=_("form"),
    )
    required_skill = models.ForeignKey(
        "accounts.Skill", null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("skill")
    )
    default_priority = models.PositiveSmallIntegerField(_("default priority"), default=2)
    tasks_mandatory = models.BooleanField(
        _("tasks are mandatory"),
        default=True,
        help_text=_("A ticket of this type can't be resolved while one of its mandatory tasks is open."),
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("ticket type")
        verbose_name_plural = _("ticket types")

    def __str__(self) -> str:
        return self.name


class Channel(models.TextChoices):
    EMAIL = "email", _("Email")
    PHONE = "phone", _("Phone")
    SMS = "sms", _("SMS")
    SOCIAL = "social", _("Social")
    WEB = "web", _("Web form")
    PORTAL = "portal", _("Portal")
    LETTER = "letter", _("Letter")
    FAX = "fax", _("Fax")
    WALK_IN = "walk_in", _("Walk-in")


class Priority(models.IntegerChoices):
    LOW = 1, _("Low")
    NORMAL = 2, _("Normal")
    HIGH = 3, _("High")
    URGENT = 4, _("Urgent")


class TicketCounter(models.Model):
    """One row holding the last ticket number: incremented under a row lock, so references never repeat."""

    last = models.BigIntegerField(default=10000)

    def __str__(self) -> str:
        return str(self.last)


class Ticket(TimeStampedModel):
    number = models.BigIntegerField(_("number"), unique=True)
    subject = models.CharField(_("subject"), max_length=300)
    description = models.TextField(_("description"), blank=True)
    requester = models.ForeignKey(
        "contacts.Contact", on_delete=models.PROTECT, related_name="tickets", verbose_name=_("requester")
    )
    organisation = models.ForeignKey(
        "contacts.Contact",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="organisation_tickets",
        verbose_name=_("organisation"),
    )
    channel = models.CharField(_("channel"), max_length=16, choices=Channel.choices, default=Channel.WEB)
    type = models.ForeignKey(
        TicketType, null=True, blank=True, on_delete=models.PROTECT, related_name="tickets", verbose_name=_("type")
    )
    category = models.ForeignKey(
        Category, null=True, blank=True, on_delete=models.PROTECT, related_name="tickets", verbose_name=_("category")
    )
    priority = models.PositiveSmallIntegerField(_("priority"), choices=Priority.choices, default=Priority.NORMAL)
    status = models.ForeignKey(Status, on_delete=models.PROTECT, related_name="tickets", verbose_name=_("status"))
    # Copied from status.category on every change: queues and capacity filter on it without a join.
    status_category = models.CharField(max_length=24, choices=StatusCategory.choices, default=StatusCategory.NEW)
    team = models.ForeignKey(
        "accounts.Team", null=True, blank=True, on_delete=models.PROTECT, related_name="tickets", verbose_name=_("team")
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="assigned_tickets",
        verbose_name=_("assignee"),
    )
    watchers = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="watched_tickets", verbose_name=_("watchers")
    )
    tags = models.ManyToManyField("contacts.Tag", blank=True, related_name="tickets", verbose_name=_("tags"))
    project = models.ForeignKey(
        "projects.Project",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="tickets",
        verbose_name=_("project"),
    )
    form_values = models.JSONField(_("form values"), default=dict, blank=True)
    estimate_minutes = models.PositiveIntegerField(_("estimate (minutes)"), null=True, blank=True)
    due_at = models.DateTimeField(_("due"), null=True, blank=True)
    postponed_until = models.DateTimeField(_("postponed until"), null=True, blank=True)
    version = models.PositiveIntegerField(_("version"), default=1)
    external_id = models.CharField(_("external message id"), max_length=300, blank=True, db_index=True)
    merged_into = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="merged", verbose_name=_("merged into")
    )
    cancel_reason = models.TextField(_("cancel reason"), blank=True)
    resolution = models.TextField(_("resolution"), blank=True)
    proposed_resolution = models.TextField(_("proposed resolution"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # The sum of the ticket's worklogs, kept by the worklog services: all-time time reports read it without
    # scanning every worklog.
    minutes_spent = models.PositiveIntegerField(_("time spent (minutes)"), default=0, editable=False)
    first_response_at = models.DateTimeField(_("first response"), null=True, blank=True)
    resolved_at = models.DateTimeField(_("resolved"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    # Normalised subject + description, for duplicate detection and search.
    search_text = models.TextField(blank=True, default="")

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["team", "status_category", "-updated_at"], name="ticket_team_queue_idx"),
            models.Index(fields=["assignee", "status_category", "-updated_at"], name="ticket_assignee_idx"),
            models.Index(fields=["requester", "-created_at"], name="ticket_requester_idx"),
            models.Index(fields=["project", "status_category"], name="ticket_project_idx"),
            models.Index(fields=["status_category", "due_at"], name="ticket_due_idx"),
            models.Index(fields=["category", "created_at"], name="ticket_category_idx"),
            models.Index(fields=["-created_at", "-id"], name="ticket_created_idx"),
            # The cartable's first pages ("my team's open tickets, newest change first") read these in order and
            # stop after a page, however many tickets the team has.
            models.Index(
                fields=["team", "-updated_at", "-id"],
                name="ticket_team_active_idx",
                condition=models.Q(status_category__in=ACTIVE_CATEGORIES),
            ),
            models.Index(
                fields=["assignee", "-updated_at", "-id"],
                name="ticket_assignee_active_idx",
                condition=models.Q(status_category__in=ACTIVE_CATEGORIES),
            ),
            # Routing's team load (assigned open tickets of a team) as an index-only count.
            models.Index(
                fields=["team", "assignee"],
                name="ticket_team_load_idx",
                condition=models.Q(status_category__in=ACTIVE_CATEGORIES),
            ),
            models.Index(
                fields=["requester", "minutes_spent"],
                name="ticket_requester_time_idx",
                condition=models.Q(minutes_spent__gt=0),
            ),
        ]
        permissions = [
            ("close_ticket", "Can close tickets"),
            ("merge_ticket", "Can merge tickets"),
            ("dispatch_ticket", "Can see every ticket and refer it (dispatcher)"),
            ("review_message", "Can review replies before they are sent"),
            ("view_reports", "Can see helpdesk reports"),
        ]
        verbose_name = _("ticket")
        verbose_name_plural = _("tickets")

    def __str__(self) -> str:
        return f"{self.reference} {self.subject}"

    @property
    def reference(self) -> str:
        return f"{settings.PAYVAND_TICKET_PREFIX}{self.number}"

    @property
    def is_active(self) -> bool:
        return self.status_category in ACTIVE_CATEGORIES


class Message(models.Model):
    class Kind(models.TextChoices):
        REPLY = "reply", _("Public reply")
        NOTE = "note", _("Internal note")
        INBOUND = "inbound", _("From the customer")

    class Review(models.TextChoices):
        NONE = "", _("No review")
        PENDING = "pending", _("Waiting for review")
        APPROVED = "approved", _("Approved")
        RETURNED = "returned", _("Sent back")

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="messages")
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices, default=Kind.REPLY)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="ticket_messages"
    )
    author_contact = models.ForeignKey(
        "contacts.Contact", null=True, blank=True, on_delete=models.SET_NULL, related_name="ticket_messages"
    )
    channel = models.CharField(_("channel"), max_length=16, choices=Channel.choices, blank=True)
    body_text = models.TextField(_("text"), blank=True)
    body_html = models.TextField(_("HTML"), blank=True, help_text=_("Sanitised with nh3."))
    is_draft = models.BooleanField(_("draft"), default=False)
    review = models.CharField(_("review"), max_length=16, choices=Review.choices, blank=True, default="")
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    review_note = models.TextField(_("review note"), blank=True)
    external_id = models.CharField(max_length=300, blank=True, db_index=True)
    created_at = models.DateTimeField(_("time"), default=timezone.now)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [
            models.Index(fields=["ticket", "created_at"], name="message_ticket_idx"),
            models.Index(fields=["review", "created_at"], name="message_review_idx"),
        ]
        verbose_name = _("message")
        verbose_name_plural = _("messages")

    def __str__(self) -> str:
        return f"{self.kind} on {self.ticket_id}"

    @property
    def is_public(self) -> bool:
        return self.kind != self.Kind.NOTE


def attachment_path(instance: Attachment, filename: str) -> str:
    now = timezone.now()
    return f"attachments/{now:%Y/%m}/{instance.message.ticket_id}/{filename}"


class Attachment(models.Model):
    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(_("file"), upload_to=attachment_path, max_length=300)
    name = models.CharField(_("name"), max_length=255)
    content_type = models.CharField(_("content type"), max_length=120)
    size = models.PositiveBigIntegerField(_("size"))
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")

    def __str__(self) -> str:
        return self.name


class Mention(models.Model):
    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="mentions")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="mentions")
    seen_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["message", "user"], name="mention_unique")]
        indexes = [models.Index(fields=["user", "seen_at"], name="mention_user_idx")]

    def __str__(self) -> str:
        return f"@{self.user_id} in {self.message_id}"


class Task(TimeStampedModel):
    class State(models.TextChoices):
        OPEN = "open", _("Open")
        IN_PROGRESS = "in_progress", _("In progress")
        DONE = "done", _("Done")
        CANCELLED = "cancelled", _("Cancelled")

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="tasks")
    title = models.CharField(_("title"), max_length=300)
    description = models.TextField(_("description"), blank=True)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="tasks",
        verbose_name=_("assignee"),
    )
    team = models.ForeignKey(
        "accounts.Team", null=True, blank=True, on_delete=models.PROTECT, related_name="tasks", verbose_name=_("team")
    )
    required_skill = models.ForeignKey(
        "accounts.Skill", null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("skill")
    )
    due_at = models.DateTimeField(_("due"), null=True, blank=True)
    state = models.CharField(_("status"), max_length=16, choices=State.choices, default=State.OPEN)
    mandatory = models.BooleanField(_("mandatory"), default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    done_at = models.DateTimeField(_("done"), null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [
            models.Index(fields=["assignee", "state"], name="task_assignee_idx"),
            models.Index(fields=["team", "state"], name="task_team_idx"),
        ]
        verbose_name = _("task")
        verbose_name_plural = _("tasks")

    def __str__(self) -> str:
        return self.title

    @property
    def is_open(self) -> bool:
        return self.state in (self.State.OPEN, self.State.IN_PROGRESS)


class WorkLog(models.Model):
    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="worklogs")
    task = models.ForeignKey(Task, null=True, blank=True, on_delete=models.SET_NULL, related_name="worklogs")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="worklogs")
    started_at = models.DateTimeField(_("when"), default=timezone.now)
    minutes = models.PositiveIntegerField(_("minutes"))
    billable = models.BooleanField(_("billable"), default=False)
    note = models.TextField(_("note"), blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["started_at", "id"]
        indexes = [
            models.Index(fields=["ticket"], name="worklog_ticket_idx"),
            models.Index(fields=["user", "started_at"], name="worklog_user_idx"),
        ]
        verbose_name = _("work log")
        verbose_name_plural = _("work logs")

    def __str__(self) -> str:
        return f"{self.minutes} min on {self.ticket_id}"


class Referral(models.Model):
    class State(models.TextChoices):
        PENDING = "pending", _("Waiting")
        ACCEPTED = "accepted", _("Accepted")
        RETURNED = "returned", _("Returned")

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="referrals")
    from_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    from_team = models.ForeignKey("accounts.Team", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    to_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="referrals_in"
    )
    to_team = models.ForeignKey(
        "accounts.Team", null=True, blank=True, on_delete=models.SET_NULL, related_name="referrals_in"
    )
    note = models.TextField(_("note"), blank=True)
    state = models.CharField(_("state"), max_length=16, choices=State.choices, default=State.PENDING)
    response_note = models.TextField(_("answer"), blank=True)
    responded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    responded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("referral")
        verbose_name_plural = _("referrals")

    def __str__(self) -> str:
        return f"referral of {self.ticket_id}"


class TicketLink(models.Model):
    class Kind(models.TextChoices):
        DUPLICATE = "duplicate", _("Duplicate of")
        RELATED = "related", _("Related to")
        FOLLOW_UP = "follow_up", _("Follow-up of")
        SPLIT = "split", _("Split from")

    source = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="links_out")
    target = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="links_in")
    kind = models.CharField(max_length=16, choices=Kind.choices, default=Kind.RELATED)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["source", "target", "kind"], name="ticket_link_unique")]

    def __str__(self) -> str:
        return f"{self.source_id} {self.kind} {self.target_id}"


class TeamSettings(models.Model):
    """How a team works: its routing strategy, reply review, and who may close and reopen its tickets."""

    class Strategy(models.TextChoices):
        MANUAL = "manual", _("Manual (a dispatcher assigns)")
        ROUND_ROBIN = "round_robin", _("Round robin")
        LEAST_LOADED = "least_loaded", _("Least loaded within capacity")
        SKILL = "skill", _("By skill, then least loaded")
        PROJECT = "project", _("Project members first, then least loaded")

    team = models.OneToOneField("accounts.Team", on_delete=models.CASCADE, related_name="helpdesk")
    strategy = models.CharField(_("routing"), max_length=16, choices=Strategy.choices, default=Strategy.LEAST_LOADED)
    review_replies = models.BooleanField(
        _("review replies before sending"),
        default=False,
        help_text=_("Agents' replies to customers wait for a dispatcher's approval."),
    )
    close_roles = models.ManyToManyField(
        "auth.Group",
        blank=True,
        related_name="+",
        verbose_name=_("roles that may close"),
        help_text=_("Empty: the close permission of the role decides."),
    )
    reopen_roles = models.ManyToManyField(
        "auth.Group",
        blank=True,
        related_name="+",
        verbose_name=_("roles that may reopen"),
        help_text=_("Empty: anyone who can work the ticket."),
    )
    last_assigned = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", editable=False
    )

    class Meta:
        verbose_name = _("team helpdesk settings")
        verbose_name_plural = _("team helpdesk settings")

    def __str__(self) -> str:
        return str(self.team)


class TeamContact(models.Model):
    """People told about a team's tickets besides its lead: a dispatcher, service manager or area manager."""

    class Role(models.TextChoices):
        DISPATCHER = "dispatcher", _("Dispatcher")
        SERVICE_MANAGER = "service_manager", _("Service manager")
        AREA_MANAGER = "area_manager", _("Area manager")

    team = models.ForeignKey("accounts.Team", on_delete=models.CASCADE, related_name="helpdesk_contacts")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    role = models.CharField(_("role"), max_length=24, choices=Role.choices)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["team", "user", "role"], name="team_contact_unique")]

    def __str__(self) -> str:
        return f"{self.user_id} {self.role} of {self.team_id}"


class RoutingRule(models.Model):
    """Chooses a team for a new ticket. Rules are tried in order; empty conditions match anything."""

    name = models.CharField(_("name"), max_length=120)
    order = models.PositiveIntegerField(_("order"), default=100)
    is_active = models.BooleanField(_("active"), default=True)
    type = models.ForeignKey(TicketType, null=True, blank=True, on_delete=models.CASCADE, verbose_name=_("type"))
    category = models.ForeignKey(Category, null=True, blank=True, on_delete=models.CASCADE, verbose_name=_("category"))
    channel = models.CharField(_("channel"), max_length=16, choices=Channel.choices, blank=True)
    segment = models.ForeignKey(
        "contacts.Segment", null=True, blank=True, on_delete=models.CASCADE, verbose_name=_("customer group")
    )
    project = models.ForeignKey(
        "projects.Project", null=True, blank=True, on_delete=models.CASCADE, verbose_name=_("project")
    )
    team = models.ForeignKey("accounts.Team", on_delete=models.CASCADE, related_name="+", verbose_name=_("team"))

    class Meta:
        ordering = ["order", "id"]
        verbose_name = _("routing rule")
        verbose_name_plural = _("routing rules")

    def __str__(self) -> str:
        return self.name


class SavedView(models.Model):
    """A user's own cartable list: filters (the same names as the ticket list filters) and a sort order."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="saved_views")
    name = models.CharField(_("name"), max_length=100)
    filters = models.JSONField(_("filters"), default=dict, blank=True)
    sort = models.CharField(_("sort"), max_length=32, default="-updated_at")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["user", "name"], name="saved_view_unique")]
        verbose_name = _("saved view")
        verbose_name_plural = _("saved views")

    def __str__(self) -> str:
        return self.name
