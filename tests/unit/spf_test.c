/*
 * spf_test.c - the SPF module over the shared resolver, with local zone data.
 *
 * Every SPF result is produced from records served by the resolver's local
 * data (everything else NXDOMAIN, two names SERVFAIL = DNS failure), for IPv4,
 * IPv6, loopback clients (evaluated, unlike libspf2's own entry point), the
 * null sender (checked as postmaster@HELO), the void-lookup limit, the
 * lookup counters, and records libspf2 compiles only as spfsyntax_normalize
 * rewrites them (CIDR /0, redirect= before mechanisms, unknown modifiers).
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "dns.h"
#include "errlist.h"
#include "spf.h"
#include "nxdns.h"
#include "tap.h"

static const char *const zone[] = {
    "pass.test. 300 IN TXT \"v=spf1 ip4:192.0.2.0/24 ip6:2001:db8::/32 -all\"",
    "fail.test. 300 IN TXT \"v=spf1 ip4:198.51.100.1 -all\"",
    "soft.test. 300 IN TXT \"v=spf1 ~all\"",
    "neutral.test. 300 IN TXT \"v=spf1 ?all\"",
    "notspf.test. 300 IN TXT \"hello world\"",
    "syntax.test. 300 IN TXT \"v=spf1 ip4:192.0.2.300 -all\"",
    "loop.test. 300 IN TXT \"v=spf1 include:loop.test -all\"",
    "voids.test. 300 IN TXT \"v=spf1 a:n1.voids.test a:n2.voids.test a:n3.voids.test -all\"",
    "twovoids.test. 300 IN TXT \"v=spf1 a:n1.voids.test a:n2.voids.test ip4:192.0.2.9 -all\"",
    "mx.test. 300 IN TXT \"v=spf1 mx -all\"",
    "mx.test. 300 IN MX 10 mail.mx.test.",
    "mail.mx.test. 300 IN A 192.0.2.25",
    "local.test. 300 IN TXT \"v=spf1 ip4:127.0.0.2 -all\"",
    "helo.test. 300 IN TXT \"v=spf1 a -all\"",
    "helo.test. 300 IN A 192.0.2.40",
    "incl.test. 300 IN TXT \"v=spf1 include:broken.example -all\"",
    "split.test. 300 IN TXT \"v=spf1 ip4:192.0.2.77\" \" -all\"",
    "zero.test. 300 IN TXT \"v=spf1 a/0 -all\"",
    "zero.test. 300 IN A 192.0.2.50",
    "zeroh.test. 300 IN TXT \"v=spf1 a:%{h}/0 -all\"",
    "h.zeroh.test. 300 IN A 192.0.2.51",
    "ip60.test. 300 IN TXT \"v=spf1 ip6:2001:db8::1/0 -all\"",
    "redir.test. 300 IN TXT \"v=spf1 redirect=redir.test ~all\"",
    "unknown.test. 300 IN TXT \"v=spf1 moo.cow=x ip4:192.0.2.60 -all\"",
};

static const struct {
	const char *ip, *helo, *sender;
	enum spf_identity id;
	enum spf_res want;
	const char *what;
} cases[] = {
    {"192.0.2.10", "mx.example", "a@pass.test", SPF_ID_MAILFROM, SPFR_PASS, "ip4 match"},
    {"2001:db8::25", "mx.example", "a@pass.test", SPF_ID_MAILFROM, SPFR_PASS, "ip6 match"},
    {"203.0.113.5", "mx.example", "a@pass.test", SPF_ID_MAILFROM, SPFR_FAIL, "-all"},
    {"203.0.113.5", "mx.example", "a@fail.test", SPF_ID_MAILFROM, SPFR_FAIL, "fail"},
    {"198.51.100.1", "mx.example", "a@fail.test", SPF_ID_MAILFROM, SPFR_PASS, "exact ip4"},
    {"203.0.113.5", "mx.example", "a@soft.test", SPF_ID_MAILFROM, SPFR_SOFTFAIL, "~all"},
    {"203.0.113.5", "mx.example", "a@neutral.test", SPF_ID_MAILFROM, SPFR_NEUTRAL, "?all"},
    {"203.0.113.5", "mx.example", "a@notspf.test", SPF_ID_MAILFROM, SPFR_NONE,
     "TXT but no SPF record"},
    {"203.0.113.5", "mx.example", "a@nowhere.test", SPF_ID_MAILFROM, SPFR_NONE, "NXDOMAIN"},
    {"203.0.113.5", "mx.example", "a@syntax.test", SPF_ID_MAILFROM, SPFR_PERMERROR,
     "bad ip4 literal"},
    {"203.0.113.5", "mx.example", "a@loop.test", SPF_ID_MAILFROM, SPFR_PERMERROR, "include loop"},
    {"203.0.113.5", "mx.example", "a@voids.test", SPF_ID_MAILFROM, SPFR_PERMERROR,
     "three void lookups"},
    {"192.0.2.9", "mx.example", "a@twovoids.test", SPF_ID_MAILFROM, SPFR_PASS,
     "two void lookups are allowed"},
    {"192.0.2.25", "mx.example", "a@mx.test", SPF_ID_MAILFROM, SPFR_PASS, "mx"},
    {"192.0.2.26", "mx.example", "a@mx.test", SPF_ID_MAILFROM, SPFR_FAIL, "mx miss"},
    {"127.0.0.2", "mx.example", "a@local.test", SPF_ID_MAILFROM, SPFR_PASS, "loopback listed"},
    {"127.0.0.3", "mx.example", "a@local.test", SPF_ID_MAILFROM, SPFR_FAIL,
     "loopback not listed: evaluated, no free ride"},
    {"192.0.2.40", "helo.test", "", SPF_ID_MAILFROM, SPFR_PASS, "null sender: HELO pass"},
    {"192.0.2.41", "helo.test", "", SPF_ID_MAILFROM, SPFR_FAIL, "null sender: HELO fail"},
    {"192.0.2.40", "helo.test", "x@fail.test", SPF_ID_HELO, SPFR_PASS, "HELO identity"},
    {"192.0.2.40", "[192.0.2.40]", "", SPF_ID_HELO, SPFR_NONE, "HELO address literal"},
    {"203.0.113.5", "mx.example", "a@refused.example", SPF_ID_MAILFROM, SPFR_TEMPERROR,
     "DNS failure"},
    {"203.0.113.5", "mx.example", "a@incl.test", SPF_ID_MAILFROM, SPFR_TEMPERROR,
     "DNS failure inside include"},
    {"192.0.2.77", "mx.example", "a@split.test", SPF_ID_MAILFROM, SPFR_PASS,
     "record in two character-strings"},
    /* records libspf2 takes only as spfsyntax_normalize rewrites them */
    {"203.0.113.5", "mx.example", "a@zero.test", SPF_ID_MAILFROM, SPFR_PASS,
     "a/0: any A record matches an IPv4 client"},
    {"2001:db8::5", "mx.example", "a@zero.test", SPF_ID_MAILFROM, SPFR_FAIL,
     "a/0: no AAAA record, no match for an IPv6 client"},
    {"203.0.113.5", "h.zeroh.test", "a@zeroh.test", SPF_ID_MAILFROM, SPFR_PASS,
     "a:%{h}/0 with a HELO name"},
    {"203.0.113.5", "", "a@zeroh.test", SPF_ID_MAILFROM, SPFR_PERMERROR,
     "a:%{h}/0 without a HELO name: a permerror, as for a"},
    {"2001:db8:ffff::1", "mx.example", "a@ip60.test", SPF_ID_MAILFROM, SPFR_PASS,
     "ip6:.../0 matches any IPv6 client"},
    {"::ffff:192.0.2.1", "mx.example", "a@ip60.test", SPF_ID_MAILFROM, SPFR_FAIL,
     "ip6:.../0 does not match an IPv4-mapped client"},
    {"203.0.113.5", "mx.example", "a@redir.test", SPF_ID_MAILFROM, SPFR_SOFTFAIL,
     "redirect= only after the mechanisms"},
    {"192.0.2.60", "mx.example", "a@unknown.test", SPF_ID_MAILFROM, SPFR_PASS,
     "an unknown modifier is ignored"},
};

int main(void)
{
	char fwd0[32];
	/* every name without local data is NXDOMAIN, these two fail (SERVFAIL); not under
	 * test., which libunbound answers itself (RFC 6761) */
	const char *const failing[] = {"refused.example", "broken.example"};
	snprintf(fwd0, sizeof(fwd0), "127.0.0.1@%d", nxdns_start(failing, 2));
	const char *fwd[] = {fwd0};
	struct dns_opts o = {fwd, 1, 2000, NULL, NULL};
	struct errlist e;
	errlist_init(&e);
	struct dns *d = dns_new(&o, "spf_test", &e);
	if (!ok(d != NULL, "resolver up")) {
		for (size_t i = 0; i < e.count; i++)
			diag("  %s", e.msgs[i]);
		errlist_free(&e);
		return done_testing();
	}
	errlist_free(&e);
	for (size_t i = 0; i < ARRAY_LEN(zone); i++)
		if (!ok(dns_add_local(d, zone[i]) == 0, "zone data %zu", i))
			diag("  %s", zone[i]);
	struct spf *s = spf_new(d, "mx.portcullis.test", 2000);
	ok(s != NULL, "evaluator up");
	for (size_t i = 0; s && i < ARRAY_LEN(cases); i++) {
		struct spf_outcome out;
		int rc = spf_check(s, cases[i].ip, cases[i].helo, cases[i].sender, cases[i].id,
				   NULL, &out);
		if (!ok(rc == 0 && out.result == cases[i].want, "%s: %s from %s for <%s> is %s",
			cases[i].what, cases[i].id == SPF_ID_HELO ? "HELO" : "MAIL FROM",
			cases[i].ip, cases[i].sender, spf_result_name(cases[i].want)))
			diag("  got %s (%s)", rc == 0 ? spf_result_name(out.result) : "error",
			     rc == 0 && out.reason ? out.reason : "");
		ok(rc == 0 && out.reason && out.reason[0], "%s: a reason is given", cases[i].what);
		if (rc == 0)
			spf_outcome_free(&out);
	}
	/* identity and counters */
	struct spf_outcome out;
	if (s && spf_check(s, "192.0.2.40", "helo.test", "", SPF_ID_MAILFROM, NULL, &out) == 0) {
		is_str(out.sender, "postmaster@helo.test",
		       "null sender checked as postmaster@HELO");
		is_str(out.domain, "helo.test", "its domain");
		spf_outcome_free(&out);
	}
	if (s && spf_check(s, "203.0.113.5", "mx.example", "a@voids.test", SPF_ID_MAILFROM, NULL,
			   &out) == 0) {
		ok(out.voids == 3 && out.lookups >= 4, "lookups counted: %u (%u void)", out.lookups,
		   out.voids);
		spf_outcome_free(&out);
	}
	/* a deadline already past: the DNS budget is spent, nothing is asked */
	struct timespec past;
	dns_deadline(&past, 0);
	past.tv_sec -= 1;
	if (s && spf_check(s, "192.0.2.10", "mx.example", "a@pass.test", SPF_ID_MAILFROM, &past,
			   &out) == 0) {
		is_str(spf_result_name(out.result), "temperror",
		       "an exhausted DNS budget is a temperror");
		spf_outcome_free(&out);
	}
	spf_free(s);
	dns_free(d);
	return done_testing();
}
