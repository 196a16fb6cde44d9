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
 *	the comparison is not between two unfiltered copies). Then as the daemon
 *	runs them: a new run per message, on new threads, two loaded copies of
 *	the set in turn; and the list that keeps scratch spaces and JIT stacks
 *	for the next run (keep.h).
 *
 * OUTPUT
 *	TAP on stdout (see tap.h).
 */
#include "config.h"

#include <dirent.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "errlist.h"
#include "keep.h"
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

/* One random message and the buffers it lives in. */
struct rmsg {
	struct buf body, raw, att, subj, mailer;
	const char *uv[2], *dv[1], *bv[2], *av[1];
	size_t bl[2];
	struct rule_values extra[4];
	struct rule_header hdrs[2];
	struct rule_input in;
};

static void rmsg_init(struct rmsg *m)
{
	memset(m, 0, sizeof(*m));
	struct buf *all[] = {&m->body, &m->raw, &m->att, &m->subj, &m->mailer};
	for (size_t i = 0; i < ARRAY_LEN(all); i++)
		buf_init(all[i], 0);
}

static void rmsg_free(struct rmsg *m)
{
	struct buf *all[] = {&m->body, &m->raw, &m->att, &m->subj, &m->mailer};
	for (size_t i = 0; i < ARRAY_LEN(all); i++)
		buf_free(all[i]);
}

/* rmsg_next - the next random message (the generator's sequence is fixed) */
static const struct rule_input *rmsg_next(struct rmsg *m)
{
	random_text(&m->body, 1 + rnd(60));
	random_text(&m->raw, 1 + rnd(30));
	random_text(&m->att, 1 + rnd(3));
	random_text(&m->subj, 1 + rnd(6));
	random_text(&m->mailer, 1 + rnd(4));
	static const char *const urls[] = {"http://x.top/a", "https://evil.xyz/",
					   "http://good.example/", "https://a.b.top/x"};
	static const char *const doms[] = {"bit.ly", "tinyurl.com", "example.com", "bit.lyx"};
	m->uv[0] = urls[rnd(4)];
	m->uv[1] = urls[rnd(4)];
	m->dv[0] = doms[rnd(4)];
	m->bv[0] = m->body.data;
	m->bv[1] = m->att.data;
	m->bl[0] = m->body.len;
	m->bl[1] = m->att.len;
	m->av[0] = rnd(3) ? m->att.data : "setup.EXE";
	m->extra[0] = (struct rule_values){"body", m->bv, m->bl, 1 + rnd(2)};
	m->extra[1] = (struct rule_values){"url", m->uv, NULL, rnd(3)};
	m->extra[2] = (struct rule_values){"url-domain", m->dv, NULL, 1};
	m->extra[3] = (struct rule_values){"attachment:name", m->av, NULL, 1};
	m->hdrs[0] = (struct rule_header){"Subject", m->subj.data};
	m->hdrs[1] = (struct rule_header){"X-Mailer", m->mailer.data};
	m->in = (struct rule_input){.hdrs = m->hdrs,
				    .nhdr = 2,
				    .client_addr = "192.0.2.1",
				    .client_name = "unknown",
				    .helo = "h",
				    .mail_from = "",
				    .body = m->raw.data,
				    .body_len = m->raw.len,
				    .extra = m->extra,
				    .nextra = ARRAY_LEN(m->extra)};
	return &m->in;
}

/* compare_random - n random messages through both sets */
static void compare_random(const struct rule_set *with, const struct rule_set *without, unsigned n)
{
	struct rule_run *a = rule_run_new(with), *b = rule_run_new(without);
	struct rmsg m;
	rmsg_init(&m);
	unsigned bad = 0;
	size_t hits = 0;
	for (unsigned k = 0; a && b && k < n && bad == 0; k++) {
		const struct rule_input *in = rmsg_next(&m);
		if (!same_hits(a, b, in, &hits)) {
			bad++;
			describe(in);
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
	rmsg_free(&m);
	rule_run_free(a);
	rule_run_free(b);
}

/* A batch of messages as the daemon runs them: a new run per message, on a thread of its own
 * (libmilter starts threads as connections come), alternating between two rule sets (a
 * reload: the old set's messages still finish). */
struct batch {
	const struct rule_set *with[2], *without;
	unsigned n, bad, unfiltered;
	size_t hits, skips;
};

static void *run_batch(void *arg)
{
	struct batch *bt = arg;
	struct rmsg m;
	rmsg_init(&m);
	for (unsigned k = 0; k < bt->n; k++) {
		struct rule_run *a = rule_run_new(bt->with[k % 2]), *b = rule_run_new(bt->without);
		const struct rule_input *in = rmsg_next(&m);
		if (a == NULL || b == NULL || !same_hits(a, b, in, &bt->hits))
			bt->bad++;
		size_t sk = a ? pf_skips(rule_run_prefilter(a)) : 0;
		bt->skips += sk;
		bt->unfiltered += sk == 0;
		rule_run_free(a);
		rule_run_free(b);
	}
	rmsg_free(&m);
	return NULL;
}

/* compare_threads - batches on new threads; each run takes the scratch space and JIT stack an
 * earlier run gave back (keep.h), fitted for the other set half of the time */
static void compare_threads(const struct rule_set *with, const struct rule_set *with2,
			    const struct rule_set *without)
{
	struct batch bt = {.with = {with, with2}, .without = without, .n = 100};
	unsigned threads = 0;
	for (int t = 0; t < 8; t++) {
		pthread_t th;
		if (pthread_create(&th, NULL, run_batch, &bt) == 0 && pthread_join(th, NULL) == 0)
			threads++;
	}
	ok(threads == 8 && bt.bad == 0,
	   "%u threads x %u messages, a new run each, two sets in turn: the same hits", threads,
	   bt.n);
#ifdef HAVE_HYPERSCAN
	ok(bt.skips > 8 * bt.n && bt.unfiltered < bt.n,
	   "every thread's runs were prefiltered (%zu PCRE2 calls saved, %u runs saved none)",
	   bt.skips, bt.unfiltered);
#endif
}

/* keep.h: taken newest first with its tag, freed past KEEP_MAX */
static unsigned freed;
static void count_free(void *o)
{
	(void)o;
	freed++;
}

static void test_keep(void)
{
	static struct keep k = KEEP_INIT(count_free);
	static int objs[KEEP_MAX + 1];
	unsigned long tag = 7;
	ok(keep_take(&k, &tag) == NULL && tag == 0, "keep: nothing kept, nothing taken");
	for (unsigned i = 0; i <= KEEP_MAX; i++)
		keep_give(&k, &objs[i], i + 1);
	keep_give(&k, NULL, 9);
	is_int(freed, 1, "keep: the object past KEEP_MAX is freed, NULL ignored");
	void *o = keep_take(&k, &tag);
	ok(o == &objs[KEEP_MAX - 1] && tag == KEEP_MAX, "keep: the newest is taken, with its tag");
	unsigned n = 1;
	while (keep_take(&k, &tag) != NULL)
		n++;
	is_int(n, KEEP_MAX, "keep: all that were kept are taken, then none");
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
	struct rule_set *with2 = rule_load_file(path, &e2);
	unlink(path);
	if (!ok(with && without && with2, "the rule file loads"))
		diag("%s", e1.count ? e1.msgs[0] : "");
	if (with == NULL || without == NULL || with2 == NULL)
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
	compare_threads(with, with2, without);
	test_keep();
	rule_free(with2);
	rule_free(with);
	rule_free(without);
	errlist_free(&e1);
	errlist_free(&e2);
	return done_testing();
}
