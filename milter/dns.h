/*
 * dns.h - the one resolver every check shares (libunbound).
 */
#ifndef PORTCULLIS_DNS_H
#define PORTCULLIS_DNS_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "compat.h"
#include "errlist.h"

/* record types used by the checks (numeric values as on the wire) */
enum { DNS_T_A = 1, DNS_T_PTR = 12, DNS_T_MX = 15, DNS_T_TXT = 16, DNS_T_AAAA = 28 };

/* Every answer falls in exactly one class. */
enum dns_status {
	DNS_OK = 0,   /* records of the type asked for */
	DNS_NXDOMAIN, /* the name does not exist */
	DNS_NODATA,   /* the name exists, but has no record of that type */
	DNS_TEMPFAIL, /* SERVFAIL, REFUSED, timeout, network trouble: a temperror */
	DNS_BOGUS,    /* DNSSEC validation failed (only with a trust anchor) */
	DNS_OVERSIZE, /* more records or bytes than the caps below: not used */
	DNS_BADNAME,  /* the name cannot be queried (empty, label > 63, name > 253) */
	DNS_ERROR,    /* internal failure (memory, resolver) */
};
#define DNS_STATUS_COUNT 8

#define DNS_RR_MAX 64        /* records kept per answer */
#define DNS_ANSWER_MAX 65536 /* bytes of rdata per answer */

/* One record, decoded. */
struct dns_rr {
	char *data;    /* owned, NUL-terminated. A/AAAA: the address as text;
			* TXT: the character-strings concatenated (may hold NULs:
			* use len); MX, PTR: the name, lower case, no final dot */
	size_t len;    /* bytes in data, not counting the NUL */
	unsigned pref; /* MX preference; 0 otherwise */
};

struct dns_answer {
	enum dns_status status;
	int type;          /* the type asked for */
	char *name;        /* owned: the name asked for */
	uint32_t ttl;      /* of the answer (NXDOMAIN/NODATA: negative TTL, or 0) */
	int secure;        /* 1 when DNSSEC-validated */
	int truncated;     /* 1 when records were dropped (DNS_RR_MAX, DNS_ANSWER_MAX) */
	size_t n;          /* records */
	struct dns_rr *rr; /* owned array of n */
	unsigned ms;       /* how long it took */
};

struct dns_opts {
	const char *const *forwarders; /* "host" or "host@port"; NULL/0: the system resolver */
	size_t nforwarders;
	unsigned timeout_ms;      /* per query */
	const char *trust_anchor; /* file for DNSSEC validation, or NULL: no validation */
	const char *resolv_conf;  /* with no forwarders; NULL: /etc/resolv.conf */
};

struct dns;
struct dns_query;

/* dns_new - a resolver; NULL with the reason in errs (file is the config file, for messages) */
struct dns *dns_new(const struct dns_opts *o, const char *file, struct errlist *errs) WUR;
/* dns_free - drop a reference; the last stops and releases (no query may be outstanding) */
void dns_free(struct dns *d);
/* dns_ref - another reference, for a new generation that keeps the resolver and its cache */
struct dns *dns_ref(struct dns *d);
/* dns_matches - would dns_new(o) make the same resolver as d? (same forwarders, timeout,
 * and the resolv.conf or trust anchor file unchanged since d was made) */
int dns_matches(const struct dns *d, const struct dns_opts *o) WUR;
/* dns_add_local - serve a record locally ("name TTL IN TYPE rdata"), for tests; the
 * answers cached so far are forgotten (also by dns_add_local_zone) */
int dns_add_local(struct dns *d, const char *rr) WUR;
/* dns_add_local_zone - a local zone (libunbound local-zone types: "static": names not in
 * the local data are NXDOMAIN; "always_refuse": every query is refused, i.e. a temperror),
 * for tests */
int dns_add_local_zone(struct dns *d, const char *name, const char *type) WUR;

/* dns_cached - would a lookup of (name, type) be answered from the cache at once? */
int dns_cached(struct dns *d, const char *name, int type);
/* dns_start - begin an asynchronous lookup; NULL only when out of memory. An answer still
 * in the resolver's cache (see dnscache.h) makes a query that is already complete */
struct dns_query *dns_start(struct dns *d, const char *name, int type) WUR;
/* dns_wait - wait until the answer, the per-query timeout (from the start) or the deadline
 * (NULL: none), whichever comes first; past it the answer is DNS_TEMPFAIL. The answer
 * belongs to the query. */
const struct dns_answer *dns_wait(struct dns_query *q, const struct timespec *deadline);
/* dns_query_free - cancel if still running, release */
void dns_query_free(struct dns_query *q);

/* dns_lookup - start and wait; the answer is the caller's (dns_answer_free), never NULL
 * unless out of memory */
struct dns_answer *dns_lookup(struct dns *d, const char *name, int type,
			      const struct timespec *deadline) WUR;
/* dns_answer_free - release */
void dns_answer_free(struct dns_answer *a);

/* dns_deadline - now + ms on CLOCK_MONOTONIC */
void dns_deadline(struct timespec *out, unsigned ms);
/* dns_status_name - "ok", "nxdomain", "nodata", "tempfail", "bogus", "oversize", ... */
const char *dns_status_name(enum dns_status s);
/* dns_type_name - "A", "TXT", ... */
const char *dns_type_name(int type);

/* counters since dns_new, per type and status, and total latency */
struct dns_stats {
	unsigned long queries[5]; /* A, PTR, MX, TXT, AAAA; answers from the cache included */
	unsigned long hits[5];    /* of the queries, answered from the cache */
	unsigned long status[5][DNS_STATUS_COUNT];
	unsigned long long ms_total[5];
	unsigned long truncated[5]; /* answers cut to the caps */
};
/* dns_stats - a consistent copy of the counters */
void dns_get_stats(struct dns *d, struct dns_stats *out);

#endif
