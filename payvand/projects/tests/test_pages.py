from __future__ import annotations

import datetime as dt

import pytest

from payvand.core.models import Event
from payvand.helpdesk.models import WorkLog
from payvand.helpdesk.tests.factories import CategoryFactory, TicketFactory
from payvand.projects.models import Project
from payvand.projects.tests.factories import ProjectFactory

pytestmark = pytest.mark.django_db


def test_it_lists_projects_with_their_counts(client_for, agent_a, django_assert_max_num_queries):
    for n in range(30):
        ProjectFactory.create(name=f"Project {n:02d}")
    TicketFactory.create(project=Project.objects.get(name="Project 00"))
    client = client_for(agent_a)
    client.get("/projects/")  # warm up sessions and caches
    with django_assert_max_num_queries(14):
        response = client.get("/projects/")
    assert response.status_code == 200
    body = response.content.decode()
    assert "Project 00" in body
    assert "Project 24" in body
    assert "Project 25" not in body
    assert 'id="next-page"' in body
    assert 'id="new-project"' not in body  # agents can't create projects
    second = client.get("/projects/?offset=25")
    assert "Project 29" in second.content.decode()


def test_the_list_filters_and_answers_htmx_with_the_rows_only(client_for, supervisor):
    ProjectFactory.create(name="Solar farm", status="done")
    ProjectFactory.create(name="Call centre")
    response = client_for(supervisor).get("/projects/?q=solar&status=done&team=abc", headers={"HX-Request": "true"})
    body = response.content.decode()
    assert response.status_code == 200
    assert "Solar farm" in body
    assert "Call centre" not in body
    assert '<nav class="navbar' not in body


def test_the_list_refuses_anonymous_users(client):
    response = client.get("/projects/")
    assert response.status_code == 302
    assert "/login" in response["Location"]


def test_an_outsider_sees_no_projects_and_gets_404_on_one(client_for, outsider):
    project = ProjectFactory.create(name="Secret")
    client = client_for(outsider)
    assert "Secret" not in client.get("/projects/").content.decode()
    assert client.get(f"/projects/{project.pk}/").status_code == 404
    assert client.get(f"/projects/{project.pk}/edit/").status_code == 404
    assert client.get("/projects/new/").status_code == 403


def test_a_supervisor_creates_a_project_with_jalali_dates(client_for, supervisor, agent_a, team_a, customer_x):
    client = client_for(supervisor)
    assert client.get("/projects/new/").status_code == 200
    response = client.post(
        "/projects/new/",
        {
            "name": "پروژه پشتیبانی",
            "code": "SUP-1",
            "customer": f"{customer_x.name} (#{customer_x.pk})",
            "team": team_a.pk,
            "members": [agent_a.pk],
            "status": "active",
            "starts_on": "۱۴۰۴/۰۱/۰۱",
            "ends_on": "2025-12-31",
            "description": "",
        },
    )
    project = Project.objects.get(code="SUP-1")
    assert response.status_code == 302
    assert response["Location"] == f"/projects/{project.pk}/"
    assert project.starts_on == dt.date(2025, 3, 21)
    assert project.customer == customer_x
    assert list(project.members.all()) == [agent_a]
    assert Event.objects.filter(verb="project.created", target_id=str(project.pk)).exists()


def test_bad_input_gets_form_errors_and_nothing_is_saved(client_for, supervisor):
    ProjectFactory.create(code="TAKEN")
    response = client_for(supervisor).post(
        "/projects/new/",
        {"name": "X", "code": "taken", "status": "active", "starts_on": "1404/13/40", "customer": "nobody"},
    )
    assert response.status_code == 200
    form = response.context["form"]
    assert set(form.errors) == {"starts_on", "customer"}
    response = client_for(supervisor).post("/projects/new/", {"name": "X", "code": "taken", "status": "active"})
    assert set(response.context["form"].errors) == {"code"}
    assert Project.objects.count() == 1


def test_a_supervisor_edits_a_project(client_for, supervisor):
    project = ProjectFactory.create(name="Old", code="OLD")
    client = client_for(supervisor)
    page = client.get(f"/projects/{project.pk}/edit/")
    assert page.status_code == 200
    assert 'value="OLD"' in page.content.decode()
    response = client.post(
        f"/projects/{project.pk}/edit/", {"name": "New", "code": "OLD", "status": "on_hold", "ends_on": ""}
    )
    assert response.status_code == 302
    project.refresh_from_db()
    assert (project.name, project.status) == ("New", "on_hold")


def test_an_agent_cannot_edit(client_for, agent_a):
    project = ProjectFactory.create()
    client = client_for(agent_a)
    assert client.get(f"/projects/{project.pk}/edit/").status_code == 403
    assert client.post(f"/projects/{project.pk}/edit/", {"name": "x"}).status_code == 403


def test_the_project_page_shows_charts_figures_and_tickets(client_for, agent_a, team_a, django_assert_max_num_queries):
    project = ProjectFactory.create(team=team_a, members=[agent_a])
    category = CategoryFactory.create(name="Printer jams")
    ticket = TicketFactory.create(project=project, team=team_a, category=category, subject="Paper stuck")
    WorkLog.objects.create(ticket=ticket, user=agent_a, minutes=42)
    client = client_for(agent_a)
    client.get(f"/projects/{project.pk}/")
    with django_assert_max_num_queries(20):
        response = client.get(f"/projects/{project.pk}/")
    body = response.content.decode()
    assert response.status_code == 200
    assert f'href="/tickets/{ticket.pk}/"' in body
    assert "Paper stuck" in body
    assert "Printer jams" in body
    assert "42" in body
    assert "vendor/chartjs/chart.umd.min.js" in body
    assert sum(response.context["chart_specs"]["volume"]["datasets"][0]["values"]) == 1
    assert 'id="chart-volume"' in body  # the spec charts.js draws from
    assert response.context["chart_specs"]["states"]["datasets"][0]["values"] == [1, 0, 0]


def test_the_project_page_in_persian_is_rtl_with_jalali_labels(client_for, agent_a):
    agent_a.language = "fa"
    agent_a.save(update_fields=["language"])
    project = ProjectFactory.create(starts_on=dt.date(2025, 3, 21))
    TicketFactory.create(project=project)
    response = client_for(agent_a).get(f"/projects/{project.pk}/", headers={"Accept-Language": "fa"})
    body = response.content.decode()
    assert 'dir="rtl"' in body
    assert "۱۴۰۴" in body  # the start date, Jalali with Persian digits
    assert response.context["chart_specs"]["volume"]["labels"][0].startswith("۱۴")


def test_the_customer_picker_offers_matching_contacts(client_for, supervisor, customer_x):
    response = client_for(supervisor).get("/projects/customers/?customer=Xerxes")
    assert response.status_code == 200
    assert f"Xerxes Customer (#{customer_x.pk})" in response.content.decode()
    assert "<option" not in client_for(supervisor).get("/projects/customers/?customer=X").content.decode()
