/*
 * errlist.c - collect every configuration diagnostic so that one run of
 * `portcullisd -n` shows them all, each as "file:line: message".
 *
 * THREAD SAFETY
 *	A list belongs to the thread that loads a generation.
 */
#include "config.h"

#include "errlist.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "buf.h"

/* errlist_init - empty */
void errlist_init(struct errlist *e)
{
	e->msgs = NULL;
	e->count = e->cap = 0;
	e->nomem = 0;
}

/* errlist_add - format and keep one diagnostic */
void errlist_add(struct errlist *e, const char *file, unsigned line, const char *fmt, ...)
{
	struct buf b;
	buf_init(&b, 4096);
	int rc = 0;
	if (file && line)
		rc = buf_printf(&b, "%s:%u: ", file, line);
	else if (file)
		rc = buf_printf(&b, "%s: ", file);
	char text[8192];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	if (rc == 0)
		rc = buf_adds(&b, text);
	if (rc == 0 && e->count == e->cap) {
		size_t ncap = e->cap ? e->cap * 2 : 8;
		char **p = realloc(e->msgs, ncap * sizeof(*p));
		if (p == NULL)
			rc = -1;
		else {
			e->msgs = p;
			e->cap = ncap;
		}
	}
	if (rc != 0) {
		buf_free(&b);
		e->nomem = 1;
		return;
	}
	e->msgs[e->count++] = buf_steal(&b);
}

/* errlist_free - release */
void errlist_free(struct errlist *e)
{
	for (size_t i = 0; i < e->count; i++)
		free(e->msgs[i]);
	free(e->msgs);
	errlist_init(e);
}
