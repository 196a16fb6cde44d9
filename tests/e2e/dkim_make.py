#!/usr/bin/python3
# dkim_make.py OUTDIR KEYDIR - the zone and the signed messages of tests/e2e/dkim.sh.
#
# Writes OUTDIR/dkim.test.zone (DKIM keys, DMARC records, SPF) from the test keys in
# KEYDIR (tests/data/dkim: rsa2048.key, ed25519.key, keys.zone), OUTDIR/example.co.uk.zone
# and strictco.co.uk.zone (organisational domains under a public suffix: libopendmarc
# finds none under .test), and one message per case,
# OUTDIR/CASE.eml, signed now with Debian's python3-dkim (dkimpy), then altered where
# the case says so.
import base64
import os
import sys
import time

import dkim

out, keydir = sys.argv[1], sys.argv[2]
sys.path.insert(0, keydir)
sys.dont_write_bytecode = True  # nothing written into the source tree
import timed  # noqa: E402 (tests/data/dkim/timed.py: signatures with chosen t= and x=)
rsa = open(os.path.join(keydir, "rsa2048.key"), "rb").read()
ed = open(os.path.join(keydir, "ed25519.key"), "rb").read()
pub = {}
for line in open(os.path.join(keydir, "keys.zone")):
    if line.startswith("#") or "\t" not in line:
        continue
    name, value = line.rstrip("\n").split("\t", 1)
    pub[name] = value


def txt(value):
    """a TXT rdata of 255-byte strings"""
    parts = [value[i:i + 250] for i in range(0, len(value), 250)] or [""]
    return " ".join('"%s"' % p for p in parts)


RSA_PUB = pub["rsa._domainkey.sig.test"]
ED_PUB = pub["ed._domainkey.sig.test"]
zone = """$ORIGIN dkim.test.
$TTL 300
@ IN SOA ns.example.test. hostmaster.example.test. ( 1 3600 600 86400 300 )
  IN NS ns.example.test.
rsa._domainkey IN TXT {rsa}
ed._domainkey IN TXT {ed}
revoked._domainkey IN TXT "v=DKIM1; k=rsa; p="
_dmarc IN TXT "v=DMARC1; p=reject"
; senders: SPF passes for the test clients 127.0.0.2-3 only
@ IN TXT "v=spf1 ip4:127.0.0.2/31 -all"
rsa._domainkey.quarantine IN TXT {rsa}
_dmarc.quarantine IN TXT "v=DMARC1; p=quarantine"
rsa._domainkey.none IN TXT {rsa}
_dmarc.none IN TXT "v=DMARC1; p=none"
""".format(rsa=txt(RSA_PUB), ed=txt(ED_PUB))
open(os.path.join(out, "dkim.test.zone"), "w").write(zone)
couk = """$ORIGIN example.co.uk.
$TTL 300
@ IN SOA ns.example.test. hostmaster.example.test. ( 1 3600 600 86400 300 )
  IN NS ns.example.test.
_dmarc IN TXT "v=DMARC1; p=none; sp=reject"
"""
open(os.path.join(out, "example.co.uk.zone"), "w").write(couk)
# strict alignment: the organisational domain signs, a subdomain is the author
strict = """$ORIGIN strictco.co.uk.
$TTL 300
@ IN SOA ns.example.test. hostmaster.example.test. ( 1 3600 600 86400 300 )
  IN NS ns.example.test.
rsa._domainkey IN TXT {rsa}
_dmarc IN TXT "v=DMARC1; p=reject; adkim=s; aspf=s"
""".format(rsa=txt(RSA_PUB))
open(os.path.join(out, "strictco.co.uk.zone"), "w").write(strict)


def message(case, frm, subject, body="Hello.\r\n", extra=b""):
    head = ("X-Test-Id: %s\r\nFrom: %s\r\nTo: rcpt@example.test\r\nSubject: %s\r\n"
            "Date: Mon, 23 Nov 2026 12:00:00 +0000\r\nMessage-ID: <%s@dkim.test>\r\n"
            % (case, frm, subject, case)).encode()
    return extra + head + b"\r\n" + body.encode() + ("e2e-end %s\r\n" % case).encode()


def sign(msg, selector, domain, key, algo=b"rsa-sha256"):
    sig = dkim.sign(msg, selector.encode(), domain.encode(), key,
                    include_headers=[b"from", b"to", b"subject", b"date", b"message-id"],
                    signature_algorithm=algo)
    return sig + msg


def sign_timed(msg, selector, domain, key, tags):
    return timed.sign(msg, selector.encode(), domain.encode(), key, tags,
                      [b"from", b"to", b"subject", b"date", b"message-id"])


cases = {}
cases["rsa-pass"] = sign(message("rsa-pass", "a@dkim.test", "rsa"), "rsa", "dkim.test", rsa)
cases["ed-pass"] = sign(message("ed-pass", "a@dkim.test", "ed25519"), "ed", "dkim.test", ed,
                        b"ed25519-sha256")
m = sign(message("body-changed", "a@dkim.test", "body"), "rsa", "dkim.test", rsa)
cases["body-changed"] = m.replace(b"Hello.", b"Hullo.")
m = sign(message("header-changed", "a@dkim.test", "original"), "rsa", "dkim.test", rsa)
cases["header-changed"] = m.replace(b"Subject: original", b"Subject: altered")
cases["key-missing"] = sign(message("key-missing", "a@dkim.test", "nokey"), "nokey", "dkim.test",
                            rsa)
cases["revoked"] = sign(message("revoked", "a@dkim.test", "revoked"), "revoked", "dkim.test", rsa)
now = int(time.time())
cases["expired"] = sign_timed(message("expired", "a@dkim.test", "expired"), "rsa", "dkim.test",
                              rsa, {b"t": str(now - 7200).encode(), b"x": str(now - 3600).encode()})
m = sign(message("two-sigs", "a@dkim.test", "two"), "rsa", "dkim.test", rsa)
cases["two-sigs"] = sign(m, "nokey", "dkim.test", rsa)
# DMARC
cases["dmarc-dkim-only"] = sign(message("dmarc-dkim-only", "a@dkim.test", "dkim only"), "rsa",
                                "dkim.test", rsa)
cases["dmarc-spf-only"] = message("dmarc-spf-only", "a@dkim.test", "spf only")
cases["dmarc-reject"] = message("dmarc-reject", "a@dkim.test", "forged")
cases["dmarc-quarantine"] = message("dmarc-quarantine", "a@quarantine.dkim.test", "forged q")
cases["dmarc-none"] = message("dmarc-none", "a@none.dkim.test", "forged n")
cases["dmarc-strict"] = sign(message("dmarc-strict", "a@mail.strictco.co.uk", "strict"), "rsa",
                             "strictco.co.uk", rsa)
cases["dmarc-sp"] = message("dmarc-sp", "a@mail.example.co.uk", "subdomain policy")
cases["two-from"] = message("two-from", "a@dkim.test", "two from",
                            extra=b"From: b@none.dkim.test\r\n")
for name, data in cases.items():
    open(os.path.join(out, name + ".eml"), "wb").write(data)
