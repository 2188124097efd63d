from __future__ import annotations

from django.contrib import admin

from payvand.contacts.models import Contact, CustomField, FlagType, ImportJob, Interest, Segment, Tag


@admin.register(FlagType)
class FlagTypeAdmin(admin.ModelAdmin):
    list_display = ["name", "severity", "colour", "icon", "is_active"]
    list_editable = ["severity", "colour", "is_active"]


@admin.register(CustomField)
class CustomFieldAdmin(admin.ModelAdmin):
    list_display = ["label", "key", "kind", "required", "applies_to", "order"]
    list_editable = ["order", "required"]
    prepopulated_fields = {"key": ["label"]}


@admin.register(Tag, Segment, Interest)
class NameAdmin(admin.ModelAdmin):
    search_fields = ["name"]


@admin.register(Contact)
class ContactAdmin(admin.ModelAdmin):
    """Read-mostly: contacts are edited through the app so that every change goes through the services."""

    list_display = ["name", "kind", "status", "owner", "updated_at"]
    list_filter = ["kind", "status"]
    search_fields = ["name"]
    show_full_result_count = False

    def has_add_permission(self, request: object) -> bool:
        return False

    def has_change_permission(self, request: object, obj: object = None) -> bool:
        return False


@admin.register(ImportJob)
class ImportJobAdmin(admin.ModelAdmin):
    list_display = ["pk", "original_name", "status", "total_rows", "created_count", "error_count", "created_at"]
    readonly_fields = [f.name for f in ImportJob._meta.fields]
