/*
 * nxdns.h - a DNS server for tests that answers NXDOMAIN to every query.
 */
#ifndef PORTCULLIS_NXDNS_H
#define PORTCULLIS_NXDNS_H

#include <stddef.h>

/* nxdns_start - serve on 127.0.0.1 (UDP, a free port) in a thread; the port, or -1.
 * Queries for exactly one of the n names in fail (no final dot, any case) get SERVFAIL,
 * i.e. a DNS failure; every other query gets NXDOMAIN. */
int nxdns_start(const char *const *fail, size_t n);

#endif
