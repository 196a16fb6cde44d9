/*
 * mime.c - walk a message's MIME structure: parts, transfer decoding, text.
 *
 * SYNOPSIS
 *	struct mime_opts o; mime_opts_default(&o);
 *	struct mime_result r;
 *	if (mime_analyze(msg, len, &o, &r) == 0) { ... r.parts, r.text, r.urls ...; }
 *	mime_result_free(&r);
 *
 * DESCRIPTION
 *	The walk finds the parts itself (boundary delimiter lines, header
 *	blocks, enclosed messages) over the message bytes, which it only
 *	borrows. Content-Type and Content-Disposition are read by
 *	mimefield.c in their plain form and by GMime otherwise (RFC 2231
 *	parameters, RFC 2047 words, comments, ...); base64 and
 *	quoted-printable are decoded by mimedecode.c, as GMime would.
 *	The walk is ours, not g_mime_parser's, so that nesting depth, part
 *	count and decoded bytes are bounded before anything is built: GMime's
 *	parser recurses once per nesting level and builds an object per part,
 *	whatever their number.
 *	Each leaf is decoded (at most part_bytes_max, and at most what is left
 *	of total_bytes_max), its first bytes sniffed (mimesniff.c); text parts
 *	are converted to UTF-8 (mimecharset.c), HTML reduced to its visible text
 *	and links (mimehtml.c), and URLs collected (mimeurl.c). A part that is
 *	an attachment gives its name and types.
 *
 * DIAGNOSTICS
 *	Malformed input is data: each oddity is a note (mime.boundary_missing,
 *	mime.boundary_unterminated, mime.bad_base64, mime.charset_unknown,
 *	mime.html_only, mime.header_too_long, mime.depth_exceeded,
 *	mime.parts_exceeded, mime.part_truncated, mime.bytes_exceeded, ...),
 *	and the walk goes on. -1 only when memory runs out.
 *
 * THREAD SAFETY
 *	Reentrant. The libraries are initialised once (pthread_once).
 */
#include "config.h"

#include "mime.h"

#include <ctype.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <gmime/gmime.h>

#include "buf.h"
#include "mimeint.h"

/* One part's header fields that matter to MIME, unfolded. */
struct hview {
	struct buf ctype, cte, cdisp; /* owned contents: the first instance of each field */
	int have_ctype, have_cte, have_cdisp;
};

/* The walk's state. */
struct walk {
	const struct mime_opts *o; /* borrowed */
	struct mime_result *r;     /* borrowed: where results go */
	int has_plain, has_html;   /* body text seen of each kind (for mime.html_only) */
	size_t text_bytes;         /* the bytes of r->text's values */
	const char *base;          /* borrowed: the input, where o->gaps' offsets start */
	size_t blen;               /* its bytes */
};

static pthread_once_t init_once = PTHREAD_ONCE_INIT;

/* init - the libraries, once per process */
static void init(void)
{
	g_mime_init();
	mime_lib_init();
}

/* mime_init - the libraries, once */
void mime_init(void)
{
	pthread_once(&init_once, init);
}

/* mime_opts_default - the documented defaults */
void mime_opts_default(struct mime_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->depth_max = 20;
	o->parts_max = 1000;
	o->part_bytes_max = 10 * 1024 * 1024;
	o->total_bytes_max = 20 * 1024 * 1024;
	o->urls_max = 200;
	o->header_line_max = 64 * 1024;
}

/* grow - room for one more element in *arr (n used of *cap, each size bytes) */
static int grow(void **arr, size_t *cap, size_t n, size_t size)
{
	if (n < *cap)
		return 0;
	size_t nc = *cap ? *cap * 2 : 8;
	void *a = realloc(*arr, nc * size);
	if (a == NULL)
		return -1;
	*arr = a;
	*cap = nc;
	return 0;
}

/* mime_note - record an oddity */
int mime_note(struct mime_result *r, const char *name, const char *fmt, ...)
{
	char val[256];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(val, sizeof(val), fmt, ap);
	va_end(ap);
	for (size_t i = 0; i < r->nnotes; i++)
		if (r->notes[i].name == name && strcmp(r->notes[i].value, val) == 0)
			return 0;
	if (r->nnotes >= MIME_NOTES_MAX)
		return 0;
	if (grow((void **)&r->notes, &r->notes_cap, r->nnotes, sizeof(*r->notes)) < 0)
		return -1;
	char *v = strdup(val);
	if (v == NULL)
		return -1;
	r->notes[r->nnotes++] = (struct mime_note){name, v};
	return 0;
}

/* mime_result_free - release */
void mime_result_free(struct mime_result *r)
{
	for (size_t i = 0; i < r->nparts; i++) {
		struct mime_part *p = &r->parts[i];
		free(p->type);
		free(p->charset);
		free(p->encoding);
		free(p->disposition);
		free(p->filename);
	}
	free(r->parts);
	mime_list_free(&r->text);
	mime_list_free(&r->urls);
	mime_list_free(&r->domains);
	mime_list_free(&r->att_name);
	mime_list_free(&r->att_type);
	for (size_t i = 0; i < r->nnotes; i++)
		free(r->notes[i].value);
	free(r->notes);
	memset(r, 0, sizeof(*r));
}

/* line_end - offset just past the line starting at off (its LF, or len) and, in *body, its
 * length without the line break */
static size_t line_end(const char *p, size_t len, size_t off, size_t *body)
{
	const char *nl = memchr(p + off, '\n', len - off);
	size_t end = nl ? (size_t)(nl - p) : len;
	size_t b = end - off;
	if (b && p[off + b - 1] == '\r')
		b--;
	*body = b;
	return nl ? end + 1 : len;
}

/* field_is - does the line (n bytes) start with header name (followed by optional blanks
 * and a colon)? Sets *val to the offset of the value. */
static int field_is(const char *l, size_t n, const char *name, size_t *val)
{
	size_t k = strlen(name);
	if (n <= k || strncasecmp(l, name, k) != 0)
		return 0;
	while (k < n && (l[k] == ' ' || l[k] == '\t'))
		k++;
	if (k >= n || l[k] != ':')
		return 0;
	*val = k + 1;
	return 1;
}

/* parse_headers - the header block at the start of p; the body's offset, or -1 when out
 * of memory. A line that is not a field ends the block (it is body). */
static long parse_headers(struct walk *w, const char *p, size_t len, const char *path,
			  struct hview *h)
{
	size_t max = w->o->header_line_max;
	buf_init(&h->ctype, max);
	buf_init(&h->cte, max);
	buf_init(&h->cdisp, max);
	h->have_ctype = h->have_cte = h->have_cdisp = 0;
	struct buf *cur = NULL; /* the field being unfolded, or NULL: one we skip */
	size_t off = 0, curlen = 0;
	while (off < len) {
		size_t n, next = line_end(p, len, off, &n);
		const char *l = p + off;
		if (n == 0) {
			off = next; /* the empty line: the body follows */
			break;
		}
		if (l[0] == ' ' || l[0] == '\t') {
			if (off == 0)
				break; /* no header at all */
			curlen += n;
		} else if (mime_looks_field(l, n)) {
			cur = NULL;
			curlen = n;
			size_t v;
			if (!h->have_ctype && field_is(l, n, "content-type", &v))
				cur = &h->ctype, h->have_ctype = 1;
			else if (!h->have_cte && field_is(l, n, "content-transfer-encoding", &v))
				cur = &h->cte, h->have_cte = 1;
			else if (!h->have_cdisp && field_is(l, n, "content-disposition", &v))
				cur = &h->cdisp, h->have_cdisp = 1;
			if (cur) {
				l += v;
				n -= v;
			}
		} else if (off == 0 && n > 5 && memcmp(l, "From ", 5) == 0) {
			cur = NULL; /* an mbox "From " line before the header */
		} else {
			/* not a field: the body starts here, as Postfix's MIME parser has it */
			if (mime_note(w->r, "mime.bad_header", "%s", path) < 0)
				return -1;
			break; /* not a field: the body starts here */
		}
		if (curlen > max && mime_note(w->r, "mime.header_too_long", "%s", path) < 0)
			return -1;
		if (cur && buf_add(cur, l, n) == BUF_NOMEM)
			return -1;
		off = next;
	}
	return (long)off;
}

/* hview_free - release */
static void hview_free(struct hview *h)
{
	buf_free(&h->ctype);
	buf_free(&h->cte);
	buf_free(&h->cdisp);
}

/* lower_dup - a lower-case copy of s with surrounding blanks trimmed */
static char *lower_dup(const char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	size_t n = strlen(s);
	while (n && (s[n - 1] == ' ' || s[n - 1] == '\t'))
		n--;
	char *d = strndup(s, n);
	for (size_t i = 0; d && d[i]; i++)
		d[i] = (char)tolower((unsigned char)d[i]);
	return d;
}

/* new_part - append a part; its index, or -1 when out of memory */
static long new_part(struct mime_result *r, const char *path, unsigned depth)
{
	if (grow((void **)&r->parts, &r->parts_cap, r->nparts, sizeof(*r->parts)) < 0)
		return -1;
	struct mime_part *p = &r->parts[r->nparts];
	memset(p, 0, sizeof(*p));
	snprintf(p->path, sizeof(p->path), "%s", path);
	p->depth = depth;
	return (long)r->nparts++;
}

/* The fields of a part's header, read by mime_field_parse or, when that cannot, by GMime. */
struct fields {
	struct mime_field ct, cd;     /* what mime_field_parse read */
	GMimeContentType *gct;        /* owned, or NULL: what GMime read (Content-Type) */
	GMimeContentDisposition *gcd; /* owned, or NULL (Content-Disposition) */
	int have_ct, have_cd;         /* read, one way or the other */
};

/* read_fields - Content-Type and Content-Disposition of h (cut in place when read here) */
static void read_fields(struct hview *h, struct fields *f)
{
	memset(f, 0, sizeof(*f));
	if (h->have_ctype && h->ctype.data) {
		f->have_ct = 1;
		if (!mime_field_parse(h->ctype.data, 1, &f->ct))
			f->gct = g_mime_content_type_parse(NULL, h->ctype.data);
	}
	if (h->have_cdisp && h->cdisp.data) {
		f->have_cd = 1;
		if (!mime_field_parse(h->cdisp.data, 0, &f->cd))
			f->gcd = g_mime_content_disposition_parse(NULL, h->cdisp.data);
	}
}

/* ct_param, cd_param - a parameter's value, or NULL */
static const char *ct_param(const struct fields *f, const char *name)
{
	if (!f->have_ct)
		return NULL;
	return f->gct ? g_mime_content_type_get_parameter(f->gct, name)
		      : mime_field_param(&f->ct, name);
}

static const char *cd_param(const struct fields *f, const char *name)
{
	if (!f->have_cd)
		return NULL;
	return f->gcd ? g_mime_content_disposition_get_parameter(f->gcd, name)
		      : mime_field_param(&f->cd, name);
}

/* describe - content type, charset, boundary, disposition and file name into part i;
 * *boundary gets an owned copy of the boundary (or NULL). -1 when out of memory. */
static int describe(struct mime_result *r, size_t i, struct hview *h, int digest, char **boundary)
{
	struct mime_part *p = &r->parts[i];
	*boundary = NULL;
	struct fields f;
	read_fields(h, &f);
	const char *media = f.gct       ? g_mime_content_type_get_media_type(f.gct)
			    : f.have_ct ? f.ct.type
					: NULL;
	const char *sub = f.gct       ? g_mime_content_type_get_media_subtype(f.gct)
			  : f.have_ct ? f.ct.sub
				      : NULL;
	int dflt =
	    media == NULL || sub == NULL || !*media || !*sub ||
	    (f.gct && strcmp(media, "application") == 0 && strcmp(sub, "octet-stream") == 0 &&
	     strchr(h->ctype.data, '/') == NULL); /* GMime's answer to no type at all */
	char tbuf[256];
	if (dflt) /* absent or unparsable: RFC 2045 5.2, RFC 2046 5.1.5 for digests */
		snprintf(tbuf, sizeof(tbuf), "%s", digest ? "message/rfc822" : "text/plain");
	else
		snprintf(tbuf, sizeof(tbuf), "%s/%s", media, sub);
	p->type = lower_dup(tbuf);
	const char *cs = ct_param(&f, "charset");
	const char *bd = ct_param(&f, "boundary");
	const char *name = ct_param(&f, "name");
	int rc = p->type ? 0 : -1;
	if (rc == 0 && cs && *cs && (p->charset = lower_dup(cs)) == NULL)
		rc = -1;
	if (rc == 0 && bd && *bd && (*boundary = strdup(bd)) == NULL)
		rc = -1;
	if (rc == 0 && h->have_cte && h->cte.data && (p->encoding = lower_dup(h->cte.data)) == NULL)
		rc = -1;
	const char *disp = f.gcd       ? g_mime_content_disposition_get_disposition(f.gcd)
			   : f.have_cd ? f.cd.type
				       : NULL;
	const char *fname = cd_param(&f, "filename");
	if (fname == NULL || *fname == '\0')
		fname = name;
	if (rc == 0 && disp && *disp && (p->disposition = lower_dup(disp)) == NULL)
		rc = -1;
	if (rc == 0 && fname && *fname && (p->filename = strdup(fname)) == NULL)
		rc = -1;
	if (f.gcd)
		g_object_unref(f.gcd);
	if (f.gct)
		g_object_unref(f.gct);
	return rc;
}

#define DECODE_CHUNK 65536 /* encoded bytes decoded per step */
#define SNIFF_KEEP 4096    /* decoded bytes of an attachment kept: more than sniffing needs */

/* A body as decoded: its bytes in the input and those of the gaps among them. */
struct src {
	const char *p; /* borrowed: the body in the input */
	size_t len;    /* its bytes there */
	size_t off;    /* its offset in the input, when gapped */
	size_t g0, g1; /* its gaps: o->gaps->v[g0..g1) */
	size_t total;  /* the body's bytes, gaps included */
};

/* src_open - the body at p (len bytes) with the gaps that fall in it */
static void src_open(const struct walk *w, const char *p, size_t len, struct src *s)
{
	*s = (struct src){p, len, 0, 0, 0, len};
	const struct mime_gaps *g = w->o->gaps;
	uintptr_t a = (uintptr_t)p, base = (uintptr_t)w->base;
	if (g == NULL || g->n == 0 || w->o->read == NULL || a < base || a > base + w->blen)
		return; /* no gaps, or a decoded copy: none fall in it */
	s->off = (size_t)(a - base);
	size_t lo = 0, hi = g->n; /* the first gap after the body's first byte */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (g->v[mid].at <= s->off)
			lo = mid + 1;
		else
			hi = mid;
	}
	s->g0 = s->g1 = lo;
	while (s->g1 < g->n && g->v[s->g1].at <= s->off + len)
		s->total += g->v[s->g1++].len;
}

/* src_read - n bytes of the body from pos on (as if it had no gaps) into out; the bytes
 * read: fewer when a read fails */
static size_t src_read(const struct walk *w, const struct src *s, size_t pos, char *out, size_t n)
{
	const struct mime_gap *v = w->o->gaps ? w->o->gaps->v : NULL;
	size_t at = 0, lpos = 0, got = 0; /* at: in the input, lpos: in the body */
	for (size_t g = s->g0; got < n; g++) {
		size_t seg = (g < s->g1 ? v[g].at - s->off : s->len) - at;
		if (pos + got < lpos + seg) {
			size_t k = lpos + seg - (pos + got);
			k = k < n - got ? k : n - got;
			memcpy(out + got, s->p + at + (pos + got - lpos), k);
			got += k;
		}
		at += seg;
		lpos += seg;
		if (g >= s->g1 || got == n)
			break;
		if (pos + got < lpos + v[g].len) {
			size_t k = lpos + v[g].len - (pos + got);
			k = k < n - got ? k : n - got;
			ssize_t r =
			    w->o->read(w->o->read_arg, v[g].src + (pos + got - lpos), out + got, k);
			if (r <= 0)
				break;
			got += (size_t)r;
			if ((size_t)r < k)
				break;
		}
		lpos += v[g].len;
	}
	return got;
}

/* What decode gives. */
struct dec {
	const char *d; /* borrowed (the input) or owned: the bytes kept */
	size_t dlen;   /* bytes at d */
	size_t n;      /* decoded bytes in all (the part's size) */
	char *owned;   /* owned, or NULL */
	int cut;       /* there were more than the budget */
};

/* decode - the transfer decoding of part i's body, at most max bytes; keep: every decoded
 * byte kept, else only the first SNIFF_KEEP (the rest counted). -1 when out of memory. */
static int decode(struct walk *w, size_t i, const char *body, size_t len, size_t max, int keep,
		  struct dec *o)
{
	const char *enc = w->r->parts[i].encoding;
	memset(o, 0, sizeof(*o));
	int b64 = enc && strcmp(enc, "base64") == 0;
	int qp = enc && strcmp(enc, "quoted-printable") == 0;
	struct src s;
	src_open(w, body, len, &s);
	if (!b64 && !qp) {
		o->n = s.total < max ? s.total : max;
		o->cut = s.total > max;
		o->d = body;
		o->dlen = o->n;
		if (s.g0 == s.g1)
			return 0;
		o->dlen = keep || o->n < SNIFF_KEEP ? o->n : SNIFF_KEEP;
		if ((o->owned = malloc(o->dlen + 1)) == NULL)
			return -1;
		o->dlen = src_read(w, &s, 0, o->owned, o->dlen);
		o->owned[o->dlen] = '\0';
		o->d = o->owned;
		return 0;
	}
	size_t total = s.total;
	/* a step writes at most its input + 3 bytes, and starts below max (keep) or at most
	 * at SNIFF_KEEP (the bytes past it are overwritten by the next step) */
	size_t lim = keep ? max : SNIFF_KEEP;
	size_t size = (total < lim + DECODE_CHUNK ? total : lim + DECODE_CHUNK) + 3;
	char *d = malloc(size + 1), *stage = NULL;
	if (d == NULL || (s.g0 < s.g1 && (stage = malloc(DECODE_CHUNK)) == NULL)) {
		free(d);
		return -1;
	}
	size_t n = 0, pos = 0;
	int state = 0;
	unsigned save = 0, junk = 0;
	while (pos < total && n < max) {
		size_t c = total - pos < DECODE_CHUNK ? total - pos : DECODE_CHUNK;
		const char *in = body + pos;
		if (stage) {
			size_t got = src_read(w, &s, pos, stage, c);
			if (got < c)
				total = pos + got; /* a read failed: the body ends here */
			c = got;
			in = stage;
		}
		char *to = d + (keep || n < SNIFF_KEEP ? n : SNIFF_KEEP);
		n += b64 ? mime_b64_step(in, c, to, &state, &save, &junk)
			 : mime_qp_step(in, c, to, &state, &save);
		pos += c;
	}
	free(stage);
	if (junk && mime_note(w->r, "mime.bad_base64", "%s", w->r->parts[i].path) < 0) {
		free(d);
		return -1;
	}
	o->cut = n > max || pos < total;
	o->n = n > max ? max : n;
	o->dlen = keep || o->n < SNIFF_KEEP ? o->n : SNIFF_KEEP;
	d[o->dlen] = '\0';
	o->owned = d;
	o->d = d;
	return 0;
}

/* budget - the decoded bytes the next part may have: what is left of both budgets */
static size_t budget(const struct walk *w)
{
	size_t d = w->r->decoded, room = w->o->total_bytes_max > d ? w->o->total_bytes_max - d : 0;
	return w->o->part_bytes_max < room ? w->o->part_bytes_max : room;
}

/* decode_part - decode within what is left of the part and message budgets (a cut is a
 * note); the part's size set. -1 when out of memory. */
static int decode_part(struct walk *w, size_t i, const char *body, size_t len, int keep,
		       struct dec *o)
{
	struct mime_result *r = w->r;
	size_t max = budget(w);
	if (decode(w, i, body, len, max, keep, o) < 0)
		return -1;
	r->parts[i].size = o->n;
	if (o->cut &&
	    mime_note(r, max < w->o->part_bytes_max ? "mime.bytes_exceeded" : "mime.part_truncated",
		      "%s", r->parts[i].path) < 0) {
		free(o->owned);
		o->owned = NULL;
		return -1;
	}
	return 0;
}

static int walk(struct walk *w, const char *p, size_t len, unsigned depth, const char *path,
		int digest);

/* is_text_body - does part i show as text (not an attachment)? */
static int is_text_body(const struct mime_part *p)
{
	if (p->disposition && strcmp(p->disposition, "attachment") == 0)
		return 0;
	if (p->filename && !(p->disposition && strcmp(p->disposition, "inline") == 0))
		return 0;
	return strncmp(p->type, "text/", 5) == 0;
}

/* attachment - a leaf that is not shown as text: its name and types become values */
static int attachment(struct walk *w, struct mime_part *p)
{
	struct mime_result *r = w->r;
	p->attachment = 1;
	size_t max = w->o->parts_max;
	if (p->filename &&
	    mime_list_add_unique(&r->att_name, p->filename, strlen(p->filename), max) < 0)
		return -1;
	if (mime_list_add_unique(&r->att_type, p->type, strlen(p->type), max) < 0)
		return -1;
	if (p->sniffed &&
	    mime_list_add_unique(&r->att_type, p->sniffed, strlen(p->sniffed), max) < 0)
		return -1;
	return 0;
}

/* text - a text part's decoded bytes as UTF-8 text (HTML: its visible text), URLs
 * collected; the text becomes a value of the body target */
static int text(struct walk *w, size_t i, const char *d, size_t n)
{
	struct mime_result *r = w->r;
	const struct mime_part *p = &r->parts[i];
	size_t max = w->o->total_bytes_max;
	size_t room = max > w->text_bytes ? max - w->text_bytes : 0;
	if (room == 0)
		return mime_note(r, "mime.bytes_exceeded", "%s", p->path);
	struct buf u, vis;
	buf_init(&u, room);
	buf_init(&vis, room);
	int unknown = 0, rc = -1;
	int html = strcmp(p->type, "text/html") == 0;
	const char *s = d; /* the text in UTF-8: d itself when it is already (no copy) */
	size_t sn = n;
	if (n > room || !mime_utf8_as_is(p->charset, d, n)) {
		if (mime_utf8(p->charset, d, n, &u, &unknown) < 0)
			goto done;
		s = u.data ? u.data : "";
		sn = u.len;
	}
	if (unknown && mime_note(r, "mime.charset_unknown", "%s %s", p->path, p->charset) < 0)
		goto done;
	if (html) {
		w->has_html = 1;
		if (mime_html(r, w->o->urls_max, s, sn, &vis) < 0)
			goto done;
		s = vis.data ? vis.data : "";
		sn = vis.len;
	} else {
		w->has_plain = w->has_plain || strcmp(p->type, "text/plain") == 0;
	}
	if (mime_url_scan(r, w->o->urls_max, s, sn) < 0 ||
	    mime_list_add(&r->text, s, sn, (size_t)-1) < 0)
		goto done;
	w->text_bytes += sn;
	rc = 0;
done:
	buf_free(&u);
	buf_free(&vis);
	return rc;
}

/* leaf - decode a body, sniff it, show it to the observer, then text or attachment */
static int leaf(struct walk *w, size_t i, const char *body, size_t len)
{
	int txt = is_text_body(&w->r->parts[i]);
	struct dec o;
	if (decode_part(w, i, body, len, txt || w->o->leaf != NULL, &o) < 0)
		return -1;
	w->r->decoded += o.n;
	struct mime_part *p = &w->r->parts[i];
	p->sniffed = mime_sniff((const unsigned char *)o.d, o.dlen);
	if (w->o->leaf)
		w->o->leaf(w->o->leaf_arg, p, o.d, o.dlen);
	int rc = txt ? text(w, i, o.d, o.dlen) : attachment(w, p);
	free(o.owned);
	return rc;
}

/* find_delim - the next delimiter line of boundary b (with its leading "--") at or after
 * off: its start in *at, the offset past it in *next; 1 found (*close: a close delimiter),
 * 0 none. Only line starts are looked at (memchr finds them). */
static int find_delim(const char *p, size_t len, size_t off, const char *b, size_t blen, size_t *at,
		      size_t *next, int *close)
{
	for (size_t s = off; s < len;) {
		if (s > 0 && p[s - 1] != '\n') { /* to the next line's start */
			const char *nl = memchr(p + s, '\n', len - s);
			if (nl == NULL)
				return 0;
			s = (size_t)(nl - p) + 1;
			continue;
		}
		size_t q = s + blen;
		if (q > len || p[s] != '-' || memcmp(p + s, b, blen) != 0) {
			s++; /* not here: on to the next line */
			continue;
		}
		*close = q + 1 < len && p[q] == '-' && p[q + 1] == '-';
		if (*close) /* RFC 2046 5.1.1: what follows the close delimiter is ignored */
			q += 2;
		else if (q < len && p[q] != ' ' && p[q] != '\t' && p[q] != '\r' && p[q] != '\n') {
			s++; /* "--boundaryX": another boundary that starts the same */
			continue;
		}
		const char *nl = q < len ? memchr(p + q, '\n', len - q) : NULL;
		/* the rest of a delimiter line is ignored (as mime4j and GMime do), with its LF */
		*at = s;
		*next = nl ? (size_t)(nl - p) + 1 : len;
		return 1;
	}
	return 0;
}

/* before - where the content before a delimiter at s ends: its line break belongs to it */
static size_t before(const char *p, size_t start, size_t s)
{
	if (s > start && p[s - 1] == '\n')
		s--;
	if (s > start && p[s - 1] == '\r')
		s--;
	return s;
}

/* multipart - the body parts between the delimiters of boundary bd */
static int multipart(struct walk *w, const char *p, size_t len, unsigned depth, const char *path,
		     const char *bd, int digest)
{
	size_t blen = strlen(bd) + 2;
	char *b = malloc(blen + 1);
	if (b == NULL)
		return -1;
	b[0] = b[1] = '-';
	memcpy(b + 2, bd, blen - 2);
	b[blen] = '\0';
	size_t at, next;
	int close = 0, rc = 0, k = 0;
	if (!find_delim(p, len, 0, b, blen, &at, &next, &close)) {
		free(b);
		return mime_note(w->r, "mime.boundary_missing", "%s", path);
	}
	while (rc == 0 && !close) {
		size_t start = next, at2, next2;
		int found = find_delim(p, len, start, b, blen, &at2, &next2, &close);
		size_t end = found ? before(p, start, at2) : len;
		if (!found && (rc = mime_note(w->r, "mime.boundary_unterminated", "%s", path)) < 0)
			break;
		char sub[64];
		snprintf(sub, sizeof(sub), "%s.%d", path, ++k);
		if (w->r->nparts >= w->o->parts_max) {
			rc = mime_note(w->r, "mime.parts_exceeded", "%u", w->o->parts_max);
			break;
		}
		rc = walk(w, p + start, end - start, depth + 1, sub, digest);
		if (!found)
			break;
		next = next2;
	}
	free(b);
	return rc;
}

/* enclosed - a message/rfc822 part: its body (transfer-decoded if need be) is a message.
 * Unencoded, it is walked where it is, gaps and all, unless the budget cuts it short. */
static int enclosed(struct walk *w, size_t i, const char *body, size_t len, unsigned depth,
		    const char *path)
{
	const char *enc = w->r->parts[i].encoding;
	int coded = enc && (strcmp(enc, "base64") == 0 || strcmp(enc, "quoted-printable") == 0);
	struct dec o;
	if (decode_part(w, i, body, len, coded, &o) < 0)
		return -1;
	const char *msg = o.d;
	size_t n = o.dlen;
	if (coded) {
		w->r->decoded += n; /* the decoded copy lives while its parts are walked */
	} else if (o.owned) {       /* gaps: walked in place, or whole up to the budget */
		free(o.owned);
		o.owned = NULL;
		msg = body;
		n = len;
		if (o.cut) {
			if (decode(w, i, body, len, budget(w), 1, &o) < 0)
				return -1;
			msg = o.d;
			n = o.dlen;
		}
	}
	char sub[64];
	snprintf(sub, sizeof(sub), "%s.1", path);
	int rc;
	if (w->r->nparts >= w->o->parts_max)
		rc = mime_note(w->r, "mime.parts_exceeded", "%u", w->o->parts_max);
	else
		rc = walk(w, msg, n, depth + 1, sub, 0);
	free(o.owned);
	return rc;
}

/* walk - one entity: header block, then body by kind */
static int walk(struct walk *w, const char *p, size_t len, unsigned depth, const char *path,
		int digest)
{
	struct hview h;
	long off = parse_headers(w, p, len, path, &h);
	long i = off < 0 ? -1 : new_part(w->r, path, depth);
	char *bd = NULL;
	int rc = -1;
	if (i < 0 || describe(w->r, (size_t)i, &h, digest, &bd) < 0)
		goto done;
	const char *type = w->r->parts[i].type, *body = p + off;
	size_t blen = len - (size_t)off;
	int multi = strncmp(type, "multipart/", 10) == 0;
	int msg = strcmp(type, "message/rfc822") == 0 || strcmp(type, "message/global") == 0;
	if ((multi || msg) && depth >= w->o->depth_max) {
		rc = mime_note(w->r, "mime.depth_exceeded", "%s", path);
	} else if (multi && bd) {
		w->r->parts[i].kind = MIME_MULTIPART;
		rc = multipart(w, body, blen, depth, path, bd,
			       strcmp(type, "multipart/digest") == 0);
	} else if (msg) {
		w->r->parts[i].kind = MIME_MESSAGE;
		rc = enclosed(w, (size_t)i, body, blen, depth, path);
	} else {
		rc = multi ? mime_note(w->r, "mime.boundary_missing", "%s", path) : 0;
		if (rc == 0)
			rc = leaf(w, (size_t)i, body, blen);
	}
done:
	free(bd);
	hview_free(&h);
	return rc;
}

/* mime_analyze - the whole message */
int mime_analyze(const char *msg, size_t len, const struct mime_opts *o, struct mime_result *r)
{
	mime_init();
	memset(r, 0, sizeof(*r));
	struct walk w = {o, r, 0, 0, 0, msg, len};
	if (walk(&w, msg, len, 0, "1", 0) < 0 ||
	    (w.has_html && !w.has_plain && mime_note(r, "mime.html_only", "yes") < 0)) {
		mime_result_free(r);
		return -1;
	}
	return 0;
}
