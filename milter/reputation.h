/*
 * reputation.h - DNSBL, RHSBL and iprev lookups for one connection, started early.
 */
#ifndef PORTCULLIS_REPUTATION_H
#define PORTCULLIS_REPUTATION_H

#include <stddef.h>
#include <time.h>

#include "compat.h"

struct dns;
struct replist;
struct findings;
struct rep;

/* rep_new - lookups over resolver d for the lists (both borrowed: they must outlive the
 * struct rep); iprev: also check the client's reverse DNS, within budget_ms of connect */
struct rep *rep_new(struct dns *d, const struct replist *lists, size_t nlists, int iprev,
		    unsigned budget_ms) WUR;
/* rep_free - cancel what is in flight and release */
void rep_free(struct rep *r);
/* rep_client - at connect: the client address on every DNSBL, iprev, and the MTA's name
 * for the client on the rhsbl lists that check "ptr"; -1 on memory */
int rep_client(struct rep *r, const char *addr, const char *name) WUR;
/* rep_helo - the HELO name on the rhsbl lists that check "helo" */
int rep_helo(struct rep *r, const char *helo) WUR;
/* rep_message - a new transaction: drop the sender and From lookups of the last one */
void rep_message(struct rep *r);
/* rep_sender - the envelope sender's domain on the lists that check "sender" */
int rep_sender(struct rep *r, const char *mail_from) WUR;
/* rep_from - a From domain on the lists that check "from" */
int rep_from(struct rep *r, const char *domain) WUR;
/* rep_uri - a URL's registrable domain (or IP-literal host) on the uribl lists (at most
 * 20 per message); known at the end of the message */
int rep_uri(struct rep *r, const char *domain) WUR;
/* rep_early_reject - at RCPT TO: the name of a dnsbl list marked "reject" that lists the
 * client (waiting for its answer until deadline at most), or NULL */
const char *rep_early_reject(struct rep *r, const struct timespec *deadline);
/* rep_dkim - the d= domain of a passing DKIM signature on the lists that check "dkim" */
int rep_dkim(struct rep *r, const char *domain) WUR;
/* rep_uri_host - a URL's full host name on the uribl lists marked "hosts" (same cap) */
int rep_uri_host(struct rep *r, const char *host) WUR;
/* rep_facts - wait for the answers (no longer than deadline) and add the findings:
 * dnsbl:LIST / rhsbl:LIST = the code returned, LIST.domain, LIST.identity,
 * LIST.temperror = why not known; iprev, iprev.name; -1 on memory */
int rep_facts(struct rep *r, const struct timespec *deadline, struct findings *f) WUR;
/* rep_iprev - after rep_facts: the iprev result ("pass", "fail", "temperror",
 * "permerror") and the name checked (may be NULL), or NULL when iprev did not run */
const char *rep_iprev(const struct rep *r, const char **name);

#endif
