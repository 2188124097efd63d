"""Admin: web forms are configuration (with the embed snippet); the raw inbound store can be reprocessed."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from payvand.messaging import services
from payvand.messaging.models import ChannelIdentity, InboundMessage, OutboundMessage, SmsSurvey, WebForm


def embed_snippet(web_form: WebForm) -> str:
    url = settings.PAYVAND_BASE_URL + reverse("messaging:webform", kwargs={"slug": web_form.slug})
    return (
        f'<iframe src="{url}" title="{web_form.title}" style="width:100%;min-height:720px;border:0" '
        'loading="lazy"></iframe>'
    )


@admin.register(WebForm)
class WebFormAdmin(admin.ModelAdmin):
    list_display = ["title", "ticket_type", "slug", "is_active"]
    prepopulated_fields = {"slug": ["title"]}
    readonly_fields = ["public_link", "embed"]

    @admin.display(description=_("public address"))
    def public_link(self, obj: WebForm) -> str:
        if not obj.pk:
            return "-"
        url = reverse("messaging:webform", kwargs={"slug": obj.slug})
        return format_html('<a href="{}" target="_blank" rel="noopener">{}{}</a>', url, settings.PAYVAND_BASE_URL, url)

    @admin.display(description=_("embed snippet"))
    def embed(self, obj: WebForm) -> str:
        if not obj.pk:
            return "-"
        return format_html(
            '<textarea readonly rows="3" cols="80" dir="ltr" id="embed-snippet">{}</textarea>', embed_snippet(obj)
        )


@admin.register(ChannelIdentity)
class ChannelIdentityAdmin(admin.ModelAdmin):
    list_display = ["kind", "address", "contact", "display_name", "last_seen_at"]
    list_filter = ["kind"]
    search_fields = ["address", "display_name"]
    raw_id_fields = ["contact"]


@admin.action(description=_("Process again"))
def reprocess(modeladmin: Any, request: HttpRequest, queryset: QuerySet[InboundMessage]) -> None:
    done = 0
    for inbound in queryset.filter(state__in=services.REPROCESSABLE):
        result = services.inbound_reprocess(inbound=inbound)
        done += int(result is not None and result.state == InboundMessage.State.PROCESSED)
    messages.info(request, _("%(n)s messages processed.") % {"n": done})


@admin.register(InboundMessage)
class InboundMessageAdmin(admin.ModelAdmin):
    list_display = ["provider", "provider_message_id", "sender", "state", "attempts", "received_at"]
    list_filter = ["state", "provider", "kind"]
    search_fields = ["provider_message_id", "sender"]
    actions = [reprocess]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return [f.name for f in InboundMessage._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


@admin.register(OutboundMessage)
class OutboundMessageAdmin(admin.ModelAdmin):
    list_display = ["kind", "provider", "to", "state", "attempts", "next_attempt_at", "sent_at"]
    list_filter = ["state", "kind"]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return [f.name for f in OutboundMessage._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


@admin.register(SmsSurvey)
class SmsSurveyAdmin(admin.ModelAdmin):
    list_display = ["ticket", "phone", "language", "sent_at", "reasked_at", "answered_at", "expires_at"]
    search_fields = ["phone"]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return [f.name for f in SmsSurvey._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False
