"""Reading a raw email: the stdlib `email` package with `policy.default`, plus what real mail needs on top of it.

- Text in any charset: the declared one when it decodes cleanly, else UTF-8, else a guess (charset-normalizer, then
  windows-1256 / iso-8859-2 / koi8-r / latin-1). A mislabelled part (declared latin-1 or ASCII, really UTF-8 or
  windows-1256) is caught because its bytes decode as one of those cleanly and look like words of that script.
- Headers: RFC 2047 encoded words and RFC 2231 parameters (file names) via policy.default; raw 8-bit headers are
  decoded like bodies.
- multipart/alternative keeps the text and the (sanitised) HTML; HTML-only mail gets a text version.
- inline images (Content-ID) are kept with their cid so the HTML shows them in place; everything else that is not
  the body is an attachment, including calendar invites (text/calendar) and forwarded messages (message/rfc822).
- Noise: Auto-Submitted, Precedence bulk/list/junk, X-Autoreply and friends, delivery status notifications.

Never raises on bad input: whatever it can't read is reported in `defects` and left in the raw message.
"""

from __future__ import annotations

import binascii
import email
import email.parser
import email.policy
import hashlib
import html as htmllib
import re
import tempfile
from dataclasses import dataclass, field
from email.headerregistry import HeaderRegistry
from email.message import EmailMessage, Message
from email.utils import getaddresses, parseaddr, parsedate_to_datetime
from typing import IO, Any

from charset_normalizer import from_bytes

FALLBACK_CHARSETS = ("utf-8", "cp1256", "iso-8859-2", "koi8-r", "cp1252")
LATIN_LABELS = {"us-ascii", "ascii", "iso-8859-1", "latin-1", "latin1", "windows-1252", "cp1252", ""}
MAX_ID = 300


@dataclass
class Part:
    filename: str
    content_type: str
    data: bytes
    content_id: str = ""
    inline: bool = False
    # A large part decoded to a temporary file while the message was read (see `_spool`): `data` is empty then,
    # the bytes are in `file` (`size` of them). `ParsedEmail.close()` removes the file.
    file: IO[bytes] | None = None
    spooled_size: int = 0

    @property
    def size(self) -> int:
        return self.spooled_size if self.file is not None else len(self.data)

    def head(self, n: int) -> bytes:
        """The first n bytes of the part."""
        if self.file is None:
            return self.data[:n]
        self.file.seek(0)
        return self.file.read(n)


@dataclass
class ParsedEmail:
    message_id: str = ""
    in_reply_to: list[str] = field(default_factory=list)
    references: list[str] = field(default_factory=list)
    subject: str = ""
    from_name: str = ""
    from_address: str = ""
    reply_to: str = ""
    to: list[str] = field(default_factory=list)
    date: Any = None
    text: str = ""
    html: str = ""
    attachments: list[Part] = field(default_factory=list)
    auto_submitted: bool = False
    bulk: bool = False
    auto_reply: bool = False
    bounce: bool = False
    bounced: list[str] = field(default_factory=list)
    defects: list[str] = field(default_factory=list)

    @property
    def noise(self) -> bool:
        """Mail that must never get an automatic answer."""
        return self.auto_submitted or self.bulk or self.auto_reply or self.bounce

    def close(self) -> None:
        """Remove the temporary files of spooled parts."""
        for part in self.attachments:
            if part.file is not None:
                part.file.close()

    def __enter__(self) -> ParsedEmail:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class _Headers(HeaderRegistry):
    """The stdlib's header registry, remembering the class it makes for each header name: the stdlib builds a new
    class (`type(...)`) for every header it reads, which was a tenth of the time spent reading a message."""

    def __init__(self) -> None:
        super().__init__()
        self._made: dict[str, type] = {}

    def __getitem__(self, name: str) -> type:
        key = name.lower()
        made = self._made.get(key)
        if made is None:
            made = self._made[key] = super().__getitem__(name)
        return made


# policy.default, with the remembering registry.
POLICY = email.policy.default.clone(header_factory=_Headers())


# ---------------------------------------------------------------------------------------------- charsets

_SCRIPT_RANGES = {
    "cp1256": re.compile(r"[\u0600-\u06ff]"),
    "windows-1256": re.compile(r"[\u0600-\u06ff]"),
    "iso-8859-2": re.compile(r"[áéíóöőúüűÁÉÍÓÖŐÚÜŰčďěňřšťžąęłńśźżĆĄ]"),
    "koi8-r": re.compile(r"[\u0400-\u04ff]"),
}


def _plausible(text: str) -> bool:
    """Decoded text that is mostly letters, digits, spaces and punctuation, not control characters or symbols."""
    if not text:
        return True
    bad = sum(1 for ch in text if (ord(ch) < 32 and ch not in "\r\n\t") or 0x80 <= ord(ch) < 0xA0 or ch == "\ufffd")
    return bad <= max(1, len(text) // 200)


def decode_bytes(data: bytes, declared: str | None = None) -> str:
    """Bytes of a text part as str, whatever the (mis)labelled charset. Never raises."""
    declared = (declared or "").strip().strip('"').lower()
    if not data:
        return ""
    if any(b > 0x7F for b in data):
        # Non-ASCII bytes that form valid UTF-8 are UTF-8, whatever the label says (8-bit text almost never is).
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError:
            pass
    if declared and declared not in LATIN_LABELS:
        try:
            text = data.decode(declared)
            if _plausible(text):
                return text
        except (LookupError, UnicodeDecodeError):
            pass
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    if not any(b > 0x7F for b in data):
        return data.decode("ascii")
    if declared in LATIN_LABELS and declared not in ("", "us-ascii", "ascii"):
        # Latin-1 decodes anything; believe it only when no script-specific charset reads the bytes as words.
        best = _guess(data)
        if best is not None:
            return best
        return data.decode("cp1252" if "1252" in declared else "latin-1", errors="replace")
    best = _guess(data)
    if best is not None:
        return best
    return data.decode("utf-8", errors="replace")


def _guess(data: bytes) -> str | None:
    """The most likely reading of non-UTF-8 bytes: a Persian, Central-European or Cyrillic 8-bit charset when the
    bytes read as that script's letters, else charset-normalizer's best guess."""
    scores: list[tuple[float, str]] = []
    for charset in ("cp1256", "iso-8859-2", "koi8-r"):
        try:
            text = data.decode(charset)
        except UnicodeDecodeError:
            continue
        high = [ch for ch in text if ord(ch) > 0x7F]
        if not high or not _plausible(text):
            continue
        hits = sum(1 for ch in high if _SCRIPT_RANGES[charset].match(ch))
        scores.append((hits / len(high), text))
    scores.sort(key=lambda s: s[0], reverse=True)
    if scores and scores[0][0] >= 0.8:
        return scores[0][1]
    match = from_bytes(data[:65536]).best()
    if match is not None and match.encoding:
        try:
            return data.decode(match.encoding)
        except (LookupError, UnicodeDecodeError):
            pass
    return scores[0][1] if scores else None


def _fix_header(value: str) -> str:
    """A header decoded by policy.default; raw 8-bit bytes in it (surrogate escapes) are decoded like a body."""
    if any("\udc80" <= ch <= "\udcff" for ch in value):
        value = decode_bytes(value.encode("utf-8", "surrogateescape"))
    return re.sub(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]", "", value).replace("\r", "").replace("\n", " ").strip()


def _header(msg: Message, name: str, defects: list[str]) -> str:
    raw = next((v for k, v in msg.raw_items() if k.lower() == name.lower()), None)
    if isinstance(raw, str) and any("\udc80" <= ch <= "\udcff" for ch in raw):
        # Raw 8-bit bytes in the header (no RFC 2047): decode them like a body, then any encoded words.
        text = _fix_header(raw)
        if "=?" in text:
            from email.errors import MessageError
            from email.header import decode_header, make_header

            try:
                text = str(make_header(decode_header(text)))
            except (ValueError, LookupError, UnicodeError, MessageError):  # a bad charset name or bad base64
                defects.append(f"{name}: undecodable encoded word")
        return text
    try:
        value = msg.get(name)
    except Exception as exc:  # a malformed header the policy can't parse: fall back to the raw text
        defects.append(f"{name}: {exc.__class__.__name__}")
        value = raw
    if value is None:
        return ""
    try:
        return _fix_header(str(value))
    except Exception as exc:
        defects.append(f"{name}: {exc.__class__.__name__}")
        return ""


_ID_RE = re.compile(r"<([^<>\s]+)>")


def _ids(value: str) -> list[str]:
    found = [f"<{m}>"[:MAX_ID] for m in _ID_RE.findall(value)]
    if not found and value.strip() and " " not in value.strip():
        found = [f"<{value.strip().strip('<>')}>"[:MAX_ID]]
    return list(dict.fromkeys(found))


# ---------------------------------------------------------------------------------------------- parts


def _payload(part: Message) -> bytes:
    try:
        data = part.get_payload(decode=True)
    except Exception:
        data = None
    if isinstance(data, bytes):
        return data
    raw = part.get_payload()
    return raw.encode("utf-8", "surrogateescape") if isinstance(raw, str) else b""


def _text_of_part(part: Message) -> str:
    return decode_bytes(_payload(part), part.get_content_charset())


def _filename(part: Message, defects: list[str]) -> str:
    try:
        name = part.get_filename() or ""
    except Exception as exc:
        defects.append(f"filename: {exc.__class__.__name__}")
        name = ""
    name = _fix_header(name)
    if "=?" in name:  # RFC 2047 inside a quoted parameter: not standard, but what many mailers send
        try:
            from email.header import decode_header, make_header

            name = str(make_header(decode_header(name)))
        except (ValueError, LookupError, UnicodeDecodeError):
            pass
    # No directories, no control characters: the name is only a label, storage picks its own path.
    name = re.sub(r'[\\/:*?"<>|]+', "_", name).strip(" .")
    return name[:200]


_EXT = {
    "text/calendar": "invite.ics",
    "message/rfc822": "message.eml",
    "message/delivery-status": "delivery-status.txt",
    "text/html": "part.html",
    "text/plain": "part.txt",
}


def _walk(msg: Message, out: ParsedEmail, spool: _Spool | None = None) -> tuple[list[str], list[str]]:
    """Collect the body (text and HTML alternatives) and the attachments. Returns (texts, htmls)."""
    texts: list[str] = []
    htmls: list[str] = []

    def visit(part: Message, in_alternative: bool) -> None:
        ctype = part.get_content_type()
        if ctype == "message/delivery-status":
            out.bounce = True
            out.bounced += _bounced_recipients(part)
            out.attachments.append(Part("delivery-status.txt", "text/plain", _status_text(part)))
            return
        if part.is_multipart() and ctype != "message/rfc822":
            children = part.get_payload()
            if not isinstance(children, list):
                return
            alt = ctype == "multipart/alternative"
            if ctype == "multipart/report" and str(part.get_param("report-type", "")).lower() == "delivery-status":
                out.bounce = True
            for child in children:
                if isinstance(child, Message):
                    visit(child, alt or in_alternative)
            return
        try:
            disposition = (part.get_content_disposition() or "").lower()
        except Exception:
            disposition = ""
        filename = _filename(part, out.defects)
        cid = _header(part, "Content-ID", out.defects).strip().strip("<>")
        body_like = disposition != "attachment" and not filename and ctype in ("text/plain", "text/html")
        if body_like:
            (texts if ctype == "text/plain" else htmls).append(_text_of_part(part))
            return
        spooled = None
        if ctype == "message/rfc822":
            inner = part.get_payload()
            data = (
                inner[0].as_bytes(policy=email.policy.default.clone(linesep="\r\n"))
                if isinstance(inner, list) and inner and isinstance(inner[0], Message)
                else _payload(part)
            )
            if not filename and isinstance(inner, list) and inner and isinstance(inner[0], Message):
                subject = _header(inner[0], "Subject", out.defects)
                filename = (re.sub(r'[\\/:*?"<>|]+', "_", subject)[:100] or "message") + ".eml"
        else:
            spooled = _spooled_file(part, spool)
            data = b"" if spooled is not None else _payload(part)
        inline = bool(cid) and ctype.startswith("image/") and disposition != "attachment"
        out.attachments.append(
            Part(
                filename=filename or _EXT.get(ctype, "attachment" + _guess_ext(ctype)),
                content_type=ctype,
                data=data,
                content_id=cid[:250],
                inline=inline,
            )
        )
        if spooled is not None:
            out.attachments[-1].file, out.attachments[-1].spooled_size = spooled

    visit(msg, False)
    return texts, htmls


def _guess_ext(ctype: str) -> str:
    import mimetypes

    return mimetypes.guess_extension(ctype) or ".bin"


def _status_text(part: Message) -> bytes:
    payload = part.get_payload()
    if isinstance(payload, list):
        blocks = ["\n".join(f"{k}: {v}" for k, v in sub.items()) for sub in payload if isinstance(sub, Message)]
        return "\n\n".join(blocks).encode("utf-8", "replace")
    return _payload(part)


def _bounced_recipients(part: Message) -> list[str]:
    """Final-Recipient addresses with Action: failed in a message/delivery-status part."""
    payload = part.get_payload()
    blocks: list[str] = []
    if isinstance(payload, list):
        for sub in payload:
            if isinstance(sub, Message):
                blocks.append("\n".join(f"{k}: {v}" for k, v in sub.items()))
    else:
        blocks = re.split(r"\r?\n\r?\n", _text_of_part(part))
    found = []
    for block in blocks:
        action = re.search(r"(?im)^action:\s*(\S+)", block)
        recipient = re.search(r"(?im)^(?:final|original)-recipient:\s*[^;]*;\s*(\S+)", block)
        if recipient and (action is None or action.group(1).lower() == "failed"):
            found.append(recipient.group(1).strip("<>").lower())
    return list(dict.fromkeys(found))


# ---------------------------------------------------------------------------------------------- noise

_AUTO_SUBJECT = re.compile(
    r"(?i)^\s*(auto(matic)?[ -]?(reply|response|antwort)|out of (the )?office|abwesenheit|absence|"
    r"automatikus válasz|házon kívül|پاسخ خودکار|خارج از دفتر)"
)
_BOUNCE_FROM = re.compile(r"(?i)^(mailer-daemon|postmaster)@")


def _noise(msg: Message, out: ParsedEmail) -> None:
    auto = _header(msg, "Auto-Submitted", out.defects).lower()
    out.auto_submitted = bool(auto) and auto != "no"
    precedence = _header(msg, "Precedence", out.defects).lower()
    out.bulk = precedence in ("bulk", "list", "junk") or bool(_header(msg, "List-Id", out.defects))
    out.auto_reply = (
        auto.startswith("auto-replied")
        or precedence == "auto_reply"
        or any(_header(msg, h, out.defects) for h in ("X-Autoreply", "X-Autorespond"))
        or bool(_AUTO_SUBJECT.search(out.subject))
    )
    if _BOUNCE_FROM.match(out.from_address) and not out.bounce:
        out.bounce = "delivery" in out.subject.lower() or "undeliver" in out.subject.lower()


# ---------------------------------------------------------------------------------------------- large parts

# Messages larger than this are scanned first for large base64 parts (attachments), which are decoded to temporary
# files in chunks and left out of what the stdlib parser reads: it keeps a message's body as a list of lines and
# then joins and decodes it, several copies of each attachment at once.
SPOOL_MESSAGE_BYTES = 1024 * 1024
SPOOL_PART_BYTES = 256 * 1024
SPOOL_HEADER = "X-Payvand-Spooled"
_SPOOL_CHUNK = 1024 * 1024  # of base64 text, a multiple of 4 once cleaned
_B64_ALPHABET = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/="
_NOT_B64 = bytes(b for b in range(256) if b not in _B64_ALPHABET)
_MAX_DEPTH = 20


@dataclass
class _Spool:
    token: str
    pieces: list[bytes | memoryview] = field(default_factory=list)
    files: list[tuple[IO[bytes], int]] = field(default_factory=list)


def _lines(raw: bytes, start: int, end: int) -> Any:
    """(line start, line end) of each line of raw[start:end], the end after its newline."""
    pos = start
    while pos < end:
        nl = raw.find(b"\n", pos, end)
        stop = end if nl < 0 else nl + 1
        yield pos, stop
        pos = stop


def _decode_to_file(view: memoryview, start: int, end: int) -> tuple[IO[bytes], int]:
    out = tempfile.TemporaryFile(prefix="payvand-part-")  # noqa: SIM115 - closed by ParsedEmail.close()
    size = 0
    rest = b""
    try:
        for at in range(start, end, _SPOOL_CHUNK):
            text = rest + bytes(view[at : min(at + _SPOOL_CHUNK, end)]).translate(None, _NOT_B64)
            cut = len(text) - len(text) % 4
            rest = text[cut:]
            data = binascii.a2b_base64(text[:cut])
            out.write(data)
            size += len(data)
        if rest:  # a truncated last group, as the stdlib reads it: padded
            data = binascii.a2b_base64(rest + b"=" * (-len(rest) % 4))
            out.write(data)
            size += len(data)
    except binascii.Error:
        out.close()
        raise
    out.seek(0)
    return out, size


def _spool_entity(raw: bytes, view: memoryview, start: int, end: int, spool: _Spool, depth: int) -> None:
    """Copy raw[start:end] (one MIME entity: headers, blank line, body) to the pieces, a large base64 leaf's body
    replaced by a temporary file and a header naming it."""
    header_end = body_start = -1
    for line_start, line_end in _lines(raw, start, end):
        if raw[line_start:line_end].strip(b"\r\n") == b"":
            header_end, body_start = line_start, line_end
            break
        if line_end - line_start > 65536 or line_start - start > 1024 * 1024:
            break  # not a header block: leave it as it is
    if header_end < 0:
        spool.pieces.append(view[start:end])
        return
    head = email.parser.BytesHeaderParser(policy=email.policy.compat32).parsebytes(raw[start:header_end])
    ctype = head.get_content_type()
    boundary = head.get_boundary() if ctype.startswith("multipart/") else None
    if boundary and depth < _MAX_DEPTH:
        _spool_multipart(raw, view, start, body_start, end, boundary, spool, depth)
        return
    cte = str(head.get("Content-Transfer-Encoding", "")).strip().lower()
    if (
        cte == "base64"
        and end - body_start > SPOOL_PART_BYTES
        and head.get_content_maintype() not in ("text", "message", "multipart")
        and len(head.get_all(SPOOL_HEADER) or ()) == 0
    ):
        file, size = _decode_to_file(view, body_start, end)
        spool.files.append((file, size))
        eol = b"\r\n" if raw[header_end : header_end + 2] == b"\r\n" else b"\n"
        spool.pieces.append(view[start:header_end])
        spool.pieces.append(f"{SPOOL_HEADER}: {spool.token}-{len(spool.files) - 1}".encode() + eol + eol)
        return
    spool.pieces.append(view[start:end])


def _spool_multipart(
    raw: bytes, view: memoryview, start: int, body_start: int, end: int, boundary: str, spool: _Spool, depth: int
) -> None:
    delimiter = b"--" + boundary.encode("ascii", "replace")
    marks: list[tuple[int, int, bool]] = []  # (line start, line end, closing)
    pos = body_start
    while pos < end:
        at = raw.find(delimiter, pos, end)
        if at < 0:
            break
        line_end = raw.find(b"\n", at, end)
        line_end = end if line_end < 0 else line_end + 1
        pos = line_end
        if at != body_start and raw[at - 1 : at] != b"\n":
            continue
        tail = raw[at + len(delimiter) : line_end]
        closing = tail.startswith(b"--")
        if (tail[2:] if closing else tail).strip():
            continue  # "--boundary-more": another boundary that starts like this one
        marks.append((at, line_end, closing))
        if closing:
            break
    if not marks:
        spool.pieces.append(view[start:end])
        return
    spool.pieces.append(view[start : marks[0][0]])  # headers, blank line, preamble
    for n, (line_start, line_end, closing) in enumerate(marks):
        spool.pieces.append(view[line_start:line_end])
        if closing:
            spool.pieces.append(view[line_end:end])  # the epilogue
            return
        part_end = marks[n + 1][0] if n + 1 < len(marks) else end
        _spool_entity(raw, view, line_end, part_end, spool, depth + 1)


def _spool(raw: bytes) -> tuple[bytes, _Spool]:
    """The message with its large base64 parts decoded to temporary files and left out (see SPOOL_MESSAGE_BYTES)."""
    import secrets

    spool = _Spool(token=secrets.token_hex(8))
    try:
        _spool_entity(raw, memoryview(raw), 0, len(raw), spool, 0)
        return b"".join(spool.pieces), spool
    except Exception:
        for file, _size in spool.files:
            file.close()
        raise
    finally:
        spool.pieces.clear()


def _spooled_file(part: Message, spool: _Spool | None) -> tuple[IO[bytes], int] | None:
    if spool is None or not spool.files:
        return None
    value = str(part.get(SPOOL_HEADER, "") or "")
    token, _sep, index = value.strip().rpartition("-")
    if token != spool.token or not index.isdigit() or int(index) >= len(spool.files):
        return None
    return spool.files[int(index)]


# ---------------------------------------------------------------------------------------------- entry point


def content_key(raw: bytes) -> str:
    return "sha256:" + hashlib.sha256(raw).hexdigest()


def message_id_of(raw: bytes) -> str:
    """The Message-ID of raw bytes, read from the header block only (cheap; used to key the raw store)."""
    end = raw.find(b"\r\n\r\n")
    if end < 0:
        end = raw.find(b"\n\n")
    head = raw if end < 0 else raw[:end]
    match = re.search(rb"(?im)^message-id:[ \t]*(.*(?:\r?\n[ \t]+.*)*)", head)
    if not match:
        return ""
    value = match.group(1).decode("ascii", "replace")
    found = _ids(value)
    return found[0] if found else ""


def parse(raw: bytes) -> ParsedEmail:
    """Read a raw message. Never raises for bad mail; what it can't read is listed in `defects`."""
    out = ParsedEmail()
    spool: _Spool | None = None
    source = raw
    if len(raw) > SPOOL_MESSAGE_BYTES:
        try:
            source, spool = _spool(raw)
        except Exception as exc:  # whatever the scan can't follow, the stdlib parser reads as it is
            out.defects.append(f"spool: {exc.__class__.__name__}")
            source, spool = raw, None
    try:
        _parse(source, raw, out, spool)
    except BaseException:
        out.close()
        raise
    if spool is not None:  # files no part took (a structure the walker did not follow) go now
        taken = {id(p.file) for p in out.attachments if p.file is not None}
        for file, _size in spool.files:
            if id(file) not in taken:
                file.close()
    return out


def _parse(source: bytes, raw: bytes, out: ParsedEmail, spool: _Spool | None) -> None:
    msg = email.message_from_bytes(source, policy=POLICY)
    out.defects += [d.__class__.__name__ for d in getattr(msg, "defects", [])][:20]
    out.message_id = message_id_of(raw)
    out.in_reply_to = _ids(_header(msg, "In-Reply-To", out.defects))
    out.references = _ids(_header(msg, "References", out.defects))
    out.subject = _header(msg, "Subject", out.defects)[:300]
    name, address = _address(msg, "From", out.defects)
    if not address:
        name, address = _address(msg, "Sender", out.defects)
    out.from_name, out.from_address = name, address
    out.reply_to = _address(msg, "Reply-To", out.defects)[1]
    out.to = [a.lower() for _n, a in _addresses(msg, ("To", "Cc", "Delivered-To", "X-Original-To"), out.defects)]
    try:
        date_text = _header(msg, "Date", out.defects)
        out.date = parsedate_to_datetime(date_text) if date_text else None
    except (TypeError, ValueError, IndexError):
        out.date = None
    try:
        texts, htmls = _walk(msg, out, spool)
    except Exception as exc:  # a structure the walker can't follow: keep what it found, the raw stays
        out.defects.append(f"structure: {exc.__class__.__name__}")
        texts, htmls = [], []
        if not out.text:
            body = raw.find(b"\n\n")
            out.text = decode_bytes(raw[body + 2 if body >= 0 else 0 :][:1_000_000])
    out.text = (out.text or "\n\n".join(t.strip() for t in texts if t.strip())).replace("\x00", "")
    out.text = out.text.replace("\r\n", "\n").replace("\r", "\n")
    out.html = "\n".join(h for h in htmls if h.strip()).replace("\x00", "")
    _noise(msg, out)


def _address(msg: Message, name: str, defects: list[str]) -> tuple[str, str]:
    found = _addresses(msg, (name,), defects)
    return found[0] if found else ("", "")


def _addresses(msg: Message, names: tuple[str, ...], defects: list[str]) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    for header in names:
        value = _header(msg, header, defects)
        if not value:
            continue
        try:
            pairs = getaddresses([value])
        except Exception:
            pairs = [parseaddr(value)]
        for display, addr in pairs:
            addr = addr.strip().strip("<>").lower()
            if "@" in addr and len(addr) <= 254 and " " not in addr:
                out.append((display.strip()[:120], addr))
    return out


def html_text(html: str) -> str:
    """The plain text of an HTML body."""
    from payvand.helpdesk.services import _text_of

    return _text_of(html)


def escape(text: str) -> str:
    return htmllib.escape(text, quote=True)


__all__ = ["EmailMessage", "ParsedEmail", "Part", "content_key", "decode_bytes", "message_id_of", "parse"]
