from __future__ import annotations

import pytest


@pytest.mark.django_db
def test_it_creates_a_contact_over_the_api(agent_a, api_for):
    api = api_for(agent_a)
    r = api.post(
        "/api/v1/contacts",
        {"name": "علی رضایی", "emails": ["Ali@Example.COM"], "phones": ["۰۹۱۲۱۲۳۴۵۶۷"]},
        content_type="application/json",
    )
    assert r.status_code == 201, r.content
    body = r.json()
    assert body["phones"][0]["value"] == "+989121234567"
    assert body["emails"][0]["value"] == "ali@example.com"
    r = api.get("/api/v1/contacts/lookup", {"phone": "0098 912 123 4567"})
    assert [c["id"] for c in r.json()] == [body["id"]]
    r = api.get("/api/v1/contacts/search", {"q": "+989121234567"})
    assert [c["id"] for c in r.json()] == [body["id"]]
    r = api.get("/api/v1/contacts/search", {"q": "رضا"})
    assert [c["id"] for c in r.json()] == [body["id"]]
