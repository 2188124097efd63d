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

import email
import email.policy
import hashlib
import html as htmllib
import re
from dataclasses import dataclass, field
from email.message import EmailMessage, Message
from email.utils import getaddresses, parseaddr, parsedate_to_datetime
from typing import Any

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


def _walk(msg: Message, out: ParsedEmail) -> tuple[list[str], list[str]]:
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
            data = _payload(part)
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
    msg = email.message_from_bytes(raw, policy=email.policy.default)
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
        texts, htmls = _walk(msg, out)
    except Exception as exc:  # a structure the walker can't follow: keep what it found, the raw stays
        out.defects.append(f"structure: {exc.__class__.__name__}")
        texts, htmls = [], []
        if not out.text:
            out.text = decode_bytes(raw.split(b"\n\n", 1)[-1][:1_000_000])
    out.text = (out.text or "\n\n".join(t.strip() for t in texts if t.strip())).replace("\x00", "")
    out.text = out.text.replace("\r\n", "\n").replace("\r", "\n")
    out.html = "\n".join(h for h in htmls if h.strip()).replace("\x00", "")
    _noise(msg, out)
    return out


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
