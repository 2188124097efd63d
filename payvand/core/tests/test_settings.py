"""The typed environment helpers of payvand/settings.py: defaults, parsing, and failing loudly on bad values."""

from __future__ import annotations

import pytest
from django.core.exceptions import ImproperlyConfigured

from payvand.settings import env_bool, env_int, env_list, env_str

NAME = "PAYVAND_TEST_SETTING"


@pytest.fixture(autouse=True)
def _unset(monkeypatch):
    monkeypatch.delenv(NAME, raising=False)


@pytest.mark.parametrize(
    ("raw", "value"),
    [
        ("1", True),
        ("true", True),
        ("YES", True),
        ("On", True),
        ("0", False),
        ("false", False),
        ("No", False),
        ("OFF", False),
    ],
)
def test_it_reads_booleans(monkeypatch, raw, value):
    monkeypatch.setenv(NAME, raw)
    assert env_bool(NAME, not value) is value


@pytest.mark.parametrize("raw", ["", "maybe", "2", "tru", " true"])
def test_it_refuses_a_bad_boolean(monkeypatch, raw):
    monkeypatch.setenv(NAME, raw)
    with pytest.raises(ImproperlyConfigured, match=NAME):
        env_bool(NAME, False)


def test_it_defaults_missing_values():
    assert env_bool(NAME, True) is True
    assert env_int(NAME, 42) == 42
    assert env_str(NAME, "x") == "x"
    assert env_list(NAME, ["a"]) == ["a"]


@pytest.mark.parametrize(("raw", "value"), [("5", 5), ("-3", -3), (" 7 ", 7), ("0", 0)])
def test_it_reads_integers(monkeypatch, raw, value):
    monkeypatch.setenv(NAME, raw)
    assert env_int(NAME, 1) == value


@pytest.mark.parametrize("raw", ["", "five", "1.5", "10 minutes", "0x10"])
def test_it_refuses_a_bad_integer(monkeypatch, raw):
    monkeypatch.setenv(NAME, raw)
    with pytest.raises(ImproperlyConfigured, match=NAME):
        env_int(NAME, 1)


def test_it_requires_a_string_without_a_default(monkeypatch):
    with pytest.raises(ImproperlyConfigured, match=NAME):
        env_str(NAME)
    monkeypatch.setenv(NAME, "postgres://db/payvand")
    assert env_str(NAME) == "postgres://db/payvand"


def test_it_reads_comma_separated_lists(monkeypatch):
    monkeypatch.setenv(NAME, " crm.example.com, ,127.0.0.1 ,")
    assert env_list(NAME, []) == ["crm.example.com", "127.0.0.1"]
    monkeypatch.setenv(NAME, "")
    assert env_list(NAME, ["default"]) == []
