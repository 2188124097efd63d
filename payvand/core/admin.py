from __future__ import annotations

from django.contrib import admin

from payvand.core.models import Event


@admin.register(Event)
class EventAdmin(admin.ModelAdmin):
    list_display = ["created_at", "verb", "actor", "target_type", "target_id", "contact"]
    list_filter = ["verb"]
    list_select_related = ["actor", "target_type", "contact"]
    show_full_result_count = False

    def has_add_permission(self, request: object) -> bool:
        return False

    def has_change_permission(self, request: object, obj: object = None) -> bool:
        return False
