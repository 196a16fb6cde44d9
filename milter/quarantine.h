/*
 * quarantine.h - the daemon's side of the quarantine: carry out a quarantine verdict
 * (store and/or MTA hold), recognise released messages, retention, events.
 */
#ifndef PORTCULLIS_QUARANTINE_H
#define PORTCULLIS_QUARANTINE_H

#include <stddef.h>
#include <sys/types.h>

#include "compat.h"
#include "qindex.h"

struct conf;
struct findings;
struct message;
struct qstore;
struct session;

/* What became of a quarantined message. */
struct quar_outcome {
	char id[QID_LEN + 1]; /* the store's id; "" when not stored */
	int stored;           /* in the store */
	int held;             /* to be put on hold by the MTA (smfi_quarantine) */
	const char *to;       /* borrowed literal: "store", "hold" or "both" (what happened) */
	double store_ms;      /* time spent writing the entry */
};

/* quar_keep - carry out the quarantine verdict of s (s->msg still there): store it and/or
 * ask for the MTA's hold, as the policy says; can_hold: the MTA allows smfi_quarantine.
 * A store that fails falls back to the hold. -1 when neither is possible (tempfail). */
int quar_keep(const struct session *s, int can_hold, struct quar_outcome *o) WUR;
/* quar_released - when m carries a release mark that the store issued (RELEASE_HEADER
 * "ID TOKEN"), add the finding "released" = ID; -1 on memory */
int quar_released(const struct message *m, struct findings *f) WUR;
/* quar_store - the process's shared store for c's quarantine_dir (opened once); NULL with
 * err when there is none or it cannot be opened */
struct qstore *quar_store(const struct conf *c, char *err, size_t errlen);
/* quar_prepare - before privileges are dropped: create the store and give it to uid and
 * the quarantine_group (or gid); -1 with err */
int quar_prepare(const struct conf *c, uid_t uid, gid_t gid, char *err, size_t errlen) WUR;
/* quar_startup - repair the index from the files, logging what changed */
void quar_startup(const struct conf *c);
/* quar_purge - delete entries older than max_age seconds (0: none), then the oldest while
 * the store holds more than max_size bytes (0: no limit); each logged as a "purged" event by
 * `by`. The count and bytes removed into *n, *bytes. -1 with err. */
int quar_purge(struct qstore *q, unsigned max_age, size_t max_size, const char *by, size_t *n,
	       long long *bytes, char *err, size_t errlen) WUR;
/* quar_tick - the daemon's retention timer: purge when quarantine_purge_interval has passed
 * (call it about once a second) */
void quar_tick(const struct conf *c);
/* quar_event - one quarantine event line in the JSON log (extra: more members or NULL) */
void quar_event(const char *event, const char *id, const char *by, const char *extra);
/* quar_shutdown - close the stores */
void quar_shutdown(void);

#endif
