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

/* add_v - format "file:line:col: text" (the parts that are set) and keep it */
static void add_v(struct errlist *e, const char *file, unsigned line, unsigned col, const char *fmt,
		  va_list ap) PRINTF_LIKE(5, 0);
static void add_v(struct errlist *e, const char *file, unsigned line, unsigned col, const char *fmt,
		  va_list ap)
{
	struct buf b;
	buf_init(&b, 4096);
	int rc = 0;
	if (file && line && col)
		rc = buf_printf(&b, "%s:%u:%u: ", file, line, col);
	else if (file && line)
		rc = buf_printf(&b, "%s:%u: ", file, line);
	else if (file)
		rc = buf_printf(&b, "%s: ", file);
	char text[8192];
	vsnprintf(text, sizeof(text), fmt, ap);
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

/* errlist_add - one diagnostic at file:line */
void errlist_add(struct errlist *e, const char *file, unsigned line, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	add_v(e, file, line, 0, fmt, ap);
	va_end(ap);
}

/* errlist_addc - one diagnostic at file:line:col */
void errlist_addc(struct errlist *e, const char *file, unsigned line, unsigned col, const char *fmt,
		  ...)
{
	va_list ap;
	va_start(ap, fmt);
	add_v(e, file, line, col, fmt, ap);
	va_end(ap);
}

/* errlist_free - release */
void errlist_free(struct errlist *e)
{
	for (size_t i = 0; i < e->count; i++)
		free(e->msgs[i]);
	free(e->msgs);
	errlist_init(e);
}
