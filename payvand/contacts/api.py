from __future__ import annotations

import json
from typing import Any

from django.http import HttpRequest, StreamingHttpResponse
from django.utils.translation import gettext as _
from ninja import File, Form, Query, Router, Schema, UploadedFile
from pydantic import Field

from payvand.accounts.models import User
from payvand.contacts import sections, selectors, services
from payvand.contacts.models import Contact, CustomField, FlagType, ImportJob
from payvand.contacts.schemas import (
    AddressIn,
    AddressOut,
    AffiliationOut,
    ContactCreateIn,
    ContactOut,
    ContactPageOut,
    ContactSummaryOut,
    ContactUpdateIn,
    CustomFieldOut,
    DuplicateCheckIn,
    DuplicateOut,
    EventOut,
    ExportParams,
    FlagIn,
    FlagOut,
    FlagTypeOut,
    IdentityAddIn,
    IdentityOut,
    ImportColumnOut,
    ImportErrorOut,
    ImportJobOut,
    MemberOut,
    MergeIn,
    OrganisationLinkIn,
    PageLayoutOut,
    PageLayoutSetIn,
    PageLayoutsOut,
    PageSectionOut,
)
from payvand.contacts.views_exchange import export_response
from payvand.core.errors import ValidationFailed
from payvand.core.schemas import ERRORS, PathId, QueryId
from payvand.core.selectors import event_list_for_contact

router = Router(tags=["contacts"])


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


def summary_out(c: Contact) -> ContactSummaryOut:
    identities = list(c.identities.all())
    return ContactSummaryOut(
        id=c.pk,
        kind=c.kind,
        name=c.name,
        status=c.status,
        emails=[i.value for i in identities if i.kind == "email"],
        phones=[i.value for i in identities if i.kind == "phone"],
        flags=[FlagTypeOut.model_validate(f.flag_type, from_attributes=True) for f in c.flags.all()],
    )


def contact_out(c: Contact) -> ContactOut:
    identities = [IdentityOut.model_validate(i, from_attributes=True) for i in c.identities.all()]
    return ContactOut(
        id=c.pk,
        kind=c.kind,
        name=c.name,
        status=c.status,
        rating=c.rating,
        source=c.source,
        owner_id=c.owner_id,
        notes=c.notes,
        tags=[t.name for t in c.tags.all()],
        segments=[s.name for s in c.segments.all()],
        interests=[i.name for i in c.interests.all()],
        custom=c.custom,
        emails=[i for i in identities if i.kind == "email"],
        phones=[i for i in identities if i.kind == "phone"],
        social=[i for i in identities if i.kind not in ("email", "phone")],
        flags=[FlagOut.model_validate(f, from_attributes=True) for f in c.flags.all()],
        organisations=[
            AffiliationOut(
                id=a.pk,
                organisation_id=a.organisation_id,
                organisation_name=a.organisation.name,
                role=a.role,
                is_primary=a.is_primary,
            )
            for a in c.affiliations.all()
        ],
        members=[
            MemberOut(id=a.pk, person_id=a.person_id, person_name=a.person.name, role=a.role) for a in c.members.all()
        ],
        addresses=[AddressOut.model_validate(a, from_attributes=True) for a in c.addresses.all()],
        version=c.version,
        created_at=c.created_at,
        updated_at=c.updated_at,
    )


def _owner(owner_id: int | None) -> User | None:
    if owner_id is None:
        return None
    owner = User.objects.filter(pk=owner_id, is_active=True).first()
    if owner is None:
        raise ValidationFailed.on("owner_id", _("No such user."))
    return owner


def _organisation(user: User, organisation_id: int, field: str) -> Contact:
    org = Contact.objects.filter(pk=organisation_id, kind=Contact.Kind.ORGANISATION).first()
    if org is None:
        raise ValidationFailed.on(field, _("No such organisation."))
    return org


def _flag_type(flag_type_id: int, field: str) -> FlagType:
    flag_type = FlagType.objects.filter(pk=flag_type_id, is_active=True).first()
    if flag_type is None:
        raise ValidationFailed.on(field, _("No such flag type."))
    return flag_type


class ListParams(Schema):
    q: str = Field(default="", max_length=200)
    kind: str = Field(default="", pattern="^(|person|organisation)$")
    status: str = Field(default="", pattern="^(|prospect|customer|former)$")
    tag: str = Field(default="", max_length=64)
    segment: str = Field(default="", max_length=100)
    flag: QueryId | None = None
    owner: QueryId | None = None
    cursor: str = Field(default="", max_length=500)
    limit: int = Field(default=25, ge=1, le=200)


@router.get("", response={200: ContactPageOut, **ERRORS}, summary="List and filter contacts (keyset pages)")
def contact_list(request: HttpRequest, filters: Query[ListParams]) -> ContactPageOut:
    page = selectors.contact_list(user=_user(request), **filters.model_dump())
    return ContactPageOut(items=[summary_out(c) for c in page.items], next_cursor=page.next_cursor, total=page.total)


@router.post("", response={201: ContactOut, **ERRORS}, summary="Create a person or organisation")
def contact_create(request: HttpRequest, payload: ContactCreateIn) -> tuple[int, ContactOut]:
    user = _user(request)
    selectors.contact_require_perm(user=user, action="add")
    contact = services.contact_create(
        by=user,
        name=payload.name,
        kind=payload.kind,
        emails=payload.emails,
        phones=payload.phones,
        identities=[services.IdentityIn(i.kind, i.value, i.label) for i in payload.identities],
        status=payload.status,
        rating=payload.rating,
        source=payload.source,
        owner=_owner(payload.owner_id),
        tags=payload.tags,
        segments=payload.segments,
        interests=payload.interests,
        custom=payload.custom,
        notes=payload.notes,
        organisations=[
            (_organisation(user, o.organisation_id, f"organisations.{n}.organisation_id"), o.role)
            for n, o in enumerate(payload.organisations)
        ],
        addresses=[services.AddressIn(**a.model_dump()) for a in payload.addresses],
        flags=[(_flag_type(f.flag_type_id, f"flags.{n}.flag_type_id"), f.note) for n, f in enumerate(payload.flags)],
        allow_duplicates=payload.allow_duplicates,
    )
    return 201, contact_out(selectors.contact_get_for_user(user=user, contact_id=contact.pk))


class LookupParams(Schema):
    phone: str | None = Field(default=None, max_length=64)
    email: str | None = Field(default=None, max_length=254)


@router.get(
    "/lookup",
    response={200: list[ContactSummaryOut], **ERRORS},
    summary="Find contacts by a phone number or email in any format (caller ID, inbound mail)",
)
def contact_lookup(request: HttpRequest, params: Query[LookupParams]) -> list[ContactSummaryOut]:
    found = selectors.contact_lookup_summaries(user=_user(request), phone=params.phone, email=params.email)
    return [
        ContactSummaryOut(
            id=c.id,
            kind=c.kind,
            name=c.name,
            status=c.status,
            emails=c.emails,
            phones=c.phones,
            flags=[FlagTypeOut.model_validate(f, from_attributes=True) for f in c.flags],
        )
        for c in found
    ]


class SearchParams(Schema):
    q: str = Field(min_length=1, max_length=200)
    limit: int = Field(default=20, ge=1, le=100)


@router.get(
    "/search", response={200: list[ContactSummaryOut], **ERRORS}, summary="Search by name, organisation, email or phone"
)
def contact_search(request: HttpRequest, params: Query[SearchParams]) -> list[ContactSummaryOut]:
    return [summary_out(c) for c in selectors.contact_search(user=_user(request), text=params.q, limit=params.limit)]


@router.post(
    "/duplicates",
    response={200: list[DuplicateOut], **ERRORS},
    summary="Likely duplicates of a contact about to be created",
)
def contact_duplicates(request: HttpRequest, payload: DuplicateCheckIn) -> list[DuplicateOut]:
    selectors.contact_require_perm(user=_user(request), action="view")
    found = services.contact_find_duplicates(name=payload.name, emails=payload.emails, phones=payload.phones)
    return [DuplicateOut(contact=summary_out(d.contact), reasons=d.reasons, score=d.score) for d in found]


@router.get("/flag-types", response={200: list[FlagTypeOut], **ERRORS}, summary="Flag types defined by admins")
def flag_type_list(request: HttpRequest) -> list[FlagTypeOut]:
    selectors.contact_require_perm(user=_user(request), action="view")
    return [FlagTypeOut.model_validate(f, from_attributes=True) for f in selectors.flag_type_list()]


@router.get("/custom-fields", response={200: list[CustomFieldOut], **ERRORS}, summary="Custom fields")
def custom_field_list(request: HttpRequest) -> list[CustomFieldOut]:
    selectors.contact_require_perm(user=_user(request), action="view")
    return [CustomFieldOut.model_validate(f, from_attributes=True) for f in CustomField.objects.all()]


def _layouts_out(user: User) -> PageLayoutsOut:
    default = sections.default_layout()
    return PageLayoutsOut(
        available=[
            PageSectionOut(key=s.key, label=str(s.label), in_default=s.key in default)
            for s in sections.section_choices()
        ],
        default=default,
        teams=[
            PageLayoutOut(
                team_id=team.pk,
                team=team.name,
                sections=sections.layout_clean(keys) if keys is not None else default,
                is_default=keys is None,
            )
            for team, keys in selectors.contact_page_layouts(user=user)
        ],
    )


@router.get(
    "/page-layouts", response={200: PageLayoutsOut, **ERRORS}, summary="The 360° page sections and each team's layout"
)
def page_layouts(request: HttpRequest) -> PageLayoutsOut:
    return _layouts_out(_user(request))


@router.put(
    "/page-layouts/{team_id}",
    response={200: PageLayoutOut, **ERRORS},
    summary="Set a team's 360° page sections in order (null: back to the default)",
)
def page_layout_set(request: HttpRequest, team_id: PathId, payload: PageLayoutSetIn) -> PageLayoutOut:
    user = _user(request)
    team = selectors.team_get_for_layout(user=user, team_id=team_id)
    keys = services.contact_page_layout_set(by=user, team=team, sections=payload.sections)
    return PageLayoutOut(
        team_id=team.pk,
        team=team.name,
        sections=keys if keys is not None else sections.default_layout(),
        is_default=keys is None,
    )


@router.get("/{contact_id}", response={200: ContactOut, **ERRORS}, summary="A contact with its identities")
def contact_get(request: HttpRequest, contact_id: PathId) -> ContactOut:
    return contact_out(selectors.contact_get_for_user(user=_user(request), contact_id=contact_id))


@router.patch("/{contact_id}", response={200: ContactOut, **ERRORS}, summary="Change a contact")
def contact_update(request: HttpRequest, contact_id: PathId, payload: ContactUpdateIn) -> ContactOut:
    user = _user(request)
    contact = selectors.contact_get_for_user(user=user, contact_id=contact_id, action="change")
    changes: dict[str, Any] = payload.model_dump(exclude_unset=True)
    version = changes.pop("version", None)
    if "owner_id" in changes:
        changes["owner"] = _owner(changes.pop("owner_id"))
    for key in ("name", "kind", "status", "rating", "source", "notes"):
        if key in changes and changes[key] is None:
            raise ValidationFailed.on(key, _("This field cannot be empty."))
    services.contact_update(contact=contact, by=user, version=version, **changes)
    return contact_out(selectors.contact_get_for_user(user=user, contact_id=contact_id))


@router.delete("/{contact_id}", response={204: None, **ERRORS}, summary="Delete a contact")
def contact_delete(request: HttpRequest, contact_id: PathId) -> tuple[int, None]:
    user = _user(request)
    services.contact_delete(
        contact=selectors.contact_get_for_user(user=user, contact_id=contact_id, action="delete"), by=user
    )
    return 204, None


@router.get("/{contact_id}/timeline", response={200: list[EventOut], **ERRORS}, summary="The contact's timeline")
def contact_timeline(request: HttpRequest, contact_id: PathId) -> list[EventOut]:
    contact = selectors.contact_get_for_user(user=_user(request), contact_id=contact_id)
    return [
        EventOut(
            id=e.pk, verb=e.verb, summary=str(e.summary), actor_id=e.actor_id, data=e.data, created_at=e.created_at
        )
        for e in event_list_for_contact(contact=contact)
    ]


@router.post(
    "/{contact_id}/merge",
    response={200: ContactOut, **ERRORS},
    summary="Merge another contact into this one (its identities and records move here)",
)
def contact_merge(request: HttpRequest, contact_id: PathId, payload: MergeIn) -> ContactOut:
    user = _user(request)
    primary = selectors.contact_get_for_user(user=user, contact_id=contact_id, action="merge")
    if payload.duplicate_id == contact_id:
        raise ValidationFailed.on("duplicate_id", _("A contact cannot be merged into itself."))
    duplicate = selectors.contact_get_for_user(user=user, contact_id=payload.duplicate_id, action="merge")
    services.contact_merge(primary=primary, duplicate=duplicate, by=user)
    return contact_out(selectors.contact_get_for_user(user=user, contact_id=contact_id))


@router.post("/{contact_id}/flags", response={201: FlagOut, **ERRORS}, summary="Flag a contact")
def contact_flag_add(request: HttpRequest, contact_id: PathId, payload: FlagIn) -> tuple[int, FlagOut]:
    user = _user(request)
    contact = selectors.contact_get_for_user(user=user, contact_id=contact_id, action="change")
    flag = services.contact_flag_add(
        contact=contact, flag_type=_flag_type(payload.flag_type_id, "flag_type_id"), note=payload.note, by=user
    )
    return 201, FlagOut.model_validate(flag, from_attributes=True)


@router.delete("/{contact_id}/flags/{flag_id}", response={204: None, **ERRORS}, summary="Remove a flag")
def contact_flag_remove(request: HttpRequest, contact_id: PathId, flag_id: PathId) -> tuple[int, None]:
    user = _user(request)
    contact = selectors.contact_get_for_user(user=user, contact_id=contact_id, action="change")
    services.contact_flag_remove(contact=contact, flag_id=flag_id, by=user)
    return 204, None


@router.post(
    "/{contact_id}/identities", response={201: IdentityOut, **ERRORS}, summary="Add an email, phone or social handle"
)
def contact_identity_add(request: HttpRequest, contact_id: PathId, payload: IdentityAddIn) -> tuple[int, IdentityOut]:
    user = _user(request)
    contact = selectors.contact_get_for_user(user=user, contact_id=contact_id, action="change")
    identity = services.contact_identity_add(
        contact=contact, kind=payload.kind, value=payload.value, label=payload.label, by=user
    )
    return 201, IdentityOut.model_validate(identity, from_attributes=True)


@router.delete("/{contact_id}/identities/{identity_id}", response={204: None, **ERRORS}, summary="Remove an identity")
def contact_identity_remove(request: HttpRequest, contact_id: PathId, identity_id: PathId) -> tuple[int, None]:
    user = _user(request)
    contact = selectors.contact_get_for_user(user=user, contact_id=contact_id, action="change")
    services.contact_identity_remove(contact=contact, identity_id=identity_id, by=user)
    return 204, None


@router.post(
    "/{contact_id}/organisations",
    response={201: AffiliationOut, **ERRORS},
    summary="Link a person to an organisation with a role",
)
def contact_affiliation_add(
    request: HttpRequest, contact_id: PathId, payload: OrganisationLinkIn
) -> tuple[int, AffiliationOut]:
    user = _user(request)
    person = selectors.contact_get_for_user(user=user, contact_id=contact_id, action="change")
    org = _organisation(user, payload.organisation_id, "organisation_id")
    a = services.contact_affiliation_add(person=person, organisation=org, role=payload.role, by=user)
    return 201, AffiliationOut(
        id=a.pk, organisation_id=org.pk, organisation_name=org.name, role=a.role, is_primary=a.is_primary
    )


@router.delete(
    "/{contact_id}/organisations/{affiliation_id}",
    response={204: None, **ERRORS},
    summary="Unlink a person and an organisation",
)
def contact_affiliation_remove(request: HttpRequest, contact_id: PathId, affiliation_id: PathId) -> tuple[int, None]:
    user = _user(request)
    contact = selectors.contact_get_for_user(user=user, contact_id=contact_id, action="change")
    services.contact_affiliation_remove(contact=contact, affiliation_id=affiliation_id, by=user)
    return 204, None


@router.post("/{contact_id}/addresses", response={201: AddressOut, **ERRORS}, summary="Add an address")
def contact_address_add(request: HttpRequest, contact_id: PathId, payload: AddressIn) -> tuple[int, AddressOut]:
    user = _user(request)
    contact = selectors.contact_get_for_user(user=user, contact_id=contact_id, action="change")
    address = services.contact_address_add(contact=contact, address=services.AddressIn(**payload.model_dump()), by=user)
    return 201, AddressOut.model_validate(address, from_attributes=True)


@router.delete("/{contact_id}/addresses/{address_id}", response={204: None, **ERRORS}, summary="Remove an address")
def contact_address_remove(request: HttpRequest, contact_id: PathId, address_id: PathId) -> tuple[int, None]:
    user = _user(request)
    contact = selectors.contact_get_for_user(user=user, contact_id=contact_id, action="change")
    services.contact_address_remove(contact=contact, address_id=address_id, by=user)
    return 204, None


# ---------------------------------------------------------------------------------------------- import and export
# ---- import and export


def import_job_out(job: ImportJob) -> ImportJobOut:
    headers: list[str] = job.mapping.get("headers", [])
    targets: list[str] = job.mapping.get("columns", [])
    return ImportJobOut(
        id=job.pk,
        status=job.status,
        format=job.format,
        original_name=job.original_name,
        skip_duplicates=job.skip_duplicates,
        source=job.mapping.get("source", ""),
        started=bool(job.mapping.get("started")),
        columns=[
            ImportColumnOut(index=i, header=h, target=targets[i] if i < len(targets) else "")
            for i, h in enumerate(headers)
        ],
        total_rows=job.total_rows,
        processed_rows=job.processed_rows,
        percent=job.percent,
        created_count=job.created_count,
        skipped_count=job.skipped_count,
        error_count=job.error_count,
        errors=[
            ImportErrorOut(row=e.get("row") or 0, field=e.get("field"), message=e.get("message", ""))
            for e in job.errors
        ],
        failure=job.failure,
        created_at=job.created_at,
        finished_at=job.finished_at,
    )


def _mapping_from_json(text: str | None) -> list[str] | dict[str, str] | None:
    if text is None or not text.strip():
        return None
    try:
        value = json.loads(text)
    except ValueError as exc:
        raise ValidationFailed.on("mapping", _("The mapping is not valid JSON.")) from exc
    if isinstance(value, list) and all(isinstance(v, str | None) for v in value):
        return [v or "" for v in value]
    if isinstance(value, dict) and all(isinstance(v, str | None) for v in value.values()):
        return {str(k): v or "" for k, v in value.items()}
    raise ValidationFailed.on(
        "mapping", _("Give a list with a field per column, or an object from column name to field.")
    )


@router.post(
    "/imports",
    response={202: ImportJobOut, **ERRORS},
    summary="Import contacts from a CSV, XLSX or vCard file (runs in the background)",
)
def import_create(
    request: HttpRequest,
    file: File[UploadedFile],
    mapping: Form[str | None] = None,
    skip_duplicates: Form[bool] = True,
    source: Form[str] = "",
) -> tuple[int, ImportJobOut]:
    """`mapping` is JSON: a list with the target field of each column ("" to ignore it), or an object from column
    name to field. Without it the fields are guessed from the headers. Poll `GET /imports/{job_id}` for progress
    and the errors per row."""
    user = _user(request)
    selectors.contact_require_perm(user=user, action="import")
    job = services.import_job_create(
        by=user,
        upload=file,
        original_name=file.name or "",
        mapping=_mapping_from_json(mapping),
        skip_duplicates=skip_duplicates,
        source=source,
        start=True,
    )
    return 202, import_job_out(selectors.import_job_get_for_user(user=user, job_id=job.pk))


@router.get("/imports", response={200: list[ImportJobOut], **ERRORS}, summary="My recent imports")
def import_list(request: HttpRequest) -> list[ImportJobOut]:
    return [import_job_out(j) for j in selectors.import_job_list_for_user(user=_user(request), limit=20)]


@router.get(
    "/imports/{job_id}", response={200: ImportJobOut, **ERRORS}, summary="An import's progress and its errors per row"
)
def import_get(request: HttpRequest, job_id: PathId) -> ImportJobOut:
    return import_job_out(selectors.import_job_get_for_user(user=_user(request), job_id=job_id))


_DOWNLOAD = {"schema": {"type": "string", "format": "binary"}}


@router.get(
    "/export",
    response={200: None, **ERRORS},
    summary="Export contacts as CSV, XLSX or vCard",
    openapi_extra={
        "responses": {
            "200": {
                "description": "The file, streamed.",
                "content": {
                    "text/csv": _DOWNLOAD,
                    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": _DOWNLOAD,
                    "text/vcard": _DOWNLOAD,
                },
            }
        }
    },
)
def contact_export(request: HttpRequest, params: Query[ExportParams]) -> StreamingHttpResponse:
    """The contacts matching the same filters as the list; CSV is UTF-8 with a BOM and imports back unchanged."""
    filters = params.model_dump()
    fmt, version = filters.pop("format"), filters.pop("version")
    file = selectors.contact_export_file(user=_user(request), fmt=fmt, version=version, **filters)
    return export_response(request, file)


# ninja turns paths into URL patterns in the order they were declared, and "/{contact_id}" (a plain string
# pattern) would catch "/export" and "/imports" first: these fixed paths go to the front.
router.path_operations = {
    **{path: router.path_operations[path] for path in ("/export", "/imports", "/imports/{job_id}")},
    **router.path_operations,
}
