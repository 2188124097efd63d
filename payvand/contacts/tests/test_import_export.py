from __future__ import annotations

import codecs
import csv
import io
import json
from typing import Any

import pytest
from asgiref.sync import async_to_sync
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import AsyncClient
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from openpyxl import Workbook, load_workbook

from payvand.accounts import roles
from payvand.accounts.services import user_create
from payvand.contacts import exchange, selectors, services
from payvand.contacts.models import Contact, CustomField, Identity, ImportJob
from payvand.core import readahead
from payvand.core.errors import ValidationFailed
from payvand.core.models import Event

IMPORTS = "/api/v1/contacts/imports"
EXPORT = "/api/v1/contacts/export"


def _csv(rows: list[list[Any]], *, delimiter: str = ",", encoding: str = "utf-8") -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=delimiter).writerows(rows)
    return buffer.getvalue().encode(encoding)


def _xlsx(rows: list[list[Any]]) -> bytes:
    workbook = Workbook()
    sheet: Any = workbook.active
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _file(name: str, content: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="application/octet-stream")


def _api_import(api, capture, name: str, content: bytes, **data: Any):
    with capture(execute=True):  # the import runs when the upload commits (inline with the immediate backend)
        return api.post(IMPORTS, {"file": _file(name, content), **data})


def _api_imported(api, capture, name: str, content: bytes, **data: Any) -> dict[str, Any]:
    """Upload over the API, let the import run, and return the finished job."""
    r = _api_import(api, capture, name, content, **data)
    assert r.status_code == 202, r.content
    return api.get(f"{IMPORTS}/{r.json()['id']}").json()


def _contact(name: str) -> Contact:
    return Contact.objects.prefetch_related(
        "identities", "tags", "segments", "interests", "addresses", "affiliations__organisation"
    ).get(name=name)


def _values(contact: Contact, kind: str) -> list[str]:
    return [i.value for i in contact.identities.all() if i.kind == kind]


def _body(response) -> bytes:
    return b"".join(response.streaming_content)


# ---------------------------------------------------------------------------------------------- the UI flow


@pytest.mark.django_db
def test_it_imports_a_persian_csv_through_upload_preview_and_progress(
    supervisor, client_for, django_capture_on_commit_callbacks
):
    client = client_for(supervisor)
    content = _csv(
        [
            [
                "نام",
                "تلفن",
                "ایمیل",
                "وضعیت",
                "امتیاز",
                "برچسب‌ها",
                "سازمان",
                "سمت",
                "شهر",
                "کشور",
                "عرض جغرافیایی",
                "طول جغرافیایی",
            ],
            [
                "علی رضایی",
                "۰۹۱۲ ۱۲۳ ۴۵۶۷",
                "Ali@Example.COM",
                "مشتری",
                "۴",
                "ویژه، تهران",
                "شرکت پارس",
                "مدیر",
                "تهران",
                "ایران",
                "۳۵٫۷",
                "۵۱٫۴",
            ],
            [
                "Anna Kovács",
                "+36 30 123 4567; 06 1 234 5678",
                "anna@example.hu",
                "customer",
                "2",
                "vip",
                "",
                "",
                "Budapest",
                "HU",
                "",
                "",
            ],
        ],
        delimiter=";",
    )
    r = client.post(
        reverse("contacts:import"),
        {"file": _file("people.csv", codecs.BOM_UTF8 + content), "skip_duplicates": "on", "source": "Fair 2025"},
    )
    assert r.status_code == 302, r.content
    job = ImportJob.objects.get()
    assert r["Location"] == reverse("contacts:import_detail", args=[job.pk])
    assert job.format == "csv"
    assert job.mapping["started"] is False

    r = client.get(r["Location"])
    page = r.content.decode()
    assert r.status_code == 200
    assert "علی رضایی" in page
    assert 'id="import-preview"' in page
    assert '<option value="phone" selected>' in page  # guessed from "تلفن"
    assert Contact.objects.count() == 0  # nothing imported before the mapping is confirmed

    mapping = {f"col_{i}": target for i, target in enumerate(job.mapping["columns"])}
    assert list(mapping.values())[:8] == [
        "name",
        "phone",
        "email",
        "status",
        "rating",
        "tags",
        "organisation",
        "organisation_role",
    ]
    with django_capture_on_commit_callbacks(execute=True):
        r = client.post(reverse("contacts:import_detail", args=[job.pk]), mapping)
    assert r.status_code == 302

    job.refresh_from_db()
    assert job.status == ImportJob.Status.DONE, job.failure
    assert (job.total_rows, job.processed_rows, job.created_count, job.error_count) == (2, 2, 2, 0)
    ali = _contact("علی رضایی")
    assert _values(ali, "phone") == ["+989121234567"]
    assert _values(ali, "email") == ["ali@example.com"]
    assert (ali.status, ali.rating, ali.source) == ("customer", 4, "Fair 2025")
    assert sorted(t.name for t in ali.tags.all()) == ["تهران", "ویژه"]
    [affiliation] = ali.affiliations.all()
    assert (affiliation.organisation.name, affiliation.organisation.kind, affiliation.role) == (
        "شرکت پارس",
        "organisation",
        "مدیر",
    )
    [address] = ali.addresses.all()
    assert (address.city, address.country, str(address.latitude), str(address.longitude)) == (
        "تهران",
        "IR",
        "35.700000",
        "51.400000",
    )
    anna = _contact("Anna Kovács")
    assert sorted(_values(anna, "phone")) == ["+3612345678", "+36301234567"]
    assert [i.is_primary for i in anna.identities.all() if i.kind == "phone"].count(True) == 1
    # Imported contacts are searchable at once, by name, phone and organisation.
    assert selectors.contact_search_ids(text="رضایی") == [ali.pk]
    assert selectors.contact_search_ids(text="09121234567") == [ali.pk]
    assert ali.pk in selectors.contact_search_ids(text="پارس")

    r = client.get(reverse("contacts:import_detail", args=[job.pk]))
    page = r.content.decode()
    assert 'class="progress-bar' in page
    assert 'hx-trigger="every 1s"' not in page  # a finished import stops polling
    event = Event.objects.get(verb="import.finished")
    assert (event.actor, event.target_id, event.data["created"]) == (supervisor, str(job.pk), 2)

    r = client.get(reverse("contacts:import"))
    assert "people.csv" in r.content.decode()  # the recent imports


@pytest.mark.django_db
def test_it_polls_progress_with_an_htmx_partial_until_the_import_is_done(supervisor, client_for):
    client = client_for(supervisor)
    upload = _file("a.csv", _csv([["name", "phone"], ["Sara", "09351112233"]]))
    job = services.import_job_create(by=supervisor, upload=upload, original_name="a.csv")
    services.import_job_start(job=job, mapping=["name", "phone"], by=supervisor)  # queued, not run (no commit)
    url = reverse("contacts:import_detail", args=[job.pk])

    page = client.get(url).content.decode()
    assert "<html" in page
    assert 'hx-trigger="every 1s"' in page
    assert 'role="progressbar"' in page
    partial = client.get(url, headers={"HX-Request": "true"}).content.decode()
    assert "<html" not in partial
    assert partial.lstrip().startswith('<div id="import-progress"')
    assert 'hx-trigger="every 1s"' in partial

    services.import_job_run(job_id=job.pk)
    partial = client.get(url, headers={"HX-Request": "true"}).content.decode()
    assert "hx-trigger" not in partial
    assert "100%" in partial
    assert services.import_job_run(job_id=job.pk) is None  # a second delivery of the task does nothing
    assert Contact.objects.filter(name="Sara").count() == 1


@pytest.mark.django_db
def test_it_shows_mapping_errors_on_the_form(supervisor, client_for):
    client = client_for(supervisor)
    job = services.import_job_create(
        by=supervisor, upload=_file("a.csv", _csv([["who", "tel"], ["A", "1"]])), original_name="a.csv"
    )
    assert job.mapping["columns"] == ["", "phone"]
    url = reverse("contacts:import_detail", args=[job.pk])
    r = client.post(url, {"col_0": "", "col_1": "phone"})
    assert r.status_code == 200
    assert "Choose the column that holds the name." in r.content.decode()
    r = client.post(url, {"col_0": "name", "col_1": "name"})
    assert r.status_code == 302  # the name may take several columns (first and last name)
    job.refresh_from_db()
    assert job.mapping["started"] is True


@pytest.mark.django_db
def test_it_reports_bad_files_on_the_upload_form(supervisor, client_for):
    client = client_for(supervisor)
    for name, content, message in [
        ("empty.csv", b"", "file is empty"),
        ("blank.csv", b"\n \n", "The file is empty."),
        ("only-header.csv", b"name,phone\n", "no rows to import"),
        ("broken.xlsx", b"PK\x03\x04garbage-not-a-zip", "damaged"),
        ("text.xlsx", b"name,phone\nA,1\n", "not an Excel workbook"),
        ("report.pdf", b"%PDF-1.4 ...", "Unsupported file type"),
        ("old.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "not supported"),
        ("cards.vcf", b"hello", "not a vCard"),
    ]:
        r = client.post(reverse("contacts:import"), {"file": _file(name, content), "skip_duplicates": "on"})
        assert r.status_code == 200, name
        assert message in r.content.decode(), name
    assert ImportJob.objects.count() == 0


# ---------------------------------------------------------------------------------------------- formats


@pytest.mark.django_db
def test_it_imports_xlsx_over_the_api(supervisor, api_for, django_capture_on_commit_callbacks):
    CustomField.objects.create(key="birthday", label="Birthday", kind=CustomField.Kind.DATE)
    content = _xlsx(
        [
            ["Name", "Mobile", "E-mail", "Company", "Birthday", "Notes"],
            ["Péter Nagy", 9121230000, "peter@example.hu", "Nagy Kft", "1403/01/01", "Call after 5"],
            [None, None, None, None, None, None],
            ["Eva", "06 30 999 8877", "", "", "2000-02-03", ""],
        ]
    )
    body = _api_imported(api_for(supervisor), django_capture_on_commit_callbacks, "list.xlsx", content)
    assert body["status"] == "done"
    assert body["format"] == "xlsx"
    assert [c["target"] for c in body["columns"]] == [
        "name",
        "phone",
        "email",
        "organisation",
        "custom.birthday",
        "notes",
    ]
    assert (body["created_count"], body["error_count"], body["total_rows"]) == (2, 0, 2)
    peter = _contact("Péter Nagy")
    assert _values(peter, "phone") == ["+989121230000"]  # a number cell loses its leading 0; still Iranian
    assert peter.custom == {"birthday": "2024-03-20"}
    assert peter.notes == "Call after 5"
    assert peter.affiliations.get().organisation.name == "Nagy Kft"
    assert _values(_contact("Eva"), "phone") == ["+36309998877"]


@pytest.mark.django_db
def test_it_imports_vcards(supervisor, api_for, django_capture_on_commit_callbacks):
    cards = (
        "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Sara Ahmadi\r\nN:Ahmadi;Sara;;;\r\nTEL;TYPE=CELL:0935 111 2233\r\n"
        "EMAIL;TYPE=INTERNET:Sara@Example.ir\r\nORG:Pars Co\r\nTITLE:Engineer\r\n"
        "ADR;TYPE=WORK:;;Valiasr 5;Tehran;;12345;Iran\r\nGEO:35.7;51.4\r\nCATEGORIES:vip,friend\r\n"
        "NOTE:Met at the fair\r\nX-TELEGRAM:@sara_a\r\nEND:VCARD\r\n"
        "BEGIN:VCARD\r\nVERSION:4.0\r\nKIND:org\r\nFN:Pars Co\r\nTEL;VALUE=uri:tel:+982122334455\r\nEND:VCARD\r\n"
        "BEGIN:VCARD\r\nVERSION:3.0\r\nN:Nagy;Péter;;;\r\nTEL:+36 20 123 4567\r\nEND:VCARD\r\n"
        "BEGIN:VCARD\r\nVERSION:3.0\r\nTEL:not a phone\r\nEND:VCARD\r\n"
    ).encode()
    body = _api_imported(api_for(supervisor), django_capture_on_commit_callbacks, "phone.vcf", cards)
    assert (body["created_count"], body["error_count"], body["total_rows"]) == (3, 1, 4)
    assert {(e["row"], e["field"]) for e in body["errors"]} == {(4, "name"), (4, "phone")}
    sara = _contact("Sara Ahmadi")
    assert _values(sara, "phone") == ["+989351112233"]
    assert _values(sara, "email") == ["sara@example.ir"]
    assert _values(sara, "telegram") == ["sara_a"]
    assert sorted(t.name for t in sara.tags.all()) == ["friend", "vip"]
    assert sara.notes == "Met at the fair"
    [address] = sara.addresses.all()
    assert (address.street, address.city, address.postcode, address.country) == ("Valiasr 5", "Tehran", "12345", "IR")
    [affiliation] = sara.affiliations.all()
    assert (affiliation.organisation.name, affiliation.role) == ("Pars Co", "Engineer")
    assert Contact.objects.filter(name="Pars Co", kind="organisation").count() == 1  # the card, not a copy
    assert Contact.objects.filter(name="Péter Nagy").exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("encoding", "text", "search"),
    [
        ("cp1256", "نام,تلفن\nمحمد کریمی,09351234567\n".replace("ی", "ي"), "کریمی"),
        ("iso-8859-2", "Név;Telefon\nKovács Győző;06 30 123 4567\n", "Győző"),
        ("utf-16", "Name\tPhone\nZoë Ünal\t+36 30 765 4321\n", "Zoë"),
    ],
)
def test_it_reads_csv_in_legacy_encodings(
    supervisor, api_for, django_capture_on_commit_callbacks, encoding, text, search
):
    body = _api_imported(api_for(supervisor), django_capture_on_commit_callbacks, "legacy.csv", text.encode(encoding))
    assert body["created_count"] == 1, body
    assert len(selectors.contact_search_ids(text=search)) == 1


# ---------------------------------------------------------------------------------------------- rows and mappings


@pytest.mark.django_db
def test_it_reports_bad_rows_and_imports_the_good_ones(supervisor, api_for, django_capture_on_commit_callbacks):
    content = _csv(
        [
            ["name", "phone", "email", "rating", "country", "latitude", "longitude"],
            ["Good One", "09121111111", "one@example.com", "3", "", "", ""],
            ["Bad Phone", "12ab", "", "", "", "", ""],
            ["Bad Email", "", "not-an-email", "", "", "", ""],
            ["", "09122222222", "", "", "", "", ""],
            ["Bad Rest", "", "", "9", "Atlantis", "95", "10"],
            ["Good Two", "", "", "", "hu", "47,4979", "19,0402"],
        ]
    )
    body = _api_imported(api_for(supervisor), django_capture_on_commit_callbacks, "mixed.csv", content)
    assert (body["processed_rows"], body["created_count"], body["error_count"]) == (6, 2, 4)
    errors = {(e["row"], e["field"]) for e in body["errors"]}
    assert errors == {(3, "phone"), (4, "email"), (5, "name"), (6, "rating"), (6, "country"), (6, "latitude")}
    phone_error = next(e for e in body["errors"] if e["field"] == "phone")
    assert "12ab" in phone_error["message"]
    assert set(Contact.objects.values_list("name", flat=True)) == {"Good One", "Good Two"}
    address = _contact("Good Two").addresses.get()
    assert (address.country, str(address.latitude)) == ("HU", "47.497900")
    # the progress endpoint shows the same report
    r = api_for(supervisor).get(IMPORTS)
    assert r.status_code == 200
    assert r.json()[0]["errors"] == body["errors"]


@pytest.mark.django_db
def test_it_skips_duplicates_of_existing_contacts_and_of_earlier_rows(
    supervisor, customer_x, api_for, django_capture_on_commit_callbacks
):
    content = _csv(
        [
            ["name", "phone", "email"],
            ["Xerxes Again", "+98 912 123 4567", ""],  # customer_x's phone in another format
            ["Mail Twin", "", "X@example.com"],  # customer_x's email
            ["New Person", "09351234567", ""],
            ["New Person Twin", "0935 123 4567", ""],  # same as the row before
        ]
    )
    body = _api_imported(api_for(supervisor), django_capture_on_commit_callbacks, "d.csv", content)
    assert (body["created_count"], body["skipped_count"], body["error_count"]) == (1, 3, 0)
    assert Contact.objects.filter(name="New Person").exists()

    body = _api_imported(
        api_for(supervisor), django_capture_on_commit_callbacks, "d.csv", content, skip_duplicates="false"
    )
    assert (body["created_count"], body["skipped_count"]) == (4, 0)
    assert Identity.objects.filter(value="+989121234567").count() == 2


@pytest.mark.django_db
def test_it_validates_the_mapping(supervisor, api_for, django_capture_on_commit_callbacks):
    CustomField.objects.create(key="size", label="Company size", kind=CustomField.Kind.NUMBER)
    api = api_for(supervisor)
    content = _csv([["Full name", "Phone", "Size", "Extra"], ["A", "09121111111", "12", "x"]])
    cases = [
        (json.dumps(["", "phone"]), "mapping"),  # no name
        (json.dumps(["name", "fax"]), "mapping.1"),  # unknown field
        (json.dumps(["name", "status", "status"]), "mapping.2"),  # a single field twice
        (json.dumps({"Full name": "name", "Nope": "phone"}), "mapping.Nope"),
        (json.dumps(["name", "phone", "size", "", "x"]), "mapping"),  # more fields than columns
        ("{not json", "mapping"),
        (json.dumps({"Full name": 3}), "mapping"),
    ]
    for mapping, field in cases:
        r = _api_import(api, django_capture_on_commit_callbacks, "m.csv", content, mapping=mapping)
        assert r.status_code == 422, mapping
        assert field in [e["field"] for e in r.json()["errors"]], (mapping, r.json())
    assert ImportJob.objects.count() == 0

    body = _api_imported(
        api,
        django_capture_on_commit_callbacks,
        "m.csv",
        content,
        mapping=json.dumps({"Full name": "name", "Size": "custom.size"}),
    )
    assert [c["target"] for c in body["columns"]] == ["name", "", "custom.size", ""]
    contact = _contact("A")
    assert contact.custom == {"size": 12}
    assert _values(contact, "phone") == []

    with pytest.raises(ValidationFailed):
        services.contacts_import_records(rows=[(2, ["A"])], mapping=["nickname"])


@pytest.mark.django_db
def test_it_checks_custom_fields_and_choices_per_row(supervisor):
    CustomField.objects.create(
        key="tier", label="Tier", kind=CustomField.Kind.CHOICE, choices=["gold", "silver"], required=True
    )
    tally = services.contacts_import_records(
        rows=[
            (2, ["A", "gold", "organisation", "former customer"]),
            (3, ["B", "bronze", "", ""]),
            (4, ["C", "", "robot", "maybe"]),
        ],
        mapping=["name", "custom.tier", "kind", "status"],
    )
    assert (tally.created, tally.rejected) == (1, 2)
    assert {(e["row"], e["field"]) for e in tally.errors} == {
        (3, "custom.tier"),
        (4, "custom.tier"),
        (4, "kind"),
        (4, "status"),
    }
    a = Contact.objects.get(name="A")
    assert (a.kind, a.status, a.custom) == ("organisation", "former", {"tier": "gold"})


@pytest.mark.django_db
def test_it_writes_imported_rows_as_the_services_would(supervisor):
    """The bulk write path (COPY on PostgreSQL) stores what contact_create and contact_refresh_search store: the
    same search text, timestamps, JSON, primaries, addresses and links, and the rows can be searched at once."""
    CustomField.objects.create(key="size", label="Size", kind=CustomField.Kind.NUMBER)
    CustomField.objects.create(key="vip", label="VIP", kind=CustomField.Kind.BOOLEAN)
    existing = services.contact_create(by=None, name="Acme Rt.", kind="organisation")
    rows = [
        ["Anna Kovács", "06 30 123 4567; +98 912 123 4567", "Anna@Example.HU", "Acme Rt.", "CEO", "12", "igen", "a, b"],
        ["Bolt Kft.", "06 1 234 5678", "", "", "", "3.5", "", "b", "cég"],
        ["Béla Kiss", "", "bela@example.hu", "Bolt Kft.", "", "", "nem", ""],  # in the next batch
        ["Zoé Nagy", "0036 20 765 4321", "", "Új Cég", "", "", "", ""],
    ]
    tally = services.contacts_import_records(
        rows=[(n, r) for n, r in enumerate(rows, start=2)],
        mapping=[
            "name",
            "phone",
            "email",
            "organisation",
            "organisation_role",
            "custom.size",
            "custom.vip",
            "tags",
            "kind",
        ],
        source="fair",
        batch_size=2,
    )
    assert (tally.created, tally.rejected, tally.organisations_created) == (4, 0, 1), tally.errors
    contacts = {c.name: c for c in Contact.objects.prefetch_related("identities", "affiliations__organisation")}
    for contact in contacts.values():
        expected = services.build_search_text(
            contact.name,
            [(i.kind, i.value) for i in contact.identities.all()],
            [a.organisation.name for a in contact.affiliations.all()],
        )
        assert contact.search_text == expected, contact.name
        assert contact.created_at is not None
        assert contact.updated_at is not None
        assert contact.version == 1
    anna = contacts["Anna Kovács"]
    assert (anna.source, anna.custom, anna.owner_id) == ("fair", {"size": 12, "vip": True}, None)
    assert [(i.kind, i.value, i.is_primary) for i in anna.identities.order_by("id")] == [
        ("email", "anna@example.hu", True),
        ("phone", "+36301234567", True),
        ("phone", "+989121234567", False),
    ]
    assert all(i.created_at is not None for i in anna.identities.all())
    assert [(a.organisation_id, a.role, a.is_primary) for a in anna.affiliations.all()] == [(existing.pk, "CEO", True)]
    assert (contacts["Bolt Kft."].kind, contacts["Bolt Kft."].custom) == ("organisation", {"size": 3.5})
    assert [a.organisation_id for a in contacts["Béla Kiss"].affiliations.all()] == [contacts["Bolt Kft."].pk]
    new_org = contacts["Új Cég"]
    assert (new_org.kind, new_org.source, new_org.custom) == ("organisation", "fair", {})
    assert sorted(anna.tags.values_list("name", flat=True)) == ["a", "b"]
    assert selectors.contact_search_ids(text="kovacs") == [anna.pk]
    assert selectors.contact_search_ids(text="0630 123") == [anna.pk]
    assert contacts["Zoé Nagy"].pk in selectors.contact_search_ids(text="új cég")
    assert [c.id for c in selectors.contact_lookup_summaries_unscoped(phone="+36 20 765 4321")] == [
        contacts["Zoé Nagy"].pk
    ]


@pytest.mark.django_db
@pytest.mark.parametrize("in_a_process", [True, False], ids=["forked process", "thread"])
def test_it_reads_ahead_and_stops_at_a_broken_row(supervisor, monkeypatch, settings, in_a_process):
    """Batches are validated one ahead of the one being written, in a forked process or (with other threads
    running, as under the test runner) a thread: messages stay in the caller's language, and a file that breaks
    keeps the batches before the break, as when reading and writing took turns."""
    settings.IMPORT_READ_AHEAD_PROCESS = True
    monkeypatch.setattr(readahead, "can_fork", lambda: in_a_process)
    used: list[tuple[object, ...]] = []
    monkeypatch.setattr(readahead, "forked_read_ahead", _spy(readahead.forked_read_ahead, used))

    def rows():
        for n in range(2, 9):
            yield n, [f"Person {n}", "not a phone" if n == 3 else ""]
        raise exchange.FileProblem("broken at row 9")

    batches: list[tuple[int, int]] = []
    with translation.override("fa"), pytest.raises(exchange.FileProblem, match="row 9"):
        services.contacts_import_records(
            rows=rows(),
            mapping=["name", "phone"],
            batch_size=3,
            on_batch=lambda tally: batches.append((tally.processed, tally.created)),
        )
    assert batches == [(3, 2), (6, 5)]  # the third batch (rows 8 and the break) is not written
    assert Contact.objects.count() == 5
    with translation.override("fa"):
        persian = _("This is not a valid phone number.")
    assert persian != "This is not a valid phone number."
    tally = services.contacts_import_records(rows=[(3, ["A", "not a phone"])], mapping=["name", "phone"])
    assert persian not in tally.errors[0]["message"]
    with translation.override("fa"):
        tally = services.contacts_import_records(rows=[(3, ["A", "not a phone"])], mapping=["name", "phone"])
    assert persian in tally.errors[0]["message"]
    assert len(used) == (3 if in_a_process else 0)


def _spy(function, calls):
    def spy(*args, **kwargs):
        calls.append(args)
        return function(*args, **kwargs)

    return spy


@pytest.mark.django_db
def test_it_rejects_empty_corrupt_and_unsupported_files_over_the_api(
    supervisor, api_for, django_capture_on_commit_callbacks
):
    api = api_for(supervisor)
    for name, content in [
        ("empty.csv", b""),
        ("blank.csv", b"\n\n  \n"),
        ("bom-only.csv", codecs.BOM_UTF8),
        ("broken.xlsx", b"PK\x03\x04" + b"\x00" * 50),
        ("image.png", b"\x89PNG\r\n"),
        ("binary.csv", b"a,b\x00\x01\x02"),
        ("zip.csv", b"PK\x03\x04rest"),
    ]:
        r = _api_import(api, django_capture_on_commit_callbacks, name, content)
        assert r.status_code == 422, name
        assert r.json()["errors"][0]["field"] == "file", name
    r = api.post(IMPORTS, {})
    assert r.status_code == 422
    assert ImportJob.objects.count() == 0


@pytest.mark.django_db
def test_it_refuses_files_over_the_size_limit(supervisor, api_for, settings, django_capture_on_commit_callbacks):
    settings.IMPORT_MAX_BYTES = 100
    content = _csv([["name"], *[[f"Person {i}"] for i in range(50)]])
    r = _api_import(api_for(supervisor), django_capture_on_commit_callbacks, "big.csv", content)
    assert r.status_code == 422
    assert "larger than" in r.json()["errors"][0]["message"]


@pytest.mark.django_db
def test_it_marks_the_job_failed_when_the_file_cannot_be_read_to_the_end(
    supervisor, api_for, django_capture_on_commit_callbacks
):
    content = b"name,notes\nA,fine\nB," + b"x" * 200_000 + b"\n"  # a field over the csv module's limit
    body = _api_imported(api_for(supervisor), django_capture_on_commit_callbacks, "long.csv", content)
    assert body["status"] == "failed"
    assert "cannot be read" in body["failure"]
    assert Event.objects.get(verb="import.finished").data["status"] == "failed"


@pytest.mark.django_db
def test_it_imports_in_batches_with_a_bounded_number_of_queries(supervisor, django_assert_max_num_queries):
    rows = [["name", "phone", "email", "tags", "segments", "organisation", "city"]]
    rows += [
        [f"Person {i}", f"0912{i:07d}", f"p{i}@example.com", "a, b", "g", f"Org {i % 3}", "Tehran"] for i in range(50)
    ]
    job = services.import_job_create(by=supervisor, upload=_file("q.csv", _csv(rows)), original_name="q.csv")
    services.import_job_start(job=job, mapping=job.mapping["columns"], by=supervisor)
    with django_assert_max_num_queries(35):  # about 30, whatever the number of rows
        services.import_job_run(job_id=job.pk)
    job.refresh_from_db()
    assert (job.status, job.created_count) == ("done", 50)
    assert Contact.objects.filter(kind="organisation").count() == 3

    tally = services.contacts_import_records(
        rows=[(n, r) for n, r in enumerate(rows[1:], start=2)],
        mapping=["name", "phone", "email", "tags"],
        batch_size=20,
    )
    assert (tally.processed, tally.skipped, tally.created) == (50, 50, 0)


def test_it_guesses_columns_in_three_languages():
    guess = exchange.guess_mapping(
        [
            "Név",
            "Telefonszám",
            "E-mail cím",
            "Cím",
            "Irányítószám",
            "Város",
            "Címkék",
            "Cég",
            "Beosztás",
            "ایمیل",
            "موبایل",
            "نام خانوادگی",
            "Phone 2",
            "email2",
            "Something else",
            "Status",
            "Státusz",
        ]
    )
    assert guess == [
        "name",
        "phone",
        "email",
        "street",
        "postcode",
        "city",
        "tags",
        "organisation",
        "organisation_role",
        "email",
        "phone",
        "name",
        "phone",
        "email",
        "",
        "status",
        "",
    ]


# ---------------------------------------------------------------------------------------------- export


def _people() -> tuple[Contact, Contact, Contact]:
    CustomField.objects.create(key="birthday", label="Birthday", kind=CustomField.Kind.DATE)
    acme = services.contact_create(
        by=None, name="Acme Co", kind="organisation", phones=["021 2233 4455"], allow_duplicates=True
    )
    ali = services.contact_create(
        by=None,
        name="علی رضایی",
        phones=["0912 123 4567", "+36 30 123 4567"],
        emails=["Ali@Example.com"],
        identities=[services.IdentityIn("telegram", "ali_r")],
        status="customer",
        rating=4,
        source="fair",
        tags=["vip", "تهران"],
        segments=["gold"],
        interests=["books"],
        notes="line one\nline two",
        custom={"birthday": "1403/01/01"},
        organisations=[(acme, "CEO")],
        addresses=[
            services.AddressIn(
                street="Valiasr 12", city="Tehran", postcode="1234", country="IR", latitude="35.7", longitude="51.4"
            )
        ],
        allow_duplicates=True,
    )
    anna = services.contact_create(
        by=None,
        name="Anna Kovács",
        phones=["+36 1 234 5678"],
        status="former",
        notes="=SUM(A1:A9)",
        allow_duplicates=True,
    )
    return acme, ali, anna


def _snapshot(contact: Contact) -> dict[str, Any]:
    address = contact.addresses.first()
    return {
        "kind": contact.kind,
        "status": contact.status,
        "rating": contact.rating,
        "source": contact.source,
        "notes": contact.notes,
        "custom": contact.custom,
        "identities": sorted((i.kind, i.value, i.is_primary) for i in contact.identities.all()),
        "tags": sorted(t.name for t in contact.tags.all()),
        "segments": sorted(s.name for s in contact.segments.all()),
        "interests": sorted(i.name for i in contact.interests.all()),
        "organisations": [(a.organisation.name, a.role) for a in contact.affiliations.all()],
        "address": address
        and (address.street, address.city, address.postcode, address.country, address.latitude, address.longitude),
    }


@pytest.mark.django_db
def test_it_exports_csv_that_imports_back_unchanged(supervisor, api_for, django_capture_on_commit_callbacks):
    _people()
    before = {c.name: _snapshot(c) for c in Contact.objects.all()}
    api = api_for(supervisor)
    r = api.get(EXPORT, {"format": "csv"})
    assert r.status_code == 200
    assert r["Content-Type"].startswith("text/csv")
    assert r["Content-Disposition"].startswith('attachment; filename="contacts-')
    content = _body(r)
    assert content.startswith(codecs.BOM_UTF8)
    rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))
    assert rows[0][:3] == ["id", "name", "kind"]
    assert rows[0][-1] == "custom.birthday"
    assert [row[1] for row in rows[1:]] == ["Acme Co", "Anna Kovács", "علی رضایی"]
    assert "'=SUM(A1:A9)" in content.decode()  # a formula is quoted for spreadsheets

    Contact.objects.all().delete()
    body = _api_imported(api, django_capture_on_commit_callbacks, "export.csv", content)
    assert (body["created_count"], body["error_count"]) == (3, 0), body
    after = {c.name: _snapshot(c) for c in Contact.objects.all()}
    assert after == before


@pytest.mark.django_db
def test_it_exports_xlsx_and_vcard_with_the_list_filters(supervisor, api_for, client_for):
    acme, ali, anna = _people()
    r = api_for(supervisor).get(EXPORT, {"format": "xlsx", "status": "customer"})
    assert r.status_code == 200
    sheet = load_workbook(io.BytesIO(_body(r)), read_only=True).worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    assert [row[1] for row in rows[1:]] == ["علی رضایی"]
    assert "+989121234567; +36301234567" in rows[1]

    r = client_for(supervisor).get(reverse("contacts:export"), {"format": "vcf", "kind": "person", "version": "4.0"})
    assert r.status_code == 200
    assert r["Content-Type"].startswith("text/vcard")
    text = _body(r).decode()
    assert text.count("BEGIN:VCARD") == 2
    assert "VERSION:4.0" in text
    assert "Acme Co\r\nEND" not in text
    assert "TEL;VALUE=uri:tel:+989121234567" in text
    # the exported cards import back
    everyone = _body(client_for(supervisor).get(reverse("contacts:export"), {"format": "vcf"}))
    with exchange.open_table(io.BytesIO(everyone), "vcf") as table:
        cards = {cells[0]: cells for _n, cells in table.rows if isinstance(cells, list)}
    assert cards["علی رضایی"][3] == "+989121234567; +36301234567"
    assert cards["Acme Co"][1] == "organisation"
    assert cards["علی رضایی"][7:9] == ["Acme Co", "CEO"]

    r = client_for(supervisor).get(reverse("contacts:export"), {"format": "pdf"})
    assert r.status_code == 400
    r = api_for(supervisor).get(EXPORT, {"format": "pdf"})
    assert r.status_code == 422


@pytest.mark.django_db
def test_it_streams_exports_under_asgi_without_buffering(supervisor):
    _people()
    client = AsyncClient()
    client.force_login(supervisor)

    async def fetch() -> tuple[bool, bytes]:
        response: Any = await client.get(reverse("contacts:export"), {"format": "csv"})
        return response.is_async, b"".join([chunk async for chunk in response.streaming_content])

    is_async, content = async_to_sync(fetch)()
    assert is_async
    assert len(list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))) == 4


@pytest.mark.django_db
def test_it_keeps_export_queries_flat(supervisor, api_for, django_assert_max_num_queries):
    for i in range(30):
        services.contact_create(by=None, name=f"P{i}", phones=[f"0912000{i:04d}"], tags=["t"], allow_duplicates=True)
    api = api_for(supervisor)
    with django_assert_max_num_queries(15):
        assert _body(api.get(EXPORT, {"format": "csv"})).count(b"\n") == 31


# ---------------------------------------------------------------------------------------------- access


@pytest.mark.django_db
def test_it_routes_fixed_api_paths_before_contact_ids(supervisor, customer_x, api_for):
    api = api_for(supervisor)
    assert api.get(EXPORT).status_code == 200
    assert api.get(IMPORTS).status_code == 200
    assert api.get(f"/api/v1/contacts/{customer_x.pk}").json()["name"] == "Xerxes Customer"
    assert api.get("/api/v1/contacts/not-a-number").status_code == 422
    assert api.get(f"{IMPORTS}/999999").status_code == 404


@pytest.mark.django_db
def test_it_keeps_imports_and_exports_from_users_without_permission(
    supervisor, agent_a, outsider, role_groups, api_for, client_for, django_capture_on_commit_callbacks
):
    content = _csv([["name"], ["Someone"]])
    job = _api_imported(api_for(supervisor), django_capture_on_commit_callbacks, "s.csv", content)
    for user in (outsider, agent_a):  # an agent may neither import nor export
        api, client = api_for(user), client_for(user)
        assert _api_import(api, django_capture_on_commit_callbacks, "x.csv", content).status_code == 403
        assert api.get(IMPORTS).status_code == 403
        assert api.get(f"{IMPORTS}/{job['id']}").status_code == 403
        assert api.get(EXPORT).status_code == 403
        assert client.get(reverse("contacts:import")).status_code == 403
        assert client.post(reverse("contacts:import"), {"file": _file("x.csv", content)}).status_code == 403
        assert client.get(reverse("contacts:import_detail", args=[job["id"]])).status_code == 403
        assert client.get(reverse("contacts:export")).status_code == 403
    marketer = user_create(email="marketer@example.com", password="pw-Secret-123", role_names=[roles.MARKETER])
    assert api_for(marketer).get(f"{IMPORTS}/{job['id']}").status_code == 403  # someone else's import
    assert client_for(marketer).get(reverse("contacts:import_detail", args=[job["id"]])).status_code == 403
    assert api_for(marketer).get(EXPORT).status_code == 200
    assert client_for(None).get(reverse("contacts:import")).status_code == 302  # to the login page
    assert Contact.objects.filter(name="Someone").count() == 1


@pytest.mark.django_db
def test_it_shows_the_import_pages_right_to_left_with_persian_digits(supervisor, client_for):
    supervisor.language = "fa"
    supervisor.save(update_fields=["language"])
    client = client_for(supervisor)
    rows = [["name", "phone"], *[[f"Person {i}", f"0912{i:07d}"] for i in range(12)], ["", "bad"]]
    job = services.import_job_create(by=supervisor, upload=_file("fa.csv", _csv(rows)), original_name="fa.csv")
    page = client.get(reverse("contacts:import_detail", args=[job.pk])).content.decode()
    assert 'dir="rtl"' in page
    assert "۱۰" in page  # the preview's row numbers and count
    services.import_job_start(job=job, mapping=["name", "phone"], by=supervisor)
    services.import_job_run(job_id=job.pk)
    page = client.get(reverse("contacts:import_detail", args=[job.pk])).content.decode()
    assert 'id="import-created">۱۲<' in page
    assert 'id="import-errors"' in page
    assert "۱۴" in page  # the bad row's number
    page = client.get(reverse("contacts:import")).content.decode()
    assert "fa.csv" in page


@pytest.mark.django_db
def test_it_keeps_finished_batches_when_an_import_breaks_midway(supervisor, monkeypatch):
    monkeypatch.setattr(services, "IMPORT_BATCH_SIZE", 10)
    write = services._import_write
    calls: list[int] = []

    def write_then_break(*args: Any) -> None:
        calls.append(1)
        write(*args)
        if len(calls) == 2:  # the second batch is written, then something breaks before it commits
            raise RuntimeError("the database went away")

    monkeypatch.setattr(services, "_import_write", write_then_break)
    rows = [["name"], *[[f"Person {i}"] for i in range(25)]]
    job = services.import_job_create(by=supervisor, upload=_file("b.csv", _csv(rows)), original_name="b.csv")
    services.import_job_start(job=job, mapping=["name"], by=supervisor)
    services.import_job_run(job_id=job.pk)
    job.refresh_from_db()
    assert job.status == ImportJob.Status.FAILED
    assert "unexpected error" in job.failure
    assert (job.total_rows, job.processed_rows, job.created_count) == (25, 10, 10)
    assert Contact.objects.count() == 10  # the first batch stays; the broken one is rolled back whole
    assert Event.objects.get(verb="import.finished").data["status"] == "failed"
