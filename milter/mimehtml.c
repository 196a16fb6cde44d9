/*
 * mimehtml.c - HTML to visible text and links: a small bounded tokenizer.
 *
 * SYNOPSIS
 *	mime_html(r, urls_max, html, len, &text)
 *
 * DESCRIPTION
 *	One pass over the document (already UTF-8: its own encoding
 *	declarations are ignored), in the manner of the HTML5 tokenizer but
 *	without building a tree: start and end tags with their attributes,
 *	comments, doctypes and processing instructions (dropped), character
 *	references, and text. An open-element stack (at most STACK_MAX deep;
 *	deeper elements are not tracked) lets an end tag close the elements
 *	left open inside it, as libxml2 and browsers do.
 *	Text inside script, style, head, title, template, noscript, object,
 *	applet and svg is not visible and is dropped; script and style hold
 *	raw text up to their end tag. A head left open ends at the first
 *	element or text that cannot be in a head. Block elements and <br>
 *	become line breaks; runs of blanks collapse into one. Character
 *	references are decoded: the HTML 4 names (mimeentity.c), and numeric
 *	ones the way browsers read them (windows-1252 for 128..159, U+FFFD for
 *	0, surrogates and values past U+10FFFF); &amp;, &lt;, &gt;, &quot; and
 *	the Latin-1 names are decoded in text without their ';' as well.
 *	href, src, action and background attributes are links: each is handed
 *	to mime_url_add (the first of each name in a tag), an anchor's href
 *	with the anchor's text so that a link that shows another domain than
 *	it goes to is noticed. An anchor ends at its end tag, at the next <a>,
 *	or when an element it is in closes.
 *	Work is linear in the input: every search moves forward; memory is
 *	the stack, a link's text (ANCHOR_MAX) and its href (HREF_MAX), and
 *	the text, bounded by text's cap.
 *	Written by hand rather than with libxml2's HTML parser, which cost
 *	three quarters of the MIME analysis of a typical message (see the
 *	commit that brought this in); fuzzed by tests/fuzz/html_fuzz.c.
 *
 * THREAD SAFETY
 *	Reentrant: all state is on the caller's stack.
 */
#include "config.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "mimeint.h"

#define ANCHOR_MAX 256 /* bytes of a link's text kept for the comparison */
#define HREF_MAX 8192  /* bytes of an attribute value kept (decoded) */
#define STACK_MAX 256  /* open elements tracked */
#define NAME_MAX_ 16   /* bytes of an element name kept (longer names are cut) */

/* What an element is to us. */
enum {
	T_HIDDEN = 1,  /* its text is not shown */
	T_BLOCK = 2,   /* starts a new line */
	T_VOID = 4,    /* has no content and no end tag */
	T_HEAD = 8,    /* may be in a head (does not end an open one) */
	T_RAW = 16,    /* raw text up to its end tag */
	T_ANCHOR = 32, /* <a> */
	T_HEADEL = 64, /* <head> itself */
	T_CELL = 128,  /* table, td, th: they end an anchor just before them */
};

/* One element name and its kind. */
struct tag {
	const char *name; /* borrowed (static) */
	unsigned kind;
};

/* sorted by strcmp */
static const struct tag tags[] = {
    {"a", T_ANCHOR},
    {"address", T_BLOCK},
    {"applet", T_HIDDEN},
    {"area", T_VOID},
    {"article", T_BLOCK},
    {"base", T_VOID | T_HEAD},
    {"basefont", T_VOID | T_HEAD},
    {"blockquote", T_BLOCK},
    {"br", T_BLOCK | T_VOID},
    {"center", T_BLOCK},
    {"col", T_VOID},
    {"dd", T_BLOCK},
    {"div", T_BLOCK},
    {"dt", T_BLOCK},
    {"embed", T_VOID},
    {"footer", T_BLOCK},
    {"frame", T_VOID},
    {"h1", T_BLOCK},
    {"h2", T_BLOCK},
    {"h3", T_BLOCK},
    {"h4", T_BLOCK},
    {"h5", T_BLOCK},
    {"h6", T_BLOCK},
    {"head", T_HIDDEN | T_HEAD | T_HEADEL},
    {"header", T_BLOCK},
    {"hr", T_BLOCK | T_VOID},
    {"html", T_HEAD},
    {"img", T_VOID},
    {"input", T_VOID},
    {"isindex", T_VOID},
    {"keygen", T_VOID},
    {"li", T_BLOCK},
    {"link", T_VOID | T_HEAD},
    {"meta", T_VOID | T_HEAD},
    {"noscript", T_HIDDEN | T_HEAD},
    {"object", T_HIDDEN},
    {"ol", T_BLOCK},
    {"p", T_BLOCK},
    {"param", T_VOID},
    {"pre", T_BLOCK},
    {"script", T_HIDDEN | T_HEAD | T_RAW},
    {"section", T_BLOCK},
    {"source", T_VOID},
    {"style", T_HIDDEN | T_HEAD | T_RAW},
    {"svg", T_HIDDEN},
    {"table", T_BLOCK | T_CELL},
    {"td", T_BLOCK | T_CELL},
    {"template", T_HIDDEN | T_HEAD},
    {"th", T_BLOCK | T_CELL},
    {"title", T_HIDDEN | T_HEAD},
    {"tr", T_BLOCK},
    {"track", T_VOID},
    {"ul", T_BLOCK},
    {"wbr", T_VOID},
};

/* An open element. */
struct open {
	char name[NAME_MAX_]; /* lower case, NUL-terminated, cut at NAME_MAX_ - 1 */
	unsigned kind;
};

/* The tokenizer's state. */
struct hctx {
	struct mime_result *r; /* borrowed */
	unsigned urls_max;
	struct buf *text;  /* borrowed: visible text goes here */
	unsigned hidden;   /* open elements whose text is not shown */
	int space;         /* the text ends in a blank (collapse the next ones) */
	struct buf href;   /* owned: the open anchor's href */
	struct buf anchor; /* owned: its text so far */
	int in_a;          /* an anchor is open */
	int err;           /* out of memory: stop adding */
	size_t depth;      /* open elements on the stack */
	struct open stack[STACK_MAX];
};

/* A tag as read. */
struct tok {
	char name[NAME_MAX_]; /* lower case, cut */
	unsigned kind;
	int end;         /* an end tag */
	int selfclose;   /* ends in "/>" */
	unsigned linked; /* link attributes seen (the first of each name counts) */
};

/* tag_kind - the kind of element name (lower case), 0 for one of no interest */
static unsigned tag_kind(const char *name)
{
	size_t lo = 0, hi = ARRAY_LEN(tags);
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		const char *t = tags[mid].name;
		size_t k = 0;
		while (name[k] == t[k] && name[k] != '\0')
			k++;
		int c = (unsigned char)name[k] - (unsigned char)t[k];
		if (c == 0)
			return tags[mid].kind;
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return 0;
}

/* is_blank - HTML's ASCII whitespace */
static int is_blank(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f';
}

/* is_alpha - an ASCII letter */
static int is_alpha(unsigned char c)
{
	return (c | 0x20) >= 'a' && (c | 0x20) <= 'z';
}

/* is_alnum - an ASCII letter or digit */
static int is_alnum(unsigned char c)
{
	return is_alpha(c) || (c >= '0' && c <= '9');
}

/* lower - ASCII lower case */
static char lower(char c)
{
	return c >= 'A' && c <= 'Z' ? (char)(c + 32) : c;
}

/* put - append text (UTF-8) to b, blanks collapsed */
static void put(struct hctx *h, const char *s, size_t n, struct buf *b, int *space)
{
	if (h->err)
		return;
	if (buf_room(b, n) == BUF_OK) { /* it fits whole (the common case): written in place */
		char *o = b->data + b->len;
		for (size_t i = 0; i < n; i++) {
			if (!is_blank((unsigned char)s[i])) {
				*o++ = s[i];
				*space = 0;
			} else {
				if (!*space && o != b->data)
					*o++ = ' ';
				*space = 1;
			}
		}
		b->len = (size_t)(o - b->data);
		b->data[b->len] = '\0';
		return;
	}
	size_t run = 0; /* near the cap: run by run, what does not fit is dropped */
	for (size_t i = 0; i < n && !h->err; i++) {
		if (!is_blank((unsigned char)s[i])) {
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

/* text - visible text (and the open anchor's) */
static void text(struct hctx *h, const char *s, size_t n)
{
	if (h->hidden || n == 0)
		return;
	put(h, s, n, h->text, &h->space);
	if (h->in_a) {
		int sp = 0;
		put(h, s, n, &h->anchor, &sp);
	}
}

/* utf8 - code point cp as UTF-8 into o (4 bytes); its length */
static size_t utf8(unsigned cp, char *o)
{
	if (cp < 0x80) {
		o[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		o[0] = (char)(0xC0 | cp >> 6);
		o[1] = (char)(0x80 | (cp & 0x3F));
		return 2;
	}
	if (cp < 0x10000) {
		o[0] = (char)(0xE0 | cp >> 12);
		o[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
		o[2] = (char)(0x80 | (cp & 0x3F));
		return 3;
	}
	o[0] = (char)(0xF0 | cp >> 18);
	o[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
	o[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
	o[3] = (char)(0x80 | (cp & 0x3F));
	return 4;
}

/* numeric - "#65;" or "#x41" at s (n bytes, after the '&'): its code point as browsers
 * read it, *used set; 0 when it is no reference */
static unsigned numeric(const char *s, size_t n, size_t *used)
{
	size_t i = 1;
	int hex = i < n && (s[i] == 'x' || s[i] == 'X');
	i += (size_t)hex;
	size_t start = i;
	unsigned long v = 0;
	for (; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		int d = c >= '0' && c <= '9'                            ? c - '0'
			: hex && (c | 0x20) >= 'a' && (c | 0x20) <= 'f' ? (c | 0x20) - 'a' + 10
									: -1;
		if (d < 0)
			break;
		v = v * (hex ? 16 : 10) + (unsigned)d;
		if (v > 0x10FFFF)
			v = 0x110000; /* stays out of range, never overflows */
	}
	if (i == start)
		return 0;
	*used = i < n && s[i] == ';' ? i + 1 : i;
	if (v >= 0x80 && v <= 0x9F) {
		unsigned c = mime_cp1252((unsigned char)v);
		return c ? c : (unsigned)v;
	}
	if (v == 0 || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF))
		return 0xFFFD;
	return (unsigned)v;
}

/* entity - the character reference at s ('&', n bytes in all) as UTF-8 into o (4 bytes):
 * its length, *used the bytes read; 0 when it is none (the '&' is text). In attribute
 * values (attr) a name needs its ';'. */
static size_t entity(const char *s, size_t n, int attr, char *o, size_t *used)
{
	unsigned cp = 0;
	if (n > 2 && s[1] == '#') {
		cp = numeric(s + 1, n - 1, used);
		*used = cp ? *used + 1 : 1;
		return cp ? utf8(cp, o) : 0;
	}
	size_t k = 1;
	while (k < n && k < 10 && is_alnum((unsigned char)s[k]))
		k++;
	if (k < n && s[k] == ';') {
		cp = mime_entity(s + 1, k - 1);
		*used = k + 1;
	} else if (!attr && k < 10) {
		cp = mime_entity(s + 1, k - 1);
		if (cp != 0 && cp < 0xA0 && cp != '&' && cp != '<' && cp != '>' && cp != '"')
			cp = 0; /* only the legacy names go without ';' */
		if (cp > 0xFF)
			cp = 0;
		*used = k;
	}
	if (cp == 0)
		*used = 1; /* no reference: the '&' is text */
	return cp ? utf8(cp, o) : 0;
}

/* chars - the text s (n bytes, up to the next '<', which the caller found), references
 * decoded; its length */
static size_t chars(struct hctx *h, const char *s, size_t n)
{
	size_t i = 0, run = 0;
	while (i < n) {
		unsigned char c = (unsigned char)s[i];
		if (c > '&' || (c != '&' && c != '\0')) { /* letters at one comparison */
			run++, i++;
			continue;
		}
		text(h, s + i - run, run);
		run = 0;
		char u[4];
		size_t used = 1, k = s[i] == '&' ? entity(s + i, n - i, 0, u, &used) : 0;
		if (k)
			text(h, u, k);
		else if (s[i] == '&')
			text(h, "&", 1);
		i += used; /* a NUL is dropped */
	}
	text(h, s + i - run, run);
	return i;
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

/* pop - close the open elements down to (and with) stack entry i */
static void pop(struct hctx *h, size_t i)
{
	while (h->depth > i) {
		struct open *e = &h->stack[--h->depth];
		if ((e->kind & T_HIDDEN) && h->hidden)
			h->hidden--;
		if (e->kind & T_ANCHOR)
			end_anchor(h);
	}
}

/* end_head - a head left open ends when what cannot be in it comes */
static void end_head(struct hctx *h)
{
	if (h->depth && (h->stack[h->depth - 1].kind & T_HEADEL))
		pop(h, h->depth - 1);
}

/* link - one link attribute's value (decoded) of tag t */
static void link(struct hctx *h, const struct tok *t, int is_href, const char *v, size_t n)
{
	if (h->err)
		return;
	if ((t->kind & T_ANCHOR) && is_href) {
		buf_reset(&h->href);
		buf_reset(&h->anchor);
		if (buf_add(&h->href, v, n < HREF_MAX ? n : HREF_MAX) == BUF_NOMEM)
			h->err = 1;
		h->in_a = 1;
	} else if (mime_url_add(h->r, h->urls_max, v, n, NULL, 0) < 0) {
		h->err = 1;
	}
}

/* link_attr - which link attribute name (n bytes) is: a bit, or 0 for none */
static unsigned link_attr(const char *s, size_t n)
{
	static const char *const names[] = {"href", "src", "action", "background"};
	for (size_t i = 0; i < ARRAY_LEN(names); i++) {
		size_t k = strlen(names[i]), j = 0;
		while (j < k && j < n && lower(s[j]) == names[i][j])
			j++;
		if (j == k && n == k)
			return 1u << i;
	}
	return 0;
}

/* attr_value - a link attribute's value v (n bytes), references decoded, to link() */
static void attr_value(struct hctx *h, struct tok *t, unsigned bit, const char *v, size_t n)
{
	if (bit == 0 || (t->linked & bit) || t->end)
		return;
	t->linked |= bit;
	if (memchr(v, '&', n) == NULL) {
		link(h, t, bit == 1, v, n);
		return;
	}
	char d[HREF_MAX];
	size_t k = 0;
	for (size_t i = 0; i < n && k + 4 <= sizeof(d);) {
		size_t used = 1, u = v[i] == '&' ? entity(v + i, n - i, 1, d + k, &used) : 0;
		if (u == 0)
			d[k++] = v[i];
		k += u;
		i += used;
	}
	link(h, t, bit == 1, d, k);
}

/* attrs - the attributes from s (n bytes, after the name) to the tag's end: link values
 * to attr_value; the offset past the '>', or 0 when the tag never ends */
static size_t attrs(struct hctx *h, struct tok *t, const char *s, size_t n)
{
	size_t i = 0;
	while (i < n) {
		unsigned char c = (unsigned char)s[i];
		if (is_blank(c) || c == '/') {
			t->selfclose = c == '/';
			i++;
			continue;
		}
		if (c == '>')
			return i + 1;
		t->selfclose = 0;
		size_t a = i++; /* a name: its first byte may be '=' */
		while (i < n && !is_blank((unsigned char)s[i]) && s[i] != '/' && s[i] != '>' &&
		       s[i] != '=')
			i++;
		unsigned bit = link_attr(s + a, i - a);
		size_t j = i;
		while (j < n && is_blank((unsigned char)s[j]))
			j++;
		if (j >= n || s[j] != '=')
			continue; /* no value */
		for (j++; j < n && is_blank((unsigned char)s[j]);)
			j++;
		if (j < n && (s[j] == '"' || s[j] == '\'')) {
			const char *q = memchr(s + j + 1, s[j], n - j - 1);
			if (q == NULL) { /* the input ends inside the value: still a link */
				attr_value(h, t, bit, s + j + 1, n - j - 1);
				return 0;
			}
			attr_value(h, t, bit, s + j + 1, (size_t)(q - s) - j - 1);
			i = (size_t)(q - s) + 1;
		} else {
			for (i = j; i < n && !is_blank((unsigned char)s[i]) && s[i] != '>';)
				i++;
			attr_value(h, t, bit, s + j, i - j);
		}
	}
	return 0;
}

/* start - a start tag read: the stack, hidden text, line breaks, anchors */
static void start(struct hctx *h, const struct tok *t)
{
	if (!(t->kind & T_HEAD))
		end_head(h);
	if ((t->kind & T_BLOCK) && !h->hidden && h->text->len && !h->space) {
		if (buf_add(h->text, "\n", 1) == BUF_NOMEM)
			h->err = 1;
		h->space = 1;
	}
	if ((t->kind & T_VOID) || t->selfclose || h->depth == STACK_MAX)
		return;
	struct open *e = &h->stack[h->depth++];
	memcpy(e->name, t->name, sizeof(e->name));
	e->kind = t->kind;
	if (t->kind & T_HIDDEN)
		h->hidden++;
}

/* end - an end tag read: the element and those open inside it close */
static void end(struct hctx *h, const struct tok *t)
{
	for (size_t i = h->depth; i > 0; i--)
		if (strcmp(h->stack[i - 1].name, t->name) == 0) {
			pop(h, i - 1);
			break;
		}
	if (t->kind & T_ANCHOR)
		end_anchor(h); /* even when no <a> was on the stack (too deep) */
}

/* raw_end - where the raw text of element name (at s, n bytes) ends: the offset of its
 * end tag, or n */
static size_t raw_end(const char *name, const char *s, size_t n)
{
	size_t k = strlen(name);
	for (size_t i = 0; i < n;) {
		const char *lt = memchr(s + i, '<', n - i);
		if (lt == NULL)
			return n;
		i = (size_t)(lt - s);
		if (i + 2 + k <= n && s[i + 1] == '/' && strncasecmp(s + i + 2, name, k) == 0 &&
		    (i + 2 + k == n || is_blank((unsigned char)s[i + 2 + k]) ||
		     s[i + 2 + k] == '/' || s[i + 2 + k] == '>'))
			return i;
		i++;
	}
	return n;
}

/* tag - the tag at s ('<' then a letter, or "</" then a letter; n bytes): read and acted
 * on; its length */
static size_t tag(struct hctx *h, const char *s, size_t n)
{
	struct tok t;
	memset(&t, 0, sizeof(t));
	size_t i = 1, k = 0;
	t.end = s[1] == '/';
	i += (size_t)t.end;
	for (; i < n && !is_blank((unsigned char)s[i]) && s[i] != '/' && s[i] != '>'; i++)
		if (k + 1 < sizeof(t.name))
			t.name[k++] = lower(s[i]);
	t.kind = tag_kind(t.name);
	if ((t.kind & (T_ANCHOR | T_CELL)) && !t.end && h->depth &&
	    (h->stack[h->depth - 1].kind & T_ANCHOR))
		pop(h, h->depth - 1); /* as libxml2 does */
	if ((t.kind & T_ANCHOR) && !t.end)
		end_anchor(h); /* anchors do not nest: an open one ends here */
	size_t a = attrs(h, &t, s + i, n - i);
	if (a == 0)
		return n; /* the input ends inside the tag: it is dropped */
	i += a;
	if (t.end) {
		end(h, &t);
		return i;
	}
	start(h, &t);
	if ((t.kind & T_RAW) && !t.selfclose)
		i += raw_end(t.name, s + i, n - i); /* hidden: nothing of it is kept */
	return i;
}

/* markup - what starts with '<' at s (n bytes): its length */
static size_t markup(struct hctx *h, const char *s, size_t n)
{
	if (n > 1 && is_alpha((unsigned char)s[1]))
		return tag(h, s, n);
	if (n > 2 && s[1] == '/' && is_alpha((unsigned char)s[2]))
		return tag(h, s, n);
	if (n > 3 && s[1] == '!' && s[2] == '-' && s[3] == '-') {
		const char *e = n > 4 ? memmem(s + 4, n - 4, "-->", 3) : NULL;
		if (e == NULL && n > 4 && s[4] == '>')
			return 5; /* "<!-->" */
		return e ? (size_t)(e - s) + 3 : n;
	}
	if (n > 1 && (s[1] == '!' || s[1] == '?' || s[1] == '/')) {
		const char *e = memchr(s + 1, '>', n - 1); /* doctype, PI, bogus comment */
		return e ? (size_t)(e - s) + 1 : n;
	}
	text(h, "<", 1);
	return 1;
}

/* blank_only - are the n bytes at s all blanks? */
static int blank_only(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!is_blank((unsigned char)s[i]))
			return 0;
	return 1;
}

/* mime_html - tokenize and collect */
int mime_html(struct mime_result *r, unsigned urls_max, const char *html, size_t len,
	      struct buf *text)
{
	struct hctx *h = malloc(sizeof(*h));
	if (h == NULL)
		return -1;
	memset(h, 0, offsetof(struct hctx, stack));
	h->r = r;
	h->urls_max = urls_max;
	h->text = text;
	h->space = 1;
	buf_init(&h->href, HREF_MAX);
	buf_init(&h->anchor, ANCHOR_MAX);
	for (size_t i = 0; i < len && !h->err;) {
		if (html[i] == '<') {
			i += markup(h, html + i, len - i);
			continue;
		}
		const char *lt = memchr(html + i, '<', len - i);
		size_t n = lt ? (size_t)(lt - html) - i : len - i;
		if (!blank_only(html + i, n))
			end_head(h);
		i += chars(h, html + i, n);
	}
	end_anchor(h);
	while (text->len && (text->data[text->len - 1] == ' ' || text->data[text->len - 1] == '\n'))
		text->data[--text->len] = '\0'; /* the blank a last element left */
	int err = h->err;
	buf_free(&h->href);
	buf_free(&h->anchor);
	free(h);
	return err ? -1 : 0;
}
