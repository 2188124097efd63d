from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from payvand.forms.models import Form, FormVersion


class FormVersionInline(admin.TabularInline):
    model = FormVersion
    fields = ["version", "created_at", "created_by"]
    readonly_fields = ["version", "created_at", "created_by"]
    extra = 0
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request: Any, obj: Any = None) -> bool:
        return False


@admin.register(Form)
class FormAdmin(admin.ModelAdmin):
    """Read-only here: forms are designed in the builder (/forms/), which compiles and checks them and keeps every
    version."""

    list_display = ["name", "version", "is_active", "updated_at", "builder_link"]
    list_filter = ["is_active"]
    search_fields = ["name"]
    readonly_fields = ["name", "description", "version", "is_active", "schema", "layout", "builder_link"]
    inlines = [FormVersionInline]

    @admin.display(description=_("builder"))
    def builder_link(self, obj: Form) -> str:
        return format_html('<a href="{}">{}</a>', reverse("formbuilder:edit", args=[obj.pk]), _("Edit in the builder"))

    def has_add_permission(self, request: Any) -> bool:
        return False

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: Any, obj: Any = None) -> bool:
        return False
