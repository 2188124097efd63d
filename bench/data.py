"""Deterministic, realistic contact data: Persian, Hungarian and English people and organisations, Iranian and
Hungarian phone numbers (E.164) and email addresses.

Contact number `i` (0, 1, 2, ...) always gets the same phones, so a seed can be topped up later without
duplicating numbers: every phone's subscriber part is `i` run through a bijection, and each kind of number (first
phone, second phone) draws its prefixes from its own set, so no two contacts ever share a number.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass, field

import phonenumbers

from payvand.core.localization import PERSIAN_DIGITS

# (native spelling, Latin spelling for email addresses), roughly in order of frequency.
# fmt: off
FA_GIVEN = [
    ("محمد", "mohammad"), ("علی", "ali"), ("فاطمه", "fatemeh"), ("زهرا", "zahra"), ("حسین", "hossein"),
    ("مریم", "maryam"), ("رضا", "reza"), ("مهدی", "mehdi"), ("سارا", "sara"), ("امیر", "amir"),
    ("نرگس", "narges"), ("حسن", "hasan"), ("معصومه", "masoumeh"), ("علیرضا", "alireza"), ("محسن", "mohsen"),
    ("الهام", "elham"), ("مجید", "majid"), ("لیلا", "leila"), ("سعید", "saeed"), ("نازنین", "nazanin"),
    ("حمید", "hamid"), ("شیرین", "shirin"), ("مصطفی", "mostafa"), ("سمیرا", "samira"), ("جواد", "javad"),
    ("نسرین", "nasrin"), ("احمد", "ahmad"), ("آزاده", "azadeh"), ("کاوه", "kaveh"), ("مینا", "mina"),
    ("پویا", "pouya"), ("هانیه", "haniyeh"), ("بهرام", "bahram"), ("یاسمن", "yasaman"), ("آرش", "arash"),
    ("پریسا", "parisa"), ("بابک", "babak"), ("ندا", "neda"), ("امید", "omid"), ("سپیده", "sepideh"),
    ("فرهاد", "farhad"), ("مهسا", "mahsa"), ("کیوان", "keyvan"), ("رویا", "roya"), ("داریوش", "dariush"),
    ("ترانه", "taraneh"), ("سیاوش", "siavash"), ("بهاره", "bahareh"), ("نیما", "nima"), ("گلناز", "golnaz"),
    ("یوسف", "yousef"), ("طاهره", "tahereh"), ("اکبر", "akbar"), ("فرشته", "fereshteh"), ("میلاد", "milad"),
    ("شبنم", "shabnam"), ("عباس", "abbas"), ("مهتاب", "mahtab"), ("ابراهیم", "ebrahim"), ("ژاله", "zhaleh"),
]
FA_FAMILY = [
    ("محمدی", "mohammadi"), ("حسینی", "hosseini"), ("احمدی", "ahmadi"), ("رضایی", "rezaei"), ("کریمی", "karimi"),
    ("موسوی", "mousavi"), ("جعفری", "jafari"), ("قاسمی", "ghasemi"), ("صادقی", "sadeghi"), ("رحیمی", "rahimi"),
    ("اکبری", "akbari"), ("نوری", "nouri"), ("شریفی", "sharifi"), ("یزدانی", "yazdani"), ("تهرانی", "tehrani"),
    ("فرهادی", "farhadi"), ("کاظمی", "kazemi"), ("منصوری", "mansouri"), ("حیدری", "heydari"), ("رستمی", "rostami"),
    ("عباسی", "abbasi"), ("سلطانی", "soltani"), ("نجفی", "najafi"), ("کرمانی", "kermani"), ("شیرازی", "shirazi"),
    ("اصفهانی", "esfahani"), ("تبریزی", "tabrizi"), ("هاشمی", "hashemi"), ("مرادی", "moradi"), ("ابراهیمی", "ebrahimi"),
    ("زارعی", "zarei"), ("بهرامی", "bahrami"), ("طاهری", "taheri"), ("امینی", "amini"), ("خسروی", "khosravi"),
    ("سبحانی", "sobhani"), ("فراهانی", "farahani"), ("میرزایی", "mirzaei"), ("پورمحمد", "pourmohammad"),
    ("نیک‌نام", "niknam"), ("خلیلی", "khalili"), ("رحمانی", "rahmani"), ("بابایی", "babaei"), ("جهانگیری", "jahangiri"),
    ("صفری", "safari"), ("اسدی", "asadi"), ("قربانی", "ghorbani"), ("یوسفی", "yousefi"), ("ملکی", "maleki"),
    ("دهقان", "dehghan"), ("پاکزاد", "pakzad"), ("فتحی", "fathi"), ("کامرانی", "kamrani"), ("شاکری", "shakeri"),
    ("توکلی", "tavakoli"), ("انصاری", "ansari"), ("وحیدی", "vahidi"), ("عزیزی", "azizi"), ("سهرابی", "sohrabi"),
    ("آقایی", "aghaei"),
]
HU_FAMILY = [
    ("Nagy", "nagy"), ("Kovács", "kovacs"), ("Tóth", "toth"), ("Szabó", "szabo"), ("Horváth", "horvath"),
    ("Varga", "varga"), ("Kiss", "kiss"), ("Molnár", "molnar"), ("Németh", "nemeth"), ("Farkas", "farkas"),
    ("Balogh", "balogh"), ("Papp", "papp"), ("Takács", "takacs"), ("Juhász", "juhasz"), ("Lakatos", "lakatos"),
    ("Mészáros", "meszaros"), ("Oláh", "olah"), ("Simon", "simon"), ("Rácz", "racz"), ("Fekete", "fekete"),
    ("Szilágyi", "szilagyi"), ("Török", "torok"), ("Fehér", "feher"), ("Balázs", "balazs"), ("Gál", "gal"),
    ("Kis", "kis"), ("Szűcs", "szucs"), ("Kocsis", "kocsis"), ("Orsós", "orsos"), ("Pintér", "pinter"),
    ("Fodor", "fodor"), ("Szalai", "szalai"), ("Sipos", "sipos"), ("Magyar", "magyar"), ("Lukács", "lukacs"),
    ("Gulyás", "gulyas"), ("Biró", "biro"), ("Király", "kiraly"), ("Katona", "katona"), ("László", "laszlo"),
    ("Jakab", "jakab"), ("Bogdán", "bogdan"), ("Balog", "balog"), ("Sándor", "sandor"), ("Boros", "boros"),
    ("Fazekas", "fazekas"), ("Kelemen", "kelemen"), ("Antal", "antal"), ("Orosz", "orosz"), ("Somogyi", "somogyi"),
    ("Vörös", "voros"), ("Hegedűs", "hegedus"), ("Bálint", "balint"), ("Soós", "soos"), ("Vass", "vass"),
]
HU_GIVEN = [
    ("László", "laszlo"), ("István", "istvan"), ("József", "jozsef"), ("János", "janos"), ("Zoltán", "zoltan"),
    ("Sándor", "sandor"), ("Gábor", "gabor"), ("Ferenc", "ferenc"), ("Attila", "attila"), ("Péter", "peter"),
    ("Tamás", "tamas"), ("Zsolt", "zsolt"), ("Balázs", "balazs"), ("Bence", "bence"), ("Ádám", "adam"),
    ("Gergely", "gergely"), ("Dániel", "daniel"), ("Levente", "levente"), ("Máté", "mate"), ("Dávid", "david"),
    ("Mária", "maria"), ("Erzsébet", "erzsebet"), ("Katalin", "katalin"), ("Éva", "eva"), ("Ilona", "ilona"),
    ("Anna", "anna"), ("Zsuzsanna", "zsuzsanna"), ("Judit", "judit"), ("Ágnes", "agnes"), ("Eszter", "eszter"),
    ("Andrea", "andrea"), ("Krisztina", "krisztina"), ("Réka", "reka"), ("Zsófia", "zsofia"), ("Dóra", "dora"),
    ("Lilla", "lilla"), ("Hanna", "hanna"), ("Boglárka", "boglarka"), ("Orsolya", "orsolya"), ("Tünde", "tunde"),
]
EN_GIVEN = [
    ("James", "james"), ("Oliver", "oliver"), ("William", "william"), ("Jack", "jack"), ("Noah", "noah"),
    ("Harry", "harry"), ("George", "george"), ("Henry", "henry"), ("Thomas", "thomas"), ("Daniel", "daniel"),
    ("Michael", "michael"), ("David", "david"), ("John", "john"), ("Robert", "robert"), ("Samuel", "samuel"),
    ("Ethan", "ethan"), ("Lucas", "lucas"), ("Liam", "liam"), ("Joseph", "joseph"), ("Benjamin", "benjamin"),
    ("Olivia", "olivia"), ("Emma", "emma"), ("Amelia", "amelia"), ("Isla", "isla"), ("Ava", "ava"),
    ("Sophia", "sophia"), ("Mia", "mia"), ("Grace", "grace"), ("Chloe", "chloe"), ("Emily", "emily"),
    ("Charlotte", "charlotte"), ("Lily", "lily"), ("Jessica", "jessica"), ("Sarah", "sarah"), ("Hannah", "hannah"),
    ("Lucy", "lucy"), ("Ella", "ella"), ("Freya", "freya"), ("Alice", "alice"), ("Evie", "evie"),
]
EN_FAMILY = [
    ("Smith", "smith"), ("Johnson", "johnson"), ("Williams", "williams"), ("Brown", "brown"), ("Jones", "jones"),
    ("Taylor", "taylor"), ("Davies", "davies"), ("Wilson", "wilson"), ("Evans", "evans"), ("Thomas", "thomas"),
    ("Roberts", "roberts"), ("Johnston", "johnston"), ("Walker", "walker"), ("Wright", "wright"),
    ("Robinson", "robinson"), ("Thompson", "thompson"), ("White", "white"), ("Hughes", "hughes"),
    ("Edwards", "edwards"), ("Green", "green"), ("Hall", "hall"), ("Wood", "wood"), ("Harris", "harris"),
    ("Lewis", "lewis"), ("Martin", "martin"), ("Jackson", "jackson"), ("Clarke", "clarke"), ("Clark", "clark"),
    ("Turner", "turner"), ("Hill", "hill"), ("Scott", "scott"), ("Cooper", "cooper"), ("Morris", "morris"),
    ("Ward", "ward"), ("Moore", "moore"), ("King", "king"), ("Watson", "watson"), ("Baker", "baker"),
    ("Harrison", "harrison"), ("Morgan", "morgan"), ("Patel", "patel"), ("Young", "young"), ("Allen", "allen"),
    ("Mitchell", "mitchell"), ("Anderson", "anderson"), ("Carter", "carter"), ("Phillips", "phillips"),
]
ORG_FA = (["شرکت", "گروه صنعتی", "فروشگاه", "بیمه", "کارخانه", "موسسه"],
          ["پیشگامان", "آسیا", "سپهر", "البرز", "پارس", "نوین", "ایران", "آریا", "کوثر", "مهر"],
          ["ارتباط", "تجارت", "صنعت", "فولاد", "خدمات", "پخش", "سازه", "انرژی"])
ORG_HU = (["Duna", "Tisza", "Mátra", "Balaton", "Budai", "Pannon", "Alföld", "Bakony", "Hungária", "Kárpát"],
          ["Szerviz", "Telekom", "Energia", "Logisztika", "Közművek", "Kereskedelmi", "Építő", "Informatika"],
          ["Kft.", "Zrt.", "Bt.", "Nyrt."])
ORG_EN = (["Northwind", "Acme", "Bluebird", "Contoso", "Greenfield", "Silverline", "Redwood", "Blackstone"],
          ["Trading", "Field Services", "Health", "Retail", "Logistics", "Energy", "Consulting", "Software"],
          ["Ltd", "Inc.", "GmbH", "LLC", "plc"])

# fmt: on

DOMAINS_FA = ["gmail.com", "yahoo.com", "chmail.ir", "outlook.com", "mailfa.com"]
DOMAINS_HU = ["gmail.com", "freemail.hu", "citromail.hu", "t-online.hu", "outlook.hu"]
DOMAINS_EN = ["gmail.com", "outlook.com", "yahoo.co.uk", "hotmail.com", "icloud.com"]

# Number ranges: country code, national prefixes, subscriber digits. The first phone is a mobile; the second a
# landline, so the two sets never overlap.
MOBILE = {
    "IR": ("98", ["912", "913", "919", "935", "936", "937", "938", "939", "901", "902", "910", "917"], 7),
    "HU": ("36", ["20", "30", "31", "70"], 7),
}
LANDLINE = {
    "IR": ("98", ["21", "26", "31", "51", "71", "41"], 8),
    "HU": ("36", ["1"], 7),
}
# 7 and 8 digit bijections: i -> (i * A + B) mod 10**n with A coprime to 10.
_MUL = {7: 3_999_971, 8: 48_271_037}
_ADD = {7: 1_234_567, 8: 20_481_119}


def _subscriber(i: int, digits: int, salt: int) -> str:
    modulus = 10**digits
    return str((i * _MUL[digits] + _ADD[digits] + salt) % modulus).zfill(digits)


def _phone(i: int, plan: dict[str, tuple[str, list[str], int]], country: str, salt: int) -> str:
    cc, prefixes, digits = plan[country]
    # The prefix depends on i too, but the subscriber part alone is already unique per i.
    prefix = prefixes[(i * 7 + salt) % len(prefixes)]
    return f"+{cc}{prefix}{_subscriber(i, digits, salt)}"


def _weighted(items: list[tuple[str, str]]) -> list[float]:
    # A gentle Zipf curve: common names are common, rare names still show up.
    return [1 / (rank + 1) ** 0.6 for rank in range(len(items))]


_WEIGHTS = {id(lst): _weighted(lst) for lst in (FA_GIVEN, FA_FAMILY, HU_GIVEN, HU_FAMILY, EN_GIVEN, EN_FAMILY)}


def _pick(rng: random.Random, items: list[tuple[str, str]]) -> tuple[str, str]:
    return rng.choices(items, weights=_WEIGHTS[id(items)])[0]


@dataclass
class FakeContact:
    index: int
    kind: str
    name: str
    culture: str  # fa, hu, en
    status: str
    rating: int
    identities: list[tuple[str, str]] = field(default_factory=list)


STATUSES = ["prospect", "customer", "customer", "customer", "former"]


def fake_contact(i: int) -> FakeContact:
    """Contact number i: always the same data for the same i."""
    rng = random.Random(i * 2_654_435_761 % 2**32)
    roll = rng.random()
    culture = "fa" if roll < 0.45 else ("hu" if roll < 0.75 else "en")
    country = "HU" if culture == "hu" else ("IR" if culture == "fa" or rng.random() < 0.5 else "HU")
    is_org = rng.random() < 0.03
    if is_org:
        parts = {"fa": ORG_FA, "hu": ORG_HU, "en": ORG_EN}[culture]
        name = " ".join(rng.choice(p) for p in parts)
        latin, domain = f"info{i}", f"org{i % 997}.{'ir' if culture == 'fa' else 'hu' if culture == 'hu' else 'com'}"
    else:
        if culture == "fa":
            given, family = _pick(rng, FA_GIVEN), _pick(rng, FA_FAMILY)
            name = f"{given[0]} {family[0]}"
        elif culture == "hu":
            given, family = _pick(rng, HU_GIVEN), _pick(rng, HU_FAMILY)
            name = f"{family[0]} {given[0]}"  # Hungarian order: family name first
        else:
            given, family = _pick(rng, EN_GIVEN), _pick(rng, EN_FAMILY)
            name = f"{given[0]} {family[0]}"
        latin = f"{given[1]}.{family[1]}{i}"
        domain = rng.choice({"fa": DOMAINS_FA, "hu": DOMAINS_HU, "en": DOMAINS_EN}[culture])
    contact = FakeContact(
        index=i,
        kind="organisation" if is_org else "person",
        name=name,
        culture=culture,
        status=rng.choice(STATUSES),
        rating=rng.randint(0, 5),
    )
    mobile = _phone(i, MOBILE, country, 0)
    contact.identities.append(("phone", mobile))
    if rng.random() < 0.35 or is_org:
        contact.identities.append(("phone", _phone(i, LANDLINE, country, 0)))
    if rng.random() < 0.15:
        contact.identities.append(("whatsapp", mobile))
    if rng.random() < 0.7 or is_org:
        contact.identities.append(("email", f"{latin}@{domain}"))
    if rng.random() < 0.1:
        contact.identities.append(("telegram", latin.replace(".", "_")[:64]))
    return contact


def fake_contacts(start: int, stop: int) -> Iterator[FakeContact]:
    for i in range(start, stop):
        yield fake_contact(i)


# ---------------------------------------------------------------------------------------------- phone formats

_TO_PERSIAN = str.maketrans("0123456789", PERSIAN_DIGITS)


def phone_variants(e164: str) -> list[str]:
    """The ways people and phone systems write this number: national, spaced, Persian digits, 00..., +cc (..)."""
    number = phonenumbers.parse(e164, None)
    national = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
    international = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
    digits = "".join(ch for ch in national if ch.isdigit())
    cc = str(number.country_code)
    nsn = phonenumbers.national_significant_number(number)
    variants = [e164, national, digits, international, f"00{cc}{nsn}", f"+{cc} ({nsn[:3]}) {nsn[3:6]}-{nsn[6:]}"]
    if cc == "98":
        variants += [digits.translate(_TO_PERSIAN), national.translate(_TO_PERSIAN), f"0{nsn[:3]}-{nsn[3:6]}-{nsn[6:]}"]
    else:
        variants += [f"06 {nsn[:2]} {nsn[2:5]} {nsn[5:]}", f"+36 ({nsn[:2]}) {nsn[2:5]}-{nsn[5:]}"]
    return variants


# ---------------------------------------------------------------------------------------------- search queries


def search_queries(names: list[str], rng: random.Random) -> list[str]:
    """What people type into the search box for these existing names: the full name, one word of it, a word and
    the start of the next, or the first three or four letters of a word."""
    out = []
    for name in names:
        words = name.split()
        roll = rng.random()
        if roll < 0.3 or len(words) < 2:
            out.append(name)
        elif roll < 0.55:
            out.append(words[-1] if rng.random() < 0.5 else words[0])
        elif roll < 0.8:
            out.append(f"{words[0]} {words[1][: rng.randint(2, 4)]}")
        else:
            word = rng.choice(words)
            out.append(word[: rng.randint(3, 4)])
    return out
