from __future__ import annotations

import random
import secrets
import unicodedata
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import transaction

from payvand.accounts import roles
from payvand.accounts.models import Skill, Team, User
from payvand.accounts.services import roles_ensure, team_add_member, user_create
from payvand.contacts import services as contact_services
from payvand.contacts.models import Contact, CustomField, FlagType
from payvand.helpdesk import demo as helpdesk_demo

PEOPLE_FA = [
    ("علی رضایی", "0912 123 4501"),
    ("مریم احمدی", "۰۹۱۲۳۴۵۶۷۰۲"),
    ("حسین محمدی", "+98 935 111 2203"),
    ("زهرا کریمی", "0098 912 555 0004"),
    ("رضا حسینی", "09121110005"),
    ("فاطمه موسوی", "0919-222-0006"),
    ("محمد جعفری", "+989123330007"),
    ("سارا نوری", "۰۹۳۵ ۴۴۴ ۰۰۰۸"),
    ("امیر قاسمی", "0901 555 0009"),
    ("نرگس صادقی", "09126660010"),
    ("مهدی رحیمی", "+98 21 8888 0011"),
    ("لیلا اکبری", "0912 777 0012"),
    ("پویا شریفی", "09198880013"),
    ("الهام یزدانی", "0936 999 0014"),
    ("کاوه تهرانی", "۰۲۱۶۶۷۷۰۰۱۵"),
    ("نازنین فرهادی", "09121230016"),
    ("بهرام کاظمی", "0915 321 0017"),
    ("شیرین منصوری", "09171110018"),
]
PEOPLE_HU = [
    ("Nagy Gábor", "06 30 123 4501"),
    ("Kovács Anna", "+36 (20) 555-1002"),
    ("Tóth László", "06-70-234-1003"),
    ("Szabó Eszter", "+36 1 234 1004"),
    ("Horváth Péter", "06301231005"),
    ("Varga Katalin", "+36 30 987 1006"),
    ("Kiss Zoltán", "0036 20 111 1007"),
    ("Molnár Judit", "06 70 222 1008"),
    ("Németh Balázs", "+36 30 333 1009"),
    ("Farkas Réka", "06 20 444 1010"),
    ("Balogh Ádám", "+36 70 555 1011"),
    ("Papp Zsófia", "06 30 666 1012"),
    ("Takács Gergely", "06 1 777 1013"),
    ("Juhász Dóra", "+36 20 888 1014"),
    ("Lakatos Bence", "06 30 999 1015"),
    ("Mészáros Lilla", "06 70 121 1016"),
]
PEOPLE_EN = [
    ("Emma Johnson", "+44 20 7946 0101"),
    ("Oliver Smith", "+44 7700 900102"),
    ("Sophia Brown", "+1 415 555 0103"),
    ("James Wilson", "+1 212 555 0104"),
    ("Amelia Taylor", "+44 7700 900105"),
    ("Liam Davies", "+49 30 1234 0106"),
    ("Ava Martin", "+1 646 555 0107"),
    ("Noah Clarke", "+44 161 496 0108"),
    ("Isla Walker", "+44 7700 900109"),
    ("Ethan Hughes", "+1 617 555 0110"),
    ("Mia Roberts", "+44 131 496 0111"),
    ("Lucas Evans", "+49 89 1234 0112"),
    ("Chloe Turner", "+1 312 555 0113"),
    ("Jack Lewis", "+44 7700 900114"),
    ("Grace Hall", "+1 503 555 0115"),
    ("Henry Wright", "+44 117 496 0116"),
]
ORGS = [
    ("شرکت پیشگامان ارتباط", "IR", "تهران", 35.7219, 51.3347),
    ("بیمه آسیا نوین", "IR", "تهران", 35.701, 51.41),
    ("شهرداری منطقه ۶", "IR", "تهران", 35.729, 51.389),
    ("فروشگاه زنجیره\u200cای سپهر", "IR", "اصفهان", 32.6539, 51.666),
    ("کارخانه فولاد البرز", "IR", "کرج", 35.84, 50.9391),
    ("Budapesti Közművek Zrt.", "HU", "Budapest", 47.4979, 19.0402),
    ("Duna Szerviz Kft.", "HU", "Győr", 47.6875, 17.6504),
    ("Tisza Telekom Nyrt.", "HU", "Szeged", 46.253, 20.1414),
    ("Mátra Energia Kft.", "HU", "Eger", 47.9025, 20.3772),
    ("Balaton Logisztika Bt.", "HU", "Siófok", 46.9041, 18.058),
    ("Northwind Trading Ltd", "GB", "London", 51.5072, -0.1276),
    ("Acme Field Services Inc.", "US", "Chicago", 41.8781, -87.6298),
    ("Bluebird Health Ltd", "GB", "Manchester", 53.4808, -2.2426),
    ("Contoso Retail GmbH", "DE", "Berlin", 52.52, 13.405),
    ("Greenfield Waste Services", "GB", "Leeds", 53.8008, -1.5491),
]
FLAGS = [
    ("Hard of hearing", "#0d6efd", "ear", 2),
    ("Wheelchair user", "#6f42c1", "person-wheelchair", 2),
    ("Payment arrears", "#dc3545", "cash-coin", 3),
    ("VIP", "#fd7e14", "star-fill", 2),
    ("Do not contact", "#212529", "slash-circle", 3),
]
TAGS = ["newsletter", "b2b", "b2c", "trial", "renewal-2026", "event-lead", "support-heavy"]
SEGMENTS = ["Gold", "Silver", "Public sector", "SMB"]
INTERESTS = ["Fibre internet", "Mobile plans", "Waste collection", "Insurance", "Maintenance contracts"]


class Command(BaseCommand):
    help = "Load the demo data once (people, organisations, flags, teams, users) and ensure the admin exists."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--admin-email", default="admin@payvand.local")

    def handle(self, *args: Any, admin_email: str, **options: Any) -> None:
        roles_ensure()
        password = self._admin_password()
        admin = User.objects.filter(email=admin_email).first()
        if admin is None:
            admin = user_create(
                email=admin_email,
                password=password,
                full_name="Payvand Admin",
                role_names=[roles.ADMIN],
                is_staff=True,
                is_superuser=True,
            )
        if Contact.objects.exists():
            self.stdout.write("Demo data already loaded.")
        else:
            self._seed(admin)
            self.stdout.write(self.style.SUCCESS(f"Demo data loaded: {Contact.objects.count()} contacts."))
        tickets = helpdesk_demo.seed(admin=admin, rng=random.Random(1405))  # noqa: S311 - demo data
        if tickets:
            self.stdout.write(self.style.SUCCESS(f"Helpdesk demo loaded: {tickets} tickets."))
        if admin.check_password(password):
            self.stdout.write(self.style.WARNING(f"Admin login: {admin_email} / {password}"))
        else:  # changed since: never print a password that does not work
            self.stdout.write(
                self.style.WARNING(
                    f"Admin login: {admin_email} (password changed; `manage.py changepassword {admin_email}` resets it)"
                )
            )

    def _admin_password(self) -> str:
        path = settings.VAR_DIR / "admin-password"
        if not path.exists():
            path.write_text(secrets.token_urlsafe(12))
            path.chmod(0o600)
        return path.read_text().strip()

    @transaction.atomic
    def _seed(self, admin: User) -> None:
        rng = random.Random(1404)  # noqa: S311 - demo data, not security
        flag_types = [
            FlagType.objects.get_or_create(name=n, defaults={"colour": c, "icon": i, "severity": s})[0]
            for n, c, i, s in FLAGS
        ]
        CustomField.objects.get_or_create(key="customer_number", defaults={"label": "Customer number", "kind": "text"})
        CustomField.objects.get_or_create(key="contract_end", defaults={"label": "Contract end", "kind": "date"})
        CustomField.objects.get_or_create(
            key="preferred_channel",
            defaults={"label": "Preferred channel", "kind": "choice", "choices": ["phone", "email", "sms", "telegram"]},
        )
        skills = [Skill.objects.get_or_create(name=n)[0] for n in ("Billing", "Networking", "Persian", "Hungarian")]
        staff = [
            ("supervisor@payvand.local", "Shirin Supervisor", "fa", [roles.SUPERVISOR]),
            ("dispatcher@payvand.local", "Dora Dispatcher", "hu", [roles.DISPATCHER]),
            ("agent.fa@payvand.local", "Arash Agent", "fa", [roles.AGENT]),
            ("agent.hu@payvand.local", "Hanna Agent", "hu", [roles.AGENT]),
            ("sales@payvand.local", "Sam Sales", "en", [roles.SALES_REP]),
        ]
        password = self._admin_password()
        users = [
            user_create(email=e, password=password, full_name=n, language=lang, role_names=r) for e, n, lang, r in staff
        ]
        support = Team.objects.create(name="Support Tehran", lead=users[0], capacity=60, capacity_per_member=15)
        budapest = Team.objects.create(name="Support Budapest", lead=users[1], capacity=40, capacity_per_member=12)
        sales = Team.objects.create(name="Sales", lead=users[4], capacity=80, capacity_per_member=30)
        for team, members in ((support, users[0:3]), (budapest, [users[1], users[3]]), (sales, [users[4]])):
            for member in members:
                team_add_member(team=team, user=member, by=admin)
        users[2].skills.set([skills[0], skills[2]])
        users[3].skills.set([skills[1], skills[3]])

        orgs = []
        for name, country, city, lat, lng in ORGS:
            orgs.append(
                contact_services.contact_create(
                    by=admin,
                    name=name,
                    kind=Contact.Kind.ORGANISATION,
                    status=Contact.Status.CUSTOMER,
                    rating=rng.randint(2, 5),
                    segments=[rng.choice(SEGMENTS)],
                    tags=["b2b"],
                    addresses=[
                        contact_services.AddressIn(label="HQ", city=city, country=country, latitude=lat, longitude=lng)
                    ],
                    allow_duplicates=True,
                )
            )
        people = [(n, p, "IR") for n, p in PEOPLE_FA] + [(n, p, "HU") for n, p in PEOPLE_HU]
        people += [(n, p, "GB") for n, p in PEOPLE_EN]
        for index, (name, phone, country) in enumerate(people):
            ascii_name = unicodedata.normalize("NFKD", name.split()[0].lower()).encode("ascii", "ignore").decode()
            latin = f"user{index}" if country == "IR" else ascii_name
            domain = {"IR": "example.ir", "HU": "example.hu", "GB": "example.com"}[country]
            org = rng.choice([o for o, c in zip(orgs, ORGS, strict=True) if c[1] == country] or orgs)
            flags = [(ft, "") for ft in rng.sample(flag_types, k=rng.choice([0, 0, 0, 1, 1, 2]))]
            contact_services.contact_create(
                by=admin,
                name=name,
                phones=[phone],
                emails=[f"{latin}.{index}@{domain}"],
                status=rng.choice(list(Contact.Status.values)),
                rating=rng.randint(0, 5),
                source=rng.choice(["web form", "phone", "fair", "referral", "walk-in"]),
                owner=rng.choice(users),
                tags=rng.sample(TAGS, k=rng.randint(0, 2)),
                segments=[rng.choice(SEGMENTS)],
                interests=rng.sample(INTERESTS, k=rng.randint(0, 2)),
                organisations=[(org, rng.choice(["Manager", "Accountant", "Engineer", "Owner", ""]))],
                flags=flags,
                custom={"customer_number": f"C-{10000 + index}"},
                allow_duplicates=True,
            )
