/*
 * mimeelide.c - a message body as the MIME analysis needs it, in bounded memory.
 *
 * SYNOPSIS
 *	struct mime_gaps g = {0};
 *	rc = mime_elide(&b, body_len, read, arg, 32768, &g);     after the header in b
 *	o.gaps = &g; o.read = read; o.read_arg = arg;
 *	mime_analyze(b.data, b.len, &o, &r);
 *	mime_gaps_free(&g);
 *
 * DESCRIPTION
 *	The walk of mime.c finds a message's structure in its header blocks
 *	and its boundary delimiter lines; of a leaf's body it needs the bytes
 *	only to decode them, and of an attachment's decoded bytes only the
 *	first ones (type sniffing) and their count. mime_elide reads the body
 *	once, a window at a time, and copies what the walk looks at: every
 *	line that starts with "--" (a delimiter, whichever boundary is in
 *	force), the header block after it (or at the start of a body, or
 *	after another header block: an enclosed message's), and the first
 *	keep bytes of each body. Of the rest of a body, the content of each
 *	line is left out, its line break kept (the break before a delimiter
 *	belongs to the delimiter), and each run left out is a gap: where it
 *	was, how long, and where to read it back. mime_analyze reads the gaps
 *	of a body back, a piece at a time, when it decodes that body, so that
 *	sizes, text, budgets and oddities are those of the whole message.
 *	What is kept in full (a header block, a "--" line) is bounded only by
 *	the cap of the buffer: hitting it cuts the input short, as before.
 *	No boundary is tracked: keeping a "--" line that is not a delimiter,
 *	or a text line that looks like a header field, only keeps more.
 *
 * THREAD SAFETY
 *	Reentrant.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "mime.h"
#include "mimeint.h"

#define WIN 65536 /* bytes read at a time */
#define LOOK 1024 /* bytes of a line looked at to tell a header field */

/* The body being read. */
struct rdr {
	mime_read *rd; /* reads the body */
	void *arg;     /* borrowed: rd's */
	size_t len;    /* the body's bytes */
	size_t src;    /* the offset in the body of win[0] */
	size_t pos;    /* the unread bytes: win[pos..end) */
	size_t end;
	char *win; /* owned: WIN bytes */
	int err;   /* a read failed */
};

/* What is being built. */
struct el {
	struct buf *b;       /* borrowed: the input */
	struct mime_gaps *g; /* borrowed: its gaps */
	int open;            /* since the last gap, only line breaks were kept */
	size_t pend;         /* those line breaks' bytes */
};

/* fill - at least need unread bytes in the window (need <= WIN), unless the body ends */
static void fill(struct rdr *r, size_t need)
{
	if (r->end - r->pos >= need || r->err)
		return;
	memmove(r->win, r->win + r->pos, r->end - r->pos);
	r->src += r->pos;
	r->end -= r->pos;
	r->pos = 0;
	while (r->end < need && r->src + r->end < r->len) {
		size_t want = WIN - r->end, left = r->len - r->src - r->end;
		ssize_t n =
		    r->rd(r->arg, r->src + r->end, r->win + r->end, want < left ? want : left);
		if (n <= 0) {
			r->err = 1;
			return;
		}
		r->end += (size_t)n;
	}
}

/* put - keep n bytes (brk: line-break bytes); 0, 1 the cap was reached, -1 out of memory */
static int put(struct el *e, const char *p, size_t n, int brk)
{
	if (n == 0)
		return 0;
	int rc = buf_add(e->b, p, n);
	if (rc == BUF_TOOBIG) {
		if (e->b->max > e->b->len && buf_add(e->b, p, e->b->max - e->b->len) == BUF_NOMEM)
			return -1;
		return 1;
	}
	if (rc != BUF_OK)
		return -1;
	if (brk)
		e->pend += n;
	else
		e->open = 0;
	return 0;
}

/* drop - leave out n bytes at offset src of the body: a gap, or the last one grown */
static int drop(struct el *e, size_t src, size_t n)
{
	struct mime_gaps *g = e->g;
	struct mime_gap *l = e->open ? &g->v[g->n - 1] : NULL;
	if (l && l->src + l->len + e->pend == src) {
		e->b->len -= e->pend; /* the line breaks in between join the gap */
		e->b->data[e->b->len] = '\0';
		l->len += e->pend + n;
	} else {
		if (g->n == g->cap) {
			size_t nc = g->cap ? g->cap * 2 : 8;
			struct mime_gap *v = realloc(g->v, nc * sizeof(*v));
			if (v == NULL)
				return -1;
			g->v = v;
			g->cap = nc;
		}
		g->v[g->n++] = (struct mime_gap){e->b->len, n, src};
	}
	e->open = 1;
	e->pend = 0;
	return 0;
}

/* line - one line from the window, its first *room content bytes kept (*room lessened;
 * NULL: all of it), the rest left out; its line break kept. 0, 1 cut, -1 out of memory. */
static int line(struct el *e, struct rdr *r, size_t *room)
{
	for (;;) {
		fill(r, 2);
		if (r->pos == r->end)
			return r->err;
		const char *l = r->win + r->pos;
		size_t avail = r->end - r->pos;
		const char *nl = memchr(l, '\n', avail);
		size_t n = nl ? (size_t)(nl - l) : avail, brk = nl ? 1 : 0;
		if (nl && n && l[n - 1] == '\r')
			n--, brk++;
		else if (!nl && r->src + r->end < r->len && l[n - 1] == '\r')
			n--; /* it may be the CR of a CRLF: next time */
		size_t k = room == NULL || *room > n ? n : *room;
		int rc = put(e, l, k, 0);
		if (rc == 0 && k < n)
			rc = drop(e, r->src + r->pos + k, n - k);
		if (rc == 0 && brk)
			rc = put(e, l + n, brk, 1);
		if (rc)
			return rc;
		if (room)
			*room -= k;
		r->pos += n + brk;
		if (nl)
			return 0;
	}
}

/* mime_elide - see mime.h */
int mime_elide(struct buf *b, size_t len, mime_read *rd, void *arg, size_t keep,
	       struct mime_gaps *g)
{
	struct rdr r = {rd, arg, len, 0, 0, 0, malloc(WIN), 0};
	struct el e = {b, g, 0, 0};
	if (r.win == NULL)
		return -1;
	enum { HEAD, MAYBE, BODY } mode = MAYBE; /* MAYBE: a header block may start here */
	size_t room = keep;
	int rc = 0;
	while (rc == 0) {
		fill(&r, LOOK);
		if (r.pos == r.end) {
			rc = r.err;
			break;
		}
		const char *l = r.win + r.pos;
		size_t avail = r.end - r.pos;
		const char *nl = memchr(l, '\n', avail);
		size_t n = nl ? (size_t)(nl - l) : avail;
		if (n && l[n - 1] == '\r')
			n--;
		if (avail >= 2 && l[0] == '-' && l[1] == '-') {
			mode = HEAD; /* a delimiter, perhaps: a part's header follows */
			rc = line(&e, &r, NULL);
			continue;
		}
		if (mode != BODY && n == 0 && nl) {
			mode = mode == HEAD ? MAYBE : BODY; /* an enclosed message's header next? */
			room = keep;
			rc = line(&e, &r, NULL);
			continue;
		}
		if (mode != BODY &&
		    (mime_looks_field(l, n) || (mode == HEAD && (l[0] == ' ' || l[0] == '\t')))) {
			mode = HEAD;
			rc = line(&e, &r, NULL);
			continue;
		}
		if (mode != BODY)
			room = keep;
		mode = BODY;
		rc = line(&e, &r, &room);
	}
	free(r.win);
	return rc;
}

/* mime_gaps_free - release */
void mime_gaps_free(struct mime_gaps *g)
{
	free(g->v);
	memset(g, 0, sizeof(*g));
}
