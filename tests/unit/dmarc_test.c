/*
 * dmarc_test.c - the strict From reading (with the ambiguities of "Composition Kills",
 * USENIX Security 2020) and DMARC over the shared resolver with local policy records.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "dkim.h"
#include "dmarc.h"
#include "dns.h"
#include "errlist.h"
#include "fromhdr.h"
#include "nxdns.h"
#include "tap.h"

#define PSL "/usr/share/publicsuffix/public_suffix_list.dat"

static const struct {
	const char *v1, *v2; /* From values (v2 NULL: one header; v1 NULL: none) */
	const char *domain;  /* the author domain, "" for none */
	unsigned problems;
	const char *what;
} froms[] = {
    {" Alice <alice@x.test>", NULL, "x.test", 0, "name-addr"},
    {" alice@x.test", NULL, "x.test", 0, "addr-spec"},
    {" <A@X.TEST> (comment)", NULL, "x.test", 0, "case and a comment"},
    {" <a@x.test.>", NULL, "", FROM_SYNTAX, "a final dot (not a dot-atom)"},
    {" Dr. J. Smith <j@x.test>", NULL, "x.test", 0, "obsolete dots in the phrase"},
    {NULL, NULL, "", FROM_MISSING, "no From header"},
    {" a@x.test", " b@y.test", "",
     FROM_MULTIPLE_HEADERS | FROM_MULTIPLE_ADDRESSES | FROM_MULTIPLE_DOMAINS, "two From headers"},
    {" a@x.test, b@y.test", NULL, "", FROM_MULTIPLE_ADDRESSES | FROM_MULTIPLE_DOMAINS,
     "two addresses, two domains"},
    {" a@x.test, b@x.test", NULL, "x.test", FROM_MULTIPLE_ADDRESSES, "two addresses, one domain"},
    {" \"admin@bank.test\" <e@evil.test>", NULL, "evil.test", FROM_ADDR_IN_DISPLAY,
     "an address as the display name"},
    {" \"Bank, Inc. <admin@bank.test>\" <e@evil.test>", NULL, "evil.test",
     FROM_ADDR_IN_DISPLAY | FROM_QUOTED_COMMA, "a quoted comma and address"},
    {" =?utf-8?b?YWRtaW5AYmFuay50ZXN0?= <e@evil.test>", NULL, "evil.test",
     FROM_ENCODED_WORD | FROM_ADDR_IN_DISPLAY, "an encoded address as the display name"},
    {" =?utf-8?b?YWRtaW5AYmFuay50ZXN0?=@evil.test", NULL, "evil.test", FROM_ENCODED_WORD,
     "an encoded-word as the local part"},
    {" a@bank.test <e@evil.test>", NULL, "", FROM_SYNTAX, "an addr-spec before an angle-addr"},
    {" e@evil.test <a@bank.test>", NULL, "", FROM_SYNTAX, "the reverse"},
    {" (a@bank.test e@evil.test", NULL, "", FROM_SYNTAX | FROM_NO_DOMAIN, "unclosed comment"},
    {" undisclosed:;", NULL, "", FROM_GROUP | FROM_NO_DOMAIN, "an empty group"},
    {" friends: a@x.test;", NULL, "x.test", FROM_GROUP, "a group with one mailbox"},
    {" alice", NULL, "", FROM_NO_DOMAIN, "no domain"},
    {" a@[192.0.2.1]", NULL, "", FROM_NO_DOMAIN, "a domain literal"},
    {" ,a@x.test", NULL, "", FROM_SYNTAX, "an empty list element"},
};

static const char *const zone[] = {
    "_dmarc.pass.test. 300 IN TXT \"v=DMARC1; p=reject\"",
    "_dmarc.strict.test. 300 IN TXT \"v=DMARC1; p=reject; adkim=s; aspf=s\"",
    "_dmarc.orgdom.co.uk. 300 IN TXT \"v=DMARC1; p=reject; sp=quarantine\"",
    "_dmarc.example.co.uk. 300 IN TXT \"v=DMARC1; p=reject\"",
    "_dmarc.none.test. 300 IN TXT \"v=DMARC1; p=none\"",
    "_dmarc.bad.test. 300 IN TXT \"v=DMARC1; p=bogus\"",
    "_dmarc.pct.test. 300 IN TXT \"v=DMARC1; p=reject; pct=0\"",
    "_dmarc.two.test. 300 IN TXT \"v=DMARC1; p=reject\"",
    "_dmarc.two.test. 300 IN TXT \"v=DMARC1; p=none\"",
    "_dmarc.other.test. 300 IN TXT \"some other text\"",
};

static const struct {
	const char *from, *spf_domain;
	enum spf_res spf;
	const char *dkim_d; /* a passing signature's d=, or NULL */
	enum dmarc_res want;
	enum dmarc_pol policy, disposition;
	const char *record_domain, *what;
} evals[] = {
    {"pass.test", "pass.test", SPFR_PASS, NULL, DMARC_R_PASS, DMARC_P_REJECT, DMARC_P_NONE,
     "pass.test", "pass through SPF only"},
    {"pass.test", "other.test", SPFR_FAIL, "pass.test", DMARC_R_PASS, DMARC_P_REJECT, DMARC_P_NONE,
     "pass.test", "pass through DKIM only"},
    {"pass.test", "other.test", SPFR_PASS, "other.test", DMARC_R_FAIL, DMARC_P_REJECT,
     DMARC_P_REJECT, "pass.test", "both pass, neither aligned"},
    {"strict.test", "mail.strict.test", SPFR_PASS, "mail.strict.test", DMARC_R_FAIL, DMARC_P_REJECT,
     DMARC_P_REJECT, "strict.test", "strict alignment: subdomains fail"},
    {"mail.orgdom.co.uk", NULL, SPFR_NONE, NULL, DMARC_R_FAIL, DMARC_P_QUARANTINE,
     DMARC_P_QUARANTINE, "orgdom.co.uk", "sp= for a subdomain (organisational record)"},
    {"orgdom.co.uk", NULL, SPFR_NONE, NULL, DMARC_R_FAIL, DMARC_P_REJECT, DMARC_P_REJECT,
     "orgdom.co.uk", "p= for the organisational domain itself"},
    {"mail.example.co.uk", NULL, SPFR_NONE, "example.co.uk", DMARC_R_PASS, DMARC_P_REJECT,
     DMARC_P_NONE, "example.co.uk", "organisational domain through a public suffix"},
    {"none.test", NULL, SPFR_NONE, NULL, DMARC_R_FAIL, DMARC_P_NONE, DMARC_P_NONE, "none.test",
     "p=none fails but asks for nothing"},
    {"nodmarc.test", NULL, SPFR_NONE, NULL, DMARC_R_NONE, DMARC_P_UNSET, DMARC_P_UNSET, "",
     "no record"},
    {"other.test", NULL, SPFR_NONE, NULL, DMARC_R_NONE, DMARC_P_UNSET, DMARC_P_UNSET, "",
     "a TXT record that is not DMARC"},
    {"two.test", NULL, SPFR_NONE, NULL, DMARC_R_NONE, DMARC_P_UNSET, DMARC_P_UNSET, "",
     "two DMARC records: no policy"},
    {"broken.test", NULL, SPFR_NONE, NULL, DMARC_R_TEMPERROR, DMARC_P_UNSET, DMARC_P_UNSET, "",
     "DNS failure"},
    {"bad.test", NULL, SPFR_NONE, NULL, DMARC_R_PERMERROR, DMARC_P_UNSET, DMARC_P_UNSET, "bad.test",
     "a broken record"},
    {"pct.test", NULL, SPFR_NONE, NULL, DMARC_R_FAIL, DMARC_P_REJECT, DMARC_P_QUARANTINE,
     "pct.test", "pct=0: outside the sample, the next milder disposition"},
    {"", NULL, SPFR_NONE, NULL, DMARC_R_PERMERROR, DMARC_P_UNSET, DMARC_P_UNSET, "",
     "no author domain"},
};

int main(void)
{
	for (size_t i = 0; i < ARRAY_LEN(froms); i++) {
		const char *v[2] = {froms[i].v1, froms[i].v2};
		struct from_info fi;
		from_parse(v, froms[i].v1 == NULL ? 0 : froms[i].v2 ? 2 : 1, &fi);
		is_str(fi.domain, froms[i].domain, "From %s: author domain", froms[i].what);
		is_int(fi.problems, froms[i].problems, "From %s: problems", froms[i].what);
	}

	const char *fail[] = {"_dmarc.broken.test"};
	struct dns *d = nxdns_resolver(fail, 1, "dmarc_test");
	struct errlist e;
	errlist_init(&e);
	struct dmarc *dm = d ? dmarc_new(d, PSL, "dmarc_test", &e) : NULL;
	for (size_t i = 0; i < e.count; i++)
		diag("%s", e.msgs[i]);
	errlist_free(&e);
	if (!ok(dm != NULL, "evaluator made (public suffix list %s)", PSL))
		return done_testing();
	for (size_t i = 0; i < ARRAY_LEN(zone); i++)
		ok(dns_add_local(d, zone[i]) == 0, "served: %s", zone[i]);
	char org[256];
	dmarc_org_domain("mail.example.co.uk", org, sizeof(org));
	is_str(org, "example.co.uk", "organisational domain of mail.example.co.uk");
	for (size_t i = 0; i < ARRAY_LEN(evals); i++) {
		struct dkv_sig sig = {.result = DKV_PASS};
		struct dkv_result dk = {&sig, 0, 0};
		if (evals[i].dkim_d) {
			snprintf(sig.domain, sizeof(sig.domain), "%s", evals[i].dkim_d);
			dk.n = 1;
		}
		struct dmarc_input in = {
		    "192.0.2.1", evals[i].from, "syntax", evals[i].spf_domain, evals[i].spf, 0,
		    &dk};
		struct dmarc_outcome out;
		if (!ok(dmarc_check(dm, &in, NULL, &out) == 0, "%s: evaluated", evals[i].what))
			continue;
		is_str(dmarc_res_name(out.result), dmarc_res_name(evals[i].want), "%s: result (%s)",
		       evals[i].what, out.reason);
		is_str(dmarc_pol_name(out.policy), dmarc_pol_name(evals[i].policy), "%s: policy",
		       evals[i].what);
		is_str(dmarc_pol_name(out.disposition), dmarc_pol_name(evals[i].disposition),
		       "%s: disposition", evals[i].what);
		is_str(out.record_domain, evals[i].record_domain, "%s: record found at",
		       evals[i].what);
	}
	dmarc_free(dm);
	dns_free(d);
	return done_testing();
}
