#!/usr/bin/python3
# timed.py OUTDIR - expired.eml (x= in 2020) and future.eml (t= in 2100), signed with
# rsa2048.key as rsa._domainkey.sig.test. Debian's python3-dkim signs no x= and only t= of
# now: Timed, also used by tests/e2e/dkim_make.py, puts chosen tags into the signature header
# before it is hashed and signed.
import os
import sys

import dkim


class Timed(dkim.DKIM):
    """dkim.DKIM whose signatures carry self.tags (e.g. {b"t": ..., b"x": ...})"""
    tags = {}

    def gen_header(self, fields, include_headers, canon_policy, header_name, pk,
                   standardize=False):
        fields = [(k, self.tags.get(k, v)) for k, v in fields]
        fields[-2:-2] = [(k, v) for k, v in self.tags.items() if k not in dict(fields)]
        return super().gen_header(fields, include_headers, canon_policy, header_name, pk,
                                  standardize)


def sign(msg, selector, domain, key, tags, headers):
    """msg with a signature made with tags"""
    d = Timed(msg)
    d.tags = tags
    return d.sign(selector, domain, key, include_headers=headers) + msg


def main(out):
    here = os.path.dirname(os.path.abspath(__file__))
    key = open(os.path.join(here, "rsa2048.key"), "rb").read()
    for name, tags in (("expired", {b"t": b"1600000000", b"x": b"1600086400"}),
                       ("future", {b"t": b"4102444800"})):
        msg = (b"From: Alice <alice@sig.test>\r\nTo: bob@example.test\r\nSubject: " +
               name.encode() + b"\r\nDate: Mon, 14 Sep 2020 12:00:00 +0000\r\n"
               b"Message-ID: <" + name.encode() + b"@sig.test>\r\n\r\nHello.\r\n")
        signed = sign(msg, b"rsa", b"sig.test", key, tags,
                      [b"from", b"to", b"subject", b"date"])
        open(os.path.join(out, name + ".eml"), "wb").write(signed)


if __name__ == "__main__":
    main(sys.argv[1])
