"""The Persian and Hungarian catalogs: complete, not fuzzy, placeholders intact, and actually used by the pages."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog, Message
from babel.messages.pofile import read_po
from django.conf import settings
from django.test import Client
from django.utils import translation

LOCALE_DIR = Path(settings.BASE_DIR) / "locale"
LANGUAGES = ["fa", "hu"]
# The project catalog (locale/) and the apps' own catalogs (payvand/<app>/locale/), which `make messages` keeps.
LOCALE_DIRS = [LOCALE_DIR, *sorted(Path(settings.BASE_DIR).glob("payvand/*/locale"))]
CATALOGS = [(d, lang) for d in LOCALE_DIRS for lang in LANGUAGES]
CATALOG_IDS = [f"{d.relative_to(settings.BASE_DIR)}-{lang}" for d, lang in CATALOGS]
PLURAL_FORMS = {"fa": "(n > 1)", "hu": "(n != 1)"}

# %(name)s, %s, %d, %.2f … and the escaped percent sign %%.
_PLACEHOLDER = re.compile(r"%(?:\([^)]+\))?[-#0 +]*(?:\*|\d+)?(?:\.(?:\*|\d+))?[diouxXeEfFgGcrsa%]")


def _po_path(language: str, directory: Path = LOCALE_DIR) -> Path:
    return directory / language / "LC_MESSAGES" / "django.po"


def _catalog(language: str, directory: Path = LOCALE_DIR) -> Catalog:
    with _po_path(language, directory).open("rb") as handle:
        return read_po(handle, locale=language)


def _messages(language: str, directory: Path = LOCALE_DIR) -> list[Message]:
    return [m for m in _catalog(language, directory) if m.id]


def _placeholders(text: str) -> list[str]:
    return sorted(_PLACEHOLDER.findall(text))


def _ids(message: Message) -> list[str]:
    """[msgid] or [msgid, msgid_plural]."""
    return [message.id] if isinstance(message.id, str) else list(message.id)


def _strings(message: Message) -> list[str]:
    """[msgstr] or [msgstr[0], msgstr[1], …]; a missing translation is ""."""
    if isinstance(message.string, str | None):
        return [message.string or ""]
    return [form or "" for form in message.string]


def _label(message: Message) -> str:
    return repr(_ids(message)[0])


@pytest.mark.parametrize(("directory", "language"), CATALOGS, ids=CATALOG_IDS)
def test_the_catalog_header_is_complete(directory: Path, language: str) -> None:
    catalog = _catalog(language, directory)
    raw = _po_path(language, directory).read_text(encoding="utf-8")
    assert not catalog.fuzzy, "the header entry is still marked fuzzy"
    assert f'"Language: {language}\\n"' in raw
    assert '"Content-Type: text/plain; charset=UTF-8\\n"' in raw
    assert catalog.num_plurals == 2
    assert catalog.plural_expr == PLURAL_FORMS[language]


@pytest.mark.parametrize(("directory", "language"), CATALOGS, ids=CATALOG_IDS)
def test_every_message_is_translated_and_none_is_fuzzy(directory: Path, language: str) -> None:
    messages = _messages(language, directory)
    assert messages, "the catalog is empty"
    untranslated = [_label(m) for m in messages if not all(s.strip() for s in _strings(m))]
    fuzzy = [_label(m) for m in messages if m.fuzzy]
    assert not untranslated, f"{len(untranslated)} untranslated in {language}: {', '.join(untranslated[:20])}"
    assert not fuzzy, f"{len(fuzzy)} fuzzy in {language}: {', '.join(fuzzy[:20])}"


@pytest.mark.parametrize(("directory", "language"), CATALOGS, ids=CATALOG_IDS)
def test_python_format_placeholders_match(directory: Path, language: str) -> None:
    problems = []
    for message in _messages(language, directory):
        ids, forms = _ids(message), _strings(message)
        if message.pluralizable:
            # Every form may only use the msgids' placeholders; the last (plural) form must use all of
            # msgid_plural's, since it is the one shown for larger counts.
            allowed = {p for text in ids for p in _placeholders(text)}
            stray = any(not set(_placeholders(form)) <= allowed for form in forms)
            if stray or _placeholders(forms[-1]) != _placeholders(ids[-1]):
                problems.append(f"{_label(message)} -> {forms!r}")
        elif _placeholders(ids[0]) != _placeholders(forms[0]):
            problems.append(f"{_label(message)} -> {forms[0]!r}")
    assert not problems, f"placeholders differ in {language}:\n" + "\n".join(problems)


@pytest.mark.parametrize("directory", LOCALE_DIRS, ids=[str(d.relative_to(settings.BASE_DIR)) for d in LOCALE_DIRS])
def test_persian_uses_persian_letters(directory: Path) -> None:
    messages = _messages("fa", directory)
    arabic = [f"{_label(m)} -> {s!r}" for m in messages for s in _strings(m) if re.search("[يك]", s)]
    assert not arabic, "Arabic ي/ك instead of Persian ی/ک:\n" + "\n".join(arabic)


@pytest.mark.parametrize(("directory", "language"), CATALOGS, ids=CATALOG_IDS)
def test_the_compiled_catalog_is_up_to_date(directory: Path, language: str) -> None:
    po = _po_path(language, directory)
    mo = po.with_suffix(".mo")
    hint = "run `python manage.py compilemessages --ignore=.venv --ignore=node_modules`"
    assert mo.exists(), f"{mo} is missing: {hint}"
    assert mo.stat().st_mtime >= po.stat().st_mtime, f"{mo} is older than the .po: {hint}"


def _login_page(language: str) -> str:
    client = Client()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    # The middleware activates the page's language on this thread; keep it from leaking into later tests.
    with translation.override(translation.get_language()):
        response = client.get("/accounts/login/")
    assert response.status_code == 200
    return response.content.decode()


@pytest.mark.django_db
def test_the_login_page_is_persian_and_right_to_left() -> None:
    html = _login_page("fa")
    assert '<html lang="fa" dir="rtl"' in html
    assert "ورود" in html  # "Log in"
    assert "گذرواژه" in html  # "Password"
    assert "Log in" not in html


@pytest.mark.django_db
def test_the_login_page_is_hungarian() -> None:
    html = _login_page("hu")
    assert '<html lang="hu" dir="ltr"' in html
    assert "Bejelentkezés" in html  # "Log in"
    assert "Jelszó" in html  # "Password"
    assert "Log in" not in html
