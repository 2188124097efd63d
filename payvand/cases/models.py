"""Guided cases (R-001.6): a template is a ticket type's form plus what to do with the answers — the team to route
to, the priority, the tasks to create and the tags. An agent starts one for a contact from the 360° page or the
call banner, answers the form, and the ticket is created with its tasks by the helpdesk services."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from payvand.helpdesk.models import Priority


class CaseTemplate(models.Model):
    name = models.CharField(_("name"), max_length=120, unique=True)
    button = models.CharField(
        _("button label"), max_length=80, help_text=_("What the agent presses, e.g. “Report a missed collection”.")
    )
    subject = models.CharField(
        _("ticket subject"), max_length=200, blank=True, help_text=_("Default: the template's name.")
    )
    ticket_type = models.ForeignKey(
        "helpdesk.TicketType", on_delete=models.PROTECT, related_name="case_templates", verbose_name=_("ticket type")
    )
    team = models.ForeignKey(
        "accounts.Team",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("route to team"),
        help_text=_("Empty: the routing rules choose."),
    )
    priority = models.PositiveSmallIntegerField(
        _("priority"),
        null=True,
        blank=True,
        choices=Priority.choices,
        help_text=_("Empty: the ticket type's default."),
    )
    tags = models.JSONField(_("tags"), default=list, blank=True)
    order = models.PositiveSmallIntegerField(_("order"), default=100)
    is_active = models.BooleanField(_("active"), default=True)
    started_count = models.PositiveIntegerField(_("cases started"), default=0, editable=False)
    archived_at = models.DateTimeField(
        _("archived"), null=True, blank=True, help_text=_("A template in use is archived instead of deleted.")
    )

    class Meta:
        ordering = ["order", "name"]
        verbose_name = _("case template")
        verbose_name_plural = _("case templates")
        permissions = [("start_case", _("Start guided cases"))]

    def __str__(self) -> str:
        return self.name


class CaseTaskTemplate(models.Model):
    """A task the case creates on its ticket: for a person, else for the member of its team (or the ticket's) with
    a role and/or a skill, else for that team; due some minutes after the case starts."""

    template = models.ForeignKey(CaseTemplate, on_delete=models.CASCADE, related_name="tasks")
    title = models.CharField(_("title"), max_length=300)
    skill = models.ForeignKey(
        "accounts.Skill", null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("skill")
    )
    role = models.CharField(_("role"), max_length=80, blank=True, help_text=_("A role name, e.g. Agent."))
    team = models.ForeignKey(
        "accounts.Team",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("team"),
        help_text=_("Empty: the ticket's team."),
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("person"),
    )
    due_minutes = models.PositiveIntegerField(
        _("due after (minutes)"), null=True, blank=True, help_text=_("Empty: no due time.")
    )
    mandatory = models.BooleanField(_("mandatory"), default=True)
    order = models.PositiveSmallIntegerField(_("order"), default=100)

    class Meta:
        ordering = ["order", "id"]
        verbose_name = _("case task")
        verbose_name_plural = _("case tasks")

    def __str__(self) -> str:
        return self.title

    @property
    def role_label(self) -> str:
        """The role as people read it (the group's label in their language)."""
        from payvand.accounts.roles import LABELS

        return str(LABELS.get(self.role, self.role))
