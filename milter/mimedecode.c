/*
 * mimedecode.c - transfer decoding: quoted-printable and base64, a step at a time.
 *
 * SYNOPSIS
 *	int state = 0; unsigned save = 0, junk = 0;
 *	n = mime_qp_step(in, len, out, &state, &save);          out: room for len + 2
 *	n = mime_b64_step(in, len, out, &state, &save, &junk);  out: room for len + 3
 *
 * DESCRIPTION
 *	Each step decodes one piece of a body and keeps what a piece left
 *	unfinished ('=' and the first hex digit; a base64 quartet begun) in
 *	*state and *save for the next: the output does not depend on where
 *	the pieces are cut.
 *	The result is byte for byte that of GMime's decoders
 *	(g_mime_encoding_quoted_decode_step, g_mime_encoding_base64_decode_step),
 *	which mime.c used before: "=XY" with two hex digits (either case) is a
 *	byte, '=' before LF or CRLF a soft line break, any other '=' sequence
 *	stays as it is (three bytes), and an '=' or "=X" the input ends with is
 *	dropped; base64 skips bytes outside its alphabet and ends at the first
 *	'=' (what a quartet cut short holds is kept), everything after it being
 *	ignored. tests/fuzz/decode_fuzz.c checks the two agree on any input cut
 *	anywhere.
 *	They are written here rather than called in GMime because GMime's look
 *	at every byte through a switch (quoted-printable: 10 instructions a
 *	byte, 10% of the analysis of a typical message); these copy the runs
 *	between '=' eight bytes at a time and decode whole base64 quartets at
 *	once, and the base64 step also tells (*junk) what mime.bad_base64
 *	reports, which took another pass over the body: bytes that are neither
 *	base64, blanks nor '=', or data after the padding.
 *
 * THREAD SAFETY
 *	Reentrant: the tables are constant, the state the caller's.
 */
#include "config.h"

#include <stdint.h>
#include <string.h>

#include "mimeint.h"

#define ONES 0x0101010101010101u
#define HIGHS 0x8080808080808080u

/* has_byte - does the 8-byte word w hold byte c? Not 0 if it does; then, on a
 * little-endian machine, the lowest bit set is in the first such byte (the bits above it
 * may be wrong) */
static uint64_t has_byte(uint64_t w, unsigned char c)
{
	uint64_t x = w ^ (ONES * c);
	return (x - ONES) & ~x & HIGHS;
}

/* first_byte - the index in word w (as memcpy loaded it from p) of the first byte that
 * has_byte found (m) */
static size_t first_byte(const unsigned char *p, uint64_t m, unsigned char c)
{
#if defined(__GNUC__) && defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	(void)p, (void)c;
	return (size_t)__builtin_ctzll(m) / 8;
#else
	(void)m;
	return (size_t)((const unsigned char *)memchr(p, c, 8) - p);
#endif
}

/* hexv - the value of hex digit c, or -1 */
static int hexv(unsigned c)
{
	if (c >= '0' && c <= '9')
		return (int)(c - '0');
	c |= 0x20;
	return c >= 'a' && c <= 'f' ? (int)(c - 'a' + 10) : -1;
}

/* qp_pair - "=" then sv then c: a byte, a soft line break, or the three as they are */
static inline unsigned char *qp_pair(unsigned char *o, unsigned *sv, unsigned c)
{
	int hi = hexv(*sv), lo = hexv(c);
	if (hi >= 0 && lo >= 0) {
		*o++ = (unsigned char)(hi << 4 | lo);
		if (*sv >= 'a') /* saved in upper case, as GMime does */
			*sv -= 'a' - 'A';
	} else if (c != '\n' || *sv != '\r') { /* "=\r\n": a soft line break */
		*o++ = '=';
		*o++ = (unsigned char)*sv;
		*o++ = (unsigned char)c;
	}
	return o;
}

/* mime_qp_step - see mimeint.h */
size_t mime_qp_step(const char *in, size_t len, char *out, int *state, unsigned *save)
{
	const unsigned char *p = (const unsigned char *)in, *e = p + len;
	unsigned char *o = (unsigned char *)out;
	int st = *state;
	unsigned sv = *save;
	while (p < e) {
		if (st == 0) { /* text: copied up to the next '=', eight bytes at a time */
			uint64_t w, m;
			while (e - p >= 8) {
				memcpy(&w, p, 8);
				memcpy(o, p, 8); /* o is never ahead of p by more than 2 */
				if ((m = has_byte(w, '=')) == 0) {
					o += 8;
					p += 8;
					continue;
				}
				size_t k = first_byte(p, m, '=');
				o += k; /* what followed the '=' is written over */
				p += k;
				break;
			}
			while (p < e && *p != '=')
				*o++ = *p++;
			if (p == e)
				break;
			p++;
			st = 1;
			if (e - p >= 2 &&
			    *p != '\n') { /* "=XY" here whole: states 1 and 2 at once */
				sv = p[0];
				o = qp_pair(o, &sv, p[1]);
				p += 2;
				st = 0;
			}
		} else if (st == 1) { /* after '=' */
			unsigned c = *p++;
			if (c != '\n') { /* "=\n": a soft line break */
				sv = c;
				st = 2;
			} else {
				st = 0;
			}
		} else { /* after '=' and one byte */
			o = qp_pair(o, &sv, *p++);
			st = 0;
		}
	}
	*state = st;
	*save = sv;
	return (size_t)(o - (unsigned char *)out);
}

/* Each base64 digit's value plus one; 65 for '=', 0 for any other byte. */
static const unsigned char digit[256] = {
    ['A'] = 1,  ['B'] = 2,  ['C'] = 3,  ['D'] = 4,  ['E'] = 5,  ['F'] = 6,  ['G'] = 7,  ['H'] = 8,
    ['I'] = 9,  ['J'] = 10, ['K'] = 11, ['L'] = 12, ['M'] = 13, ['N'] = 14, ['O'] = 15, ['P'] = 16,
    ['Q'] = 17, ['R'] = 18, ['S'] = 19, ['T'] = 20, ['U'] = 21, ['V'] = 22, ['W'] = 23, ['X'] = 24,
    ['Y'] = 25, ['Z'] = 26, ['a'] = 27, ['b'] = 28, ['c'] = 29, ['d'] = 30, ['e'] = 31, ['f'] = 32,
    ['g'] = 33, ['h'] = 34, ['i'] = 35, ['j'] = 36, ['k'] = 37, ['l'] = 38, ['m'] = 39, ['n'] = 40,
    ['o'] = 41, ['p'] = 42, ['q'] = 43, ['r'] = 44, ['s'] = 45, ['t'] = 46, ['u'] = 47, ['v'] = 48,
    ['w'] = 49, ['x'] = 50, ['y'] = 51, ['z'] = 52, ['0'] = 53, ['1'] = 54, ['2'] = 55, ['3'] = 56,
    ['4'] = 57, ['5'] = 58, ['6'] = 59, ['7'] = 60, ['8'] = 61, ['9'] = 62, ['+'] = 63, ['/'] = 64,
    ['='] = 65,
};

/* b64_rank - the value of base64 digit c, 64 for '=', and more for a byte it skips */
static unsigned b64_rank(unsigned char c)
{
	return digit[c] - 1u;
}

/* is_blank - what base64 text may hold besides its digits and padding */
static int is_blank(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* b64_tail - after the padding: only blanks and more '=' are no junk */
static void b64_tail(const unsigned char *p, const unsigned char *e, unsigned *junk)
{
	for (; p < e && !*junk; p++)
		if (!is_blank(*p) && *p != '=')
			*junk = 1;
}

/* mime_b64_step - see mimeint.h */
size_t mime_b64_step(const char *in, size_t len, char *out, int *state, unsigned *save,
		     unsigned *junk)
{
	const unsigned char *p = (const unsigned char *)in, *e = p + len;
	unsigned char *o = (unsigned char *)out;
	int n = *state;
	uint32_t sv = *save;
	if (n == -1) { /* the padding was seen: nothing more is decoded */
		b64_tail(p, e, junk);
		return 0;
	}
	while (p < e) {
		if (n == 0) { /* whole quartets at once */
			unsigned r0, r1, r2, r3;
			while (e - p >= 4 && ((r0 = b64_rank(p[0])) | (r1 = b64_rank(p[1])) |
					      (r2 = b64_rank(p[2])) | (r3 = b64_rank(p[3]))) < 64) {
				uint32_t v = r0 << 18 | r1 << 12 | r2 << 6 | r3;
				o[0] = (unsigned char)(v >> 16);
				o[1] = (unsigned char)(v >> 8);
				o[2] = (unsigned char)v;
				o += 3;
				p += 4;
			}
			if (p == e)
				break;
		}
		unsigned char c = *p++;
		unsigned r = b64_rank(c);
		if (r > 64) {
			if (!is_blank(c))
				*junk = 1;
			continue;
		}
		if (r == 64) { /* '=': the end; a quartet cut short keeps its whole bytes */
			if (n >= 2) {
				sv <<= 6 * (4 - n);
				*o++ = (unsigned char)(sv >> 16);
				if (n == 3)
					*o++ = (unsigned char)(sv >> 8);
			}
			n = -1;
			b64_tail(p, e, junk);
			break;
		}
		sv = sv << 6 | r;
		if (++n == 4) {
			*o++ = (unsigned char)(sv >> 16);
			*o++ = (unsigned char)(sv >> 8);
			*o++ = (unsigned char)sv;
			sv = 0;
			n = 0;
		}
	}
	*state = n;
	*save = sv;
	return (size_t)(o - (unsigned char *)out);
}
