"""Folding quoted replies and signatures away in the thread, the original kept underneath.

Text: the quote starts at the first attribution line of the common mailers ("On … wrote:", Outlook's
"-----Original Message-----" or its "From: … Sent: …" block, the German, Hungarian and Persian forms) or at a run of
"> " lines that lasts to the end; a signature starts at the "-- " line. HTML: the quote starts at Gmail's
`gmail_quote`, Apple Mail's and Thunderbird's `<blockquote type="cite">` / `moz-cite-prefix`, or Outlook's
`divRplyFwdMsg` / `appendonsend`. Everything after the split is kept in a closed `<details>` element.
"""

from __future__ import annotations

import html as htmllib
import re

FOLD_SUMMARY = "···"

_ATTRIBUTION = re.compile(
    r"(?im)^(?:"
    r"on\b.{0,200}\bwrote:\s*$"  # Gmail, Apple Mail, Thunderbird
    r"|-{2,}\s*original message\s*-{2,}"  # Outlook
    r"|-{2,}\s*eredeti üzenet\s*-{2,}"
    r"|from:\s.+\r?\n(?:.*\r?\n){0,2}?(?:sent|date|küldve|dátum):\s.+"  # Outlook's header block
    r"|feladó:\s.+\r?\n(?:.*\r?\n){0,2}?(?:küldve|dátum):\s.+"
    r"|am\b.{0,200}\bschrieb\b.{0,100}:\s*$"
    r"|.{0,200}\bírta:\s*$"  # Hungarian: "2026. dec. 7., hétfő 10:00 időpontban X írta:"
    r"|.{0,200}\sنوشت:\s*$"  # Persian: "در تاریخ … ‏X نوشت:"
    r")"
)
_SIGNATURE = re.compile(r"(?m)^-- ?$")
_HTML_QUOTE = re.compile(
    r"(?is)<div[^>]*class=\"?[^\">]*gmail_quote"
    r"|<div[^>]*id=\"?(?:divRplyFwdMsg|appendonsend)"
    r"|<div[^>]*class=\"?moz-cite-prefix"
    r"|<blockquote[^>]*type=\"?cite"
    r"|<hr[^>]*id=\"?stopSpelling"
)


def split_text(text: str) -> tuple[str, str]:
    """(new part, folded part) of a plain-text body. The folded part is empty when nothing was quoted."""
    cut = len(text)
    match = _ATTRIBUTION.search(text)
    if match:
        cut = match.start()
    lines = text.splitlines(keepends=True)
    # A run of quoted lines reaching the end of the body (blank lines allowed in between).
    pos = len(text)
    for line in reversed(lines):
        if line.startswith(">") or not line.strip():
            pos -= len(line)
        else:
            break
    if pos < len(text) and text[pos:].strip():
        cut = min(cut, pos)
    sig = _SIGNATURE.search(text)
    if sig and sig.start() < cut:
        cut = sig.start()
    new, rest = text[:cut].rstrip(), text[cut:].strip()
    if not new:  # all quote (a forward, say): show it all
        return text.strip(), ""
    return new, rest


def split_html(html: str) -> tuple[str, str]:
    match = _HTML_QUOTE.search(html)
    if not match or not htmllib.unescape(re.sub(r"<[^>]+>", "", html[: match.start()])).strip():
        return html, ""
    return html[: match.start()], html[match.start() :]


def folded_html(new_html: str, rest_html: str) -> str:
    if not rest_html:
        return new_html
    return f"{new_html}<details><summary>{FOLD_SUMMARY}</summary>{rest_html}</details>"


def text_to_html(text: str) -> str:
    return htmllib.escape(text).replace("\n", "<br>\n")


def thread_html(*, text: str, html: str) -> str:
    """The HTML shown in the thread (not yet sanitised): the new part, the quote folded."""
    if html:
        new, rest = split_html(html)
        return folded_html(new, rest)
    new, rest = split_text(text)
    if not rest:
        return ""  # plain text without a quote shows as text
    return folded_html(f"<p>{text_to_html(new)}</p>", f"<blockquote>{text_to_html(rest)}</blockquote>")
