/*
 * json.c - JSON string escaping for machine-readable output.
 *
 * DESCRIPTION
 *	Mail is full of bytes that are not valid UTF-8; JSON must be. Valid
 *	UTF-8 sequences pass through, controls are escaped, and any other
 *	byte becomes U+FFFD so that a reader never chokes on a log line.
 */
#include "config.h"

#include "json.h"

#include <stdio.h>

/* utf8_len - length of the valid UTF-8 sequence at p, 0 if invalid */
static size_t utf8_len(const unsigned char *p)
{
	unsigned char c = p[0];
	size_t n;
	unsigned cp;
	if (c < 0x80)
		return 1;
	if (c >= 0xC2 && c <= 0xDF) {
		n = 2;
		cp = c & 0x1F;
	} else if (c >= 0xE0 && c <= 0xEF) {
		n = 3;
		cp = c & 0x0F;
	} else if (c >= 0xF0 && c <= 0xF4) {
		n = 4;
		cp = c & 0x07;
	} else
		return 0;
	for (size_t i = 1; i < n; i++) {
		if ((p[i] & 0xC0) != 0x80)
			return 0;
		cp = (cp << 6) | (p[i] & 0x3F);
	}
	if ((n == 3 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))) ||
	    (n == 4 && (cp < 0x10000 || cp > 0x10FFFF)))
		return 0;
	return n;
}

/* json_str - quoted, escaped */
int json_str(struct buf *b, const char *s)
{
	if (buf_add(b, "\"", 1) != BUF_OK)
		return -1;
	const unsigned char *p = (const unsigned char *)s;
	while (*p) {
		int rc;
		size_t n = utf8_len(p);
		if (*p == '"' || *p == '\\')
			rc = buf_printf(b, "\\%c", *p);
		else if (*p == '\n')
			rc = buf_adds(b, "\\n");
		else if (*p == '\r')
			rc = buf_adds(b, "\\r");
		else if (*p == '\t')
			rc = buf_adds(b, "\\t");
		else if (*p < 0x20 || *p == 0x7F)
			rc = buf_printf(b, "\\u%04x", *p);
		else if (n == 0) {
			rc = buf_adds(b, "\\ufffd");
			n = 1;
		} else
			rc = buf_add(b, p, n);
		if (rc != BUF_OK)
			return -1;
		p += n ? n : 1;
	}
	return buf_add(b, "\"", 1) == BUF_OK ? 0 : -1;
}
