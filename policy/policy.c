/*
 * policy.c - the verdict engine.
 *
 * DESCRIPTION
 *	Reads only findings (and, from the rules issue on, rule hits) and
 *	produces a verdict. Knows nothing of libmilter. For now the policy is
 *	built in: a message over message_size_max is rejected with
 *	552 5.3.4; SPF results score (fail 3, softfail 1, permerror 0.5), SPF
 *	fail is rejected 550 5.7.23 when spf_reject_fail is set, SPF temperror
 *	tempfails 451 4.7.24 when on_dns_error is tempfail; anything else is
 *	accepted. The policy language
 *	(policy.conf) replaces the built-in table without changing this
 *	interface.
 *
 * THREAD SAFETY
 *	A policy is immutable and shared through the generation.
 */
#include "config.h"

#include "policy.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "findings.h"
#include "verdict.h"

struct policy {
	struct pol_settings set;
};

/* score of each SPF result (the policy language will make these editable) */
static const struct {
	const char *result;
	double score;
} spf_scores[] = {{"fail", 3.0}, {"softfail", 1.0}, {"permerror", 0.5}};

/* pol_builtin - make the built-in policy */
struct policy *pol_builtin(const struct pol_settings *ps)
{
	struct policy *p = calloc(1, sizeof(*p));
	if (p)
		p->set = *ps;
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
	if (size <= p->set.message_size_max)
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
	const char *spf = fnd_get(f, "spf");
	if (spf == NULL)
		return 0;
	for (size_t i = 0; i < sizeof(spf_scores) / sizeof(spf_scores[0]); i++)
		if (strcmp(spf, spf_scores[i].result) == 0)
			v->score += spf_scores[i].score;
	char reason[64];
	snprintf(reason, sizeof(reason), "spf=%s", spf);
	if (p->set.spf_reject_fail && strcmp(spf, "fail") == 0)
		return vd_set(v, VD_REJECT, "550", "5.7.23", "SPF validation failed") < 0 ||
			       vd_add_reason(v, reason) < 0
			   ? -1
			   : 0;
	if (p->set.dns_error_tempfail && strcmp(spf, "temperror") == 0)
		return vd_set(v, VD_TEMPFAIL, "451", "4.7.24",
			      "Temporary DNS failure checking SPF, please try again later") < 0 ||
			       vd_add_reason(v, reason) < 0
			   ? -1
			   : 0;
	if (v->score > 0 && vd_add_reason(v, reason) < 0)
		return -1;
	return 0;
}
