"""The providers behind each channel: how their webhooks are checked and read, and how a reply is sent.

Every provider reads its own settings (docs/channels.md). Outbound calls use `requests` with a timeout; a failure
raises `SendFailed`, which the delivery service retries with backoff.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
from dataclasses import dataclass, field
from typing import Any, Protocol

import requests
from django.conf import settings
from django.http import HttpRequest

log = logging.getLogger(__name__)

TIMEOUT = 10


class SendFailed(Exception):
    """The provider refused or could not be reached."""


class BadPayload(Exception):
    """The webhook body is not what the provider sends (answered with a 4xx, nothing stored)."""


@dataclass
class FileRef:
    """A file of an inbound message, fetched from the provider when the message is processed."""

    ref: str
    name: str = ""
    content_type: str = ""


@dataclass
class InboundItem:
    provider_message_id: str
    sender: str
    text: str = ""
    name: str = ""
    files: list[FileRef] = field(default_factory=list)

    def as_data(self) -> dict[str, Any]:
        """What is kept of the message for processing (no NUL characters: no database column holds them)."""
        return {
            "sender": _no_nul(self.sender),
            "text": _no_nul(self.text),
            "name": _no_nul(self.name),
            "files": [
                {"ref": _no_nul(f.ref), "name": _no_nul(f.name), "content_type": _no_nul(f.content_type)}
                for f in self.files
            ],
        }


def _no_nul(text: str) -> str:
    return text.replace("\x00", "\ufffd")


def _hmac_equal(expected: str, given: str) -> bool:
    return bool(given) and hmac.compare_digest(expected.encode(), given.encode())


def _json(body: bytes) -> Any:
    try:
        return json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise BadPayload("not JSON") from exc


def _post(url: str, **kwargs: Any) -> dict[str, Any]:
    try:
        response = requests.post(url, timeout=TIMEOUT, **kwargs)
    except requests.RequestException as exc:
        raise SendFailed(f"{type(exc).__name__}: {exc}") from exc
    if response.status_code >= 300:
        raise SendFailed(f"HTTP {response.status_code}: {response.text[:300]}")
    try:
        data = response.json()
    except ValueError:
        data = {}
    return data if isinstance(data, dict) else {}


def _get(url: str, **kwargs: Any) -> requests.Response:
    try:
        response = requests.get(url, timeout=TIMEOUT, **kwargs)
    except requests.RequestException as exc:
        raise SendFailed(f"{type(exc).__name__}: {exc}") from exc
    if response.status_code >= 300:
        raise SendFailed(f"HTTP {response.status_code}: {response.text[:300]}")
    return response


# Telegram and WhatsApp take at most 4096 characters per text message: longer replies go in several.
MESSENGER_LIMIT = 4096


def chunks(text: str, size: int) -> list[str]:
    """`text` in parts of at most `size` characters, cut at a line break or space where there is one."""
    parts: list[str] = []
    rest = text or " "
    while len(rest) > size:
        cut = max(rest.rfind("\n", 0, size), rest.rfind(" ", 0, size))
        cut = cut if cut > size // 2 else size
        parts.append(rest[:cut])
        rest = rest[cut:].lstrip("\n ")
    parts.append(rest)
    return parts


@dataclass
class OutFile:
    """A file of a reply, sent to a messenger after the text."""

    name: str
    content_type: str
    content: bytes

    @property
    def is_photo(self) -> bool:
        # What both messengers show inline as a picture; anything else goes as a document with its name.
        return self.content_type in ("image/jpeg", "image/png") and len(self.content) <= PHOTO_LIMIT


# Telegram's sendPhoto takes photos up to 10 MB; WhatsApp images up to 5 MB: larger pictures go as documents.
PHOTO_LIMIT = 5 * 1024 * 1024


class Sender(Protocol):
    name: str

    def send(self, *, to: str, text: str) -> str: ...


class FileSender(Sender, Protocol):
    def send_file(self, *, to: str, file: OutFile) -> str: ...


# ---------------------------------------------------------------------------------------------- SMS


class ConsoleSms:
    """Development: replies are written to the log instead of being sent. No inbound webhook."""

    name = "console"

    def send(self, *, to: str, text: str) -> str:
        log.info("SMS to %s: %s", to, text)
        print(f"SMS to {to}:\n{text}\n")  # noqa: T201
        return ""


class KavenegarSms:
    """Kavenegar (kavenegar.com). It signs nothing: its inbound URL carries a secret token instead."""

    name = "kavenegar"

    @staticmethod
    def configured() -> bool:
        return bool(settings.SMS_KAVENEGAR_WEBHOOK_TOKEN)

    @staticmethod
    def verify(request: HttpRequest, token: str) -> bool:
        return _hmac_equal(settings.SMS_KAVENEGAR_WEBHOOK_TOKEN, token)

    @staticmethod
    def parse(request: HttpRequest) -> list[InboundItem]:
        data = request.POST if request.method == "POST" else request.GET
        message_id, sender = data.get("messageid", "").strip(), data.get("from", "").strip()
        if not message_id or not sender:
            raise BadPayload("messageid and from are required")
        return [InboundItem(provider_message_id=message_id, sender=sender, text=data.get("message", ""))]

    def send(self, *, to: str, text: str) -> str:
        url = f"{settings.SMS_KAVENEGAR_URL}/v1/{settings.SMS_KAVENEGAR_API_KEY}/sms/send.json"
        payload = {"receptor": to, "message": text}
        if settings.SMS_KAVENEGAR_SENDER:
            payload["sender"] = settings.SMS_KAVENEGAR_SENDER
        data = _post(url, data=payload)
        status = (data.get("return") or {}).get("status")
        if status != 200:
            raise SendFailed(f"Kavenegar status {status}: {(data.get('return') or {}).get('message', '')}")
        entries = data.get("entries") or [{}]
        return str(entries[0].get("messageid", ""))


class TwilioSms:
    """Twilio Programmable Messaging: inbound signed with X-Twilio-Signature (HMAC-SHA1 with the auth token)."""

    name = "twilio"

    @staticmethod
    def configured() -> bool:
        return bool(settings.SMS_TWILIO_AUTH_TOKEN)

    @staticmethod
    def signature(url: str, params: dict[str, str]) -> str:
        text = url + "".join(f"{key}{params[key]}" for key in sorted(params))
        digest = hmac.new(settings.SMS_TWILIO_AUTH_TOKEN.encode(), text.encode(), hashlib.sha1).digest()
        return base64.b64encode(digest).decode()

    @classmethod
    def verify(cls, request: HttpRequest) -> bool:
        # Twilio signs the URL it called: our public address plus the path (BASE_URL), not what a proxy passed on.
        url = settings.PAYVAND_BASE_URL + request.get_full_path()
        params = {key: request.POST.get(key, "") for key in request.POST}
        return _hmac_equal(cls.signature(url, params), request.headers.get("X-Twilio-Signature", ""))

    @staticmethod
    def parse(request: HttpRequest) -> list[InboundItem]:
        message_id, sender = request.POST.get("MessageSid", "").strip(), request.POST.get("From", "").strip()
        if not message_id or not sender:
            raise BadPayload("MessageSid and From are required")
        files = []
        try:
            media = min(int(request.POST.get("NumMedia", "0") or 0), 10)
        except ValueError:
            media = 0
        for n in range(media):
            url = request.POST.get(f"MediaUrl{n}", "")
            if url:
                files.append(FileRef(ref=url, content_type=request.POST.get(f"MediaContentType{n}", "")))
        return [
            InboundItem(provider_message_id=message_id, sender=sender, text=request.POST.get("Body", ""), files=files)
        ]

    def send(self, *, to: str, text: str) -> str:
        sid = settings.SMS_TWILIO_ACCOUNT_SID
        url = f"{settings.SMS_TWILIO_URL}/2010-04-01/Accounts/{sid}/Messages.json"
        data = _post(
            url,
            data={"To": to, "From": settings.SMS_TWILIO_FROM, "Body": text},
            auth=(sid, settings.SMS_TWILIO_AUTH_TOKEN),
        )
        return str(data.get("sid", ""))


class GenericSms:
    """Any HTTP gateway: JSON in and out, signed both ways with HMAC-SHA256 of the body (hex) in a header."""

    name = "generic"

    @staticmethod
    def configured() -> bool:
        return bool(settings.SMS_GENERIC_SECRET)

    @staticmethod
    def signature(body: bytes) -> str:
        return hmac.new(settings.SMS_GENERIC_SECRET.encode(), body, hashlib.sha256).hexdigest()

    @classmethod
    def verify(cls, request: HttpRequest) -> bool:
        given = request.headers.get(settings.SMS_GENERIC_SIGNATURE_HEADER, "").removeprefix("sha256=")
        return _hmac_equal(cls.signature(request.body), given)

    @staticmethod
    def parse(request: HttpRequest) -> list[InboundItem]:
        data = _json(request.body)
        if not isinstance(data, dict):
            raise BadPayload("a JSON object is required")
        message_id, sender = str(data.get("id") or "").strip(), str(data.get("from") or "").strip()
        if not message_id or not sender:
            raise BadPayload("id and from are required")
        return [InboundItem(provider_message_id=message_id, sender=sender, text=str(data.get("text") or ""))]

    def send(self, *, to: str, text: str) -> str:
        body = json.dumps({"to": to, "text": text}, ensure_ascii=False).encode()
        headers = {"Content-Type": "application/json", settings.SMS_GENERIC_SIGNATURE_HEADER: self.signature(body)}
        data = _post(settings.SMS_GENERIC_SEND_URL, data=body, headers=headers)
        return str(data.get("id", ""))


SMS_BACKENDS: dict[str, type[ConsoleSms | KavenegarSms | TwilioSms | GenericSms]] = {
    "console": ConsoleSms,
    "kavenegar": KavenegarSms,
    "twilio": TwilioSms,
    "generic": GenericSms,
}


def sms_backend() -> ConsoleSms | KavenegarSms | TwilioSms | GenericSms:
    return SMS_BACKENDS[settings.SMS_BACKEND]()


# ---------------------------------------------------------------------------------------------- Telegram


class Telegram:
    """A Telegram bot: the webhook carries the secret token set with setWebhook in X-Telegram-Bot-Api-Secret-Token."""

    name = "telegram"

    @staticmethod
    def configured() -> bool:
        return bool(settings.TELEGRAM_BOT_TOKEN and settings.TELEGRAM_WEBHOOK_SECRET)

    @staticmethod
    def verify(request: HttpRequest) -> bool:
        return _hmac_equal(settings.TELEGRAM_WEBHOOK_SECRET, request.headers.get("X-Telegram-Bot-Api-Secret-Token", ""))

    @staticmethod
    def parse(request: HttpRequest) -> list[InboundItem]:
        update = _json(request.body)
        if not isinstance(update, dict) or "update_id" not in update:
            raise BadPayload("an update with update_id is required")
        message = update.get("message") or update.get("edited_message")
        if not isinstance(message, dict):
            return []  # other updates (callbacks, member changes) carry no customer message
        chat = message.get("chat") or {}
        sender = message.get("from") or {}
        if "id" not in chat:
            raise BadPayload("message.chat.id is required")
        name = " ".join(str(sender.get(k) or "") for k in ("first_name", "last_name")).strip()
        files = []
        photos = message.get("photo")
        if isinstance(photos, list) and photos:
            largest = photos[-1]  # Telegram lists the sizes smallest first
            files.append(FileRef(ref=str(largest.get("file_id", "")), name="photo.jpg", content_type="image/jpeg"))
        document = message.get("document")
        if isinstance(document, dict) and document.get("file_id"):
            files.append(
                FileRef(
                    ref=str(document["file_id"]),
                    name=str(document.get("file_name") or "document"),
                    content_type=str(document.get("mime_type") or ""),
                )
            )
        return [
            InboundItem(
                provider_message_id=str(update["update_id"]),
                sender=str(chat["id"]),
                text=str(message.get("text") or message.get("caption") or ""),
                name=name or str(sender.get("username") or ""),
                files=files,
            )
        ]

    @staticmethod
    def _api(method: str) -> str:
        return f"{settings.TELEGRAM_API_URL}/bot{settings.TELEGRAM_BOT_TOKEN}/{method}"

    def download(self, ref: FileRef) -> bytes:
        data = _post(self._api("getFile"), json={"file_id": ref.ref})
        path = (data.get("result") or {}).get("file_path")
        if not data.get("ok") or not path:
            raise SendFailed("getFile returned no file_path")
        return _get(f"{settings.TELEGRAM_API_URL}/file/bot{settings.TELEGRAM_BOT_TOKEN}/{path}").content

    def send(self, *, to: str, text: str) -> str:
        message_id = ""
        for part in chunks(text, MESSENGER_LIMIT):
            data = _post(self._api("sendMessage"), json={"chat_id": to, "text": part})
            if not data.get("ok"):
                raise SendFailed(f"Telegram: {data.get('description', 'not ok')}")
            message_id = str((data.get("result") or {}).get("message_id", ""))
        return message_id

    def send_file(self, *, to: str, file: OutFile) -> str:
        """sendPhoto for a JPEG or PNG picture, sendDocument (with its file name) for anything else."""
        method, field_name = ("sendPhoto", "photo") if file.is_photo else ("sendDocument", "document")
        data = _post(
            self._api(method),
            data={"chat_id": to},
            files={field_name: (file.name, file.content, file.content_type or "application/octet-stream")},
        )
        if not data.get("ok"):
            raise SendFailed(f"Telegram: {data.get('description', 'not ok')}")
        return str((data.get("result") or {}).get("message_id", ""))


# ---------------------------------------------------------------------------------------------- WhatsApp


class WhatsApp:
    """WhatsApp Cloud API: GET verification with the verify token, POSTs signed with X-Hub-Signature-256."""

    name = "whatsapp"

    @staticmethod
    def configured() -> bool:
        return bool(settings.WHATSAPP_APP_SECRET and settings.WHATSAPP_VERIFY_TOKEN)

    @staticmethod
    def signature(body: bytes) -> str:
        return "sha256=" + hmac.new(settings.WHATSAPP_APP_SECRET.encode(), body, hashlib.sha256).hexdigest()

    @classmethod
    def verify(cls, request: HttpRequest) -> bool:
        return _hmac_equal(cls.signature(request.body), request.headers.get("X-Hub-Signature-256", ""))

    @staticmethod
    def parse(request: HttpRequest) -> list[InboundItem]:
        payload = _json(request.body)
        if not isinstance(payload, dict) or not isinstance(payload.get("entry"), list):
            raise BadPayload("entry is required")
        items = []
        for entry in payload["entry"]:
            for change in (entry or {}).get("changes") or []:
                value = (change or {}).get("value") or {}
                names = {
                    str(c.get("wa_id")): str((c.get("profile") or {}).get("name") or "")
                    for c in value.get("contacts") or []
                    if isinstance(c, dict)
                }
                for message in value.get("messages") or []:
                    if not isinstance(message, dict) or not message.get("id") or not message.get("from"):
                        raise BadPayload("messages need id and from")
                    kind = message.get("type")
                    text, files = "", []
                    if kind == "text":
                        text = str((message.get("text") or {}).get("body") or "")
                    elif kind in ("image", "document", "audio", "video"):
                        media = message.get(kind) or {}
                        text = str(media.get("caption") or "")
                        files.append(
                            FileRef(
                                ref=str(media.get("id", "")),
                                name=str(media.get("filename") or kind),
                                content_type=str(media.get("mime_type") or ""),
                            )
                        )
                    else:
                        text = f"[{kind}]"
                    sender = str(message["from"])
                    items.append(
                        InboundItem(
                            provider_message_id=str(message["id"]),
                            sender=sender if sender.startswith("+") else f"+{sender}",
                            text=text,
                            name=names.get(sender, ""),
                            files=files,
                        )
                    )
        return items

    @staticmethod
    def _headers() -> dict[str, str]:
        return {"Authorization": f"Bearer {settings.WHATSAPP_TOKEN}"}

    def download(self, ref: FileRef) -> bytes:
        meta = _get(f"{settings.WHATSAPP_API_URL}/{ref.ref}", headers=self._headers()).json()
        url = meta.get("url") if isinstance(meta, dict) else None
        if not url:
            raise SendFailed("media has no url")
        return _get(str(url), headers=self._headers()).content

    def send(self, *, to: str, text: str) -> str:
        url = f"{settings.WHATSAPP_API_URL}/{settings.WHATSAPP_PHONE_NUMBER_ID}/messages"
        message_id = ""
        for part in chunks(text, MESSENGER_LIMIT):
            body = {"messaging_product": "whatsapp", "to": to.lstrip("+"), "type": "text", "text": {"body": part}}
            data = _post(url, json=body, headers=self._headers())
            messages = data.get("messages") or [{}]
            message_id = str(messages[0].get("id", ""))
        return message_id

    def send_file(self, *, to: str, file: OutFile) -> str:
        """Upload the file to the Cloud API's media endpoint, then send it as an image or a document message."""
        base = f"{settings.WHATSAPP_API_URL}/{settings.WHATSAPP_PHONE_NUMBER_ID}"
        content_type = file.content_type or "application/octet-stream"
        uploaded = _post(
            f"{base}/media",
            data={"messaging_product": "whatsapp", "type": content_type},
            files={"file": (file.name, file.content, content_type)},
            headers=self._headers(),
        )
        media_id = str(uploaded.get("id") or "")
        if not media_id:
            raise SendFailed("WhatsApp: the media upload returned no id")
        kind = "image" if file.is_photo else "document"
        media: dict[str, str] = {"id": media_id}
        if kind == "document":
            media["filename"] = file.name
        body = {"messaging_product": "whatsapp", "to": to.lstrip("+"), "type": kind, kind: media}
        data = _post(f"{base}/messages", json=body, headers=self._headers())
        messages = data.get("messages") or [{}]
        return str(messages[0].get("id", ""))


def downloader(provider: str) -> Telegram | WhatsApp | None:
    if provider == "telegram":
        return Telegram()
    if provider == "whatsapp":
        return WhatsApp()
    return None


def twilio_download(ref: FileRef) -> bytes:
    return _get(ref.ref, auth=(settings.SMS_TWILIO_ACCOUNT_SID, settings.SMS_TWILIO_AUTH_TOKEN)).content
