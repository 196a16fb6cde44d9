/*
 * generation.c - load, publish and pin configuration snapshots.
 *
 * DESCRIPTION
 *	A generation holds the validated config, and (as they arrive) the
 *	compiled rules, policy and lists. It is built completely off to the
 *	side by gen_load and published by swapping one pointer; a failed load
 *	publishes nothing, so the running generation keeps serving.
 *	A message takes a reference with gen_current at MAIL FROM and drops it
 *	when it ends, so a reload never changes the rules under a message.
 *	The resolver is shared with the next generation when its settings are
 *	unchanged, so a reload keeps the DNS cache (and the counters); the
 *	DKIM key cache is shared when its size is unchanged.
 *
 * THREAD SAFETY
 *	The current pointer is read and swapped under a mutex, and the
 *	reference is taken before the mutex is released (never hand out a
 *	pointer whose count was not raised). Counts are atomic.
 */
#include "config.h"

#include "generation.h"

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "dkim.h"
#include "dmarc.h"
#include "dns.h"
#include "policy.h"
#include "replist.h"
#include "rules.h"
#include "spf.h"

static pthread_mutex_t gen_lock = PTHREAD_MUTEX_INITIALIZER;
static struct generation *gen_cur;        /* owned: one reference */
static unsigned long gen_next_serial = 1; /* under gen_lock */

/* gen_free - destroy */
static void gen_free(struct generation *g)
{
	spf_free(g->spf);
	dkv_free(g->dkim);
	dmarc_free(g->dmarc);
	dns_free(g->dns);
	rule_free((struct rule_set *)g->rules);
	free(g->replists);
	conf_free((struct conf *)g->conf);
	pol_free((struct policy *)g->policy);
	free(g);
}

/* replists - the dnsbl, rhsbl and uribl lines (conf_load validated them) as definitions */
static int replists(struct generation *g, const struct conf *c)
{
	const struct conf_list *lines[] = {&c->dnsbl, &c->rhsbl, &c->uribl};
	const enum replist_kind kinds[] = {REPLIST_DNSBL, REPLIST_RHSBL, REPLIST_URIBL};
	size_t n = c->dnsbl.n + c->rhsbl.n + c->uribl.n;
	if (n == 0)
		return 0;
	g->replists = calloc(n, sizeof(*g->replists));
	if (g->replists == NULL)
		return -1;
	for (size_t k = 0; k < 3; k++)
		for (size_t i = 0; i < lines[k]->n; i++)
			if (replist_parse(kinds[k], lines[k]->v[i], &g->replists[g->nreplists]) ==
			    NULL)
				g->rep_early |= g->replists[g->nreplists++].reject;
	return 0;
}

/* gen_load_auth - the DKIM verifier (keeping the key cache of cur's) and the DMARC
 * evaluator, as configured */
static int gen_load_auth(struct generation *g, const struct generation *cur, struct errlist *errs)
{
	const struct conf *c = g->conf;
	if (c->dkim && (g->dkim = dkv_new(g->dns, c->dkim_signatures_max, c->dkim_key_cache,
					  cur ? cur->dkim : NULL)) == NULL) {
		errlist_add(errs, c->file, 0, "cannot set up DKIM verification (OpenSSL)");
		return -1;
	}
	if (c->dmarc &&
	    (g->dmarc = dmarc_new(g->dns, c->public_suffix_list, c->file, errs)) == NULL)
		return -1;
	return 0;
}

/* gen_load - build everything; any error means nothing is built */
struct generation *gen_load(const char *conf_path, struct errlist *errs)
{
	return gen_load_rules(conf_path, NULL, errs);
}

/* gen_load_rules - gen_load, with the rules of another directory */
struct generation *gen_load_rules(const char *conf_path, const char *rules_dir,
				  struct errlist *errs)
{
	struct conf *c = conf_load(conf_path, errs);
	if (c == NULL)
		return NULL;
	struct rule_set *rules = rule_load(rules_dir ? rules_dir : c->rules_dir, errs);
	if (rules == NULL) {
		conf_free(c);
		return NULL;
	}
	struct pol_settings ps = {c->message_size_max, c->spf_reject_fail,
				  c->on_dns_error_tempfail};
	/* the default policy_file may be absent (the built-in policy); a configured one not */
	const char *pf = c->policy_file;
	if (!c->policy_file_set && access(pf, F_OK) != 0 && errno == ENOENT)
		pf = NULL;
	struct policy *p = pol_load(pf, &ps, errs);
	if (p == NULL) {
		rule_free(rules);
		conf_free(c);
		return NULL;
	}
	struct generation *g = calloc(1, sizeof(*g));
	if (g == NULL) {
		errlist_add(errs, conf_path, 0, "out of memory");
		rule_free(rules);
		conf_free(c);
		pol_free(p);
		return NULL;
	}
	g->conf = c;
	g->policy = p;
	g->rules = rules;
	g->refs = 1;
	if (replists(g, c) < 0) {
		errlist_add(errs, conf_path, 0, "out of memory");
		gen_free(g);
		return NULL;
	}
	struct dns_opts o = {(const char *const *)c->dns_forwarders.v, c->dns_forwarders.n,
			     c->dns_timeout * 1000, c->dns_trust_anchor, NULL};
	/* the resolver and its cache outlive a reload that does not change its settings; the
	 * DKIM key cache outlives any reload that keeps its size */
	struct generation *cur = gen_current();
	if (cur && dns_matches(cur->dns, &o))
		g->dns = dns_ref(cur->dns);
	else
		g->dns = dns_new(&o, c->file, errs);
	if (g->dns && c->spf)
		g->spf = spf_new(g->dns, c->authserv_id, c->dns_timeout * 1000);
	if (g->dns == NULL || (c->spf && g->spf == NULL)) {
		if (g->dns)
			errlist_add(errs, conf_path, 0, "out of memory setting up SPF");
		gen_release(cur);
		gen_free(g);
		return NULL;
	}
	int rc = gen_load_auth(g, cur, errs);
	gen_release(cur);
	if (rc < 0) {
		gen_free(g);
		return NULL;
	}
	snprintf(g->id, sizeof(g->id), "%016" PRIx64, c->hash);
	return g;
}

/* gen_publish - swap in g */
void gen_publish(struct generation *g)
{
	pthread_mutex_lock(&gen_lock);
	g->serial = gen_next_serial++;
	struct generation *old = gen_cur;
	gen_cur = g;
	pthread_mutex_unlock(&gen_lock);
	if (old)
		gen_release(old);
}

/* gen_current - referenced current generation */
struct generation *gen_current(void)
{
	pthread_mutex_lock(&gen_lock);
	struct generation *g = gen_cur;
	if (g)
		__atomic_add_fetch(&g->refs, 1, __ATOMIC_RELAXED);
	pthread_mutex_unlock(&gen_lock);
	return g;
}

/* gen_ref - one more reference */
struct generation *gen_ref(struct generation *g)
{
	__atomic_add_fetch(&g->refs, 1, __ATOMIC_RELAXED);
	return g;
}

/* gen_release - drop one */
void gen_release(struct generation *g)
{
	if (g && __atomic_sub_fetch(&g->refs, 1, __ATOMIC_ACQ_REL) == 0)
		gen_free(g);
}

/* gen_shutdown - forget the current generation */
void gen_shutdown(void)
{
	pthread_mutex_lock(&gen_lock);
	struct generation *old = gen_cur;
	gen_cur = NULL;
	pthread_mutex_unlock(&gen_lock);
	gen_release(old);
}
