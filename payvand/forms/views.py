"""Thin views: the builder pages for admins, and the small helpers a drawn form calls (calendar, contact search)."""

from __future__ import annotations

import json
import re
from typing import Any

import jdatetime
from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST
from django_htmx.http import HttpResponseClientRedirect

from payvand.accounts.models import User
from payvand.contacts.selectors import contact_search
from payvand.core.errors import Conflict, ValidationFailed
from payvand.core.forms import BootstrapForm, apply_errors
from payvand.core.http import is_htmx, ui_errors
from payvand.core.localization import parse_date, to_ascii_digits
from payvand.forms import builder, selectors, services
from payvand.forms import spec as specs
from payvand.forms.models import Form
from payvand.forms.rendering import form_render, form_values_from_post, jalali_month


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


class FormMetaForm(BootstrapForm):
    name = forms.CharField(label=gettext_lazy("Name"), max_length=services.NAME_MAX)
    description = forms.CharField(
        label=gettext_lazy("Description"),
        required=False,
        max_length=services.DESCRIPTION_MAX,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    is_active = forms.BooleanField(
        label=gettext_lazy("Active (offered for new ticket types and requests)"), required=False, initial=True
    )
    version = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)


# ---------------------------------------------------------------------------------------------- list


@ui_errors
def form_list(request: HttpRequest) -> HttpResponse:
    selectors.form_require_perm(user=_user(request), action="change")
    q = request.GET.get("q", "").strip()[:120]
    forms_ = list(selectors.form_list(user=_user(request), q=q)[:500])
    return render(request, "formbuilder/list.html", {"forms": forms_, "q": q})


# ---------------------------------------------------------------------------------------------- builder


def _builder_page(request: HttpRequest, form: Form | None) -> HttpResponse:
    user = _user(request)
    if request.method != "POST":
        state = builder.state_from_spec(specs.spec_from_layout(form.layout)) if form else builder.new_state()
        if form is not None and not state.sections:
            state = builder.new_state()
        initial: dict[str, Any] = {"is_active": True}
        if form is not None:
            initial = {
                "name": form.name,
                "description": form.description,
                "is_active": form.is_active,
                "version": form.version,
            }
        return _render_builder(request, form, FormMetaForm(initial=initial), state)
    meta = FormMetaForm(request.POST)
    state = builder.state_from_post(request.POST)
    op = str(request.POST.get("op", "save"))[:40]
    if op != "save":
        builder.apply_op(state, op)
        return _render_builder(request, form, meta, state, validate_meta=False)
    if not meta.is_valid():
        try:  # show the spec's mistakes too, not only the name's
            services.form_spec_compile(spec=builder.spec_from_state(state))
        except ValidationFailed as exc:
            builder.attach_errors(state, exc.errors)
        return _render_builder(request, form, meta, state)
    d = meta.cleaned_data
    try:
        if form is None:
            form = services.form_create(
                by=user,
                name=d["name"],
                description=d["description"],
                is_active=d["is_active"],
                spec=builder.spec_from_state(state),
            )
            messages.success(request, _("Form “%(name)s” created.") % {"name": form.name})
        else:
            form = services.form_update(
                form=form,
                by=user,
                version=d["version"] or 0,
                name=d["name"],
                description=d["description"],
                is_active=d["is_active"],
                spec=builder.spec_from_state(state),
            )
            messages.success(request, _("Form saved as version %(v)s.") % {"v": form.version})
    except Conflict as exc:
        meta.add_error(None, str(exc.detail))
        return _render_builder(request, form, meta, state)
    except ValidationFailed as exc:
        others = builder.attach_errors(state, exc.errors)
        if others:
            apply_errors(meta, ValidationFailed(detail=exc.detail, errors=others))
        if not others and not state.errors:
            state.errors.insert(0, str(exc.detail))
        return _render_builder(request, form, meta, state)
    url = reverse("formbuilder:edit", kwargs={"form_id": form.pk})
    return HttpResponseClientRedirect(url) if is_htmx(request) else redirect(url)


def _render_builder(
    request: HttpRequest, form: Form | None, meta: FormMetaForm, state: builder.BuilderState, validate_meta: bool = True
) -> HttpResponse:
    if meta.is_bound and not validate_meta:
        meta = FormMetaForm(initial={k: meta.data.get(k) for k in ("name", "description", "version")})
        meta.initial["is_active"] = bool(request.POST.get("is_active"))
    builder.offer_conditions(state)
    context = {
        "form_obj": form,
        "meta": meta,
        "state": state,
        "kinds": list(specs.KINDS.items()),
        "versions": selectors.form_version_list(form=form)[:10] if form is not None else [],
    }
    template = "formbuilder/builder.html#builder" if is_htmx(request) else "formbuilder/builder.html"
    return render(request, template, context)


@ui_errors
def form_create(request: HttpRequest) -> HttpResponse:
    selectors.form_require_perm(user=_user(request), action="change")
    return _builder_page(request, None)


@ui_errors
def form_edit(request: HttpRequest, form_id: int) -> HttpResponse:
    form = selectors.form_get_for_user(user=_user(request), form_id=form_id, action="change")
    return _builder_page(request, form)


@require_POST
@ui_errors
def form_deactivate(request: HttpRequest, form_id: int) -> HttpResponse:
    form = selectors.form_get_for_user(user=_user(request), form_id=form_id, action="change")
    services.form_deactivate(form=form, by=_user(request))
    messages.success(request, _("Form “%(name)s” deactivated.") % {"name": form.name})
    return redirect("formbuilder:list")


@require_POST
@ui_errors
def form_delete(request: HttpRequest, form_id: int) -> HttpResponse:
    form = selectors.form_get_for_user(user=_user(request), form_id=form_id, action="change")
    try:
        services.form_delete(form=form, by=_user(request))
    except Conflict as exc:
        messages.error(request, str(exc.detail))
    else:
        messages.success(request, _("Form “%(name)s” deleted.") % {"name": form.name})
    return redirect("formbuilder:list")


# ---------------------------------------------------------------------------------------------- preview


def _preview(request: HttpRequest, spec: Any, values: dict[str, Any] | None, errors: Any, checked: Any) -> HttpResponse:
    try:
        schema, layout = services.form_spec_compile(spec=spec)
    except ValidationFailed as exc:
        return render(request, "formbuilder/builder.html#preview", {"preview_errors": exc.errors})
    sample = Form(name="preview", schema=schema, layout=layout)
    return render(
        request,
        "formbuilder/builder.html#preview",
        {
            "preview_html": form_render(sample, values, errors, prefix="preview"),
            "spec_json": json.dumps(spec, ensure_ascii=False),
            "schema_json": json.dumps(schema, ensure_ascii=False, indent=2),
            "checked": checked,
            "checked_json": json.dumps(checked, ensure_ascii=False, indent=2) if checked is not None else "",
            "has_fields": bool(layout["fields"]),
        },
    )


@require_POST
@ui_errors
def form_preview(request: HttpRequest) -> HttpResponse:
    """The form as the builder holds it now, drawn as operators will see it (nothing is saved)."""
    selectors.form_require_perm(user=_user(request), action="change")
    return _preview(request, builder.spec_from_state(builder.state_from_post(request.POST)), None, None, None)


@require_POST
@ui_errors
def form_preview_check(request: HttpRequest) -> HttpResponse:
    """Validate values typed into the preview exactly as a saved form would (uploads are checked, not kept)."""
    selectors.form_require_perm(user=_user(request), action="change")
    try:
        spec = json.loads(request.POST.get("spec", ""))
    except ValueError:
        spec = None
    try:
        schema, layout = services.form_spec_compile(spec=spec)
    except ValidationFailed as exc:
        return render(request, "formbuilder/builder.html#preview", {"preview_errors": exc.errors})
    sample = Form(name="preview", schema=schema, layout=layout)
    values, files = form_values_from_post(sample, request.POST, request.FILES, prefix="preview")
    try:
        clean = services.form_values_clean(form=sample, values=values, files=files)
    except ValidationFailed as exc:
        return _preview(request, spec, values, exc, None)
    return _preview(request, spec, clean, None, clean)


# ---------------------------------------------------------------------------------------------- field helpers


_MONTH = re.compile(r"(\d{1,4})-(\d{1,2})")


@require_GET
@login_required
def calendar(request: HttpRequest) -> HttpResponse:
    """One Jalali month for the date picker: ?month=1403-01, or ?value=<a date> for the month holding it."""
    today = jdatetime.date.today()
    year, month = today.year, today.month
    found = _MONTH.fullmatch(to_ascii_digits(request.GET.get("month", "")[:10]).strip())
    if found and 1 <= int(found[2]) <= 12 and 1 <= int(found[1]) <= 3000:
        year, month = int(found[1]), int(found[2])
    elif request.GET.get("value", "").strip():
        try:
            day = jdatetime.date.fromgregorian(date=parse_date(request.GET["value"][:40]))
            year, month = day.year, day.month
        except (ValueError, TypeError, OverflowError):
            pass
    return render(request, "formbuilder/calendar.html", {"month": jalali_month(year, month)})


@require_GET
@ui_errors
def contact_options(request: HttpRequest) -> HttpResponse:
    """Contacts matching ?q= for a contact field (needs the right to see contacts)."""
    q = request.GET.get("q", "").strip()[:100]
    contacts = contact_search(user=_user(request), text=q, limit=10) if len(q) >= 2 else []
    return render(request, "formbuilder/contact_options.html", {"contacts": contacts, "q": q})
