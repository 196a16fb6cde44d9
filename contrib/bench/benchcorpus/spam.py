"""spam.py - spam, listed and fail-dmarc scenarios (see scenarios.py for Draft).

Spam text is assembled from the examples of the rule table: a spam message
picks a category (phish, lottery, pharma, crypto, ...), takes a subject, body
phrases and links from that category's rules and the generic ones, and wraps
them in short filler text. So the spam class trips several rules by design,
while ham (made only of words.txt) trips none of the heavy ones.

Public: spam(rng, world, dr), listed(rng, world, dr), fail_dmarc(rng, world, dr).
"""

import re

from . import content, rules, scenarios, text
from .content import TextSource

CATEGORIES = ["phish", "lottery", "pharma", "crypto", "loan", "job", "dating", "prize", "shop",
              "malware"]
_RULES = rules.all_rules()
_RAW_TRICKS = [r for r in _RULES if r.target == "rawbody" and r.name != "RAW_BASE64_EXE"]


def _examples(target, category, rng, n):
    """Up to n examples of rules on target of the category (generic ones too)."""
    pool = [r for r in _RULES if r.target == target and r.category == category]
    generic = [r for r in _RULES if r.target == target and r.category == "any"]
    picked = rng.sample(pool, min(n, len(pool))) if pool else []
    if len(picked) < n and generic:
        picked += rng.sample(generic, min(n - len(picked), len(generic)))
    return [rng.choice(r.examples) for r in picked]


def _spam_paras(phrases, rng):
    """A maker of paragraphs: the phrases, each in a short sentence frame."""
    def make(r, size):
        out = []
        for p in phrases:
            out.append("%s %s" % (p[0].upper() + p[1:], text.sentence(r)))
        while sum(len(p) for p in out) < size:
            out.append(text.sentence(r))
        return out
    return make


def _spam_links(category, rng):
    """Links: a spammy domain from the url-domain examples plus a path from the url rules."""
    links = []
    for url in _examples("url", category, rng, rng.randint(0, 2)):
        links.append((url, "Click here"))
    for dom in _examples("url-domain", category, rng, rng.randint(1, 2)):
        links.append(("https://%s/%s" % (dom, scenarios._token(rng)), "Continue"))
    return links


def spam(rng, world, dr):
    """Spam from a spam domain that authenticates (SPF, DKIM, DMARC p=none all pass)."""
    d = rng.choice(world.by_kind("spammer"))
    cat = rng.choice(CATEGORIES)
    dr.sign_domain, dr.sign_d = d, d.name
    dr.client_ip, dr.client_name, dr.helo = scenarios._client(d, rng, world)
    froms = _examples("from", cat, rng, 1)
    dr.from_name = froms[0].split(" <")[0].strip('"') if froms else text.person(rng)
    dr.from_addr = "%s@%s" % (rng.choice(["info", "offers", "service", "alert", "win"]), d.name)
    dr.mail_from = "bounce-%s@%s" % (scenarios._token(rng, 8), d.name)
    dr.to = scenarios._recipients(rng)[:1]
    subj_cat = "phish" if cat == "malware" else cat
    dr.subject = (_examples("subject", subj_cat, rng, 1) or ["Important"])[0]
    phrases = (_examples("body", subj_cat, rng, rng.randint(1, 3))
               + _examples("body", "any", rng, rng.randint(0, 2)))
    links = _spam_links(subj_cat, rng)
    dr.shape = rng.choice(["html", "alternative", "plain"])
    raw = []
    if rng.random() < 0.4:
        raw = [rng.choice(r.examples) for r in rng.sample(_RAW_TRICKS, rng.randint(1, 2))]
    dr.src = TextSource(dr.subject, links=links,
                        lead=[rng.choice(["Dear valued customer,", "Dear friend,", "Hello,"])],
                        make_paras=_spam_paras(phrases, rng), raw_html=raw)
    dr.size = int(rng.uniform(2600, 9000))
    if cat in ("malware", "phish") and rng.random() < 0.6:
        name = (_examples("attachment", "malware", rng, 1) or ["invoice.pdf.exe"])[0]
        kind = "exe" if name.lower().endswith((".exe", ".scr")) else "zip"
        part = content.attachment(rng, kind, int(rng.uniform(3000, 15000)), filename=name)
        part.ctype = "application/octet-stream"
        dr.shape = "mixed"
        dr.attachments = [part]
        dr.size += len(part.body) * 4 // 3
    if rng.random() < 0.5:
        dr.headers.append(("Reply-To", (_examples("reply-to", cat, rng, 1) or ["x@mail01.net"])[0]))
    if rng.random() < 0.4:
        dr.mailer = _examples("x-mailer", "any", rng, 1)[0]
    if rng.random() < 0.3:
        dr.msgid = _examples("message-id", "any", rng, 1)[0]
    if rng.random() < 0.3:
        dr.headers.append(("X-Priority", "1 (Highest)"))
    if rng.random() < 0.5:  # injected from a home connection
        dr.submit_hop = "from %s (%s [%s]) by %s with ESMTP id %s" % (
            "dsl-203-0-113-%d.pool.dyn.%s" % (rng.randint(2, 250), d.name), "unknown",
            "203.0.113.%d" % rng.randint(2, 250), dr.client_name, scenarios._queue_id(rng))
    else:
        dr.submit_hop = scenarios._submit_hop(rng, d, dr.client_name, "ESMTP")


def listed(rng, world, dr):
    """A bulk promotion from a blocklisted sender (authenticates, mild content)."""
    d = rng.choice(world.by_kind("bulk"))
    dr.sign_domain, dr.sign_d = d, d.name
    dr.client_ip, dr.client_name, dr.helo = scenarios._client(d, rng, world)
    dr.from_name = "%s Deals" % d.org
    dr.from_addr = "promo@%s" % d.name
    dr.mail_from = "bounce-%s@%s" % (scenarios._token(rng, 8), d.name)
    dr.to = scenarios._recipients(rng)[:1]
    dr.subject = "%s: %s" % (rng.choice(["Hot offers", "Deals of the week", "Last chance"]),
                             scenarios._subject_words(rng, 3))
    dr.shape = rng.choice(["html", "alternative"])
    site = "https://www.%s" % d.name
    links = [("%s/deal/%s" % (site, scenarios._token(rng)), "See the deal") for _ in range(3)]
    dr.src = TextSource(dr.subject, links=links, images=["%s/i/%s.jpg" % (site, scenarios._token(rng))])
    dr.headers.append(("List-Unsubscribe", "<mailto:leave-%s@%s>" % (scenarios._token(rng), d.name)))


def fail_dmarc(rng, world, dr):
    """A bank's or brand's From, sent and signed by a spam domain: DMARC fails."""
    victim = rng.choice(world.by_kind("bank") + [x for x in world.by_kind("brand", "shop")
                                                if re.search(r"; p=(reject|quarantine)", x.dmarc)])
    d = rng.choice(world.by_kind("spammer"))
    dr.sign_domain, dr.sign_d = d, d.name
    dr.client_ip, dr.client_name, dr.helo = scenarios._client(d, rng, world)
    dr.from_name = "%s Customer Service" % victim.org
    dr.from_addr = "service@%s" % victim.name
    dr.mail_from = "bounce-%s@%s" % (scenarios._token(rng, 8), d.name)
    dr.to = scenarios._recipients(rng)[:1]
    dr.subject = "Your %s account notice" % victim.org
    dr.shape = rng.choice(["html", "alternative"])
    links = [("https://www.%s/account/%s" % (d.name, scenarios._token(rng)), "Sign in")]
    dr.src = TextSource(dr.subject, links=links, lead=["Hello,"],
                        tail=["%s Customer Service" % victim.org])
