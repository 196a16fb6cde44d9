#!/usr/bin/python3
"""syslog-sink.py - receive syslog datagrams on a Unix socket, append to a file.

Usage: syslog-sink.py SOCKET LOGFILE

Sendmail can log only through syslog(3), i.e. to /dev/log. The test bed runs
it with a private /dev whose "log" is SOCKET (see lib.sh), and this writes
every message to LOGFILE, one line each, without the <priority> prefix.
Runs until killed.
"""
import os
import re
import socket
import sys


def main(argv):
    if len(argv) != 2:
        sys.stderr.write(__doc__)
        return 2
    path, logfile = argv
    if os.path.exists(path):
        os.unlink(path)
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(path)
    os.chmod(path, 0o666)
    with open(logfile, "ab", buffering=0) as out:
        while True:
            data = sock.recv(65536)
            line = re.sub(rb"^<\d+>", b"", data).rstrip(b"\0\r\n")
            out.write(line + b"\n")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
