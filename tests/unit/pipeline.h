/*
 * pipeline.h - what the pipeline tests share: a private scratch directory, DNS only to
 * tests/unit/nxdns.c, configurations published from text, sessions begun as an MTA
 * would, and checks of findings and verdicts. Header-only (static inline), because the
 * checks report through tap.h, whose counters are per program.
 */
#ifndef PORTCULLIS_TEST_PIPELINE_H
#define PORTCULLIS_TEST_PIPELINE_H

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "buf.h"
#include "errlist.h"
#include "findings.h"
#include "generation.h"
#include "log.h"
#include "message.h"
#include "nxdns.h"
#include "scan.h"
#include "session.h"
#include "spool.h"
#include "tap.h"
#include "verdict.h"

#define SIZE_LIMIT 2048 /* message_size_max of the main test configuration */
#define BODY_MEM 512    /* body_memory_max */
/* DNS only to tests/unit/nxdns.c on loopback (every name NXDOMAIN, at once): a test
 * never asks the machine's resolver */
static char NODNS[10240];
#define HDR_LIMIT 10 /* header_count_max */
#define AUTHSERV "mx.test.example"

static char tmpdir[1024]; /* private scratch directory, removed at the end */

/* conf_file - write a configuration file in the scratch directory; its path in out */
static inline int conf_file(char *out, size_t len, const char *name, const char *text)
{
	snprintf(out, len, "%s/%s", tmpdir, name);
	FILE *fp = fopen(out, "w");
	if (fp == NULL)
		return -1;
	fputs(text, fp);
	return fclose(fp) == 0 ? 0 : -1;
}

/* publish_sized - load a configuration with the main settings (size_max bytes for
 * message_size_max) plus extra lines and make it current; its serial, 0 on failure */
static inline unsigned long publish_sized(const char *name, const char *tmp, size_t size_max,
					  const char *extra)
{
	char text[16384], path[1200];
	snprintf(text, sizeof(text),
		 "tmpdir %s\nmessage_size_max %zu\nbody_memory_max %d\nheader_count_max %d\n"
		 "authserv_id %s\n%s%s",
		 tmp ? tmp : tmpdir, size_max, BODY_MEM, HDR_LIMIT, AUTHSERV, NODNS, extra);
	if (conf_file(path, sizeof(path), name, text) < 0) {
		diag("cannot write %s: %s", path, strerror(errno));
		return 0;
	}
	struct errlist errs;
	errlist_init(&errs);
	struct generation *g = gen_load(path, &errs);
	for (size_t i = 0; i < errs.count; i++)
		diag("%s", errs.msgs[i]);
	errlist_free(&errs);
	unlink(path);
	if (g == NULL)
		return 0;
	gen_publish(g);
	struct generation *cur = gen_current();
	unsigned long serial = cur->serial;
	gen_release(cur);
	return serial;
}

/* publish - publish_sized with the main message_size_max */
static inline unsigned long publish(const char *name, const char *tmp, const char *extra)
{
	return publish_sized(name, tmp, SIZE_LIMIT, extra);
}

/* count_findings - how many facts called name */
static inline size_t count_findings(const struct session *s, const char *name)
{
	size_t n = 0;
	for (size_t i = 0; s->findings && i < fnd_count(s->findings); i++)
		if (strcmp(fnd_at(s->findings, i)->name, name) == 0)
			n++;
	return n;
}

/* finding - first value of a fact, or NULL */
static inline const char *finding(const struct session *s, const char *name)
{
	return s->findings ? fnd_get(s->findings, name) : NULL;
}

/* has_reason - the verdict names reason */
static inline int has_reason(const struct verdict *v, const char *reason)
{
	for (size_t i = 0; i < v->nreason; i++)
		if (strcmp(v->reasons[i], reason) == 0)
			return 1;
	return 0;
}

/* is_reply - the verdict's action and SMTP reply */
static inline void is_reply(const struct session *s, enum vd_action a, const char *rcode,
			    const char *xcode, const char *what)
{
	const struct verdict *v = &s->verdict;
	int same = v->action == a && strcmp(v->rcode, rcode) == 0 && strcmp(v->xcode, xcode) == 0;
	if (!ok(same, "%s: %s %s %s", what, vd_action_name(a), rcode, xcode))
		diag("  got %s '%s' '%s' (%s)", vd_action_name(v->action), v->rcode, v->xcode,
		     v->text ? v->text : "no text");
}

/* added - the value of the header called name that v adds, and how many such it adds */
static inline const char *added(const struct verdict *v, const char *name, size_t *count)
{
	const char *val = NULL;
	*count = 0;
	for (size_t i = 0; i < v->nadd; i++)
		if (strcmp(v->add[i].name, name) == 0) {
			val = v->add[i].value;
			(*count)++;
		}
	return val;
}

/* is_accept_with_header - accept, one verdict header added whose value starts with accept,
 * and one Authentication-Results header */
static inline void is_accept_with_header(const struct session *s, const char *what)
{
	const struct verdict *v = &s->verdict;
	size_t nv, nar;
	const char *val = added(v, VERDICT_HEADER, &nv);
	(void)added(v, AUTHRES_HEADER, &nar);
	int good = v->action == VD_ACCEPT && nv == 1 && nar == 1 && strncmp(val, "accept", 6) == 0;
	if (!ok(good, "%s: accept with exactly one %s header starting 'accept' and one %s", what,
		VERDICT_HEADER, AUTHRES_HEADER)) {
		diag("  action %s, %zu header(s) to add", vd_action_name(v->action), v->nadd);
		for (size_t i = 0; i < v->nadd; i++)
			diag("  %s: %s", v->add[i].name, v->add[i].value);
	}
}

/* mail - connect, HELO and MAIL FROM on a new session */
static inline struct session *begin(const char *from, const char *const *args)
{
	struct session *s = session_new();
	if (s == NULL)
		return NULL;
	if (session_connect(s, "client.example.test", "192.0.2.10") != SESS_CONTINUE ||
	    session_helo(s, "client.example.test") != SESS_CONTINUE ||
	    session_mail(s, from, args) != SESS_CONTINUE) {
		session_free(s);
		return NULL;
	}
	return s;
}

/* body_of - the stored body of the current message as a buf */
static inline void body_of(const struct session *s, struct buf *out)
{
	buf_init(out, 0);
	if (s->msg == NULL)
		return;
	size_t n = spool_size(s->msg->body);
	char chunk[4096];
	for (size_t off = 0; off < n;) {
		ssize_t r = spool_read(s->msg->body, off, chunk, sizeof(chunk));
		if (r <= 0 || buf_add(out, chunk, (size_t)r) != BUF_OK)
			break;
		off += (size_t)r;
	}
}

/* pipeline_setup - scratch directory, the fake DNS, logging; -1 after "Bail out!" */
static inline int pipeline_setup(const char *name)
{
	const char *t = getenv("TMPDIR");
	/* and the rules and policy of the tree, never what this machine has installed */
	char srcdir[4096];
	if (realpath(tap_srcdir(), srcdir) == NULL)
		snprintf(srcdir, sizeof(srcdir), "%s", tap_srcdir());
	snprintf(NODNS, sizeof(NODNS),
		 "dns_forwarders 127.0.0.1@%d\nrules_dir %s/tests/data/rules/none\n"
		 "policy_file %s/policy/policy.conf\n",
		 nxdns_start(NULL, 0), srcdir, srcdir);
	snprintf(tmpdir, sizeof(tmpdir), "%s/%s.XXXXXX", t && *t ? t : "/tmp", name);
	if (mkdtemp(tmpdir) == NULL) {
		printf("Bail out! mkdtemp %s: %s\n", tmpdir, strerror(errno));
		return -1;
	}
	if (log_open(name, "stderr") < 0)
		diag("cannot log to stderr");
	log_set_level(LOG_LVL_ERR);
	return 0;
}

/* pipeline_teardown - drop the configuration, remove the scratch directory */
static inline void pipeline_teardown(void)
{
	gen_shutdown();
	if (rmdir(tmpdir) < 0) {
		ok(0, "nothing left in the scratch directory");
		diag("  rmdir %s: %s", tmpdir, strerror(errno));
	}
}

#endif
