/*
 * quarantine.c - carry out quarantine verdicts; release marks; retention; events.
 *
 * SYNOPSIS
 *	quar_keep(session, can_hold, &outcome)
 *	quar_released(message, findings)
 *	quar_purge(store, max_age, max_size, by, ...)  quar_tick(conf)
 *
 * DESCRIPTION
 *	The policy's `quarantine-to` picks the destination: the store
 *	(quarantine_dir), the MTA's hold queue, or both; "auto" is the store
 *	when quarantine_dir is set. A stored entry holds the message as
 *	received (every header as the MTA passed it, then the body) and its
 *	metadata: the full JSON record of jsonlog_message (envelope, verdict,
 *	every rule hit with file:line and what matched, every finding, the
 *	generation). When the store cannot be written the message goes on
 *	hold instead, and when the MTA has no hold either, quar_keep fails
 *	and the caller tempfails: a quarantined message is never dropped.
 *	A message released by `portcullis quarantine release` carries
 *	RELEASE_HEADER: "ID TOKEN"; it counts only while the index says ID
 *	was released with that token at most release_mark_max_age ago.
 *
 * THREAD SAFETY
 *	The stores are opened once per directory under a mutex and shared
 *	(qstore is thread-safe); the purge timer runs in the main thread.
 */
#include "config.h"

#include "quarantine.h"

#include <errno.h>
#include <grp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "conf.h"
#include "findings.h"
#include "generation.h"
#include "jsonlog.h"
#include "log.h"
#include "message.h"
#include "policy.h"
#include "qstore.h"
#include "rules.h"
#include "scan.h"
#include "session.h"
#include "spool.h"

#define STORES_MAX 8 /* directories opened in one process (reloads may change it) */

static pthread_mutex_t stores_lock = PTHREAD_MUTEX_INITIALIZER;
static struct {
	char *dir;        /* owned */
	struct qstore *q; /* owned */
} stores[STORES_MAX];     /* guarded by stores_lock */
static time_t last_purge; /* main thread only */

/* quar_store - opened once per directory */
struct qstore *quar_store(const struct conf *c, char *err, size_t errlen)
{
	if (c->quarantine_dir == NULL) {
		snprintf(err, errlen, "no quarantine_dir is set in %s", c->file);
		return NULL;
	}
	pthread_mutex_lock(&stores_lock);
	struct qstore *q = NULL;
	size_t i = 0;
	for (; i < STORES_MAX && stores[i].dir; i++)
		if (strcmp(stores[i].dir, c->quarantine_dir) == 0) {
			q = stores[i].q;
			break;
		}
	if (q == NULL && i == STORES_MAX)
		snprintf(err, errlen, "too many quarantine directories in one run: restart");
	else if (q == NULL) {
		int flags = c->quarantine_group ? QSTORE_SHARED : 0;
		char *d = strdup(c->quarantine_dir);
		q = d ? qstore_open(c->quarantine_dir, flags, err, errlen) : NULL;
		if (q) {
			stores[i].dir = d;
			stores[i].q = q;
		} else
			free(d);
	}
	pthread_mutex_unlock(&stores_lock);
	return q;
}

/* quar_shutdown - close every store */
void quar_shutdown(void)
{
	pthread_mutex_lock(&stores_lock);
	for (size_t i = 0; i < STORES_MAX && stores[i].dir; i++) {
		qstore_close(stores[i].q);
		free(stores[i].dir);
		stores[i].dir = NULL;
		stores[i].q = NULL;
	}
	pthread_mutex_unlock(&stores_lock);
}

/* quar_event - a JSON log line */
void quar_event(const char *event, const char *id, const char *by, const char *extra)
{
	struct buf b;
	buf_init(&b, 0);
	if (jsonlog_event(&b, event, id, by, extra) == 0 && buf_adds(&b, "\n") == BUF_OK &&
	    jsonlog_write(b.data, b.len) < 0)
		log_warn("cannot write the JSON log (quarantine %s %s)", event, id);
	buf_free(&b);
}

/* put_value - a header value; the MTA passes folded lines with LF alone: CRLF, as on the
 * wire */
static int put_value(struct qwriter *w, const char *v)
{
	for (const char *p = v; *p;) {
		size_t n = strcspn(p, "\n");
		if (qwriter_put(w, p, n) < 0)
			return -1;
		p += n;
		if (*p == '\n') {
			int cr = n > 0 && p[-1] == '\r';
			if (qwriter_put(w, cr ? "\n" : "\r\n", cr ? 1 : 2) < 0)
				return -1;
			p++;
		}
	}
	return 0;
}

/* write_message - the message as received: headers as the MTA passed them, then the body */
static int write_message(void *arg, struct qwriter *w)
{
	const struct message *m = arg;
	for (size_t i = 0; i < m->nhdr; i++) {
		const struct header *h = &m->hdrs[i];
		if (qwriter_put(w, h->name, strlen(h->name)) < 0 || qwriter_put(w, ":", 1) < 0 ||
		    put_value(w, h->value) < 0 || qwriter_put(w, "\r\n", 2) < 0)
			return -1;
	}
	if (qwriter_put(w, "\r\n", 2) < 0)
		return -1;
	char chunk[16384];
	size_t total = spool_size(m->body);
	for (size_t off = 0; off < total;) {
		ssize_t r = spool_read(m->body, off, chunk, sizeof(chunk));
		if (r <= 0 || qwriter_put(w, chunk, (size_t)r) < 0)
			return -1;
		off += (size_t)r;
	}
	return 0;
}

/* fill_entry - the index fields from the session; arrays owned by the caller (free) */
static int fill_entry(const struct session *s, struct qentry *e, char **subject)
{
	const struct message *m = s->msg;
	snprintf(e->id, sizeof(e->id), "%s", m->ref);
	e->time = (long long)time(NULL);
	e->queue_id = m->queue_id ? m->queue_id : "";
	e->client_addr = s->client_addr;
	e->mail_from = m->mail_from;
	const char *fd = s->findings ? fnd_get(s->findings, "header.from.domain") : NULL;
	e->from_domain = (char *)(fd ? fd : "");
	const char *subj = msg_header_find(m, "Subject", 0);
	while (subj && (*subj == ' ' || *subj == '\t'))
		subj++;
	*subject = strndup(subj ? subj : "", JSONLOG_SUBJECT_MAX);
	e->subject = *subject;
	e->score = s->verdict.score;
	e->action = (char *)vd_action_name(s->verdict.action);
	e->rcpts = m->rcpts;
	e->nrcpt = m->nrcpt;
	e->rules = calloc(s->nhits + 1, sizeof(char *));
	if (*subject == NULL || e->rules == NULL)
		return -1;
	for (size_t i = 0; i < s->nhits; i++)
		if (!s->hits[i].monitor)
			e->rules[e->nrule++] = (char *)s->hits[i].name;
	return 0;
}

/* elapsed_ms - since t0 */
static double elapsed_ms(const struct timespec *t0)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)(t.tv_sec - t0->tv_sec) * 1e3 + (double)(t.tv_nsec - t0->tv_nsec) / 1e6;
}

/* store - write s's message into the store; -1 with err */
static int store(const struct session *s, struct quar_outcome *o, char *err, size_t errlen)
{
	const struct conf *c = s->msg->gen->conf;
	struct timespec t0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	struct qstore *q = quar_store(c, err, errlen);
	if (q == NULL)
		return -1;
	struct qstore_item it = {.write_msg = write_message, .arg = s->msg};
	char *subject = NULL;
	struct buf meta;
	buf_init(&meta, 0);
	struct jl_info info = {.quarantine_id = s->msg->ref, .quarantine_to = "store"};
	int rc = -1;
	if (fill_entry(s, &it.e, &subject) < 0 || jsonlog_message(&meta, s, &info, 1) < 0)
		snprintf(err, errlen, "out of memory");
	else {
		it.meta_json = meta.data;
		rc = qstore_put(q, &it, err, errlen);
	}
	free(it.e.rules);
	free(subject);
	buf_free(&meta);
	o->store_ms = elapsed_ms(&t0);
	if (rc == 0) {
		snprintf(o->id, sizeof(o->id), "%s", s->msg->ref);
		o->stored = 1;
	}
	return rc;
}

/* quar_keep - the policy's destination, with the fallbacks of DESCRIPTION */
int quar_keep(const struct session *s, int can_hold, struct quar_outcome *o)
{
	memset(o, 0, sizeof(*o));
	const struct generation *g = s->msg->gen;
	enum pol_qdest d = pol_quarantine_to(g->policy);
	if (d == PQ_AUTO)
		d = g->conf->quarantine_dir ? PQ_STORE : PQ_HOLD;
	char err[512] = "";
	if ((d == PQ_STORE || d == PQ_BOTH) && store(s, o, err, sizeof(err)) < 0)
		log_err("%s: quarantine store failed (%s): %s", s->msg->ref, err,
			can_hold ? "the MTA holds the message instead" : "tempfail");
	o->held = can_hold && (d != PQ_STORE || !o->stored);
	if (!o->stored && !o->held) {
		if (d == PQ_HOLD)
			log_err("%s: quarantine-to hold, but the MTA does not allow quarantining",
				s->msg->ref);
		return -1;
	}
	o->to = o->stored && o->held ? "both" : o->stored ? "store" : "hold";
	if (o->stored) {
		char extra[128];
		snprintf(extra, sizeof(extra), "\"to\":\"%s\"", o->to);
		quar_event("stored", o->id, "portcullisd", extra);
	}
	return 0;
}

/* quar_released - a valid release mark becomes the finding "released" */
int quar_released(const struct message *m, struct findings *f)
{
	const struct conf *c = m->gen->conf;
	const char *v = msg_header_find(m, RELEASE_HEADER, 0);
	if (v == NULL || c->quarantine_dir == NULL)
		return 0;
	while (*v == ' ' || *v == '\t')
		v++;
	char id[QID_LEN + 1], token[65], err[256];
	size_t n = strcspn(v, " \t");
	if (n != QID_LEN)
		return 0;
	memcpy(id, v, n);
	id[n] = '\0';
	v += n;
	while (*v == ' ' || *v == '\t')
		v++;
	n = strcspn(v, " \t\r\n");
	if (n == 0 || n >= sizeof(token))
		return 0;
	memcpy(token, v, n);
	token[n] = '\0';
	struct qstore *q = quar_store(c, err, sizeof(err));
	if (q && qstore_release_valid(q, id, token, c->release_mark_max_age))
		return fnd_add(f, "released", "%s", id);
	log_warn("%s: %s %s is not a valid release mark: ignored", m->ref, RELEASE_HEADER, id);
	return 0;
}

/* quar_prepare - create the store as root and hand it to the daemon's user */
int quar_prepare(const struct conf *c, uid_t uid, gid_t gid, char *err, size_t errlen)
{
	if (c->quarantine_dir == NULL)
		return 0;
	if (c->quarantine_group) {
		struct group *gr = getgrnam(c->quarantine_group);
		if (gr == NULL) {
			snprintf(err, errlen, "no such group %s", c->quarantine_group);
			return -1;
		}
		gid = gr->gr_gid;
	}
	int flags = QSTORE_CREATE | (c->quarantine_group ? QSTORE_SHARED : 0);
	struct qstore *q = qstore_open(c->quarantine_dir, flags, err, errlen);
	if (q == NULL)
		return -1;
	qstore_close(q);
	static const char *const sub[] = {
	    "", "/q", "/tmp", "/index.sqlite", "/index.sqlite-wal", "/index.sqlite-shm"};
	char path[4096], ebuf[128];
	for (size_t i = 0; i < ARRAY_LEN(sub); i++) {
		snprintf(path, sizeof(path), "%s%s", c->quarantine_dir, sub[i]);
		if (chown(path, uid, gid) < 0 && errno != ENOENT) {
			snprintf(err, errlen, "chown %s: %s", path,
				 log_strerror(errno, ebuf, sizeof(ebuf)));
			return -1;
		}
	}
	return 0;
}

/* quar_startup - repair at start */
void quar_startup(const struct conf *c)
{
	char err[512];
	if (c->quarantine_dir == NULL)
		return;
	struct qstore *q = quar_store(c, err, sizeof(err));
	size_t added, removed;
	if (q == NULL || qstore_repair(q, &added, &removed, err, sizeof(err)) < 0)
		log_err("quarantine %s: %s", c->quarantine_dir, err);
	else if (added || removed)
		log_notice("quarantine %s repaired: %zu entries added to the index, %zu "
			   "stale rows removed",
			   c->quarantine_dir, added, removed);
}

/* A purge's view of the store: every entry, oldest first. */
struct purge_list {
	char (*id)[QID_LEN + 1]; /* owned */
	long long *time, *size;  /* owned */
	size_t n, cap;
	long long total;
	int nomem;
};

/* purge_collect - one entry */
static int purge_collect(void *arg, const struct qentry *e)
{
	struct purge_list *l = arg;
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 256;
		void *a = realloc(l->id, cap * sizeof(*l->id));
		if (a)
			l->id = a;
		void *b = a ? realloc(l->time, cap * sizeof(*l->time)) : NULL;
		if (b)
			l->time = b;
		void *c = b ? realloc(l->size, cap * sizeof(*l->size)) : NULL;
		if (c == NULL) {
			l->nomem = 1;
			return 1;
		}
		l->size = c;
		l->cap = cap;
	}
	memcpy(l->id[l->n], e->id, sizeof(l->id[0]));
	l->time[l->n] = e->time;
	l->size[l->n] = e->size;
	l->total += e->size;
	l->n++;
	return 0;
}

/* quar_purge - retention by age, then by size */
int quar_purge(struct qstore *q, unsigned max_age, size_t max_size, const char *by, size_t *n,
	       long long *bytes, char *err, size_t errlen)
{
	struct purge_list l = {0};
	struct qfilter all = {.oldest_first = 1};
	struct qindex *ix = qstore_index(q);
	*n = 0;
	*bytes = 0;
	if (ix->ops->list(ix, &all, purge_collect, &l) < 0 || l.nomem) {
		snprintf(err, errlen, "%s", l.nomem ? "out of memory" : ix->ops->error(ix));
		free(l.id);
		free(l.time);
		free(l.size);
		return -1;
	}
	long long cutoff = max_age ? (long long)time(NULL) - max_age : 0;
	for (size_t i = 0; i < l.n; i++) {
		int old = l.time[i] < cutoff;
		int big = max_size && l.total > (long long)max_size;
		if (!old && !big)
			break;
		if (qstore_delete(q, l.id[i]) < 0 && errno != ENOENT) {
			log_warn("purge: cannot delete %s", l.id[i]);
			continue;
		}
		l.total -= l.size[i];
		(*n)++;
		*bytes += l.size[i];
		quar_event("purged", l.id[i], by, old ? "\"why\":\"age\"" : "\"why\":\"size\"");
	}
	free(l.id);
	free(l.time);
	free(l.size);
	return 0;
}

/* quar_tick - the retention timer */
void quar_tick(const struct conf *c)
{
	time_t now = time(NULL);
	if (c->quarantine_dir == NULL || c->quarantine_purge_interval == 0 ||
	    (last_purge && now - last_purge < (time_t)c->quarantine_purge_interval))
		return;
	last_purge = now;
	char err[512];
	size_t n;
	long long bytes;
	struct qstore *q = quar_store(c, err, sizeof(err));
	if (q == NULL || quar_purge(q, c->quarantine_max_age, c->quarantine_max_size, "portcullisd",
				    &n, &bytes, err, sizeof(err)) < 0)
		log_err("quarantine purge: %s", err);
	else if (n)
		log_notice("quarantine purge: %zu entries (%lld bytes) removed", n, bytes);
}
