"""compose.py - a Draft to the bytes an MTA hands a milter: headers, DKIM, Received.

The order of the header, top down: the receiving MTA's Received (added after
the sender signed), the DKIM-Signature, the sender's own Received hop, then
the author's header fields. dkimpy signs; its t= comes from the message's
Date (dkim.time is replaced while signing), so the output depends on the
seed only.

Public: compose(rng, draft, when) -> (bytes, info) where info says which key
signed; tamper(rng, msg) -> bytes with the body changed after signing.
"""

import email.utils
import time
import types

import dkim

from . import mime
from .mime import CRLF, fold_header
from .scenarios import encoded_name
from .world import MX_NAME

SIGNED = ["from", "to", "cc", "subject", "date", "message-id", "mime-version", "content-type",
          "reply-to", "in-reply-to", "list-unsubscribe", "list-unsubscribe-post", "list-id"]


def _date(ts):
    """An RFC 5322 date in UTC."""
    return email.utils.formatdate(ts, usegmt=False).replace("-0000", "+0000")


def _addr_list(pairs, charset):
    """'Name <addr>, ...'."""
    return ", ".join("%s <%s>" % (encoded_name(n, charset), a) if n else a for n, a in pairs)


def _boundary_maker(rng):
    """A function giving fresh, seeded MIME boundaries."""
    def make(tag):
        return "----=_%s_%s" % (tag.capitalize(), rng.randbytes(12).hex())
    return make


def author_headers(rng, dr, when):
    """The header fields the author's software writes (list of folded strings)."""
    cs = dr.charset_hdr
    h = [fold_header("From", _addr_list([(dr.from_name, dr.from_addr)], cs)),
         fold_header("To", _addr_list(dr.to, cs))]
    subj = dr.subject
    if any(ord(c) > 126 for c in subj):
        subj = mime.encoded_word(subj, cs, "Q" if cs == "iso-8859-1" else "B")
    h.append(fold_header("Subject", subj))
    h.append("Date: " + _date(when))
    msgid = dr.msgid or "<%s.%s@%s>" % (
        _stamp(when), rng.randbytes(6).hex(), dr.from_addr.split("@")[1])
    h.append("Message-ID: " + msgid)
    for name, value in dr.headers:
        h.append(fold_header(name, value))
    if dr.mailer:
        h.append(fold_header("X-Mailer", dr.mailer))
    h.append("MIME-Version: 1.0")
    return h


def _stamp(ts):
    """YYYYmmddHHMMSS of a timestamp."""
    return time.strftime("%Y%m%d%H%M%S", time.gmtime(ts))


def _received(frm, frm_name, ip, by, proto, qid, rcpt, ts):
    """A Received field, folded with single blanks."""
    v = "from %s (%s [%s]) by %s (Postfix) with %s id %s for <%s>; %s" % (
        frm, frm_name, ip, by, proto, qid, rcpt, _date(ts))
    return fold_header("Received", v)


def _sign(msg, dr, when, rng):
    """The DKIM-Signature field (bytes with CRLF) and a note of the key used."""
    d = dr.sign_domain
    ed = rng.random() < 0.15
    r = rng.random()
    canon = (b"relaxed", b"relaxed") if r < 0.8 else (b"simple", b"simple") if r < 0.9 \
        else (b"relaxed", b"simple")
    present = {ln.split(b":", 1)[0].strip().lower().decode() for ln in msg.split(CRLF + CRLF, 1)[0]
               .split(CRLF) if ln and ln[:1] not in b" \t"}
    include = [h.encode() for h in SIGNED if h in present]
    saved = dkim.time
    dkim.time = types.SimpleNamespace(time=lambda: when + 2)
    try:
        if ed:
            sig = dkim.sign(msg, d.ed_selector.encode(), dr.sign_d.encode(), d.ed_private,
                            canonicalize=canon, include_headers=include,
                            signature_algorithm=b"ed25519-sha256")
        else:
            sig = dkim.sign(msg, d.rsa_selector.encode(), dr.sign_d.encode(), d.rsa_pem,
                            canonicalize=canon, include_headers=include)
    finally:
        dkim.time = saved
    return sig, ("ed25519" if ed else "rsa"), b"/".join(canon).decode()


def compose(rng, dr, when, body_root):
    """The message bytes and info {alg, canon}."""
    head = author_headers(rng, dr, when)
    part_lines = mime.serialize(body_root)
    sep = part_lines.index(b"")
    content_head = [ln.decode("ascii") for ln in part_lines[:sep]]
    body = CRLF.join(part_lines[sep + 1:])
    if not body.endswith(CRLF):
        body += CRLF
    top = head + content_head
    msg = ("\r\n".join(top) + "\r\n").encode("ascii") + CRLF + body
    sig, alg, canon = _sign(msg, dr, when, rng)
    hops = []
    if dr.submit_hop:
        hops.append(fold_header("Received", "%s; %s" % (dr.submit_hop, _date(when + 1))))
    rcpt = dr.rcpts[0] if dr.rcpts else dr.to[0][1]
    mine = _received(dr.helo, dr.client_name if dr.client_name != "unknown" else "unknown",
                     dr.client_ip, MX_NAME, "ESMTPS", _qid(rng), rcpt, when + 3)
    pre = ("\r\n".join([mine]) + "\r\n").encode("ascii") + sig
    if hops:
        pre += ("\r\n".join(hops) + "\r\n").encode("ascii")
    return pre + msg, {"alg": alg, "canon": canon}


def _qid(rng):
    """The receiving MTA's queue id."""
    return "".join(rng.choice("0123456789BCDFGHJKLMNPQRSTVWXYZ") for _ in range(12))


def tamper(rng, msg):
    """The message with one body letter changed (a relay 'fixing' the text)."""
    head, body = msg.split(CRLF + CRLF, 1)
    lines = body.split(CRLF)
    # a line of words (not base64 or a boundary), changed in a letter
    cands = [i for i, ln in enumerate(lines) if b" " in ln.strip() and len(ln) > 20
             and not ln.split(b" ", 1)[0].endswith(b":") and not ln.startswith(b"--")]
    i = rng.choice(cands) if cands else len(lines) // 2
    ln = bytearray(lines[i])
    for j in range(len(ln)):
        if chr(ln[j]).isalpha():
            ln[j] = ord("X") if ln[j] != ord("X") else ord("Y")
            break
    else:
        ln += b" (relayed)"
    lines[i] = bytes(ln)
    return head + CRLF + CRLF + CRLF.join(lines)
