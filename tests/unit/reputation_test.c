/*
 * reputation_test.c - DNSBL, RHSBL and iprev against local DNS data: IPv4, IPv6 and
 * IPv4-mapped clients, listed codes, refusal codes, SERVFAIL, each identity, one query per
 * name, iprev pass, fail, permerror and temperror, and list definitions.
 *
 * OUTPUT
 *	TAP on stdout (see tap.h).
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "dns.h"
#include "errlist.h"
#include "findings.h"
#include "nxdns.h"
#include "replist.h"
#include "reputation.h"
#include "tap.h"

static const char *const zone[] = {
    /* DNSBL bl.example: 192.0.2.2 listed, 192.0.2.3 refused, 2001:db8::2 listed */
    "2.2.0.192.bl.example. 300 IN A 127.0.0.2",
    "3.2.0.192.bl.example. 300 IN A 127.255.255.254",
    "4.2.0.192.bl.example. 300 IN A 127.0.0.4",
    "2.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.bl.example. 300 IN A "
    "127.0.0.3",
    /* RHSBL dbl.example */
    "spammer.example.dbl.example. 300 IN A 127.0.1.2",
    "badhelo.example.dbl.example. 300 IN A 127.0.1.3",
    "badptr.example.dbl.example. 300 IN A 127.0.1.4",
    /* URIBL uri.example: a link domain and an IP-literal link host */
    "spamlink.example.uri.example. 300 IN A 127.0.0.2",
    "99.2.0.192.uri.example. 300 IN A 127.0.0.3",
    "www.spamhost.example.uri.example. 300 IN A 127.0.0.4",
    /* iprev: 192.0.2.2 -> good.example -> 192.0.2.2; 192.0.2.4 -> liar.example (no A) */
    "2.2.0.192.in-addr.arpa. 300 IN PTR good.example.",
    "good.example. 300 IN A 192.0.2.2",
    "4.2.0.192.in-addr.arpa. 300 IN PTR liar.example.",
    "liar.example. 300 IN A 198.51.100.1",
};

/* fact - value of a finding, or NULL */
static const char *fact(const struct findings *f, const char *name)
{
	return fnd_get(f, name);
}

/* run - a connection from addr/name with helo, sender and from; the findings */
static struct findings *run(struct dns *d, const struct replist *l, size_t n, const char *addr,
			    const char *name, const char *helo, const char *sender,
			    const char *from, const char **iprev)
{
	struct rep *r = rep_new(d, l, n, 1, 5000);
	struct findings *f = fnd_new();
	if (r == NULL || f == NULL || rep_client(r, addr, name) < 0 || rep_helo(r, helo) < 0) {
		rep_free(r);
		fnd_free(f);
		return NULL;
	}
	rep_message(r);
	struct timespec dl;
	dns_deadline(&dl, 5000);
	if (rep_sender(r, sender) < 0 || (from && rep_from(r, from) < 0) ||
	    rep_facts(r, &dl, f) < 0) {
		rep_free(r);
		fnd_free(f);
		return NULL;
	}
	if (iprev)
		*iprev = rep_iprev(r, NULL);
	rep_free(r);
	return f;
}

/* test_defs - list definitions */
static void test_defs(void)
{
	static const struct {
		enum replist_kind k;
		const char *text;
		const char *err; /* NULL: valid */
	} cases[] = {
	    {REPLIST_DNSBL, "zen zen.spamhaus.org", NULL},
	    {REPLIST_DNSBL, "zen zen.spamhaus.org. listed 127.0.0.2-127.0.0.11,127.0.0.20", NULL},
	    {REPLIST_DNSBL, "multi multi.example listed mask:6 refused 127.0.0.1", NULL},
	    {REPLIST_RHSBL, "dbl dbl.example check sender,from,helo,ptr", NULL},
	    {REPLIST_DNSBL, "zen zen.example reject", NULL},
	    {REPLIST_RHSBL, "dbl dbl.example reject", "expected listed, refused or check"},
	    {REPLIST_DNSBL, "zen", "expected a zone after the list name"},
	    {REPLIST_DNSBL, "", "expected a list name (letters, digits, '-', '_') and a zone"},
	    {REPLIST_DNSBL, "z/en zen.example",
	     "expected a list name (letters, digits, '-', '_') and a zone"},
	    {REPLIST_DNSBL, "zen zen..example", "the zone is not a valid DNS name"},
	    {REPLIST_DNSBL, "zen zen.example check sender", "expected listed, refused or reject"},
	    {REPLIST_URIBL, "u u.example check sender", "expected hosts, listed or refused"},
	    {REPLIST_RHSBL, "dbl dbl.example check body",
	     "identities are sender, from, helo, ptr and dkim, separated by commas"},
	    {REPLIST_RHSBL, "dbl dbl.example check dkim", NULL},
	    {REPLIST_DNSBL, "zen zen.example listed",
	     "expected a value after listed, refused or check"},
	    {REPLIST_DNSBL, "zen zen.example listed 127.0.0.9-127.0.0.2",
	     "codes are IPv4 answers, ranges a-b, or mask:N, separated by commas"},
	    {REPLIST_DNSBL, "zen zen.example listed mask:0",
	     "a mask is mask:N with N from 1 to 255"},
	    {REPLIST_DNSBL, "zen zen.example listed a,b",
	     "codes are IPv4 answers, ranges a-b, or mask:N, separated by commas"},
	};
	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		struct replist l;
		const char *why = replist_parse(cases[i].k, cases[i].text, &l);
		if (cases[i].err)
			is_str(why, cases[i].err, "'%s' refused", cases[i].text);
		else
			ok(why == NULL, "'%s' is a list (%s)", cases[i].text, why ? why : "ok");
	}
	struct replist l;
	if (replist_parse(REPLIST_DNSBL, "m m.example listed mask:6", &l) == NULL) {
		is_int(replist_match(&l, "127.0.0.2"), 1, "mask:6 lists 127.0.0.2");
		is_int(replist_match(&l, "127.0.0.8"), 0, "mask:6 does not list 127.0.0.8");
		is_int(replist_match(&l, "127.255.255.254"), -1, "the default refusal codes");
		is_int(replist_match(&l, "10.0.0.2"), 0, "an answer outside 127/8 is no hit");
	}
	if (replist_parse(REPLIST_DNSBL, "d d.example", &l) == NULL) {
		is_int(replist_match(&l, "127.0.0.77"), 1, "default: any 127/8 answer is a hit");
		is_int(replist_match(&l, "127.255.255.252"), -1,
		       "default: 127.255.255.252 refused");
		is_int(replist_match(&l, "garbage"), 0, "a non-address answer is no hit");
	}
}

/* test_lookups - the lookups against local data */
static void test_lookups(struct dns *d)
{
	struct replist l[3];
	if (replist_parse(REPLIST_DNSBL, "bl bl.example", &l[0]) ||
	    replist_parse(REPLIST_DNSBL, "narrow bl.example listed 127.0.0.4", &l[1]) ||
	    replist_parse(REPLIST_RHSBL, "dbl dbl.example check sender,from,helo,ptr", &l[2])) {
		ok(0, "list definitions");
		return;
	}
	const char *iprev = NULL;
	struct findings *f = run(d, l, 3, "192.0.2.2", "good.example", "mx.good.example",
				 "a@good.example", "good.example", &iprev);
	ok(f != NULL, "a listed client: lookups ran");
	if (f) {
		is_str(fact(f, "dnsbl:bl"), "127.0.0.2", "dnsbl:bl is the code returned");
		is_str(fact(f, "dnsbl:bl.address"), "192.0.2.2", "dnsbl:bl.address");
		is_str(fact(f, "dnsbl:bl.identity"), "client-ip", "dnsbl:bl.identity");
		ok(fact(f, "dnsbl:narrow") == NULL, "a list that counts only 127.0.0.4: no hit");
		ok(fact(f, "rhsbl:dbl") == NULL, "no listed domain: no rhsbl hit");
		is_str(fact(f, "iprev"), "pass", "iprev pass: PTR good.example maps back");
		is_str(fact(f, "iprev.name"), "good.example", "iprev.name");
		is_str(iprev, "pass", "rep_iprev for A-R");
		fnd_free(f);
	}
	f = run(d, l, 3, "192.0.2.3", "unknown", "badhelo.example", "x@spammer.example",
		"spammer.example", NULL);
	if (f) {
		ok(fact(f, "dnsbl:bl") == NULL, "a refusal code is no hit");
		ok(fact(f, "dnsbl:bl.temperror") &&
		       strstr(fact(f, "dnsbl:bl.temperror"),
			      "refused this resolver (127.255.255.254)"),
		   "a refusal code is a temperror of the list: %s",
		   fact(f, "dnsbl:bl.temperror") ? fact(f, "dnsbl:bl.temperror") : "none");
		is_str(fact(f, "iprev"), "permerror", "iprev permerror: no PTR");
		size_t hits = 0, sender = 0, helo = 0;
		for (size_t i = 0; i < fnd_count(f); i++) {
			const struct finding *x = fnd_at(f, i);
			hits += strcmp(x->name, "rhsbl:dbl") == 0;
			if (strcmp(x->name, "rhsbl:dbl.identity") == 0) {
				sender += strcmp(x->value, "sender") == 0;
				helo += strcmp(x->value, "helo") == 0;
			}
		}
		is_int((int)hits, 2, "rhsbl: the HELO name and the sender domain are listed");
		is_int((int)helo, 1, "rhsbl: one hit for the HELO name");
		is_int((int)sender, 1,
		       "rhsbl: the sender domain, asked once though it is the From domain too");
		fnd_free(f);
	}
	f = run(d, l, 3, "192.0.2.4", "badptr.example", "h.example", "a@b.example", NULL, NULL);
	if (f) {
		is_str(fact(f, "dnsbl:narrow"), "127.0.0.4", "a listed code of a narrowed list");
		is_str(fact(f, "rhsbl:dbl.identity"), "ptr", "rhsbl on the client's name");
		is_str(fact(f, "iprev"), "fail", "iprev fail: the PTR name does not map back");
		is_str(fact(f, "iprev.name"), "liar.example", "iprev.name: the PTR name");
		fnd_free(f);
	}
	f = run(d, l, 3, "2001:db8::2", "unknown", "h.example", "a@b.example", NULL, NULL);
	if (f) {
		is_str(fact(f, "dnsbl:bl"), "127.0.0.3", "an IPv6 client as reversed nibbles");
		fnd_free(f);
	}
	f = run(d, l, 3, "::ffff:192.0.2.2", "unknown", "h.example", "a@b.example", NULL, NULL);
	if (f) {
		is_str(fact(f, "dnsbl:bl"), "127.0.0.2", "an IPv4-mapped client as IPv4");
		is_str(fact(f, "iprev"), "pass", "iprev of an IPv4-mapped client as IPv4");
		fnd_free(f);
	}
	f = run(d, l, 3, "unknown", "unknown", "h.example", "a@b.example", NULL, NULL);
	if (f) {
		ok(fact(f, "dnsbl:bl") == NULL && fact(f, "iprev") == NULL,
		   "no client address (local submission): no DNSBL, no iprev");
		fnd_free(f);
	}
	struct replist broken;
	if (replist_parse(REPLIST_DNSBL, "broken broken.example", &broken) == NULL) {
		f = run(d, &broken, 1, "192.0.2.9", "unknown", "h", "a@b.example", NULL, NULL);
		ok(f && fact(f, "dnsbl:broken") == NULL && fact(f, "dnsbl:broken.temperror") &&
		       strstr(fact(f, "dnsbl:broken.temperror"), "tempfail"),
		   "a list whose server fails: a temperror, no hit");
		is_str(f ? fact(f, "iprev") : NULL, "temperror", "iprev when the PTR lookup fails");
		fnd_free(f);
	}
}

/* test_early - a dnsbl marked reject answers at RCPT TO */
static void test_early(struct dns *d)
{
	struct replist l[2];
	if (replist_parse(REPLIST_DNSBL, "quiet bl.example", &l[0]) ||
	    replist_parse(REPLIST_DNSBL, "early bl.example listed 127.0.0.2 reject", &l[1])) {
		ok(0, "definitions");
		return;
	}
	ok(!l[0].reject && l[1].reject, "the reject flag is read");
	struct timespec dl;
	dns_deadline(&dl, 5000);
	struct rep *r = rep_new(d, l, 2, 0, 5000);
	if (r && rep_client(r, "192.0.2.2", "unknown") == 0)
		is_str(rep_early_reject(r, &dl), "early",
		       "a listed client: the reject list's name");
	rep_free(r);
	r = rep_new(d, l, 2, 0, 5000);
	if (r && rep_client(r, "192.0.2.4", "unknown") == 0) /* 127.0.0.4: not a listed code */
		ok(rep_early_reject(r, &dl) == NULL, "a code the reject list does not count: none");
	rep_free(r);
	r = rep_new(d, l, 1, 0, 5000);
	if (r && rep_client(r, "192.0.2.2", "unknown") == 0)
		ok(rep_early_reject(r, &dl) == NULL, "listed only on a list without reject: none");
	rep_free(r);
}

/* test_dkim_domain - a passing signature's d= domain on a list that checks dkim */
static void test_dkim_domain(struct dns *d)
{
	struct replist l[2];
	if (replist_parse(REPLIST_RHSBL, "bydkim dbl.example check dkim", &l[0]) ||
	    replist_parse(REPLIST_RHSBL, "bysender dbl.example check sender", &l[1])) {
		ok(0, "definitions");
		return;
	}
	struct rep *r = rep_new(d, l, 2, 0, 5000);
	struct findings *f = fnd_new();
	struct timespec dl;
	dns_deadline(&dl, 5000);
	if (r && f && rep_dkim(r, "spammer.example") == 0 && rep_facts(r, &dl, f) == 0) {
		is_str(fact(f, "rhsbl:bydkim.identity"), "dkim",
		       "a listed DKIM domain: identity dkim");
		ok(fact(f, "rhsbl:bysender") == NULL, "a list that checks senders only: no hit");
	} else
		ok(0, "dkim domain lookups");
	rep_free(r);
	fnd_free(f);
}

/* test_uribl_hosts - full host names for the lists marked hosts, and only for them */
static void test_uribl_hosts(struct dns *d)
{
	struct replist l[2];
	if (replist_parse(REPLIST_URIBL, "plain uri.example", &l[0]) ||
	    replist_parse(REPLIST_URIBL, "full uri.example hosts", &l[1])) {
		ok(0, "uribl definitions with hosts");
		return;
	}
	ok(!l[0].hosts && l[1].hosts, "the hosts flag is read");
	struct rep *r = rep_new(d, l, 2, 0, 5000);
	struct findings *f = fnd_new();
	struct timespec dl;
	dns_deadline(&dl, 5000);
	if (r && f && rep_uri_host(r, "www.spamhost.example") == 0 && rep_facts(r, &dl, f) == 0) {
		is_str(fact(f, "uribl:full"), "127.0.0.4", "a listed full host on a hosts list");
		ok(fact(f, "uribl:plain") == NULL, "a list without hosts is not asked about hosts");
	} else
		ok(0, "host lookups");
	rep_free(r);
	fnd_free(f);
}

/* test_uribl - URL domains on a uribl list, and the per-message cap */
static void test_uribl(struct dns *d)
{
	struct replist l;
	if (replist_parse(REPLIST_URIBL, "uri uri.example", &l) != NULL) {
		ok(0, "uribl definition");
		return;
	}
	struct rep *r = rep_new(d, &l, 1, 0, 5000);
	struct findings *f = fnd_new();
	if (r == NULL || f == NULL || rep_uri(r, "spamlink.example") < 0 ||
	    rep_uri(r, "clean.example") < 0 || rep_uri(r, "192.0.2.99") < 0) {
		ok(0, "uribl lookups started");
		rep_free(r);
		fnd_free(f);
		return;
	}
	for (int i = 0; i < 40; i++) { /* past the cap: not asked */
		char dom[64];
		snprintf(dom, sizeof(dom), "d%d.example", i);
		if (rep_uri(r, dom) < 0)
			ok(0, "rep_uri %d", i);
	}
	struct timespec dl;
	dns_deadline(&dl, 5000);
	ok(rep_facts(r, &dl, f) == 0, "uribl answers collected");
	size_t hits = 0;
	for (size_t i = 0; i < fnd_count(f); i++)
		if (strcmp(fnd_at(f, i)->name, "uribl:uri.domain") == 0) {
			hits++;
			diag("uribl hit: %s", fnd_at(f, i)->value);
		}
	is_int((int)hits, 2, "two listed: the link domain and the IP-literal host");
	is_str(fact(f, "uribl:uri"), "127.0.0.2", "uribl:uri is the code");
	is_str(fact(f, "uribl:uri.identity"), "url", "uribl:uri.identity is url");
	ok(nxdns_seen("d5.example.uri.example") >= 1, "a URL domain under the cap is asked");
	is_int((int)nxdns_seen("d30.example.uri.example"), 0,
	       "past 20 URL domains a message's links are not looked up");
	rep_free(r);
	fnd_free(f);
}

int main(void)
{
	char fwd0[32];
	const char *const failing[] = {"9.2.0.192.broken.example", "9.2.0.192.in-addr.arpa"};
	snprintf(fwd0, sizeof(fwd0), "127.0.0.1@%d", nxdns_start(failing, 2));
	const char *fwd[] = {fwd0};
	struct dns_opts o = {fwd, 1, 2000, NULL, NULL};
	struct errlist e;
	errlist_init(&e);
	struct dns *d = dns_new(&o, "reputation_test", &e);
	errlist_free(&e);
	if (!ok(d != NULL, "resolver up"))
		return done_testing();
	if (dns_add_local_zone(d, "2.0.192.in-addr.arpa.", "transparent") < 0)
		diag("cannot make 2.0.192.in-addr.arpa transparent");
	for (size_t i = 0; i < ARRAY_LEN(zone); i++)
		if (!ok(dns_add_local(d, zone[i]) == 0, "zone data %zu", i))
			diag("  %s", zone[i]);
	test_defs();
	test_lookups(d);
	test_uribl(d);
	test_early(d);
	test_uribl_hosts(d);
	test_dkim_domain(d);
	dns_free(d);
	return done_testing();
}
