"""Normalising identities and names so that every way of writing them finds the same contact."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

import phonenumbers
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email

from payvand.core.localization import to_ascii_digits

# Regions tried, in order, when a national number does not parse as valid in the default region.
FALLBACK_REGIONS = ("IR", "HU", "DE", "GB", "US")

_PHONE_JUNK = re.compile(r"[\s\-().\u200c\u200e\u200f\u202a-\u202e/]")
_HANDLE = re.compile(r"^[A-Za-z0-9_.]{2,64}$")
_ARABIC_TO_PERSIAN = str.maketrans({"ي": "ی", "ى": "ی", "ك": "ک", "ة": "ه", "ۀ": "ه", "أ": "ا", "إ": "ا", "ؤ": "و"})
_TASHKEEL = re.compile(r"[\u064b-\u065f\u0670]")
_PHONE_DIGITS = re.compile(r"\+?[0-9]+")
_NOT_DIGIT = re.compile(r"\D")
_INTERNATIONAL = (
    phonenumbers.CountryCodeSource.FROM_NUMBER_WITH_PLUS_SIGN,
    phonenumbers.CountryCodeSource.FROM_NUMBER_WITH_IDD,
)


def normalize_phone(raw: str, region: str | None = None) -> str:
    """Return the E.164 form of a phone number written in any common way. Raises ValueError."""
    text, default = _clean_phone(raw, region)
    fast = _fast_phone(text, default)
    if fast is not None:
        return fast[0]
    return _parse_phone(text, default)[0]


def normalize_phone_forms(raw: str, region: str | None = None) -> tuple[str, str]:
    """`normalize_phone` and `phone_national` of its result from one parse (the import's hot path): the E.164
    form and the national form without spaces. Raises ValueError."""
    text, default = _clean_phone(raw, region)
    fast = _fast_phone(text, default)
    if fast is not None:
        return fast
    e164, number = _parse_phone(text, default)
    return e164, _national_digits(number)


def _clean_phone(raw: str, region: str | None) -> tuple[str, str]:
    """The digits (and a leading +) of a phone number as written, and the region to read it in."""
    text = _PHONE_JUNK.sub("", to_ascii_digits(raw or "").strip())
    if not text or len(text) > 32 or not _PHONE_DIGITS.fullmatch(text):
        raise ValueError("not a phone number")
    return text, (region or settings.PHONE_DEFAULT_REGION).upper()


@dataclass(frozen=True, slots=True)
class _FastRegion:
    country_code: str
    national_prefix: str
    valid: re.Pattern[str]  # the mobile and fixed-line national numbers of the region's metadata


def _fast_region(region: str) -> _FastRegion:
    meta = phonenumbers.PhoneMetadata.metadata_for_region(region)
    mobile = meta.mobile.national_number_pattern if meta and meta.mobile else None
    fixed = meta.fixed_line.national_number_pattern if meta and meta.fixed_line else None
    if meta is None or not mobile or not fixed:
        raise LookupError(f"phonenumbers has no mobile and fixed-line metadata for {region}")
    pattern = f"(?:{mobile})|(?:{fixed})"
    return _FastRegion(str(meta.country_code), meta.national_prefix or "", re.compile(pattern, re.ASCII))


# The forms most numbers arrive in (CSV imports, caller ID) are read without a full `phonenumbers` parse, which
# costs about 30 µs per number: +98…/0098…/0… in Iran, +36…/0036…/06… in Hungary, with a mobile or fixed-line
# number as the library's own metadata describes them. Anything else goes the slow way. A property test checks
# that both ways agree on every number this path accepts.
_FAST_REGIONS = {region: _fast_region(region) for region in ("IR", "HU")}
_FAST_BY_CODE = {fast.country_code: fast for fast in _FAST_REGIONS.values()}


def _fast_phone(text: str, default: str) -> tuple[str, str] | None:
    """(E.164, national digits) of an Iranian or Hungarian number in one of its usual forms, or None."""
    home = _FAST_REGIONS.get(default)
    if home is None:
        return None  # another region's rules for international and national prefixes apply
    if text.startswith("+"):
        international = text[1:]
    elif text.startswith("00"):  # the international prefix of both Iran and Hungary
        international = text[2:]
    elif home.national_prefix and text.startswith(home.national_prefix):
        national = text[len(home.national_prefix) :]
        if home.valid.fullmatch(national):
            return f"+{home.country_code}{national}", home.national_prefix + national
        return None
    else:
        return None
    fast = _FAST_BY_CODE.get(international[:2])
    if fast is None:
        return None
    national = international[2:]
    if fast.valid.fullmatch(national):
        return f"+{fast.country_code}{national}", fast.national_prefix + national
    return None


def _parse_phone(text: str, default: str) -> tuple[str, phonenumbers.PhoneNumber]:
    regions = [default, *(r for r in FALLBACK_REGIONS if r != default)]
    first_possible: phonenumbers.PhoneNumber | None = None
    for reg in regions:
        try:
            number = phonenumbers.parse(text, reg, keep_raw_input=True)
        except phonenumbers.NumberParseException:
            continue
        if phonenumbers.is_valid_number(number):
            return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164), number
        # A number written with its country code (+44 7700 900123, 0036…) may be merely possible: new ranges and
        # drama numbers are not in the metadata yet. A national number must be valid somewhere, or "123" and "0912"
        # would become phone numbers in some fallback region.
        if (
            first_possible is None
            and number.country_code_source in _INTERNATIONAL
            and len(str(number.national_number)) >= 7
            and phonenumbers.is_possible_number_with_reason(number) == phonenumbers.ValidationResult.IS_POSSIBLE
        ):
            first_possible = number
        if text.startswith("+"):
            break  # an international number means the same in every region
    if first_possible is not None:
        return phonenumbers.format_number(first_possible, phonenumbers.PhoneNumberFormat.E164), first_possible
    raise ValueError("not a phone number")


def _national_digits(number: phonenumbers.PhoneNumber) -> str:
    # Only the number itself, as phone_national sees it after parsing the E.164 form: not how it was written.
    bare = phonenumbers.PhoneNumber(
        country_code=number.country_code,
        national_number=number.national_number,
        italian_leading_zero=number.italian_leading_zero,
        number_of_leading_zeros=number.number_of_leading_zeros,
    )
    return _NOT_DIGIT.sub("", phonenumbers.format_number(bare, phonenumbers.PhoneNumberFormat.NATIONAL))


def phone_national(e164: str) -> str:
    """The national form without spaces (09121234567), so national-format searches match too."""
    try:
        number = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return ""
    return _NOT_DIGIT.sub("", phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL))


def phone_display(e164: str) -> str:
    try:
        number = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return e164
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


def normalize_email(raw: str) -> str:
    """Lower-case, with an IDNA (punycode) domain. Raises ValueError."""
    text = (raw or "").strip().lower()
    if text.count("@") != 1 or len(text) > 254:
        raise ValueError("not an email address")
    local, domain = text.split("@")
    try:
        domain = domain.encode("idna").decode("ascii")
    except UnicodeError as exc:
        raise ValueError("not an email address") from exc
    value = f"{local}@{domain}"
    try:
        validate_email(value)
    except ValidationError as exc:
        raise ValueError("not an email address") from exc
    return value


def normalize_handle(raw: str) -> str:
    text = (raw or "").strip().lstrip("@").lower()
    if not _HANDLE.fullmatch(text):
        raise ValueError("not a handle")
    return text


def normalize_identity(kind: str, raw: str) -> str:
    if kind == "email":
        return normalize_email(raw)
    if kind in ("phone", "whatsapp"):
        return normalize_phone(raw)
    if kind in ("telegram", "instagram"):
        return normalize_handle(raw)
    raise ValueError("unknown identity kind")


def normalize_text(text: str) -> str:
    """Fold case, Arabic letter forms, diacritics, zero-width joiners and digits, for search and matching."""
    text = unicodedata.normalize("NFKC", text or "")
    text = text.translate(_ARABIC_TO_PERSIAN)
    text = _TASHKEEL.sub("", text)
    text = text.replace("\u200c", " ").replace("\u200d", "")
    text = to_ascii_digits(text).casefold()
    text = "".join(ch for ch in unicodedata.normalize("NFKD", text) if not unicodedata.combining(ch))
    # Stripping the hamza of ئ leaves an Arabic ي: fold the letter forms once more.
    text = text.translate(_ARABIC_TO_PERSIAN)
    return re.sub(r"\s+", " ", text).strip()


def looks_like_phone(text: str) -> bool:
    cleaned = _PHONE_JUNK.sub("", to_ascii_digits(text or "").strip())
    return bool(re.fullmatch(r"\+?[0-9]{6,20}", cleaned))
