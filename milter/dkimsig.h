/*
 * dkimsig.h - one DKIM-Signature's state while a message is verified (milter/dkim.c), its
 * checks before any key is fetched, and the outcome reported for it.
 */
#ifndef PORTCULLIS_DKIMSIG_H
#define PORTCULLIS_DKIMSIG_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "compat.h"
#include "dkimcanon.h"
#include "dkimtag.h"

struct dkv_sig;

/* why a signature did not pass: libopendkim's DKIM_SIGERROR_* (its texts are the reasons) */
enum dks_err {
	DKS_UNKNOWN = -1, /* not decided yet */
	DKS_OK = 0,
	DKS_VERSION,
	DKS_DOMAIN,
	DKS_EXPIRED,
	DKS_FUTURE,
	DKS_TIMESTAMPS,
	DKS_INVALID_HC,
	DKS_INVALID_BC,
	DKS_INVALID_A,
	DKS_INVALID_L,
	DKS_EMPTY_D,
	DKS_EMPTY_S,
	DKS_EMPTY_B,
	DKS_CORRUPT_B,
	DKS_NOKEY,
	DKS_DNSSYNTAX,
	DKS_MISSING_BH,
	DKS_EMPTY_BH,
	DKS_BADSIG,
	DKS_SUBDOMAIN,
	DKS_EMPTY_H,
	DKS_INVALID_H,
	DKS_TOOLARGE_L,
	DKS_KEYVERSION,
	DKS_KEYUNKNOWNHASH,
	DKS_KEYHASHMISMATCH,
	DKS_NOTEMAILKEY,
	DKS_KEYTYPEUNKNOWN,
	DKS_KEYREVOKED,
	DKS_KEYDECODE,
	DKS_EMPTY_V,
	DKS_KEYTOOSMALL,
};

enum dks_alg { DKS_RSASHA1, DKS_RSASHA256, DKS_ED25519 };

#define DKS_F_IGNORE 0x01u      /* past dkim_signatures_max */
#define DKS_F_PROCESSED 0x02u   /* its key was looked up and applied */
#define DKS_F_PASSED 0x04u      /* the header hash verified */
#define DKS_F_TESTKEY 0x08u     /* the key says t=y */
#define DKS_F_NOSUBDOMAIN 0x10u /* the key says t=s */

enum dks_bh { DKS_BH_UNTESTED = -1, DKS_BH_MATCH = 0, DKS_BH_MISMATCH = 1 };

struct dks_sig {
	struct dkt_list tags; /* owned: the tag list, as parsed */
	size_t hdr;           /* index of its header in the message */
	int err;              /* enum dks_err */
	unsigned flags;       /* DKS_F_* */
	int bh;               /* enum dks_bh */
	enum dks_alg alg;
	enum dkc_canon hc, bc;
	int usable;       /* passed dks_setup: canonicalizations exist for it */
	int limited;      /* l= applies (a value under 2^63, as libopendkim's ssize_t) */
	uint64_t l;       /* l= */
	unsigned char *b; /* owned: b= decoded */
	size_t blen;
	unsigned keybits; /* RSA modulus bits (8 * bytes); 0 before a key or for ed25519 */
	int name;         /* index of its key name in the message, -1: none */
	int temp;         /* the key lookup failed for a DNS reason */
	int sink;         /* index of its body digest, -1: none */
};

/* dks_setup - libopendkim's per-signature checks before the keys (dkim_siglist_setup), at
 * time now: s->err set, or s->usable with algorithm, canonicalizations, l= and b= read.
 * -1 only when out of memory. */
int dks_setup(struct dks_sig *s, time_t now) WUR;
/* dks_hdrlist - the h= names (up to libopendkim's 4095 bytes) in order: calls fn for each */
void dks_hdrlist(const struct dks_sig *s, void (*fn)(const char *name, size_t len, void *arg),
		 void *arg);
/* dks_subdomain - the t=s check: does i= name a subdomain of d=? */
int dks_subdomain(const struct dks_sig *s);
/* dks_keytoosmall - RFC 8301: an RSA key under 1024 bits cannot make a signature pass */
int dks_keytoosmall(const struct dks_sig *s);
/* dks_classify - the reported outcome (sig_max: for the "not checked" reason) */
void dks_classify(const struct dks_sig *s, unsigned sig_max, struct dkv_sig *o);
/* dks_free - release what s owns */
void dks_free(struct dks_sig *s);

#endif
