"""selfcheck.py - mkcorpus --verify: DKIM, SPF and DMARC of each message, offline.

DKIM: dkimpy verifies every signature with a DNS function that reads the
zone files just written (DIR/zones), not the network. SPF and DMARC: a small
evaluator over the same zone files (ip4, a, mx, include, all; relaxed or
strict alignment by organisational domain) says what a verifier should find.
Each class must come out as its label says:

  ham, spam, listed  dkim pass, spf pass, dmarc pass
  fail-dkim          dkim fail, spf pass, dmarc pass (through SPF)
  fail-spf           dkim pass, spf fail, dmarc pass (through DKIM)
  fail-dmarc         dkim pass, spf pass, dmarc fail with p=reject or quarantine
  listed             also: the client address is in the blocklist zone

Public: check(out, records) -> list of problems (strings).
"""

import email
import ipaddress
import os
import re

import dkim

from . import world as worldmod

# public suffixes of the corpus's domains (the real list says the same for these)
SUFFIXES = ("co.uk", "com.au", "ac.uk", "com", "net", "org", "de", "biz", "info")


class Zones:
    """The records of DIR/zones/*.zone: {(owner, type): [rdata]}."""

    def __init__(self, zdir):
        self.rr = {}
        for fn in sorted(os.listdir(zdir)):
            zone = fn[:-len(".zone")]
            lines = []
            with open(os.path.join(zdir, fn), encoding="ascii") as f:
                for ln in f:
                    if ln.startswith((";", "$")) or " SOA " in ln or " NS " in ln or not ln.strip():
                        continue
                    lines.append(ln.strip())
            for owner, rtype, rdata in worldmod.parse_records(zone, lines):
                if rtype == "TXT":
                    rdata = worldmod.unquote_txt(rdata)
                self.rr.setdefault((owner, rtype), []).append(rdata)

    def get(self, name, rtype):
        """The rdata of name's records of rtype."""
        return self.rr.get((name.lower().rstrip("."), rtype), [])

    def dkim_txt(self, name, timeout=5):
        """dkimpy's dnsfunc."""
        if isinstance(name, bytes):
            name = name.decode()
        txt = self.get(name, "TXT")
        return txt[0].encode() if txt else None


def org_domain(name):
    """The organisational domain: one label more than the longest public suffix."""
    name = name.lower()
    for suf in sorted(SUFFIXES, key=lambda x: -x.count(".")):
        if name.endswith("." + suf):
            return name[:-len(suf) - 1].split(".")[-1] + "." + suf
    return name


def spf(zones, ip, domain, depth=0):
    """pass | fail | softfail | neutral | none for ip and domain (no macros)."""
    recs = [t for t in zones.get(domain, "TXT") if t.startswith("v=spf1")]
    if not recs or depth > 10:
        return "none"
    addr = ipaddress.ip_address(ip)
    for term in recs[0].split()[1:]:
        q = "+"
        if term[0] in "+-~?":
            q, term = term[0], term[1:]
        hit = False
        if term.startswith("ip4:"):
            hit = addr in ipaddress.ip_network(term[4:], strict=False)
        elif term.startswith("a:") or term == "a":
            hit = ip in zones.get(term[2:] if term != "a" else domain, "A")
        elif term == "mx":
            hit = any(ip in zones.get(mx.split()[1], "A") for mx in zones.get(domain, "MX"))
        elif term.startswith("include:"):
            hit = spf(zones, ip, term[8:], depth + 1) == "pass"
        elif term == "all":
            hit = True
        if hit:
            return {"+": "pass", "-": "fail", "~": "softfail", "?": "neutral"}[q]
    return "neutral"


def dmarc(zones, from_dom, dkim_d, dkim_ok, mf_dom, spf_res):
    """(result, policy) of DMARC for the author domain."""
    org = org_domain(from_dom)
    rec = next((t for t in zones.get("_dmarc." + from_dom, "TXT") if t.startswith("v=DMARC1")), None)
    sub = False
    if rec is None:
        rec = next((t for t in zones.get("_dmarc." + org, "TXT") if t.startswith("v=DMARC1")), None)
        sub = from_dom != org
    if rec is None:
        return "none", None
    tags = dict(kv.strip().split("=", 1) for kv in rec.split(";") if "=" in kv)
    policy = tags.get("sp", tags["p"]) if sub else tags["p"]

    def aligned(dom, mode):
        return dom == from_dom if mode == "s" else org_domain(dom) == org

    ok = (dkim_ok and aligned(dkim_d, tags.get("adkim", "r"))) or \
        (spf_res == "pass" and aligned(mf_dom, tags.get("aspf", "r")))
    return ("pass" if ok else "fail"), policy


EXPECT = {  # class -> (dkim, spf, dmarc)
    "ham": ("pass", "pass", "pass"), "spam": ("pass", "pass", "pass"),
    "listed": ("pass", "pass", "pass"), "fail-dkim": ("fail", "pass", "pass"),
    "fail-spf": ("pass", "fail", "pass"), "fail-dmarc": ("pass", "pass", "fail"),
}


def check_one(zones, out, row):
    """Problems with one manifest row."""
    path, ip, _name, _helo, mail_from, _rcpts, cls = row
    with open(os.path.join(out, path), "rb") as f:
        raw = f.read()
    msg = email.message_from_bytes(raw)
    sig = re.sub(r"\s+", "", msg["DKIM-Signature"])
    d = re.search(r"(?:^|;)d=([^;]+)", sig).group(1)
    dkim_res = "pass" if dkim.verify(raw, dnsfunc=zones.dkim_txt) else "fail"
    mf_dom = mail_from.split("@")[1]
    spf_res = spf(zones, ip, mf_dom)
    from_dom = email.utils.parseaddr(msg["From"])[1].split("@")[1].lower()
    dm, policy = dmarc(zones, from_dom, d, dkim_res == "pass", mf_dom, spf_res)
    got = (dkim_res, spf_res, dm)
    probs = []
    if got != EXPECT[cls]:
        probs.append("%s (%s): dkim/spf/dmarc %s, expected %s" % (path, cls, got, EXPECT[cls]))
    if cls == "fail-dmarc" and policy not in ("reject", "quarantine"):
        probs.append("%s: DMARC policy %s, expected reject or quarantine" % (path, policy))
    rev = ".".join(reversed(ip.split("."))) + "." + worldmod.BL_ZONE
    if bool(zones.get(rev, "A")) != (cls == "listed"):
        probs.append("%s (%s): blocklist says %s" % (path, cls, zones.get(rev, "A")))
    return probs


def check(out, rows):
    """Problems with the whole corpus (an empty list when all is well)."""
    zones = Zones(os.path.join(out, "zones"))
    probs = []
    for row in rows:
        probs += check_one(zones, out, row)
    return probs
