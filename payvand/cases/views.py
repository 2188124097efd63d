"""Thin views: start a guided case for a contact (its form, then the ticket), the list of templates, and the
builder (create, edit, on/off, delete or archive) for those with `cases.change_casetemplate`."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from payvand.accounts.models import User
from payvand.cases import selectors, services
from payvand.cases.forms import CaseTemplateForm
from payvand.contacts import selectors as contact_selectors
from payvand.core.errors import PayvandError, ValidationFailed
from payvand.core.forms import apply_errors
from payvand.core.http import ui_errors
from payvand.core.localization import localize_digits
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
            ref = localize_digits(ticket.reference)
            messages.success(request, _("Ticket %(ref)s created for the case.") % {"ref": ref})
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
    """The guided-case templates, with what each does: agents see the active ones, builders every one (and the
    archived ones below) with the buttons to change them."""
    templates, archived = selectors.case_templates_listed(user=_user(request))
    return render(request, "cases/list.html", {"templates": templates, "archived": archived})


@ui_errors
def template_edit(request: HttpRequest, template_id: int | None = None) -> HttpResponse:
    """The builder: the template's fields and its tasks; saved, back to the list."""
    user = _user(request)
    selectors.case_template_require_manage(user=user)
    template = selectors.case_template_get_manage(user=user, template_id=template_id) if template_id else None
    if request.method != "POST":
        form = CaseTemplateForm(template=template)
        return render(request, "cases/template_form.html", {"template": template, "form": form})
    form = CaseTemplateForm(request.POST)
    if form.is_valid():
        data = form.data_in()
        if data is not None:
            try:
                if template is None:
                    saved = services.case_template_create(by=user, data=data)
                else:
                    saved = services.case_template_update(template=template, by=user, data=data)
            except (ValidationFailed, PayvandError) as exc:
                apply_errors(form, exc, form.field_for)
            else:
                messages.success(request, _("Guided case “%(name)s” saved.") % {"name": saved.name})
                return redirect("cases:list")
    return render(request, "cases/template_form.html", {"template": template, "form": form}, status=422)


@ui_errors
@require_POST
def template_toggle(request: HttpRequest, template_id: int) -> HttpResponse:
    user = _user(request)
    template = selectors.case_template_get_manage(user=user, template_id=template_id)
    try:
        services.case_template_set_active(template=template, by=user, active=not template.is_active)
    except PayvandError as exc:
        messages.error(request, str(exc.detail))
    return redirect("cases:list")


@ui_errors
@require_POST
def template_delete(request: HttpRequest, template_id: int) -> HttpResponse:
    user = _user(request)
    template = selectors.case_template_get_manage(user=user, template_id=template_id)
    if services.case_template_delete(template=template, by=user):
        messages.success(request, _("Guided case “%(name)s” deleted.") % {"name": template.name})
    else:
        messages.success(
            request,
            _("Guided case “%(name)s” was archived: cases were started from it.") % {"name": template.name},
        )
    return redirect("cases:list")


@ui_errors
@require_POST
def template_restore(request: HttpRequest, template_id: int) -> HttpResponse:
    user = _user(request)
    template = selectors.case_template_get_manage(user=user, template_id=template_id)
    services.case_template_restore(template=template, by=user)
    messages.success(
        request, _("Guided case “%(name)s” restored; turn it on when it is ready.") % {"name": template.name}
    )
    return redirect("cases:list")


def section_cases(user: User, contact: Any) -> dict[str, Any]:
    return {"case_buttons": selectors.case_buttons(user=user)}
