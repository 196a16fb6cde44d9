/*
 * locallist.c - local lists loaded from files, for policy lists and rules.
 *
 * SYNOPSIS
 *	l = llist_load("/etc/portcullis/lists/partners.cidr", LL_IP, &errs);
 *	if (llist_has_ip(l, client)) ...
 *
 * DESCRIPTION
 *	Networks become sorted, merged ranges (IPv4 as 32-bit, IPv6 as 128-bit
 *	numbers) searched by bisection; domains and addresses a sorted array of
 *	lower-case strings, searched for the name and then each parent domain.
 *	So membership costs O(log n) comparisons whatever the list's size, and
 *	loading is one pass plus one sort. The file is read whole, bounded
 *	(LL_FILE_MAX); a bad line is reported with file:line and nothing is
 *	loaded. Lists belong to the generation that loaded them: a reload reads
 *	them again.
 *
 * THREAD SAFETY
 *	A loaded list is immutable.
 */
#include "config.h"

#include "locallist.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "buf.h"
#include "cidr.h"

#define LL_FILE_MAX ((size_t)512 * 1024 * 1024)
#define LL_LINE_MAX 1024

struct r4 {
	uint32_t lo, hi;
};

struct r6 {
	unsigned char lo[16], hi[16];
};

struct llist {
	enum ll_kind kind;
	struct r4 *v4; /* owned, sorted, merged */
	size_t n4, cap4;
	struct r6 *v6; /* owned, sorted, merged */
	size_t n6, cap6;
	char **names; /* owned: lower-case domains or addresses, sorted */
	size_t nnames, capnames;
};

/* grow - make room for one more element of size sz in *arr (n used, *cap allocated) */
static int grow(void **arr, size_t n, size_t *cap, size_t sz)
{
	if (n < *cap)
		return 0;
	size_t nc = *cap ? *cap * 2 : 1024;
	void *p = realloc(*arr, nc * sz);
	if (p == NULL)
		return -1;
	*arr = p;
	*cap = nc;
	return 0;
}

/* add_net - one network */
static int add_net(struct llist *l, const struct cidr *c)
{
	if (c->family == AF_INET) {
		if (grow((void **)&l->v4, l->n4, &l->cap4, sizeof(*l->v4)) < 0)
			return -1;
		uint32_t a = (uint32_t)c->addr[0] << 24 | (uint32_t)c->addr[1] << 16 |
			     (uint32_t)c->addr[2] << 8 | c->addr[3];
		uint32_t mask = c->bits == 0 ? 0 : 0xffffffffu << (32 - c->bits);
		l->v4[l->n4].lo = a & mask;
		l->v4[l->n4].hi = (a & mask) | ~mask;
		l->n4++;
		return 0;
	}
	if (grow((void **)&l->v6, l->n6, &l->cap6, sizeof(*l->v6)) < 0)
		return -1;
	struct r6 *r = &l->v6[l->n6++];
	for (unsigned i = 0; i < 16; i++) {
		unsigned bits = c->bits > i * 8 ? c->bits - i * 8 : 0;
		unsigned char m = bits >= 8 ? 0xff : (unsigned char)(0xff << (8 - bits));
		r->lo[i] = c->addr[i] & m;
		r->hi[i] = (unsigned char)(c->addr[i] | (unsigned char)~m);
	}
	return 0;
}

/* cmp4 - by start */
static int cmp4(const void *a, const void *b)
{
	const struct r4 *x = a, *y = b;
	return x->lo < y->lo ? -1 : x->lo > y->lo;
}

/* cmp6 - by start */
static int cmp6(const void *a, const void *b)
{
	return memcmp(((const struct r6 *)a)->lo, ((const struct r6 *)b)->lo, 16);
}

/* cmpstr - strings */
static int cmpstr(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* plus1 - a 128-bit number plus one; 0 when it wrapped */
static int plus1(unsigned char *x)
{
	for (int i = 15; i >= 0; i--)
		if (++x[i] != 0)
			return 1;
	return 0;
}

/* merge - sort the ranges and join those that overlap or touch */
static void merge(struct llist *l)
{
	if (l->n4 > 1) /* (qsort's array may not be NULL, even when empty) */
		qsort(l->v4, l->n4, sizeof(*l->v4), cmp4);
	size_t k = 0;
	for (size_t i = 0; i < l->n4; i++) {
		if (k && (l->v4[i].lo <= l->v4[k - 1].hi ||
			  (l->v4[k - 1].hi != UINT32_MAX && l->v4[i].lo == l->v4[k - 1].hi + 1))) {
			if (l->v4[i].hi > l->v4[k - 1].hi)
				l->v4[k - 1].hi = l->v4[i].hi;
		} else
			l->v4[k++] = l->v4[i];
	}
	l->n4 = k;
	if (l->n6 > 1)
		qsort(l->v6, l->n6, sizeof(*l->v6), cmp6);
	k = 0;
	for (size_t i = 0; i < l->n6; i++) {
		unsigned char next[16];
		int touch = 0;
		if (k) {
			memcpy(next, l->v6[k - 1].hi, 16);
			touch = plus1(next) && memcmp(l->v6[i].lo, next, 16) == 0;
		}
		if (k && (memcmp(l->v6[i].lo, l->v6[k - 1].hi, 16) <= 0 || touch)) {
			if (memcmp(l->v6[i].hi, l->v6[k - 1].hi, 16) > 0)
				memcpy(l->v6[k - 1].hi, l->v6[i].hi, 16);
		} else
			l->v6[k++] = l->v6[i];
	}
	l->n6 = k;
	if (l->nnames > 1)
		qsort(l->names, l->nnames, sizeof(*l->names), cmpstr);
}

/* name_ok - a domain, or (LL_ADDRESS) local@domain, made of printable characters */
static int name_ok(const char *s, enum ll_kind kind)
{
	const char *at = strrchr(s, '@');
	if (at && kind != LL_ADDRESS)
		return 0;
	const char *d = at ? at + 1 : s;
	if (*d == '\0' || *d == '.' || strlen(d) > 253 || (at && at == s))
		return 0;
	for (const char *p = s; *p; p++)
		if ((unsigned char)*p <= ' ' || (unsigned char)*p >= 0x7f)
			return 0;
	for (const char *p = d; *p; p++)
		if (!isalnum((unsigned char)*p) && *p != '-' && *p != '.' && *p != '_')
			return 0;
	return 1;
}

/* add_line - one entry; NULL, or what was expected */
static const char *add_line(struct llist *l, char *w)
{
	if (l->kind == LL_IP) {
		struct cidr c;
		if (cidr_parse(w, &c) < 0)
			return "expected an IP address or network (192.0.2.0/24, 2001:db8::/32)";
		return add_net(l, &c) < 0 ? "out of memory" : NULL;
	}
	size_t n = strlen(w);
	if (n && w[n - 1] == '.')
		w[--n] = '\0';
	if (!name_ok(w, l->kind))
		return l->kind == LL_DOMAIN ? "expected a domain (example.com)"
					    : "expected an address (user@example.com) or a domain";
	for (char *p = w; *p; p++)
		*p = (char)tolower((unsigned char)*p);
	char *d = strdup(w);
	if (d == NULL || grow((void **)&l->names, l->nnames, &l->capnames, sizeof(char *)) < 0) {
		free(d);
		return "out of memory";
	}
	l->names[l->nnames++] = d;
	return NULL;
}

/* parse - every line of the text */
static void parse(struct llist *l, char *text, size_t len, const char *path, struct errlist *errs)
{
	unsigned lineno = 0;
	for (char *p = text, *end = text + len; p < end;) {
		char *nl = memchr(p, '\n', (size_t)(end - p));
		char *e = nl ? nl : end;
		lineno++;
		*e = '\0';
		char *hash = strchr(p, '#');
		if (hash)
			*hash = '\0';
		char *s = p;
		while (isspace((unsigned char)*s))
			s++;
		char *w = s;
		while (*s && !isspace((unsigned char)*s))
			s++;
		char *rest = s;
		while (isspace((unsigned char)*rest))
			rest++;
		*s = '\0';
		if (*w) {
			const char *why = *rest ? "one entry per line" : add_line(l, w);
			if (why)
				errlist_add(errs, path, lineno, "%s, got '%s'", why, w);
		}
		p = e + 1;
		if (errs->count > 20)
			break; /* enough to fix; the list is refused anyway */
	}
}

/* llist_load - read and index a file */
struct llist *llist_load(const char *path, enum ll_kind kind, struct errlist *errs)
{
	struct buf text;
	buf_init(&text, LL_FILE_MAX);
	if (buf_read_file(&text, path, errs) < 0) {
		buf_free(&text);
		return NULL;
	}
	struct llist *l = calloc(1, sizeof(*l));
	size_t before = errs->count;
	if (l == NULL)
		errlist_add(errs, path, 0, "out of memory");
	else {
		l->kind = kind;
		parse(l, text.data ? text.data : (char *)"", text.len, path, errs);
	}
	buf_free(&text);
	if (errs->count > before) {
		llist_free(l);
		return NULL;
	}
	merge(l);
	return l;
}

/* llist_free - release */
void llist_free(struct llist *l)
{
	if (l == NULL)
		return;
	for (size_t i = 0; i < l->nnames; i++)
		free(l->names[i]);
	free(l->names);
	free(l->v4);
	free(l->v6);
	free(l);
}

/* llist_count - entries */
size_t llist_count(const struct llist *l)
{
	return l->n4 + l->n6 + l->nnames;
}

/* llist_has_ip - bisect the ranges */
int llist_has_ip(const struct llist *l, const char *ip)
{
	unsigned char a[16];
	if (ip == NULL)
		return 0;
	int v4 = inet_pton(AF_INET, ip, a) == 1;
	if (!v4 && inet_pton(AF_INET6, ip, a) != 1)
		return 0;
	static const unsigned char mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
	if (!v4 && memcmp(a, mapped, 12) == 0) {
		memmove(a, a + 12, 4);
		v4 = 1;
	}
	if (v4) {
		uint32_t x =
		    (uint32_t)a[0] << 24 | (uint32_t)a[1] << 16 | (uint32_t)a[2] << 8 | a[3];
		size_t lo = 0, hi = l->n4;
		while (lo < hi) { /* the last range starting at or below x */
			size_t mid = lo + (hi - lo) / 2;
			if (l->v4[mid].lo <= x)
				lo = mid + 1;
			else
				hi = mid;
		}
		return lo > 0 && x <= l->v4[lo - 1].hi;
	}
	size_t lo = 0, hi = l->n6;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (memcmp(l->v6[mid].lo, a, 16) <= 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo > 0 && memcmp(a, l->v6[lo - 1].hi, 16) <= 0;
}

/* has_name - exact (lower-case) name on the list */
static int has_name(const struct llist *l, const char *name)
{
	return l->nnames && bsearch(&name, l->names, l->nnames, sizeof(*l->names), cmpstr) != NULL;
}

/* lower - bounded lower-case copy without a final dot; -1 when too long */
static int lower(const char *s, char *out, size_t cap)
{
	size_t n = strlen(s);
	if (n && s[n - 1] == '.')
		n--;
	if (n >= cap)
		return -1;
	for (size_t i = 0; i < n; i++)
		out[i] = (char)tolower((unsigned char)s[i]);
	out[n] = '\0';
	return 0;
}

/* llist_has_domain - the domain or a parent of it */
int llist_has_domain(const struct llist *l, const char *d)
{
	char buf[512];
	if (d == NULL || *d == '\0' || lower(d, buf, sizeof(buf)) < 0)
		return 0;
	for (const char *p = buf; p; p = strchr(p, '.') ? strchr(p, '.') + 1 : NULL)
		if (*p && has_name(l, p))
			return 1;
	return 0;
}

/* llist_has_address - the address, or its domain */
int llist_has_address(const struct llist *l, const char *addr)
{
	char buf[1024];
	if (addr == NULL || lower(addr, buf, sizeof(buf)) < 0)
		return 0;
	if (has_name(l, buf))
		return 1;
	const char *at = strrchr(buf, '@');
	return at && llist_has_domain(l, at + 1);
}
