/*
 * miltersession.c - one SMTP session through a chain of milters, as Postfix 3.7 runs it
 *
 * SYNOPSIS
 *	ms_chain_init(chain, addrs, n, timeout_ms), ms_chain_free(chain)
 *	ms_session(chain, msg, seq, result)	one message, one session, then QUIT
 *	ms_idle_open(chain, msg, seq, err, errlen)	negotiate, connect, HELO, and hold
 *	ms_idle_close(chain)
 *
 * DESCRIPTION
 *	Each session opens one connection per filter (Postfix cannot reuse them: libmilter
 *	closes at the end of the SMTP session) and sends every envelope event to filter 1,
 *	then filter 2, and so on; a filter's reject, tempfail or discard stops the chain for
 *	that event, an accept at connect or HELO drops that filter for the session, an
 *	accept later for the message. The message content (header fields, end of header,
 *	body in 65535-byte chunks, end of message) goes to each filter in turn, as Postfix's
 *	cleanup server sends it after the whole message is in; the headers a filter added
 *	(SMFIR_ADDHEADER at the end, SMFIR_INSHEADER before the index-th original header)
 *	are shown to the filters after it, so that opendmarc sees opendkim's
 *	Authentication-Results as under Postfix. A recipient refused by a
 *	filter is dropped; with none left the message ends there. At the end every filter
 *	gets SMFIC_ABORT once after an accepted MAIL and once after HELO, then SMFIC_QUIT,
 *	as Postfix's smtpd resets its state (checked against Postfix 3.7.11).
 *
 *	Macros: Postfix's default lists (or the lists a filter asked for) with the values
 *	Postfix would give a client that neither authenticated nor used TLS: j and
 *	{daemon_name} are MS_HOSTNAME, v is "Postfix 3.7.11", i a queue id unique per
 *	session, defined from the first accepted recipient on (smtpd_delay_open).
 *
 *	The verdict: reject, tempfail or discard as decided; else quarantine when a filter
 *	asked for it; else tag when a reply marked the message as spam (milterproto.c,
 *	is_tag); else accept. "eom" time: from writing SMFIC_BODYEOB to the final reply,
 *	summed over the filters of the chain; pending commands are written first.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "loadgen.h"
#include "milterproto.h"

#define MS_HOSTNAME "mx.bench.test"

/* the session's macro values */
struct vars {
	const struct lg_msg *m; /* borrowed */
	const char *rcpt;       /* borrowed: the recipient of the current RCPT event */
	char qid[24];
	int qid_known; /* Postfix opens the queue file at the first accepted RCPT */
	char port[8];
	unsigned portnum;     /* the client's port */
	char underscore[320]; /* $_: "name [addr]" */
};

/* one transaction through the chain */
struct run {
	struct ms_chain *ch;
	struct vars vars;
	enum lg_verdict decided; /* LV_REJECT, LV_TEMPFAIL or LV_DISCARD; LV_ACCEPT: not yet */
	int quarantine, tag;
	int helo;   /* HELO was sent: SMFIC_ABORT at the end (Postfix's helo_reset) */
	int in_txn; /* MAIL was accepted: one more (Postfix's mail_reset) */
	double eom_ms;
	int eom_sent;           /* SMFIC_BODYEOB went to a filter */
	struct mp_conn *failed; /* the connection that failed */
};

/* domain - the domain of an address, or NULL */
static const char *domain(const char *addr)
{
	const char *at = addr ? strrchr(addr, '@') : NULL;
	return at ? at + 1 : NULL;
}

/* lookup - a macro's value for the session (mp_lookup_fn) */
static const char *lookup(void *ctx, const char *name)
{
	const struct vars *v = ctx;
	const struct lg_msg *m = v->m;
	const int null_sender = m->mail_from[0] == '\0';
	const struct {
		const char *name, *value;
	} table[] = {
	    {"i", v->qid_known ? v->qid : NULL},
	    {"j", MS_HOSTNAME},
	    {"_", v->underscore},
	    {"v", "Postfix 3.7.11"},
	    {"daemon_name", MS_HOSTNAME},
	    {"daemon_addr", "127.0.0.1"},
	    {"daemon_port", "25"},
	    {"client_addr", m->client_ip},
	    {"client_name", m->client_name},
	    {"client_ptr", m->client_name},
	    {"client_port", v->port},
	    {"mail_addr", m->mail_from},
	    {"mail_host", null_sender ? MS_HOSTNAME : domain(m->mail_from)},
	    {"mail_mailer", null_sender ? "local" : "smtp"},
	    {"rcpt_addr", v->rcpt},
	    {"rcpt_host", domain(v->rcpt)},
	    {"rcpt_mailer", v->rcpt ? "smtp" : NULL},
	};
	for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++)
		if (strcmp(name, table[i].name) == 0)
			return table[i].value;
	return NULL; /* TLS, SASL and the rest: undefined, not sent */
}

/* vars_init - the macro values of one session */
static void vars_init(struct vars *v, const struct lg_msg *m, unsigned long seq)
{
	memset(v, 0, sizeof(*v));
	v->m = m;
	snprintf(v->qid, sizeof(v->qid), "4B%010lX", seq);
	v->portnum = 1024 + (unsigned)(seq % 64000);
	snprintf(v->port, sizeof(v->port), "%u", v->portnum);
	snprintf(v->underscore, sizeof(v->underscore), "%s [%s]", m->client_name, m->client_ip);
}

/* ms_chain_init - n closed connections, one per filter */
int ms_chain_init(struct ms_chain *ch, const struct mp_addr *addrs, size_t n, int timeout_ms)
{
	ch->n = n;
	if ((ch->conns = calloc(n, sizeof(*ch->conns))) == NULL)
		return -1;
	for (size_t i = 0; i < n; i++)
		mp_init(&ch->conns[i], &addrs[i], timeout_ms);
	return 0;
}

/* ms_chain_free - close and free */
void ms_chain_free(struct ms_chain *ch)
{
	for (size_t i = 0; i < ch->n; i++)
		mp_free(&ch->conns[i]);
	free(ch->conns);
	ch->conns = NULL;
	ch->n = 0;
}

/* fold - one filter's reply to cmd into the run; 1 when the chain stops at this filter */
static int fold(struct run *run, struct mp_conn *c, int cmd, const struct mp_reply *r)
{
	const int conn_stage = cmd == SMFIC_CONNECT || cmd == SMFIC_HELO;
	run->quarantine |= r->quarantine;
	run->tag |= r->tag;
	switch (r->act) {
	case MP_SKIPPED:
	case MP_NOREPLY:
	case MP_CONTINUE: return 0;
	case MP_ACCEPT:
		if (conn_stage)
			mp_close(c); /* Postfix: nothing more for this connection */
		else
			c->state = MP_ACCEPT_MSG;
		return 0;
	case MP_DISCARD: run->decided = LV_DISCARD; return 1;
	case MP_REJECT:
	case MP_TEMPFAIL:
		if (conn_stage)
			mp_close(c);
		if (cmd != SMFIC_RCPT) /* a refused recipient is not the message's end */
			run->decided = r->act == MP_REJECT ? LV_REJECT : LV_TEMPFAIL;
		return 1;
	}
	return 0;
}

/* stage - an envelope event to every filter in order that still takes events; 1 when
 * a filter stopped the chain (its reply in *r), -1 on error */
static int stage(struct run *run, int cmd, const void *d, size_t l, struct mp_reply *r)
{
	for (size_t i = 0; i < run->ch->n; i++) {
		struct mp_conn *c = &run->ch->conns[i];
		if (c->state != MP_ENVELOPE)
			continue;
		if (mp_event(c, cmd, d, l, NULL, 0, lookup, &run->vars, r) < 0) {
			run->failed = c;
			return -1;
		}
		if (fold(run, c, cmd, r))
			return 1;
	}
	return 0;
}

/* connect_stage - open each filter in turn and report the connection */
static int connect_stage(struct run *run)
{
	const struct lg_msg *m = run->vars.m;
	unsigned char pkt[600];
	const char *host = m->client_name;
	char bracketed[300];
	if (strcmp(host, "unknown") == 0) { /* Postfix's form of an unknown name */
		snprintf(bracketed, sizeof(bracketed), "[%s]", m->client_ip);
		host = bracketed;
	}
	size_t hl = strlen(host), al = strlen(m->client_ip);
	if (hl + al + 5 > sizeof(pkt))
		return -1;
	unsigned port = run->vars.portnum;
	memcpy(pkt, host, hl + 1);
	pkt[hl + 1] = strchr(m->client_ip, ':') ? '6' : '4';
	pkt[hl + 2] = (unsigned char)(port >> 8);
	pkt[hl + 3] = (unsigned char)(port & 0xff);
	memcpy(pkt + hl + 4, m->client_ip, al + 1);
	for (size_t i = 0; i < run->ch->n; i++) {
		struct mp_conn *c = &run->ch->conns[i];
		struct mp_reply r;
		if (mp_open(c) < 0 || mp_event(c, SMFIC_CONNECT, pkt, hl + al + 5, NULL, 0, lookup,
					       &run->vars, &r) < 0) {
			run->failed = c;
			return -1;
		}
		if (fold(run, c, SMFIC_CONNECT, &r))
			return 1;
	}
	return 0;
}

/* content - the message to one filter; 1 when it stopped the chain, -1 on error */
static int content(struct run *run, struct mp_conn *c)
{
	const struct lg_msg *m = run->vars.m;
	const int leadspc = (c->steps & SMFIP_HDR_LEADSPC) != 0;
	struct mp_reply r;
	int stop = 0;
	mp_adds_clear(c);
	for (size_t i = 0; i <= m->nhdrs && c->state == MP_ENVELOPE && !stop; i++) {
		/* first what the filters before this one added here (Postfix shows them) */
		for (const struct mp_conn *p = run->ch->conns; p < c && !stop; p++)
			for (size_t k = 0; k < p->nadds && !stop; k++) {
				const struct mp_hdr_add *a = &p->adds[k];
				size_t at = a->before < m->nhdrs ? a->before : m->nhdrs;
				if (at != i)
					continue;
				const char *v = a->value + (!leadspc && *a->value == ' ');
				if (mp_event(c, SMFIC_HEADER, a->name, strlen(a->name) + 1, v,
					     strlen(v) + 1, lookup, &run->vars, &r) < 0)
					return -1;
				stop = fold(run, c, SMFIC_HEADER, &r);
			}
		if (i == m->nhdrs || stop)
			break;
		const struct lg_header *h = &m->hdrs[i];
		const char *val = m->hdrtext + h->val_off;
		size_t vl = h->val_len;
		if (!leadspc && vl > 0 && *val == ' ') { /* Postfix eats one space, not a tab */
			val++;
			vl--;
		}
		if (mp_event(c, SMFIC_HEADER, m->hdrtext + h->name_off, h->name_len + 1, val,
			     vl + 1, lookup, &run->vars, &r) < 0)
			return -1;
		stop = fold(run, c, SMFIC_HEADER, &r);
	}
	if (c->state == MP_ENVELOPE && !stop) {
		if (mp_event(c, SMFIC_EOH, NULL, 0, NULL, 0, lookup, &run->vars, &r) < 0)
			return -1;
		stop = fold(run, c, SMFIC_EOH, &r);
	}
	for (size_t off = m->body_off; off < m->len && c->state == MP_ENVELOPE && !stop;) {
		size_t n = m->len - off < MILTER_CHUNK_SIZE ? m->len - off : MILTER_CHUNK_SIZE;
		if (mp_event(c, SMFIC_BODY, m->data + off, n, NULL, 0, lookup, &run->vars, &r) < 0)
			return -1;
		stop = fold(run, c, SMFIC_BODY, &r);
		off += n;
	}
	if (c->state == MP_ENVELOPE && !stop) {
		if (mp_flush(c) < 0)
			return -1;
		double t0 = lg_now_ms();
		if (mp_event(c, SMFIC_BODYEOB, NULL, 0, NULL, 0, lookup, &run->vars, &r) < 0)
			return -1;
		run->eom_ms += lg_now_ms() - t0;
		run->eom_sent = 1;
		stop = fold(run, c, SMFIC_BODYEOB, &r);
	}
	if (c->state == MP_ACCEPT_MSG)
		c->state = MP_ENVELOPE; /* the message is over */
	return stop;
}

/* envelope - MAIL, RCPT for each recipient, DATA; 1 when the message ends early */
static int envelope(struct run *run)
{
	const struct lg_msg *m = run->vars.m;
	struct mp_reply r;
	char mail[1100];
	int ml = snprintf(mail, sizeof(mail), "<%s>%cSIZE=%zu", m->mail_from, '\0', m->len);
	if (ml < 0 || (size_t)ml >= sizeof(mail))
		return -1;
	int rc = stage(run, SMFIC_MAIL, mail, (size_t)ml + 1, &r);
	if (rc != 0)
		return rc;
	run->in_txn = 1;
	size_t accepted = 0;
	enum lg_verdict refused = LV_REJECT;
	for (size_t i = 0; i < m->nrcpts; i++) {
		char rcpt[1100];
		int rl = snprintf(rcpt, sizeof(rcpt), "<%s>", m->rcpts[i]);
		if (rl < 0 || (size_t)rl >= sizeof(rcpt))
			return -1;
		run->vars.rcpt = m->rcpts[i];
		if ((rc = stage(run, SMFIC_RCPT, rcpt, (size_t)rl + 1, &r)) < 0)
			return -1;
		if (run->decided != LV_ACCEPT)
			return 1; /* discarded */
		if (rc == 0) {
			accepted++;
			run->vars.qid_known = 1;
		} else
			refused = r.act == MP_TEMPFAIL ? LV_TEMPFAIL : LV_REJECT;
	}
	run->vars.rcpt = NULL;
	if (accepted == 0) { /* Postfix: "554 5.5.1 Error: no valid recipients" at DATA */
		run->decided = refused;
		return 1;
	}
	return stage(run, SMFIC_DATA, NULL, 0, &r);
}

/* finish - what Postfix sends at the end of the session: SMFIC_ABORT after a transaction
 * (mail_reset) and after HELO (helo_reset), then SMFIC_QUIT; close */
static void finish(struct run *run)
{
	for (size_t i = 0; i < run->ch->n; i++) {
		struct mp_conn *c = &run->ch->conns[i];
		if (c->fd >= 0 && mp_quit(c, run->in_txn + run->helo) < 0 && run->failed == NULL)
			run->failed = c;
	}
}

/* ms_session - one message in one session through the chain */
void ms_session(struct ms_chain *ch, const struct lg_msg *m, unsigned long seq,
		struct lg_result *res)
{
	struct run run = {.ch = ch, .decided = LV_ACCEPT};
	struct mp_reply r;
	double t0 = lg_now_ms();
	vars_init(&run.vars, m, seq);
	int rc = connect_stage(&run);
	if (rc == 0)
		rc = stage(&run, SMFIC_HELO, m->helo, strlen(m->helo) + 1, &r);
	run.helo = rc == 0;
	if (rc == 0)
		rc = envelope(&run);
	for (size_t i = 0; rc == 0 && i < ch->n; i++)
		if (ch->conns[i].state == MP_ENVELOPE && (rc = content(&run, &ch->conns[i])) < 0)
			run.failed = &ch->conns[i];
	if (rc >= 0)
		finish(&run);
	res->eom_ms = run.eom_sent ? run.eom_ms : -1;
	memset(res->err, 0, sizeof(res->err));
	if (rc < 0 || run.failed) {
		res->verdict = LV_ERROR;
		snprintf(res->err, sizeof(res->err), "%s",
			 run.failed ? run.failed->err : "envelope too long");
		for (size_t i = 0; i < ch->n; i++)
			mp_close(&ch->conns[i]);
	} else if (run.decided != LV_ACCEPT)
		res->verdict = run.decided;
	else
		res->verdict = run.quarantine ? LV_QUARANTINE : run.tag ? LV_TAG : LV_ACCEPT;
	res->txn_ms = lg_now_ms() - t0;
}

/* ms_idle_open - negotiate, report the connection and HELO, then hold the connections */
int ms_idle_open(struct ms_chain *ch, const struct lg_msg *m, unsigned long seq, char *err,
		 size_t errlen)
{
	struct run run = {.ch = ch, .decided = LV_ACCEPT};
	struct mp_reply r;
	vars_init(&run.vars, m, seq);
	int rc = connect_stage(&run);
	if (rc == 0)
		rc = stage(&run, SMFIC_HELO, m->helo, strlen(m->helo) + 1, &r);
	for (size_t i = 0; rc >= 0 && i < ch->n; i++)
		if (ch->conns[i].fd >= 0 && mp_flush(&ch->conns[i]) < 0) {
			run.failed = &ch->conns[i];
			rc = -1;
		}
	if (rc < 0) {
		snprintf(err, errlen, "%s", run.failed ? run.failed->err : "internal error");
		for (size_t i = 0; i < ch->n; i++)
			mp_close(&ch->conns[i]);
		return -1;
	}
	if (rc > 0) {
		snprintf(err, errlen, "a filter refused the connection at connect or HELO");
		ms_idle_close(ch);
		return -1;
	}
	return 0;
}

/* ms_idle_close - QUIT and close what ms_idle_open held */
int ms_idle_close(struct ms_chain *ch)
{
	int rc = 0;
	for (size_t i = 0; i < ch->n; i++)
		if (mp_quit(&ch->conns[i], 1) < 0) /* after HELO */
			rc = -1;
	return rc;
}
