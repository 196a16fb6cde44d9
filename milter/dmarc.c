/*
 * dmarc.c - DMARC (RFC 7489) on libopendmarc over the shared resolver.
 *
 * SYNOPSIS
 *	dm = dmarc_new(dns, "/usr/share/publicsuffix/public_suffix_list.dat", file, errs);
 *	dmarc_check(dm, &input, deadline, &outcome);
 *
 * DESCRIPTION
 *	The author domain comes from fromhdr.c (strict RFC 5322); without one
 *	the result is permerror. The policy record is fetched here (never by
 *	libopendmarc's own resolver): _dmarc.<author domain>, and when that
 *	has no DMARC record, _dmarc.<organisational domain> (section 6.6.3),
 *	the organisational domain coming from the public suffix list that
 *	libopendmarc loaded (Debian's publicsuffix package). Exactly one
 *	record starting "v=DMARC1" counts; several, or none, mean no policy.
 *	A DNS failure is temperror; a record libopendmarc cannot parse is
 *	permerror. libopendmarc then gets the record
 *	(opendmarc_policy_store_dmarc), the SPF result with its domain and
 *	every passing DKIM signature (aligned ones first), and decides
 *	alignment (adkim/aspf, relaxed through the organisational domain)
 *	and which of p and sp applies. The pct sampling (section 6.6.4) is
 *	done here: a failing message outside the sample gets the next milder
 *	disposition (reject -> quarantine -> none).
 *
 * THREAD SAFETY
 *	libopendmarc's library state (the suffix list) is process-wide and
 *	set once under a mutex; a policy context is per call.
 */
#include "config.h"

#include "dmarc.h"

#include <arpa/inet.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/param.h>
#include <unistd.h>

#include <opendmarc/dmarc.h>

#include "dkim.h"
#include "dns.h"

/* exported by libopendmarc 1.4 but missing from its public header */
int opendmarc_get_tld(unsigned char *domain, unsigned char *tld, size_t tld_len);

struct dmarc {
	struct dns *dns; /* borrowed from the generation */
};

static pthread_mutex_t lib_lock = PTHREAD_MUTEX_INITIALIZER;
static OPENDMARC_LIB_T lib_state; /* libopendmarc keeps a pointer to it */
static int lib_ready;             /* under lib_lock */

static const char *const res_names[] = {"none", "pass", "fail", "temperror", "permerror"};
static const char *const pol_names[] = {"", "none", "quarantine", "reject"};

/* dmarc_res_name - RFC 8601 name */
const char *dmarc_res_name(enum dmarc_res r)
{
	return (unsigned)r < ARRAY_LEN(res_names) ? res_names[r] : "permerror";
}

/* dmarc_pol_name - policy name */
const char *dmarc_pol_name(enum dmarc_pol p)
{
	return (unsigned)p < ARRAY_LEN(pol_names) ? pol_names[p] : "";
}

/* dmarc_new - load the suffix list once, then an evaluator */
struct dmarc *dmarc_new(struct dns *d, const char *psl_file, const char *conf_file,
			struct errlist *errs)
{
	pthread_mutex_lock(&lib_lock);
	int ok = lib_ready;
	if (!ok) {
		if (access(psl_file, R_OK) != 0 ||
		    strlen(psl_file) >= sizeof(lib_state.tld_source_file))
			errlist_add(
			    errs, conf_file, 0,
			    "public_suffix_list: cannot read %s (install Debian's publicsuffix)",
			    psl_file);
		else {
			memset(&lib_state, 0, sizeof(lib_state));
			lib_state.tld_type = OPENDMARC_TLD_TYPE_MOZILLA;
			memcpy(lib_state.tld_source_file, psl_file, strlen(psl_file) + 1);
			ok = lib_ready =
			    opendmarc_policy_library_init(&lib_state) == DMARC_PARSE_OKAY;
			if (!ok)
				errlist_add(errs, conf_file, 0, "public_suffix_list: %s not loaded",
					    psl_file);
		}
	}
	pthread_mutex_unlock(&lib_lock);
	if (!ok)
		return NULL;
	struct dmarc *dm = calloc(1, sizeof(*dm));
	if (dm == NULL) {
		errlist_add(errs, conf_file, 0, "out of memory");
		return NULL;
	}
	dm->dns = d;
	return dm;
}

/* dmarc_free - release */
void dmarc_free(struct dmarc *dm)
{
	free(dm);
}

/* dmarc_org_domain - the organisational domain (the domain itself when the list says so) */
void dmarc_org_domain(const char *domain, char *out, size_t cap)
{
	unsigned char in[256], tld[256];
	snprintf((char *)in, sizeof(in), "%s", domain);
	memset(tld, 0, sizeof(tld));
	if (opendmarc_get_tld(in, tld, sizeof(tld)) != 0 || tld[0] == '\0')
		snprintf(out, cap, "%s", domain);
	else
		snprintf(out, cap, "%s", (char *)tld);
}

/* fetch - the DMARC record at _dmarc.domain: 1 found (into rec), 0 none, -1 DNS failure */
static int fetch(struct dmarc *dm, const char *domain, const struct timespec *dl, char *rec,
		 size_t cap)
{
	char name[300];
	if (snprintf(name, sizeof(name), "_dmarc.%s", domain) >= (int)sizeof(name))
		return 0;
	struct dns_answer *a = dns_lookup(dm->dns, name, DNS_T_TXT, dl);
	if (a == NULL)
		return -1;
	int rc = 0;
	if (a->status == DNS_TEMPFAIL || a->status == DNS_ERROR || a->status == DNS_BOGUS)
		rc = -1;
	else if (a->status == DNS_OK) {
		size_t found = 0;
		for (size_t i = 0; i < a->n; i++) {
			const struct dns_rr *r = &a->rr[i];
			if (r->len < 8 || strncmp(r->data, "v=DMARC1", 8) != 0 ||
			    (r->len > 8 && r->data[8] != ';' && r->data[8] != ' ' &&
			     r->data[8] != '\t'))
				continue;
			if (found++ == 0)
				snprintf(rec, cap, "%s", r->data);
		}
		rc = found == 1; /* several records: no policy (section 6.6.3 step 5) */
	}
	dns_answer_free(a);
	return rc;
}

/* to_pol - libopendmarc's p/sp value as ours */
static enum dmarc_pol to_pol(int v)
{
	switch (v) {
	case DMARC_RECORD_P_NONE: return DMARC_P_NONE;
	case DMARC_RECORD_P_QUARANTINE: return DMARC_P_QUARANTINE;
	case DMARC_RECORD_P_REJECT: return DMARC_P_REJECT;
	default: return DMARC_P_UNSET;
	}
}

/* aligns - relaxed alignment of d with the author domain (organisational domains equal) */
static int aligns(const char *d, const char *org)
{
	char o[256];
	dmarc_org_domain(d, o, sizeof(o));
	return strcasecmp(o, org) == 0;
}

/* store_auth - the SPF result and the DKIM signatures (passing, aligned first) */
static void store_auth(DMARC_POLICY_T *p, const struct dmarc_input *in, const char *org)
{
	if (in->spf_domain && in->spf_domain[0]) {
		int r = in->spf_result == SPFR_PASS        ? DMARC_POLICY_SPF_OUTCOME_PASS
			: in->spf_result == SPFR_TEMPERROR ? DMARC_POLICY_SPF_OUTCOME_TMPFAIL
			: in->spf_result == SPFR_NONE      ? DMARC_POLICY_SPF_OUTCOME_NONE
							   : DMARC_POLICY_SPF_OUTCOME_FAIL;
		(void)opendmarc_policy_store_spf(p, (unsigned char *)in->spf_domain, r,
						 in->spf_helo ? DMARC_POLICY_SPF_ORIGIN_HELO
							      : DMARC_POLICY_SPF_ORIGIN_MAILFROM,
						 NULL);
	}
	for (int pass = 0; in->dkim && pass < 2; pass++)
		for (size_t i = 0; i < in->dkim->n; i++) {
			const struct dkv_sig *s = &in->dkim->sigs[i];
			if (s->result != DKV_PASS || s->domain[0] == '\0' ||
			    aligns(s->domain, org) != (pass == 0))
				continue;
			(void)opendmarc_policy_store_dkim(p, (unsigned char *)s->domain,
							  (unsigned char *)s->selector,
							  DMARC_POLICY_DKIM_OUTCOME_PASS, NULL);
		}
}

/* first_pass - d= of a passing signature: aligned (want 1) or any */
static const char *first_pass(const struct dkv_result *r, const char *org, int want_aligned)
{
	for (size_t i = 0; r && i < r->n; i++)
		if (r->sigs[i].result == DKV_PASS &&
		    (!want_aligned || aligns(r->sigs[i].domain, org)))
			return r->sigs[i].domain;
	return NULL;
}

/* evaluate - libopendmarc on a found record */
static int evaluate(const struct dmarc_input *in, int at_org, struct dmarc_outcome *out)
{
	int ipv6 = strchr(in->client_ip, ':') != NULL;
	DMARC_POLICY_T *p = opendmarc_policy_connect_init((unsigned char *)in->client_ip,
							  ipv6 ? DMARC_POLICY_IP_TYPE_IPV6
							       : DMARC_POLICY_IP_TYPE_IPV4);
	if (p == NULL)
		return -1;
	int st = opendmarc_policy_store_dmarc(p, (unsigned char *)out->record,
					      (unsigned char *)out->from_domain,
					      at_org ? (unsigned char *)out->org_domain : NULL);
	if (st != DMARC_PARSE_OKAY) {
		out->result = DMARC_R_PERMERROR;
		snprintf(out->reason, sizeof(out->reason), "policy record of %s: %s",
			 out->record_domain, opendmarc_policy_status_to_str(st));
		opendmarc_policy_connect_shutdown(p);
		return 0;
	}
	store_auth(p, in, out->org_domain);
	int verdict = opendmarc_get_policy_to_enforce(p);
	int pv = 0, spv = 0, adkim = 0, aspf = 0, da = 0, sa = 0;
	(void)opendmarc_policy_fetch_p(p, &pv);
	(void)opendmarc_policy_fetch_sp(p, &spv);
	(void)opendmarc_policy_fetch_pct(p, &out->pct);
	(void)opendmarc_policy_fetch_adkim(p, &adkim);
	(void)opendmarc_policy_fetch_aspf(p, &aspf);
	(void)opendmarc_policy_fetch_alignment(p, &da, &sa);
	opendmarc_policy_connect_shutdown(p);
	out->adkim = (char)adkim;
	out->aspf = (char)aspf;
	out->policy = at_org && to_pol(spv) != DMARC_P_UNSET ? to_pol(spv) : to_pol(pv);
	out->dkim_aligned = da == DMARC_POLICY_DKIM_ALIGNMENT_PASS;
	out->spf_aligned = sa == DMARC_POLICY_SPF_ALIGNMENT_PASS;
	const char *dd = first_pass(in->dkim, out->org_domain, 1);
	if (dd == NULL)
		dd = first_pass(in->dkim, out->org_domain, 0);
	snprintf(out->dkim_domain, sizeof(out->dkim_domain), "%s", dd ? dd : "");
	if (verdict == DMARC_POLICY_PASS) {
		out->result = DMARC_R_PASS;
		out->disposition = DMARC_P_NONE;
		snprintf(out->reason, sizeof(out->reason), "%s%s%s aligned",
			 out->dkim_aligned ? "DKIM" : "",
			 out->dkim_aligned && out->spf_aligned ? " and " : "",
			 out->spf_aligned ? "SPF" : "");
		return 0;
	}
	out->result = DMARC_R_FAIL;
	out->disposition = out->policy;
	if (out->pct >= 0 && out->pct < 100 && arc4random_uniform(100) >= (unsigned)out->pct &&
	    out->disposition > DMARC_P_NONE)
		out->disposition--; /* outside the sample: the next milder one (6.6.4) */
	snprintf(out->reason, sizeof(out->reason), "neither DKIM nor SPF aligned with %s",
		 out->from_domain);
	return 0;
}

/* dmarc_check - the whole evaluation */
int dmarc_check(struct dmarc *dm, const struct dmarc_input *in, const struct timespec *deadline,
		struct dmarc_outcome *out)
{
	memset(out, 0, sizeof(*out));
	out->pct = 100;
	if (in->from_domain == NULL || in->from_domain[0] == '\0') {
		out->result = DMARC_R_PERMERROR;
		snprintf(out->reason, sizeof(out->reason), "no usable author domain (%s)",
			 in->from_problem ? in->from_problem : "From header");
		return 0;
	}
	snprintf(out->from_domain, sizeof(out->from_domain), "%s", in->from_domain);
	dmarc_org_domain(out->from_domain, out->org_domain, sizeof(out->org_domain));
	int at_org = 0;
	int f = fetch(dm, out->from_domain, deadline, out->record, sizeof(out->record));
	if (f == 0 && strcasecmp(out->org_domain, out->from_domain) != 0) {
		f = fetch(dm, out->org_domain, deadline, out->record, sizeof(out->record));
		at_org = 1;
	}
	if (f < 0) {
		out->result = DMARC_R_TEMPERROR;
		snprintf(out->reason, sizeof(out->reason), "DNS failure fetching the policy of %s",
			 at_org ? out->org_domain : out->from_domain);
		return 0;
	}
	if (f == 0) {
		out->result = DMARC_R_NONE;
		snprintf(out->reason, sizeof(out->reason), "no policy published for %s",
			 out->from_domain);
		return 0;
	}
	snprintf(out->record_domain, sizeof(out->record_domain), "%s",
		 at_org ? out->org_domain : out->from_domain);
	return evaluate(in, at_org, out);
}
