"""factory_boy factories for the helpdesk.

`TicketFactory.create(team=..., assignee=...)` writes the row directly (no routing, no events); numbers come from a
range far above the ticket counter's, so factory tickets never collide with tickets made by `ticket_create`.
"""

from __future__ import annotations

import factory

from payvand.accounts.models import Skill, Team, TeamMembership, User
from payvand.contacts.tests.factories import ContactFactory
from payvand.helpdesk.models import Category, RoutingRule, Status, StatusCategory, TeamSettings, Ticket, TicketType


def status_for(category: str) -> Status:
    """The first status (by order) of a status category; the built-in ones exist from the migrations."""
    status = Status.objects.filter(category=category).order_by("order", "id").first()
    if status is None:  # a transactional test flushed the built-in rows
        status = Status.objects.create(name=str(StatusCategory(category).label), category=category, is_builtin=True)
    return status


class UserFactory(factory.django.DjangoModelFactory[User]):
    class Meta:
        model = User
        django_get_or_create = ("email",)

    email = factory.Sequence(lambda n: f"agent{n}@example.com")
    full_name = factory.Sequence(lambda n: f"Agent {n}")
    password = factory.django.Password("pw-Secret-123")


class SkillFactory(factory.django.DjangoModelFactory[Skill]):
    class Meta:
        model = Skill
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"Skill {n}")


class TeamFactory(factory.django.DjangoModelFactory[Team]):
    class Meta:
        model = Team

    name = factory.Sequence(lambda n: f"Team {n}")
    capacity_per_member = 5
    capacity = 100


class TeamMembershipFactory(factory.django.DjangoModelFactory[TeamMembership]):
    class Meta:
        model = TeamMembership

    team = factory.SubFactory(TeamFactory)
    user = factory.SubFactory(UserFactory)
    capacity = None


class TeamSettingsFactory(factory.django.DjangoModelFactory[TeamSettings]):
    class Meta:
        model = TeamSettings
        django_get_or_create = ("team",)

    team = factory.SubFactory(TeamFactory)
    strategy = TeamSettings.Strategy.LEAST_LOADED


class TicketTypeFactory(factory.django.DjangoModelFactory[TicketType]):
    class Meta:
        model = TicketType

    name = factory.Sequence(lambda n: f"Type {n}")


class CategoryFactory(factory.django.DjangoModelFactory[Category]):
    class Meta:
        model = Category

    name = factory.Sequence(lambda n: f"Category {n}")


class RoutingRuleFactory(factory.django.DjangoModelFactory[RoutingRule]):
    class Meta:
        model = RoutingRule

    name = factory.Sequence(lambda n: f"Rule {n}")
    team = factory.SubFactory(TeamFactory)


class TicketFactory(factory.django.DjangoModelFactory[Ticket]):
    class Meta:
        model = Ticket

    number = factory.Sequence(lambda n: 1_000_000_000 + n)
    subject = factory.Sequence(lambda n: f"Ticket {n}")
    requester = factory.SubFactory(ContactFactory)
    status = factory.LazyFunction(lambda: status_for(StatusCategory.NEW))
    status_category = factory.LazyAttribute(lambda o: o.status.category)
