#!/usr/bin/python3
# make-message.py OUT [SIZE] [rsa|ed25519] - a SIZE-byte (default 20 KB) message signed
# rsa-sha256 with tests/data/dkim/rsa2048.key as rsa._domainkey.sig.test (the default), or
# ed25519-sha256 with tests/data/dkim/ed25519.key as ed._domainkey.sig.test (Debian's
# python3-dkim).
import os
import sys

import dkim

top = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
size = int(sys.argv[2]) if len(sys.argv) > 2 else 20480
alg = sys.argv[3] if len(sys.argv) > 3 else "rsa"
head = (b"From: Alice <alice@sig.test>\r\nTo: bob@example.test\r\nSubject: benchmark\r\n"
        b"Date: Mon, 23 Nov 2026 12:00:00 +0000\r\nMessage-ID: <bench@sig.test>\r\n\r\n")
line = b"The quick brown fox jumps over the lazy dog, again and again and again.\r\n"
body = line * ((size - len(head)) // len(line) + 1)
msg = head + body[: size - len(head)]
keyfile, selector, algorithm = {"rsa": ("rsa2048.key", b"rsa", b"rsa-sha256"),
                                "ed25519": ("ed25519.key", b"ed", b"ed25519-sha256")}[alg]
key = open(os.path.join(top, "tests", "data", "dkim", keyfile), "rb").read()
sig = dkim.sign(msg, selector, b"sig.test", key, canonicalize=(b"relaxed", b"relaxed"),
                include_headers=[b"from", b"to", b"subject", b"date", b"message-id"],
                signature_algorithm=algorithm)
open(sys.argv[1], "wb").write(sig + msg)
