"""Reading and writing contact files: CSV, XLSX and vCard, and guessing what each column of a file holds.

Format code only: it turns bytes into header + rows of text cells, and contacts into bytes. Validating the values
and writing contacts is the job of `services.contacts_import_records`; choosing which contacts to export is the job
of `selectors.contact_export_file`.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import re
import tempfile
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cache
from itertools import islice
from typing import IO, TYPE_CHECKING, Any, NamedTuple

import vobject
from babel import Locale
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from openpyxl import Workbook, load_workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from payvand.contacts.normalize import normalize_text

if TYPE_CHECKING:
    from django.utils.functional import Promise

CSV, XLSX, VCARD = "csv", "xlsx", "vcf"
EXTENSIONS = {".csv": CSV, ".txt": CSV, ".tsv": CSV, ".xlsx": XLSX, ".vcf": VCARD, ".vcard": VCARD}
MAX_COLUMNS = 200
MAX_UNPACKED_BYTES = 1024 * 1024 * 1024  # an XLSX is a zip: refuse zip bombs
SNIFF_BYTES = 64 * 1024
CONTENT_TYPES = {
    CSV: "text/csv; charset=utf-8",
    XLSX: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    VCARD: "text/vcard; charset=utf-8",
}

# The fields a column can be mapped to; `custom.<key>` targets are added for each custom field.
IMPORT_FIELDS: dict[str, Promise] = {
    "name": gettext_lazy("Name"),
    "kind": gettext_lazy("Kind (person or organisation)"),
    "status": gettext_lazy("Status"),
    "rating": gettext_lazy("Rating"),
    "source": gettext_lazy("Source"),
    "notes": gettext_lazy("Notes"),
    "email": gettext_lazy("Email"),
    "phone": gettext_lazy("Phone"),
    "telegram": gettext_lazy("Telegram"),
    "whatsapp": gettext_lazy("WhatsApp"),
    "instagram": gettext_lazy("Instagram"),
    "tags": gettext_lazy("Tags"),
    "segments": gettext_lazy("Groups"),
    "interests": gettext_lazy("Interests"),
    "organisation": gettext_lazy("Organisation"),
    "organisation_role": gettext_lazy("Role in the organisation"),
    "street": gettext_lazy("Street"),
    "city": gettext_lazy("City"),
    "postcode": gettext_lazy("Postcode"),
    "country": gettext_lazy("Country"),
    "latitude": gettext_lazy("Latitude"),
    "longitude": gettext_lazy("Longitude"),
}
# Fields that several columns may feed: names are joined with spaces (first + last name), the rest are collected.
REPEATABLE = frozenset(
    {"name", "notes", "email", "phone", "telegram", "whatsapp", "instagram", "tags", "segments", "interests", "street"}
)
CUSTOM_PREFIX = "custom."

# Header words per target, in English, Persian and Hungarian. Compared after `_header_key`, so case, accents,
# spaces, punctuation, Arabic letter forms and trailing numbers ("Phone 2", "email2") do not matter.
_SYNONYMS: dict[str, tuple[str, ...]] = {
    "name": (
        "name",
        "full name",
        "display name",
        "contact",
        "contact name",
        "customer",
        "customer name",
        "person",
        "first name",
        "given name",
        "last name",
        "family name",
        "surname",
        "middle name",
        "نام",
        "نام کامل",
        "نام و نام خانوادگی",
        "نام خانوادگی",
        "اسم",
        "مشتری",
        "نام مشتری",
        "نام شخص",
        "név",
        "teljes név",
        "ügyfél",
        "ügyfél neve",
        "ügyfélnév",
        "kapcsolattartó",
        "vezetéknév",
        "keresztnév",
        "utónév",
    ),
    "kind": ("kind", "type", "contact type", "نوع", "نوع مخاطب", "típus", "fajta"),
    "status": ("status", "state", "customer status", "وضعیت", "státusz", "állapot"),
    "rating": ("rating", "rank", "stars", "score", "امتیاز", "رتبه", "értékelés"),
    "source": ("source", "lead source", "origin", "منبع", "forrás"),
    "notes": (
        "notes",
        "note",
        "comment",
        "comments",
        "description",
        "remarks",
        "یادداشت",
        "یادداشت ها",
        "توضیحات",
        "توضیح",
        "megjegyzés",
        "megjegyzések",
        "leírás",
    ),
    "email": (
        "email",
        "e-mail",
        "mail",
        "email address",
        "e-mail address",
        "emails",
        "ایمیل",
        "پست الکترونیک",
        "پست الکترونیکی",
        "رایانامه",
        "آدرس ایمیل",
        "e-mail cím",
        "email cím",
        "emailcím",
    ),
    "phone": (
        "phone",
        "phones",
        "telephone",
        "tel",
        "mobile",
        "mobile phone",
        "cell",
        "cell phone",
        "phone number",
        "mobile number",
        "تلفن",
        "تلفن ها",
        "موبایل",
        "همراه",
        "تلفن همراه",
        "شماره تلفن",
        "شماره",
        "شماره تماس",
        "شماره موبایل",
        "تماس",
        "telefon",
        "telefonszám",
        "mobil",
        "mobiltelefon",
        "mobilszám",
    ),
    "telegram": ("telegram", "تلگرام"),
    "whatsapp": ("whatsapp", "واتساپ", "واتس اپ"),
    "instagram": ("instagram", "اینستاگرام"),
    "tags": ("tags", "tag", "labels", "label", "برچسب", "برچسب ها", "تگ", "címke", "címkék"),
    "segments": ("segments", "segment", "groups", "group", "گروه", "گروه ها", "csoport", "csoportok", "szegmens"),
    "interests": ("interests", "interest", "علاقه مندی", "علاقه مندی ها", "علایق", "érdeklődés", "érdeklődési kör"),
    "organisation": (
        "organisation",
        "organization",
        "company",
        "company name",
        "org",
        "employer",
        "business",
        "سازمان",
        "شرکت",
        "نام شرکت",
        "نام سازمان",
        "cég",
        "cégnév",
        "szervezet",
        "vállalat",
        "munkahely",
    ),
    "organisation_role": (
        "organisation role",
        "organization role",
        "role",
        "title",
        "job title",
        "position",
        "سمت",
        "نقش",
        "عنوان شغلی",
        "شغل",
        "beosztás",
        "szerep",
        "munkakör",
        "pozíció",
    ),
    "street": ("street", "address", "street address", "address line", "خیابان", "آدرس", "نشانی", "utca", "cím"),
    "city": ("city", "town", "شهر", "város", "település"),
    "postcode": ("postcode", "postal code", "post code", "zip", "zip code", "کد پستی", "irányítószám"),
    "country": ("country", "country code", "کشور", "ország"),
    "latitude": ("latitude", "lat", "عرض جغرافیایی", "szélesség", "földrajzi szélesség"),
    "longitude": ("longitude", "lng", "lon", "long", "طول جغرافیایی", "hosszúság", "földrajzi hosszúság"),
}

_NOT_WORD = re.compile(r"[\W_]+", re.UNICODE)
_TRAILING_NUMBER = re.compile(r"[0-9]+$")


class FileProblem(ValueError):
    """The file cannot be read as the format it claims to be. The message is for the user."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class BadRow(NamedTuple):
    """A record that could not be parsed at all (e.g. a broken vCard); the importer reports it for its row."""

    message: str


Cells = list[str] | BadRow


@dataclass
class Table:
    """The header and a lazy iterator of (row number as the user sees it, cells) of one file."""

    headers: list[str]
    rows: Iterator[tuple[int, Cells]]
    estimated_rows: int | None = None  # from the workbook's own dimension, when it states one


# ---------------------------------------------------------------------------------------------- formats


def sniff_format(name: str, head: bytes) -> str:
    """The format of a file from its name and its first bytes; both must agree. Raises FileProblem."""
    ext = ("." + name.rsplit(".", 1)[-1].lower()) if "." in name else ""
    fmt = EXTENSIONS.get(ext)
    if not head.strip(b" \t\r\n" + codecs.BOM_UTF8):
        raise FileProblem(_("The file is empty."))
    is_zip = head.startswith(b"PK\x03\x04")
    if fmt is None:
        if ext in (".xls", ".ods", ".numbers"):
            raise FileProblem(_("This spreadsheet format is not supported: save it as .xlsx or .csv and try again."))
        raise FileProblem(_("Unsupported file type: upload a .csv, .xlsx or .vcf file."))
    if fmt == XLSX:
        if not is_zip:
            raise FileProblem(_("This file is not an Excel workbook (.xlsx), although its name says so."))
        return fmt
    if is_zip or head.startswith(b"\xd0\xcf\x11\xe0"):
        raise FileProblem(_("This file is a binary spreadsheet or archive, not text: save it as .csv or .xlsx."))
    utf16 = head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE))
    if b"\x00" in head and not utf16:
        raise FileProblem(_("This file is not a text file."))
    if fmt == VCARD:
        text = head.decode("utf-16", errors="replace").encode() if utf16 else head
        if b"BEGIN:VCARD" not in text.upper():
            raise FileProblem(_("This file is not a vCard file: it has no BEGIN:VCARD line."))
    return fmt


def detect_encoding(f: IO[bytes]) -> str:
    """The text encoding of a whole file: UTF-8 (with or without BOM) or UTF-16 with BOM; otherwise the legacy
    encoding most likely for Persian (windows-1256) or Hungarian (ISO 8859-2, or windows-1250) text."""
    f.seek(0)
    head = f.read(4)
    f.seek(0)
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    decoder = codecs.getincrementaldecoder("utf-8")()
    sample = b""
    try:
        while chunk := f.read(1024 * 1024):
            if len(sample) < SNIFF_BYTES * 4:
                sample += chunk[: SNIFF_BYTES * 4]
            decoder.decode(chunk)
        decoder.decode(b"", final=True)
        return "utf-8"
    except UnicodeDecodeError:
        return _legacy_encoding(sample)
    finally:
        f.seek(0)


def _legacy_encoding(sample: bytes) -> str:
    """Persian text read as windows-1256 gives words of Arabic letters only; Hungarian text read that way gives
    Latin words with stray Arabic letters where the accented letters were."""
    arabic = mixed = 0
    for word in re.findall(r"\w+", sample.decode("cp1256", errors="replace")):
        if any("\u0600" <= ch <= "\u06ff" for ch in word):
            arabic += 1
            if any("a" <= ch <= "z" or "A" <= ch <= "Z" for ch in word):
                mixed += 1
    if arabic and mixed * 5 <= arabic:
        return "cp1256"
    if re.search(rb"[\x80-\x9f]", sample):
        try:
            sample.decode("cp1250")
        except UnicodeDecodeError:
            pass
        else:
            return "cp1250"
    return "iso-8859-2"


@contextmanager
def open_table(f: IO[bytes], fmt: str) -> Iterator[Table]:
    """Open a CSV, XLSX or vCard file (a seekable binary file) as a Table. Raises FileProblem."""
    if fmt == CSV:
        with _csv_table(f) as table:
            yield table
    elif fmt == XLSX:
        with _xlsx_table(f) as table:
            yield table
    elif fmt == VCARD:
        with _vcard_table(f) as table:
            yield table
    else:
        raise FileProblem(_("Unsupported file type: upload a .csv, .xlsx or .vcf file."))


def read_preview(f: IO[bytes], fmt: str, *, limit: int = 10) -> tuple[list[str], list[tuple[int, Cells]]]:
    """The header and the first rows of a file. Raises FileProblem."""
    with open_table(f, fmt) as table:
        return table.headers, list(islice(table.rows, limit))


def count_rows(f: IO[bytes], fmt: str) -> int:
    """How many data rows the file has (for the progress bar). Raises FileProblem."""
    if fmt == XLSX:
        with _xlsx_table(f, count_only=True) as table:
            if table.estimated_rows is not None:
                return table.estimated_rows
            return sum(1 for _row in table.rows)
    if fmt == CSV:
        with _csv_table(f, count_only=True) as table:
            return sum(1 for _row in table.rows)
    with open_table(f, fmt) as table:
        return sum(1 for _row in table.rows)


def _clean_headers(raw: Sequence[Any]) -> list[str]:
    headers = [re.sub(r"\s+", " ", cell_text(h).replace("\ufeff", "")).strip()[:200] for h in raw[:MAX_COLUMNS]]
    while headers and not headers[-1]:
        headers.pop()
    return headers


def _fit(cells: Sequence[Any], width: int) -> list[str] | None:
    """The row's cells as text, exactly `width` of them; None for a blank row."""
    row = [cell_text(c) for c in cells[:width]]
    if not any(c.strip() for c in row):
        return None
    return row + [""] * (width - len(row))


def cell_text(value: Any) -> str:
    """A spreadsheet cell as the text a user would type: 9121234567.0 is 9121234567, dates are ISO."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat(sep=" ")
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    return str(value)


# ---------------------------------------------------------------------------------------------- CSV


def sniff_delimiter(sample: str) -> str:
    sample = sample[: sample.rfind("\n") + 1] or sample
    try:
        return csv.Sniffer().sniff(sample, delimiters=",;\t|").delimiter
    except csv.Error:
        first = sample.split("\n", 1)[0]
        counts = {d: first.count(d) for d in ",;\t|"}
        best = max(counts, key=lambda d: counts[d])
        return best if counts[best] else ","


@contextmanager
def _csv_table(f: IO[bytes], *, count_only: bool = False) -> Iterator[Table]:
    """With `count_only`, the rows are (number, []) and only say that a non-blank row is there."""
    encoding = detect_encoding(f)
    text = io.TextIOWrapper(f, encoding=encoding, errors="replace", newline="")
    try:
        sample = text.read(SNIFF_BYTES)
        text.seek(0)
        records = enumerate(csv.reader(text, delimiter=sniff_delimiter(sample)), start=1)
        try:
            headers: list[str] = []
            for _number, record in records:
                headers = _clean_headers(record)
                if headers:
                    break
        except csv.Error as exc:
            raise FileProblem(_("The file cannot be read as CSV: %(error)s") % {"error": exc}) from exc
        if not headers:
            raise FileProblem(_("The file is empty."))
        yield Table(headers=headers, rows=_csv_rows(records, len(headers), count_only=count_only))
    finally:
        text.detach()


def _csv_rows(
    records: Iterator[tuple[int, list[str]]], width: int, *, count_only: bool = False
) -> Iterator[tuple[int, Cells]]:
    number = 1
    try:
        for number, record in records:
            # _fit for cells that are text already: the same rows, without converting each cell.
            row = record[:width]
            if not any(c.strip() for c in row):
                continue
            if count_only:
                yield number, []
                continue
            if len(row) < width:
                row += [""] * (width - len(row))
            yield number, row
    except csv.Error as exc:
        raise FileProblem(
            _("Row %(row)s cannot be read as CSV: %(error)s") % {"row": number + 1, "error": exc}
        ) from exc


# ---------------------------------------------------------------------------------------------- XLSX


@contextmanager
def _xlsx_table(f: IO[bytes], *, count_only: bool = False) -> Iterator[Table]:
    f.seek(0)
    try:
        with zipfile.ZipFile(f) as archive:
            names = set(archive.namelist())
            unpacked = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise FileProblem(_("The workbook is damaged and cannot be opened.")) from exc
    if "xl/workbook.xml" not in names:
        raise FileProblem(_("This file is not an Excel workbook (.xlsx)."))
    if unpacked > MAX_UNPACKED_BYTES:
        raise FileProblem(_("The workbook is too large once unpacked."))
    f.seek(0)
    try:
        workbook = load_workbook(f, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds of errors on a damaged file
        raise FileProblem(_("The workbook is damaged and cannot be opened.")) from exc
    try:
        if not workbook.worksheets:
            raise FileProblem(_("The workbook has no sheets."))
        sheet = workbook.worksheets[0]
        try:
            records = enumerate(sheet.iter_rows(values_only=True), start=1)
            headers: list[str] = []
            header_row = 0
            for number, record in records:
                headers = _clean_headers(record)
                if headers:
                    header_row = number
                    break
        except Exception as exc:  # a damaged sheet part
            raise FileProblem(_("The workbook is damaged and cannot be opened.")) from exc
        if not headers:
            raise FileProblem(_("The file is empty."))
        last_row = sheet.max_row
        yield Table(
            headers=headers,
            rows=_xlsx_rows(records, len(headers), count_only),
            estimated_rows=last_row - header_row if isinstance(last_row, int) and last_row >= header_row else None,
        )
    finally:
        workbook.close()


def _xlsx_rows(
    records: Iterator[tuple[int, tuple[Any, ...]]], width: int, count_only: bool
) -> Iterator[tuple[int, Cells]]:
    try:
        for number, record in records:
            if count_only:
                if any(c not in (None, "") for c in record[:width]):
                    yield number, []
                continue
            row = _fit(record, width)
            if row is not None:
                yield number, row
    except FileProblem:
        raise
    except Exception as exc:  # a damaged sheet part, found only when it is read
        raise FileProblem(_("The workbook is damaged and cannot be read to the end.")) from exc


# ---------------------------------------------------------------------------------------------- vCard

VCARD_HEADERS = [
    "name",
    "kind",
    "email",
    "phone",
    "telegram",
    "whatsapp",
    "instagram",
    "organisation",
    "organisation_role",
    "street",
    "city",
    "postcode",
    "country",
    "latitude",
    "longitude",
    "tags",
    "notes",
]
_GEO = re.compile(r"(-?\d+(?:\.\d+)?)\s*[,;]\s*(-?\d+(?:\.\d+)?)")
_SOCIAL = ("telegram", "whatsapp", "instagram")


@contextmanager
def _vcard_table(f: IO[bytes]) -> Iterator[Table]:
    encoding = detect_encoding(f)
    text = io.TextIOWrapper(f, encoding=encoding, errors="replace", newline="")
    try:
        yield Table(headers=list(VCARD_HEADERS), rows=_vcard_rows(text))
    finally:
        text.detach()


def _vcard_chunks(lines: Iterable[str]) -> Iterator[str]:
    """The text of each BEGIN:VCARD … END:VCARD block."""
    block: list[str] | None = None
    depth = 0
    for line in lines:
        upper = line.strip().upper()
        if upper == "BEGIN:VCARD":
            depth += 1
            if block is None:
                block = []
        if block is not None:
            block.append(line.rstrip("\r\n"))
        if upper == "END:VCARD" and block is not None:
            depth -= 1
            if depth <= 0:
                yield "\r\n".join(block) + "\r\n"
                block, depth = None, 0


def _vcard_rows(lines: Iterable[str]) -> Iterator[tuple[int, Cells]]:
    for number, chunk in enumerate(_vcard_chunks(lines), start=1):
        try:
            card = vobject.readOne(chunk, ignoreUnreadable=True)
            yield number, vcard_to_cells(card)
        except Exception as exc:  # vobject raises several kinds of errors on a broken card
            yield number, BadRow(_("This vCard cannot be read: %(error)s") % {"error": str(exc)[:200]})


def _values(card: Any, name: str) -> list[Any]:
    return [line.value for line in card.contents.get(name, [])]


def _first_text(card: Any, name: str) -> str:
    for value in _values(card, name):
        if isinstance(value, list):
            value = next((v for v in value if v), "")
        if str(value).strip():
            return str(value).strip()
    return ""


def vcard_to_cells(card: Any) -> list[str]:
    """One vCard (a vobject component) as cells in the order of VCARD_HEADERS."""
    row = dict.fromkeys(VCARD_HEADERS, "")
    row["name"] = _first_text(card, "fn")
    if not row["name"]:
        for n in _values(card, "n"):
            parts = [getattr(n, p, "") for p in ("prefix", "given", "additional", "family", "suffix")]
            row["name"] = " ".join(" ".join(p) if isinstance(p, list) else str(p) for p in parts if p).strip()
    kind = _first_text(card, "kind").lower()
    show_as = _first_text(card, "x-abshowas").upper()
    if kind in ("org", "organization", "organisation") or show_as == "COMPANY":
        row["kind"] = "organisation"
        row["name"] = row["name"] or _first_text(card, "org")
    row["email"] = "; ".join(str(v).removeprefix("mailto:").strip() for v in _values(card, "email") if v)
    row["phone"] = "; ".join(str(v).removeprefix("tel:").strip() for v in _values(card, "tel") if v)
    social: dict[str, list[str]] = {k: [str(v).strip() for v in _values(card, f"x-{k}") if v] for k in _SOCIAL}
    for value in _values(card, "impp") + _values(card, "x-socialprofile"):
        scheme, _sep, rest = str(value).partition(":")
        key = {"tg": "telegram", "telegram": "telegram", "whatsapp": "whatsapp", "instagram": "instagram"}.get(
            scheme.lower()
        )
        if key is None and "instagram.com/" in str(value):
            key, rest = "instagram", str(value).rstrip("/").rsplit("/", 1)[-1]
        if key:
            social[key].append(rest.strip().lstrip("/"))
    for key in _SOCIAL:
        row[key] = "; ".join(dict.fromkeys(social[key]))
    if row["kind"] != "organisation":
        row["organisation"] = _first_text(card, "org")
        row["organisation_role"] = _first_text(card, "title") or _first_text(card, "role")
    for adr in _values(card, "adr")[:1]:
        street = getattr(adr, "street", "")
        row["street"] = ", ".join(street) if isinstance(street, list) else str(street or "")
        row["city"] = str(getattr(adr, "city", "") or "")
        row["postcode"] = str(getattr(adr, "code", "") or "")
        row["country"] = str(getattr(adr, "country", "") or "")
    geo = _GEO.search(_first_text(card, "geo"))
    if geo:
        row["latitude"], row["longitude"] = geo.group(1), geo.group(2)
    tags: list[str] = []
    for value in _values(card, "categories"):
        tags += value if isinstance(value, list) else str(value).split(",")
    row["tags"] = ", ".join(t.strip() for t in tags if t.strip())
    row["notes"] = "\n".join(str(v) for v in _values(card, "note") if v)
    return [row[h].strip() for h in VCARD_HEADERS]


# ---------------------------------------------------------------------------------------------- guessing columns


def _header_key(text: str) -> str:
    key = _NOT_WORD.sub("", normalize_text(text))
    return _TRAILING_NUMBER.sub("", key) or key


@cache
def _synonym_index() -> dict[str, str]:
    index: dict[str, str] = {}
    for target in IMPORT_FIELDS:
        index[_header_key(target)] = target
    for target, words in _SYNONYMS.items():
        for word in words:
            index.setdefault(_header_key(word), target)
    return index


def import_targets(custom: Sequence[tuple[str, str]] = ()) -> list[tuple[str, str]]:
    """(target, label) for every field a column can be mapped to; `custom` is (key, label) of custom fields."""
    targets = [(key, str(label)) for key, label in IMPORT_FIELDS.items()]
    targets += [(f"{CUSTOM_PREFIX}{key}", _("Custom: %(label)s") % {"label": label}) for key, label in custom]
    return targets


def guess_mapping(headers: Sequence[str], custom: Sequence[tuple[str, str]] = ()) -> list[str]:
    """The most likely target of each column ("" to ignore it), from its header in English, Persian or
    Hungarian. A field that cannot repeat is given to its first column only."""
    index = _synonym_index()
    custom_index: dict[str, str] = {}
    for key, label in custom:
        custom_index.setdefault(_header_key(key), f"{CUSTOM_PREFIX}{key}")
        custom_index.setdefault(_header_key(str(label)), f"{CUSTOM_PREFIX}{key}")
    custom_targets = {f"{CUSTOM_PREFIX}{key}" for key, _label in custom}
    used: set[str] = set()
    mapping = []
    for header in headers:
        text = header.strip()
        if text.lower().startswith(CUSTOM_PREFIX) and text.lower() in custom_targets:
            target = text.lower()
        else:
            key = _header_key(text)
            target = (index.get(key) or custom_index.get(key, "")) if key else ""
        if target and target not in REPEATABLE and target in used:
            target = ""
        used.add(target)
        mapping.append(target)
    return mapping


@cache
def _country_index() -> dict[str, str]:
    index: dict[str, str] = {}
    for language in ("en", "fa", "hu"):
        for code, name in Locale.parse(language).territories.items():
            if len(code) == 2 and code.isalpha():
                index.setdefault(normalize_text(name), code)
    return index


def country_code(text: str) -> str:
    """A two-letter country code from a code or a country name in English, Persian or Hungarian; the text
    unchanged when it is neither (validation reports it)."""
    text = text.strip()
    if len(text) == 2:
        return text.upper()
    return _country_index().get(normalize_text(text), text)


# ---------------------------------------------------------------------------------------------- export

EXPORT_FIELDS = [
    "id",
    "name",
    "kind",
    "status",
    "rating",
    "source",
    "owner",
    "email",
    "phone",
    "telegram",
    "whatsapp",
    "instagram",
    "tags",
    "segments",
    "interests",
    "organisation",
    "organisation_role",
    "street",
    "city",
    "postcode",
    "country",
    "latitude",
    "longitude",
    "notes",
    "created_at",
]
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_NUMBER_LIKE = re.compile(r"^[+-]?[0-9][0-9 ().-]*$")


def export_headers(custom_keys: Sequence[str]) -> list[str]:
    return EXPORT_FIELDS + [f"{CUSTOM_PREFIX}{key}" for key in custom_keys]


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    if isinstance(value, dt.datetime):
        return value.isoformat(timespec="seconds")
    return str(value)


@dataclass
class ExportAddress:
    street: str
    city: str
    region: str
    postcode: str
    country: str
    latitude: Decimal | None
    longitude: Decimal | None


@dataclass
class ExportRecord:
    """One contact as the export writers need it: plain values, read in bulk (see selectors.contact_export_file)."""

    id: int
    name: str
    kind: str
    status: str
    rating: int
    source: str
    owner: str
    notes: str
    custom: dict[str, Any]
    created_at: dt.datetime
    updated_at: dt.datetime
    identities: list[tuple[str, str]] = field(default_factory=list)  # (kind, value), primary first
    tags: list[str] = field(default_factory=list)
    segments: list[str] = field(default_factory=list)
    interests: list[str] = field(default_factory=list)
    organisation: str = ""  # the primary organisation of a person
    role: str = ""
    address: ExportAddress | None = None  # the first address


def export_row(record: ExportRecord, custom_keys: Sequence[str]) -> list[str]:
    """One contact as cells in the order of `export_headers`."""
    ids: dict[str, list[str]] = {}
    for kind, value in record.identities:
        ids.setdefault(kind, []).append(value)
    address = record.address
    values: list[Any] = [
        record.id,
        record.name,
        record.kind,
        record.status,
        record.rating,
        record.source,
        record.owner,
        *("; ".join(ids.get(kind, [])) for kind in ("email", "phone", "telegram", "whatsapp", "instagram")),
        ", ".join(record.tags),
        ", ".join(record.segments),
        ", ".join(record.interests),
        record.organisation,
        record.role,
        *(
            (getattr(address, f) if address else "")
            for f in ("street", "city", "postcode", "country", "latitude", "longitude")
        ),
        record.notes,
        record.created_at,
        *(record.custom.get(key) for key in custom_keys),
    ]
    return [_text(v) for v in values]


def _guard_formula(cell: str) -> str:
    """Spreadsheets run cells starting with = + - @ as formulas: quote them, except numbers like +98912…"""
    if cell.startswith(_FORMULA_START) and not _NUMBER_LIKE.match(cell):
        return "'" + cell
    return cell


def unguard_formula(cell: str) -> str:
    """Undo `_guard_formula`, so an exported file imports back unchanged."""
    if cell.startswith("'") and cell[1:2] in _FORMULA_START:
        return cell[1:]
    return cell


def csv_chunks(
    contacts: Iterable[ExportRecord], custom_keys: Sequence[str], *, rows_per_chunk: int = 500
) -> Iterator[bytes]:
    """A CSV file in UTF-8 with a BOM (so Excel shows Persian correctly), a few hundred rows per chunk."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(export_headers(custom_keys))
    yield codecs.BOM_UTF8 + buffer.getvalue().encode()
    buffer.seek(0)
    buffer.truncate()
    for n, record in enumerate(contacts, start=1):
        writer.writerow([_guard_formula(c) for c in export_row(record, custom_keys)])
        if n % rows_per_chunk == 0:
            yield buffer.getvalue().encode()
            buffer.seek(0)
            buffer.truncate()
    if buffer.tell():
        yield buffer.getvalue().encode()


def xlsx_chunks(
    contacts: Iterable[ExportRecord], custom_keys: Sequence[str], *, chunk_size: int = 64 * 1024
) -> Iterator[bytes]:
    """An XLSX workbook, written row by row (openpyxl write-only) to a temporary file, then streamed."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(_("Contacts"))
    sheet.append(export_headers(custom_keys))
    for record in contacts:
        cells = []
        for value in export_row(record, custom_keys):
            cell = WriteOnlyCell(sheet, value=ILLEGAL_CHARACTERS_RE.sub("", value))
            cell.data_type = "s"  # text, never a formula
            cells.append(cell)
        sheet.append(cells)
    with tempfile.TemporaryFile() as out:
        workbook.save(out)
        out.seek(0)
        while chunk := out.read(chunk_size):
            yield chunk


VCARD_VERSIONS = ("3.0", "4.0")


def contact_to_vcard(record: ExportRecord, version: str = "3.0") -> Any:
    """One contact as a vobject vCard component, version 3.0 or 4.0."""
    card = vobject.vCard()
    card.add("version").value = version
    card.add("uid").value = f"urn:payvand:contact:{record.id}"
    card.add("fn").value = record.name
    is_org = record.kind == "organisation"
    if version == "3.0":
        card.add("n").value = vobject.vcard.Name(given="" if is_org else record.name)
    if is_org:
        card.add("org").value = [record.name]
        if version == "4.0":
            card.add("kind").value = "org"
        else:
            card.add("x-abshowas").value = "COMPANY"
    for kind, value in record.identities:
        if kind == "email":
            line = card.add("email")
            line.value = value
            if version == "3.0":
                line.type_param = "INTERNET"
        elif kind == "phone":
            line = card.add("tel")
            if version == "4.0":
                line.value = f"tel:{value}"
                line.params["VALUE"] = ["uri"]
            else:
                line.value = value
        else:
            card.add(f"x-{kind}").value = value
    if record.organisation and not is_org:
        card.add("org").value = [record.organisation]
        if record.role:
            card.add("title").value = record.role
    if (address := record.address) is not None:
        card.add("adr").value = vobject.vcard.Address(
            street=address.street,
            city=address.city,
            region=address.region,
            code=address.postcode,
            country=address.country,
        )
        if address.latitude is not None and address.longitude is not None:
            lat, lon = _text(address.latitude), _text(address.longitude)
            card.add("geo").value = f"geo:{lat},{lon}" if version == "4.0" else f"{lat};{lon}"
    if record.tags:
        card.add("categories").value = list(record.tags)
    if record.notes:
        card.add("note").value = record.notes
    card.add("rev").value = record.updated_at.astimezone(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    return card


def vcard_chunks(
    contacts: Iterable[ExportRecord], version: str = "3.0", *, cards_per_chunk: int = 200
) -> Iterator[bytes]:
    parts: list[str] = []
    for n, record in enumerate(contacts, start=1):
        parts.append(contact_to_vcard(record, version).serialize())
        if n % cards_per_chunk == 0:
            yield "".join(parts).encode()
            parts = []
    if parts:
        yield "".join(parts).encode()
