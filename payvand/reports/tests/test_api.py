from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from django.utils import timezone
from openpyxl import load_workbook

from payvand.helpdesk.models import WorkLog
from payvand.helpdesk.tests.factories import TicketFactory
from payvand.reports.registry import REPORTS

pytestmark = pytest.mark.django_db

URL = "/api/v1/reports"


@pytest.fixture
def logged(agent_a, customer_x, customer_y, team_a):
    day = timezone.make_aware(dt.datetime(2025, 3, 3, 10))
    for customer, minutes, team in ((customer_x, 30, team_a), (customer_x, 12, None), (customer_y, 8, None)):
        ticket = TicketFactory.create(requester=customer, team=team, created_at=day)
        WorkLog.objects.create(ticket=ticket, user=agent_a, minutes=minutes, started_at=day)


def test_it_lists_the_reports(api_for, supervisor):
    response = api_for(supervisor).get(URL)
    assert response.status_code == 200
    assert [r["name"] for r in response.json()] == list(REPORTS)


def test_time_per_customer_as_json(api_for, supervisor, logged, customer_x, customer_y, team_a):
    api = api_for(supervisor)
    response = api.get(f"{URL}/time_per_customer", {"from": "2025-03-01", "to": "2025-03-31"})
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["from"], body["to"], body["team"]) == ("2025-03-01", "2025-03-31", None)
    assert [c["key"] for c in body["columns"]] == ["name", "minutes", "tickets"]
    assert body["rows"] == [
        {"customer_id": customer_x.pk, "name": "Xerxes Customer", "minutes": 42, "tickets": 2},
        {"customer_id": customer_y.pk, "name": "Yvette Customer", "minutes": 8, "tickets": 1},
    ]
    body = api.get(f"{URL}/time_per_customer", {"from": "2025-03-01", "to": "2025-03-31", "team": team_a.pk}).json()
    assert [(r["minutes"], r["tickets"]) for r in body["rows"]] == [(30, 1)]
    # Jalali with Persian digits: 1403/12/13 is 2025-03-03
    body = api.get(f"{URL}/time_per_customer", {"from": "۱۴۰۳/۱۲/۱۳", "to": "۱۴۰۳/۱۲/۱۳"}).json()
    assert body["from"] == "2025-03-03"
    assert sum(r["minutes"] for r in body["rows"]) == 50


def test_series_reports_take_an_interval(api_for, supervisor, logged):
    body = (
        api_for(supervisor)
        .get(f"{URL}/created_vs_solved", {"from": "2025-03-03", "to": "2025-03-16", "interval": "week"})
        .json()
    )
    assert body["interval"] == "week"
    assert body["rows"] == [
        {"period": "2025-03-03", "created": 3, "solved": 0},
        {"period": "2025-03-10", "created": 0, "solved": 0},
    ]


def test_csv_and_xlsx(api_for, supervisor, logged):
    api = api_for(supervisor)
    response = api.get(f"{URL}/time_per_customer", {"from": "2025-03-01", "to": "2025-03-31", "format": "csv"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[1:] == [["Xerxes Customer", "42", "2"], ["Yvette Customer", "8", "1"]]
    response = api.get(f"{URL}/time_per_person", {"from": "2025-03-01", "to": "2025-03-31", "format": "xlsx"})
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).worksheets[0]
    assert [c.value for c in next(sheet.iter_rows(min_row=2))] == ["Agent.A", 50, 0, 3]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"from": "tomorrow"}, "from"),
        ({"to": "2025-02-30"}, "to"),
        ({"from": "2025-03-10", "to": "2025-03-01"}, "to"),
        ({"from": "2000-01-01", "to": "2025-03-01"}, "from"),
        ({"team": "abc"}, "team"),
        ({"team": "999999"}, "team"),
        ({"interval": "month"}, "interval"),
        ({"format": "pdf"}, "format"),
    ],
)
def test_bad_input_is_a_422(api_for, supervisor, params, field):
    response = api_for(supervisor).get(f"{URL}/backlog", params)
    assert response.status_code == 422, response.content
    assert field in {e["field"] for e in response.json()["errors"]}


def test_access(api_for, client, agent_a, outsider, supervisor):
    assert client.get(URL).status_code == 401
    assert client.get(f"{URL}/backlog").status_code == 401
    for user in (agent_a, outsider):
        assert api_for(user).get(URL).status_code == 403
        assert api_for(user).get(f"{URL}/time_per_customer").status_code == 403
        assert api_for(user).get(f"{URL}/time_per_customer", {"format": "csv"}).status_code == 403
    assert api_for(supervisor).get(f"{URL}/no_such_report").status_code == 404


@pytest.mark.parametrize("name", list(REPORTS))
def test_every_report_answers_json(api_for, supervisor, logged, name, django_assert_max_num_queries):
    api = api_for(supervisor)
    api.get(f"{URL}/{name}")
    with django_assert_max_num_queries(12):
        response = api.get(f"{URL}/{name}", {"from": "2025-03-01", "to": "2025-03-31"})
    assert response.status_code == 200
    assert response.json()["name"] == name
