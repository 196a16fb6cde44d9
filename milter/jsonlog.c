/*
 * jsonlog.c - the per-message JSON log and the quarantine events.
 *
 * SYNOPSIS
 *	jsonlog_open(path)  jsonlog_reopen()  jsonlog_write(line, len)
 *	jsonlog_message(buf, session, info, full)  jsonlog_event(buf, ...)
 *
 * DESCRIPTION
 *	One JSON object per line, schema version 1 (portcullis.jsonlog(5)).
 *	A message record: time, ref, queue id, client, envelope, From,
 *	Subject (at most JSONLOG_SUBJECT_MAX bytes), size, the SPF, DKIM,
 *	DMARC and iprev results, reputation hits, rule hits, score, verdict,
 *	reply, quarantine id and destination, stage durations and the
 *	generation. With full (the quarantine's metadata) also every finding,
 *	the verdict's reasons and each hit's explanation. Every string goes
 *	through json_str, so the line is valid UTF-8 JSON whatever the mail
 *	held. The file is opened O_APPEND and each record is one write(2).
 *
 * THREAD SAFETY
 *	A read-write lock: writers share it, open/reopen/close take it alone,
 *	so a descriptor is never closed under a write.
 */
#include "config.h"

#include "jsonlog.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "findings.h"
#include "generation.h"
#include "json.h"
#include "message.h"
#include "rules.h"
#include "scan.h"
#include "session.h"
#include "verdict.h"

static pthread_rwlock_t jl_lock = PTHREAD_RWLOCK_INITIALIZER;
static int jl_fd = -1; /* guarded by jl_lock */
static char *jl_path;  /* owned, guarded by jl_lock */

/* open_locked - (re)open path; caller holds the write lock */
static int open_locked(const char *path)
{
	int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY, 0640);
	if (fd < 0)
		return -1;
	if (jl_fd >= 0)
		close(jl_fd);
	jl_fd = fd;
	return 0;
}

/* jsonlog_open - switch to path */
int jsonlog_open(const char *path)
{
	pthread_rwlock_wrlock(&jl_lock);
	int rc = 0;
	if (path == NULL) {
		if (jl_fd >= 0)
			close(jl_fd);
		jl_fd = -1;
		free(jl_path);
		jl_path = NULL;
	} else {
		char *p = strdup(path);
		if (p == NULL || open_locked(p) < 0) {
			int e = p ? errno : ENOMEM;
			free(p);
			errno = e;
			rc = -1;
		} else {
			free(jl_path);
			jl_path = p;
		}
	}
	pthread_rwlock_unlock(&jl_lock);
	return rc;
}

/* jsonlog_reopen - after logrotate moved the file away */
int jsonlog_reopen(void)
{
	pthread_rwlock_wrlock(&jl_lock);
	int rc = jl_path ? open_locked(jl_path) : 0;
	pthread_rwlock_unlock(&jl_lock);
	return rc;
}

/* jsonlog_close - stop */
void jsonlog_close(void)
{
	if (jsonlog_open(NULL) < 0)
		return; /* cannot fail with NULL */
}

/* jsonlog_write - one record, one write */
int jsonlog_write(const char *line, size_t len)
{
	pthread_rwlock_rdlock(&jl_lock);
	ssize_t w = 0;
	if (jl_fd >= 0) {
		do
			w = write(jl_fd, line, len);
		while (w < 0 && errno == EINTR);
	}
	int e = errno;
	pthread_rwlock_unlock(&jl_lock);
	if (w >= 0 && (size_t)w != len && jl_fd >= 0) {
		errno = ENOSPC; /* a short append: the disk is full */
		return -1;
	}
	errno = e;
	return w < 0 ? -1 : 0;
}

/* jsonlog_time - RFC 3339, UTC, milliseconds */
void jsonlog_time(char *out, size_t len)
{
	struct timespec ts;
	struct tm tm;
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	char base[32];
	strftime(base, sizeof(base), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(out, len, "%s.%03ldZ", base, ts.tv_nsec / 1000000);
}

/* str_or_null - a JSON string, or null */
static int str_or_null(struct buf *b, const char *s)
{
	return s ? json_str(b, s) : (buf_adds(b, "null") == BUF_OK ? 0 : -1);
}

/* member - ,"name": and a string or null */
static int member(struct buf *b, const char *name, const char *s)
{
	return (buf_printf(b, ",\"%s\":", name) == BUF_OK ? 0 : -1) | str_or_null(b, s);
}

/* subject - the first Subject, leading white space dropped, cut at a UTF-8 boundary */
static int subject(struct buf *b, const struct message *m)
{
	const char *s = msg_header_find(m, "Subject", 0);
	if (s == NULL)
		return member(b, "subject", NULL);
	while (*s == ' ' || *s == '\t')
		s++;
	size_t n = strlen(s);
	if (n > JSONLOG_SUBJECT_MAX) {
		n = JSONLOG_SUBJECT_MAX;
		while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
			n--;
	}
	char *cut = strndup(s, n);
	if (cut == NULL)
		return -1;
	int rc = member(b, "subject", cut);
	free(cut);
	return rc;
}

/* findings_named - ,"name":[values of the findings called fname] */
static int findings_named(struct buf *b, const char *name, const struct findings *f,
			  const char *fname)
{
	int rc = buf_printf(b, ",\"%s\":[", name) == BUF_OK ? 0 : -1;
	size_t k = 0;
	for (size_t i = 0; f && i < fnd_count(f); i++) {
		const struct finding *x = fnd_at(f, i);
		if (strcmp(x->name, fname) == 0)
			rc |= (k++ ? buf_adds(b, ",") : 0) | json_str(b, x->value);
	}
	return rc | (buf_adds(b, "]") == BUF_OK ? 0 : -1);
}

/* auth - the authentication results ({"spf":"pass",...}; null when not checked) */
static int auth(struct buf *b, const struct findings *f)
{
	static const char *const names[] = {"spf", "dkim", "dmarc", "iprev"};
	int rc = buf_adds(b, ",\"auth\":{") == BUF_OK ? 0 : -1;
	for (size_t i = 0; i < ARRAY_LEN(names); i++)
		rc |= buf_printf(b, "%s\"%s\":", i ? "," : "", names[i]) |
		      str_or_null(b, f ? fnd_get(f, names[i]) : NULL);
	/* what a DMARC aggregate report needs, so reports never reparse mail */
	rc |= buf_adds(b, ",\"dmarc_report\":") |
	      str_or_null(b, f ? fnd_get(f, "dmarc.report") : NULL);
	return rc | (buf_adds(b, "}") == BUF_OK ? 0 : -1);
}

/* reputation - findings of the DNS lists (dnsbl:ZONE, rhsbl:, uribl:) */
static int reputation(struct buf *b, const struct findings *f)
{
	int rc = buf_adds(b, ",\"reputation\":[") == BUF_OK ? 0 : -1;
	size_t k = 0;
	for (size_t i = 0; f && i < fnd_count(f); i++) {
		const struct finding *x = fnd_at(f, i);
		if (strncmp(x->name, "dnsbl:", 6) && strncmp(x->name, "rhsbl:", 6) &&
		    strncmp(x->name, "uribl:", 6))
			continue;
		rc |= buf_adds(b, k++ ? ",{\"list\":" : "{\"list\":") | json_str(b, x->name) |
		      buf_adds(b, ",\"value\":") | json_str(b, x->value) | buf_adds(b, "}");
	}
	return rc | (buf_adds(b, "]") == BUF_OK ? 0 : -1);
}

/* hits - the rule hits; full: with what matched */
static int hits(struct buf *b, const struct session *s, int full)
{
	int rc = buf_adds(b, ",\"rules\":[") == BUF_OK ? 0 : -1;
	for (size_t i = 0; i < s->nhits; i++) {
		const struct rule_hit *h = &s->hits[i];
		rc |= buf_adds(b, i ? ",{\"name\":" : "{\"name\":") | json_str(b, h->name) |
		      buf_adds(b, ",\"file\":") | json_str(b, h->file) |
		      buf_printf(b, ",\"line\":%u,\"score\":%.2f,\"monitor\":%s", h->line, h->score,
				 h->monitor ? "true" : "false") |
		      member(b, "action", h->action ? rule_action_name(h->action) : NULL);
		if (full)
			rc |= member(b, "why", h->why);
		rc |= buf_adds(b, "}");
	}
	return rc | (buf_adds(b, "]") == BUF_OK ? 0 : -1);
}

/* verdict - score, verdict, reply, decided_by; full: reasons */
static int verdict(struct buf *b, const struct verdict *v, int full)
{
	int rc = buf_printf(b, ",\"score\":%.2f", v->score) |
		 member(b, "verdict", vd_action_name(v->action));
	if (v->rcode[0])
		rc |= buf_adds(b, ",\"reply\":{\"code\":") | json_str(b, v->rcode) |
		      member(b, "status", v->xcode[0] ? v->xcode : NULL) |
		      member(b, "text", v->text) | buf_adds(b, "}");
	else
		rc |= buf_adds(b, ",\"reply\":null");
	rc |= member(b, "decided_by", v->decided_by);
	if (full) {
		rc |= buf_adds(b, ",\"reasons\":[");
		for (size_t i = 0; i < v->nreason; i++)
			rc |= (i ? buf_adds(b, ",") : 0) | json_str(b, v->reasons[i]);
		rc |= buf_adds(b, "]");
	}
	return rc ? -1 : 0;
}

/* all_findings - every fact, in order */
static int all_findings(struct buf *b, const struct findings *f)
{
	int rc = buf_adds(b, ",\"findings\":[") == BUF_OK ? 0 : -1;
	for (size_t i = 0; f && i < fnd_count(f); i++) {
		const struct finding *x = fnd_at(f, i);
		rc |= buf_adds(b, i ? ",{\"name\":" : "{\"name\":") | json_str(b, x->name) |
		      buf_adds(b, ",\"value\":") | json_str(b, x->value) | buf_adds(b, "}");
	}
	return rc | (buf_adds(b, "]") == BUF_OK ? 0 : -1);
}

/* envelope - client, sender, recipients, From, Subject, size */
static int envelope(struct buf *b, const struct session *s, const struct message *m)
{
	int rc = member(b, "ref", m ? m->ref : NULL) |
		 member(b, "queue_id", m ? m->queue_id : NULL) |
		 buf_adds(b, ",\"client\":{\"addr\":") | json_str(b, s->client_addr) |
		 member(b, "name", s->client_name) | member(b, "helo", s->helo) | buf_adds(b, "}") |
		 member(b, "mail_from", m ? m->mail_from : NULL) | buf_adds(b, ",\"rcpts\":[");
	for (size_t i = 0; m && i < m->nrcpt; i++)
		rc |= (i ? buf_adds(b, ",") : 0) | json_str(b, m->rcpts[i]);
	rc |= buf_adds(b, "]") | findings_named(b, "from", s->findings, "header.from.address") |
	      findings_named(b, "from_domain", s->findings, "header.from.domain");
	if (m)
		rc |= subject(b, m) | buf_printf(b, ",\"size\":%zu", m->size);
	return rc ? -1 : 0;
}

/* jsonlog_message - one message's record */
int jsonlog_message(struct buf *b, const struct session *s, const struct jl_info *info, int full)
{
	const struct message *m = s->msg;
	char now[40];
	jsonlog_time(now, sizeof(now));
	int rc =
	    buf_printf(b, "{\"v\":%d,\"type\":\"message\",\"time\":\"%s\"", JSONLOG_VERSION, now) |
	    envelope(b, s, m) | auth(b, s->findings) | reputation(b, s->findings) |
	    hits(b, s, full) | verdict(b, &s->verdict, full);
	if (info && info->quarantine_to)
		rc |= buf_adds(b, ",\"quarantine\":{\"id\":") |
		      str_or_null(b, info->quarantine_id) | member(b, "to", info->quarantine_to) |
		      buf_adds(b, "}");
	else
		rc |= buf_adds(b, ",\"quarantine\":null");
	rc |= buf_printf(b, ",\"durations_ms\":{\"scan\":%.3f,\"store\":%.3f,\"spf_wait\":%.3f",
			 info ? info->scan_ms : 0.0, info ? info->store_ms : 0.0, s->spf_wait_ms);
	for (int i = 0; i < SCAN_T_N; i++)
		rc |= buf_printf(b, ",\"%s\":%.3f", scan_stage_names[i], s->stage_ms[i]);
	rc |= buf_adds(b, "}");
	if (m && m->gen)
		rc |= buf_adds(b, ",\"generation\":{\"id\":") | json_str(b, m->gen->id) |
		      buf_printf(b, ",\"serial\":%lu}", m->gen->serial);
	if (full)
		rc |= all_findings(b, s->findings);
	rc |= buf_adds(b, "}");
	return rc ? -1 : 0;
}

/* jsonlog_event - a quarantine event */
int jsonlog_event(struct buf *b, const char *event, const char *id, const char *by,
		  const char *extra)
{
	char now[40];
	jsonlog_time(now, sizeof(now));
	int rc = buf_printf(b, "{\"v\":%d,\"type\":\"quarantine\",\"time\":\"%s\"", JSONLOG_VERSION,
			    now) |
		 member(b, "event", event) | member(b, "id", id) | member(b, "by", by);
	if (extra && *extra)
		rc |= buf_adds(b, ",") | buf_adds(b, extra);
	rc |= buf_adds(b, "}");
	return rc ? -1 : 0;
}
