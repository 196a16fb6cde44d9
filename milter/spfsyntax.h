/*
 * spfsyntax.h - strict RFC 7208 (section 12 ABNF) syntax check of an SPF record's text,
 * and the exact rewrite of a valid record into text that libspf2 evaluates as RFC 7208 does.
 */
#ifndef PORTCULLIS_SPFSYNTAX_H
#define PORTCULLIS_SPFSYNTAX_H

#include <stddef.h>

#include "compat.h"

/* spfsyntax_check - is rec (len bytes, NULs allowed and invalid) a valid SPF record?
 * 0: valid; -1: invalid, with a short reason in why (always NUL-terminated when
 * whylen > 0; why may be NULL when whylen is 0). */
int spfsyntax_check(const char *rec, size_t len, char *why, size_t whylen) WUR;

/* spfsyntax_is_spf - does the text start with "v=spf1" (any case) followed by SP or its
 * end, i.e. is it an SPF record at all (RFC 7208 4.5)? 1 or 0 */
int spfsyntax_is_spf(const char *rec, size_t len);

/* spfsyntax_normalize - the text libspf2 should compile for the SPF record rec (len bytes)
 * when the client is of the given family (AF_INET or AF_INET6; an IPv4-mapped client is
 * AF_INET) and helo_known says whether %{h} can be expanded: unknown modifiers dropped,
 * redirect= moved to the end, CIDR lengths of 0 rewritten where an exact equivalent
 * exists. A record that fails spfsyntax_check comes back unchanged. Newly allocated
 * (free it); NULL when out of memory. */
char *spfsyntax_normalize(const char *rec, size_t len, int family, int helo_known) WUR;

#endif
