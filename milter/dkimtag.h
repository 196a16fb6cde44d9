/*
 * dkimtag.h - DKIM tag=value lists (RFC 6376 3.2), base64 and dkim-quoted-printable, read
 * the way libopendkim 2.11 reads them, so that results and reasons stay what they were.
 */
#ifndef PORTCULLIS_DKIMTAG_H
#define PORTCULLIS_DKIMTAG_H

#include <stddef.h>

#include "compat.h"

#define DKT_TAGS_MAX 1024 /* tags per list: more is a syntax error (libopendkim: no limit) */

enum dkt_kind { DKT_SIGNATURE, DKT_KEY };

/* one tag; name and value are collapsed (white space removed) */
struct dkt_tag {
	const char *name;  /* borrowed from the list's text */
	const char *value; /* borrowed from the list's text, or a static default */
};

struct dkt_list {
	char *text;          /* owned: the parsed copy the tags point into */
	struct dkt_tag *tag; /* owned array of n */
	size_t n, cap;
};

/* dkt_parse - parse len bytes of s (up to a NUL) as a signature or a key record into l
 * (empty it with dkt_free, even on failure); 0, or -1 with libopendkim's message in err
 * ("missing parameter(s) in signature data", ...). Signatures must carry s h d b v a, a
 * well-formed d=, numeric t= and x=; c= and q= (k= for keys) get their defaults. */
int dkt_parse(struct dkt_list *l, enum dkt_kind kind, const char *s, size_t len, char *err,
	      size_t errlen) WUR;
/* dkt_get - the value of the tag named exactly name, or NULL */
const char *dkt_get(const struct dkt_list *l, const char *name);
/* dkt_free - release and empty */
void dkt_free(struct dkt_list *l);

/* dkt_b64_decode - decode s (stops at '=' or NUL, skips bytes outside the alphabet) into
 * out of cap bytes: the length, -1 when corrupt, -2 when it does not fit (libopendkim
 * checks 3 bytes ahead: callers pass strlen(s) as cap, as it does) */
int dkt_b64_decode(const char *s, unsigned char *out, size_t cap) WUR;
/* dkt_b64_encode - padded base64 of in into out (cap >= 4 * ((len + 2) / 3) + 1); length */
size_t dkt_b64_encode(const unsigned char *in, size_t len, char *out, size_t cap);
/* dkt_qp_decode - dkim-quoted-printable decode of in into out (at most cap bytes written,
 * not terminated); the decoded length (may exceed cap), or -1 at a bad "=XX" */
int dkt_qp_decode(const char *in, char *out, size_t cap);

/* ASCII classes of the C locale, as libopendkim's ctype calls see them */
static inline int dkt_space(unsigned char c)
{
	return c == ' ' || (c >= '\t' && c <= '\r');
}
static inline int dkt_alnum(unsigned char c)
{
	return (c >= '0' && c <= '9') || ((c | 32) >= 'a' && (c | 32) <= 'z');
}

#endif
