from __future__ import annotations

from django.contrib import admin

from payvand.cases.models import CaseTaskTemplate, CaseTemplate


class CaseTaskInline(admin.TabularInline):
    model = CaseTaskTemplate
    extra = 1
    fields = ("title", "skill", "role", "team", "assignee", "due_minutes", "mandatory", "order")
    raw_id_fields = ("assignee",)


@admin.register(CaseTemplate)
class CaseTemplateAdmin(admin.ModelAdmin):
    list_display = ("name", "button", "ticket_type", "team", "priority", "order", "is_active", "started_count")
    list_filter = ("is_active", "ticket_type", "team")
    readonly_fields = ("started_count",)
    search_fields = ("name", "button")
    inlines = [CaseTaskInline]
