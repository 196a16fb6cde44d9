/*
 * dkimsig.c - a DKIM-Signature's checks before its key, and the outcome reported for it.
 *
 * SYNOPSIS
 *	dks_setup(&sig, time(NULL));   (after dkt_parse of its header)
 *	... key, hashes, verification in milter/dkim.c ...
 *	dks_classify(&sig, sig_max, &out);
 *
 * DESCRIPTION
 *	dks_setup makes libopendkim 2.11's checks, in its order, with its
 *	outcome codes: d=, s=, v= (exactly "1"), i= within d= (after
 *	dkim-quoted-printable decoding), x= against now (300 seconds of clock
 *	drift, in unsigned 64-bit arithmetic), t= not in the future, t= < x=,
 *	c=, a= (rsa-sha1, rsa-sha256, ed25519-sha256, any case), h= naming
 *	From, l= (decimal; 2^63 and over mean "no limit", as libopendkim's
 *	signed length made them), bh= and b= present, b= decodable. q= is not
 *	looked at (keys come through the shared resolver).
 *
 *	dks_classify turns the state into the RFC 8601 result and the reason
 *	the A-R comment carries: pass; fail for a signature or body hash
 *	mismatch; policy for rsa-sha1, keys under 1024 bits (RFC 8301) and
 *	signatures past dkim_signatures_max; temperror for a DNS failure;
 *	permerror with libopendkim's text for everything else.
 *
 * THREAD SAFETY
 *	A signature belongs to its message.
 */
#include "config.h"

#include "dkimsig.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "dkim.h"

#define CLOCK_DRIFT 300    /* seconds, libopendkim's default */
#define HDRLIST_CHECK 4096 /* bytes of h= looked at for From (libopendkim's buffer) */
#define HDRLIST_USE 4095   /* bytes of h= used to select header fields */
#define ADDR_MAX 256       /* libopendkim's MAXADDRESS */
#define MIN_KEY_BITS 1024  /* RFC 8301 section 3.2 */

/* libopendkim's texts of DKIM_SIGERROR_*, by enum dks_err */
static const char *const err_text[] = {
    [DKS_OK] = "no signature error",
    [DKS_VERSION] = "unsupported signature version",
    [DKS_DOMAIN] = "invalid domain coverage",
    [DKS_EXPIRED] = "signature expired",
    [DKS_FUTURE] = "signature timestamp in the future",
    [DKS_TIMESTAMPS] = "signature timestamp order error",
    [DKS_INVALID_HC] = "invalid header canonicalization",
    [DKS_INVALID_BC] = "invalid body canonicalization",
    [DKS_INVALID_A] = "signature algorithm invalid",
    [DKS_INVALID_L] = "body length value invalid",
    [DKS_EMPTY_D] = "domain tag empty",
    [DKS_EMPTY_S] = "selector tag empty",
    [DKS_EMPTY_B] = "signature data empty",
    [DKS_CORRUPT_B] = "signature data corrupt",
    [DKS_NOKEY] = "key not found in DNS",
    [DKS_DNSSYNTAX] = "key DNS reply corrupt",
    [DKS_MISSING_BH] = "body hash missing",
    [DKS_EMPTY_BH] = "body hash empty",
    [DKS_BADSIG] = "signature verification failed",
    [DKS_SUBDOMAIN] = "unauthorized subdomain",
    [DKS_EMPTY_H] = "header list tag empty",
    [DKS_INVALID_H] = "header list missing required entries",
    [DKS_TOOLARGE_L] = "length tag value exceeds body size",
    [DKS_KEYVERSION] = "unknown key version",
    [DKS_KEYUNKNOWNHASH] = "unknown key hash",
    [DKS_KEYHASHMISMATCH] = "signature-key hash mismatch",
    [DKS_NOTEMAILKEY] = "not an e-mail key",
    [DKS_KEYTYPEUNKNOWN] = "unknown key type",
    [DKS_KEYREVOKED] = "key revoked",
    [DKS_KEYDECODE] = "unable to apply public key",
    [DKS_EMPTY_V] = "version empty",
    [DKS_KEYTOOSMALL] = "signing key too small",
};

/* domain_ok - i= (decoded) is d= or one of its subdomains */
static int domain_ok(const char *i, const char *d)
{
	char addr[ADDR_MAX + 1] = "";
	if (i == NULL)
		snprintf(addr, sizeof(addr), "@%s", d);
	else
		(void)dkt_qp_decode(i, addr, ADDR_MAX);
	const char *at = strchr(addr, '@');
	if (at == NULL)
		return 0;
	if (strcasecmp(at + 1, d) == 0)
		return 1;
	for (const char *dot = strchr(at, '.'); dot; dot = strchr(dot + 1, '.'))
		if (strcasecmp(dot + 1, d) == 0)
			return 1;
	return 0;
}

/* number - a t= or x= value (dkt_parse checked it) */
static uint64_t number(const char *v)
{
	return (uint64_t)strtoull(v, NULL, 10);
}

/* canon_code - simple or relaxed, any case; -1 otherwise */
static int canon_code(const char *s)
{
	return strcasecmp(s, "simple") == 0    ? DKC_SIMPLE
	       : strcasecmp(s, "relaxed") == 0 ? DKC_RELAXED
					       : -1;
}

/* canons - c=: header and body canonicalization; 0, or the error */
static int canons(struct dks_sig *s)
{
	char v[1025]; /* libopendkim's buffer */
	snprintf(v, sizeof(v), "%s", dkt_get(&s->tags, "c"));
	char *slash = strchr(v, '/');
	if (slash)
		*slash = '\0';
	int hc = canon_code(v), bc = slash ? canon_code(slash + 1) : DKC_SIMPLE;
	if (hc < 0)
		return DKS_INVALID_HC;
	if (bc < 0)
		return DKS_INVALID_BC;
	s->hc = (enum dkc_canon)hc;
	s->bc = (enum dkc_canon)bc;
	return 0;
}

/* alg_code - the a= algorithms we know, any case; -1 otherwise */
static int alg_code(const char *a)
{
	return strcasecmp(a, "rsa-sha1") == 0         ? DKS_RSASHA1
	       : strcasecmp(a, "rsa-sha256") == 0     ? DKS_RSASHA256
	       : strcasecmp(a, "ed25519-sha256") == 0 ? DKS_ED25519
						      : -1;
}

/* each_name - call fn for each non-empty ':'-separated name in the first max bytes of h */
static void each_name(const char *h, size_t max, void (*fn)(const char *, size_t, void *),
		      void *arg)
{
	size_t len = strnlen(h, max);
	for (size_t i = 0; i < len;) {
		size_t n = 0;
		while (i + n < len && h[i + n] != ':')
			n++;
		if (n)
			fn(h + i, n, arg);
		i += n + 1;
	}
}

/* from_seen - note a From name */
static void from_seen(const char *name, size_t len, void *arg)
{
	if (len == 4 && strncasecmp(name, "from", 4) == 0)
		*(int *)arg = 1;
}

/* length - l=: 0 (s->limited, s->l set), or the error */
static int length(struct dks_sig *s, const char *l)
{
	if (l == NULL)
		return 0;
	if (l[0] == '-')
		return DKS_INVALID_L;
	char *end;
	errno = 0;
	unsigned long v = strtoul(l, &end, 10);
	if (v == ULONG_MAX || errno != 0 || *end != '\0')
		return DKS_INVALID_L;
	s->limited = v <= (unsigned long)LONG_MAX; /* larger: a negative ssize_t, no limit */
	s->l = v;
	return 0;
}

/* checks - dkim_siglist_setup's checks, in order: 0 or the error */
static int checks(struct dks_sig *s, time_t now)
{
	const struct dkt_list *t = &s->tags;
	const char *d = dkt_get(t, "d"), *v = dkt_get(t, "v"), *x = dkt_get(t, "x");
	const char *ts = dkt_get(t, "t"), *h = dkt_get(t, "h");
	if (d[0] == '\0')
		return DKS_EMPTY_D;
	if (dkt_get(t, "s")[0] == '\0')
		return DKS_EMPTY_S;
	if (v[0] == '\0')
		return DKS_EMPTY_V;
	if (strcmp(v, "1") != 0)
		return DKS_VERSION;
	if (!domain_ok(dkt_get(t, "i"), d))
		return DKS_DOMAIN;
	uint64_t nowu = (uint64_t)now;
	if (x && nowu >= number(x) + CLOCK_DRIFT)
		return DKS_EXPIRED;
	if (ts && nowu < number(ts) - CLOCK_DRIFT)
		return DKS_FUTURE;
	if (ts && x && number(ts) >= number(x))
		return DKS_TIMESTAMPS;
	int rc = canons(s);
	if (rc)
		return rc;
	int a = alg_code(dkt_get(t, "a"));
	if (a < 0)
		return DKS_INVALID_A;
	s->alg = (enum dks_alg)a;
	if (h[0] == '\0')
		return DKS_EMPTY_H;
	int from = 0;
	each_name(h, HDRLIST_CHECK, from_seen, &from);
	if (!from)
		return DKS_INVALID_H;
	if ((rc = length(s, dkt_get(t, "l"))) != 0)
		return rc;
	const char *bh = dkt_get(t, "bh"), *b = dkt_get(t, "b");
	if (bh == NULL)
		return DKS_MISSING_BH;
	if (bh[0] == '\0')
		return DKS_EMPTY_BH;
	if (b[0] == '\0')
		return DKS_EMPTY_B;
	return 0;
}

/* dks_setup - the checks, then b= decoded */
int dks_setup(struct dks_sig *s, time_t now)
{
	s->err = DKS_UNKNOWN;
	s->bh = DKS_BH_UNTESTED;
	s->name = s->sink = -1;
	int rc = checks(s, now);
	if (rc) {
		s->err = rc;
		return 0;
	}
	const char *b = dkt_get(&s->tags, "b");
	size_t cap = strlen(b);
	if ((s->b = malloc(cap)) == NULL)
		return -1;
	int n = dkt_b64_decode(b, s->b, cap);
	if (n < 0) {
		s->err = DKS_CORRUPT_B;
		return 0;
	}
	s->blen = (size_t)n;
	s->usable = 1;
	return 0;
}

/* dks_hdrlist - the names to select */
void dks_hdrlist(const struct dks_sig *s, void (*fn)(const char *name, size_t len, void *arg),
		 void *arg)
{
	each_name(dkt_get(&s->tags, "h"), HDRLIST_USE, fn, arg);
}

/* dks_subdomain - i= (raw) after its '@', against d= */
int dks_subdomain(const struct dks_sig *s)
{
	const char *i = dkt_get(&s->tags, "i"), *d = dkt_get(&s->tags, "d");
	if (i == NULL)
		return 0;
	const char *at = strchr(i, '@');
	return strcasecmp(at ? at + 1 : i, d) != 0;
}

/* tag - a tag's value, bounded */
static void tag(const struct dks_sig *s, const char *name, char *out, size_t cap)
{
	const char *v = dkt_get(&s->tags, name);
	snprintf(out, cap, "%s", v ? v : "");
}

/* set - result and reason */
static void set(struct dkv_sig *o, enum dkv_res r, const char *why)
{
	o->result = r;
	snprintf(o->reason, sizeof(o->reason), "%s", why);
}

/* classify_error - a signature that did not pass: why */
static void classify_error(const struct dks_sig *s, struct dkv_sig *o)
{
	switch (s->err) {
	case DKS_OK:
	case DKS_UNKNOWN:
		if ((s->flags & DKS_F_PASSED) && s->bh == DKS_BH_MISMATCH)
			set(o, DKV_FAIL, "body hash mismatch");
		else if (s->flags & DKS_F_PROCESSED)
			set(o, DKV_FAIL, "signature mismatch");
		else
			set(o, DKV_PERMERROR, "not verified");
		break;
	case DKS_BADSIG:
		set(o, DKV_FAIL,
		    s->bh == DKS_BH_MISMATCH ? "body hash mismatch" : "signature mismatch");
		break;
	case DKS_NOKEY:
		if (s->temp)
			set(o, DKV_TEMPERROR, "key lookup failed (DNS)");
		else
			set(o, DKV_PERMERROR, "key not found");
		break;
	case DKS_KEYREVOKED: set(o, DKV_PERMERROR, "key revoked"); break;
	case DKS_EXPIRED: set(o, DKV_PERMERROR, "signature expired"); break;
	case DKS_FUTURE: set(o, DKV_PERMERROR, "signature in the future"); break;
	case DKS_KEYTOOSMALL: {
		char why[64];
		snprintf(why, sizeof(why), "key too small (%u bits, RFC 8301)", o->keybits);
		set(o, DKV_POLICY, why);
		break;
	}
	default: {
		const char *t =
		    s->err > 0 && (size_t)s->err < ARRAY_LEN(err_text) ? err_text[s->err] : NULL;
		set(o, DKV_PERMERROR, t ? t : "unusable signature");
	}
	}
}

/* dks_classify - one signature's outcome */
void dks_classify(const struct dks_sig *s, unsigned sig_max, struct dkv_sig *o)
{
	char d[256];
	tag(s, "s", o->selector, sizeof(o->selector));
	tag(s, "a", o->algorithm, sizeof(o->algorithm));
	tag(s, "b", o->b8, sizeof(o->b8));
	tag(s, "d", d, sizeof(d));
	size_t i = 0;
	for (; d[i] && i + 1 < sizeof(o->domain); i++)
		o->domain[i] = (char)(d[i] >= 'A' && d[i] <= 'Z' ? d[i] + 32 : d[i]);
	o->domain[i] = '\0';
	tag(s, "i", o->identity, sizeof(o->identity));
	if (o->identity[0] == '\0' && o->domain[0])
		snprintf(o->identity, sizeof(o->identity), "@%.250s", o->domain);
	o->keybits = s->keybits;
	o->testing = (s->flags & DKS_F_TESTKEY) != 0;
	if (s->flags & DKS_F_IGNORE) {
		char why[64];
		snprintf(why, sizeof(why), "not checked: more than %u signatures", sig_max);
		set(o, DKV_POLICY, why);
		return;
	}
	if (s->err == DKS_OK && (s->flags & DKS_F_PASSED) && s->bh == DKS_BH_MATCH) {
		if (s->alg == DKS_RSASHA1)
			set(o, DKV_POLICY, "rsa-sha1 is not accepted (RFC 8301)");
		else
			set(o, DKV_PASS,
			    o->testing ? "good signature, key in testing mode" : "good signature");
		return;
	}
	classify_error(s, o);
}

/* dks_keytoosmall - RFC 8301 */
int dks_keytoosmall(const struct dks_sig *s)
{
	return s->alg != DKS_ED25519 && s->keybits < MIN_KEY_BITS;
}

/* dks_free - release */
void dks_free(struct dks_sig *s)
{
	dkt_free(&s->tags);
	free(s->b);
	s->b = NULL;
}
