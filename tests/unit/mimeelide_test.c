/*
 * mimeelide_test.c - the MIME analysis of a body that mime_elide shortened, its gaps read
 * back, is that of the whole message; and what it holds stays small.
 *
 * OUTPUT
 *	TAP on stdout (see tap.h).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "mime.h"
#include "tap.h"

/* A body in memory, for mime_read. */
struct mem {
	const char *p; /* borrowed */
	size_t len;
	size_t reads; /* calls */
};

/* mem_read - mime_read over a struct mem */
static ssize_t mem_read(void *arg, size_t off, void *p, size_t len)
{
	struct mem *m = arg;
	m->reads++;
	if (off > m->len)
		return -1;
	if (len > m->len - off)
		len = m->len - off;
	memcpy(p, m->p + off, len);
	return (ssize_t)len;
}

/* b64 - n pseudo-random bytes (prefix first) as base64 into b, lines of 76 (0: one line) */
static void b64(struct buf *b, const char *prefix, size_t plen, size_t n, size_t line,
		const char *nl, size_t junk_at)
{
	static const char a[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	unsigned x = 12345;
	size_t col = 0;
	for (size_t i = 0; i < n; i += 3) {
		unsigned char in[3];
		for (size_t k = 0; k < 3; k++) {
			x = x * 1103515245u + 12345u;
			in[k] =
			    i + k < plen ? (unsigned char)prefix[i + k] : (unsigned char)(x >> 16);
		}
		char q[4] = {a[in[0] >> 2], a[(in[0] & 3) << 4 | in[1] >> 4],
			     a[(in[1] & 15) << 2 | in[2] >> 6], a[in[2] & 63]};
		if (buf_add(b, q, 4) != BUF_OK)
			abort();
		col += 4;
		if (junk_at && i / 3 * 4 >= junk_at && i / 3 * 4 < junk_at + 4 &&
		    buf_add(b, "!", 1) != BUF_OK)
			abort();
		if (line && col >= line) {
			if (buf_adds(b, nl) != BUF_OK)
				abort();
			col = 0;
		}
	}
	if (buf_adds(b, nl) != BUF_OK)
		abort();
}

/* add - append a printf-formatted piece, nl standing for the line break */
static void add(struct buf *b, const char *s, const char *nl)
{
	for (; *s; s++)
		if ((*s == '\n' ? buf_adds(b, nl) : buf_add(b, s, 1)) != BUF_OK)
			abort();
}

/* message - a ~30 MB multipart: text, a 20 MB base64 attachment, a PE named .pdf after
 * it, an enclosed message with a long HTML part, a long quoted-printable text at the end */
static void message(struct buf *b, const char *nl, size_t line)
{
	buf_init(b, 0);
	add(b,
	    "From: a@example.org\nSubject: big\nMIME-Version: 1.0\n"
	    "Content-Type: multipart/mixed; boundary=\"XX\"\n\npreamble\n--XX\n"
	    "Content-Type: text/plain; charset=utf-8\n\nHello, see http://example.com/a\n--XX\n"
	    "Content-Type: application/octet-stream; name=\"a.bin\"\n"
	    "Content-Transfer-Encoding: base64\n"
	    "Content-Disposition: attachment; filename=\"a.bin\"\n\n",
	    nl);
	b64(b, "", 0, 15 * 1024 * 1024, line, nl, 5 * 1024 * 1024);
	add(b,
	    "--XX\nContent-Type: application/pdf; name=\"invoice.pdf\"\n"
	    "Content-Transfer-Encoding: base64\n\n",
	    nl);
	char pe[128] = "MZ\x90";
	b64(b, pe, sizeof(pe), 2 * 1024 * 1024, line, nl, 0);
	add(b,
	    "--XX\nContent-Type: message/rfc822\n\nFrom: b@example.net\nSubject: inner\n"
	    "Content-Type: text/html; charset=iso-8859-1\n\n<html><body><p>caf\xe9 "
	    "<a href=\"http://inner.example.net/x\">link</a>\n",
	    nl);
	for (int i = 0; i < 3000; i++)
		add(b, "<p>some inner html text that goes on and on for a while</p>\n", nl);
	add(b,
	    "<a href=\"http://last.example.net/\">end</a></body></html>\n--XX\n"
	    "Content-Type: text/plain; charset=utf-8\n"
	    "Content-Transfer-Encoding: quoted-printable\n\nStart=\n",
	    nl);
	for (int i = 0; i < 4000; i++)
		add(b, "caf=C3=A9 line of quoted-printable text, =\nsoft broken\n", nl);
	add(b, "the end http://tail.example.org/z\n--XX--\nepilogue\n", nl);
}

/* same_list - the two lists hold the same values */
static void same_list(const struct mime_list *a, const struct mime_list *b, const char *what)
{
	int same = a->n == b->n;
	for (size_t i = 0; same && i < a->n; i++)
		same = a->len[i] == b->len[i] && memcmp(a->v[i], b->v[i], a->len[i]) == 0;
	ok(same, "%s: the same values (%zu, %zu)", what, a->n, b->n);
}

/* same - two analyses agree on everything they report */
static void same(const struct mime_result *a, const struct mime_result *b, const char *what)
{
	int same = a->nparts == b->nparts;
	for (size_t i = 0; same && i < a->nparts; i++) {
		const struct mime_part *p = &a->parts[i], *q = &b->parts[i];
#define S(x) ((p->x == NULL && q->x == NULL) || (p->x && q->x && strcmp(p->x, q->x) == 0))
		same = strcmp(p->path, q->path) == 0 && p->kind == q->kind && S(type) &&
		       S(charset) && S(encoding) && S(disposition) && S(filename) && S(sniffed) &&
		       p->size == q->size && p->attachment == q->attachment;
#undef S
		if (!same)
			diag("part %s: %s size %zu sniffed %s; elided: %s size %zu sniffed %s",
			     p->path, p->type, p->size, p->sniffed ? p->sniffed : "-", q->type,
			     q->size, q->sniffed ? q->sniffed : "-");
	}
	ok(same, "%s: the same %zu parts (types, names, sizes, sniffed types)", what, a->nparts);
	same_list(&a->text, &b->text, "text");
	same_list(&a->urls, &b->urls, "urls");
	same_list(&a->att_name, &b->att_name, "attachment names");
	same_list(&a->att_type, &b->att_type, "attachment types");
	int notes = a->nnotes == b->nnotes;
	for (size_t i = 0; notes && i < a->nnotes; i++)
		notes = a->notes[i].name == b->notes[i].name &&
			strcmp(a->notes[i].value, b->notes[i].value) == 0;
	ok(notes, "%s: the same %zu notes", what, a->nnotes);
	ok(a->decoded == b->decoded, "%s: the same decoded bytes (%zu)", what, a->decoded);
}

/* check - the message of message(nl, line), whole and elided, under two sets of limits */
static void check(const char *nl, size_t line, const char *what)
{
	struct buf msg;
	message(&msg, nl, line);
	const char *sep = strstr(msg.data, nl[0] == '\r' ? "\r\n\r\n" : "\n\n");
	size_t hlen = (size_t)(sep - msg.data) + 2 * strlen(nl);
	struct mem body = {msg.data + hlen, msg.len - hlen, 0};
	struct buf in;
	struct mime_gaps g = {0};
	buf_init(&in, 4 * 1024 * 1024);
	int rc = buf_add(&in, msg.data, hlen) == BUF_OK
		     ? mime_elide(&in, body.len, mem_read, &body, MIME_KEEP, &g)
		     : -1;
	ok(rc == 0, "%s: %zu bytes elided to %zu, %zu gaps", what, msg.len, in.len, g.n);
	ok(in.len < 256 * 1024, "%s: the analysis holds %zu bytes (< 256 KB)", what, in.len);
	for (int big = 0; big < 2; big++) {
		struct mime_opts o;
		mime_opts_default(&o);
		if (big)
			o.part_bytes_max = o.total_bytes_max = 64 * 1024 * 1024;
		struct mime_result whole, el;
		rc = mime_analyze(msg.data, msg.len, &o, &whole);
		o.gaps = &g;
		o.read = mem_read;
		o.read_arg = &body;
		body.reads = 0;
		ok(rc == 0 && mime_analyze(in.data, in.len, &o, &el) == 0,
		   "%s: analysed (%s limits)", what, big ? "large" : "default");
		ok(body.reads > 0, "%s: the gaps were read back (%zu reads)", what, body.reads);
		same(&whole, &el, what);
		int pe = 0;
		for (size_t i = 0; i < el.nparts; i++)
			pe |= el.parts[i].filename &&
			      strcmp(el.parts[i].filename, "invoice.pdf") == 0 &&
			      el.parts[i].sniffed &&
			      strcmp(el.parts[i].sniffed, "application/x-dosexec") == 0;
		ok(pe, "%s: invoice.pdf after 20 MB is sniffed as an executable", what);
		mime_result_free(&whole);
		mime_result_free(&el);
	}
	mime_gaps_free(&g);
	buf_free(&in);
	buf_free(&msg);
}

/* test_cap - a body whose structure passes the cap is cut, and says so */
static void test_cap(void)
{
	struct buf msg, in;
	buf_init(&msg, 0);
	for (int i = 0; i < 2000; i++)
		add(&msg, "--XX\nContent-Type: text/plain\n\nx\n", "\n");
	struct mem body = {msg.data, msg.len, 0};
	struct mime_gaps g = {0};
	buf_init(&in, 4096);
	int rc = mime_elide(&in, body.len, mem_read, &body, MIME_KEEP, &g);
	ok(rc == 1 && in.len == 4096, "the cap cuts the structure (%zu bytes)", in.len);
	mime_gaps_free(&g);
	buf_free(&in);
	buf_free(&msg);
}

int main(void)
{
	mime_init();
	check("\r\n", 76, "CRLF, 76-byte lines");
	check("\n", 0, "LF, one long base64 line");
	test_cap();
	return done_testing();
}
