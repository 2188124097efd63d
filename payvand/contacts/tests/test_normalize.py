from __future__ import annotations

import re

import phonenumbers
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from payvand.contacts import normalize
from payvand.contacts.normalize import (
    looks_like_phone,
    normalize_email,
    normalize_handle,
    normalize_identity,
    normalize_phone,
    normalize_phone_forms,
    normalize_text,
    phone_display,
    phone_national,
)

IRAN_FORMS = [
    "۰۹۱۲۱۲۳۴۵۶۷",  # Persian digits
    "٠٩١٢١٢٣٤٥٦٧",  # Arabic-Indic digits
    "۰۹۱۲ ۱۲۳ ۴۵۶۷",
    "0912 123 4567",
    "09121234567",
    "0912-123-4567",
    "(0912) 123 4567",
    "+98 912 123 4567",
    "+۹۸ ۹۱۲ ۱۲۳ ۴۵۶۷",
    "0098 912 123 4567",
    "989121234567",
    "+989121234567",
    "\u200e+98 912 123 4567\u200f",  # bidi marks pasted from an RTL text
]
HUNGARY_FORMS = [
    "06 30 123 4567",
    "06301234567",
    "06-30-123-4567",
    "+36 (30) 123-4567",
    "0036 30 123 4567",
    "+36301234567",
    "+36 30 123 4567",
]


@pytest.mark.parametrize("region", ["IR", "HU"])
@pytest.mark.parametrize("raw", IRAN_FORMS)
def test_it_normalises_every_iranian_form_to_one_e164(raw, region, settings):
    settings.PHONE_DEFAULT_REGION = region
    assert normalize_phone(raw) == "+989121234567"


@pytest.mark.parametrize("region", ["IR", "HU"])
@pytest.mark.parametrize("raw", HUNGARY_FORMS)
def test_it_normalises_every_hungarian_form_to_one_e164(raw, region, settings):
    settings.PHONE_DEFAULT_REGION = region
    assert normalize_phone(raw) == "+36301234567"


def test_it_takes_the_region_argument_over_the_setting(settings):
    settings.PHONE_DEFAULT_REGION = "IR"
    assert normalize_phone("06 1 234 5678", "HU") == "+3612345678"
    assert normalize_phone("021 8888 7777", "IR") == "+982188887777"


def test_it_prefers_the_default_region_for_a_national_number(settings):
    # 030 1234567 is a Berlin number and not an Iranian or Hungarian one; a Tehran landline is Iranian under IR.
    settings.PHONE_DEFAULT_REGION = "IR"
    assert normalize_phone("021 8888 7777") == "+982188887777"
    settings.PHONE_DEFAULT_REGION = "HU"
    assert normalize_phone("06 1 234 5678") == "+3612345678"


def test_it_accepts_a_possible_international_number_not_in_the_metadata():
    # Ofcom's drama range is "possible" but not "valid"; written with its country code it is kept.
    assert normalize_phone("+44 7700 900123") == "+447700900123"
    assert normalize_phone("0044 7700 900123") == "+447700900123"


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "   ",
        "abc",
        "hello 0912",
        "12",
        "123",
        "0912",
        "000000",
        "12-34",
        "+98 12",
        "+1",
        "++98912",
        "0912 123 4567 ext 5",
        "9" * 40,
        "+0098",
        "0912١٢٣x",
        None,
    ],
)
@pytest.mark.parametrize("region", ["IR", "HU"])
def test_it_rejects_garbage_phones(raw, region, settings):
    settings.PHONE_DEFAULT_REGION = region
    with pytest.raises(ValueError):  # noqa: PT011
        normalize_phone(raw)


def test_it_formats_phones_for_display_and_national_search():
    assert phone_national("+989121234567") == "09121234567"
    assert phone_national("+36301234567") == "06301234567"
    assert phone_display("+36301234567") == "+36 30 123 4567"
    assert phone_display("not a number") == "not a number"
    assert phone_national("not a number") == ""


def test_it_recognises_text_that_looks_like_a_phone():
    assert looks_like_phone("۰۹۱۲ ۱۲۳ ۴۵۶۷")
    assert looks_like_phone("+36 (30) 123-4567")
    assert not looks_like_phone("Ali Rezaei")
    assert not looks_like_phone("12")


_PERSIAN = str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")
_EXAMPLES = sorted(
    {
        (region, phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164))
        for region in phonenumbers.SUPPORTED_REGIONS
        for kind in (phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE)
        if (number := phonenumbers.example_number_for_type(region, kind)) is not None
    }
)


@settings(max_examples=300, deadline=None)
@given(
    example=st.sampled_from(_EXAMPLES),
    style=st.sampled_from(["national", "international", "e164", "idd"]),
    persian=st.booleans(),
)
def test_it_normalises_any_valid_number_back_to_itself(example, style, persian):
    region, e164 = example
    number = phonenumbers.parse(e164)
    if style == "national":
        text = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
    elif style == "international":
        text = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
    elif style == "idd":
        text = "00" + e164[1:]
    else:
        text = e164
    if persian:
        text = text.translate(_PERSIAN)
    # A national number means something only in its own region; the others carry their country code.
    assert normalize_phone(text, region if style in ("national", "idd") else "IR") == e164


@settings(max_examples=400, deadline=None)
@given(
    example=st.sampled_from(_EXAMPLES),
    style=st.sampled_from(["national", "international", "e164", "idd"]),
    default=st.sampled_from(["IR", "HU", "US", "IT"]),
)
def test_it_gives_both_phone_forms_from_one_parse_as_two_calls_would(example, style, default):
    """The import reads the E.164 and national forms from one parse: the same as normalize_phone then
    phone_national (which parses the E.164 form again), for every region's numbers written every way."""
    region, e164 = example
    number = phonenumbers.parse(e164)
    text = {
        "national": phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL),
        "international": phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL),
        "e164": e164,
        "idd": "00" + e164[1:],
    }[style]
    for reg in (region, default):
        try:
            expected = normalize_phone(text, reg)
        except ValueError:
            with pytest.raises(ValueError):  # noqa: PT011
                normalize_phone_forms(text, reg)
            continue
        assert normalize_phone_forms(text, reg) == (expected, phone_national(expected))


@pytest.mark.parametrize(
    "raw", [*IRAN_FORMS, *HUNGARY_FORMS, "+44 7700 900123", "0039 06 1234 5678", "+1 201-555-0123"]
)
def test_it_gives_both_phone_forms_for_the_usual_ways_of_writing(raw):
    e164 = normalize_phone(raw)
    assert normalize_phone_forms(raw) == (e164, phone_national(e164))


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Ali@Bücher.DE", "ali@xn--bcher-kva.de"),
        ("  ALI@Example.COM ", "ali@example.com"),
        ("gabor@példa.hu", "gabor@xn--plda-bpa.hu"),
        ("info@xn--bcher-kva.de", "info@xn--bcher-kva.de"),
    ],
)
def test_it_lowercases_emails_with_idna_domains(raw, expected):
    assert normalize_email(raw) == expected


@pytest.mark.parametrize(
    "raw", ["", "ali", "ali@", "@example.com", "a@b@c.com", "ali@exa mple.com", "x" * 250 + "@a.com"]
)
def test_it_rejects_bad_emails(raw):
    with pytest.raises(ValueError):  # noqa: PT011
        normalize_email(raw)


def test_it_normalises_handles_and_identities_by_kind():
    assert normalize_handle("@Ali_Rezaei") == "ali_rezaei"
    assert normalize_identity("telegram", " @Ali.R ") == "ali.r"
    assert normalize_identity("whatsapp", "0912 123 4567") == "+989121234567"
    assert normalize_identity("email", "A@B.COM") == "a@b.com"
    for kind, raw in [("instagram", "no spaces allowed"), ("telegram", "@"), ("fax", "123")]:
        with pytest.raises(ValueError):  # noqa: PT011
            normalize_identity(kind, raw)


@pytest.mark.parametrize(
    ("one", "other"),
    [
        ("علي كريمي", "علی کریمی"),  # Arabic yeh and kaf
        ("مي\u200cخواهم", "می خواهم"),  # zero-width non-joiner
        ("مُحَمَّد", "محمد"),  # diacritics (tashkeel)
        ("پائیز", "پاییز"),  # hamza on yeh
        ("Gábor", "gabor"),
        ("NAGY Gábor", "nagy gabor"),
        ("Őrs Űrhajós", "ors urhajos"),
        ("Straße", "strasse"),
        ("۱۲۳ Street", "123 street"),
        ("  Ali   Rezaei ", "ali rezaei"),
    ],
)
def test_it_folds_text_for_matching(one, other):
    assert normalize_text(one) == normalize_text(other)


def test_it_leaves_no_arabic_letter_forms_behind():
    folded = normalize_text("علي كريمي ئ ى ة أ إ ؤ")
    assert not set(folded) & set("يكىةأإؤئ")
    assert normalize_text("") == ""
    assert normalize_text(None) == ""  # type: ignore[arg-type]


def _slow_forms(text: str, region: str) -> tuple[str, str] | None:
    try:
        e164, number = normalize._parse_phone(text, region)
    except ValueError:
        return None
    return e164, normalize._national_digits(number)


_NATIONAL_NUMBERS = st.one_of(
    *(
        st.from_regex(
            re.compile(
                getattr(phonenumbers.PhoneMetadata.metadata_for_region(r), kind).national_number_pattern, re.ASCII
            ),
            fullmatch=True,
        )
        for r in ("IR", "HU")
        for kind in ("mobile", "fixed_line")
    ),
    st.text(alphabet="0123456789", min_size=4, max_size=13),
)


@settings(max_examples=3000, deadline=None)
@given(
    national=_NATIONAL_NUMBERS,
    prefix=st.sampled_from(["+98", "0098", "0", "+36", "0036", "06", "", "+", "00", "+1", "98", "36"]),
    default=st.sampled_from(["IR", "HU", "US", "DE"]),
)
def test_it_reads_the_usual_iranian_and_hungarian_forms_the_fast_way_exactly_as_phonenumbers_does(
    national, prefix, default
):
    """The fast path (no phonenumbers parse) accepts only what the full parse accepts, with the same E.164 and
    national forms; everything else it leaves to the full parse."""
    text = prefix + national
    fast = normalize._fast_phone(text, default)
    if fast is not None:
        assert fast == _slow_forms(text, default)


@pytest.mark.parametrize("raw", [*IRAN_FORMS[:10], *IRAN_FORMS[11:], *HUNGARY_FORMS])
def test_it_takes_the_fast_way_for_the_usual_forms(raw, settings):
    settings.PHONE_DEFAULT_REGION = "HU" if raw in HUNGARY_FORMS else "IR"
    text, region = normalize._clean_phone(raw, None)
    assert normalize._fast_phone(text, region) is not None
    assert normalize_phone_forms(raw) == _slow_forms(text, region)
