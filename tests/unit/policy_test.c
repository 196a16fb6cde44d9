/*
 * policy_test.c - unit tests of policy/: the policy language, the lists and the verdict.
 *
 * DESCRIPTION
 *	Golden error files: each tests/data/policy/bad-NAME.conf must give
 *	exactly the diagnostics of bad-NAME.expected (the file's path written
 *	as @FILE@) and no policy. A table of list cases (each kind, CIDR v4,
 *	v6 and IPv4-mapped, domains and subdomains, require dkim/spf met and
 *	not met) checks the allowlisted and denylisted findings. A table of
 *	decisions walks the precedence step by step: size, deny, allow,
 *	direct actions (strictest wins, accept switches the score off, other
 *	actions are floors), thresholds with a tempfail band, tag headers and
 *	Subject prefix, monitor hits, `on` lines, the portcullis.conf
 *	settings, replies and decided_by. Last, policy/policy.conf must decide
 *	a set of messages exactly as the built-in policy does.
 *	Policy texts are written to policy.conf in a private temporary
 *	directory, so origins read "policy.conf:LINE".
 *
 * OUTPUT
 *	TAP on stdout (see tap.h).
 */
#include "config.h"

#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "errlist.h"
#include "findings.h"
#include "policy.h"
#include "rules.h"
#include "tap.h"
#include "verdict.h"

static char tmpdir[512];  /* private scratch directory, removed at the end */
static char scratch[600]; /* tmpdir/policy.conf */
static const struct pol_settings plain = {1000, 0, 0};

/* load - the policy of text (NULL: the built-in one), written to scratch; errors shown */
static struct policy *load(const char *text, const struct pol_settings *ps)
{
	struct errlist e;
	errlist_init(&e);
	struct policy *p = NULL;
	FILE *fp = text ? fopen(scratch, "w") : NULL;
	if (text && (fp == NULL || fputs(text, fp) < 0 || fclose(fp) != 0))
		diag("cannot write %s", scratch);
	else
		p = pol_load(text ? scratch : NULL, ps, &e);
	for (size_t i = 0; i < e.count; i++)
		diag("  policy error: %s", e.msgs[i]);
	errlist_free(&e);
	return p;
}

/* mkf - findings from "name=value;name=value" */
static struct findings *mkf(const char *spec)
{
	struct findings *f = fnd_new();
	char buf[1024];
	snprintf(buf, sizeof(buf), "%s", spec ? spec : "");
	for (char *s = buf; f && *s;) {
		char *end = strchr(s, ';');
		if (end)
			*end = '\0';
		char *eq = strchr(s, '=');
		if (eq)
			*eq = '\0';
		if (fnd_add(f, s, "%s", eq ? eq + 1 : "") < 0) {
			fnd_free(f);
			return NULL;
		}
		s = end ? end + 1 : s + strlen(s);
	}
	return f;
}

/* ---- golden errors ---------------------------------------------------------------------- */

/* slurp_text - a small file as a string, or NULL */
static char *slurp_text(const char *path)
{
	FILE *fp = fopen(path, "r");
	if (fp == NULL)
		return NULL;
	char *s = calloc(1, 65536);
	size_t n = s ? fread(s, 1, 65535, fp) : 0;
	fclose(fp);
	if (s)
		s[n] = '\0';
	return s;
}

/* golden_one - the diagnostics of path, with path written @FILE@, one a line */
static void golden_one(const char *path)
{
	char exp[4096];
	snprintf(exp, sizeof(exp), "%.*s.expected", (int)(strlen(path) - 5), path);
	const char *name = strrchr(path, '/') + 1;
	char *want = slurp_text(exp);
	struct errlist e;
	errlist_init(&e);
	struct policy *p = pol_load(path, &plain, &e);
	ok(p == NULL, "%s: no policy", name);
	char got[65536] = "";
	size_t len = 0, plen = strlen(path);
	for (size_t i = 0; i < e.count; i++) {
		const char *m = e.msgs[i];
		if (strncmp(m, path, plen) == 0)
			len +=
			    (size_t)snprintf(got + len, sizeof(got) - len, "@FILE@%s\n", m + plen);
		else
			len += (size_t)snprintf(got + len, sizeof(got) - len, "%s\n", m);
		if (len >= sizeof(got))
			break;
	}
	if (!is_str(got, want ? want : "(missing .expected file)", "%s: the expected diagnostics",
		    name))
		diag("%s", got);
	pol_free(p);
	errlist_free(&e);
	free(want);
}

/* test_golden - every bad-*.conf */
static void test_golden(void)
{
	char pat[4096];
	snprintf(pat, sizeof(pat), "%s/tests/data/policy/bad-*.conf", tap_srcdir());
	glob_t g;
	int rc = glob(pat, 0, NULL, &g);
	ok(rc == 0 && g.gl_pathc >= 8, "found the golden bad-*.conf files (%zu)",
	   rc == 0 ? g.gl_pathc : 0);
	for (size_t i = 0; rc == 0 && i < g.gl_pathc; i++)
		golden_one(g.gl_pathv[i]);
	if (rc == 0)
		globfree(&g);
}

/* test_load - what loads, what does not, and nothing is half loaded */
static void test_load(void)
{
	struct errlist e;
	errlist_init(&e);
	struct policy *p = pol_load("/nonexistent/policy.conf", &plain, &e);
	ok(p == NULL && e.count == 1, "a missing file: no policy, one error");
	is_str(e.count ? e.msgs[0] : NULL,
	       "/nonexistent/policy.conf: cannot open: No such file or directory",
	       "a missing file: the error names it");
	errlist_free(&e);
	p = load("tag at 3\nreject at 1x\n", &plain);
	ok(p == NULL, "one bad line among good ones: no policy at all");
	p = load("", &plain);
	ok(p != NULL, "an empty file loads (the defaults, no `on` lines, no lists)");
	pol_free(p);
	p = load("# only comments\n\n   \t\n", &plain);
	ok(p != NULL, "comments and blank lines load");
	pol_free(p);
	p = load("tag at 5\r\nreject at 20 # comment\r\n", &plain);
	ok(p != NULL, "CRLF line ends and trailing comments load");
	pol_free(p);
	p = load("on spf = \"a # b -> c\" -> score 1 as QUOTED # comment -> x\n", &plain);
	ok(p != NULL, "'#' and '->' inside quotes are text, after them a comment");
	pol_free(p);
}

/* ---- lists ------------------------------------------------------------------------------ */

static const char list_policy[] = "deny client-ip 203.0.113.0/24 2001:db8:bad::/48\n"      /* 1 */
				  "allow client-ip 192.0.2.25\n"                           /* 2 */
				  "deny helo spammer.example [198.51.100.9]\n"             /* 3 */
				  "allow sender *@partner.example require spf\n"           /* 4 */
				  "allow sender billing@vendor.example\n"                  /* 5 */
				  "deny sender evil.example\n"                             /* 6 */
				  "allow from-domain signed.example require dkim\n"        /* 7 */
				  "allow from-domain either.example require dkim or spf\n" /* 8 */
				  "allow from-domain both.example require dkim and spf\n"  /* 9 */
				  "deny from-domain phish.example\n"                       /* 10 */
				  "allow sender @plain.example\n";                         /* 11 */

struct lcase {
	const char *what;
	const char *findings;
	const char *allow; /* the allowlisted value, or NULL */
	const char *deny;  /* the denylisted value, or NULL */
};

#define C1 "policy.conf:1: deny client-ip "
#define S4 "policy.conf:4: allow sender *@partner.example require spf ("
#define F7 "policy.conf:7: allow from-domain signed.example require dkim ("
#define F8 "policy.conf:8: allow from-domain either.example require dkim or spf ("
#define F9 "policy.conf:9: allow from-domain both.example require dkim and spf ("
static const struct lcase lcases[] = {
    {"IPv4 in a deny network", "envelope.client_addr=203.0.113.7", NULL,
     C1 "203.0.113.0/24 (203.0.113.7)"},
    {"IPv4-mapped IPv6 in an IPv4 network", "envelope.client_addr=::ffff:203.0.113.200", NULL,
     C1 "203.0.113.0/24 (::ffff:203.0.113.200)"},
    {"IPv4 just outside", "envelope.client_addr=203.0.114.1", NULL, NULL},
    {"IPv6 in a /48", "envelope.client_addr=2001:db8:bad:1::1", NULL,
     C1 "2001:db8:bad::/48 (2001:db8:bad:1::1)"},
    {"IPv6 outside the /48", "envelope.client_addr=2001:db8:bae::1", NULL, NULL},
    {"one allowed address", "envelope.client_addr=192.0.2.25",
     "policy.conf:2: allow client-ip 192.0.2.25 (192.0.2.25)", NULL},
    {"the next address", "envelope.client_addr=192.0.2.26", NULL, NULL},
    {"a client that is no address", "envelope.client_addr=unknown", NULL, NULL},
    {"HELO equal", "envelope.helo=spammer.example", NULL,
     "policy.conf:3: deny helo spammer.example (spammer.example)"},
    {"HELO subdomain, case and trailing dot", "envelope.helo=MX1.Spammer.Example.", NULL,
     "policy.conf:3: deny helo spammer.example (MX1.Spammer.Example.)"},
    {"HELO with the name as a mere suffix", "envelope.helo=notspammer.example", NULL, NULL},
    {"HELO address literal", "envelope.helo=[198.51.100.9]", NULL,
     "policy.conf:3: deny helo [198.51.100.9] ([198.51.100.9])"},
    {"empty HELO", "envelope.helo=", NULL, NULL},
    {"sender domain, SPF pass", "envelope.mail_from=a@partner.example;spf=pass",
     S4 "a@partner.example)", NULL},
    {"sender subdomain, SPF pass", "envelope.mail_from=a@bounce.partner.example;spf=pass",
     S4 "a@bounce.partner.example)", NULL},
    {"sender domain, SPF fail: requirement not met",
     "envelope.mail_from=a@partner.example;spf=fail", NULL, NULL},
    {"sender domain, no SPF result", "envelope.mail_from=a@partner.example", NULL, NULL},
    {"a look-alike sender domain", "envelope.mail_from=a@partner.example.evil;spf=pass", NULL,
     NULL},
    {"an allowed address", "envelope.mail_from=billing@vendor.example",
     "policy.conf:5: allow sender billing@vendor.example (billing@vendor.example)", NULL},
    {"an allowed address, other case", "envelope.mail_from=Billing@Vendor.EXAMPLE",
     "policy.conf:5: allow sender billing@vendor.example (Billing@Vendor.EXAMPLE)", NULL},
    {"another user at that domain", "envelope.mail_from=other@vendor.example", NULL, NULL},
    {"that user at a subdomain", "envelope.mail_from=billing@x.vendor.example", NULL, NULL},
    {"a denied sender domain", "envelope.mail_from=x@evil.example", NULL,
     "policy.conf:6: deny sender evil.example (x@evil.example)"},
    {"a denied sender subdomain", "envelope.mail_from=x@a.b.evil.example", NULL,
     "policy.conf:6: deny sender evil.example (x@a.b.evil.example)"},
    {"the null sender", "envelope.mail_from=;spf=pass", NULL, NULL},
    {"@domain form", "envelope.mail_from=x@plain.example",
     "policy.conf:11: allow sender @plain.example (x@plain.example)", NULL},
    {"From domain with DKIM pass for it",
     "header.from.domain=signed.example;dkim.pass.domain=signed.example", F7 "signed.example)",
     NULL},
    {"From domain with DKIM pass for a subdomain of the entry",
     "header.from.domain=signed.example;dkim.pass.domain=mail.signed.example", F7 "signed.example)",
     NULL},
    {"From subdomain with DKIM pass for the entry's domain",
     "header.from.domain=news.signed.example;dkim.pass.domain=SIGNED.example",
     F7 "news.signed.example)", NULL},
    {"From domain, DKIM pass only for the parent",
     "header.from.domain=signed.example;dkim.pass.domain=example", NULL, NULL},
    {"From domain, DKIM pass for someone else",
     "header.from.domain=signed.example;dkim.pass.domain=evil.test", NULL, NULL},
    {"From domain, no DKIM", "header.from.domain=signed.example;spf=pass", NULL, NULL},
    {"two From domains, one not on the list",
     "header.from.domain=signed.example;header.from.domain=evil.test;"
     "dkim.pass.domain=signed.example",
     NULL, NULL},
    {"dkim or spf: SPF pass for the sender",
     "header.from.domain=either.example;spf=pass;envelope.mail_from=b@either.example",
     F8 "either.example)", NULL},
    {"dkim or spf: SPF pass for another sender domain",
     "header.from.domain=either.example;spf=pass;envelope.mail_from=b@other.example", NULL, NULL},
    {"dkim or spf: DKIM only", "header.from.domain=either.example;dkim.pass.domain=either.example",
     F8 "either.example)", NULL},
    {"dkim and spf: both",
     "header.from.domain=both.example;dkim.pass.domain=both.example;spf=pass;"
     "envelope.mail_from=b@both.example",
     F9 "both.example)", NULL},
    {"dkim and spf: DKIM only", "header.from.domain=both.example;dkim.pass.domain=both.example",
     NULL, NULL},
    {"a denied From domain among two",
     "header.from.domain=ok.example;header.from.domain=login.phish.example", NULL,
     "policy.conf:10: deny from-domain phish.example (login.phish.example)"},
    {"allowed and denied at once",
     "envelope.client_addr=192.0.2.25;header.from.domain=phish.example",
     "policy.conf:2: allow client-ip 192.0.2.25 (192.0.2.25)",
     "policy.conf:10: deny from-domain phish.example (phish.example)"},
    {"no findings", "", NULL, NULL},
};

/* count_named - how many findings are called name */
static size_t count_named(const struct findings *f, const char *name)
{
	size_t n = 0;
	for (size_t i = 0; i < fnd_count(f); i++)
		n += strcmp(fnd_at(f, i)->name, name) == 0;
	return n;
}

/* test_lists - pol_lists on each case */
static void test_lists(void)
{
	struct policy *p = load(list_policy, &plain);
	if (!ok(p != NULL, "the list policy loads"))
		return;
	for (size_t i = 0; i < ARRAY_LEN(lcases); i++) {
		const struct lcase *c = &lcases[i];
		struct findings *f = mkf(c->findings);
		if (!ok(f && pol_lists(p, f) == 0, "%s: pol_lists", c->what)) {
			fnd_free(f);
			continue;
		}
		is_str(fnd_get(f, "allowlisted"), c->allow, "%s: allowlisted", c->what);
		is_str(fnd_get(f, "denylisted"), c->deny, "%s: denylisted", c->what);
		ok(count_named(f, "allowlisted") <= 1 && count_named(f, "denylisted") <= 1,
		   "%s: at most one finding of each", c->what);
		fnd_free(f);
	}
	pol_free(p);
}

/* write_list - a list file beside the scratch policy */
static void write_list(const char *name, const char *text)
{
	char path[1024];
	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	FILE *fp = fopen(path, "w");
	if (fp == NULL || fputs(text, fp) < 0 || fclose(fp) != 0)
		diag("cannot write %s", path);
}

/* remove_list - delete a list file */
static void remove_list(const char *name)
{
	char path[1024];
	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	unlink(path);
}

/* test_file_lists - allow and deny entries that name a list file */
static void test_file_lists(void)
{
	write_list("bad.cidr", "203.0.113.0/24\n2001:db8:bad::/48\n");
	write_list("vip.txt", "ceo@partner.example\nvendor.example\n");
	write_list("partners.txt", "partner.example\n");
	struct policy *p = load("deny client-ip file:bad.cidr\n"
				"allow sender file:vip.txt require spf\n"
				"allow from-domain file:partners.txt require dkim\n",
				&plain);
	if (ok(p != NULL, "a policy with file: lists loads")) {
		static const struct {
			const char *findings, *allow, *deny, *what;
		} c[] = {
		    {"envelope.client_addr=203.0.113.9", NULL, NULL, "a listed network"},
		    {"envelope.client_addr=2001:db8:bad::1", NULL, NULL, "a listed v6 network"},
		    {"envelope.client_addr=192.0.2.1;envelope.mail_from=ceo@partner.example;spf="
		     "pass",
		     "x", NULL, "a listed address whose SPF passes"},
		    {"envelope.client_addr=192.0.2.1;envelope.mail_from=x@mail.vendor.example;spf="
		     "pass",
		     "x", NULL, "a subdomain of a listed domain, SPF pass"},
		    {"envelope.client_addr=192.0.2.1;envelope.mail_from=ceo@partner.example;spf="
		     "fail",
		     NULL, NULL, "a listed address whose SPF fails"},
		    {"envelope.client_addr=192.0.2.1;envelope.mail_from=cfo@partner.example;spf="
		     "pass",
		     NULL, NULL, "another address of a listed address's domain"},
		    {"header.from.domain=partner.example;dkim.pass.domain=partner.example", "x",
		     NULL, "a listed From domain with DKIM"},
		    {"header.from.domain=partner.example;dkim.pass.domain=other.example", NULL,
		     NULL, "a listed From domain, DKIM for another domain"},
		};
		for (size_t i = 0; i < ARRAY_LEN(c); i++) {
			struct findings *f = mkf(c[i].findings);
			if (!ok(f && pol_lists(p, f) == 0, "%s: pol_lists", c[i].what)) {
				fnd_free(f);
				continue;
			}
			int want_deny = i < 2;
			ok((fnd_get(f, "denylisted") != NULL) == want_deny, "%s: %s", c[i].what,
			   want_deny ? "denylisted" : "not denylisted");
			ok((fnd_get(f, "allowlisted") != NULL) == (c[i].allow != NULL), "%s: %s",
			   c[i].what, c[i].allow ? "allowlisted" : "not allowlisted");
			fnd_free(f);
		}
		pol_free(p);
	}
	/* a bad list line is the list's file:line, and the policy line is named too */
	write_list("broken.cidr", "192.0.2.0/24\nnot-an-address\n");
	char path[1024];
	snprintf(path, sizeof(path), "%s/broken.cidr", tmpdir);
	FILE *fp = fopen(scratch, "w");
	if (fp) {
		fputs("deny client-ip file:broken.cidr\n", fp);
		fclose(fp);
	}
	struct errlist e;
	errlist_init(&e);
	p = pol_load(scratch, &plain, &e);
	ok(p == NULL, "a policy naming a broken list does not load");
	char want[2048];
	snprintf(want, sizeof(want), "%s:2: expected an IP address or network", path);
	ok(e.count == 2 && strncmp(e.msgs[0], want, strlen(want)) == 0,
	   "the list's bad line is reported as file:line");
	snprintf(want, sizeof(want), "%s:1:16: the list did not load", scratch);
	ok(e.count == 2 && strncmp(e.msgs[1], want, strlen(want)) == 0,
	   "and the policy line naming it (%s)", e.count > 1 ? e.msgs[1] : "");
	errlist_free(&e);
	pol_free(p);
	remove_list("bad.cidr");
	remove_list("vip.txt");
	remove_list("partners.txt");
	remove_list("broken.cidr");
}

/* ---- decisions -------------------------------------------------------------------------- */

#define RULES "/etc/portcullis/rules.d/10-stock.rules"
static const struct rule_hit h_score[] = {
    {"RULE_A", RULES, 20, NULL, 4.5, RA_NONE, NULL, NULL, NULL, 0, "header:Subject matched"},
    {"RULE_B", RULES, 30, NULL, 3.0, RA_NONE, NULL, NULL, NULL, 0, ""},
};
static const struct rule_hit h_reject[] = {
    {"EXE", RULES, 40, NULL, 0, RA_REJECT, "550", "5.7.1", "Executables are not accepted", 0,
     "attachment:name matched \"x.exe\""},
};
static const struct rule_hit h_monitor[] = {
    {"MON", RULES, 50, NULL, 20, RA_REJECT, "550", "5.7.1", "no", 1, "body matched"},
};
static const struct rule_hit h_qt[] = {
    {"TEMP", RULES, 60, NULL, 0, RA_TEMPFAIL, "451", "4.7.1", "Later", 0, ""},
    {"QUAR", RULES, 61, NULL, 0, RA_QUARANTINE, NULL, NULL, NULL, 0, ""},
};
static const struct rule_hit h_dr[] = {
    {"DISC", RULES, 70, NULL, 0, RA_DISCARD, NULL, NULL, NULL, 0, ""},
    {"REJ", "x.rules", 71, NULL, 0, RA_REJECT, NULL, NULL, NULL, 0, ""},
};
static const struct rule_hit h_accept[] = {
    {"BIG", RULES, 80, NULL, 20, RA_NONE, NULL, NULL, NULL, 0, ""},
    {"TRUSTED", RULES, 81, NULL, 0, RA_ACCEPT, NULL, NULL, NULL, 0, ""},
};
static const struct rule_hit h_tag16[] = {
    {"NEWSLETTER", RULES, 90, NULL, 16, RA_TAG, NULL, NULL, NULL, 0, ""},
};
static const struct rule_hit h_quar12[] = {
    {"Q12", RULES, 91, NULL, 12, RA_QUARANTINE, NULL, NULL, NULL, 0, ""},
};
static const struct rule_hit h_badreply[] = {
    {"ODD", RULES, 92, NULL, 0, RA_REJECT, "451", "4.7.1", "wrong class", 0, ""},
};
static const struct rule_hit h_tempfail[] = {
    {"SLOW", RULES, 93, NULL, 0, RA_TEMPFAIL, NULL, NULL, NULL, 0, ""},
};
static const struct rule_hit h_pct[] = {
    {"PCT", "x.rules", 98, NULL, 0, RA_REJECT, "550", "5.7.1", "100%{dmarc.header_from} sure", 0,
     ""},
};
static const struct rule_hit h_20[] = {
    {"R20", RULES, 94, NULL, 20, RA_NONE, NULL, NULL, NULL, 0, ""},
};
static const struct rule_hit h_10[] = {
    {"R10", RULES, 97, NULL, 10, RA_NONE, NULL, NULL, NULL, 0, ""},
};
static const struct rule_hit h_neg[] = {
    {"NEG", RULES, 95, NULL, -2.5, RA_NONE, NULL, NULL, NULL, 0, ""},
    {"POS", RULES, 96, NULL, 8, RA_NONE, NULL, NULL, NULL, 0, ""},
};
#define HITS(a) a, ARRAY_LEN(a)
#define NOHITS NULL, 0

struct dcase {
	const char *what;
	const char *policy; /* text, or NULL: built-in */
	int spf_reject, dns_tempfail;
	const char *findings;
	const struct rule_hit *hits;
	size_t nhits;
	enum vd_action action;
	const char *reply; /* "CODE XCODE text" or "" */
	double score;
	const char *decided; /* exact decided_by */
	const char *headers; /* "Name: value|Name: value", or "" */
	const char *subject; /* Subject prefix, or NULL */
	const char *reason;  /* one reason that must be there, or NULL */
};

static const char lists_small[] = "deny client-ip 203.0.113.0/24\n"
				  "allow client-ip 192.0.2.0/24\n"
				  "allow from-domain partner.example require dkim\n";
static const char band[] = "tempfail at 7\n"
			   "subject-prefix \"[SPAM] \"\n"
			   "on spf = fail -> score 3 as SPF_FAIL\n"
			   "on spf = pass -> score -1\n";
static const char acts[] = "reply reject \"554 5.7.0 Go away\"\n"
			   "on dmarc = fail -> quarantine as DMARC_FAIL\n"
			   "on header.from.count > 1 -> reject \"550 5.7.1 One From, please\"\n"
			   "on dkim = temperror -> tempfail\n"
			   "on envelope.helo = friend.example -> accept as FRIEND\n";
static const char five[] = "on spf = pass -> score 5 as FIVE\n";
static const char noheaders[] = "flag-header off\nscore-header off\ntag at 1\n";
static const char quiet[] = "tag off\nquarantine off\nreject off\n";
static const char headers2[] = "flag-header X-Junk \"yes, junk\"\nscore-header X-Score\n";

#define ACC "X-Portcullis-Score"
static const struct dcase dcases[] = {
    /* 1. size */
    {"oversize beats a deny entry", lists_small, 0, 0,
     "size.oversize=2000 > 1000;envelope.client_addr=203.0.113.9", NOHITS, VD_REJECT,
     "552 5.3.4 Message size exceeds fixed maximum message size", 0,
     "size 2000 > 1000 (message_size_max)", "", NULL, "size.oversize"},
    /* 2. deny */
    {"deny beats allow and rules", lists_small, 0, 0,
     "envelope.client_addr=203.0.113.9;header.from.domain=partner.example;"
     "dkim.pass.domain=partner.example",
     HITS(h_accept), VD_REJECT, "550 5.7.1 Message refused by local policy", 20,
     "policy.conf:1: deny client-ip 203.0.113.0/24 (203.0.113.9)", "", NULL,
     "denylisted: policy.conf:1: deny client-ip 203.0.113.0/24 (203.0.113.9)"},
    /* 3. allow */
    {"allow beats a reject hit and the score", lists_small, 0, 0, "envelope.client_addr=192.0.2.7",
     HITS(h_reject), VD_ACCEPT, "", 0, "policy.conf:2: allow client-ip 192.0.2.0/24 (192.0.2.7)",
     "", NULL, "EXE (10-stock.rules:40) reject: attachment:name matched \"x.exe\""},
    {"allow beats thresholds", lists_small, 0, 0, "envelope.client_addr=192.0.2.7", HITS(h_20),
     VD_ACCEPT, "", 20, "policy.conf:2: allow client-ip 192.0.2.0/24 (192.0.2.7)", "", NULL,
     "R20 (10-stock.rules:94) +20.0"},
    {"an allow entry whose requirement is not met allows nothing", lists_small, 0, 0,
     "header.from.domain=partner.example", HITS(h_20), VD_REJECT,
     "550 5.7.1 Message refused by content policy", 20, "score 20 >= reject at 15 (built-in)", "",
     NULL,
     "not allowlisted: policy.conf:3: allow from-domain partner.example require dkim "
     "matched, but its requirement was not met"},
    /* 4. direct actions */
    {"a rule's reject with its own reply", NULL, 0, 0, "", HITS(h_reject), VD_REJECT,
     "550 5.7.1 Executables are not accepted", 0, "rule EXE (10-stock.rules:40): reject", "", NULL,
     NULL},
    {"quarantine is stricter than tempfail", NULL, 0, 0, "", HITS(h_qt), VD_QUARANTINE, "", 0,
     "rule QUAR (10-stock.rules:61): quarantine", "", NULL, "TEMP (10-stock.rules:60) tempfail"},
    {"reject is stricter than discard", NULL, 0, 0, "", HITS(h_dr), VD_REJECT,
     "550 5.7.1 Message refused by content policy", 0, "rule REJ (x.rules:71): reject", "", NULL,
     NULL},
    {"a direct accept switches the score off", NULL, 0, 0, "", HITS(h_accept), VD_ACCEPT, "", 20,
     "rule TRUSTED (10-stock.rules:81): accept", "", NULL, NULL},
    {"a direct tag is a floor: the score still rejects", NULL, 0, 0, "", HITS(h_tag16), VD_REJECT,
     "550 5.7.1 Message refused by content policy", 16, "score 16 >= reject at 15 (built-in)", "",
     NULL, NULL},
    {"a direct action as strict as the threshold decides", NULL, 0, 0, "", HITS(h_quar12),
     VD_QUARANTINE, "", 12, "rule Q12 (10-stock.rules:91): quarantine", "", NULL, NULL},
    {"a rule reply of the wrong class falls back to the default", NULL, 0, 0, "", HITS(h_badreply),
     VD_REJECT, "550 5.7.1 Message refused by content policy", 0,
     "rule ODD (10-stock.rules:92): reject", "", NULL, NULL},
    {"a tempfail without a reply gets the default", NULL, 0, 0, "", HITS(h_tempfail), VD_TEMPFAIL,
     "451 4.7.1 Message deferred, please try again later", 0,
     "rule SLOW (10-stock.rules:93): tempfail", "", NULL, NULL},
    {"on: quarantine", acts, 0, 0, "dmarc=fail", NOHITS, VD_QUARANTINE, "", 0,
     "policy.conf:2: on dmarc = fail -> quarantine as DMARC_FAIL", "", NULL,
     "DMARC_FAIL (policy.conf:2) quarantine"},
    {"on: reject with its reply beats quarantine", acts, 0, 0, "dmarc=fail;header.from.count=2",
     NOHITS, VD_REJECT, "550 5.7.1 One From, please", 0,
     "policy.conf:3: on header.from.count > 1 -> reject \"550 5.7.1 One From, please\"", "", NULL,
     "header.from.count > 1 (policy.conf:3) reject"},
    {"on: tempfail with the policy's default reply", acts, 0, 0, "dkim=temperror", NOHITS,
     VD_TEMPFAIL, "451 4.7.1 Message deferred, please try again later", 0,
     "policy.conf:4: on dkim = temperror -> tempfail", "", NULL, NULL},
    {"on: a reject rule uses 'reply reject'", acts, 0, 0, "", HITS(h_dr), VD_REJECT,
     "554 5.7.0 Go away", 0, "rule REJ (x.rules:71): reject", "", NULL, NULL},
    {"on: accept switches the score off", acts, 0, 0, "envelope.helo=friend.example", HITS(h_20),
     VD_ACCEPT, "", 20, "policy.conf:5: on envelope.helo = friend.example -> accept as FRIEND", "",
     NULL, NULL},
    {"on: an `on` line comes before a rule of equal rank", acts, 0, 0, "header.from.count=3",
     HITS(h_reject), VD_REJECT, "550 5.7.1 One From, please", 0,
     "policy.conf:3: on header.from.count > 1 -> reject \"550 5.7.1 One From, please\"", "", NULL,
     NULL},
    {"on: the built-in multiple-From reject", NULL, 0, 0, "header.from.count=2", NOHITS, VD_REJECT,
     "550 5.7.1 Message has more than one From address", 0,
     "built-in: on header.from.count > 1 or header.from.addresses > 1 -> reject \"550 5.7.1 "
     "Message has more than one From address\" as MULTIPLE_FROM",
     "", NULL, "MULTIPLE_FROM (built-in) reject"},
    {"on: the built-in DMARC reject names the From domain", NULL, 0, 0,
     "dmarc=fail;dmarc.policy=reject;dmarc.disposition=reject;dmarc.header_from=bank.example",
     NOHITS, VD_REJECT, "550 5.7.1 Rejected by the DMARC policy of bank.example", 0, NULL, "", NULL,
     NULL},
    {"on: a reply's %{FINDING} without that finding says unknown", NULL, 0, 0,
     "dmarc=fail;dmarc.policy=reject;dmarc.disposition=reject", NOHITS, VD_REJECT,
     "550 5.7.1 Rejected by the DMARC policy of unknown", 0, NULL, "", NULL, NULL},
    {"on: a reply's %{FINDING} keeps only domain and address characters", NULL, 0, 0,
     "dmarc=fail;dmarc.disposition=reject;dmarc.header_from=a b\"%{x}\r\n250 ok.example", NOHITS,
     VD_REJECT, "550 5.7.1 Rejected by the DMARC policy of a?b???x???250?ok.example", 0, NULL, "",
     NULL, NULL},
    {"on: a rule's own reply is sent as written, %{...} and all", NULL, 0, 0,
     "dmarc.header_from=x.example", HITS(h_pct), VD_REJECT,
     "550 5.7.1 100%{dmarc.header_from} sure", 0, "rule PCT (x.rules:98): reject", "", NULL, NULL},
    {"on: %{FINDING} in a default reply, two of them",
     "reply reject \"554 5.7.1 %{envelope.helo} "
     "and %{dmarc.header_from}\"\non spf = fail -> reject\n",
     0, 0, "spf=fail;envelope.helo=[192.0.2.1];dmarc.header_from=x.example", NOHITS, VD_REJECT,
     "554 5.7.1 [192.0.2.1] and x.example", 0, NULL, "", NULL, NULL},
    {"on: the built-in DMARC quarantine", NULL, 0, 0,
     "dmarc=fail;dmarc.policy=quarantine;dmarc.disposition=quarantine", NOHITS, VD_QUARANTINE, "",
     0, NULL, "", NULL, "DMARC_QUARANTINE (built-in) quarantine"},
    {"on: p=reject outside the pct= sample is quarantined", NULL, 0, 0,
     "dmarc=fail;dmarc.policy=reject;dmarc.disposition=quarantine", NOHITS, VD_QUARANTINE, "", 0,
     NULL, "", NULL, "DMARC_QUARANTINE (built-in) quarantine"},
    {"on: two From addresses in one header are refused", NULL, 0, 0,
     "header.from.count=1;header.from.addresses=2", NOHITS, VD_REJECT,
     "550 5.7.1 Message has more than one From address", 0, NULL, "", NULL, NULL},
    {"on: DMARC fail with p=none does nothing", NULL, 0, 0, "dmarc=fail;dmarc.policy=none", NOHITS,
     VD_ACCEPT, "", 0, "score 0 < tag at 5 (built-in)", "", NULL, NULL},
    /* settings */
    {"spf_reject_fail: SPF fail rejects 550 5.7.23", NULL, 1, 0, "spf=fail", NOHITS, VD_REJECT,
     "550 5.7.23 SPF validation failed", 3,
     "portcullis.conf spf_reject_fail: on spf = fail -> reject", "", NULL,
     "spf=fail (portcullis.conf spf_reject_fail) reject"},
    {"without spf_reject_fail, SPF fail only scores 3", NULL, 0, 0, "spf=fail", NOHITS, VD_ACCEPT,
     "", 3, "score 3 < tag at 5 (built-in)", "", NULL, "SPF_FAIL (built-in) +3.0"},
    {"on_dns_error tempfail: SPF temperror tempfails 451 4.7.24", NULL, 0, 1, "spf=temperror",
     NOHITS, VD_TEMPFAIL, "451 4.7.24 Temporary DNS failure checking SPF, please try again later",
     0, "portcullis.conf on_dns_error: on spf = temperror -> tempfail", "", NULL, NULL},
    {"without it, SPF temperror is accepted", NULL, 0, 0, "spf=temperror", NOHITS, VD_ACCEPT, "", 0,
     "score 0 < tag at 5 (built-in)", "", NULL, NULL},
    {"the settings act in a policy file too", quiet, 1, 0, "spf=fail", NOHITS, VD_REJECT,
     "550 5.7.23 SPF validation failed", 0,
     "portcullis.conf spf_reject_fail: on spf = fail -> reject", "", NULL, NULL},
    {"softfail scores 1, permerror 0.5", NULL, 0, 0, "spf=softfail", HITS(h_score), VD_TAG, "", 8.5,
     "score 8.5 >= tag at 5 (built-in)",
     "X-Spam-Flag: YES|" ACC ": 8.5 (SPF_SOFTFAIL=1.0, RULE_A=4.5, RULE_B=3.0)", NULL, NULL},
    /* 5. thresholds */
    {"below tag", NULL, 0, 0, "spf=permerror", NOHITS, VD_ACCEPT, "", 0.5,
     "score 0.5 < tag at 5 (built-in)", "", NULL, "SPF_PERMERROR (built-in) +0.5"},
    {"tag at exactly 5", five, 0, 0, "spf=pass", NOHITS, VD_TAG, "", 5,
     "score 5 >= tag at 5 (built-in)", "X-Spam-Flag: YES|" ACC ": 5.0 (FIVE=5.0)", NULL,
     "FIVE (policy.conf:1) +5.0"},
    {"tag with headers and Subject prefix", band, 0, 0, "spf=pass", HITS(h_score), VD_TAG, "", 6.5,
     "score 6.5 >= tag at 5 (built-in)",
     "X-Spam-Flag: YES|" ACC ": 6.5 (spf = pass=-1.0, RULE_A=4.5, RULE_B=3.0)", "[SPAM] ",
     "spf = pass (policy.conf:4) -1.0"},
    {"negative scores count: 8 - 2.5 tags", band, 0, 0, "", HITS(h_neg), VD_TAG, "", 5.5,
     "score 5.5 >= tag at 5 (built-in)", NULL, "[SPAM] ", "NEG (10-stock.rules:95) -2.5"},
    {"the tempfail band", band, 0, 0, "spf=fail;spf=pass", HITS(h_score), VD_TEMPFAIL,
     "451 4.7.1 Message deferred, please try again later", 9.5,
     "score 9.5 >= tempfail at 7 (policy.conf:1)", "", NULL, NULL},
    {"the top of the tempfail band is quarantine", band, 0, 0, "", HITS(h_10), VD_QUARANTINE, "",
     10, "score 10 >= quarantine at 10 (built-in)", "", NULL, NULL},
    {"quarantine and more", band, 0, 0, "spf=fail", HITS(h_score), VD_QUARANTINE, "", 10.5,
     "score 10.5 >= quarantine at 10 (built-in)", "", NULL, NULL},
    {"reject at 15 with the default reply", NULL, 0, 0, "", HITS(h_20), VD_REJECT,
     "550 5.7.1 Message refused by content policy", 20, "score 20 >= reject at 15 (built-in)", "",
     NULL, NULL},
    {"every threshold off", quiet, 0, 0, "", HITS(h_20), VD_ACCEPT, "", 20,
     "score 20: every threshold is off", "", NULL, NULL},
    {"tag without headers", noheaders, 0, 0, "", HITS(h_score), VD_TAG, "", 7.5,
     "score 7.5 >= tag at 1 (policy.conf:3)", "", NULL, NULL},
    {"other header names", headers2, 0, 0, "", HITS(h_score), VD_TAG, "", 7.5, NULL,
     "X-Junk: yes, junk|X-Score: 7.5 (RULE_A=4.5, RULE_B=3.0)", NULL, NULL},
    {"a file without `on` lines has no SPF scores", quiet, 0, 0, "spf=fail", NOHITS, VD_ACCEPT, "",
     0, NULL, "", NULL, NULL},
    /* monitor */
    {"a monitor hit changes nothing", NULL, 0, 0, "", HITS(h_monitor), VD_ACCEPT, "", 0,
     "score 0 < tag at 5 (built-in)", "", NULL,
     "monitor: MON (10-stock.rules:50) would hit +20.0 reject: body matched"},
};

/* header_list - "Name: value|Name: value" */
static void header_list(const struct verdict *v, char *out, size_t len)
{
	size_t n = 0;
	out[0] = '\0';
	for (size_t i = 0; i < v->nadd && n < len; i++)
		n += (size_t)snprintf(out + n, len - n, "%s%s: %s", i ? "|" : "", v->add[i].name,
				      v->add[i].value);
}

/* has_reason - v names reason */
static int has_reason(const struct verdict *v, const char *reason)
{
	for (size_t i = 0; i < v->nreason; i++)
		if (strcmp(v->reasons[i], reason) == 0)
			return 1;
	return 0;
}

/* check_case - one decision */
static void check_case(const struct dcase *c, const struct verdict *v)
{
	char reply[700], hdrs[2000];
	snprintf(reply, sizeof(reply), "%s%s%s%s%s", v->rcode, v->xcode[0] ? " " : "", v->xcode,
		 v->text ? " " : "", v->text ? v->text : "");
	is_str(vd_action_name(v->action), vd_action_name(c->action), "%s: action", c->what);
	is_str(reply, c->reply, "%s: reply", c->what);
	ok(v->score > c->score - 1e-9 && v->score < c->score + 1e-9, "%s: score %g (got %g)",
	   c->what, c->score, v->score);
	if (c->decided)
		is_str(v->decided_by, c->decided, "%s: decided_by", c->what);
	else
		ok(v->decided_by != NULL, "%s: decided_by is set", c->what);
	if (c->headers) {
		header_list(v, hdrs, sizeof(hdrs));
		is_str(hdrs, c->headers, "%s: headers", c->what);
	}
	is_str(v->subject_prefix, c->subject, "%s: Subject prefix", c->what);
	if (c->reason && !ok(has_reason(v, c->reason), "%s: reason '%s'", c->what, c->reason))
		for (size_t i = 0; i < v->nreason; i++)
			diag("  reason: %s", v->reasons[i]);
}

/* test_decide - the table */
static void test_decide(void)
{
	for (size_t i = 0; i < ARRAY_LEN(dcases); i++) {
		const struct dcase *c = &dcases[i];
		struct pol_settings ps = {1000, c->spf_reject, c->dns_tempfail};
		struct policy *p = load(c->policy, &ps);
		struct findings *f = mkf(c->findings);
		struct verdict v;
		vd_init(&v);
		if (ok(p && f && pol_decide(p, f, c->hits, c->nhits, &v) == 0, "%s: decides",
		       c->what))
			check_case(c, &v);
		vd_free(&v);
		fnd_free(f);
		pol_free(p);
	}
}

/* test_size - pol_size_verdict at the limit and above */
static void test_size(void)
{
	struct policy *p = load(NULL, &plain);
	struct verdict v;
	vd_init(&v);
	is_int(p ? pol_size_verdict(p, 1000, &v) : -2, 0, "size at the limit: no verdict");
	is_int(p ? pol_size_verdict(p, 1001, &v) : -2, 1, "size over the limit: a verdict");
	is_str(v.rcode, "552", "size over the limit: 552");
	is_str(v.xcode, "5.3.4", "size over the limit: 5.3.4");
	is_str(v.decided_by, "size 1001 > message_size_max 1000", "size: decided_by");
	vd_free(&v);
	pol_free(p);
}

/* ---- the stock file is the built-in policy ----------------------------------------------- */

static const char *const stock_inputs[] = {
    "",
    "spf=fail",
    "spf=softfail",
    "spf=permerror",
    "spf=temperror",
    "spf=pass",
    "header.from.count=1",
    "header.from.count=2",
    "dmarc=fail;dmarc.policy=reject",
    "dmarc=fail;dmarc.policy=quarantine",
    "dmarc=fail;dmarc.policy=none",
    "dmarc=pass;dmarc.policy=reject",
    "size.oversize=2000 > 1000",
    "envelope.client_addr=192.0.2.1;envelope.helo=x.example;envelope.mail_from=a@b.example",
};

/* same_verdict - everything but decided_by (its origin differs) and the reasons' origins */
static int same_verdict(const struct verdict *a, const struct verdict *b)
{
	char ha[2000], hb[2000];
	header_list(a, ha, sizeof(ha));
	header_list(b, hb, sizeof(hb));
	return a->action == b->action && strcmp(a->rcode, b->rcode) == 0 &&
	       strcmp(a->xcode, b->xcode) == 0 &&
	       strcmp(a->text ? a->text : "", b->text ? b->text : "") == 0 &&
	       a->score == b->score && strcmp(ha, hb) == 0 && a->nreason == b->nreason &&
	       strcmp(a->subject_prefix ? a->subject_prefix : "",
		      b->subject_prefix ? b->subject_prefix : "") == 0;
}

/* test_stock - policy/policy.conf decides as the built-in policy does */
static void test_stock(void)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s/policy/policy.conf", tap_srcdir());
	const struct rule_hit *hitsets[] = {NULL, h_score, h_20, h_neg, h_monitor, h_reject};
	const size_t nhits[] = {0,
				ARRAY_LEN(h_score),
				ARRAY_LEN(h_20),
				ARRAY_LEN(h_neg),
				ARRAY_LEN(h_monitor),
				ARRAY_LEN(h_reject)};
	for (int set = 0; set < 4; set++) {
		struct pol_settings ps = {1000, set & 1, (set >> 1) & 1};
		struct errlist e;
		errlist_init(&e);
		struct policy *stock = pol_load(path, &ps, &e), *builtin = pol_load(NULL, &ps, &e);
		if (!ok(stock && builtin && e.count == 0,
			"settings %d: policy/policy.conf and the built-in policy load", set)) {
			for (size_t i = 0; i < e.count; i++)
				diag("  %s", e.msgs[i]);
		}
		size_t same = 0, total = 0;
		for (size_t i = 0; stock && builtin && i < ARRAY_LEN(stock_inputs); i++)
			for (size_t h = 0; h < ARRAY_LEN(hitsets); h++) {
				struct findings *f = mkf(stock_inputs[i]);
				struct verdict a, b;
				vd_init(&a);
				vd_init(&b);
				total++;
				if (f && pol_decide(stock, f, hitsets[h], nhits[h], &a) == 0 &&
				    pol_decide(builtin, f, hitsets[h], nhits[h], &b) == 0 &&
				    same_verdict(&a, &b))
					same++;
				else
					diag("  differs: '%s' with hit set %zu: %s/%s vs %s/%s",
					     stock_inputs[i], h, vd_action_name(a.action),
					     a.decided_by ? a.decided_by : "",
					     vd_action_name(b.action),
					     b.decided_by ? b.decided_by : "");
				vd_free(&a);
				vd_free(&b);
				fnd_free(f);
			}
		ok(total > 0 && same == total,
		   "settings %d: the same verdict for %zu of %zu inputs", set, same, total);
		errlist_free(&e);
		pol_free(stock);
		pol_free(builtin);
	}
}

int main(void)
{
	snprintf(tmpdir, sizeof(tmpdir), "%s/policy_test.XXXXXX",
		 getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (mkdtemp(tmpdir) == NULL) {
		printf("Bail out! mkdtemp failed\n");
		return 1;
	}
	snprintf(scratch, sizeof(scratch), "%s/policy.conf", tmpdir);
	test_golden();
	test_load();
	test_lists();
	test_file_lists();
	test_decide();
	test_size();
	test_stock();
	unlink(scratch);
	rmdir(tmpdir);
	return done_testing();
}
