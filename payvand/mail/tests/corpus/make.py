# ruff: noqa: E501 - the corpus is data: long header and body lines are kept whole
"""Writes the email corpus: NN-name.eml files, each with NN-name.json saying what must come out of it.

    .venv/bin/python payvand/mail/tests/corpus/make.py

The messages copy the MIME structure real mailers produce (Gmail, Outlook, Apple Mail, Thunderbird, Postfix and
Exchange bounces, autoresponders), in the charsets our customers write in. The expectations are written by hand
here, not read back from the parser.

Expectation keys (all optional): subject, from, text (substrings of the message text), not_text, html (the message
has an HTML body), attachments (file names), inline (number of inline images), kind ("", auto_reply, bulk, bounce,
own), bounced (addresses), status (processed / unprocessable), ticket ("new", "same:NN" = on the ticket of file NN,
"none"), folded (the thread hides a quote), duplicate_of (NN: the same stored message), ack (an acknowledgement is
sent).
"""

from __future__ import annotations

import base64
import json
import quopri
from pathlib import Path

HERE = Path(__file__).parent
TO = "support@payvand.test"
CORPUS: list[tuple[str, bytes, dict[str, object]]] = []


def add(name: str, raw: bytes, **expect: object) -> None:
    CORPUS.append((name, raw, expect))


def hdr(**fields: str) -> list[tuple[str, str]]:
    return [(k.replace("_", "-"), v) for k, v in fields.items()]


def mail(headers: list[tuple[str, str]], body: bytes | str) -> bytes:
    head = "".join(f"{k}: {v}\r\n" for k, v in headers).encode("utf-8")
    data = body.encode("utf-8") if isinstance(body, str) else body
    return head + b"\r\n" + data.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")


def qp(text: str, charset: str = "utf-8") -> bytes:
    return quopri.encodestring(text.encode(charset))


def b64(data: bytes) -> bytes:
    return base64.encodebytes(data)


def ew(text: str, charset: str = "utf-8", enc: str = "B") -> str:
    raw = text.encode(charset)
    if enc == "B":
        return f"=?{charset}?B?{base64.b64encode(raw).decode()}?="
    q = "".join(
        chr(b) if (48 <= b <= 57 or 65 <= b <= 90 or 97 <= b <= 122) else ("_" if b == 32 else f"={b:02X}") for b in raw
    )
    return f"=?{charset}?Q?{q}?="


def common(n: int, sender: str, subject: str, mid: str | None = "auto", date: str | None = None, **extra: str):
    h = [
        ("Received", f"from mx{n}.example.net (mx{n}.example.net [192.0.2.{n}]) by mx.payvand.test; Mon, 7 Dec 2026"),
        ("From", sender),
        ("To", TO),
        ("Subject", subject),
        ("Date", date or f"Mon, 7 Dec 2026 09:{n % 60:02d}:00 +0330"),
    ]
    if mid == "auto":
        mid = f"<corpus-{n:02d}.{n * 7919}@mail.example.net>"
    if mid:
        h.append(("Message-ID", mid))
    h.append(("MIME-Version", "1.0"))
    h += [(k.replace("_", "-"), v) for k, v in extra.items()]
    return h


def alternative(
    text: bytes, html: bytes, charset: str = "UTF-8", cte: str = "quoted-printable", b: str = "alt"
) -> bytes:
    return (
        f'--{b}\nContent-Type: text/plain; charset="{charset}"\nContent-Transfer-Encoding: {cte}\n\n'.encode()
        + text
        + f'\n--{b}\nContent-Type: text/html; charset="{charset}"\nContent-Transfer-Encoding: {cte}\n\n'.encode()
        + html
        + f"\n--{b}--\n".encode()
    )


PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
)
PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
ALT = 'multipart/alternative; boundary="alt"'
FA = "سلام، چاپگر دفتر ما از دیروز کار نمی‌کند و برگه‌ها گیر می‌کنند. لطفاً راهنمایی کنید."
HU = "Jó napot kívánok! A nyomtató tegnap óta nem működik, kérem, segítsenek. Árvíztűrő tükörfúrógép."
# windows-1256 has the Arabic yeh (U+064A), not the Persian one: what Persian Windows text in it really holds.
FA1256 = FA.replace("ی", "ي")
RU = "Здравствуйте! Принтер не работает со вчерашнего дня."

# ------------------------------------------------------------------------------------------- Gmail

add(
    "01-gmail-new",
    mail(
        common(1, "Sara Ahmadi <sara.ahmadi@gmail.com>", "Cannot log in to the portal", Content_Type=ALT),
        alternative(
            qp(
                "Hi,\n\nI cannot log in to the portal since this morning. It says my password is wrong.\n\nThanks,\nSara\n"
            ),
            qp(
                '<div dir="ltr">Hi,<div><br></div><div>I cannot log in to the portal since this morning. It says my '
                "password is wrong.</div><div><br></div><div>Thanks,</div><div>Sara</div></div>\n"
            ),
        ),
    ),
    subject="Cannot log in to the portal",
    text=["cannot log in to the portal"],
    html=True,
    ticket="new",
    ack=True,
    **{"from": "sara.ahmadi@gmail.com"},
)
add(
    "02-gmail-reply",
    mail(
        common(
            2,
            "Sara Ahmadi <sara.ahmadi@gmail.com>",
            "Re: Cannot log in to the portal",
            Content_Type=ALT,
            In_Reply_To="<corpus-01.7919@mail.example.net>",
            References="<corpus-01.7919@mail.example.net>",
        ),
        alternative(
            qp(
                "It works again, thank you!\n\nOn Mon, Dec 7, 2026 at 9:01 AM Sara Ahmadi <sara.ahmadi@gmail.com> wrote:\n"
                "> Hi,\n>\n> I cannot log in to the portal since this morning.\n"
            ),
            qp(
                '<div dir="ltr">It works again, thank you!</div><br><div class="gmail_quote"><div dir="ltr" '
                'class="gmail_attr">On Mon, Dec 7, 2026 at 9:01 AM Sara Ahmadi &lt;sara.ahmadi@gmail.com&gt; wrote:<br>'
                '</div><blockquote class="gmail_quote" style="margin:0px 0px 0px 0.8ex">Hi,<br>I cannot log in to the '
                "portal since this morning.</blockquote></div>\n"
            ),
        ),
    ),
    text=["It works again"],
    html=True,
    ticket="same:01",
    folded=True,
    ack=False,
)
add(
    "03-gmail-persian-utf8",
    mail(
        common(3, f"{ew('مریم کریمی')} <maryam.karimi@gmail.com>", ew("چاپگر خراب است"), Content_Type=ALT),
        alternative(
            b64(f"{FA}\n\nبا سپاس\nمریم\n".encode()),
            b64(f'<div dir="rtl">{FA}<div><br></div><div>با سپاس</div><div>مریم</div></div>\n'.encode()),
            cte="base64",
        ),
    ),
    subject="چاپگر خراب است",
    text=["چاپگر دفتر ما"],
    html=True,
    ticket="new",
    **{"from": "maryam.karimi@gmail.com"},
)
add(
    "04-gmail-attachment-inline",
    mail(
        common(
            4,
            "Peter Nagy <peter.nagy@gmail.com>",
            "Screenshot of the error",
            Content_Type='multipart/mixed; boundary="mix"',
        ),
        b'--mix\nContent-Type: multipart/related; boundary="rel"\n\n--rel\nContent-Type: multipart/alternative; '
        b'boundary="alt"\n\n'
        + alternative(
            b"See the screenshot below and the invoice attached.\n[image: error.png]\n",
            b'<div dir="ltr">See the screenshot below and the invoice attached.<div><img src="cid:ii_lz1" alt="error.png"'
            b' width="1" height="1"></div></div>\n',
            cte="7bit",
        )
        + b'\n--rel\nContent-Type: image/png; name="error.png"\nContent-Disposition: inline; filename="error.png"\n'
        b"Content-Transfer-Encoding: base64\nContent-ID: <ii_lz1>\nX-Attachment-Id: ii_lz1\n\n"
        + b64(PNG)
        + b'\n--rel--\n\n--mix\nContent-Type: application/pdf; name="invoice-2026-118.pdf"\nContent-Disposition: '
        b'attachment; filename="invoice-2026-118.pdf"\nContent-Transfer-Encoding: base64\n\n'
        + b64(PDF)
        + b"\n--mix--\n",
    ),
    text=["screenshot below"],
    html=True,
    attachments=["error.png", "invoice-2026-118.pdf"],
    inline=1,
    ticket="new",
)
add(
    "05-gmail-plain-only",
    mail(
        common(
            5,
            "k.tehrani@gmail.com",
            "Order 5521 not delivered",
            Content_Type='text/plain; charset="UTF-8"',
            Content_Transfer_Encoding="7bit",
        ),
        "Hello, my order 5521 has not arrived yet. Can you check?\n\n-- \nKaveh Tehrani\nSent from my phone\n",
    ),
    text=["order 5521 has not arrived"],
    ticket="new",
    folded=True,
    **{"from": "k.tehrani@gmail.com"},
)

# ------------------------------------------------------------------------------------------- Outlook

OUTLOOK = {"X_Mailer": "Microsoft Outlook 16.0", "Thread_Index": "AdnOZ3h4dGVzdA=="}
add(
    "06-outlook-new",
    mail(
        common(6, '"Kovács, Anna" <anna.kovacs@contoso.hu>', "Invoice question", Content_Type=ALT, **OUTLOOK),
        alternative(
            qp(
                "Dear Support,\r\n\r\nPlease send me a copy of invoice 2026/118.\r\n\r\nBest regards,\r\nAnna",
                "windows-1252",
            ),
            qp(
                '<html><head><meta http-equiv="Content-Type" content="text/html; charset=windows-1252"><style>p.MsoNormal'
                '{margin:0cm;}</style></head><body lang="EN-US"><div class="WordSection1"><p class="MsoNormal">Dear '
                'Support,</p><p class="MsoNormal">Please send me a copy of invoice 2026/118.</p><p class="MsoNormal">'
                "Best regards,<br>Anna</p></div></body></html>",
                "windows-1252",
            ),
            charset="windows-1252",
        ),
    ),
    text=["copy of invoice 2026/118"],
    html=True,
    ticket="new",
    not_text=["MsoNormal"],
)
add(
    "07-outlook-reply",
    mail(
        common(
            7,
            '"Kovács, Anna" <anna.kovacs@contoso.hu>',
            "RE: Invoice question",
            Content_Type=ALT,
            In_Reply_To="<corpus-06.47514@mail.example.net>",
            References="<corpus-06.47514@mail.example.net>",
            **OUTLOOK,
        ),
        alternative(
            qp(
                "Thank you, received.\r\n\r\nFrom: Support <support@payvand.test>\r\nSent: Monday, December 7, 2026 10:00"
                "\r\nTo: Kovács, Anna\r\nSubject: Invoice question\r\n\r\nPlease find it attached.",
                "windows-1252",
            ),
            qp(
                '<html><body><div class="WordSection1"><p class="MsoNormal">Thank you, received.</p><div id="appendonsend">'
                '</div><hr style="display:inline-block;width:98%"><div id="divRplyFwdMsg" dir="ltr"><b>From:</b> Support'
                "<br><b>Sent:</b> Monday, December 7, 2026 10:00<br><b>Subject:</b> Invoice question</div><div>Please "
                "find it attached.</div></div></body></html>",
                "windows-1252",
            ),
            charset="windows-1252",
        ),
    ),
    text=["Thank you, received."],
    html=True,
    ticket="same:06",
    folded=True,
)
add(
    "08-outlook-hungarian-iso-8859-2",
    mail(
        common(
            8,
            f"{ew('Szabó Gergő', 'iso-8859-2', 'Q')} <gergo.szabo@contoso.hu>",
            ew("Hibás számla", "iso-8859-2", "Q"),
            Content_Type=ALT,
            **OUTLOOK,
        ),
        alternative(
            qp(f"Tisztelt Ügyfélszolgálat!\r\n\r\n{HU}\r\n\r\nÜdvözlettel:\r\nSzabó Gergő", "iso-8859-2"),
            qp(
                f"<html><body><p>Tisztelt Ügyfélszolgálat!</p><p>{HU}</p><p>Üdvözlettel:<br>Szabó Gergő</p></body></html>",
                "iso-8859-2",
            ),
            charset="iso-8859-2",
        ),
    ),
    subject="Hibás számla",
    text=["Árvíztűrő tükörfúrógép", "Tisztelt Ügyfélszolgálat"],
    html=True,
    ticket="new",
)
add(
    "09-outlook-rfc2231-attachment",
    mail(
        common(
            9,
            "Bence Tóth <bence.toth@contoso.hu>",
            "Szerződés",
            Content_Type='multipart/mixed; boundary="mix"',
            **OUTLOOK,
        ),
        b'--mix\nContent-Type: text/plain; charset="iso-8859-2"\nContent-Transfer-Encoding: quoted-printable\n\n'
        + qp("Mellékelve a szerződés.", "iso-8859-2")
        + b"\n--mix\nContent-Type: application/pdf;\n name*=iso-8859-2''Szerz%F5d%E9s%20m%E1sol%E1t.pdf\n"
        b"Content-Disposition: attachment;\n filename*=iso-8859-2''Szerz%F5d%E9s%20m%E1sol%E1t.pdf\n"
        b"Content-Transfer-Encoding: base64\n\n" + b64(PDF) + b"\n--mix--\n",
    ),
    text=["Mellékelve a szerződés."],
    attachments=["Szerződés másolát.pdf"],
    ticket="new",
)
add(
    "10-outlook-calendar-invite",
    mail(
        common(
            10,
            "Anna Kovács <anna.kovacs@contoso.hu>",
            "Meeting about the contract",
            Content_Type='multipart/alternative; boundary="cal"',
            **OUTLOOK,
        ),
        b'--cal\nContent-Type: text/plain; charset="utf-8"\n\nCan we meet on Tuesday at 10?\n--cal\n'
        b'Content-Type: text/calendar; charset="utf-8"; method=REQUEST\nContent-Transfer-Encoding: 7bit\n\n'
        b"BEGIN:VCALENDAR\nMETHOD:REQUEST\nPRODID:Microsoft Exchange Server 2016\nVERSION:2.0\nBEGIN:VEVENT\n"
        b"DTSTART:20261208T063000Z\nDTEND:20261208T070000Z\nSUMMARY:Meeting about the contract\n"
        b"UID:040000008200E00074C5B7101A82E008\nEND:VEVENT\nEND:VCALENDAR\n--cal--\n",
    ),
    text=["meet on Tuesday"],
    attachments=["invite.ics"],
    ticket="new",
)
add(
    "11-outlook-ooo",
    mail(
        common(
            11,
            "Anna Kovács <anna.kovacs@contoso.hu>",
            "Automatic reply: Invoice question",
            Content_Type='text/plain; charset="utf-8"',
            Auto_Submitted="auto-replied",
            X_Auto_Response_Suppress="All",
            In_Reply_To="<corpus-06.47514@mail.example.net>",
        ),
        "I am out of the office until 14 December with limited access to email.\n",
    ),
    kind="auto_reply",
    ticket="same:06",
    ack=False,
)

# ------------------------------------------------------------------------------------------- Apple Mail

APPLE = {"X_Mailer": "Apple Mail (2.3774.300.61.1.2)"}
add(
    "12-apple-new",
    mail(
        common(
            12,
            "Leila Moradi <leila@icloud.com>",
            "Warranty for my laptop",
            Content_Type="text/plain; charset=utf-8",
            Content_Transfer_Encoding="quoted-printable",
            **APPLE,
        ),
        qp("Hello,\n\nmy laptop (serial C02XK) stopped charging. Is it still under warranty?\n\nLeila"),
    ),
    text=["stopped charging"],
    ticket="new",
)
add(
    "13-apple-reply",
    mail(
        common(
            13,
            "Leila Moradi <leila@icloud.com>",
            "Re: Warranty for my laptop",
            Content_Type=ALT,
            In_Reply_To="<corpus-12.95028@mail.example.net>",
            References="<corpus-12.95028@mail.example.net>",
            **APPLE,
        ),
        alternative(
            qp(
                "I bought it in March 2025.\n\n> On 7 Dec 2026, at 09:12, Leila Moradi <leila@icloud.com> wrote:\n>\n> "
                "Hello,\n>\n> my laptop stopped charging.\n"
            ),
            qp(
                '<html><body style="overflow-wrap: break-word;">I bought it in March 2025.<br><div><br><blockquote '
                'type="cite"><div>On 7 Dec 2026, at 09:12, Leila Moradi &lt;leila@icloud.com&gt; wrote:</div><br>'
                "<div>Hello,<br>my laptop stopped charging.</div></blockquote></div></body></html>"
            ),
        ),
    ),
    text=["March 2025"],
    html=True,
    ticket="same:12",
    folded=True,
)
add(
    "14-apple-inline-image",
    mail(
        common(
            14,
            "Leila Moradi <leila@icloud.com>",
            "Photo of the charger",
            Content_Type='multipart/alternative; boundary="a1"',
            **APPLE,
        ),
        b"--a1\nContent-Type: text/plain; charset=us-ascii\n\nHere is the charger.\n--a1\nContent-Type: multipart/related;"
        b' type="text/html"; boundary="r1"\n\n--r1\nContent-Type: text/html; charset=us-ascii\n\n<html><body>Here is the'
        b' charger.<img src="cid:3B1E6F2A-1234@apple" apple-inline="yes"></body></html>\n--r1\nContent-Disposition: '
        b'inline; filename=IMG_0412.png\nContent-Type: image/png; name="IMG_0412.png"\nContent-Transfer-Encoding: base64\n'
        b"Content-Id: <3B1E6F2A-1234@apple>\n\n" + b64(PNG) + b"\n--r1--\n--a1--\n",
    ),
    text=["Here is the charger."],
    html=True,
    attachments=["IMG_0412.png"],
    inline=1,
    ticket="new",
)
add(
    "15-apple-persian-filename",
    mail(
        common(
            15,
            "Reza Shams <reza.shams@icloud.com>",
            ew("فاکتور خرید"),
            Content_Type='multipart/mixed; boundary="m"',
            **APPLE,
        ),
        b"--m\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: 8bit\n\n"
        + "فاکتور پیوست است.\n".encode()
        + f'--m\nContent-Disposition: attachment;\n filename="{ew("فاکتور ۱۴۰۵.pdf")}"\nContent-Type: application/pdf;\n'
        f' name="{ew("فاکتور ۱۴۰۵.pdf")}"\nContent-Transfer-Encoding: base64\n\n'.encode()
        + b64(PDF)
        + b"\n--m--\n",
    ),
    subject="فاکتور خرید",
    text=["فاکتور پیوست است"],
    attachments=["فاکتور ۱۴۰۵.pdf"],
    ticket="new",
)

# ------------------------------------------------------------------------------------------- Thunderbird

TB = {"User_Agent": "Mozilla Thunderbird"}
add(
    "16-thunderbird-new",
    mail(
        common(
            16,
            "Dániel Horváth <daniel@freemail.hu>",
            "Nem kapok visszaigazolást",
            Content_Type="text/plain; charset=UTF-8; format=flowed",
            Content_Transfer_Encoding="8bit",
            **TB,
        ),
        "Jó napot! Tegnap rendeltem, de nem kaptam visszaigazoló e-mailt. \nKérem, nézzék meg.\n\nÜdv,\nDániel\n",
    ),
    text=["nem kaptam visszaigazoló"],
    ticket="new",
)
add(
    "17-thunderbird-reply",
    mail(
        common(
            17,
            "Dániel Horváth <daniel@freemail.hu>",
            "Re: Nem kapok visszaigazolást",
            Content_Type=ALT,
            In_Reply_To="<corpus-16.126704@mail.example.net>",
            References="<corpus-16.126704@mail.example.net>",
            **TB,
        ),
        alternative(
            "Köszönöm, megjött.\n\n2026. 12. 07. 9:16 keltezéssel, Dániel Horváth írta:\n> Jó napot! Tegnap rendeltem\n".encode(),
            '<html><body><p>Köszönöm, megjött.</p><div class="moz-cite-prefix">2026. 12. 07. 9:16 keltezéssel, Dániel '
            'Horváth írta:<br></div><blockquote type="cite">Jó napot! Tegnap rendeltem</blockquote></body></html>'.encode(),
            cte="8bit",
        ),
    ),
    text=["Köszönöm, megjött."],
    html=True,
    ticket="same:16",
    folded=True,
)
add(
    "18-thunderbird-plain-quote",
    mail(
        common(
            18,
            "Dániel Horváth <daniel@freemail.hu>",
            "Re: Nem kapok visszaigazolást",
            Content_Type="text/plain; charset=UTF-8; format=flowed",
            Content_Transfer_Encoding="8bit",
            In_Reply_To="<corpus-17.134623@mail.example.net>",
            **TB,
        ),
        "Még egy kérdés: mikor szállítanak?\n\n> Köszönöm, megjött.\n>\n> Jó napot!\n",
    ),
    text=["mikor szállítanak"],
    ticket="same:16",
    folded=True,
)
add(
    "19-thunderbird-forward-attached",
    mail(
        common(
            19,
            "Dániel Horváth <daniel@freemail.hu>",
            "Fwd: Your order confirmation",
            Content_Type='multipart/mixed; boundary="fw"',
            **TB,
        ),
        b"--fw\nContent-Type: text/plain; charset=UTF-8\n\nSee the forwarded mail, the price is wrong.\n--fw\n"
        b'Content-Type: message/rfc822; name="Your order confirmation.eml"\nContent-Disposition: attachment; '
        b'filename="Your order confirmation.eml"\n\nFrom: shop@example.com\nTo: daniel@freemail.hu\nSubject: Your order '
        b"confirmation\nMessage-ID: <order-1@shop.example.com>\nContent-Type: text/plain\n\nTotal: 12 000 HUF\n--fw--\n",
    ),
    text=["the price is wrong"],
    attachments=["Your order confirmation.eml"],
    ticket="new",
)
add(
    "20-thunderbird-forward-inline",
    mail(
        common(
            20,
            "Dániel Horváth <daniel@freemail.hu>",
            "Fwd: Delivery notice",
            Content_Type="text/plain; charset=UTF-8",
            **TB,
        ),
        "Please look at this.\n\n-------- Forwarded Message --------\nSubject: Delivery notice\nDate: Sun, 6 Dec 2026\n"
        "From: courier@example.com\n\nYour parcel is held at the depot.\n",
    ),
    text=["Please look at this.", "Your parcel is held at the depot."],
    ticket="new",
)

# ------------------------------------------------------------------------------------------- Persian charsets

for n, (cte, body) in enumerate(
    [
        ("8bit", FA1256.encode("cp1256")),
        ("quoted-printable", qp(FA1256, "cp1256")),
        ("base64", b64(FA1256.encode("cp1256"))),
    ],
    start=21,
):
    add(
        f"{n}-persian-windows-1256-{cte}",
        mail(
            common(
                n,
                f"{ew('علي رضايي', 'windows-1256')} <ali.rezaei{n}@yahoo.com>",
                ew("مشکل چاپگر", "windows-1256"),
                Content_Type='text/plain; charset="windows-1256"',
                Content_Transfer_Encoding=cte,
                X_Mailer="Microsoft Outlook Express 6.00",
            ),
            body,
        ),
        subject="مشکل چاپگر",
        text=["چاپگر دفتر ما از ديروز"],
        ticket="new",
    )
add(
    "24-persian-windows-1256-html",
    mail(
        common(
            24,
            "info@shiraz-co.ir",
            ew("درخواست فاکتور رسمي", "windows-1256", "Q"),
            Content_Type='text/html; charset="windows-1256"',
            Content_Transfer_Encoding="quoted-printable",
        ),
        qp(
            f'<html dir="rtl"><body><p>{FA1256}</p><script>alert(1)</script><p onclick="x()">شرکت شيراز</p></body></html>',
            "cp1256",
        ),
    ),
    subject="درخواست فاکتور رسمي",
    text=["چاپگر دفتر ما", "شرکت شيراز"],
    not_text=["alert(1)"],
    html=True,
    ticket="new",
)
add(
    "25-persian-mislabelled-latin1",
    mail(
        common(
            25,
            "hamid@parsmail.ir",
            "Printer",
            Content_Type='text/plain; charset="iso-8859-1"',
            Content_Transfer_Encoding="8bit",
        ),
        FA1256.encode("cp1256"),
    ),
    text=["چاپگر دفتر ما"],
    ticket="new",
)
add(
    "26-persian-no-charset",
    mail(common(26, "hamid2@parsmail.ir", "Printer again", Content_Type="text/plain"), FA1256.encode("cp1256")),
    text=["چاپگر دفتر ما"],
    ticket="new",
)
add(
    "27-persian-raw-8bit-subject",
    mail(
        [*common(27, "hamid3@parsmail.ir", "PLACEHOLDER", Content_Type='text/plain; charset="windows-1256"')],
        FA1256.encode("cp1256"),
    ).replace(b"Subject: PLACEHOLDER", b"Subject: " + "مشکل چاپگر".encode("cp1256")),
    subject="مشکل چاپگر",
    text=["چاپگر دفتر ما"],
    ticket="new",
)
add(
    "28-persian-utf8-plain",
    mail(
        common(
            28,
            f"{ew('نگار')} <negar@chmail.ir>",
            ew("پیگیری سفارش"),
            Content_Type="text/plain; charset=utf-8",
            Content_Transfer_Encoding="8bit",
        ),
        "سلام\nسفارش شمارهٔ ۴۵۲۱ هنوز نرسیده است.\nممنون\n",
    ),
    subject="پیگیری سفارش",
    text=["سفارش شمارهٔ ۴۵۲۱"],
    ticket="new",
)
add(
    "29-persian-utf8-labelled-1256",
    mail(
        common(
            29,
            "negar2@chmail.ir",
            "Order",
            Content_Type='text/plain; charset="windows-1256"',
            Content_Transfer_Encoding="8bit",
        ),
        "سفارش من نرسیده است.\n".encode(),
    ),
    text=["سفارش من نرسیده است"],
    ticket="new",
)
add(
    "30-persian-utf8-html-only",
    mail(
        common(
            30,
            "Mohsen <mohsen@example.ir>",
            ew("شکایت"),
            Content_Type="text/html; charset=utf-8",
            Content_Transfer_Encoding="base64",
        ),
        b64(
            '<div dir="rtl" style="font-family:Tahoma"><b>از خدمات شما راضی نیستم.</b><br>لطفاً تماس بگیرید.</div>'.encode()
        ),
    ),
    subject="شکایت",
    text=["از خدمات شما راضی نیستم", "لطفاً تماس بگیرید"],
    html=True,
    ticket="new",
)
add(
    "31-persian-reply-quote",
    mail(
        common(
            31,
            f"{ew('نگار')} <negar@chmail.ir>",
            ew("پاسخ: پیگیری سفارش"),
            Content_Type="text/plain; charset=utf-8",
            Content_Transfer_Encoding="8bit",
            In_Reply_To="<corpus-28.221732@mail.example.net>",
        ),
        "ممنون، رسید.\n\nدر تاریخ دوشنبه ۱۶ آذر ۱۴۰۵، پشتیبانی نوشت:\n> سفارش شما ارسال شد.\n",
    ),
    text=["ممنون، رسید."],
    ticket="same:28",
    folded=True,
)

# ------------------------------------------------------------------------------------------- Hungarian, other charsets

add(
    "32-hungarian-iso-8859-2-plain",
    mail(
        common(
            32,
            "Éva Kiss <eva.kiss@citromail.hu>",
            ew("Árajánlat kérése", "iso-8859-2", "Q"),
            Content_Type='text/plain; charset="ISO-8859-2"',
            Content_Transfer_Encoding="quoted-printable",
        ),
        qp(f"{HU}\nKöszönöm: Kiss Éva", "iso-8859-2"),
    ),
    subject="Árajánlat kérése",
    text=["Árvíztűrő tükörfúrógép", "Köszönöm"],
    ticket="new",
)
add(
    "33-hungarian-iso-8859-2-8bit",
    mail(
        common(
            33,
            "Ödön Fekete <odon@t-online.hu>",
            "=?ISO-8859-2?Q?Sz=E1ll=EDt=E1si_hat=E1rid=F5?=",
            Content_Type='text/plain; charset="iso-8859-2"',
            Content_Transfer_Encoding="8bit",
        ),
        "Mikor érkezik a csomag? Előre is köszönöm.\n".encode("iso-8859-2"),
    ),
    subject="Szállítási határidő",
    text=["Mikor érkezik a csomag? Előre is köszönöm."],
    ticket="new",
)
add(
    "34-hungarian-utf8-labelled-latin2",
    mail(
        common(
            34,
            "odon2@t-online.hu",
            "Csomag",
            Content_Type='text/plain; charset="iso-8859-2"',
            Content_Transfer_Encoding="8bit",
        ),
        "Hol van a csomagom? Üdvözlettel, Ödön\n".encode(),
    ),
    text=["Hol van a csomagom? Üdvözlettel, Ödön"],
    ticket="new",
)
add(
    "35-russian-koi8-r",
    mail(
        common(
            35,
            f"{ew('Иван Петров', 'koi8-r')} <ivan@mail.ru>",
            ew("Принтер", "koi8-r"),
            Content_Type='text/plain; charset="koi8-r"',
            Content_Transfer_Encoding="8bit",
        ),
        RU.encode("koi8-r"),
    ),
    subject="Принтер",
    text=["Принтер не работает"],
    ticket="new",
)
add(
    "36-unknown-charset-label",
    mail(
        common(
            36,
            "someone@example.org",
            "Unknown charset",
            Content_Type='text/plain; charset="x-user-defined-42"',
            Content_Transfer_Encoding="8bit",
        ),
        "Grüße aus Wien, der Drucker geht nicht.\n".encode(),
    ),
    text=["Grüße aus Wien"],
    ticket="new",
)
add(
    "37-iso-2022-jp",
    mail(
        common(
            37,
            "tanaka@example.jp",
            "Order",
            Content_Type='text/plain; charset="iso-2022-jp"',
            Content_Transfer_Encoding="7bit",
        ),
        "注文について".encode("iso-2022-jp") + b"\n",
    ),
    text=["注文について"],
    ticket="new",
)

# ------------------------------------------------------------------------------------------- HTML only

add(
    "38-html-only-english",
    mail(
        common(
            38,
            "Tom Baker <tom@example.co.uk>",
            "Broken link on your site",
            Content_Type="text/html; charset=utf-8",
            Content_Transfer_Encoding="quoted-printable",
        ),
        qp(
            '<html><head><style>body{color:red}</style></head><body><p>The <a href="https://example.com/x" '
            'onmouseover="steal()">download link</a> is broken.</p><img src="https://tracker.example/p.gif"></body></html>'
        ),
    ),
    text=["download link", "is broken"],
    not_text=["color:red", "steal()"],
    html=True,
    ticket="new",
)
add(
    "39-html-only-with-iframe",
    mail(
        common(39, "x@example.net", "Hello", Content_Type="text/html; charset=utf-8"),
        '<iframe src="https://evil.example"></iframe><form action="https://evil.example"><input name=p></form>'
        "<p>Real question: where is my refund?</p>",
    ),
    text=["where is my refund"],
    html=True,
    ticket="new",
)

# ------------------------------------------------------------------------------------------- non-ASCII attachment names

add(
    "40-attachment-rfc2231-utf8-continuation",
    mail(
        common(40, "Arash <arash@example.ir>", "Documents", Content_Type='multipart/mixed; boundary="b"'),
        b"--b\nContent-Type: text/plain; charset=utf-8\n\nThe contract scan is attached.\n--b\n"
        b"Content-Type: application/pdf\nContent-Disposition: attachment;\n"
        b" filename*0*=utf-8''%D9%82%D8%B1%D8%A7%D8%B1%D8%AF%D8%A7%D8%AF%20;\n"
        b" filename*1*=%D8%A7%D8%B3%DA%A9%D9%86%20%D8%B4%D8%AF%D9%87.pdf\nContent-Transfer-Encoding: base64\n\n"
        + b64(PDF)
        + b"\n--b--\n",
    ),
    text=["contract scan"],
    attachments=["قرارداد اسکن شده.pdf"],
    ticket="new",
)
add(
    "41-attachment-raw-utf8-name",
    mail(
        common(41, "Zsófia <zsofia@example.hu>", "Fénykép", Content_Type='multipart/mixed; boundary="b"'),
        "--b\nContent-Type: text/plain; charset=utf-8\n\nCsatolom a fényképet.\n--b\n".encode()
        + 'Content-Type: image/png; name="fénykép ő.png"\nContent-Disposition: attachment; filename="fénykép ő.png"\n'.encode()
        + b"Content-Transfer-Encoding: base64\n\n"
        + b64(PNG)
        + b"\n--b--\n",
    ),
    text=["Csatolom a fényképet"],
    attachments=["fénykép ő.png"],
    ticket="new",
)
add(
    "42-attachment-path-in-name",
    mail(
        common(42, "a@example.com", "Log file", Content_Type='multipart/mixed; boundary="b"'),
        b'--b\nContent-Type: text/plain\n\nlog attached\n--b\nContent-Type: text/plain; name="../../etc/passwd"\n'
        b'Content-Disposition: attachment; filename="..\\\\..\\\\windows\\\\evil.txt"\n\nroot:x:0:0\n--b--\n',
    ),
    text=["log attached"],
    attachments=["_.._windows_evil.txt"],
    ticket="new",
)
add(
    "43-attachment-no-name",
    mail(
        common(43, "b@example.com", "Spreadsheet", Content_Type='multipart/mixed; boundary="b"'),
        b"--b\nContent-Type: text/plain\n\nsee attachment\n--b\nContent-Type: application/pdf\n"
        b"Content-Transfer-Encoding: base64\n\n" + b64(PDF) + b"\n--b--\n",
    ),
    text=["see attachment"],
    attachments=["attachment.pdf"],
    ticket="new",
)

# ------------------------------------------------------------------------------------------- bounces

DSN = (
    b"--dsn\nContent-Type: text/plain; charset=us-ascii\n\nThis is the mail system at host mx.payvand.test.\n\n"
    b"I'm sorry to have to inform you that your message could not be delivered.\n\n<gone@example.com>: host "
    b"mx.example.com said: 550 5.1.1 User unknown\n\n--dsn\nContent-Type: message/delivery-status\n\n"
    b"Reporting-MTA: dns; mx.payvand.test\nArrival-Date: Mon, 7 Dec 2026 09:40:00 +0000\n\n"
    b"Final-Recipient: rfc822; gone@example.com\nOriginal-Recipient: rfc822;gone@example.com\nAction: failed\n"
    b"Status: 5.1.1\nDiagnostic-Code: smtp; 550 5.1.1 User unknown\n\n--dsn\nContent-Type: text/rfc822-headers\n\n"
    b"From: Support <support@payvand.test>\nTo: gone@example.com\nSubject: [#10001] Cannot log in\n"
    b"Message-ID: <payvand.10001.abc@payvand.test>\n\n--dsn--\n"
)
add(
    "44-dsn-postfix",
    mail(
        common(
            44,
            "MAILER-DAEMON@mx.payvand.test (Mail Delivery System)",
            "Undelivered Mail Returned to Sender",
            Content_Type='multipart/report; report-type=delivery-status; boundary="dsn"',
            Auto_Submitted="auto-replied",
        ),
        DSN,
    ),
    kind="bounce",
    bounced=["gone@example.com"],
    ticket="none",
    ack=False,
)
add(
    "45-dsn-exchange",
    mail(
        common(
            45,
            "postmaster@contoso.hu",
            "Undeliverable: Invoice question",
            Content_Type='multipart/report; report-type=delivery-status; boundary="dsn"',
        ),
        DSN.replace(b"gone@example.com", b"left.company@contoso.hu"),
    ),
    kind="bounce",
    bounced=["left.company@contoso.hu"],
    ticket="none",
)
add(
    "46-dsn-delayed",
    mail(
        common(
            46,
            "MAILER-DAEMON@mx.payvand.test",
            "Delayed Mail (still being retried)",
            Content_Type='multipart/report; report-type=delivery-status; boundary="dsn"',
        ),
        DSN.replace(b"Action: failed", b"Action: delayed").replace(b"Status: 5.1.1", b"Status: 4.4.1"),
    ),
    kind="bounce",
    bounced=[],
    ticket="none",
)

# ------------------------------------------------------------------------------------------- auto-replies and lists

add(
    "47-auto-submitted",
    mail(
        common(
            47,
            "helpdesk@vendor.example",
            "[Ticket 99] We received your request",
            Content_Type="text/plain",
            Auto_Submitted="auto-generated",
        ),
        "Thank you, your request was registered as ticket 99.\n",
    ),
    kind="bulk",
    ticket="new",
    ack=False,
)
add(
    "48-precedence-bulk-newsletter",
    mail(
        common(
            48,
            "news@shop.example",
            "Our December offers",
            Content_Type="text/html; charset=utf-8",
            Precedence="bulk",
            List_Unsubscribe="<mailto:unsubscribe@shop.example>",
        ),
        "<h1>Offers</h1><p>Up to 50% off.</p>",
    ),
    kind="bulk",
    ticket="new",
    ack=False,
)
add(
    "49-mailing-list",
    mail(
        common(
            49,
            "Someone <someone@lists.example.org>",
            "[users] Question about exports",
            Content_Type="text/plain",
            List_Id="Users list <users.lists.example.org>",
            Precedence="list",
        ),
        "Does anyone know how to export?\n",
    ),
    kind="bulk",
    ticket="new",
    ack=False,
)
add(
    "50-auto-reply-hungarian",
    mail(
        common(
            50,
            "Éva Kiss <eva.kiss@citromail.hu>",
            ew("Automatikus válasz: Árajánlat kérése"),
            Content_Type="text/plain; charset=utf-8",
            X_Autoreply="yes",
        ),
        "Szabadságon vagyok december 14-ig.\n",
    ),
    kind="auto_reply",
    ticket="new",
    ack=False,
)
add(
    "51-auto-reply-persian",
    mail(
        common(51, "negar3@chmail.ir", ew("پاسخ خودکار: پیگیری سفارش"), Content_Type="text/plain; charset=utf-8"),
        "تا پایان هفته در دسترس نیستم.\n",
    ),
    kind="auto_reply",
    ticket="new",
    ack=False,
)
add(
    "52-from-our-own-address",
    mail(common(52, "Support <support@payvand.test>", "Loop test", Content_Type="text/plain"), "This came from us.\n"),
    kind="own",
    ticket="new",
    ack=False,
)

# ------------------------------------------------------------------------------------------- malformed

add(
    "53-malformed-no-from",
    mail([h for h in common(53, "x", "No sender here", Content_Type="text/plain") if h[0] != "From"], "Who am I?\n"),
    status="unprocessable",
    ticket="none",
)
add(
    "54-malformed-bad-date-and-garbage-header",
    mail(
        common(54, "c@example.com", "Bad date", date="Mon, 32 Foo 2026 99:99:99 +9999", Content_Type="text/plain"),
        "Body survives.\n",
    ).replace(b"MIME-Version: 1.0\r\n", b"MIME-Version: 1.0\r\nThis line is not a header\r\n"),
    text=["Body survives."],
    ticket="new",
)
add(
    "55-malformed-unterminated-multipart",
    mail(
        common(55, "d@example.com", "Cut off", Content_Type='multipart/mixed; boundary="never"'),
        b"--never\nContent-Type: text/plain\n\nThe first part arrived.\n--never\nContent-Type: application/pdf\n"
        b"Content-Transfer-Encoding: base64\n\nJVBERi0xLjQK",
    ),
    text=["The first part arrived."],
    ticket="new",
)
add(
    "56-malformed-bad-base64",
    mail(
        common(
            56,
            "e@example.com",
            "Bad base64",
            Content_Type="text/plain; charset=utf-8",
            Content_Transfer_Encoding="base64",
        ),
        b"SGVsbG8gd29ybGQh!!!###\n",
    ),
    text=["Hello world"],
    ticket="new",
)
add(
    "57-malformed-encoded-word",
    mail(
        common(
            57,
            "=?utf-8?B?broken?= <f@example.com>",
            "=?unknown-charset?Q?Caf=E9?= and =?utf-8?B?!!?=",
            Content_Type="text/plain",
        ),
        "Strange headers.\n",
    ),
    text=["Strange headers."],
    ticket="new",
    **{"from": "f@example.com"},
)
add(
    "58-malformed-nul-bytes",
    mail(common(58, "g@example.com", "Nul\x00bytes", Content_Type="text/plain"), b"Before\x00after NUL.\n"),
    text=["after NUL"],
    ticket="new",
)
add(
    "59-malformed-huge-header",
    mail(
        common(59, "h@example.com", "Long " + "x" * 2000, Content_Type="text/plain", X_Long="y" * 5000),
        "Long headers.\n",
    ),
    text=["Long headers."],
    ticket="new",
)
add(
    "60-malformed-address-no-domain",
    mail(common(60, "Just A Name <nobody>", "Bad from", Content_Type="text/plain"), "Who sent this?\n"),
    status="unprocessable",
    ticket="none",
)

# ------------------------------------------------------------------------------------------- Message-ID and duplicates

add(
    "61-no-message-id",
    mail(common(61, "i@example.com", "No id at all", mid=None, Content_Type="text/plain"), "Keyed by content.\n"),
    text=["Keyed by content."],
    ticket="new",
)
add(
    "62-no-message-id-reply-by-subject",
    mail(
        common(62, "i@example.com", "Re: [#10001] Cannot log in to the portal", mid=None, Content_Type="text/plain"),
        "Subject reference threads me.\n",
    ),
    text=["Subject reference threads me."],
    ticket="same:01",
)
DUP = mail(common(63, "j@example.com", "Delivered twice", Content_Type="text/plain"), "Same message, two deliveries.\n")
add("63-duplicate-first", DUP, text=["two deliveries"], ticket="new")
add(
    "64-duplicate-again",
    DUP.replace(b"by mx.payvand.test;", b"by mx2.payvand.test;"),
    duplicate_of="63",
    ticket="same:63",
)
add(
    "65-same-message-id-other-bytes",
    mail(
        common(63, "j@example.com", "Delivered twice", Content_Type="text/plain"), "Same message, two deliveries.\n"
    ).replace(b"Received: from mx63", b"Received: from relay.example.org by mx63"),
    duplicate_of="63",
    ticket="same:63",
)


def main() -> None:
    for old in HERE.glob("*.eml"):
        old.unlink()
    for old in HERE.glob("*.json"):
        old.unlink()
    for name, raw, expect in CORPUS:
        (HERE / f"{name}.eml").write_bytes(raw)
        (HERE / f"{name}.json").write_text(json.dumps(expect, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(f"{len(CORPUS)} messages")


if __name__ == "__main__":
    main()
