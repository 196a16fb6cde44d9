/*
 * scan_auth.c - the scan pipeline's DKIM and DMARC steps: feeding, findings, A-R entries.
 *
 * DESCRIPTION
 *	Like SPF, DKIM and DMARC run only for a client with an IP address (not
 *	for a local submission, nor for `portcullis check` without
 *	--client-ip). DKIM is fed as the message arrives: the first stored header creates
 *	the message's handle, each stored header and body chunk goes to it,
 *	the end of the headers fetches the keys. At the end of the message
 *	scan_auth collects the signatures' outcomes, reads the From header(s)
 *	strictly (fromhdr.c) and evaluates DMARC with the SPF and DKIM
 *	results. The findings and the Authentication-Results entries are
 *	built here from what scan_auth kept in the message; scan.c calls in.
 *
 *	Findings: dkim (one value per signature: pass fail neutral policy
 *	temperror permerror, or none), dkim.pass.domain (d= of each passing
 *	signature), dkim.signature ("d=... s=... a=... b=...: result (why)"),
 *	dkim.unchecked; header.from.addresses, header.from.problem (each
 *	FROM_* found), header.from.author_domain; dmarc (pass fail none
 *	temperror permerror), dmarc.policy (requested: p, or sp), dmarc.disposition
 *	(applied, after pct), dmarc.header_from, dmarc.org_domain,
 *	dmarc.record_domain, dmarc.pct, dmarc.alignment.dkim,
 *	dmarc.alignment.spf, dmarc.reason, and dmarc.report: one line with
 *	what an aggregate report row needs.
 *
 * THREAD SAFETY
 *	Per message.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "authres.h"
#include "dkim.h"
#include "dmarc.h"
#include "findings.h"
#include "fromhdr.h"
#include "generation.h"
#include "message.h"
#include "scan.h"
#include "session.h"

#define FROM_VALUES_MAX 16 /* From headers looked at (more: still counted) */

/* scan_header - the last stored header to DKIM (the handle made on the first) */
int scan_header(struct message *m)
{
	if (m->gen->dkim == NULL || !m->remote || m->nhdr == 0)
		return 0;
	if (m->dkim == NULL && (m->dkim = dkv_msg_new(m->gen->dkim, &m->dns_deadline)) == NULL)
		return -1;
	const struct header *h = &m->hdrs[m->nhdr - 1];
	dkv_msg_header(m->dkim, h->name, h->value);
	return 0;
}

/* scan_eoh - end of headers for DKIM */
void scan_eoh(struct message *m)
{
	if (m->dkim)
		dkv_msg_eoh(m->dkim);
}

/* scan_body - a body chunk for DKIM */
void scan_body(struct message *m, const void *p, size_t len)
{
	if (m->dkim)
		dkv_msg_body(m->dkim, p, len);
}

/* read_from - the From headers, strictly */
static void read_from(struct message *m)
{
	const char *v[FROM_VALUES_MAX];
	size_t n = 0, total = 0;
	for (size_t i = 0; i < m->nhdr; i++)
		if (strcasecmp(m->hdrs[i].name, "From") == 0 && total++ < FROM_VALUES_MAX)
			v[n++] = m->hdrs[i].value;
	from_parse(v, n, &m->from);
	m->from.headers = total;
}

/* first_problem - the name of the first FROM_* bit set */
static const char *first_problem(unsigned bits)
{
	for (unsigned i = 0; i < FROM_PROBLEM_BITS; i++)
		if (bits & (1u << i))
			return from_problem_name(1u << i);
	return NULL;
}

/* scan_auth - DKIM outcome, author, DMARC */
int scan_auth(const struct session *s, struct message *m)
{
	if (m->auth_done)
		return 0;
	m->auth_done = 1;
	if (m->dkim && dkv_msg_eom(m->dkim, &m->dkim_res) < 0)
		return -1;
	read_from(m);
	if (m->gen->dmarc == NULL || !m->remote)
		return 0;
	const struct spf_outcome *o = m->spf_checked ? &m->spf_mailfrom : NULL;
	struct dmarc_input in = {
	    .client_ip = s->client_addr,
	    .from_domain = m->from.domain,
	    .from_problem = first_problem(m->from.problems),
	    .spf_domain = o ? o->domain : NULL,
	    .spf_result = o ? o->result : SPFR_NONE,
	    .spf_helo = m->mail_from[0] == '\0',
	    .dkim = m->gen->dkim ? &m->dkim_res : NULL,
	};
	if (dmarc_check(m->gen->dmarc, &in, &m->dns_deadline, &m->dmarc) < 0)
		return -1;
	m->dmarc_checked = 1;
	const struct dmarc_outcome *d = &m->dmarc;
	if (d->policy)
		snprintf(m->dmarc_comment, sizeof(m->dmarc_comment), "p=%s dis=%s pct=%d; %s",
			 dmarc_pol_name(d->policy),
			 d->disposition ? dmarc_pol_name(d->disposition) : "none", d->pct,
			 d->reason);
	else
		snprintf(m->dmarc_comment, sizeof(m->dmarc_comment), "%s", d->reason);
	return 0;
}

/* dkim_facts - one value per signature */
static int dkim_facts(const struct message *m, struct findings *f)
{
	const struct dkv_result *r = &m->dkim_res;
	if (r->n == 0)
		return fnd_add(f, "dkim", "none");
	for (size_t i = 0; i < r->n; i++) {
		const struct dkv_sig *g = &r->sigs[i];
		if (fnd_add(f, "dkim", "%s", dkv_res_name(g->result)) < 0 ||
		    (g->result == DKV_PASS &&
		     fnd_add(f, "dkim.pass.domain", "%s", g->domain) < 0) ||
		    fnd_add(f, "dkim.signature", "d=%s s=%s a=%s b=%s: %s (%s)", g->domain,
			    g->selector, g->algorithm, g->b8, dkv_res_name(g->result),
			    g->reason) < 0)
			return -1;
	}
	if (r->unchecked && fnd_add(f, "dkim.unchecked", "%zu", r->unchecked) < 0)
		return -1;
	return 0;
}

/* from_facts - the strict reading of the author */
static int from_facts(const struct message *m, struct findings *f)
{
	const struct from_info *a = &m->from;
	if (fnd_add(f, "header.from.addresses", "%zu", a->addresses) < 0 ||
	    (a->domain[0] && fnd_add(f, "header.from.author_domain", "%s", a->domain) < 0))
		return -1;
	for (unsigned i = 0; i < FROM_PROBLEM_BITS; i++)
		if ((a->problems & (1u << i)) &&
		    fnd_add(f, "header.from.problem", "%s", from_problem_name(1u << i)) < 0)
			return -1;
	return 0;
}

/* report_line - what an aggregate report row needs, in one finding */
static int report_line(const struct session *s, const struct message *m, struct findings *f)
{
	const struct dmarc_outcome *d = &m->dmarc;
	char dk[512];
	size_t n = 0;
	dk[0] = '\0';
	for (size_t i = 0; i < m->dkim_res.n && n < sizeof(dk); i++) {
		int w =
		    snprintf(dk + n, sizeof(dk) - n, "%s%s:%s", i ? "," : "",
			     m->dkim_res.sigs[i].domain, dkv_res_name(m->dkim_res.sigs[i].result));
		if (w < 0)
			break;
		n += (size_t)w;
	}
	const struct spf_outcome *o = &m->spf_mailfrom;
	return fnd_add(f, "dmarc.report",
		       "source_ip=%s header_from=%s envelope_from=%s spf=%s:%s dkim=%s dmarc=%s "
		       "policy=%s disposition=%s",
		       s->client_addr, d->from_domain[0] ? d->from_domain : "-",
		       m->mail_from[0] ? m->mail_from : "<>",
		       m->spf_checked && o->domain ? o->domain : "-",
		       m->spf_checked ? spf_result_name(o->result) : "none", dk[0] ? dk : "-",
		       dmarc_res_name(d->result), d->policy ? dmarc_pol_name(d->policy) : "-",
		       d->disposition ? dmarc_pol_name(d->disposition) : "none");
}

/* dmarc_facts - the DMARC outcome */
static int dmarc_facts(const struct session *s, const struct message *m, struct findings *f)
{
	const struct dmarc_outcome *d = &m->dmarc;
	if (fnd_add(f, "dmarc", "%s", dmarc_res_name(d->result)) < 0 ||
	    fnd_add(f, "dmarc.reason", "%s", d->reason) < 0 ||
	    (d->from_domain[0] && (fnd_add(f, "dmarc.header_from", "%s", d->from_domain) < 0 ||
				   fnd_add(f, "dmarc.org_domain", "%s", d->org_domain) < 0)))
		return -1;
	if (d->record_domain[0] &&
	    (fnd_add(f, "dmarc.record_domain", "%s", d->record_domain) < 0 ||
	     (d->policy && fnd_add(f, "dmarc.policy", "%s", dmarc_pol_name(d->policy)) < 0) ||
	     (d->disposition &&
	      fnd_add(f, "dmarc.disposition", "%s", dmarc_pol_name(d->disposition)) < 0) ||
	     fnd_add(f, "dmarc.pct", "%d", d->pct) < 0 ||
	     (d->adkim && fnd_add(f, "dmarc.alignment.dkim", "%s%s%s (adkim=%c)",
				  d->dkim_aligned ? "pass" : "fail", d->dkim_domain[0] ? " " : "",
				  d->dkim_domain, d->adkim) < 0) ||
	     (d->aspf && fnd_add(f, "dmarc.alignment.spf", "%s (aspf=%c)",
				 d->spf_aligned ? "pass" : "fail", d->aspf) < 0)))
		return -1;
	return report_line(s, m, f);
}

/* scan_auth_facts - all of them */
int scan_auth_facts(const struct session *s, const struct message *m, struct findings *f)
{
	if ((m->gen->dkim && m->remote && dkim_facts(m, f) < 0) || from_facts(m, f) < 0)
		return -1;
	return m->dmarc_checked ? dmarc_facts(s, m, f) : 0;
}

/* scan_auth_results - counts for the caller's arrays */
size_t scan_auth_results(const struct message *m, size_t *nprops)
{
	size_t n = 0;
	*nprops = 0;
	if (m->gen->dkim && m->remote) {
		n += m->dkim_res.n ? m->dkim_res.n : 1;
		*nprops += 5 * m->dkim_res.n;
	}
	if (m->dmarc_checked) {
		n++;
		*nprops += 2;
	}
	return n;
}

/* scan_auth_fill - dkim= per signature (or dkim=none), then dmarc= */
size_t scan_auth_fill(const struct message *m, struct ar_result *r, struct ar_prop *props)
{
	size_t n = 0, np = 0;
	if (m->gen->dkim && m->remote && m->dkim_res.n == 0)
		r[n++] = (struct ar_result){"dkim", "none", "no signatures", NULL, 0};
	for (size_t i = 0; m->gen->dkim && i < m->dkim_res.n; i++) {
		const struct dkv_sig *g = &m->dkim_res.sigs[i];
		struct ar_prop *p = &props[np];
		size_t k = 0;
		if (g->domain[0])
			p[k++] = (struct ar_prop){"header", "d", g->domain};
		if (g->identity[0])
			p[k++] = (struct ar_prop){"header", "i", g->identity};
		if (g->selector[0])
			p[k++] = (struct ar_prop){"header", "s", g->selector};
		if (g->algorithm[0])
			p[k++] = (struct ar_prop){"header", "a", g->algorithm};
		if (g->b8[0])
			p[k++] = (struct ar_prop){"header", "b", g->b8};
		np += k;
		r[n++] = (struct ar_result){"dkim", dkv_res_name(g->result), g->reason, p, k};
	}
	if (m->dmarc_checked) {
		const struct dmarc_outcome *d = &m->dmarc;
		struct ar_prop *p = &props[np];
		size_t k = 0;
		if (d->from_domain[0])
			p[k++] = (struct ar_prop){"header", "from", d->from_domain};
		if (d->policy)
			p[k++] = (struct ar_prop){"policy", "dmarc", dmarc_pol_name(d->policy)};
		r[n++] =
		    (struct ar_result){"dmarc", dmarc_res_name(d->result), m->dmarc_comment, p, k};
	}
	return n;
}
