"""scenarios.py - who sends what: one function per kind of message.

Each scenario fills a Draft: the envelope (client, HELO, MAIL FROM, RCPT TO),
the author, the subject, extra headers, the signing domain and the body
(content.TextSource plus a shape). compose.py turns a Draft into bytes.

Ham: personal mail, business mail with attachments, newsletters (often via an
ESP, From news.<domain>), transactional notices. Spam: content built from the
rule table's examples, from the spam senders' own (authenticated) domains.
Listed: bulk promotions from the blocklisted senders. fail-dmarc: a bank's or
brand's From sent through a spam domain.

Public: Draft, ham(rng, world, draft) and the ham_* scenarios it picks from,
encoded_name, and helpers spam.py shares (_client, _recipients, _token, ...).
"""

from . import text
from .content import TextSource
from .mime import encoded_word
from .world import RCPT_DOMAIN


class Draft:
    """Everything a message is made of, before it becomes bytes."""

    def __init__(self):
        self.cls = "ham"
        self.client_ip = self.client_name = self.helo = None
        self.mail_from = None
        self.rcpts = []
        self.from_name = None           # display name (str, may be non-ASCII)
        self.from_addr = None
        self.to = []                    # [(name, addr)]
        self.subject = ""
        self.headers = []               # [(name, value)] extra headers, signed when listed
        self.sign_domain = None         # Domain object that signs
        self.sign_d = None              # d= value
        self.shape = "plain"
        self.src = None                 # content.TextSource
        self.attachments = []           # [(kind, share)] or [Part]
        self.size = 10000
        self.charset_hdr = "utf-8"      # charset of encoded words
        self.mailer = None              # X-Mailer / User-Agent value
        self.msgid = None               # Message-ID override (spam shapes)
        self.submit_hop = None          # the sender's first Received (str) or None


def _recipients(rng):
    """One to three local recipients."""
    out = []
    for _ in range(rng.choice([1, 1, 1, 1, 2, 3])):
        name = text.person(rng)
        addr = "%s@%s" % (name.lower().replace(" ", "."), RCPT_DOMAIN)
        if addr not in [a for _, a in out]:
            out.append((name, addr))
    return out


def _client(d, rng, world):
    """(ip, name, helo) of one of the domain's own outbound hosts."""
    host, ip = rng.choice(d.hosts)
    return ip, host, host


def _esp_client(d, rng, world):
    """(ip, name, helo) of a relay of the domain's ESP."""
    host, ip = rng.choice(world.esps[d.esp].hosts)
    return ip, host, host


def _pick_size(rng, shape):
    """A target size in bytes for a shape (lognormal, clipped to 2.5-48 KB)."""
    median = {"plain": 8000, "html": 15000, "alternative": 22000, "mixed": 40000}[shape]
    s = rng.lognormvariate(0, 0.55) * median
    if s > 48000:  # spread the tail instead of piling it up at the limit
        s = rng.uniform(30000, 48000)
    return int(max(s, 2600))


def _charset(rng, d):
    """(charset, cte, extra words) for a message's text."""
    r = rng.random()
    if d.name.endswith((".de", ".co.uk")) and r < 0.35 or r < 0.12:
        if rng.random() < 0.5:
            return "iso-8859-1", "quoted-printable", "latin1"
        return "utf-8", rng.choice(["quoted-printable", "8bit", "base64"]), "utf8"
    return "us-ascii", "7bit", None


def _subject_words(rng, n):
    """A subject of n words from the vocabulary."""
    words = [text.word(rng, rng.choice(["adjective", "noun", "noun"])) for _ in range(n)]
    s = " ".join(words)
    return s[0].upper() + s[1:]


def _submit_hop(rng, d, by_host, how="ESMTPSA"):
    """The sender's internal Received hop (submission to its outbound MTA)."""
    ip = str(d.block[6]) if d.block.num_addresses > 6 else str(d.block[1])
    src = "app%02d.int.%s" % (rng.randint(1, 9), d.name)
    return "from %s (%s [%s]) by %s (Postfix) with %s id %s" % (
        src, src, ip, by_host, how, _queue_id(rng))


def _queue_id(rng):
    """A Postfix-like queue id."""
    return "".join(rng.choice("0123456789BCDFGHJKLMNPQRSTVWXYZ") for _ in range(11))


def _token(rng, n=10):
    """A short URL token."""
    return "".join(rng.choice("abcdefghijkmnpqrstuvwxyz23456789") for _ in range(n))


# ------------------------------------------------------------------ ham


def ham_personal(rng, world, dr):
    """A person at a mailbox provider (or a club/university) writes to a person."""
    d = rng.choice(world.by_kind("mailbox", "club"))
    dr.sign_domain, dr.sign_d = d, d.name
    name = text.person(rng)
    dr.from_name = name
    dr.from_addr = "%s@%s" % (name.lower().replace(" ", "."), d.name)
    dr.mail_from = dr.from_addr
    dr.client_ip, dr.client_name, dr.helo = _client(d, rng, world)
    dr.to = _recipients(rng)
    reply = rng.random() < 0.4
    dr.subject = ("Re: " if reply else "") + _subject_words(rng, rng.randint(2, 5))
    dr.shape = rng.choice(["plain", "plain", "plain", "alternative", "mixed"])
    charset, cte, extra = _charset(rng, d)
    greeting = "Hi %s," % dr.to[0][0].split()[0]
    sign = "%s\r\n%s" % ("Best wishes," if rng.random() < 0.5 else "Cheers,", name.split()[0])
    dr.src = TextSource(dr.subject, charset=charset, cte=cte, extra=extra,
                        lead=[greeting], tail=[sign.replace("\r\n", " ")])
    if extra:
        dr.from_name = name.split()[0] + " " + text.word(rng, extra).capitalize()
        dr.charset_hdr = charset
        dr.subject = _subject_words(rng, 2) + " " + text.word(rng, extra)
    if dr.shape == "mixed":
        dr.attachments = [(rng.choice(["jpg", "jpg", "png", "pdf", "docx"]), rng.uniform(0.4, 0.8))]
    if reply:
        dr.headers.append(("In-Reply-To", "<%s@%s>" % (_token(rng, 16), d.name)))
        day = rng.choice(["Monday", "Tuesday", "Wednesday", "Thursday", "Friday"])
        dr.src.quote = ("On %s, %s wrote:" % (day, dr.to[0][0]),
                        [text.paragraph(rng) for _ in range(rng.randint(1, 3))])
    if rng.random() < 0.3:
        dr.src.links.append(("https://www.%s/%s/%s" % (
            rng.choice(world.domains).name, text.word(rng, "noun"), _token(rng)), "Link"))
    dr.mailer = rng.choice(["Mozilla/5.0 (X11; Linux x86_64; rv:115.0) Gecko/20100101 Thunderbird/115.8.0",
                            "Roundcube Webmail/1.6.5", "Apple Mail (2.3731.700.6)", None])
    dr.submit_hop = _submit_hop(rng, d, dr.client_name)


def ham_business(rng, world, dr):
    """Someone at a company writes to a customer or partner, often with files."""
    d = rng.choice(world.by_kind("brand", "shop", "club", "bank"))
    dr.sign_domain, dr.sign_d = d, d.name
    name = text.person(rng)
    dr.from_name = "%s (%s)" % (name, d.org) if rng.random() < 0.3 else name
    dr.from_addr = "%s@%s" % (name.split()[0].lower(), d.name)
    dr.mail_from = dr.from_addr
    dr.client_ip, dr.client_name, dr.helo = _client(d, rng, world)
    dr.to = _recipients(rng)
    dr.subject = rng.choice(["Re: ", "", "", "Fwd: "]) + _subject_words(rng, rng.randint(2, 6))
    dr.shape = rng.choice(["mixed", "mixed", "alternative", "plain"])
    charset, cte, extra = _charset(rng, d)
    dr.src = TextSource(dr.subject, charset=charset, cte=cte, extra=extra,
                        lead=["Dear %s," % dr.to[0][0]],
                        tail=["Kind regards, %s, %s, %s" % (name, d.org, text.word(rng, "city"))])
    if rng.random() < 0.3:
        dr.src.links.append(("https://files.%s/share/%s" % (d.name, _token(rng, 14)),
                             "The files are also here"))
    if dr.shape == "mixed":
        kinds = rng.choice([["pdf"], ["docx"], ["pdf", "png"], ["zip"], ["pdf", "docx"]])
        share = rng.uniform(0.5, 0.85) / len(kinds)
        dr.attachments = [(k, share) for k in kinds]
    dr.mailer = rng.choice(["Microsoft Outlook 16.0", "Microsoft Outlook 16.0",
                            "Mozilla Thunderbird 115.8.0", None])
    dr.submit_hop = _submit_hop(rng, d, dr.client_name)


def ham_newsletter(rng, world, dr):
    """A newsletter from a brand or shop (via its ESP when it has one)."""
    d = rng.choice([x for x in world.by_kind("brand", "shop") if x.news or x.esp])
    dr.sign_domain, dr.sign_d = d, d.name
    from_dom = "news." + d.name if d.news else d.name
    dr.from_name = "%s %s" % (d.org, rng.choice(["News", "Weekly", "Team", "Updates"]))
    dr.from_addr = "newsletter@%s" % from_dom
    if d.esp:
        dr.mail_from = "bounce-%s@bounce.%s" % (_token(rng, 12), d.name)
        dr.client_ip, dr.client_name, dr.helo = _esp_client(d, rng, world)
        esp = world.esps[d.esp]
        dr.submit_hop = "from api.%s (api.%s [%s]) by %s (Postfix) with ESMTP id %s" % (
            esp.name, esp.name, esp.net[12], dr.client_name, _queue_id(rng))
    else:
        dr.mail_from = "newsletter@%s" % d.name
        dr.client_ip, dr.client_name, dr.helo = _client(d, rng, world)
    dr.to = _recipients(rng)[:1]
    dr.subject = "%s: %s" % (rng.choice(["This week", "New in", "Your update", "Spring edition"]),
                             _subject_words(rng, rng.randint(3, 6)))
    dr.shape = rng.choice(["alternative", "alternative", "html"])
    site = "https://www.%s" % d.name
    links = [("%s/%s/%s" % (site, text.word(rng, "noun"), _token(rng)), "Read more")
             for _ in range(rng.randint(2, 5))]
    links.append(("%s/preferences?id=%s" % (site, _token(rng, 16)), "Manage your preferences"))
    images = ["https://cdn.%s/img/%s.png" % (d.name, _token(rng)) for _ in range(rng.randint(1, 3))]
    # marketing wording that some light rules see (ham may be tagged, never more)
    lead = []
    if rng.random() < 0.25:
        lead.append(rng.choice(["This limited-time offer ends on Sunday.",
                                "Click here to see the whole collection.",
                                "Members get a welcome bonus on the first order."]))
    dr.src = TextSource(dr.subject, links=links, images=images, lead=lead,
                        tail=["You receive this because you signed up at %s." % d.name])
    unsub = "<%s/unsubscribe/%s>, <mailto:unsubscribe-%s@%s>" % (site, _token(rng, 16), _token(rng),
                                                                  d.name)
    dr.headers += [("List-Unsubscribe", unsub), ("List-Unsubscribe-Post", "List-Unsubscribe=One-Click"),
                   ("List-Id", "<news.%s>" % d.name), ("Precedence", "bulk")]
    dr.mailer = None


def ham_transactional(rng, world, dr):
    """An order, shipping or statement notice from a shop, brand or bank."""
    d = rng.choice(world.by_kind("shop", "brand", "bank"))
    dr.sign_domain, dr.sign_d = d, d.name
    dr.from_name = d.org
    dr.from_addr = "%s@%s" % (rng.choice(["no-reply", "orders", "service", "notifications"]), d.name)
    dr.mail_from = dr.from_addr
    dr.client_ip, dr.client_name, dr.helo = _client(d, rng, world)
    dr.to = _recipients(rng)[:1]
    order = rng.randint(100000, 999999)
    item = text.word(rng, "product")
    kind = rng.choice(["order", "shipped", "statement"] if d.kind == "bank" else ["order", "shipped"])
    if d.kind == "bank":
        kind = "statement"
    subj = {"order": "Your order %d is confirmed" % order,
            "shipped": "Your %s is on its way (order %d)" % (item, order),
            "statement": "Your %s statement is available" % rng.choice(["monthly", "quarterly"])}
    dr.subject = subj[kind]
    dr.shape = rng.choice(["html", "alternative", "mixed"])
    site = "https://www.%s" % d.name
    links = [("%s/account/orders/%d" % (site, order), "View your order"),
             ("%s/help" % site, "Help centre")]
    dr.src = TextSource(dr.subject, links=links, lead=["Hello %s," % dr.to[0][0].split()[0]],
                        tail=["Thank you, the %s team." % d.org])
    if dr.shape == "mixed":
        dr.attachments = [("pdf", rng.uniform(0.5, 0.8))]
    dr.mailer = None
    dr.submit_hop = _submit_hop(rng, d, dr.client_name, "ESMTP")


HAM = [(ham_personal, 0.34), (ham_business, 0.26), (ham_newsletter, 0.25),
       (ham_transactional, 0.15)]


def ham(rng, world, dr):
    """One of the ham scenarios, by weight."""
    r = rng.random()
    for fn, w in HAM:
        if r < w:
            return fn(rng, world, dr)
        r -= w
    return HAM[-1][0](rng, world, dr)


def encoded_name(name, charset):
    """A display name, RFC 2047-encoded when not ASCII, else quoted when needed."""
    if any(ord(c) > 126 for c in name):
        return encoded_word(name, charset, "Q" if charset == "iso-8859-1" else "B")
    if any(c in name for c in '(),.:;<>@[]"'):
        return '"%s"' % name.replace('"', '\\"')
    return name
