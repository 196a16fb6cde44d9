/*
 * spf.h - SPF (RFC 7208) on libspf2, with all DNS through dns.*.
 */
#ifndef PORTCULLIS_SPF_H
#define PORTCULLIS_SPF_H

#include <time.h>

#include "compat.h"

struct dns;

enum spf_res {
	SPFR_NONE = 0,
	SPFR_NEUTRAL,
	SPFR_PASS,
	SPFR_FAIL,
	SPFR_SOFTFAIL,
	SPFR_TEMPERROR,
	SPFR_PERMERROR,
};

enum spf_identity { SPF_ID_MAILFROM = 0, SPF_ID_HELO };

struct spf_outcome {
	enum spf_res result;
	enum spf_identity identity;
	char *sender;      /* owned: the identity checked, "postmaster@helo" for HELO */
	char *domain;      /* owned: its domain */
	char *reason;      /* owned: why, for a comment in A-R and the log */
	char *explanation; /* owned: the domain's explanation (fail), or NULL */
	unsigned lookups;  /* DNS queries made */
	unsigned voids;    /* of them NXDOMAIN or no data (RFC 7208 4.6.4) */
};

struct spf;

/* spf_new - an evaluator over the shared resolver; rec_dom names this host in comments */
struct spf *spf_new(struct dns *d, const char *rec_dom, unsigned timeout_ms) WUR;
/* spf_free - release */
void spf_free(struct spf *s);
/* spf_check - evaluate one identity for client_ip; sender is the MAIL FROM address ("" for
 * the null sender, which is checked as postmaster@helo); deadline bounds all DNS (NULL: none
 * but the per-query timeout). -1 only when out of memory; *out is the caller's to free. */
int spf_check(struct spf *s, const char *client_ip, const char *helo, const char *sender,
	      enum spf_identity id, const struct timespec *deadline, struct spf_outcome *out) WUR;
/* spf_outcome_free - release the strings */
void spf_outcome_free(struct spf_outcome *o);
/* spf_outcome_copy - a deep copy into dst; -1 when out of memory (dst then empty) */
int spf_outcome_copy(struct spf_outcome *dst, const struct spf_outcome *src) WUR;
/* spf_result_name - "pass", "fail", ... as in RFC 7208 and RFC 8601 */
const char *spf_result_name(enum spf_res r);

#endif
