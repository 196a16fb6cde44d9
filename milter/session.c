/*
 * session.c - per-connection and per-transaction state, fed stage by stage.
 *
 * DESCRIPTION
 *	A session is created at connect and freed at close; each MAIL FROM
 *	starts a message that pins the current generation until it ends
 *	(end of message or abort), so several transactions on one connection
 *	each see a consistent configuration. Stages whose reply the MTA does not
 *	wait for (headers, body) record an internal failure in s->error; the
 *	end of message turns it into the on_error verdict, so a failure is never
 *	a silent accept.
 *
 * THREAD SAFETY
 *	A session belongs to one libmilter thread (or the CLI).
 */
#include "config.h"

#include "session.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "addr.h"
#include "authres.h"
#include "cidr.h"
#include "findings.h"
#include "generation.h"
#include "log.h"
#include "message.h"
#include "policy.h"
#include "reputation.h"
#include "scan.h"
#include "spf.h"
#include "task.h"

#define NAME_MAX_LEN 1024

/* session_new - empty session */
struct session *session_new(void)
{
	struct session *s = calloc(1, sizeof(*s));
	if (s == NULL)
		return NULL;
	vd_init(&s->verdict);
	s->client_addr = strdup("unknown");
	s->client_name = strdup("unknown");
	if (s->client_addr == NULL || s->client_name == NULL) {
		session_free(s);
		return NULL;
	}
	return s;
}

/* forget_scan - drop the findings and hits of the last message */
static void forget_scan(struct session *s)
{
	struct scan_out o = {.findings = s->findings, .run = s->rules};
	scan_out_free(&o);
	s->findings = NULL;
	s->rules = NULL;
	s->hits = NULL;
	s->nhits = 0;
	s->limits = NULL;
	s->nlimits = 0;
}

/* session_free - release everything */
void session_free(struct session *s)
{
	if (s == NULL)
		return;
	msg_free(s->msg);
	task_release(s->spf_helo_task);
	rep_free(s->rep);
	gen_release(s->rep_gen);
	forget_scan(s);
	vd_free(&s->verdict);
	free(s->client_addr);
	free(s->client_name);
	free(s->helo);
	free(s);
}

/* replace - set *slot to a bounded copy of v */
static int replace(char **slot, const char *v)
{
	char *d = strndup(v ? v : "", NAME_MAX_LEN);
	if (d == NULL)
		return -1;
	free(*slot);
	*slot = d;
	return 0;
}

/* session_fail - the on_error verdict for this session */
enum sess_rc session_fail(struct session *s, const char *why)
{
	struct generation *g = s->msg ? gen_ref(s->msg->gen) : gen_current();
	enum conf_on_error oe = g ? g->conf->on_error : ON_ERROR_TEMPFAIL;
	gen_release(g);
	log_err("internal failure (%s) for client %s [%s]: answering %s", why, s->client_name,
		s->client_addr, conf_on_error_name(oe));
	vd_free(&s->verdict);
	int rc = 0;
	if (oe == ON_ERROR_TEMPFAIL)
		rc = vd_set(&s->verdict, VD_TEMPFAIL, "451", "4.3.0",
			    "Temporary filter failure, please try again later");
	else if (oe == ON_ERROR_REJECT)
		rc = vd_set(&s->verdict, VD_REJECT, "550", "5.7.1", "Message refused by filter");
	if (rc < 0) /* no memory even for the text: the MTA's default reply of that class */
		s->verdict.action = oe == ON_ERROR_REJECT ? VD_REJECT : VD_TEMPFAIL;
	else if (oe == ON_ERROR_ACCEPT && s->msg && scan_finish(s, s->msg, &s->verdict, 1) < 0) {
		/* a forged verdict header must not pass: fall back to tempfail */
		vd_free(&s->verdict);
		s->verdict.action = VD_TEMPFAIL;
	}
	if (vd_add_reason(&s->verdict, why) < 0)
		log_debug("no memory to record the reason");
	return SESS_ERROR;
}

/* start_reputation - the client's lookups, as soon as it connects */
static int start_reputation(struct session *s)
{
	rep_free(s->rep);
	s->rep = NULL;
	gen_release(s->rep_gen);
	s->rep_gen = gen_current();
	const struct generation *g = s->rep_gen;
	if (g == NULL)
		return 0;
	s->rep =
	    rep_new(g->dns, g->replists, g->nreplists, g->conf->iprev, g->conf->dns_budget * 1000);
	if (s->rep == NULL)
		return -1;
	return rep_client(s->rep, s->client_addr, s->client_name);
}

/* session_connect - who is connecting */
enum sess_rc session_connect(struct session *s, const char *name, const char *addr)
{
	/* MTAs pass "[192.0.2.1]" when the client has no verified PTR name */
	if (name == NULL || name[0] == '\0' || name[0] == '[')
		name = "unknown";
	if (replace(&s->client_name, name) < 0 ||
	    replace(&s->client_addr, addr ? addr : "unknown") < 0)
		return session_fail(s, "out of memory at connect");
	if (start_reputation(s) < 0)
		return session_fail(s, "out of memory starting the reputation lookups");
	return SESS_CONTINUE;
}

/* session_helo - remember the HELO/EHLO name and start checking it */
enum sess_rc session_helo(struct session *s, const char *helo)
{
	if (s->helo && s->spf_helo_task && strcmp(s->helo, helo ? helo : "") == 0)
		return SESS_CONTINUE; /* the same name again (EHLO after STARTTLS) */
	if (replace(&s->helo, helo) < 0)
		return session_fail(s, "out of memory at HELO");
	if (s->rep && rep_helo(s->rep, s->helo) < 0)
		return session_fail(s, "out of memory starting the reputation lookups");
	struct generation *g = gen_current();
	int rc = scan_helo(s, g);
	gen_release(g);
	if (rc < 0)
		return session_fail(s, "out of memory starting the HELO check");
	return SESS_CONTINUE;
}

/* size_param - the SIZE= ESMTP parameter, 0 if none */
static size_t size_param(const char *const *args)
{
	for (; args && *args; args++)
		if (strncasecmp(*args, "SIZE=", 5) == 0 && isdigit((unsigned char)(*args)[5])) {
			char *end;
			unsigned long long v = strtoull(*args + 5, &end, 10);
			if (*end == '\0' && end != *args + 5)
				return v > SIZE_MAX ? SIZE_MAX : (size_t)v;
		}
	return 0;
}

/* session_mail - start a transaction */
enum sess_rc session_mail(struct session *s, const char *from, const char *const *args)
{
	msg_free(s->msg);
	s->msg = NULL;
	s->error = NULL;
	forget_scan(s);
	vd_free(&s->verdict);
	struct generation *g = gen_current();
	if (g == NULL)
		return session_fail(s, "no configuration loaded");
	s->msg = msg_new(g);
	if (s->msg == NULL) {
		gen_release(g);
		return session_fail(s, "out of memory at MAIL FROM");
	}
	s->msg_count++;
	if (msg_set_sender(s->msg, from ? from : "") < 0)
		return session_fail(s, "out of memory at MAIL FROM");
	s->msg->size_param = size_param(args);
	/* RFC 8601 5: results from hosts we do not trust are not passed on */
	const struct conf *c = g->conf;
	s->msg->authres_strip_all =
	    c->authres_remove_all || (c->authres_trusted_hosts.n &&
				      !cidr_match_text(c->authres_trusted_hosts.v,
						       c->authres_trusted_hosts.n, s->client_addr));
	int rc = pol_size_verdict(g->policy, s->msg->size_param, &s->verdict);
	if (rc < 0)
		return session_fail(s, "out of memory at MAIL FROM");
	if (rc)
		return SESS_VERDICT;
	if (scan_envelope(s, s->msg) < 0)
		return session_fail(s, "out of memory starting the SPF check");
	if (s->rep) {
		rep_message(s->rep);
		if (rep_sender(s->rep, s->msg->mail_from) < 0)
			return session_fail(s, "out of memory starting the reputation lookups");
	}
	return SESS_CONTINUE;
}

/* need_msg - the stages after MAIL FROM need a transaction */
static int need_msg(struct session *s, const char *stage)
{
	if (s->msg)
		return 1;
	if (s->error == NULL) {
		s->error = stage;
		log_warn("%s without MAIL FROM from %s [%s]", stage, s->client_name,
			 s->client_addr);
	}
	return 0;
}

/* session_rcpt - one recipient */
enum sess_rc session_rcpt(struct session *s, const char *rcpt)
{
	if (!need_msg(s, "RCPT TO"))
		return SESS_CONTINUE;
	if (msg_add_rcpt(s->msg, rcpt ? rcpt : "") < 0 && s->error == NULL)
		s->error = "out of memory at RCPT TO";
	struct message *m = s->msg;
	if (s->rep && s->rep_gen && s->rep_gen->rep_early) {
		const char *list = rep_early_reject(s->rep, &m->dns_deadline);
		if (list) {
			char text[300];
			snprintf(text, sizeof(text),
				 "Service unavailable; client [%s] blocked using %s (ref %s)",
				 s->client_addr, list, m->ref);
			vd_free(&s->verdict);
			if (vd_set(&s->verdict, VD_REJECT, "554", "5.7.1", text) < 0 ||
			    vd_add_reason(&s->verdict, "dnsbl") < 0 ||
			    vd_set_decided(&s->verdict, "dnsbl %s: reject at RCPT TO", list) < 0)
				return session_fail(s, "out of memory at RCPT TO");
			log_info(
			    "%s: ref=%s client=%s[%s] from=<%s> verdict=reject reply=554 5.7.1 "
			    "decided=\"dnsbl %s: reject at RCPT TO\"",
			    m->queue_id ? m->queue_id : "NOQUEUE", m->ref, s->client_name,
			    s->client_addr, m->mail_from, list);
			return SESS_VERDICT;
		}
	}
	if (!m->gen->conf->spf_reject_fail)
		return SESS_CONTINUE;
	if (scan_envelope_wait(s, m) < 0)
		return session_fail(s, "out of memory during the SPF check");
	if (m->spf_checked && m->spf_mailfrom.result == SPFR_FAIL) {
		vd_free(&s->verdict);
		char text[400];
		/* the reference first: a long explanation may be cut */
		snprintf(text, sizeof(text), "SPF validation failed for %s (ref %s)%s%s",
			 m->spf_mailfrom.domain, m->ref, m->spf_mailfrom.explanation ? ": " : "",
			 m->spf_mailfrom.explanation ? m->spf_mailfrom.explanation : "");
		if (vd_set(&s->verdict, VD_REJECT, "550", "5.7.23", text) < 0 ||
		    vd_add_reason(&s->verdict, "spf=fail") < 0)
			return session_fail(s, "out of memory at RCPT TO");
		return SESS_VERDICT;
	}
	return SESS_CONTINUE;
}

/* track_own - note instances of our own headers (counted even past the header caps) */
static int track_own(struct message *m, const char *name, const char *value)
{
	const char *id = m->gen->conf->authserv_id;
	if (strcasecmp(name, VERDICT_HEADER) == 0)
		return msg_add_own(m, VERDICT_HEADER, ++m->seen_verdict);
	if (strcasecmp(name, AUTHRES_HEADER) == 0) {
		++m->seen_authres;
		if (m->authres_strip_all || authres_claims(value, id))
			return msg_add_own(m, AUTHRES_HEADER, m->seen_authres);
		return 0;
	}
	for (size_t i = 0; i < 2; i++) { /* X-Spam-Flag, X-Portcullis-Score: only ours count */
		const char *tag = pol_tag_header(m->gen->policy, i);
		if (tag && strcasecmp(name, tag) == 0)
			return msg_add_own(m, tag, ++m->seen_tag[i]);
	}
	if (strcasecmp(name, RELEASE_HEADER) == 0) /* checked by the scan, never passed on */
		return msg_add_own(m, RELEASE_HEADER, ++m->seen_release);
	if (strcasecmp(name, RECEIVED_SPF_HEADER) == 0) {
		++m->seen_rspf;
		if (authres_received_spf_claims(value, id))
			return msg_add_own(m, RECEIVED_SPF_HEADER, m->seen_rspf);
	}
	return 0;
}

/* session_header - one header */
enum sess_rc session_header(struct session *s, const char *name, const char *value)
{
	if (!need_msg(s, "header"))
		return SESS_CONTINUE;
	if (value == NULL)
		value = "";
	if (name && track_own(s->msg, name, value) < 0 && s->error == NULL)
		s->error = "out of memory storing a header";
	int rc;
	size_t before = s->msg->nhdr;
	if (s->values_trimmed && *value != ' ' && *value != '\t') {
		/* keep the canonical wire form "Name: value" that DKIM needs */
		size_t n = strlen(value);
		char *v = malloc(n + 2);
		if (v == NULL)
			rc = -1;
		else {
			v[0] = ' ';
			memcpy(v + 1, value, n + 1);
			rc = msg_add_header(s->msg, name ? name : "", v);
			free(v);
		}
	} else
		rc = msg_add_header(s->msg, name ? name : "", value);
	if (rc < 0 && s->error == NULL)
		s->error = "out of memory storing a header";
	if (s->msg->nhdr > before && scan_header(s->msg) < 0 && s->error == NULL)
		s->error = "out of memory starting DKIM verification";
	return SESS_CONTINUE;
}

/* session_eoh - end of headers: the From domains are known */
enum sess_rc session_eoh(struct session *s)
{
	if (!need_msg(s, "end of headers"))
		return SESS_CONTINUE;
	scan_eoh(s->msg);
	if (s->rep == NULL)
		return SESS_CONTINUE;
	for (size_t n = 0; msg_header_find(s->msg, "From", n); n++) {
		struct addr a[ADDR_MAX];
		size_t k = addr_parse_list(msg_header_find(s->msg, "From", n), a, ADDR_MAX);
		for (size_t i = 0; i < k; i++)
			if (rep_from(s->rep, a[i].domain) < 0 && s->error == NULL)
				s->error = "out of memory starting the reputation lookups";
	}
	return SESS_CONTINUE;
}

/* session_body - one body chunk */
enum sess_rc session_body(struct session *s, const void *p, size_t len)
{
	if (!need_msg(s, "body"))
		return SESS_CONTINUE;
	if (msg_add_body(s->msg, p, len) < 0 && s->error == NULL)
		s->error = "cannot store the body (temp file or memory)";
	scan_body(s->msg, p, len);
	return SESS_CONTINUE;
}

/* session_queue_id - remember the queue id */
void session_queue_id(struct session *s, const char *id)
{
	if (s->msg && id && msg_set_queue_id(s->msg, id) < 0 && s->error == NULL)
		s->error = "out of memory storing the queue id";
}

/* session_eom - judge the message */
enum sess_rc session_eom(struct session *s)
{
	if (!need_msg(s, "end of message") || s->error)
		return session_fail(s, s->error ? s->error : "end of message without MAIL FROM");
	forget_scan(s);
	vd_free(&s->verdict);
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (scan_envelope_wait(s, s->msg) < 0)
		return session_fail(s, "out of memory during the SPF check");
	clock_gettime(CLOCK_MONOTONIC, &t1);
	s->spf_wait_ms =
	    (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6;
	if (scan_auth(s, s->msg) < 0)
		return session_fail(s, "out of memory during DKIM or DMARC");
	struct scan_out o;
	if (scan_message(s, s->msg, &o, &s->verdict) < 0)
		return session_fail(s, "scan failed (out of memory)");
	s->findings = o.findings;
	s->rules = o.run;
	s->hits = o.hits;
	s->nhits = o.nhits;
	s->limits = o.limits;
	s->nlimits = o.nlimits;
	_Static_assert(SCAN_T_N <= sizeof(s->stage_ms) / sizeof(s->stage_ms[0]), "stage_ms");
	for (int i = 0; i < SCAN_T_N; i++)
		s->stage_ms[i] = o.ms[i];
	return SESS_VERDICT;
}

/* session_abort - forget the transaction */
void session_abort(struct session *s)
{
	msg_free(s->msg);
	s->msg = NULL;
	s->error = NULL;
}
