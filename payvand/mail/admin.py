from __future__ import annotations

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from payvand.mail.models import AckTemplate, InboundEmail, Mailbox, OutboundEmail


class AckTemplateInline(admin.TabularInline[AckTemplate, Mailbox]):
    model = AckTemplate
    extra = 0


@admin.register(Mailbox)
class MailboxAdmin(admin.ModelAdmin[Mailbox]):
    list_display = ["name", "address", "team", "is_active", "imap_host", "smtp_host", "imap_polled_at"]
    list_filter = ["is_active"]
    search_fields = ["name", "address", "aliases"]
    inlines = [AckTemplateInline]
    readonly_fields = ["imap_polled_at", "imap_error"]
    fieldsets = [
        (None, {"fields": ["name", "address", "aliases", "from_name", "is_active", "team", "language"]}),
        (
            _("Requests"),
            {"fields": ["auto_acknowledge", "reply_to_closed", "rate_limit_per_hour"]},
        ),
        (
            "IMAP",
            {
                "fields": [
                    "imap_host",
                    "imap_port",
                    "imap_tls",
                    "imap_ca_file",
                    "imap_user",
                    "imap_password",
                    "imap_folder",
                    "imap_after",
                    "imap_move_to",
                    "imap_polled_at",
                    "imap_error",
                ]
            },
        ),
        ("SMTP", {"fields": ["smtp_host", "smtp_port", "smtp_security", "smtp_user", "smtp_password"]}),
    ]


@admin.register(InboundEmail)
class InboundEmailAdmin(admin.ModelAdmin[InboundEmail]):
    list_display = ["received_at", "mailbox", "sender", "subject", "status", "kind", "attempts"]
    list_filter = ["status", "kind", "source", "mailbox"]
    search_fields = ["sender", "subject", "message_id"]
    exclude = ["raw"]
    readonly_fields = [f.name for f in InboundEmail._meta.concrete_fields if f.name != "raw"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[InboundEmail]:
        return super().get_queryset(request).defer("raw")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


@admin.register(OutboundEmail)
class OutboundEmailAdmin(admin.ModelAdmin[OutboundEmail]):
    list_display = ["created_at", "ticket", "kind", "to_address", "status", "attempts", "sent_at"]
    list_filter = ["status", "kind"]
    search_fields = ["to_address", "message_id", "subject"]
    exclude = ["raw"]
    readonly_fields = [f.name for f in OutboundEmail._meta.concrete_fields if f.name != "raw"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False
