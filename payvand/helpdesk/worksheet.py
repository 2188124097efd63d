"""The worksheet (R-004.3): a ticket's work, tasks and time on one printable page, as a PDF made with WeasyPrint.

It is rendered in the viewer's language and calendar (right to left, Vazirmatn, Jalali dates and Persian digits for
fa). Fonts are read from the vendored static files through file:// URLs; any other URL is refused, so rendering
never touches the network.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.staticfiles import finders
from django.db.models import Q, Sum
from django.http import HttpRequest, HttpResponse
from django.template.loader import render_to_string
from django.utils import timezone, translation

from payvand.accounts.models import User
from payvand.core.http import ui_errors
from payvand.helpdesk.models import Ticket
from payvand.helpdesk.selectors import ticket_get_for_user

FONT_FILES = {
    "400": "vendor/vazirmatn/fonts/webfonts/Vazirmatn-Regular.woff2",
    "700": "vendor/vazirmatn/fonts/webfonts/Vazirmatn-Bold.woff2",
}


def _font_urls() -> dict[str, str]:
    """file:// URLs of the vendored Vazirmatn weights that exist (none before scripts/setup.sh has run)."""
    urls = {}
    for weight, name in FONT_FILES.items():
        found = finders.find(name)
        if isinstance(found, str):
            urls[weight] = Path(found).resolve().as_uri()
    return urls


def worksheet_context(*, ticket: Ticket) -> dict[str, Any]:
    """Everything the worksheet shows, in a fixed number of queries."""
    tasks = list(ticket.tasks.select_related("assignee", "team").order_by("created_at", "id"))
    worklogs = list(ticket.worklogs.select_related("user", "task").order_by("started_at", "id"))
    per_person = list(
        ticket.worklogs.values("user_id", "user__full_name", "user__email")
        .annotate(spent=Sum("minutes"), billable=Sum("minutes", filter=Q(billable=True)))
        .order_by("-spent", "user_id")
    )
    total = sum(w.minutes for w in worklogs)
    billable = sum(w.minutes for w in worklogs if w.billable)
    return {
        "ticket": ticket,
        "tasks": tasks,
        "worklogs": worklogs,
        "per_person": [
            {
                "name": row["user__full_name"] or row["user__email"],
                "minutes": row["spent"] or 0,
                "billable": row["billable"] or 0,
            }
            for row in per_person
        ],
        "minutes_total": total,
        "minutes_billable": billable,
        "minutes_other": total - billable,
        "printed_at": timezone.now(),
        "fonts": _font_urls(),
        "is_rtl": translation.get_language_bidi(),
        "language": translation.get_language(),
        "company": getattr(settings, "PAYVAND_NAME", "Payvand"),
    }


def worksheet_html(*, ticket: Ticket) -> str:
    """The worksheet as HTML, in the active language (the caller activates the viewer's)."""
    return render_to_string("reports/worksheet.html", worksheet_context(ticket=ticket))


def worksheet_pdf(*, ticket: Ticket) -> bytes:
    from weasyprint import HTML, URLFetcher

    html = worksheet_html(ticket=ticket)
    base = Path(settings.BASE_DIR).resolve().as_uri() + "/"
    fetcher = URLFetcher(allowed_protocols=("file", "data"), allow_redirects=False)  # fonts only, no network
    pdf = HTML(string=html, base_url=base, url_fetcher=fetcher).write_pdf()
    assert pdf is not None  # noqa: S101 -- write_pdf() without a target returns the bytes
    return bytes(pdf)


@ui_errors
def worksheet_view(request: HttpRequest, ticket_id: int) -> HttpResponse:
    """GET /tickets/<id>/worksheet.pdf: anyone who can see the ticket (404 for everyone else)."""
    user: User = request.user  # type: ignore[assignment]
    ticket = ticket_get_for_user(user=user, ticket_id=ticket_id)
    response = HttpResponse(worksheet_pdf(ticket=ticket), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="worksheet-{ticket.number}.pdf"'
    response["Cache-Control"] = "private, no-store"
    return response
