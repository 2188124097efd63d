from __future__ import annotations

from django.contrib import admin

from payvand.projects.models import Project


@admin.register(Project)
class ProjectAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "customer", "team", "status", "starts_on", "ends_on"]
    list_filter = ["status", "team"]
    search_fields = ["name", "code"]
    raw_id_fields = ["customer"]
    filter_horizontal = ["members"]
    list_select_related = ["customer", "team"]
