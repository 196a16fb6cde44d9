/*
 * dkimtag.c - DKIM tag=value lists, base64 and dkim-quoted-printable.
 *
 * SYNOPSIS
 *	dkt_parse(&list, DKT_SIGNATURE, text, len, err, sizeof(err));
 *	v = dkt_get(&list, "bh"); ... dkt_free(&list);
 *
 * DESCRIPTION
 *	The reading is libopendkim 2.11's (dkim_process_set), so that a
 *	signature or key record is accepted, refused and described exactly
 *	as before: a tag name starts with a letter or digit and may not
 *	contain white space; white space is removed from names and values
 *	("collapsed"); a repeated tag replaces the earlier one when its name
 *	starts with the same byte and matches without regard to case (the
 *	earlier spelling is kept, and look-ups match spellings exactly); a
 *	control or 8-bit byte anywhere is an error. A signature must carry
 *	s h d b v a, a d= of letters, digits, '-', '_' and '.', and decimal
 *	t= and x=; c= (simple/simple) and q= (dns/txt) get defaults, a key
 *	record gets k=rsa. The error texts are libopendkim's, so that the
 *	A-R comments built from them do not change.
 *	Deviation: more than DKT_TAGS_MAX tags is an error here (a bound on
 *	the quadratic search for repeats).
 *
 * THREAD SAFETY
 *	Stateless; a list belongs to its caller.
 */
#include "config.h"

#include "dkimtag.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const char b64_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* collapse - remove white space in place */
static void collapse(char *s)
{
	char *r = s;
	for (; *s; s++)
		if (!dkt_space((unsigned char)*s))
			*r++ = *s;
	*r = '\0';
}

/* add - a tag (force: replace the value of a repeat; else keep it) */
static int add(struct dkt_list *l, const char *name, const char *value, int force)
{
	for (size_t i = 0; i < l->n; i++)
		if (l->tag[i].name[0] == name[0] && strcasecmp(l->tag[i].name, name) == 0) {
			if (force)
				l->tag[i].value = value;
			return 0;
		}
	if (l->n == DKT_TAGS_MAX)
		return -1;
	if (l->n == l->cap) {
		size_t cap = l->cap ? 2 * l->cap : 16;
		struct dkt_tag *t = realloc(l->tag, cap * sizeof(*t));
		if (t == NULL)
			return -1;
		l->tag = t;
		l->cap = cap;
	}
	l->tag[l->n++] = (struct dkt_tag){name, value};
	return 0;
}

/* number_ok - a t= or x= value libopendkim accepts: decimal, no sign but '+', < 2^64-1 */
static int number_ok(const char *v)
{
	if (v[0] == '-' || v[0] == '\0')
		return 0;
	char *end;
	errno = 0;
	unsigned long long n = strtoull(v, &end, 10);
	return n != UINT64_MAX && errno == 0 && *end == '\0';
}

/* d_ok - a d= of letters, digits, '-', '_', '.' (the CVE-2020-12272 check) */
static int d_ok(const char *d)
{
	for (; *d; d++)
		if (!dkt_alnum((unsigned char)*d) && *d != '-' && *d != '_' && *d != '.')
			return 0;
	return 1;
}

/* finish - the checks and defaults of each kind: 0, -1 (err set), -2 (too many tags) */
static int finish(struct dkt_list *l, enum dkt_kind kind, char *err, size_t errlen)
{
	if (kind == DKT_KEY)
		return add(l, "k", "rsa", 0) < 0 ? -2 : 0;
	static const char *const need[] = {"s", "h", "d", "b", "v", "a"};
	for (size_t i = 0; i < ARRAY_LEN(need); i++)
		if (dkt_get(l, need[i]) == NULL) {
			snprintf(err, errlen, "missing parameter(s) in signature data");
			return -1;
		}
	if (!d_ok(dkt_get(l, "d"))) {
		snprintf(err, errlen, "malformed \"d=\" tag value");
		return -1;
	}
	static const char *const num[] = {"t", "x"};
	for (size_t i = 0; i < ARRAY_LEN(num); i++) {
		const char *v = dkt_get(l, num[i]);
		if (v && !number_ok(v)) {
			snprintf(err, errlen, "invalid \"%s\" value in signature data", num[i]);
			return -1;
		}
	}
	return add(l, "c", "simple/simple", 0) < 0 || add(l, "q", "dns/txt", 0) < 0 ? -2 : 0;
}

/* dkt_parse - libopendkim's dkim_process_set */
int dkt_parse(struct dkt_list *l, enum dkt_kind kind, const char *s, size_t len, char *err,
	      size_t errlen)
{
	memset(l, 0, sizeof(*l));
	const char *what = kind == DKT_SIGNATURE ? "signature" : "key";
	size_t n = strnlen(s, len);
	if ((l->text = malloc(n + 1)) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	memcpy(l->text, s, n);
	l->text[n] = '\0';
	char *param = NULL, *value = NULL;
	int state = 0, spaced = 0;
	for (char *p = l->text; *p; p++) {
		unsigned char c = (unsigned char)*p;
		int off = (int)(p - l->text);
		if (c >= 0x7f || (c < 0x20 && !dkt_space(c))) {
			snprintf(err, errlen,
				 "invalid character (ASCII 0x%02x at offset %d) in %s data", c, off,
				 what);
			return -1;
		}
		switch (state) {
		case 0: /* before a name */
			if (dkt_space(c))
				continue;
			if (!dkt_alnum(c))
				goto syntax;
			param = p;
			state = 1;
			break;
		case 1: /* in a name */
			if (dkt_space(c))
				spaced = 1;
			else if (c == '=') {
				*p = '\0';
				state = 2;
				spaced = 0;
			} else if (c == ';' || spaced)
				goto syntax;
			break;
		case 2: /* before a value */
			if (dkt_space(c))
				continue;
			if (c == ';') {
				*p = '\0';
				collapse(param);
				if (add(l, param, p, 1) < 0)
					goto toomany;
				param = value = NULL;
				state = 0;
			} else {
				value = p;
				state = 3;
			}
			break;
		default: /* in a value */
			if (c == ';') {
				*p = '\0';
				collapse(param);
				collapse(value);
				if (add(l, param, value, 1) < 0)
					goto toomany;
				param = value = NULL;
				state = 0;
			}
		}
		continue;
	syntax:
		snprintf(err, errlen, "syntax error in %s data (ASCII 0x%02x at offset %d)", what,
			 c, off);
		return -1;
	}
	if (state == 1) {
		snprintf(err, errlen, "tag without value at end of %s data", what);
		return -1;
	}
	if (state == 3) {
		collapse(param);
		collapse(value);
		if (add(l, param, value, 1) < 0)
			goto toomany;
	} else if (state == 2 && add(l, param, "", 1) < 0) /* libopendkim: name not collapsed */
		goto toomany;
	int rc = finish(l, kind, err, errlen);
	if (rc == -2)
		goto toomany;
	return rc;
toomany:
	snprintf(err, errlen, "too many tags in %s data", what);
	return -1;
}

/* dkt_get - exact name */
const char *dkt_get(const struct dkt_list *l, const char *name)
{
	for (size_t i = 0; i < l->n; i++)
		if (strcmp(l->tag[i].name, name) == 0)
			return l->tag[i].value;
	return NULL;
}

/* dkt_free - release */
void dkt_free(struct dkt_list *l)
{
	free(l->text);
	free(l->tag);
	memset(l, 0, sizeof(*l));
}

/* b64_value - the 6 bits of an alphabet byte, -1 for any other */
static int b64_value(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	return c == '+' ? 62 : c == '/' ? 63 : -1;
}

/* dkt_b64_decode - libopendkim's dkim_base64_decode */
int dkt_b64_decode(const char *s, unsigned char *out, size_t cap)
{
	size_t n = 0;
	unsigned long bits = 0;
	int count = 0;
	for (; *s != '=' && *s != '\0'; s++) {
		int v = b64_value((unsigned char)*s);
		if (v < 0)
			continue;
		bits += (unsigned long)v;
		if (n + 3 > cap)
			return -2;
		if (++count == 4) {
			out[n++] = (unsigned char)(bits >> 16);
			out[n++] = (unsigned char)(bits >> 8);
			out[n++] = (unsigned char)bits;
			bits = 0;
			count = 0;
		} else
			bits <<= 6;
	}
	switch (count) {
	case 1: return -1;
	case 2:
		if (n + 1 > cap)
			return -2;
		out[n++] = (unsigned char)(bits >> 10);
		break;
	case 3:
		if (n + 2 > cap)
			return -2;
		out[n++] = (unsigned char)(bits >> 16);
		out[n++] = (unsigned char)(bits >> 8);
		break;
	}
	return (int)n;
}

/* dkt_b64_encode - padded base64 */
size_t dkt_b64_encode(const unsigned char *in, size_t len, char *out, size_t cap)
{
	size_t n = 0;
	for (size_t i = 0; i < len && n + 5 <= cap; i += 3) {
		unsigned long v = (unsigned long)in[i] << 16;
		if (i + 1 < len)
			v |= (unsigned long)in[i + 1] << 8;
		if (i + 2 < len)
			v |= in[i + 2];
		out[n++] = b64_alphabet[(v >> 18) & 63];
		out[n++] = b64_alphabet[(v >> 12) & 63];
		out[n++] = i + 1 < len ? b64_alphabet[(v >> 6) & 63] : '=';
		out[n++] = i + 2 < len ? b64_alphabet[v & 63] : '=';
	}
	if (cap)
		out[n < cap ? n : cap - 1] = '\0';
	return n;
}

/* hexval - an upper-case hex digit's value (libopendkim accepts no lower case), or -1 */
static int hexval(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	return c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

/* put - one decoded byte, counted whether or not it fits */
static void put(char *out, size_t cap, size_t *q, int *count, char c)
{
	(*count)++;
	if (*q < cap)
		out[(*q)++] = c;
}

/* dkt_qp_decode - libopendkim's dkim_qp_decode for collapsed values (no white space); a
 * "=" without two digits before the end is an error here (libopendkim reads past the end) */
int dkt_qp_decode(const char *in, char *out, size_t cap)
{
	const char *start = NULL, *p;
	size_t q = 0;
	int count = 0;
	for (p = in; *p; p++) {
		if (*p != '=') {
			if (start == NULL)
				start = p;
			continue;
		}
		int hi = p[1] ? hexval((unsigned char)p[1]) : -1;
		int lo = hi >= 0 && p[2] ? hexval((unsigned char)p[2]) : -1;
		if (hi < 0 || lo < 0)
			return -1; /* the pending run is not written, as in libopendkim */
		for (; start && start < p; start++)
			put(out, cap, &q, &count, *start);
		start = NULL;
		put(out, cap, &q, &count, (char)(16 * hi + lo));
		p += 2;
	}
	for (; start && start < p; start++)
		put(out, cap, &q, &count, *start);
	return count;
}
