/*
 * mimecharset.c - text in a declared charset to UTF-8.
 *
 * SYNOPSIS
 *	int unknown;
 *	mime_utf8("iso-8859-2", data, len, &out, &unknown)
 *
 * DESCRIPTION
 *	Charset names go through GMime's alias table and iconv cache
 *	(g_mime_iconv_open: "latin1", "cp1252", "ks_c_5601-1987" ...). Mail
 *	often lies about its charset or leaves it out: text declared (or
 *	defaulted to) US-ASCII or UTF-8 is taken as UTF-8 when it is valid
 *	UTF-8 and as windows-1252 otherwise, which is what such text nearly
 *	always is; an unknown charset gets the same treatment and is reported.
 *	A byte sequence that does not convert becomes U+FFFD and conversion
 *	goes on: the result is always valid UTF-8.
 *
 * THREAD SAFETY
 *	Reentrant (GMime's iconv cache locks itself).
 */
#include "config.h"

#include <errno.h>
#include <iconv.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <gmime/gmime.h>

#include "mimeint.h"

/* windows-1252 0x80..0x9F as Unicode (0: undefined, read as U+FFFD) */
static const unsigned short cp1252[32] = {
    0x20AC, 0,      0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160,
    0x2039, 0x0152, 0,      0x017D, 0,      0,      0x2018, 0x2019, 0x201C, 0x201D, 0x2022,
    0x2013, 0x2014, 0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0,      0x017E, 0x0178};

/* mime_cp1252 - see mimeint.h */
unsigned mime_cp1252(unsigned char c)
{
	return c >= 0x80 && c <= 0x9F ? cp1252[c - 0x80] : 0;
}

/* seq - the length of the well-formed sequence of more than one byte at p (p < e, *p >=
 * 0x80), or 0: no overlongs, surrogates or values past U+10FFFF */
static size_t seq(const unsigned char *p, const unsigned char *e)
{
	size_t n;
	unsigned lo = 0x80, hi = 0xBF;
	if (*p >= 0xC2 && *p <= 0xDF)
		n = 1;
	else if (*p >= 0xE0 && *p <= 0xEF) {
		n = 2;
		lo = *p == 0xE0 ? 0xA0 : 0x80;
		hi = *p == 0xED ? 0x9F : 0xBF;
	} else if (*p >= 0xF0 && *p <= 0xF4) {
		n = 3;
		lo = *p == 0xF0 ? 0x90 : 0x80;
		hi = *p == 0xF4 ? 0x8F : 0xBF;
	} else
		return 0;
	if ((size_t)(e - p) <= n || p[1] < lo || p[1] > hi)
		return 0;
	for (size_t i = 2; i <= n; i++)
		if ((p[i] & 0xC0) != 0x80)
			return 0;
	return n + 1;
}

/* mime_utf8_valid - well-formed UTF-8 */
int mime_utf8_valid(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s, *e = p + len;
	while (p < e) {
		if (*p < 0x80) { /* ASCII: eight bytes at a time while it lasts */
			uint64_t w;
			p++;
			while (e - p >= 8 && (memcpy(&w, p, 8), (w & 0x8080808080808080u) == 0))
				p += 8;
			continue;
		}
		size_t n = seq(p, e);
		if (n == 0)
			return 0;
		p += n;
	}
	return 1;
}

/* put_cp - one code point as UTF-8 (BMP only is needed here) */
static int put_cp(struct buf *out, unsigned cp)
{
	char u[3];
	size_t n;
	if (cp < 0x80) {
		u[0] = (char)cp;
		n = 1;
	} else if (cp < 0x800) {
		u[0] = (char)(0xC0 | cp >> 6);
		u[1] = (char)(0x80 | (cp & 0x3F));
		n = 2;
	} else {
		u[0] = (char)(0xE0 | cp >> 12);
		u[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
		u[2] = (char)(0x80 | (cp & 0x3F));
		n = 3;
	}
	return buf_add(out, u, n);
}

/* add - append, a full buffer being no error: 1 room left, 0 full, -1 out of memory */
static int add(struct buf *out, const char *p, size_t n)
{
	int rc = buf_add(out, p, n);
	return rc == BUF_NOMEM ? -1 : rc == BUF_TOOBIG ? 0 : 1;
}

/* from_1252 - windows-1252 (ISO-8859-1 but for 0x80..0x9F) to UTF-8 */
static int from_1252(const char *in, size_t len, struct buf *out)
{
	size_t run = 0; /* ASCII bytes not yet copied */
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)in[i];
		if (c < 0x80) {
			run++;
			continue;
		}
		int rc = add(out, in + i - run, run);
		run = 0;
		if (rc <= 0)
			return rc;
		unsigned cp = c >= 0xA0 ? c : cp1252[c - 0x80] ? cp1252[c - 0x80] : 0xFFFD;
		rc = put_cp(out, cp);
		if (rc == BUF_NOMEM)
			return -1;
		if (rc == BUF_TOOBIG)
			return 0;
	}
	return add(out, in + len - run, run) < 0 ? -1 : 0;
}

/* plain - undeclared, ASCII or UTF-8: UTF-8 if it is, else windows-1252 */
static int plain(const char *in, size_t len, struct buf *out)
{
	if (mime_utf8_valid(in, len))
		return add(out, in, len) < 0 ? -1 : 0;
	return from_1252(in, len, out);
}

/* is_plain - a charset name that plain() handles */
static int is_plain(const char *cs)
{
	static const char *const names[] = {"us-ascii",  "ascii",          "utf-8",
					    "utf8",      "ansi_x3.4-1968", "iso-646-us",
					    "x-unknown", "unknown-8bit",   "default"};
	for (size_t i = 0; i < ARRAY_LEN(names); i++)
		if (strcasecmp(cs, names[i]) == 0)
			return 1;
	return 0;
}

/* mime_utf8_as_is - what mime_utf8 would copy unchanged: plain() on valid UTF-8 */
int mime_utf8_as_is(const char *charset, const char *in, size_t len)
{
	return (charset == NULL || *charset == '\0' || is_plain(charset)) &&
	       mime_utf8_valid(in, len);
}

/* convert - through iconv; a sequence that does not convert becomes U+FFFD */
static int convert(iconv_t cd, const char *in, size_t len, struct buf *out)
{
	char tmp[4096];
	char *ip = (char *)in;
	size_t il = len;
	while (il > 0) {
		char *op = tmp;
		size_t ol = sizeof(tmp);
		size_t r = iconv(cd, &ip, &il, &op, &ol);
		int e = errno;
		int rc = add(out, tmp, (size_t)(op - tmp));
		if (rc <= 0)
			return rc;
		if (r != (size_t)-1 || e == E2BIG)
			continue;
		/* EILSEQ, or EINVAL (cut short at the end): one byte stands for U+FFFD */
		rc = add(out, "\xEF\xBF\xBD", 3);
		if (rc <= 0)
			return rc;
		ip++;
		il--;
		iconv(cd, NULL, NULL, NULL, NULL);
	}
	return 0;
}

/* repair - out's bytes from start on as UTF-8 that is well-formed: each byte that starts
 * no well-formed sequence becomes U+FFFD. iconv's output needs it when glibc takes a
 * charset for UTF-8 ("utf-8" with junk around the name) and passes sequences past
 * U+10FFFF through. -1 when out of memory. */
static int repair(struct buf *out, size_t start)
{
	size_t n = out->len - start;
	unsigned char *copy = malloc(n);
	if (copy == NULL)
		return -1;
	memcpy(copy, out->data + start, n);
	out->len = start;
	out->data[start] = '\0';
	const unsigned char *p = copy, *e = copy + n, *run = p; /* run: kept, not yet added */
	int rc = 1;
	while (p < e && rc > 0) {
		size_t k = *p < 0x80 ? 1 : seq(p, e);
		if (k) {
			p += k;
			continue;
		}
		rc = add(out, (const char *)run, (size_t)(p - run));
		if (rc > 0)
			rc = add(out, "\xEF\xBF\xBD", 3);
		run = ++p;
	}
	if (rc > 0)
		rc = add(out, (const char *)run, (size_t)(p - run));
	free(copy);
	return rc < 0 ? -1 : 0;
}

/* mime_utf8 - to UTF-8 */
int mime_utf8(const char *charset, const char *in, size_t len, struct buf *out, int *unknown)
{
	*unknown = 0;
	if (charset == NULL || *charset == '\0' || is_plain(charset))
		return plain(in, len, out);
	if (strcasecmp(charset, "iso-8859-1") == 0 || strcasecmp(charset, "latin1") == 0 ||
	    strcasecmp(charset, "windows-1252") == 0 || strcasecmp(charset, "cp1252") == 0)
		return from_1252(in, len, out); /* browsers read ISO-8859-1 as windows-1252 too */
	iconv_t cd = g_mime_iconv_open("UTF-8", charset);
	if (cd == (iconv_t)-1) {
		*unknown = 1;
		return plain(in, len, out);
	}
	size_t start = out->len;
	int rc = convert(cd, in, len, out);
	g_mime_iconv_close(cd);
	if (rc >= 0 && out->len > start && !mime_utf8_valid(out->data + start, out->len - start))
		rc = repair(out, start);
	return rc < 0 ? -1 : 0;
}
