"""Thin views: start a guided case for a contact (its form, then the ticket), and the list of templates."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from payvand.accounts.models import User
from payvand.cases import selectors, services
from payvand.cases.models import CaseTemplate
from payvand.contacts import selectors as contact_selectors
from payvand.core.errors import PayvandError, ValidationFailed
from payvand.core.http import ui_errors
from payvand.helpdesk import selectors as ticket_selectors

FORM_PREFIX = "fv"


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


def _call_or_none(user: User, raw: Any) -> Any:
    if not raw:
        return None
    from payvand.telephony import selectors as call_selectors

    try:
        call_id = int(str(raw))
    except ValueError:
        return None
    if not 0 < call_id < 2**63:
        return None
    return call_selectors.call_get_for_user(user=user, call_id=call_id, action="change")


@ui_errors
def case_start(request: HttpRequest, template_id: int, contact_id: int) -> HttpResponse:
    """The template's questions for this contact; answered, the ticket with its tasks (from a call: channel phone)."""
    user = _user(request)
    template = selectors.case_template_get_for_user(user=user, template_id=template_id)
    contact = contact_selectors.contact_get_for_user(user=user, contact_id=contact_id)
    call = _call_or_none(user, request.POST.get("call") or request.GET.get("call"))
    form = template.ticket_type.form
    values: dict[str, Any] | None = None
    errors: Any = None
    status = 200
    if request.method == "POST":
        uploads: dict[str, Any] = {}
        if form is not None:
            from payvand.forms.rendering import form_values_from_post

            values, uploads = form_values_from_post(form, request.POST, request.FILES, prefix=FORM_PREFIX)
        try:
            ticket = services.case_start(
                by=user, template=template, contact=contact, values=values, files=uploads or None, call=call
            )
        except ValidationFailed as exc:
            errors, status = exc, 422
        except PayvandError as exc:
            errors, status = exc, exc.status
        else:
            messages.success(request, _("Ticket %(ref)s created for the case.") % {"ref": ticket.reference})
            if ticket_selectors.ticket_queryset_for_user(user=user).filter(pk=ticket.pk).exists():
                return redirect("helpdesk:detail", ticket_id=ticket.pk)
            return redirect("contacts:detail", contact_id=contact.pk)  # routed to a team the agent is not in
    form_html = ""
    if form is not None:
        from payvand.forms.rendering import form_render

        form_html = form_render(form, values, errors, prefix=FORM_PREFIX)
    context = {
        "template": template,
        "contact": contact,
        "call": call,
        "form_html": form_html,
        "multipart": bool(form is not None and "file" in str(form.layout)),
        "error": errors,
    }
    return render(request, "cases/start.html", context, status=status)


@ui_errors
@require_GET
def template_list(request: HttpRequest) -> HttpResponse:
    """The guided-case templates, with what each does; admins edit them in the admin."""
    user = _user(request)
    templates = list(selectors.case_templates_active(user=user)) if user.has_perm(selectors.START) else []
    if not templates and not user.has_perm("cases.view_casetemplate"):
        selectors.case_require_perm(user=user)
    if user.has_perm("cases.view_casetemplate"):
        templates = list(
            CaseTemplate.objects.select_related("ticket_type", "team").prefetch_related("tasks__skill").all()
        )
    return render(request, "cases/list.html", {"templates": templates})


def section_cases(user: User, contact: Any) -> dict[str, Any]:
    return {"case_buttons": selectors.case_buttons(user=user)}
