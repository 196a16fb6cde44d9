#!/usr/bin/python3
# spf_suite.py - the RFC 7208 conformance suite (../shared/corpus/spf-rfc7208) through
# Portcullis' SPF module, as TAP.
#
# Each scenario's zone data is served by the project's resolver (libunbound local data,
# every other name NXDOMAIN, TIMEOUT names refused = a DNS failure), and each test goes
# through tests/spf_probe, i.e. spf_check() as the daemon calls it. As the suite asks,
# records of the obsolete SPF type are served as TXT where a name has no TXT record.
#
# tests/data/spf/known-failures.txt lists the tests known to fail, with the cause; they
# are reported as TODO (expected failures), so any other failure fails the build, and a
# known failure that starts passing shows up as XPASS (also a failure: update the list).
import os
import subprocess
import sys
import tempfile

import yaml

here = os.path.dirname(os.path.abspath(__file__))
top = os.environ.get("abs_top_srcdir") or os.path.dirname(here)
build = os.environ.get("abs_top_builddir") or top
shared = os.environ.get("PORTCULLIS_SHARED") or os.path.join(top, "..", "shared")
suite = os.path.join(shared, "corpus", "spf-rfc7208", "rfc7208-tests.yml")
probe = os.path.join(build, "tests", "spf_probe")
known_file = os.path.join(top, "tests", "data", "spf", "known-failures.txt")


def bail(why):
    print("Bail out! " + why)
    sys.exit(1)


def quote_txt(s):
    """One TXT character-string in unbound's presentation format."""
    out = []
    for b in s.encode("utf-8"):
        c = chr(b)
        if c in '"\\':
            out.append("\\" + c)
        elif 32 <= b < 127:
            out.append(c)
        else:
            out.append("\\%03d" % b)
    return '"' + "".join(out) + '"'


def txt_rdata(v):
    parts = v if isinstance(v, list) else [v]
    return " ".join(quote_txt(p) for p in parts) if parts else '""'


def fqdn(name):
    return name.rstrip(".") + "."


def zone_lines(zonedata):
    # every name without data is NXDOMAIN: spf_probe's forwarder says so. TIMEOUT: a
    # query for exactly that name, of a type it has no record of, is a DNS failure
    # (the forwarder SERVFAILs it; typetransparent lets such queries reach it)
    lines = []
    for name, recs in (zonedata or {}).items():
        if "TIMEOUT" in recs:
            lines.append("fail %s" % name.rstrip("."))
            if any(isinstance(r, dict) for r in recs):
                lines.append("zone %s typetransparent" % fqdn(name))
    for name, recs in (zonedata or {}).items():
        txts = [r["TXT"] for r in recs if isinstance(r, dict) and "TXT" in r]
        if any(t == "NONE" for t in txts):
            txts = []  # "no TXT record" (with TIMEOUT: the TXT query fails)
        elif not txts:
            txts = [r["SPF"] for r in recs if isinstance(r, dict) and "SPF" in r]
        for t in txts:
            lines.append("data %s 300 IN TXT %s" % (fqdn(name), txt_rdata(t)))
        for r in recs:
            if not isinstance(r, dict):
                continue
            for k, v in r.items():
                if k in ("A", "AAAA"):
                    lines.append("data %s 300 IN %s %s" % (fqdn(name), k, v))
                elif k == "MX":
                    lines.append("data %s 300 IN MX %d %s" % (fqdn(name), v[0], fqdn(v[1])))
                elif k in ("PTR", "CNAME"):
                    lines.append("data %s 300 IN %s %s" % (fqdn(name), k, fqdn(v)))
    return lines


def load_known():
    known = {}
    if os.path.exists(known_file):
        for line in open(known_file, encoding="utf-8"):
            line = line.rstrip("\n")
            if not line or line.startswith("#"):
                continue
            name, _, why = line.partition("\t")
            known[name] = why or "known failure"
    return known


def main():
    if not os.path.exists(suite):
        bail("the SPF suite is missing: %s (the shared corpus must sit beside the repository)"
             % suite)
    if not os.access(probe, os.X_OK):
        bail("no %s (build it: make tests/spf_probe)" % probe)
    known = load_known()
    docs = list(yaml.safe_load_all(open(suite, encoding="utf-8")))
    results = []  # (name, scenario, expected list, got, reason, probe trouble)
    for doc in docs:
        with tempfile.NamedTemporaryFile("w", suffix=".zone", delete=False) as zf:
            zf.write("\n".join(zone_lines(doc.get("zonedata"))) + "\n")
            zpath = zf.name
        names = list(doc["tests"])
        cases = "".join("%s\t%s\t%s\t%s\n" % (n, t["host"], t.get("helo", ""),
                                               t.get("mailfrom", ""))
                        for n, t in doc["tests"].items())
        p = subprocess.run([probe, zpath], input=cases, capture_output=True, text=True,
                           timeout=300)
        os.unlink(zpath)
        got = {}
        for line in p.stdout.splitlines():
            f = line.split("\t")
            if len(f) >= 2:
                got[f[0]] = (f[1], f[2] if len(f) > 2 else "")
        trouble = p.stderr.strip() if p.returncode not in (0, 2) or p.stderr.strip() else ""
        for n in names:
            exp = doc["tests"][n]["result"]
            exp = exp if isinstance(exp, list) else [exp]
            g, why = got.get(n, ("(no answer)", ""))
            results.append((n, doc["description"], exp, g, why, trouble))

    print("1..%d" % len(results))
    passed = 0
    for i, (n, scen, exp, g, why, trouble) in enumerate(results, 1):
        good = g in exp
        passed += good
        desc = "%s / %s: expected %s, got %s" % (scen, n, "|".join(exp), g)
        todo = " # TODO %s" % known[n] if n in known else ""
        print("%s %d - %s%s" % ("ok" if good else "not ok", i, desc, todo))
        if not good:
            print("#   reason: %s" % why)
            if trouble:
                print("#   probe: %s" % trouble.replace("\n", "\n#   probe: "))
    stale = [n for n in known if n not in {r[0] for r in results}]
    for n in stale:
        print("# known-failures.txt names a test the suite does not have: %s" % n)
    print("# RFC 7208 conformance: %d of %d pass" % (passed, len(results)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
