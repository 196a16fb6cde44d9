/*
 * nxdns.h - a DNS server for tests that answers NXDOMAIN to every query.
 */
#ifndef PORTCULLIS_NXDNS_H
#define PORTCULLIS_NXDNS_H

#include <stddef.h>

struct dns;

/* nxdns_start - serve on 127.0.0.1 (UDP, a free port) in a thread; the port, or -1.
 * Queries for exactly one of the n names in fail (no final dot, any case) get SERVFAIL,
 * i.e. a DNS failure; every other query gets NXDOMAIN. One server per process: the
 * functions below act on it. */
int nxdns_start(const char *const *fail, size_t n);
/* nxdns_hold - from now on, keep queries for name unanswered until nxdns_release */
void nxdns_hold(const char *name);
/* nxdns_release - answer the held queries and stop holding */
void nxdns_release(void);
/* nxdns_seen - queries received so far for name (any case) */
unsigned nxdns_seen(const char *name);
/* nxdns_wait_seen - wait up to ms milliseconds until nxdns_seen(name) >= n; 1 if it did */
int nxdns_wait_seen(const char *name, unsigned n, unsigned ms);

/* nxdns_resolver - nxdns_start(fail, n), and a resolver (2 s per query) that forwards to it;
 * NULL (with the reason on stderr) when it cannot be made */
struct dns *nxdns_resolver(const char *const *fail, size_t n, const char *who);

#endif
