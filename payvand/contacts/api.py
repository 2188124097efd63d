from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema
from pydantic import Field

from payvand.accounts.models import User
from payvand.contacts import selectors, services
from payvand.contacts.models import Contact, CustomField, FlagType
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
    FlagIn,
    FlagOut,
    FlagTypeOut,
    IdentityAddIn,
    IdentityOut,
    MemberOut,
    MergeIn,
    OrganisationLinkIn,
)
from payvand.core.errors import ValidationFailed
from payvand.core.schemas import ERRORS, PathId, QueryId
from payvand.core.selectors import event_list_for_contact

router = Router(tags=["contacts"])


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


def summary_out(c: Contact) -> ContactSummaryOut:
    identities = list(c.identities.all())
    return ContactSummaryOut(
        id=c.pk, kind=c.kind, name=c.name, status=c.status,
        emails=[i.value for i in identities if i.kind == "email"],
        phones=[i.value for i in identities if i.kind == "phone"],
        flags=[FlagTypeOut.model_validate(f.flag_type, from_attributes=True) for f in c.flags.all()],
    )


def contact_out(c: Contact) -> ContactOut:
    identities = [IdentityOut.model_validate(i, from_attributes=True) for i in c.identities.all()]
    return ContactOut(
        id=c.pk, kind=c.kind, name=c.name, status=c.status, rating=c.rating, source=c.source, owner_id=c.owner_id,
        notes=c.notes, tags=[t.name for t in c.tags.all()], segments=[s.name for s in c.segments.all()],
        interests=[i.name for i in c.interests.all()], custom=c.custom,
        emails=[i for i in identities if i.kind == "email"],
        phones=[i for i in identities if i.kind == "phone"],
        social=[i for i in identities if i.kind not in ("email", "phone")],
        flags=[FlagOut.model_validate(f, from_attributes=True) for f in c.flags.all()],
        organisations=[AffiliationOut(id=a.pk, organisation_id=a.organisation_id, organisation_name=a.organisation.name,
                                      role=a.role, is_primary=a.is_primary) for a in c.affiliations.all()],
        members=[MemberOut(id=a.pk, person_id=a.person_id, person_name=a.person.name, role=a.role)
                 for a in c.members.all()],
        addresses=[AddressOut.model_validate(a, from_attributes=True) for a in c.addresses.all()],
        version=c.version, created_at=c.created_at, updated_at=c.updated_at,
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
        by=user, name=payload.name, kind=payload.kind, emails=payload.emails, phones=payload.phones,
        identities=[services.IdentityIn(i.kind, i.value, i.label) for i in payload.identities],
        status=payload.status, rating=payload.rating, source=payload.source, owner=_owner(payload.owner_id),
        tags=payload.tags, segments=payload.segments, interests=payload.interests, custom=payload.custom,
        notes=payload.notes,
        organisations=[(_organisation(user, o.organisation_id, f"organisations.{n}.organisation_id"), o.role)
                       for n, o in enumerate(payload.organisations)],
        addresses=[services.AddressIn(**a.model_dump()) for a in payload.addresses],
        flags=[(_flag_type(f.flag_type_id, f"flags.{n}.flag_type_id"), f.note) for n, f in enumerate(payload.flags)],
        allow_duplicates=payload.allow_duplicates,
    )
    return 201, contact_out(selectors.contact_get_for_user(user=user, contact_id=contact.pk))


class LookupParams(Schema):
    phone: str | None = Field(default=None, max_length=64)
    email: str | None = Field(default=None, max_length=254)


@router.get("/lookup", response={200: list[ContactSummaryOut], **ERRORS},
            summary="Find contacts by a phone number or email in any format (caller ID, inbound mail)")
def contact_lookup(request: HttpRequest, params: Query[LookupParams]) -> list[ContactSummaryOut]:
    contacts = selectors.contact_lookup(user=_user(request), phone=params.phone, email=params.email)
    return [summary_out(c) for c in contacts]


class SearchParams(Schema):
    q: str = Field(min_length=1, max_length=200)
    limit: int = Field(default=20, ge=1, le=100)


@router.get("/search", response={200: list[ContactSummaryOut], **ERRORS},
            summary="Search by name, organisation, email or phone")
def contact_search(request: HttpRequest, params: Query[SearchParams]) -> list[ContactSummaryOut]:
    return [summary_out(c) for c in selectors.contact_search(user=_user(request), text=params.q, limit=params.limit)]


@router.post("/duplicates", response={200: list[DuplicateOut], **ERRORS},
             summary="Likely duplicates of a contact about to be created")
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
    services.contact_delete(contact=selectors.contact_get_for_user(user=user, contact_id=contact_id,
                                                                   action="delete"), by=user)
    return 204, None


@router.get("/{contact_id}/timeline", response={200: list[EventOut], **ERRORS}, summary="The contact's timeline")
def contact_timeline(request: HttpRequest, contact_id: PathId) -> list[EventOut]:
    contact = selectors.contact_get_for_user(user=_user(request), contact_id=contact_id)
    return [EventOut(id=e.pk, verb=e.verb, summary=str(e.summary), actor_id=e.actor_id, data=e.data,
                     created_at=e.created_at) for e in event_list_for_contact(contact=contact)]


@router.post("/{contact_id}/merge", response={200: ContactOut, **ERRORS},
             summary="Merge another contact into this one (its identities and records move here)")
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
    flag = services.contact_flag_add(contact=contact, flag_type=_flag_type(payload.flag_type_id, "flag_type_id"),
                                     note=payload.note, by=user)
    return 201, FlagOut.model_validate(flag, from_attributes=True)


@router.delete("/{contact_id}/flags/{flag_id}", response={204: None, **ERRORS}, summary="Remove a flag")
def contact_flag_remove(request: HttpRequest, contact_id: PathId, flag_id: PathId) -> tuple[int, None]:
    user = _user(request)
    contact = selectors.contact_get_for_user(user=user, contact_id=contact_id, action="change")
    services.contact_flag_remove(contact=contact, flag_id=flag_id, by=user)
    return 204, None


@router.post("/{contact_id}/identities", response={201: IdentityOut, **ERRORS},
             summary="Add an email, phone or social handle")
def contact_identity_add(request: HttpRequest, contact_id: PathId, payload: IdentityAddIn) -> tuple[int, IdentityOut]:
    user = _user(request)
    contact = selectors.contact_get_for_user(user=user, contact_id=contact_id, action="change")
    identity = services.contact_identity_add(contact=contact, kind=payload.kind, value=payload.value,
                                             label=payload.label, by=user)
    return 201, IdentityOut.model_validate(identity, from_attributes=True)


@router.delete("/{contact_id}/identities/{identity_id}", response={204: None, **ERRORS}, summary="Remove an identity")
def contact_identity_remove(request: HttpRequest, contact_id: PathId, identity_id: PathId) -> tuple[int, None]:
    user = _user(request)
    contact = selectors.contact_get_for_user(user=user, contact_id=contact_id, action="change")
    services.contact_identity_remove(contact=contact, identity_id=identity_id, by=user)
    return 204, None


@router.post("/{contact_id}/organisations", response={201: AffiliationOut, **ERRORS},
             summary="Link a person to an organisation with a role")
def contact_affiliation_add(request: HttpRequest, contact_id: PathId,
                            payload: OrganisationLinkIn) -> tuple[int, AffiliationOut]:
    user = _user(request)
    person = selectors.contact_get_for_user(user=user, contact_id=contact_id, action="change")
    org = _organisation(user, payload.organisation_id, "organisation_id")
    a = services.contact_affiliation_add(person=person, organisation=org, role=payload.role, by=user)
    return 201, AffiliationOut(id=a.pk, organisation_id=org.pk, organisation_name=org.name, role=a.role,
                               is_primary=a.is_primary)


@router.delete("/{contact_id}/organisations/{affiliation_id}", response={204: None, **ERRORS},
               summary="Unlink a person and an organisation")
def contact_affiliation_remove(request: HttpRequest, contact_id: PathId, affiliation_id: PathId) -> tuple[int, None]:
    user = _user(request)
    contact = selectors.contact_get_for_user(user=user, contact_id=contact_id, action="change")
    services.contact_affiliation_remove(contact=contact, affiliation_id=affiliation_id, by=user)
    return 204, None


@router.post("/{contact_id}/addresses", response={201: AddressOut, **ERRORS}, summary="Add an address")
def contact_address_add(request: HttpRequest, contact_id: PathId, payload: AddressIn) -> tuple[int, AddressOut]:
    user = _user(request)
    contact = selectors.contact_get_for_user(user=user, contact_id=contact_id, action="change")
    address = services.contact_address_add(contact=contact, address=services.AddressIn(**payload.model_dump()),
                                           by=user)
    return 201, AddressOut.model_validate(address, from_attributes=True)


@router.delete("/{contact_id}/addresses/{address_id}", response={204: None, **ERRORS}, summary="Remove an address")
def contact_address_remove(request: HttpRequest, contact_id: PathId, address_id: PathId) -> tuple[int, None]:
    user = _user(request)
    contact = selectors.contact_get_for_user(user=user, contact_id=contact_id, action="change")
    services.contact_address_remove(contact=contact, address_id=address_id, by=user)
    return 204, None
