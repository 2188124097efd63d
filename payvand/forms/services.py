"""Every write to forms, and the server-side validation of the values entered into them."""

from __future__ import annotations

import datetime as dt
import os
import re
import uuid
from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django.core.exceptions import SuspiciousFileOperation
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils.text import get_valid_filename
from django.utils.translation import gettext as _

from payvand.accounts.models import User
from payvand.contacts.models import Contact
from payvand.core.errors import Conflict, FieldError, NotFound, ValidationFailed
from payvand.core.localization import format_date, format_number
from payvand.core.services import event_record
from payvand.forms import spec as specs
from payvand.forms.models import Form, FormVersion

NAME_MAX = 120
DESCRIPTION_MAX = 5000
FILE_DIR = "formfiles"
FILE_PATH_RE = re.compile(FILE_DIR + r"/[0-9a-f]{32}/[^/\x00]{1,150}")


# ---------------------------------------------------------------------------------------------- forms


def form_spec_compile(*, spec: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    """A builder spec as (JSON Schema, layout). Raises ValidationFailed naming each bad setting by its path."""
    return specs.compile_spec(spec)


def _meta_errors(*, name: str | None, description: str | None, exclude_id: int | None = None) -> list[FieldError]:
    errors = []
    if "\x00" in (name or "") + (description or ""):
        return [
            FieldError("name" if "\x00" in (name or "") else "description", _("Text cannot contain NUL characters."))
        ]
    if name is not None:
        if not name.strip():
            errors.append(FieldError("name", _("A name is required.")))
        elif len(name.strip()) > NAME_MAX:
            errors.append(FieldError("name", _("At most %(n)d characters.") % {"n": NAME_MAX}))
        elif Form.objects.filter(name__iexact=name.strip()).exclude(pk=exclude_id or 0).exists():
            errors.append(FieldError("name", _("Another form already has this name.")))
    if description is not None and len(description) > DESCRIPTION_MAX:
        errors.append(FieldError("description", _("At most %(n)d characters.") % {"n": DESCRIPTION_MAX}))
    return errors


def _compile_collecting(spec: Any, errors: list[FieldError]) -> tuple[dict[str, Any], dict[str, Any]]:
    try:
        return specs.compile_spec(spec)
    except ValidationFailed as exc:
        errors += exc.errors
        return {}, {}


def _save_unique_name(form: Form, **kwargs: Any) -> None:
    try:
        with transaction.atomic():
            form.save(**kwargs)
    except IntegrityError as exc:  # two admins saving the same name at once
        raise ValidationFailed.on("name", _("Another form already has this name.")) from exc


def _snapshot(form: Form, by: User | None) -> None:
    FormVersion.objects.create(
        form=form,
        version=form.version,
        schema=form.schema,
        layout=form.layout,
        created_by=by if by is not None and by.is_authenticated else None,
    )


@transaction.atomic
def form_create(*, by: User | None, name: str, spec: Any, description: str = "", is_active: bool = True) -> Form:
    """Create a form from a builder spec (docs/forms.md). Raises ValidationFailed."""
    errors = _meta_errors(name=name, description=description)
    schema, layout = _compile_collecting(spec, errors)
    if errors:
        raise ValidationFailed(detail=_("The form has mistakes."), errors=errors)
    form = Form(
        name=name.strip(),
        description=description.strip(),
        schema=schema,
        layout=layout,
        version=1,
        is_active=is_active,
    )
    _save_unique_name(form)
    _snapshot(form, by)
    event_record(actor=by, verb="form.created", target=form, data={"name": form.name, "version": 1})
    return form


@transaction.atomic
def form_update(
    *,
    form: Form,
    by: User | None,
    version: int,
    name: str | None = None,
    description: str | None = None,
    spec: Any = None,
    is_active: bool | None = None,
) -> Form:
    """Change a form; every change makes a new version. `version` must be the one the editor started from, or the
    edit conflicts with someone else's. Values saved earlier stay valid for the version they were entered in."""
    locked = Form.objects.select_for_update().filter(pk=form.pk).first()
    if locked is None:
        raise NotFound(detail=_("No such form."))
    if locked.version != version:
        raise Conflict(
            detail=_("Someone else changed this form meanwhile. Reload it and try again."),
            errors=[FieldError("version", _("Expected version %(v)s.") % {"v": locked.version})],
        )
    errors = _meta_errors(name=name, description=description, exclude_id=locked.pk)
    schema, layout = _compile_collecting(spec, errors) if spec is not None else (locked.schema, locked.layout)
    if errors:
        raise ValidationFailed(detail=_("The form has mistakes."), errors=errors)
    changed = []
    if name is not None and name.strip() != locked.name:
        locked.name = name.strip()
        changed.append("name")
    if description is not None and description.strip() != locked.description:
        locked.description = description.strip()
        changed.append("description")
    if spec is not None and (schema, layout) != (locked.schema, locked.layout):
        locked.schema, locked.layout = schema, layout
        changed.append("spec")
    if is_active is not None and is_active != locked.is_active:
        locked.is_active = is_active
        changed.append("is_active")
    locked.version = F("version") + 1
    _save_unique_name(
        locked, update_fields=["name", "description", "schema", "layout", "is_active", "version", "updated_at"]
    )
    locked.refresh_from_db(fields=["version"])
    _snapshot(locked, by)
    event_record(actor=by, verb="form.updated", target=locked, data={"version": locked.version, "changed": changed})
    return locked


@transaction.atomic
def form_deactivate(*, form: Form, by: User | None) -> Form:
    """Hide a form from new ticket types and new requests; what was entered with it stays readable."""
    updated = Form.objects.filter(pk=form.pk, is_active=True).update(is_active=False)
    form.is_active = False
    if updated:
        event_record(actor=by, verb="form.deactivated", target=form, data={"name": form.name})
    return form


@transaction.atomic
def form_delete(*, form: Form, by: User | None) -> None:
    """Delete a form nothing uses; a form a ticket type uses can only be deactivated. Raises Conflict."""
    locked = Form.objects.select_for_update().filter(pk=form.pk).first()
    if locked is None:
        raise NotFound(detail=_("No such form."))
    if locked.ticket_types.exists():
        raise Conflict(detail=_("Ticket types use this form: deactivate it instead, or give them another form."))
    event_record(actor=by, verb="form.deleted", target=locked, data={"name": locked.name, "id": locked.pk})
    locked.delete()


# ---------------------------------------------------------------------------------------------- values


def _display_name(raw: str) -> str:
    name = os.path.basename(raw.replace("\\", "/"))
    name = "".join(ch for ch in name if ch.isprintable()).strip()
    if len(name) > 200:
        stem, ext = os.path.splitext(name)
        name = stem[: 200 - len(ext[:20])] + ext[:20]
    return name


def _file_value(raw: Any, upload: UploadedFile | None) -> dict[str, Any] | None:
    limit = settings.ATTACHMENT_MAX_BYTES
    too_large = _("The file is too large: at most %(size)s bytes.") % {"size": format_number(limit)}
    if upload is not None:
        name = _display_name(upload.name or "")
        if not name:
            raise specs.BadValue(_("The file has no name."))
        if (upload.size or 0) > limit:
            raise specs.BadValue(too_large)
        content_type = (upload.content_type or "application/octet-stream")[:100]
        return {"name": name, "size": upload.size or 0, "content_type": content_type}
    if specs._empty(raw):
        return None
    if not isinstance(raw, dict) or set(raw) - {"name", "size", "content_type", "path"}:
        raise specs.BadValue(_("Upload a file."))
    raw_name, size, content_type = raw.get("name"), raw.get("size"), raw.get("content_type", "")
    if not isinstance(raw_name, str) or not _display_name(raw_name) or len(raw_name) > 200:
        raise specs.BadValue(_("The file has no name."))
    if not isinstance(size, int) or isinstance(size, bool) or size < 0:
        raise specs.BadValue(_("Give the file's size in bytes."))
    if size > limit:
        raise specs.BadValue(too_large)
    if not isinstance(content_type, str) or len(content_type) > 100 or "\x00" in content_type:
        raise specs.BadValue(_("Give the file's content type."))
    value: dict[str, Any] = {"name": _display_name(raw_name), "size": size, "content_type": content_type}
    path = raw.get("path")
    if path is not None:
        if not isinstance(path, str) or not FILE_PATH_RE.fullmatch(path) or ".." in path:
            raise specs.BadValue(_("This is not a file uploaded with a form."))
        value["path"] = path
    return value


def _schema_message(field: Mapping[str, Any], kind: str) -> str:
    limit_min, limit_max = field.get("min"), field.get("max")
    if kind.startswith("Custom:") and not isinstance(limit_min if kind.endswith("Minimum") else limit_max, str):
        return _("Enter a valid date.")
    if kind == "Pattern":
        return specs.label_text(field.get("pattern_message")) or _("Enter a value in the required format.")
    if kind == "MinLength":
        return _("At least %(n)s characters.") % {"n": format_number(limit_min)}
    if kind == "MaxLength":
        cap = limit_max if limit_max is not None else specs.TEXT_LIMITS.get(field.get("kind", ""), 0)
        return _("At most %(n)s characters.") % {"n": format_number(cap)}
    if kind == "Minimum":
        return _("The smallest allowed value is %(n)s.") % {"n": format_number(limit_min)}
    if kind == "Maximum":
        return _("The largest allowed value is %(n)s.") % {"n": format_number(limit_max)}
    if kind in ("ExclusiveMinimum", "ExclusiveMaximum"):
        return _("The number is too large.")
    if kind == "Custom:formatMinimum":
        return _("The earliest allowed date is %(d)s.") % {"d": format_date(dt.date.fromisoformat(str(limit_min)))}
    if kind == "Custom:formatMaximum":
        return _("The latest allowed date is %(d)s.") % {"d": format_date(dt.date.fromisoformat(str(limit_max)))}
    if kind == "Format":
        return _("Enter a valid date.")
    if kind == "Enum":
        return _("Choose one of the offered values.")
    if kind == "MinItems":
        if field.get("required") and (limit_min or 0) <= 1:
            return _("This field is required.")
        return _("Choose at least %(n)s.") % {"n": format_number(limit_min)}
    if kind == "MaxItems":
        return _("Choose at most %(n)s.") % {"n": format_number(limit_max)}
    if kind == "Constant":
        return _("Tick this box to go on.")
    if kind == "Required":
        return _("This field is required.")
    return _("This value is not valid.")


def _schema_errors(form: Form, clean: dict[str, Any], fields: Mapping[str, Any], skip: set[str]) -> list[FieldError]:
    if not form.schema:
        return []
    errors: list[FieldError] = []
    seen: set[str] = set(skip)
    for error in specs.validator(form.schema).iter_errors(clean):
        kind = type(error.kind).__name__
        if kind == "Custom":
            kind = f"Custom:{error.kind.keyword}"  # type: ignore[attr-defined]
        path = list(error.instance_path)
        name = str(path[0]) if path else str(getattr(error.kind, "property", "") or "")
        if name in seen:
            continue
        seen.add(name)
        field = fields.get(name, {})
        errors.append(FieldError(name or None, _schema_message(field, kind)))
    return errors


def form_values_clean(*, form: Form, values: Any, files: Mapping[str, UploadedFile] | None = None) -> dict[str, Any]:
    """Validate values entered into a form and return them as stored: numbers as numbers, dates as ISO YYYY-MM-DD
    (Jalali and Persian-digit input accepted), contacts as ids of existing contacts, files as {name, size,
    content_type}. Fields hidden by their condition are dropped and never required. Raises ValidationFailed with
    one error per field, named by the field's name."""
    if not isinstance(values, dict):
        raise ValidationFailed.on(None, _("The values must be an object of field names and values."))
    files = files or {}
    ordered = specs.fields_in_order(form.layout or {})
    fields = dict(ordered)
    kinds = {name: field.get("kind", "") for name, field in ordered}
    errors: list[FieldError] = []
    for key in [*values, *files]:
        if key not in fields:
            errors.append(FieldError(str(key)[:64], _("This form has no such field.")))
    clean: dict[str, Any] = {}
    contacts: dict[str, int] = {}
    for name, field in ordered:
        if not specs.condition_met(field.get("show_if"), clean, kinds):
            continue
        raw = values.get(name)
        value: Any
        try:
            if field["kind"] == specs.FILE:
                value = _file_value(raw, files.get(name))
            elif field["kind"] == specs.CHECKBOX:
                value = specs.parse_bool(False if raw is None else raw)
            else:
                value = None if specs._empty(raw) else specs.coerce_value(field, raw)
        except specs.BadValue as exc:
            errors.append(FieldError(name, str(exc)))
            continue
        if value is None or value == "" or value == []:
            if field.get("required"):
                errors.append(FieldError(name, _("This field is required.")))
            continue
        clean[name] = value
        if field["kind"] == specs.CONTACT:
            contacts[name] = value
    if contacts:
        existing = set(Contact.objects.filter(pk__in=contacts.values()).values_list("pk", flat=True))
        for name, pk in contacts.items():
            if pk not in existing:
                errors.append(FieldError(name, _("No such contact.")))
                del clean[name]
    errors += _schema_errors(form, clean, fields, {e.field for e in errors if e.field})
    if errors:
        raise ValidationFailed(detail=_("Some fields are not valid."), errors=errors)
    return clean


def form_files_save(*, values: dict[str, Any], files: Mapping[str, UploadedFile]) -> dict[str, Any]:
    """Store the uploads that `form_values_clean` accepted (fields it dropped are skipped) and add each one's
    storage `path` to its value. Call it inside the caller's transaction, after cleaning."""
    saved: dict[str, Any] = dict(values)
    for name, upload in files.items():
        value = saved.get(name)
        if not isinstance(value, dict) or "path" in value:
            continue
        try:
            filename = get_valid_filename(value["name"])[-100:]
        except SuspiciousFileOperation:
            filename = "file"
        path = default_storage.save(f"{FILE_DIR}/{uuid.uuid4().hex}/{filename}", upload)
        saved[name] = {**value, "path": path}
    return saved
