from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.utils import translation

from payvand.core import localization


def payvand(request: HttpRequest) -> dict[str, Any]:
    language = translation.get_language() or "en"
    return {
        "PAYVAND_NAME": settings.PAYVAND_NAME,
        "IS_RTL": translation.get_language_bidi(),
        "IS_FA": language.startswith("fa"),
        "CURRENT_CALENDAR": localization.current_calendar(),
    }
