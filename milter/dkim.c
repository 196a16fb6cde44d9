/*
 * dkim.c - DKIM verification, fed incrementally, keys through dns.* and a parsed-key cache.
 *
 * SYNOPSIS
 *	v = dkv_new(dns, sig_max, cache_max, previous);  (per generation)
 *	m = dkv_msg_new(v, deadline);                    (per message)
 *	dkv_msg_header(m, name, value) ...; dkv_msg_eoh(m);
 *	dkv_msg_body(m, chunk, len) ...; dkv_msg_eom(m, &result); dkv_msg_free(m);
 *
 * DESCRIPTION
 *	Our own verifier on OpenSSL 3 (it replaced libopendkim, whose key
 *	decoding on every message and byte-at-a-time canonicalization cost
 *	~300 us of CPU per 20 KB message; see contrib/bench/dkim/README).
 *	Results and reasons are libopendkim 2.11's, to the byte: the tag
 *	lists, checks and error texts follow it (dkimtag.c, dkimsig.c,
 *	dkimkey.c), and so does this file's flow:
 *
 *	Each header is kept as libopendkim kept it ("name:value", a bare LF
 *	or CR made CRLF, at most 65535 bytes); a DKIM-Signature is parsed as
 *	it arrives, and one that does not parse (or a field name with bytes
 *	outside 32-126, or a ';' in it) makes every signature of the message
 *	permerror with that reason ("header not accepted: ..."), as before.
 *	At the end of the headers each signature is checked (dks_setup); the
 *	first sig_max get their keys: the distinct key names are looked up in
 *	the cache and the missing ones queried at once, in parallel, on the
 *	shared resolver, then awaited within the message's DNS budget; the
 *	rest are reported as policy, "not checked". With its key, a
 *	signature's header hash is computed and verified; only signatures
 *	that verify get a body digest, fed as the body arrives through one
 *	canonicalizer per canonicalization in use (dkimcanon.c). At the end:
 *	l= longer than the body, the body hashes, t=s, RFC 8301's key size.
 *
 *	Key records are parsed once into OpenSSL keys and cached (dkimkey.c),
 *	TTL-bounded ("no key" for at most KC_NEG_TTL seconds); a verifier may
 *	take over the previous generation's cache, so a configuration reload
 *	keeps the keys. SHA-1 and SHA-256 are fetched from OpenSSL once per
 *	process.
 *
 *	Results per signature (RFC 8601 2.7.1, RFC 6376 section 6, RFC 8301):
 *	pass; fail for a signature or body hash mismatch; policy for rsa-sha1,
 *	keys under 1024 bits and signatures past sig_max; temperror for a DNS
 *	failure; permerror for everything else (key not found, key revoked,
 *	expired or future signature, syntax errors, unusable keys).
 *
 * THREAD SAFETY
 *	A verifier serves all threads (it is read-only; the key cache locks
 *	itself). A message belongs to one thread.
 */
#include "config.h"

#include "dkim.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>

#include "buf.h"
#include "dkimcanon.h"
#include "dkimkey.h"
#include "dkimsig.h"
#include "dkimtag.h"
#include "dns.h"

#define KC_NEG_TTL 300      /* seconds "no key" is remembered at most */
#define KC_MAX_TTL 86400    /* seconds a key is kept at most */
#define KEY_NAME_MAX 320    /* selector._domainkey.domain */
#define KEY_RECORD_MAX 1024 /* bytes of a key record (libopendkim's buffer); longer: no key */
#define HDR_TEXT_MAX 65535  /* bytes of a header field kept (libopendkim's limit) */
#define SIG_HDR "DKIM-Signature"

struct dkv {
	struct dns *dns; /* borrowed from the generation */
	unsigned sig_max;
	struct dkk_cache *cache; /* owned reference (maybe shared), or NULL: no cache */
};

/* a header field, as libopendkim stored it */
struct hdr {
	size_t off;     /* of its text in the arena: "name:value", NUL-terminated */
	size_t len;     /* bytes of the text */
	size_t textlen; /* bytes simple canonicalization takes (the length before fixing) */
	size_t colon;   /* offset of the colon */
	size_t namelen; /* the name without white space before the colon */
};

/* a header's name, for the sorted index of h= selection */
struct hname {
	const char *name; /* borrowed from the arena */
	size_t len, idx;
};

/* a key name of the message, looked up once */
enum { KN_PENDING, KN_KEY, KN_NOKEY, KN_TEMP };
struct kname {
	char name[KEY_NAME_MAX];
	struct dns_query *q; /* owned, or NULL */
	int state;
	struct dkk_key *key; /* owned reference when KN_KEY */
};

/* a body digest */
struct sink {
	EVP_MD_CTX *md; /* owned */
	const EVP_MD *type;
	int limited; /* to l bytes */
	uint64_t l;
	unsigned char digest[EVP_MAX_MD_SIZE];
	unsigned len; /* of digest, 0 until final */
};

/* a canonicalization of the body with its digests */
struct body {
	struct dkc_body c;
	struct dkc_sink dsink[DKV_SIG_HARD_MAX]; /* what c feeds: sink[i].md, cut at l= */
	struct sink sink[DKV_SIG_HARD_MAX];
	size_t nsink;
};

struct dkv_msg {
	struct dkv *v; /* borrowed */
	struct timespec deadline;
	int has_deadline;
	int eoh_done, skipbody, finished;
	size_t nsighdr;  /* DKIM-Signature headers seen */
	char error[160]; /* why the whole message could not be checked, or "" */
	struct buf arena;
	struct hdr *hdr; /* owned array of nhdr */
	size_t nhdr, hdrcap;
	struct dks_sig *sig; /* owned array of nsig */
	size_t nsig, sigcap;
	struct kname *kn; /* owned array: the key names (at most sig_max) */
	size_t nkn;
	struct buf work, work2; /* canonical header bytes; a header being built */
	struct hname *order;    /* owned: the headers sorted by name, for h= */
	size_t *taken;          /* owned: per sorted position, headers used from its group */
	struct body *body[2];   /* owned: per canonicalization in use, or NULL */
};

static pthread_once_t md_once = PTHREAD_ONCE_INIT;
static EVP_MD *md_sha1, *md_sha256; /* process-wide, fetched once */

static const char *const res_names[] = {"none",   "pass",      "fail",     "neutral",
					"policy", "temperror", "permerror"};

/* dkv_res_name - RFC 8601 name */
const char *dkv_res_name(enum dkv_res r)
{
	return (unsigned)r < ARRAY_LEN(res_names) ? res_names[r] : "permerror";
}

/* md_fetch - the digests, once */
static void md_fetch(void)
{
	md_sha1 = EVP_MD_fetch(NULL, "SHA1", NULL);
	md_sha256 = EVP_MD_fetch(NULL, "SHA256", NULL);
}

/* md_of - the hash of an algorithm */
static const EVP_MD *md_of(enum dks_alg a)
{
	return a == DKS_RSASHA1 ? md_sha1 : md_sha256;
}

/* ---- the verifier ------------------------------------------------------- */

/* dkv_new - a verifier; the previous generation's cache is shared when its size matches */
struct dkv *dkv_new(struct dns *d, unsigned sig_max, size_t cache_max, const struct dkv *prev)
{
	pthread_once(&md_once, md_fetch);
	if (md_sha1 == NULL || md_sha256 == NULL)
		return NULL;
	struct dkv *v = calloc(1, sizeof(*v));
	if (v == NULL)
		return NULL;
	v->dns = d;
	v->sig_max = sig_max == 0 ? 1 : sig_max > DKV_SIG_HARD_MAX ? DKV_SIG_HARD_MAX : sig_max;
	if (cache_max && prev && prev->cache && dkk_cache_max(prev->cache) == cache_max)
		v->cache = dkk_cache_ref(prev->cache);
	else if (cache_max && (v->cache = dkk_cache_new(cache_max)) == NULL) {
		free(v);
		return NULL;
	}
	return v;
}

/* dkv_free - release */
void dkv_free(struct dkv *v)
{
	if (v == NULL)
		return;
	dkk_cache_unref(v->cache);
	free(v);
}

/* dkv_get_stats - the cache's counters */
void dkv_get_stats(struct dkv *v, struct dkv_stats *out)
{
	struct dkk_stats s = {0};
	if (v->cache)
		dkk_cache_stats(v->cache, &s);
	*out = (struct dkv_stats){s.lookups, s.hits, s.stored, s.evicted};
}

/* ---- headers ------------------------------------------------------------ */

/* broken - stop; every signature is reported with this reason */
static void broken(struct dkv_msg *m, const char *why, const char *detail)
{
	if (m->error[0])
		return;
	int n = snprintf(m->error, sizeof(m->error), "%s", why);
	if (detail && n > 0 && (size_t)n < sizeof(m->error))
		snprintf(m->error + n, sizeof(m->error) - (size_t)n, ": %s", detail);
}

/* dkv_msg_new - a verifying handle */
struct dkv_msg *dkv_msg_new(struct dkv *v, const struct timespec *deadline)
{
	struct dkv_msg *m = calloc(1, sizeof(*m));
	if (m == NULL)
		return NULL;
	m->v = v;
	if (deadline) {
		m->deadline = *deadline;
		m->has_deadline = 1;
	}
	buf_init(&m->arena, 0);
	buf_init(&m->work, 0);
	buf_init(&m->work2, 0);
	return m;
}

/* name_ok - libopendkim's field name check: bytes 32-126 up to the colon, no ';' in it */
static int name_ok(const char *h, size_t n, size_t *colon)
{
	size_t c = 0;
	for (; c < n && h[c] != ':'; c++)
		if ((unsigned char)h[c] < 32 || (unsigned char)h[c] > 126)
			return 0;
	if (c == n)
		return 0;
	const char *semi = memchr(h, ';', n);
	*colon = c;
	return semi == NULL || (size_t)(semi - h) > c;
}

/* put - one byte of a header text, while it is under HDR_TEXT_MAX */
static int put(struct buf *out, size_t start, char c)
{
	return out->len - start >= HDR_TEXT_MAX || buf_add(out, &c, 1) == BUF_OK ? 0 : -1;
}

/* fix_cr - libopendkim's fix of a bare CR (CR LF), at most HDR_TEXT_MAX bytes, into out;
 * the length, or -1 when out of memory */
static long fix_cr(struct buf *out, const char *h, size_t n)
{
	size_t start = out->len;
	if (memchr(h, '\r', n) == NULL) { /* the usual case: nothing to fix */
		if (buf_add(out, h, n < HDR_TEXT_MAX ? n : HDR_TEXT_MAX) != BUF_OK ||
		    buf_add(out, "", 1) != BUF_OK)
			return -1;
		return (long)(out->len - 1 - start);
	}
	char prev = '\0';
	for (size_t i = 0; i < n; i++) {
		if ((prev == '\r' && h[i] != '\n' && put(out, start, '\n') < 0) ||
		    put(out, start, h[i]) < 0)
			return -1;
		prev = h[i];
	}
	if (prev == '\r' && put(out, start, '\n') < 0)
		return -1;
	size_t len = out->len - start;
	return buf_add(out, "", 1) == BUF_OK ? (long)len : -1; /* and the NUL */
}

/* add_sig - parse a DKIM-Signature's tags; -1 with the message broken */
static int add_sig(struct dkv_msg *m, const struct hdr *h)
{
	if (m->nsig == m->sigcap) {
		size_t cap = m->sigcap ? 2 * m->sigcap : 4;
		struct dks_sig *s = realloc(m->sig, cap * sizeof(*s));
		if (s == NULL) {
			broken(m, "out of memory", NULL);
			return -1;
		}
		m->sig = s;
		m->sigcap = cap;
	}
	struct dks_sig *s = &m->sig[m->nsig];
	memset(s, 0, sizeof(*s));
	const char *text = m->arena.data + h->off;
	char err[160];
	if (dkt_parse(&s->tags, DKT_SIGNATURE, text + h->colon + 1, h->textlen - h->colon - 1, err,
		      sizeof(err)) < 0) {
		dkt_free(&s->tags);
		broken(m, "header not accepted", err);
		return -1;
	}
	s->hdr = (size_t)(h - m->hdr);
	m->nsig++;
	return 0;
}

/* add_header - keep "name:value" as libopendkim's dkim_header did (with FIXCRLF) */
static void add_header(struct dkv_msg *m, const char *name, const char *value)
{
	struct buf *h = &m->work2;
	buf_reset(h);
	int rc = buf_adds(h, name) | buf_add(h, ":", 1);
	for (const char *p = value, *lf; rc == BUF_OK && *p; p = lf + 1) { /* bare LF: CRLF */
		if ((lf = strchr(p, '\n')) == NULL) {
			rc = buf_adds(h, p);
			break;
		}
		rc = buf_add(h, p, (size_t)(lf - p));
		if (rc == BUF_OK && (lf == value || lf[-1] != '\r'))
			rc = buf_add(h, "\r", 1);
		if (rc == BUF_OK)
			rc = buf_add(h, "\n", 1);
	}
	if (rc != BUF_OK) {
		broken(m, "out of memory", NULL);
		return;
	}
	size_t colon;
	if (!name_ok(h->data, h->len, &colon)) {
		broken(m, "header not accepted", NULL);
		return;
	}
	if (m->nhdr == m->hdrcap) {
		size_t cap = m->hdrcap ? 2 * m->hdrcap : 32;
		struct hdr *a = realloc(m->hdr, cap * sizeof(*a));
		if (a == NULL) {
			broken(m, "out of memory", NULL);
			return;
		}
		m->hdr = a;
		m->hdrcap = cap;
	}
	struct hdr *e = &m->hdr[m->nhdr];
	e->off = m->arena.len;
	e->textlen = h->len;
	e->colon = colon;
	long len = fix_cr(&m->arena, h->data, h->len);
	if (len < 0) {
		broken(m, "out of memory", NULL);
		return;
	}
	e->len = (size_t)len;
	size_t end = colon;
	while (end > 0 && dkt_space((unsigned char)h->data[end - 1]))
		end--;
	e->namelen = end;
	m->nhdr++;
	if (end == sizeof(SIG_HDR) - 1 && strncasecmp(h->data, SIG_HDR, end) == 0)
		(void)add_sig(m, e);
}

/* dkv_msg_header - one header */
void dkv_msg_header(struct dkv_msg *m, const char *name, const char *value)
{
	if (strcasecmp(name, SIG_HDR) == 0)
		m->nsighdr++;
	if (m->error[0] || m->eoh_done)
		return;
	add_header(m, name, value);
}

/* ---- keys --------------------------------------------------------------- */

/* key_name - "selector._domainkey.domain", lower case; -1 when too long */
static int key_name(const struct dks_sig *s, char *out)
{
	int n = snprintf(out, KEY_NAME_MAX, "%s._domainkey.%s", dkt_get(&s->tags, "s"),
			 dkt_get(&s->tags, "d"));
	if (n < 0 || n >= KEY_NAME_MAX)
		return -1;
	for (; *out; out++)
		if (*out >= 'A' && *out <= 'Z')
			*out = (char)(*out + 32);
	return 0;
}

/* want_key - the message's entry for name: from the cache, or a query started now */
static int want_key(struct dkv_msg *m, const char *name)
{
	for (size_t i = 0; i < m->nkn; i++)
		if (strcmp(m->kn[i].name, name) == 0)
			return (int)i;
	struct kname *k = &m->kn[m->nkn];
	snprintf(k->name, sizeof(k->name), "%s", name);
	k->state = KN_PENDING;
	if (m->v->cache && dkk_cache_get(m->v->cache, name, &k->key))
		k->state = k->key ? KN_KEY : KN_NOKEY;
	else
		k->q = dns_start(m->v->dns, name, DNS_T_TXT); /* NULL: asked again when needed */
	return (int)m->nkn++;
}

/* pick_record - the key record among TXT answers: the first that has a p= tag (RFC 6376
 * 3.6.2.2 leaves several records undefined), else the first */
static const struct dns_rr *pick_record(const struct dns_answer *a)
{
	for (size_t i = 0; i < a->n; i++)
		if (strstr(a->rr[i].data, "p=") != NULL)
			return &a->rr[i];
	return a->n ? &a->rr[0] : NULL;
}

/* take_answer - a DNS answer for k (and the cache) */
static void take_answer(struct dkv_msg *m, struct kname *k, const struct dns_answer *a)
{
	uint32_t ttl = a->ttl > KC_MAX_TTL ? KC_MAX_TTL : a->ttl;
	const struct dns_rr *r = a->status == DNS_OK ? pick_record(a) : NULL;
	switch (a->status) {
	case DNS_OK:
		k->state = KN_NOKEY;
		if (r == NULL || memchr(r->data, '\0', r->len) || r->len > KEY_RECORD_MAX)
			return;
		if ((k->key = dkk_parse(r->data)) == NULL) {
			k->state = KN_TEMP;
			return;
		}
		k->state = KN_KEY;
		if (m->v->cache)
			dkk_cache_put(m->v->cache, k->name, k->key, ttl);
		return;
	case DNS_NXDOMAIN:
	case DNS_NODATA:
		k->state = KN_NOKEY;
		if (m->v->cache)
			dkk_cache_put(m->v->cache, k->name, NULL,
				      ttl > KC_NEG_TTL ? KC_NEG_TTL : ttl);
		return;
	case DNS_BADNAME: k->state = KN_NOKEY; return;
	default: k->state = KN_TEMP;
	}
}

/* resolve - wait for k's answer (within the message's DNS budget) */
static void resolve(struct dkv_msg *m, struct kname *k)
{
	if (k->state != KN_PENDING)
		return;
	const struct timespec *dl = m->has_deadline ? &m->deadline : NULL;
	if (k->q) {
		const struct dns_answer *a = dns_wait(k->q, dl);
		if (a)
			take_answer(m, k, a);
		else
			k->state = KN_TEMP;
		dns_query_free(k->q);
		k->q = NULL;
		return;
	}
	struct dns_answer *a = dns_lookup(m->v->dns, k->name, DNS_T_TXT, dl);
	if (a)
		take_answer(m, k, a);
	else
		k->state = KN_TEMP;
	dns_answer_free(a);
}

/* key_error - what keeps key from serving s, in libopendkim's order (DKS_UNKNOWN: nothing) */
static int key_error(const struct dkk_key *k, const struct dks_sig *s)
{
	static const int as_sig[] = {
	    [DKK_OK] = DKS_UNKNOWN,           [DKK_SYNTAX] = DKS_DNSSYNTAX,
	    [DKK_VERSION] = DKS_KEYVERSION,   [DKK_UNKNOWNHASH] = DKS_KEYUNKNOWNHASH,
	    [DKK_NOTEMAIL] = DKS_NOTEMAILKEY, [DKK_KEYTYPE] = DKS_KEYTYPEUNKNOWN,
	    [DKK_REVOKED] = DKS_KEYREVOKED,
	};
	if (k->pre != DKK_OK)
		return as_sig[k->pre];
	if (!(k->hashes & (s->alg == DKS_RSASHA1 ? DKK_HASH_SHA1 : DKK_HASH_SHA256)))
		return DKS_KEYHASHMISMATCH;
	return as_sig[k->post];
}

/* ---- header hashes and verification ------------------------------------- */

/* name_cmp - header names as strncasecmp orders them (length first) */
static int name_cmp(const char *a, size_t alen, const char *b, size_t blen)
{
	if (alen != blen)
		return alen < blen ? -1 : 1;
	for (size_t i = 0; i < alen; i++) {
		int x = (unsigned char)a[i], y = (unsigned char)b[i];
		x += x >= 'A' && x <= 'Z' ? 32 : 0;
		y += y >= 'A' && y <= 'Z' ? 32 : 0;
		if (x != y)
			return x < y ? -1 : 1;
	}
	return 0;
}

/* order_cmp - by name, then by position */
static int order_cmp(const void *x, const void *y)
{
	const struct hname *a = x, *b = y;
	int c = name_cmp(a->name, a->len, b->name, b->len);
	return c ? c : a->idx < b->idx ? -1 : a->idx > b->idx;
}

/* sort_headers - the index h= selection uses: headers grouped by name, in order */
static int sort_headers(struct dkv_msg *m)
{
	if (m->order)
		return 0;
	if ((m->order = malloc((m->nhdr + 1) * sizeof(*m->order))) == NULL ||
	    (m->taken = malloc((m->nhdr + 1) * sizeof(size_t))) == NULL)
		return -1;
	for (size_t i = 0; i < m->nhdr; i++)
		m->order[i] = (struct hname){m->arena.data + m->hdr[i].off, m->hdr[i].namelen, i};
	qsort(m->order, m->nhdr, sizeof(*m->order), order_cmp);
	return 0;
}

struct select_ctx {
	struct dkv_msg *m;
	enum dkc_canon canon;
	int rc;
};

/* select_one - an h= name: the last header of that name not used yet, canonicalized */
static void select_one(const char *name, size_t len, void *arg)
{
	struct select_ctx *c = arg;
	struct dkv_msg *m = c->m;
	size_t lo = 0, hi = m->nhdr; /* the first position of the name's group */
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (name_cmp(m->order[mid].name, m->order[mid].len, name, len) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	size_t end = lo;
	while (end < m->nhdr && name_cmp(m->order[end].name, m->order[end].len, name, len) == 0)
		end++;
	if (end == lo || m->taken[lo] == end - lo)
		return; /* absent, or all used: an over-signed name adds nothing */
	const struct hdr *h = &m->hdr[m->order[end - 1 - m->taken[lo]++].idx];
	if (dkc_header(&m->work, c->canon, m->arena.data + h->off,
		       h->textlen < h->len ? h->textlen : h->len, 1) < 0)
		c->rc = -1;
}

/* sig_header - the signature's own header without the value of b=, canonicalized */
static int sig_header(struct dkv_msg *m, const struct dks_sig *s)
{
	struct buf *t = &m->work2;
	buf_reset(t);
	int in = 0, last = 0; /* libopendkim: the byte before '=' names the tag */
	const char *p = m->arena.data + m->hdr[s->hdr].off, *run = p;
	for (; *p; p++) {
		if (*p == ';')
			in = 0;
		if (in == 'b') { /* dropped: write out what came before */
			if (p > run && buf_add(t, run, (size_t)(p - run)) != BUF_OK)
				return -1;
			run = p + 1;
			last = (unsigned char)*p;
			continue;
		}
		if (in == 0 && *p == '=')
			in = last;
		last = (unsigned char)*p;
	}
	if (buf_add(t, run, (size_t)(p - run)) != BUF_OK)
		return -1;
	return dkc_header(&m->work, s->hc, t->data ? t->data : "", t->len, 0);
}

/* header_hash - the hash the signature signs */
static int header_hash(struct dkv_msg *m, const struct dks_sig *s, unsigned char *out,
		       unsigned *len)
{
	if (sort_headers(m) < 0)
		return -1;
	memset(m->taken, 0, m->nhdr * sizeof(size_t));
	buf_reset(&m->work);
	struct select_ctx c = {m, s->hc, 0};
	dks_hdrlist(s, select_one, &c);
	if (c.rc < 0 || sig_header(m, s) < 0)
		return -1;
	return EVP_Digest(m->work.data ? m->work.data : "", m->work.len, out, len, md_of(s->alg),
			  NULL) == 1
		   ? 0
		   : -1;
}

/* verify - the signature over digest with pk; 1 if it holds */
static int verify(const struct dks_sig *s, EVP_PKEY *pk, const unsigned char *dig, size_t len)
{
	int ok = 0;
	if (s->alg == DKS_ED25519) {
		EVP_MD_CTX *c = EVP_MD_CTX_new();
		ok = c && EVP_DigestVerifyInit_ex(c, NULL, NULL, NULL, NULL, pk, NULL) == 1 &&
		     EVP_DigestVerify(c, s->b, s->blen, dig, len) == 1;
		EVP_MD_CTX_free(c);
	} else {
		EVP_PKEY_CTX *c = EVP_PKEY_CTX_new_from_pkey(NULL, pk, NULL);
		ok = c && EVP_PKEY_verify_init(c) == 1 &&
		     EVP_PKEY_CTX_set_rsa_padding(c, RSA_PKCS1_PADDING) == 1 &&
		     EVP_PKEY_CTX_set_signature_md(c, md_of(s->alg)) == 1 &&
		     EVP_PKEY_verify(c, s->b, s->blen, dig, len) == 1;
		EVP_PKEY_CTX_free(c);
	}
	ERR_clear_error(); /* nothing may pile up in the thread's error queue */
	return ok;
}

/* process - a signature's key, then its header hash (libopendkim's dkim_sig_process at the
 * end of the headers); -1 only when out of memory */
static int process(struct dkv_msg *m, struct dks_sig *s)
{
	struct kname *k = s->name >= 0 ? &m->kn[s->name] : NULL;
	if (k)
		resolve(m, k);
	if (k == NULL || k->state != KN_KEY) {
		s->flags |= DKS_F_PROCESSED;
		s->err = DKS_NOKEY;
		s->temp = k && k->state == KN_TEMP;
		return 0;
	}
	int e = key_error(k->key, s);
	if (e != DKS_UNKNOWN) {
		s->flags |= DKS_F_PROCESSED;
		s->err = e;
		return 0;
	}
	if (k->key->flags & DKK_FLAG_TESTING)
		s->flags |= DKS_F_TESTKEY;
	if (k->key->flags & DKK_FLAG_NOSUBDOMAIN)
		s->flags |= DKS_F_NOSUBDOMAIN;
	EVP_PKEY *pk = s->alg == DKS_ED25519 ? k->key->ed : k->key->rsa;
	if (pk == NULL) {
		s->err = DKS_KEYDECODE;
		return 0;
	}
	if (s->alg != DKS_ED25519)
		s->keybits = k->key->rsa_bits;
	unsigned char dig[EVP_MAX_MD_SIZE];
	unsigned len;
	if (header_hash(m, s, dig, &len) < 0)
		return -1;
	if (verify(s, pk, dig, len))
		s->flags |= DKS_F_PASSED;
	else
		s->err = DKS_BADSIG;
	s->flags |= DKS_F_PROCESSED;
	if ((s->flags & DKS_F_NOSUBDOMAIN) && dks_subdomain(s))
		s->err = DKS_SUBDOMAIN;
	return 0;
}

/* ---- the body ----------------------------------------------------------- */

/* want_sink - a body digest for s (shared with any signature that needs the same) */
static int want_sink(struct dkv_msg *m, struct dks_sig *s)
{
	const EVP_MD *type = md_of(s->alg);
	struct body *b = m->body[s->bc];
	size_t i = 0;
	for (; i < b->nsink; i++) {
		const struct sink *k = &b->sink[i];
		if (k->type == type && k->limited == s->limited && (!s->limited || k->l == s->l))
			break;
	}
	if (i == b->nsink) {
		struct sink *k = &b->sink[i];
		k->type = type;
		k->limited = s->limited;
		k->l = s->l;
		if ((k->md = EVP_MD_CTX_new()) == NULL ||
		    EVP_DigestInit_ex2(k->md, type, NULL) != 1)
			return -1;
		b->dsink[i] = (struct dkc_sink){k->md, s->l, s->limited};
		b->nsink++;
	}
	s->sink = (int)i;
	return 0;
}

/* setup_body - canonicalizers and digests for what the body must answer */
static int setup_body(struct dkv_msg *m)
{
	int need[2] = {0, 0};
	for (size_t i = 0; i < m->nsig; i++) {
		const struct dks_sig *s = &m->sig[i];
		if (s->usable && !(s->flags & DKS_F_IGNORE) &&
		    (s->limited || (s->err == DKS_UNKNOWN && (s->flags & DKS_F_PASSED))))
			need[s->bc] = 1; /* a digest, or the length for the l= check */
	}
	for (int c = 0; c < 2; c++)
		if (need[c] && (m->body[c] = calloc(1, sizeof(*m->body[c]))) == NULL)
			return -1;
	for (size_t i = 0; i < m->nsig; i++) {
		struct dks_sig *s = &m->sig[i];
		if (s->usable && !(s->flags & DKS_F_IGNORE) && s->err == DKS_UNKNOWN &&
		    (s->flags & DKS_F_PASSED) && want_sink(m, s) < 0)
			return -1;
	}
	for (int c = 0; c < 2; c++)
		if (m->body[c])
			dkc_body_init(&m->body[c]->c, (enum dkc_canon)c, m->body[c]->dsink,
				      m->body[c]->nsink);
	return 0;
}

/* dkv_msg_eoh - end of the headers: signatures checked, keys fetched, header hashes checked */
void dkv_msg_eoh(struct dkv_msg *m)
{
	if (m->eoh_done)
		return;
	m->eoh_done = 1;
	if (m->error[0] || m->nsighdr == 0)
		return; /* nothing to verify: the body is not hashed */
	time_t now = time(NULL);
	int live = 0;
	size_t nlive = m->nsig < m->v->sig_max ? m->nsig : m->v->sig_max;
	if (nlive && (m->kn = calloc(nlive, sizeof(*m->kn))) == NULL) {
		broken(m, "message not verifiable", NULL);
		return;
	}
	for (size_t i = 0; i < m->nsig; i++) {
		struct dks_sig *s = &m->sig[i];
		if (dks_setup(s, now) < 0) {
			broken(m, "message not verifiable", NULL);
			return;
		}
		if (i >= m->v->sig_max) {
			s->flags |= DKS_F_IGNORE;
			continue;
		}
		live = 1;
		char name[KEY_NAME_MAX];
		if (s->err == DKS_UNKNOWN && key_name(s, name) == 0)
			s->name = want_key(m, name);
	}
	if (!live) {
		m->skipbody = 1;
		return;
	}
	for (size_t i = 0; i < m->nsig; i++) {
		struct dks_sig *s = &m->sig[i];
		if (!(s->flags & DKS_F_IGNORE) && s->err == DKS_UNKNOWN && process(m, s) < 0) {
			broken(m, "message not verifiable", NULL);
			return;
		}
	}
	if (setup_body(m) < 0)
		broken(m, "message not verifiable", NULL);
}

/* dkv_msg_body - a body chunk */
void dkv_msg_body(struct dkv_msg *m, const void *p, size_t len)
{
	if (!m->eoh_done)
		dkv_msg_eoh(m);
	if (m->error[0] || m->nsighdr == 0 || len == 0 || m->skipbody)
		return;
	for (int c = 0; c < 2; c++)
		if (m->body[c])
			dkc_body_update(&m->body[c]->c, p, len);
}

/* body_hash_matches - s's body digest against its bh= */
static int body_hash_matches(struct dkv_msg *m, const struct dks_sig *s)
{
	struct sink *k = &m->body[s->bc]->sink[s->sink];
	if (k->len == 0 && EVP_DigestFinal_ex(k->md, k->digest, &k->len) != 1)
		return 0;
	char b64[4 * ((EVP_MAX_MD_SIZE + 2) / 3) + 1];
	dkt_b64_encode(k->digest, k->len, b64, sizeof(b64));
	return strcmp(dkt_get(&s->tags, "bh"), b64) == 0;
}

/* finish - the end of the message, as libopendkim's dkim_eom_verify */
static void finish(struct dkv_msg *m)
{
	if (m->finished)
		return;
	m->finished = 1;
	for (int c = 0; c < 2; c++)
		if (m->body[c])
			dkc_body_final(&m->body[c]->c);
	for (size_t i = 0; i < m->nsig; i++) {
		struct dks_sig *s = &m->sig[i];
		if (!s->usable || (s->flags & DKS_F_IGNORE))
			continue;
		uint64_t total = m->body[s->bc] ? m->body[s->bc]->c.total : 0;
		if (s->limited && total < s->l)
			s->err = DKS_TOOLARGE_L;
		if (s->err == DKS_UNKNOWN) {
			if ((s->flags & DKS_F_PASSED) && s->sink >= 0) {
				if (body_hash_matches(m, s))
					s->bh = DKS_BH_MATCH;
				else {
					s->bh = DKS_BH_MISMATCH;
					s->err = DKS_BADSIG;
				}
			}
			if ((s->flags & DKS_F_NOSUBDOMAIN) && dks_subdomain(s))
				s->err = DKS_SUBDOMAIN;
			if (s->err == DKS_UNKNOWN && s->bh != DKS_BH_UNTESTED)
				s->err = DKS_OK;
		}
		if (s->err == DKS_OK && dks_keytoosmall(s)) {
			s->err = DKS_KEYTOOSMALL;
			s->flags &= ~DKS_F_PASSED;
		}
	}
}

/* dkv_msg_eom - finish, then one outcome per signature */
int dkv_msg_eom(struct dkv_msg *m, struct dkv_result *out)
{
	memset(out, 0, sizeof(*out));
	if (m->nsighdr == 0)
		return 0;
	if (!m->eoh_done)
		dkv_msg_eoh(m);
	size_t nsigs = 0;
	if (m->error[0] == '\0') {
		finish(m);
		nsigs = m->nsig;
	}
	/* every DKIM-Signature header gets an entry, even one that could not be read */
	size_t n = m->nsighdr > nsigs ? m->nsighdr : nsigs;
	if ((out->sigs = calloc(n, sizeof(*out->sigs))) == NULL)
		return -1;
	out->n = n;
	for (size_t i = 0; i < nsigs; i++) {
		dks_classify(&m->sig[i], m->v->sig_max, &out->sigs[i]);
		if (m->sig[i].flags & DKS_F_IGNORE)
			out->unchecked++;
	}
	for (size_t i = nsigs; i < n; i++) {
		out->sigs[i].result = DKV_PERMERROR;
		snprintf(out->sigs[i].reason, sizeof(out->sigs[i].reason), "%s",
			 m->error[0] ? m->error : "signature not readable");
	}
	return 0;
}

/* dkv_msg_free - release */
void dkv_msg_free(struct dkv_msg *m)
{
	if (m == NULL)
		return;
	for (size_t i = 0; i < m->nkn; i++) {
		dns_query_free(m->kn[i].q);
		dkk_unref(m->kn[i].key);
	}
	for (size_t i = 0; i < m->nsig; i++)
		dks_free(&m->sig[i]);
	for (int c = 0; c < 2; c++) {
		for (size_t i = 0; m->body[c] && i < m->body[c]->nsink; i++)
			EVP_MD_CTX_free(m->body[c]->sink[i].md);
		free(m->body[c]);
	}
	free(m->kn);
	free(m->sig);
	free(m->hdr);
	free(m->order);
	free(m->taken);
	buf_free(&m->arena);
	buf_free(&m->work);
	buf_free(&m->work2);
	free(m);
}

/* dkv_result_free - release */
void dkv_result_free(struct dkv_result *r)
{
	free(r->sigs);
	memset(r, 0, sizeof(*r));
}
