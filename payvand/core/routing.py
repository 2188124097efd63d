"""WebSocket routes. The live channel (cartable, notifications) is here; screen-pop joins when its issue ships."""

from __future__ import annotations

from typing import Any

from channels.security.websocket import AllowedHostsOriginValidator
from django.urls import path

from payvand.helpdesk.consumers import LiveConsumer

# The origin check stops another web site from opening a socket with a signed-in visitor's session cookie.
websocket_urlpatterns: list[Any] = [
    path("ws/live/", AllowedHostsOriginValidator(LiveConsumer.as_asgi()), name="live"),
]
