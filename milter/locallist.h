/*
 * locallist.h - local lists: files of addresses/networks, domains or mail addresses.
 *
 * One entry per line; '#' starts a comment; blank lines are ignored.
 *	LL_IP:      192.0.2.7  192.0.2.0/24  2001:db8::/32
 *	LL_DOMAIN:  example.com           (and its subdomains)
 *	LL_ADDRESS: user@example.com      (that address), or a domain as above
 * Lookups cost O(log n): a list of a million networks answers in about a microsecond.
 */
#ifndef PORTCULLIS_LOCALLIST_H
#define PORTCULLIS_LOCALLIST_H

#include <stddef.h>

#include "compat.h"
#include "errlist.h"

enum ll_kind { LL_IP = 0, LL_DOMAIN, LL_ADDRESS };

struct llist;

/* llist_load - read path; NULL with every bad line as file:line: message in errs */
struct llist *llist_load(const char *path, enum ll_kind kind, struct errlist *errs) WUR;
/* llist_free - release */
void llist_free(struct llist *l);
/* llist_count - entries loaded (after merging overlapping networks) */
size_t llist_count(const struct llist *l);
/* llist_has_ip - is the textual address inside one of the networks? (IPv4-mapped = IPv4) */
int llist_has_ip(const struct llist *l, const char *ip);
/* llist_has_domain - is d, or a domain it is under, on the list? (case ignored) */
int llist_has_domain(const struct llist *l, const char *d);
/* llist_has_address - is the address, or its domain (or a parent), on the list? */
int llist_has_address(const struct llist *l, const char *addr);

#endif
