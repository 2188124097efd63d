"""Demo data for the helpdesk: types, categories, routing, a project and realistic tickets, made through the services
so that routing, events and notifications are exactly as in production."""

from __future__ import annotations

import datetime as dt
import random

from django.db import transaction
from django.utils import timezone

from payvand.accounts.models import Skill, Team, User
from payvand.contacts.models import Contact, Segment
from payvand.helpdesk import services
from payvand.helpdesk.models import Category, Channel, RoutingRule, TeamContact, TeamSettings, Ticket, TicketType
from payvand.projects.models import Project

SUBJECTS_FA = [
    "قطعی اینترنت از دیروز",
    "صورتحساب اشتباه برای ماه گذشته",
    "درخواست تغییر بسته",
    "سطل زباله جمع‌آوری نشد",
    "مودم روشن نمی‌شود",
    "درخواست نصب خط جدید",
]
SUBJECTS_HU = [
    "Nem működik az internet",
    "Hibás számla",
    "Csomagváltás kérése",
    "Elmaradt szemétszállítás",
    "A router nem kapcsol be",
]
SUBJECTS_EN = ["Cannot log in to the portal", "Invoice copy needed", "Slow connection in the evening"]


@transaction.atomic
def seed(*, admin: User, rng: random.Random) -> int:
    """Create the helpdesk demo once. Returns the number of tickets created."""
    if Ticket.objects.exists():
        return 0
    teams = {t.name: t for t in Team.objects.all()}
    tehran, budapest = teams.get("Support Tehran"), teams.get("Support Budapest")
    if tehran is None or budapest is None:
        return 0
    billing_skill = Skill.objects.filter(name="Billing").first()
    network_skill = Skill.objects.filter(name="Networking").first()
    services.team_settings_update(team=tehran, by=admin, strategy=TeamSettings.Strategy.LEAST_LOADED)
    services.team_settings_update(
        team=budapest, by=admin, strategy=TeamSettings.Strategy.ROUND_ROBIN, review_replies=True
    )
    dispatcher = User.objects.filter(email="dispatcher@payvand.local").first()
    if dispatcher is not None:
        for team in (tehran, budapest):
            TeamContact.objects.get_or_create(team=team, user=dispatcher, role=TeamContact.Role.DISPATCHER)

    outage = TicketType.objects.create(name="Outage", required_skill=network_skill, default_priority=3)
    billing = TicketType.objects.create(name="Billing question", required_skill=billing_skill)
    request = TicketType.objects.create(name="Service request", tasks_mandatory=False)
    cat_network = Category.objects.create(name="Network")
    cat_invoice = Category.objects.create(name="Invoices")
    cat_waste = Category.objects.create(name="Waste collection")
    Category.objects.create(name="Portal")
    gold = Segment.objects.filter(name="Gold").first()
    RoutingRule.objects.create(name="Gold customers to Tehran", order=10, segment=gold, team=tehran)
    RoutingRule.objects.create(name="Invoices to Budapest", order=20, category=cat_invoice, team=budapest)
    RoutingRule.objects.create(name="Everything else", order=1000, team=tehran)

    orgs = list(Contact.objects.filter(kind=Contact.Kind.ORGANISATION).order_by("pk"))
    project = Project.objects.create(
        name="Fibre roll-out Karaj",
        code="FIB-KRJ",
        customer=orgs[0] if orgs else None,
        team=tehran,
        status=Project.Status.ACTIVE,
        starts_on=timezone.localdate() - dt.timedelta(days=60),
    )
    project.members.set(list(User.objects.filter(memberships__team=tehran)))

    people = list(Contact.objects.filter(kind=Contact.Kind.PERSON).order_by("pk"))
    supervisor = User.objects.filter(email="supervisor@payvand.local").first() or admin
    created = 0
    for index, person in enumerate(people[:40]):
        country_fa = any("\u0600" <= ch <= "\u06ff" for ch in person.name)
        pool = SUBJECTS_FA if country_fa else (SUBJECTS_HU if index % 3 else SUBJECTS_EN)
        subject = rng.choice(pool)
        ticket_type = rng.choice([outage, billing, request, None])
        by_type: dict[TicketType | None, Category] = {outage: cat_network, billing: cat_invoice}
        category = by_type.get(ticket_type) or rng.choice([cat_waste, None])
        ticket = services.ticket_create(
            by=dispatcher or admin,
            subject=subject,
            description=subject,
            requester=person,
            channel=rng.choice(list(Channel.values)),
            type=ticket_type,
            category=category,
            priority=rng.choice([1, 2, 2, 3, 4]),
            team=tehran if country_fa else budapest,
            project=project if country_fa and index % 4 == 0 else None,
            estimate_minutes=rng.choice([None, 30, 60, 120]),
        )
        created += 1
        worker = ticket.assignee or supervisor
        services.message_add(ticket=ticket, by=worker, body="Thank you, we are looking into it.", kind="note")
        if index % 3 == 0:
            services.task_create(
                ticket=ticket, by=worker, title="Call the customer back", assignee=worker, mandatory=False
            )
        if index % 2 == 0:
            services.worklog_add(
                ticket=ticket, by=worker, minutes=rng.choice([10, 15, 30, 45]), billable=index % 4 == 0
            )
        if index % 5 == 0:
            services.ticket_resolve(ticket=ticket, by=supervisor, resolution="Solved on the phone.")
        elif index % 7 == 0:
            services.ticket_close(ticket=ticket, by=supervisor, resolution="Duplicate request, handled.")
    return created
