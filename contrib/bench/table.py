#!/usr/bin/env python3
"""table.py [--mode milter|postfix] [--corpus DIR] RESULTS - the benchmark's table.

RESULTS holds one line per milterload run, as contrib/bench/run writes them:
"KIND key=value ..." where KIND is warm, load, idle or big and the keys are
milterload's RESULT fields plus round=, peer= and conns=. Figures are medians
over the rounds; warm-up runs are not counted."""
import argparse
import statistics
import sys

PEER_NAMES = {
    "portcullis": "Portcullis",
    "chain": "OpenDKIM+OpenDMARC",
    "rspamd": "rspamd (proxy)",
    "null": "null milter",
}


def parse(path):
    runs = []
    with open(path) as f:
        for line in f:
            words = line.split()
            if not words:
                continue
            rec = {"kind": words[0]}
            for w in words[1:]:
                k, _, v = w.partition("=")
                rec[k] = v
            runs.append(rec)
    return runs


def num(rec, key):
    try:
        return float(rec[key])
    except (KeyError, ValueError):
        return None


def median(runs, key):
    vals = [v for v in (num(r, key) for r in runs) if v is not None]
    return statistics.median(vals) if vals else None


def fmt(v, digits=2):
    if v is None:
        return "-"
    if abs(v) >= 100:
        return "%.0f" % v
    return "%.*f" % (digits, v)


def ratio(a, b):
    if a is None or b is None or b == 0:
        return "-"
    return "%.2fx" % (a / b)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--mode", default="milter")
    ap.add_argument("--corpus", default="")
    ap.add_argument("--rate", default="")
    ap.add_argument("results")
    a = ap.parse_args()
    runs = parse(a.results)
    peers = []
    for r in runs:
        p = r.get("peer")
        if p and p not in peers:
            peers.append(p)
    conns = sorted({int(r["conns"]) for r in runs if r["kind"] == "load" and "conns" in r})
    ref_c = 8 if 8 in conns else (conns[0] if conns else None)
    rounds = len({r.get("round") for r in runs if r["kind"] == "load"})

    def loads(p, c=None):
        return [
            r
            for r in runs
            if r["kind"] == "load" and r.get("peer") == p and (c is None or int(r["conns"]) == c)
        ]

    def one(p, kind):
        got = [r for r in runs if r["kind"] == kind and r.get("peer") == p]
        return got[0] if got else {}

    fig = {}
    for p in peers:
        f = {"cpu": median(loads(p, ref_c), "cpu_ms_per_msg")}
        for c in conns:
            f["rate%d" % c] = median(loads(p, c), "msgs_per_s")
        paced = [r for r in runs if r["kind"] == "paced" and r.get("peer") == p]
        f["p99"] = median(paced, "eom_p99_ms")
        f["p50"] = median(paced, "eom_p50_ms")
        f["rss"] = median(loads(p, conns[-1] if conns else None), "rss_kb")
        idle = one(p, "idle")
        f["idle"] = num(idle, "rss_kb")
        big = one(p, "big")
        f["big"] = num(big, "hwm_delta_kb")
        last = loads(p, ref_c)[-1:] or [{}]
        f["verdicts"] = " ".join(
            "%s=%s" % (k, last[0][k])
            for k in ("accept", "tag", "quarantine", "reject", "tempfail", "discard")
            if last[0].get(k, "0") not in ("0", "")
        )
        fig[p] = f

    # the protocol's own cost: the null milter's CPU per message, once per milter a peer
    # chains (libmilter's, on this machine); what is left is the filter's own work
    floor = fig.get("null", {}).get("cpu")
    for p in peers:
        nf = max((int(num(r, "milters") or 1) for r in loads(p)), default=1)
        cpu = fig[p]["cpu"]
        fig[p]["work"] = cpu - nf * floor if cpu is not None and floor is not None else None

    kb = 1024.0
    head = ["filter", "CPU ms/msg", "above null"]
    head += ["msg/s c=%d" % c for c in conns]
    head += ["p50/p99 eom ms @%s/s" % a.rate, "RSS MB", "1000 idle MB", "25MB msg +MB"]
    rows = []
    for p in peers:
        f = fig[p]
        row = [PEER_NAMES.get(p, p), fmt(f["cpu"], 3), fmt(f["work"], 3)]
        row += [fmt(f["rate%d" % c], 0) for c in conns]
        row += [
            "%s/%s" % (fmt(f["p50"]), fmt(f["p99"])),
            fmt(f["rss"] / kb if f["rss"] else None, 1),
            fmt(f["idle"] / kb if f["idle"] else None, 1),
            fmt(f["big"] / kb if f["big"] is not None else None, 1),
        ]
        rows.append(row)
    widths = [max(len(r[i]) for r in rows + [head]) for i in range(len(head))]
    title = "Portcullis benchmark (%s mode), %d round(s), medians" % (a.mode, rounds)
    if a.corpus:
        title += "; corpus %s" % a.corpus
    print(title)
    print("  ".join(h.ljust(w) for h, w in zip(head, widths)))
    print("  ".join("-" * w for w in widths))
    for r in rows:
        print("  ".join(c.ljust(w) for c, w in zip(r, widths)))
    print()
    print("verdicts at c=%s (last round):" % ref_c)
    for p in peers:
        print("  %-20s %s" % (PEER_NAMES.get(p, p), fig[p]["verdicts"] or "-"))
    if "portcullis" in fig:
        me = fig["portcullis"]
        print()
        print("Portcullis against each filter. CPU: the peer's CPU per message divided by")
        print("Portcullis's (higher is better for Portcullis); 'above null': the same for the")
        print("CPU above the protocol's own cost (the null milter's, once per milter in the")
        print("peer); throughput: Portcullis's messages/s divided by the peer's.")
        for p in peers:
            if p == "portcullis":
                continue
            f = fig[p]
            tput = "  ".join(
                "c=%d %s" % (c, ratio(me["rate%d" % c], f["rate%d" % c])) for c in conns
            )
            work = ""
            if p != "null" and f["work"] is not None and me["work"]:
                work = "   above null %s" % ratio(f["work"], me["work"])
            print(
                "  %-20s CPU %s%s   throughput %s"
                % (PEER_NAMES.get(p, p), ratio(f["cpu"], me["cpu"]), work, tput)
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
