"""Every read of contacts, scoped to what the viewer may see and already joined."""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cache
from itertools import batched
from typing import Any

from django.db import connection
from django.db.models import Case, IntegerField, Prefetch, Q, QuerySet, Value, When
from django.utils import timezone
from django.utils.translation import gettext as _

from payvand.accounts.models import User
from payvand.contacts import exchange
from payvand.contacts.models import (
    Address,
    Affiliation,
    Contact,
    ContactFlag,
    CustomField,
    FlagType,
    Identity,
    ImportJob,
)
from payvand.contacts.normalize import looks_like_phone, normalize_email, normalize_phone, normalize_text
from payvand.core import search
from payvand.core.errors import NotFound, PermissionDenied, ValidationFailed
from payvand.core.localization import to_ascii_digits

_PHONE_PREFIX = re.compile(r"\+?[\d\s\-().]+")

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
        Prefetch(
            "affiliations",
            queryset=Affiliation.objects.select_related("organisation").order_by("-is_primary", "organisation__name"),
        ),
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
        number = int(pk)
        if not 0 < number < 2**63:  # a forged id would overflow the database's integer
            raise ValueError(pk)
        return name, number
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
    if "\x00" in tag + segment:  # no stored name holds a NUL, and PostgreSQL refuses one even in a query
        qs = qs.none()
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
    if not text or "\x00" in text:  # nothing stored holds a NUL, and PostgreSQL refuses one even in a query
        return []
    ids: list[int] = []
    if looks_like_phone(text):
        try:
            e164 = normalize_phone(text)
        except ValueError:
            e164 = ""
        if e164:
            ids.extend(
                Identity.objects.filter(kind__in=("phone", "whatsapp"), value=e164).values_list(
                    "contact_id", flat=True
                )[:limit]
            )
    if "@" in text:
        try:
            email = normalize_email(text)
        except ValueError:
            email = ""
        if email:
            ids.extend(Identity.objects.filter(kind="email", value=email).values_list("contact_id", flat=True)[:limit])
    normalized = normalize_text(text)
    digits = to_ascii_digits(text)
    if _PHONE_PREFIX.fullmatch(digits.strip()) and sum(ch.isdigit() for ch in digits) >= 3:
        # A phone number being typed (+36 30 12, 0912 12): one prefix of the digits as stored in search_text.
        normalized = re.sub(r"\D", "", digits)
        normalized = normalized[2:] if digits.lstrip("( ").startswith("00") else normalized
    if len(ids) < limit:
        found = search.search_filter(Contact.objects.all(), normalized, limit=limit * 5)
        # Contacts whose own name matches come before those found by their organisation, email or phone.
        rank = Case(
            When(search_text__startswith=normalized, then=Value(0)),
            When(name__icontains=text, then=Value(1)),
            default=Value(2),
            output_field=IntegerField(),
        )
        ids.extend(found.alias(_rank=rank).order_by("_rank", "name", "pk").values_list("pk", flat=True)[: limit * 2])
    if not ids:
        ids.extend(search.similar_filter(Contact.objects.all(), normalized).values_list("pk", flat=True)[:limit])
    return list(dict.fromkeys(ids))[:limit]


def contact_search(*, user: User, text: str, limit: int = 20) -> list[Contact]:
    contact_require_perm(user=user, action="view")
    ids = contact_search_ids(text=text, limit=limit)
    by_id = {c.pk: c for c in with_list_relations(Contact.objects.filter(pk__in=ids))}
    return [by_id[i] for i in ids if i in by_id]


def _lookup_matches(*, phone: str | None, email: str | None) -> list[tuple[tuple[str, ...], str]]:
    """The (identity kinds, normalised value) pairs a lookup by phone and/or email searches for. Raises
    ValidationFailed."""
    if not phone and not email:
        raise ValidationFailed.on("phone", _("Give a phone number or an email address."))
    matches: list[tuple[tuple[str, ...], str]] = []
    if phone:
        try:
            matches.append((("phone", "whatsapp"), normalize_phone(phone)))
        except ValueError as exc:
            raise ValidationFailed.on("phone", _("This is not a phone number.")) from exc
    if email:
        try:
            matches.append((("email",), normalize_email(email)))
        except ValueError as exc:
            raise ValidationFailed.on("email", _("This is not an email address.")) from exc
    return matches


def contact_lookup(*, user: User, phone: str | None = None, email: str | None = None) -> list[Contact]:
    """Contacts owning this phone number or email, written in any format (R-003.5). Raises ValidationFailed."""
    contact_require_perm(user=user, action="view")
    return contact_lookup_unscoped(phone=phone, email=email)


def contact_lookup_unscoped(*, phone: str | None = None, email: str | None = None) -> list[Contact]:
    """For channels and telephony that act on behalf of the system rather than a viewer."""
    query = Q()
    for kinds, value in _lookup_matches(phone=phone, email=email):
        query |= Q(kind__in=kinds, value=value)
    ids = list(dict.fromkeys(Identity.objects.filter(query).values_list("contact_id", flat=True)[:50]))
    return list(with_list_relations(Contact.objects.filter(pk__in=ids)).order_by("name", "pk"))


# ---- caller ID: the lean lookup behind GET /api/v1/contacts/lookup


@dataclass(frozen=True, slots=True)
class FlagSummary:
    id: int
    name: str
    description: str
    colour: str
    icon: str
    severity: int


@dataclass(slots=True)
class ContactSummary:
    """What caller ID and inbound mail need of a contact: no model instance, no prefetch."""

    id: int
    kind: str
    name: str
    status: str
    emails: list[str] = field(default_factory=list)
    phones: list[str] = field(default_factory=list)
    flags: list[FlagSummary] = field(default_factory=list)


LOOKUP_LIMIT = 50  # identity rows matched; a number shared by more contacts than this is not a caller ID


@cache
def _summary_sql(vendor: str) -> tuple[str, str]:
    """The lookup statement, built once from the models' tables, and the condition for one (kinds, value) match.
    One statement with a row per identity and flag of each contact found: the ORM would spend about 1 ms of CPU
    compiling each query, several times what these indexed reads cost the database, and a screen-pop has a 5 ms
    budget (docs/benchmarks.md)."""
    qn = connection.ops.quote_name
    contact, identity, flag, flag_type = (qn(m._meta.db_table) for m in (Contact, Identity, ContactFlag, FlagType))
    matches = f"SELECT m.contact_id FROM {identity} m WHERE {{where}} LIMIT {LOOKUP_LIMIT}"  # noqa: S608
    # On PostgreSQL the matching ids are an array computed first, not a join: planning the semi-join took longer
    # than running the whole statement.
    found = f"c.id = ANY(ARRAY({matches}))" if vendor == "postgresql" else f"c.id IN ({matches})"
    statement = (  # table names from the models; every value is a parameter
        "SELECT c.id, c.kind, c.name, c.status, i.id, i.kind, i.value,"  # noqa: S608
        " t.id, t.name, t.description, t.colour, t.icon, t.severity"
        f" FROM {contact} c"
        f" LEFT JOIN {identity} i ON i.contact_id = c.id AND i.kind IN ('email', 'phone')"
        f" LEFT JOIN {flag} f ON f.contact_id = c.id"
        f" LEFT JOIN {flag_type} t ON t.id = f.flag_type_id AND t.is_active = %s"
        f" WHERE {found}"
        # The orders of contact_lookup: contacts by name, identities as Identity.Meta, flags as ContactFlag.Meta.
        " ORDER BY c.name, c.id, i.kind, i.is_primary DESC, i.id, t.severity DESC, t.name"
    )
    return statement, "(m.kind IN ({kinds}) AND m.value = %s)"


def contact_lookup_summaries(*, user: User, phone: str | None = None, email: str | None = None) -> list[ContactSummary]:
    """`contact_lookup` for screens that show a contact's name, status, emails, phones and flags: the contacts
    owning this phone number or email, by name. Raises PermissionDenied, ValidationFailed."""
    contact_require_perm(user=user, action="view")
    return contact_lookup_summaries_unscoped(phone=phone, email=email)


def contact_lookup_summaries_unscoped(*, phone: str | None = None, email: str | None = None) -> list[ContactSummary]:
    """The contacts owning this phone number or email (any format), by name, as summaries: one indexed query
    through a bare cursor. Raises ValidationFailed."""
    matches = _lookup_matches(phone=phone, email=email)
    statement, match = _summary_sql(connection.vendor)
    params: list[Any] = [True]
    for kinds, value in matches:
        params += [*kinds, value]
    where = " OR ".join(match.format(kinds=", ".join(["%s"] * len(kinds))) for kinds, _value in matches)
    found: dict[int, ContactSummary] = {}
    # A contact's row repeats for each identity × flag pair: keep the first of each, in the statement's order.
    identities_seen: set[int] = set()
    flags_seen: set[tuple[int, int]] = set()
    with connection.cursor() as cursor:
        cursor.execute(statement.format(where=where), params)
        rows = cursor.fetchall()
    for pk, kind, name, status, identity_id, identity_kind, value, flag_id, *flag in rows:
        summary = found.get(pk)
        if summary is None:
            summary = found[pk] = ContactSummary(id=pk, kind=kind, name=name, status=status)
        if identity_id is not None and identity_id not in identities_seen:
            identities_seen.add(identity_id)
            (summary.emails if identity_kind == "email" else summary.phones).append(value)
        if flag_id is not None and (pk, flag_id) not in flags_seen:
            flags_seen.add((pk, flag_id))
            summary.flags.append(FlagSummary(flag_id, *flag))
    return list(found.values())


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


# ---------------------------------------------------------------------------------------------- import and export
# ---- import and export


def import_job_list_for_user(*, user: User, limit: int = 10) -> list[ImportJob]:
    """The user's most recent imports."""
    contact_require_perm(user=user, action="import")
    return list(ImportJob.objects.filter(created_by=user).order_by("-created_at", "-pk")[:limit])


def import_job_awaiting_mapping(job: ImportJob) -> bool:
    """An uploaded file whose column mapping has not been confirmed yet."""
    return job.status == ImportJob.Status.PENDING and not job.mapping.get("started")


def import_targets() -> list[tuple[str, str]]:
    """(target, label) of every field a column can be mapped to, custom fields included."""
    return exchange.import_targets(list(CustomField.objects.values_list("key", "label")))


@dataclass
class ImportPreviewRow:
    number: int
    cells: list[str]
    problem: str = ""  # why the row cannot be read at all (a broken vCard)


@dataclass
class ImportPreview:
    headers: list[str]
    columns: list[str]
    rows: list[ImportPreviewRow]
    problem: str = ""


def import_job_preview(*, job: ImportJob, limit: int = 10) -> ImportPreview:
    """The first rows of the job's file with the current column mapping."""
    headers: list[str] = list(job.mapping.get("headers", []))
    columns: list[str] = list(job.mapping.get("columns", []))
    columns += [""] * (len(headers) - len(columns))
    if not job.file:
        return ImportPreview(headers, columns, [], _("The uploaded file is no longer kept."))
    try:
        with job.file.open("rb") as fh:
            headers, rows = exchange.read_preview(fh, job.format, limit=limit)
    except (exchange.FileProblem, OSError) as exc:
        return ImportPreview(headers, columns, [], str(exc))
    return ImportPreview(
        headers,
        columns,
        [
            ImportPreviewRow(n, [], c.message) if isinstance(c, exchange.BadRow) else ImportPreviewRow(n, c)
            for n, c in rows
        ],
    )


def contact_filter(
    qs: QuerySet[Contact],
    *,
    q: str = "",
    kind: str = "",
    status: str = "",
    tag: str = "",
    segment: str = "",
    flag: int | None = None,
    owner: int | None = None,
) -> QuerySet[Contact]:
    """The contact list's filters (the export applies the same ones)."""
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
    if "\x00" in tag + segment:  # no stored name holds a NUL, and PostgreSQL refuses one even in a query
        qs = qs.none()
    if flag:
        qs = qs.filter(flags__flag_type_id=flag)
    if owner:
        qs = qs.filter(owner_id=owner)
    return qs


def contact_export_queryset(*, user: User, **filters: Any) -> QuerySet[Contact]:
    """The contacts to export, in the list's order. Raises PermissionDenied without the export permission."""
    contact_require_perm(user=user, action="export")
    return contact_filter(contact_queryset_for_user(user=user), **filters).order_by("name", "pk")


def contact_export_records(qs: QuerySet[Contact], *, chunk_size: int = 2000) -> Iterator[exchange.ExportRecord]:
    """The contacts of `qs` with their identities, attributes, primary organisation and first address, read chunk
    by chunk with one query per relation and chunk, so that memory stays flat and the cost stays low."""
    columns = (
        "pk",
        "name",
        "kind",
        "status",
        "rating",
        "source",
        "owner__email",
        "notes",
        "custom",
        "created_at",
        "updated_at",
    )
    for chunk in batched(qs.values_list(*columns).iterator(chunk_size=chunk_size), chunk_size):
        records = {
            row[0]: exchange.ExportRecord(
                id=row[0],
                name=row[1],
                kind=row[2],
                status=row[3],
                rating=row[4],
                source=row[5],
                owner=row[6] or "",
                notes=row[7],
                custom=row[8] or {},
                created_at=row[9],
                updated_at=row[10],
            )
            for row in chunk
        }
        ids = list(records)
        for contact_id, kind, value in (
            Identity.objects.filter(contact_id__in=ids)
            .order_by("contact_id", "kind", "-is_primary", "id")
            .values_list("contact_id", "kind", "value")
        ):
            records[contact_id].identities.append((kind, value))
        for relation in ("tags", "segments", "interests"):
            through = getattr(Contact, relation).through
            target = getattr(Contact, relation).field.m2m_reverse_field_name()
            for contact_id, name in (
                through.objects.filter(contact_id__in=ids)
                .order_by(f"{target}__name")
                .values_list("contact_id", f"{target}__name")
            ):
                getattr(records[contact_id], relation).append(name)
        for person_id, organisation, role in (
            Affiliation.objects.filter(person_id__in=ids)
            .order_by("person_id", "-is_primary", "organisation__name", "id")
            .values_list("person_id", "organisation__name", "role")
        ):
            if not records[person_id].organisation:
                records[person_id].organisation, records[person_id].role = organisation, role
        for address in Address.objects.filter(contact_id__in=ids).order_by("contact_id", "id"):
            if records[address.contact_id].address is None:
                records[address.contact_id].address = exchange.ExportAddress(
                    street=address.street,
                    city=address.city,
                    region=address.region,
                    postcode=address.postcode,
                    country=address.country,
                    latitude=address.latitude,
                    longitude=address.longitude,
                )
        yield from records.values()


@dataclass
class ExportFile:
    filename: str
    content_type: str
    chunks: Iterator[bytes]


EXPORT_CHUNK_SIZE = 2000


def contact_export_file(*, user: User, fmt: str, version: str = "3.0", **filters: Any) -> ExportFile:
    """The matching contacts as CSV, XLSX or vCard, produced lazily chunk by chunk so that memory stays flat.
    Raises PermissionDenied without the export permission, ValidationFailed for an unknown format."""
    if fmt not in exchange.CONTENT_TYPES:
        raise ValidationFailed.on("format", _("Choose csv, xlsx or vcf."))
    if fmt == exchange.VCARD and version not in exchange.VCARD_VERSIONS:
        raise ValidationFailed.on("version", _("Choose vCard version 3.0 or 4.0."))
    qs = contact_export_queryset(user=user, **filters)
    custom_keys = list(CustomField.objects.order_by("order", "key").values_list("key", flat=True))
    contacts = contact_export_records(qs, chunk_size=EXPORT_CHUNK_SIZE)
    if fmt == exchange.CSV:
        chunks = exchange.csv_chunks(contacts, custom_keys)
    elif fmt == exchange.XLSX:
        chunks = exchange.xlsx_chunks(contacts, custom_keys)
    else:
        chunks = exchange.vcard_chunks(contacts, version)
    stamp = timezone.now().strftime("%Y%m%d-%H%M")
    return ExportFile(filename=f"contacts-{stamp}.{fmt}", content_type=exchange.CONTENT_TYPES[fmt], chunks=chunks)


# --- The 360° page layout per team ------------------------------------------------------------------------------


def contact_page_layout_for_user(*, user: User) -> list[str]:
    """The section keys of the viewer's 360° page: the layout of the first of their teams (in the order they joined)
    that has one, else the default layout."""
    from payvand.contacts.models import ContactPageLayout
    from payvand.contacts.sections import default_layout, layout_clean

    layout = (
        ContactPageLayout.objects.filter(team__memberships__user=user)
        .order_by("team__memberships__pk")
        .values_list("sections", flat=True)
        .first()
    )
    return layout_clean(list(layout)) if layout is not None else default_layout()


def contact_page_layouts(*, user: User) -> list[tuple[Any, list[str] | None]]:
    """Every team with its layout's keys (None: the default), for the admin page and the API."""
    from payvand.accounts.models import Team

    layout_require_perm(user=user)
    teams = Team.objects.select_related("contact_page_layout").order_by("name", "pk")
    out: list[tuple[Any, list[str] | None]] = []
    for team in teams:
        layout = getattr(team, "contact_page_layout", None)
        out.append((team, list(layout.sections) if layout is not None else None))
    return out


LAYOUT_PERM = "contacts.change_contactpagelayout"


def layout_require_perm(*, user: User) -> None:
    if not user.is_authenticated or not user.has_perm(LAYOUT_PERM):
        raise PermissionDenied(detail=_("You may not change the 360° page layouts."))


def team_get_for_layout(*, user: User, team_id: int) -> Any:
    from payvand.accounts.models import Team

    layout_require_perm(user=user)
    team = Team.objects.filter(pk=team_id).first()
    if team is None:
        raise NotFound(detail=_("No such team."))
    return team
