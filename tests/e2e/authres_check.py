#!/usr/bin/python3
# authres_check.py FILE AUTHSERV-ID METHOD RESULT PTYPE.PROPERTY=VALUE [OTHER-ID...]
#
# Checks a delivered message (as smtp-sink wrote it): exactly one
# Authentication-Results header names AUTHSERV-ID; it parses with python3-authres
# (strict RFC 8601); it has a METHOD=RESULT result with that property. Each
# OTHER-ID must still have its own header (foreign A-R headers are kept).
# Prints what it found; exits 0 when all holds, 1 otherwise.
import email
import email.policy
import sys

import authres
import authres.core


class StrictHeader(authres.core.AuthenticationResultsHeader):
    """python3-authres' strict RFC 8601 mode (a keyword of the header class)."""

    def __init__(self, *args, **kwargs):
        kwargs["strict"] = True
        super().__init__(*args, **kwargs)


STRICT = authres.FeatureContext()
STRICT.header_class = StrictHeader


def main(argv):
    path, myid, method, result, prop = argv[1:6]
    others = argv[6:]
    msg = email.message_from_binary_file(open(path, "rb"), policy=email.policy.compat32)
    values = [v for k, v in msg.items() if k.lower() == "authentication-results"]
    mine, seen = [], set()
    for v in values:
        flat = " ".join(v.split())
        try:
            h = STRICT.parse("Authentication-Results: " + flat)
        except Exception as err:  # a forgery may be unparseable: report it
            print("unparseable A-R: %r (%s)" % (flat, err))
            if flat.lower().startswith(myid.lower()):
                mine.append(None)
            continue
        seen.add(h.authserv_id.lower())
        if h.authserv_id.lower() == myid.lower():
            mine.append(h)
        print("A-R: %s" % flat)
    ok = True
    if len(mine) != 1 or mine[0] is None:
        print("expected exactly one parseable A-R for %s, found %d" % (myid, len(mine)))
        return 1
    ptype, _, rest = prop.partition(".")
    pname, _, pvalue = rest.partition("=")
    hits = [r for r in mine[0].results if r.method == method and r.result == result and
            any(p.type == ptype and p.name == pname and p.value == pvalue
                for p in r.properties)]
    if not hits:
        print("no %s=%s with %s in our A-R" % (method, result, prop))
        ok = False
    for o in others:
        if o.lower() not in seen:
            print("the foreign A-R of %s is gone" % o)
            ok = False
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
