/*
 * callbacks.c - libmilter events to session calls, and verdicts back to
 * the MTA. Nothing else: every decision is made in session/scan/policy.
 *
 * DESCRIPTION
 *	Negotiation asks for header edits (add and remove), header values with
 *	their leading space, no DATA and no unknown-command events, and no
 *	replies at the stages where the filter never answers early (connect,
 *	HELO, RCPT, each header, end of headers, body chunks): the MTA then does
 *	not wait for us there. MAIL FROM keeps its reply so that an announced
 *	SIZE= over the limit is refused before the data is sent.
 *	Any internal failure becomes the configured on_error reply (default
 *	451 4.3.0); no callback ever exits the process. After cb_drain (SIGTERM)
 *	new connections are answered 451 4.3.2 at connect while open ones are
 *	served to the end: libmilter's own stop would abandon them.
 *
 * THREAD SAFETY
 *	libmilter runs one thread per connection; each owns its struct conn.
 *	The connection counter is atomic.
 */
#include "config.h"

#include "callbacks.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "buf.h"
#include "generation.h"
#include "jsonlog.h"
#include "log.h"
#include "message.h"
#include "quarantine.h"
#include "rules.h"
#include "session.h"
#include "verdict.h"

/* per-connection adapter state, owned through smfi_setpriv */
struct conn {
	struct session *s;      /* owned */
	unsigned long acts;     /* actions granted by the MTA */
	unsigned long steps;    /* protocol flags granted by the MTA */
	int refused;            /* arrived while draining: answered 4xx at connect */
	struct quar_outcome qo; /* what the last quarantine verdict did */
};

static atomic_uint cb_open;    /* connections being served (refused ones excluded) */
static atomic_int cb_draining; /* set once by cb_drain */

#define WANT_ACTS (SMFIF_ADDHDRS | SMFIF_CHGHDRS | SMFIF_QUARANTINE)
#define WANT_STEPS                                                                                 \
	(SMFIP_NOUNKNOWN | SMFIP_NODATA | SMFIP_HDR_LEADSPC | SMFIP_NR_CONN | SMFIP_NR_HELO |      \
	 SMFIP_NR_RCPT | SMFIP_NR_HDR | SMFIP_NR_EOH | SMFIP_NR_BODY)

/* cb_drain - from now on answer new connections with 451 4.3.2 */
void cb_drain(void)
{
	atomic_store(&cb_draining, 1);
}

/* cb_active - open connections */
unsigned cb_active(void)
{
	return atomic_load(&cb_open);
}

/* conn_get - this connection's state, created on first use */
static struct conn *conn_get(SMFICTX *ctx)
{
	struct conn *c = smfi_getpriv(ctx);
	if (c)
		return c;
	c = calloc(1, sizeof(*c));
	if (c == NULL)
		return NULL;
	c->s = session_new();
	if (c->s == NULL || smfi_setpriv(ctx, c) != MI_SUCCESS) {
		session_free(c->s);
		free(c);
		return NULL;
	}
	c->steps = 0;
	atomic_fetch_add(&cb_open, 1);
	return c;
}

/* quiet - the "nothing to say" status for a stage */
static sfsistat quiet(const struct conn *c, unsigned long nr_flag)
{
	return (c->steps & nr_flag) ? SMFIS_NOREPLY : SMFIS_CONTINUE;
}

/* tempfail_nomem - when not even the state could be allocated */
static sfsistat tempfail_nomem(SMFICTX *ctx, const char *stage)
{
	log_err("out of memory at %s: answering tempfail", stage);
	(void)smfi_setreply(ctx, "451", "4.3.0",
			    "Temporary filter failure, please try again later");
	return SMFIS_TEMPFAIL;
}

/* lead_space - with HDR_LEADSPC the MTA takes values as they are written after the colon:
 * put the usual space in; *tmp is the caller's to free; NULL when out of memory */
static char *lead_space(const struct conn *c, char *val, char **tmp)
{
	*tmp = NULL;
	if (val == NULL || !(c->steps & SMFIP_HDR_LEADSPC) || *val == ' ' || *val == '\t')
		return val;
	size_t n = strlen(val);
	if ((*tmp = malloc(n + 2)) == NULL)
		return NULL;
	(*tmp)[0] = ' ';
	memcpy(*tmp + 1, val, n + 1);
	return *tmp;
}

/* edit_headers - apply the verdict's header removals, changes and additions */
static int edit_headers(SMFICTX *ctx, const struct conn *c, const struct verdict *v)
{
	for (size_t i = 0; i < v->nremove; i++) { /* in order: highest index of a name first */
		char *tmp, *val = lead_space(c, v->remove[i].value, &tmp);
		if (v->remove[i].value && val == NULL)
			return -1;
		int rc = smfi_chgheader(ctx, v->remove[i].name, (int)v->remove[i].index, val);
		free(tmp);
		if (rc != MI_SUCCESS)
			return -1;
	}
	for (size_t i = 0; i < v->nadd; i++) {
		char *tmp, *val = lead_space(c, v->add[i].value, &tmp);
		if (val == NULL)
			return -1;
		int rc = smfi_addheader(ctx, v->add[i].name, val);
		free(tmp);
		if (rc != MI_SUCCESS)
			return -1;
	}
	return 0;
}

static sfsistat answer(SMFICTX *ctx, struct conn *c, int at_eom);

/* quarantine - keep the message in the store (the MTA then drops its copy: discard) and/or
 * put it on hold in the MTA; neither possible: the on_error reply */
static sfsistat quarantine(SMFICTX *ctx, struct conn *c, int at_eom)
{
	const struct verdict *v = &c->s->verdict;
	if (at_eom && quar_keep(c->s, (c->acts & SMFIF_QUARANTINE) != 0, &c->qo) == 0) {
		if (!c->qo.held)
			return SMFIS_DISCARD;
		if (edit_headers(ctx, c, v) == 0 &&
		    smfi_quarantine(ctx, (char *)(v->text ? v->text : "held by portcullis")) ==
			MI_SUCCESS)
			return SMFIS_CONTINUE;
	}
	(void)session_fail(c->s, "quarantine not possible at this stage");
	return answer(ctx, c, 0);
}

/* answer - turn the session's verdict into the MTA's reply */
static sfsistat answer(SMFICTX *ctx, struct conn *c, int at_eom)
{
	struct verdict *v = &c->s->verdict;
	const char *text = v->text ? v->text : NULL;
	switch (v->action) {
	case VD_ACCEPT:
	case VD_TAG:
		if (at_eom && edit_headers(ctx, c, v) < 0) {
			(void)session_fail(c->s, "header edit refused by the MTA");
			return answer(ctx, c, 0);
		}
		return SMFIS_CONTINUE;
	case VD_QUARANTINE: return quarantine(ctx, c, at_eom);
	case VD_DISCARD: return SMFIS_DISCARD;
	case VD_REJECT:
	case VD_TEMPFAIL:
		if (v->rcode[0] && smfi_setreply(ctx, v->rcode, v->xcode[0] ? v->xcode : NULL,
						 (char *)text) != MI_SUCCESS)
			log_warn("MTA refused reply text \"%s %s %s\"", v->rcode, v->xcode,
				 text ? text : "");
		return v->action == VD_REJECT ? SMFIS_REJECT : SMFIS_TEMPFAIL;
	}
	return SMFIS_TEMPFAIL;
}

/* stage_reply - map a session status to a libmilter status */
static sfsistat stage_reply(SMFICTX *ctx, struct conn *c, enum sess_rc rc, unsigned long nr)
{
	if (rc == SESS_CONTINUE)
		return quiet(c, nr);
	if (rc == SESS_VERDICT && nr && (c->steps & nr)) {
		/* negotiated before a reload asked for this stage: the end of message decides */
		log_debug("verdict at a no-reply stage left to the end of message");
		return SMFIS_NOREPLY;
	}
	if (nr && (c->steps & nr)) {
		/* this stage cannot answer: make sure the end of message does */
		if (c->s->error == NULL)
			c->s->error = "failure at a no-reply stage";
		return SMFIS_NOREPLY;
	}
	return answer(ctx, c, 0);
}

/* cb_negotiate - choose actions and protocol steps */
static sfsistat cb_negotiate(SMFICTX *ctx, unsigned long f0, unsigned long f1, unsigned long f2,
			     unsigned long f3, unsigned long *pf0, unsigned long *pf1,
			     unsigned long *pf2, unsigned long *pf3)
{
	struct conn *c = conn_get(ctx);
	if (c == NULL)
		return tempfail_nomem(ctx, "negotiate");
	if ((f0 & (SMFIF_ADDHDRS | SMFIF_CHGHDRS)) != (SMFIF_ADDHDRS | SMFIF_CHGHDRS))
		log_warn("the MTA does not allow adding and changing headers (offered 0x%lx)", f0);
	c->acts = *pf0 = f0 & WANT_ACTS;
	unsigned long want = WANT_STEPS;
	struct generation *g = gen_current();
	if (g && (g->conf->spf_reject_fail || g->rep_early))
		want &= ~(unsigned long)SMFIP_NR_RCPT; /* answered at RCPT TO: SPF fail, a DNSBL */
	gen_release(g);
	c->steps = *pf1 = f1 & want;
	if (atomic_load(&cb_draining) && !c->refused) {
		/* shutting down: answer at connect, so that stage needs a reply */
		c->refused = 1;
		c->steps = *pf1 = c->steps & ~(unsigned long)SMFIP_NR_CONN;
		atomic_fetch_sub(&cb_open, 1);
	}
	*pf2 = *pf3 = 0;
	c->s->values_trimmed = !(c->steps & SMFIP_HDR_LEADSPC);
	return SMFIS_CONTINUE;
}

/* cb_connect - a client connected to the MTA */
static sfsistat cb_connect(SMFICTX *ctx, char *host, struct sockaddr *sa)
{
	struct conn *c = conn_get(ctx);
	if (c == NULL)
		return tempfail_nomem(ctx, "connect");
	if (c->refused) {
		(void)smfi_setreply(ctx, "451", "4.3.2",
				    "Filter shutting down, please try again later");
		return SMFIS_TEMPFAIL;
	}
	char addr[INET6_ADDRSTRLEN] = "unknown";
	if (sa && sa->sa_family == AF_INET)
		inet_ntop(AF_INET, &((struct sockaddr_in *)(void *)sa)->sin_addr, addr,
			  sizeof(addr));
	else if (sa && sa->sa_family == AF_INET6)
		inet_ntop(AF_INET6, &((struct sockaddr_in6 *)(void *)sa)->sin6_addr, addr,
			  sizeof(addr));
	else if (sa && sa->sa_family == AF_UNIX)
		snprintf(addr, sizeof(addr), "local");
	return stage_reply(ctx, c, session_connect(c->s, host, addr), SMFIP_NR_CONN);
}

/* cb_helo - HELO/EHLO */
static sfsistat cb_helo(SMFICTX *ctx, char *helo)
{
	struct conn *c = conn_get(ctx);
	if (c == NULL)
		return tempfail_nomem(ctx, "HELO");
	return stage_reply(ctx, c, session_helo(c->s, helo), SMFIP_NR_HELO);
}

/* cb_envfrom - MAIL FROM starts a transaction */
static sfsistat cb_envfrom(SMFICTX *ctx, char **argv)
{
	struct conn *c = conn_get(ctx);
	if (c == NULL)
		return tempfail_nomem(ctx, "MAIL FROM");
	enum sess_rc rc = session_mail(c->s, argv[0], (const char *const *)argv + 1);
	const char *qid = smfi_getsymval(ctx, "i");
	if (rc == SESS_CONTINUE && qid)
		session_queue_id(c->s, qid);
	return stage_reply(ctx, c, rc, 0);
}

/* cb_envrcpt - RCPT TO */
static sfsistat cb_envrcpt(SMFICTX *ctx, char **argv)
{
	struct conn *c = conn_get(ctx);
	if (c == NULL)
		return tempfail_nomem(ctx, "RCPT TO");
	return stage_reply(ctx, c, session_rcpt(c->s, argv[0]), SMFIP_NR_RCPT);
}

/* cb_data - not negotiated; registered so that an MTA that sends it anyway is served */
static sfsistat cb_data(SMFICTX *ctx)
{
	return SMFIS_CONTINUE;
}

/* cb_unknown - not negotiated; as above */
static sfsistat cb_unknown(SMFICTX *ctx, const char *cmd)
{
	return SMFIS_CONTINUE;
}

/* cb_header - one header */
static sfsistat cb_header(SMFICTX *ctx, char *name, char *value)
{
	struct conn *c = conn_get(ctx);
	if (c == NULL)
		return tempfail_nomem(ctx, "header");
	return stage_reply(ctx, c, session_header(c->s, name, value), SMFIP_NR_HDR);
}

/* cb_eoh - end of headers */
static sfsistat cb_eoh(SMFICTX *ctx)
{
	struct conn *c = conn_get(ctx);
	if (c == NULL)
		return tempfail_nomem(ctx, "end of headers");
	return stage_reply(ctx, c, session_eoh(c->s), SMFIP_NR_EOH);
}

/* cb_body - a body chunk */
static sfsistat cb_body(SMFICTX *ctx, unsigned char *p, size_t len)
{
	struct conn *c = conn_get(ctx);
	if (c == NULL)
		return tempfail_nomem(ctx, "body");
	return stage_reply(ctx, c, session_body(c->s, p, len), SMFIP_NR_BODY);
}

/* log_verdict - one greppable line per message: who, what, which rules, why */
static void log_verdict(const struct session *s, const struct quar_outcome *qo)
{
	const struct verdict *v = &s->verdict;
	const struct message *m = s->msg;
	char hits[1024] = "", would[512] = "";
	size_t nh = 0, nw = 0;
	for (size_t i = 0; i < s->nhits; i++) {
		const struct rule_hit *h = &s->hits[i];
		char *dst = h->monitor ? would : hits;
		size_t cap = h->monitor ? sizeof(would) : sizeof(hits), *n = h->monitor ? &nw : &nh;
		if (*n < cap) {
			int w = snprintf(dst + *n, cap - *n, "%s%s", *n ? "," : "", h->name);
			*n += w > 0 ? (size_t)w : 0;
		}
	}
	log_info("%s: ref=%s client=%s[%s] from=<%s> rcpts=%zu size=%zu verdict=%s%s%s%s%s "
		 "score=%.1f%s%s%s%s%s%s%s%s%s",
		 m && m->queue_id ? m->queue_id : "NOQUEUE", m ? m->ref : "-", s->client_name,
		 s->client_addr, m ? m->mail_from : "", m ? m->nrcpt : 0, m ? m->size : 0,
		 vd_action_name(v->action), v->rcode[0] ? " reply=" : "", v->rcode,
		 v->xcode[0] ? " " : "", v->xcode, v->score, nh ? " rules=" : "", hits,
		 nw ? " would_hit=" : "", would, v->decided_by ? " decided=\"" : "",
		 v->decided_by ? v->decided_by : "", v->decided_by ? "\"" : "",
		 qo->to ? " quarantine=" : "", qo->to ? qo->to : "");
}

/* log_json - the message's JSON log line */
static void log_json(const struct conn *c, double scan_ms)
{
	struct jl_info info = {.scan_ms = scan_ms, .store_ms = c->qo.store_ms};
	if (c->qo.to) {
		info.quarantine_to = c->qo.to;
		info.quarantine_id = c->qo.stored ? c->qo.id : NULL;
	}
	struct buf b;
	buf_init(&b, 0);
	if (jsonlog_message(&b, c->s, &info, 0) < 0 || buf_adds(&b, "\n") != BUF_OK)
		log_warn("out of memory building the JSON log line");
	else if (jsonlog_write(b.data, b.len) < 0)
		log_warn("cannot write the JSON log");
	buf_free(&b);
}

/* cb_eom - judge and act */
static sfsistat cb_eom(SMFICTX *ctx)
{
	struct conn *c = conn_get(ctx);
	if (c == NULL)
		return tempfail_nomem(ctx, "end of message");
	const char *qid = smfi_getsymval(ctx, "i");
	if (qid)
		session_queue_id(c->s, qid);
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	enum sess_rc rc = session_eom(c->s);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	(void)rc; /* a verdict either way; an error verdict still gets its header edits */
	memset(&c->qo, 0, sizeof(c->qo));
	sfsistat st = answer(ctx, c, 1);
	log_verdict(c->s, &c->qo);
	log_json(c,
		 (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6);
	session_abort(c->s);
	return st;
}

/* cb_abort - the transaction ended early */
static sfsistat cb_abort(SMFICTX *ctx)
{
	struct conn *c = smfi_getpriv(ctx);
	if (c)
		session_abort(c->s);
	return SMFIS_CONTINUE;
}

/* cb_close - the connection ended (may come without connect) */
static sfsistat cb_close(SMFICTX *ctx)
{
	struct conn *c = smfi_getpriv(ctx);
	if (c == NULL)
		return SMFIS_CONTINUE;
	(void)smfi_setpriv(ctx, NULL);
	if (!c->refused)
		atomic_fetch_sub(&cb_open, 1);
	session_free(c->s);
	free(c);
	return SMFIS_CONTINUE;
}

/* cb_register - describe the filter to libmilter */
int cb_register(const char *name)
{
	static struct smfiDesc desc; /* libmilter keeps the pointer; filled once at start-up */
	desc.xxfi_name = (char *)name;
	desc.xxfi_version = SMFI_VERSION;
	desc.xxfi_flags = WANT_ACTS;
	desc.xxfi_connect = cb_connect;
	desc.xxfi_helo = cb_helo;
	desc.xxfi_envfrom = cb_envfrom;
	desc.xxfi_envrcpt = cb_envrcpt;
	desc.xxfi_header = cb_header;
	desc.xxfi_eoh = cb_eoh;
	desc.xxfi_body = cb_body;
	desc.xxfi_eom = cb_eom;
	desc.xxfi_abort = cb_abort;
	desc.xxfi_close = cb_close;
	desc.xxfi_unknown = cb_unknown;
	desc.xxfi_data = cb_data;
	desc.xxfi_negotiate = cb_negotiate;
	return smfi_register(desc);
}
