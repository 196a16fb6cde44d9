/*
 * qindex.h - the quarantine's index, behind a small interface.
 *
 * The store (qstore.c) keeps each entry as one file; the index is a
 * derived, rebuildable view of those files that makes listing and
 * filtering fast. SQLite (qindex_sqlite.c) is the embedded default; a
 * shared index for a fleet (PostgreSQL) would be another struct qindex_ops.
 */
#ifndef PORTCULLIS_QINDEX_H
#define PORTCULLIS_QINDEX_H

#include <stddef.h>

#include "compat.h"

#define QID_LEN 26 /* a ULID, as the message's reference */

/* Entry states. */
#define QSTATE_HELD "held"
#define QSTATE_RELEASED "released"

/* One entry as the index knows it. Strings are owned (qentry_free). */
struct qentry {
	char id[QID_LEN + 1];
	long long time;     /* unix seconds when it was stored */
	char *queue_id;     /* owned; "" when unknown */
	char *client_addr;  /* owned */
	char *mail_from;    /* owned; "" for the null sender */
	char *from_domain;  /* owned; "" when none */
	char *subject;      /* owned; bounded, one line */
	double score;       /* the verdict's */
	char *action;       /* owned: the verdict ("quarantine") */
	long long size;     /* bytes of the message as received */
	char **rcpts;       /* owned array of owned strings */
	size_t nrcpt;       /* recipients */
	char **rules;       /* owned array of owned strings: the rules that hit */
	size_t nrule;       /* rules */
	char *state;        /* owned: QSTATE_* */
	long long released; /* when released, 0 if not */
	char *released_by;  /* owned, or NULL */
	char *token;        /* owned: the release mark's secret, or NULL */
};

/* What `list` selects; zero or NULL fields do not filter. Text matches ignore ASCII case; a
 * value with '*' is a pattern ('*' any run of characters). */
struct qfilter {
	long long since, until; /* time range, unix seconds (until exclusive) */
	const char *sender;     /* envelope sender */
	const char *rcpt;       /* one of the recipients */
	const char *from_domain;
	const char *rule; /* one of the rules that hit (exact) */
	const char *state;
	int has_min, has_max; /* score range set */
	double score_min, score_max;
	size_t limit; /* 0: all */
	int oldest_first;
};

struct qindex;

/* qentry_cb - called once per listed entry (borrowed for the call); non-zero stops */
typedef int (*qentry_cb)(void *arg, const struct qentry *e);

struct qindex_ops {
	const char *name;
	void (*close)(struct qindex *ix);
	/* put - insert or replace one entry */
	int (*put)(struct qindex *ix, const struct qentry *e);
	/* remove - forget one entry (not an error when absent) */
	int (*remove)(struct qindex *ix, const char *id);
	/* get - 1 found (into *e, qentry_free it), 0 not found, -1 error */
	int (*get)(struct qindex *ix, const char *id, struct qentry *e);
	/* list - the entries f selects, newest first unless f->oldest_first */
	int (*list)(struct qindex *ix, const struct qfilter *f, qentry_cb cb, void *arg);
	/* set_state - mark an entry (QSTATE_RELEASED: when, by whom, with the release mark's
	 * token; QSTATE_HELD: back again after a failed release) */
	int (*set_state)(struct qindex *ix, const char *id, const char *state, long long when,
			 const char *by, const char *token);
	/* begin, commit - group many changes (repair) */
	int (*begin)(struct qindex *ix);
	int (*commit)(struct qindex *ix);
	/* error - the last error's text */
	const char *(*error)(struct qindex *ix);
};

struct qindex {
	const struct qindex_ops *ops; /* borrowed: static */
};

/* qindex_sqlite_open - the SQLite index at path (created when missing, with group-writable
 * files when shared); NULL with the reason in err */
struct qindex *qindex_sqlite_open(const char *path, int shared, char *err, size_t errlen) WUR;

/* qentry_free - release an entry's strings (e itself is the caller's) */
void qentry_free(struct qentry *e);

#endif
