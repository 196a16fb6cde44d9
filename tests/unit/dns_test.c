/*
 * dns_test.c - unit tests for the shared resolver (milter/dns.c).
 *
 * DESCRIPTION
 *	Needs no root and no network namespace. Two sources of answers:
 *	- local data (dns_add_local) with a forwarder that never answers (a
 *	  bound UDP socket nobody reads), so libunbound's local zones are the
 *	  only source. Names live under "test." (RFC 6761). dns_new turns
 *	  libunbound's own static test. zone off (the e2e bed's zones live
 *	  there); these tests make it static again with dns_add_local_zone,
 *	  so that a name without data is NXDOMAIN (and add zones of their own:
 *	  static, always_refuse);
 *	- a fake DNS server thread on 127.0.0.1 (UDP and TCP on one random
 *	  port) that answers from packets crafted here: error rcodes,
 *	  silence, malformed records, a large TXT set, TC then TCP.
 *	Each fake-server case gets its own resolver, so that what libunbound
 *	learns about the server in one case (timeouts, lameness) does not
 *	change the next.
 *
 * THREAD SAFETY
 *	tap.h is not thread-safe: worker threads only count, the main thread
 *	reports.
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "dns.h"
#include "dns_fake.h"
#include "errlist.h"
#include "tap.h"

#define SLACK_MS 200 /* how late past a deadline an answer may come back */

#define S10 "0123456789"
#define S50 S10 S10 S10 S10 S10
#define S250 S50 S50 S50 S50 S50
#define T250 "abcdefghij" S10 S50 S50 S50 S50 S10 "klmnopqrst"

/* ---- helpers -------------------------------------------------------------- */

/* now_ms - CLOCK_MONOTONIC in milliseconds */
static long long now_ms(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (long long)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/* ts_ms - a timespec in milliseconds */
static long long ts_ms(const struct timespec *t)
{
	return (long long)t->tv_sec * 1000 + t->tv_nsec / 1000000;
}

/* cmp_str - qsort on strings */
static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* rr_text - one record as text: "pref name" for MX, NULs as \000 */
static char *rr_text(const struct dns_answer *a, const struct dns_rr *r)
{
	struct buf b;
	buf_init(&b, 0);
	int rc = 0;
	if (a->type == DNS_T_MX)
		rc |= buf_printf(&b, "%u ", r->pref);
	for (size_t i = 0; i < r->len; i++)
		rc |= r->data[i] ? buf_add(&b, &r->data[i], 1) : buf_adds(&b, "\\000");
	if (rc != 0) {
		buf_free(&b);
		return NULL;
	}
	return buf_steal(&b);
}

/* joined - an answer's records, sorted (the order is the server's), joined by '|' */
static char *joined(const struct dns_answer *a)
{
	char **v = calloc(a->n + 1, sizeof(*v));
	struct buf b;
	buf_init(&b, 0);
	int rc = v == NULL;
	for (size_t i = 0; !rc && i < a->n; i++)
		rc = (v[i] = rr_text(a, &a->rr[i])) == NULL;
	if (!rc)
		qsort(v, a->n, sizeof(*v), cmp_str);
	for (size_t i = 0; !rc && i < a->n; i++)
		rc = buf_printf(&b, "%s%s", i ? "|" : "", v[i]);
	for (size_t i = 0; v && i < a->n; i++)
		free(v[i]);
	free(v);
	if (rc) {
		buf_free(&b);
		return NULL;
	}
	return buf_steal(&b);
}

/* silent_port - a UDP port on 127.0.0.1 that is bound but never read; fd kept in *fd */
static unsigned short silent_port(int *fd)
{
	struct sockaddr_in sa = {.sin_family = AF_INET};
	socklen_t sl = sizeof(sa);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	*fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (*fd < 0 || bind(*fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    getsockname(*fd, (struct sockaddr *)&sa, &sl) < 0)
		return 0;
	return ntohs(sa.sin_port);
}

/* mkdns - a resolver forwarding to 127.0.0.1@port; errors printed as diagnostics */
static struct dns *mkdns(unsigned short port, unsigned timeout_ms, const char *ta)
{
	char fwd[32];
	snprintf(fwd, sizeof(fwd), "127.0.0.1@%u", port);
	const char *fw[] = {fwd};
	struct dns_opts o = {fw, 1, timeout_ms, ta, NULL};
	struct errlist e;
	errlist_init(&e);
	struct dns *d = dns_new(&o, "test.conf", &e);
	for (size_t i = 0; i < e.count; i++)
		diag("dns_new: %s", e.msgs[i]);
	errlist_free(&e);
	return d;
}

/* ---- local data ------------------------------------------------------------- */

static const char *const local_rrs[] = {
    "a.example.test. 300 IN A 192.0.2.1",
    "a.example.test. 300 IN A 192.0.2.2",
    "a.example.test. 300 IN AAAA 2001:DB8::1",
    "v6.example.test. 300 IN AAAA 2001:db8:0:0:0:0:0:2",
    "txt.example.test. 60 IN TXT \"v=spf1 \" \"-all\"",
    "multi.example.test. 60 IN TXT \"one\"",
    "multi.example.test. 60 IN TXT \"two\" \"2\"",
    "long.example.test. 60 IN TXT \"" S250 "\" \"" T250 "\" \"end\"",
    "nul.example.test. 60 IN TXT \"a\\000b\"",
    "mx.example.test. 300 IN MX 10 Mail.Example.TEST.",
    "mx.example.test. 300 IN MX 20 mx2.example.test.",
    "nullmx.example.test. 300 IN MX 0 .",
    "odd.example.test. 300 IN MX 5 odd\\032name\\.x.example.test.",
    "deep.sub.example.test. 300 IN A 192.0.2.3",
    "4.3.2.1.in-addr.arpa. 300 IN PTR Host.Example.Test.",
};

static const struct lcase {
	const char *name;
	int type;
	enum dns_status want;
	const char *data; /* sorted records joined by '|'; NULL: none */
	long long ttl;    /* -1: not checked */
} lcases[] = {
    {"a.example.test", DNS_T_A, DNS_OK, "192.0.2.1|192.0.2.2", 300},
    {"A.Example.TEST.", DNS_T_A, DNS_OK, "192.0.2.1|192.0.2.2", 300},
    {"a.example.test", DNS_T_AAAA, DNS_OK, "2001:db8::1", 300},
    {"v6.example.test", DNS_T_AAAA, DNS_OK, "2001:db8::2", 300},
    {"txt.example.test", DNS_T_TXT, DNS_OK, "v=spf1 -all", 60},
    {"multi.example.test", DNS_T_TXT, DNS_OK, "one|two2", 60},
    {"long.example.test", DNS_T_TXT, DNS_OK, S250 T250 "end", 60},
    {"nul.example.test", DNS_T_TXT, DNS_OK, "a\\000b", 60},
    {"mx.example.test", DNS_T_MX, DNS_OK, "10 mail.example.test|20 mx2.example.test", 300},
    {"nullmx.example.test", DNS_T_MX, DNS_OK, "0 .", 300},
    {"odd.example.test", DNS_T_MX, DNS_OK, "5 odd\\032name\\046x.example.test", 300},
    {"4.3.2.1.in-addr.arpa", DNS_T_PTR, DNS_OK, "host.example.test", 300},
    {"4.3.2.1.in-addr.arpa.", DNS_T_PTR, DNS_OK, "host.example.test", 300},
    {"txt.example.test", DNS_T_A, DNS_NODATA, NULL, -1},
    {"a.example.test", DNS_T_MX, DNS_NODATA, NULL, -1},
    {"mx.example.test", DNS_T_PTR, DNS_NODATA, NULL, -1},
    {"sub.example.test", DNS_T_A, DNS_NODATA, NULL, -1},      /* an empty non-terminal */
    {"4.3.2.1.in-addr.arpa", DNS_T_TXT, DNS_NODATA, NULL, 0}, /* no SOA: TTL 0 */
    {"nx.example.test", DNS_T_A, DNS_NXDOMAIN, NULL, -1},
    {"nx.example.test", DNS_T_TXT, DNS_NXDOMAIN, NULL, -1},
    {"x.nx.example.test", DNS_T_MX, DNS_NXDOMAIN, NULL, -1},
    {"nothing.test", DNS_T_AAAA, DNS_NXDOMAIN, NULL, -1},
    {"\\097.example.test", DNS_T_A, DNS_OK, "192.0.2.1|192.0.2.2", 300}, /* \\097 is a */
    {"elsewhere.example.com", DNS_T_A, DNS_TEMPFAIL, NULL, 0}, /* asks the silent forwarder */
};

#define LOCAL_TIMEOUT 600

/* check_answer - one table row against an answer; `what` names it */
static void check_answer(const struct dns_answer *a, const char *name, int type,
			 enum dns_status want, const char *data, long long ttl, const char *what)
{
	if (!ok(a != NULL, "%s: an answer", what))
		return;
	is_str(dns_status_name(a->status), dns_status_name(want), "%s: status", what);
	is_int(a->type, type, "%s: type kept", what);
	is_str(a->name, name, "%s: name kept", what);
	char *got = joined(a);
	is_str(a->n ? got : NULL, data, "%s: records", what);
	free(got);
	if (ttl >= 0)
		is_int(a->ttl, ttl, "%s: ttl", what);
	if (a->status != DNS_OK)
		ok(a->n == 0 && a->rr == NULL, "%s: no records with %s", what,
		   dns_status_name(a->status));
	ok(!a->secure, "%s: not secure without a trust anchor", what);
}

/* test_local - every local-data case, by dns_lookup and by start/wait */
static void test_local(struct dns *d)
{
	/* the resolver forwards test. (dns_new lifts libunbound's RFC 6761 default):
	 * here test. is local, names without data NXDOMAIN */
	ok(dns_add_local_zone(d, "test.", "static") == 0, "test. is a local zone");
	ok(dns_add_local_zone(d, "test.", "static") == 0, "make test. a static zone");
	for (size_t i = 0; i < ARRAY_LEN(local_rrs); i++)
		ok(dns_add_local(d, local_rrs[i]) == 0, "add local %.40s", local_rrs[i]);
	ok(dns_add_local(d, "bad.example.test. 300 IN A not-an-address") < 0,
	   "add local refuses a bad record");
	ok(dns_add_local(d, "toolong.example.test. 300 IN TXT \"" S250 "123456\"") < 0,
	   "add local refuses a character-string over 255 octets");

	for (size_t i = 0; i < ARRAY_LEN(lcases); i++) {
		const struct lcase *c = &lcases[i];
		char what[160];
		snprintf(what, sizeof(what), "local %s %s", c->name, dns_type_name(c->type));
		long long t0 = now_ms();
		struct dns_answer *a = dns_lookup(d, c->name, c->type, NULL);
		long long took = now_ms() - t0;
		check_answer(a, c->name, c->type, c->want, c->data, c->ttl, what);
		if (c->want == DNS_TEMPFAIL)
			ok(took >= LOCAL_TIMEOUT - 10 && took <= LOCAL_TIMEOUT + SLACK_MS,
			   "%s: times out after %lld ms (timeout %d)", what, took, LOCAL_TIMEOUT);
		else
			ok(took < 100, "%s: answered locally in %lld ms", what, took);
		dns_answer_free(a);
	}

	/* the same through dns_start/dns_wait, all started before any wait */
	struct dns_query *q[ARRAY_LEN(lcases)];
	for (size_t i = 0; i < ARRAY_LEN(lcases); i++)
		q[i] = dns_start(d, lcases[i].name, lcases[i].type);
	int same = 1;
	for (size_t i = 0; i < ARRAY_LEN(lcases); i++) {
		const struct dns_answer *a = q[i] ? dns_wait(q[i], NULL) : NULL;
		char *got = a ? joined(a) : NULL;
		if (a == NULL || a->status != lcases[i].want ||
		    (lcases[i].data && (got == NULL || strcmp(got, lcases[i].data) != 0))) {
			same = 0;
			diag("parallel %s: %s", lcases[i].name,
			     a ? dns_status_name(a->status) : "-");
		}
		if (a && dns_wait(q[i], NULL) != a)
			same = 0;
		free(got);
		dns_query_free(q[i]);
	}
	ok(same, "start all, then wait: the same answers; a second wait gives the same answer");
}

/* test_zones - dns_add_local_zone: static (NXDOMAIN beside the data), always_refuse */
static void test_zones(struct dns *d)
{
	ok(dns_add_local_zone(d, "zone.example.org", "static") == 0, "add a static zone");
	ok(dns_add_local(d, "www.zone.example.org. 60 IN A 192.0.2.8") == 0, "data in it");
	ok(dns_add_local_zone(d, "refuse.example.org.", "always_refuse") == 0,
	   "add an always_refuse zone");
	ok(dns_add_local_zone(d, "bad.example.org", "no-such-type") < 0,
	   "add a zone of an unknown type: refused");
	static const struct lcase zc[] = {
	    {"www.zone.example.org", DNS_T_A, DNS_OK, "192.0.2.8", 60},
	    {"www.zone.example.org", DNS_T_TXT, DNS_NODATA, NULL, -1},
	    {"nx.zone.example.org", DNS_T_A, DNS_NXDOMAIN, NULL, -1},
	    {"zone.example.org", DNS_T_MX, DNS_NODATA, NULL, -1},
	    {"refuse.example.org", DNS_T_A, DNS_TEMPFAIL, NULL, 0},
	    {"x.refuse.example.org", DNS_T_TXT, DNS_TEMPFAIL, NULL, 0},
	};
	for (size_t i = 0; i < ARRAY_LEN(zc); i++) {
		char what[160];
		snprintf(what, sizeof(what), "zone %s %s", zc[i].name, dns_type_name(zc[i].type));
		long long t0 = now_ms();
		struct dns_answer *a = dns_lookup(d, zc[i].name, zc[i].type, NULL);
		long long took = now_ms() - t0;
		check_answer(a, zc[i].name, zc[i].type, zc[i].want, zc[i].data, zc[i].ttl, what);
		ok(took < 100, "%s: answered locally in %lld ms", what, took);
		dns_answer_free(a);
	}
}

/* ---- names that are never asked ------------------------------------------------ */

/* name_of - labels of the given lengths joined by dots, then suffix */
static void name_of(char *out, size_t cap, const int *lens, size_t n, const char *suffix)
{
	size_t o = 0;
	for (size_t i = 0; i < n; i++) {
		for (int k = 0; k < lens[i] && o + 2 < cap; k++)
			out[o++] = (char)('a' + (k % 26));
		out[o++] = '.';
	}
	snprintf(out + o, cap - o, "%s", suffix);
}

/* test_badname - names refused without a query, and the longest ones that pass */
static void test_badname(struct dns *d)
{
	static const char *const bad[] = {"",    ".",     "..",         "a..b.test", ".a.test",
					  "a\\", "a\\25", "\\256.test", "a.test.."};
	for (size_t i = 0; i < ARRAY_LEN(bad); i++) {
		struct dns_answer *a = dns_lookup(d, bad[i], DNS_T_A, NULL);
		if (!ok(a && a->status == DNS_BADNAME && a->n == 0, "badname \"%s\"", bad[i]))
			diag("got %s", a ? dns_status_name(a->status) : "NULL");
		dns_answer_free(a);
	}
	char name[400];
	static const int l63[] = {63}, l64[] = {64};
	static const int n253[] = {63, 63, 63, 56}, n254[] = {63, 63, 63, 57};
	static const struct {
		const int *lens;
		size_t n;
		const char *suffix;
		enum dns_status want;
		const char *what;
	} cases[] = {
	    {l63, 1, "test", DNS_NXDOMAIN, "a label of 63 octets"},
	    {l64, 1, "test", DNS_BADNAME, "a label of 64 octets"},
	    {n253, 4, "test", DNS_NXDOMAIN, "a name of 253 octets"},
	    {n253, 4, "test.", DNS_NXDOMAIN, "a name of 253 octets and the final dot"},
	    {n254, 4, "test", DNS_BADNAME, "a name of 254 octets"},
	    {n254, 4, "test.", DNS_BADNAME, "a name of 254 octets and the final dot"},
	};
	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		name_of(name, sizeof(name), cases[i].lens, cases[i].n, cases[i].suffix);
		struct dns_answer *a = dns_lookup(d, name, DNS_T_TXT, NULL);
		if (!ok(a && a->status == cases[i].want, "%s (%zu characters): %s", cases[i].what,
			strlen(name), dns_status_name(cases[i].want)))
			diag("got %s", a ? dns_status_name(a->status) : "NULL");
		dns_answer_free(a);
	}
	/* an escaped octet counts once: 63 of them in one label is fine */
	struct buf b;
	buf_init(&b, 0);
	for (int i = 0; i < 63; i++)
		if (buf_adds(&b, "\\120") != BUF_OK)
			break;
	if (buf_adds(&b, ".test") == BUF_OK) {
		struct dns_answer *a = dns_lookup(d, b.data, DNS_T_A, NULL);
		ok(a && a->status == DNS_NXDOMAIN, "63 escaped octets make a 63-octet label");
		dns_answer_free(a);
	}
	buf_free(&b);

	struct dns_answer *a = dns_lookup(d, "a.example.test", 99, NULL);
	ok(a && a->status == DNS_ERROR, "a type the resolver does not decode: error");
	dns_answer_free(a);
}

/* ---- the fake server ------------------------------------------------------------- */

static const struct fcase {
	const char *name;
	int type;
	enum dns_status want;
	const char *data;
	long long ttl;
	unsigned timeout_ms;
} fcases[] = {
    {"ok.fake", DNS_T_A, DNS_OK, "192.0.2.7", 300, 2000},
    {"aaaa.fake", DNS_T_AAAA, DNS_OK, "2001:db8::1", 300, 2000},
    {"cname.fake", DNS_T_A, DNS_OK, "192.0.2.7", -1, 2000},
    {"nx.fake", DNS_T_A, DNS_NXDOMAIN, NULL, 60, 2000},
    {"nx.example.test", DNS_T_A, DNS_NXDOMAIN, NULL, -1, 2000}, /* test. is asked too */
    {"nodata.fake", DNS_T_A, DNS_NODATA, NULL, 60, 2000},
    {"plain.fake", DNS_T_MX, DNS_NODATA, NULL, 0, 2000},
    {"servfail.fake", DNS_T_A, DNS_TEMPFAIL, NULL, 0, 2000},
    {"refused.fake", DNS_T_TXT, DNS_TEMPFAIL, NULL, 0, 2000},
    {"silent.fake", DNS_T_A, DNS_TEMPFAIL, NULL, 0, 500},
    {"garbage.fake", DNS_T_A, DNS_TEMPFAIL, NULL, 0, 500},
    {"wrongid.fake", DNS_T_A, DNS_TEMPFAIL, NULL, 0, 500},
    {"longa.fake", DNS_T_A, DNS_TEMPFAIL, NULL, 0, 2000},
    {"shorta.fake", DNS_T_A, DNS_TEMPFAIL, NULL, 0, 2000},
    {"trunc.fake", DNS_T_A, DNS_TEMPFAIL, NULL, 0, 2000},
    {"badtxt.fake", DNS_T_TXT, DNS_OK, "good", 300, 2000},
    {"allbadtxt.fake", DNS_T_TXT, DNS_TEMPFAIL, NULL, 0, 2000},
    {"nulltxt.fake", DNS_T_TXT, DNS_OK, "a\\000bc", 300, 2000},
    {"emptytxt.fake", DNS_T_TXT, DNS_TEMPFAIL, NULL, 0, 2000}, /* libunbound refuses it */
    {"mxloop.fake", DNS_T_MX, DNS_TEMPFAIL, NULL, 0, 2000},
    {"mxcomp.fake", DNS_T_MX, DNS_OK, "10 mail.mxcomp.fake", 300, 2000},
    {"ptrlabel.fake", DNS_T_PTR, DNS_TEMPFAIL, NULL, 0, 2000},
    {"tc.fake", DNS_T_TXT, DNS_OK, "tcp1|tcp2", 300, 2000},
};

/* test_fake - each case against a fresh resolver */
static void test_fake(struct fake *f)
{
	for (size_t i = 0; i < ARRAY_LEN(fcases); i++) {
		const struct fcase *c = &fcases[i];
		char what[160];
		snprintf(what, sizeof(what), "server %s %s", c->name, dns_type_name(c->type));
		struct dns *d = mkdns(f->port, c->timeout_ms, NULL);
		if (!ok(d != NULL, "%s: resolver", what))
			continue;
		long long t0 = now_ms();
		struct dns_answer *a = dns_lookup(d, c->name, c->type, NULL);
		long long took = now_ms() - t0;
		check_answer(a, c->name, c->type, c->want, c->data, c->ttl, what);
		ok(took <= (long long)c->timeout_ms + SLACK_MS, "%s: within the timeout (%lld ms)",
		   what, took);
		if (a && a->status == DNS_TEMPFAIL && c->timeout_ms < 1000)
			ok(took >= (long long)c->timeout_ms - 10, "%s: waited the timeout out",
			   what);
		dns_answer_free(a);
		dns_free(d);
	}

	/* more records than DNS_RR_MAX: the first DNS_RR_MAX are kept */
	struct dns *d = mkdns(f->port, 2000, NULL);
	struct dns_answer *a = d ? dns_lookup(d, "bigtxt.fake", DNS_T_TXT, NULL) : NULL;
	if (!ok(a && a->status == DNS_OK, "100 TXT records: ok"))
		diag("got %s", a ? dns_status_name(a->status) : "NULL");
	if (!ok(a && a->n == DNS_RR_MAX, "100 TXT records: %d kept", DNS_RR_MAX))
		diag("kept %zu", a ? a->n : 0);
	int fine = a != NULL;
	for (size_t i = 0; a && i < a->n; i++)
		if (a->rr[i].len != 4 || a->rr[i].data[0] != 't' || a->rr[i].data[3] != 'x')
			fine = 0;
	ok(fine, "100 TXT records: each kept one decoded");
	ok(a && a->truncated, "100 TXT records: the answer says it was cut");
	struct dns_stats st;
	dns_get_stats(d, &st);
	is_int((int)st.truncated[3], 1, "100 TXT records: counted as truncated");
	dns_answer_free(a);
	dns_free(d);
}

/* test_deadlines - explicit deadlines, and a deadline already past */
static void test_deadlines(struct fake *f)
{
	struct dns *d = mkdns(f->port, 3000, NULL);
	if (!ok(d != NULL, "deadlines: resolver"))
		return;
	struct timespec dl;
	static const unsigned waits[] = {0, 1, 150, 400};
	for (size_t i = 0; i < ARRAY_LEN(waits); i++) {
		struct dns_query *q = dns_start(d, "silent.fake", DNS_T_A);
		dns_deadline(&dl, waits[i]);
		const struct dns_answer *a = q ? dns_wait(q, &dl) : NULL;
		long long late = now_ms() - ts_ms(&dl);
		ok(a && a->status == DNS_TEMPFAIL, "deadline in %u ms: tempfail", waits[i]);
		ok(late >= -1 && late <= SLACK_MS, "deadline in %u ms: back %lld ms after it",
		   waits[i], late);
		ok(a && a->ms <= waits[i] + SLACK_MS, "deadline in %u ms: answer took %u ms",
		   waits[i], a ? a->ms : 0);
		dns_query_free(q);
	}
	/* a deadline in the past with an answer already there: the answer */
	struct dns_query *q = dns_start(d, "ok.fake", DNS_T_A);
	const struct dns_answer *a = q ? dns_wait(q, NULL) : NULL;
	ok(a && a->status == DNS_OK, "ok.fake answered");
	ok(a && !a->truncated, "ok.fake: a whole answer is not marked truncated");
	struct timespec past;
	dns_deadline(&past, 0);
	past.tv_sec -= 10;
	ok(q && dns_wait(q, &past) == a && a->status == DNS_OK,
	   "waiting again past the deadline keeps the answer");
	dns_query_free(q);

	/* dns_lookup with a deadline shorter than the per-query timeout */
	dns_deadline(&dl, 250);
	long long t0 = now_ms();
	struct dns_answer *la = dns_lookup(d, "silent.fake", DNS_T_TXT, &dl);
	long long took = now_ms() - t0;
	ok(la && la->status == DNS_TEMPFAIL && took >= 240 && took <= 250 + SLACK_MS,
	   "dns_lookup honours its deadline (%lld ms)", took);
	dns_answer_free(la);
	dns_free(d);
}

/* test_cancel - freeing queries still running, and racing their answers */
static void test_cancel(struct fake *f)
{
	struct dns *d = mkdns(f->port, 2000, NULL);
	if (!ok(d != NULL, "cancel: resolver"))
		return;
	long long t0 = now_ms();
	struct dns_query *q = dns_start(d, "silent.fake", DNS_T_A);
	dns_query_free(q);
	ok(q != NULL && now_ms() - t0 < 100, "free a running query at once");

	/* free while the answers arrive: each free races its callback */
	for (int i = 0; i < 300; i++) {
		q = dns_start(d, i % 2 ? "ok.fake" : "nx.fake", DNS_T_A);
		if (i % 3 == 0) {
			struct timespec pause = {0, (i % 7) * 50000L};
			nanosleep(&pause, NULL);
		}
		dns_query_free(q);
	}
	ok(1, "300 queries freed while their answers come in");

	/* a wait that times out, then the answer comes late and is dropped */
	struct dns_query *qs[20];
	struct timespec dl;
	dns_deadline(&dl, 0);
	for (int i = 0; i < 20; i++)
		qs[i] = dns_start(d, "ok.fake", DNS_T_A);
	int tempfail = 0;
	for (int i = 0; i < 20; i++) {
		const struct dns_answer *a = qs[i] ? dns_wait(qs[i], &dl) : NULL;
		tempfail += a && (a->status == DNS_TEMPFAIL || a->status == DNS_OK);
	}
	struct timespec pause = {0, 100 * 1000000L};
	nanosleep(&pause, NULL);
	for (int i = 0; i < 20; i++)
		dns_query_free(qs[i]);
	ok(tempfail == 20, "past deadlines: 20 answers settled (tempfail or already ok)");

	/* queries cancelled and still unanswered in libunbound at dns_free */
	for (int i = 0; i < 5; i++)
		dns_query_free(dns_start(d, "silent.fake", DNS_T_MX));
	t0 = now_ms();
	dns_free(d);
	ok(now_ms() - t0 < 1000, "dns_free with cancelled queries still out: prompt (%lld ms)",
	   now_ms() - t0);
}

/* ---- threads ------------------------------------------------------------------- */

struct worker {
	struct dns *d;
	int id;
	int wrong; /* answers not as expected */
	int done;  /* lookups made */
};

/* worker_main - 200 lookups over the local-data table rows that answer locally */
static void *worker_main(void *arg)
{
	struct worker *w = arg;
	size_t k = (size_t)w->id;
	for (int i = 0; i < 200; i++, k++) {
		const struct lcase *c = &lcases[k % ARRAY_LEN(lcases)];
		if (c->want == DNS_TEMPFAIL)
			c = &lcases[0];
		struct dns_answer *a = dns_lookup(w->d, c->name, c->type, NULL);
		char *got = a ? joined(a) : NULL;
		if (a == NULL || a->status != c->want ||
		    (c->data && (got == NULL || strcmp(got, c->data) != 0)))
			w->wrong++;
		free(got);
		dns_answer_free(a);
		w->done++;
	}
	return NULL;
}

/* run_workers - 8 threads of fn on d, joined; the threads started, with their sums */
static int run_workers(struct dns *d, void *(*fn)(void *), int *wrong, int *done)
{
	struct worker w[8];
	pthread_t t[8];
	int started = 0;
	for (int i = 0; i < 8; i++) {
		w[i] = (struct worker){d, i, 0, 0};
		if (pthread_create(&t[i], NULL, fn, &w[i]) != 0)
			break;
		started++;
	}
	for (int i = 0; i < started; i++) {
		pthread_join(t[i], NULL);
		*wrong += w[i].wrong;
		*done += w[i].done;
	}
	return started;
}

/* test_threads - 8 threads x 200 lookups; the counters add up */
static void test_threads(unsigned short silent)
{
	struct dns *d = mkdns(silent, LOCAL_TIMEOUT, NULL);
	if (!ok(d != NULL, "threads: resolver"))
		return;
	if (dns_add_local_zone(d, "test.", "static") < 0)
		diag("cannot make test. static");
	for (size_t i = 0; i < ARRAY_LEN(local_rrs); i++)
		if (dns_add_local(d, local_rrs[i]) < 0)
			diag("cannot add %s", local_rrs[i]);
	int wrong = 0, done = 0;
	is_int(run_workers(d, worker_main, &wrong, &done), 8, "8 threads started");
	is_int(done, 1600, "1600 lookups made");
	is_int(wrong, 0, "every answer right");

	struct dns_stats s;
	dns_get_stats(d, &s);
	unsigned long total = 0, ok_count = 0;
	int sums = 1;
	for (int i = 0; i < 5; i++) {
		unsigned long by_status = 0;
		for (int k = 0; k < DNS_STATUS_COUNT; k++)
			by_status += s.status[i][k];
		sums &= by_status == s.queries[i];
		total += s.queries[i];
		ok_count += s.status[i][DNS_OK];
	}
	ok(sums, "per type, the statuses add up to the queries");
	is_int(total, 1600, "1600 queries counted");
	unsigned long want_ok = 0;
	for (int i = 0; i < 8; i++)
		for (int k = 0; k < 200; k++) {
			const struct lcase *c = &lcases[(size_t)(i + k) % ARRAY_LEN(lcases)];
			want_ok += c->want == DNS_OK || c->want == DNS_TEMPFAIL;
		}
	is_int(ok_count, want_ok, "ok answers counted");
	dns_free(d);
}

/* test_stats - counters by type and status, and latency */
static void test_stats(struct fake *f)
{
	struct dns *d = mkdns(f->port, 300, NULL);
	if (!ok(d != NULL, "stats: resolver"))
		return;
	struct dns_stats s;
	dns_get_stats(d, &s);
	int zero = 1;
	for (int i = 0; i < 5; i++)
		zero &= s.queries[i] == 0 && s.ms_total[i] == 0;
	ok(zero, "a new resolver counts nothing");
	static const struct {
		const char *name;
		int type;
	} qs[] = {{"ok.fake", DNS_T_A},       {"ok.fake", DNS_T_A},
		  {"nx.fake", DNS_T_A},       {"silent.fake", DNS_T_A},
		  {"mxcomp.fake", DNS_T_MX},  {"", DNS_T_MX},
		  {"badtxt.fake", DNS_T_TXT}, {"aaaa.fake", DNS_T_AAAA},
		  {"x.fake", DNS_T_PTR},      {"x.fake", 99}};
	for (size_t i = 0; i < ARRAY_LEN(qs); i++)
		dns_answer_free(dns_lookup(d, qs[i].name, qs[i].type, NULL));
	dns_get_stats(d, &s);
	/* slots: A, PTR, MX, TXT, AAAA */
	is_int(s.queries[0], 4, "A queries");
	is_int(s.status[0][DNS_OK], 2, "A ok");
	is_int(s.status[0][DNS_NXDOMAIN], 1, "A nxdomain");
	is_int(s.status[0][DNS_TEMPFAIL], 1, "A tempfail");
	ok(s.ms_total[0] >= 290 && s.ms_total[0] < 300 + 4 * SLACK_MS, "A latency %llu ms",
	   s.ms_total[0]);
	is_int(s.queries[1], 1, "PTR queries");
	is_int(s.status[1][DNS_NODATA], 1, "PTR nodata");
	is_int(s.queries[2], 2, "MX queries");
	is_int(s.status[2][DNS_OK], 1, "MX ok");
	is_int(s.status[2][DNS_BADNAME], 1, "MX badname");
	is_int(s.queries[3], 1, "TXT queries");
	is_int(s.status[3][DNS_OK], 1, "TXT ok");
	is_int(s.queries[4], 1, "AAAA queries");
	is_int(s.status[4][DNS_OK], 1, "AAAA ok");
	dns_free(d);
}

/* ---- the answer cache ------------------------------------------------------------ */

/* lookup_counts - one lookup: its status, whether the fake server saw it and whether the
 * cache answered it; *ttl gets its TTL */
static enum dns_status lookup_counts(struct dns *d, struct fake *f, const char *name, int type,
				     int *asked, int *hit, uint32_t *ttl)
{
	struct dns_stats s0, s1;
	dns_get_stats(d, &s0);
	int q0 = atomic_load(&f->queries);
	struct dns_answer *a = dns_lookup(d, name, type, NULL);
	enum dns_status st = a ? a->status : DNS_ERROR;
	*ttl = a ? a->ttl : 0;
	dns_answer_free(a);
	*asked = atomic_load(&f->queries) != q0;
	dns_get_stats(d, &s1);
	unsigned long h0 = 0, h1 = 0;
	for (int i = 0; i < 5; i++) {
		h0 += s0.hits[i];
		h1 += s1.hits[i];
	}
	*hit = h1 == h0 + 1;
	return st;
}

/* test_cache - answers kept in front of libunbound: what is kept, for how long */
static void test_cache(struct fake *f)
{
	struct dns *d = mkdns(f->port, 600, NULL);
	if (!ok(d != NULL, "cache: resolver"))
		return;
	int asked, hit;
	uint32_t ttl;
	enum dns_status st = lookup_counts(d, f, "ok.fake", DNS_T_A, &asked, &hit, &ttl);
	ok(st == DNS_OK && asked && !hit, "ok.fake: asked the server, not a hit");
	st = lookup_counts(d, f, "ok.fake", DNS_T_A, &asked, &hit, &ttl);
	ok(st == DNS_OK && !asked && hit && ttl == 300,
	   "ok.fake again: a hit, the server not asked, TTL 300 (%u)", ttl);
	st = lookup_counts(d, f, "OK.Fake.", DNS_T_A, &asked, &hit, &ttl);
	ok(st == DNS_OK && !asked && hit, "OK.Fake.: the same name, a hit");

	/* a hit is complete when dns_start returns: a deadline long past still gets it */
	struct timespec past;
	dns_deadline(&past, 0);
	past.tv_sec -= 10;
	struct dns_query *q = dns_start(d, "ok.fake", DNS_T_A);
	const struct dns_answer *a = q ? dns_wait(q, &past) : NULL;
	char *got = a ? joined(a) : NULL;
	ok(a && a->status == DNS_OK && got && strcmp(got, "192.0.2.7") == 0 &&
	       strcmp(a->name, "ok.fake") == 0 && a->ms == 0,
	   "a hit: dns_start returns the answer already there (a past deadline still gets it)");
	free(got);
	dns_query_free(q);

	/* the TTL: the smallest of the chain's records (CNAME 60, A 300) */
	st = lookup_counts(d, f, "cname60.fake", DNS_T_A, &asked, &hit, &ttl);
	ok(st == DNS_OK && ttl == 60, "cname60.fake: TTL 60, the CNAME's (%u)", ttl);
	st = lookup_counts(d, f, "cname60.fake", DNS_T_A, &asked, &hit, &ttl);
	ok(st == DNS_OK && hit && !asked && ttl >= 59 && ttl <= 60,
	   "cname60.fake again: a hit, TTL %u", ttl);

	/* negative answers: kept for the negative TTL (SOA 300, minimum 60) */
	st = lookup_counts(d, f, "nx.fake", DNS_T_A, &asked, &hit, &ttl);
	ok(st == DNS_NXDOMAIN && asked && !hit && ttl == 60, "nx.fake: NXDOMAIN, TTL 60 (%u)", ttl);
	st = lookup_counts(d, f, "nx.fake", DNS_T_A, &asked, &hit, &ttl);
	ok(st == DNS_NXDOMAIN && !asked && hit && ttl >= 59 && ttl <= 60,
	   "nx.fake again: a hit with the negative TTL left (%u)", ttl);
	st = lookup_counts(d, f, "nodata.fake", DNS_T_TXT, &asked, &hit, &ttl);
	st = lookup_counts(d, f, "nodata.fake", DNS_T_TXT, &asked, &hit, &ttl);
	ok(st == DNS_NODATA && hit, "nodata.fake again: a hit");
	st = lookup_counts(d, f, "nodatanosoa.fake", DNS_T_TXT, &asked, &hit, &ttl);
	st = lookup_counts(d, f, "nodatanosoa.fake", DNS_T_TXT, &asked, &hit, &ttl);
	ok(st == DNS_NODATA && !hit, "NODATA without a SOA (no negative TTL): not kept");

	/* temperrors are never kept */
	st = lookup_counts(d, f, "servfail.fake", DNS_T_A, &asked, &hit, &ttl);
	ok(st == DNS_TEMPFAIL && !hit, "servfail.fake: tempfail");
	st = lookup_counts(d, f, "servfail.fake", DNS_T_A, &asked, &hit, &ttl);
	ok(st == DNS_TEMPFAIL && !hit, "servfail.fake again: not a hit");
	st = lookup_counts(d, f, "silent.fake", DNS_T_TXT, &asked, &hit, &ttl);
	st = lookup_counts(d, f, "silent.fake", DNS_T_TXT, &asked, &hit, &ttl);
	ok(st == DNS_TEMPFAIL && asked && !hit, "a timeout: asked again, not a hit");

	/* expiry: a TTL of 1 s */
	st = lookup_counts(d, f, "ttl1.fake", DNS_T_A, &asked, &hit, &ttl);
	ok(st == DNS_OK && asked && ttl == 1, "ttl1.fake: TTL 1 (%u)", ttl);
	st = lookup_counts(d, f, "ttl1.fake", DNS_T_A, &asked, &hit, &ttl);
	ok(st == DNS_OK && hit, "ttl1.fake at once: a hit");
	struct timespec pause = {1, 100 * 1000000L};
	nanosleep(&pause, NULL);
	st = lookup_counts(d, f, "ttl1.fake", DNS_T_A, &asked, &hit, &ttl);
	ok(st == DNS_OK && !hit, "ttl1.fake 1.1 s later: expired, not a hit");

	/* local data added: what was kept is forgotten */
	ok(dns_add_local(d, "ok.fake. 300 IN A 192.0.2.99") == 0, "local data for ok.fake");
	struct dns_answer *la = dns_lookup(d, "ok.fake", DNS_T_A, NULL);
	got = la ? joined(la) : NULL;
	ok(got && strcmp(got, "192.0.2.99") == 0, "ok.fake: the local data, not the kept answer");
	free(got);
	dns_answer_free(la);
	dns_free(d);
}

/* cache_main - lookups of answers kept and not, from many threads at once */
static void *cache_main(void *arg)
{
	struct worker *w = arg;
	static const struct {
		const char *name;
		int type;
		const char *data;
	} qs[] = {{"ok.fake", DNS_T_A, "192.0.2.7"},
		  {"aaaa.fake", DNS_T_AAAA, "2001:db8::1"},
		  {"Cname.Fake", DNS_T_A, "192.0.2.7"},
		  {"nx.fake", DNS_T_A, NULL},
		  {"mxcomp.fake", DNS_T_MX, "10 mail.mxcomp.fake"},
		  {"servfail.fake", DNS_T_A, NULL}};
	for (int i = 0; i < 300; i++) {
		size_t k = (size_t)(i + w->id) % ARRAY_LEN(qs);
		struct dns_answer *a = dns_lookup(w->d, qs[k].name, qs[k].type, NULL);
		char *got = a ? joined(a) : NULL;
		if (a == NULL || (qs[k].data && (got == NULL || strcmp(got, qs[k].data) != 0)) ||
		    (!qs[k].data && a->n != 0))
			w->wrong++;
		free(got);
		dns_answer_free(a);
		w->done++;
	}
	return NULL;
}

/* test_cache_threads - 8 threads through the cache, the counters add up */
static void test_cache_threads(struct fake *f)
{
	struct dns *d = mkdns(f->port, 2000, NULL);
	if (!ok(d != NULL, "cache threads: resolver"))
		return;
	int wrong = 0, done = 0;
	(void)run_workers(d, cache_main, &wrong, &done);
	is_int(done, 2400, "8 threads: 2400 lookups through the cache");
	is_int(wrong, 0, "every answer right");
	struct dns_stats s;
	dns_get_stats(d, &s);
	unsigned long total = 0, hits = 0;
	for (int i = 0; i < 5; i++) {
		total += s.queries[i];
		hits += s.hits[i];
	}
	is_int(total, 2400, "all counted as queries");
	ok(hits >= 1600 && hits < 2400, "the kept ones mostly hits (%lu), servfail never", hits);
	dns_free(d);
}

/* ---- configuration ------------------------------------------------------------- */

/* write_tmp - a temporary file with text; its path in path (mkstemp template) */
static int write_tmp(char *path, const char *text)
{
	int fd = mkstemp(path);
	if (fd < 0)
		return -1;
	size_t len = strlen(text);
	int rc = write(fd, text, len) == (ssize_t)len ? 0 : -1;
	close(fd);
	return rc;
}

/* test_config - dns_new's errors, resolv.conf, and DNSSEC with a trust anchor */
static void test_config(struct fake *f, unsigned short silent)
{
	struct errlist e;
	const char *bad_fw[] = {"127.0.0.1@5353", "not-an-address", "::1@53"};
	struct dns_opts o = {bad_fw, 3, 1000, NULL, NULL};
	errlist_init(&e);
	struct dns *d = dns_new(&o, "p.conf", &e);
	ok(d == NULL, "a bad forwarder: no resolver");
	ok(e.count == 1, "a bad forwarder: one error");
	is_str(e.count ? e.msgs[0] : NULL,
	       "p.conf: dns: forwarder \"not-an-address\": syntax error",
	       "a bad forwarder: the message");
	errlist_free(&e);
	dns_free(d);

	struct dns_opts o2 = {NULL, 0, 1000, NULL, "/nonexistent/resolv.conf"};
	errlist_init(&e);
	d = dns_new(&o2, "p.conf", &e);
	ok(d == NULL, "a missing resolv.conf: no resolver");
	is_str(e.count ? e.msgs[0] : NULL,
	       "p.conf: dns: cannot use the resolvers of /nonexistent/resolv.conf: error reading "
	       "file",
	       "a missing resolv.conf: the message");
	errlist_free(&e);
	dns_free(d);

	char rc_path[] = "/tmp/dns_test_resolv.XXXXXX";
	char text[128];
	snprintf(text, sizeof(text), "# test\nsearch example\nnameserver 127.0.0.1\n");
	if (write_tmp(rc_path, text) == 0) {
		struct dns_opts o3 = {NULL, 0, 500, NULL, rc_path};
		errlist_init(&e);
		d = dns_new(&o3, "p.conf", &e);
		ok(d != NULL && e.count == 0, "a resolver from a resolv.conf");
		struct dns_answer *a = d ? dns_lookup(d, "localhost", DNS_T_A, NULL) : NULL;
		ok(a && a->status == DNS_OK && a->n == 1 && strcmp(a->rr[0].data, "127.0.0.1") == 0,
		   "localhost from libunbound's default local zone");
		dns_answer_free(a);
		errlist_free(&e);
		dns_free(d);
		unlink(rc_path);
	}

	const char *fw[] = {"127.0.0.1@5353"};
	struct dns_opts o4 = {fw, 1, 1000, "/nonexistent/root.key", NULL};
	errlist_init(&e);
	d = dns_new(&o4, "p.conf", &e);
	ok(d == NULL, "a missing trust anchor: no resolver");
	if (!ok(e.count == 1 && strstr(e.msgs[0], "p.conf: dns: ") == e.msgs[0] &&
		    strstr(e.msgs[0], "/nonexistent/root.key") != NULL,
		"a missing trust anchor: reported with its file"))
		diag("%s", e.count ? e.msgs[0] : "no message");
	errlist_free(&e);
	dns_free(d);

	/* the root's KSK-2017 DS: nothing the fake server sends can validate */
	char ta_path[] = "/tmp/dns_test_ta.XXXXXX";
	if (write_tmp(ta_path,
		      ". IN DS 20326 8 2 "
		      "E06D44B80B8F1D39A95C0B0D7C65D08458E880409BBC683457104237C7F8EC8D\n") == 0) {
		d = mkdns(f->port, 2000, ta_path);
		ok(d != NULL, "a resolver with a trust anchor");
		struct dns_answer *a = d ? dns_lookup(d, "ok.fake", DNS_T_A, NULL) : NULL;
		if (!ok(a && a->status == DNS_BOGUS && a->n == 0 && !a->secure,
			"unsigned answers under a root trust anchor: bogus"))
			diag("got %s", a ? dns_status_name(a->status) : "NULL");
		dns_answer_free(a);
		a = d ? dns_lookup(d, "ok.fake", DNS_T_A, NULL) : NULL;
		struct dns_stats st;
		if (d)
			dns_get_stats(d, &st);
		ok(a && a->status == DNS_BOGUS && d && st.hits[0] == 0,
		   "a bogus answer is not kept: bogus again, not a hit");
		dns_answer_free(a);
		if (d && dns_add_local(d, "signed.example.test. 300 IN A 192.0.2.5") == 0) {
			a = dns_lookup(d, "signed.example.test", DNS_T_A, NULL);
			ok(a && a->status == DNS_OK && !a->secure,
			   "local data with a trust anchor: ok, not secure");
			dns_answer_free(a);
		}
		dns_free(d);
		unlink(ta_path);
	}

	/* no forwarders and no options at all: the defaults still make a resolver */
	errlist_init(&e);
	struct dns_opts o5 = {NULL, 0, 0, NULL, NULL};
	d = dns_new(&o5, "p.conf", &e);
	ok(d != NULL || e.count > 0, "the system resolver from /etc/resolv.conf, or a reason");
	errlist_free(&e);
	dns_free(d);
	(void)silent;
}

/* test_names - dns_status_name, dns_type_name, dns_deadline */
static void test_names(void)
{
	static const char *const want[DNS_STATUS_COUNT] = {
	    "ok", "nxdomain", "nodata", "tempfail", "bogus", "oversize", "badname", "error"};
	for (int i = 0; i < DNS_STATUS_COUNT; i++)
		is_str(dns_status_name((enum dns_status)i), want[i], "status name %d", i);
	is_str(dns_status_name((enum dns_status)42), "unknown", "status name out of range");
	static const struct {
		int type;
		const char *name;
	} types[] = {{DNS_T_A, "A"},     {DNS_T_PTR, "PTR"},   {DNS_T_MX, "MX"},
		     {DNS_T_TXT, "TXT"}, {DNS_T_AAAA, "AAAA"}, {99, "UNKNOWN"}};
	for (size_t i = 0; i < ARRAY_LEN(types); i++)
		is_str(dns_type_name(types[i].type), types[i].name, "type name %d", types[i].type);
	struct timespec a, b;
	dns_deadline(&a, 0);
	dns_deadline(&b, 1500);
	long long diff = ts_ms(&b) - ts_ms(&a);
	ok(diff >= 1500 && diff < 1600 && b.tv_nsec >= 0 && b.tv_nsec < 1000000000L,
	   "dns_deadline adds milliseconds (%lld)", diff);
}

int main(void)
{
	int sfd = -1;
	unsigned short silent = silent_port(&sfd);
	if (!ok(silent != 0, "a silent UDP port"))
		return done_testing();
	struct fake f;
	if (!ok(fake_start(&f) == 0, "the fake DNS server runs"))
		return done_testing();

	test_names();
	struct dns *d = mkdns(silent, LOCAL_TIMEOUT, NULL);
	if (ok(d != NULL, "a resolver forwarding to nowhere")) {
		test_local(d);
		test_zones(d);
		test_badname(d);
	}
	dns_free(d);
	test_fake(&f);
	test_deadlines(&f);
	test_cancel(&f);
	test_threads(silent);
	test_stats(&f);
	test_cache(&f);
	test_cache_threads(&f);
	test_config(&f, silent);
	ok(atomic_load(&f.queries) > 0, "the fake server saw %d queries", atomic_load(&f.queries));

	fake_stop(&f);
	close(sfd);
	return done_testing();
}
