/*
 * dkimcanon.c - DKIM header and body canonicalization into digests.
 *
 * SYNOPSIS
 *	dkc_header(&buf, DKC_RELAXED, "Subject: hi", 11, 1);
 *	dkc_body_init(&b, DKC_SIMPLE, sinks, n);
 *	dkc_body_update(&b, chunk, len) ...; dkc_body_final(&b);
 *
 * DESCRIPTION
 *	Header fields: simple copies the text; relaxed lower-cases the name
 *	and drops white space in it, drops white space after the colon,
 *	turns each run of white space (folding included) into one space and
 *	drops it at the end. The digest input is built in a caller's buffer.
 *
 *	The body is read as it arrives, in any split: CRLF, a bare CR and a
 *	bare LF each end a line (libopendkim's "fix CRLF" reading, which
 *	milters rely on). Simple drops trailing empty lines and makes an
 *	empty body one CRLF; relaxed also turns runs of SP and HTAB into one
 *	space and drops them at line ends. The canonical bytes go to every
 *	sink, each cut at its l= length; the total is kept for the "l= larger
 *	than the body" check.
 *
 *	libopendkim's behaviour at the end of a body that lacks a final line
 *	break is kept. Simple: its "at least a CRLF" rule looks at the bytes
 *	that already left its 4 KB hash buffer, so a short body whose last
 *	line has no line break, or whose chunks never ended at a line end,
 *	gets a CRLF, others not; a final bare CR is dropped. Relaxed: a CRLF
 *	follows a pending word, and empty lines before that last line are
 *	forgotten. (An MTA's body always ends in CRLF: none of this applies.)
 *	Deviations from libopendkim: a bare CR (no well-formed message has
 *	one) that ends a chunk, with a next chunk not starting with LF, is
 *	an ordinary line end here, where libopendkim canonicalized it
 *	otherwise (relaxed even dropped the next byte); the relaxed rule
 *	above holds for last lines of up to DKC_HOLD_MAX bytes.
 *
 * THREAD SAFETY
 *	A body canonicalizer belongs to one message.
 */
#include "config.h"

#include "dkimcanon.h"

#include <string.h>

#include "buf.h"

enum { C_BYTE = 0, C_WSP, C_CR, C_LF };

#define HASHBUF 4096 /* libopendkim's hash buffer (DKIM_HASHBUFSIZE) */

/* the class of each byte: SP and HTAB are white space in the body; CR and LF end lines */
static const unsigned char cls[256] = {['\t'] = C_WSP, [' '] = C_WSP, ['\r'] = C_CR, ['\n'] = C_LF};

/* lwsp - white space as libopendkim's relaxed header code skips it */
static inline int lwsp(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* dkc_header - libopendkim's dkim_canon_header_string */
int dkc_header(struct buf *out, enum dkc_canon c, const char *text, size_t textlen, int crlf)
{
	if (c == DKC_SIMPLE)
		return buf_add(out, text, textlen) != BUF_OK ||
			       (crlf && buf_add(out, "\r\n", 2) != BUF_OK)
			   ? -1
			   : 0;
	char tmp[512];
	size_t n = 0;
	const unsigned char *p = (const unsigned char *)text, *end = p + textlen;
	for (; p < end; p++) { /* the name, up to and with the colon */
		unsigned char ch = *p;
		if (lwsp(ch))
			continue;
		tmp[n++] = (char)(ch >= 'A' && ch <= 'Z' ? ch + 32 : ch);
		if (n == sizeof(tmp)) {
			if (buf_add(out, tmp, n) != BUF_OK)
				return -1;
			n = 0;
		}
		if (ch == ':') {
			p++;
			break;
		}
	}
	while (*p && lwsp(*p))
		p++;
	int space = 0;
	for (; *p; p++) {
		if (*p < 0x80 && (*p == ' ' || (*p >= '\t' && *p <= '\r'))) {
			space = 1;
			continue;
		}
		if (n + 2 > sizeof(tmp)) {
			if (buf_add(out, tmp, n) != BUF_OK)
				return -1;
			n = 0;
		}
		if (space)
			tmp[n++] = ' ';
		space = 0;
		tmp[n++] = (char)*p;
	}
	if (n && buf_add(out, tmp, n) != BUF_OK)
		return -1;
	return crlf && buf_add(out, "\r\n", 2) != BUF_OK ? -1 : 0;
}

/* flush - the gathered bytes to every sink */
static void flush(struct dkc_body *b)
{
	for (size_t i = 0; i < b->nsink && b->outlen; i++) {
		struct dkc_sink *s = &b->sink[i];
		size_t n = b->outlen;
		if (s->limited) {
			if (s->remain < n)
				n = (size_t)s->remain;
			s->remain -= n;
		}
		if (n)
			(void)EVP_DigestUpdate(s->md, b->out, n);
	}
	b->outlen = 0;
}

/* emit - canonical bytes */
static void emit(struct dkc_body *b, const void *p, size_t n)
{
	b->total += n;
	if (n <= DKC_OUT_MAX - b->outlen) { /* the usual case: it fits */
		memcpy(b->out + b->outlen, p, n);
		b->outlen += n;
		return;
	}
	while (n) {
		size_t k = DKC_OUT_MAX - b->outlen;
		if (k > n)
			k = n;
		memcpy(b->out + b->outlen, p, k);
		b->outlen += k;
		p = (const unsigned char *)p + k;
		n -= k;
		if (b->outlen == DKC_OUT_MAX)
			flush(b);
	}
}

/* hashbuf - simple: a write into libopendkim's 4 KB hash buffer (n == 0: its flush); only
 * whether any bytes left it before the end of the body matters (see dkc_body_final) */
static void hashbuf(struct dkc_body *b, size_t n)
{
	if (n == 0 || b->pending + n > HASHBUF) {
		b->flushed |= b->pending > 0;
		b->pending = 0;
	}
	if (n >= HASHBUF)
		b->flushed = 1;
	else
		b->pending += n;
}

/* flush_blanks - the empty lines held back, now that a non-empty line follows */
static void flush_blanks(struct dkc_body *b)
{
	for (; b->blanks; b->blanks--) {
		emit(b, "\r\n", 2);
		if (b->canon == DKC_SIMPLE)
			hashbuf(b, 2);
	}
}

/* release - a word held behind empty lines: the lines, then the word */
static void release(struct dkc_body *b)
{
	flush_blanks(b);
	emit(b, b->hold, b->held);
	b->held = 0;
}

/* word - bytes of a word (relaxed), held while empty lines before it are undecided */
static void word(struct dkc_body *b, const unsigned char *p, size_t n)
{
	if (b->held == 0 && b->blanks == 0) {
		emit(b, p, n);
		return;
	}
	if (b->held + n > DKC_HOLD_MAX) {
		release(b);
		emit(b, p, n);
		return;
	}
	memcpy(b->hold + b->held, p, n);
	b->held += n;
}

/* line_end - a line break (relaxed: libopendkim's state 2 meeting its LF) */
static void line_end(struct dkc_body *b)
{
	if (b->blankline) {
		b->blanks++;
	} else {
		if (b->canon == DKC_RELAXED)
			release(b);
		else
			hashbuf(b, b->seg + 2);
		emit(b, "\r\n", 2);
	}
	b->seg = 0;
	b->blankline = 1;
	b->inword = 0;
	b->state = 0;
}

/* simple_run - a run of line bytes, simple */
static void simple_run(struct dkc_body *b, const unsigned char *p, size_t n)
{
	flush_blanks(b);
	b->blankline = 0;
	emit(b, p, n);
	b->seg += n;
}

/* relaxed_run - a run of non-white line bytes, relaxed */
static void relaxed_run(struct dkc_body *b, const unsigned char *p, size_t n)
{
	if (b->state == 1) { /* white space before: one space */
		flush_blanks(b);
		emit(b, " ", 1);
	}
	b->blankline = 0;
	b->inword = 1;
	b->state = 3;
	word(b, p, n);
}

/* relaxed_wsp - SP or HTAB, relaxed */
static void relaxed_wsp(struct dkc_body *b)
{
	if (b->state == 3)
		release(b);
	b->inword = 0;
	b->state = 1;
}

/* dkc_body_init - a fresh canonicalizer */
void dkc_body_init(struct dkc_body *b, enum dkc_canon c, struct dkc_sink *sink, size_t n)
{
	b->canon = c;
	b->sink = sink;
	b->nsink = n;
	b->total = 0;
	b->pend_cr = b->state = b->inword = 0;
	b->blankline = 1;
	b->blanks = 0;
	b->held = b->outlen = 0;
	b->flushed = 0;
	b->seg = b->pending = 0;
}

/* scan - the end of the run of class-0 bytes (relaxed) or of line bytes (simple) at p */
static inline const unsigned char *scan(const unsigned char *p, const unsigned char *end,
					int relaxed)
{
	if (relaxed)
		while (p < end && cls[*p] == C_BYTE)
			p++;
	else
		while (p < end && cls[*p] < C_CR)
			p++;
	return p;
}

#ifdef __SSE2__
#include <emmintrin.h>

/* mask - the bits of the bytes of v equal to c */
static inline unsigned mask(__m128i v, char c)
{
	return (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(v, _mm_set1_epi8(c)));
}

/* relaxed_blocks - 16 bytes at a time while they are plain text: no HTAB, CR or LF, and no
 * SP before white space or a line end (so they stay as they are); what it stopped at */
static const unsigned char *relaxed_blocks(struct dkc_body *b, const unsigned char *p,
					   const unsigned char *end)
{
	unsigned char *o = b->out + b->outlen, *o0 = o;
	int state = b->state;
	while (end - p > 16) {
		__m128i v = _mm_loadu_si128((const __m128i *)p);
		__m128i n = _mm_loadu_si128((const __m128i *)(p + 1));
		unsigned sp = mask(v, ' ');
		unsigned next = mask(n, ' ') | mask(n, '\t') | mask(n, '\r') | mask(n, '\n');
		if (mask(v, '\t') | mask(v, '\r') | mask(v, '\n') | (sp & next))
			break;
		if (state == 1 && !(sp & 1)) /* the white space before: one space */
			*o++ = ' ';
		_mm_storeu_si128((__m128i *)o, v);
		o += 16;
		p += 16;
		state = 3; /* a last SP was followed by a byte of a word: written already */
	}
	if (o != o0) {
		b->blankline = 0;
		b->inword = 1;
		b->state = state;
		b->outlen += (size_t)(o - o0);
		b->total += (uint64_t)(o - o0);
	}
	return p;
}
#endif

/* relaxed_fast - relaxed with nothing held back (no pending CR, empty lines or word): bytes
 * copied and white space squeezed straight into the output, without branches on the bytes,
 * up to a line end or end (the output has room for end - p + 2 bytes); where it stopped */
static const unsigned char *relaxed_fast(struct dkc_body *b, const unsigned char *p,
					 const unsigned char *end)
{
#ifdef __SSE2__
	p = relaxed_blocks(b, p, end);
#endif
	unsigned char *o = b->out + b->outlen, *o0 = o;
	size_t space = b->state == 1, seen = 0; /* white space before the next byte */
	for (; p < end; p++) {
		size_t k = cls[*p];
		if (k >= C_CR)
			break;
		size_t wsp = k;        /* C_WSP is 1, C_BYTE 0 */
		size_t keep = wsp - 1; /* all ones for a byte, 0 for white space */
		o[0] = ' ';
		o[space] = *p;
		o += (space + 1) & keep;
		seen |= keep;
		space = wsp;
	}
	if (seen)
		b->blankline = 0;
	if (seen || space) { /* where the last byte left it */
		b->inword = !space;
		b->state = space ? 1 : 3;
	}
	b->outlen += (size_t)(o - o0);
	b->total += (uint64_t)(o - o0);
	return p;
}

/* step - one line end, white space byte or run of bytes through the general machine */
static const unsigned char *step(struct dkc_body *b, const unsigned char *p,
				 const unsigned char *end)
{
	int k = cls[*p], relaxed = b->canon == DKC_RELAXED;
	if (b->pend_cr) { /* a CR: this byte only tells where the line ended */
		b->pend_cr = 0;
		line_end(b);
		if (k == C_LF)
			return p + 1;
	}
	if (k == C_CR || k == C_LF) {
		if (k == C_CR)
			b->pend_cr = 1;
		else
			line_end(b); /* a bare LF */
		return p + 1;
	}
	if (k == C_WSP && relaxed) {
		relaxed_wsp(b);
		return p + 1;
	}
	const unsigned char *q = scan(p + 1, end, relaxed);
	if (relaxed)
		relaxed_run(b, p, (size_t)(q - p));
	else
		simple_run(b, p, (size_t)(q - p));
	return q;
}

/* dkc_body_update - one chunk */
void dkc_body_update(struct dkc_body *b, const void *data, size_t len)
{
	const unsigned char *p = data, *end = p + len;
	while (p < end) {
		if (b->canon == DKC_RELAXED && !b->pend_cr && b->blanks == 0 && b->held == 0) {
			if (DKC_OUT_MAX - b->outlen < 256)
				flush(b);
			size_t room = DKC_OUT_MAX - b->outlen - 18; /* a block and a space */
			const unsigned char *seg = (size_t)(end - p) > room ? p + room : end;
			if ((p = relaxed_fast(b, p, seg)) == seg)
				continue;
		}
		p = step(b, p, end);
	}
	if (b->canon == DKC_SIMPLE) { /* libopendkim's end of a chunk: its line bytes written */
		hashbuf(b, b->seg);
		b->seg = 0;
	}
}

/* dkc_body_final - libopendkim's dkim_canon_closebody */
void dkc_body_final(struct dkc_body *b)
{
	if (b->canon == DKC_RELAXED) {
		if (b->inword) { /* the empty lines before this last line are dropped */
			b->blanks = 0;
			release(b);
			emit(b, "\r\n", 2);
		}
	} else if (!b->flushed) /* "at least a CRLF", judged by bytes that left the buffer */
		emit(b, "\r\n", 2);
	flush(b);
}
