#!/usr/bin/python3
"""smtp-session.py - run several SMTP transactions over ONE connection.

Usage: smtp-session.py [--port P] [--local ADDR] [--sync DIR] STEP...

STEP is one of
  mail:ID   a whole transaction (MAIL, RCPT, DATA) of a message tagged ID:
            header "X-Test-Id: ID", last body line "e2e-end ID"
  rset:ID   MAIL and RCPT, then RSET (a transaction given up before DATA)
  hold:ID   MAIL and RCPT, then create DIR/ready and wait (at most 30 s)
            for DIR/go before DATA: lets the caller act mid-transaction

Prints one line per reply: "ID STAGE CODE TEXT" (STAGE: MAIL, RCPT, DATA,
END for the reply to the final dot, RSET), and "connection LOCAL-ADDR:PORT"
first. A transaction whose MAIL, RCPT or DATA is refused is reset and the
next step goes on. Exit status: 0 when every reply was as hoped for (2xx,
354), 1 when some was not, 2 on a connection error.
"""
import os
import smtplib
import sys
import time


def message(tag):
    lines = [
        "From: <sender@example.test>",
        "To: <rcpt@example.test>",
        "Subject: portcullis e2e %s" % tag,
        "Date: %s" % time.strftime("%a, %d %b %Y %H:%M:%S +0000", time.gmtime()),
        "Message-ID: <%s.%d@client.example.test>" % (tag, os.getpid()),
        "X-Test-Id: %s" % tag,
        "",
        "Portcullis end-to-end test message %s." % tag,
        ".a line that needs dot-stuffing",
        "e2e-end %s" % tag,
    ]
    out = []
    for line in lines:
        out.append("." + line if line.startswith(".") else line)
    return ("\r\n".join(out) + "\r\n.\r\n").encode("ascii")


def main(argv):
    port, local, sync = 25, None, None
    args = list(argv)
    while args and args[0].startswith("--"):
        opt = args.pop(0)
        if opt == "--port":
            port = int(args.pop(0))
        elif opt == "--local":
            local = args.pop(0)
        elif opt == "--sync":
            sync = args.pop(0)
        else:
            sys.stderr.write(__doc__)
            return 2
    if not args:
        sys.stderr.write(__doc__)
        return 2
    ok = True

    def say(tag, stage, reply):
        nonlocal ok
        code, text = reply
        text = text.decode("utf-8", "replace").replace("\n", " ")
        print("%s %s %d %s" % (tag, stage, code, text), flush=True)
        if not (200 <= code < 400):
            ok = False
        return code

    try:
        smtp = smtplib.SMTP(timeout=60,
                            source_address=(local, 0) if local else None)
        smtp.connect("127.0.0.1", port)
        print("connection %s:%d" % smtp.sock.getsockname(), flush=True)
        smtp.ehlo("client.example.test")
        for step in args:
            kind, _, tag = step.partition(":")
            if kind not in ("mail", "rset", "hold") or not tag:
                sys.stderr.write("bad step %r\n" % step)
                return 2
            if say(tag, "MAIL", smtp.docmd("MAIL FROM:<sender@example.test>")) != 250 or \
               say(tag, "RCPT", smtp.docmd("RCPT TO:<rcpt@example.test>")) != 250 or \
               kind == "rset":
                say(tag, "RSET", smtp.docmd("RSET"))
                continue
            if kind == "hold":
                open(os.path.join(sync, "ready"), "w").close()
                for _ in range(300):
                    if os.path.exists(os.path.join(sync, "go")):
                        break
                    time.sleep(0.1)
            if say(tag, "DATA", smtp.docmd("DATA")) != 354:
                say(tag, "RSET", smtp.docmd("RSET"))
                continue
            smtp.send(message(tag))
            say(tag, "END", smtp.getreply())
        smtp.quit()
    except (OSError, smtplib.SMTPException) as err:
        print("error: %s" % err, flush=True)
        return 2
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
