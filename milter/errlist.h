/*
 * errlist.h - collected "file:line: message" diagnostics.
 */
#ifndef PORTCULLIS_ERRLIST_H
#define PORTCULLIS_ERRLIST_H

#include <stddef.h>

#include "compat.h"

struct errlist {
	char **msgs; /* owned, each owned */
	size_t count;
	size_t cap;
	int nomem; /* an error could not be recorded for lack of memory */
};

/* errlist_init - empty list */
void errlist_init(struct errlist *e);
/* errlist_add - record "file:line: text" (line 0: "file: text"; file NULL: "text") */
void errlist_add(struct errlist *e, const char *file, unsigned line, const char *fmt, ...)
    PRINTF_LIKE(4, 5);
/* errlist_addc - record "file:line:col: text" (col 0: as errlist_add) */
void errlist_addc(struct errlist *e, const char *file, unsigned line, unsigned col, const char *fmt,
		  ...) PRINTF_LIKE(5, 6);
/* errlist_free - release all messages */
void errlist_free(struct errlist *e);

#endif
