#!/usr/bin/python3
# mime4j_suite.py - every message of Apache James mime4j's test corpus
# (../shared/corpus/mime4j) through Portcullis' MIME analysis, as TAP.
#
# For each NAME.msg beside a NAME_decoded.xml, tests/mime_probe prints the part tree and
# writes each leaf's transfer-decoded bytes; the tree must give the same skeleton as the
# XML (message, multipart, body-part, text-body/binary-body, in order) and each leaf's
# bytes must equal the file the XML names for it. The last line reports the agreement
# count.
#
# tests/data/mime/mime4j-known.txt lists the messages where Portcullis differs on
# purpose or is known to, with the cause; they are reported as TODO, so any other
# difference fails the build, and a listed message that starts agreeing shows up as
# XPASS (also a failure: remove its line).
import os
import re
import subprocess
import sys
import tempfile

here = os.path.dirname(os.path.abspath(__file__))
top = os.environ.get("abs_top_srcdir") or os.path.dirname(here)
build = os.environ.get("abs_top_builddir") or top
shared = os.environ.get("PORTCULLIS_SHARED") or os.path.join(top, "..", "shared")
corpus = os.path.join(shared, "corpus", "mime4j", "core", "src", "test", "resources")
probe = os.path.join(build, "tests", "mime_probe")
known_file = os.path.join(top, "tests", "data", "mime", "mime4j-known.txt")

TAG = re.compile(rb'<(/?)(message|multipart|body-part)>|<(text-body|binary-body) name="([^"]*)"/>')


def expected(xml):
    """The skeleton tokens and the leaf files the XML names, in order."""
    toks, files = [], []
    for m in TAG.finditer(xml):
        if m.group(2):
            toks.append(m.group(1).decode() + m.group(2).decode())
        else:
            toks.append(m.group(3).decode())
            files.append(m.group(4).decode())
    return toks, files


def got_tokens(parts):
    """The skeleton of the probe's part list ((depth, kind, type) in tree order)."""
    out = []

    def ent(i):
        d, kind, typ = parts[i]
        j = i + 1
        if kind == "multipart":
            out.append("multipart")
            while j < len(parts) and parts[j][0] > d:
                out.append("body-part")
                j = ent(j)
                out.append("/body-part")
            out.append("/multipart")
        elif kind == "message":
            out.append("message")
            if j < len(parts) and parts[j][0] > d:
                j = ent(j)
            out.append("/message")
        else:
            out.append("text-body" if typ.startswith("text/") else "binary-body")
        return j

    out.append("message")
    if parts:
        ent(0)
    out.append("/message")
    return out


def load_known():
    known = {}
    try:
        with open(known_file, encoding="utf-8") as f:
            for line in f:
                if line.startswith("#") or not line.strip():
                    continue
                name, _, cause = line.rstrip("\n").partition("\t")
                known[name] = cause
    except FileNotFoundError:
        pass
    return known


def check(msg, xml_path, tmp):
    """None when the message agrees, else why not."""
    with open(xml_path, "rb") as f:
        want, files = expected(f.read())
    for old in os.listdir(tmp):
        os.unlink(os.path.join(tmp, old))
    p = subprocess.run([probe, msg, tmp], capture_output=True, timeout=60)
    if p.returncode != 0:
        return "mime_probe failed (status %d): %s" % (p.returncode, p.stderr.decode(errors="replace")[:300])
    parts = []
    for line in p.stdout.decode("utf-8", errors="replace").splitlines():
        if line.startswith("part "):
            f = line.split(" ")
            parts.append((int(f[1]), f[2], f[3]))
    got = got_tokens(parts)
    if got != want:
        return "structure differs:\n  want %s\n  got  %s" % (" ".join(want), " ".join(got))
    d = os.path.dirname(xml_path)
    for k, name in enumerate(files, 1):
        with open(os.path.join(d, name), "rb") as f:
            w = f.read()
        try:
            with open(os.path.join(tmp, "leaf-%d" % k), "rb") as f:
                g = f.read()
        except FileNotFoundError:
            return "leaf %d (%s) not decoded" % (k, name)
        if g != w:
            return "leaf %d (%s) differs: %d bytes, want %d; first difference at %d" % (
                k, name, len(g), len(w),
                next((i for i in range(min(len(g), len(w))) if g[i] != w[i]), min(len(g), len(w))))
    return None


def main():
    if not os.path.isdir(corpus):
        print("Bail out! the mime4j corpus is not at %s (the shared corpus must sit beside the"
              " repository)" % corpus)
        return 1
    if not os.access(probe, os.X_OK):
        print("Bail out! %s is not built" % probe)
        return 1
    known = load_known()
    msgs = []
    for sub in sorted(os.listdir(corpus)):
        dd = os.path.join(corpus, sub)
        if not os.path.isdir(dd):
            continue
        for fn in sorted(os.listdir(dd)):
            if fn.endswith(".msg") and os.path.exists(os.path.join(dd, fn[:-4] + "_decoded.xml")):
                msgs.append((sub + "/" + fn[:-4], os.path.join(dd, fn), os.path.join(dd, fn[:-4] + "_decoded.xml")))
    n = agree = 0
    failed = 0
    seen = set()
    with tempfile.TemporaryDirectory() as tmp:
        for name, msg, xml in msgs:
            n += 1
            seen.add(name)
            why = check(msg, xml, tmp)
            if why is None:
                agree += 1
            if name in known:
                print("%s %d - %s # TODO %s" % ("ok" if why is None else "not ok", n, name, known[name]))
            elif why is None:
                print("ok %d - %s" % (n, name))
            else:
                failed += 1
                print("not ok %d - %s" % (n, name))
            if why is not None:
                for line in why.splitlines():
                    print("#   " + line)
    for name in sorted(set(known) - seen):
        print("# warning: %s is listed in %s but not in the corpus" % (name, known_file))
    print("# mime4j agreement: %d of %d messages (structure and decoded bodies); %d known differences"
          % (agree, n, len(known)))
    print("1..%d" % n)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
