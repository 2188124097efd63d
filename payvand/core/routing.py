"""WebSocket routes. The live cartable and screen-pop consumers join here when their issues ship."""

from __future__ import annotations

from typing import Any

websocket_urlpatterns: list[Any] = []
