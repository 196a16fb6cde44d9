/*
 * dnscache.c - decoded DNS answers kept for their TTL, in front of libunbound.
 *
 * SYNOPSIS
 *	c = dnscache_new(max_entries, max_bytes, NULL)     dnscache_free(c)
 *	e = dnscache_epoch(c)        ... the lookup ...     dnscache_put(c, name, a, e)
 *	if (dnscache_get(c, name, type, &a)) ... a hit, no resolver involved ...
 *	dnscache_clear(c)                                  dnscache_get_stats(c, out)
 *
 * DESCRIPTION
 *	libunbound has a cache of its own, but even an answer it has at hand
 *	travels through its answer pipe and our event thread (pipe writes and
 *	reads, fcntl, futex wake-ups: a dozen system calls per lookup, and a
 *	message makes about ten lookups). This cache keeps the decoded struct
 *	dns_answer instead, so that a repeated lookup is a hash probe and a
 *	copy, without a system call.
 *
 *	The key is the name as asked, ASCII letters lower-cased and one final
 *	unescaped dot dropped, with the type. Two spellings of one name that
 *	differ otherwise (a "\065" for an "a") are two entries: a miss, never
 *	a wrong answer. Only DNS_OK, DNS_NXDOMAIN and DNS_NODATA answers with a
 *	TTL above 0 are kept (never a temperror, a bogus answer or an error),
 *	with their DNSSEC flag and their truncated flag. An answer is kept for
 *	its TTL as libunbound gives it (the smallest TTL of the answer's
 *	records, CNAMEs included; for NXDOMAIN and NODATA the negative TTL of
 *	RFC 2308, the smaller of the SOA's TTL and its minimum), capped at
 *	DNSCACHE_MAX_TTL, or DNSCACHE_NEG_TTL for negative answers. libunbound
 *	counts that TTL down in its own cache, so the two caches agree. A hit
 *	reports the seconds left, rounded up.
 *
 *	Entries are spread over DNSCACHE_SHARDS shards by a hash of the key;
 *	each shard has its mutex, a chained hash table and an LRU list, and an
 *	equal part of the bounds on entries and bytes. A new entry past a bound
 *	evicts the least recently used of its shard; an entry found expired is
 *	dropped. Each entry is one allocation: the key, the records' table and
 *	their bytes; a hit copies the records out (an answer belongs to its
 *	query, which frees it alone), under the shard's lock.
 *
 *	A clear (local data changed) bumps the epoch and empties the shards.
 *	dnscache_put drops an answer whose lookup started before the latest
 *	clear, so an answer from before a change is never kept after it.
 *
 * THREAD SAFETY
 *	Every function may be called from any thread, except dnscache_free.
 *
 * DIAGNOSTICS
 *	None: a cache that cannot keep an answer only counts it (not_kept).
 */
#include "config.h"

#include "dnscache.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define DNSCACHE_SHARDS 16
#define DNSCACHE_KEY_MAX 1100 /* the longest name text name_ok lets by, and a NUL */

/* one record of an entry: its bytes live in the entry's text area */
struct crr {
	size_t off; /* into the text area */
	size_t len;
	unsigned pref;
};

struct centry {
	struct centry *hnext;       /* hash chain */
	struct centry *prev, *next; /* LRU list, most recent first */
	uint32_t hash;
	int type;
	uint64_t expires; /* on the cache's clock, ms */
	size_t size;      /* bytes charged to the shard */
	size_t keylen;    /* the key is at text[0..keylen] */
	char *text;       /* borrowed: into this allocation, after rr[] */
	enum dns_status status;
	int secure;
	int truncated;
	size_t n;
	struct crr rr[]; /* then the text area: key, NUL, each record's bytes and a NUL */
};

struct shard {
	pthread_mutex_t lock;
	struct centry **buckets; /* owned: nbuckets chains */
	struct centry *head;     /* most recently used */
	struct centry *tail;     /* least recently used */
	size_t entries, bytes;   /* under lock */
	unsigned long evicted;   /* under lock */
	unsigned long expired;   /* under lock */
	unsigned long not_kept;  /* under lock */
	char pad[64];            /* keep shards' locks off one cache line */
};

struct dnscache {
	struct shard shard[DNSCACHE_SHARDS];
	size_t nbuckets;          /* per shard, a power of 2 */
	size_t max_entries;       /* per shard */
	size_t max_bytes;         /* per shard */
	uint64_t (*now_ms)(void); /* the clock */
	atomic_ulong epoch;       /* bumped by each clear */
};

/* mono_ms - CLOCK_MONOTONIC in milliseconds */
static uint64_t mono_ms(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000u + (uint64_t)t.tv_nsec / 1000000u;
}

/* make_key - name as a key in out (lower case, no final dot) and its hash with type;
 * 0, or -1 when it does not fit */
static int make_key(const char *name, int type, char *out, size_t *len, uint32_t *hash)
{
	size_t n = strlen(name);
	if (n >= DNSCACHE_KEY_MAX)
		return -1;
	if (n > 0 && name[n - 1] == '.') {
		size_t bs = 0; /* backslashes before the dot: an odd count escapes it */
		while (bs < n - 1 && name[n - 2 - bs] == '\\')
			bs++;
		if (bs % 2 == 0)
			n--;
	}
	uint32_t h = 2166136261u; /* FNV-1a */
	for (size_t i = 0; i < n; i++) {
		char ch = name[i];
		if (ch >= 'A' && ch <= 'Z')
			ch = (char)(ch - 'A' + 'a');
		out[i] = ch;
		h = (h ^ (unsigned char)ch) * 16777619u;
	}
	out[n] = '\0';
	h = (h ^ (uint32_t)(type & 0xff)) * 16777619u;
	h = (h ^ (uint32_t)((type >> 8) & 0xff)) * 16777619u;
	*len = n;
	*hash = h;
	return 0;
}

/* shard_of - the shard of a hash (its low bits; the buckets use the high ones) */
static struct shard *shard_of(struct dnscache *c, uint32_t hash)
{
	return &c->shard[hash % DNSCACHE_SHARDS];
}

/* bucket_of - the chain of a hash in its shard */
static struct centry **bucket_of(struct dnscache *c, struct shard *s, uint32_t hash)
{
	return &s->buckets[(hash >> 8) & (c->nbuckets - 1)];
}

/* lru_unlink - take e off its shard's LRU list */
static void lru_unlink(struct shard *s, struct centry *e)
{
	if (e->prev)
		e->prev->next = e->next;
	else
		s->head = e->next;
	if (e->next)
		e->next->prev = e->prev;
	else
		s->tail = e->prev;
	e->prev = e->next = NULL;
}

/* lru_push - make e the most recently used of its shard */
static void lru_push(struct shard *s, struct centry *e)
{
	e->prev = NULL;
	e->next = s->head;
	if (s->head)
		s->head->prev = e;
	s->head = e;
	if (s->tail == NULL)
		s->tail = e;
}

/* entry_remove - unlink e from its chain and the LRU list, and free it */
static void entry_remove(struct dnscache *c, struct shard *s, struct centry *e)
{
	struct centry **pp = bucket_of(c, s, e->hash);
	while (*pp != e)
		pp = &(*pp)->hnext;
	*pp = e->hnext;
	lru_unlink(s, e);
	s->entries--;
	s->bytes -= e->size;
	free(e);
}

/* entry_find - the entry of key in s, or NULL */
static struct centry *entry_find(struct dnscache *c, struct shard *s, uint32_t hash,
				 const char *key, size_t keylen, int type)
{
	for (struct centry *e = *bucket_of(c, s, hash); e != NULL; e = e->hnext)
		if (e->hash == hash && e->type == type && e->keylen == keylen &&
		    memcmp(e->text, key, keylen) == 0)
			return e;
	return NULL;
}

/* dnscache_new - an empty cache */
struct dnscache *dnscache_new(size_t max_entries, size_t max_bytes, uint64_t (*now_ms)(void))
{
	struct dnscache *c = calloc(1, sizeof(*c));
	if (c == NULL)
		return NULL;
	c->max_entries = max_entries / DNSCACHE_SHARDS ? max_entries / DNSCACHE_SHARDS : 1;
	c->max_bytes = max_bytes / DNSCACHE_SHARDS;
	c->nbuckets = 16;
	while (c->nbuckets < c->max_entries)
		c->nbuckets *= 2;
	c->now_ms = now_ms ? now_ms : mono_ms;
	atomic_init(&c->epoch, 0);
	int i;
	for (i = 0; i < DNSCACHE_SHARDS; i++) {
		struct shard *s = &c->shard[i];
		s->buckets = calloc(c->nbuckets, sizeof(*s->buckets));
		if (s->buckets == NULL)
			break;
		if (pthread_mutex_init(&s->lock, NULL) != 0) {
			free(s->buckets);
			break;
		}
	}
	if (i < DNSCACHE_SHARDS) {
		while (i-- > 0) {
			pthread_mutex_destroy(&c->shard[i].lock);
			free(c->shard[i].buckets);
		}
		free(c);
		return NULL;
	}
	return c;
}

/* shard_empty - free every entry of s (its lock held, or no other user) */
static void shard_empty(struct dnscache *c, struct shard *s)
{
	while (s->head)
		entry_remove(c, s, s->head);
}

/* dnscache_free - release everything */
void dnscache_free(struct dnscache *c)
{
	if (c == NULL)
		return;
	for (int i = 0; i < DNSCACHE_SHARDS; i++) {
		shard_empty(c, &c->shard[i]);
		pthread_mutex_destroy(&c->shard[i].lock);
		free(c->shard[i].buckets);
	}
	free(c);
}

/* dnscache_epoch - the epoch, for dnscache_put */
unsigned long dnscache_epoch(struct dnscache *c)
{
	return atomic_load(&c->epoch);
}

/* copy_out - e's records into out; 0, or -1 out of memory (out then has none) */
static int copy_out(const struct centry *e, struct dns_answer *out)
{
	out->n = 0;
	out->rr = NULL;
	if (e->n > 0) {
		out->rr = calloc(e->n, sizeof(*out->rr));
		if (out->rr == NULL)
			return -1;
	}
	for (size_t i = 0; i < e->n; i++) {
		struct dns_rr *r = &out->rr[i];
		r->data = malloc(e->rr[i].len + 1);
		if (r->data == NULL) {
			while (i-- > 0)
				free(out->rr[i].data);
			free(out->rr);
			out->rr = NULL;
			return -1;
		}
		memcpy(r->data, e->text + e->rr[i].off, e->rr[i].len + 1);
		r->len = e->rr[i].len;
		r->pref = e->rr[i].pref;
	}
	out->n = e->n;
	return 0;
}

/* live_entry - the live entry for (name, type), its shard locked in *sp (the caller
 * unlocks), an expired one removed; NULL when none (*sp NULL when the name cannot be a key) */
static struct centry *live_entry(struct dnscache *c, const char *name, int type, struct shard **sp,
				 uint64_t *now)
{
	char key[DNSCACHE_KEY_MAX];
	size_t keylen;
	uint32_t hash;
	*sp = NULL;
	if (make_key(name, type, key, &keylen, &hash) < 0)
		return NULL;
	struct shard *s = *sp = shard_of(c, hash);
	*now = c->now_ms();
	pthread_mutex_lock(&s->lock);
	struct centry *e = entry_find(c, s, hash, key, keylen, type);
	if (e != NULL && *now >= e->expires) {
		entry_remove(c, s, e);
		s->expired++;
		e = NULL;
	}
	return e;
}

/* dnscache_get - a live answer, copied out; 1 hit, 0 miss */
int dnscache_get(struct dnscache *c, const char *name, int type, struct dns_answer *out)
{
	struct shard *s;
	uint64_t now;
	struct centry *e = live_entry(c, name, type, &s, &now);
	int hit = 0;
	if (e != NULL && copy_out(e, out) == 0) {
		out->status = e->status;
		out->ttl = (uint32_t)((e->expires - now + 999) / 1000);
		out->secure = e->secure;
		out->truncated = e->truncated;
		lru_unlink(s, e);
		lru_push(s, e);
		hit = 1;
	}
	if (s)
		pthread_mutex_unlock(&s->lock);
	return hit;
}

/* dnscache_has - is a live answer for (name, type) kept? (nothing copied, LRU untouched) */
int dnscache_has(struct dnscache *c, const char *name, int type)
{
	struct shard *s;
	uint64_t now;
	int live = live_entry(c, name, type, &s, &now) != NULL;
	if (s)
		pthread_mutex_unlock(&s->lock);
	return live;
}

/* keep_ttl - how long a may be kept, in seconds; 0: not at all */
static uint32_t keep_ttl(const struct dns_answer *a)
{
	switch (a->status) {
	case DNS_OK: return a->ttl < DNSCACHE_MAX_TTL ? a->ttl : DNSCACHE_MAX_TTL;
	case DNS_NXDOMAIN:
	case DNS_NODATA: return a->ttl < DNSCACHE_NEG_TTL ? a->ttl : DNSCACHE_NEG_TTL;
	default: return 0; /* temperror, bogus, error: ask again next time */
	}
}

/* entry_make - one allocation holding a copy of a under key; NULL out of memory */
static struct centry *entry_make(const char *key, size_t keylen, uint32_t hash,
				 const struct dns_answer *a)
{
	size_t size = sizeof(struct centry) + a->n * sizeof(struct crr) + keylen + 1;
	for (size_t i = 0; i < a->n; i++)
		size += a->rr[i].len + 1;
	struct centry *e = malloc(size);
	if (e == NULL)
		return NULL;
	memset(e, 0, sizeof(*e));
	e->hash = hash;
	e->type = a->type;
	e->size = size;
	e->keylen = keylen;
	e->status = a->status;
	e->secure = a->secure;
	e->truncated = a->truncated;
	e->n = a->n;
	e->text = (char *)&e->rr[a->n];
	memcpy(e->text, key, keylen + 1);
	size_t off = keylen + 1;
	for (size_t i = 0; i < a->n; i++) {
		e->rr[i].off = off;
		e->rr[i].len = a->rr[i].len;
		e->rr[i].pref = a->rr[i].pref;
		memcpy(e->text + off, a->rr[i].data, a->rr[i].len);
		e->text[off + a->rr[i].len] = '\0';
		off += a->rr[i].len + 1;
	}
	return e;
}

/* dnscache_put - keep a copy of a (when it may be kept and no clear came since epoch) */
void dnscache_put(struct dnscache *c, const char *name, const struct dns_answer *a,
		  unsigned long epoch)
{
	uint32_t ttl = keep_ttl(a);
	if (ttl == 0)
		return;
	char key[DNSCACHE_KEY_MAX];
	size_t keylen;
	uint32_t hash;
	if (make_key(name, a->type, key, &keylen, &hash) < 0)
		return;
	struct shard *s = shard_of(c, hash);
	struct centry *e = entry_make(key, keylen, hash, a);
	if (e == NULL || e->size > c->max_bytes) {
		free(e);
		pthread_mutex_lock(&s->lock);
		s->not_kept++;
		pthread_mutex_unlock(&s->lock);
		return;
	}
	e->expires = c->now_ms() + (uint64_t)ttl * 1000u;
	pthread_mutex_lock(&s->lock);
	if (epoch != atomic_load(&c->epoch)) {
		pthread_mutex_unlock(&s->lock);
		free(e); /* asked before local data changed */
		return;
	}
	struct centry *old = entry_find(c, s, hash, key, keylen, a->type);
	if (old != NULL)
		entry_remove(c, s, old);
	while (s->tail && (s->entries + 1 > c->max_entries || s->bytes + e->size > c->max_bytes)) {
		entry_remove(c, s, s->tail);
		s->evicted++;
	}
	struct centry **b = bucket_of(c, s, hash);
	e->hnext = *b;
	*b = e;
	lru_push(s, e);
	s->entries++;
	s->bytes += e->size;
	pthread_mutex_unlock(&s->lock);
}

/* dnscache_clear - forget everything; lookups started before are not kept */
void dnscache_clear(struct dnscache *c)
{
	atomic_fetch_add(&c->epoch, 1);
	for (int i = 0; i < DNSCACHE_SHARDS; i++) {
		pthread_mutex_lock(&c->shard[i].lock);
		shard_empty(c, &c->shard[i]);
		pthread_mutex_unlock(&c->shard[i].lock);
	}
}

/* dnscache_get_stats - the counters of every shard, summed */
void dnscache_get_stats(struct dnscache *c, struct dnscache_stats *out)
{
	memset(out, 0, sizeof(*out));
	for (int i = 0; i < DNSCACHE_SHARDS; i++) {
		struct shard *s = &c->shard[i];
		pthread_mutex_lock(&s->lock);
		out->entries += s->entries;
		out->bytes += s->bytes;
		out->evicted += s->evicted;
		out->expired += s->expired;
		out->not_kept += s->not_kept;
		pthread_mutex_unlock(&s->lock);
	}
}
