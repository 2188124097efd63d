"""Calendars, digits and numbers in the viewer's language: the helpers and the template filters built on them."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Iterator
from decimal import Decimal

import pytest
from django.template import Context, Template
from django.test import RequestFactory
from django.utils import timezone, translation

from payvand.core import localization
from payvand.core.localization import GREGORIAN, JALALI

NOWRUZ_1403 = dt.date(2024, 3, 20)  # 1 Farvardin 1403
TEHRAN = zoneinfo.ZoneInfo("Asia/Tehran")


@pytest.fixture(autouse=True)
def _reset() -> Iterator[None]:
    localization.activate_calendar(None)
    with translation.override("en"):  # whatever an earlier test left active
        yield
    localization.activate_calendar(None)
    timezone.deactivate()


def _render(source: str, **context: object) -> str:
    return Template(source).render(Context(context))


# --- calendars ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("language", "calendar"),
    [("fa", JALALI), ("fa-ir", JALALI), ("en", GREGORIAN), ("hu", GREGORIAN), (None, GREGORIAN)],
)
def test_it_defaults_the_calendar_by_language(language, calendar):
    assert localization.default_calendar_for(language) == calendar


def test_it_uses_the_activated_calendar_over_the_language_default():
    with translation.override("fa"):
        assert localization.current_calendar() == JALALI
        localization.activate_calendar(GREGORIAN)
        assert localization.current_calendar() == GREGORIAN
        localization.activate_calendar("lunar")  # unknown: back to the default
        assert localization.current_calendar() == JALALI


def test_it_writes_jalali_dates_with_persian_months_and_digits_in_persian():
    with translation.override("fa"):
        assert localization.format_date(NOWRUZ_1403) == "۱ فروردین ۱۴۰۳"
        assert localization.format_date(dt.date(2024, 11, 22)) == "۲ آذر ۱۴۰۳"
        assert localization.format_date_short(dt.date(2024, 11, 22)) == "۱۴۰۳/۰۹/۰۲"


@pytest.mark.parametrize("language", ["en", "hu"])
def test_it_writes_gregorian_dates_in_english_and_hungarian(language):
    with translation.override(language):
        assert localization.format_date(NOWRUZ_1403) == "2024-03-20"
        assert localization.format_date_short(NOWRUZ_1403) == "2024-03-20"


def test_it_honours_a_persian_user_who_chose_gregorian():
    with translation.override("fa"):
        localization.activate_calendar(GREGORIAN)
        assert localization.format_date(NOWRUZ_1403) == "۲۰۲۴-۰۳-۲۰"
        assert localization.format_date_short(NOWRUZ_1403) == "۲۰۲۴-۰۳-۲۰"


def test_it_writes_jalali_with_latin_month_names_for_an_english_user_who_chose_it():
    with translation.override("en"):
        localization.activate_calendar(JALALI)
        assert localization.format_date(NOWRUZ_1403) == "1 Farvardin 1403"
        assert localization.format_date_short(NOWRUZ_1403) == "1403/01/01"


def test_it_takes_an_explicit_calendar():
    with translation.override("en"):
        assert localization.format_date(NOWRUZ_1403, calendar=JALALI) == "1 Farvardin 1403"
    with translation.override("fa"):
        assert localization.format_date(NOWRUZ_1403, calendar=GREGORIAN) == "۲۰۲۴-۰۳-۲۰"


def test_it_shows_datetimes_in_the_active_time_zone():
    moment = dt.datetime(2024, 3, 19, 21, 0, tzinfo=dt.UTC)  # 00:30 on 1 Farvardin in Tehran
    timezone.activate(TEHRAN)
    with translation.override("fa"):
        assert localization.format_datetime(moment) == "۱ فروردین ۱۴۰۳ ۰۰:۳۰"
        assert localization.format_date(moment) == "۱ فروردین ۱۴۰۳"
    with translation.override("en"):
        assert localization.format_datetime(moment) == "2024-03-20 00:30"
    timezone.activate(zoneinfo.ZoneInfo("Europe/Budapest"))
    with translation.override("hu"):
        assert localization.format_datetime(moment) == "2024-03-19 22:00"


def test_it_treats_naive_datetimes_as_utc():
    timezone.activate(TEHRAN)
    with translation.override("en"):
        assert localization.format_datetime(dt.datetime(2024, 3, 19, 21, 0)) == "2024-03-20 00:30"  # noqa: DTZ001


def test_it_formats_nothing_as_empty():
    assert localization.format_date(None) == ""
    assert localization.format_datetime(None) == ""
    assert localization.format_date_short(None) == ""
    assert localization.format_number(None) == ""


# --- digits and parsing ------------------------------------------------------------------------------------------


def test_it_converts_digits():
    assert localization.to_ascii_digits("۰۹۱۲ ١٢٣ ۴۵۶۷") == "0912 123 4567"
    assert localization.localize_digits("Room 42", "fa") == "Room ۴۲"
    assert localization.localize_digits("Room 42", "hu") == "Room 42"


@pytest.mark.parametrize(
    "text",
    ["1403/01/01", "۱۴۰۳/۰۱/۰۱", "1403-1-1", "١٤٠٣/٠١/٠١", "2024-03-20", "۲۰۲۴-۰۳-۲۰", "2024.03.20", " 2024/3/20 "],
)
def test_it_parses_jalali_and_iso_dates_with_any_digits(text):
    assert localization.parse_date(text) == NOWRUZ_1403


def test_it_parses_the_last_day_of_a_jalali_leap_year():
    assert localization.parse_date("1403/12/30") == dt.date(2025, 3, 20)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "tomorrow",
        "2024-03",
        "2024-03-20-01",
        "2024-02-30",
        "1403/13/01",
        "1402/12/30",
        "0/1/1",
        "2024-00-10",
        "20240320",
        "2024-03-2x",
        "99999999999999999999999-01-01",
        "1" * 40 + "/01/01",
        "²⁰²⁴-03-20",
    ],
)
def test_it_refuses_what_is_not_a_date(text):
    with pytest.raises(ValueError):  # noqa: PT011 - the one error callers catch
        localization.parse_date(text)


# --- numbers -----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("language", "value", "expected"),
    [
        ("fa", 1234567, "۱٬۲۳۴٬۵۶۷"),
        ("fa", Decimal("1234.5"), "۱٬۲۳۴٫۵"),
        ("hu", 1234567, "1\xa0234\xa0567"),
        ("hu", 1234.5, "1\xa0234,5"),
        ("en", 1234567, "1,234,567"),
        ("en", Decimal("-0.25"), "-0.25"),
        ("en", 0, "0"),
    ],
)
def test_it_groups_numbers_in_each_language(language, value, expected):
    assert localization.format_number(value, language) == expected
    with translation.override(language):
        assert localization.format_number(value) == expected


# --- template filters (builtins: no {% load %} needed) ----------------------------------------------------------


def test_it_renders_dates_and_numbers_in_persian():
    with translation.override("fa"):
        html = _render(
            "{{ d|udate }}|{{ d|ushortdate }}|{{ n|unum }}|{{ s|digits }}", d=NOWRUZ_1403, n=20000, s="Ext. 305"
        )
    assert html == "۱ فروردین ۱۴۰۳|۱۴۰۳/۰۱/۰۱|۲۰٬۰۰۰|Ext. ۳۰۵"


def test_it_renders_dates_and_numbers_in_hungarian():
    with translation.override("hu"):
        html = _render("{{ d|udate }}|{{ n|unum }}|{{ s|digits }}", d=NOWRUZ_1403, n=20000, s="Ext. 305")
    assert html == "2024-03-20|20\xa0000|Ext. 305"


def test_it_renders_datetimes_in_the_users_zone_and_calendar():
    timezone.activate(TEHRAN)
    localization.activate_calendar(GREGORIAN)
    with translation.override("fa"):
        assert _render("{{ t|udatetime }}", t=dt.datetime(2024, 3, 19, 21, 0, tzinfo=dt.UTC)) == "۲۰۲۴-۰۳-۲۰ ۰۰:۳۰"


@pytest.mark.parametrize("value", [None, ""])
def test_it_renders_nothing_for_missing_values(value):
    assert _render("[{{ v|udate }}{{ v|udatetime }}{{ v|ushortdate }}{{ v|unum }}]", v=value) == "[]"


def test_it_renders_a_date_given_to_the_datetime_filter_as_a_date():
    with translation.override("fa"):
        assert _render("{{ d|udatetime }}", d=NOWRUZ_1403) == "۱ فروردین ۱۴۰۳"


@pytest.mark.parametrize("value", ["2024-03-20", "soon", 42])
def test_it_renders_a_non_date_as_it_is(value):
    assert _render("{{ v|udate }}|{{ v|udatetime }}|{{ v|ushortdate }}", v=value) == "|".join([str(value)] * 3)


@pytest.mark.parametrize("value", ["n/a", "12abc", [1, 2]])
def test_it_renders_a_non_number_as_it_is(value):
    with translation.override("en"):
        assert _render("{{ v|unum }}", v=value) == str(value).replace("'", "&#x27;")


def test_it_replaces_query_parameters():
    request = RequestFactory().get("/contacts/", {"q": "ali", "cursor": "abc", "status": "customer"})
    html = _render("{% query_replace cursor='xyz' status='' %}", request=request)
    assert html == "q=ali&amp;cursor=xyz"


def test_it_parses_iso_dates_in_templates():
    assert _render("{{ v|parse_iso_date|ushortdate }}", v="2024-03-20") == "2024-03-20"
    assert _render("[{{ v|parse_iso_date }}]", v="not a date") == "[None]"
