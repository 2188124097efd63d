from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from django.utils import timezone
from openpyxl import load_workbook

from payvand.contacts.models import Tag
from payvand.helpdesk.models import WorkLog
from payvand.helpdesk.tests.factories import TicketFactory
from payvand.portal.models import Satisfaction
from payvand.reports.registry import REPORTS
from payvand.telephony.models import Call, Outcome, State

pytestmark = pytest.mark.django_db


def _log(customer, user, minutes: int, day: dt.date, **fields):
    ticket = TicketFactory.create(requester=customer, **fields)
    WorkLog.objects.create(
        ticket=ticket,
        user=user,
        minutes=minutes,
        started_at=timezone.make_aware(dt.datetime.combine(day, dt.time(10))),
    )
    return ticket


def test_the_index_lists_every_report(client_for, supervisor):
    response = client_for(supervisor).get("/reports/")
    body = response.content.decode()
    assert response.status_code == 200
    for name in REPORTS:
        assert f'href="/reports/{name}/"' in body


def test_reports_are_refused_without_the_permission(client_for, agent_a, outsider, client):
    for user in (agent_a, outsider):
        assert client_for(user).get("/reports/").status_code == 403
        assert client_for(user).get("/reports/time_per_customer/").status_code == 403
        assert client_for(user).get("/reports/time_per_customer/?format=csv").status_code == 403
    assert client.get("/reports/").status_code == 302


def test_an_unknown_report_is_404(client_for, supervisor):
    assert client_for(supervisor).get("/reports/nothing/").status_code == 404


@pytest.mark.parametrize("name", list(REPORTS))
def test_every_report_page_renders_with_a_chart_and_table(name, client_for, supervisor, customer_x, agent_a, team_a):
    today = timezone.localdate()
    ticket = _log(customer_x, agent_a, 40, today, team=team_a)
    ticket.tags.add(Tag.objects.create(name="billing"))
    now = timezone.now()
    Call.objects.create(  # the call-centre reports need one ended call
        call_id="r1",
        caller="+36301234567",
        agent=agent_a,
        state=State.ENDED,
        outcome=Outcome.ANSWERED,
        started_at=now - dt.timedelta(minutes=5),
        answered_at=now - dt.timedelta(minutes=4),
        ended_at=now,
        duration=240,
    )
    Satisfaction.objects.create(ticket=ticket, agent=agent_a, team=team_a, rating=5)  # the satisfaction reports
    client = client_for(supervisor)
    response = client.get(f"/reports/{name}/")
    body = response.content.decode()
    assert response.status_code == 200
    assert response.context["result"].rows
    assert 'id="report-table"' in body
    assert 'id="report-chart"' in body
    assert "vendor/chartjs/chart.umd.min.js" in body
    assert "reports/charts.js" in body


def test_time_per_customer_page_shows_the_numbers_and_filters(
    client_for, supervisor, agent_a, customer_x, customer_y, team_a, django_assert_max_num_queries
):
    day = dt.date(2025, 3, 3)
    _log(customer_x, agent_a, 30, day, team=team_a)
    _log(customer_x, agent_a, 15, day)
    _log(customer_y, agent_a, 99, day + dt.timedelta(days=30))
    client = client_for(supervisor)
    url = "/reports/time_per_customer/?from=2025-03-01&to=2025-03-10"
    client.get(url)
    with django_assert_max_num_queries(12):
        response = client.get(url)
    rows = response.context["result"].rows
    assert [(r["name"], r["minutes"], r["tickets"]) for r in rows] == [("Xerxes Customer", 45, 2)]
    assert response.context["chart"]["labels"] == ["Xerxes Customer"]
    assert response.context["chart"]["datasets"][0]["values"] == [45]
    response = client.get(f"{url}&team={team_a.pk}", headers={"HX-Request": "true"})
    assert [r["minutes"] for r in response.context["result"].rows] == [30]
    assert '<nav class="navbar' not in response.content.decode()


def test_persian_users_type_jalali_dates_and_see_persian_digits(client_for, supervisor, agent_a, customer_x):
    supervisor.language = "fa"
    supervisor.save(update_fields=["language"])
    _log(customer_x, agent_a, 1234, dt.date(2025, 3, 21))  # 1 Farvardin 1404
    response = client_for(supervisor).get("/reports/time_per_customer/?from=۱۴۰۴/۰۱/۰۱&to=۱۴۰۴/۰۱/۰۱")
    body = response.content.decode()
    assert response.status_code == 200
    assert response.context["result"].params.start == dt.date(2025, 3, 21)
    assert 'dir="rtl"' in body
    assert "۱٬۲۳۴" in body


def test_bad_dates_are_form_errors(client_for, supervisor):
    client = client_for(supervisor)
    response = client.get("/reports/backlog/?from=someday&to=2025-02-30")
    assert response.status_code == 200
    assert response.context["result"] is None
    assert set(response.context["form"].errors) == {"start", "end"}
    response = client.get("/reports/backlog/?from=2025-03-10&to=2025-03-01")
    assert set(response.context["form"].errors) == {"end"}
    response = client.get("/reports/backlog/?from=2020-01-01&to=2025-03-01")
    assert set(response.context["form"].errors) == {"start"}
    response = client.get("/reports/backlog/?team=999999")
    assert set(response.context["form"].errors) == {"team"}
    response = client.get("/reports/backlog/?from=someday&format=csv")  # no file for bad input
    assert response["Content-Type"].startswith("text/html")


def test_csv_and_xlsx_exports(client_for, supervisor, agent_a, customer_x, customer_y):
    day = dt.date(2025, 3, 3)
    _log(customer_x, agent_a, 30, day)
    _log(customer_y, agent_a, 10, day)
    client = client_for(supervisor)
    response = client.get("/reports/time_per_customer/?from=2025-03-01&to=2025-03-31&format=csv")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "time_per_customer-2025-03-01-2025-03-31.csv" in response["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows == [["Customer", "Minutes", "Tickets"], ["Xerxes Customer", "30", "1"], ["Yvette Customer", "10", "1"]]
    response = client.get("/reports/backlog/?from=2025-03-01&to=2025-03-03&format=xlsx")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).worksheets[0]
    values = [[c.value for c in row] for row in sheet.iter_rows()]
    assert values[0] == ["Day", "Open tickets"]
    assert [v[0].date() for v in values[1:] if isinstance(v[0], dt.datetime)] == [
        dt.date(2025, 3, 1),
        dt.date(2025, 3, 2),
        dt.date(2025, 3, 3),
    ]
    assert [v[1] for v in values[1:]] == [0, 0, 0]


def test_exports_neutralise_formulas(client_for, supervisor, agent_a):
    from payvand.contacts.tests.factories import ContactFactory

    evil = ContactFactory.create(name='=HYPERLINK("http://x")')
    _log(evil, agent_a, 5, timezone.localdate())
    response = client_for(supervisor).get("/reports/time_per_customer/?format=csv")
    assert "'=HYPERLINK" in response.content.decode("utf-8-sig")
