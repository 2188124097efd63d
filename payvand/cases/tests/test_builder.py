"""The case-template builder: admins build guided cases in the staff UI and over /api/v1/cases/templates (create,
read, replace, on/off, delete or — when cases were started from it — archive, restore); bad input is a 422 that
saves nothing, and only people with `cases.change_casetemplate` may build."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from payvand.accounts import roles
from payvand.accounts.models import Skill
from payvand.cases.models import CaseTaskTemplate, CaseTemplate
from payvand.cases.tests.conftest import SPEC
from payvand.core.models import Event
from payvand.forms.services import form_create
from payvand.helpdesk.models import Task, Ticket, TicketType

URL = "/api/v1/cases/templates"
J = "application/json"


@pytest.fixture
def collection_form(db):
    return form_create(by=None, name="Collection questions", spec=SPEC)


@pytest.fixture
def collection_type(collection_form):
    return TicketType.objects.create(name="Collection", form=collection_form)


def _body(ticket_type, field_team, **extra):
    body = {
        "name": "Broken bin",
        "button": "Report a broken bin",
        "subject": "Broken bin",
        "ticket_type_id": ticket_type.pk,
        "team_id": field_team.pk,
        "priority": 3,
        "tags": ["bins", "bins", " field "],
        "tasks": [
            {
                "title": "Replace the bin",
                "skill_id": Skill.objects.get_or_create(name="Driving")[0].pk,
                "due_minutes": 120,
            },
            {"title": "Call back", "role": roles.AGENT, "mandatory": False},
        ],
    }
    return body | extra


def test_an_admin_builds_a_case_over_the_api_and_an_agent_starts_it(
    api_for, admin_user, agent_a, customer_x, collection_type, field_team, field_agents, missed_collection
):
    driver, field_agent = field_agents
    api = api_for(admin_user)
    r = api.post(URL, _body(collection_type, field_team), content_type=J)
    assert r.status_code == 201, r.content
    out = r.json()
    template = CaseTemplate.objects.get(pk=out["id"])
    assert template.ticket_type == collection_type
    assert template.tags == ["bins", "field"]
    assert out["form_id"] == collection_type.form_id
    assert [(k["title"], k["due_minutes"], k["mandatory"]) for k in out["tasks"]] == [
        ("Replace the bin", 120, True),
        ("Call back", None, False),
    ]
    assert api.get(f"{URL}/{template.pk}").json() == out
    assert Event.objects.filter(verb="case.template_created", target_id=str(template.pk)).exists()

    start = api_for(agent_a).post(
        "/api/v1/cases/start",
        {"template_id": template.pk, "contact_id": customer_x.pk, "values": {"address": "Valiasr 12"}},
        content_type=J,
    )
    assert start.status_code == 201, start.content
    ticket = Ticket.objects.get(pk=start.json()["ticket_id"])
    tasks = {t.title: t for t in Task.objects.filter(ticket=ticket)}
    assert tasks["Replace the bin"].assignee == driver
    due = tasks["Replace the bin"].due_at
    assert due is not None
    assert abs(due - (timezone.now() + dt.timedelta(minutes=120))) < dt.timedelta(minutes=1)
    assert tasks["Call back"].assignee == field_agent
    assert tasks["Call back"].due_at is None
    template.refresh_from_db()
    assert template.started_count == 1


def test_replace_toggle_and_the_manage_list(api_for, admin_user, agent_a, collection_type, field_team, field_agents):
    api = api_for(admin_user)
    created = api.post(URL, _body(collection_type, field_team), content_type=J).json()
    driver, field_agent = field_agents
    body = _body(
        collection_type,
        field_team,
        name="Broken bin (new)",
        team_id=None,
        priority=None,
        tasks=[{"title": "Visit", "assignee_id": driver.pk, "team_id": field_team.pk, "due_minutes": 30}],
    )
    r = api.put(f"{URL}/{created['id']}", body, content_type=J)
    assert r.status_code == 200, r.content
    assert r.json()["name"] == "Broken bin (new)"
    assert r.json()["team_id"] is None
    assert [(k["title"], k["assignee_id"], k["team_id"]) for k in r.json()["tasks"]] == [
        ("Visit", driver.pk, field_team.pk)
    ]
    assert CaseTaskTemplate.objects.filter(template_id=created["id"]).count() == 1
    off = api.post(f"{URL}/{created['id']}/active", {"is_active": False}, content_type=J)
    assert off.status_code == 200
    assert off.json()["is_active"] is False
    assert api_for(agent_a).get(URL).json() == []  # agents see only the active ones
    managed = api.get(f"{URL}?manage=true").json()
    assert [t["id"] for t in managed] == [created["id"]]


def test_a_form_without_a_ticket_type_makes_one(api_for, admin_user, collection_form, field_team, field_agents):
    api = api_for(admin_user)
    body = _body(TicketType(pk=None), field_team, ticket_type_id=None, form_id=collection_form.pk, priority=4)
    r = api.post(URL, body, content_type=J)
    assert r.status_code == 201, r.content
    made = TicketType.objects.get(pk=r.json()["ticket_type_id"])
    assert made.name == "Broken bin"
    assert made.form == collection_form
    assert made.default_priority == 4
    # The same again (after deleting the first) reuses that ticket type.
    assert api.delete(f"{URL}/{r.json()['id']}").status_code == 204
    again = api.post(URL, body, content_type=J)
    assert again.json()["ticket_type_id"] == made.pk
    assert TicketType.objects.filter(name="Broken bin").count() == 1


def test_delete_or_archive_when_in_use(api_for, admin_user, agent_a, customer_x, missed_collection):
    api = api_for(admin_user)
    unused = CaseTemplate.objects.create(name="Unused", button="Unused", ticket_type=missed_collection.ticket_type)
    assert api.delete(f"{URL}/{unused.pk}").status_code == 204
    assert not CaseTemplate.objects.filter(pk=unused.pk).exists()
    started = api_for(agent_a).post(
        "/api/v1/cases/start",
        {"template_id": missed_collection.pk, "contact_id": customer_x.pk, "values": {"address": "A"}},
        content_type=J,
    )
    assert started.status_code == 201
    r = api.delete(f"{URL}/{missed_collection.pk}")
    assert r.status_code == 200
    assert r.json()["archived"] is True
    assert r.json()["is_active"] is False
    missed_collection.refresh_from_db()
    assert missed_collection.archived_at is not None
    assert Ticket.objects.count() == 1  # the case's ticket stays
    assert api_for(agent_a).get(URL).json() == []
    # An archived template can't be turned on until it is restored.
    assert api.post(f"{URL}/{missed_collection.pk}/active", {"is_active": True}, content_type=J).status_code == 409
    restored = api.post(f"{URL}/{missed_collection.pk}/restore")
    assert restored.status_code == 200
    assert restored.json()["archived"] is False
    assert restored.json()["is_active"] is False
    on = api.post(f"{URL}/{missed_collection.pk}/active", {"is_active": True}, content_type=J)
    assert on.json()["is_active"] is True


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"name": "   "}, "name"),
        ({"name": "missed COLLECTION"}, "name"),  # taken (case-insensitive)
        ({"button": ""}, "button"),
        ({"ticket_type_id": 10**9}, "ticket_type"),
        ({"ticket_type_id": None}, "ticket_type"),  # neither a type nor a form
        ({"form_id": 10**9}, "form"),
        ({"team_id": 10**9}, "team"),
        ({"priority": 9}, "priority"),
        ({"order": -1}, "order"),
        ({"tags": "bins"}, "tags"),
        ({"tags": ["x" * 65]}, "tags.0"),
        ({"tasks": [{"title": ""}]}, "tasks.0.title"),
        ({"tasks": [{"title": "T", "role": "Astronaut"}]}, "tasks.0.role"),
        ({"tasks": [{"title": "T", "skill_id": 10**9}]}, "tasks.0.skill"),
        ({"tasks": [{"title": "T", "team_id": 10**9}]}, "tasks.0.team"),
        ({"tasks": [{"title": "T", "assignee_id": 10**9}]}, "tasks.0.assignee"),
        ({"tasks": [{"title": "T", "due_minutes": 0}]}, "tasks.0.due_minutes"),
        ({"tasks": [{"title": "T", "due_minutes": "soon"}]}, "tasks.0.due_minutes"),
        ({"tasks": [{"title": f"T{n}"} for n in range(31)]}, "tasks"),
        ({"tasks": [{"title": "T", "mandatory": "maybe"}]}, "tasks.0.mandatory"),
    ],
)
def test_bad_input_is_a_422_and_saves_nothing(
    api_for, admin_user, collection_type, field_team, field_agents, missed_collection, change, field
):
    before = (CaseTemplate.objects.count(), CaseTaskTemplate.objects.count(), TicketType.objects.count())
    r = api_for(admin_user).post(URL, _body(collection_type, field_team, **change), content_type=J)
    assert r.status_code == 422, r.content
    fields = [e["field"] for e in r.json()["errors"]]
    assert any(f == field or (f or "").startswith(f"{field}.") or (f or "").endswith(field) for f in fields), fields
    assert (CaseTemplate.objects.count(), CaseTaskTemplate.objects.count(), TicketType.objects.count()) == before


def test_rules_between_fields(api_for, admin_user, agent_a, collection_type, field_team, field_agents, team_a):
    api = api_for(admin_user)
    driver, _agent = field_agents
    other_form = form_create(by=None, name="Other", spec=SPEC)
    cases: list[tuple[dict[str, Any], str]] = [
        ({"form_id": other_form.pk}, "form"),  # not the ticket type's form
        ({"tasks": [{"title": "T", "assignee_id": driver.pk, "team_id": team_a.pk}]}, "tasks.0.assignee"),
        (
            {"tasks": [{"title": "T", "assignee_id": agent_a.pk, "skill_id": driver.skills.get().pk}]},
            "tasks.0.assignee",
        ),
    ]
    for change, field in cases:
        r = api.post(URL, _body(collection_type, field_team, **change), content_type=J)
        assert r.status_code == 422, (change, r.content)
        assert field in [e["field"] for e in r.json()["errors"]]
    # A form whose name clashes with another ticket type of another form.
    TicketType.objects.create(name="Broken bin")
    r = api.post(URL, _body(collection_type, field_team, ticket_type_id=None, form_id=other_form.pk), content_type=J)
    assert r.status_code == 422
    assert [e["field"] for e in r.json()["errors"]] == ["form"]
    inactive = TicketType.objects.create(name="Old", is_active=False)
    r = api.post(URL, _body(inactive, field_team), content_type=J)
    assert [e["field"] for e in r.json()["errors"]] == ["ticket_type"]
    assert not CaseTemplate.objects.exists()


def test_who_may_build(client, api_for, agent_a, supervisor, outsider, missed_collection, collection_type, field_team):
    body = _body(collection_type, field_team, tasks=[])
    one = f"{URL}/{missed_collection.pk}"
    assert client.get(one).status_code == 401
    assert client.post(URL, body, content_type=J).status_code == 401
    for user in (agent_a, supervisor, outsider):
        api = api_for(user)
        assert api.post(URL, body, content_type=J).status_code == 403
        assert api.get(one).status_code == 403
        assert api.get(f"{URL}?manage=true").status_code == 403
        assert api.put(one, body, content_type=J).status_code == 403
        assert api.delete(one).status_code == 403
        assert api.post(f"{one}/active", {"is_active": False}, content_type=J).status_code == 403
        assert api.post(f"{one}/restore").status_code == 403
    assert CaseTemplate.objects.count() == 1
    missed_collection.refresh_from_db()
    assert missed_collection.is_active


def test_missing_and_out_of_range_ids(api_for, admin_user, collection_type, field_team):
    api = api_for(admin_user)
    body = _body(collection_type, field_team, tasks=[])
    assert api.get(f"{URL}/{10**9}").status_code == 404
    assert api.put(f"{URL}/{10**9}", body, content_type=J).status_code == 404
    assert api.delete(f"{URL}/{10**9}").status_code == 404
    assert api.get(f"{URL}/0").status_code == 422
    assert api.get(f"{URL}/{2**64}").status_code == 422
    assert api.post(URL, "{", content_type=J).status_code in (400, 422)
    assert api.post(URL, {**body, "team_id": 2**64}, content_type=J).status_code == 422


# ---------------------------------------------------------------------------------------------- the pages


def _post(collection_type, field_team, **extra):
    data = {
        "name": "Broken bin",
        "button": "Report a broken bin",
        "subject": "",
        "ticket_type": str(collection_type.pk),
        "form": "",
        "team": str(field_team.pk),
        "priority": "3",
        "tags": "bins، field",
        "order": "۵",
        "is_active": "on",
        "t0_title": "Replace the bin",
        "t0_skill": str(Skill.objects.get_or_create(name="Driving")[0].pk),
        "t0_due": "۱۲۰",
        "t0_mandatory": "on",
        "t1_title": "Call back",
        "t1_role": roles.AGENT,
        "t2_title": "",
    }
    return data | extra


def test_the_builder_pages(client_for, admin_user, collection_type, field_team, field_agents, missed_collection):
    client = client_for(admin_user)
    listing = client.get(reverse("cases:list")).content.decode()
    assert reverse("cases:template_new") in listing
    assert f'id="case-template-toggle-{missed_collection.pk}"' in listing
    page = client.get(reverse("cases:template_new"))
    assert page.status_code == 200
    html = page.content.decode()
    assert 'name="t0_title"' in html
    assert 'name="t2_due"' in html
    assert reverse("formbuilder:create") in html
    r = client.post(reverse("cases:template_new"), _post(collection_type, field_team))
    assert r.status_code == 302, r.content.decode()[:3000]
    template = CaseTemplate.objects.get(name="Broken bin")
    assert template.order == 5
    assert template.tags == ["bins", "field"]
    assert template.priority == 3
    tasks = list(template.tasks.all())
    assert [(k.title, k.due_minutes, k.mandatory, k.role) for k in tasks] == [
        ("Replace the bin", 120, True, ""),
        ("Call back", None, False, roles.AGENT),
    ]
    edit = client.get(reverse("cases:template", args=[template.pk])).content.decode()
    assert 'value="Replace the bin"' in edit
    assert 'name="t4_title"' in edit  # two tasks and three empty rows
    assert reverse("formbuilder:edit", args=[collection_type.form_id]) in edit
    # Edit: drop the first task (emptied), change the second.
    changed = _post(collection_type, field_team, t0_title="", t0_skill="", t0_due="", t1_title="Call the customer")
    assert client.post(reverse("cases:template", args=[template.pk]), changed).status_code == 302
    assert list(template.tasks.values_list("title", flat=True)) == ["Call the customer"]
    # On/off and delete (never started: gone).
    client.post(reverse("cases:template_toggle", args=[template.pk]))
    template.refresh_from_db()
    assert not template.is_active
    client.post(reverse("cases:template_delete", args=[template.pk]))
    assert not CaseTemplate.objects.filter(pk=template.pk).exists()


def test_the_builder_page_shows_errors_and_saves_nothing(
    client_for, admin_user, collection_type, field_team, field_agents
):
    client = client_for(admin_user)
    cases = [
        ({"name": ""}, "fld-name"),
        ({"ticket_type": "", "form": ""}, "fld-ticket_type"),
        ({"t1_title": ""}, "t1_title"),  # a role without a title
        ({"t0_due": "soon"}, "t0_due"),
        ({"t0_assignee": "nobody@example.com"}, "t0_assignee"),
        ({"order": "-3"}, "fld-order"),
        ({"ticket_type": "999999"}, "fld-ticket_type"),
    ]
    for change, marker in cases:
        r = client.post(reverse("cases:template_new"), _post(collection_type, field_team, **change))
        assert r.status_code == 422, change
        html = r.content.decode()
        assert "invalid-feedback" in html, change
        assert marker in html
        assert 'value="Report a broken bin"' in html  # what was typed is kept
    assert not CaseTemplate.objects.exists()


def test_an_archived_template_on_the_list(client_for, admin_user, agent_a, customer_x, missed_collection):
    from payvand.cases.services import case_start

    case_start(by=agent_a, template=missed_collection, contact=customer_x, values={"address": "A"})
    client = client_for(admin_user)
    client.post(reverse("cases:template_delete", args=[missed_collection.pk]))
    missed_collection.refresh_from_db()
    assert missed_collection.archived_at is not None
    html = client.get(reverse("cases:list")).content.decode()
    assert 'id="case-templates-archived"' in html
    assert f'id="case-template-restore-{missed_collection.pk}"' in html
    client.post(reverse("cases:template_restore", args=[missed_collection.pk]))
    missed_collection.refresh_from_db()
    assert missed_collection.archived_at is None


def test_only_builders_reach_the_builder(client_for, agent_a, supervisor, missed_collection):
    for user in (agent_a, supervisor):
        client = client_for(user)
        assert client.get(reverse("cases:template_new")).status_code == 403
        assert client.get(reverse("cases:template", args=[missed_collection.pk])).status_code == 403
        assert client.post(reverse("cases:template_toggle", args=[missed_collection.pk])).status_code == 403
        assert client.post(reverse("cases:template_delete", args=[missed_collection.pk])).status_code == 403
    assert reverse("cases:template_new") not in client_for(agent_a).get(reverse("cases:list")).content.decode()
    missed_collection.refresh_from_db()
    assert missed_collection.is_active
