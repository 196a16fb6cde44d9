/*
 * policy.h - findings (and, later, rule hits) in, verdict out.
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

struct pol_settings {
	size_t message_size_max; /* larger: reject 552 5.3.4 */
	int spf_reject_fail;     /* SPF fail: reject 550 5.7.23 */
	int dns_error_tempfail;  /* SPF temperror: tempfail 451 4.7.24 */
};

/* pol_builtin - the built-in policy (until the policy language): size, SPF */
struct policy *pol_builtin(const struct pol_settings *ps) WUR;
/* PLANNED (rules and policy issue) - the interface the policy language will provide:
 * pol_load - read policy_file (NULL: the stock defaults, which policy/policy.conf documents);
 *   NULL with every error as "file:line:col: message" in errs
 * struct policy *pol_load(const char *path, const struct pol_settings *ps,
 *                         struct errlist *errs) WUR;
 * pol_lists - match the allow and deny lists against the findings and add "allowlisted" /
 *   "denylisted" findings (value: what matched and file:line), before rules run
 * int pol_lists(const struct policy *p, struct findings *f) WUR;
 * pol_decide - findings and rule hits to a verdict (action, reply, score, reasons,
 *   decided_by, headers and Subject prefix of a tag)
 * int pol_decide(const struct policy *p, const struct findings *f,
 *                const struct rule_hit *hits, size_t nhits, struct verdict *v) WUR; */
/* pol_free - release */
void pol_free(struct policy *p);
/* pol_decide - set v from the findings; -1 on memory failure */
int pol_decide(const struct policy *p, const struct findings *f, struct verdict *v) WUR;
/* pol_size_verdict - the verdict for a declared or counted size: 1 when it decided */
int pol_size_verdict(const struct policy *p, size_t size, struct verdict *v) WUR;

#endif
