"""Every read of contacts, scoped to what the viewer may see and already joined."""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from typing import Any

from django.db.models import Prefetch, Q, QuerySet
from django.utils.translation import gettext as _

from payvand.accounts.models import User
from payvand.contacts.models import Affiliation, Contact, ContactFlag, FlagType, Identity, ImportJob
from payvand.contacts.normalize import looks_like_phone, normalize_email, normalize_phone, normalize_text
from payvand.core import search
from payvand.core.errors import NotFound, PermissionDenied, ValidationFailed

CONTACT_PERMS = {
    "view": "contacts.view_contact",
    "change": "contacts.change_contact",
    "delete": "contacts.delete_contact",
    "merge": "contacts.merge_contact",
    "import": "contacts.import_contact",
    "export": "contacts.export_contact",
    "add": "contacts.add_contact",
}


def contact_require_perm(*, user: User, action: str) -> None:
    if not user.is_authenticated or not user.has_perm(CONTACT_PERMS[action]):
        raise PermissionDenied(detail=_("You do not have permission to do this with contacts."))


def contact_queryset_for_user(*, user: User) -> QuerySet[Contact]:
    """Staff roles see every customer record; users without a contacts role (e.g. portal customers) see none."""
    contact_require_perm(user=user, action="view")
    return Contact.objects.all()


def with_list_relations(qs: QuerySet[Contact]) -> QuerySet[Contact]:
    return qs.select_related("owner").prefetch_related(
        "tags",
        Prefetch("identities", queryset=Identity.objects.order_by("kind", "-is_primary", "id")),
        Prefetch("flags", queryset=ContactFlag.objects.select_related("flag_type").filter(flag_type__is_active=True)),
    )


def with_detail_relations(qs: QuerySet[Contact]) -> QuerySet[Contact]:
    return with_list_relations(qs).prefetch_related(
        "segments",
        "interests",
        "addresses",
        Prefetch("affiliations", queryset=Affiliation.objects.select_related("organisation").order_by(
            "-is_primary", "organisation__name")),
        Prefetch("members", queryset=Affiliation.objects.select_related("person").order_by("person__name")),
    )


def contact_get_for_user(*, user: User, contact_id: int, action: str = "view") -> Contact:
    """The only way a view or endpoint loads a contact: 403 without the permission, 404 if it does not exist."""
    contact_require_perm(user=user, action="view")
    if action != "view":
        contact_require_perm(user=user, action=action)
    contact = with_detail_relations(Contact.objects.filter(pk=contact_id)).first()
    if contact is None:
        raise NotFound(detail=_("No such contact."))
    return contact


@dataclass
class ContactPage:
    items: list[Contact]
    next_cursor: str | None
    total: int | None


def _encode_cursor(contact: Contact) -> str:
    return base64.urlsafe_b64encode(f"{contact.name}\x00{contact.pk}".encode()).decode()


def _decode_cursor(cursor: str) -> tuple[str, int]:
    try:
        name, pk = base64.urlsafe_b64decode(cursor.encode()).decode().split("\x00")
        return name, int(pk)
    except (ValueError, UnicodeDecodeError, binascii.Error) as exc:
        raise ValidationFailed.on("cursor", _("The cursor is not valid.")) from exc


def contact_list(
    *,
    user: User,
    q: str = "",
    kind: str = "",
    status: str = "",
    tag: str = "",
    segment: str = "",
    flag: int | None = None,
    owner: int | None = None,
    cursor: str = "",
    limit: int = 25,
    with_total: bool = True,
) -> ContactPage:
    """A page of contacts by name, with keyset pagination (stable and fast on millions of rows)."""
    qs = contact_queryset_for_user(user=user)
    if q.strip():
        qs = qs.filter(pk__in=contact_search_ids(text=q, limit=1000))
    if kind:
        qs = qs.filter(kind=kind)
    if status:
        qs = qs.filter(status=status)
    if tag:
        qs = qs.filter(tags__name=tag)
    if segment:
        qs = qs.filter(segments__name=segment)
    if flag:
        qs = qs.filter(flags__flag_type_id=flag)
    if owner:
        qs = qs.filter(owner_id=owner)
    total = qs.count() if with_total else None
    if cursor:
        name, pk = _decode_cursor(cursor)
        qs = qs.filter(Q(name__gt=name) | Q(name=name, pk__gt=pk))
    items = list(with_list_relations(qs.order_by("name", "pk"))[: limit + 1])
    next_cursor = _encode_cursor(items[limit - 1]) if len(items) > limit else None
    return ContactPage(items=items[:limit], next_cursor=next_cursor, total=total)


def contact_search_ids(*, text: str, limit: int = 20) -> list[int]:
    """Ids of contacts matching a name, organisation, email or phone, best matches first."""
    text = text.strip()
    if not text:
        return []
    ids: list[int] = []
    if looks_like_phone(text):
        try:
            e164 = normalize_phone(text)
        except ValueError:
            e164 = ""
        if e164:
            ids.extend(
                Identity.objects.filter(kind__in=("phone", "whatsapp"), value=e164)
                .values_list("contact_id", flat=True)[:limit]
            )
    if "@" in text:
        try:
            email = normalize_email(text)
        except ValueError:
            email = ""
        if email:
            ids.extend(Identity.objects.filter(kind="email", value=email).values_list("contact_id", flat=True)[:limit])
    normalized = normalize_text(text)
    if len(ids) < limit:
        found = search.search_filter(Contact.objects.all(), normalized, limit=limit * 5)
        ids.extend(found.order_by("name", "pk").values_list("pk", flat=True)[: limit * 2])
    if not ids:
        ids.extend(
            search.similar_filter(Contact.objects.all(), normalized).values_list("pk", flat=True)[:limit]
        )
    return list(dict.fromkeys(ids))[:limit]


def contact_search(*, user: User, text: str, limit: int = 20) -> list[Contact]:
    contact_require_perm(user=user, action="view")
    ids = contact_search_ids(text=text, limit=limit)
    by_id = {c.pk: c for c in with_list_relations(Contact.objects.filter(pk__in=ids))}
    return [by_id[i] for i in ids if i in by_id]


def contact_lookup(*, user: User, phone: str | None = None, email: str | None = None) -> list[Contact]:
    """Contacts owning this phone number or email, written in any format (R-003.5). Raises ValidationFailed."""
    contact_require_perm(user=user, action="view")
    return contact_lookup_unscoped(phone=phone, email=email)


def contact_lookup_unscoped(*, phone: str | None = None, email: str | None = None) -> list[Contact]:
    """For channels and telephony that act on behalf of the system rather than a viewer."""
    if not phone and not email:
        raise ValidationFailed.on("phone", _("Give a phone number or an email address."))
    query = Q()
    if phone:
        try:
            query |= Q(kind__in=("phone", "whatsapp"), value=normalize_phone(phone))
        except ValueError as exc:
            raise ValidationFailed.on("phone", _("This is not a phone number.")) from exc
    if email:
        try:
            query |= Q(kind="email", value=normalize_email(email))
        except ValueError as exc:
            raise ValidationFailed.on("email", _("This is not an email address.")) from exc
    ids = list(dict.fromkeys(Identity.objects.filter(query).values_list("contact_id", flat=True)[:50]))
    return list(with_list_relations(Contact.objects.filter(pk__in=ids)).order_by("name", "pk"))


def flag_type_list() -> QuerySet[FlagType]:
    return FlagType.objects.filter(is_active=True).order_by("-severity", "name")


def organisation_choices(*, user: User, text: str = "", limit: int = 20) -> list[Contact]:
    contact_require_perm(user=user, action="view")
    qs = Contact.objects.filter(kind=Contact.Kind.ORGANISATION)
    if text:
        qs = search.search_filter(qs, normalize_text(text))
    return list(qs.order_by("name")[:limit])


def import_job_get_for_user(*, user: User, job_id: int) -> ImportJob:
    contact_require_perm(user=user, action="import")
    job = ImportJob.objects.filter(pk=job_id).first()
    if job is None:
        raise NotFound(detail=_("No such import."))
    if job.created_by_id != user.pk and not user.is_superuser:
        raise PermissionDenied(detail=_("This import belongs to someone else."))
    return job


def contact_stats(*, user: User) -> dict[str, Any]:
    from django.db.models import Count

    contact_require_perm(user=user, action="view")
    by_status = dict(Contact.objects.values_list("status").annotate(n=Count("id")).values_list("status", "n"))
    flagged = ContactFlag.objects.filter(flag_type__is_active=True).values("contact").distinct().count()
    return {"by_status": by_status, "total": sum(by_status.values()), "flagged": flagged}


def contact_recent(*, user: User, limit: int = 10, owner: User | None = None) -> list[Contact]:
    qs = contact_queryset_for_user(user=user)
    if owner is not None:
        qs = qs.filter(owner=owner)
    return list(with_list_relations(qs.order_by("-updated_at", "-pk"))[:limit])
