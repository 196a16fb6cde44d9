"""rules.py - write the bench rules for Portcullis and, identically, for rspamd 3.4.

The rules are data (ruletable.py). Each target maps to a Portcullis target and
an rspamd regexp-module atom that sees the same text:

  Portcullis                  rspamd 3.4 regexp module
  header:NAME:decoded         NAME=/re/{header}       (H: RFC 2047 decoded, unfolded)
  header:NAME                 NAME=/re/{raw_header}   (X: undecoded, unfolded)
  body                        /re/{mime}              (P: text parts decoded to UTF-8,
                                                       HTML reduced to its text)
  url                         /re/{url}               (U: each URL's text, no mailto:)
  url-domain                  bench_tld=/re/{selector}  with the selector urls:get_tld
                                                       (registrable domain of each URL)
  attachment:name             bench_files=/re/{selector} with the selector files
                                                       (the file name of each part)
  rawbody                     /re/{body}              (M: the whole raw message)

Not identical, by nature of the two programs (noted in the generated files):
- rawbody is the body only in Portcullis, the whole message in rspamd; the
  rawbody rules below only match HTML or base64 text that never occurs in a
  top-level header, so on this corpus they agree.
- Folding: Portcullis keeps the blank after a removed line break, rspamd
  puts one space; the corpus folds with one space, so both see the same.
- URL normalisation differs in detail (percent-escapes, IDNA); the corpus's
  URLs are already in normal form.

Public: TARGETS, all_rules(), check_table(), write_portcullis(path),
write_rspamd(path).
"""

import re

from . import ruletable

# target -> (Portcullis target, rspamd header name or selector or None, rspamd type)
TARGETS = {
    "subject": ("header:Subject:decoded", "Subject", "header"),
    "from": ("header:From:decoded", "From", "header"),
    "reply-to": ("header:Reply-To:decoded", "Reply-To", "header"),
    "to": ("header:To:decoded", "To", "header"),
    "x-mailer": ("header:X-Mailer", "X-Mailer", "raw_header"),
    "message-id": ("header:Message-ID", "Message-ID", "raw_header"),
    "received": ("header:Received", "Received", "raw_header"),
    "content-type": ("header:Content-Type", "Content-Type", "raw_header"),
    "list-unsubscribe": ("header:List-Unsubscribe", "List-Unsubscribe", "raw_header"),
    "x-priority": ("header:X-Priority", "X-Priority", "raw_header"),
    "body": ("body", None, "mime"),
    "url": ("url", None, "url"),
    "url-domain": ("url-domain", "bench_tld", "selector"),
    "attachment": ("attachment:name", "bench_files", "selector"),
    "rawbody": ("rawbody", None, "body"),
}

# rspamd selectors the rules use: name -> selector expression
RSPAMD_SELECTORS = {"bench_tld": "urls:get_tld", "bench_files": "files"}


class Rule:
    """One rule of the table."""

    def __init__(self, name, target, pattern, flags, score, category, describe, examples):
        self.name = name
        self.target = target
        self.pattern = pattern
        self.flags = flags
        self.score = score
        self.category = category
        self.describe = describe
        self.examples = examples

    def python_re(self):
        """The pattern compiled with Python's re (for the self-test and the spam generator)."""
        pat = re.sub(r"\\x\{([0-9a-fA-F]+)\}", lambda m: "\\u%04x" % int(m.group(1), 16),
                     self.pattern)
        pat = pat.replace("\\/", "/")
        fl = 0
        for c, f in (("i", re.I), ("m", re.M), ("s", re.S), ("x", re.X)):
            if c in self.flags:
                fl |= f
        return re.compile(pat, fl)


def all_rules():
    """Every rule, in file order."""
    rules = []
    for target, table in ruletable.TABLES:
        for row in table:
            rules.append(Rule(row[0], target, *row[1:]))
    for target, row in zip(ruletable.OTHER_TARGETS, ruletable.OTHER_HEADERS):
        rules.append(Rule(row[0], target, *row[1:]))
    return rules


def check_table(rules):
    """Raise ValueError unless names are unique, patterns well-formed and examples match."""
    seen = set()
    for r in rules:
        if r.name in seen:
            raise ValueError("duplicate rule %s" % r.name)
        seen.add(r.name)
        if r.target not in TARGETS:
            raise ValueError("%s: unknown target %s" % (r.name, r.target))
        if " " in r.pattern or re.search(r"(?<!\\)/", r.pattern):
            raise ValueError("%s: blank or unescaped / in the pattern" % r.name)
        if not re.fullmatch(r"[imsxu]*", r.flags):
            raise ValueError("%s: bad flags %s" % (r.name, r.flags))
        rx = r.python_re()
        for ex in r.examples:
            if not rx.search(ex):
                raise ValueError("%s: does not match its example %r" % (r.name, ex))


def _escape_describe(text):
    """A describe string for a Portcullis rule file (printable ASCII in quotes)."""
    return text.replace("\\", "\\\\").replace('"', '\\"')


PORTCULLIS_HEAD = """\
# bench.rules - the benchmark's content rules (generated by contrib/bench/mkcorpus.py
# from contrib/bench/benchcorpus/ruletable.py; edit the table, not this file).
#
# %d rules on headers, the decoded body, URLs, their registrable domains,
# attachment names and the raw body. The same rules, one for one, are in
# rspamd/rspamd.local.lua for rspamd 3.4 (see the notes at the top of it).
# Scores are set for the stock policy: tag at 5, quarantine at 10, reject at 15.
"""


def write_portcullis(path, rules):
    """Write the Portcullis rule file."""
    out = [PORTCULLIS_HEAD % len(rules)]
    for r in rules:
        ptarget = TARGETS[r.target][0]
        out.append("rule %s" % r.name)
        out.append("    match    %s /%s/%s" % (ptarget, r.pattern, r.flags))
        out.append("    score    %s" % _fmt_score(r.score))
        out.append('    describe "%s"' % _escape_describe(r.describe))
        out.append("")
    with open(path, "w", encoding="ascii", newline="\n") as f:
        f.write("\n".join(out))


def _fmt_score(s):
    """A score as the rule file writes it: 2 -> 2.0."""
    return ("%.2f" % s).rstrip("0").rstrip(".") if s != int(s) else "%.1f" % s


RSPAMD_HEAD = """\
-- rspamd.local.lua - the benchmark's content rules for rspamd 3.4's regexp module
-- (generated by contrib/bench/mkcorpus.py from contrib/bench/benchcorpus/ruletable.py).
--
-- %d rules, one for one with rules/bench.rules (same names, patterns, flags and scores).
-- What each Portcullis target becomes here:
--   header:NAME:decoded  -> NAME=/re/{header}      (RFC 2047 decoded, unfolded)
--   header:NAME          -> NAME=/re/{raw_header}  (undecoded, unfolded)
--   body                 -> /re/{mime}             (decoded text parts, HTML as text)
--   url                  -> /re/{url}              (each URL, mailto: excluded)
--   url-domain           -> bench_tld=/re/{selector}   selector urls:get_tld
--                           (the registrable domain of each URL)
--   attachment:name      -> bench_files=/re/{selector} selector files
--   rawbody              -> /re/{body}             (the whole raw message)
-- Not identical by construction:
--   * rawbody: Portcullis matches the body only, rspamd's {body} the whole message
--     with its header; the rawbody rules match only HTML or base64 body text, which
--     the corpus never puts in a top-level header.
--   * folding: Portcullis keeps the blank after a removed line break, rspamd puts one
--     space; the corpus folds with a single space, so both see the same value.
--   * URL normalisation differs in detail; the corpus's URLs are in normal form.
-- Patterns contain no literal blanks (\\s is used), so each is one expression atom.
--
-- Load it as /etc/rspamd/rspamd.local.lua (or dofile() it from there): selectors
-- must be registered before the regexp module initialises.
"""


def write_rspamd(path, rules):
    """Write rspamd.local.lua: selector registrations and config['regexp'] entries."""
    out = [RSPAMD_HEAD % len(rules)]
    for name, sel in RSPAMD_SELECTORS.items():
        out.append("rspamd_config:register_re_selector('%s', '%s')" % (name, sel))
    out.append("")
    out.append("config['regexp'] = config['regexp'] or {}")
    out.append("local R = config['regexp']")
    out.append("")
    for r in rules:
        _, hdr, rtype = TARGETS[r.target]
        atom = "/%s/%s{%s}" % (r.pattern, r.flags, rtype)
        if hdr:
            atom = "%s=%s" % (hdr, atom)
        if "]==]" in atom:
            raise ValueError("%s: pattern holds the Lua long-string end" % r.name)
        out.append("R['%s'] = {" % r.name)
        out.append("  re = [==[%s]==]," % atom)
        out.append("  score = %s," % _fmt_score(r.score))
        out.append("  description = '%s'," % r.describe.replace("\\", "\\\\").replace("'", "\\'"))
        out.append("  group = 'bench',")
        out.append("  one_shot = true,")
        out.append("}")
    with open(path, "w", encoding="ascii", newline="\n") as f:
        f.write("\n".join(out) + "\n")
