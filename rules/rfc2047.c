/*
 * rfc2047.c - decode MIME encoded-words in header values (RFC 2047).
 *
 * SYNOPSIS
 *	rfc2047_decode("=?iso-8859-1?Q?caf=E9?=", 22, &out)   out: "café" in UTF-8
 *
 * DESCRIPTION
 *	An encoded-word is =?charset?B|Q?text?= (a charset may carry an RFC
 *	2231 language, "utf-8*en", which is ignored). B is base64, Q is
 *	quoted-printable with '_' for a space. UTF-8 and US-ASCII are copied,
 *	ISO-8859-1 is widened by hand, any other charset goes through iconv.
 *	Blanks between two encoded-words are dropped (RFC 2047 section 6.2).
 *	A word that is malformed, in an unknown charset or that does not
 *	convert stays as it was: decoding never fails a message.
 *
 * THREAD SAFETY
 *	Reentrant: each conversion opens its own iconv descriptor.
 */
#include "config.h"

#include "rfc2047.h"

#include <iconv.h>
#include <string.h>
#include <strings.h>

#define WORD_MAX 1024 /* bytes of one encoded-word we try to decode (RFC 2047: 75) */

/* hexval - 0..15, or -1 */
static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* b64val - 0..63, or -1 */
static int b64val(char c)
{
	static const char set[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	const char *p = c ? strchr(set, c) : NULL;
	return p ? (int)(p - set) : -1;
}

/* unb64 - base64 text into raw bytes (out holds at least len bytes); -1 when malformed */
static long unb64(const char *s, size_t len, unsigned char *out)
{
	unsigned long acc = 0;
	int bits = 0;
	size_t n = 0, i = 0;
	for (; i < len && s[i] != '='; i++) {
		int v = b64val(s[i]);
		if (v < 0)
			return -1;
		acc = (acc << 6) | (unsigned)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[n++] = (unsigned char)(acc >> bits);
			acc &= (1ul << bits) - 1;
		}
	}
	for (; i < len; i++)
		if (s[i] != '=')
			return -1;
	return (long)n;
}

/* unq - Q text into raw bytes; -1 when malformed */
static long unq(const char *s, size_t len, unsigned char *out)
{
	size_t n = 0;
	for (size_t i = 0; i < len; i++) {
		if (s[i] == '_') {
			out[n++] = ' ';
		} else if (s[i] == '=') {
			int hi = i + 2 < len ? hexval(s[i + 1]) : -1;
			int lo = hi >= 0 ? hexval(s[i + 2]) : -1;
			if (lo < 0)
				return -1;
			out[n++] = (unsigned char)(hi * 16 + lo);
			i += 2;
		} else {
			out[n++] = (unsigned char)s[i];
		}
	}
	return (long)n;
}

/* to_utf8 - raw bytes in charset (cslen bytes) appended as UTF-8; 1 when the charset is
 * unknown or the bytes do not convert, -1 when out of memory */
static int to_utf8(const char *cs, size_t cslen, const unsigned char *raw, size_t n,
		   struct buf *out)
{
	char name[64];
	if (cslen == 0 || cslen >= sizeof(name))
		return 1;
	memcpy(name, cs, cslen);
	name[cslen] = '\0';
	if (strcasecmp(name, "utf-8") == 0 || strcasecmp(name, "us-ascii") == 0)
		return buf_add(out, raw, n) == BUF_NOMEM ? -1 : 0;
	if (strcasecmp(name, "iso-8859-1") == 0 || strcasecmp(name, "latin1") == 0) {
		for (size_t i = 0; i < n; i++) {
			unsigned char u[2] = {(unsigned char)(0xc0 | (raw[i] >> 6)),
					      (unsigned char)(0x80 | (raw[i] & 0x3f))};
			if (buf_add(out, raw[i] < 0x80 ? raw + i : u, raw[i] < 0x80 ? 1 : 2) ==
			    BUF_NOMEM)
				return -1;
		}
		return 0;
	}
	iconv_t cd = iconv_open("UTF-8", name);
	if (cd == (iconv_t)-1)
		return 1;
	char conv[WORD_MAX * 4];
	char *in = (char *)raw, *op = conv;
	size_t inleft = n, outleft = sizeof(conv);
	size_t rc = iconv(cd, &in, &inleft, &op, &outleft);
	if (rc != (size_t)-1)
		rc = iconv(cd, NULL, NULL, &op, &outleft);
	iconv_close(cd);
	if (rc == (size_t)-1)
		return 1;
	return buf_add(out, conv, (size_t)(op - conv)) == BUF_NOMEM ? -1 : 0;
}

/* word - decode the encoded-word at s (up to end); bytes used, 0 when s does not start a
 * well-formed word that decodes (nothing appended then), -1 when out of memory */
static long word(const char *s, const char *end, struct buf *out)
{
	if (end - s < 8 || s[0] != '=' || s[1] != '?')
		return 0;
	const char *cs = s + 2, *q1 = memchr(cs, '?', (size_t)(end - cs));
	if (q1 == NULL || q1 + 3 >= end || q1[2] != '?')
		return 0;
	char enc = q1[1];
	const char *text = q1 + 3, *stop = text;
	while (stop + 1 < end && !(stop[0] == '?' && stop[1] == '=') && stop - s < WORD_MAX)
		if (*stop == ' ' || *stop == '\t' || *stop == '\r' || *stop == '\n')
			return 0;
		else
			stop++;
	if (stop + 1 >= end || stop[0] != '?' || stop[1] != '=')
		return 0;
	const char *star = memchr(cs, '*', (size_t)(q1 - cs));
	size_t cslen = (size_t)((star ? star : q1) - cs);
	unsigned char raw[WORD_MAX];
	long n = enc == 'B' || enc == 'b'   ? unb64(text, (size_t)(stop - text), raw)
		 : enc == 'Q' || enc == 'q' ? unq(text, (size_t)(stop - text), raw)
					    : -1;
	if (n < 0)
		return 0;
	int rc = to_utf8(cs, cslen, raw, (size_t)n, out);
	if (rc != 0)
		return rc < 0 ? -1 : 0;
	return (long)(stop + 2 - s);
}

/* rfc2047_decode - the whole value */
int rfc2047_decode(const char *in, size_t len, struct buf *out)
{
	const char *s = in, *end = in + len;
	int after_word = 0; /* the last thing appended was a decoded word */
	while (s < end) {
		if (after_word && (*s == ' ' || *s == '\t')) {
			const char *t = s;
			while (t < end && (*t == ' ' || *t == '\t'))
				t++;
			long n = word(t, end, out);
			if (n < 0)
				return -1;
			if (n > 0) {
				s = t + n;
				continue;
			}
		}
		long n = *s == '=' ? word(s, end, out) : 0;
		if (n < 0)
			return -1;
		if (n > 0) {
			s += n;
			after_word = 1;
			continue;
		}
		after_word = 0;
		if (buf_add(out, s, 1) == BUF_NOMEM)
			return -1;
		s++;
	}
	return 0;
}
