"""Calendars, digits and number formatting in the viewer's language.

The middleware activates the user's language, time zone and calendar per request, the same way Django activates a
language; these helpers read them, so templates, emails and exports all format alike.
"""

from __future__ import annotations

import datetime as dt
import re
from contextvars import ContextVar
from decimal import Decimal

import jdatetime
from babel.numbers import format_decimal
from django.utils import timezone, translation

GREGORIAN = "gregorian"
JALALI = "jalali"
CALENDARS = (GREGORIAN, JALALI)

_calendar: ContextVar[str | None] = ContextVar("payvand_calendar", default=None)

PERSIAN_DIGITS = "۰۱۲۳۴۵۶۷۸۹"
ARABIC_DIGITS = "٠١٢٣٤٥٦٧٨٩"
_TO_ASCII = str.maketrans(PERSIAN_DIGITS + ARABIC_DIGITS, "0123456789" * 2)
_TO_PERSIAN = str.maketrans("0123456789", PERSIAN_DIGITS)

_JALALI_MONTHS_FA = [
    "فروردین",
    "اردیبهشت",
    "خرداد",
    "تیر",
    "مرداد",
    "شهریور",
    "مهر",
    "آبان",
    "آذر",
    "دی",
    "بهمن",
    "اسفند",
]
_JALALI_MONTHS_LATIN = [
    "Farvardin",
    "Ordibehesht",
    "Khordad",
    "Tir",
    "Mordad",
    "Shahrivar",
    "Mehr",
    "Aban",
    "Azar",
    "Dey",
    "Bahman",
    "Esfand",
]


def default_calendar_for(language: str | None) -> str:
    return JALALI if (language or "").startswith("fa") else GREGORIAN


def activate_calendar(calendar: str | None) -> None:
    _calendar.set(calendar if calendar in CALENDARS else None)


def current_calendar() -> str:
    return _calendar.get() or default_calendar_for(translation.get_language())


def uses_persian_digits(language: str | None = None) -> bool:
    return (language or translation.get_language() or "").startswith("fa")


def to_ascii_digits(value: str) -> str:
    """Persian (۰-۹) and Arabic-Indic (٠-٩) digits to ASCII."""
    return value.translate(_TO_ASCII)


_PERSIAN_LETTERS = re.compile(r"[\u0600-\u06ff]")
_HUNGARIAN_WORDS = re.compile(r"[őűŐŰ]|\b(?:és|köszönöm|kérem|tisztelt|üdvözlettel|szia)\b", re.IGNORECASE)


def language_guess(text: str, default: str) -> str:
    """The language a customer wrote in, from their text: "fa" for Persian script, "hu" for Hungarian letters or
    words, else `default` (email and SMS have no language header worth trusting)."""
    sample = text[:2000]
    if len(_PERSIAN_LETTERS.findall(sample)) >= 3:
        return "fa"
    if _HUNGARIAN_WORDS.search(sample):
        return "hu"
    return default


def localize_digits(value: str, language: str | None = None) -> str:
    return value.translate(_TO_PERSIAN) if uses_persian_digits(language) else value


def _as_local(value: dt.datetime) -> dt.datetime:
    if timezone.is_naive(value):
        value = timezone.make_aware(value, dt.UTC)
    return timezone.localtime(value)


def format_date(value: dt.date | dt.datetime | None, *, calendar: str | None = None) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        value = _as_local(value).date()
    calendar = calendar or current_calendar()
    if calendar == JALALI:
        jd = jdatetime.date.fromgregorian(date=value)
        months = _JALALI_MONTHS_FA if uses_persian_digits() else _JALALI_MONTHS_LATIN
        text = f"{jd.day} {months[jd.month - 1]} {jd.year}"
    else:
        text = value.isoformat()
    return localize_digits(text)


def format_datetime(value: dt.datetime | None, *, calendar: str | None = None) -> str:
    if value is None:
        return ""
    local = _as_local(value)
    return localize_digits(f"{format_date(local, calendar=calendar)} {local:%H:%M}")


def format_date_short(value: dt.date | dt.datetime | None, *, calendar: str | None = None) -> str:
    """Numeric form (1403/09/02 or 2024-11-22): for tables and inputs."""
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        value = _as_local(value).date()
    jalali = (calendar or current_calendar()) == JALALI
    text = jdatetime.date.fromgregorian(date=value).strftime("%Y/%m/%d") if jalali else value.isoformat()
    return localize_digits(text)


def parse_date(text: str) -> dt.date:
    """Parse an ISO or Jalali date (years below 1700 are Jalali), with any digits. Raises ValueError."""
    cleaned = to_ascii_digits(text.strip()).replace("/", "-").replace(".", "-")
    parts = cleaned.split("-")
    if len(parts) != 3 or not all(p.isdigit() for p in parts):
        raise ValueError(text)
    year, month, day = (int(p) for p in parts)
    try:
        if year < 1700:
            return jdatetime.date(year, month, day).togregorian()
        return dt.date(year, month, day)
    except OverflowError as exc:  # a huge number of digits: not a date either
        raise ValueError(text) from exc


def format_number(value: int | float | Decimal | None, language: str | None = None) -> str:
    if value is None:
        return ""
    language = language or translation.get_language() or "en"
    # Babel would use Latin digits and separators for fa by default; take the locale's own separators (٬ and ٫)
    # and Persian digits instead, as everywhere else in fa.
    text = format_decimal(value, locale=language.split("-")[0], numbering_system="default")
    return localize_digits(text, language)
