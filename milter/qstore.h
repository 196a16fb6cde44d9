/*
 * qstore.h - the quarantine store: each message as received plus its metadata, one file per
 * entry, written crash-safely, with an index for listing.
 */
#ifndef PORTCULLIS_QSTORE_H
#define PORTCULLIS_QSTORE_H

#include <stddef.h>
#include <sys/types.h>

#include "compat.h"
#include "qindex.h"

struct qstore;
struct qwriter;

/* The steps of a put, for the after hook. */
enum qstore_step { QS_WROTE = 1, QS_SYNCED, QS_RENAMED, QS_DIRSYNCED, QS_INDEXED };

/* The system calls a put makes, replaceable so that tests can make each one fail (or stop the
 * process between steps). A NULL member means the real call. */
struct qstore_ops {
	ssize_t (*write)(int fd, const void *p, size_t n);
	int (*fsync)(int fd);
	int (*rename)(const char *from, const char *to); /* must not replace an existing file */
	void (*after)(enum qstore_step step);            /* called after each step, or NULL */
};

/* What to store. Everything is borrowed for the length of qstore_put. */
struct qstore_item {
	struct qentry e;       /* the index fields (id, time, envelope, verdict, rules) */
	const char *meta_json; /* the full metadata: one JSON object, no newline */
	/* write_msg - write the message as received with qwriter_put; -1 on failure */
	int (*write_msg)(void *arg, struct qwriter *w);
	void *arg;
};

#define QSTORE_CREATE 1 /* make the directories and the index when missing */
#define QSTORE_SHARED 2 /* group access: directories 2770, files 0660 */

/* qstore_open - the store in dir; NULL with the reason in err */
struct qstore *qstore_open(const char *dir, int flags, char *err, size_t errlen) WUR;
/* qstore_close - release */
void qstore_close(struct qstore *q);
/* qstore_set_ops - replace the system calls (tests); NULL: the real ones */
void qstore_set_ops(struct qstore *q, const struct qstore_ops *ops);
/* qstore_index - the store's index (borrowed) */
struct qindex *qstore_index(struct qstore *q);
/* qstore_dir - the store's directory (borrowed) */
const char *qstore_dir(const struct qstore *q);

/* qstore_put - write an entry: temp file, fsync, rename, directory fsync, then the index.
 * 0 when the entry is durable (an index failure is only logged: repair restores it);
 * -1 with nothing left behind and the reason in err. Thread-safe. */
int qstore_put(struct qstore *q, const struct qstore_item *it, char *err, size_t errlen) WUR;
/* qwriter_put - append message bytes (inside write_msg) */
int qwriter_put(struct qwriter *w, const void *p, size_t n) WUR;

/* qstore_id_valid - exactly QID_LEN characters of Crockford base32 (so no '/', '.', NUL) */
int qstore_id_valid(const char *id, size_t len);
/* qstore_path - the entry file of id into out; -1 when id is not valid or out too small */
int qstore_path(const struct qstore *q, const char *id, char *out, size_t len) WUR;
/* qstore_open_entry - open id's file for reading, positioned at the message; *meta gets the
 * metadata JSON (malloc'd); -1 with errno (ENOENT: no such entry, EINVAL: bad id) */
int qstore_open_entry(const struct qstore *q, const char *id, char **meta) WUR;
/* qstore_delete - remove an entry (file first, then the index); 0, or -1 with errno */
int qstore_delete(struct qstore *q, const char *id) WUR;
/* qstore_repair - make the index match the files: remove temp files, index entries that are
 * missing, forget index rows whose file is gone; counts into *added, *removed (may be NULL) */
int qstore_repair(struct qstore *q, size_t *added, size_t *removed, char *err, size_t errlen) WUR;
/* qstore_release_valid - 1 when id is released, its token equals token and the release is
 * at most max_age seconds old; 0 otherwise */
int qstore_release_valid(struct qstore *q, const char *id, const char *token, long long max_age);

#endif
