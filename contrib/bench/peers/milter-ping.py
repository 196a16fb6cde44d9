#!/usr/bin/python3
"""milter-ping.py - does a milter answer? (used by peers.sh)

SYNOPSIS
    milter-ping.py SOCKET [TIMEOUT]

DESCRIPTION
    Connects to SOCKET (unix:/PATH, local:/PATH or inet:PORT@HOST), sends
    the option negotiation of milter protocol version 6 (as Postfix does),
    reads the reply and says goodbye (SMFIC_QUIT). Exit status 0 when the
    filter answered with its own negotiation packet ('O'), 1 otherwise.

DIAGNOSTICS
    One line on stderr saying what went wrong.
"""
import socket
import struct
import sys


def connect(spec, timeout):
    if spec.startswith(("unix:", "local:")):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(timeout)
        s.connect(spec.split(":", 1)[1])
        return s
    if spec.startswith("inet:"):
        port, _, host = spec[5:].partition("@")
        s = socket.create_connection((host or "127.0.0.1", int(port)), timeout)
        return s
    raise ValueError("unknown socket type: " + spec)


def recv_exact(s, n):
    buf = b""
    while len(buf) < n:
        chunk = s.recv(n - len(buf))
        if not chunk:
            raise ConnectionError("connection closed after %d of %d bytes" % (len(buf), n))
        buf += chunk
    return buf


def main():
    if len(sys.argv) < 2:
        sys.stderr.write("usage: milter-ping.py SOCKET [TIMEOUT]\n")
        return 2
    timeout = float(sys.argv[2]) if len(sys.argv) > 2 else 2.0
    try:
        s = connect(sys.argv[1], timeout)
        # SMFIC_OPTNEG: version 6, all actions, all protocol steps offered
        body = b"O" + struct.pack(">III", 6, 0x1FF, 0x1FFFFF)
        s.sendall(struct.pack(">I", len(body)) + body)
        (length,) = struct.unpack(">I", recv_exact(s, 4))
        if length < 1 or length > 65536:
            raise ValueError("bad reply length %d" % length)
        reply = recv_exact(s, length)
        if reply[:1] != b"O":
            raise ValueError("reply %r is not a negotiation" % reply[:1])
        s.sendall(struct.pack(">I", 1) + b"Q")
        s.close()
    except (OSError, ValueError, ConnectionError) as e:
        sys.stderr.write("milter-ping: %s: %s\n" % (sys.argv[1], e))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
