"""Provider webhooks (csrf-exempt, checked by signature or secret) and the public web forms.

A webhook answers 2xx only after its messages are committed to the raw store; a bad signature gets 403 and nothing
is stored; a body the provider would never send gets 400. Errors use the one JSON error shape."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, render
from django.utils.translation import gettext as _
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from payvand.core.errors import ValidationFailed, error_body
from payvand.core.forms import apply_errors
from payvand.core.http import client_ip
from payvand.messaging import forms as f
from payvand.messaging import providers, services
from payvand.messaging.models import Kind, WebForm


def _error(status: int, detail: str) -> JsonResponse:
    return JsonResponse(error_body(detail), status=status)


def _not_configured() -> JsonResponse:
    return _error(404, _("This channel is not configured."))


def _refused() -> JsonResponse:
    return _error(403, _("The signature of this request is not valid."))


def _webhook(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """csrf-exempt, with the raw body read first (signatures and the raw store need it as it came)."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        _body = request.body
        return view(request, *args, **kwargs)

    return csrf_exempt(wrapper)


def _store(provider: str, kind: str, request: HttpRequest, items: list[providers.InboundItem]) -> int:
    raw = request.body.decode("utf-8", errors="replace") if request.body else request.GET.urlencode()
    stored = services.inbound_store(
        provider=provider, kind=kind, items=items, raw=raw, content_type=request.content_type or ""
    )
    return len(stored)


def _accepted(stored: int, received: int) -> JsonResponse:
    return JsonResponse({"stored": stored, "received": received}, status=200)


@_webhook
@require_http_methods(["GET", "POST"])
def sms_kavenegar(request: HttpRequest, token: str) -> HttpResponse:
    backend = providers.KavenegarSms
    if not backend.configured():
        return _not_configured()
    if not backend.verify(request, token):
        return _refused()
    try:
        items = backend.parse(request)
    except providers.BadPayload as exc:
        return _error(400, str(exc))
    return _accepted(_store(backend.name, Kind.SMS, request, items), len(items))


@_webhook
@require_http_methods(["POST"])
def sms_twilio(request: HttpRequest) -> HttpResponse:
    backend = providers.TwilioSms
    if not backend.configured():
        return _not_configured()
    if not backend.verify(request):
        return _refused()
    try:
        items = backend.parse(request)
    except providers.BadPayload as exc:
        return _error(400, str(exc))
    _store(backend.name, Kind.SMS, request, items)
    # An empty TwiML answer: the reply, if any, comes later from an agent.
    return HttpResponse("<Response/>", content_type="text/xml")


@_webhook
@require_http_methods(["POST"])
def sms_generic(request: HttpRequest) -> HttpResponse:
    backend = providers.GenericSms
    if not backend.configured():
        return _not_configured()
    if not backend.verify(request):
        return _refused()
    try:
        items = backend.parse(request)
    except providers.BadPayload as exc:
        return _error(400, str(exc))
    return _accepted(_store(backend.name, Kind.SMS, request, items), len(items))


@_webhook
@require_http_methods(["POST"])
def telegram(request: HttpRequest) -> HttpResponse:
    backend = providers.Telegram
    if not backend.configured():
        return _not_configured()
    if not backend.verify(request):
        return _refused()
    try:
        items = backend.parse(request)
    except providers.BadPayload as exc:
        return _error(400, str(exc))
    return _accepted(_store(backend.name, Kind.TELEGRAM, request, items), len(items))


@_webhook
@require_http_methods(["GET", "POST"])
def whatsapp(request: HttpRequest) -> HttpResponse:
    backend = providers.WhatsApp
    if not backend.configured():
        return _not_configured()
    if request.method == "GET":
        mode, token = request.GET.get("hub.mode", ""), request.GET.get("hub.verify_token", "")
        challenge = request.GET.get("hub.challenge", "")
        if mode != "subscribe" or not providers._hmac_equal(settings.WHATSAPP_VERIFY_TOKEN, token):
            return _error(403, _("The verify token is not valid."))
        return HttpResponse(challenge[:200], content_type="text/plain")
    if not backend.verify(request):
        return _refused()
    try:
        items = backend.parse(request)
    except providers.BadPayload as exc:
        return _error(400, str(exc))
    return _accepted(_store(backend.name, Kind.WHATSAPP, request, items), len(items))


# ---------------------------------------------------------------------------------------------- web forms


def _type_form_html(web_form: WebForm, values: dict[str, Any] | None = None, errors: Any = None) -> str:
    form = web_form.ticket_type.form
    if form is None:
        return ""
    from payvand.forms.rendering import form_render

    return form_render(form, values, errors, prefix=f.FORM_PREFIX)


def _field_of(form: f.WebFormForm) -> Callable[[str], str | None]:
    return lambda name: name if name in form.fields else None


@xframe_options_exempt
@require_http_methods(["GET", "POST"])
def webform(request: HttpRequest, slug: str) -> HttpResponse:
    """The public form of a ticket type (/f/<slug>/); it may be framed by any site (embed snippet in the admin)."""
    web_form = get_object_or_404(
        WebForm.objects.select_related("ticket_type__form"), slug=slug, is_active=True, ticket_type__is_active=True
    )
    values: dict[str, Any] | None = None
    errors: Any = None
    status = 200
    if request.method == "POST":
        form = f.WebFormForm(request.POST)
        if request.POST.get(f.HONEYPOT):
            form.add_error(None, _("This submission looks automated and was not accepted."))
            status = 400
        elif services.webform_rate_limited(ip=client_ip(request)):
            form.add_error(None, _("Too many submissions from your address. Please try again later."))
            status = 429
        elif form.is_valid():
            d = form.cleaned_data
            files: dict[str, Any] | None = None
            if web_form.ticket_type.form is not None:
                from payvand.forms.rendering import form_values_from_post

                values, uploads = form_values_from_post(
                    web_form.ticket_type.form, request.POST, request.FILES, prefix=f.FORM_PREFIX
                )
                files = dict(uploads) or None
            try:
                ticket = services.webform_submit(
                    web_form=web_form,
                    name=d["name"],
                    email=d["email"],
                    phone=d["phone"],
                    subject=d["subject"],
                    description=d["description"],
                    form_values=values,
                    form_files=files,
                )
            except ValidationFailed as exc:
                # The type form's own errors are drawn by its renderer; the rest go to the contact fields.
                custom = set(
                    ((web_form.ticket_type.form.layout or {}) if web_form.ticket_type.form else {}).get("fields") or {}
                )
                rest = [e for e in exc.errors if e.field not in custom and not str(e.field or "").startswith("form")]
                if rest:
                    apply_errors(form, ValidationFailed(detail=exc.detail, errors=rest), _field_of(form))
                else:
                    form.add_error(None, str(exc.detail))
                errors = exc
                status = 422
            else:
                return render(request, "messaging/webform_done.html", {"web_form": web_form, "ticket": ticket})
        else:
            status = 422
    else:
        form = f.WebFormForm()
    context = {"web_form": web_form, "form": form, "type_form_html": _type_form_html(web_form, values, errors)}
    return render(request, "messaging/webform.html", context, status=status)
