/*
 * session.h - one SMTP connection and its current transaction.
 *
 * Both the milter callbacks and `portcullis check` drive a session through
 * the same calls, so the daemon and the offline checker share one pipeline.
 */
#ifndef PORTCULLIS_SESSION_H
#define PORTCULLIS_SESSION_H

#include <stddef.h>

#include "compat.h"
#include "verdict.h"

struct message;
struct findings;
struct task;
struct rep;
struct generation;
struct rule_run;
struct rule_hit;

enum sess_rc {
	SESS_CONTINUE = 0, /* nothing to say at this stage */
	SESS_VERDICT,      /* s->verdict holds the answer */
	SESS_ERROR,        /* internal failure: s->verdict holds the on_error reply */
};

struct session {
	char *client_addr;           /* owned: textual IP, or "unknown" */
	char *client_name;           /* owned: the MTA's name for the client */
	char *helo;                  /* owned, or NULL */
	unsigned msg_count;          /* transactions begun on this connection */
	struct message *msg;         /* owned: the current transaction, or NULL */
	struct findings *findings;   /* owned: facts of the last finished message */
	struct rule_run *rules;      /* owned: its rule evaluation (holds hits, limits) */
	const struct rule_hit *hits; /* borrowed from rules: the rules that hit */
	size_t nhits;
	const char *const *limits; /* borrowed from rules: rules stopped by a regex limit */
	size_t nlimits;
	double stage_ms[8];         /* the scan's stages (scan.h SCAN_T_*), of the last message */
	double spf_wait_ms;         /* time the end of message waited for the SPF checks */
	struct verdict verdict;     /* the last answer given */
	const char *error;          /* borrowed literal: why the current message failed */
	struct task *spf_helo_task; /* owned: the SPF check of the HELO name, or NULL */
	struct rep *rep;            /* owned: reputation lookups (DNSBL, RHSBL, iprev), or NULL */
	struct generation *rep_gen; /* owned reference: the generation rep's lists belong to */
	int values_trimmed;         /* the MTA strips the space after a header's colon */
};

struct session *session_new(void) WUR;
void session_free(struct session *s);
enum sess_rc session_connect(struct session *s, const char *name, const char *addr) WUR;
enum sess_rc session_helo(struct session *s, const char *helo) WUR;
/* session_mail - begin a transaction; args are the ESMTP parameters (NULL-terminated) */
enum sess_rc session_mail(struct session *s, const char *from, const char *const *args) WUR;
enum sess_rc session_rcpt(struct session *s, const char *rcpt);
enum sess_rc session_header(struct session *s, const char *name, const char *value);
enum sess_rc session_eoh(struct session *s);
enum sess_rc session_body(struct session *s, const void *p, size_t len);
/* session_queue_id - the MTA's queue id, when it becomes known */
void session_queue_id(struct session *s, const char *id);
/* session_eom - run the scan; always yields a verdict (SESS_VERDICT or SESS_ERROR) */
enum sess_rc session_eom(struct session *s) WUR;
/* session_abort - drop the current transaction */
void session_abort(struct session *s);
/* session_fail - turn an internal failure into the configured on_error verdict */
enum sess_rc session_fail(struct session *s, const char *why);

#endif
