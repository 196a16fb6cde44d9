/*
 * dkim.h - DKIM verification (RFC 6376, RFC 8463, RFC 8301) on OpenSSL, fed as the message
 * arrives, with every key lookup through dns.* and a shared cache of parsed keys. Results
 * and reasons are those libopendkim 2.11 gave (milter/dkim.c says how).
 *
 * The prefix is dkv_ ("DKIM verify").
 */
#ifndef PORTCULLIS_DKIM_H
#define PORTCULLIS_DKIM_H

#include <stddef.h>
#include <time.h>

#include "compat.h"

struct dns;

#define DKV_SIG_HARD_MAX 32 /* the most signatures a message may have checked */

/* RFC 8601 section 2.7.1 results */
enum dkv_res {
	DKV_NONE = 0,
	DKV_PASS,
	DKV_FAIL,
	DKV_NEUTRAL,
	DKV_POLICY,
	DKV_TEMPERROR,
	DKV_PERMERROR,
};

/* One signature's outcome. Texts are as found in the signature (cut to fit), "" if absent. */
struct dkv_sig {
	enum dkv_res result;
	char domain[256];   /* d=, lower case */
	char identity[256]; /* i= (default "@" d=) */
	char selector[128]; /* s= */
	char algorithm[32]; /* a= */
	char b8[9];         /* the first 8 characters of b=, to tell signatures apart */
	char reason[200];   /* why (for the A-R comment): "body hash mismatch", ... */
	unsigned keybits;   /* of the key used, 0 if no key was loaded */
	int testing;        /* the key says t=y */
};

/* The outcome for a message: one entry per DKIM-Signature header, in header order. */
struct dkv_result {
	struct dkv_sig *sigs; /* owned array of n */
	size_t n;
	size_t unchecked; /* of them, past dkim_signatures_max (result policy) */
};

/* Key cache counters (for the log and the benchmark). */
struct dkv_stats {
	unsigned long lookups, hits, stored, evicted;
};

struct dkv;
struct dkv_msg;

/* dkv_new - a verifier over the shared resolver (borrowed; must outlive it): at most
 * sig_max signatures checked per message (1..DKV_SIG_HARD_MAX), cache_max keys cached (0: no
 * cache). With prev (the previous generation's verifier, or NULL) of the same cache_max, the
 * cache is shared, so a reload keeps the keys. NULL when out of memory or OpenSSL has no
 * SHA-1/SHA-256. */
struct dkv *dkv_new(struct dns *d, unsigned sig_max, size_t cache_max, const struct dkv *prev) WUR;
/* dkv_free - release (no message may still use it) */
void dkv_free(struct dkv *v);
/* dkv_get_stats - a copy of the cache counters */
void dkv_get_stats(struct dkv *v, struct dkv_stats *out);

/* dkv_msg_new - start verifying one message; key lookups end at deadline (copied; NULL:
 * the per-query timeout only). NULL when out of memory. */
struct dkv_msg *dkv_msg_new(struct dkv *v, const struct timespec *deadline) WUR;
/* dkv_msg_header - one header: name without the colon, value as received after it */
void dkv_msg_header(struct dkv_msg *m, const char *name, const char *value);
/* dkv_msg_eoh - end of headers: the signatures are read and their keys fetched */
void dkv_msg_eoh(struct dkv_msg *m);
/* dkv_msg_body - a body chunk (CRLF or LF line ends) */
void dkv_msg_body(struct dkv_msg *m, const void *p, size_t len);
/* dkv_msg_eom - finish and report; -1 only when out of memory (out is then empty). */
int dkv_msg_eom(struct dkv_msg *m, struct dkv_result *out) WUR;
/* dkv_msg_free - release (at any stage) */
void dkv_msg_free(struct dkv_msg *m);

/* dkv_result_free - release and empty */
void dkv_result_free(struct dkv_result *r);
/* dkv_res_name - "pass", "fail", ... as in RFC 8601 */
const char *dkv_res_name(enum dkv_res r);

#endif
