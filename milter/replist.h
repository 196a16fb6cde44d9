/*
 * replist.h - one reputation list definition (a `dnsbl` or `rhsbl` line of portcullis.conf).
 *
 *	dnsbl NAME ZONE [listed CODES] [refused CODES] [reject]
 *	rhsbl NAME ZONE [check IDENTITIES] [listed CODES] [refused CODES]
 *	uribl NAME ZONE [hosts] [listed CODES] [refused CODES]	(the domains of a message's URLs;
 *		hosts: their full host names too)
 *
 * CODES: comma-separated IPv4 answers: an address, a range a-b, or mask:N (listed when the
 * answer is in 127/8 and its last octet has a bit of N). IDENTITIES (rhsbl): a comma list
 * of sender, from, helo, ptr, dkim.
 */
#ifndef PORTCULLIS_REPLIST_H
#define PORTCULLIS_REPLIST_H

#include <stddef.h>
#include <stdint.h>

#include "compat.h"

#define REPLIST_CODES_MAX 16
#define REPLIST_NAME_MAX 64

enum replist_kind { REPLIST_DNSBL = 0, REPLIST_RHSBL, REPLIST_URIBL };

/* identities an rhsbl list is asked about */
#define REPLIST_ID_SENDER 0x1
#define REPLIST_ID_FROM 0x2
#define REPLIST_ID_HELO 0x4
#define REPLIST_ID_PTR 0x8
#define REPLIST_ID_URL 0x10  /* a uribl list: the registrable domains of URLs */
#define REPLIST_ID_DKIM 0x20 /* the d= domain of each passing DKIM signature */

struct replist_codes {
	struct {
		uint32_t lo, hi; /* a range of answers (host order); mask: lo = hi = 0 */
		unsigned mask;   /* mask:N, or 0 */
	} c[REPLIST_CODES_MAX];
	size_t n; /* 0: the default */
};

struct replist {
	enum replist_kind kind;
	char name[REPLIST_NAME_MAX + 1]; /* letters, digits, '-', '_', '.' */
	char zone[256];                  /* no final dot */
	unsigned identities;             /* REPLIST_ID_*; rhsbl only */
	struct replist_codes listed;     /* default: any 127/8 answer not refused */
	struct replist_codes refused;    /* default: 127.255.255.252-127.255.255.255 */
	int reject;                      /* dnsbl: refuse a listed client at RCPT TO */
	int hosts;                       /* uribl: also each URL's full host name */
};

/* replist_parse - "NAME ZONE [...]" of kind into out; NULL, or what was expected */
const char *replist_parse(enum replist_kind kind, const char *text, struct replist *out);
/* replist_match - the meaning of an IPv4 answer (text): 1 listed, 0 not listed,
 * -1 refused (the list will not answer this resolver: a temperror, never a hit) */
int replist_match(const struct replist *l, const char *answer);

#endif
