/*
 * rules_test.c - the rule language: golden errors, the compiler, the evaluator, the stock
 * rules.
 *
 * DESCRIPTION
 *	Golden errors: each tests/data/rules/bad-NAME.rules gives exactly the
 *	diagnostics of bad-NAME.expected (@FILE@: that file, @DIR@: its
 *	directory). The compiler table loads one small file per row and
 *	checks the first diagnostic (or none). The evaluator table loads one
 *	rule per row and runs it against a fixed message. Then: the issue's
 *	examples and includes from a directory, monitor and actions, the
 *	once-per-message memo, PCRE2 limits on a catastrophic pattern, very
 *	large inputs, random rule files, and the stock rules with their
 *	in-file tests run against the inline messages.
 *
 * OUTPUT
 *	TAP on stdout (see tap.h).
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "errlist.h"
#include "findings.h"
#include "rules.h"
#include "rules_int.h"
#include "tap.h"

static char tmpdir[1024]; /* private scratch directory */

/* put_file - write text to name in the scratch directory; the path into out */
static void put_file(char *out, size_t size, const char *name, const char *text, size_t len)
{
	snprintf(out, size, "%s/%s", tmpdir, name);
	FILE *fp = fopen(out, "wb");
	if (fp == NULL || fwrite(text, 1, len, fp) != len)
		diag("cannot write %s: %s", out, strerror(errno));
	if (fp)
		fclose(fp);
}

/* load_text - a rule set from text (NULL on errors, left in errs) */
static struct rule_set *load_text(const char *text, struct errlist *errs, char *path, size_t size)
{
	put_file(path, size, "t.rules", text, strlen(text));
	return rule_load_file(path, errs);
}

/* show - every diagnostic as a TAP comment */
static void show(const struct errlist *e)
{
	for (size_t i = 0; i < e->count; i++)
		diag("    %s", e->msgs[i]);
}

/* slurp - a whole file into b */
static int slurp(const char *path, struct buf *b)
{
	FILE *fp = fopen(path, "rb");
	if (fp == NULL)
		return -1;
	char chunk[4096];
	size_t n;
	int rc = 0;
	while (rc == 0 && (n = fread(chunk, 1, sizeof(chunk), fp)) > 0)
		rc = buf_add(b, chunk, n);
	fclose(fp);
	return rc;
}

/* subst - line with @FILE@ and @DIR@ replaced */
static void subst(struct buf *out, const char *line, const char *file, const char *dir)
{
	for (const char *p = line; *p;) {
		if (strncmp(p, "@FILE@", 6) == 0) {
			if (buf_adds(out, file) != 0)
				return;
			p += 6;
		} else if (strncmp(p, "@DIR@", 5) == 0) {
			if (buf_adds(out, dir) != 0)
				return;
			p += 5;
		} else if (buf_add(out, p++, 1) != 0) {
			return;
		}
	}
}

/* golden - one bad file against its .expected */
static void golden(const char *dir, const char *name)
{
	char path[2048], exp[2048];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	snprintf(exp, sizeof(exp), "%.*s.expected", (int)(strlen(path) - 6), path);
	struct buf text;
	buf_init(&text, 0);
	if (slurp(exp, &text) != 0 || text.data == NULL) {
		ok(0, "%s: %s is readable", name, exp);
		buf_free(&text);
		return;
	}
	struct errlist got, want;
	errlist_init(&got);
	errlist_init(&want);
	for (char *line = text.data, *nl; *line; line = nl + 1) {
		nl = strchr(line, '\n');
		if (nl == NULL)
			nl = line + strlen(line) - 1;
		else
			*nl = '\0';
		struct buf l;
		buf_init(&l, 0);
		subst(&l, line, path, dir);
		errlist_add(&want, NULL, 0, "%s", l.data ? l.data : "");
		buf_free(&l);
	}
	struct rule_set *rs = rule_load_file(path, &got);
	ok(rs == NULL, "%s: no rule set", name);
	int same = got.count == want.count;
	for (size_t i = 0; same && i < got.count; i++)
		same = strcmp(got.msgs[i], want.msgs[i]) == 0;
	if (!ok(same, "%s: exactly the %zu expected diagnostic(s)", name, want.count)) {
		diag("  got %zu:", got.count);
		show(&got);
		diag("  expected %zu:", want.count);
		show(&want);
	}
	rule_free(rs);
	errlist_free(&got);
	errlist_free(&want);
	buf_free(&text);
}

/* name_cmp - qsort order */
static int name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* test_golden - every tests/data/rules/bad-*.rules */
static void test_golden(void)
{
	char dir[1024];
	snprintf(dir, sizeof(dir), "%s/tests/data/rules", tap_srcdir());
	DIR *d = opendir(dir);
	if (!ok(d != NULL, "open %s", dir))
		return;
	char *names[256];
	size_t n = 0;
	struct dirent *de;
	while ((de = readdir(d)) != NULL && n < ARRAY_LEN(names)) {
		size_t len = strlen(de->d_name);
		if (strncmp(de->d_name, "bad-", 4) == 0 && len > 10 &&
		    strcmp(de->d_name + len - 6, ".rules") == 0)
			names[n++] = strdup(de->d_name);
	}
	closedir(d);
	ok(n >= 30, "found the golden bad-*.rules files (%zu)", n);
	qsort(names, n, sizeof(*names), name_cmp);
	for (size_t i = 0; i < n; i++) {
		if (names[i])
			golden(dir, names[i]);
		free(names[i]);
	}
}

/* test_compile - one small file per row: loads, or its first error is this */
static void test_compile(void)
{
	static const struct {
		const char *text;
		const char *err; /* NULL: loads; else the first diagnostic after "path:" */
	} t[] = {
	    {"rule A\n match header:Subject /x/i\n score 1\n", NULL},
	    {"rule A\n match header:subject:decoded /x/imsxu\n score 1\n", NULL},
	    {"rule A\n match header:Subject:DECODED /x/\n score 1\n", NULL},
	    {"rule A\n match headers /^X-Spam:/m\n score 1\n", NULL},
	    {"rule A\n match client-ip 192.0.2.0/24 2001:db8::/32 10.0.0.1\n score 1\n", NULL},
	    {"rule A\n match client-name /x/\n match helo /x/\n match mail-from /x/\n"
	     " match rcpt /x/\n score 1\n",
	     NULL},
	    {"rule A\n match size > 5M\n score 1\n", NULL},
	    {"rule A\n match size >=512k\n score 1\n", NULL},
	    {"rule A\n match size < 1G\n score 1\n", NULL},
	    {"rule A\n match rawbody /x/\n score -2.5\n", NULL},
	    {"rule A\n match finding:spf /fail/\n score 1\n", NULL},
	    {"rule A\n match finding:dnsbl:zen.example.org /^127\\./\n score 1\n", NULL},
	    {"rule A\n match body /x/\n match url /x/\n match url-domain /x/\n"
	     " match attachment:name /x/\n match attachment:type /x/\n score 1\n",
	     NULL},
	    {"rule A\n match rawbody /a\\/b/\n score 1\n", NULL},
	    {"rule A\n match rawbody /x/ # comment\n score 1 # comment\n", NULL},
	    {"rule A\r\n match rawbody /x/\r\n score 1\r\n", NULL},
	    {"rule A\n match rawbody /x/\n action accept\n", NULL},
	    {"rule A\n match rawbody /x/\n action discard\n", NULL},
	    {"rule A\n match rawbody /x/\n action tag\n", NULL},
	    {"rule A\n match rawbody /x/\n score 0\n mode monitor\n", NULL},
	    {"rule A\n match rawbody /x/\n score 0\nrule B\n when A and not (spf = pass or dkim)\n"
	     " score 1\n",
	     NULL},
	    {"rule B\n when A\n score 1\nrule A\n match rawbody /x/\n score 0\n", NULL},
	    {"rule A\n match rawbody /x/\n score 1\n test hit \"/abs/x.eml\"\n"
	     " test miss text \"a\\tb\"\n",
	     NULL},
	    {"", NULL},
	    {"# only a comment\n\n\t\n", NULL},
	    {"rule A\n match header:Sub ject /x/\n score 1\n",
	     "2:19: expected a /pattern/ after header:Sub, found 'ject'"},
	    {"rule A\n match headers:From /x/\n score 1\n",
	     "2:8: this target takes no ':' argument, found 'headers:From'"},
	    {"rule A\n match size > 5X\n score 1\n",
	     "2:15: expected a size such as 512K, 5M or 1G after the comparison"},
	    {"rule A\n match helo 1.2.3.4\n score 1\n",
	     "2:13: expected a /pattern/ after helo, found '1.2.3.4'"},
	    {"rule A\n match rawbody /x/\n score 1\n test hit \"a.eml\" extra\n",
	     "4:19: expected the end of the line after the test message, found 'extra'"},
	    {"rule A\n match rawbody /(?<n>x)(?<n>y)/\n score 1\n",
	     "2:29: bad pattern: two named subpatterns have the same name (PCRE2_DUPNAMES not "
	     "set) (at offset 12)"},
	    {"rule A\n match rawbody /x/u\n score 1\n match rawbody /\\xff/u\n", NULL},
	    {"rule A\n match rawbody /x/\n action reject \"550 5.7.1\"\n", NULL},
	    {"rule A\n match rawbody /x/\n action reject \"550 5.7.1 caf\xc3\xa9\"\n",
	     "3:16: a reply text is printable ASCII on one line"},
	    {"include \"t.rules\"\n",
	     "1:1: include cycle: \"@DIR@/t.rules\" is already being read"},
	};
	for (size_t i = 0; i < ARRAY_LEN(t); i++) {
		struct errlist errs;
		errlist_init(&errs);
		char path[2048];
		struct rule_set *rs = load_text(t[i].text, &errs, path, sizeof(path));
		if (t[i].err == NULL) {
			if (!ok(rs != NULL && errs.count == 0, "compile %zu loads", i))
				show(&errs);
		} else {
			struct buf want;
			buf_init(&want, 0);
			subst(&want, "@FILE@:", path, tmpdir);
			subst(&want, t[i].err, path, tmpdir);
			ok(rs == NULL, "compile %zu fails", i);
			is_str(errs.count ? errs.msgs[0] : "", want.data, "compile %zu: the error",
			       i);
			buf_free(&want);
		}
		rule_free(rs);
		errlist_free(&errs);
	}
}

/* test_file_list - client-ip file:PATH, a list file beside the rule file */
static void test_file_list(void)
{
	char lpath[2048], path[2048];
	const char *nets = "# bad networks\n203.0.113.0/24\n2001:db8:bad::/48\n";
	put_file(lpath, sizeof(lpath), "nets.cidr", nets, strlen(nets));
	struct errlist errs;
	errlist_init(&errs);
	struct rule_set *rs = load_text("rule LISTED\n match client-ip file:nets.cidr\n score 1\n",
					&errs, path, sizeof(path));
	if (!ok(rs != NULL, "client-ip file:nets.cidr loads"))
		show(&errs);
	static const struct {
		const char *ip;
		int hit;
	} c[] = {{"203.0.113.77", 1}, {"2001:db8:bad::5", 1}, {"192.0.2.1", 0}, {"unknown", 0}};
	for (size_t i = 0; rs && i < ARRAY_LEN(c); i++) {
		struct rule_run *run = rule_run_new(rs);
		struct rule_input in = {.client_addr = c[i].ip,
					.client_name = "x",
					.helo = "",
					.mail_from = "",
					.body = ""};
		const struct rule_hit *hits;
		const char *const *limits;
		size_t nh = 0, nl;
		if (run == NULL || rule_eval(run, &in, &hits, &nh, &limits, &nl) < 0)
			ok(0, "eval");
		is_int((int)nh, c[i].hit, "client %s %s the file list", c[i].ip,
		       c[i].hit ? "hits" : "misses");
		rule_run_free(run);
	}
	rule_free(rs);
	errlist_free(&errs);
	const char *bad = "192.0.2.0/24\nnonsense\n";
	put_file(lpath, sizeof(lpath), "nets.cidr", bad, strlen(bad));
	errlist_init(&errs);
	rs = load_text("rule LISTED\n match client-ip file:nets.cidr\n score 1\n", &errs, path,
		       sizeof(path));
	ok(rs == NULL && errs.count == 2 && strstr(errs.msgs[0], "nets.cidr:2: ") &&
	       strstr(errs.msgs[1], ":2:") && strstr(errs.msgs[1], "did not load"),
	   "a bad list line: the list's file:line, then the rule line");
	if (errs.count)
		diag("%s", errs.msgs[0]);
	rule_free(rs);
	errlist_free(&errs);
	unlink(lpath);
}

/* The message of the evaluator table. */
static const struct rule_header base_hdrs[] = {
    {"From", " Alice <alice@example.org>"},
    {"Reply-To", " winner@gmail.com"},
    {"Subject", " You have\r\n won the\r\n\tbig lottery"},
    {"X-Encoded", " =?utf-8?B?w6ljaGVj?= =?iso-8859-1?Q?_caf=E9?="},
    {"Received", " from a"},
    {"received", " from b by mx.example.net"},
};
static const char *const base_rcpts[] = {"bob@example.com", "carol@example.org"};
static const char *const att_names[] = {"notes.txt", "invoice.exe"};
static const size_t att_lens[] = {9, 11};
static const char base_body[] = "Hello\r\nwin\0ner\r\nline three\r\n";

/* base_input - the fixed message (findings from f) */
static struct rule_input base_input(const struct findings *f, const struct rule_values *extra)
{
	return (struct rule_input){.hdrs = base_hdrs,
				   .nhdr = ARRAY_LEN(base_hdrs),
				   .client_addr = "192.0.2.7",
				   .client_name = "mail.example.net",
				   .helo = "mx.example.net",
				   .mail_from = "bounce@example.net",
				   .rcpts = base_rcpts,
				   .nrcpt = ARRAY_LEN(base_rcpts),
				   .size = 6 * 1024 * 1024,
				   .body = base_body,
				   .body_len = sizeof(base_body) - 1,
				   .findings = f,
				   .extra = extra,
				   .nextra = 1};
}

/* run_one - evaluate rs against in; the hit of rule R, or NULL; limits into *nlim */
static const struct rule_hit *run_one(struct rule_run *run, const struct rule_input *in,
				      size_t *nlim, const char **lim0)
{
	const struct rule_hit *hits;
	size_t nhits;
	const char *const *limits;
	size_t nlimits;
	if (rule_eval(run, in, &hits, &nhits, &limits, &nlimits) != 0)
		return NULL;
	if (nlim)
		*nlim = nlimits;
	if (lim0)
		*lim0 = nlimits ? limits[0] : NULL;
	for (size_t i = 0; i < nhits; i++)
		if (strcmp(hits[i].name, "R") == 0)
			return &hits[i];
	return NULL;
}

/* test_eval - one rule R per row against the fixed message */
static void test_eval(const struct findings *f)
{
	static const struct {
		const char *rule; /* the lines of rule R, before "score 1" */
		const char *why;  /* NULL: R must not hit */
	} t[] = {
	    {"match header:Subject /won the big/", NULL}, /* folding keeps the blank (a tab) */
	    {"match header:Subject /won the\\tbig/", "header:Subject matched \"won the\\x09big\""},
	    {"match header:Subject /^You have won/", "header:Subject matched \"You have won\""},
	    {"match header:Subject /\\n/", NULL},
	    {"match header:subject /lottery$/", "header:subject matched \"lottery\""},
	    {"match header:Subject /LOTTERY/", NULL},
	    {"match header:Subject /LOTTERY/i", "header:Subject matched \"lottery\""},
	    {"match header:X-Encoded /échec café/", NULL},
	    {"match header:X-Encoded:decoded /^échec café$/",
	     "header:X-Encoded:decoded matched \"\\xc3\\xa9chec caf\\xc3\\xa9\""},
	    {"match header:X-Encoded /=\\?utf-8\\?B/", "header:X-Encoded matched \"=?utf-8?B\""},
	    {"match header:Received /mx\\.example/", "header:Received matched \"mx.example\""},
	    {"match header:X-Missing /./", NULL},
	    {"match headers /^Reply-To: winner/", "headers matched \"Reply-To: winner\""},
	    {"match headers /^Reply-To:  /", NULL},
	    {"match client-ip 192.0.2.0/24", "client-ip matched \"192.0.2.7\""},
	    {"match client-ip 198.51.100.0/24 2001:db8::/32", NULL},
	    {"match client-name /\\.example\\.net$/", "client-name matched \".example.net\""},
	    {"match client-name /^unknown$/", NULL},
	    {"match helo /^mx\\./", "helo matched \"mx.\""},
	    {"match helo /^\\[/", NULL},
	    {"match mail-from /^bounce@/", "mail-from matched \"bounce@\""},
	    {"match mail-from /^$/", NULL},
	    {"match rcpt /^carol@/", "rcpt matched \"carol@\""},
	    {"match rcpt /^dave@/", NULL},
	    {"match size > 5M", "size is 6291456 bytes"},
	    {"match size >= 6M", "size is 6291456 bytes"},
	    {"match size < 6M", NULL},
	    {"match size = 6291456", "size is 6291456 bytes"},
	    {"match rawbody /win\\x00ner/", "rawbody matched \"win\\x00ner\""},
	    {"match rawbody /^line three$/m", NULL}, /* lines end in CRLF */
	    {"match rawbody /^line three\\r$/m", "rawbody matched \"line three\\x0d\""},
	    {"match rawbody /^line three$/", NULL},
	    {"match rawbody /Hello.win/", NULL},
	    {"match rawbody /Hello.\\nwin/s", "rawbody matched \"Hello\\x0d\\x0awin\""},
	    {"match finding:spf /^fail$/", "finding:spf matched \"fail\""},
	    {"match finding:dkim /^none$/", "finding:dkim matched \"none\""},
	    {"match finding:dmarc /./", NULL},
	    {"match attachment:name /\\.exe$/", "attachment:name matched \".exe\""},
	    {"match attachment:type /./", NULL},
	    {"match url /./", NULL},
	    {"match header:Subject /lottery/\n unless header:From /alice/", NULL},
	    {"match header:Subject /lottery/\n unless header:From /bob/",
	     "header:Subject matched \"lottery\""},
	    {"match header:Subject /lottery/\n unless header:X-Missing /./",
	     "header:Subject matched \"lottery\""},
	    {"match header:Subject /lottery/\n match helo /^nomatch/", NULL},
	    {"match header:Subject /lottery/\n match helo /^mx/",
	     "header:Subject matched \"lottery\""},
	    {"match helo /^mx/\n when spf = fail and not allowlisted", "helo matched \"mx\""},
	    {"match helo /^mx/\n when spf = pass", NULL},
	    {"when spf = fail and dkim = none", "when spf = fail and dkim = none"},
	    {"when dmarc", NULL},
	    {"match header:Subject /(x|won)( the)?/", "header:Subject matched \"won the\""},
	    {"match header:Subject /(?<=won )the\\K\\sbig/", "header:Subject matched \"\\x09big\""},
	    {"match rawbody /H(.)llo/", "rawbody matched \"Hello\""},
	};
	struct rule_values extra = {"attachment:name", att_names, att_lens, 2};
	struct rule_input in = base_input(f, &extra);
	for (size_t i = 0; i < ARRAY_LEN(t); i++) {
		struct errlist errs;
		errlist_init(&errs);
		char text[1024], path[2048];
		snprintf(text, sizeof(text), "rule R\n %s\n score 1\n", t[i].rule);
		struct rule_set *rs = load_text(text, &errs, path, sizeof(path));
		if (!ok(rs != NULL, "eval %zu loads: %s", i, t[i].rule)) {
			show(&errs);
			errlist_free(&errs);
			continue;
		}
		struct rule_run *run = rule_run_new(rs);
		const struct rule_hit *h = run ? run_one(run, &in, NULL, NULL) : NULL;
		if (t[i].why)
			is_str(h ? h->why : NULL, t[i].why, "eval %zu hits: %s", i, t[i].rule);
		else if (!ok(h == NULL, "eval %zu misses: %s", i, t[i].rule))
			diag("    why: %s", h->why);
		rule_run_free(run);
		rule_free(rs);
		errlist_free(&errs);
	}
}

/* test_empty_input - no headers, no envelope, no body: nothing hits, nothing crashes */
static void test_empty_input(void)
{
	struct errlist errs;
	errlist_init(&errs);
	char path[2048];
	struct rule_set *rs = load_text("rule R\n match header:Subject /^$/\n match headers /x/\n"
					" match rawbody /^/\n score 1\n"
					"rule S\n match rcpt /^/\n match helo /^/\n match "
					"client-name /^/\n match mail-from /^/\n score 1\n"
					"rule T\n match finding:spf /^/\n score 1\n"
					"rule U\n match client-ip 0.0.0.0/0 ::/0\n score 1\n",
					&errs, path, sizeof(path));
	struct rule_run *run = rs ? rule_run_new(rs) : NULL;
	struct rule_input in = {.client_addr = "unknown", .client_name = "unknown"};
	const struct rule_hit *hits;
	const char *const *limits;
	size_t nhits = 99, nlimits = 99;
	ok(run && rule_eval(run, &in, &hits, &nhits, &limits, &nlimits) == 0,
	   "an empty message evaluates");
	is_int(nhits, 0, "an empty message hits nothing");
	in.client_addr = NULL;
	in.client_name = NULL;
	ok(run && rule_eval(run, &in, &hits, &nhits, &limits, &nlimits) == 0 && nhits == 0,
	   "NULL envelope strings are no values");
	rule_run_free(run);
	rule_free(rs);
	errlist_free(&errs);
}

/* test_issue_examples - the issue's rules, a directory in name order, includes */
static void test_issue_examples(const struct findings *f)
{
	char dir[1024];
	snprintf(dir, sizeof(dir), "%s/tests/data/rules/good", tap_srcdir());
	struct errlist errs;
	errlist_init(&errs);
	struct rule_set *rs = rule_load(dir, &errs);
	if (!ok(rs != NULL, "the good directory loads"))
		show(&errs);
	is_int(rule_count(rs), 7, "7 rules: .hidden.rules and notes.txt are not read");
	size_t nt;
	const struct rule_test *tests = rule_tests(rs, &nt);
	is_int(nt, 3, "3 in-file tests");
	if (nt == 3) {
		char want[2048];
		snprintf(want, sizeof(want), "%s/lottery.eml", dir);
		is_str(tests[0].msg_path, want, "a test file is resolved against the rule file");
		is_str(tests[0].rule, "LOTTERY_SUBJECT", "the test names its rule");
		is_int(tests[0].expect_hit, 1, "test hit");
		is_int(tests[1].expect_hit, 0, "test miss");
		is_str(tests[1].msg_text, "Subject: Minutes of Tuesday\n\nbody\n",
		       "inline text with \\n resolved");
		is_int(tests[1].line, 7, "the test's line");
		is_str(tests[2].msg_text,
		       "Subject: x\r\n\r\nbody with \"quotes\" and a \\ and\ta tab\n",
		       "inline text with every escape resolved");
		ok(tests[2].msg_path == NULL && tests[0].msg_text == NULL, "one of path or text");
	}
	struct rule_values extra = {"attachment:name", att_names, att_lens, 2};
	struct rule_input in = base_input(f, &extra);
	struct rule_run *run = rs ? rule_run_new(rs) : NULL;
	const struct rule_hit *hits;
	const char *const *limits;
	size_t nhits = 0, nlimits = 0;
	ok(run && rule_eval(run, &in, &hits, &nhits, &limits, &nlimits) == 0, "evaluates");
	static const char *const want[] = {"EARLY", "LOTTERY_SUBJECT", "EXE_ATTACHMENT",
					   "FREEMAIL_REPLY_MISMATCH", "SPOOF_COMBO"};
	is_int(nhits, ARRAY_LEN(want), "five hits");
	for (size_t i = 0; i < nhits && i < ARRAY_LEN(want); i++)
		is_str(hits[i].name, want[i], "hit %zu in rule order", i);
	if (nhits == ARRAY_LEN(want)) {
		is_int(hits[0].action, RA_QUARANTINE, "EARLY quarantines");
		ok(hits[0].rcode == NULL, "a quarantine has no reply");
		is_str(hits[1].describe, "Lottery wording in Subject", "describe");
		ok(hits[1].score == 4.5 && hits[1].action == RA_NONE, "score 4.5, no action");
		is_int(hits[1].line, 2, "the hit's rule line");
		ok(strstr(hits[1].file, "10-issue.rules") != NULL, "the hit's file");
		is_int(hits[2].action, RA_REJECT, "EXE_ATTACHMENT rejects");
		is_str(hits[2].rcode, "550", "reply code");
		is_str(hits[2].xcode, "5.7.1", "enhanced code");
		is_str(hits[2].text, "Executable attachments are not accepted", "reply text");
		ok(hits[3].monitor && !hits[1].monitor, "mode monitor is flagged, enforce is not");
		is_str(hits[4].why,
		       "when FREEMAIL_REPLY_MISMATCH and dmarc != pass and not "
		       "allowlisted",
		       "a meta rule says which expression held");
		is_str(rule_action_name(hits[2].action), "reject", "rule_action_name");
	}
	in.helo = "LocalHost";
	ok(run && rule_eval(run, &in, &hits, &nhits, &limits, &nlimits) == 0, "evaluates again");
	ok(nhits == 6 && strcmp(hits[5].name, "AFTER_INCLUDE") == 0 &&
	       hits[5].action == RA_TEMPFAIL && strcmp(hits[5].rcode, "451") == 0 &&
	       strcmp(hits[5].xcode, "4.7.1") == 0 && strcmp(hits[5].text, "Try again later") == 0,
	   "a rule after an include names rules of other files; tempfail's default reply");
	rule_run_free(run);
	rule_free(rs);
	errlist_free(&errs);
}

/* test_memo - every rule is evaluated once per message, however often it is named */
static void test_memo(const struct findings *f)
{
	struct errlist errs;
	errlist_init(&errs);
	char path[2048];
	struct rule_set *rs = load_text("rule A\n match helo /mx/\n score 0\n"
					"rule B\n when A and A and (A or spf)\n score 0\n"
					"rule C\n when B and A and not D\n score 1\n"
					"rule D\n when not A or B and not B\n score 1\n"
					"rule E\n match helo /nomatch/\n score 0\n"
					"rule F\n when E or E or E or C\n score 1\n",
					&errs, path, sizeof(path));
	struct rule_run *run = rs ? rule_run_new(rs) : NULL;
	struct rule_input in = base_input(f, NULL);
	const struct rule_hit *hits;
	const char *const *limits;
	size_t nhits = 0, nlimits = 0;
	for (int pass = 0; pass < 2; pass++) {
		ok(run && rule_eval(run, &in, &hits, &nhits, &limits, &nlimits) == 0, "memo run %d",
		   pass);
		is_int(run ? rule_run_evals(run) : 0, 6, "six rules, six evaluations (run %d)",
		       pass);
		is_int(nhits, 4, "A, B, C and F hit (run %d)", pass);
		if (nhits == 4)
			ok(strcmp(hits[0].name, "A") == 0 && strcmp(hits[1].name, "B") == 0 &&
			       strcmp(hits[2].name, "C") == 0 && strcmp(hits[3].name, "F") == 0,
			   "hits in rule order though C pulled B first");
	}
	rule_run_free(run);
	rule_free(rs);
	errlist_free(&errs);
}

/* test_limits - a catastrophic pattern stops at the match limit, fast, and is reported */
static void test_limits(void)
{
	struct errlist errs;
	errlist_init(&errs);
	char path[2048];
	struct rule_set *rs =
	    load_text("rule SLOW\n match header:Subject /(a+)+$/\n score 1\n"
		      "rule R\n match header:Subject /^a+b$/\n score 1\n"
		      "rule SLOW_UNLESS\n match helo /./\n unless header:Subject /(a|aa)+$/\n"
		      " score 1\n",
		      &errs, path, sizeof(path));
	struct rule_run *run = rs ? rule_run_new(rs) : NULL;
	char subject[64];
	memset(subject, 'a', sizeof(subject) - 2);
	subject[sizeof(subject) - 2] = 'b';
	subject[sizeof(subject) - 1] = '\0';
	struct rule_header h = {"Subject", subject};
	struct rule_input in = {.hdrs = &h, .nhdr = 1, .helo = "x"};
	const struct rule_hit *hits;
	const char *const *limits;
	size_t nhits = 0, nlimits = 0;
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	int rc = run ? rule_eval(run, &in, &hits, &nhits, &limits, &nlimits) : -1;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	double secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	ok(rc == 0, "the catastrophic pattern evaluates");
	ok(secs < 1.0, "and returns fast (%.3f s)", secs);
	ok(nhits == 1 && strcmp(hits[0].name, "R") == 0,
	   "only R hits: a rule at a limit does not match, even through unless");
	is_int(nlimits, 2, "two rules reached a limit");
	if (nlimits == 2) {
		is_str(limits[0], "SLOW", "the limits name the rule");
		is_str(limits[1], "SLOW_UNLESS", "an unless line at a limit fails its rule");
	}
	rule_run_free(run);
	rule_free(rs);
	errlist_free(&errs);
}

/* test_big_input - huge values never crash and are cut at the documented caps */
static void test_big_input(void)
{
	struct errlist errs;
	errlist_init(&errs);
	char path[2048];
	struct rule_set *rs =
	    load_text("rule BODY_TAIL\n match rawbody /TAIL/\n score 1\n"
		      "rule BODY_HEAD\n match rawbody /^HEAD/\n score 1\n"
		      "rule HDR_TAIL\n match header:X-Big /TAIL/\n score 1\n"
		      "rule HDR_HEAD\n match header:X-Big:decoded /^HEAD/\n score 1\n"
		      "rule WHY_CUT\n match header:X-Big /^HEADx+/\n score 1\n",
		      &errs, path, sizeof(path));
	size_t big = 4 * 1024 * 1024;
	char *body = malloc(big + 1);
	struct rule_run *run = rs ? rule_run_new(rs) : NULL;
	if (!ok(body && run, "setup"))
		goto out;
	memset(body, 'x', big);
	memcpy(body, "HEAD", 4);
	memcpy(body + big - 4, "TAIL", 4);
	body[big] = '\0';
	struct rule_header h = {"X-Big", body};
	struct rule_input in = {.hdrs = &h, .nhdr = 1, .body = body, .body_len = big};
	const struct rule_hit *hits;
	const char *const *limits;
	size_t nhits = 0, nlimits = 0;
	ok(rule_eval(run, &in, &hits, &nhits, &limits, &nlimits) == 0, "a 4 MiB body and header");
	ok(nhits == 3 && strcmp(hits[0].name, "BODY_HEAD") == 0 &&
	       strcmp(hits[1].name, "HDR_HEAD") == 0 && strcmp(hits[2].name, "WHY_CUT") == 0,
	   "text past the caps is not matched (%zu hits)", nhits);

	if (nhits == 3) {
		ok(strlen(hits[2].why) < sizeof(hits[2].why), "why fits");
		char want[128];
		snprintf(want, sizeof(want), "header:X-Big matched \"HEAD%.*s...\"",
			 RULE_WHY_TEXT - 4, body + 4);
		is_str(hits[2].why, want, "why quotes the first %d bytes", RULE_WHY_TEXT);
	}
out:
	free(body);
	rule_run_free(run);
	rule_free(rs);
	errlist_free(&errs);
}

/* well_formed - "path:line:col: text", "path:line: text" or "path: text" */
static int well_formed(const char *msg, const char *path)
{
	size_t n = strlen(path);
	if (strncmp(msg, path, n) != 0 || msg[n] != ':')
		return 0;
	const char *p = msg + n + 1;
	for (int field = 0; field < 2 && *p >= '0' && *p <= '9'; field++) {
		while (*p >= '0' && *p <= '9')
			p++;
		if (*p++ != ':')
			return 0;
	}
	return *p == ' ' && p[1] != '\0';
}

/* test_fuzz - random bytes and nasty shapes: errors with positions, never a crash */
static void test_fuzz(void)
{
	unsigned seed = 12345;
	int bad_form = 0, loaded = 0;
	for (int round = 0; round < 300; round++) {
		size_t len = (size_t)(round * 37 % 3000) + 1;
		char *text = malloc(len);
		static const char alphabet[] = "rule match unless when score action mode include "
					       "describe test hit miss text header:Subject body "
					       "/\\\"#\n\t ()and or not 192.0.2.0/24 > 5M \r";
		for (size_t i = 0; i < len; i++) {
			seed = seed * 1103515245u + 12345u;
			unsigned v = (seed >> 16) & 0x7fff;
			text[i] = round % 3 == 0 ? (char)(v & 0xff)
						 : alphabet[v % (sizeof(alphabet) - 1)];
		}
		char path[2048];
		put_file(path, sizeof(path), "fuzz.rules", text, len);
		struct errlist errs;
		errlist_init(&errs);
		struct rule_set *rs = rule_load_file(path, &errs);
		loaded += rs != NULL;
		for (size_t i = 0; i < errs.count; i++)
			if (!well_formed(errs.msgs[i], path) && bad_form++ < 3)
				diag("    malformed: %s", errs.msgs[i]);
		ok(rs != NULL || errs.count > 0, "fuzz %d: a set or errors", round);
		ok(errs.count <= RULE_FILE_ERRORS + 1, "fuzz %d: at most %d errors", round,
		   RULE_FILE_ERRORS + 1);
		rule_free(rs);
		errlist_free(&errs);
		free(text);
	}
	is_int(bad_form, 0, "every fuzz diagnostic is file:line:col: message");
	diag("%d of 300 random files loaded", loaded);
}

/* test_all_or_nothing - one bad file in a directory: no set */
static void test_all_or_nothing(void)
{
	char path[2048], sub[1100];
	snprintf(sub, sizeof(sub), "%s/dir", tmpdir);
	if (mkdir(sub, 0700) != 0 && errno != EEXIST)
		diag("mkdir %s: %s", sub, strerror(errno));
	put_file(path, sizeof(path), "dir/a.rules", "rule A\n match rawbody /x/\n score 1\n", 35);
	put_file(path, sizeof(path), "dir/b.rules", "rule B\n match rawbody /x(/\n score 1\n", 36);
	struct errlist errs;
	errlist_init(&errs);
	struct rule_set *rs = rule_load(sub, &errs);
	if (!ok(rs == NULL && errs.count == 1, "one bad file: no set, one error"))
		show(&errs);
	rule_free(rs);
	errlist_free(&errs);
	put_file(path, sizeof(path), "dir/b.rules", "rule A\n match rawbody /y/\n score 1\n", 35);
	rs = rule_load(sub, &errs);
	char want[4096];
	snprintf(want, sizeof(want), "%s/b.rules:1:6: rule 'A' is already defined at %s/a.rules:1",
		 sub, sub);
	is_str(errs.count ? errs.msgs[0] : NULL, want,
	       "a duplicate across files names both places");
	rule_free(rs);
	errlist_free(&errs);
	snprintf(sub, sizeof(sub), "%s/no-such-dir", tmpdir);
	rs = rule_load(sub, &errs);
	ok(rs != NULL && rule_count(rs) == 0 && errs.count == 0, "a missing directory is empty");
	rule_free(rs);
	errlist_free(&errs);
	snprintf(path, sizeof(path), "%s/no-such.rules", tmpdir);
	rs = rule_load_file(path, &errs);
	snprintf(want, sizeof(want), "%s: cannot read: %s", path, strerror(ENOENT));
	ok(rs == NULL, "a missing file is an error");
	is_str(errs.count ? errs.msgs[0] : NULL, want, "naming the file");
	rule_free(rs);
	errlist_free(&errs);
}

/* test_known_target - the table, for the policy */
static void test_known_target(void)
{
	static const struct {
		const char *name;
		int known;
	} t[] = {{"header:Subject", 1}, {"header:Subject:decoded", 1},
		 {"header:", 0},        {"header", 0},
		 {"headers", 1},        {"rawbody", 1},
		 {"body", 1},           {"text", 0},
		 {"client-ip", 1},      {"rcpt", 1},
		 {"size", 1},           {"finding:spf", 1},
		 {"finding:nosuch", 0}, {"attachment:name", 1},
		 {"url-domain", 1},     {"attachment:size", 0},
		 {"subject", 0},        {"", 0}};
	for (size_t i = 0; i < ARRAY_LEN(t); i++)
		is_int(rule_known_target(t[i].name), t[i].known, "rule_known_target(%s)",
		       t[i].name);
}

/* parse_message - an inline test message as headers and a body (the pipeline's rules,
 * simplified): "Name: value" lines, continuation lines, a blank line, the body */
static size_t parse_message(char *text, struct rule_header *h, size_t max, const char **body)
{
	size_t n = 0;
	char *p = text;
	while (*p && *p != '\n' && !(*p == '\r' && p[1] == '\n')) {
		char *nl = strchr(p, '\n');
		char *next = nl ? nl + 1 : p + strlen(p);
		if ((*p == ' ' || *p == '\t') && n > 0) {
			p = next; /* a continuation stays in the previous value */
			continue;
		}
		char *colon = strchr(p, ':');
		if (colon == NULL || (nl && colon > nl) || n == max)
			break;
		*colon = '\0';
		h[n].name = p;
		h[n].value = colon + 1;
		n++;
		char *q = next;
		while (*q == ' ' || *q == '\t') {
			char *nl2 = strchr(q, '\n');
			q = nl2 ? nl2 + 1 : q + strlen(q);
		}
		if (q > p && q[-1] == '\n') {
			q[-1] = '\0';
			if (q - 2 >= p && q[-2] == '\r')
				q[-2] = '\0';
		}
		p = q;
	}
	*body = *p == '\r' ? p + 2 : *p == '\n' ? p + 1 : p;
	return n;
}

/* test_stock - the stock rules load, and their inline tests pass here */
static void test_stock(const struct findings *f)
{
	char dir[1024];
	snprintf(dir, sizeof(dir), "%s/rules/stock", tap_srcdir());
	struct errlist errs;
	errlist_init(&errs);
	struct rule_set *rs = rule_load(dir, &errs);
	if (!ok(rs != NULL, "the stock rules load"))
		show(&errs);
	ok(rule_count(rs) >= 8, "at least 8 stock rules (%zu)", rule_count(rs));
	size_t nt;
	const struct rule_test *t = rule_tests(rs, &nt);
	ok(nt >= rule_count(rs), "at least one in-file test per stock rule (%zu)", nt);
	struct rule_run *run = rs ? rule_run_new(rs) : NULL;
	for (size_t i = 0; run && i < nt; i++) {
		if (!ok(t[i].msg_text != NULL, "%s:%u: stock tests are inline", t[i].file,
			t[i].line))
			continue;
		char *copy = strndup(t[i].msg_text, t[i].msg_len);
		struct rule_header h[64];
		const char *body;
		size_t nh = parse_message(copy, h, ARRAY_LEN(h), &body);
		struct rule_input in = {.hdrs = h,
					.nhdr = nh,
					.client_addr = "unknown",
					.client_name = "unknown",
					.helo = "",
					.mail_from = "",
					.body = body,
					.body_len = strlen(body),
					.size = t[i].msg_len,
					.findings = f};
		const struct rule_hit *hits;
		const char *const *limits;
		size_t nhits = 0, nlimits = 0, hit = 0;
		if (rule_eval(run, &in, &hits, &nhits, &limits, &nlimits) == 0)
			for (size_t j = 0; j < nhits; j++)
				hit |= strcmp(hits[j].name, t[i].rule) == 0;
		is_int(hit, t[i].expect_hit, "%s:%u: %s %s", t[i].file, t[i].line, t[i].rule,
		       t[i].expect_hit ? "hits" : "misses");
		free(copy);
	}
	/* the envelope rules, which inline messages cannot reach */
	struct rule_input env = {.client_addr = "192.0.2.9",
				 .client_name = "unknown",
				 .helo = "192.0.2.9",
				 .mail_from = "root@localhost",
				 .findings = f};
	const struct rule_hit *hits;
	const char *const *limits;
	size_t nhits = 0, nlimits = 0;
	struct buf names;
	buf_init(&names, 0);
	if (run && rule_eval(run, &env, &hits, &nhits, &limits, &nlimits) == 0)
		for (size_t j = 0; j < nhits; j++)
			if (buf_printf(&names, "%s ", hits[j].name) != 0)
				break;
	is_str(names.data,
	       "MISSING_DATE MISSING_MESSAGE_ID HELO_BARE_IP CLIENT_NO_PTR MAIL_FROM_LOCALHOST ",
	       "the stock envelope rules hit an envelope made for them");
	buf_free(&names);
	rule_run_free(run);
	rule_free(rs);
	errlist_free(&errs);
}

/* main - every test in a private scratch directory */
int main(void)
{
	const char *t = getenv("TMPDIR");
	snprintf(tmpdir, sizeof(tmpdir), "%s/rules_test.XXXXXX", t && *t ? t : "/tmp");
	if (mkdtemp(tmpdir) == NULL) {
		printf("Bail out! mkdtemp %s: %s\n", tmpdir, strerror(errno));
		return 1;
	}
	struct findings *f = fnd_new();
	if (f == NULL || fnd_add(f, "spf", "fail") < 0 || fnd_add(f, "dkim", "pass") < 0 ||
	    fnd_add(f, "dkim", "none") < 0 ||
	    fnd_add(f, "dnsbl:zen.example.org", "127.0.0.2") < 0) {
		printf("Bail out! out of memory\n");
		return 1;
	}
	test_golden();
	test_compile();
	test_file_list();
	test_eval(f);
	test_empty_input();
	test_issue_examples(f);
	test_memo(f);
	test_limits();
	test_big_input();
	test_fuzz();
	test_all_or_nothing();
	test_known_target();
	test_stock(f);
	fnd_free(f);
	char cmd[1200];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	if (system(cmd) != 0)
		diag("could not remove %s", tmpdir);
	return done_testing();
}
