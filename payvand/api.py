"""The NinjaAPI at /api/v1/: mounts each app's router and maps errors to the one JSON shape."""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, AuthorizationError
from ninja.errors import HttpError as NinjaHttpError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.parser import Parser as NinjaParser

from payvand.accounts.api import router as accounts_router
from payvand.accounts.auth import SessionAuth, TokenAuth
from payvand.contacts.api import router as contacts_router
from payvand.core.errors import PayvandError, ValidationFailed, error_body
from payvand.helpdesk.api import cartable_router
from payvand.helpdesk.api import router as tickets_router
from payvand.notifications.api import router as notifications_router
from payvand.projects.api import router as projects_router
from payvand.reports.api import router as reports_router
from payvand.sla.api import router as sla_router
from payvand.sla.api import ticket_router as sla_ticket_router


def _refuse_nul(value: Any, path: tuple[str, ...] = ()) -> None:
    """No database column can hold a NUL character (PostgreSQL refuses it outright): reject it up front, with a 422."""
    if isinstance(value, str):
        if "\x00" in value:
            raise ValidationFailed.on(".".join(path) or None, _("Text cannot contain NUL characters."))
    elif isinstance(value, dict):
        for key, item in value.items():
            _refuse_nul(key, (*path, str(key).replace("\x00", "")))
            _refuse_nul(item, (*path, str(key)))
    elif isinstance(value, list):
        for n, item in enumerate(value):
            _refuse_nul(item, (*path, str(n)))


class Parser(NinjaParser):
    """ninja's JSON and query-string parser, refusing NUL characters anywhere in the input."""

    def parse_body(self, request: HttpRequest) -> Any:
        data = super().parse_body(request)
        _refuse_nul(data)
        return data

    def parse_querydict(self, data: Any, list_fields: list[str], request: HttpRequest) -> Any:
        result = super().parse_querydict(data, list_fields, request)
        _refuse_nul(result)
        return result


api = NinjaAPI(
    title="Payvand API",
    version="1",
    description="CRM and helpdesk. Authenticate with `Authorization: Bearer <token>` (create one on your profile).",
    urls_namespace="api",
    auth=[TokenAuth(), SessionAuth()],
    openapi_extra={"info": {"license": {"name": "AGPL-3.0-or-later"}}},
    parser=Parser(),
)


def _json(request: HttpRequest, body: dict[str, Any], status: int) -> HttpResponse:
    return api.create_response(request, body, status=status)


@api.exception_handler(PayvandError)
def on_payvand_error(request: HttpRequest, exc: PayvandError) -> HttpResponse:
    return _json(request, exc.as_dict(), exc.status)


@api.exception_handler(NinjaValidationError)
def on_validation_error(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
    from payvand.core.errors import FieldError

    errors = []
    for item in exc.errors:
        # ninja's location is (source, parameter name, field...): keep only the field path, so a field that happens
        # to be called "body" (a message's text) is still named.
        loc = [str(p) for p in item.get("loc", ())]
        if loc and loc[0] in ("body", "query", "path", "form", "file", "header", "cookie"):
            loc = loc[1:]
        if loc and loc[0] == "payload":
            loc = loc[1:]
        errors.append(FieldError(".".join(loc) or None, str(item.get("msg", _("Invalid value.")))))
    return _json(request, error_body(_("Some fields are not valid."), errors), 422)


@api.exception_handler(AuthenticationError)
def on_auth_error(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    return _json(request, error_body(_("Authentication required: send a valid API token or sign in.")), 401)


@api.exception_handler(AuthorizationError)
def on_authz_error(request: HttpRequest, exc: AuthorizationError) -> HttpResponse:
    return _json(request, error_body(_("You do not have permission to do this.")), 403)


@api.exception_handler(Http404)
def on_not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return _json(request, error_body(_("Not found.")), 404)


@api.exception_handler(NinjaHttpError)
def on_http_error(request: HttpRequest, exc: NinjaHttpError) -> HttpResponse:
    if isinstance(exc.__cause__, PayvandError):  # raised by our Parser while ninja read the body
        return on_payvand_error(request, exc.__cause__)
    return _json(request, error_body(str(exc)), exc.status_code)


api.add_router("/", accounts_router)
api.add_router("/contacts", contacts_router)
api.add_router("/forms", "payvand.forms.api.router")
api.add_router("/tickets", tickets_router)
api.add_router("/cartable", cartable_router)
api.add_router("/notifications", notifications_router)
api.add_router("/projects", projects_router)
api.add_router("/reports", reports_router)
api.add_router("/sla", sla_router)
api.add_router("/tickets", sla_ticket_router)
api.add_router("/telephony", "payvand.telephony.api.router")
api.add_router("/mail", "payvand.mail.api.router")
api.add_router("/channels", "payvand.messaging.api.router")
api.add_router("/portal", "payvand.portal.api.router")
api.add_router("/kb", "payvand.kb.api.router")
api.add_router("/cases", "payvand.cases.api.router")
api.add_router("/automation", "payvand.automation.api.router")
