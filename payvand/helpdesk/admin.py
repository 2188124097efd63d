"""Django admin for helpdesk configuration: statuses, types, categories, routing rules, team settings, saved views.
Tickets are shown read-only here: they change only through the services (the ticket pages and the API)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.admin.options import ActionLocation
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from payvand.helpdesk.models import (
    Category,
    RoutingRule,
    SavedView,
    Status,
    TeamContact,
    TeamSettings,
    Ticket,
    TicketType,
)


@admin.register(Status)
class StatusAdmin(admin.ModelAdmin):
    """Admins add their own statuses, each mapped to one of the built-in categories; the built-in ones stay."""

    list_display = ["__str__", "category", "order", "colour", "is_builtin"]
    list_editable = ["order"]
    list_filter = ["category", "is_builtin"]
    ordering = ["order", "name"]

    def get_readonly_fields(self, request: HttpRequest, obj: Status | None = None) -> Any:
        if obj is not None and obj.is_builtin:
            return ["name", "category"]  # the rest of the system relies on them
        return []

    def has_delete_permission(self, request: HttpRequest, obj: Status | None = None) -> bool:
        if obj is not None and obj.is_builtin:
            return False
        return super().has_delete_permission(request, obj)

    def get_actions(self, request: HttpRequest, action_location: Any = ActionLocation.CHANGE_LIST) -> Any:
        actions = super().get_actions(request, action_location)
        actions.pop("delete_selected", None)  # it would bypass the built-in check; delete one at a time
        return actions


@admin.register(TicketType)
class TicketTypeAdmin(admin.ModelAdmin):
    list_display = ["name", "form", "required_skill", "default_priority", "tasks_mandatory", "is_active"]
    list_filter = ["is_active", "tasks_mandatory"]
    search_fields = ["name"]
    list_select_related = ["form", "required_skill"]


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ["name", "parent", "required_skill", "is_active"]
    list_filter = ["is_active"]
    search_fields = ["name"]
    list_select_related = ["parent", "required_skill"]


@admin.register(RoutingRule)
class RoutingRuleAdmin(admin.ModelAdmin):
    """Rules are tried in order; the first whose conditions all match chooses the team."""

    list_display = ["order", "name", "type", "category", "channel", "segment", "project", "team", "is_active"]
    list_display_links = ["name"]
    list_editable = ["order", "is_active"]
    list_filter = ["is_active", "team", "channel"]
    ordering = ["order", "id"]
    search_fields = ["name"]
    list_select_related = ["type", "category", "segment", "project", "team"]


@admin.register(TeamSettings)
class TeamSettingsAdmin(admin.ModelAdmin):
    list_display = ["team", "strategy", "review_replies"]
    list_filter = ["strategy", "review_replies"]
    filter_horizontal = ["close_roles", "reopen_roles"]
    list_select_related = ["team"]
    fieldsets = (
        (None, {"fields": ("team", "strategy", "review_replies")}),
        (_("Rights"), {"fields": ("close_roles", "reopen_roles")}),
    )


@admin.register(TeamContact)
class TeamContactAdmin(admin.ModelAdmin):
    """The dispatcher, service manager and area manager told about a team's tickets (besides its lead).
    TeamContact points at the team itself, not at its settings, so it has its own list (filtered by team)."""

    list_display = ["team", "user", "role"]
    list_filter = ["team", "role"]
    autocomplete_fields = ["user"]
    list_select_related = ["team", "user"]


@admin.register(SavedView)
class SavedViewAdmin(admin.ModelAdmin):
    list_display = ["name", "user", "sort", "created_at"]
    search_fields = ["name", "user__email"]
    list_select_related = ["user"]
    autocomplete_fields = ["user"]


@admin.register(Ticket)
class TicketAdmin(admin.ModelAdmin):
    """Read-only: tickets change through the services, which keep the version, events and notifications right."""

    list_display = ["reference", "subject", "status", "team", "assignee", "priority", "created_at"]
    list_filter = ["status_category", "priority", "channel", "team"]
    search_fields = ["=number", "subject"]
    list_select_related = ["status", "team", "assignee"]
    show_full_result_count = False
    date_hierarchy = None
    ordering = ["-created_at", "-id"]

    def get_readonly_fields(self, request: HttpRequest, obj: Ticket | None = None) -> Any:
        return [f.name for f in Ticket._meta.get_fields() if f.concrete and not f.auto_created]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Ticket | None = None) -> bool:
        return False

    @admin.display(description=_("reference"), ordering="number")
    def reference(self, obj: Ticket) -> str:
        return obj.reference
