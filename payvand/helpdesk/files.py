"""Attachments: the content type comes from the file's bytes, never from what the browser or mailer claims."""

from __future__ import annotations

import mimetypes

import filetype
from django.core.files.uploadedfile import UploadedFile

TEXT_TYPES = {".txt": "text/plain", ".csv": "text/csv", ".md": "text/markdown", ".log": "text/plain"}


def sniff_content_type(upload: UploadedFile) -> str:
    """Guess the type from the first bytes (magic numbers). Text has no magic: a file that decodes as UTF-8 text
    gets a text type by its extension; everything else unknown is application/octet-stream, so a browser never
    renders it as HTML."""
    upload.seek(0)
    head = upload.read(8192)
    upload.seek(0)
    kind = filetype.guess(head)
    if kind is not None:
        return str(kind.mime)
    try:
        head.decode("utf-8")
    except UnicodeDecodeError:
        return "application/octet-stream"
    guessed, _enc = mimetypes.guess_type(upload.name or "")
    if guessed is not None and guessed in TEXT_TYPES.values():
        return guessed
    return "text/plain"
