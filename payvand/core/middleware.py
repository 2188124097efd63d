"""Keeps the API's one JSON error shape for the errors that Django or django-ninja answer by themselves."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext as _

from payvand.core.errors import error_body

API_PREFIX = "/api/"
KEPT_HEADERS = ("Allow", "WWW-Authenticate", "Retry-After")


class ApiErrorShapeMiddleware:
    """Under /api/, an error response that is not JSON (an unknown path, a method the path does not allow, a server
    error page) is answered as {"detail": ..., "errors": []} with the same status and the headers that matter."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if response.status_code < 400 or not request.path.startswith(API_PREFIX):
            return response
        if response.get("Content-Type", "").startswith("application/json"):
            return response
        if response.status_code == 500 and settings.DEBUG:  # keep Django's debug page while developing
            return response
        messages = {
            400: _("The request could not be read."),
            404: _("Not found."),
            405: _("This method is not allowed here."),
            500: _("Server error. It has been logged."),
        }
        detail = messages.get(response.status_code, response.reason_phrase)
        shaped = JsonResponse(error_body(detail), status=response.status_code)
        for header in KEPT_HEADERS:
            if header in response:
                shaped[header] = response[header]
        return shaped
