/*
 * scan.c - the scan pipeline shared by portcullisd and `portcullis check`.
 *
 * DESCRIPTION
 *	Turns a finished message into findings (envelope, sizes, caps hit;
 *	later SPF, DKIM, DMARC, reputation and MIME facts), hands them to the
 *	policy of the message's generation, and completes the verdict: an
 *	accepted message gets one VERDICT_HEADER naming the verdict, and any
 *	such header that arrived with the message is removed so that nobody
 *	upstream can forge it.
 *
 * THREAD SAFETY
 *	Reads only the message, its session and the immutable generation.
 */
#include "config.h"

#include "scan.h"

#include <stdio.h>

#include "findings.h"
#include "generation.h"
#include "message.h"
#include "policy.h"
#include "session.h"
#include "spool.h"
#include "verdict.h"

/* envelope_facts - who sent it and to whom */
static int envelope_facts(const struct session *s, const struct message *m, struct findings *f)
{
	if (fnd_add(f, "envelope.client_addr", "%s", s->client_addr) < 0 ||
	    fnd_add(f, "envelope.client_name", "%s", s->client_name) < 0 ||
	    fnd_add(f, "envelope.helo", "%s", s->helo ? s->helo : "") < 0 ||
	    fnd_add(f, "envelope.mail_from", "%s", m->mail_from) < 0)
		return -1;
	for (size_t i = 0; i < m->nrcpt; i++)
		if (fnd_add(f, "envelope.rcpt", "%s", m->rcpts[i]) < 0)
			return -1;
	if (m->queue_id && fnd_add(f, "envelope.queue_id", "%s", m->queue_id) < 0)
		return -1;
	return 0;
}

/* size_facts - sizes and the caps that were hit */
static int size_facts(const struct message *m, struct findings *f)
{
	const struct conf *c = m->gen->conf;
	if (fnd_add(f, "size.bytes", "%zu", m->size) < 0 ||
	    fnd_add(f, "size.body_bytes", "%zu", m->body_size) < 0 ||
	    fnd_add(f, "size.headers", "%zu", m->nhdr) < 0)
		return -1;
	if ((m->flags & MSG_OVERSIZE) &&
	    fnd_add(f, "size.oversize", "%zu > %zu", m->size, c->message_size_max) < 0)
		return -1;
	if ((m->flags & MSG_HEADERS_CAPPED) &&
	    fnd_add(f, "size.headers_capped", "%u", c->header_count_max) < 0)
		return -1;
	if ((m->flags & MSG_RCPTS_CAPPED) &&
	    fnd_add(f, "size.rcpts_capped", "%d", MSG_RCPT_MAX) < 0)
		return -1;
	if (spool_on_disk(m->body) && fnd_add(f, "size.spooled", "%zu", spool_size(m->body)) < 0)
		return -1;
	return 0;
}

/* scan_finish - header edits that every verdict carries */
int scan_finish(const struct message *m, struct verdict *v, int failed)
{
	if (m->own_hdr_count && vd_remove_header(v, VERDICT_HEADER, m->own_hdr_count) < 0)
		return -1;
	if (v->action != VD_ACCEPT && v->action != VD_TAG)
		return 0;
	char val[256];
	if (failed)
		snprintf(val, sizeof(val), "unchecked (internal failure; %s)",
			 m->gen->conf->authserv_id);
	else
		snprintf(val, sizeof(val), "%s score=%.1f (%s; generation %lu)",
			 vd_action_name(v->action), v->score, m->gen->conf->authserv_id,
			 m->gen->serial);
	return vd_add_header(v, VERDICT_HEADER, val);
}

/* scan_message - the pipeline */
int scan_message(const struct session *s, const struct message *m, struct findings **out,
		 struct verdict *v)
{
	struct findings *f = fnd_new();
	vd_init(v);
	if (f == NULL)
		return -1;
	if (envelope_facts(s, m, f) < 0 || size_facts(m, f) < 0 ||
	    pol_decide(m->gen->policy, f, v) < 0 || scan_finish(m, v, 0) < 0) {
		fnd_free(f);
		vd_free(v);
		return -1;
	}
	*out = f;
	return 0;
}
