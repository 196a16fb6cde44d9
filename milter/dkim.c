/*
 * dkim.c - DKIM verification on libopendkim, fed incrementally, keys through dns.*.
 *
 * SYNOPSIS
 *	v = dkv_new(dns, sig_max, cache_max);            (per generation)
 *	m = dkv_msg_new(v, deadline);                    (per message)
 *	dkv_msg_header(m, name, value) ...; dkv_msg_eoh(m);
 *	dkv_msg_body(m, chunk, len) ...; dkv_msg_eom(m, &result); dkv_msg_free(m);
 *
 * DESCRIPTION
 *	One DKIM_LIB per verifier (per generation), one DKIM handle per
 *	message, fed from the milter stages as they arrive, so the message is
 *	read once. libopendkim never touches DNS: its prescreen hook (called
 *	at the end of the headers with every signature) starts the key
 *	queries of the first sig_max signatures at once, in parallel, on the
 *	shared resolver, and marks the rest "ignore" (reported as policy,
 *	"not checked"); its key-lookup hook then waits for each answer within
 *	the message's DNS budget. Key records are cached across messages in a
 *	bounded, 4-way set-associative table that honours the DNS TTL (and
 *	keeps "no key" answers for at most KC_NEG_TTL seconds). libopendkim
 *	still decodes the key from the record text for each message (it has no
 *	hook for a parsed key): the benchmark under contrib/bench/dkim/
 *	measures what that costs.
 *
 *	A DNS failure (SERVFAIL, timeout, budget spent) cannot be told to
 *	libopendkim without aborting the other signatures, so the hook
 *	answers "not found" and remembers the signature: it is reported as
 *	temperror, never as a fail.
 *
 *	Results per signature (RFC 8601 2.7.1, RFC 6376 section 6, RFC 8301):
 *	pass; fail for a signature or body hash mismatch; policy for rsa-sha1,
 *	keys under 1024 bits and signatures past sig_max; temperror for a DNS
 *	failure; permerror for everything else (key not found, key revoked,
 *	expired or future signature, syntax errors, unusable keys).
 *
 * THREAD SAFETY
 *	A verifier serves all threads (libopendkim's library handle is
 *	shared by design; the cache has a mutex). A message belongs to one
 *	thread.
 */
#include "config.h"

#include "dkim.h"

#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <opendkim/dkim.h>

#include "dns.h"

#define KC_WAYS 4           /* entries per cache bucket */
#define KC_NEG_TTL 300      /* seconds "no key" is remembered at most */
#define KC_MAX_TTL 86400    /* seconds a key record is kept at most */
#define KEY_NAME_MAX 320    /* selector._domainkey.domain */
#define KEY_RECORD_MAX 8192 /* bytes of a key record handed to libopendkim */
#define MIN_KEY_BITS 1024   /* RFC 8301 section 3.2 */

/* one cached key record: its text, or none (NXDOMAIN/NODATA) */
struct kc_entry {
	char *name;     /* owned, lower case; NULL: empty slot */
	char *txt;      /* owned; NULL: no key record exists */
	time_t expires; /* CLOCK_MONOTONIC seconds */
	uint64_t used;  /* tick of the last use, for eviction */
};

struct dkv {
	DKIM_LIB *lib;   /* owned */
	struct dns *dns; /* borrowed from the generation */
	unsigned sig_max;
	pthread_mutex_t lock;   /* guards the cache and the counters */
	struct kc_entry *cache; /* owned array of nbuckets * KC_WAYS, or NULL */
	size_t nbuckets;
	uint64_t tick;
	struct dkv_stats stats;
};

/* a key query started at the end of the headers */
struct prefetch {
	DKIM_SIGINFO *sig; /* borrowed from libopendkim's handle */
	char name[KEY_NAME_MAX];
	struct dns_query *q; /* owned, or NULL: answered from the cache */
};

struct dkv_msg {
	struct dkv *v; /* borrowed */
	DKIM *dkim;    /* owned; NULL once broken */
	struct timespec deadline;
	int has_deadline;
	int eoh_done;
	size_t nsighdr; /* DKIM-Signature headers seen */
	struct prefetch pf[DKV_SIG_HARD_MAX];
	size_t npf;
	DKIM_SIGINFO *temp[DKV_SIG_HARD_MAX]; /* borrowed: key lookups that hit a DNS failure */
	size_t ntemp;
	char error[160]; /* why the whole message could not be checked, or "" */
};

static const char *const res_names[] = {"none",   "pass",      "fail",     "neutral",
					"policy", "temperror", "permerror"};

/* dkv_res_name - RFC 8601 name */
const char *dkv_res_name(enum dkv_res r)
{
	return (unsigned)r < ARRAY_LEN(res_names) ? res_names[r] : "permerror";
}

/* now_sec - CLOCK_MONOTONIC seconds */
static time_t now_sec(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec;
}

/* lower_copy - a lower-case bounded copy */
static void lower_copy(char *dst, size_t cap, const char *src)
{
	size_t i = 0;
	for (; src && src[i] && i + 1 < cap; i++) {
		unsigned char c = (unsigned char)src[i];
		dst[i] = (char)(c >= 'A' && c <= 'Z' ? c + 32 : c);
	}
	dst[i] = '\0';
}

/* name_hash - FNV-1a */
static uint32_t name_hash(const char *s)
{
	uint32_t h = 2166136261u;
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	return h;
}

/* ---- the key cache ------------------------------------------------------ */

/* kc_get - a cached record for name: 1 found (*txt a malloc'ed copy, or NULL for "no
 * key"; txt NULL: only tell), 0 not cached, -1 out of memory */
static int kc_get(struct dkv *v, const char *name, char **txt)
{
	if (v->cache == NULL)
		return 0;
	int rc = 0;
	time_t now = now_sec();
	pthread_mutex_lock(&v->lock);
	if (txt)
		v->stats.lookups++;
	struct kc_entry *b = &v->cache[(name_hash(name) % v->nbuckets) * KC_WAYS];
	for (int i = 0; i < KC_WAYS; i++) {
		if (b[i].name == NULL || strcmp(b[i].name, name) != 0 || b[i].expires <= now)
			continue;
		rc = 1;
		if (txt == NULL)
			break;
		b[i].used = ++v->tick;
		*txt = NULL;
		if (b[i].txt && (*txt = strdup(b[i].txt)) == NULL)
			rc = -1;
		else
			v->stats.hits++;
		break;
	}
	pthread_mutex_unlock(&v->lock);
	return rc;
}

/* kc_put - remember a record (txt NULL: "no key") for ttl seconds; best effort */
static void kc_put(struct dkv *v, const char *name, const char *txt, uint32_t ttl)
{
	if (v->cache == NULL || ttl == 0)
		return;
	char *n = strdup(name), *t = txt ? strdup(txt) : NULL;
	if (n == NULL || (txt && t == NULL)) {
		free(n);
		free(t);
		return;
	}
	time_t now = now_sec();
	pthread_mutex_lock(&v->lock);
	struct kc_entry *b = &v->cache[(name_hash(name) % v->nbuckets) * KC_WAYS], *e = &b[0];
	for (int i = 0; i < KC_WAYS;
	     i++) { /* the same name, else a free or expired slot, else LRU */
		if (b[i].name && strcmp(b[i].name, name) == 0) {
			e = &b[i];
			break;
		}
		if (b[i].name == NULL || b[i].expires <= now) {
			if (e->name && e->expires > now)
				e = &b[i];
		} else if (e->name && e->expires > now && b[i].used < e->used)
			e = &b[i];
	}
	if (e->name && e->expires > now && strcmp(e->name, name) != 0)
		v->stats.evicted++;
	free(e->name);
	free(e->txt);
	e->name = n;
	e->txt = t;
	e->expires = now + (time_t)ttl;
	e->used = ++v->tick;
	v->stats.stored++;
	pthread_mutex_unlock(&v->lock);
}

/* dkv_get_stats - copy the counters */
void dkv_get_stats(struct dkv *v, struct dkv_stats *out)
{
	pthread_mutex_lock(&v->lock);
	*out = v->stats;
	pthread_mutex_unlock(&v->lock);
}

/* ---- libopendkim hooks ------------------------------------------------- */

/* key_name - "selector._domainkey.domain" of a signature; -1 when it has none */
static int key_name(DKIM_SIGINFO *sig, char *out, size_t cap)
{
	const char *s = (const char *)dkim_sig_getselector(sig);
	const char *d = (const char *)dkim_sig_getdomain(sig);
	if (s == NULL || d == NULL || *s == '\0' || *d == '\0')
		return -1;
	char tmp[KEY_NAME_MAX];
	int n = snprintf(tmp, sizeof(tmp), "%s._domainkey.%s", s, d);
	if (n < 0 || (size_t)n >= sizeof(tmp))
		return -1;
	lower_copy(out, cap, tmp);
	return 0;
}

/* prescreen - at the end of the headers: check the first sig_max signatures, start
 * their key queries together (the answers are awaited in key_lookup) */
static DKIM_CBSTAT prescreen(DKIM *dkim, DKIM_SIGINFO **sigs, int nsigs)
{
	struct dkv_msg *m = dkim_get_user_context(dkim);
	for (int i = 0; i < nsigs; i++) {
		if ((unsigned)i >= m->v->sig_max) {
			dkim_sig_ignore(sigs[i]);
			continue;
		}
		struct prefetch *p = &m->pf[m->npf];
		if (dkim_sig_geterror(sigs[i]) != DKIM_SIGERROR_UNKNOWN ||
		    key_name(sigs[i], p->name, sizeof(p->name)) < 0)
			continue;
		p->sig = sigs[i];
		p->q = NULL; /* cached, or no memory: key_lookup asks */
		if (kc_get(m->v, p->name, NULL) == 0)
			p->q = dns_start(m->v->dns, p->name, DNS_T_TXT);
		m->npf++;
	}
	return DKIM_CBSTAT_CONTINUE;
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

/* mark_temp - this signature's key lookup failed for a DNS reason */
static DKIM_CBSTAT mark_temp(struct dkv_msg *m, DKIM_SIGINFO *sig)
{
	if (m->ntemp < ARRAY_LEN(m->temp))
		m->temp[m->ntemp++] = sig;
	return DKIM_CBSTAT_NOTFOUND; /* TRYAGAIN would abort every other signature */
}

/* answer_key - hand an answer to libopendkim (and the cache) */
static DKIM_CBSTAT answer_key(struct dkv_msg *m, DKIM_SIGINFO *sig, const char *name,
			      const struct dns_answer *a, unsigned char *buf, size_t buflen)
{
	uint32_t ttl = a->ttl > KC_MAX_TTL ? KC_MAX_TTL : a->ttl;
	const struct dns_rr *r = a->status == DNS_OK ? pick_record(a) : NULL;
	switch (a->status) {
	case DNS_OK:
		if (r == NULL || memchr(r->data, '\0', r->len) || r->len >= buflen)
			return DKIM_CBSTAT_NOTFOUND;
		memcpy(buf, r->data, r->len + 1);
		kc_put(m->v, name, r->data, ttl);
		return DKIM_CBSTAT_CONTINUE;
	case DNS_NXDOMAIN:
	case DNS_NODATA:
		kc_put(m->v, name, NULL, ttl > KC_NEG_TTL ? KC_NEG_TTL : ttl);
		return DKIM_CBSTAT_NOTFOUND;
	case DNS_BADNAME: return DKIM_CBSTAT_NOTFOUND;
	default: return mark_temp(m, sig);
	}
}

/* key_lookup - libopendkim wants the key record of sig */
static DKIM_CBSTAT key_lookup(DKIM *dkim, DKIM_SIGINFO *sig, unsigned char *buf, size_t buflen)
{
	struct dkv_msg *m = dkim_get_user_context(dkim);
	char name[KEY_NAME_MAX];
	if (key_name(sig, name, sizeof(name)) < 0)
		return DKIM_CBSTAT_NOTFOUND;
	char *txt = NULL;
	int c = kc_get(m->v, name, &txt);
	if (c < 0)
		return mark_temp(m, sig);
	if (c > 0) {
		DKIM_CBSTAT rc = DKIM_CBSTAT_NOTFOUND;
		if (txt && strlen(txt) < buflen) {
			memcpy(buf, txt, strlen(txt) + 1);
			rc = DKIM_CBSTAT_CONTINUE;
		}
		free(txt);
		return rc;
	}
	const struct timespec *dl = m->has_deadline ? &m->deadline : NULL;
	for (size_t i = 0; i < m->npf; i++)
		if (m->pf[i].sig == sig && m->pf[i].q && strcmp(m->pf[i].name, name) == 0)
			return answer_key(m, sig, name, dns_wait(m->pf[i].q, dl), buf, buflen);
	struct dns_answer *a = dns_lookup(m->v->dns, name, DNS_T_TXT, dl);
	if (a == NULL)
		return mark_temp(m, sig);
	DKIM_CBSTAT rc = answer_key(m, sig, name, a, buf, buflen);
	dns_answer_free(a);
	return rc;
}

/* ---- the verifier ------------------------------------------------------- */

/* dkv_new - a library handle with our hooks, and the cache */
struct dkv *dkv_new(struct dns *d, unsigned sig_max, size_t cache_max)
{
	struct dkv *v = calloc(1, sizeof(*v));
	if (v == NULL)
		return NULL;
	pthread_mutex_init(&v->lock, NULL);
	v->dns = d;
	v->sig_max = sig_max == 0 ? 1 : sig_max > DKV_SIG_HARD_MAX ? DKV_SIG_HARD_MAX : sig_max;
	if (cache_max) {
		v->nbuckets = (cache_max + KC_WAYS - 1) / KC_WAYS;
		v->cache = calloc(v->nbuckets * KC_WAYS, sizeof(*v->cache));
	}
	v->lib = dkim_init(NULL, NULL);
	if (v->lib == NULL || (cache_max && v->cache == NULL)) {
		dkv_free(v);
		return NULL;
	}
	unsigned flags = DKIM_LIBFLAGS_FIXCRLF | DKIM_LIBFLAGS_BADSIGHANDLES;
	unsigned bits = MIN_KEY_BITS;
	dkim_query_t qtype = DKIM_QUERY_DNS;
	if (dkim_options(v->lib, DKIM_OP_SETOPT, DKIM_OPTS_FLAGS, &flags, sizeof(flags)) !=
		DKIM_STAT_OK ||
	    dkim_options(v->lib, DKIM_OP_SETOPT, DKIM_OPTS_MINKEYBITS, &bits, sizeof(bits)) !=
		DKIM_STAT_OK ||
	    dkim_options(v->lib, DKIM_OP_SETOPT, DKIM_OPTS_QUERYMETHOD, &qtype, sizeof(qtype)) !=
		DKIM_STAT_OK ||
	    dkim_set_key_lookup(v->lib, key_lookup) != DKIM_STAT_OK ||
	    dkim_set_prescreen(v->lib, prescreen) != DKIM_STAT_OK) {
		dkv_free(v);
		return NULL;
	}
	return v;
}

/* dkv_free - release */
void dkv_free(struct dkv *v)
{
	if (v == NULL)
		return;
	if (v->lib)
		dkim_close(v->lib);
	for (size_t i = 0; v->cache && i < v->nbuckets * KC_WAYS; i++) {
		free(v->cache[i].name);
		free(v->cache[i].txt);
	}
	free(v->cache);
	pthread_mutex_destroy(&v->lock);
	free(v);
}

/* ---- one message -------------------------------------------------------- */

/* broken - stop feeding libopendkim; every signature is reported with this reason */
static void broken(struct dkv_msg *m, const char *why)
{
	if (m->error[0] == '\0') {
		const char *lib = m->dkim ? dkim_geterror(m->dkim) : NULL;
		snprintf(m->error, sizeof(m->error), "%s%s%s", why, lib && *lib ? ": " : "",
			 lib ? lib : "");
	}
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
	DKIM_STAT st;
	m->dkim = dkim_verify(v->lib, (const unsigned char *)"portcullis", NULL, &st);
	if (m->dkim == NULL || dkim_set_user_context(m->dkim, m) != DKIM_STAT_OK) {
		dkv_msg_free(m);
		return NULL;
	}
	return m;
}

/* dkv_msg_header - "name:value" to libopendkim */
void dkv_msg_header(struct dkv_msg *m, const char *name, const char *value)
{
	if (strcasecmp(name, "DKIM-Signature") == 0)
		m->nsighdr++;
	if (m->error[0] || m->eoh_done)
		return;
	size_t nl = strlen(name), vl = strlen(value), n = nl + 1;
	unsigned char *h = malloc(nl + 2 * vl + 2); /* a bare LF of folding becomes CRLF */
	if (h == NULL) {
		broken(m, "out of memory");
		return;
	}
	memcpy(h, name, nl);
	h[nl] = ':';
	for (size_t i = 0; i < vl; i++) {
		if (value[i] == '\n' && (i == 0 || value[i - 1] != '\r'))
			h[n++] = '\r';
		h[n++] = (unsigned char)value[i];
	}
	h[n] = '\0';
	DKIM_STAT st = dkim_header(m->dkim, h, n);
	free(h);
	if (st != DKIM_STAT_OK)
		broken(m, "header not accepted");
}

/* dkv_msg_eoh - end of the headers: signatures read, keys fetched, header hashes checked */
void dkv_msg_eoh(struct dkv_msg *m)
{
	if (m->eoh_done)
		return;
	m->eoh_done = 1;
	if (m->error[0] || m->nsighdr == 0)
		return; /* nothing to verify: the body is not hashed */
	DKIM_STAT st = dkim_eoh(m->dkim);
	if (st != DKIM_STAT_OK && st != DKIM_STAT_NOSIG && st != DKIM_STAT_CANTVRFY)
		broken(m, "message not verifiable");
}

/* dkv_msg_body - a body chunk */
void dkv_msg_body(struct dkv_msg *m, const void *p, size_t len)
{
	if (!m->eoh_done)
		dkv_msg_eoh(m);
	if (m->error[0] || m->nsighdr == 0 || len == 0)
		return;
	if (dkim_body(m->dkim, (unsigned char *)p, len) != DKIM_STAT_OK)
		broken(m, "body not accepted");
}

/* dkv_msg_free - release */
void dkv_msg_free(struct dkv_msg *m)
{
	if (m == NULL)
		return;
	for (size_t i = 0; i < m->npf; i++)
		dns_query_free(m->pf[i].q);
	if (m->dkim)
		dkim_free(m->dkim);
	free(m);
}

/* dkv_result_free - release */
void dkv_result_free(struct dkv_result *r)
{
	free(r->sigs);
	memset(r, 0, sizeof(*r));
}

/* tag - a tag of the signature, folding white space removed, bounded */
static void tag(DKIM_SIGINFO *sig, const char *name, char *out, size_t cap)
{
	const char *v = (const char *)dkim_sig_gettagvalue(sig, 0, (unsigned char *)name);
	size_t n = 0;
	for (; v && *v && n + 1 < cap; v++)
		if (*v != ' ' && *v != '\t' && *v != '\r' && *v != '\n')
			out[n++] = *v;
	out[n] = '\0';
}

/* was_temp - did this signature's key lookup fail for a DNS reason? */
static int was_temp(const struct dkv_msg *m, DKIM_SIGINFO *sig)
{
	for (size_t i = 0; i < m->ntemp; i++)
		if (m->temp[i] == sig)
			return 1;
	return 0;
}

/* set - result and reason */
static void set(struct dkv_sig *o, enum dkv_res r, const char *why)
{
	o->result = r;
	snprintf(o->reason, sizeof(o->reason), "%s", why);
}

/* classify_error - a signature that did not pass: why */
static void classify_error(const struct dkv_msg *m, DKIM_SIGINFO *sig, struct dkv_sig *o)
{
	int err = dkim_sig_geterror(sig);
	unsigned flags = dkim_sig_getflags(sig);
	switch (err) {
	case DKIM_SIGERROR_OK:
	case DKIM_SIGERROR_UNKNOWN:
		if ((flags & DKIM_SIGFLAG_PASSED) && dkim_sig_getbh(sig) == DKIM_SIGBH_MISMATCH)
			set(o, DKV_FAIL, "body hash mismatch");
		else if (flags & DKIM_SIGFLAG_PROCESSED)
			set(o, DKV_FAIL, "signature mismatch");
		else
			set(o, DKV_PERMERROR, "not verified");
		break;
	case DKIM_SIGERROR_BADSIG:
		set(o, DKV_FAIL,
		    dkim_sig_getbh(sig) == DKIM_SIGBH_MISMATCH ? "body hash mismatch"
							       : "signature mismatch");
		break;
	case DKIM_SIGERROR_KEYFAIL: set(o, DKV_TEMPERROR, "key lookup failed"); break;
	case DKIM_SIGERROR_NOKEY:
		if (was_temp(m, sig))
			set(o, DKV_TEMPERROR, "key lookup failed (DNS)");
		else
			set(o, DKV_PERMERROR, "key not found");
		break;
	case DKIM_SIGERROR_KEYREVOKED: set(o, DKV_PERMERROR, "key revoked"); break;
	case DKIM_SIGERROR_EXPIRED: set(o, DKV_PERMERROR, "signature expired"); break;
	case DKIM_SIGERROR_FUTURE: set(o, DKV_PERMERROR, "signature in the future"); break;
	case DKIM_SIGERROR_KEYTOOSMALL: {
		char why[64];
		snprintf(why, sizeof(why), "key too small (%u bits, RFC 8301)", o->keybits);
		set(o, DKV_POLICY, why);
		break;
	}
	default: {
		const char *s = dkim_sig_geterrorstr(err);
		set(o, DKV_PERMERROR, s ? s : "unusable signature");
	}
	}
}

/* classify - one signature's outcome */
static void classify(const struct dkv_msg *m, DKIM_SIGINFO *sig, struct dkv_sig *o)
{
	tag(sig, "s", o->selector, sizeof(o->selector));
	tag(sig, "a", o->algorithm, sizeof(o->algorithm));
	tag(sig, "b", o->b8, sizeof(o->b8));
	char d[256];
	tag(sig, "d", d, sizeof(d));
	lower_copy(o->domain, sizeof(o->domain), d);
	tag(sig, "i", o->identity, sizeof(o->identity));
	if (o->identity[0] == '\0' && o->domain[0])
		snprintf(o->identity, sizeof(o->identity), "@%.250s", o->domain);
	unsigned bits = 0;
	if (dkim_sig_getkeysize(sig, &bits) == DKIM_STAT_OK)
		o->keybits = bits;
	unsigned flags = dkim_sig_getflags(sig);
	o->testing = (flags & DKIM_SIGFLAG_TESTKEY) != 0;
	if (flags & DKIM_SIGFLAG_IGNORE) {
		char why[64];
		snprintf(why, sizeof(why), "not checked: more than %u signatures", m->v->sig_max);
		set(o, DKV_POLICY, why);
		return;
	}
	if (dkim_sig_geterror(sig) == DKIM_SIGERROR_OK && (flags & DKIM_SIGFLAG_PASSED) &&
	    dkim_sig_getbh(sig) == DKIM_SIGBH_MATCH) {
		dkim_alg_t alg = DKIM_SIGN_UNKNOWN;
		if (dkim_sig_getsignalg(sig, &alg) == DKIM_STAT_OK && alg == DKIM_SIGN_RSASHA1)
			set(o, DKV_POLICY, "rsa-sha1 is not accepted (RFC 8301)");
		else
			set(o, DKV_PASS,
			    o->testing ? "good signature, key in testing mode" : "good signature");
		return;
	}
	classify_error(m, sig, o);
}

/* dkv_msg_eom - finish, then one outcome per signature */
int dkv_msg_eom(struct dkv_msg *m, struct dkv_result *out)
{
	memset(out, 0, sizeof(*out));
	if (m->nsighdr == 0)
		return 0;
	if (!m->eoh_done)
		dkv_msg_eoh(m);
	DKIM_SIGINFO **sigs = NULL;
	int nsigs = 0;
	if (m->error[0] == '\0') {
		(void)dkim_eom(m->dkim, NULL); /* the outcome is per signature, below */
		if (dkim_getsiglist(m->dkim, &sigs, &nsigs) != DKIM_STAT_OK)
			nsigs = 0;
	}
	/* every DKIM-Signature header gets an entry, even one libopendkim could not read */
	size_t n = m->nsighdr > (size_t)nsigs ? m->nsighdr : (size_t)nsigs;
	out->sigs = calloc(n, sizeof(*out->sigs));
	if (out->sigs == NULL)
		return -1;
	out->n = n;
	for (size_t i = 0; i < (size_t)nsigs; i++) {
		classify(m, sigs[i], &out->sigs[i]);
		if (dkim_sig_getflags(sigs[i]) & DKIM_SIGFLAG_IGNORE)
			out->unchecked++;
	}
	for (size_t i = (size_t)nsigs; i < n; i++)
		set(&out->sigs[i], DKV_PERMERROR,
		    m->error[0] ? m->error : "signature not readable");
	return 0;
}
