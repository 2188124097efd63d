"""One error hierarchy, mapped once to the JSON error shape (payvand/api.py) and to form errors."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from django import forms
from django.http import Http404
from django.test import RequestFactory
from django.utils import translation
from ninja.errors import AuthenticationError, AuthorizationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError

from payvand.api import api
from payvand.core.errors import (
    Conflict,
    FieldError,
    NotAuthenticated,
    NotFound,
    PayvandError,
    PermissionDenied,
    ValidationFailed,
    error_body,
)
from payvand.core.forms import apply_errors


@pytest.fixture(autouse=True)
def _english() -> Iterator[None]:
    with translation.override("en"):  # whatever an earlier test left active
        yield


def _respond(exc: Exception) -> tuple[int, dict]:
    response = api.on_exception(RequestFactory().get("/api/v1/anything"), exc)
    assert response["Content-Type"].startswith("application/json")
    return response.status_code, json.loads(response.content)


@pytest.mark.parametrize(
    ("exc", "status"),
    [
        (PayvandError(), 400),
        (ValidationFailed.on("email", "Bad email."), 422),
        (NotAuthenticated(detail="Who are you?"), 401),
        (PermissionDenied(detail="No."), 403),
        (NotFound(detail="No such thing."), 404),
        (Conflict(detail="Changed meanwhile."), 409),
    ],
)
def test_it_maps_each_payvand_error_to_its_status_and_the_one_shape(exc, status):
    code, body = _respond(exc)
    assert code == status == exc.status
    assert body == {"detail": str(exc.detail), "errors": [e.as_dict() for e in exc.errors]}


def test_it_maps_field_errors_and_extra_keys():
    exc = ValidationFailed(
        detail="Some fields are not valid.",
        errors=[FieldError("emails.0", "Bad email."), FieldError(None, "Give a name or an email.")],
        extra={"duplicates": [3, 4]},
    )
    code, body = _respond(exc)
    assert code == 422
    assert body == {
        "detail": "Some fields are not valid.",
        "errors": [
            {"field": "emails.0", "message": "Bad email."},
            {"field": None, "message": "Give a name or an email."},
        ],
        "duplicates": [3, 4],
    }


def test_it_maps_ninja_validation_errors_to_422_with_field_names():
    exc = NinjaValidationError(
        [
            {"loc": ("body", "payload", "language"), "msg": "Input should be a valid string", "type": "string_type"},
            {"loc": ("body", "payload", "emails", 1), "msg": "Bad", "type": "value_error"},
            {"loc": ("path", "team_id"), "msg": "Too big", "type": "less_than_equal"},
            {"loc": ("query", "q"), "msg": "Required", "type": "missing"},
            {"loc": ("body",), "msg": "Cannot parse", "type": "json"},
        ]
    )
    code, body = _respond(exc)
    assert code == 422
    assert body["detail"]
    assert [e["field"] for e in body["errors"]] == ["language", "emails.1", "team_id", "q", None]
    assert body["errors"][0]["message"] == "Input should be a valid string"


def test_it_maps_http404_to_404():
    assert _respond(Http404("secret detail")) == (404, {"detail": "Not found.", "errors": []})


@pytest.mark.parametrize(
    ("exc", "status"),
    [
        (AuthenticationError(), 401),
        (AuthorizationError(), 403),
        (HttpError(400, "Cannot parse request body"), 400),
        (HttpError(429, "Too many requests."), 429),
    ],
)
def test_it_maps_ninja_http_errors_to_the_one_shape(exc, status):
    code, body = _respond(exc)
    assert code == status
    assert set(body) == {"detail", "errors"}
    assert body["errors"] == []
    assert body["detail"]


def test_it_builds_the_error_body():
    assert error_body("Nope.") == {"detail": "Nope.", "errors": []}
    assert error_body("Nope.", [FieldError("name", "Too long.")]) == {
        "detail": "Nope.",
        "errors": [{"field": "name", "message": "Too long."}],
    }
    assert str(ValidationFailed.on("x", "y")) == "Some fields are not valid."


@pytest.mark.django_db
def test_it_answers_real_requests_in_the_one_shape(agent_a, api_for):
    client = api_for(agent_a)
    response = client.patch("/api/v1/me", {"language": 7}, content_type="application/json")
    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == ["language"]
    response = client.get("/api/v1/teams/99999999999999999999")
    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == ["team_id"]
    response = client.delete("/api/v1/me/tokens/777777")
    assert response.status_code == 404
    assert set(response.json()) == {"detail", "errors"}


class _Form(forms.Form):
    name = forms.CharField(required=False)
    email = forms.CharField(required=False)


def test_it_puts_service_errors_on_form_fields():
    form = _Form(data={})
    assert form.is_valid()
    apply_errors(
        form,
        ValidationFailed(
            errors=[FieldError("name", "Too long."), FieldError("emails.0", "Bad."), FieldError(None, "Broken.")]
        ),
    )
    assert form.errors == {"name": ["Too long."], "__all__": ["Bad.", "Broken."]}


def test_it_maps_error_fields_to_form_fields():
    form = _Form(data={})
    form.is_valid()
    apply_errors(form, ValidationFailed.on("emails.0", "Bad."), field_for=lambda f: "email")
    assert form.errors == {"email": ["Bad."]}


def test_it_shows_an_error_without_fields_on_the_form():
    form = _Form(data={})
    form.is_valid()
    apply_errors(form, Conflict(detail="Someone changed this meanwhile."))
    assert form.non_field_errors() == ["Someone changed this meanwhile."]
