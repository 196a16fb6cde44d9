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

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "addr.h"
#include "authres.h"
#include "buf.h"
#include "dns.h"
#include "findings.h"
#include "generation.h"
#include "message.h"
#include "mime.h"
#include "policy.h"
#include "reputation.h"
#include "quarantine.h"
#include "rules.h"
#include "session.h"
#include "spf.h"
#include "spool.h"
#include "task.h"
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

/* one SPF evaluation, run on a task */
struct spf_job {
	struct generation *gen;   /* owned reference: keeps the evaluator alive */
	char *ip, *helo, *sender; /* owned */
	enum spf_identity id;
	struct timespec deadline;
	int rc;                 /* spf_check's: -1 out of memory */
	struct spf_outcome out; /* the result, once the task has finished */
};

/* job_run - the evaluation, on the task's thread */
static void job_run(void *p)
{
	struct spf_job *j = p;
	j->rc = spf_check(j->gen->spf, j->ip, j->helo, j->sender, j->id, &j->deadline, &j->out);
}

/* job_done - release a job */
static void job_done(void *p)
{
	struct spf_job *j = p;
	spf_outcome_free(&j->out);
	free(j->ip);
	free(j->helo);
	free(j->sender);
	gen_release(j->gen);
	free(j);
}

/* job_start - start one SPF check of ip for an identity, bounded by deadline */
static struct task *job_start(struct generation *g, const char *ip, const char *helo,
			      const char *sender, enum spf_identity id,
			      const struct timespec *deadline)
{
	struct spf_job *j = calloc(1, sizeof(*j));
	if (j == NULL)
		return NULL;
	j->gen = gen_ref(g);
	j->ip = strdup(ip);
	j->helo = strdup(helo);
	j->sender = strdup(sender);
	j->id = id;
	j->deadline = *deadline;
	struct task *t = NULL;
	/* the identity's record already cached (a warm cache: the usual case for a busy MX): the
	 * check will not wait, so it runs here rather than on a worker thread */
	const char *at = strrchr(sender, '@');
	const char *dom = id == SPF_ID_HELO || at == NULL ? helo : at + 1;
	if (j->ip && j->helo && j->sender)
		t = dns_cached(g->dns, dom, DNS_T_TXT) ? task_run(job_run, j, job_done)
						       : task_start(job_run, j, job_done);
	if (t == NULL)
		job_done(j);
	return t;
}

/* is_ip - a textual IPv4 or IPv6 address */
static int is_ip(const char *a)
{
	unsigned char buf[16];
	return inet_pton(AF_INET, a, buf) == 1 || inet_pton(AF_INET6, a, buf) == 1;
}

/* scan_helo - start the SPF check of the HELO identity in g (its own DNS budget) */
int scan_helo(struct session *s, struct generation *g)
{
	task_release(s->spf_helo_task);
	s->spf_helo_task = NULL;
	if (g == NULL || g->spf == NULL || s->helo == NULL || s->helo[0] == '\0' ||
	    !is_ip(s->client_addr))
		return 0;
	struct timespec dl;
	dns_deadline(&dl, g->conf->dns_budget * 1000);
	s->spf_helo_task = job_start(g, s->client_addr, s->helo, "", SPF_ID_HELO, &dl);
	return s->spf_helo_task ? 0 : -1;
}

/* scan_envelope - start the SPF check of the MAIL FROM identity (and of the HELO identity,
 * if that did not start at HELO), under the message's budget */
int scan_envelope(struct session *s, struct message *m)
{
	const struct conf *c = m->gen->conf;
	dns_deadline(&m->dns_deadline, c->dns_budget * 1000);
	m->remote = is_ip(s->client_addr); /* DKIM and DMARC, like SPF, only for remote clients */
	if (m->gen->spf == NULL || !is_ip(s->client_addr))
		return 0; /* SPF off, or a local submission: nothing to check */
	if (s->spf_helo_task == NULL && scan_helo(s, m->gen) < 0)
		return -1;
	if (m->mail_from[0] == '\0')
		return 0; /* the null sender is checked as postmaster@HELO: the HELO check */
	m->spf_task = job_start(m->gen, s->client_addr, s->helo ? s->helo : "", m->mail_from,
				SPF_ID_MAILFROM, &m->dns_deadline);
	return m->spf_task ? 0 : -1;
}

/* scan_envelope_wait - collect the results of the checks scan_envelope started */
int scan_envelope_wait(const struct session *s, struct message *m)
{
	if (m->spf_collected || m->gen->spf == NULL)
		return 0;
	m->spf_collected = 1;
	if (s->spf_helo_task) {
		const struct spf_job *h = task_wait(s->spf_helo_task);
		if (h->rc < 0 || spf_outcome_copy(&m->spf_helo, &h->out) < 0)
			return -1;
		m->spf_helo_checked = 1;
	}
	if (m->spf_task) {
		struct spf_job *j = task_wait(m->spf_task);
		if (j->rc < 0)
			return -1;
		m->spf_mailfrom = j->out; /* taken over */
		memset(&j->out, 0, sizeof(j->out));
		m->spf_checked = 1;
		task_release(m->spf_task);
		m->spf_task = NULL;
	} else if (m->mail_from[0] == '\0' && m->spf_helo_checked) {
		/* RFC 7208 2.4: with a null sender, the HELO result is the MAIL FROM result */
		if (spf_outcome_copy(&m->spf_mailfrom, &m->spf_helo) < 0)
			return -1;
		m->spf_mailfrom.identity = SPF_ID_MAILFROM;
		m->spf_checked = 1;
	}
	return 0;
}

/* spf_facts - the SPF results as findings */
static int spf_facts(const struct message *m, struct findings *f)
{
	const struct spf_outcome *o = &m->spf_mailfrom, *h = &m->spf_helo;
	if (m->spf_checked &&
	    (fnd_add(f, "spf", "%s", spf_result_name(o->result)) < 0 ||
	     fnd_add(f, "spf.mailfrom", "%s", spf_result_name(o->result)) < 0 ||
	     fnd_add(f, "spf.mailfrom.identity", "%s", o->sender) < 0 ||
	     fnd_add(f, "spf.mailfrom.reason", "%s", o->reason) < 0 ||
	     fnd_add(f, "spf.mailfrom.lookups", "%u (%u void)", o->lookups, o->voids) < 0))
		return -1;
	if (m->spf_helo_checked && (fnd_add(f, "spf.helo", "%s", spf_result_name(h->result)) < 0 ||
				    fnd_add(f, "spf.helo.identity", "%s", h->domain) < 0 ||
				    fnd_add(f, "spf.helo.reason", "%s", h->reason) < 0))
		return -1;
	return 0;
}

/* header_facts - the From header(s): how many, and their addresses and domains (policy
 * lists, rules and DMARC use them) */
static int header_facts(const struct message *m, struct findings *f)
{
	size_t count = 0;
	for (size_t i = 0; i < m->nhdr; i++) {
		if (strcasecmp(m->hdrs[i].name, "From") != 0)
			continue;
		count++;
		struct addr a[ADDR_MAX];
		size_t n = addr_parse_list(m->hdrs[i].value, a, ADDR_MAX);
		for (size_t j = 0; j < n; j++)
			if (fnd_add(f, "header.from.address", "%s%s%s", a[j].local,
				    a[j].domain[0] ? "@" : "", a[j].domain) < 0 ||
			    (a[j].domain[0] &&
			     fnd_add(f, "header.from.domain", "%s", a[j].domain) < 0))
				return -1;
	}
	return fnd_add(f, "header.from.count", "%zu", count);
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

/* add_authres - one Authentication-Results header with every result (RFC 8601) */
static int add_authres(const struct session *s, const struct message *m, struct verdict *v)
{
	size_t nprops, nauth = scan_auth_results(m, &nprops);
	struct ar_result *r = calloc(3 + nauth, sizeof(*r));
	struct ar_prop *props = calloc(3 + nprops, sizeof(*props)); /* spf 0-1, iprev 2 */
	size_t n = 0;
	if (r == NULL || props == NULL) {
		free(r);
		free(props);
		return -1;
	}
	if (m->spf_checked && m->mail_from[0]) {
		props[n] = (struct ar_prop){"smtp", "mailfrom", m->spf_mailfrom.sender};
		r[n] = (struct ar_result){"spf", spf_result_name(m->spf_mailfrom.result),
					  m->spf_mailfrom.reason, &props[n], 1};
		n++;
	}
	if (m->spf_helo_checked && (m->mail_from[0] == '\0' || m->spf_helo.result != SPFR_NONE)) {
		props[n] = (struct ar_prop){"smtp", "helo", m->spf_helo.domain};
		r[n] = (struct ar_result){"spf", spf_result_name(m->spf_helo.result),
					  m->spf_helo.reason, &props[n], 1};
		n++;
	}
	const char *iprev_name, *iprev = s->rep ? rep_iprev(s->rep, &iprev_name) : NULL;
	if (iprev) { /* RFC 8601 2.7.3: the client address, the name in a comment */
		props[2] = (struct ar_prop){"policy", "iprev", s->client_addr};
		r[n] = (struct ar_result){"iprev", iprev, iprev_name, &props[2], 1};
		n++;
	}
	n += scan_auth_fill(m, r + n, props + 3);
	char *val = authres_value(m->gen->conf->authserv_id, r, n);
	free(r);
	free(props);
	if (val == NULL)
		return -1;
	int rc = vd_add_header(v, AUTHRES_HEADER, val);
	free(val);
	return rc;
}

/* add_received_spf - the optional Received-SPF header (RFC 7208 section 9.1) */
static int add_received_spf(const struct session *s, const struct message *m, struct verdict *v)
{
	if (!m->gen->conf->received_spf || !m->spf_checked)
		return 0;
	const struct spf_outcome *o = &m->spf_mailfrom;
	char *val =
	    authres_received_spf(spf_result_name(o->result), o->reason, s->client_addr,
				 m->mail_from, s->helo ? s->helo : "",
				 m->mail_from[0] ? "mailfrom" : "helo", m->gen->conf->authserv_id);
	if (val == NULL)
		return -1;
	int rc = vd_add_header(v, RECEIVED_SPF_HEADER, val);
	free(val);
	return rc;
}

/* prefix_subject - a tag's Subject prefix: the first Subject gets it in front (unless it
 * already starts with it); a message without one gets a Subject */
static int prefix_subject(const struct message *m, struct verdict *v)
{
	const char *old = msg_header_find(m, "Subject", 0);
	if (old == NULL)
		return vd_add_header(v, "Subject", v->subject_prefix);
	while (*old == ' ' || *old == '\t')
		old++;
	size_t pl = strlen(v->subject_prefix);
	while (pl && v->subject_prefix[pl - 1] == ' ')
		pl--; /* "[SPAM] " also counts as present in "[SPAM]" */
	if (strncmp(old, v->subject_prefix, pl) == 0)
		return 0;
	char *val = malloc(strlen(v->subject_prefix) + strlen(old) + 1);
	if (val == NULL)
		return -1;
	memcpy(val, v->subject_prefix, strlen(v->subject_prefix));
	memcpy(val + strlen(v->subject_prefix), old, strlen(old) + 1);
	int rc = vd_change_header(v, "Subject", 1, val);
	free(val);
	return rc;
}

/* with_ref - append " (ref ID)" to a reject or tempfail text so the sender's postmaster
 * can quote it and the log finds the message */
static int with_ref(const struct message *m, struct verdict *v)
{
	if ((v->action != VD_REJECT && v->action != VD_TEMPFAIL) || v->rcode[0] == '\0')
		return 0;
	const char *t = v->text ? v->text : "";
	size_t n = strlen(t) + MSG_REF_LEN + 8;
	char *nt = malloc(n);
	if (nt == NULL)
		return -1;
	snprintf(nt, n, "%s%s(ref %s)", t, *t ? " " : "", m->ref);
	free(v->text);
	v->text = nt;
	return 0;
}

/* scan_finish - header edits that every verdict carries */
int scan_finish(const struct session *s, const struct message *m, struct verdict *v, int failed)
{
	for (size_t i = m->nown; i > 0; i--) /* latest first: higher indexes before lower */
		if (vd_remove_header(v, m->own[i - 1].name, m->own[i - 1].index) < 0)
			return -1;
	if (!failed && with_ref(m, v) < 0)
		return -1;
	if (v->action != VD_ACCEPT && v->action != VD_TAG)
		return 0;
	if (v->action == VD_TAG && v->subject_prefix && prefix_subject(m, v) < 0)
		return -1;
	if (!failed && (add_authres(s, m, v) < 0 || add_received_spf(s, m, v) < 0))
		return -1;
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

/* rule_body - the first body_scan_max bytes of the body into b */
static int rule_body(const struct message *m, struct buf *b)
{
	size_t want = spool_size(m->body);
	if (want > m->gen->conf->body_scan_max)
		want = m->gen->conf->body_scan_max;
	buf_init(b, 0);
	char chunk[16384];
	for (size_t off = 0; off < want;) {
		size_t n = want - off < sizeof(chunk) ? want - off : sizeof(chunk);
		ssize_t r = spool_read(m->body, off, chunk, n);
		if (r <= 0)
			break; /* a read error: the rules see what was read */
		if (buf_add(b, chunk, (size_t)r) != BUF_OK)
			return -1;
		off += (size_t)r;
	}
	return 0;
}

/* spool_reader - mime_read over the message's body */
static ssize_t spool_reader(void *arg, size_t off, void *p, size_t len)
{
	return spool_read(arg, off, p, len);
}

/* mime_input - the message as the MIME analysis reads it: header fields, an empty line,
 * the body (from *body_off on, 0 when the header did not fit) as mime_elide keeps it, the
 * rest of long bodies left out (g); at most mime_scan_max bytes (*cut says when there
 * were more). The rules' rawbody is read from it too while it holds that whole. */
static int mime_input(const struct message *m, struct buf *b, struct mime_gaps *g, int *cut,
		      size_t *body_off)
{
	buf_init(b, m->gen->conf->mime_scan_max);
	memset(g, 0, sizeof(*g));
	*cut = 0;
	*body_off = 0;
	int rc = BUF_OK;
	for (size_t i = 0; rc == BUF_OK && i < m->nhdr; i++)
		rc = buf_printf(b, "%s:%s%s\r\n", m->hdrs[i].name,
				m->hdrs[i].value[0] == ' ' ? "" : " ", m->hdrs[i].value);
	if (rc == BUF_OK)
		rc = buf_add(b, "\r\n", 2);
	if (rc == BUF_NOMEM)
		return -1;
	if (rc == BUF_TOOBIG) {
		*cut = 1;
		return 0;
	}
	*body_off = b->len;
	int er = mime_elide(b, spool_size(m->body), spool_reader, m->body, MIME_KEEP, g);
	if (er < 0)
		return -1;
	*cut = er;
	return 0;
}

/* mime_facts - the MIME analysis of the message into mr, its facts into f */
static int mime_facts(const struct message *m, const struct buf *in, const struct mime_gaps *g,
		      int cut, struct findings *f, struct mime_result *mr)
{
	const struct conf *c = m->gen->conf;
	struct mime_opts o;
	mime_opts_default(&o);
	o.depth_max = c->mime_depth_max;
	o.parts_max = c->mime_parts_max;
	o.part_bytes_max = c->mime_part_bytes_max;
	o.total_bytes_max = c->mime_bytes_max;
	o.urls_max = c->mime_urls_max;
	o.header_line_max = c->mime_header_line_max;
	o.gaps = g;
	o.read = spool_reader;
	o.read_arg = m->body;
	int rc = -1;
	if (mime_analyze(in->data ? in->data : "", in->len, &o, mr) < 0)
		goto done;
	if (cut && fnd_add(f, "mime.scan_truncated", "%zu", c->mime_scan_max) < 0)
		goto done;
	if (fnd_add(f, "mime.parts", "%zu", mr->nparts) < 0)
		goto done;
	for (size_t i = 0; i < mr->nparts; i++) {
		const struct mime_part *p = &mr->parts[i];
		if (fnd_add(f, "mime.part", "%s %s%s%s%s%s%s%s%s%s size=%zu%s%s", p->path, p->type,
			    p->charset ? " charset=" : "", p->charset ? p->charset : "",
			    p->encoding ? " encoding=" : "", p->encoding ? p->encoding : "",
			    p->disposition ? " disposition=" : "",
			    p->disposition ? p->disposition : "", p->filename ? " filename=" : "",
			    p->filename ? p->filename : "", p->size, p->sniffed ? " sniffed=" : "",
			    p->sniffed ? p->sniffed : "") < 0)
			goto done;
		if (p->attachment &&
		    fnd_add(f, "mime.attachment", "%s %s", p->filename ? p->filename : "(no name)",
			    p->sniffed && strcmp(p->sniffed, p->type) != 0 ? p->sniffed : p->type) <
			0)
			goto done;
	}
	for (size_t i = 0; i < mr->urls.n; i++)
		if (fnd_add(f, "mime.url", "%s", mr->urls.v[i]) < 0)
			goto done;
	for (size_t i = 0; i < mr->domains.n; i++)
		if (fnd_add(f, "mime.url_domain", "%s", mr->domains.v[i]) < 0)
			goto done;
	for (size_t i = 0; i < mr->nnotes; i++)
		if (fnd_add(f, mr->notes[i].name, "%s", mr->notes[i].value) < 0)
			goto done;
	rc = 0;
done:
	return rc;
}

/* mime_values - the MIME rule targets' values, from mr, into x (5 entries) */
static void mime_values(const struct mime_result *mr, struct rule_values *x)
{
	const struct mime_list *l[] = {&mr->text, &mr->urls, &mr->domains, &mr->att_name,
				       &mr->att_type};
	static const char *const names[] = {"body", "url", "url-domain", "attachment:name",
					    "attachment:type"};
	for (size_t i = 0; i < ARRAY_LEN(l); i++)
		x[i] = (struct rule_values){names[i], (const char *const *)l[i]->v, l[i]->len,
					    l[i]->n};
}

/* run_rules - evaluate the generation's rules against the message; hits into out and,
 * as findings, "rules.hit" and "rules.limit" */
static int run_rules(const struct session *s, const struct message *m, const struct buf *text,
		     const struct mime_gaps *g, size_t body_off, const struct mime_result *mr,
		     struct scan_out *out)
{
	const struct rule_set *rs = m->gen->rules;
	if (rs == NULL || rule_count(rs) == 0)
		return 0;
	struct rule_header *hdrs = calloc(m->nhdr ? m->nhdr : 1, sizeof(*hdrs));
	struct buf body; /* only when the MIME input holds less of the body than rawbody needs */
	buf_init(&body, 0);
	size_t want = spool_size(m->body);
	if (want > m->gen->conf->body_scan_max)
		want = m->gen->conf->body_scan_max;
	const char *raw = text->data ? text->data + body_off : "";
	size_t raw_len = want;
	int rc = -1;
	if (hdrs == NULL)
		goto done;
	if (body_off == 0 || text->len - body_off < want ||
	    (g->n && g->v[0].at < body_off + want)) {
		if (rule_body(m, &body) < 0)
			goto done;
		raw = body.data ? body.data : "";
		raw_len = body.len;
	}
	if ((out->run = rule_run_new(rs)) == NULL)
		goto done;
	for (size_t i = 0; i < m->nhdr; i++)
		hdrs[i] = (struct rule_header){m->hdrs[i].name, m->hdrs[i].value};
	struct rule_values extra[5];
	mime_values(mr, extra);
	struct rule_input in = {.hdrs = hdrs,
				.nhdr = m->nhdr,
				.client_addr = s->client_addr,
				.client_name = s->client_name,
				.helo = s->helo ? s->helo : "",
				.mail_from = m->mail_from,
				.rcpts = (const char *const *)m->rcpts,
				.nrcpt = m->nrcpt,
				.size = m->size,
				.body = raw,
				.body_len = raw_len,
				.findings = out->findings,
				.extra = extra,
				.nextra = ARRAY_LEN(extra)};
	if (rule_eval(out->run, &in, &out->hits, &out->nhits, &out->limits, &out->nlimits) < 0)
		goto done;
	rc = 0;
	for (size_t i = 0; rc == 0 && i < out->nhits; i++)
		rc = fnd_add(out->findings, "rules.hit", "%s%s", out->hits[i].name,
			     out->hits[i].monitor ? " (monitor)" : "");
	for (size_t i = 0; rc == 0 && i < out->nlimits; i++)
		rc = fnd_add(out->findings, "rules.limit", "%s", out->limits[i]);
done:
	free(hdrs);
	buf_free(&body);
	return rc;
}

/* url_host - the host of a normalised URL ("scheme://[user@]host[:port]/..."); -1 if none */
static int url_host(const char *url, char *out, size_t cap)
{
	const char *p = strstr(url, "://");
	if (p == NULL)
		return -1;
	p += 3;
	size_t n = strcspn(p, "/?#");
	const char *at = memchr(p, '@', n);
	if (at) {
		n -= (size_t)(at + 1 - p);
		p = at + 1;
	}
	if (n && p[0] != '[') { /* a port, but not inside an IPv6 literal */
		const char *colon = memchr(p, ':', n);
		if (colon)
			n = (size_t)(colon - p);
	}
	if (n == 0 || n >= cap || p[0] == '[')
		return -1;
	memcpy(out, p, n);
	out[n] = '\0';
	return 0;
}

/* reputation_facts - the DKIM domains and URL domains on their lists, then every list's
 * answers */
static int reputation_facts(const struct session *s, const struct message *m,
			    const struct mime_result *mr, struct findings *f)
{
	if (s->rep == NULL)
		return 0;
	for (size_t i = 0; i < fnd_count(f); i++) /* DKIM ran at the end of the message */
		if (strcmp(fnd_at(f, i)->name, "dkim.pass.domain") == 0 &&
		    rep_dkim(s->rep, fnd_at(f, i)->value) < 0)
			return -1;
	for (size_t i = 0; i < mr->domains.n; i++)
		if (rep_uri(s->rep, mr->domains.v[i]) < 0)
			return -1;
	for (size_t i = 0; i < mr->urls.n; i++) { /* the full hosts, for lists that want them */
		char host[256];
		if (url_host(mr->urls.v[i], host, sizeof(host)) == 0 &&
		    rep_uri_host(s->rep, host) < 0)
			return -1;
	}
	return rep_facts(s->rep, &m->dns_deadline, f);
}

const char *const scan_stage_names[SCAN_T_N] = {"mime", "reputation_wait", "rules", "policy"};

/* scan_out_free - release */
void scan_out_free(struct scan_out *o)
{
	fnd_free(o->findings);
	rule_run_free(o->run);
	memset(o, 0, sizeof(*o));
}

/* scan_message - the pipeline */
int scan_message(const struct session *s, const struct message *m, struct scan_out *out,
		 struct verdict *v)
{
	memset(out, 0, sizeof(*out));
	vd_init(v);
	struct findings *f = out->findings = fnd_new();
	if (f == NULL)
		return -1;
	struct mime_result mr;
	memset(&mr, 0, sizeof(mr));
	struct timespec t[SCAN_T_N + 1];
	int rc = -1;
	struct buf text;       /* the message as read once from the spool, for MIME and rawbody */
	struct mime_gaps gaps; /* what text leaves out of long bodies */
	size_t body_off;
	int cut;
	clock_gettime(CLOCK_MONOTONIC, &t[0]);
	if (mime_input(m, &text, &gaps, &cut, &body_off) < 0 || envelope_facts(s, m, f) < 0 ||
	    size_facts(m, f) < 0 || header_facts(m, f) < 0 || spf_facts(m, f) < 0 ||
	    scan_auth_facts(s, m, f) < 0 || mime_facts(m, &text, &gaps, cut, f, &mr) < 0)
		goto done;
	clock_gettime(CLOCK_MONOTONIC, &t[SCAN_T_MIME + 1]);
	if (reputation_facts(s, m, &mr, f) < 0)
		goto done;
	clock_gettime(CLOCK_MONOTONIC, &t[SCAN_T_REPUTATION + 1]);
	if (pol_lists(m->gen->policy, f) < 0 || quar_released(m, f) < 0 ||
	    run_rules(s, m, &text, &gaps, body_off, &mr, out) < 0)
		goto done;
	clock_gettime(CLOCK_MONOTONIC, &t[SCAN_T_RULES + 1]);
	if (pol_decide(m->gen->policy, f, out->hits, out->nhits, v) < 0 ||
	    scan_finish(s, m, v, 0) < 0)
		goto done;
	clock_gettime(CLOCK_MONOTONIC, &t[SCAN_T_POLICY + 1]);
	for (int i = 0; i < SCAN_T_N; i++)
		out->ms[i] = (double)(t[i + 1].tv_sec - t[i].tv_sec) * 1e3 +
			     (double)(t[i + 1].tv_nsec - t[i].tv_nsec) / 1e6;
	rc = 0;
done:
	if (rc < 0) {
		scan_out_free(out);
		vd_free(v);
	}
	mime_result_free(&mr);
	buf_free(&text);
	mime_gaps_free(&gaps);
	return rc;
}
