/*
 * dkimkey.c - DKIM key records parsed once, and the cache of parsed keys.
 *
 * SYNOPSIS
 *	k = dkk_parse("v=DKIM1; k=rsa; p=MIIB...");  ... dkk_unref(k);
 *	c = dkk_cache_new(1000);
 *	if (dkk_cache_get(c, "sel._domainkey.example.org", &k) == 0) { ... dkk_cache_put(...); }
 *
 * DESCRIPTION
 *	A record is read as libopendkim 2.11 reads it (dkim_get_key), and
 *	everything a signature needs is kept: the errors in the order they
 *	are checked (those before and those after the signature's hash is
 *	compared with h=), the hashes h= allows, the t= flags, and p= decoded
 *	into OpenSSL keys once: as an RSA SubjectPublicKeyInfo (an RSA-PSS
 *	one is used as plain RSA, as RSA_verify did) and as a raw Ed25519
 *	key. Decoding a key costs far more than verifying with it (the
 *	OpenSSL 3 decoder framework), so the cache holds these parsed keys,
 *	not record texts.
 *
 *	The cache is 4-way set-associative with room for max records, each
 *	kept for the TTL it was stored with; a full set loses its least
 *	recently used entry. "No key record" (NXDOMAIN, NODATA) is an entry
 *	too. A verifier of the next generation may share it (refcounted), so
 *	a configuration reload keeps the keys.
 *
 * THREAD SAFETY
 *	Keys are immutable and refcounted (atomically); the cache has a mutex
 *	and hands out references taken under it.
 */
#include "config.h"

#include "dkimkey.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <openssl/core_names.h>
#include <openssl/param_build.h>
#include <openssl/x509.h>

#include "dkimtag.h"

#define KC_WAYS 4 /* entries per cache set */

struct kc_entry {
	char *name;          /* owned, lower case; NULL: empty slot */
	struct dkk_key *key; /* owned reference; NULL: no key record exists */
	time_t expires;      /* CLOCK_MONOTONIC seconds */
	uint64_t used;       /* tick of the last use, for eviction */
};

struct dkk_cache {
	pthread_mutex_t lock;   /* guards everything below */
	struct kc_entry *entry; /* owned array of nsets * KC_WAYS */
	size_t nsets, max;
	uint64_t tick;
	struct dkk_stats stats;
	unsigned long refs; /* atomically updated */
};

/* ---- parsing ----------------------------------------------------------- */

/* tokens - does the ':'-separated list s hold a token that want accepts? */
static int any_token(const char *s, int (*want)(const char *tok, size_t len, void *arg), void *arg)
{
	while (*s) {
		size_t n = strcspn(s, ":");
		if (n && want(s, n, arg))
			return 1;
		s += n + (s[n] == ':');
	}
	return 0;
}

/* hash_token - sha1 or sha256 (any case): note it in *arg */
static int hash_token(const char *tok, size_t len, void *arg)
{
	unsigned *h = arg;
	if (len == 4 && strncasecmp(tok, "sha1", 4) == 0)
		*h |= DKK_HASH_SHA1;
	else if (len == 6 && strncasecmp(tok, "sha256", 6) == 0)
		*h |= DKK_HASH_SHA256;
	return 0; /* read them all */
}

/* email_token - "*" or "email" (any case) */
static int email_token(const char *tok, size_t len, void *arg)
{
	return (len == 1 && tok[0] == '*') || (len == 5 && strncasecmp(tok, "email", 5) == 0);
}

/* flag_token - "y" or "s" (any case): note it in *arg */
static int flag_token(const char *tok, size_t len, void *arg)
{
	unsigned *f = arg;
	if (len == 1 && (tok[0] | 32) == 'y')
		*f |= DKK_FLAG_TESTING;
	else if (len == 1 && (tok[0] | 32) == 's')
		*f |= DKK_FLAG_NOSUBDOMAIN;
	return 0;
}

/* plain_rsa - an RSA-PSS public key as a plain RSA one (its n and e), or NULL */
static EVP_PKEY *plain_rsa(const EVP_PKEY *pss)
{
	BIGNUM *n = NULL, *e = NULL;
	OSSL_PARAM_BLD *bld = NULL;
	OSSL_PARAM *params = NULL;
	EVP_PKEY_CTX *ctx = NULL;
	EVP_PKEY *out = NULL;
	if (EVP_PKEY_get_bn_param(pss, OSSL_PKEY_PARAM_RSA_N, &n) &&
	    EVP_PKEY_get_bn_param(pss, OSSL_PKEY_PARAM_RSA_E, &e) &&
	    (bld = OSSL_PARAM_BLD_new()) != NULL &&
	    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, n) &&
	    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, e) &&
	    (params = OSSL_PARAM_BLD_to_param(bld)) != NULL &&
	    (ctx = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL)) != NULL &&
	    EVP_PKEY_fromdata_init(ctx) > 0)
		(void)EVP_PKEY_fromdata(ctx, &out, EVP_PKEY_PUBLIC_KEY, params);
	EVP_PKEY_CTX_free(ctx);
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(bld);
	BN_free(n);
	BN_free(e);
	return out;
}

/* load_keys - p= (decoded) as the keys each algorithm family would take */
static void load_keys(struct dkk_key *k, const unsigned char *der, size_t len)
{
	const unsigned char *p = der;
	EVP_PKEY *pk = d2i_PUBKEY(NULL, &p, (long)len);
	if (pk && EVP_PKEY_get_base_id(pk) == EVP_PKEY_RSA_PSS) {
		EVP_PKEY *plain = plain_rsa(pk);
		EVP_PKEY_free(pk);
		pk = plain;
	}
	if (pk && EVP_PKEY_get_base_id(pk) == EVP_PKEY_RSA) {
		k->rsa = pk;
		k->rsa_bits = 8u * (unsigned)EVP_PKEY_get_size(pk);
	} else
		EVP_PKEY_free(pk);
	if (len == 32)
		k->ed = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, der, len);
}

/* read_record - the checks of dkim_get_key, in its order */
static void read_record(struct dkk_key *k, const char *txt)
{
	char err[160];
	struct dkt_list l;
	if (txt[0] == '\0' || dkt_parse(&l, DKT_KEY, txt, strlen(txt), err, sizeof(err)) < 0) {
		k->pre = DKK_SYNTAX;
		if (txt[0])
			dkt_free(&l);
		return;
	}
	const char *v = dkt_get(&l, "v"), *h = dkt_get(&l, "h"), *s = dkt_get(&l, "s");
	const char *kt = dkt_get(&l, "k"), *p = dkt_get(&l, "p"), *t = dkt_get(&l, "t");
	if (v && strcmp(v, "DKIM1") != 0)
		k->pre = DKK_VERSION;
	else if (h && ((k->hashes = 0), any_token(h, hash_token, &k->hashes), k->hashes == 0))
		k->pre = DKK_UNKNOWNHASH;
	else if (s && !any_token(s, email_token, NULL))
		k->post = DKK_NOTEMAIL;
	else if (kt == NULL || (strcasecmp(kt, "rsa") != 0 && strcasecmp(kt, "ed25519") != 0))
		k->post = DKK_KEYTYPE;
	else if (p == NULL)
		k->post = DKK_SYNTAX;
	else if (p[0] == '\0')
		k->post = DKK_REVOKED;
	else {
		size_t cap = strlen(p);
		unsigned char *der = malloc(cap);
		int n = der ? dkt_b64_decode(p, der, cap) : -1;
		if (n < 0)
			k->post = DKK_SYNTAX;
		else {
			if (t)
				(void)any_token(t, flag_token, &k->flags);
			load_keys(k, der, (size_t)n);
		}
		free(der);
	}
	dkt_free(&l);
}

/* dkk_parse - a parsed record */
struct dkk_key *dkk_parse(const char *txt)
{
	struct dkk_key *k = calloc(1, sizeof(*k));
	if (k == NULL)
		return NULL;
	k->refs = 1;
	k->hashes = DKK_HASH_SHA1 | DKK_HASH_SHA256;
	read_record(k, txt);
	return k;
}

/* dkk_ref - one more */
struct dkk_key *dkk_ref(struct dkk_key *k)
{
	__atomic_add_fetch(&k->refs, 1, __ATOMIC_RELAXED);
	return k;
}

/* dkk_unref - drop one */
void dkk_unref(struct dkk_key *k)
{
	if (k == NULL || __atomic_sub_fetch(&k->refs, 1, __ATOMIC_ACQ_REL) != 0)
		return;
	EVP_PKEY_free(k->rsa);
	EVP_PKEY_free(k->ed);
	free(k);
}

/* ---- the cache --------------------------------------------------------- */

/* now_sec - CLOCK_MONOTONIC seconds */
static time_t now_sec(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec;
}

/* name_hash - FNV-1a */
static uint32_t name_hash(const char *s)
{
	uint32_t h = 2166136261u;
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	return h;
}

/* dkk_cache_new - an empty cache */
struct dkk_cache *dkk_cache_new(size_t max)
{
	struct dkk_cache *c = calloc(1, sizeof(*c));
	if (c == NULL)
		return NULL;
	c->max = max;
	c->nsets = max ? (max + KC_WAYS - 1) / KC_WAYS : 1;
	if ((c->entry = calloc(c->nsets * KC_WAYS, sizeof(*c->entry))) == NULL) {
		free(c);
		return NULL;
	}
	pthread_mutex_init(&c->lock, NULL);
	c->refs = 1;
	return c;
}

/* dkk_cache_ref - one more */
struct dkk_cache *dkk_cache_ref(struct dkk_cache *c)
{
	__atomic_add_fetch(&c->refs, 1, __ATOMIC_RELAXED);
	return c;
}

/* dkk_cache_unref - drop one */
void dkk_cache_unref(struct dkk_cache *c)
{
	if (c == NULL || __atomic_sub_fetch(&c->refs, 1, __ATOMIC_ACQ_REL) != 0)
		return;
	for (size_t i = 0; i < c->nsets * KC_WAYS; i++) {
		free(c->entry[i].name);
		dkk_unref(c->entry[i].key);
	}
	free(c->entry);
	pthread_mutex_destroy(&c->lock);
	free(c);
}

/* dkk_cache_max - as made */
size_t dkk_cache_max(const struct dkk_cache *c)
{
	return c->max;
}

/* dkk_cache_get - a reference to a cached key */
int dkk_cache_get(struct dkk_cache *c, const char *name, struct dkk_key **key)
{
	int rc = 0;
	time_t now = now_sec();
	pthread_mutex_lock(&c->lock);
	if (key)
		c->stats.lookups++;
	struct kc_entry *b = &c->entry[(name_hash(name) % c->nsets) * KC_WAYS];
	for (int i = 0; i < KC_WAYS; i++) {
		if (b[i].name == NULL || b[i].expires <= now || strcmp(b[i].name, name) != 0)
			continue;
		rc = 1;
		if (key) {
			b[i].used = ++c->tick;
			*key = b[i].key ? dkk_ref(b[i].key) : NULL;
			c->stats.hits++;
		}
		break;
	}
	pthread_mutex_unlock(&c->lock);
	return rc;
}

/* dkk_cache_put - the same name, else a free or expired slot, else the least recently used */
void dkk_cache_put(struct dkk_cache *c, const char *name, struct dkk_key *key, uint32_t ttl)
{
	if (c->max == 0 || ttl == 0)
		return;
	char *n = strdup(name);
	if (n == NULL)
		return;
	time_t now = now_sec();
	pthread_mutex_lock(&c->lock);
	struct kc_entry *b = &c->entry[(name_hash(name) % c->nsets) * KC_WAYS], *e = &b[0];
	for (int i = 0; i < KC_WAYS; i++) {
		if (b[i].name && strcmp(b[i].name, name) == 0) {
			e = &b[i];
			break;
		}
		int live = e->name && e->expires > now;
		if (b[i].name == NULL || b[i].expires <= now) {
			if (live)
				e = &b[i];
		} else if (live && b[i].used < e->used)
			e = &b[i];
	}
	if (e->name && e->expires > now && strcmp(e->name, name) != 0)
		c->stats.evicted++;
	free(e->name);
	dkk_unref(e->key);
	e->name = n;
	e->key = key ? dkk_ref(key) : NULL;
	e->expires = now + (time_t)ttl;
	e->used = ++c->tick;
	c->stats.stored++;
	pthread_mutex_unlock(&c->lock);
}

/* dkk_cache_stats - copy the counters */
void dkk_cache_stats(struct dkk_cache *c, struct dkk_stats *out)
{
	pthread_mutex_lock(&c->lock);
	*out = c->stats;
	pthread_mutex_unlock(&c->lock);
}
