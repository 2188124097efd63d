"""Call-centre reports: figures, export, API, permissions."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from payvand.telephony import services
from payvand.telephony.models import Call


def _at(minutes: float) -> dt.datetime:
    return timezone.now() - dt.timedelta(hours=3) + dt.timedelta(minutes=minutes)


@pytest.fixture
def traffic(agent_ext):
    # Two answered calls (60 s and 120 s of talk), one missed returned after 10 minutes, one missed not returned.
    for n, talk in ((1, 60), (2, 120)):
        services.call_event_record(kind="ringing", call_id=f"a{n}", caller="+36301234567", extension="201", at=_at(0))
        services.call_event_record(kind="answered", call_id=f"a{n}", extension="201", at=_at(0))
        services.call_event_record(kind="hangup", call_id=f"a{n}", at=_at(talk / 60))
    for n in (1, 2):
        services.call_event_record(kind="ringing", call_id=f"m{n}", caller="09121234567", at=_at(1))
        services.call_event_record(kind="missed", call_id=f"m{n}", at=_at(2))
    Call.objects.filter(call_id="m1").update(returned_at=_at(12), callback="done")


def test_the_figures(api_for, supervisor, traffic):
    api = api_for(supervisor)
    per_agent = api.get("/api/v1/reports/calls_per_agent").json()
    assert per_agent["rows"][0]["calls"] == 2
    assert per_agent["rows"][0]["handle_seconds"] == 90.0
    rate = api.get("/api/v1/reports/call_answer_rate").json()["rows"]
    assert sum(r["calls"] for r in rate) == 4
    assert sum(r["answered"] for r in rate) == 2
    assert all(r["answer_rate"] == 50.0 for r in rate) or len(rate) == 2  # the 3 hours may cross midnight
    hours = api.get("/api/v1/reports/calls_per_hour").json()["rows"]
    assert len(hours) == 24
    assert sum(r["missed"] for r in hours) == 2
    callbacks = {r["returned"]: r["calls"] for r in api.get("/api/v1/reports/missed_call_callbacks").json()["rows"]}
    assert callbacks["Within 15 minutes"] == 1
    assert callbacks["Not returned yet"] == 1


def test_the_page_has_a_chart_and_a_csv_export(client_for, supervisor, traffic):
    client = client_for(supervisor)
    page = client.get("/reports/calls_per_hour/")
    assert page.status_code == 200
    assert "Calls per hour" in page.content.decode()
    csv = client.get("/reports/calls_per_agent/?format=csv")
    assert csv.status_code == 200
    assert "Agent.A" in csv.content.decode()
    assert client.get("/telephony/").content.decode().count('id="call-reports-link"') == 1


def test_reports_need_the_call_report_permission(api_for, agent_a, supervisor):
    assert api_for(agent_a).get("/api/v1/reports/calls_per_hour").status_code == 403
    assert api_for(supervisor).get("/api/v1/reports/call_answer_rate?interval=year").status_code == 422
    assert api_for(supervisor).get("/api/v1/reports/call_answer_rate?interval=week").status_code == 200
