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

/* pol_builtin - the built-in policy: over-size is rejected, everything else accepted */
struct policy *pol_builtin(size_t message_size_max) WUR;
/* pol_free - release */
void pol_free(struct policy *p);
/* pol_decide - set v from the findings; -1 on memory failure */
int pol_decide(const struct policy *p, const struct findings *f, struct verdict *v) WUR;
/* pol_size_verdict - the verdict for a declared or counted size: 1 when it decided */
int pol_size_verdict(const struct policy *p, size_t size, struct verdict *v) WUR;

#endif
