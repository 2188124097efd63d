"""Uploaded files are only reachable through views that check access, never as plain media URLs."""

from __future__ import annotations

import pytest
from django.urls import Resolver404, resolve

pytestmark = pytest.mark.django_db


def test_media_is_not_served_directly(settings, client_for, admin_user):
    path = settings.MEDIA_ROOT / "attachments" / "2026" / "11" / "1"
    path.mkdir(parents=True)
    (path / "secret.txt").write_text("customer data")
    with pytest.raises(Resolver404):
        resolve("/media/attachments/2026/11/1/secret.txt")
    assert client_for(admin_user).get("/media/attachments/2026/11/1/secret.txt").status_code == 404
