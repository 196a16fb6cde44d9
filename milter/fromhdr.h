/*
 * fromhdr.h - the author (RFC 5322 From) read strictly, for DMARC (RFC 7489 section 6.6.1),
 * with every ambiguity a reader could exploit named.
 */
#ifndef PORTCULLIS_FROMHDR_H
#define PORTCULLIS_FROMHDR_H

#include <stddef.h>

#include "compat.h"

/* problems, as bits of from_info.problems */
#define FROM_MISSING 0x001            /* no From header */
#define FROM_MULTIPLE_HEADERS 0x002   /* more than one From header */
#define FROM_MULTIPLE_ADDRESSES 0x004 /* more than one mailbox */
#define FROM_NO_DOMAIN 0x008          /* a mailbox without a domain (or no mailbox) */
#define FROM_ADDR_IN_DISPLAY 0x010    /* the display name looks like an address */
#define FROM_QUOTED_COMMA 0x020       /* a comma inside a quoted display name */
#define FROM_ENCODED_WORD                                                                          \
	0x040                       /* an encoded-word outside the display name, or one            \
				     * that decodes to address syntax */
#define FROM_SYNTAX 0x080           /* not an RFC 5322 mailbox-list */
#define FROM_MULTIPLE_DOMAINS 0x100 /* mailboxes with different domains */
#define FROM_GROUP 0x200            /* group syntax ("name: a@b;") */
#define FROM_PROBLEM_BITS 10

struct from_info {
	size_t headers;    /* From header fields */
	size_t addresses;  /* mailboxes in them */
	char domain[256];  /* the author domain (lower case, no final dot), or "" when there is
			    * not exactly one usable domain */
	unsigned problems; /* FROM_* bits */
};

/* from_parse - read the n From header values (raw, as received) strictly */
void from_parse(const char *const *values, size_t n, struct from_info *out);
/* from_problem_name - "missing", "multiple-headers", ... for one FROM_* bit */
const char *from_problem_name(unsigned bit);

#endif
