/*
 * buf.c - growable byte buffer with a cap, for everything built from
 * network or file data.
 *
 * DESCRIPTION
 *	Every append checks the cap before growing, so an attacker-chosen
 *	length can never make the buffer exceed what the caller allowed.
 *	Growth is geometric; the data stays NUL-terminated for convenience.
 *
 * THREAD SAFETY
 *	A buffer belongs to one thread at a time.
 */
#include "config.h"

#include "buf.h"

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "errlist.h"
#include "log.h"

/* buf_init - start empty */
void buf_init(struct buf *b, size_t max)
{
	b->data = NULL;
	b->len = 0;
	b->cap = 0;
	b->max = max;
}

/* buf_reserve - make room for extra more bytes plus the NUL */
static int buf_reserve(struct buf *b, size_t extra)
{
	if (extra > SIZE_MAX / 2 - b->len)
		return BUF_TOOBIG;
	if (b->max && b->len + extra > b->max)
		return BUF_TOOBIG;
	size_t need = b->len + extra + 1;
	if (need <= b->cap)
		return BUF_OK;
	size_t ncap = b->cap ? b->cap : 64;
	while (ncap < need)
		ncap *= 2;
	char *p = realloc(b->data, ncap);
	if (p == NULL)
		return BUF_NOMEM;
	b->data = p;
	b->cap = ncap;
	return BUF_OK;
}

/* buf_room - room for extra more bytes, to be written at data + len */
int buf_room(struct buf *b, size_t extra)
{
	return buf_reserve(b, extra);
}

/* buf_add - append bytes */
int buf_add(struct buf *b, const void *p, size_t len)
{
	int rc = buf_reserve(b, len);
	if (rc != BUF_OK)
		return rc;
	if (len)
		memcpy(b->data + b->len, p, len);
	b->len += len;
	b->data[b->len] = '\0';
	return BUF_OK;
}

/* buf_adds - append a string */
int buf_adds(struct buf *b, const char *s)
{
	return buf_add(b, s, strlen(s));
}

/* buf_printf - append formatted text */
int buf_printf(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return BUF_NOMEM;
	int rc = buf_reserve(b, (size_t)n);
	if (rc != BUF_OK)
		return rc;
	va_start(ap, fmt);
	vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
	return BUF_OK;
}

/* buf_steal - give away the data */
char *buf_steal(struct buf *b)
{
	char *p = b->data;
	if (p == NULL)
		p = calloc(1, 1);
	b->data = NULL;
	b->len = b->cap = 0;
	return p;
}

/* buf_reset - empty it */
void buf_reset(struct buf *b)
{
	b->len = 0;
	if (b->data)
		b->data[0] = '\0';
}

/* buf_free - release */
void buf_free(struct buf *b)
{
	free(b->data);
	buf_init(b, b->max);
}

/* buf_read_file - a configuration, rule, policy or list file, whole */
int buf_read_file(struct buf *b, const char *path, struct errlist *errs)
{
	char ebuf[128];
	FILE *fp = fopen(path, "rb");
	if (fp == NULL) {
		errlist_add(errs, path, 0, "cannot open: %s",
			    log_strerror(errno, ebuf, sizeof(ebuf)));
		return -1;
	}
	char chunk[65536];
	size_t n;
	int rc = BUF_OK;
	while (rc == BUF_OK && (n = fread(chunk, 1, sizeof(chunk), fp)) > 0)
		rc = buf_add(b, chunk, n);
	if (rc == BUF_TOOBIG)
		errlist_add(errs, path, 0, "file too large (the limit is %zu bytes)", b->max);
	else if (rc != BUF_OK)
		errlist_add(errs, path, 0, "out of memory reading the file");
	else if (ferror(fp))
		errlist_add(errs, path, 0, "read error: %s",
			    log_strerror(errno, ebuf, sizeof(ebuf)));
	else if (b->len && memchr(b->data, '\0', b->len))
		errlist_add(errs, path, 0, "file contains a NUL byte; is it a text file?");
	else {
		fclose(fp);
		return 0;
	}
	fclose(fp);
	return -1;
}
