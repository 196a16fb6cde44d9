/*
 * cidr.h - IP address ranges ("192.0.2.0/24", "2001:db8::/32", or one address).
 */
#ifndef PORTCULLIS_CIDR_H
#define PORTCULLIS_CIDR_H

#include <stddef.h>

#include "compat.h"

struct cidr {
	int family;             /* AF_INET or AF_INET6 */
	unsigned char addr[16]; /* network order; 4 bytes used for IPv4 */
	unsigned bits;          /* prefix length */
};

/* cidr_parse - "address" or "address/bits"; 0, or -1 when malformed (host bits set are
 * accepted and ignored, as Postfix's mynetworks does) */
int cidr_parse(const char *s, struct cidr *out) WUR;
/* cidr_match - is the textual address ip inside c? An IPv4-mapped IPv6 address
 * (::ffff:192.0.2.1) is matched as IPv4. 0 for anything that is not an address. */
int cidr_match(const struct cidr *c, const char *ip);
/* cidr_match_text - is ip inside any of the n textual ranges in v? */
int cidr_match_text(char *const *v, size_t n, const char *ip);

#endif
