"""Every write to customer records: one function per use case, atomic, each leaving an Event."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import IntegrityError, models, transaction
from django.db.models import F
from django.utils.translation import gettext as _
from rapidfuzz import fuzz

from payvand.accounts.models import User
from payvand.contacts.customfields import clean_custom_values
from payvand.contacts.models import (
    Address,
    Affiliation,
    Contact,
    ContactFlag,
    FlagType,
    Identity,
    Interest,
    Segment,
    Tag,
)
from payvand.contacts.normalize import normalize_identity, normalize_text, phone_national
from payvand.core import search
from payvand.core.errors import Conflict, FieldError, NotFound, ValidationFailed
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
    parts = [normalize_text(name)]
    for kind, value in identities:
        if kind in ("phone", "whatsapp"):
            parts += [value.lstrip("+"), phone_national(value)]
        elif kind == "email":
            parts.append(value.replace("@", " ").replace(".", " ") + " " + value)
        else:
            parts.append(value)
    parts += [normalize_text(o) for o in organisations]
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
    for contact in contacts:
        text = build_search_text(
            contact.name,
            [(i.kind, i.value) for i in contact.identities.all()],
            [a.organisation.name for a in contact.affiliations.all()],
        )
        if text != contact.search_text:
            Contact.objects.filter(pk=contact.pk).update(search_text=text)
        rows.append((contact.pk, text))
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
    errors = []
    coords: dict[str, Decimal | None] = {}
    for name, low, high in (("latitude", -90, 90), ("longitude", -180, 180)):
        raw = getattr(a, name)
        if raw in (None, ""):
            coords[name] = None
            continue
        try:
            value = Decimal(str(raw)).quantize(Decimal("0.000001"))
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
    if errors:
        return None, errors
    return Address(
        label=a.label or "", street=a.street or "", city=a.city or "", region=a.region or "",
        postcode=a.postcode or "", country=country, latitude=coords.get("latitude"),
        longitude=coords.get("longitude"),
    ), []


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
    *, name: str = "", emails: Sequence[str] = (), phones: Sequence[str] = (), exclude_id: int | None = None,
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
            m.reasons.append(_("same %(kind)s %(value)s") % {"kind": kind, "value": value})
            m.score = 100
    wanted = normalize_text(name)
    if wanted:
        candidates = set(contact_search_ids(text=name, limit=50))
        words = search.tokens(wanted)
        if words:
            candidates |= set(contact_search_ids(text=max(words, key=len)[:4], limit=50))
        candidates |= set(
            search.similar_filter(Contact.objects.all(), wanted).values_list("pk", flat=True)[:50]
        )
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
                extra={"duplicates": [{"id": d.contact.pk, "name": d.contact.name, "reasons": d.reasons,
                                       "score": d.score} for d in duplicates]},
            )
    contact = Contact.objects.create(
        kind=kind, name=name.strip(), status=status, rating=rating, source=source.strip(), owner=owner,
        custom=clean_custom, notes=notes,
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
        [Affiliation(person=contact, organisation=org, role=role[:100], is_primary=i == 0)
         for i, (org, role) in enumerate(organisations)]
    )
    ContactFlag.objects.bulk_create(
        [ContactFlag(contact=contact, flag_type=ft, note=note[:255], created_by=by) for ft, note in flags]
    )
    contact_refresh_search(contact_ids=[contact.pk])
    event_record(actor=by, verb="contact.created", target=contact, contact=contact,
                 data={"name": contact.name, "kind": kind})
    return contact


def _attach_identities(contact: Contact, identities: Sequence[IdentityIn]) -> None:
    first_of_kind: set[str] = set(contact.identities.filter(is_primary=True).values_list("kind", flat=True))
    rows = []
    for item in identities:
        rows.append(Identity(contact=contact, kind=item.kind, value=item.value, label=item.label,
                             is_primary=item.kind not in first_of_kind))
        first_of_kind.add(item.kind)
    Identity.objects.bulk_create(rows, ignore_conflicts=True)


UPDATABLE = ("name", "kind", "status", "rating", "source", "owner", "notes", "custom", "tags", "segments",
             "interests", "emails", "phones", "identities")


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
        raise Conflict(detail=_("Someone else changed this contact meanwhile. Reload it and try again."),
                       errors=[FieldError("version", _("Expected version %(v)s.") % {"v": locked.version})])
    kind = changes.get("kind", locked.kind)
    errors = _validate_core(name=changes.get("name"), kind=changes.get("kind"), status=changes.get("status"),
                            rating=changes.get("rating"))
    replace_ids = any(k in changes for k in ("emails", "phones", "identities"))
    clean_ids: list[IdentityIn] = []
    if replace_ids:
        clean_ids, id_errors = identities_clean(
            emails=changes.get("emails") or [], phones=changes.get("phones") or [],
            others=changes.get("identities") or [],
        )
        errors += id_errors
    clean_custom: dict[str, Any] | None = None
    if "custom" in changes:
        merged = {**locked.custom, **(changes["custom"] or {})}
        merged = {k: v for k, v in merged.items() if v not in (None, "")}
        clean_custom, custom_errors = clean_custom_values(kind=kind, values=merged)
        errors += custom_errors
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
    locked.version = F("version") + 1  # type: ignore[assignment]
    locked.save(update_fields=fields)
    locked.refresh_from_db(fields=["version"])
    for m2m, model in (("tags", Tag), ("segments", Segment), ("interests", Interest)):
        if m2m in changes:
            getattr(locked, m2m).set(_names_to_objects(model, changes[m2m] or [], m2m))
    if replace_ids:
        kinds: set[str] = set()
        if "emails" in changes:
            kinds.add("email")
        if "phones" in changes:
            kinds.add("phone")
        if "identities" in changes:
            kinds |= IDENTITY_KINDS - {"email", "phone"}
        locked.identities.filter(kind__in=kinds).exclude(value__in=[i.value for i in clean_ids]).delete()
        existing = set(locked.identities.values_list("kind", "value"))
        _attach_identities(locked, [i for i in clean_ids if (i.kind, i.value) not in existing])
    refresh = [locked.pk]
    if "name" in changes and locked.kind == Contact.Kind.ORGANISATION:
        refresh += list(locked.members.values_list("person_id", flat=True))
    contact_refresh_search(contact_ids=refresh)
    after = {"name": locked.name, "status": locked.status, "rating": locked.rating}
    changed = {k: [before[k], after[k]] for k in before if before[k] != after[k]}
    event_record(actor=by, verb="contact.updated", target=locked, contact=locked,
                 data={"fields": sorted(set(changes)), "changed": changed})
    return locked


@transaction.atomic
def contact_delete(*, contact: Contact, by: User | None) -> None:
    pk = contact.pk
    event_record(actor=by, verb="contact.deleted", target=contact, data={"name": contact.name, "id": pk})
    Event.objects.filter(contact_id=pk).update(contact=None)
    contact.delete()
    search.unindex(Contact, [pk])


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
    snapshot = {
        "id": duplicate.pk, "name": duplicate.name,
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
    primary.version = F("version") + 1  # type: ignore[assignment]
    primary.save(update_fields=fields)
    primary.refresh_from_db()
    dup_pk = duplicate.pk
    duplicate.delete()
    search.unindex(Contact, [dup_pk])
    people = list(primary.members.values_list("person_id", flat=True))
    contact_refresh_search(contact_ids=[primary.pk, *people])
    event_record(actor=by, verb="contact.merged", target=primary, contact=primary, data={"merged": snapshot})
    return primary


# ---------------------------------------------------------------------------------------------- flags and parts


@transaction.atomic
def contact_flag_add(*, contact: Contact, flag_type: FlagType, note: str = "", by: User | None) -> ContactFlag:
    if not flag_type.is_active:
        raise ValidationFailed.on("flag_type_id", _("This flag type is not in use."))
    if len(note) > 255:
        raise ValidationFailed.on("note", _("At most 255 characters."))
    try:
        with transaction.atomic():
            flag = ContactFlag.objects.create(contact=contact, flag_type=flag_type, note=note, created_by=by)
    except IntegrityError as exc:
        raise Conflict(detail=_("The contact already has this flag."),
                       errors=[FieldError("flag_type_id", _("Already set."))]) from exc
    event_record(actor=by, verb="contact.flag_added", target=contact, contact=contact,
                 data={"flag": flag_type.name, "note": note})
    return flag


@transaction.atomic
def contact_flag_remove(*, contact: Contact, flag_id: int, by: User | None) -> None:
    flag = contact.flags.select_related("flag_type").filter(pk=flag_id).first()
    if flag is None:
        raise NotFound(detail=_("No such flag on this contact."))
    flag.delete()
    event_record(actor=by, verb="contact.flag_removed", target=contact, contact=contact,
                 data={"flag": flag.flag_type.name})


@transaction.atomic
def contact_identity_add(*, contact: Contact, kind: str, value: str, label: str = "", by: User | None) -> Identity:
    clean, errors = identities_clean(others=[IdentityIn(kind, value, label)])
    if errors:
        raise ValidationFailed(detail=_("Some fields are not valid."),
                               errors=[FieldError("value", e.message) for e in errors])
    item = clean[0]
    if contact.identities.filter(kind=item.kind, value=item.value).exists():
        raise Conflict(detail=_("The contact already has this identity."),
                       errors=[FieldError("value", _("Already present."))])
    _attach_identities(contact, clean)
    contact_refresh_search(contact_ids=[contact.pk])
    event_record(actor=by, verb="contact.identity_added", target=contact, contact=contact,
                 data={"kind": item.kind, "value": item.value})
    return contact.identities.get(kind=item.kind, value=item.value)


@transaction.atomic
def contact_identity_remove(*, contact: Contact, identity_id: int, by: User | None) -> None:
    identity = contact.identities.filter(pk=identity_id).first()
    if identity is None:
        raise NotFound(detail=_("No such identity on this contact."))
    identity.delete()
    if identity.is_primary:
        nxt = contact.identities.filter(kind=identity.kind).order_by("id").first()
        if nxt:
            Identity.objects.filter(pk=nxt.pk).update(is_primary=True)
    contact_refresh_search(contact_ids=[contact.pk])
    event_record(actor=by, verb="contact.identity_removed", target=contact, contact=contact,
                 data={"kind": identity.kind, "value": identity.value})


@transaction.atomic
def contact_affiliation_add(
    *, person: Contact, organisation: Contact, role: str = "", by: User | None
) -> Affiliation:
    if person.kind != Contact.Kind.PERSON:
        raise ValidationFailed.on("person", _("Only a person can belong to an organisation."))
    if organisation.kind != Contact.Kind.ORGANISATION:
        raise ValidationFailed.on("organisation_id", _("This contact is not an organisation."))
    if len(role) > 100:
        raise ValidationFailed.on("role", _("At most 100 characters."))
    affiliation, created = Affiliation.objects.get_or_create(
        person=person, organisation=organisation,
        defaults={"role": role.strip(), "is_primary": not person.affiliations.exists()},
    )
    if not created:
        affiliation.role = role.strip()
        affiliation.save(update_fields=["role"])
    contact_refresh_search(contact_ids=[person.pk])
    event_record(actor=by, verb="contact.affiliation_added", target=person, contact=person,
                 data={"organisation": organisation.name, "role": role})
    return affiliation


@transaction.atomic
def contact_affiliation_remove(*, contact: Contact, affiliation_id: int, by: User | None) -> None:
    affiliation = (
        Affiliation.objects.select_related("person", "organisation")
        .filter(models.Q(person=contact) | models.Q(organisation=contact), pk=affiliation_id).first()
    )
    if affiliation is None:
        raise NotFound(detail=_("No such link."))
    affiliation.delete()
    contact_refresh_search(contact_ids=[affiliation.person_id])
    event_record(actor=by, verb="contact.affiliation_removed", target=affiliation.person,
                 contact=affiliation.person, data={"organisation": affiliation.organisation.name})


@transaction.atomic
def contact_address_add(*, contact: Contact, address: AddressIn, by: User | None) -> Address:
    clean, errors = _clean_address(address, 0)
    if clean is None:
        raise ValidationFailed(detail=_("Some fields are not valid."),
                               errors=[FieldError(e.field.split(".")[-1] if e.field else None, e.message)
                                       for e in errors])
    clean.contact = contact
    clean.save()
    event_record(actor=by, verb="contact.address_added", target=contact, contact=contact, data={"address": str(clean)})
    return clean


@transaction.atomic
def contact_address_remove(*, contact: Contact, address_id: int, by: User | None) -> None:
    address = contact.addresses.filter(pk=address_id).first()
    if address is None:
        raise NotFound(detail=_("No such address on this contact."))
    address.delete()
    event_record(actor=by, verb="contact.address_removed", target=contact, contact=contact,
                 data={"address": str(address)})
