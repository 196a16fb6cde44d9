/*
 * dkim_fuzz.c - libFuzzer target: arbitrary bytes through the DKIM verifier's parsers and
 * canonicalizations (build: tests/fuzz/build.sh). The first byte picks what the rest is:
 *	0 a DKIM-Signature tag list (then its checks and reported outcome) and a key record
 *	  tag list, with base64 and dkim-quoted-printable on its values;
 *	1 a key record, parsed into OpenSSL keys (dkimkey.c);
 *	2 a body, canonicalized whole and in chunks (sizes from the input): relaxed must give
 *	  the same bytes either way, and so must simple for a body ending in a line break,
 *	  unless a chunk ends in a CR that no LF follows (libopendkim's reading differs there);
 *	3 a message (headers, empty line, body) through dkv_msg_*, with a resolver that knows
 *	  one key (k._domainkey.fuzz.test) and forwards every other name to the NXDOMAIN server
 *	  of the unit tests (tests/unit/nxdns.c, on loopback).
 * Every outcome must be well formed: a result in range, a reason, terminated strings.
 */
#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>

#include "dkim.h"
#include "dkimcanon.h"
#include "dkimkey.h"
#include "dkimsig.h"
#include "dkimtag.h"
#include "dns.h"
#include "unit/nxdns.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define KEY_TXT                                                                                    \
	"\"v=DKIM1; k=rsa; "                                                                       \
	"p=MFwwDQYJKoZIhvcNAQEBBQADSwAwSAJBAM9ei8jId8ChzHHzhlbIBVF8\" "                            \
	"\"ysCGbW6mnn0cOD4pEo0sKhY0u8AJJ7qMz+0Ic7o2FUx0JzYCiY3vJIeWkVdlPUHUKYMCAwEAAQ==\""

/* well_formed - an outcome as A-R and the logs use it */
static void well_formed(const struct dkv_sig *o)
{
	if ((unsigned)o->result > DKV_PERMERROR || o->reason[0] == '\0' ||
	    !memchr(o->reason, 0, sizeof(o->reason)) || !memchr(o->domain, 0, sizeof(o->domain)) ||
	    !memchr(o->identity, 0, sizeof(o->identity)) || !memchr(o->b8, 0, sizeof(o->b8)))
		abort();
}

/* tags - mode 0 */
static void tags(const char *s, size_t n)
{
	struct dkt_list l;
	char err[160];
	if (dkt_parse(&l, DKT_SIGNATURE, s, n, err, sizeof(err)) == 0) {
		struct dks_sig sig;
		memset(&sig, 0, sizeof(sig));
		sig.tags = l;
		if (dks_setup(&sig, time(NULL)) == 0) {
			struct dkv_sig o;
			memset(&o, 0, sizeof(o));
			dks_classify(&sig, 8, &o);
			well_formed(&o);
		}
		dks_free(&sig);
	} else
		dkt_free(&l);
	if (dkt_parse(&l, DKT_KEY, s, n, err, sizeof(err)) == 0) {
		for (size_t i = 0; i < l.n; i++) {
			size_t len = strlen(l.tag[i].value);
			unsigned char *out = malloc(len + 1);
			char qp[64];
			if (out && dkt_b64_decode(l.tag[i].value, out, len) > (int)len)
				abort();
			if (dkt_qp_decode(l.tag[i].value, qp, sizeof(qp)) > (int)len)
				abort();
			free(out);
		}
	}
	dkt_free(&l);
}

/* key - mode 1 */
static void key(const char *s, size_t n)
{
	char *txt = strndup(s, n);
	struct dkk_key *k = txt ? dkk_parse(txt) : NULL;
	if (k && (k->pre > DKK_REVOKED || k->post > DKK_REVOKED || (k->rsa && k->rsa_bits == 0)))
		abort();
	dkk_unref(k);
	free(txt);
}

/* canon_run - the canonical digest and length of data fed in chunks of the given sizes */
static uint64_t canon_run(enum dkc_canon c, const uint8_t *p, size_t n, const uint8_t *sizes,
			  size_t nsizes, unsigned char *digest, int *crlf_break)
{
	struct dkc_body *b = malloc(sizeof(*b));
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	if (b == NULL || md == NULL || EVP_DigestInit_ex(md, EVP_sha256(), NULL) != 1)
		abort();
	struct dkc_sink sink = {md, 0, 0};
	dkc_body_init(b, c, &sink, 1);
	for (size_t off = 0, i = 0; off < n; i++) {
		size_t k = nsizes ? 1 + sizes[i % nsizes] : n;
		if (k > n - off)
			k = n - off;
		dkc_body_update(b, p + off, k);
		off += k;
		if (off < n && p[off - 1] == '\r' && p[off] != '\n')
			*crlf_break = 1;
	}
	dkc_body_final(b);
	EVP_DigestFinal_ex(md, digest, NULL);
	uint64_t total = b->total;
	EVP_MD_CTX_free(md);
	free(b);
	return total;
}

/* canon - mode 2: the first 4 bytes are chunk sizes */
static void canon(const uint8_t *p, size_t n)
{
	size_t nsizes = n < 4 ? n : 4;
	const uint8_t *sizes = p;
	p += nsizes;
	n -= nsizes;
	for (int c = 0; c < 2; c++) {
		unsigned char d1[32], d2[32];
		int broken = 0;
		uint64_t t1 = canon_run((enum dkc_canon)c, p, n, NULL, 0, d1, &broken);
		uint64_t t2 = canon_run((enum dkc_canon)c, p, n, sizes, nsizes, d2, &broken);
		int must = !broken && (c == DKC_RELAXED || (n && p[n - 1] == '\n'));
		if (must && (t1 != t2 || memcmp(d1, d2, 32) != 0))
			abort();
	}
}

/* feed - mode 3: "name:value" lines (a line starting with white space continues one), an
 * empty line, the body */
static void feed(struct dkv *v, const char *p, size_t n)
{
	struct dkv_msg *m = dkv_msg_new(v, NULL);
	if (m == NULL)
		return;
	const char *end = p + n;
	while (p < end && *p != '\n') {
		const char *e = p, *nl;
		while ((nl = memchr(e, '\n', (size_t)(end - e))) != NULL && nl + 1 < end &&
		       (nl[1] == ' ' || nl[1] == '\t'))
			e = nl + 1; /* a folded header goes on */
		e = nl ? nl : end;
		const char *colon = memchr(p, ':', (size_t)(e - p));
		if (colon) {
			char *name = strndup(p, (size_t)(colon - p));
			char *value = strndup(colon + 1, (size_t)(e - colon - 1));
			if (name && value)
				dkv_msg_header(m, name, value);
			free(name);
			free(value);
		}
		p = e < end ? e + 1 : end;
	}
	dkv_msg_eoh(m);
	if (p < end)
		dkv_msg_body(m, p + 1, (size_t)(end - p - 1));
	struct dkv_result r;
	if (dkv_msg_eom(m, &r) == 0) {
		for (size_t i = 0; i < r.n; i++)
			well_formed(&r.sigs[i]);
		dkv_result_free(&r);
	}
	dkv_msg_free(m);
}

/* verifier - the resolver and verifier of mode 3, made once */
static struct dkv *verifier(void)
{
	static struct dkv *v;
	if (v)
		return v;
	struct dns *d = nxdns_resolver(NULL, 0, "dkim_fuzz");
	if (d == NULL || dns_add_local(d, "k._domainkey.fuzz.test. 300 IN TXT " KEY_TXT) < 0 ||
	    (v = dkv_new(d, 4, 8, NULL)) == NULL)
		abort();
	return v;
}

/* LLVMFuzzerTestOneInput - one input */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	const char *s = (const char *)data + 1;
	size_t n = size - 1;
	switch (data[0] % 4) {
	case 0: tags(s, n); break;
	case 1: key(s, n); break;
	case 2: canon(data + 1, n); break;
	default:
		if (memchr(s, 0, n) == NULL)
			feed(verifier(), s, n);
	}
	return 0;
}
