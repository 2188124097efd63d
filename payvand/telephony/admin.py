"""Admin: wrap-up codes are configuration; calls are shown read-only (they change through the services)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from payvand.telephony.models import Call, CallEvent, WrapUpCode


@admin.register(WrapUpCode)
class WrapUpCodeAdmin(admin.ModelAdmin):
    list_display = ["name", "order", "is_active"]
    list_editable = ["order", "is_active"]


class CallEventInline(admin.TabularInline):
    model = CallEvent
    extra = 0
    can_delete = False
    readonly_fields = ["kind", "extension", "occurred_at", "received_at", "data"]

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Call)
class CallAdmin(admin.ModelAdmin):
    list_display = ["call_id", "direction", "caller", "agent", "state", "outcome", "started_at", "duration"]
    list_filter = ["direction", "state", "outcome", "callback"]
    search_fields = ["call_id", "caller", "caller_e164", "dialled"]
    inlines = [CallEventInline]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return [f.name for f in Call._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False
