"""Thin HTMX views over the same services and selectors as the API."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from payvand.accounts.models import User
from payvand.contacts import selectors, services
from payvand.contacts.customfields import custom_display
from payvand.contacts.forms import (
    AddressForm,
    AffiliationForm,
    ContactCreateForm,
    ContactEditForm,
    ContactForm,
    FlagAddForm,
    IdentityAddForm,
    MergeForm,
    split_list,
)
from payvand.contacts.models import Contact, Identity
from payvand.contacts.normalize import phone_display
from payvand.contacts.sections import default_layout, layout_clean, section_choices, sections_render_list
from payvand.core.errors import Conflict, NotFound, PayvandError, ValidationFailed
from payvand.core.forms import apply_errors
from payvand.core.http import is_htmx, ui_errors
from payvand.core.localization import to_ascii_digits
from payvand.core.selectors import event_list_for_contact
from payvand.helpdesk import selectors as ticket_selectors


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


@ui_errors
def contact_list(request: HttpRequest) -> HttpResponse:
    params = {k: request.GET.get(k, "").strip()[:200] for k in ("q", "kind", "status", "tag", "segment", "cursor")}
    if params["kind"] not in ("", *Contact.Kind.values):
        params["kind"] = ""
    if params["status"] not in ("", *Contact.Status.values):
        params["status"] = ""
    raw_flag = request.GET.get("flag", "")
    flag = int(raw_flag) if raw_flag.isdigit() and len(raw_flag) < 18 else None

    def page_for(cursor: str) -> selectors.ContactPage:
        return selectors.contact_list(
            user=_user(request),
            q=params["q"],
            kind=params["kind"],
            status=params["status"],
            tag=params["tag"],
            segment=params["segment"],
            flag=flag,
            cursor=cursor,
            limit=25,
        )

    try:
        page = page_for(params["cursor"])
    except ValidationFailed:
        params["cursor"] = ""
        page = page_for("")
    context = {
        "page": page,
        "params": params,
        "flag_types": selectors.flag_type_list(),
        "statuses": Contact.Status.choices,
        "kinds": Contact.Kind.choices,
    }
    template = "contacts/list.html#rows" if is_htmx(request) else "contacts/list.html"
    return render(request, template, context)


def _identities_from(form: ContactForm) -> list[services.IdentityIn]:
    return [services.IdentityIn(kind, value) for kind, value in form.identities()]


@ui_errors
def contact_create(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    selectors.contact_require_perm(user=user, action="add")
    duplicates: list[services.DuplicateMatch] = []
    kind = request.GET.get("kind") if request.GET.get("kind") in Contact.Kind.values else Contact.Kind.PERSON
    if request.method == "POST":
        form = ContactCreateForm(request.POST)
        if form.is_valid():
            d = form.cleaned_data
            address = services.AddressIn(
                street=d["street"],
                city=d["city"],
                postcode=d["postcode"],
                country=d["country"],
                latitude=d["latitude"] or None,
                longitude=d["longitude"] or None,
            )
            has_address = any([d["street"], d["city"], d["postcode"], d["country"], d["latitude"], d["longitude"]])
            try:
                contact = services.contact_create(
                    by=user,
                    name=d["name"],
                    kind=d["kind"],
                    emails=split_list(d["emails"]),
                    phones=split_list(d["phones"]),
                    identities=_identities_from(form),
                    status=d["status"],
                    rating=d["rating"],
                    source=d["source"],
                    owner=d["owner"],
                    tags=split_list(d["tags"]),
                    segments=split_list(d["segments"]),
                    interests=split_list(d["interests"]),
                    custom=form.custom_values(),
                    notes=d["notes"],
                    organisations=[(d["organisation"], d["organisation_role"])] if d["organisation"] else [],
                    addresses=[address] if has_address else [],
                    flags=[(f, "") for f in d["flags"]],
                    allow_duplicates=d["allow_duplicates"],
                )
            except Conflict as exc:
                duplicates = services.contact_find_duplicates(
                    name=d["name"], emails=split_list(d["emails"]), phones=split_list(d["phones"])
                )
                form.add_error(None, str(exc.detail))
            except ValidationFailed as exc:
                apply_errors(form, exc, form.field_for)
            else:
                messages.success(request, _("Contact “%(name)s” created.") % {"name": contact.name})
                return redirect("contacts:detail", contact_id=contact.pk)
    else:
        form = ContactCreateForm(
            initial={
                "kind": kind,
                "owner": user.pk,
                "name": request.GET.get("name", "")[:200],
                "phones": request.GET.get("phone", "")[:64],
            },
            kind=kind,
        )
    return render(
        request,
        "contacts/form.html",
        {
            "form": form,
            "duplicates": duplicates,
            "creating": True,
            "organisation_names": selectors.organisation_choices(user=user, limit=200),
        },
    )


@ui_errors
def contact_edit(request: HttpRequest, contact_id: int) -> HttpResponse:
    user = _user(request)
    contact = selectors.contact_get_for_user(user=user, contact_id=contact_id, action="change")
    if request.method == "POST":
        form = ContactEditForm(request.POST, kind=request.POST.get("kind", contact.kind))
        if form.is_valid():
            d = form.cleaned_data
            others = _identities_from(form) + [
                services.IdentityIn(kind, value) for kind, value in ContactEditForm.hidden_handles(contact)
            ]
            try:
                services.contact_update(
                    contact=contact,
                    by=user,
                    version=d["version"],
                    name=d["name"],
                    kind=d["kind"],
                    status=d["status"],
                    rating=d["rating"],
                    source=d["source"],
                    owner=d["owner"],
                    notes=d["notes"],
                    tags=split_list(d["tags"]),
                    segments=split_list(d["segments"]),
                    interests=split_list(d["interests"]),
                    custom=form.custom_values(),
                    emails=split_list(d["emails"]),
                    phones=split_list(d["phones"]),
                    identities=others,
                )
            except Conflict as exc:
                form.add_error(None, str(exc.detail))
            except PayvandError as exc:
                apply_errors(form, exc, form.field_for)
            else:
                messages.success(request, _("Changes saved."))
                return redirect("contacts:detail", contact_id=contact.pk)
    else:
        form = ContactEditForm(initial=ContactEditForm.initial_for(contact), kind=contact.kind)
    return render(request, "contacts/form.html", {"form": form, "contact": contact, "creating": False})


@ui_errors
def contact_detail(request: HttpRequest, contact_id: int) -> HttpResponse:
    """The 360° page: everything about the customer on one screen, in the sections and order of the viewer's team
    layout (payvand.contacts.sections)."""
    user = _user(request)
    contact = selectors.contact_get_for_user(user=user, contact_id=contact_id)
    identities = list(contact.identities.all())
    phone_kinds = (Identity.Kind.PHONE, Identity.Kind.WHATSAPP)
    phones = [(i, phone_display(i.value)) for i in identities if i.kind in phone_kinds]
    context: dict[str, Any] = {
        "contact": contact,
        "flags": list(contact.flags.all()),
        "emails": [i for i in identities if i.kind == Identity.Kind.EMAIL],
        "phones": phones,
        "social": [i for i in identities if i.kind in (Identity.Kind.TELEGRAM, Identity.Kind.INSTAGRAM)],
        "custom": custom_display(contact),
        "map_points": [],
        "flag_form": FlagAddForm(),
        "identity_form": IdentityAddForm(),
        "address_form": AddressForm(),
        "affiliation_form": AffiliationForm(),
        "can_change": user.has_perm("contacts.change_contact"),
        "can_merge": user.has_perm("contacts.merge_contact"),
        "can_delete": user.has_perm("contacts.delete_contact"),
        "organisation_names": selectors.organisation_choices(user=user, limit=200),
        "can_view_tickets": user.has_perm("helpdesk.view_ticket"),
        "can_add_ticket": user.has_perm("helpdesk.add_ticket"),
    }
    keys = selectors.contact_page_layout_for_user(user=user)
    shown = sections_render_list(user=user, contact=contact, keys=keys)
    for _section, extra in shown:
        context.update(extra)
    context["sections"] = [section for section, _extra in shown]
    context["layout_keys"] = [section.key for section in context["sections"]]
    return render(request, "contacts/detail.html", context)


def section_tickets(user: User, contact: Contact) -> dict[str, Any]:
    return {"tickets": ticket_selectors.tickets_for_contact(user=user, contact_id=contact.pk)}


def section_timeline(user: User, contact: Contact) -> dict[str, Any]:
    return {"events": event_list_for_contact(contact=contact, limit=50)}


def section_map(user: User, contact: Contact) -> dict[str, Any]:
    """The addresses; on a map when the installation has its own tile server (MAP_TILE_URL), since the default is
    not to load tiles from the internet; each address has a geo: link for the device's map app."""
    points = []
    if settings.MAP_TILE_URL:
        points = [
            {"lat": float(a.latitude), "lng": float(a.longitude), "label": str(a)}
            for a in contact.addresses.all()
            if a.latitude is not None and a.longitude is not None
        ]
    return {
        "map_points": points,
        "map_tile_url_json": json.dumps(settings.MAP_TILE_URL),
        "map_attribution_json": json.dumps(settings.MAP_TILE_ATTRIBUTION),
    }


def _detail_action(
    request: HttpRequest,
    contact_id: int,
    form_class: type[Any] | None,
    action: Callable[[Contact, dict[str, Any]], Any],
    done: str,
    permission: str = "change",
) -> HttpResponse:
    user = _user(request)
    contact = selectors.contact_get_for_user(user=user, contact_id=contact_id, action=permission)
    form = form_class(request.POST) if form_class else None
    if form is not None and not form.is_valid():
        for field, errs in form.errors.items():
            label = form.fields[field].label if field in form.fields else ""
            messages.error(request, f"{label}: {' '.join(errs)}" if label else " ".join(errs))
        return redirect("contacts:detail", contact_id=contact.pk)
    try:
        action(contact, form.cleaned_data if form is not None else {})
    except PayvandError as exc:
        details = "; ".join(str(e.message) for e in exc.errors)
        messages.error(request, f"{exc.detail} {details}".strip())
    else:
        messages.success(request, done)
    return redirect("contacts:detail", contact_id=contact.pk)


@require_POST
@ui_errors
def flag_add(request: HttpRequest, contact_id: int) -> HttpResponse:
    return _detail_action(
        request,
        contact_id,
        FlagAddForm,
        lambda c, d: services.contact_flag_add(contact=c, flag_type=d["flag_type"], note=d["note"], by=_user(request)),
        _("Flag added."),
    )


@require_POST
@ui_errors
def flag_remove(request: HttpRequest, contact_id: int, flag_id: int) -> HttpResponse:
    return _detail_action(
        request,
        contact_id,
        None,
        lambda c, d: services.contact_flag_remove(contact=c, flag_id=flag_id, by=_user(request)),
        _("Flag removed."),
    )


@require_POST
@ui_errors
def identity_add(request: HttpRequest, contact_id: int) -> HttpResponse:
    return _detail_action(
        request,
        contact_id,
        IdentityAddForm,
        lambda c, d: services.contact_identity_add(
            contact=c, kind=d["kind"], value=d["value"], label=d["label"], by=_user(request)
        ),
        _("Identity added."),
    )


@require_POST
@ui_errors
def identity_remove(request: HttpRequest, contact_id: int, identity_id: int) -> HttpResponse:
    return _detail_action(
        request,
        contact_id,
        None,
        lambda c, d: services.contact_identity_remove(contact=c, identity_id=identity_id, by=_user(request)),
        _("Identity removed."),
    )


@require_POST
@ui_errors
def address_add(request: HttpRequest, contact_id: int) -> HttpResponse:
    return _detail_action(
        request,
        contact_id,
        AddressForm,
        lambda c, d: services.contact_address_add(
            contact=c,
            address=services.AddressIn(
                label=d["label"],
                street=d["street"],
                city=d["city"],
                region=d["region"],
                postcode=d["postcode"],
                country=d["country"],
                latitude=d["latitude"] or None,
                longitude=d["longitude"] or None,
            ),
            by=_user(request),
        ),
        _("Address added."),
    )


@require_POST
@ui_errors
def address_remove(request: HttpRequest, contact_id: int, address_id: int) -> HttpResponse:
    return _detail_action(
        request,
        contact_id,
        None,
        lambda c, d: services.contact_address_remove(contact=c, address_id=address_id, by=_user(request)),
        _("Address removed."),
    )


@require_POST
@ui_errors
def affiliation_add(request: HttpRequest, contact_id: int) -> HttpResponse:
    return _detail_action(
        request,
        contact_id,
        AffiliationForm,
        lambda c, d: services.contact_affiliation_add(
            person=c, organisation=d["organisation"], role=d["role"], by=_user(request)
        ),
        _("Organisation linked."),
    )


@require_POST
@ui_errors
def affiliation_remove(request: HttpRequest, contact_id: int, affiliation_id: int) -> HttpResponse:
    return _detail_action(
        request,
        contact_id,
        None,
        lambda c, d: services.contact_affiliation_remove(contact=c, affiliation_id=affiliation_id, by=_user(request)),
        _("Link removed."),
    )


@ui_errors
def contact_merge(request: HttpRequest, contact_id: int) -> HttpResponse:
    user = _user(request)
    contact = selectors.contact_get_for_user(user=user, contact_id=contact_id, action="merge")
    form = MergeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            duplicate = selectors.contact_get_for_user(
                user=user, contact_id=form.cleaned_data["duplicate_id"], action="merge"
            )
            services.contact_merge(primary=contact, duplicate=duplicate, by=user)
        except NotFound:
            form.add_error("duplicate_id", _("No such contact."))
        except PayvandError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("“%(name)s” was merged into this contact.") % {"name": duplicate.name})
            return redirect("contacts:detail", contact_id=contact.pk)
    identities = list(contact.identities.all())
    suggestions = services.contact_find_duplicates(
        name=contact.name,
        emails=[i.value for i in identities if i.kind == "email"],
        phones=[i.value for i in identities if i.kind == "phone"],
        exclude_id=contact.pk,
    )
    q = request.GET.get("q", "").strip()[:200]
    results = [c for c in selectors.contact_search(user=user, text=q, limit=20) if c.pk != contact.pk] if q else []
    return render(
        request,
        "contacts/merge.html",
        {"contact": contact, "form": form, "suggestions": suggestions, "results": results, "q": q},
    )


@require_POST
@ui_errors
def contact_delete(request: HttpRequest, contact_id: int) -> HttpResponse:
    user = _user(request)
    contact = selectors.contact_get_for_user(user=user, contact_id=contact_id, action="delete")
    name = contact.name
    try:
        services.contact_delete(contact=contact, by=user)
    except Conflict as exc:  # still a requester or a project's customer
        messages.error(request, str(exc))
        return redirect("contacts:detail", contact_id=contact.pk)
    messages.success(request, _("Contact “%(name)s” deleted.") % {"name": name})
    return redirect("contacts:list")


# --- The 360° page layouts (admins) -------------------------------------------------------------------------------


@ui_errors
def page_layouts(request: HttpRequest) -> HttpResponse:
    """Each team's 360° page: which sections it shows (checkboxes) and in what order (numbers)."""
    user = _user(request)
    rows = selectors.contact_page_layouts(user=user)
    default = default_layout()
    choices = section_choices()
    teams = []
    for team, keys in rows:
        shown = layout_clean(keys) if keys is not None else default
        order = {key: n for n, key in enumerate(shown, start=1)}
        ranked = sorted(enumerate(choices, start=1), key=lambda pair: order.get(pair[1].key, len(shown) + pair[0]))
        items = [{"section": sec, "shown": sec.key in order} for _n, sec in ranked]
        teams.append({"team": team, "items": items, "is_default": keys is None})
    return render(request, "contacts/layouts.html", {"teams": teams, "default": default})


@ui_errors
@require_POST
def page_layout_save(request: HttpRequest, team_id: int) -> HttpResponse:
    user = _user(request)
    team = selectors.team_get_for_layout(user=user, team_id=team_id)
    try:
        if "reset" in request.POST:
            services.contact_page_layout_set(by=user, team=team, sections=None)
        else:
            picked: list[tuple[int, int, str]] = []
            for n, sec in enumerate(section_choices()):
                if request.POST.get(f"show_{sec.key}"):
                    raw = to_ascii_digits(request.POST.get(f"order_{sec.key}", "")).strip()
                    try:
                        place = int(raw) if raw else 1000 + n
                    except ValueError:
                        raise ValidationFailed.on(
                            f"order_{sec.key}",
                            _("The order of “%(section)s” is not a number.") % {"section": sec.label},
                        ) from None
                    picked.append((place, n, sec.key))
            services.contact_page_layout_set(by=user, team=team, sections=[key for *_n, key in sorted(picked)])
        messages.success(request, _("The 360° page of %(team)s is saved.") % {"team": team.name})
    except PayvandError as exc:
        details = "; ".join(str(e.message) for e in exc.errors)
        messages.error(request, f"{exc.detail} {details}".strip())
    return redirect("contacts:layouts")
