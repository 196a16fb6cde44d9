/*
 * prefilter_test.c - the Hyperscan prefilter changes no rule's outcome.
 *
 * DESCRIPTION
 *	One rule file with patterns of every shape the language allows (flags
 *	i m s x, anchors, word boundaries, alternations, back references,
 *	lookarounds, patterns Hyperscan refuses, the u flag) on every
 *	prefiltered target and on some that are not, loaded twice: once as
 *	rule_load builds it, once with its prefilter taken away. Both copies
 *	are evaluated on the same messages: thousands of random ones built
 *	from the patterns' own words, case changes and line breaks, and the
 *	MIME test messages. Every message must give the same hits in the
 *	same order, with the same "why" text. Then: which conditions were
 *	left to PCRE2, and that the prefilter did save PCRE2 calls (so that
 *	the comparison is not between two unfiltered copies).
 *
 * OUTPUT
 *	TAP on stdout (see tap.h).
 */
#include "config.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "errlist.h"
#include "rules.h"
#include "rules_int.h"
#include "tap.h"

static const char rules_text[] =
    "rule PHRASE\n  match body /cheap\\s+meds/i\n  score 1\n"
    "rule WORD\n  match body /\\bwinner\\b/\n  score 1\n"
    "rule ALT\n  match body /(lottery|jackpot|prize)\\s+(claim|notice)/i\n  score 1\n"
    "rule ANCHOR\n  match body /^unsubscribe$/m\n  score 1\n"
    "rule DOTALL\n  match body /begin.*end/s\n  score 1\n"
    "rule NODOT\n  match body /begin.end/\n  score 1\n"
    "rule EXT\n  match body /verify \\s+ your \\s+ (account|password)/ix\n  score 1\n"
    "rule EXTC\n  match body /verify \\s+ (account|password) # comment/ix\n  score 1\n"
    "rule BACKREF\n  match body /(\\w{3})-\\1/\n  score 1\n"
    "rule AHEAD\n  match body /pay(?=pal)/i\n  score 1\n"
    "rule BEHIND\n  match body /(?<!no )reply/\n  score 1\n"
    "rule EMPTY\n  match body /x*/\n  unless body /zz/\n  score 1\n"
    "rule KEEP\n  match body /foo\\Kbar/\n  score 1\n"
    "rule UTF\n  match body /caf\xc3\xa9/iu\n  score 1\n"
    "rule DOLLAR\n  match body /end$/\n  score 1\n"
    "rule CLASS\n  match body /[0-9]{4}-[0-9]{4}/\n  score 1\n"
    "rule RANGE\n  match body /a{2,5}b/i\n  score 1\n"
    "rule RAW\n  match rawbody /=\\r\\n/\n  score 1\n"
    "rule RAWB64\n  match rawbody /^[A-Za-z0-9+\\/]{40,}$/m\n  score 1\n"
    "rule TWO\n  match body /cheap/i\n  match body /prize/\n  score 1\n"
    "rule VETO\n  match body /winner/i\n  unless body /newsletter/i\n  score 1\n"
    "rule URL\n  match url /^https?:\\/\\/[^\\/]*\\.(top|xyz)\\//\n  score 1\n"
    "rule URLDOM\n  match url-domain /^(bit\\.ly|tinyurl\\.com)$/\n  score 1\n"
    "rule ATT\n  match attachment:name /\\.(exe|scr|js)$/i\n  score 1\n"
    "rule HDRS\n  match headers /^x-mailer: .*mass/im\n  score 1\n"
    "rule SUBJ\n  match header:Subject /prize/i\n  score 1\n"
    "rule META\n  when PHRASE and not VETO\n  score 1\n";

/* the words the random messages are made of */
static const char *const words[] = {
    "cheap",   "meds",  "CHEAP",      "Meds",        "winner",    "Winner",   "lottery",
    "jackpot", "prize", "claim",      "notice",      "NOTICE",    "begin",    "end",
    "verify",  "your",  "account",    "PassWord",    "abc-abc",   "abc-abd",  "paypal",
    "PayPal",  "pay",   "no reply",   "reply",       "zz",        "x",        "foobar",
    "foo",     "bar",   "café",       "CAFÉ",        "1234-5678", "aab",      "AAAAAB",
    "ab",      "=",     "newsletter", "unsubscribe", "b",         "\xff\xfe", "é",
    "\t",      "  ",    "-",          ".",           "\r\n",      "\n",
};

static unsigned long long rng_state = 88172645463325252ull;

/* rnd - xorshift64, the same sequence on every run */
static unsigned rnd(unsigned n)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return (unsigned)(rng_state % n);
}

/* random_text - nwords words from the table, separated by blanks or line breaks */
static void random_text(struct buf *b, unsigned nwords)
{
	buf_reset(b);
	for (unsigned i = 0; i < nwords; i++) {
		int rc = buf_adds(b, words[rnd(ARRAY_LEN(words))]);
		if (rc == BUF_OK)
			rc = buf_adds(b, rnd(5) == 0 ? "\n" : " ");
		if (rc != BUF_OK)
			return;
	}
	if (buf_add(b, "", 1) == BUF_OK) /* NUL-terminated, not counted */
		b->len--;
}

/* same_hits - do both sets give the same hits for in? */
static int same_hits(struct rule_run *a, struct rule_run *b, const struct rule_input *in,
		     size_t *nhit)
{
	const struct rule_hit *ha, *hb;
	size_t na, nb, la, lb;
	const char *const *lima, *const *limb;
	if (rule_eval(a, in, &ha, &na, &lima, &la) < 0 ||
	    rule_eval(b, in, &hb, &nb, &limb, &lb) < 0)
		return 0;
	*nhit += na;
	int same = na == nb;
	for (size_t i = 0; same && i < na; i++)
		same = strcmp(ha[i].name, hb[i].name) == 0 && strcmp(ha[i].why, hb[i].why) == 0;
	for (size_t i = 0; !same && i < na; i++)
		diag("with the prefilter: %s (%s)", ha[i].name, ha[i].why);
	for (size_t i = 0; !same && i < nb; i++)
		diag("without: %s (%s)", hb[i].name, hb[i].why);
	return same;
}

/* describe - the first differing message, for the diagnostics */
static void describe(const struct rule_input *in)
{
	diag("body: %.*s", (int)(in->extra[0].len[0] < 300 ? in->extra[0].len[0] : 300),
	     in->extra[0].v[0]);
}

/* compare_random - n random messages through both sets */
static void compare_random(const struct rule_set *with, const struct rule_set *without, unsigned n)
{
	struct rule_run *a = rule_run_new(with), *b = rule_run_new(without);
	struct buf body, raw, url, att, subj, mailer;
	struct buf *all[] = {&body, &raw, &url, &att, &subj, &mailer};
	for (size_t i = 0; i < ARRAY_LEN(all); i++)
		buf_init(all[i], 0);
	unsigned bad = 0;
	size_t hits = 0;
	for (unsigned k = 0; a && b && k < n && bad == 0; k++) {
		random_text(&body, 1 + rnd(60));
		random_text(&raw, 1 + rnd(30));
		random_text(&att, 1 + rnd(3));
		random_text(&subj, 1 + rnd(6));
		random_text(&mailer, 1 + rnd(4));
		static const char *const urls[] = {"http://x.top/a", "https://evil.xyz/",
						   "http://good.example/", "https://a.b.top/x"};
		static const char *const doms[] = {"bit.ly", "tinyurl.com", "example.com",
						   "bit.lyx"};
		const char *uv[2] = {urls[rnd(4)], urls[rnd(4)]};
		const char *dv[1] = {doms[rnd(4)]};
		const char *bv[2] = {body.data, att.data};
		size_t bl[2] = {body.len, att.len};
		const char *av[1] = {rnd(3) ? att.data : "setup.EXE"};
		struct rule_values extra[] = {{"body", bv, bl, 1 + rnd(2)},
					      {"url", uv, NULL, rnd(3)},
					      {"url-domain", dv, NULL, 1},
					      {"attachment:name", av, NULL, 1}};
		struct rule_header hdrs[] = {{"Subject", subj.data}, {"X-Mailer", mailer.data}};
		struct rule_input in = {.hdrs = hdrs,
					.nhdr = 2,
					.client_addr = "192.0.2.1",
					.client_name = "unknown",
					.helo = "h",
					.mail_from = "",
					.body = raw.data,
					.body_len = raw.len,
					.extra = extra,
					.nextra = ARRAY_LEN(extra)};
		if (!same_hits(a, b, &in, &hits)) {
			bad++;
			describe(&in);
		}
	}
	if (!ok(a && b && bad == 0,
		"%u random messages: the same hits with and without the prefilter", n))
		diag("differing messages: %u", bad);
	ok(hits > n, "the random messages hit rules (%zu hits)", hits);
#ifdef HAVE_HYPERSCAN
	ok(a && pf_skips(rule_run_prefilter(a)) > n, "the prefilter saved PCRE2 calls (%zu)",
	   a ? pf_skips(rule_run_prefilter(a)) : 0);
#endif
	for (size_t i = 0; i < ARRAY_LEN(all); i++)
		buf_free(all[i]);
	rule_run_free(a);
	rule_run_free(b);
}

/* compare_files - the MIME test messages, whole, as body and raw body */
static void compare_files(const struct rule_set *with, const struct rule_set *without)
{
	char dir[1024];
	snprintf(dir, sizeof(dir), "%s/tests/data/mime", tap_srcdir());
	DIR *d = opendir(dir);
	struct rule_run *a = rule_run_new(with), *b = rule_run_new(without);
	unsigned n = 0, bad = 0;
	size_t hits = 0;
	struct dirent *de;
	while (d && a && b && (de = readdir(d)) != NULL) {
		size_t len = strlen(de->d_name);
		if (len < 5 || strcmp(de->d_name + len - 4, ".eml") != 0)
			continue;
		char path[2048];
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		struct buf text;
		buf_init(&text, 8u << 20);
		struct errlist errs;
		errlist_init(&errs);
		int rc = buf_read_file(&text, path, &errs);
		errlist_free(&errs);
		if (rc != 0) {
			buf_free(&text);
			continue;
		}
		const char *bv[1] = {text.data};
		size_t bl[1] = {text.len};
		struct rule_values extra[] = {{"body", bv, bl, 1}};
		struct rule_input in = {.client_addr = "192.0.2.1",
					.client_name = "unknown",
					.helo = "",
					.mail_from = "",
					.body = text.data,
					.body_len = text.len,
					.extra = extra,
					.nextra = 1};
		n++;
		if (!same_hits(a, b, &in, &hits)) {
			bad++;
			diag("differs: %s", de->d_name);
		}
		buf_free(&text);
	}
	if (d)
		closedir(d);
	ok(n >= 3 && bad == 0,
	   "%u MIME test messages: the same hits with and without the prefilter", n);
	rule_run_free(a);
	rule_run_free(b);
}

/* cond_of - rule name's first match line */
static const struct rule_cond *cond_of(const struct rule_set *rs, const char *name)
{
	for (size_t i = 0; i < rs->n; i++)
		if (strcmp(rs->rules[i].name, name) == 0 && rs->rules[i].nmatch)
			return &rs->rules[i].match[0];
	return NULL;
}

int main(void)
{
	char path[] = "/tmp/prefilter_test.XXXXXX";
	int fd = mkstemp(path);
	if (fd < 0 ||
	    write(fd, rules_text, sizeof(rules_text) - 1) != (ssize_t)sizeof(rules_text) - 1)
		return diag("cannot write %s", path), 1;
	close(fd);
	struct errlist e1, e2;
	errlist_init(&e1);
	errlist_init(&e2);
	struct rule_set *with = rule_load_file(path, &e1), *without = rule_load_file(path, &e2);
	unlink(path);
	if (!ok(with && without, "the rule file loads"))
		diag("%s", e1.count ? e1.msgs[0] : "");
	if (with == NULL || without == NULL)
		return done_testing();
	pf_free(without->pf);
	without->pf = NULL;
#ifdef HAVE_HYPERSCAN
	is_int((long)pf_groups(with->pf), 6, "one database per prefiltered target");
	static const char *const alone[] = {"EMPTY", "KEEP", "UTF", "SUBJ"};
	for (size_t i = 0; i < ARRAY_LEN(alone); i++) {
		const struct rule_cond *c = cond_of(with, alone[i]);
		ok(c && c->pf < 0, "%s is left to PCRE2", alone[i]);
	}
	static const char *const grouped[] = {"PHRASE", "EXT", "BACKREF", "BEHIND", "RAW", "ATT"};
	for (size_t i = 0; i < ARRAY_LEN(grouped); i++) {
		const struct rule_cond *c = cond_of(with, grouped[i]);
		ok(c && c->pf >= 0, "%s is prefiltered", grouped[i]);
	}
#else
	ok(with->pf == NULL, "built without Hyperscan: no prefilter");
#endif
	compare_random(with, without, 4000);
	compare_files(with, without);
	rule_free(with);
	rule_free(without);
	errlist_free(&e1);
	errlist_free(&e2);
	return done_testing();
}
