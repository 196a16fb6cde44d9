/*
 * policy.h - findings and rule hits in, verdict out.
 *
 * The policy file (policy_file; grammar in policy/README and portcullis.policy(5)) holds the
 * score thresholds, the `on` actions over findings, the replies, the tag headers and the
 * allow and deny lists. A loaded policy is immutable and shared by every thread through the
 * generation.
 */
#ifndef PORTCULLIS_POLICY_H
#define PORTCULLIS_POLICY_H

#include <stddef.h>

#include "compat.h"

struct findings;
struct verdict;
struct policy;
struct rule_hit;
struct errlist;

/* The portcullis.conf settings the policy acts on: they behave as built-in `on` actions. */
struct pol_settings {
	size_t message_size_max; /* larger: reject 552 5.3.4 */
	int spf_reject_fail;     /* SPF fail: reject 550 5.7.23 */
	int dns_error_tempfail;  /* SPF temperror: tempfail 451 4.7.24 */
};

/* pol_load - read a policy file (NULL: the built-in defaults, which policy/policy.conf
 * spells out); NULL with every error as "file:line:col: message" in errs */
struct policy *pol_load(const char *path, const struct pol_settings *ps, struct errlist *errs) WUR;
/* pol_free - release */
void pol_free(struct policy *p);
/* pol_lists - match the allow and deny lists against the findings and add an "allowlisted"
 * and/or "denylisted" finding (value: "FILE:LINE: allow KIND VALUE (what matched)"); run it
 * before the rules so that they can name them. -1 on memory failure. */
int pol_lists(const struct policy *p, struct findings *f) WUR;
/* pol_decide - findings and rule hits to a verdict: action, reply, score, reasons,
 * decided_by, tag headers and Subject prefix. v is initialised here (the caller frees it
 * with vd_free). -1 on memory failure. */
int pol_decide(const struct policy *p, const struct findings *f, const struct rule_hit *hits,
	       size_t nhits, struct verdict *v) WUR;
/* pol_tag_header - the names of the headers a tag adds (i = 0: the flag header, 1: the
 * score header; NULL when off or past the end); incoming copies are removed from every
 * message, so nobody upstream can fake them */
const char *pol_tag_header(const struct policy *p, size_t i);
/* Where a quarantined message goes (`quarantine-to`). */
enum pol_qdest {
	PQ_AUTO = 0, /* the store when quarantine_dir is set, else the MTA's hold */
	PQ_STORE,    /* the store only: the MTA is told to drop its copy */
	PQ_HOLD,     /* the MTA's hold queue only (smfi_quarantine) */
	PQ_BOTH,     /* a copy in the store and the MTA's hold */
};
/* pol_quarantine_to - the policy's quarantine destination */
enum pol_qdest pol_quarantine_to(const struct policy *p);
/* pol_qdest_name - "auto", "store", "hold", "both" */
const char *pol_qdest_name(enum pol_qdest d);
/* pol_size_verdict - the verdict for a declared or counted size: 1 when it decided */
int pol_size_verdict(const struct policy *p, size_t size, struct verdict *v) WUR;

#endif
