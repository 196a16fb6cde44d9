/*
 * dkimcanon_test.c - DKIM canonicalization of header fields and of bodies fed in chunks.
 *
 * DESCRIPTION
 *	The expected bytes are libopendkim 2.11's (Debian 12), read from its
 *	canonicalization files (DKIM_LIBFLAGS_KEEPFILES) when the verifier
 *	was replaced, quirks included: simple's "at least a CRLF" depends on
 *	what left its 4 KB buffer, so an unterminated last line gets a CRLF in
 *	one chunk and none when a chunk ended at a line end before it.
 *
 * OUTPUT
 *	TAP on stdout (see tap.h).
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "buf.h"
#include "dkimcanon.h"
#include "tap.h"

struct body_case {
	enum dkc_canon canon;
	const char *in;
	size_t inlen;     /* 0: strlen(in) */
	size_t cuts[3];   /* chunk ends (0: none) */
	const char *want; /* canonical body */
	size_t wantlen;   /* 0: strlen(want) */
};

#define S DKC_SIMPLE
#define R DKC_RELAXED

static const struct body_case bodies[] = {
    {S, "", 0, {0}, "\r\n", 0},
    {S, "\r\n", 0, {0}, "\r\n", 0},
    {S, "a\r\n\r\n\r\n", 0, {0}, "a\r\n", 0},
    {S, "a \t b  \r\n", 0, {0}, "a \t b  \r\n", 0},
    {S, "a\nb", 0, {0}, "a\r\nb\r\n", 0},
    {S, "a\nb", 0, {2}, "a\r\nb", 0},
    {S, "a\rb", 0, {0}, "a\r\nb\r\n", 0},
    {S, "x\r", 0, {0}, "x\r\n", 0},
    {S, "x\r", 0, {1}, "x", 0},
    {S, "\r\n\r\nx", 0, {0}, "\r\n\r\nx\r\n", 0},
    {S, " \r\n\t\r\nx  \r\n\r\n", 0, {0}, " \r\n\t\r\nx  \r\n", 0},
    {S, "a\0b\xff\r\n", 6, {0}, "a\0b\xff\r\n", 6},
    {S, "a\r\nb\r\n", 0, {1, 2, 3}, "a\r\nb\r\n", 0},
    {R, "", 0, {0}, "", 0},
    {R, "\r\n", 0, {0}, "", 0},
    {R, "a \t b  \r\n", 0, {0}, "a b\r\n", 0},
    {R, " \tx\r\n", 0, {0}, " x\r\n", 0},
    {R, "a\nb", 0, {0}, "a\r\nb\r\n", 0},
    {R, "x\r", 0, {1}, "x\r\n", 0},
    {R, "\r\n\r\nx", 0, {0}, "x\r\n", 0},
    {R, "a  \r\n  b\r\n", 0, {0}, "a\r\n b\r\n", 0},
    {R, "hello  world\r\n", 0, {3, 10}, "hello world\r\n", 0},
    {R, " \r\n\t\r\nx  \r\n\r\n", 0, {0}, "\r\n\r\nx\r\n", 0},
    {R,
     "The quick brown fox jumps over the lazy dog.  Twice,\tthrice. \r\n",
     0,
     {0},
     "The quick brown fox jumps over the lazy dog. Twice, thrice.\r\n",
     0},
    {R,
     "Some words in a line that is long enough for blocks\r\nand another\r\n",
     0,
     {20, 37},
     "Some words in a line that is long enough for blocks\r\nand another\r\n",
     0},
};

/* run - canonicalize in the case's chunks into a SHA-256 sink limited to limit bytes (0: all) */
static uint64_t run(const struct body_case *c, const char *in, size_t len, uint64_t limit,
		    unsigned char *digest)
{
	struct dkc_body *b = malloc(sizeof(*b));
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	if (b == NULL || md == NULL || EVP_DigestInit_ex(md, EVP_sha256(), NULL) != 1)
		abort();
	struct dkc_sink sink = {md, limit, limit != 0};
	dkc_body_init(b, c->canon, &sink, 1);
	size_t off = 0;
	for (size_t i = 0; i <= ARRAY_LEN(c->cuts); i++) {
		size_t end = i < ARRAY_LEN(c->cuts) && c->cuts[i] ? c->cuts[i] : len;
		if (end > off)
			dkc_body_update(b, in + off, end - off);
		off = end > off ? end : off;
		if (end == len)
			break;
	}
	dkc_body_final(b);
	unsigned n;
	EVP_DigestFinal_ex(md, digest, &n);
	uint64_t total = b->total;
	EVP_MD_CTX_free(md);
	free(b);
	return total;
}

/* test_bodies - the table */
static void test_bodies(void)
{
	for (size_t i = 0; i < ARRAY_LEN(bodies); i++) {
		const struct body_case *c = &bodies[i];
		size_t len = c->inlen ? c->inlen : strlen(c->in);
		size_t wlen = c->wantlen ? c->wantlen : strlen(c->want);
		unsigned char got[32], want[32];
		uint64_t total = run(c, c->in, len, 0, got);
		EVP_Digest(c->want, wlen, want, NULL, EVP_sha256(), NULL);
		ok(total == wlen && memcmp(got, want, 32) == 0, "%s body %zu",
		   c->canon == S ? "simple" : "relaxed", i) ||
		    diag("%llu bytes, wanted %zu", (unsigned long long)total, wlen);
	}
}

/* test_long - simple: a 4096-byte unterminated line left the buffer, 4095 did not */
static void test_long(void)
{
	char *y = malloc(4099);
	memset(y, 'y', 4098);
	for (size_t n = 4095; n <= 4096; n++) {
		memcpy(y + n, "\r\n", 2);
		struct body_case c = {S, y, n, {0}, y, n + (n == 4095 ? 2 : 0)};
		unsigned char got[32], want[32];
		uint64_t total = run(&c, y, n, 0, got);
		EVP_Digest(y, c.wantlen, want, NULL, EVP_sha256(), NULL);
		ok(total == c.wantlen && memcmp(got, want, 32) == 0, "simple, %zu bytes, no CRLF",
		   n);
		memset(y + n, 'y', 2);
	}
	free(y);
}

/* test_limit - l=: the sink gets the first l bytes, the total is the whole */
static void test_limit(void)
{
	struct body_case c = {S, "abc\r\n", 0, {0}, "", 0};
	unsigned char got[32], want[32];
	uint64_t total = run(&c, "abc\r\n", 5, 2, got);
	EVP_Digest("ab", 2, want, NULL, EVP_sha256(), NULL);
	ok(total == 5 && memcmp(got, want, 32) == 0, "l=2 hashes \"ab\" of 5 bytes");
}

/* test_headers - header fields */
static void test_headers(void)
{
	static const struct {
		enum dkc_canon canon;
		const char *in, *want;
		int crlf;
	} cases[] = {
	    {R, "SubJect : Hello\r\n\tWorld  ", "subject:Hello World\r\n", 1},
	    {S, "SubJect : Hello\r\n\tWorld  ", "SubJect : Hello\r\n\tWorld  \r\n", 1},
	    {R, "X-A:", "x-a:\r\n", 1},
	    {R, "Sub ject:\t\r\n v\xc3\xa9", "subject:v\xc3\xa9", 0},
	    {R, "Dkim-Signature: v=1; b=", "dkim-signature:v=1; b=", 0},
	};
	struct buf b;
	buf_init(&b, 0);
	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		buf_reset(&b);
		ok(dkc_header(&b, cases[i].canon, cases[i].in, strlen(cases[i].in),
			      cases[i].crlf) == 0 &&
		       b.len == strlen(cases[i].want) && memcmp(b.data, cases[i].want, b.len) == 0,
		   "header %zu", i) ||
		    diag("got '%.*s'", (int)b.len, b.data ? b.data : "");
	}
	buf_free(&b);
}

int main(void)
{
	test_bodies();
	test_long();
	test_limit();
	test_headers();
	return done_testing();
}
