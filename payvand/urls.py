from __future__ import annotations

from django.contrib import admin
from django.urls import URLPattern, URLResolver, include, path

from payvand.api import api
from payvand.helpdesk.worksheet import worksheet_view
from payvand.portal.views import service_worker

urlpatterns: list[URLPattern | URLResolver] = [
    path("", include("payvand.core.urls")),
    path("accounts/", include("payvand.accounts.urls")),
    path("contacts/", include("payvand.contacts.urls")),
    path("forms/", include("payvand.forms.urls")),
    path("projects/", include("payvand.projects.urls")),
    path("reports/", include("payvand.reports.urls")),
    path("sla/", include("payvand.sla.urls")),
    path("automation/", include("payvand.automation.urls")),
    path("tickets/<int:ticket_id>/worksheet.pdf", worksheet_view, name="ticket_worksheet"),
    path("cartable/", include("payvand.helpdesk.urls_cartable")),
    path("cases/", include("payvand.cases.urls")),
    path("notifications/", include("payvand.notifications.urls")),
    path("telephony/", include("payvand.telephony.urls")),
    path("mail/", include("payvand.mail.urls")),
    path("", include("payvand.messaging.urls")),
    path("tickets/", include("payvand.helpdesk.urls")),
    path("portal/", include("payvand.portal.urls")),
    path("kb/", include("payvand.kb.urls")),
    path("sw.js", service_worker, name="service_worker"),
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
]
# Uploaded files (attachments, imports) are never served from MEDIA_URL, not even with DEBUG: each is served by a
# view that checks who may see it.
