"""The OpenAPI spec at /api/v1/openapi.json and the docs page at /api/v1/docs."""

from __future__ import annotations

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


def test_it_publishes_the_openapi_spec():
    response = Client().get("/api/v1/openapi.json")
    assert response.status_code == 200
    spec = response.json()
    assert spec["openapi"].startswith("3.1")
    assert spec["info"]["title"] == "Payvand API"
    assert {
        "/api/v1/me",
        "/api/v1/me/tokens",
        "/api/v1/me/tokens/{token_id}",
        "/api/v1/teams",
        "/api/v1/teams/{team_id}",
    } <= set(spec["paths"])
    schemes = spec["components"]["securitySchemes"]
    assert {"type": "http", "scheme": "bearer"}.items() <= schemes["TokenAuth"].items()
    responses = spec["paths"]["/api/v1/teams/{team_id}"]["get"]["responses"]
    assert {"200", "401", "403", "404", "422"} <= set(responses)


def test_it_serves_the_docs_page():
    response = Client().get("/api/v1/docs")
    assert response.status_code == 200
    assert b"openapi.json" in response.content
