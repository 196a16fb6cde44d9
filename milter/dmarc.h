/*
 * dmarc.h - DMARC (RFC 7489) on libopendmarc, with the record fetched through dns.*.
 */
#ifndef PORTCULLIS_DMARC_H
#define PORTCULLIS_DMARC_H

#include <stddef.h>
#include <time.h>

#include "compat.h"
#include "errlist.h"
#include "spf.h"

struct dns;
struct dkv_result;

enum dmarc_res {
	DMARC_R_NONE = 0,
	DMARC_R_PASS,
	DMARC_R_FAIL,
	DMARC_R_TEMPERROR,
	DMARC_R_PERMERROR
};
enum dmarc_pol { DMARC_P_UNSET = 0, DMARC_P_NONE, DMARC_P_QUARANTINE, DMARC_P_REJECT };

/* What DMARC needs of a message. All borrowed. */
struct dmarc_input {
	const char *client_ip;         /* textual address */
	const char *from_domain;       /* the author domain (fromhdr.c), or NULL/"": none usable */
	const char *from_problem;      /* why there is none, for the reason */
	const char *spf_domain;        /* domain SPF checked (MAIL FROM, or HELO for <>) */
	enum spf_res spf_result;       /* and its result */
	int spf_helo;                  /* spf_domain is the HELO name */
	const struct dkv_result *dkim; /* the DKIM outcome, or NULL */
};

/* The outcome: all the data an aggregate report row needs. */
struct dmarc_outcome {
	enum dmarc_res result;
	char from_domain[256];      /* header.from */
	char org_domain[256];       /* its organisational domain (public suffix list) */
	char record_domain[256];    /* where the record was found, "" if none */
	char record[512];           /* the record text (cut), "" if none */
	enum dmarc_pol policy;      /* requested: p, or sp for a subdomain under an org record */
	enum dmarc_pol disposition; /* applied: after pct sampling; none for pass */
	int pct;
	char adkim, aspf; /* 'r' or 's' */
	int dkim_aligned, spf_aligned;
	char dkim_domain[256]; /* d= of the aligned passing signature, else of a passing one */
	char reason[400];      /* for the A-R comment and the log */
};

struct dmarc;

/* dmarc_new - an evaluator over the shared resolver (borrowed), with the public suffix list
 * from psl_file (libopendmarc keeps it process-wide: the first file loaded stays until
 * restart); NULL with the reason in errs */
struct dmarc *dmarc_new(struct dns *d, const char *psl_file, const char *conf_file,
			struct errlist *errs) WUR;
/* dmarc_free - release */
void dmarc_free(struct dmarc *dm);
/* dmarc_check - evaluate; DNS ends at deadline (NULL: per-query timeout). -1 only when out of
 * memory. */
int dmarc_check(struct dmarc *dm, const struct dmarc_input *in, const struct timespec *deadline,
		struct dmarc_outcome *out) WUR;
/* dmarc_org_domain - the organisational domain of domain into out */
void dmarc_org_domain(const char *domain, char *out, size_t cap);
/* dmarc_res_name - "pass", "fail", "none", "temperror", "permerror" */
const char *dmarc_res_name(enum dmarc_res r);
/* dmarc_pol_name - "none", "quarantine", "reject" ("" when unset) */
const char *dmarc_pol_name(enum dmarc_pol p);

#endif
