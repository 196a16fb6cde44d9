/*
 * dkimkey.h - DKIM key records (RFC 6376 3.6.1, RFC 8463) parsed once into OpenSSL keys, and
 * a bounded cache of them shared by all threads.
 */
#ifndef PORTCULLIS_DKIMKEY_H
#define PORTCULLIS_DKIMKEY_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

#include "compat.h"

/* why a key record cannot serve a signature, in the order libopendkim checks */
enum dkk_err {
	DKK_OK = 0,
	DKK_SYNTAX,      /* empty record, bad tag list, p= missing or not base64 */
	DKK_VERSION,     /* v= other than DKIM1 */
	DKK_UNKNOWNHASH, /* h= names no hash we know */
	DKK_NOTEMAIL,    /* s= excludes email */
	DKK_KEYTYPE,     /* k= neither rsa nor ed25519 */
	DKK_REVOKED,     /* p= empty */
};

#define DKK_HASH_SHA1 1u
#define DKK_HASH_SHA256 2u
#define DKK_FLAG_TESTING 1u     /* t=y */
#define DKK_FLAG_NOSUBDOMAIN 2u /* t=s */

/* a parsed key record: immutable once made, refcounted */
struct dkk_key {
	enum dkk_err pre;  /* found before the signature's hash is checked against h= */
	enum dkk_err post; /* found after it */
	unsigned hashes;   /* DKK_HASH_* that h= allows */
	unsigned flags;    /* DKK_FLAG_* */
	EVP_PKEY *rsa;     /* owned: p= as an RSA public key, NULL if it is not one */
	EVP_PKEY *ed;      /* owned: p= as a raw Ed25519 key, NULL if it is not one */
	unsigned rsa_bits; /* 8 * modulus bytes, as libopendkim counts */
	/* private */
	unsigned long refs;
};

/* dkk_parse - a key record's text; NULL only when out of memory */
struct dkk_key *dkk_parse(const char *txt) WUR;
/* dkk_ref - another reference */
struct dkk_key *dkk_ref(struct dkk_key *k);
/* dkk_unref - drop one; the last frees (NULL is fine) */
void dkk_unref(struct dkk_key *k);

/* cache counters */
struct dkk_stats {
	unsigned long lookups, hits, stored, evicted;
};

struct dkk_cache;

/* dkk_cache_new - room for max records (4-way set-associative); NULL when out of memory */
struct dkk_cache *dkk_cache_new(size_t max) WUR;
/* dkk_cache_ref - another reference (a verifier of the next generation shares it) */
struct dkk_cache *dkk_cache_ref(struct dkk_cache *c);
/* dkk_cache_unref - drop one; the last frees (NULL is fine) */
void dkk_cache_unref(struct dkk_cache *c);
/* dkk_cache_max - the size it was made with */
size_t dkk_cache_max(const struct dkk_cache *c);
/* dkk_cache_get - name (lower case) unexpired in the cache? 1 with *key a new reference (NULL:
 * "no key record"), 0 if not; key NULL only tells, and is not counted as a lookup */
int dkk_cache_get(struct dkk_cache *c, const char *name, struct dkk_key **key);
/* dkk_cache_put - remember key (NULL: "no key record") for ttl seconds; best effort */
void dkk_cache_put(struct dkk_cache *c, const char *name, struct dkk_key *key, uint32_t ttl);
/* dkk_cache_stats - a copy of the counters */
void dkk_cache_stats(struct dkk_cache *c, struct dkk_stats *out);

#endif
