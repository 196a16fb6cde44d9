/*
 * policy.c - the verdict engine.
 *
 * DESCRIPTION
 *	Reads only findings (and, from the rules issue on, rule hits) and
 *	produces a verdict. Knows nothing of libmilter. For now the policy is
 *	built in: a message over message_size_max is rejected with
 *	552 5.3.4, anything else is accepted. The policy language
 *	(policy.conf) replaces the built-in table without changing this
 *	interface.
 *
 * THREAD SAFETY
 *	A policy is immutable and shared through the generation.
 */
#include "config.h"

#include "policy.h"

#include <stdlib.h>

#include "findings.h"
#include "verdict.h"

struct policy {
	size_t message_size_max;
};

/* pol_builtin - make the built-in policy */
struct policy *pol_builtin(size_t message_size_max)
{
	struct policy *p = calloc(1, sizeof(*p));
	if (p)
		p->message_size_max = message_size_max;
	return p;
}

/* pol_free - release */
void pol_free(struct policy *p)
{
	free(p);
}

/* pol_size_verdict - reject what is larger than allowed */
int pol_size_verdict(const struct policy *p, size_t size, struct verdict *v)
{
	if (size <= p->message_size_max)
		return 0;
	if (vd_set(v, VD_REJECT, "552", "5.3.4",
		   "Message size exceeds fixed maximum message size") < 0 ||
	    vd_add_reason(v, "size.oversize") < 0)
		return -1;
	return 1;
}

/* pol_decide - findings to verdict */
int pol_decide(const struct policy *p, const struct findings *f, struct verdict *v)
{
	vd_init(v);
	if (fnd_get(f, "size.oversize")) {
		int rc = pol_size_verdict(p, (size_t)-1, v);
		return rc < 0 ? -1 : 0;
	}
	return 0;
}
