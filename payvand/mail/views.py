"""Thin views: the inbound mail list (the unprocessable ones first) with the reprocess button, the raw download."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from payvand.accounts.models import User
from payvand.core.errors import PayvandError
from payvand.core.http import ui_errors
from payvand.mail import selectors, services
from payvand.mail.models import InboundEmail

PAGE_SIZE = 50


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


def _int(value: str | None) -> int | None:
    try:
        number = int(value or "")
    except ValueError:
        return None
    return number if 0 < number < 2**63 else None


@ui_errors
@require_GET
def inbound_list(request: HttpRequest) -> HttpResponse:
    status = request.GET.get("status", InboundEmail.Status.UNPROCESSABLE)
    status = status if status in InboundEmail.Status.values or status == "" else InboundEmail.Status.UNPROCESSABLE
    rows = selectors.inbound_list(
        user=_user(request), status=status or None, before=_int(request.GET.get("before")), limit=PAGE_SIZE + 1
    )
    more = len(rows) > PAGE_SIZE
    rows = rows[:PAGE_SIZE]
    context = {
        "rows": rows,
        "status": status,
        "statuses": InboundEmail.Status.choices,
        "next_before": rows[-1].pk if more and rows else None,
        "can_reprocess": _user(request).has_perm("mail.reprocess_inboundemail"),
    }
    return render(request, "mail/inbound_list.html", context)


@ui_errors
@require_POST
def inbound_reprocess(request: HttpRequest, inbound_id: int) -> HttpResponse:
    user = _user(request)
    row = selectors.inbound_get_for_user(user=user, inbound_id=inbound_id)
    try:
        services.inbound_reprocess(inbound=row, by=user)
    except PayvandError as exc:
        messages.error(request, str(exc.detail))
    else:
        row = selectors.inbound_get_for_user(user=user, inbound_id=inbound_id)
        if row.status == InboundEmail.Status.PROCESSED:
            messages.success(request, _("The message was processed."))
        elif row.status == InboundEmail.Status.UNPROCESSABLE:
            messages.warning(request, _("The message still can't be processed: %(reason)s") % {"reason": row.reason})
        else:
            messages.info(request, _("The message is queued for processing."))
    return redirect(reverse("mail:inbound") + f"?status={request.POST.get('status', 'unprocessable')}")


@ui_errors
@require_GET
def inbound_raw(request: HttpRequest, inbound_id: int) -> HttpResponse:
    row = selectors.inbound_get_for_user(user=_user(request), inbound_id=inbound_id)
    if not _user(request).has_perm("mail.reprocess_inboundemail"):
        from django.core.exceptions import PermissionDenied

        raise PermissionDenied
    raw = InboundEmail.objects.filter(pk=row.pk).values_list("raw", flat=True).get()
    response = HttpResponse(bytes(raw), content_type="message/rfc822")
    response["Content-Disposition"] = f'attachment; filename="inbound-{row.pk}.eml"'
    response["X-Content-Type-Options"] = "nosniff"
    return response
