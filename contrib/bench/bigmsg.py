#!/usr/bin/env python3
"""bigmsg.py MB - print a MB-megabyte message (CRLF line ends): a short text
part and one base64 attachment of seeded pseudo-random bytes, as a mail user
agent would send a large file. The benchmark feeds it to each filter once and
reads how much the filter's peak RSS rose."""
import base64
import random
import sys


def main():
    mb = int(sys.argv[1]) if len(sys.argv) > 1 else 25
    rng = random.Random(25)
    out = sys.stdout.buffer
    head = (
        "Received: from client.bench.test (client.bench.test [192.0.2.10])\r\n"
        "\tby mx.bench.test with ESMTP id BIG0000001; Mon, 2 Nov 2026 10:00:00 +0000\r\n"
        "From: Big Sender <big@sender.bench.test>\r\n"
        "To: someone@example.net\r\n"
        "Subject: the quarterly archive\r\n"
        "Date: Mon, 2 Nov 2026 10:00:00 +0000\r\n"
        "Message-ID: <big.0000001@sender.bench.test>\r\n"
        "MIME-Version: 1.0\r\n"
        'Content-Type: multipart/mixed; boundary="=-big-boundary"\r\n'
        "\r\n"
        "--=-big-boundary\r\n"
        "Content-Type: text/plain; charset=utf-8\r\n"
        "\r\n"
        "The archive you asked for is attached.\r\n"
        "\r\n"
        "--=-big-boundary\r\n"
        'Content-Type: application/octet-stream; name="archive.bin"\r\n'
        "Content-Transfer-Encoding: base64\r\n"
        'Content-Disposition: attachment; filename="archive.bin"\r\n'
        "\r\n"
    )
    out.write(head.encode())
    # 76 base64 characters per line encode 57 bytes
    want = mb * 1024 * 1024 - len(head) - 64
    lines = want // 78
    block = bytes(rng.getrandbits(8) for _ in range(57 * 1024))
    for i in range(lines):
        j = (i % 1024) * 57
        out.write(base64.b64encode(block[j:j + 57]) + b"\r\n")
    out.write(b"\r\n--=-big-boundary--\r\n")


if __name__ == "__main__":
    main()
