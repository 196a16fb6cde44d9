#!/usr/bin/python3
"""authres_parse.py - check header values built by milter/authres.c with an
independent parser, printing TAP.

SYNOPSIS
    authres_parse.py [--received-spf] [FILE]

DESCRIPTION
    Reads header values from FILE (or stdin), one per NUL-terminated record,
    and prints one TAP line per record, then the plan:

        ok N - CANONICAL        the value parsed; CANONICAL is what was read
        not ok N - ERROR        it did not

    By default each value is parsed as "Authentication-Results: VALUE" with
    Debian's python3-authres, twice: with the library's strict flag (every
    syntax error raises) and the plain way consumers call it,
    authres.AuthenticationResultsHeader.parse(), which silently drops a
    property it cannot read. Both must succeed and read the same thing.
    python3-authres knows only ASCII, while RFC 6532/8616 allow UTF-8 in
    quoted-strings and comments: the bytes must be valid UTF-8, and each
    non-ASCII character is replaced by "x" before parsing, which still
    checks the structure around it.

    CANONICAL for Authentication-Results is
        ID[ VERSION]; METHOD=RESULT PTYPE.PROPERTY=[VALUE] ...; ...
    or "ID; none", VALUE as the library returns it (a quoted-string's
    content with its quoted-pairs kept; a quoted local-part with its quotes).

    With --received-spf each value is checked against the grammar of RFC 7208
    section 9.1 (our own reading of it, in this file: python3-authres does not
    do Received-SPF), and CANONICAL is
        RESULT (COMMENT) KEY=[VALUE] ...
    with quoted-strings unquoted.

EXIT STATUS
    0 when every record parsed, 1 when one did not, 2 on a usage error or
    when python3-authres is missing (a "Bail out!" line says so).
"""

import re
import sys


def bail(msg):
    print("Bail out! " + msg)
    sys.exit(2)


def one_line(s):
    """s with line breaks shown, for a TAP description"""
    return s.replace("\r", "\\r").replace("\n", "\\n").replace("\t", "\\t")


# ---- Authentication-Results -------------------------------------------------

def ar_canonical(h):
    out = h.authserv_id + (" " + h.version if h.version else "")
    if not h.results:
        return out + "; none"
    for r in h.results:
        out += "; %s=%s" % (r.method, r.result)
        for p in r.properties:
            out += " %s.%s=[%s]" % (p.type, p.name, p.value)
    return out


def ar_checker():
    try:
        import authres
        import authres.core
    except ImportError as e:
        bail("python3-authres is not installed (apt-get install python3-authres): %s" % e)

    class StrictHeader(authres.core.AuthenticationResultsHeader):
        def __init__(self, *args, **kwargs):
            kwargs["strict"] = True
            super().__init__(*args, **kwargs)

    strict = authres.FeatureContext()
    strict.header_class = StrictHeader

    def check(value):
        field = "Authentication-Results: " + value
        try:
            got = ar_canonical(strict.parse(field))
        except Exception as e:  # the library raises several kinds
            return False, "strict parse: %s: %s" % (type(e).__name__, e)
        try:
            plain = ar_canonical(authres.AuthenticationResultsHeader.parse(field))
        except Exception as e:
            return False, "plain parse: %s: %s" % (type(e).__name__, e)
        if plain != got:
            return False, "plain parse reads %s, strict parse %s" % (plain, got)
        return True, got

    return check


# ---- Received-SPF (RFC 7208 section 9.1) ------------------------------------

SPF_RESULTS = ("pass", "fail", "softfail", "neutral", "none", "temperror", "permerror")
FWS = re.compile(r"(?:[ \t]*\r?\n)?[ \t]+")
ATEXT = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]"
DOT_ATOM = re.compile(r"%s+(?:\.%s+)*" % (ATEXT, ATEXT))
KEY = re.compile(r"[A-Za-z][A-Za-z0-9_.-]*")
QTEXT = re.compile(r"[\x21\x23-\x5b\x5d-\x7e]+")
CTEXT = re.compile(r"[\x21-\x27\x2a-\x5b\x5d-\x7e]+")
QUOTED_PAIR = re.compile(r"\\([\t \x21-\x7e])")


class SpfSyntax(Exception):
    pass


class SpfParser:
    def __init__(self, text):
        self.s = text
        self.i = 0

    def fail(self, what):
        raise SpfSyntax("expected %s at %r" % (what, self.s[self.i:self.i + 30]))

    def match(self, rx):
        m = rx.match(self.s, self.i)
        if m:
            self.i = m.end()
        return m

    def lit(self, c):
        if self.s.startswith(c, self.i):
            self.i += len(c)
            return True
        return False

    def fws(self):
        return self.match(FWS) is not None

    def comment(self):
        """a comment at i, its text, or None"""
        if not self.lit("("):
            return None
        text = ""
        while True:
            if self.fws():
                text += " "
            m = self.match(CTEXT)
            if m:
                text += m.group()
                continue
            m = self.match(QUOTED_PAIR)
            if m:
                text += m.group(1)
                continue
            inner = self.comment()
            if inner is not None:
                text += "(" + inner + ")"
                continue
            if self.lit(")"):
                return text
            self.fail('ctext or ")"')

    def cfws(self):
        seen = False
        while True:
            if self.fws():
                seen = True
            elif self.comment() is not None:
                seen = True
            else:
                return seen

    def quoted_string(self):
        if not self.lit('"'):
            return None
        text = ""
        while True:
            if self.fws():
                text += " "
            m = self.match(QTEXT)
            if m:
                text += m.group()
                continue
            m = self.match(QUOTED_PAIR)
            if m:
                text += m.group(1)
                continue
            if self.lit('"'):
                return text
            self.fail('qtext or <">')

    def header(self):
        self.cfws()
        m = self.match(re.compile(r"[a-z]+"))
        if not m or m.group() not in SPF_RESULTS:
            self.fail("an SPF result")
        out = m.group()
        if self.i == len(self.s):
            return out
        if not self.fws():
            self.fail("FWS after the result")
        c = self.comment()
        if c is not None:
            out += " (%s)" % c
            if self.i == len(self.s):
                return out
            if not self.fws():
                self.fail("FWS after the comment")
        first = True
        while self.i < len(self.s):
            if not first:
                if not self.lit(";"):
                    self.fail('";"')
                self.cfws()
                if self.i == len(self.s):
                    break  # the optional final ";"
            first = False
            k = self.match(KEY)
            if not k:
                self.fail("a key")
            self.cfws()
            if not self.lit("="):
                self.fail('"="')
            self.cfws()
            v = self.quoted_string()
            if v is None:
                m = self.match(DOT_ATOM)
                if not m:
                    self.fail("a dot-atom or quoted-string")
                v = m.group()
            self.cfws()
            out += " %s=[%s]" % (k.group(), v)
        return out


def spf_check(value):
    try:
        return True, SpfParser(value).header()
    except SpfSyntax as e:
        return False, str(e)


# ---- main ---------------------------------------------------------------------

def main(argv):
    args = argv[1:]
    spf = False
    if args and args[0] == "--received-spf":
        spf = True
        args = args[1:]
    if len(args) > 1:
        bail("usage: authres_parse.py [--received-spf] [FILE]")
    try:
        if args:
            with open(args[0], "rb") as f:
                data = f.read()
        else:
            data = sys.stdin.buffer.read()
    except OSError as e:
        bail(str(e))
    records = data.split(b"\0")
    if records and records[-1] == b"":
        records.pop()
    check = spf_check if spf else ar_checker()
    failed = 0
    for n, raw in enumerate(records, 1):
        try:
            value = raw.decode("utf-8")
        except UnicodeDecodeError as e:
            ok, what = False, "not UTF-8: %s" % e
        else:
            ok, what = check(re.sub(r"[^\x00-\x7f]", "x", value))
        if not ok:
            failed += 1
        print("%sok %d - %s" % ("" if ok else "not ", n, one_line(what)))
    print("1..%d" % len(records))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
