"""content.py - the bodies of corpus messages: text, HTML, attachments, sized.

build_body(rng, shape, size, text_src) returns the root MIME Part of a body of
about size bytes. shape is plain | html | alternative | mixed; text_src is a
TextSource that says what the text is about (its paragraphs, links, charset).

Public: TextSource, build_body, attachment, ATTACHMENT_KINDS.
"""

import base64

from . import text
from .mime import Part

B64_GROWTH = 4 / 3 * 78 / 76  # base64 in 76-character lines with CRLF


class TextSource:
    """What a message says: title, paragraph maker, links, images, charset.

    paras(rng, size) -> [str]; links: [(url, text)]; images: [url]
    charset: utf-8 | iso-8859-1 | us-ascii; cte: 7bit | 8bit | quoted-printable | base64
    extra: a words.txt section mixed into sentences (latin1, utf8) or None
    """

    def __init__(self, title, links=(), images=(), charset="us-ascii", cte="7bit",
                 extra=None, lead=(), tail=(), make_paras=None, raw_html=()):
        self.title = title
        self.links = list(links)
        self.images = list(images)
        self.charset = charset
        self.cte = cte
        self.extra = extra
        self.lead = list(lead)     # paragraphs first (greeting, the point of the mail)
        self.tail = list(tail)     # paragraphs last (signature, footer)
        self.make_paras = make_paras
        self.raw_html = list(raw_html)  # HTML snippets for the HTML part only
        self.quote = None               # (intro line, [paragraphs]) of a reply

    def paras(self, rng, size):
        """The paragraphs of about size characters: lead, filler, tail."""
        fixed = sum(len(p) + 2 for p in self.lead + self.tail)
        if self.make_paras:
            mid = self.make_paras(rng, max(size - fixed, 0))
        else:
            mid = text.paragraphs(rng, max(size - fixed, 0), self.extra)
        return self.lead + mid + self.tail


def _encode_text(s, charset):
    """The text in its charset (us-ascii text is plain ASCII by construction)."""
    if charset == "us-ascii":
        return s.encode("ascii", "replace")
    return s.encode(charset)


def text_part(rng, src, size):
    """A text/plain part of about size bytes (links written out as URLs)."""
    paras = src.paras(rng, size)
    lines = text.plain_text(paras)
    if src.quote:
        intro, qparas = src.quote
        lines += ["", intro]
        lines += [("> " + ln).rstrip() for ln in text.plain_text(qparas)]
    if src.links:
        lines.append("")
        for url, label in src.links:
            lines.append("%s:" % label)
            lines.append(url)
    data = _encode_text("\r\n".join(lines) + "\r\n", src.charset)
    return Part("text/plain", [("charset", src.charset), ("format", "flowed")]
                if src.cte == "7bit" and rng.random() < 0.3 else [("charset", src.charset)],
                body=data, cte=src.cte)


def html_part(rng, src, size):
    """A text/html part of about size bytes."""
    paras = src.paras(rng, max(size - 900 - 120 * len(src.links), 200))
    lines = text.html_document(src.title, paras, src.links, src.images, rng, src.raw_html)
    if src.charset != "utf-8":
        lines[2] = lines[2].replace("utf-8", src.charset)
    data = _encode_text("\r\n".join(lines) + "\r\n", src.charset)
    cte = src.cte if src.cte != "7bit" or all(b < 128 for b in data) else "quoted-printable"
    return Part("text/html", [("charset", src.charset)], body=data, cte=cte)


# kind -> (content type, file name patterns, magic bytes at the start)
ATTACHMENT_KINDS = {
    "pdf": ("application/pdf", ["Invoice_%d.pdf", "report-%d.pdf", "minutes_%d.pdf",
                                "ticket-%d.pdf", "brochure_%d.pdf"], b"%PDF-1.5\n%\xe2\xe3\xcf\xd3\n"),
    "zip": ("application/zip", ["project-files-%d.zip", "photos-%d.zip", "drafts_%d.zip"],
            b"PK\x03\x04\x14\x00\x00\x00\x08\x00"),
    "jpg": ("image/jpeg", ["IMG_%d.jpg", "photo-%d.jpg", "DSC%d.jpg"],
            b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"),
    "png": ("image/png", ["chart-%d.png", "screenshot_%d.png", "logo%d.png"],
            b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"),
    "exe": ("application/octet-stream", ["setup_%d.exe"],
            b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00"),
    "docx": ("application/vnd.openxmlformats-officedocument.wordprocessingml.document",
             ["agenda-%d.docx", "proposal_%d.docx", "notes-%d.docx"],
             b"PK\x03\x04\x14\x00\x06\x00\x08\x00\x00\x00!\x00"),
}


def attachment(rng, kind, raw_size, filename=None):
    """An attachment part: magic bytes and seeded noise, base64-encoded."""
    ctype, names, magic = ATTACHMENT_KINDS[kind]
    if filename is None:
        filename = rng.choice(names) % rng.randint(100, 9999)
    data = magic + rng.randbytes(max(raw_size - len(magic), 16))
    return Part(ctype, body=data, cte="base64", disposition="attachment", filename=filename)


def _alternative(rng, src, size, boundary):
    """multipart/alternative: text about a third, HTML two thirds."""
    return Part("multipart/alternative", boundary=boundary("alt"),
                children=[text_part(rng, src, int(size * 0.35)),
                          html_part(rng, src, int(size * 0.65))])


def build_body(rng, shape, size, src, boundary, attachments=None):
    """The root part of a body of about size bytes.

    boundary(tag) -> a fresh boundary string; attachments: [(kind, share)] for
    shape "mixed" (share: fraction of size), or [Part] already made.
    """
    if shape == "plain":
        return text_part(rng, src, size)
    if shape == "html":
        return html_part(rng, src, size)
    if shape == "alternative":
        return _alternative(rng, src, size, boundary)
    parts = []
    used = 0
    for att in attachments or []:
        if isinstance(att, Part):
            parts.append(att)
            used += len(att.body) * B64_GROWTH
            continue
        kind, share = att
        raw = int(size * share / B64_GROWTH)
        parts.append(attachment(rng, kind, raw))
        used += raw * B64_GROWTH
    rest = max(int(size - used - 300 * len(parts)), 600)
    first = _alternative(rng, src, rest, boundary) if rng.random() < 0.5 else text_part(rng, src, rest)
    return Part("multipart/mixed", boundary=boundary("mix"), children=[first] + parts)


def b64(data):
    """base64 text (used for boundaries and ids)."""
    return base64.b64encode(data).decode("ascii")
