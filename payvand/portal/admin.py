from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from payvand.portal.models import Branding, PortalAccount, Satisfaction


@admin.register(Branding)
class BrandingAdmin(admin.ModelAdmin[Branding]):
    list_display = ("__str__", "primary_colour", "accent_colour")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return not Branding.objects.exists()


@admin.register(PortalAccount)
class PortalAccountAdmin(admin.ModelAdmin[PortalAccount]):
    list_display = ("contact", "sees_organisation", "last_login")
    list_filter = ("sees_organisation",)
    raw_id_fields = ("contact",)
    exclude = ("password",)
    search_fields = ("contact__name",)


@admin.register(Satisfaction)
class SatisfactionAdmin(admin.ModelAdmin[Satisfaction]):
    list_display = ("ticket", "rating", "agent", "team", "answered_at")
    list_filter = ("rating",)
    raw_id_fields = ("ticket", "contact", "agent", "team")
