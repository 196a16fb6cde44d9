/*
 * dnscache.h - decoded DNS answers kept for their TTL, in front of libunbound.
 */
#ifndef PORTCULLIS_DNSCACHE_H
#define PORTCULLIS_DNSCACHE_H

#include <stddef.h>
#include <stdint.h>

#include "compat.h"
#include "dns.h"

/* the bounds the resolver uses (fixed: a few MB at most, for any mail volume) */
#define DNSCACHE_ENTRIES 10000         /* answers kept */
#define DNSCACHE_BYTES (16u << 20)     /* bytes of answers kept, with their overhead */
#define DNSCACHE_MAX_TTL (24u * 3600u) /* seconds an answer is kept at most */
#define DNSCACHE_NEG_TTL 3600u         /* seconds an NXDOMAIN or NODATA is kept at most */

struct dnscache;

/* dnscache_new - a cache of at most max_entries answers and max_bytes bytes; now_ms is its
 * clock in milliseconds (NULL: CLOCK_MONOTONIC; tests pass their own). NULL: out of memory */
struct dnscache *dnscache_new(size_t max_entries, size_t max_bytes, uint64_t (*now_ms)(void)) WUR;
/* dnscache_free - release the cache and every answer in it */
void dnscache_free(struct dnscache *c);
/* dnscache_epoch - the current epoch: an answer asked for before a clear is not kept after it
 * (dnscache_put with the epoch taken when its query started) */
unsigned long dnscache_epoch(struct dnscache *c);
/* dnscache_get - a live answer for (name, type) copied into out: status, ttl (seconds left,
 * rounded up), secure, truncated, n and rr (the caller's); name, type and ms untouched.
 * 1: a hit; 0: a miss (or out of memory: out has no records) */
int dnscache_get(struct dnscache *c, const char *name, int type, struct dns_answer *out) WUR;
/* dnscache_has - is a live answer for (name, type) kept? */
int dnscache_has(struct dnscache *c, const char *name, int type);
/* dnscache_put - keep a copy of a, asked as name, if it may be kept (OK, NXDOMAIN or NODATA
 * with a TTL) and no clear came after epoch; best effort */
void dnscache_put(struct dnscache *c, const char *name, const struct dns_answer *a,
		  unsigned long epoch);
/* dnscache_clear - forget every answer (local data changed) */
void dnscache_clear(struct dnscache *c);

struct dnscache_stats {
	size_t entries;         /* answers held now */
	size_t bytes;           /* their bytes */
	unsigned long evicted;  /* dropped to stay within the bounds */
	unsigned long expired;  /* dropped at their TTL */
	unsigned long not_kept; /* answers offered that could not be kept */
};
/* dnscache_get_stats - the counters, summed over the shards */
void dnscache_get_stats(struct dnscache *c, struct dnscache_stats *out);

#endif
