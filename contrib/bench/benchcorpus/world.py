"""world.py - the senders of the benchmark corpus and their DNS zones.

The world is fixed (it does not depend on the corpus seed): ~40 sender
domains with realistic public-suffix structure, two e-mail service providers,
a forwarder whose relays no sender authorises, the reverse zones of the
client addresses and the blocklist zone bl.bench.test. Client addresses come
only from the documentation ranges 192.0.2.0/24, 198.51.100.0/24 and
203.0.113.0/24, in /29 blocks.

DKIM keys: rsa-2048 keys are the fixed test keys in contrib/bench/keys/ (one
per sender domain); ed25519 keys are derived from the domain name, so both are
the same on every run. Every domain publishes one selector of each kind.

Public: build_world() -> World; World.write_zones(dir) -> [zone names];
parse_records and unquote_txt (for selfcheck.py, which reads the files back).
"""

import base64
import hashlib
import ipaddress
import os
import random

try:
    import nacl.signing
except ImportError:  # only --verify and ed25519 signing need it; mkcorpus checks
    nacl = None

KEYS_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "keys")
BL_ZONE = "bl.bench.test"
RCPT_DOMAIN = "mailhub.test"
MX_NAME = "mx.mailhub.test"
SOA_SERIAL = 2025030101

# (pattern, count, kind): kind decides what the domain sends and its policy
DOMAIN_PLAN = [
    ("brand%02d.com", 12, "brand"),
    ("shop%02d.co.uk", 8, "shop"),
    ("store%02d.com.au", 4, "shop"),
    ("club%02d.de", 4, "club"),
    ("bank%02d.com", 3, "bank"),
    ("mail%02d.net", 3, "mailbox"),
    ("deals%02d.biz", 3, "spammer"),
    ("bulk%02d.info", 2, "bulk"),
    ("uni%02d.ac.uk", 1, "club"),
]
ESP_NAMES = ["esp01.net", "esp02.net"]
FORWARDER = "forward01.org"


class Domain:
    """One sender domain: its addresses, records and keys."""

    def __init__(self, name, kind, index):
        self.name = name
        self.kind = kind
        self.index = index            # 1-based: keys/rsaNN.pem
        self.org = name.split(".")[0].capitalize()
        self.block = None             # ipaddress.IPv4Network /29
        self.hosts = []               # [(hostname, ip)] the outbound MTAs
        self.spf_style = "ip4"        # ip4 | mx | a | include
        self.all = "-all"
        self.esp = None               # ESP name for newsletters, or None
        self.news = False             # newsletters From news.<name>
        self.dmarc = None             # TXT of _dmarc.<name>, or None
        self.strict = False           # adkim=s / aspf=s: no subdomains
        self.rsa_selector = "s2025"
        self.ed_selector = "ed2025"
        with open(os.path.join(KEYS_DIR, "rsa%02d.pem" % index), "rb") as f:
            self.rsa_pem = f.read()
        seed = hashlib.sha256(b"portcullis-bench-ed25519:" + name.encode()).digest()
        self.ed_private = base64.b64encode(seed)
        self.ed_public = None
        if nacl is not None:
            vk = nacl.signing.SigningKey(seed).verify_key
            self.ed_public = base64.b64encode(bytes(vk)).decode()

    def rsa_public(self):
        """The p= value of the rsa key (base64 SubjectPublicKeyInfo DER)."""
        from cryptography.hazmat.primitives import serialization
        key = serialization.load_pem_private_key(self.rsa_pem, password=None)
        der = key.public_key().public_bytes(serialization.Encoding.DER,
                                            serialization.PublicFormat.SubjectPublicKeyInfo)
        return base64.b64encode(der).decode()

    def spf_record(self):
        """The apex SPF TXT."""
        if self.spf_style == "mx":
            mech = "mx"
        elif self.spf_style == "a":
            mech = " ".join("a:%s" % h for h, _ in self.hosts)
        elif self.spf_style == "include":
            mech = "include:_spf.%s" % self.name
        else:
            mech = "ip4:%s" % self.block
        if self.esp:
            mech += " include:_spf.%s" % self.esp
        return "v=spf1 %s %s" % (mech, self.all)


class Esp:
    """An e-mail service provider: a /28 of relays behind include:_spf.NAME."""

    def __init__(self, name, net):
        self.name = name
        self.net = net
        self.hosts = [("o%d.%s" % (i, name), str(net[i])) for i in range(1, 7)]


class World:
    """All domains, addresses and zones."""

    def __init__(self):
        self.domains = []
        self.esps = {}
        self.forward_hosts = []       # [(name or None, ip)] unauthorised relays
        self.listed = []              # client IPs on the blocklist
        self.bl_extra = []            # further listed IPs nobody sends from
        self.ptr = {}                 # ip -> name

    def domain(self, name):
        """The Domain whose name is name (or of which name is a subdomain)."""
        for d in self.domains:
            if name == d.name or name.endswith("." + d.name):
                return d
        raise KeyError(name)

    def by_kind(self, *kinds):
        """Domains of the given kinds."""
        return [d for d in self.domains if d.kind in kinds]

    # ------------------------------------------------------------ zones

    def zones(self):
        """{zone name: [record lines]} for every zone of the world."""
        z = {}
        for d in self.domains:
            z[d.name] = self._sender_zone(d)
        for esp in self.esps.values():
            z[esp.name] = self._esp_zone(esp)
        z[FORWARDER] = self._forwarder_zone()
        z.update(self._reverse_zones())
        z[BL_ZONE] = self._bl_zone()
        return z

    def _sender_zone(self, d):
        """Records of one sender domain."""
        r = ["@ IN A %s" % d.hosts[0][1]]
        r.append("@ IN MX 10 mx1.%s." % d.name)
        r.append("mx1 IN A %s" % d.hosts[0][1])
        for host, ip in d.hosts:
            r.append("%s. IN A %s" % (host, ip))
        r.append("@ IN TXT %s" % quote_txt(d.spf_record()))
        if d.spf_style == "include":
            r.append("_spf IN TXT %s" % quote_txt("v=spf1 ip4:%s -all" % d.block))
        if d.esp:
            r.append("bounce IN TXT %s" % quote_txt("v=spf1 include:_spf.%s -all" % d.esp))
            r.append("bounce IN MX 10 mx1.%s." % d.name)
        if d.news:
            r.append("news IN MX 10 mx1.%s." % d.name)
        r.append("%s._domainkey IN TXT %s" % (
            d.rsa_selector, quote_txt("v=DKIM1; k=rsa; p=" + d.rsa_public())))
        r.append("%s._domainkey IN TXT %s" % (
            d.ed_selector, quote_txt("v=DKIM1; k=ed25519; p=" + d.ed_public)))
        if d.dmarc:
            r.append("_dmarc IN TXT %s" % quote_txt(d.dmarc))
        return r

    def _esp_zone(self, esp):
        """An ESP: its relays and the SPF record its customers include."""
        r = ["@ IN A %s" % esp.hosts[0][1]]
        for host, ip in esp.hosts:
            r.append("%s. IN A %s" % (host, ip))
        r.append("_spf IN TXT %s" % quote_txt("v=spf1 ip4:%s ~all" % esp.net))
        r.append("@ IN TXT %s" % quote_txt("v=spf1 include:_spf.%s ~all" % esp.name))
        return r

    def _forwarder_zone(self):
        """The forwarder's relays (not authorised by anyone)."""
        r = ["@ IN TXT %s" % quote_txt("v=spf1 -all")]
        for host, ip in self.forward_hosts:
            if host:
                r.append("%s. IN A %s" % (host, ip))
        return r

    def _reverse_zones(self):
        """PTR records of every client with a name, one zone per /24."""
        zones = {}
        for net in ("192.0.2", "198.51.100", "203.0.113"):
            a, b, c = net.split(".")
            zones["%s.%s.%s.in-addr.arpa" % (c, b, a)] = []
        for ip, name in sorted(self.ptr.items(), key=lambda kv: ipaddress.ip_address(kv[0])):
            a, b, c, d = ip.split(".")
            zones["%s.%s.%s.in-addr.arpa" % (c, b, a)].append("%s IN PTR %s." % (d, name))
        return zones

    def _bl_zone(self):
        """The DNSBL: 127.0.0.2 (and a TXT) for each listed address, plus the test entry."""
        r = []
        for ip in ["127.0.0.2"] + sorted(set(self.listed + self.bl_extra),
                                         key=ipaddress.ip_address):
            rev = ".".join(reversed(ip.split(".")))
            r.append("%s IN A 127.0.0.2" % rev)
            r.append("%s IN TXT %s" % (rev, quote_txt("Listed by the bench blocklist: " + ip)))
        return r

    def write_zones(self, zdir):
        """Write DIR/zones/NAME.zone files; return the zone names in order."""
        os.makedirs(zdir, exist_ok=True)
        names = []
        for name, records in self.zones().items():
            head = [
                "; %s - benchmark corpus zone (generated by contrib/bench/mkcorpus.py)" % name,
                "$ORIGIN %s." % name,
                "$TTL 3600",
                "@ IN SOA ns1.bench.test. hostmaster.bench.test. %d 3600 600 86400 300"
                % SOA_SERIAL,
                "@ IN NS ns1.bench.test.",
            ]
            with open(os.path.join(zdir, name + ".zone"), "w", encoding="ascii",
                      newline="\n") as f:
                f.write("\n".join(head + records) + "\n")
            names.append(name)
        return names


def quote_txt(s):
    """A TXT rdata: the text in quoted strings of at most 255 bytes."""
    chunks = [s[i:i + 250] for i in range(0, len(s), 250)] or [""]
    return " ".join('"%s"' % c.replace("\\", "\\\\").replace('"', '\\"') for c in chunks)


def unquote_txt(rdata):
    """The text of a TXT rdata written by quote_txt (strings concatenated)."""
    out, i = [], 0
    while i < len(rdata):
        if rdata[i] == '"':
            j = i + 1
            while rdata[j] != '"':
                if rdata[j] == "\\":
                    j += 1
                out.append(rdata[j])
                j += 1
            i = j + 1
        else:
            i += 1
    return "".join(out)


def parse_records(zone, records):
    """(owner FQDN, type, rdata) for the record lines of one zone."""
    for line in records:
        owner, _cls, rtype, rdata = line.split(None, 3)
        if owner == "@":
            owner = zone
        elif owner.endswith("."):
            owner = owner[:-1]
        else:
            owner = "%s.%s" % (owner, zone)
        yield owner.lower(), rtype, rdata


def _blocks():
    """The /29 blocks of the three documentation /24s, in order."""
    for net in ("192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24"):
        yield from ipaddress.ip_network(net).subnets(new_prefix=29)


def build_world():
    """Make the fixed world (its own RNG: the corpus seed does not change it)."""
    rng = random.Random("portcullis-bench-world-1")
    w = World()
    blocks = list(_blocks())
    # the first and last block of each /24 hold .0 and .255: keep them out
    blocks = [b for b in blocks if b.network_address.packed[3] not in (0, 248)]
    index = 0
    for pattern, count, kind in DOMAIN_PLAN:
        for n in range(1, count + 1):
            index += 1
            w.domains.append(Domain(pattern % n, kind, index))
    # two ESPs: a /28 each (two adjacent /29 blocks, aligned)
    esp_nets = [ipaddress.ip_network("198.51.100.64/28"), ipaddress.ip_network("198.51.100.80/28")]
    for name, net in zip(ESP_NAMES, esp_nets):
        w.esps[name] = Esp(name, net)
        for host, ip in w.esps[name].hosts:
            w.ptr[ip] = host
    blocks = [b for b in blocks if not any(b.subnet_of(n) for n in esp_nets)]
    for d in w.domains:
        d.block = blocks.pop(0)
        nhosts = 1 if d.kind in ("club", "spammer") else rng.randint(2, 4)
        d.hosts = [("mta%d.%s" % (i + 1, d.name), str(d.block[i + 1])) for i in range(nhosts)]
        for host, ip in d.hosts:
            w.ptr[ip] = host
        _policy(d, rng)
    # the forwarder's relays: two with names, one without (client_name unknown)
    fwd = blocks.pop(0)
    w.forward_hosts = [("relay1.%s" % FORWARDER, str(fwd[1])),
                       ("relay2.%s" % FORWARDER, str(fwd[2])),
                       (None, str(fwd[3]))]
    for host, ip in w.forward_hosts:
        if host:
            w.ptr[ip] = host
    for d in w.by_kind("bulk"):
        w.listed += [ip for _, ip in d.hosts]
    extra = blocks.pop(0)
    w.bl_extra = [str(extra[i]) for i in range(1, 7)]
    return w


def _policy(d, rng):
    """SPF style, ESP use, newsletters and DMARC record of one domain."""
    styles = {"brand": ["ip4", "ip4", "include", "a"], "shop": ["ip4", "mx", "ip4"],
              "club": ["mx", "a", "ip4"], "bank": ["ip4"], "mailbox": ["include"],
              "spammer": ["ip4"], "bulk": ["ip4"]}
    d.spf_style = rng.choice(styles[d.kind])
    if d.spf_style == "mx":
        d.hosts = d.hosts[:1]  # the MX host is the outbound host
    d.all = "-all" if d.kind in ("bank", "mailbox") or rng.random() < 0.6 else "~all"
    if d.kind in ("brand", "shop"):
        d.esp = rng.choice(ESP_NAMES) if rng.random() < 0.6 else None
        d.news = rng.random() < 0.5
    if d.kind == "bank":
        d.strict = d.index % 2 == 0
        d.dmarc = "v=DMARC1; p=reject; rua=mailto:dmarc@%s" % d.name
        if d.strict:
            d.dmarc += "; adkim=s; aspf=s"
        d.esp, d.news = None, False
        return
    if d.kind in ("spammer", "bulk"):
        d.dmarc = "v=DMARC1; p=none"
        return
    p = rng.choice(["none", "none", "quarantine", "reject", "reject"])
    rec = "v=DMARC1; p=%s" % p
    if rng.random() < 0.3:
        rec += "; sp=%s" % rng.choice(["none", "quarantine", "reject"])
    if rng.random() < 0.15 and not d.esp and not d.news:
        d.strict = True
        rec += "; adkim=s; aspf=s"
    rec += "; rua=mailto:dmarc-reports@%s" % d.name
    d.dmarc = rec
