from __future__ import annotations

import pytest

from payvand.accounts import roles
from payvand.accounts.models import Skill, Team
from payvand.accounts.services import team_add_member
from payvand.cases.models import CaseTaskTemplate, CaseTemplate
from payvand.forms.services import form_create
from payvand.helpdesk.tests.factories import TicketTypeFactory
from payvand.telephony.tests.conftest import _fresh_agent_cache, pbx, pbx_user, post_event  # noqa: F401

SPEC = {
    "sections": [
        {
            "title": "Collection",
            "fields": [
                {"name": "address", "kind": "text", "label": "Collection address", "required": True},
                {"name": "bins", "kind": "number", "label": "Bins missed", "min": 1, "max": 20},
            ],
        }
    ]
}


@pytest.fixture
def field_team(db) -> Team:
    return Team.objects.create(name="Field service")


@pytest.fixture
def missed_collection(field_team, role_groups) -> CaseTemplate:
    form = form_create(by=None, name="Missed collection", spec=SPEC)
    ticket_type = TicketTypeFactory.create(name="Missed collection", form=form)
    driving = Skill.objects.get_or_create(name="Driving")[0]
    template = CaseTemplate.objects.create(
        name="Missed collection",
        button="Report a missed collection",
        ticket_type=ticket_type,
        team=field_team,
        priority=3,
        tags=["collection"],
    )
    CaseTaskTemplate.objects.create(template=template, title="Send a truck", skill=driving, order=1)
    CaseTaskTemplate.objects.create(template=template, title="Call the customer back", role=roles.AGENT, order=2)
    CaseTaskTemplate.objects.create(template=template, title="Check the route", mandatory=False, order=3)
    return template


@pytest.fixture
def field_agents(field_team, role_groups):
    from payvand.accounts.services import user_create

    driver = user_create(email="driver@example.com", password="pw-Secret-123", full_name="Driver", role_names=[])
    driver.skills.add(Skill.objects.get_or_create(name="Driving")[0])
    agent = user_create(email="fa@example.com", password="pw-Secret-123", full_name="FA", role_names=[roles.AGENT])
    team_add_member(team=field_team, user=driver, by=None)
    team_add_member(team=field_team, user=agent, by=None)
    return driver, agent
