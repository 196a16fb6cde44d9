/*
 * mimelist.c - the value lists of a MIME result: each value once, in order, in
 * memory the list owns.
 *
 * SYNOPSIS
 *	struct mime_list l = {0};
 *	mime_list_add_unique(&l, s, len, max)    1 added, 2 there already, 0 full
 *	mime_list_add(&l, s, len, max)           appended even if there already
 *	mime_list_has(&l, s, len)
 *	l.v[i], l.len[i]                          NUL-terminated values
 *	mime_list_free(&l)
 *
 * DESCRIPTION
 *	The URL, domain and attachment lists keep each value once: a hash
 *	index (open addressing, twice as many slots as values, each slot with
 *	its value's hash so that growing it hashes nothing again) answers in
 *	one lookup whether a value is there and, if not, where it goes. The
 *	index is built the first time mime_list_add_unique is called on a list;
 *	a list without one (the body texts) is searched linearly by
 *	mime_list_has. Values are stored one after the other in chunks of the
 *	list's own (512 bytes at first, twice the last up to 16 KB); a value
 *	larger than a quarter of a chunk gets a chunk of its own. Hash
 *	collisions cost time, never correctness; a list holds at most max
 *	values (urls_max, parts_max), which bounds both.
 *
 * THREAD SAFETY
 *	A list belongs to one analysis, so to one thread.
 */
#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mime.h"

/* One slot of a list's hash index. */
struct mime_slot {
	uint32_t idx;  /* the value's index + 1; 0: empty */
	uint32_t hash; /* its hash (the low bits) */
};

/* list_hash - a hash of s (len bytes), eight bytes at a time */
static uint32_t list_hash(const char *s, size_t len)
{
	uint64_t h = (uint64_t)len * 0x9E3779B97F4A7C15u, w;
	size_t i = 0;
	for (; i + 8 <= len; i += 8) {
		memcpy(&w, s + i, 8);
		h = (h ^ w) * 0xFF51AFD7ED558CCDu;
		h ^= h >> 32;
	}
	w = 0;
	memcpy(&w, s + i, len - i);
	h = (h ^ w) * 0xFF51AFD7ED558CCDu;
	return (uint32_t)(h ^ h >> 29);
}

/* list_find - the index slot where s (of hash h) is, or the empty slot where it would go */
static struct mime_slot *list_find(const struct mime_list *l, const char *s, size_t len, uint32_t h)
{
	size_t mask = l->nslot - 1;
	for (size_t i = h & mask;; i = (i + 1) & mask) {
		struct mime_slot *e = &l->slot[i];
		if (e->idx == 0 || (e->hash == h && l->len[e->idx - 1] == len &&
				    memcmp(l->v[e->idx - 1], s, len) == 0))
			return e;
	}
}

/* list_index - an index with room for one more value (built or doubled as needed); -1
 * when out of memory */
static int list_index(struct mime_list *l)
{
	if (l->slot && (l->n + 1) * 2 <= l->nslot)
		return 0;
	size_t ns = l->nslot ? l->nslot * 2 : 32;
	while ((l->n + 1) * 2 > ns)
		ns *= 2;
	if (l->n >= UINT32_MAX / 2)
		return -1; /* no list holds that many values */
	struct mime_slot *slot = calloc(ns, sizeof(*slot)), *old = l->slot;
	if (slot == NULL)
		return -1;
	size_t nold = l->nslot;
	l->slot = slot;
	l->nslot = ns;
	if (old == NULL) { /* a list that had none: every value, the first of equals kept */
		for (size_t i = 0; i < l->n; i++) {
			uint32_t h = list_hash(l->v[i], l->len[i]);
			struct mime_slot *e = list_find(l, l->v[i], l->len[i], h);
			if (e->idx == 0)
				*e = (struct mime_slot){(uint32_t)i + 1, h};
		}
		return 0;
	}
	for (size_t i = 0; i < nold; i++) /* distinct values: each to its first empty slot */
		for (size_t k = old[i].hash & (ns - 1); old[i].idx; k = (k + 1) & (ns - 1))
			if (slot[k].idx == 0) {
				slot[k] = old[i];
				break;
			}
	free(old);
	return 0;
}

/* mime_list_has - through the index when the list has one */
int mime_list_has(const struct mime_list *l, const char *s, size_t len)
{
	if (l->slot)
		return list_find(l, s, len, list_hash(s, len))->idx != 0;
	for (size_t i = 0; i < l->n; i++)
		if (l->len[i] == len && memcmp(l->v[i], s, len) == 0)
			return 1;
	return 0;
}

/* A piece of a list's memory: its strings, one after the other. */
struct mime_chunk {
	struct mime_chunk *next; /* owned: the one filled before, or NULL */
	size_t used, size;       /* bytes of data used, and in all */
	char data[];
};

#define CHUNK_MIN 512   /* the first chunk's size; each next one is twice the last */
#define CHUNK_MAX 16384 /* up to this */

/* list_store - room for n bytes in l's chunks (a new chunk when the current one is full, a
 * chunk of its own for a large value); NULL when out of memory */
static char *list_store(struct mime_list *l, size_t n)
{
	struct mime_chunk *c = l->chunks;
	if (c && c->size - c->used >= n) {
		c->used += n;
		return c->data + c->used - n;
	}
	size_t size = c ? c->size * 2 : CHUNK_MIN;
	if (size > CHUNK_MAX)
		size = CHUNK_MAX;
	int own = n > size / 4; /* a text: its own chunk, the current one kept for the next */
	if (own)
		size = n;
	struct mime_chunk *k = malloc(offsetof(struct mime_chunk, data) + size);
	if (k == NULL)
		return NULL;
	k->used = n;
	k->size = size;
	if (own && c) {
		k->next = c->next;
		c->next = k;
	} else {
		k->next = c;
		l->chunks = k;
	}
	return k->data;
}

/* list_push - append a copy of s (len bytes); its index, or -1 when out of memory */
static long list_push(struct mime_list *l, const char *s, size_t len)
{
	if (l->n == l->cap) {
		size_t nc = l->cap ? l->cap * 2 : 8;
		char **v = realloc(l->v, nc * sizeof(*v));
		if (v == NULL)
			return -1;
		l->v = v;
		size_t *ln = realloc(l->len, nc * sizeof(*ln));
		if (ln == NULL)
			return -1;
		l->len = ln;
		l->cap = nc;
	}
	char *c = list_store(l, len + 1);
	if (c == NULL)
		return -1;
	memcpy(c, s, len);
	c[len] = '\0';
	l->v[l->n] = c;
	l->len[l->n] = len;
	return (long)l->n++;
}

/* mime_list_add - append a copy (the index, if any, learns it) */
int mime_list_add(struct mime_list *l, const char *s, size_t len, size_t max)
{
	if (l->n >= max)
		return 0;
	if (l->slot && list_index(l) < 0)
		return -1;
	long i = list_push(l, s, len);
	if (i < 0)
		return -1;
	if (l->slot) {
		uint32_t h = list_hash(s, len);
		struct mime_slot *e = list_find(l, s, len, h);
		if (e->idx == 0)
			*e = (struct mime_slot){(uint32_t)i + 1, h};
	}
	return 1;
}

/* mime_list_add_unique - one hash lookup, then append */
int mime_list_add_unique(struct mime_list *l, const char *s, size_t len, size_t max)
{
	if (list_index(l) < 0)
		return -1;
	uint32_t h = list_hash(s, len);
	struct mime_slot *e = list_find(l, s, len, h);
	if (e->idx != 0)
		return 2;
	if (l->n >= max)
		return 0;
	long i = list_push(l, s, len);
	if (i < 0)
		return -1;
	*e = (struct mime_slot){(uint32_t)i + 1, h};
	return 1;
}

/* mime_list_free - release */
void mime_list_free(struct mime_list *l)
{
	while (l->chunks) {
		struct mime_chunk *c = l->chunks;
		l->chunks = c->next;
		free(c);
	}
	free(l->v);
	free(l->len);
	free(l->slot);
	memset(l, 0, sizeof(*l));
}
