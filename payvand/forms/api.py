from __future__ import annotations

from django.http import HttpRequest
from ninja import Query, Router, Schema
from pydantic import Field

from payvand.accounts.models import User
from payvand.core.schemas import ERRORS, PathId
from payvand.forms import selectors, services
from payvand.forms.models import Form
from payvand.forms.schemas import (
    FormCreateIn,
    FormOut,
    FormPageOut,
    FormSummaryOut,
    FormUpdateIn,
    FormValidateIn,
    FormValidateOut,
)
from payvand.forms.spec import spec_from_layout

router = Router(tags=["forms"])


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


def form_out(form: Form) -> FormOut:
    return FormOut(
        id=form.pk,
        name=form.name,
        description=form.description,
        version=form.version,
        is_active=form.is_active,
        updated_at=form.updated_at,
        created_at=form.created_at,
        spec=spec_from_layout(form.layout or {}),
        value_schema=form.schema,
        layout=form.layout,
    )


class FormListParams(Schema):
    active: bool | None = None
    q: str = Field(default="", max_length=120)
    limit: int = Field(default=50, ge=1, le=200)
    offset: int = Field(default=0, ge=0, le=1_000_000)


@router.get("", response={200: FormPageOut, **ERRORS}, summary="List forms")
def list_forms(request: HttpRequest, params: Query[FormListParams]) -> FormPageOut:
    qs = selectors.form_list(user=_user(request), active=params.active, q=params.q)
    items = list(qs[params.offset : params.offset + params.limit])
    return FormPageOut(items=[FormSummaryOut.model_validate(f, from_attributes=True) for f in items], total=qs.count())


@router.post("", response={201: FormOut, **ERRORS}, summary="Create a form (admins)")
def create_form(request: HttpRequest, payload: FormCreateIn) -> tuple[int, FormOut]:
    selectors.form_require_perm(user=_user(request), action="change")
    form = services.form_create(
        by=_user(request),
        name=payload.name,
        description=payload.description,
        spec=payload.spec,
        is_active=payload.is_active,
    )
    return 201, form_out(form)


@router.get("/{form_id}", response={200: FormOut, **ERRORS}, summary="Get a form")
def get_form(request: HttpRequest, form_id: PathId) -> FormOut:
    return form_out(selectors.form_get_for_user(user=_user(request), form_id=form_id))


@router.patch("/{form_id}", response={200: FormOut, **ERRORS}, summary="Change a form (admins; makes a new version)")
def update_form(request: HttpRequest, form_id: PathId, payload: FormUpdateIn) -> FormOut:
    form = selectors.form_get_for_user(user=_user(request), form_id=form_id, action="change")
    form = services.form_update(
        form=form,
        by=_user(request),
        version=payload.version,
        name=payload.name,
        description=payload.description,
        spec=payload.spec,
        is_active=payload.is_active,
    )
    return form_out(form)


@router.delete("/{form_id}", response={204: None, **ERRORS}, summary="Delete a form no ticket type uses (admins)")
def delete_form(request: HttpRequest, form_id: PathId) -> tuple[int, None]:
    form = selectors.form_get_for_user(user=_user(request), form_id=form_id, action="change")
    services.form_delete(form=form, by=_user(request))
    return 204, None


@router.post(
    "/{form_id}/validate",
    response={200: FormValidateOut, **ERRORS},
    summary="Check values against a form",
    description="Returns the values as they would be stored, or 422 with an error per field (named by the field). "
    "File fields take a reference: {name, size, content_type}.",
)
def validate_values(request: HttpRequest, form_id: PathId, payload: FormValidateIn) -> FormValidateOut:
    form = selectors.form_get_for_user(user=_user(request), form_id=form_id)
    values = services.form_values_clean(form=form, values=payload.values)
    return FormValidateOut(version=form.version, values=values)
