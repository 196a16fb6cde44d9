/*
 * buf.h - a growable byte buffer with a per-use size cap.
 */
#ifndef PORTCULLIS_BUF_H
#define PORTCULLIS_BUF_H

#include <stddef.h>

#include "compat.h"

struct buf {
	char *data; /* owned; always NUL-terminated when non-NULL */
	size_t len; /* bytes used, not counting the NUL */
	size_t cap; /* bytes allocated */
	size_t max; /* the most len may reach; 0 = no cap */
};

enum { BUF_OK = 0, BUF_NOMEM = -1, BUF_TOOBIG = -2 };

/* buf_init - empty buffer that may grow to max bytes (0: unbounded) */
void buf_init(struct buf *b, size_t max);
/* buf_add - append len bytes; BUF_TOOBIG leaves the buffer unchanged */
int buf_add(struct buf *b, const void *p, size_t len) WUR;
/* buf_room - make room for extra more bytes (and the NUL) within the cap, for the caller to
 * write at data + len and then raise len (and write the NUL); BUF_TOOBIG when the cap does
 * not allow them */
int buf_room(struct buf *b, size_t extra) WUR;
/* buf_adds - append a C string */
int buf_adds(struct buf *b, const char *s) WUR;
/* buf_printf - append formatted text */
int buf_printf(struct buf *b, const char *fmt, ...) WUR PRINTF_LIKE(2, 3);
/* buf_steal - hand the data to the caller (never NULL on success), reset b */
char *buf_steal(struct buf *b);
/* buf_reset - drop the contents, keep the allocation */
void buf_reset(struct buf *b);
struct errlist;
/* buf_read_file - append the whole text file at path (bounded by b's max); -1 after
 * reporting to errs as "path: ..." (cannot open, too large, read error, a NUL byte) */
int buf_read_file(struct buf *b, const char *path, struct errlist *errs) WUR;
/* buf_free - release everything */
void buf_free(struct buf *b);

#endif
