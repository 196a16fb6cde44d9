/*
 * dnscache_test.c - unit tests for the answer cache in front of the resolver
 * (milter/dnscache.c).
 *
 * DESCRIPTION
 *	The cache alone, on a clock of the test's own (fake_now): what is kept
 *	and what is not, TTLs and their caps to the millisecond, the key
 *	(case, final dot, escapes), copies that are the caller's, the epoch
 *	that keeps answers from before a clear out, the bounds on entries and
 *	bytes with LRU eviction, and threads probing, adding and clearing at
 *	once. tests/unit/dns_test.c tests the cache inside the resolver.
 *
 * THREAD SAFETY
 *	tap.h is not thread-safe: worker threads only count, the main thread
 *	reports.
 */
#include "config.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dns.h"
#include "dnscache.h"
#include "tap.h"

static _Atomic uint64_t fake_now = 1000000; /* ms */

/* fake_clock - the tests' clock */
static uint64_t fake_clock(void)
{
	return atomic_load(&fake_now);
}

/* answer - an answer of one or two records (data2 NULL: one; data NULL: none) */
static struct dns_answer answer(int type, enum dns_status st, uint32_t ttl, const char *data,
				const char *data2)
{
	struct dns_answer a;
	memset(&a, 0, sizeof(a));
	a.status = st;
	a.type = type;
	a.ttl = ttl;
	a.n = data ? data2 ? 2 : 1 : 0;
	if (a.n > 0) {
		a.rr = calloc(a.n, sizeof(*a.rr));
		if (a.rr == NULL) {
			a.n = 0;
			return a;
		}
		const char *d[2] = {data, data2};
		for (size_t i = 0; i < a.n; i++) {
			a.rr[i].data = strdup(d[i]);
			a.rr[i].len = a.rr[i].data ? strlen(d[i]) : 0;
			a.rr[i].pref = (unsigned)(10 * (i + 1));
		}
	}
	return a;
}

/* clear_rr - free an answer's records */
static void clear_rr(struct dns_answer *a)
{
	for (size_t i = 0; i < a->n; i++)
		free(a->rr[i].data);
	free(a->rr);
	a->rr = NULL;
	a->n = 0;
}

/* probe - 1 when (name, type) is a hit; its answer in *out (records the caller's) */
static int probe(struct dnscache *c, const char *name, int type, struct dns_answer *out)
{
	memset(out, 0, sizeof(*out));
	return dnscache_get(c, name, type, out);
}

/* hit - 1 when (name, type) is a hit, the answer dropped */
static int hit(struct dnscache *c, const char *name, int type)
{
	struct dns_answer a;
	int h = probe(c, name, type, &a);
	clear_rr(&a);
	return h;
}

/* test_has - dnscache_has: a live answer kept, nothing copied */
static void test_has(void)
{
	struct dnscache *c = dnscache_new(1000, 1 << 20, fake_clock);
	if (!ok(c != NULL, "a cache"))
		return;
	struct dns_answer hv = answer(DNS_T_TXT, DNS_OK, 300, "v=spf1 -all", NULL);
	ok(!dnscache_has(c, "has.example", DNS_T_TXT), "dnscache_has: not before it is kept");
	dnscache_put(c, "has.example", &hv, dnscache_epoch(c));
	clear_rr(&hv);
	ok(dnscache_has(c, "HAS.example.", DNS_T_TXT) && !dnscache_has(c, "has.example", DNS_T_A),
	   "dnscache_has: kept, whatever the case and final dot, for its type only");
	dnscache_free(c);
}

/* test_kept - which answers are kept, with what */
static void test_kept(void)
{
	struct dnscache *c = dnscache_new(1000, 1 << 20, fake_clock);
	if (!ok(c != NULL, "a cache"))
		return;

	static const struct {
		enum dns_status st;
		uint32_t ttl;
		int kept;
	} cases[] = {
	    {DNS_OK, 300, 1},      {DNS_NXDOMAIN, 60, 1},  {DNS_NODATA, 60, 1}, {DNS_OK, 0, 0},
	    {DNS_NXDOMAIN, 0, 0},  {DNS_TEMPFAIL, 300, 0}, {DNS_BOGUS, 300, 0}, {DNS_ERROR, 300, 0},
	    {DNS_BADNAME, 300, 0}, {DNS_OVERSIZE, 300, 0},
	};
	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		char name[32];
		snprintf(name, sizeof(name), "k%zu.example", i);
		struct dns_answer a = answer(DNS_T_TXT, cases[i].st, cases[i].ttl,
					     cases[i].st == DNS_OK ? "v=spf1 -all" : NULL, NULL);
		dnscache_put(c, name, &a, dnscache_epoch(c));
		clear_rr(&a);
		is_int(hit(c, name, DNS_T_TXT), cases[i].kept, "%s ttl %u: %s",
		       dns_status_name(cases[i].st), cases[i].ttl,
		       cases[i].kept ? "kept" : "not kept");
	}

	/* what a hit gives: a copy of everything, the caller's */
	struct dns_answer a = answer(DNS_T_MX, DNS_OK, 300, "mx1.example", "mx2.example");
	a.secure = 1;
	a.truncated = 1;
	a.rr[1].data[3] = '\0'; /* a NUL inside: len counts */
	dnscache_put(c, "mx.example", &a, dnscache_epoch(c));
	clear_rr(&a);
	struct dns_answer g;
	int h = probe(c, "mx.example", DNS_T_MX, &g);
	ok(h && g.status == DNS_OK && g.n == 2 && g.secure && g.truncated && g.ttl == 300,
	   "a hit: status, records, secure and truncated flags, TTL");
	ok(h && g.n == 2 && strcmp(g.rr[0].data, "mx1.example") == 0 && g.rr[0].pref == 10 &&
	       g.rr[1].len == 11 && memcmp(g.rr[1].data, "mx2\0example", 12) == 0 &&
	       g.rr[1].pref == 20,
	   "a hit: the records' bytes, lengths (NULs inside) and preferences");
	if (h && g.n > 0)
		g.rr[0].data[0] = 'X'; /* the copy is the caller's */
	clear_rr(&g);
	h = probe(c, "mx.example", DNS_T_MX, &g);
	ok(h && g.n == 2 && strcmp(g.rr[0].data, "mx1.example") == 0,
	   "a hit is a copy: changing it changes nothing kept");
	clear_rr(&g);
	ok(!hit(c, "mx.example", DNS_T_A) && !hit(c, "mx.example", DNS_T_TXT),
	   "the type is part of the key");

	/* a second put for the same key replaces the first */
	a = answer(DNS_T_MX, DNS_OK, 300, "mx3.example", NULL);
	dnscache_put(c, "MX.example.", &a, dnscache_epoch(c));
	clear_rr(&a);
	h = probe(c, "mx.example", DNS_T_MX, &g);
	ok(h && g.n == 1 && strcmp(g.rr[0].data, "mx3.example") == 0, "a new answer replaces");
	clear_rr(&g);
	struct dnscache_stats st;
	dnscache_get_stats(c, &st);
	is_int(st.entries, 4, "4 entries held (3 kept cases, one MX)");
	dnscache_free(c);
}

/* test_keys - case, the final dot, escapes */
static void test_keys(void)
{
	struct dnscache *c = dnscache_new(1000, 1 << 20, fake_clock);
	if (!ok(c != NULL, "keys: a cache"))
		return;
	struct dns_answer a = answer(DNS_T_A, DNS_OK, 300, "192.0.2.1", NULL);
	dnscache_put(c, "Mail.Example.COM", &a, dnscache_epoch(c));
	dnscache_put(c, "dot\\.", &a, dnscache_epoch(c));
	dnscache_put(c, "bs\\\\.", &a, dnscache_epoch(c));
	clear_rr(&a);
	ok(hit(c, "mail.example.com", DNS_T_A), "lower case finds upper case");
	ok(hit(c, "MAIL.EXAMPLE.COM.", DNS_T_A), "a final dot and upper case: the same name");
	ok(!hit(c, "mail.example.co", DNS_T_A) && !hit(c, "ail.example.com", DNS_T_A),
	   "other names: misses");
	ok(hit(c, "dot\\.", DNS_T_A) && !hit(c, "dot", DNS_T_A) && !hit(c, "dot.", DNS_T_A),
	   "an escaped final dot is part of the name");
	ok(hit(c, "bs\\\\", DNS_T_A) && hit(c, "BS\\\\.", DNS_T_A),
	   "an escaped backslash before the final dot: the dot is the root");
	char longname[1200];
	memset(longname, 'a', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	a = answer(DNS_T_A, DNS_OK, 300, "192.0.2.1", NULL);
	dnscache_put(c, longname, &a, dnscache_epoch(c));
	clear_rr(&a);
	ok(!hit(c, longname, DNS_T_A), "a name longer than any valid one is not kept");
	dnscache_free(c);
}

/* test_ttl - expiry to the millisecond, TTLs left, and the caps */
static void test_ttl(void)
{
	struct dnscache *c = dnscache_new(1000, 1 << 20, fake_clock);
	if (!ok(c != NULL, "ttl: a cache"))
		return;
	uint64_t t0 = atomic_load(&fake_now);
	struct dns_answer a = answer(DNS_T_A, DNS_OK, 10, "192.0.2.1", NULL);
	dnscache_put(c, "ten.example", &a, dnscache_epoch(c));
	clear_rr(&a);
	a = answer(DNS_T_A, DNS_OK, 10u * 86400u, "192.0.2.1", NULL);
	dnscache_put(c, "long.example", &a, dnscache_epoch(c));
	clear_rr(&a);
	a = answer(DNS_T_A, DNS_NXDOMAIN, 86400, NULL, NULL);
	dnscache_put(c, "nx.example", &a, dnscache_epoch(c));
	dnscache_put(c, "nx60.example",
		     &(struct dns_answer){.status = DNS_NODATA, .type = DNS_T_A, .ttl = 60},
		     dnscache_epoch(c));

	struct dns_answer g;
	atomic_store(&fake_now, t0 + 1);
	int h = probe(c, "ten.example", DNS_T_A, &g);
	ok(h && g.ttl == 10, "1 ms on: TTL 10 s left (%u)", g.ttl);
	clear_rr(&g);
	atomic_store(&fake_now, t0 + 9001);
	h = probe(c, "ten.example", DNS_T_A, &g);
	ok(h && g.ttl == 1, "9.001 s on: 1 s left (%u)", g.ttl);
	clear_rr(&g);
	atomic_store(&fake_now, t0 + 9999);
	ok(hit(c, "ten.example", DNS_T_A), "9.999 s on: still there");
	atomic_store(&fake_now, t0 + 10000);
	ok(!hit(c, "ten.example", DNS_T_A), "10 s on: gone");
	h = probe(c, "nx60.example", DNS_T_A, &g);
	ok(h && g.status == DNS_NODATA && g.ttl == 50,
	   "NODATA with a negative TTL of 60 s: 50 s left after 10 s (%u)", g.ttl);
	atomic_store(&fake_now, t0 + 60000);
	ok(!hit(c, "nx60.example", DNS_T_A), "NODATA gone after its negative TTL");
	atomic_store(&fake_now, t0 + DNSCACHE_NEG_TTL * 1000u - 1);
	ok(probe(c, "nx.example", DNS_T_A, &g) && g.status == DNS_NXDOMAIN,
	   "NXDOMAIN with TTL 86400: there at the negative cap less 1 ms");
	atomic_store(&fake_now, t0 + DNSCACHE_NEG_TTL * 1000u);
	ok(!hit(c, "nx.example", DNS_T_A), "NXDOMAIN gone at the negative cap (%u s)",
	   DNSCACHE_NEG_TTL);
	atomic_store(&fake_now, t0 + DNSCACHE_MAX_TTL * 1000u - 1);
	h = probe(c, "long.example", DNS_T_A, &g);
	ok(h && g.ttl == 1, "an answer with a TTL of 10 days: 1 s left at the cap less 1 ms (%u)",
	   g.ttl);
	clear_rr(&g);
	atomic_store(&fake_now, t0 + DNSCACHE_MAX_TTL * 1000u);
	ok(!hit(c, "long.example", DNS_T_A), "and gone at the cap (%u s)", DNSCACHE_MAX_TTL);
	struct dnscache_stats st;
	dnscache_get_stats(c, &st);
	is_int(st.expired, 4, "4 expired entries dropped");
	is_int(st.entries, 0, "none left");
	atomic_store(&fake_now, t0 + DNSCACHE_MAX_TTL * 1000u + 1000);
	dnscache_free(c);
}

/* test_epoch - a clear forgets, and keeps out answers asked for before it */
static void test_epoch(void)
{
	struct dnscache *c = dnscache_new(1000, 1 << 20, fake_clock);
	if (!ok(c != NULL, "epoch: a cache"))
		return;
	struct dns_answer a = answer(DNS_T_A, DNS_OK, 300, "192.0.2.1", NULL);
	unsigned long e0 = dnscache_epoch(c);
	dnscache_put(c, "one.example", &a, e0);
	ok(hit(c, "one.example", DNS_T_A), "kept");
	dnscache_clear(c);
	ok(!hit(c, "one.example", DNS_T_A), "a clear forgets it");
	dnscache_put(c, "two.example", &a, e0);
	ok(!hit(c, "two.example", DNS_T_A), "an answer asked for before the clear is not kept");
	dnscache_put(c, "two.example", &a, dnscache_epoch(c));
	ok(hit(c, "two.example", DNS_T_A), "one asked for after it is");
	clear_rr(&a);
	dnscache_free(c);
}

/* test_bounds - at most the entries and bytes asked for; the least recently used go */
static void test_bounds(void)
{
	/* 16 shards of 4 entries */
	struct dnscache *c = dnscache_new(64, 1 << 20, fake_clock);
	if (!ok(c != NULL, "bounds: a cache"))
		return;
	struct dns_answer a = answer(DNS_T_A, DNS_OK, 300, "192.0.2.1", NULL);
	dnscache_put(c, "hot.example", &a, dnscache_epoch(c));
	dnscache_put(c, "cold.example", &a, dnscache_epoch(c));
	size_t most = 0;
	int hot = 1;
	for (int i = 0; i < 2000; i++) {
		char name[32];
		snprintf(name, sizeof(name), "n%d.example", i);
		dnscache_put(c, name, &a, dnscache_epoch(c));
		hot &= hit(c, "hot.example", DNS_T_A); /* used all the time: never the LRU */
		struct dnscache_stats st;
		dnscache_get_stats(c, &st);
		if (st.entries > most)
			most = st.entries;
	}
	ok(most <= 64, "2,000 answers into a cache of 64: at most %zu held", most);
	ok(hot, "an entry in use all along stays");
	ok(!hit(c, "cold.example", DNS_T_A), "an entry not used since is evicted");
	struct dnscache_stats st;
	dnscache_get_stats(c, &st);
	ok(st.evicted >= 2000 - 64, "evictions counted (%lu)", st.evicted);
	clear_rr(&a);
	dnscache_free(c);

	/* bytes: 16 shards of 4 KiB; 1 KiB answers */
	c = dnscache_new(10000, 16 * 4096, fake_clock);
	if (!ok(c != NULL, "bytes: a cache"))
		return;
	char big[1025];
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	a = answer(DNS_T_TXT, DNS_OK, 300, big, NULL);
	size_t most_bytes = 0;
	for (int i = 0; i < 500; i++) {
		char name[32];
		snprintf(name, sizeof(name), "b%d.example", i);
		dnscache_put(c, name, &a, dnscache_epoch(c));
		dnscache_get_stats(c, &st);
		if (st.bytes > most_bytes)
			most_bytes = st.bytes;
	}
	ok(most_bytes <= 16 * 4096 && st.entries >= 16 && st.entries <= 64,
	   "1 KiB answers into 64 KiB: at most %zu bytes, %zu entries held", most_bytes,
	   st.entries);
	clear_rr(&a);
	char huge[8192];
	memset(huge, 'y', sizeof(huge) - 1);
	huge[sizeof(huge) - 1] = '\0';
	a = answer(DNS_T_TXT, DNS_OK, 300, huge, NULL);
	dnscache_put(c, "huge.example", &a, dnscache_epoch(c));
	ok(!hit(c, "huge.example", DNS_T_TXT), "an answer larger than a shard is not kept");
	dnscache_get_stats(c, &st);
	is_int(st.not_kept, 1, "and counted");
	clear_rr(&a);
	dnscache_free(c);
}

struct worker {
	struct dnscache *c;
	int id;
	int wrong; /* hits whose records do not match their name */
	int hits;
};

/* worker_main - puts, probes and (worker 0) clears, over 64 names */
static void *worker_main(void *arg)
{
	struct worker *w = arg;
	for (int i = 0; i < 20000; i++) {
		char name[32], data[32];
		int k = (i * 7 + w->id * 13) % 64;
		snprintf(name, sizeof(name), "w%d.example", k);
		snprintf(data, sizeof(data), "data-%d", k);
		struct dns_answer g;
		if (probe(w->c, name, DNS_T_TXT, &g)) {
			w->hits++;
			if (g.n != 1 || strcmp(g.rr[0].data, data) != 0)
				w->wrong++;
			clear_rr(&g);
		} else {
			struct dns_answer a = answer(DNS_T_TXT, DNS_OK, 300, data, NULL);
			dnscache_put(w->c, name, &a, dnscache_epoch(w->c));
			clear_rr(&a);
		}
		if (w->id == 0 && i % 1000 == 999)
			dnscache_clear(w->c);
	}
	return NULL;
}

/* test_threads - 8 threads at once on a small cache (evictions, clears) */
static void test_threads(void)
{
	struct dnscache *c = dnscache_new(32, 1 << 20, NULL);
	if (!ok(c != NULL, "threads: a cache"))
		return;
	struct worker w[8];
	pthread_t t[8];
	int started = 0;
	for (int i = 0; i < 8; i++) {
		w[i] = (struct worker){c, i, 0, 0};
		if (pthread_create(&t[i], NULL, worker_main, &w[i]) != 0)
			break;
		started++;
	}
	int wrong = 0, hits = 0;
	for (int i = 0; i < started; i++) {
		pthread_join(t[i], NULL);
		wrong += w[i].wrong;
		hits += w[i].hits;
	}
	is_int(started, 8, "8 threads");
	is_int(wrong, 0, "every hit right");
	ok(hits > 0, "%d hits", hits);
	struct dnscache_stats st;
	dnscache_get_stats(c, &st);
	ok(st.entries <= 32, "the bound held (%zu entries)", st.entries);
	dnscache_free(c);
}

int main(void)
{
	test_kept();
	test_has();
	test_keys();
	test_ttl();
	test_epoch();
	test_bounds();
	test_threads();
	return done_testing();
}
