/*
 * msgfile.c - turn a message file into the events an MTA would send.
 *
 * DESCRIPTION
 *	Splits the header section from the body the way Postfix does: a line
 *	starting with white space continues the previous header, a line of the
 *	form "name:" (printable name, no space) starts one, and the first line
 *	that is neither, or an empty line, starts the body. Folded values are
 *	passed with "\n" between lines and no CR, as MTAs pass them to milters;
 *	the leading space after the colon is kept. An mbox "From " line at the
 *	very top is skipped. Body lines end in CRLF, as on the wire, whatever
 *	the file uses. Malformed input is data: it is passed on as far as it
 *	goes, never rejected here.
 *
 * THREAD SAFETY
 *	Stateless.
 */
#include "config.h"

#include "msgfile.h"

#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "session.h"

#define BODY_CHUNK 65536

/* line_end - end of the line at p (the LF, or end); *next is the start of the next */
static const char *line_end(const char *p, const char *end, const char **next)
{
	const char *nl = memchr(p, '\n', (size_t)(end - p));
	*next = nl ? nl + 1 : end;
	const char *e = nl ? nl : end;
	if (e > p && e[-1] == '\r')
		e--;
	return e;
}

/* header_name_len - length of "name" if the line is "name:...", else 0 */
static size_t header_name_len(const char *p, const char *e)
{
	const char *q = p;
	while (q < e && *q != ':' && (unsigned char)*q > 32 && (unsigned char)*q < 127)
		q++;
	return (q < e && *q == ':' && q > p) ? (size_t)(q - p) : 0;
}

/* flush_header - pass the header collected so far */
static void flush_header(struct session *s, struct buf *name, struct buf *value)
{
	if (name->len == 0)
		return;
	enum sess_rc rc = session_header(s, name->data, value->data ? value->data : "");
	(void)rc;
	buf_reset(name);
	buf_reset(value);
}

/* feed_body - body lines with CRLF endings, in chunks */
static void feed_body(struct session *s, const char *p, const char *end)
{
	struct buf chunk;
	buf_init(&chunk, 0);
	while (p < end) {
		const char *next;
		const char *e = line_end(p, end, &next);
		if (buf_add(&chunk, p, (size_t)(e - p)) != BUF_OK ||
		    buf_add(&chunk, "\r\n", 2) != BUF_OK)
			break; /* out of memory: the size finding shows what was lost */
		if (chunk.len >= BODY_CHUNK) {
			(void)session_body(s, chunk.data, chunk.len);
			buf_reset(&chunk);
		}
		p = next;
	}
	if (chunk.len)
		(void)session_body(s, chunk.data, chunk.len);
	buf_free(&chunk);
}

/* msgfile_feed - the header and body events for a stored message */
void msgfile_feed(struct session *s, const char *data, size_t len)
{
	const char *p = data, *end = data + len, *next;
	if (len >= 5 && memcmp(p, "From ", 5) == 0) {
		(void)line_end(p, end, &next);
		p = next;
	}
	struct buf name, value;
	buf_init(&name, 0);
	buf_init(&value, 0);
	while (p < end) {
		const char *e = line_end(p, end, &next);
		if (e == p) { /* empty line: the body follows */
			p = next;
			break;
		}
		if ((*p == ' ' || *p == '\t') && name.len) {
			if (buf_add(&value, "\n", 1) != BUF_OK ||
			    buf_add(&value, p, (size_t)(e - p)) != BUF_OK)
				break;
		} else {
			size_t nl = header_name_len(p, e);
			if (nl == 0)
				break; /* not a header: the body starts here */
			flush_header(s, &name, &value);
			if (buf_add(&name, p, nl) != BUF_OK ||
			    buf_add(&value, p + nl + 1, (size_t)(e - p - (ptrdiff_t)nl - 1)) !=
				BUF_OK)
				break;
		}
		p = next;
	}
	flush_header(s, &name, &value);
	buf_free(&name);
	buf_free(&value);
	(void)session_eoh(s);
	feed_body(s, p, end);
}
