"""Every write to customer records: one function per use case, atomic, each leaving an Event."""

from __future__ import annotations

import json
import logging
import re
import uuid
from collections.abc import Callable, Generator, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from functools import partial
from typing import Any, cast

from django.conf import settings
from django.core.files import File
from django.db import IntegrityError, connection, models, transaction
from django.db.models import F, ProtectedError, Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from rapidfuzz import fuzz

from payvand.accounts.models import Team, User
from payvand.contacts import customfields, exchange
from payvand.contacts.customfields import clean_custom_values
from payvand.contacts.models import (
    Address,
    Affiliation,
    Contact,
    ContactFlag,
    CustomField,
    FlagType,
    Identity,
    ImportJob,
    Interest,
    Segment,
    Tag,
)
from payvand.contacts.normalize import normalize_identity, normalize_phone_forms, normalize_text, phone_national
from payvand.core import readahead, search
from payvand.core.errors import Conflict, FieldError, NotFound, PayvandError, ValidationFailed
from payvand.core.localization import to_ascii_digits
from payvand.core.models import Event
from payvand.core.services import event_record

IDENTITY_KINDS = {k for k, _label in Identity.Kind.choices}
NAME_SIMILARITY = 88


@dataclass
class IdentityIn:
    kind: str
    value: str
    label: str = ""


@dataclass
class AddressIn:
    label: str = ""
    street: str = ""
    city: str = ""
    region: str = ""
    postcode: str = ""
    country: str = ""
    latitude: Any = None
    longitude: Any = None


@dataclass
class DuplicateMatch:
    contact: Contact
    reasons: list[str] = field(default_factory=list)
    score: int = 0


# ---------------------------------------------------------------------------------------------- identities


def identities_clean(
    *, emails: Iterable[str] = (), phones: Iterable[str] = (), others: Iterable[IdentityIn] = ()
) -> tuple[list[IdentityIn], list[FieldError]]:
    """Normalise every identity; collect an error per bad value (field `emails.0`, `phones.1`, ...)."""
    clean: list[IdentityIn] = []
    errors: list[FieldError] = []
    seen: set[tuple[str, str]] = set()
    items: list[tuple[str, IdentityIn]] = [(f"emails.{i}", IdentityIn("email", v)) for i, v in enumerate(emails)]
    items += [(f"phones.{i}", IdentityIn("phone", v)) for i, v in enumerate(phones)]
    items += [(f"identities.{i}", o) for i, o in enumerate(others)]
    messages = {
        "email": _("This is not a valid email address."),
        "phone": _("This is not a valid phone number."),
        "whatsapp": _("This is not a valid phone number."),
    }
    for name, item in items:
        if item.kind not in IDENTITY_KINDS:
            errors.append(FieldError(name, _("Unknown identity kind.")))
            continue
        if not isinstance(item.value, str):
            errors.append(FieldError(name, messages.get(item.kind, _("This is not a valid handle."))))
            continue
        try:
            value = normalize_identity(item.kind, item.value)
        except ValueError:
            errors.append(FieldError(name, messages.get(item.kind, _("This is not a valid handle."))))
            continue
        if (item.kind, value) not in seen:
            seen.add((item.kind, value))
            clean.append(IdentityIn(item.kind, value, (item.label or "")[:40]))
    return clean, errors


def build_search_text(name: str, identities: Iterable[tuple[str, str]], organisations: Iterable[str] = ()) -> str:
    return _search_text(
        normalize_text(name),
        [(kind, value, phone_national(value) if kind in ("phone", "whatsapp") else "") for kind, value in identities],
        [normalize_text(o) for o in organisations],
    )


def _search_text(
    folded_name: str, identities: Iterable[tuple[str, str, str]], folded_organisations: Iterable[str]
) -> str:
    """build_search_text from parts already normalised: (kind, value, national form of a phone) identities."""
    parts = [folded_name]
    for kind, value, national in identities:
        if kind in ("phone", "whatsapp"):
            parts += [value.lstrip("+"), national]
        elif kind == "email":
            parts.append(value.replace("@", " ").replace(".", " ") + " " + value)
        else:
            parts.append(value)
    parts += folded_organisations
    return " ".join(p for p in parts if p)


def contact_refresh_search(*, contact_ids: Iterable[int]) -> None:
    """Recompute the denormalised search text of these contacts and their index entries."""
    ids = list(set(contact_ids))
    if not ids:
        return
    contacts = Contact.objects.filter(pk__in=ids).prefetch_related(
        "identities", models.Prefetch("affiliations", queryset=Affiliation.objects.select_related("organisation"))
    )
    rows = []
    changed = []
    for contact in contacts:
        text = build_search_text(
            contact.name,
            [(i.kind, i.value) for i in contact.identities.all()],
            [a.organisation.name for a in contact.affiliations.all()],
        )
        if text != contact.search_text:
            contact.search_text = text
            changed.append(contact)
        rows.append((contact.pk, text))
    Contact.objects.bulk_update(changed, ["search_text"], batch_size=500)
    search.index_rows(Contact, rows)


# ---------------------------------------------------------------------------------------------- attributes


def _names_to_objects[T: (Tag, Segment, Interest)](model: type[T], names: Iterable[str], field_name: str) -> list[T]:
    cleaned = []
    for raw in names:
        if not isinstance(raw, str):
            raise ValidationFailed.on(field_name, _("Each value must be text."))
        name = raw.strip()
        if not name:
            continue
        if len(name) > model._meta.get_field("name").max_length:  # type: ignore[operator]
            raise ValidationFailed.on(field_name, _("“%(name)s” is too long.") % {"name": name[:20]})
        cleaned.append(name)
    cleaned = list(dict.fromkeys(cleaned))
    existing = {o.name: o for o in model.objects.filter(name__in=cleaned)}
    missing = [model(name=n) for n in cleaned if n not in existing]
    if missing:
        model.objects.bulk_create(missing, ignore_conflicts=True)
        existing = {o.name: o for o in model.objects.filter(name__in=cleaned)}
    return [existing[n] for n in cleaned]


def _clean_address(a: AddressIn, index: int) -> tuple[Address | None, list[FieldError]]:
    values, errors = _address_values(a, index)
    return (Address(**values) if values is not None else None), errors


def _address_values(a: AddressIn, index: int) -> tuple[dict[str, Any] | None, list[FieldError]]:
    """The address's field values, validated (`addresses.<index>.<field>` errors)."""
    errors = []
    coords: dict[str, Decimal | None] = {}
    for name, low, high in (("latitude", -90, 90), ("longitude", -180, 180)):
        raw = getattr(a, name)
        if raw in (None, ""):
            coords[name] = None
            continue
        try:
            # 35.7, 35,7 (hu) and ۳۵٫۷ (fa) are the same coordinate; it never has thousands separators.
            text = to_ascii_digits(str(raw)).strip().replace("٫", ".").replace(",", ".")
            value = Decimal(text).quantize(Decimal("0.000001"))
        except (InvalidOperation, ValueError):
            errors.append(FieldError(f"addresses.{index}.{name}", _("Enter a number.")))
            continue
        if not value.is_finite() or not (low <= value <= high):
            errors.append(FieldError(f"addresses.{index}.{name}", _("Out of range.")))
            continue
        coords[name] = value
    if (coords.get("latitude") is None) != (coords.get("longitude") is None) and not errors:
        errors.append(FieldError(f"addresses.{index}.latitude", _("Give both latitude and longitude, or neither.")))
    country = (a.country or "").strip().upper()
    if country and (len(country) != 2 or not country.isalpha()):
        errors.append(FieldError(f"addresses.{index}.country", _("Use a two-letter country code such as IR or HU.")))
    limits = {"label": 40, "street": 255, "city": 100, "region": 100, "postcode": 20}
    for name, limit in limits.items():
        if len(getattr(a, name) or "") > limit:
            errors.append(FieldError(f"addresses.{index}.{name}", _("Too long.")))
    texts = (a.street, a.city, a.region, a.postcode, country)
    if not errors and not any((t or "").strip() for t in texts) and coords.get("latitude") is None:
        errors.append(FieldError(f"addresses.{index}", _("Give a street, city, postcode, country or coordinates.")))
    if errors:
        return None, errors
    return {
        "label": a.label or "",
        "street": a.street or "",
        "city": a.city or "",
        "region": a.region or "",
        "postcode": a.postcode or "",
        "country": country,
        "latitude": coords.get("latitude"),
        "longitude": coords.get("longitude"),
    }, []


def _validate_core(*, name: str | None, kind: str | None, status: str | None, rating: int | None) -> list[FieldError]:
    errors = []
    if name is not None and not name.strip():
        errors.append(FieldError("name", _("A name is required.")))
    elif name is not None and len(name.strip()) > 200:
        errors.append(FieldError("name", _("At most 200 characters.")))
    if kind is not None and kind not in Contact.Kind.values:
        errors.append(FieldError("kind", _("Choose person or organisation.")))
    if status is not None and status not in Contact.Status.values:
        errors.append(FieldError("status", _("Unknown status.")))
    if rating is not None and not (0 <= rating <= 5):
        errors.append(FieldError("rating", _("The rating is from 0 to 5.")))
    return errors


# ---------------------------------------------------------------------------------------------- duplicates


def contact_find_duplicates(
    *,
    name: str = "",
    emails: Sequence[str] = (),
    phones: Sequence[str] = (),
    exclude_id: int | None = None,
    limit: int = 10,
) -> list[DuplicateMatch]:
    """Likely duplicates: the same email or phone, or a very similar name (trigram candidates + rapidfuzz)."""
    from payvand.contacts.selectors import contact_search_ids, with_list_relations

    identities, _errors = identities_clean(emails=emails, phones=phones)
    matches: dict[int, DuplicateMatch] = {}
    values = [(i.kind, i.value) for i in identities]
    if values:
        q = models.Q()
        for kind, value in values:
            kinds = ("phone", "whatsapp") if kind == "phone" else (kind,)
            q |= models.Q(kind__in=kinds, value=value)
        for contact_id, kind, value in Identity.objects.filter(q).values_list("contact_id", "kind", "value")[:50]:
            m = matches.setdefault(contact_id, DuplicateMatch(contact=Contact()))
            m.reasons.append(
                _("same %(kind)s %(value)s") % {"kind": str(Identity.Kind(kind).label).lower(), "value": value}
            )
            m.score = 100
    wanted = normalize_text(name)
    if wanted:
        candidates = set(contact_search_ids(text=name, limit=50))
        words = search.tokens(wanted)
        if words:
            candidates |= set(contact_search_ids(text=max(words, key=len)[:4], limit=50))
        candidates |= set(search.similar_filter(Contact.objects.all(), wanted).values_list("pk", flat=True)[:50])
        for pk, other in Contact.objects.filter(pk__in=candidates).values_list("pk", "name"):
            score = int(fuzz.token_sort_ratio(wanted, normalize_text(other)))
            if score >= NAME_SIMILARITY:
                m = matches.setdefault(pk, DuplicateMatch(contact=Contact()))
                m.reasons.append(_("similar name (%(score)s%%)") % {"score": score})
                m.score = max(m.score, score)
    matches.pop(exclude_id or -1, None)
    contacts = {c.pk: c for c in with_list_relations(Contact.objects.filter(pk__in=list(matches)))}
    result = []
    for pk, m in sorted(matches.items(), key=lambda kv: -kv[1].score):
        if pk in contacts:
            m.contact = contacts[pk]
            result.append(m)
    return result[:limit]


# ---------------------------------------------------------------------------------------------- create / update


@transaction.atomic
def contact_create(
    *,
    by: User | None,
    name: str,
    kind: str = Contact.Kind.PERSON,
    emails: Sequence[str] = (),
    phones: Sequence[str] = (),
    identities: Sequence[IdentityIn] = (),
    status: str = Contact.Status.PROSPECT,
    rating: int = 0,
    source: str = "",
    owner: User | None = None,
    tags: Sequence[str] = (),
    segments: Sequence[str] = (),
    interests: Sequence[str] = (),
    custom: dict[str, Any] | None = None,
    notes: str = "",
    organisations: Sequence[tuple[Contact, str]] = (),
    addresses: Sequence[AddressIn] = (),
    flags: Sequence[tuple[FlagType, str]] = (),
    allow_duplicates: bool = False,
) -> Contact:
    """Create a person or organisation with its identities. Raises ValidationFailed, or Conflict with the likely
    duplicates unless `allow_duplicates`."""
    errors = _validate_core(name=name, kind=kind, status=status, rating=rating)
    clean_ids, id_errors = identities_clean(emails=emails, phones=phones, others=identities)
    errors += id_errors
    clean_custom, custom_errors = clean_custom_values(kind=kind, values=custom or {})
    errors += custom_errors
    clean_addresses = []
    for index, a in enumerate(addresses):
        address, address_errors = _clean_address(a, index)
        errors += address_errors
        if address is not None:
            clean_addresses.append(address)
    if len(source) > 100:
        errors.append(FieldError("source", _("At most 100 characters.")))
    for org, _role in organisations:
        if org.kind != Contact.Kind.ORGANISATION:
            errors.append(FieldError("organisations", _("“%(name)s” is not an organisation.") % {"name": org.name}))
    if errors:
        raise ValidationFailed(detail=_("Some fields are not valid."), errors=errors)
    if not allow_duplicates:
        duplicates = contact_find_duplicates(
            name=name,
            emails=[i.value for i in clean_ids if i.kind == "email"],
            phones=[i.value for i in clean_ids if i.kind in ("phone", "whatsapp")],
        )
        if duplicates:
            raise Conflict(
                detail=_("This contact looks like one that already exists."),
                errors=[FieldError(None, f"{d.contact.name}: {', '.join(d.reasons)}") for d in duplicates],
                extra={
                    "duplicates": [
                        {"id": d.contact.pk, "name": d.contact.name, "reasons": d.reasons, "score": d.score}
                        for d in duplicates
                    ]
                },
            )
    contact = Contact.objects.create(
        kind=kind,
        name=name.strip(),
        status=status,
        rating=rating,
        source=source.strip(),
        owner=owner,
        custom=clean_custom,
        notes=notes,
    )
    _attach_identities(contact, clean_ids)
    if tags:
        contact.tags.set(_names_to_objects(Tag, tags, "tags"))
    if segments:
        contact.segments.set(_names_to_objects(Segment, segments, "segments"))
    if interests:
        contact.interests.set(_names_to_objects(Interest, interests, "interests"))
    for address in clean_addresses:
        address.contact = contact
    Address.objects.bulk_create(clean_addresses)
    Affiliation.objects.bulk_create(
        [
            Affiliation(person=contact, organisation=org, role=role[:100], is_primary=i == 0)
            for i, (org, role) in enumerate(organisations)
        ]
    )
    ContactFlag.objects.bulk_create(
        [ContactFlag(contact=contact, flag_type=ft, note=note[:255], created_by=by) for ft, note in flags]
    )
    contact_refresh_search(contact_ids=[contact.pk])
    event_record(
        actor=by, verb="contact.created", target=contact, contact=contact, data={"name": contact.name, "kind": kind}
    )
    return contact


def _attach_identities(contact: Contact, identities: Sequence[IdentityIn]) -> None:
    first_of_kind: set[str] = set(contact.identities.filter(is_primary=True).values_list("kind", flat=True))
    rows = []
    for item in identities:
        rows.append(
            Identity(
                contact=contact,
                kind=item.kind,
                value=item.value,
                label=item.label,
                is_primary=item.kind not in first_of_kind,
            )
        )
        first_of_kind.add(item.kind)
    Identity.objects.bulk_create(rows, ignore_conflicts=True)


def _ensure_primaries(contact: Contact, kinds: Iterable[str]) -> None:
    """Each kind of identity the contact has keeps one primary: the oldest one, when the primary went away."""
    rows = (
        Identity.objects.filter(contact=contact, kind__in=list(kinds))
        .order_by("id")
        .values_list("pk", "kind", "is_primary")
    )
    with_primary = {kind for _pk, kind, is_primary in rows if is_primary}
    first: dict[str, int] = {}
    for pk, kind, _is_primary in rows:
        first.setdefault(kind, pk)
    promote = [pk for kind, pk in first.items() if kind not in with_primary]
    if promote:
        Identity.objects.filter(pk__in=promote).update(is_primary=True)


UPDATABLE = (
    "name",
    "kind",
    "status",
    "rating",
    "source",
    "owner",
    "notes",
    "custom",
    "tags",
    "segments",
    "interests",
    "emails",
    "phones",
    "identities",
)


@transaction.atomic
def contact_update(*, contact: Contact, by: User | None, version: int | None = None, **changes: Any) -> Contact:
    """Change some attributes. `version` (if given) must match, or the edit conflicts with someone else's.
    `emails` and `phones` replace the contact's emails and phones; `identities` replaces its social handles."""
    unknown = set(changes) - set(UPDATABLE)
    if unknown:
        raise ValidationFailed.on(sorted(unknown)[0], _("This field cannot be changed here."))
    locked = Contact.objects.select_for_update().filter(pk=contact.pk).first()
    if locked is None:
        raise NotFound(detail=_("No such contact."))
    if version is not None and locked.version != version:
        raise Conflict(
            detail=_("Someone else changed this contact meanwhile. Reload it and try again."),
            errors=[FieldError("version", _("Expected version %(v)s.") % {"v": locked.version})],
        )
    kind = changes.get("kind", locked.kind)
    errors = _validate_core(
        name=changes.get("name"), kind=changes.get("kind"), status=changes.get("status"), rating=changes.get("rating")
    )
    replace_ids = any(k in changes for k in ("emails", "phones", "identities"))
    clean_ids: list[IdentityIn] = []
    if replace_ids:
        clean_ids, id_errors = identities_clean(
            emails=changes.get("emails") or [],
            phones=changes.get("phones") or [],
            others=changes.get("identities") or [],
        )
        errors += id_errors
    clean_custom: dict[str, Any] | None = None
    if "custom" in changes:
        merged = {**locked.custom, **(changes["custom"] or {})}
        merged = {k: v for k, v in merged.items() if v not in (None, "")}
        clean_custom, custom_errors = clean_custom_values(kind=kind, values=merged)
        errors += custom_errors
    if (
        kind != locked.kind
        and kind in Contact.Kind.values
        and (locked.affiliations.exists() or locked.members.exists())
    ):
        errors.append(FieldError("kind", _("Unlink its people and organisations before changing its kind.")))
    if "source" in changes and len(changes["source"] or "") > 100:
        errors.append(FieldError("source", _("At most 100 characters.")))
    if errors:
        raise ValidationFailed(detail=_("Some fields are not valid."), errors=errors)

    before = {"name": locked.name, "status": locked.status, "rating": locked.rating}
    fields = ["version", "updated_at"]
    for simple in ("name", "kind", "status", "rating", "source", "owner", "notes"):
        if simple in changes:
            value = changes[simple]
            setattr(locked, simple, value.strip() if isinstance(value, str) and simple != "notes" else value)
            fields.append(simple if simple != "owner" else "owner")
    if clean_custom is not None:
        locked.custom = clean_custom
        fields.append("custom")
    locked.version = F("version") + 1
    locked.save(update_fields=fields)
    locked.refresh_from_db(fields=["version"])
    if "tags" in changes:
        locked.tags.set(_names_to_objects(Tag, changes["tags"] or [], "tags"))
    if "segments" in changes:
        locked.segments.set(_names_to_objects(Segment, changes["segments"] or [], "segments"))
    if "interests" in changes:
        locked.interests.set(_names_to_objects(Interest, changes["interests"] or [], "interests"))
    if replace_ids:
        kinds: set[str] = set()
        if "emails" in changes:
            kinds.add("email")
        if "phones" in changes:
            kinds.add("phone")
        if "identities" in changes:
            kinds |= IDENTITY_KINDS - {"email", "phone"}
        wanted = {(i.kind, i.value) for i in clean_ids}
        current = locked.identities.filter(kind__in=kinds).values_list("pk", "kind", "value")
        Identity.objects.filter(pk__in=[pk for pk, k, v in current if (k, v) not in wanted]).delete()
        existing = set(locked.identities.values_list("kind", "value"))
        _attach_identities(locked, [i for i in clean_ids if (i.kind, i.value) not in existing])
        firsts: dict[str, str] = {}
        for item in clean_ids:
            firsts.setdefault(item.kind, item.value)
        for id_kind, first_value in firsts.items():  # the first of each kind in the new list is the primary
            locked.identities.filter(kind=id_kind).update(
                is_primary=models.Case(models.When(value=first_value, then=True), default=False)
            )
    refresh = [locked.pk]
    if "name" in changes and locked.kind == Contact.Kind.ORGANISATION:
        refresh += list(locked.members.values_list("person_id", flat=True))
    contact_refresh_search(contact_ids=refresh)
    after = {"name": locked.name, "status": locked.status, "rating": locked.rating}
    changed = {k: [before[k], after[k]] for k in before if before[k] != after[k]}
    event_record(
        actor=by,
        verb="contact.updated",
        target=locked,
        contact=locked,
        data={"fields": sorted(set(changes)), "changed": changed},
    )
    return locked


@transaction.atomic
def contact_delete(*, contact: Contact, by: User | None) -> None:
    pk = contact.pk
    members = list(Affiliation.objects.filter(organisation_id=pk).values_list("person_id", flat=True))
    event_record(actor=by, verb="contact.deleted", target=contact, data={"name": contact.name, "id": pk})
    Event.objects.filter(contact_id=pk).update(contact=None)
    try:
        with transaction.atomic():
            contact.delete()
    except ProtectedError as exc:
        raise Conflict(
            detail=_("This contact still has tickets or projects: merge it into another contact instead."),
        ) from exc
    search.unindex(Contact, [pk])
    contact_refresh_search(contact_ids=members)  # they no longer match the organisation's name


# ---------------------------------------------------------------------------------------------- merge


@transaction.atomic
def contact_merge(*, primary: Contact, duplicate: Contact, by: User | None) -> Contact:
    """Move every identity and related record of `duplicate` onto `primary`, then delete `duplicate`.

    Related records are found through the model graph, so apps added later (tickets, deals, calls) move too.
    """
    if primary.pk == duplicate.pk:
        raise ValidationFailed.on("duplicate_id", _("A contact cannot be merged into itself."))
    pair = {c.pk: c for c in Contact.objects.select_for_update().filter(pk__in=[primary.pk, duplicate.pk])}
    if len(pair) != 2:
        raise NotFound(detail=_("No such contact."))
    primary, duplicate = pair[primary.pk], pair[duplicate.pk]
    if primary.kind != duplicate.kind:
        raise ValidationFailed.on("duplicate_id", _("A person and an organisation cannot be merged."))
    snapshot = {
        "id": duplicate.pk,
        "name": duplicate.name,
        "identities": list(duplicate.identities.values_list("kind", "value")),
    }
    # Rows that would collide with a unique constraint on the primary are dropped first.
    existing_ids = set(primary.identities.values_list("kind", "value"))
    for identity in duplicate.identities.all():
        if (identity.kind, identity.value) in existing_ids:
            identity.delete()
    duplicate.identities.update(contact=primary, is_primary=False)
    primary_flags = set(primary.flags.values_list("flag_type_id", flat=True))
    duplicate.flags.filter(flag_type_id__in=primary_flags).delete()
    primary_orgs = set(primary.affiliations.values_list("organisation_id", flat=True)) | {primary.pk}
    duplicate.affiliations.filter(organisation_id__in=primary_orgs).delete()
    primary_people = set(primary.members.values_list("person_id", flat=True)) | {primary.pk}
    duplicate.members.filter(person_id__in=primary_people).delete()
    if primary.affiliations.filter(is_primary=True).exists():
        duplicate.affiliations.update(is_primary=False)
    for m2m in ("tags", "segments", "interests"):
        getattr(primary, m2m).add(*getattr(duplicate, m2m).all())
    # Every other foreign key to Contact, whatever app declares it.
    for rel in Contact._meta.related_objects:
        if rel.many_to_many or not rel.field.concrete:
            continue
        rel.related_model._default_manager.filter(**{rel.field.name: duplicate}).update(**{rel.field.name: primary})
    fields = ["custom", "version", "updated_at"]
    primary.custom = {**duplicate.custom, **primary.custom}
    for name in ("source", "notes"):
        if not getattr(primary, name) and getattr(duplicate, name):
            setattr(primary, name, getattr(duplicate, name))
            fields.append(name)
    if primary.owner_id is None and duplicate.owner_id is not None:
        primary.owner_id = duplicate.owner_id
        fields.append("owner")
    primary.rating = max(primary.rating, duplicate.rating)
    fields.append("rating")
    primary.version = F("version") + 1
    primary.save(update_fields=fields)
    primary.refresh_from_db()
    _ensure_primaries(primary, IDENTITY_KINDS)
    dup_pk = duplicate.pk
    duplicate.delete()
    search.unindex(Contact, [dup_pk])
    people = list(primary.members.values_list("person_id", flat=True))
    contact_refresh_search(contact_ids=[primary.pk, *people])
    event_record(actor=by, verb="contact.merged", target=primary, contact=primary, data={"merged": snapshot})
    return primary


# ---------------------------------------------------------------------------------------------- flags and parts


def _lock_contacts(*contacts: Contact) -> None:
    """Inside the caller's transaction: lock the contacts a new part will point to, or raise NotFound if one was
    deleted meanwhile (otherwise the insert fails on its foreign key at commit, a 500)."""
    wanted = {c.pk for c in contacts}
    found = set(Contact.objects.select_for_update().filter(pk__in=wanted).values_list("pk", flat=True))
    if found != wanted:
        raise NotFound(detail=_("No such contact."))


@transaction.atomic
def contact_flag_add(*, contact: Contact, flag_type: FlagType, note: str = "", by: User | None) -> ContactFlag:
    if not flag_type.is_active:
        raise ValidationFailed.on("flag_type_id", _("This flag type is not in use."))
    if len(note) > 255:
        raise ValidationFailed.on("note", _("At most 255 characters."))
    _lock_contacts(contact)
    try:
        with transaction.atomic():
            flag = ContactFlag.objects.create(contact=contact, flag_type=flag_type, note=note, created_by=by)
    except IntegrityError as exc:
        raise Conflict(
            detail=_("The contact already has this flag."), errors=[FieldError("flag_type_id", _("Already set."))]
        ) from exc
    event_record(
        actor=by,
        verb="contact.flag_added",
        target=contact,
        contact=contact,
        data={"flag": flag_type.name, "note": note},
    )
    return flag


@transaction.atomic
def contact_flag_remove(*, contact: Contact, flag_id: int, by: User | None) -> None:
    _lock_contacts(contact)  # a contact deleted meanwhile would fail the event's foreign key at commit
    flag = contact.flags.select_related("flag_type").filter(pk=flag_id).first()
    if flag is None:
        raise NotFound(detail=_("No such flag on this contact."))
    flag.delete()
    event_record(
        actor=by, verb="contact.flag_removed", target=contact, contact=contact, data={"flag": flag.flag_type.name}
    )


@transaction.atomic
def contact_identity_add(*, contact: Contact, kind: str, value: str, label: str = "", by: User | None) -> Identity:
    clean, errors = identities_clean(others=[IdentityIn(kind, value, label)])
    if errors:
        raise ValidationFailed(
            detail=_("Some fields are not valid."), errors=[FieldError("value", e.message) for e in errors]
        )
    item = clean[0]
    _lock_contacts(contact)
    if contact.identities.filter(kind=item.kind, value=item.value).exists():
        raise Conflict(
            detail=_("The contact already has this identity."), errors=[FieldError("value", _("Already present."))]
        )
    _attach_identities(contact, clean)
    contact_refresh_search(contact_ids=[contact.pk])
    event_record(
        actor=by,
        verb="contact.identity_added",
        target=contact,
        contact=contact,
        data={"kind": item.kind, "value": item.value},
    )
    return contact.identities.get(kind=item.kind, value=item.value)


@transaction.atomic
def contact_identity_remove(*, contact: Contact, identity_id: int, by: User | None) -> None:
    _lock_contacts(contact)
    identity = contact.identities.filter(pk=identity_id).first()
    if identity is None:
        raise NotFound(detail=_("No such identity on this contact."))
    identity.delete()
    if identity.is_primary:
        nxt = contact.identities.filter(kind=identity.kind).order_by("id").first()
        if nxt:
            Identity.objects.filter(pk=nxt.pk).update(is_primary=True)
    contact_refresh_search(contact_ids=[contact.pk])
    event_record(
        actor=by,
        verb="contact.identity_removed",
        target=contact,
        contact=contact,
        data={"kind": identity.kind, "value": identity.value},
    )


@transaction.atomic
def contact_affiliation_add(*, person: Contact, organisation: Contact, role: str = "", by: User | None) -> Affiliation:
    if person.kind != Contact.Kind.PERSON:
        raise ValidationFailed.on("person", _("Only a person can belong to an organisation."))
    if organisation.kind != Contact.Kind.ORGANISATION:
        raise ValidationFailed.on("organisation_id", _("This contact is not an organisation."))
    if len(role) > 100:
        raise ValidationFailed.on("role", _("At most 100 characters."))
    _lock_contacts(person, organisation)
    affiliation, created = Affiliation.objects.get_or_create(
        person=person,
        organisation=organisation,
        defaults={"role": role.strip(), "is_primary": not person.affiliations.exists()},
    )
    if not created:
        affiliation.role = role.strip()
        affiliation.save(update_fields=["role"])
    contact_refresh_search(contact_ids=[person.pk])
    event_record(
        actor=by,
        verb="contact.affiliation_added",
        target=person,
        contact=person,
        data={"organisation": organisation.name, "role": role},
    )
    return affiliation


@transaction.atomic
def contact_affiliation_remove(*, contact: Contact, affiliation_id: int, by: User | None) -> None:
    _lock_contacts(contact)
    affiliation = (
        Affiliation.objects.select_related("person", "organisation")
        .filter(models.Q(person=contact) | models.Q(organisation=contact), pk=affiliation_id)
        .first()
    )
    if affiliation is None:
        raise NotFound(detail=_("No such link."))
    _lock_contacts(affiliation.person, affiliation.organisation)
    affiliation.delete()
    contact_refresh_search(contact_ids=[affiliation.person_id])
    event_record(
        actor=by,
        verb="contact.affiliation_removed",
        target=affiliation.person,
        contact=affiliation.person,
        data={"organisation": affiliation.organisation.name},
    )


@transaction.atomic
def contact_address_add(*, contact: Contact, address: AddressIn, by: User | None) -> Address:
    clean, errors = _clean_address(address, 0)
    if clean is None:
        # "addresses.0.latitude" is "latitude" here; "addresses.0" (an empty address) is the whole body.
        fields = [(e.field or "").removeprefix("addresses.0").lstrip(".") or None for e in errors]
        raise ValidationFailed(
            detail=_("Some fields are not valid."),
            errors=[FieldError(f, e.message) for f, e in zip(fields, errors, strict=True)],
        )
    _lock_contacts(contact)
    clean.contact = contact
    clean.save()
    event_record(actor=by, verb="contact.address_added", target=contact, contact=contact, data={"address": str(clean)})
    return clean


@transaction.atomic
def contact_address_remove(*, contact: Contact, address_id: int, by: User | None) -> None:
    _lock_contacts(contact)
    address = contact.addresses.filter(pk=address_id).first()
    if address is None:
        raise NotFound(detail=_("No such address on this contact."))
    address.delete()
    event_record(
        actor=by, verb="contact.address_removed", target=contact, contact=contact, data={"address": str(address)}
    )


# ---------------------------------------------------------------------------------------------- import and export
# ---- import and export: files are read by `exchange`; rows are validated here and written in batches.

IMPORT_BATCH_SIZE = 2000
_IMPORT_CACHE_SIZE = 10_000  # distinct repeated values (statuses, companies, countries) remembered per import
IMPORT_ERRORS_KEPT = 1000  # errors stored on the job; error_count counts them all
_EMAIL_SPLIT = re.compile(r"[;,،\s]+")
_VALUE_SPLIT = re.compile(r"[;,،\n\r]+")
_NAME_SPLIT = re.compile(r"[,،;\n\r]+")
_IDENTITY_TARGETS = ("email", "phone", "telegram", "whatsapp", "instagram")
_ADDRESS_TARGETS = frozenset({"street", "city", "postcode", "country", "latitude", "longitude"})
_ATTRIBUTE_LIMITS = tuple(
    (target, model._meta.get_field("name").max_length or 100)
    for target, model in (("tags", Tag), ("segments", Segment), ("interests", Interest))
)
_DUPLICATE_GROUP = {
    "email": "email",
    "phone": "phone",
    "whatsapp": "phone",
    "telegram": "telegram",
    "instagram": "instagram",
}
# Words for kinds and statuses besides the values and their translated labels (compared after normalize_text).
_KIND_WORDS = {
    "org": "organisation",
    "organization": "organisation",
    "company": "organisation",
    "business": "organisation",
    "شرکت": "organisation",
    "سازمان": "organisation",
    "cég": "organisation",
    "szervezet": "organisation",
    "individual": "person",
    "شخص": "person",
    "فرد": "person",
    "személy": "person",
    "magánszemély": "person",
}
_STATUS_WORDS = {
    "lead": "prospect",
    "client": "customer",
    "active": "customer",
    "former customer": "former",
    "ex customer": "former",
    "inactive": "former",
    "مشتری": "customer",
    "مشتری سابق": "former",
    "ügyfél": "customer",
    "volt ügyfél": "former",
    "érdeklődő": "prospect",
}

logger = logging.getLogger(__name__)


@dataclass
class ImportTally:
    """What an import has done so far. `rejected` rows had errors (listed in `errors`, at most
    IMPORT_ERRORS_KEPT of them); `skipped` rows matched an existing contact's email, phone or handle."""

    processed: int = 0
    created: int = 0
    skipped: int = 0
    rejected: int = 0
    organisations_created: int = 0
    errors: list[dict[str, Any]] = field(default_factory=list)

    def reject(self, row: int, errors: Sequence[FieldError]) -> None:
        self.rejected += 1
        for error in errors:
            if len(self.errors) < IMPORT_ERRORS_KEPT:
                self.errors.append({"row": row, "field": error.field, "message": str(error.message)})


@dataclass
class _ImportPlan:
    mapped: list[tuple[int, str]]  # (column, target) of every mapped column
    custom_targets: list[tuple[str, str, CustomField]]  # (key, "custom.<key>", field) of every custom field
    kinds: dict[str, str]
    statuses: dict[str, str]
    skip_duplicates: bool
    source: str
    seen: set[tuple[str, str]] = field(default_factory=set)
    names: dict[str, dict[str, int]] = field(default_factory=dict)
    organisations: dict[str, int] = field(default_factory=dict)
    folded: dict[str, str] = field(default_factory=dict)  # normalize_text of values that repeat (status, company)
    countries: dict[str, str] = field(default_factory=dict)

    def fold(self, text: str) -> str:
        folded = self.folded.get(text)
        if folded is None:
            folded = normalize_text(text)
            if len(self.folded) < _IMPORT_CACHE_SIZE:
                self.folded[text] = folded
        return folded

    def country(self, text: str) -> str:
        code = self.countries.get(text)
        if code is None:
            code = exchange.country_code(text)
            if len(self.countries) < _IMPORT_CACHE_SIZE:
                self.countries[text] = code
        return code


@dataclass(slots=True)
class _ImportDraft:
    """One valid row: the contact's column values and what hangs off it; `pk` once it is written."""

    row: int
    kind: str
    name: str
    status: str
    rating: int
    source: str
    custom: dict[str, Any]
    notes: str
    search_text: str
    identities: list[tuple[str, str]]  # (kind, normalised value)
    tags: list[str]
    segments: list[str]
    interests: list[str]
    organisation: str
    role: str
    address: dict[str, Any] | None
    pk: int = 0


@dataclass
class _ImportBatch:
    """Rows read and validated together, then written in one transaction."""

    rows: int = 0
    drafts: list[_ImportDraft] = field(default_factory=list)
    rejected: list[tuple[int, list[FieldError]]] = field(default_factory=list)


def _choice_words(choices: Sequence[tuple[str, Any]], extra: dict[str, str]) -> dict[str, str]:
    """Values and their labels in every language, normalised, to the stored value."""
    words = {normalize_text(k): v for k, v in extra.items()}
    for value, label in choices:
        words[normalize_text(value)] = value
        for language, _name in settings.LANGUAGES:
            with translation.override(language):
                words[normalize_text(str(label))] = value
    return words


def import_mapping_clean(*, mapping: Sequence[str] | Mapping[str, str], headers: Sequence[str]) -> list[str]:
    """The target field of each column ("" = ignore), from a list (one target per column) or a dict
    {header or column number: target}. The name must be mapped; unknown targets and fields that cannot repeat
    mapped twice are rejected. Raises ValidationFailed."""
    custom = list(CustomField.objects.values_list("key", "label"))
    allowed = {target for target, _label in exchange.import_targets(custom)}
    errors: list[FieldError] = []
    columns: list[Any]
    if isinstance(mapping, Mapping):
        columns = [""] * len(headers)
        positions: dict[str, int] = {}
        for index, header in enumerate(headers):
            positions.setdefault(header, index)
        for key, target in mapping.items():
            key = str(key)
            if key in positions:
                columns[positions[key]] = target
            elif key.isdigit() and int(key) < len(headers):
                columns[int(key)] = target
            else:
                errors.append(
                    FieldError(f"mapping.{key}", _("The file has no column “%(column)s”.") % {"column": key[:100]})
                )
    elif isinstance(mapping, str) or len(mapping) > len(headers):
        raise ValidationFailed.on(
            "mapping", _("Give one field per column: the file has %(n)s columns.") % {"n": len(headers)}
        )
    else:
        columns = [*mapping, *[""] * (len(headers) - len(mapping))]
    clean: list[str] = []
    for index, target in enumerate(columns):
        target = target.strip() if isinstance(target, str) else target
        if target is None:
            target = ""
        if not isinstance(target, str) or (target and target not in allowed):
            errors.append(
                FieldError(f"mapping.{index}", _("Unknown field “%(field)s”.") % {"field": str(target)[:100]})
            )
            target = ""
        elif target and target not in exchange.REPEATABLE and target in clean:
            errors.append(
                FieldError(f"mapping.{index}", _("“%(field)s” is chosen for more than one column.") % {"field": target})
            )
        clean.append(target)
    if "name" not in clean:
        errors.append(FieldError("mapping", _("Choose the column that holds the name.")))
    if errors:
        raise ValidationFailed(detail=_("The column mapping is not valid."), errors=errors)
    return clean


def _import_decimal(text: str) -> str:
    text = to_ascii_digits(text).strip().replace("٫", ".")
    if text.count(",") == 1 and "." not in text:
        text = text.replace(",", ".")  # a decimal comma (47,4979)
    return text


def _import_rating(text: str) -> int | None:
    text = to_ascii_digits(text).strip()
    if not text:
        return 0
    if set(text) <= {"★", "☆", "*"}:
        stars = text.count("★") + text.count("*")
        return stars if stars <= 5 else None
    try:
        number = Decimal(text)
    except InvalidOperation:
        return None
    if number != number.to_integral_value() or not 0 <= number <= 5:
        return None
    return int(number)


def _first(found: dict[str, list[str]], target: str) -> str:
    values = found.get(target)
    return values[0] if values else ""


def _import_parse(plan: _ImportPlan, row: int, cells: Sequence[str]) -> tuple[_ImportDraft | None, list[FieldError]]:
    """Validate and normalise one row, without touching the database. The hot loop of an import: keep it lean."""
    found: dict[str, list[str]] = {}
    width = len(cells)
    for index, target in plan.mapped:
        value = cells[index] if index < width else ""
        if value and (value := value.strip()):
            if value[0] == "'":
                value = exchange.unguard_formula(value)
            if target in found:
                found[target].append(value)
            else:
                found[target] = [value]

    errors: list[FieldError] = []
    name = " ".join(found.get("name", ()))
    if not name:
        errors.append(FieldError("name", _("A name is required.")))
    elif len(name) > 200:
        errors.append(FieldError("name", _("At most 200 characters.")))
    kind = Contact.Kind.PERSON.value
    if raw := _first(found, "kind"):
        kind = plan.kinds.get(plan.fold(raw), "")
        if not kind:
            errors.append(FieldError("kind", _("Use person or organisation.")))
    status = Contact.Status.PROSPECT.value
    if raw := _first(found, "status"):
        status = plan.statuses.get(plan.fold(raw), "")
        if not status:
            errors.append(FieldError("status", _("Use prospect, customer or former customer.")))
    rating: int | None = 0
    if "rating" in found:
        rating = _import_rating(found["rating"][0])
        if rating is None:
            errors.append(FieldError("rating", _("The rating is from 0 to 5.")))
    source = _first(found, "source") or plan.source
    if len(source) > 100:
        errors.append(FieldError("source", _("At most 100 characters.")))

    identities: list[tuple[str, str, str]] = []  # (kind, value, national form of a phone) for the search text
    seen: set[tuple[str, str]] = set()
    for target in _IDENTITY_TARGETS:
        for cell in found.get(target, ()):
            for part in (_EMAIL_SPLIT if target == "email" else _VALUE_SPLIT).split(cell):
                if not (part := part.strip()):
                    continue
                try:
                    if target in ("phone", "whatsapp"):  # both forms from one parse, for the search text
                        value, national = normalize_phone_forms(part)
                    else:
                        value, national = normalize_identity(target, part), ""
                except ValueError:
                    message = {
                        "email": _("This is not a valid email address."),
                        "phone": _("This is not a valid phone number."),
                        "whatsapp": _("This is not a valid phone number."),
                    }.get(target, _("This is not a valid handle."))
                    errors.append(
                        FieldError(target, _("%(message)s (%(value)s)") % {"message": message, "value": part[:60]})
                    )
                    continue
                if (target, value) not in seen:
                    seen.add((target, value))
                    identities.append((target, value, national))

    attributes: dict[str, list[str]] = {}
    for target, limit in _ATTRIBUTE_LIMITS:
        names: list[str] = []
        for cell in found.get(target, ()):
            names += (n for part in _NAME_SPLIT.split(cell) if (n := part.strip()) and n not in names)
        for too_long in (n for n in names if len(n) > limit):
            errors.append(FieldError(target, _("“%(name)s” is too long.") % {"name": too_long[:20]}))
        attributes[target] = names

    organisation, role = _first(found, "organisation"), _first(found, "organisation_role")
    if kind == Contact.Kind.ORGANISATION and organisation:
        if plan.fold(organisation) != normalize_text(name):
            errors.append(FieldError("organisation", _("Only a person can belong to an organisation.")))
        organisation = ""
    if len(organisation) > 200:
        errors.append(FieldError("organisation", _("At most 200 characters.")))
    if len(role) > 100:
        errors.append(FieldError("organisation_role", _("At most 100 characters.")))

    address = None
    if not found.keys().isdisjoint(_ADDRESS_TARGETS):
        address, address_errors = _address_values(
            AddressIn(
                street=", ".join(found.get("street", ())),
                city=_first(found, "city"),
                postcode=_first(found, "postcode"),
                country=plan.country(_first(found, "country")),
                latitude=_import_decimal(_first(found, "latitude")) or None,
                longitude=_import_decimal(_first(found, "longitude")) or None,
            ),
            0,
        )
        errors += [FieldError((e.field or "").rsplit(".", 1)[-1] or None, e.message) for e in address_errors]

    custom: dict[str, Any] = {}
    for key, target, custom_field in plan.custom_targets:
        raw = _first(found, target)
        if custom_field.applies_to not in (CustomField.AppliesTo.ALL, kind):
            if raw:
                errors.append(FieldError(target, _("There is no custom field with this key.")))
        elif not raw:
            if custom_field.required:
                errors.append(FieldError(target, _("This field is required.")))
        else:
            try:  # the fields were loaded once for the import, not once per row
                custom[key] = customfields._coerce(custom_field, raw)
            except ValueError as exc:
                errors.append(FieldError(target, str(exc)))

    if errors:
        return None, errors
    return _ImportDraft(
        row=row,
        kind=kind,
        name=name,
        status=status,
        rating=rating or 0,
        source=source,
        custom=custom,
        notes="\n".join(found.get("notes", ())),
        search_text=_search_text(normalize_text(name), identities, [plan.fold(organisation)] if organisation else []),
        identities=[(k, v) for k, v, _national in identities],
        tags=attributes["tags"],
        segments=attributes["segments"],
        interests=attributes["interests"],
        organisation=organisation,
        role=role,
        address=address,
    ), []


def _import_drop_duplicates(plan: _ImportPlan, drafts: list[_ImportDraft], tally: ImportTally) -> list[_ImportDraft]:
    """Rows sharing an email, phone or handle with an existing contact or an earlier row: one query per batch."""
    keys = {id(d): {(_DUPLICATE_GROUP[kind], value) for kind, value in d.identities} for d in drafts}
    by_group: dict[str, set[str]] = {}
    for found in keys.values():
        for group, value in found:
            by_group.setdefault(group, set()).add(value)
    existing: set[tuple[str, str]] = set()
    if by_group:
        # Each kind against the values of its own group only: one index range per kind and value, where
        # "any kind" made PostgreSQL walk the (kind, value) index for every kind (docs/benchmarks.md).
        groups = {group: sorted(values) for group, values in by_group.items()}
        if connection.vendor == "postgresql":  # one array per group rather than thousands of parameters
            quote = connection.ops.quote_name
            table, kind_column, value_column = (quote(name) for name in (Identity._meta.db_table, "kind", "value"))
            kinds = {group: [k for k, g in _DUPLICATE_GROUP.items() if g == group] for group in groups}
            where = " OR ".join(f"({kind_column} = ANY(%s) AND {value_column} = ANY(%s))" for _group in groups)
            with connection.cursor() as cursor:
                cursor.execute(
                    f"SELECT {kind_column}, {value_column} FROM {table} WHERE {where}",  # noqa: S608
                    [param for group, values in groups.items() for param in (kinds[group], values)],
                )
                rows: Iterable[tuple[str, str]] = cursor.fetchall()
        else:
            query = Q()
            for kind, group in _DUPLICATE_GROUP.items():
                if group in groups:
                    query |= Q(kind=kind, value__in=groups[group])
            rows = Identity.objects.filter(query).values_list("kind", "value")
        existing = {(_DUPLICATE_GROUP[kind], value) for kind, value in rows}
    kept = []
    for draft in drafts:
        found = keys[id(draft)]
        if found & existing or found & plan.seen:
            tally.skipped += 1
            continue
        plan.seen |= found
        kept.append(draft)
    return kept


def _import_name_ids(
    plan: _ImportPlan, model: type[Tag | Segment | Interest], field_name: str, names: set[str]
) -> dict[str, int]:
    cache = plan.names.setdefault(field_name, {})
    missing = sorted(names - cache.keys())
    if missing:
        found: list[Tag | Segment | Interest] = cast(Any, _names_to_objects)(model, missing, field_name)
        cache.update({o.name: o.pk for o in found})
    return cache


class _RowWriter:
    """Inserts plain rows of values, many at a time: PostgreSQL COPY (the identity column numbered from its
    sequence in one query), or executemany and bulk_create elsewhere. No model instances, no per-value work
    in Django: the import writes a million rows this way (docs/benchmarks.md)."""

    def __init__(self) -> None:
        self.postgres = connection.vendor == "postgresql"
        self.now = timezone.now()
        # The time as a value in a row of `insert` (sqlite3's own datetime adapter is deprecated).
        self.db_now: Any = self.now if self.postgres else connection.ops.adapt_datetimefield_value(self.now)

    @staticmethod
    def _columns(model: type[models.Model], names: Sequence[str]) -> str:
        columns = {f.attname: f.column or f.attname for f in model._meta.concrete_fields}
        return ", ".join(connection.ops.quote_name(columns[n]) for n in names)

    def insert(self, model: type[models.Model], names: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
        """Insert rows of values for the fields `names` (attnames, e.g. contact_id)."""
        if not rows:
            return
        table, columns = connection.ops.quote_name(model._meta.db_table), self._columns(model, names)
        with connection.cursor() as cursor:
            if self.postgres:
                with cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row)
            else:
                marks = ", ".join(["%s"] * len(names))
                cursor.executemany(f"INSERT INTO {table} ({columns}) VALUES ({marks})", rows)  # noqa: S608

    def contacts(self, rows: Sequence[Sequence[Any]]) -> list[int]:
        """Insert contacts (the values of CONTACT_FIELDS) and return their new ids, in order."""
        if not rows:
            return []
        if not self.postgres:
            created = Contact.objects.bulk_create(
                [Contact(**dict(zip(_CONTACT_FIELDS, row, strict=True))) for row in rows]
            )
            return [c.pk for c in created]
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
                [Contact._meta.db_table, Contact._meta.pk.column, len(rows)],
            )
            ids = [pk for (pk,) in cursor.fetchall()]
        self.insert(Contact, ("id", *_CONTACT_FIELDS), [(pk, *row) for pk, row in zip(ids, rows, strict=True)])
        return ids


# Every column of a contact an import writes (owner_id stays NULL).
_CONTACT_FIELDS = (
    "created_at",
    "updated_at",
    "kind",
    "name",
    "status",
    "rating",
    "source",
    "custom",
    "notes",
    "version",
    "search_text",
)
_IDENTITY_FIELDS = ("contact_id", "kind", "value", "label", "is_primary", "is_bouncing", "created_at")
_ADDRESS_FIELDS = ("contact_id", "label", "street", "city", "region", "postcode", "country", "latitude", "longitude")


def _import_write(plan: _ImportPlan, drafts: list[_ImportDraft], tally: ImportTally) -> None:
    """Write one batch of valid rows with a fixed number of queries, whatever the batch size."""
    if plan.skip_duplicates:
        drafts = _import_drop_duplicates(plan, drafts, tally)
    if not drafts:
        return
    writer = _RowWriter()
    now = writer.now
    # PostgreSQL takes the JSON as text in COPY; bulk_create (SQLite) wants the value itself.
    custom = json.dumps if writer.postgres else (lambda value: value)
    ids = writer.contacts(
        [
            (now, now, d.kind, d.name, d.status, d.rating, d.source, custom(d.custom), d.notes, 1, d.search_text)
            for d in drafts
        ]
    )
    for draft, pk in zip(drafts, ids, strict=True):
        draft.pk = pk
        if draft.kind == Contact.Kind.ORGANISATION:
            plan.organisations.setdefault(draft.name, pk)
    indexed = [(d.pk, d.search_text) for d in drafts]
    wanted = {d.organisation for d in drafts if d.organisation} - plan.organisations.keys()
    if wanted:
        found = Contact.objects.filter(kind=Contact.Kind.ORGANISATION, name__in=sorted(wanted)).order_by("pk")
        for pk, name in found.values_list("pk", "name"):
            plan.organisations.setdefault(name, pk)
        new = sorted(wanted - plan.organisations.keys())
        texts = [build_search_text(name, []) for name in new]
        org = Contact.Kind.ORGANISATION.value
        new_ids = writer.contacts(
            [
                (now, now, org, name, Contact.Status.PROSPECT.value, 0, plan.source, custom({}), "", 1, text)
                for name, text in zip(new, texts, strict=True)
            ]
        )
        plan.organisations.update(zip(new, new_ids, strict=True))
        indexed += zip(new_ids, texts, strict=True)
        tally.organisations_created += len(new)
    identities = []
    for draft in drafts:
        kinds: set[str] = set()
        for kind, value in draft.identities:
            identities.append((draft.pk, kind, value, "", kind not in kinds, False, writer.db_now))
            kinds.add(kind)
    writer.insert(Identity, _IDENTITY_FIELDS, identities)
    writer.insert(
        Address,
        _ADDRESS_FIELDS,
        [(d.pk, *(d.address[n] for n in _ADDRESS_FIELDS[1:])) for d in drafts if d.address is not None],
    )
    writer.insert(
        Affiliation,
        ("person_id", "organisation_id", "role", "is_primary"),
        [(d.pk, plan.organisations[d.organisation], d.role, True) for d in drafts if d.organisation],
    )
    for field_name, model in (("tags", Tag), ("segments", Segment), ("interests", Interest)):
        names = {n for d in drafts for n in getattr(d, field_name)}
        if not names:
            continue
        name_ids = _import_name_ids(plan, model, field_name, names)
        through = getattr(Contact, field_name).through
        writer.insert(
            through,
            ("contact_id", f"{model._meta.model_name}_id"),
            [(d.pk, name_ids[n]) for d in drafts for n in getattr(d, field_name)],
        )
    search.index_rows(Contact, indexed)
    tally.created += len(drafts)


def _import_batches(
    plan: _ImportPlan, rows: Iterable[tuple[int, Sequence[str] | exchange.BadRow]], size: int
) -> Iterator[_ImportBatch]:
    """Read and validate rows, `size` at a time (without touching the database)."""
    batch = _ImportBatch()
    for row, cells in rows:
        batch.rows += 1
        if isinstance(cells, exchange.BadRow):
            batch.rejected.append((row, [FieldError(None, cells.message)]))
        else:
            draft, errors = _import_parse(plan, row, cells)
            if draft is None:
                batch.rejected.append((row, errors))
            else:
                batch.drafts.append(draft)
        if batch.rows >= size:
            yield batch
            batch = _ImportBatch()
    if batch.rows:
        yield batch


_END = object()


@contextmanager
def _read_ahead[T](items: Iterator[T]) -> Iterator[Iterator[T]]:
    """`items`, each one produced in a second thread while the caller works on the one before: the import
    validates the next batch while the database writes this one. Parsing never touches the database; messages
    are translated in the caller's language."""
    language = translation.get_language()

    def produce() -> Any:
        with translation.override(language):
            return next(items, _END)

    def consume(pool: ThreadPoolExecutor) -> Generator[T]:
        future = pool.submit(produce)
        while (item := future.result()) is not _END:
            future = pool.submit(produce)
            yield item

    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="import-read") as pool:
        consumer = consume(pool)
        try:
            yield consumer
        finally:
            consumer.close()  # then leaving the pool waits for the batch being read, if any


def contacts_import_records(
    *,
    rows: Iterable[tuple[int, Sequence[str] | exchange.BadRow]],
    mapping: Sequence[str],
    skip_duplicates: bool = True,
    source: str = "",
    batch_size: int | None = None,
    on_batch: Callable[[ImportTally], None] | None = None,
) -> ImportTally:
    """Import rows of text cells: `rows` yields (row number shown to the user, cells), `mapping` gives the target
    field of each column (see `exchange.import_targets`). Each batch is validated in Python (the next one while
    this one is written), then written with a fixed number of queries in its own transaction; `on_batch` runs
    inside that transaction. Bad rows are reported in the tally and skipped; rows matching an existing email,
    phone or handle are skipped when `skip_duplicates`. Raises ValidationFailed for a bad mapping."""
    columns = import_mapping_clean(mapping=mapping, headers=[str(i) for i in range(len(mapping))])
    plan = _ImportPlan(
        mapped=[(index, target) for index, target in enumerate(columns) if target],
        custom_targets=[(f.key, f"{exchange.CUSTOM_PREFIX}{f.key}", f) for f in CustomField.objects.all()],
        kinds=_choice_words(Contact.Kind.choices, _KIND_WORDS),
        statuses=_choice_words(Contact.Status.choices, _STATUS_WORDS),
        skip_duplicates=skip_duplicates,
        source=source.strip()[:100],
    )
    tally = ImportTally()
    parsed = _import_batches(plan, iter(rows), batch_size or IMPORT_BATCH_SIZE)
    # Reading and validating runs in a forked process where that is safe (no other threads), else in a thread.
    read_ahead = (
        readahead.forked_read_ahead if settings.IMPORT_READ_AHEAD_PROCESS and readahead.can_fork() else _read_ahead
    )
    with read_ahead(parsed) as batches:
        for batch in batches:
            with transaction.atomic():
                for row, errors in batch.rejected:
                    tally.reject(row, errors)
                _import_write(plan, batch.drafts, tally)
                tally.processed += batch.rows
                if on_batch is not None:
                    on_batch(tally)
    return tally


def import_job_create(
    *,
    by: User | None,
    upload: File,
    original_name: str,
    mapping: Sequence[str] | Mapping[str, str] | None = None,
    skip_duplicates: bool = True,
    source: str = "",
    start: bool = False,
) -> ImportJob:
    """Store an uploaded CSV, XLSX or vCard file as an import waiting for its column mapping (guessed from the
    headers unless `mapping` is given). With `start`, the import is queued at once. The file type is checked by
    its name and its content. Raises ValidationFailed for an unsupported, empty, damaged or too large file."""
    size = upload.size or 0
    if size > settings.IMPORT_MAX_BYTES:
        raise ValidationFailed.on(
            "file", _("The file is larger than %(size)s MB.") % {"size": settings.IMPORT_MAX_BYTES // (1024 * 1024)}
        )
    upload.seek(0)
    head = upload.read(exchange.SNIFF_BYTES)
    upload.seek(0)
    try:
        fmt = exchange.sniff_format(original_name, head)
        headers, first_rows = exchange.read_preview(upload, fmt, limit=1)
    except exchange.FileProblem as exc:
        raise ValidationFailed.on("file", exc.message) from exc
    if not first_rows:
        raise ValidationFailed.on("file", _("The file has a header row but no rows to import."))
    source = source.strip()
    if len(source) > 100:
        raise ValidationFailed.on("source", _("At most 100 characters."))
    if mapping is not None:
        columns = import_mapping_clean(mapping=mapping, headers=headers)
    else:
        columns = exchange.guess_mapping(headers, list(CustomField.objects.values_list("key", "label")))
    with transaction.atomic():
        job = ImportJob(
            created_by=by,
            original_name=original_name[:255],
            format=fmt,
            skip_duplicates=skip_duplicates,
            mapping={"headers": headers, "columns": columns, "source": source, "started": False},
        )
        upload.seek(0)
        job.file.save(f"{uuid.uuid4().hex}.{fmt}", upload, save=False)
        job.save()
        if start:
            import_job_start(job=job, mapping=columns, by=by)
    return job


@transaction.atomic
def import_job_start(*, job: ImportJob, mapping: Sequence[str] | Mapping[str, str], by: User | None) -> ImportJob:
    """Confirm the column mapping and queue the import (after commit). Raises ValidationFailed, or Conflict when
    the import has already started."""
    locked = ImportJob.objects.select_for_update().filter(pk=job.pk).first()
    if locked is None:
        raise NotFound(detail=_("No such import."))
    if locked.status != ImportJob.Status.PENDING or locked.mapping.get("started"):
        raise Conflict(detail=_("This import has already started."))
    columns = import_mapping_clean(mapping=mapping, headers=locked.mapping.get("headers", []))
    locked.mapping = {**locked.mapping, "columns": columns, "started": True}
    locked.save(update_fields=["mapping"])
    job.mapping = locked.mapping
    transaction.on_commit(partial(_import_job_enqueue, locked.pk))
    return locked


def _import_job_enqueue(job_id: int) -> None:
    from payvand.contacts.tasks import import_job_task

    import_job_task.enqueue(job_id=job_id)


def _import_job_progress(job_id: int, tally: ImportTally) -> None:
    ImportJob.objects.filter(pk=job_id).update(
        processed_rows=tally.processed,
        created_count=tally.created,
        skipped_count=tally.skipped,
        error_count=tally.rejected,
        errors=tally.errors,
    )


def _import_job_read(job: ImportJob, progress: Callable[[ImportTally], None]) -> str:
    """Import the job's file; the failure message, or "" when the whole file was read."""
    try:
        with job.file.open("rb") as fh:
            total = exchange.count_rows(fh, job.format)
            ImportJob.objects.filter(pk=job.pk).update(total_rows=total)
            with exchange.open_table(fh, job.format) as table:
                contacts_import_records(
                    rows=table.rows,
                    mapping=job.mapping.get("columns", []),
                    skip_duplicates=job.skip_duplicates,
                    source=job.mapping.get("source", ""),
                    on_batch=progress,
                )
    except exchange.FileProblem as exc:
        return exc.message
    except PayvandError as exc:
        return " ".join([str(exc.detail), *(str(e.message) for e in exc.errors)])
    except Exception:
        logger.exception("import %s failed", job.pk)
        return _("The import stopped because of an unexpected error. The rows counted as created were imported.")
    return ""


def import_job_run(*, job_id: int) -> ImportJob | None:
    """The worker body: import the job's file batch by batch, recording progress after each batch. Only a queued
    job runs (a second delivery of the task does nothing). A failure stops the job with a message; the batches
    already written stay, and their counts stay on the job."""
    claimed = ImportJob.objects.filter(pk=job_id, status=ImportJob.Status.PENDING).update(
        status=ImportJob.Status.RUNNING
    )
    if not claimed:
        return None
    job = ImportJob.objects.select_related("created_by").get(pk=job_id)
    last: list[ImportTally] = []

    def progress(tally: ImportTally) -> None:
        last[:] = [tally]
        _import_job_progress(job_id, tally)

    language = getattr(job.created_by, "language", "") or settings.LANGUAGE_CODE
    with translation.override(language):  # row errors and failures are kept in the user's language
        failure = _import_job_read(job, progress)
    tally = last[0] if last else ImportTally()
    fields: dict[str, Any] = {"finished_at": timezone.now()}
    if failure:
        fields.update(status=ImportJob.Status.FAILED, failure=failure[:2000])
    else:
        fields.update(
            status=ImportJob.Status.DONE,
            total_rows=tally.processed,
            processed_rows=tally.processed,
            created_count=tally.created,
            skipped_count=tally.skipped,
            error_count=tally.rejected,
            errors=tally.errors,
        )
    with transaction.atomic():
        ImportJob.objects.filter(pk=job_id).update(**fields)
        job.refresh_from_db()
        event_record(
            actor=job.created_by,
            verb="import.finished",
            target=job,
            data={
                "status": job.status,
                "file": job.original_name,
                "rows": job.processed_rows,
                "created": job.created_count,
                "skipped": job.skipped_count,
                "rejected": job.error_count,
                "organisations_created": tally.organisations_created,
                "failure": job.failure,
            },
        )
    return job


# --- The 360° page layout per team ------------------------------------------------------------------------------


@transaction.atomic
def contact_page_layout_set(*, by: User, team: Team, sections: list[str] | None) -> list[str] | None:
    """Set the team's 360° page sections (keys, in order; at least one), or with None go back to the default.
    Raises ValidationFailed for an unknown or repeated key."""
    from payvand.contacts.models import ContactPageLayout
    from payvand.contacts.sections import SECTIONS

    if sections is None:
        ContactPageLayout.objects.filter(team=team).delete()
        event_record(actor=by, verb="contact_layout.reset", target=team, data={})
        return None
    errors = [
        FieldError(f"sections.{n}", _("Unknown section: %(key)s") % {"key": key})
        for n, key in enumerate(sections)
        if key not in SECTIONS
    ]
    if len(set(sections)) != len(sections):
        errors.append(FieldError("sections", _("Each section may appear once.")))
    if not sections:
        errors.append(FieldError("sections", _("Choose at least one section.")))
    if errors:
        raise ValidationFailed(detail=_("Some fields are not valid."), errors=errors)
    layout = ContactPageLayout.objects.select_for_update().filter(team=team).first()
    if layout is None:
        layout = ContactPageLayout.objects.create(team=team, sections=list(sections))
    else:
        layout.sections = list(sections)
        layout.updated_at = timezone.now()
        layout.version += 1
        layout.save(update_fields=["sections", "updated_at", "version"])
    event_record(actor=by, verb="contact_layout.set", target=team, data={"sections": list(sections)})
    return list(sections)
