/*
 * addr.h - the addresses in an address header (From:, Reply-To:), RFC 5322 section 3.4.
 */
#ifndef PORTCULLIS_ADDR_H
#define PORTCULLIS_ADDR_H

#include <stddef.h>

#include "compat.h"

#define ADDR_MAX 32       /* addresses taken from one header */
#define ADDR_TEXT_MAX 512 /* bytes kept of one address */

struct addr {
	char local[ADDR_TEXT_MAX]; /* local part as written (quotes kept), may be "" */
	char domain[256];          /* lower case, no final dot; "" when there is none */
};

/* addr_parse_list - the mailboxes of a header value (comments, quoted strings, display
 * names, groups and folding handled); how many were written to out (at most max). Never
 * fails: what cannot be read as an address is skipped. */
size_t addr_parse_list(const char *value, struct addr *out, size_t max);

#endif
