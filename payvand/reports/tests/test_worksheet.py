from __future__ import annotations

import datetime as dt
import re
import zlib

import pytest
from django.utils import timezone, translation

from payvand.core.localization import GREGORIAN, JALALI, activate_calendar
from payvand.helpdesk.models import StatusCategory, Task, WorkLog
from payvand.helpdesk.tests.factories import TicketFactory, status_for
from payvand.helpdesk.worksheet import worksheet_context, worksheet_html, worksheet_pdf

pytestmark = pytest.mark.django_db


@pytest.fixture
def persian():
    """Persian with its calendar, as the middleware sets them for a fa user's request."""
    with translation.override("fa"):
        activate_calendar(JALALI)
        yield
        activate_calendar(None)


@pytest.fixture
def ticket(team_a, agent_a, agent_b, customer_x):
    ticket = TicketFactory.create(
        requester=customer_x,
        team=team_a,
        assignee=agent_a,
        subject="قطعی اینترنت در دفتر مرکزی",
        description="The router reboots every hour.",
        resolution="Replaced the power supply.",
        status=status_for(StatusCategory.RESOLVED),
        status_category=StatusCategory.RESOLVED,
        created_at=timezone.make_aware(dt.datetime(2025, 3, 21, 9)),
    )
    task = Task.objects.create(ticket=ticket, title="Visit the site", assignee=agent_b, state=Task.State.DONE)
    Task.objects.create(ticket=ticket, title="Order a spare", team=team_a)
    when = timezone.make_aware(dt.datetime(2025, 3, 21, 10))
    WorkLog.objects.create(ticket=ticket, user=agent_a, minutes=30, billable=True, started_at=when, note="Diagnosis")
    WorkLog.objects.create(ticket=ticket, user=agent_b, minutes=45, task=task, started_at=when, note="On site")
    WorkLog.objects.create(ticket=ticket, user=agent_b, minutes=15, billable=True, started_at=when)
    return ticket


def test_the_context_totals_the_time(ticket, agent_a, agent_b, django_assert_max_num_queries):
    with django_assert_max_num_queries(3):
        context = worksheet_context(ticket=ticket)
    assert (context["minutes_total"], context["minutes_billable"], context["minutes_other"]) == (90, 45, 45)
    assert context["per_person"] == [
        {"name": agent_b.full_name, "minutes": 60, "billable": 15},
        {"name": agent_a.full_name, "minutes": 30, "billable": 30},
    ]
    assert [t.title for t in context["tasks"]] == ["Visit the site", "Order a spare"]


def test_the_english_html_has_every_part(ticket):
    with translation.override("en"):
        activate_calendar(GREGORIAN)
        html = worksheet_html(ticket=ticket)
        activate_calendar(None)
    assert 'dir="ltr"' in html
    assert ticket.reference in html
    assert "Xerxes Customer" in html
    assert "قطعی اینترنت" in html
    assert "The router reboots every hour." in html
    assert "Replaced the power supply." in html
    assert "Visit the site" in html
    assert "Order a spare" in html
    assert "Team A" in html
    assert "Diagnosis" in html
    assert "[Visit the site] On site" in html
    assert re.search(r'id="minutes-total">90<', html)
    assert "45 billable, 45 not billable" in html
    assert "2025-03-21" in html  # Gregorian dates in English
    assert "Technician: name, date, signature" in html
    assert "Customer: name, date, signature" in html


def test_the_persian_html_is_right_to_left_with_jalali_dates_and_vazirmatn(ticket, persian):
    html = worksheet_html(ticket=ticket)
    assert 'dir="rtl"' in html
    assert 'lang="fa"' in html
    assert "۱ فروردین ۱۴۰۴" in html  # 2025-03-21 in the Jalali calendar with Persian digits
    assert re.search(r'id="minutes-total">۹۰<', html)
    assert re.search(r'src: url\("file:///[^"]+/Vazirmatn-Regular\.woff2"\)', html)
    assert "http://" not in html
    assert "https://" not in html


def _inflated(pdf: bytes) -> bytes:
    """The PDF with its Flate streams decompressed (no PDF text extractor is installed)."""
    parts = [pdf]
    for match in re.finditer(rb"stream\r?\n", pdf):
        try:
            parts.append(zlib.decompressobj().decompress(pdf[match.end() :]))
        except zlib.error:
            continue
    return b"\n".join(parts)


def test_the_pdf_is_a_pdf_with_the_font_embedded(ticket, persian):
    pdf = worksheet_pdf(ticket=ticket)
    assert pdf.startswith(b"%PDF-")
    assert pdf.rstrip().endswith(b"%%EOF")
    assert len(pdf) > 5_000
    content = _inflated(pdf)
    assert b"Vazirmatn" in content  # the embedded font's name: the Persian text was set in Vazirmatn
    assert b"/FontFile" in content


def test_the_view_serves_the_pdf_to_the_team(client_for, agent_a, ticket):
    response = client_for(agent_a).get(f"/tickets/{ticket.pk}/worksheet.pdf")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert f"worksheet-{ticket.number}.pdf" in response["Content-Disposition"]
    assert response.content.startswith(b"%PDF-")


def test_outsiders_get_a_404(client_for, agent_b, outsider, ticket, client):
    ticket.tasks.update(assignee=None, team=None)  # agent B's task would let them see the ticket
    assert client_for(agent_b).get(f"/tickets/{ticket.pk}/worksheet.pdf").status_code == 404
    assert client_for(outsider).get(f"/tickets/{ticket.pk}/worksheet.pdf").status_code in (403, 404)
    assert client_for(agent_b).get("/tickets/99999999/worksheet.pdf").status_code == 404
    assert client.get(f"/tickets/{ticket.pk}/worksheet.pdf").status_code == 302  # anonymous: to the login page
