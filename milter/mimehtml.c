/*
 * mimehtml.c - HTML to visible text and links, with libxml2's HTML parser.
 *
 * SYNOPSIS
 *	mime_html(r, urls_max, html, len, &text)
 *
 * DESCRIPTION
 *	libxml2 parses the document (already UTF-8: its own encoding
 *	declarations are ignored) with SAX callbacks, so no tree is built.
 *	Text inside script, style, head, title, template and similar elements
 *	is not visible and is dropped; block elements and <br> become line
 *	breaks; runs of blanks collapse into one; entities come decoded.
 *	href and src attributes (a, area, img, iframe, form action, ...) are
 *	links: each is handed to mime_url_add, an anchor's with its text so
 *	that a link that shows another domain than it goes to is noticed.
 *	libxml2 bounds its own nesting depth; the text is bounded by text's cap.
 *
 * THREAD SAFETY
 *	Reentrant (xmlInitParser runs once in mime_lib_init).
 */
#include "config.h"

#include <string.h>
#include <strings.h>

#include <libxml/HTMLparser.h>

#include "mimeint.h"

#define ANCHOR_MAX 256 /* bytes of a link's text kept for the comparison */

/* The parse's state. */
struct hctx {
	struct mime_result *r; /* borrowed */
	unsigned urls_max;
	struct buf *text;  /* borrowed: visible text goes here */
	unsigned hidden;   /* depth inside elements whose text is not shown */
	int space;         /* the text ends in a blank (collapse the next ones) */
	struct buf href;   /* owned: the open anchor's href */
	struct buf anchor; /* owned: its text so far */
	int in_a;          /* an anchor is open */
	int err;           /* out of memory: stop adding */
};

/* in - is name one of the NULL-terminated list? (libxml2's HTML parser gives element
 * names in lower case) */
static int in(const char *name, const char *const *list)
{
	for (; *list; list++)
		if (**list == *name && strcmp(name, *list) == 0)
			return 1;
	return 0;
}

static const char *const hidden_tags[] = {"script",   "style",  "head",   "title", "template",
					  "noscript", "object", "applet", "svg",   NULL};
static const char *const block_tags[] = {
    "br", "p",  "div",     "tr",      "li",     "ul",     "ol",      "table",  "h1",         "h2",
    "h3", "h4", "h5",      "h6",      "hr",     "dt",     "dd",      "center", "blockquote", "pre",
    "td", "th", "section", "article", "header", "footer", "address", NULL};

/* put - append text (libxml2 gives UTF-8), blanks collapsed */
static void put(struct hctx *h, const char *s, size_t n, struct buf *b, int *space)
{
	size_t run = 0;
	for (size_t i = 0; i < n && !h->err; i++) {
		int blank =
		    s[i] == ' ' || s[i] == '\t' || s[i] == '\r' || s[i] == '\n' || s[i] == '\f';
		if (!blank) {
			run++;
			*space = 0;
			continue;
		}
		if (run && buf_add(b, s + i - run, run) == BUF_NOMEM)
			h->err = 1;
		run = 0;
		if (!*space && b->len && buf_add(b, " ", 1) == BUF_NOMEM)
			h->err = 1;
		*space = 1;
	}
	if (run && buf_add(b, s + n - run, run) == BUF_NOMEM)
		h->err = 1;
}

/* end_anchor - the open link, with its text, to the URL list */
static void end_anchor(struct hctx *h)
{
	if (h->in_a && !h->err &&
	    mime_url_add(h->r, h->urls_max, h->href.data ? h->href.data : "", h->href.len,
			 h->anchor.data ? h->anchor.data : "", h->anchor.len) < 0)
		h->err = 1;
	h->in_a = 0;
}

/* on_start - an element opens */
static void on_start(void *ctx, const xmlChar *name, const xmlChar **atts)
{
	struct hctx *h = ctx;
	const char *n = (const char *)name;
	if (in(n, hidden_tags))
		h->hidden++;
	if (in(n, block_tags) && !h->hidden && h->text->len && !h->space) {
		if (buf_add(h->text, "\n", 1) == BUF_NOMEM)
			h->err = 1;
		h->space = 1;
	}
	int anchor = n[0] == 'a' && n[1] == '\0';
	if (anchor)
		end_anchor(h); /* anchors do not nest: an open one ends here */
	for (size_t i = 0; atts && atts[i] && atts[i + 1] && !h->err; i += 2) {
		const char *a = (const char *)atts[i], *v = (const char *)atts[i + 1];
		if (strcmp(a, "href") != 0 && strcmp(a, "src") != 0 && strcmp(a, "action") != 0 &&
		    strcmp(a, "background") != 0)
			continue; /* attribute names come in lower case too */
		if (anchor && strcmp(a, "href") == 0) {
			buf_reset(&h->href);
			buf_reset(&h->anchor);
			if (buf_adds(&h->href, v) == BUF_NOMEM)
				h->err = 1;
			h->in_a = 1;
		} else if (mime_url_add(h->r, h->urls_max, v, strlen(v), NULL, 0) < 0)
			h->err = 1;
	}
}

/* on_end - an element closes */
static void on_end(void *ctx, const xmlChar *name)
{
	struct hctx *h = ctx;
	const char *n = (const char *)name;
	if (in(n, hidden_tags) && h->hidden)
		h->hidden--;
	if (n[0] == 'a' && n[1] == '\0')
		end_anchor(h);
}

/* on_text - character data */
static void on_text(void *ctx, const xmlChar *s, int len)
{
	struct hctx *h = ctx;
	if (h->hidden || len <= 0)
		return;
	put(h, (const char *)s, (size_t)len, h->text, &h->space);
	if (h->in_a) {
		int sp = 0;
		put(h, (const char *)s, (size_t)len, &h->anchor, &sp);
	}
}

/* quiet - libxml2's error reports are not ours to print */
static void quiet(void *ctx, const char *msg, ...)
{
}

/* mime_html - parse and collect */
int mime_html(struct mime_result *r, unsigned urls_max, const char *html, size_t len,
	      struct buf *text)
{
	struct hctx h = {.r = r, .urls_max = urls_max, .text = text, .space = 1};
	buf_init(&h.href, 8192);
	buf_init(&h.anchor, ANCHOR_MAX);
	htmlSAXHandler sax;
	memset(&sax, 0, sizeof(sax));
	sax.startElement = on_start;
	sax.endElement = on_end;
	sax.characters = on_text;
	sax.cdataBlock = on_text;
	sax.error = quiet;
	sax.warning = quiet;
	if (len > INT_MAX)
		len = INT_MAX;
	htmlParserCtxtPtr ctxt =
	    htmlCreatePushParserCtxt(&sax, &h, NULL, 0, NULL, XML_CHAR_ENCODING_UTF8);
	if (ctxt == NULL) {
		buf_free(&h.href);
		buf_free(&h.anchor);
		return -1;
	}
	htmlCtxtUseOptions(ctxt, HTML_PARSE_NOERROR | HTML_PARSE_NOWARNING | HTML_PARSE_NONET |
				     HTML_PARSE_IGNORE_ENC);
	htmlParseChunk(ctxt, html, (int)len, 1);
	end_anchor(&h);
	while (text->len && (text->data[text->len - 1] == ' ' || text->data[text->len - 1] == '\n'))
		text->data[--text->len] = '\0'; /* the blank a last element left */
	htmlFreeParserCtxt(ctxt);
	buf_free(&h.href);
	buf_free(&h.anchor);
	return h.err ? -1 : 0;
}
