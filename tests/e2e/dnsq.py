#!/usr/bin/python3
"""dnsq.py - ask one DNS question over UDP and print the answer section.

Usage: dnsq.py [-s SERVER] [-p PORT] NAME TYPE      (TYPE: A MX TXT PTR NS SOA)

The test bed has neither dig nor drill; this is enough to assert that the
private unbound answers. Prints "status: NOERROR|NXDOMAIN|..." then one line
per answer record: "NAME TYPE DATA" (TXT strings are joined). Exit status 0
when the server answered NOERROR with at least one record of TYPE, 1 when it
answered otherwise, 2 on a timeout or a malformed reply.
"""
import random
import socket
import struct
import sys

TYPES = {"A": 1, "NS": 2, "SOA": 6, "PTR": 12, "MX": 15, "TXT": 16}
RCODES = {0: "NOERROR", 1: "FORMERR", 2: "SERVFAIL", 3: "NXDOMAIN",
          4: "NOTIMP", 5: "REFUSED"}


def encode_name(name):
    out = b""
    for label in name.rstrip(".").split("."):
        if label:
            out += bytes([len(label)]) + label.encode("ascii")
    return out + b"\0"


def decode_name(msg, off):
    """Return (name, offset after the name in place), following pointers."""
    labels = []
    end = None
    for _ in range(128):
        length = msg[off]
        if length & 0xC0 == 0xC0:
            if end is None:
                end = off + 2
            off = ((length & 0x3F) << 8) | msg[off + 1]
            continue
        if length == 0:
            off += 1
            break
        labels.append(msg[off + 1:off + 1 + length].decode("ascii", "replace"))
        off += 1 + length
    else:
        raise ValueError("name compression loop")
    return ".".join(labels) + ".", (end if end is not None else off)


def rdata_text(msg, rtype, off, rdlen):
    rd = msg[off:off + rdlen]
    if rtype == 1:
        return socket.inet_ntoa(rd)
    if rtype in (2, 12):
        return decode_name(msg, off)[0]
    if rtype == 15:
        return "%d %s" % (struct.unpack("!H", rd[:2])[0], decode_name(msg, off + 2)[0])
    if rtype == 16:
        parts, i = [], 0
        while i < len(rd):
            parts.append(rd[i + 1:i + 1 + rd[i]].decode("utf-8", "replace"))
            i += 1 + rd[i]
        return '"' + "".join(parts) + '"'
    if rtype == 6:
        mname, o = decode_name(msg, off)
        rname, o = decode_name(msg, o)
        return "%s %s %d" % (mname, rname, struct.unpack("!I", msg[o:o + 4])[0])
    return rd.hex()


def main(argv):
    server, port = "127.0.0.1", 53
    args = list(argv)
    while args and args[0].startswith("-"):
        opt = args.pop(0)
        if opt == "-s":
            server = args.pop(0)
        elif opt == "-p":
            port = int(args.pop(0))
        else:
            break
    if len(args) != 2 or args[1].upper() not in TYPES:
        sys.stderr.write(__doc__)
        return 2
    name, qtype = args[0], TYPES[args[1].upper()]
    qid = random.randrange(0x10000)
    query = struct.pack("!HHHHHH", qid, 0x0100, 1, 0, 0, 0) + \
        encode_name(name) + struct.pack("!HH", qtype, 1)
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.settimeout(3)
    try:
        sock.sendto(query, (server, port))
        while True:
            msg = sock.recv(4096)
            if len(msg) >= 12 and struct.unpack("!H", msg[:2])[0] == qid:
                break
    except OSError as err:
        print("error: %s" % err)
        return 2
    try:
        _, flags, qd, an, _, _ = struct.unpack("!HHHHHH", msg[:12])
        rcode = flags & 0xF
        print("status: %s" % RCODES.get(rcode, str(rcode)))
        off = 12
        for _ in range(qd):
            off = decode_name(msg, off)[1] + 4
        found = 0
        for _ in range(an):
            rname, off = decode_name(msg, off)
            rtype, _, _, rdlen = struct.unpack("!HHIH", msg[off:off + 10])
            off += 10
            tname = next((k for k, v in TYPES.items() if v == rtype), str(rtype))
            print("%s %s %s" % (rname, tname, rdata_text(msg, rtype, off, rdlen)))
            off += rdlen
            found += rtype == qtype
    except (ValueError, IndexError, struct.error) as err:
        print("error: malformed reply: %s" % err)
        return 2
    return 0 if rcode == 0 and found else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
