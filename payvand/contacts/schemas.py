from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from django.utils.translation import gettext
from ninja import Schema
from pydantic import Field, StringConstraints, model_validator

from payvand.core.schemas import QueryId

Kind = Literal["person", "organisation"]
Status = Literal["prospect", "customer", "former"]
IdentityKind = Literal["email", "phone", "telegram", "whatsapp", "instagram"]
Text100 = Field(default="", max_length=100)


class BodyIn(Schema):
    """A request body: a JSON object. (ninja's Schema reads any value by attribute, so `[1, 2]` would otherwise pass
    as an object with every field left at its default.)"""

    @model_validator(mode="before")
    @classmethod
    def _object_only(cls, data: Any) -> Any:
        raw = getattr(data, "_obj", data)  # ninja hands validators its DjangoGetter wrapper
        if not isinstance(raw, dict):
            raise ValueError(gettext("Send a JSON object."))
        return data


class IdentityOut(Schema):
    id: int
    kind: str
    value: str
    label: str
    is_primary: bool


class FlagTypeOut(Schema):
    id: int
    name: str
    description: str
    colour: str
    icon: str
    severity: int


class FlagOut(Schema):
    id: int
    flag_type: FlagTypeOut
    note: str
    created_at: datetime


class AffiliationOut(Schema):
    id: int
    organisation_id: int
    organisation_name: str
    role: str
    is_primary: bool


class MemberOut(Schema):
    id: int
    person_id: int
    person_name: str
    role: str


class AddressOut(Schema):
    id: int
    label: str
    street: str
    city: str
    region: str
    postcode: str
    country: str
    latitude: Decimal | None
    longitude: Decimal | None


class ContactSummaryOut(Schema):
    id: int
    kind: str
    name: str
    status: str
    emails: list[str]
    phones: list[str]
    flags: list[FlagTypeOut]


class ContactOut(Schema):
    id: int
    kind: str
    name: str
    status: str
    rating: int
    source: str
    owner_id: int | None
    notes: str
    tags: list[str]
    segments: list[str]
    interests: list[str]
    custom: dict[str, Any]
    emails: list[IdentityOut]
    phones: list[IdentityOut]
    social: list[IdentityOut]
    flags: list[FlagOut]
    organisations: list[AffiliationOut]
    members: list[MemberOut]
    addresses: list[AddressOut]
    version: int
    created_at: datetime
    updated_at: datetime


class ContactPageOut(Schema):
    items: list[ContactSummaryOut]
    next_cursor: str | None
    total: int | None


class IdentityIn(BodyIn):
    kind: IdentityKind
    value: str = Field(max_length=254)
    label: str = Field(default="", max_length=40)


class AddressIn(BodyIn):
    label: str = Field(default="", max_length=40)
    street: str = Field(default="", max_length=255)
    city: str = Field(default="", max_length=100)
    region: str = Field(default="", max_length=100)
    postcode: str = Field(default="", max_length=20)
    country: str = Field(default="", max_length=2)
    latitude: Decimal | None = Field(default=None, ge=-90, le=90, max_digits=9, decimal_places=6)
    longitude: Decimal | None = Field(default=None, ge=-180, le=180, max_digits=9, decimal_places=6)


class OrganisationLinkIn(BodyIn):
    organisation_id: QueryId
    role: str = Field(default="", max_length=100)


class FlagIn(BodyIn):
    flag_type_id: QueryId
    note: str = Field(default="", max_length=255)


class ContactCreateIn(BodyIn):
    name: str = Field(min_length=1, max_length=200)
    kind: Kind = "person"
    emails: list[str] = Field(default_factory=list, max_length=20)
    phones: list[str] = Field(default_factory=list, max_length=20)
    identities: list[IdentityIn] = Field(
        default_factory=list, max_length=20, description="Social handles (telegram, instagram, whatsapp)."
    )
    status: Status = "prospect"
    rating: int = Field(default=0, ge=0, le=5)
    source: str = Text100
    owner_id: QueryId | None = None
    notes: str = Field(default="", max_length=10000)
    tags: list[str] = Field(default_factory=list, max_length=50)
    segments: list[str] = Field(default_factory=list, max_length=50)
    interests: list[str] = Field(default_factory=list, max_length=50)
    custom: dict[str, Any] = Field(default_factory=dict)
    organisations: list[OrganisationLinkIn] = Field(default_factory=list, max_length=20)
    addresses: list[AddressIn] = Field(default_factory=list, max_length=20)
    flags: list[FlagIn] = Field(default_factory=list, max_length=20)
    allow_duplicates: bool = Field(
        default=False, description="Create even when likely duplicates exist (otherwise 409 lists them)."
    )


class ContactUpdateIn(BodyIn):
    version: int | None = Field(default=None, ge=1, le=2**31, description="Optimistic lock: 409 if stale.")
    name: str | None = Field(default=None, min_length=1, max_length=200)
    kind: Kind | None = None
    status: Status | None = None
    rating: int | None = Field(default=None, ge=0, le=5)
    source: str | None = Field(default=None, max_length=100)
    owner_id: QueryId | None = None
    notes: str | None = Field(default=None, max_length=10000)
    tags: list[str] | None = Field(default=None, max_length=50)
    segments: list[str] | None = Field(default=None, max_length=50)
    interests: list[str] | None = Field(default=None, max_length=50)
    custom: dict[str, Any] | None = None
    emails: list[str] | None = Field(default=None, max_length=20)
    phones: list[str] | None = Field(default=None, max_length=20)


class DuplicateCheckIn(BodyIn):
    name: str = Field(default="", max_length=200)
    emails: list[str] = Field(default_factory=list, max_length=20)
    phones: list[str] = Field(default_factory=list, max_length=20)


class DuplicateOut(Schema):
    contact: ContactSummaryOut
    reasons: list[str]
    score: int


class MergeIn(BodyIn):
    duplicate_id: QueryId


class IdentityAddIn(IdentityIn):
    kind: IdentityKind


class EventOut(Schema):
    id: int
    verb: str
    summary: str
    actor_id: int | None
    data: dict[str, Any]
    created_at: datetime


class CustomFieldOut(Schema):
    key: str
    label: str
    kind: str
    choices: list[Any]
    required: bool
    applies_to: str


# ---------------------------------------------------------------------------------------------- import and export


class ImportErrorOut(Schema):
    row: int
    field: str | None
    message: str


class ImportColumnOut(Schema):
    index: int
    header: str
    target: str = Field(description="The field this column is imported into; empty when it is ignored.")


class ImportJobOut(Schema):
    id: int
    status: str = Field(description="pending, running, done or failed.")
    format: str
    original_name: str
    skip_duplicates: bool
    source: str
    started: bool = Field(description="False while the upload waits for its column mapping.")
    columns: list[ImportColumnOut]
    total_rows: int
    processed_rows: int
    percent: int
    created_count: int
    skipped_count: int = Field(description="Rows skipped because they match an existing email, phone or handle.")
    error_count: int = Field(description="Rows rejected; `errors` lists why (the first 1,000 errors).")
    errors: list[ImportErrorOut]
    failure: str
    created_at: datetime
    finished_at: datetime | None


class ExportParams(Schema):
    format: Literal["csv", "xlsx", "vcf"] = "csv"
    version: Literal["3.0", "4.0"] = Field(default="3.0", description="vCard version (format=vcf).")
    q: str = Field(default="", max_length=200)
    kind: Literal["", "person", "organisation"] = ""
    status: Literal["", "prospect", "customer", "former"] = ""
    tag: str = Field(default="", max_length=64)
    segment: str = Field(default="", max_length=100)
    flag: QueryId | None = None
    owner: QueryId | None = None


class PageSectionOut(Schema):
    key: str
    label: str
    in_default: bool


class PageLayoutOut(Schema):
    team_id: int
    team: str
    sections: list[str] = Field(description="The section keys in order; the default layout when is_default.")
    is_default: bool


class PageLayoutsOut(Schema):
    available: list[PageSectionOut]
    default: list[str]
    teams: list[PageLayoutOut]


class PageLayoutSetIn(Schema):
    sections: list[Annotated[str, StringConstraints(max_length=40)]] | None = Field(
        ..., max_length=50, description="Section keys in order; null goes back to the default layout."
    )
