/*
 * authres_test.c - unit tests of authres.c: Authentication-Results and
 * Received-SPF values built and forged ones recognised.
 *
 * DESCRIPTION
 *	Table-driven. Building: exact values for one result, several, none,
 *	escaping and quoting, controls stripped, bytes that are not UTF-8,
 *	addresses, over-long values cut at a UTF-8 boundary, folding, and
 *	NULL with EINVAL for names that are not keywords or E2BIG for a
 *	value past AUTHRES_HEADER_MAX. Every value built must have the shape
 *	of a header value (lines joined by "\n\t", none past 998 bytes, no
 *	other control, valid UTF-8). Recognising: authres_claims and
 *	authres_received_spf_claims on exact, case-changed, commented,
 *	folded, versioned, quoted, prefixed and garbage values, and on 1 MB
 *	inputs (which must be quick).
 *	Last, every value built is read by an independent parser: the
 *	Authentication-Results ones by Debian's python3-authres and the
 *	Received-SPF ones by the RFC 7208 grammar, both through
 *	tests/authres_parse.py run with /usr/bin/python3, one test point per
 *	value (and what the parser read compared where the table says). A
 *	missing python3 or python3-authres is a failing test point.
 *
 * OUTPUT
 *	TAP on stdout (see tap.h).
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "authres.h"
#include "tap.h"

#define ID "mx.example.org"
#define PYTHON "/usr/bin/python3"
#define MAX_RECS 128
#define BIG (1024 * 1024)

#define PROPS(...)                                                                                 \
	(const struct ar_prop[]){__VA_ARGS__},                                                     \
	    sizeof((const struct ar_prop[]){__VA_ARGS__}) / sizeof(struct ar_prop)
#define RESULTS(...)                                                                               \
	(const struct ar_result[]){__VA_ARGS__},                                                   \
	    sizeof((const struct ar_result[]){__VA_ARGS__}) / sizeof(struct ar_result)

/* one value for the independent parser */
struct pyrec {
	char *value;      /* owned */
	char label[128];  /* the case it came from */
	const char *want; /* borrowed: what the parser must read, or NULL: only that it parses */
};

static struct pyrec ar_recs[MAX_RECS], spf_recs[MAX_RECS];
static size_t n_ar_recs, n_spf_recs;

/* ---- helpers ------------------------------------------------------------ */

/* utf8_ok - s is valid UTF-8 (RFC 3629) */
static int utf8_ok(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	while (*p) {
		size_t n = *p < 0x80                  ? 1
			   : *p >= 0xC2 && *p <= 0xDF ? 2
			   : *p >= 0xE0 && *p <= 0xEF ? 3
			   : *p >= 0xF0 && *p <= 0xF4 ? 4
						      : 0;
		if (n == 0)
			return 0;
		for (size_t i = 1; i < n; i++)
			if (p[i] < 0x80 || p[i] > 0xBF)
				return 0;
		if ((p[0] == 0xE0 && p[1] < 0xA0) || (p[0] == 0xED && p[1] > 0x9F) ||
		    (p[0] == 0xF0 && p[1] < 0x90) || (p[0] == 0xF4 && p[1] > 0x8F))
			return 0;
		p += n;
	}
	return 1;
}

/* shape_problem - why v is not a well-formed header value we may hand the MTA, or NULL */
static const char *shape_problem(const char *v)
{
	size_t line = 0;
	for (const char *p = v; *p; p++) {
		unsigned char c = (unsigned char)*p;
		if (c == '\n') {
			if (p[1] != '\t')
				return "a line break not followed by a tab";
			line = 0;
			continue;
		}
		if (++line > 998)
			return "a line longer than 998 bytes";
		if ((c < 0x20 && c != '\t') || c == 0x7f)
			return "a control character";
	}
	if (!utf8_ok(v))
		return "bytes that are not UTF-8";
	return NULL;
}

/* check_shape - one test point: v has the shape of a header value */
static void check_shape(const char *v, const char *label)
{
	const char *why = shape_problem(v);
	if (!ok(why == NULL, "%s: well-formed header value", label))
		diag("  it has %s", why);
}

/* keep - remember a built value for the independent parser */
static void keep(struct pyrec *recs, size_t *n, const char *v, const char *label, const char *want)
{
	if (*n >= MAX_RECS) {
		ok(0, "%s: room to keep the value for the parser (raise MAX_RECS)", label);
		return;
	}
	recs[*n].value = strdup(v);
	if (recs[*n].value == NULL) {
		ok(0, "%s: strdup", label);
		return;
	}
	snprintf(recs[*n].label, sizeof(recs[*n].label), "%s", label);
	recs[*n].want = want;
	(*n)++;
}

/* repeat - a malloc'ed string of n copies of s (abort on memory failure: a test) */
static char *repeat(const char *s, size_t n)
{
	size_t len = strlen(s);
	char *p = malloc(len * n + 1);
	if (p == NULL) {
		printf("Bail out! out of memory\n");
		abort();
	}
	for (size_t i = 0; i < n; i++)
		memcpy(p + i * len, s, len);
	p[len * n] = '\0';
	return p;
}

/* ---- building Authentication-Results -------------------------------------- */

struct build_case {
	const char *name;
	const char *id;
	const struct ar_result *r;
	size_t n;
	const char *want; /* the exact value, or NULL when NULL is wanted */
	int want_errno;   /* with NULL */
	const char *py;   /* what python3-authres reads, or NULL: only that it parses */
};

static const struct build_case build_cases[] = {
    {"single result", ID,
     RESULTS({"spf", "pass", "sender SPF authorized",
	      PROPS({"smtp", "mailfrom", "alice@example.com"})}),
     ID ";\n\tspf=pass (sender SPF authorized) smtp.mailfrom=alice@example.com", 0,
     ID "; spf=pass smtp.mailfrom=[alice@example.com]"},
    {"several methods, quoted value last, folded", ID,
     RESULTS(
	 {"spf", "pass", "sender SPF authorized", PROPS({"smtp", "mailfrom", "alice@example.com"})},
	 {"dkim", "pass", NULL,
	  PROPS({"header", "b", "abc/def+="}, {"header", "d", "example.com"},
		{"header", "s", "sel1"})},
	 {"dmarc", "pass", NULL, PROPS({"header", "from", "example.com"})},
	 {"iprev", "pass", "mail.example.com",
	  PROPS({"smtp", "remote-ip", "192.0.2.1"}, {"policy", "iprev", "192.0.2.1"})}),
     ID ";\n\tspf=pass (sender SPF authorized) smtp.mailfrom=alice@example.com;\n\t"
	"dkim=pass header.d=example.com header.s=sel1 header.b=\"abc/def+=\";\n\t"
	"dmarc=pass header.from=example.com;\n\t"
	"iprev=pass (mail.example.com) smtp.remote-ip=192.0.2.1\n\tpolicy.iprev=192.0.2.1",
     0,
     ID "; spf=pass smtp.mailfrom=[alice@example.com]; dkim=pass header.d=[example.com] "
	"header.s=[sel1] header.b=[abc/def+=]; dmarc=pass header.from=[example.com]; "
	"iprev=pass smtp.remote-ip=[192.0.2.1] policy.iprev=[192.0.2.1]"},
    {"no results: none", ID, NULL, 0, ID "; none", 0, ID "; none"},
    {"result without properties or comment", "MX.Example.ORG",
     RESULTS({"auth", "none", NULL, NULL, 0}), "MX.Example.ORG;\n\tauth=none", 0, ID "; auth=none"},
    {"empty comment left out", ID, RESULTS({"spf", "none", "", NULL, 0}), ID ";\n\tspf=none", 0,
     ID "; spf=none"},
    {"comment escapes ( ) \\", ID, RESULTS({"spf", "fail", "a (nested) \\ b)(", NULL, 0}),
     ID ";\n\tspf=fail (a \\(nested\\) \\\\ b\\)\\()", 0, ID "; spf=fail"},
    {"value with \" \\ and space quoted", ID,
     RESULTS({"spf", "pass", NULL, PROPS({"smtp", "helo", "a\"b\\c d"})}),
     ID ";\n\tspf=pass smtp.helo=\"a\\\"b\\\\c d\"", 0, ID "; spf=pass smtp.helo=[a\\\"b\\\\c d]"},
    {"value that looks like more resinfo quoted", ID,
     RESULTS({"spf", "pass", NULL, PROPS({"smtp", "mailfrom", "x; dkim=pass header.d=evil"})}),
     ID ";\n\tspf=pass smtp.mailfrom=\"x; dkim=pass header.d=evil\"", 0,
     ID "; spf=pass smtp.mailfrom=[x; dkim=pass header.d=evil]"},
    {"CR LF and controls stripped, tab to space", ID,
     RESULTS({"spf", "pass", "ok\r\nX-Evil: yes\x01\x7f",
	      PROPS({"smtp", "mailfrom", "ali\r\nce@exa\tmple.com"},
		    {"smtp", "helo", "x\r\nBcc: evil@example.net\r\n"})}),
     ID ";\n\tspf=pass (okX-Evil: yes) smtp.helo=\"xBcc: evil\"@example.net\n\t"
	"smtp.mailfrom=\"alice@exa mple.com\"",
     0, ID "; spf=pass smtp.helo=[\"xBcc: evil\"@example.net] smtp.mailfrom=[alice@exa mple.com]"},
    {"C1 controls stripped", ID,
     RESULTS({"spf", "pass", NULL,
	      PROPS({"smtp", "helo",
		     "a\xc2\x85"
		     "b\xc2\x9f"
		     "c"})}),
     ID ";\n\tspf=pass smtp.helo=abc", 0, ID "; spf=pass smtp.helo=[abc]"},
    {"bytes that are not UTF-8 become ?", ID,
     RESULTS({"spf", "pass", "\xff",
	      PROPS({"smtp", "helo",
		     "a\xc3(\xed\xa0\x80"
		     "b"})}),
     ID ";\n\tspf=pass (?) smtp.helo=\"a?(???b\"", 0, ID "; spf=pass smtp.helo=[a?(???b]"},
    {"UTF-8 kept, quoted", ID,
     RESULTS({"dmarc", "pass", "caf\xc3\xa9",
	      PROPS({"header", "from",
		     "b\xc3\xbc"
		     "cher.example"})}),
     ID ";\n\tdmarc=pass (caf\xc3\xa9) header.from=\"b\xc3\xbc"
	"cher.example\"",
     0, ID "; dmarc=pass header.from=[bxcher.example]"},
    {"addresses", ID,
     RESULTS({"spf", "pass", NULL,
	      PROPS({"smtp", "mailfrom", "\"a b\"@example.com"},
		    {"smtp", "mailfrom", "a b@example.com"},
		    {"smtp", "mailfrom", "a..b@example.com"}, {"smtp", "mailfrom", "@example.com"},
		    {"smtp", "mailfrom", "j\xc3\xb6rg@example.com"},
		    {"smtp", "mailfrom", "a@b@example.com"})}),
     ID ";\n\tspf=pass smtp.mailfrom=\"a b\"@example.com\n\t"
	"smtp.mailfrom=\"a b\"@example.com smtp.mailfrom=\"a..b\"@example.com\n\t"
	"smtp.mailfrom=@example.com smtp.mailfrom=\"j\xc3\xb6rg\"@example.com\n\t"
	"smtp.mailfrom=\"a@b\"@example.com",
     0,
     ID "; spf=pass smtp.mailfrom=[\"a b\"@example.com] smtp.mailfrom=[\"a b\"@example.com] "
	"smtp.mailfrom=[\"a..b\"@example.com] smtp.mailfrom=[@example.com] "
	"smtp.mailfrom=[\"jxrg\"@example.com] smtp.mailfrom=[\"a@b\"@example.com]"},
    {"not addresses: quoted whole", ID,
     RESULTS({"spf", "pass", NULL, PROPS({"smtp", "mailfrom", "alice@localhost"})},
	     {"spf", "pass", NULL, PROPS({"smtp", "mailfrom", "alice@[192.0.2.1]"})},
	     {"spf", "pass", NULL, PROPS({"smtp", "mailfrom", "alice@-x.example"})},
	     {"spf", "pass", NULL, PROPS({"smtp", "mailfrom", "alice@"})},
	     {"spf", "pass", NULL, PROPS({"smtp", "mailfrom", ""})}),
     ID ";\n\tspf=pass smtp.mailfrom=\"alice@localhost\";\n\t"
	"spf=pass smtp.mailfrom=\"alice@[192.0.2.1]\";\n\t"
	"spf=pass smtp.mailfrom=\"alice@-x.example\";\n\tspf=pass smtp.mailfrom=\"alice@\";\n\t"
	"spf=pass smtp.mailfrom=\"\"",
     0,
     ID "; spf=pass smtp.mailfrom=[alice@localhost]; spf=pass smtp.mailfrom=[alice@[192.0.2.1]]; "
	"spf=pass smtp.mailfrom=[alice@-x.example]; spf=pass smtp.mailfrom=[alice@]; "
	"spf=pass smtp.mailfrom=[]"},
    {"tokens bare", ID,
     RESULTS({"dkim", "fail", NULL,
	      PROPS({"header", "i", "@example.com"}, {"header", "s", "2024-01_sel.x"},
		    {"policy", "x", "!#$%&'*+-.^_`{|}~"})}),
     ID ";\n\tdkim=fail header.i=@example.com header.s=2024-01_sel.x\n\t"
	"policy.x=!#$%&'*+-.^_`{|}~",
     0,
     ID "; dkim=fail header.i=[@example.com] header.s=[2024-01_sel.x] "
	"policy.x=[!#$%&'*+-.^_`{|}~]"},
    {"method with digits and hyphen", ID,
     RESULTS({"x-dkim2", "pass", NULL, PROPS({"header", "d", "example.com"})}),
     ID ";\n\tx-dkim2=pass header.d=example.com", 0, ID "; x-dkim2=pass header.d=[example.com]"},
    /* bugs in the caller: NULL, nothing emitted */
    {"upper-case method", ID, RESULTS({"SPF", "pass", NULL, NULL, 0}), NULL, EINVAL, NULL},
    {"method with a space", ID, RESULTS({"sp f", "pass", NULL, NULL, 0}), NULL, EINVAL, NULL},
    {"empty method", ID, RESULTS({"", "pass", NULL, NULL, 0}), NULL, EINVAL, NULL},
    {"NULL method", ID, RESULTS({NULL, "pass", NULL, NULL, 0}), NULL, EINVAL, NULL},
    {"method with leading hyphen", ID, RESULTS({"-spf", "pass", NULL, NULL, 0}), NULL, EINVAL,
     NULL},
    {"method with trailing hyphen", ID, RESULTS({"spf-", "pass", NULL, NULL, 0}), NULL, EINVAL,
     NULL},
    {"method with a version", ID, RESULTS({"dkim/1", "pass", NULL, NULL, 0}), NULL, EINVAL, NULL},
    {"result with ;", ID, RESULTS({"spf", "pass;", NULL, NULL, 0}), NULL, EINVAL, NULL},
    {"NULL result", ID, RESULTS({"spf", NULL, NULL, NULL, 0}), NULL, EINVAL, NULL},
    {"ptype with a dot", ID, RESULTS({"spf", "pass", NULL, PROPS({"smtp.x", "mailfrom", "a"})}),
     NULL, EINVAL, NULL},
    {"property with =", ID, RESULTS({"spf", "pass", NULL, PROPS({"smtp", "mail=from", "a"})}), NULL,
     EINVAL, NULL},
    {"upper-case property", ID, RESULTS({"spf", "pass", NULL, PROPS({"smtp", "MailFrom", "a"})}),
     NULL, EINVAL, NULL},
    {"NULL value", ID, RESULTS({"spf", "pass", NULL, PROPS({"smtp", "mailfrom", NULL})}), NULL,
     EINVAL, NULL},
    {"properties counted but NULL", ID, RESULTS({"spf", "pass", NULL, NULL, 1}), NULL, EINVAL,
     NULL},
    {"bad result after a good one", ID,
     RESULTS({"spf", "pass", NULL, NULL, 0}, {"dkim", "Pass", NULL, NULL, 0}), NULL, EINVAL, NULL},
    {"results counted but NULL", ID, NULL, 1, NULL, EINVAL, NULL},
    {"authserv-id with a space", "mx example.org", NULL, 0, NULL, EINVAL, NULL},
    {"authserv-id with ;", "mx.example.org;", NULL, 0, NULL, EINVAL, NULL},
    {"authserv-id with empty label", "mx..example.org", NULL, 0, NULL, EINVAL, NULL},
    {"authserv-id with trailing dot", "mx.example.org.", NULL, 0, NULL, EINVAL, NULL},
    {"empty authserv-id", "", NULL, 0, NULL, EINVAL, NULL},
    {"NULL authserv-id", NULL, NULL, 0, NULL, EINVAL, NULL},
};

/* test_build_table - authres_value on the table */
static void test_build_table(void)
{
	for (size_t i = 0; i < ARRAY_LEN(build_cases); i++) {
		const struct build_case *c = &build_cases[i];
		errno = 0;
		char *v = authres_value(c->id, c->r, c->n);
		int e = errno;
		is_str(v, c->want, "authres_value: %s", c->name);
		if (c->want == NULL) {
			is_int(e, c->want_errno, "authres_value: %s: errno", c->name);
		} else if (v != NULL) {
			check_shape(v, c->name);
			keep(ar_recs, &n_ar_recs, v, c->name, c->py);
		}
		free(v);
	}
}

/* test_build_long - values past AUTHRES_VALUE_MAX cut, at a UTF-8 boundary */
static void test_build_long(void)
{
	char *a = repeat("a", 1000);
	char *e_acute = repeat("\xc3\xa9", 200);
	char *mixed = malloc(strlen(e_acute) + 2);
	char *want_a = repeat("a", AUTHRES_VALUE_MAX);
	char *want_e = repeat("\xc3\xa9", (AUTHRES_VALUE_MAX - 1) / 2);
	if (mixed == NULL) {
		printf("Bail out! out of memory\n");
		abort();
	}
	mixed[0] = 'a';
	memcpy(mixed + 1, e_acute, strlen(e_acute) + 1);
	char *comment = repeat("(", 1000);
	const struct ar_prop props[] = {{"smtp", "helo", a}, {"smtp", "mailfrom", mixed}};
	const struct ar_result r[] = {{"spf", "pass", comment, props, 2}};
	char *v = authres_value(ID, r, 1);
	ok(v != NULL, "authres_value: over-long values: built");
	if (v != NULL) {
		struct buf_want {
			const char *what, *prefix, *body, *suffix;
		} w[] = {
		    {"helo cut to AUTHRES_VALUE_MAX bytes", "smtp.helo=", want_a, "\n\t"},
		    {"mailfrom cut before a split character", "smtp.mailfrom=\"a", want_e, "\""}};
		for (size_t i = 0; i < ARRAY_LEN(w); i++) {
			size_t plen = strlen(w[i].prefix), blen = strlen(w[i].body);
			const char *p = strstr(v, w[i].prefix);
			if (!ok(p != NULL && strncmp(p + plen, w[i].body, blen) == 0 &&
				    strncmp(p + plen + blen, w[i].suffix, strlen(w[i].suffix)) == 0,
				"authres_value: %s", w[i].what))
				diag("  got: %s", v);
		}
		/* the comment: 256 "(" each escaped */
		const char *p = strstr(v, "(\\(");
		size_t n = 0;
		if (p != NULL)
			for (p++; p[0] == '\\' && p[1] == '('; p += 2)
				n++;
		if (!ok(n == AUTHRES_VALUE_MAX && p != NULL && *p == ')',
			"authres_value: comment cut to AUTHRES_VALUE_MAX bytes before escaping"))
			diag("  %zu escaped parentheses", n);
		check_shape(v, "over-long values");
		keep(ar_recs, &n_ar_recs, v, "over-long values", NULL);
	}
	free(v);
	free(a);
	free(e_acute);
	free(mixed);
	free(want_a);
	free(want_e);
	free(comment);
}

/* test_build_fold - many properties fold, no line passes 78 columns */
static void test_build_fold(void)
{
	struct ar_prop props[20];
	for (size_t i = 0; i < ARRAY_LEN(props); i++)
		props[i] = (struct ar_prop){"header", "d", "sub.example.com"};
	const struct ar_result r[] = {
	    {"dkim", "pass", "a fairly long comment about it", props, ARRAY_LEN(props)}};
	char *v = authres_value(ID, r, 1);
	ok(v != NULL, "authres_value: 20 properties: built");
	if (v == NULL)
		return;
	size_t col = strlen("Authentication-Results: "), longest = 0, lines = 1;
	for (const char *p = v; *p; p++) {
		if (*p == '\n') {
			lines++;
			col = 0;
		} else {
			col += *p == '\t' ? 8 : 1;
		}
		if (col > longest)
			longest = col;
	}
	if (!ok(longest <= 78, "authres_value: folded lines stay within 78 columns"))
		diag("  longest %zu in:\n%s", longest, v);
	if (!ok(lines >= 7, "authres_value: 20 properties take several lines"))
		diag("  %zu lines", lines);
	check_shape(v, "20 properties");
	keep(ar_recs, &n_ar_recs, v, "20 properties", NULL);
	free(v);
}

/* test_build_too_big - a header past AUTHRES_HEADER_MAX is refused */
static void test_build_too_big(void)
{
	char *big = repeat("x", AUTHRES_VALUE_MAX);
	struct ar_prop prop = {"policy", "x", big};
	struct ar_result r[100];
	for (size_t i = 0; i < ARRAY_LEN(r); i++)
		r[i] = (struct ar_result){"x-test", "pass", NULL, &prop, 1};
	errno = 0;
	char *v = authres_value(ID, r, ARRAY_LEN(r));
	int e = errno;
	ok(v == NULL, "authres_value: 100 results of 256-byte values: NULL");
	is_int(e, E2BIG, "authres_value: past AUTHRES_HEADER_MAX: errno E2BIG");
	free(v);
	v = authres_value(ID, r, 50);
	ok(v != NULL && strlen(v) <= AUTHRES_HEADER_MAX,
	   "authres_value: 50 results of 256-byte values: built within AUTHRES_HEADER_MAX");
	if (v != NULL) {
		check_shape(v, "50 results");
		keep(ar_recs, &n_ar_recs, v, "50 results of 256-byte values", NULL);
	}
	free(v);
	free(big);
}

/* ---- authserv-id ---------------------------------------------------------- */

/* test_id_valid - authres_id_valid */
static void test_id_valid(void)
{
	static const struct {
		const char *id;
		int want;
	} cases[] = {
	    {"mx.example.org", 1},
	    {"MX1.Example-Host_x.org", 1},
	    {"localhost", 1},
	    {"a", 1},
	    {"", 0},
	    {".", 0},
	    {"mx.example.org.", 0},
	    {".mx.example.org", 0},
	    {"mx..example.org", 0},
	    {"mx example.org", 0},
	    {"mx.example.org;", 0},
	    {"m\xc3\xa9.example", 0},
	    {"mx.example.org\n", 0},
	};
	for (size_t i = 0; i < ARRAY_LEN(cases); i++)
		is_int(authres_id_valid(cases[i].id), cases[i].want, "authres_id_valid(\"%s\")",
		       cases[i].id);
	is_int(authres_id_valid(NULL), 0, "authres_id_valid(NULL)");
	char label[70], id[300];
	memset(label, 'a', 63);
	label[63] = '\0';
	snprintf(id, sizeof(id), "%s.example", label);
	is_int(authres_id_valid(id), 1, "authres_id_valid: 63-byte label");
	label[63] = 'a';
	label[64] = '\0';
	snprintf(id, sizeof(id), "%s.example", label);
	is_int(authres_id_valid(id), 0, "authres_id_valid: 64-byte label");
	char *long_id = repeat("abc.", 64); /* 256 bytes with a trailing dot */
	long_id[253] = '\0';                /* ...abc.a: 253 bytes */
	is_int(authres_id_valid(long_id), 1, "authres_id_valid: 253 bytes");
	long_id[253] = 'b';
	long_id[254] = '\0';
	is_int(authres_id_valid(long_id), 0, "authres_id_valid: 254 bytes");
	free(long_id);
}

/* ---- recognising Authentication-Results ------------------------------------ */

struct claim_case {
	const char *value;
	int want;
	const char *why;
};

static const struct claim_case claim_cases[] = {
    {ID "; spf=pass smtp.mailfrom=a@example.com", 1, "exact"},
    {ID, 1, "the id alone"},
    {ID ";", 1, "the id and ;"},
    {" " ID "; spf=pass", 1, "leading space as the MTA passes it"},
    {"MX.Example.ORG; none", 1, "case differs"},
    {"mx.EXAMPLE.org 1; none", 1, "case differs, version"},
    {ID " 1; spf=pass", 1, "version"},
    {ID " 1 (version comment); none", 1, "version with a comment"},
    {"(comment) " ID "; none", 1, "leading comment"},
    {" (nested (comment \\) with \\( escaped) here) " ID " ; none", 1, "nested leading comment"},
    {"(a)(b) \t(c)" ID "(d); none", 1, "comments without spaces"},
    {ID " (trailing comment); none", 1, "comment after the id"},
    {ID "(c);none", 1, "comment right after the id"},
    {"\n\t" ID ";\n\tspf=pass", 1, "folded with \\n\\t"},
    {"\r\n " ID ";\r\n spf=pass", 1, "folded with \\r\\n space"},
    {" (x)\r\n\t(y)\n " ID "\r\n\t;\r\n\tnone", 1, "folded around comments"},
    {ID ".; none", 1, "trailing root dot"},
    {"\"" ID "\"; none", 1, "quoted id"},
    {"\" MX.example.ORG. \"; none", 1, "quoted id with spaces, case and root dot"},
    {"\"mx\\.example.org\"; none", 1, "quoted id with a quoted-pair"},
    {ID "/x; none", 1, "/ after the id (a token reader stops there)"},
    {ID "=x; none", 1, "= after the id"},
    {ID "@x; none", 1, "@ after the id"},
    {ID ":x; none", 1, ": after the id"},
    {ID "..x; none", 1, "two dots after the id (a dot-atom reader stops there)"},
    {ID "\xc3\xa9; none", 1, "non-ASCII after the id (an ASCII reader stops there)"},
    {ID " garbage garbage", 1, "garbage after the id"},
    {ID ";;;((( \"", 1, "broken syntax after the id"},
    {"other.example.org; spf=pass", 0, "different id"},
    {ID ".evil; spf=pass", 0, "our id as a prefix: .evil"},
    {ID ".evil.example; spf=pass", 0, "our id as a prefix: .evil.example"},
    {"evil-" ID "; spf=pass", 0, "our id as a suffix: evil-"},
    {"evil." ID "; spf=pass", 0, "our id as a suffix: evil."},
    {ID "x; none", 0, "id continues with a letter"},
    {ID "-x; none", 0, "id continues with -"},
    {ID "_x; none", 0, "id continues with _"},
    {ID "+x; none", 0, "id continues with +"},
    {"mx.example.or; none", 0, "prefix of our id"},
    {"mx.example; none", 0, "shorter prefix of our id"},
    {"", 0, "empty"},
    {" \r\n\t ", 0, "only white space"},
    {"(only a comment)", 0, "only a comment"},
    {"(unclosed " ID "; none", 0, "unclosed leading comment"},
    {"(" ID ") other.example.org; none", 0, "our id only in a comment"},
    {"other.example.org (" ID "); none", 0, "our id in a later comment"},
    {"other.example.org; spf=pass smtp.mailfrom=postmaster@" ID, 0, "our id in a property"},
    {"other.example.org;\n\tspf=pass;\n\t" ID "; none", 0, "our id later in the value"},
    {";;;", 0, "garbage"},
    {"\x01\xff garbage", 0, "control and non-UTF-8 garbage"},
    {"\"" ID ".evil\"; none", 0, "quoted id with a suffix"},
    {"\"" ID, 0, "unterminated quoted id"},
    {"\"evil " ID "\"; none", 0, "quoted string holding more than our id"},
};

/* test_claims_table - authres_claims on the table */
static void test_claims_table(void)
{
	for (size_t i = 0; i < ARRAY_LEN(claim_cases); i++)
		is_int(authres_claims(claim_cases[i].value, ID), claim_cases[i].want,
		       "authres_claims: %s", claim_cases[i].why);
	is_int(authres_claims(NULL, ID), 0, "authres_claims: NULL value");
	is_int(authres_claims(ID "; none", NULL), 0, "authres_claims: NULL id");
	is_int(authres_claims("; none", ""), 0, "authres_claims: empty id");
	is_int(authres_claims("mx.example.org; none", "MX.EXAMPLE.ORG"), 1,
	       "authres_claims: id configured in upper case");
	/* our own header is ours */
	const struct ar_prop p = {"smtp", "mailfrom", "alice@example.com"};
	const struct ar_result r = {"spf", "pass", "x", &p, 1};
	char *v = authres_value(ID, &r, 1);
	is_int(v ? authres_claims(v, ID) : -1, 1, "authres_claims: a value authres_value built");
	free(v);
}

/* elapsed - seconds since t0 (CPU time, so a loaded machine does not matter much) */
static double elapsed(clock_t t0)
{
	return (double)(clock() - t0) / CLOCKS_PER_SEC;
}

/* test_claims_big - 1 MB inputs, answered quickly */
static void test_claims_big(void)
{
	char *tail = repeat("x", BIG);
	char *ws = repeat(" \r\n\t", BIG / 4);
	char *open = repeat("(", BIG);
	char *nested = malloc(2 * BIG + sizeof(ID) + 1);
	char *longid = malloc(BIG + sizeof(ID) + 8);
	char *spaced = malloc(BIG + sizeof(ID) + 8);
	if (nested == NULL || longid == NULL || spaced == NULL) {
		printf("Bail out! out of memory\n");
		abort();
	}
	memset(nested, '(', BIG / 2);
	memset(nested + BIG / 2, ')', BIG / 2);
	snprintf(nested + BIG, sizeof(ID) + 2, "%s;", ID);
	snprintf(longid, BIG + sizeof(ID) + 8, "%s%s", ID, tail);
	snprintf(spaced, BIG + sizeof(ID) + 8, "%s%s; none", ws, ID);
	static const char *const names[] = {"1 MB of x after our id",
					    "1 MB of folding before our id", "1 MB of unclosed (",
					    "1 MB of nested comments before our id", "1 MB of x"};
	const char *values[] = {longid, spaced, open, nested, tail};
	const int want[] = {0, 1, 0, 1, 0};
	for (size_t i = 0; i < ARRAY_LEN(values); i++) {
		clock_t t0 = clock();
		int got = authres_claims(values[i], ID);
		double s = elapsed(t0);
		is_int(got, want[i], "authres_claims: %s", names[i]);
		if (!ok(s < 1.0, "authres_claims: %s: quick", names[i]))
			diag("  %.2f s", s);
	}
	/* Received-SPF scanner: patterns that would make a naive one quadratic */
	char *keys = repeat("receiver=\"", BIG / 10);
	char *keyws = repeat("receiver = ", BIG / 11);
	char *opens = repeat("( ", BIG / 2);
	const char *svalues[] = {keys, keyws, opens, open, tail, nested};
	static const char *const snames[] = {
	    "1 MB of receiver=\"", "1 MB of receiver = ", "1 MB of ( with spaces",
	    "1 MB of unclosed (",  "1 MB of x",           "1 MB of nested comments then our id"};
	for (size_t i = 0; i < ARRAY_LEN(svalues); i++) {
		clock_t t0 = clock();
		int got = authres_received_spf_claims(svalues[i], ID);
		double s = elapsed(t0);
		is_int(got, 0, "authres_received_spf_claims: %s", snames[i]);
		if (!ok(s < 1.0, "authres_received_spf_claims: %s: quick", snames[i]))
			diag("  %.2f s", s);
	}
	free(tail);
	free(ws);
	free(open);
	free(nested);
	free(longid);
	free(spaced);
	free(keys);
	free(keyws);
	free(opens);
}

/* ---- Received-SPF ------------------------------------------------------------ */

struct spf_case {
	const char *name;
	const char *result, *comment, *ip, *from, *helo, *identity, *receiver;
	const char *want; /* exact value, or NULL when NULL is wanted */
	int want_errno;
	const char *py; /* what the RFC 7208 grammar reads, or NULL */
};

#define SPF_COMMENT ID ": domain of alice@example.com designates 192.0.2.1 as permitted sender"

static const struct spf_case spf_cases[] = {
    {"full", "pass", SPF_COMMENT, "192.0.2.1", "alice@example.com", "mail.example.com", "mailfrom",
     ID,
     "pass\n\t(" SPF_COMMENT ")\n\tclient-ip=192.0.2.1; envelope-from=\"alice@example.com\";\n\t"
     "helo=mail.example.com; receiver=" ID "; identity=mailfrom;",
     0,
     "pass (" SPF_COMMENT ") client-ip=[192.0.2.1] envelope-from=[alice@example.com] "
     "helo=[mail.example.com] receiver=[" ID "] identity=[mailfrom]"},
    {"IPv6, null sender, address-literal HELO", "softfail", NULL, "2001:db8::1", "", "[192.0.2.1]",
     "helo", ID,
     "softfail client-ip=\"2001:db8::1\"; envelope-from=\"\";\n\thelo=\"[192.0.2.1]\"; "
     "receiver=" ID "; identity=helo;",
     0,
     "softfail client-ip=[2001:db8::1] envelope-from=[] helo=[[192.0.2.1]] receiver=[" ID
     "] identity=[helo]"},
    {"result only", "none", NULL, NULL, NULL, NULL, NULL, NULL, "none", 0, "none"},
    {"every result", "temperror", "", NULL, NULL, "x", NULL, NULL, "temperror helo=x;", 0,
     "temperror helo=[x]"},
    {"permerror", "permerror", "c", NULL, NULL, NULL, NULL, NULL, "permerror (c)", 0,
     "permerror (c)"},
    {"escaping and controls", "fail", "a (b) \\ c\r\n", NULL, "x@y", "evil\"\\host\r\nX-Evil: 1",
     "mailfrom", ID,
     "fail (a \\(b\\) \\\\ c) envelope-from=\"x@y\";\n\thelo=\"evil\\\"\\\\hostX-Evil: 1\"; "
     "receiver=" ID ";\n\tidentity=mailfrom;",
     0,
     "fail (a (b) \\ c) envelope-from=[x@y] helo=[evil\"\\hostX-Evil: 1] receiver=[" ID
     "] identity=[mailfrom]"},
    {"dot-atom forms", "neutral", NULL, NULL, NULL, "a.b", NULL, "a..b",
     "neutral helo=a.b; receiver=\"a..b\";", 0, "neutral helo=[a.b] receiver=[a..b]"},
    {"upper-case result", "PASS", NULL, NULL, NULL, NULL, NULL, NULL, NULL, EINVAL, NULL},
    {"unknown result", "hardfail", NULL, NULL, NULL, NULL, NULL, NULL, NULL, EINVAL, NULL},
    {"NULL result", NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, EINVAL, NULL},
    {"unknown identity", "pass", NULL, NULL, NULL, NULL, "pra", NULL, NULL, EINVAL, NULL},
};

/* test_spf_build - authres_received_spf on the table */
static void test_spf_build(void)
{
	for (size_t i = 0; i < ARRAY_LEN(spf_cases); i++) {
		const struct spf_case *c = &spf_cases[i];
		errno = 0;
		char *v = authres_received_spf(c->result, c->comment, c->ip, c->from, c->helo,
					       c->identity, c->receiver);
		int e = errno;
		is_str(v, c->want, "authres_received_spf: %s", c->name);
		if (c->want == NULL) {
			is_int(e, c->want_errno, "authres_received_spf: %s: errno", c->name);
		} else if (v != NULL) {
			check_shape(v, c->name);
			keep(spf_recs, &n_spf_recs, v, c->name, c->py);
		}
		free(v);
	}
	char *helo = repeat("h", 1000);
	char *v = authres_received_spf("pass", helo, "192.0.2.1", helo, helo, "helo", ID);
	ok(v != NULL, "authres_received_spf: 1000-byte values: built");
	if (v != NULL) {
		char *want = repeat("h", AUTHRES_VALUE_MAX);
		char *p = strstr(v, "helo=");
		if (!ok(p != NULL && strncmp(p + 5, want, AUTHRES_VALUE_MAX) == 0 &&
			    p[5 + AUTHRES_VALUE_MAX] == ';',
			"authres_received_spf: helo cut to AUTHRES_VALUE_MAX bytes"))
			diag("  got: %s", v);
		check_shape(v, "Received-SPF with 1000-byte values");
		keep(spf_recs, &n_spf_recs, v, "Received-SPF with 1000-byte values", NULL);
		free(want);
	}
	free(v);
	free(helo);
}

struct spf_claim_case {
	const char *value;
	int want;
	const char *why;
};

static const struct spf_claim_case spf_claim_cases[] = {
    {"pass (" ID ": domain of a@example.com designates 192.0.2.1 as permitted sender) "
     "client-ip=192.0.2.1;",
     1, "comment starts with our id"},
    {"pass ( " ID " ) client-ip=192.0.2.1;", 1, "comment is our id"},
    {"pass receiver=" ID ";", 1, "receiver= our id"},
    {"pass client-ip=192.0.2.1; receiver = MX.EXAMPLE.ORG ;", 1, "receiver with spaces and case"},
    {"pass client-ip=192.0.2.1; RECEIVER=" ID, 1, "key in upper case"},
    {"pass receiver=\"" ID "\";", 1, "quoted receiver"},
    {"pass receiver=" ID ".;", 1, "receiver with root dot"},
    {"pass receiver (c) = (c) " ID ";", 1, "comments around ="},
    {"pass receiver=\r\n\t" ID ";", 1, "folded receiver"},
    {"pass receiver=" ID "/x;", 1, "receiver our id then /"},
    {"pass problem=\"receiver=" ID "\";", 1, "receiver= inside a quoted-string"},
    {"pass (x receiver=" ID ") client-ip=192.0.2.1;", 1, "receiver= inside a comment"},
    {"pass (unclosed receiver=" ID ";", 1, "receiver= after an unclosed comment"},
    {"pass \"unclosed receiver=" ID ";", 1, "receiver= after an unclosed quote"},
    {"pass (other.example.org: domain of a@b designates 192.0.2.1 as permitted sender) "
     "receiver=other.example.org; helo=" ID ";",
     0, "our id only as helo"},
    {"pass receiver=" ID ".evil;", 0, "receiver our id with a suffix"},
    {"pass receiver=evil-" ID ";", 0, "receiver with our id as a suffix"},
    {"pass receiver=\"" ID ".evil\";", 0, "quoted receiver with a suffix"},
    {"pass x-receiver=" ID ";", 0, "a different key ending in receiver"},
    {"pass receivers=" ID ";", 0, "a different key starting with receiver"},
    {"pass (mail from " ID " relayed) receiver=other.example.org;", 0,
     "our id inside a comment, not at its start"},
    {"pass (" ID ".evil: domain of ...) receiver=other.example.org;", 0,
     "comment starts with our id and a suffix"},
    {"pass receiver other.example.org " ID ";", 0, "receiver without ="},
    {"pass envelope-from=\"postmaster@" ID "\";", 0, "our id in an address"},
    {"none", 0, "result only"},
    {"", 0, "empty"},
    {"\x01\xff ;;; ((( \"\"\" === ", 0, "garbage"},
};

/* test_spf_claims - authres_received_spf_claims on the table and on our own values */
static void test_spf_claims(void)
{
	for (size_t i = 0; i < ARRAY_LEN(spf_claim_cases); i++)
		is_int(authres_received_spf_claims(spf_claim_cases[i].value, ID),
		       spf_claim_cases[i].want, "authres_received_spf_claims: %s",
		       spf_claim_cases[i].why);
	is_int(authres_received_spf_claims(NULL, ID), 0, "authres_received_spf_claims: NULL value");
	is_int(authres_received_spf_claims("pass receiver=" ID, NULL), 0,
	       "authres_received_spf_claims: NULL id");
	is_int(authres_received_spf_claims("pass receiver=", ""), 0,
	       "authres_received_spf_claims: empty id");
	char *v = authres_received_spf("pass", NULL, "192.0.2.1", "a@example.com", "h.example",
				       "mailfrom", ID);
	is_int(v ? authres_received_spf_claims(v, ID) : -1, 1,
	       "authres_received_spf_claims: our own value (receiver=)");
	free(v);
	v = authres_received_spf("pass", SPF_COMMENT, "192.0.2.1", NULL, NULL, NULL, NULL);
	is_int(v ? authres_received_spf_claims(v, ID) : -1, 1,
	       "authres_received_spf_claims: our own value (comment, no receiver=)");
	free(v);
	v = authres_received_spf("pass", NULL, "192.0.2.1", NULL, NULL, NULL, "other.example.org");
	is_int(v ? authres_received_spf_claims(v, ID) : -1, 0,
	       "authres_received_spf_claims: another receiver's value");
	free(v);
}

/* ---- the independent parser ----------------------------------------------- */

/* verdict_line - what the parser said about one record */
struct verdict_line {
	int seen, ok;
	char *text; /* owned */
};

/* run_parser - feed recs to tests/authres_parse.py [flag]; one test point per record */
static void run_parser(const char *flag, const char *what, struct pyrec *recs, size_t n)
{
	const char *t = getenv("TMPDIR");
	char path[1024], script[1024], cmd[3072];
	snprintf(path, sizeof(path), "%s/authres_test.XXXXXX", t && *t ? t : "/tmp");
	snprintf(script, sizeof(script), "%s/tests/authres_parse.py", tap_srcdir());
	if (strchr(path, '\'') || strchr(script, '\'')) {
		ok(0, "%s: paths without a single quote (%s, %s)", what, path, script);
		return;
	}
	if (access(script, R_OK) != 0) {
		ok(0, "%s: %s is readable (is abs_top_srcdir set?): %s", what, script,
		   strerror(errno));
		return;
	}
	int fd = mkstemp(path);
	FILE *fp = fd < 0 ? NULL : fdopen(fd, "w");
	if (fp == NULL) {
		ok(0, "%s: temporary file %s: %s", what, path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return;
	}
	for (size_t i = 0; i < n; i++)
		fwrite(recs[i].value, 1, strlen(recs[i].value) + 1, fp);
	if (fclose(fp) != 0) {
		ok(0, "%s: writing %s: %s", what, path, strerror(errno));
		unlink(path);
		return;
	}
	snprintf(cmd, sizeof(cmd), PYTHON " '%s' %s '%s' 2>&1", script, flag, path);
	struct verdict_line *vl = calloc(n ? n : 1, sizeof(*vl));
	char *bail = NULL, *line = NULL;
	size_t cap = 0;
	FILE *pp = vl ? popen(cmd, "r") : NULL;
	if (pp == NULL) {
		ok(0, "%s: run %s: %s", what, cmd, strerror(errno));
		free(vl);
		unlink(path);
		return;
	}
	ssize_t len;
	while ((len = getline(&line, &cap, pp)) > 0) {
		if (line[len - 1] == '\n')
			line[--len] = '\0';
		int good = strncmp(line, "ok ", 3) == 0;
		if (good || strncmp(line, "not ok ", 7) == 0) {
			char *end;
			unsigned long k = strtoul(line + (good ? 3 : 7), &end, 10);
			if (k >= 1 && k <= n && !vl[k - 1].seen && strncmp(end, " - ", 3) == 0) {
				vl[k - 1].seen = 1;
				vl[k - 1].ok = good;
				vl[k - 1].text = strdup(end + 3);
			}
		} else if (strncmp(line, "1..", 3) != 0 && bail == NULL) {
			bail = strdup(line); /* a Bail out! or a traceback */
		}
	}
	free(line);
	int status = pclose(pp);
	unlink(path);
	for (size_t i = 0; i < n; i++) {
		const char *got = vl[i].text ? vl[i].text : "";
		if (!vl[i].seen) {
			ok(0, "%s reads \"%s\"", what, recs[i].label);
			diag("  no verdict from %s%s%s", cmd, bail ? ": " : "", bail ? bail : "");
		} else if (!vl[i].ok) {
			ok(0, "%s reads \"%s\"", what, recs[i].label);
			diag("  %s\n  value: %s", got, recs[i].value);
		} else if (recs[i].want != NULL) {
			is_str(got, recs[i].want, "%s reads \"%s\" as expected", what,
			       recs[i].label);
		} else {
			ok(1, "%s reads \"%s\"", what, recs[i].label);
		}
		free(vl[i].text);
	}
	if (!ok(status != -1 && WIFEXITED(status) && WEXITSTATUS(status) == 0, "%s: exit status 0",
		what))
		diag("  %s: status %d%s%s", cmd, status, bail ? ": " : "", bail ? bail : "");
	free(vl);
	free(bail);
}

/* test_parsers - every value built, read by the independent parsers */
static void test_parsers(void)
{
	int have_python = access(PYTHON, X_OK) == 0;
	if (!ok(have_python, PYTHON " is installed"))
		diag("  install python3");
	int have_authres = have_python && system(PYTHON " -c 'import authres' 2>/dev/null") == 0;
	if (!ok(have_authres, "python3-authres is installed for " PYTHON))
		diag("  the Authentication-Results values built here are not checked by an "
		     "independent parser: apt-get install python3-authres");
	if (have_authres)
		run_parser("", "python3-authres", ar_recs, n_ar_recs);
	if (have_python)
		run_parser("--received-spf", "RFC 7208 Received-SPF grammar", spf_recs, n_spf_recs);
	for (size_t i = 0; i < n_ar_recs; i++)
		free(ar_recs[i].value);
	for (size_t i = 0; i < n_spf_recs; i++)
		free(spf_recs[i].value);
}

int main(void)
{
	test_build_table();
	test_build_long();
	test_build_fold();
	test_build_too_big();
	test_id_valid();
	test_claims_table();
	test_claims_big();
	test_spf_build();
	test_spf_claims();
	test_parsers();
	return done_testing();
}
