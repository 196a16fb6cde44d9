/*
 * jsonlog.h - the per-message JSON log (json_log) and quarantine events.
 *
 * One JSON object per line, schema version JSONLOG_VERSION, documented in
 * doc/jsonlog.md. Each record is written with one write(2) on an O_APPEND
 * descriptor, so lines from many threads (and from the CLI) never mix.
 */
#ifndef PORTCULLIS_JSONLOG_H
#define PORTCULLIS_JSONLOG_H

#include <stddef.h>

#include "buf.h"
#include "compat.h"

#define JSONLOG_VERSION 1
#define JSONLOG_SUBJECT_MAX 200 /* bytes of the Subject kept in a record */

struct session;

/* What the daemon did with a quarantined message, and how long the stages took. */
struct jl_info {
	const char *quarantine_id; /* borrowed: the store's id, or NULL */
	const char *quarantine_to; /* borrowed: "store", "hold", "both", or NULL */
	double scan_ms;            /* the scan at the end of message */
	double store_ms;           /* writing the quarantine entry, 0 if none */
};

/* jsonlog_open - log to path from now on (NULL: stop logging); reopens when the path is
 * the same (SIGUSR1, after logrotate). -1 with errno when the file cannot be opened (the
 * log is then off). Thread-safe. */
int jsonlog_open(const char *path) WUR;
/* jsonlog_reopen - open the current path again */
int jsonlog_reopen(void) WUR;
/* jsonlog_write - one record (a line ending in '\n'); -1 with errno; 0 when the log is off */
int jsonlog_write(const char *line, size_t len) WUR;
/* jsonlog_close - stop logging */
void jsonlog_close(void);

/* jsonlog_message - the record of one message whose verdict is in s (s->msg still there);
 * full adds every finding, the verdict's reasons and each rule hit's explanation (the
 * quarantine's metadata). No trailing newline. -1 on memory. */
int jsonlog_message(struct buf *b, const struct session *s, const struct jl_info *info,
		    int full) WUR;
/* jsonlog_event - a quarantine event record ("stored", "released", "deleted", "purged");
 * extra is more members ("\"to\":[...]", no leading comma) or NULL. No trailing newline. */
int jsonlog_event(struct buf *b, const char *event, const char *id, const char *by,
		  const char *extra) WUR;
/* jsonlog_time - now as RFC 3339 UTC with milliseconds into out */
void jsonlog_time(char *out, size_t len);

#endif
