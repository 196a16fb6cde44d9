#!/usr/bin/python3
"""mkcorpus.py - build the benchmark corpus: messages, DNS zones, rules (issue 9).

usage: mkcorpus.py [--seed S] [--count N] [--out DIR] [--verify]

Writes, under DIR (see /work/wt/SPEC.md, "Corpus directory"):
  msg/NNNN.eml        the messages, CRLF, DKIM-signed, as an MTA passes them
  manifest.tsv        path client_ip client_name helo mail_from rcpts class
  zones/NAME.zone     SPF, DKIM, DMARC, MX, A and PTR records; bl.bench.test
  rules/bench.rules   the ~200 content rules for Portcullis
  rspamd/rspamd.local.lua   the same rules for rspamd 3.4's regexp module
  bench.env           BL_ZONE, RULES, RSPAMD_RULES, ZONES

The same seed gives the same bytes: every random choice, date, Message-ID,
boundary and DKIM t= comes from random.Random(seed). --verify then checks
every DKIM signature against the zones just written (no network): good for
every class but fail-dkim, bad for fail-dkim; and evaluates SPF, DMARC and
the blocklist from the same zones, so that each class fails (or passes) as
its label says (benchcorpus/selfcheck.py).

Needs Debian's python3-dkim, python3-nacl and python3-cryptography (run it
with /usr/bin/python3). The keys in contrib/bench/keys/ are test keys.
"""

import argparse
import os
import random
import shutil
import sys
import time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from benchcorpus import compose, content, rules, scenarios, spam, world  # noqa: E402

# class -> share of the corpus; ham takes the rest
CLASS_SHARES = [("fail-dkim", 0.015), ("fail-spf", 0.015), ("fail-dmarc", 0.015),
                ("listed", 0.03), ("spam", 0.025)]
BASE_TIME = 1740988800  # 2025-03-03 08:00:00 UTC: every Date and t= counts from here


def class_plan(rng, count):
    """The class of each message: exact shares, in seeded random order."""
    plan = []
    for cls, share in CLASS_SHARES:
        plan += [cls] * max(1, round(count * share)) if count >= 20 else []
    plan += ["ham"] * (count - len(plan))
    plan = plan[:count]
    rng.shuffle(plan)
    return plan


def make_draft(rng, cls, w):
    """A Draft of the class."""
    dr = scenarios.Draft()
    dr.cls = cls
    if cls == "spam":
        spam.spam(rng, w, dr)
    elif cls == "listed":
        spam.listed(rng, w, dr)
    elif cls == "fail-dmarc":
        spam.fail_dmarc(rng, w, dr)
    else:
        scenarios.ham(rng, w, dr)
        if cls == "fail-spf":
            _unauthorised_client(rng, w, dr)
    if dr.size == 10000:  # the scenario left the size to us
        dr.size = scenarios._pick_size(rng, dr.shape)
    dr.rcpts = [a for _, a in dr.to]
    return dr


def _unauthorised_client(rng, w, dr):
    """fail-spf: the mail comes through the forwarder, from a -all domain.

    The ham scenario already drawn is redrawn (personal or business mail)
    until its envelope domain publishes -all.
    """
    while dr.sign_domain.all != "-all" or dr.mail_from.split("@")[1] != dr.sign_domain.name:
        dr.__init__()
        dr.cls = "fail-spf"
        if rng.random() < 0.5:
            scenarios.ham_business(rng, w, dr)
        else:
            scenarios.ham_personal(rng, w, dr)
    host, ip = rng.choice(w.forward_hosts)
    dr.client_ip = ip
    dr.client_name = host or "unknown"
    dr.helo = host or "relay3.%s" % world.FORWARDER


SIZE_MIN, SIZE_MAX = 2 * 1024, 50 * 1024


def build_message(rng, dr, when):
    """The bytes of one message (2-50 KB) and its signing info."""
    target = dr.size
    for _ in range(5):
        root = content.build_body(rng, dr.shape, max(target - 2200, 800), dr.src,
                                  compose._boundary_maker(rng), dr.attachments)
        msg, info = compose.compose(rng, dr, when, root)
        if len(msg) < SIZE_MIN + 200:
            target += SIZE_MIN + 600 - len(msg)
        elif len(msg) > SIZE_MAX - 500:
            target -= len(msg) - SIZE_MAX + 2000
        else:
            break
    if dr.cls == "fail-dkim":
        msg = compose.tamper(rng, msg)
    return msg, info


def write_env(out, zone_names):
    """DIR/bench.env."""
    with open(os.path.join(out, "bench.env"), "w", encoding="ascii") as f:
        f.write("# bench.env - made by contrib/bench/mkcorpus.py; source it\n")
        f.write("BL_ZONE=%s\n" % world.BL_ZONE)
        f.write("RULES=%s\n" % os.path.join(out, "rules", "bench.rules"))
        f.write("RSPAMD_RULES=%s\n" % os.path.join(out, "rspamd", "rspamd.local.lua"))
        f.write('ZONES="%s"\n' % " ".join(zone_names))


def build(seed, count, out):
    """Write the whole corpus; return [(path, cls, size, info)]."""
    w = world.build_world()
    rng = random.Random(seed)
    for sub in ("msg", "zones", "rules", "rspamd"):
        shutil.rmtree(os.path.join(out, sub), ignore_errors=True)
        os.makedirs(os.path.join(out, sub))
    zone_names = w.write_zones(os.path.join(out, "zones"))
    rs = rules.all_rules()
    rules.check_table(rs)
    rules.write_portcullis(os.path.join(out, "rules", "bench.rules"), rs)
    rules.write_rspamd(os.path.join(out, "rspamd", "rspamd.local.lua"), rs)
    write_env(out, zone_names)
    width = max(4, len(str(count)))
    records, manifest = [], []
    when = BASE_TIME
    for i, cls in enumerate(class_plan(rng, count), 1):
        when += rng.randint(5, 90)
        dr = make_draft(rng, cls, w)
        msg, info = build_message(rng, dr, when)
        path = "msg/%0*d.eml" % (width, i)
        with open(os.path.join(out, path), "wb") as f:
            f.write(msg)
        manifest.append("\t".join([path, dr.client_ip, dr.client_name or "unknown", dr.helo,
                                   dr.mail_from or "-", ",".join(dr.rcpts), cls]))
        info["shape"] = dr.shape
        records.append((path, cls, len(msg), info))
    with open(os.path.join(out, "manifest.tsv"), "w", encoding="ascii", newline="\n") as f:
        f.write("\n".join(manifest) + "\n")
    return w, records


def verify(out):
    """The self-check (selfcheck.py) of the corpus in out; prints problems, returns their count."""
    from benchcorpus import selfcheck
    with open(os.path.join(out, "manifest.tsv"), encoding="ascii") as f:
        rows = [ln.rstrip("\n").split("\t") for ln in f]
    probs = selfcheck.check(out, rows)
    for p in probs:
        print("verify: " + p, file=sys.stderr)
    print("verify: %d messages: DKIM verified with dkimpy, SPF, DMARC and the blocklist "
          "evaluated from the zones; %d problems" % (len(rows), len(probs)))
    return len(probs)


def stats(records):
    """Print counts per class, sizes and key types."""
    by = {}
    for _p, cls, _s, _i in records:
        by[cls] = by.get(cls, 0) + 1
    sizes = [s for _p, _c, s, _i in records]
    algs, shapes = {}, {}
    for _p, _c, _s, info in records:
        algs[info["alg"]] = algs.get(info["alg"], 0) + 1
        shapes[info["shape"]] = shapes.get(info["shape"], 0) + 1
    print("messages: %d  %s" % (len(records), "  ".join("%s=%d" % kv for kv in sorted(by.items()))))
    print("size: min %d  mean %d  max %d bytes" % (min(sizes), sum(sizes) // len(sizes), max(sizes)))
    print("keys: %s" % "  ".join("%s=%d" % kv for kv in sorted(algs.items())))
    print("shapes: %s" % "  ".join("%s=%d" % kv for kv in sorted(shapes.items())))


def main():
    """Parse the options, build, optionally verify."""
    ap = argparse.ArgumentParser(description="Build the benchmark corpus (issue 9).")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--count", type=int, default=1000)
    ap.add_argument("--out", default="corpus")
    ap.add_argument("--verify", action="store_true", help="check the DKIM signatures and sizes")
    a = ap.parse_args()
    if a.count < 1:
        ap.error("--count must be at least 1")
    out = os.path.abspath(a.out)
    t0 = time.process_time()
    _w, records = build(a.seed, a.count, out)
    print("wrote %d messages to %s in %.1f s CPU" % (len(records), out, time.process_time() - t0))
    stats(records)
    if a.verify:
        if verify(out):
            sys.exit(1)


if __name__ == "__main__":
    main()
