"""mime.py - MIME building blocks: parts, encodings, encoded words, folding.

Every function returns bytes or lists of lines without line ends; the
message is joined with CRLF at the end. Nothing here uses the email package's
generator, so the output is exactly what these functions write (and the same
on every Python version).

Public: Part, serialize(part) -> [bytes lines], qp_encode, b64_lines,
encoded_word, fold_header.
"""

import base64

CRLF = b"\r\n"


class Part:
    """A MIME entity: a leaf (body bytes) or a multipart (children)."""

    def __init__(self, ctype, params=None, body=None, cte="7bit", children=None,
                 disposition=None, filename=None, boundary=None):
        self.ctype = ctype            # "text/plain", "multipart/mixed", ...
        self.params = params or []    # [(name, value)] after the type
        self.body = body              # leaf: the decoded content (bytes)
        self.cte = cte                # 7bit | 8bit | quoted-printable | base64
        self.children = children or []
        self.disposition = disposition
        self.filename = filename
        self.boundary = boundary

    def is_multipart(self):
        """True for multipart/*."""
        return self.ctype.startswith("multipart/")


def content_type_value(part):
    """The Content-Type value of part."""
    v = part.ctype
    params = list(part.params)
    if part.is_multipart():
        params.append(("boundary", part.boundary))
    if part.filename and not part.ctype.startswith("text/"):
        params.append(("name", part.filename))
    for name, value in params:
        if name in ("boundary", "name"):
            v += "; " + file_param(name, value)
        else:
            v += "; %s=%s" % (name, value)
    return v


def file_param(name, value):
    """name="value", or RFC 2231 name*=utf-8''%XX... when value is not ASCII."""
    if all(32 <= ord(c) < 127 for c in value):
        return '%s="%s"' % (name, value)
    enc = "".join(c if c.isascii() and (c.isalnum() or c in "-._") else
                  "".join("%%%02X" % b for b in c.encode("utf-8")) for c in value)
    return "%s*=utf-8''%s" % (name, enc)


def part_headers(part):
    """The header lines (str) of a part, folded."""
    h = [fold_header("Content-Type", content_type_value(part))]
    if not part.is_multipart() and part.cte != "7bit":
        h.append("Content-Transfer-Encoding: %s" % part.cte)
    if part.disposition:
        v = part.disposition
        if part.filename:
            v += "; " + file_param("filename", part.filename)
        h.append(fold_header("Content-Disposition", v))
    return h


def body_lines(part):
    """The encoded body of a part as lines (bytes, no line ends)."""
    if part.is_multipart():
        lines = []
        if part.ctype == "multipart/mixed" or part.ctype == "multipart/alternative":
            lines.append(b"This is a multi-part message in MIME format.")
            lines.append(b"")
        for child in part.children:
            lines.append(b"--" + part.boundary.encode())
            lines.extend(serialize(child))
            lines.append(b"")
        lines[-1:] = []
        lines.append(b"--" + part.boundary.encode() + b"--")
        lines.append(b"")
        return lines
    if part.cte == "base64":
        return b64_lines(part.body)
    if part.cte == "quoted-printable":
        return qp_encode(part.body)
    return part.body.split(CRLF)


def serialize(part):
    """Headers, an empty line and the body of a part, as lines of bytes."""
    return [h.encode("ascii") for h in part_headers(part)] + [b""] + body_lines(part)


def b64_lines(data):
    """base64 in lines of 76 characters."""
    enc = base64.b64encode(data)
    return [enc[i:i + 76] for i in range(0, len(enc), 76)]


def qp_encode(data):
    """Quoted-printable (RFC 2045) of CRLF text: lines of at most 76 characters."""
    out = []
    for line in data.split(CRLF):
        enc = []
        for i, byte in enumerate(line):
            last = i == len(line) - 1
            if (33 <= byte <= 126 and byte != 61) or (byte in (9, 32) and not last):
                enc.append(chr(byte))
            else:
                enc.append("=%02X" % byte)
        cur = ""
        for tok in enc:
            if len(cur) + len(tok) > 75:
                out.append((cur + "=").encode("ascii"))
                cur = ""
            cur += tok
        out.append(cur.encode("ascii"))
    return out


def encoded_word(text, charset="utf-8", method="B"):
    """RFC 2047 encoded words for text (blank-separated, each at most 75 characters).

    Words are cut between characters, never inside one; a decoder joins
    adjacent encoded words without the blank between them.
    """
    prefix = "=?%s?%s?" % (charset.upper(), method)
    room = 75 - len(prefix) - 2

    def enc(raw):
        if method == "B":
            return base64.b64encode(raw).decode("ascii")
        return "".join("_" if b == 32 else chr(b) if (chr(b).isalnum() and b < 128)
                       else "=%02X" % b for b in raw)

    words, cur = [], ""
    for c in text:
        if cur and len(enc((cur + c).encode(charset))) > room:
            words.append(prefix + enc(cur.encode(charset)) + "?=")
            cur = ""
        cur += c
    if cur:
        words.append(prefix + enc(cur.encode(charset)) + "?=")
    return " ".join(words)


def needs_encoding(text):
    """True when text is not plain ASCII."""
    return any(ord(c) > 126 for c in text)


def fold_header(name, value, width=76):
    """'Name: value' folded at blanks into lines of about width characters.

    Continuation lines start with a single space, so unfolding (dropping CRLF)
    gives back the value with one blank where the fold was.
    """
    words = value.split(" ")
    lines = []
    cur = name + ":"
    for w in words:
        if len(cur) + 1 + len(w) > width and cur.strip() != name + ":":
            lines.append(cur)
            cur = " " + w
        else:
            cur += " " + w
    lines.append(cur)
    return "\r\n".join(lines)
