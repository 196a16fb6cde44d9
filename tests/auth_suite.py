#!/usr/bin/python3
# auth_suite.py SUITE - DKIM/DMARC conformance against external fixtures (TAP).
#
# SUITE is one of
#   dkim-vectors           ../shared/corpus/dkim-vectors: every signature as EXPECTED.txt says
#   mail-dkim              ../shared/corpus/mail-dkim: each message's verdict as
#                          verifier-expected.tsv says (keys from FAKE_DNS.dat)
#   authentication-milter  ../shared/corpus/authentication-milter: spf/dkim/dmarc
#                          method=result pairs of cases-manifest.json (zonefile as DNS)
# Every message goes through tests/auth_probe: gen_load of a test portcullis.conf and a
# session fed like `portcullis check` feeds one, with the suite's DNS data served by the
# resolver itself (everything else NXDOMAIN; timeouts and SERVFAIL as DNS failures).
# tests/data/dkim/known-<SUITE>.txt lists the cases whose result differs, with the cause:
# they are reported as TODO; one that starts agreeing is an XPASS, which fails the run
# (remove its line).
import json
import os
import re
import subprocess
import sys
import tempfile

top = os.environ.get("abs_top_srcdir") or os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
build = os.environ.get("abs_top_builddir") or top
shared = os.environ.get("PORTCULLIS_SHARED") or os.path.join(os.path.dirname(top), "shared")
probe = os.path.join(build, "tests", "auth_probe")


def bail(why):
    """a suite that cannot run fails: a missing corpus or probe must not pass as a skip"""
    print("Bail out! %s" % why)
    sys.exit(1)


def txt_rdata(v):
    """a TXT value as quoted character-strings of at most 255 bytes"""
    b = v.encode()
    parts = [b[i:i + 255] for i in range(0, len(b), 255)] or [b""]
    out = []
    for p in parts:
        s = p.decode(errors="replace").replace("\\", "\\\\").replace('"', '\\"')
        out.append('"%s"' % s)
    return " ".join(out)


def fqdn(n):
    return n if n.endswith(".") else n + "."


def load_known(suite):
    path = os.path.join(top, "tests", "data", "dkim", "known-%s.txt" % suite)
    known = {}
    if os.path.exists(path):
        for line in open(path, encoding="utf-8"):
            if line.startswith("#") or not line.strip():
                continue
            name, _, why = line.rstrip("\n").partition("\t")
            known[name] = why
    return known


def run_probe(zone_lines, cases, conf_extra=""):
    """cases: (id, ip, name, helo, from, rcpt, file); returns {id: result json}"""
    with tempfile.TemporaryDirectory() as d:
        os.mkdir(os.path.join(d, "norules"))
        conf = os.path.join(d, "p.conf")
        with open(conf, "w") as f:
            f.write("authserv_id mx.test\nrules_dir %s/norules\npolicy_file %s/policy/policy.conf\n"
                    "log stderr\ndns_timeout 2s\n%s" % (d, top, conf_extra))
        zone = os.path.join(d, "zone")
        with open(zone, "w") as f:
            f.write("\n".join(zone_lines) + "\n")
        inp = "".join("\t".join(c) + "\n" for c in cases)
        p = subprocess.run([probe, conf, zone], input=inp, capture_output=True, text=True,
                           timeout=600)
        if p.returncode not in (0, 2) or p.stderr.strip():
            for l in p.stderr.strip().splitlines()[:20]:
                print("# probe: %s" % l)
        out = {}
        for line in p.stdout.splitlines():
            j = json.loads(line)
            out[j["id"]] = j
        return out


def findings(j, name):
    return [v for n, v in j["findings"] if n == name]


def report(results, known):
    """results: list of (name, ok, got, want)"""
    print("1..%d" % len(results))
    agree = 0
    for i, (name, ok, got, want) in enumerate(results, 1):
        agree += ok
        desc = "%s: got %s, expected %s" % (name, got, want)
        if name in known:
            print("%s %d - %s # TODO %s" % ("ok" if ok else "not ok", i, desc, known[name]))
        else:
            print("%s %d - %s" % ("ok" if ok else "not ok", i, desc))
    for n in known:
        if n not in {r[0] for r in results}:
            print("# known-differences names a case the suite does not have: %s" % n)
    print("# agreement: %d of %d" % (agree, len(results)))


# ---- dkim-vectors ------------------------------------------------------------------
def suite_vectors():
    base = os.path.join(shared, "corpus", "dkim-vectors")
    zone = []
    for line in open(os.path.join(base, "zone.txt")):
        m = re.match(r'(\S+)\s+IN\s+TXT\s+"(.*)"\s*$', line)
        if m:
            zone.append("data %s 300 IN TXT %s" % (fqdn(m.group(1)), txt_rdata(m.group(2))))
    want = []  # (file, sig#, expected)
    for line in open(os.path.join(base, "EXPECTED.txt")):
        if line.startswith("#"):
            continue
        f = line.split()
        if len(f) >= 3 and f[1].isdigit():
            want.append((f[0], int(f[1]), f[-1]))
    files = sorted({w[0] for w in want})
    cases = [(f, "192.0.2.1", "mx.example", "mx.example", "", "rcpt@example.test",
              os.path.join(base, f)) for f in files]
    got = run_probe(zone, cases)
    results = []
    for f, n, exp in want:
        sigs = findings(got[f], "dkim") if f in got else []
        g = sigs[n] if n < len(sigs) else "missing"
        results.append(("%s#%d" % (f, n), g == exp, g, exp))
    return results


# ---- mail-dkim ---------------------------------------------------------------------
def mail_dkim_zone(base):
    zone = []
    for line in open(os.path.join(base, "FAKE_DNS.dat")):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        name, _, rec = line.partition(" ")
        rec = rec.strip()
        if rec == "NXDOMAIN":
            continue  # the forwarder says NXDOMAIN for every name without data
        if rec.startswith("~~"):
            zone.append("fail %s" % name)
            continue
        if rec == '""':
            rec = ""
        zone.append("data %s 300 IN TXT %s" % (fqdn(name), txt_rdata(rec)))
    return zone


def overall(sigs):
    """Mail::DKIM's message verdict from our per-signature results"""
    if not sigs or sigs == ["none"]:
        return "none"
    if "pass" in sigs:
        return "pass"
    if "fail" in sigs:
        return "fail"
    return "invalid"


def suite_mail_dkim():
    base = os.path.join(shared, "corpus", "mail-dkim")
    want = [l.rstrip("\n").split("\t")[:2] for l in open(os.path.join(base, "verifier-expected.tsv"))
            if l.strip() and not l.startswith("#")]
    absent = [f for f, _ in want if not os.path.exists(os.path.join(base, "corpus", f))]
    if absent:
        print("# %d messages of verifier-expected.tsv are not in the corpus: %s"
              % (len(absent), " ".join(absent)))
    want = [w for w in want if w[0] not in absent]
    cases = [(f, "192.0.2.1", "mx.example", "mx.example", "", "rcpt@example.test",
              os.path.join(base, "corpus", f)) for f, _ in want]
    got = run_probe(mail_dkim_zone(base), cases)
    results = []
    for f, exp in want:
        g = overall(findings(got[f], "dkim")) if f in got else "missing"
        detail = "; ".join(findings(got[f], "dkim.signature")) if f in got else ""
        results.append((f, g == exp, g + (" [%s]" % detail if detail and g != exp else ""), exp))
    return results


# ---- authentication-milter ---------------------------------------------------------
def bind_zone(path):
    """the BIND-style zonefile as data directives (parentheses joined)"""
    text = open(path, encoding="utf-8", errors="replace").read()
    text = re.sub(r"\(([^)]*)\)", lambda m: " ".join(m.group(1).split()), text)
    zone = []
    for line in text.splitlines():
        if not line.strip() or line.lstrip().startswith(";"):
            continue
        f = line.split()
        name = f[0]
        rest = f[1:]
        ttl = "300"
        if rest and rest[0].isdigit():
            ttl = rest.pop(0)
        if rest and rest[0] == "IN":
            rest.pop(0)
        if len(rest) < 2:
            continue
        rtype, rdata = rest[0], " ".join(rest[1:])
        if rtype == "TXT" and not rdata.startswith('"'):
            rdata = txt_rdata(rdata)
        zone.append("data %s %s IN %s %s" % (fqdn(name), ttl, rtype, rdata))
    return zone


def suite_authmilter():
    base = os.path.join(shared, "corpus", "authentication-milter")
    man = json.load(open(os.path.join(base, "cases-manifest.json")))
    cases, meta = [], []
    for i, c in enumerate(man):
        exp = c.get("expected_ar_methods")
        if not exp:
            continue  # no A-R expected (timeout, dry run, rejected at SMTP)
        cid = "%02d %s (%s, %s)" % (i, c["desc"], c["source"], c["running_config"])
        mf = c["from"].split(",")[0].strip()
        cases.append((cid, c["ip"], c["name"], c["name"], mf, c["to"],
                      os.path.join(base, "data", "source", c["source"])))
        meta.append((cid, {k: v for k, v in exp.items() if k in ("spf", "dkim", "dmarc")}))
    got = run_probe(bind_zone(os.path.join(base, "zonefile")), cases)
    results = []
    for cid, exp in meta:
        j = got.get(cid)
        for method in ("spf", "dkim", "dmarc"):
            if method not in exp:
                continue
            if j is None:
                g = ["missing"]
            elif j["authres"]:
                ar = " ".join(j["authres"])
                g = re.findall(r"(?:;|^)\s*%s=([a-z]+)" % method, ar)
            else:  # refused (DMARC p=reject): no header is added; the findings say the same
                g = findings(j, method)[:1] if method == "spf" else findings(j, method)
            results.append(("%s %s" % (cid, method), sorted(g) == sorted(exp[method]),
                            ",".join(g) or "absent", ",".join(exp[method])))
    return results


def main():
    suite = sys.argv[1] if len(sys.argv) > 1 else ""
    if not os.access(probe, os.X_OK):
        bail("no %s (make tests/auth_probe)" % probe)
    fn = {"dkim-vectors": suite_vectors, "mail-dkim": suite_mail_dkim,
          "authentication-milter": suite_authmilter}.get(suite)
    if fn is None:
        print("usage: auth_suite.py dkim-vectors|mail-dkim|authentication-milter", file=sys.stderr)
        sys.exit(64)
    if not os.path.isdir(os.path.join(shared, "corpus", suite)):
        bail("no %s/corpus/%s (the shared corpus must sit beside the repository)" % (shared, suite))
    report(fn(), load_known(suite))


main()
