from __future__ import annotations

from payvand.telephony.tests.conftest import _fresh_agent_cache, pbx, pbx_user, post_event  # noqa: F401
