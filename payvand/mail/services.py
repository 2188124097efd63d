"""Every write of the mail app: storing raw mail, turning it into ticket messages, reprocessing, mailboxes.

Inbound flow: `inbound_store` (one transaction, then the caller acknowledges: IMAP flag, SMTP 250, HTTP 2xx) →
`inbound_process` (a retryable task: parse, find the contact and the ticket, add the message, all in one transaction
that also marks the raw message processed, so a crash anywhere leaves it "received" and a retry does it once).
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile, UploadedFile
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from payvand.accounts.models import User
from payvand.contacts.models import Contact, Identity
from payvand.contacts.normalize import normalize_email
from payvand.contacts.services import contact_create
from payvand.core import batch
from payvand.core import selectors as core_selectors
from payvand.core.errors import Conflict, NotFound, ValidationFailed
from payvand.core.localization import language_guess
from payvand.core.services import event_record
from payvand.helpdesk.models import Attachment, Channel, Message, Ticket
from payvand.helpdesk.services import (
    MAX_BODY,
    MAX_SUBJECT,
    batch_prepare,
    message_add,
    sanitize_html,
    ticket_create,
)
from payvand.mail import parsing, quotes
from payvand.mail.models import InboundEmail, Mailbox, OutboundEmail

log = logging.getLogger(__name__)

MAX_RAW_BYTES = 60 * 1024 * 1024
# A message that failed for a reason that may pass (the database was away) is retried this often before it goes
# to the unprocessable list.
MAX_ATTEMPTS = 5


class Unprocessable(Exception):  # noqa: N818 - a state, not an error of ours
    """The message can't become a ticket message: it goes to the unprocessable list with this reason."""


# ---------------------------------------------------------------------------------------------- mailboxes


def mailbox_create(
    *, name: str, address: str, by: User | None = None, aliases: Sequence[str] = (), **fields: object
) -> Mailbox:
    try:
        clean = normalize_email(address)
    except ValueError as exc:
        raise ValidationFailed.on("address", _("This is not an email address.")) from exc
    if not name.strip() or len(name) > 120:
        raise ValidationFailed.on("name", _("Give the mailbox a name of at most 120 characters."))
    with transaction.atomic():
        if Mailbox.objects.filter(address__iexact=clean).exists():
            raise Conflict(detail=_("A mailbox with this address exists."))
        mailbox = Mailbox.objects.create(name=name.strip(), address=clean, aliases="\n".join(aliases), **fields)
        event_record(actor=by, verb="mailbox.created", target=mailbox, data={"address": clean})
    return mailbox


def mailbox_addresses() -> dict[str, int]:
    """Every address of every active mailbox → the mailbox id."""
    out: dict[str, int] = {}
    for mailbox in Mailbox.objects.filter(is_active=True).order_by("pk"):
        for address in mailbox.addresses:
            out.setdefault(address, mailbox.pk)
    return out


def mailbox_for_address(address: str) -> Mailbox | None:
    address = address.strip().strip("<>").lower()
    mailbox_id = mailbox_addresses().get(address)
    return Mailbox.objects.filter(pk=mailbox_id).first() if mailbox_id else None


# ---------------------------------------------------------------------------------------------- raw store


def _key_of(raw: bytes) -> tuple[str, str]:
    message_id = parsing.message_id_of(raw)
    return (message_id or parsing.content_key(raw)), message_id


def _summary(raw: bytes) -> tuple[str, str]:
    """(sender, subject) read from the header block alone, for the lists; never raises."""
    end = raw.find(b"\n\n")
    head = raw[: end if end >= 0 else 65536][:65536]
    try:
        import email

        msg = email.message_from_bytes(head + b"\n\n", policy=parsing.POLICY)
        defects: list[str] = []
        subject = parsing._header(msg, "Subject", defects)[:300]
        sender = parsing._address(msg, "From", defects)[1][:254]
        return sender, subject
    except Exception:
        return "", ""


def _check_raw(raw: bytes) -> None:
    if not raw or raw.isspace():  # (isspace: no copy of a large message)
        raise ValidationFailed.on("raw", _("The message is empty."))
    if len(raw) > MAX_RAW_BYTES:
        raise ValidationFailed.on(
            "raw", _("The message is larger than %(mb)s MB.") % {"mb": MAX_RAW_BYTES // (1024 * 1024)}
        )


def inbound_store(*, mailbox: Mailbox, raw: bytes, source: str, enqueue: bool = True) -> tuple[InboundEmail, bool]:
    """Store one raw message and commit. Returns (the row, created): the same message delivered again (same
    Message-ID, or the same bytes when it has none) returns the first row and False. Only after this returns may
    the caller acknowledge the message. Processing is queued after the commit."""
    stored = inbound_store_many(mailbox=mailbox, raws=[raw], source=source, enqueue=enqueue)
    return stored[0]


def inbound_store_many(
    *, mailbox: Mailbox, raws: Sequence[bytes], source: str, enqueue: bool = True
) -> list[tuple[InboundEmail, bool]]:
    """Store a batch of raw messages in one transaction (one commit for the lot)."""
    for raw in raws:
        _check_raw(raw)
    if source not in InboundEmail.Source.values:
        raise ValidationFailed.on("source", _("Unknown source."))
    keyed = [(raw, *_key_of(raw)) for raw in raws]
    now = timezone.now()
    with transaction.atomic():
        keys = list(dict.fromkeys(k for _raw, k, _mid in keyed))
        existing = {i.key: i for i in InboundEmail.objects.filter(mailbox=mailbox, key__in=keys).defer("raw")}
        new_rows: dict[str, InboundEmail] = {}
        apart: dict[str, bytes] = {}
        for raw, key, message_id in keyed:
            if key in existing or key in new_rows:
                continue
            sender, subject = _summary(raw)
            if _written_apart(raw):
                apart[key] = raw
            new_rows[key] = InboundEmail(
                mailbox=mailbox,
                key=key,
                message_id=message_id,
                raw=b"" if _written_apart(raw) else raw,
                size=len(raw),
                source=source,
                sender=sender,
                subject=subject,
                received_at=now,
            )
        if new_rows:
            try:
                with transaction.atomic():
                    InboundEmail.objects.bulk_create(list(new_rows.values()))
            except IntegrityError:
                # Another delivery of one of these messages committed meanwhile: insert one by one.
                for key, row in list(new_rows.items()):
                    try:
                        with transaction.atomic():
                            row.save(force_insert=True)
                    except IntegrityError:
                        del new_rows[key]
            if connection_lacks_returning():
                ids = dict(
                    InboundEmail.objects.filter(mailbox=mailbox, key__in=list(new_rows)).values_list("key", "pk")
                )
                for key, row in new_rows.items():
                    row.pk = ids.get(key)
            for key, raw in apart.items():
                if key in new_rows:
                    _write_raw(new_rows[key].pk, raw)
        missing = [k for k in keys if k not in existing and k not in new_rows]
        if missing:
            existing.update(
                {i.key: i for i in InboundEmail.objects.filter(mailbox=mailbox, key__in=missing).defer("raw")}
            )
        if enqueue and new_rows:
            ids_to_process = [row.pk for row in new_rows.values()]
            transaction.on_commit(lambda: _enqueue(ids_to_process))
    for row in new_rows.values():
        # The row handed back doesn't hold the bytes (the caller has them; a large message is not kept twice):
        # `raw` is a deferred field now, read from the database if asked for.
        row.__dict__.pop("raw", None)
    out: list[tuple[InboundEmail, bool]] = []
    seen: set[str] = set()
    for _raw, key, _mid in keyed:
        if key in new_rows and key not in seen:
            out.append((new_rows[key], True))
            seen.add(key)
        else:
            out.append((new_rows.get(key) or existing[key], False))
    return out


# On PostgreSQL, Django binds parameters on the client: a large bytea would be escaped into the SQL text (several
# copies of the message in memory). Large messages are written by a second statement with the bytes sent apart, in
# binary, in the same transaction.
_APART_BYTES = 1024 * 1024


def _written_apart(raw: bytes) -> bool:
    from django.db import connection

    return connection.vendor == "postgresql" and len(raw) > _APART_BYTES


def _write_raw(pk: int, raw: bytes) -> None:
    import psycopg
    from django.db import connection

    connection.ensure_connection()
    table = connection.ops.quote_name(InboundEmail._meta.db_table)
    with psycopg.Cursor(connection.connection) as cursor:
        cursor.execute(f'UPDATE {table} SET "raw" = %b WHERE "id" = %s', [raw, pk])  # noqa: S608


def connection_lacks_returning() -> bool:
    from django.db import connection

    return not connection.features.can_return_rows_from_bulk_insert


def _enqueue(ids: Iterable[int]) -> None:
    """One task for one message; one batch task for messages stored together (one transaction for them all)."""
    from payvand.mail.tasks import inbound_process_batch_task, inbound_process_task

    ids = list(ids)
    if len(ids) == 1:
        inbound_process_task.enqueue(inbound_id=ids[0])
    elif ids:
        inbound_process_batch_task.enqueue(inbound_ids=ids)


# ---------------------------------------------------------------------------------------------- processing


@dataclass
class Outcome:
    inbound: InboundEmail
    message: Message | None = None
    created_ticket: bool = False


def _language_of(text: str, default: str) -> str:
    return language_guess(text, default)


def _reference_re() -> re.Pattern[str]:
    return re.compile(r"\[\s*" + re.escape(settings.PAYVAND_TICKET_PREFIX) + r"\s*(\d{1,18})\s*\]")


def _thread_ticket(parsed: parsing.ParsedEmail) -> Ticket | None:
    """The ticket this mail answers: by our Message-IDs (or the customer's earlier ones) in In-Reply-To and
    References, else by the reference in the subject."""
    refs = list(dict.fromkeys([*parsed.in_reply_to, *reversed(parsed.references)]))[:50]
    if refs:
        ticket_id = (
            OutboundEmail.objects.filter(message_id__in=refs)
            .order_by("-pk")
            .values_list("ticket_id", flat=True)
            .first()
        )
        if ticket_id is None:
            ticket_id = (
                InboundEmail.objects.filter(message_id__in=refs, ticket__isnull=False)
                .order_by("-pk")
                .values_list("ticket_id", flat=True)
                .first()
            )
        if ticket_id is not None:
            return Ticket.objects.filter(pk=ticket_id).first()
    match = _reference_re().search(parsed.subject)
    if match:
        return Ticket.objects.filter(number=int(match.group(1))).first()
    return None


def _sender_contact(address: str, name: str, cache: Cache) -> Contact:
    """The contact owning this address (R-003.5, the contacts app's lookup), or a new one."""
    if address in cache.contacts:
        return cache.contacts[address]
    try:
        value = normalize_email(address)
    except ValueError as exc:
        raise Unprocessable(_("The sender's address is not valid.")) from exc
    # The contacts lookup's match (the normalised address among the email identities), in one query: the list
    # relations contact_lookup_unscoped prefetches are not needed here.
    contact = (
        Contact.objects.filter(identities__kind=Identity.Kind.EMAIL, identities__value=value)
        .order_by("name", "pk")
        .first()
    )
    if contact is None:
        contact = contact_create(
            by=None, name=(name or address)[:200], emails=[address], source="email", allow_duplicates=True
        )
    cache.contacts[address] = contact
    return contact


def _bouncing(address: str, cache: Cache) -> bool:
    """Whether mail to the address is known to bounce (asked once per batch; a bounce in the batch asks again)."""
    if address not in cache.bouncing:
        cache.bouncing[address] = Identity.objects.filter(
            kind=Identity.Kind.EMAIL, value=address, is_bouncing=True
        ).exists()
    return cache.bouncing[address]


@dataclass
class Cache:
    """What stays the same across the messages of one batch: our own addresses, the senders seen."""

    own: set[str] = field(default_factory=set)
    contacts: dict[str, Contact] = field(default_factory=dict)
    bouncing: dict[str, bool] = field(default_factory=dict)
    # Batch mode: acknowledgements to send after the batch's commit, in one task.
    batch: bool = False
    acks: list[int] = field(default_factory=list)

    @classmethod
    def load(cls) -> Cache:
        return cls(own=set(mailbox_addresses()))


def _uploads(parsed: parsing.ParsedEmail) -> tuple[list[UploadedFile], list[str], list[str]]:
    """(files within the size limit, their content ids, names of the files left in the raw message). A large part
    the parser decoded to a temporary file is handed on as that file: storage copies it in chunks."""
    files: list[UploadedFile] = []
    cids: list[str] = []
    skipped: list[str] = []
    for part in parsed.attachments:
        if part.size > settings.ATTACHMENT_MAX_BYTES:
            skipped.append(part.filename)
            continue
        if part.file is not None:
            part.file.seek(0)
            files.append(UploadedFile(part.file, part.filename, part.content_type, part.size))
        else:
            files.append(SimpleUploadedFile(part.filename, part.data, part.content_type))
        cids.append(part.content_id)
    return files, cids, skipped


_CID_RE = re.compile(r"""(src\s*=\s*["']?)cid:([^"'\s>]+)""", re.IGNORECASE)


def _body(parsed: parsing.ParsedEmail, cids: list[str], skipped: list[str]) -> tuple[str, bool]:
    """The message body for message_add: HTML (quotes folded, inline images pointing at placeholders) when the
    mail had HTML or a quote to fold, else the text."""
    text = parsed.text or (parsing.html_text(parsed.html) if parsed.html else "")
    note = ""
    if skipped:
        note = _("Attachments too large to store here (kept in the original message): %(names)s") % {
            "names": ", ".join(skipped)
        }
    html = parsed.html
    if html:
        index = {cid: n for n, cid in enumerate(cids) if cid}
        html = _CID_RE.sub(lambda m: f"{m.group(1)}pvcid/{index.get(m.group(2), 'x')}", html)
    shown = quotes.thread_html(text=text, html=html)
    if not shown:
        body = text[:MAX_BODY] + (f"\n\n{note}" if note else "")
        return body, False
    if note:
        shown += f"<p><em>{quotes.text_to_html(note)}</em></p>"
    shown = sanitize_html(shown)
    if len(shown) > MAX_BODY:
        return text[:MAX_BODY], False
    return shown, True


def _inline_images(message: Message, cids: list[str]) -> None:
    """Point the placeholders of inline images at the stored attachments."""
    if "pvcid/" not in message.body_html:
        return
    atts = list(Attachment.objects.filter(message=message).order_by("pk"))
    html = message.body_html
    for n, att in enumerate(atts):
        url = reverse("helpdesk:attachment", args=[message.ticket_id, att.pk])
        html = re.sub(rf"pvcid/{n}(?=[\"'\s>])", url, html)
    html = re.sub(r"pvcid/[x0-9]+", "", html)
    Message.objects.filter(pk=message.pk).update(body_html=html)
    message.body_html = html


def _rate_limited(inbound: InboundEmail, address: str) -> bool:
    if inbound.reprocessed_at is not None:
        return False
    return core_selectors.over_hourly_limit(
        InboundEmail.objects.filter(sender=address),
        received_at=inbound.received_at,
        pk=inbound.pk,
        limit=inbound.mailbox.rate_limit_per_hour,
    )


def _bounce(inbound: InboundEmail, parsed: parsing.ParsedEmail) -> None:
    """A delivery failure: mark the addresses bad on their contacts, and tell the ticket the mail came from."""
    addresses = []
    for raw in parsed.bounced:
        try:
            addresses.append(normalize_email(raw))
        except ValueError:
            continue
    identities = list(Identity.objects.filter(kind=Identity.Kind.EMAIL, value__in=addresses).select_related("contact"))
    Identity.objects.filter(pk__in=[i.pk for i in identities]).update(is_bouncing=True)
    for identity in identities:
        event_record(
            actor=None,
            verb="mail.bounced",
            target=identity.contact,
            contact=identity.contact,
            data={"address": identity.value, "inbound": inbound.pk},
        )
    blob = b"\n".join(p.head(65536) for p in parsed.attachments)
    ids = [m.decode("ascii", "replace") for m in re.findall(rb"(?im)^message-id:\s*(<[^>\s]+>)", blob)]
    for out in OutboundEmail.objects.filter(message_id__in=ids[:20]).select_related("ticket"):
        event_record(
            actor=None,
            verb="mail.bounced",
            target=out.ticket,
            contact=out.ticket.requester,
            data={"address": out.to_address, "outbound": out.pk},
        )


def _raw_of(inbound: InboundEmail) -> bytes:
    """The raw bytes of a row: as loaded, or read now when the row was loaded without them (a batch reads large
    messages one at a time, so a batch holds at most one large message in memory)."""
    raw = (
        InboundEmail.objects.filter(pk=inbound.pk).values_list("raw", flat=True).get()
        if "raw" in inbound.get_deferred_fields()
        else inbound.raw
    )
    return raw if isinstance(raw, bytes) else bytes(raw)


def _process(inbound: InboundEmail, cache: Cache | None = None) -> Outcome:
    """Turn a locked, unprocessed raw message into a ticket message. Runs inside the caller's transaction."""
    cache = cache or Cache.load()
    with parsing.parse(_raw_of(inbound)) as parsed:  # large attachments in temporary files, removed after
        return _process_parsed(inbound, parsed, cache)


def _process_parsed(inbound: InboundEmail, parsed: parsing.ParsedEmail, cache: Cache) -> Outcome:
    mailbox = inbound.mailbox
    inbound.language = _language_of(f"{parsed.subject}\n{parsed.text or parsed.html}", mailbox.language)
    if parsed.bounce:
        inbound.kind = InboundEmail.Kind.BOUNCE
        _bounce(inbound, parsed)
        cache.bouncing.clear()
        return Outcome(inbound)
    address = parsed.from_address
    if not address:
        raise Unprocessable(_("The message has no sender address."))
    if address in cache.own:
        inbound.kind = InboundEmail.Kind.OWN
    elif parsed.auto_reply:
        inbound.kind = InboundEmail.Kind.AUTO_REPLY
    elif parsed.bulk or parsed.auto_submitted:
        inbound.kind = InboundEmail.Kind.BULK
    if _rate_limited(inbound, address):
        raise Unprocessable(
            _("The sender wrote more than %(n)s messages in an hour.") % {"n": mailbox.rate_limit_per_hour}
        )
    external_id = (inbound.message_id or inbound.key)[:300]
    already = Message.objects.filter(external_id=external_id, kind=Message.Kind.INBOUND).order_by("pk").first()
    if already is not None:  # the same mail, delivered to a second mailbox of ours: one message
        inbound.ticket_id = already.ticket_id
        inbound.ticket_message = already
        return Outcome(inbound, already)
    contact = _sender_contact(address, parsed.from_name, cache)
    files, cids, skipped = _uploads(parsed)
    body, is_html = _body(parsed, cids, skipped)
    if not body.strip() and not files:
        body = _("(empty message)")
    ticket = _thread_ticket(parsed)
    created = False
    if ticket is None:
        subject = parsed.subject.strip() or _("(no subject)")
        ticket = ticket_create(
            by=None,
            subject=subject[:MAX_SUBJECT],
            requester=contact,
            channel=Channel.EMAIL,
            team=mailbox.team,
            external_id=external_id[:300],
        )
        created = True
    message = message_add(
        ticket=ticket,
        by=None,
        body=body,
        kind=Message.Kind.INBOUND,
        is_html=is_html,
        attachments=files,
        author_contact=contact,
        channel=Channel.EMAIL,
        external_id=external_id[:300],
        reply_to_closed=mailbox.reply_to_closed,
    )
    if message.ticket_id != ticket.pk:  # a follow-up of a closed ticket: a new request too
        created = True
    _inline_images(message, cids)
    inbound.ticket_id = message.ticket_id
    inbound.ticket_message = message
    if (
        created
        and not parsed.noise
        and inbound.kind != InboundEmail.Kind.OWN
        and mailbox.auto_acknowledge
        and not _bouncing(address, cache)
    ):
        from payvand.mail.outbound import ack_queue

        ack = ack_queue(
            mailbox=mailbox,
            ticket=message.ticket,
            to=address,
            language=inbound.language,
            inbound=inbound,
            send_after_commit=not cache.batch,
        )
        if cache.batch:
            cache.acks.append(ack.pk)
    return Outcome(inbound, message, created)


_DONE_FIELDS = ["status", "reason", "attempts", "processed_at", "ticket", "ticket_message", "kind", "language"]


def inbound_process(*, inbound_id: int) -> InboundEmail | None:
    """Process one stored message, at most once. A message already processed is left alone; one that can't be
    processed goes to the unprocessable list; on any other failure the transaction rolls back, the attempt is
    counted and the message stays "received" for the retry job (or goes to the list after MAX_ATTEMPTS)."""
    try:
        # The scope sends the live pushes and queues the notification emails of the message in one go after commit.
        with batch.batch_scope(), transaction.atomic():
            inbound = (
                InboundEmail.objects.select_for_update(of=("self",))
                .select_related("mailbox__team")
                .filter(pk=inbound_id)
                .first()
            )
            if inbound is None or inbound.status == InboundEmail.Status.PROCESSED:
                return inbound
            try:
                with transaction.atomic():
                    _process(inbound)
                inbound.status = InboundEmail.Status.PROCESSED
                inbound.reason = ""
            except (Unprocessable, ValidationFailed, Conflict) as exc:
                _unprocessable(inbound, exc)
            inbound.attempts += 1
            inbound.processed_at = timezone.now()
            inbound.save(update_fields=_DONE_FIELDS)
            return inbound
    except Exception as exc:
        log.exception("inbound email %s: processing failed", inbound_id)
        _failed_attempt(inbound_id, exc)
        raise


def _unprocessable(inbound: InboundEmail, exc: Exception) -> None:
    inbound.status = InboundEmail.Status.UNPROCESSABLE
    if isinstance(exc, ValidationFailed) and exc.errors:
        inbound.reason = "; ".join(f"{e.field}: {e.message}" if e.field else str(e.message) for e in exc.errors)
    else:
        inbound.reason = str(exc) or exc.__class__.__name__
    inbound.ticket = None
    inbound.ticket_message = None


def _failed_attempt(inbound_id: int, exc: Exception) -> None:
    try:
        with transaction.atomic():
            row = InboundEmail.objects.select_for_update().filter(pk=inbound_id).defer("raw").first()
            if row is None or row.status == InboundEmail.Status.PROCESSED:
                return
            row.attempts += 1
            row.reason = f"{exc.__class__.__name__}: {exc}"[:2000]
            if row.attempts >= MAX_ATTEMPTS:
                row.status = InboundEmail.Status.UNPROCESSABLE
            row.save(update_fields=["attempts", "reason", "status"])
    except Exception:  # the database is still away: the retry job finds the message "received"
        log.exception("inbound email %s: could not record the failed attempt", inbound_id)


def inbound_process_batch(*, inbound_ids: Sequence[int]) -> int:
    """Process many stored messages in one transaction (one commit), each in its own savepoint so one bad message
    doesn't undo the others. Used by file imports and the retry job. Returns how many were processed."""
    done = 0
    try:
        # One scope for the batch: reference data read once, the routing team locked once, the live pushes and
        # notification emails of all the messages sent in one go after the commit.
        with batch.batch_scope(), transaction.atomic():
            rows = list(
                InboundEmail.objects.select_for_update(of=("self",))
                .select_related("mailbox__team")
                .filter(pk__in=list(inbound_ids), status=InboundEmail.Status.RECEIVED)
                .defer("raw")
                .order_by("pk")
            )
            # The raw bytes of the small messages in one query; a large one is read when its turn comes.
            small = dict(
                InboundEmail.objects.filter(pk__in=[r.pk for r in rows], size__lte=parsing.SPOOL_MESSAGE_BYTES)
                .values_list("pk", "raw")
                .order_by()
            )
            for loaded in rows:
                if loaded.pk in small:
                    loaded.raw = small[loaded.pk]
            cache = Cache.load()
            cache.batch = True
            if rows:
                batch_prepare(teams=[row.mailbox.team for row in rows if row.mailbox.team is not None])
            for inbound in rows:
                seen, acks = dict(cache.contacts), len(cache.acks)
                inbound.attempts += 1
                try:
                    with transaction.atomic():
                        _process(inbound, cache)
                        inbound.status = InboundEmail.Status.PROCESSED
                        inbound.reason = ""
                        inbound.processed_at = timezone.now()
                        # Saved with the message, so a later message of the batch answering this one threads to
                        # its ticket, as it would one at a time.
                        inbound.save(update_fields=_DONE_FIELDS)
                    done += 1
                except (Unprocessable, ValidationFailed, Conflict) as exc:
                    cache.contacts = seen  # a contact created in the rolled-back savepoint is gone
                    batch.forget("helpdesk.organisation_of")
                    del cache.acks[acks:]
                    _unprocessable(inbound, exc)
                    inbound.processed_at = timezone.now()
                    inbound.save(update_fields=_DONE_FIELDS)
            if cache.acks:
                from payvand.mail.outbound import enqueue_many

                ack_ids = list(cache.acks)
                transaction.on_commit(lambda: enqueue_many(ack_ids))
    except Exception:
        log.exception("batch processing failed; processing one by one")
        done = 0
        for pk in inbound_ids:
            try:
                row = inbound_process(inbound_id=pk)
            except Exception:  # counted and logged by inbound_process; the retry job tries again
                log.warning("inbound email %s stays queued for the retry job", pk)
                continue
            done += int(row is not None and row.status == InboundEmail.Status.PROCESSED)
    return done


def inbound_retry_stale(*, older_than: dt.timedelta = dt.timedelta(minutes=2), limit: int = 200) -> int:
    """Process messages left "received" (a worker died, the database failed): the safety net after a restart."""
    cutoff = timezone.now() - older_than
    ids = list(
        InboundEmail.objects.filter(status=InboundEmail.Status.RECEIVED, received_at__lt=cutoff)
        .order_by("pk")
        .values_list("pk", flat=True)[:limit]
    )
    return inbound_process_batch(inbound_ids=ids) if ids else 0


def inbound_reprocess(*, inbound: InboundEmail, by: User) -> InboundEmail:
    """An admin sends an unprocessable message through processing again."""
    if not by.has_perm("mail.reprocess_inboundemail"):
        from payvand.core.errors import PermissionDenied

        raise PermissionDenied(detail=_("You may not reprocess inbound email."))
    with transaction.atomic():
        row = InboundEmail.objects.select_for_update().filter(pk=inbound.pk).defer("raw").first()
        if row is None:
            raise NotFound(detail=_("Not found."))
        if row.status != InboundEmail.Status.UNPROCESSABLE:
            raise Conflict(detail=_("Only unprocessable messages can be reprocessed."))
        row.status = InboundEmail.Status.RECEIVED
        row.reprocessed_at = timezone.now()
        row.save(update_fields=["status", "reprocessed_at"])
        event_record(actor=by, verb="mail.reprocessed", target=row, data={"reason": row.reason[:500]})
        pk = row.pk
        transaction.on_commit(lambda: _enqueue([pk]))
    return row
