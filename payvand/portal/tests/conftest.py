from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client

from payvand.contacts.models import Contact
from payvand.portal.auth import SESSION_KEY


@pytest.fixture
def portal_client() -> Any:
    """A browser signed in to the portal as `contact` (the session key a magic link sets)."""

    def make(contact: Contact) -> Client:
        client = Client()
        session = client.session
        session[SESSION_KEY] = contact.pk
        session.save()
        client.cookies["sessionid"] = str(session.session_key)
        return client

    return make


def link_token(body: str) -> str:
    match = re.search(r"/portal/login/([A-Za-z0-9_\-]+)/", body)
    assert match, body
    return match.group(1)
