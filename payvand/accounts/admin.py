from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm
from django.db import transaction
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from payvand.accounts.models import ApiToken, Skill, Team, TeamMembership, User


class _LowerCaseEmail:
    """Emails are stored lower-cased (as user_create does), so logins and the unique check ignore case."""

    cleaned_data: dict[str, object]

    def clean_email(self) -> str:
        return str(self.cleaned_data["email"]).strip().lower()


class UserAddForm(_LowerCaseEmail, AdminUserCreationForm):
    pass


class UserEditForm(_LowerCaseEmail, UserChangeForm):
    pass


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    form = UserEditForm
    add_form = UserAddForm
    ordering = ["email"]
    list_display = ["email", "full_name", "language", "is_staff", "is_active"]
    search_fields = ["email", "full_name"]
    list_filter = ["is_staff", "is_active", "groups", "language"]
    filter_horizontal = ["groups", "user_permissions", "skills"]
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        (
            _("Personal"),
            {"fields": ("full_name", "language", "time_zone", "calendar", "extension", "availability", "skills")},
        ),
        (_("Permissions"), {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")}),
    )
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("email", "password1", "password2")}),)


class MembershipInline(admin.TabularInline):
    model = TeamMembership
    fields = ["user", "capacity"]
    extra = 1
    autocomplete_fields = ["user"]


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ["name", "lead", "capacity", "capacity_per_member"]
    search_fields = ["name"]
    inlines = [MembershipInline]

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        """Membership edits in the admin leave the same Events as team_add_member/team_remove_member, and freed
        capacity lets the team's waiting tickets in."""
        from payvand.core.services import event_record
        from payvand.helpdesk.routing import queue_drain

        actor = request.user if isinstance(request.user, User) else None
        with transaction.atomic():
            instances = formset.save(commit=False)
            for obj in formset.deleted_objects:
                event_record(actor=actor, verb="team.member_removed", target=obj.team, data={"user": obj.user.email})
                obj.delete()
            for obj in instances:
                is_new = obj.pk is None
                obj.save()
                verb = "team.member_added" if is_new else "team.member_changed"
                event_record(actor=actor, verb=verb, target=obj.team, data={"user": obj.user.email})
            formset.save_m2m()
        if formset.model is TeamMembership and form.instance.pk:
            queue_drain(team=form.instance)


@admin.register(Skill)
class SkillAdmin(admin.ModelAdmin):
    search_fields = ["name"]


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ["name", "user", "prefix", "created_at", "last_used_at", "revoked_at"]
    readonly_fields = ["user", "prefix", "token_hash", "created_at", "last_used_at"]
    search_fields = ["name", "user__email"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # tokens are made on the profile page or the API, where the secret is shown once
