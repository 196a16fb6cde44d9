/*
 * prefilter.c - one Hyperscan pass per long value instead of one PCRE2 pass per rule.
 *
 * SYNOPSIS
 *	pf_build(rs);                      after the set is compiled (compile.c)
 *	struct pf_run *p = pf_run_new(rs->pf);   per rule_run
 *	pf_reset(p);                       per message
 *	if (pf_may(p, c, vi, nv, v, len)) run PCRE2 on v
 *	pf_run_free(p); pf_free(rs->pf);
 *
 * DESCRIPTION
 *	Most rules look for a phrase in the decoded body, the raw body, the
 *	URLs or all headers, and most messages hold none of the phrases: one
 *	PCRE2 scan per rule over 20 KB of text is where a rule set's time goes.
 *	For each such target (a "group": rawbody, headers, body, url,
 *	url-domain, attachment:name, attachment:type), every pattern of the
 *	group is compiled into one Hyperscan database in prefilter mode
 *	(HS_FLAG_PREFILTER: it may report a match the pattern would not make,
 *	never miss one that it would). The first condition that needs a value
 *	of the group scans that value once for all of the group's patterns;
 *	every condition then runs PCRE2 only when Hyperscan reported its
 *	pattern, so PCRE2 still decides every match, its text and its limits.
 *	The rule language's meaning is unchanged, with one visible difference:
 *	a pattern that Hyperscan rules out is not run, so it cannot run into
 *	a PCRE2 limit (rules.limit) on that value.
 *
 *	Left to PCRE2 alone: header:NAME values (short; one PCRE2 call costs
 *	less than a scan), patterns with the u flag (Hyperscan's UTF-8 mode
 *	needs input known to be valid UTF-8), and any pattern Hyperscan
 *	cannot compile (\K, patterns that match the empty string, ...).
 *	Without Hyperscan (not built in, or a CPU it does not support) every
 *	pattern runs as before.
 *
 * THREAD SAFETY
 *	The set's databases are read-only; a pf_run belongs to one rule_run and
 *	holds one Hyperscan scratch space while it lives: taken (or made) by its
 *	first pf_reset from those earlier runs gave back, and given back by
 *	pf_run_free (keep.h), so a new libmilter thread does not make its own.
 */
#include "config.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "keep.h"
#include "rules_int.h"

#ifdef HAVE_HYPERSCAN
#include <hs.h>

/* One target's patterns. */
struct pf_group {
	const struct rule_target *t; /* borrowed from the table */
	hs_database_t *db;           /* owned */
	unsigned n;                  /* patterns in db: ids 0..n-1 */
};

struct pf_set {
	struct pf_group *g; /* owned array */
	size_t ng;
	unsigned long serial; /* unique per built set: which set a kept scratch fits */
};

/* A group's results for the message being evaluated. */
struct pf_cache {
	size_t nv;          /* values the group's target has in this message */
	unsigned char *got; /* owned: per value, scanned yet? */
	uint64_t *bits;     /* owned: per value, words bits of "may match" */
	size_t cap;         /* values the arrays hold */
};

struct pf_run {
	const struct pf_set *ps; /* borrowed */
	hs_scratch_t *scratch;   /* owned, from scratch_keep, or NULL */
	unsigned long fits;      /* the serial of the set the scratch was last fitted for */
	int ready;               /* the scratch fits ps: the prefilter runs */
	struct pf_cache *c;      /* owned: one per group */
	size_t scans, skips;     /* since the run began: values scanned, PCRE2 calls saved */
};

/* grouped - may conditions on this target be prefiltered? */
static int grouped(const struct rule_cond *c)
{
	if (c->t->how != TM_REGEX || c->re == NULL || c->pat == NULL || (c->opts & PCRE2_UTF))
		return 0;
	return c->t->kind == TK_BODY || c->t->kind == TK_HEADERS || c->t->kind == TK_EXTRA;
}

/* hs_flags - the Hyperscan flags that give a PCRE2 pattern's meaning, prefiltered */
static unsigned hs_flags(uint32_t opts)
{
	unsigned f = HS_FLAG_PREFILTER | HS_FLAG_SINGLEMATCH;
	if (opts & PCRE2_CASELESS)
		f |= HS_FLAG_CASELESS;
	if (opts & PCRE2_DOTALL)
		f |= HS_FLAG_DOTALL;
	if (opts & PCRE2_MULTILINE)
		f |= HS_FLAG_MULTILINE;
	return f;
}

/* Every condition of the set, in a fixed order, through one callback. */
typedef int (*cond_fn)(struct rule_cond *c, void *ctx);
static int each_cond(struct rule_set *rs, cond_fn fn, void *ctx)
{
	for (size_t i = 0; i < rs->n; i++) {
		struct rule *r = &rs->rules[i];
		for (size_t j = 0; j < r->nmatch; j++)
			if (fn(&r->match[j], ctx) < 0)
				return -1;
		for (size_t j = 0; j < r->nunless; j++)
			if (fn(&r->unless[j], ctx) < 0)
				return -1;
	}
	return 0;
}

/* Building one group: the conditions on its target that Hyperscan still accepts. */
struct gbuild {
	const struct rule_target *t;
	struct rule_cond **conds; /* owned array, borrowed entries */
	size_t n, cap;
};

static int collect(struct rule_cond *c, void *ctx)
{
	struct gbuild *b = ctx;
	if (!grouped(c) || c->t != b->t)
		return 0;
	if (b->n == b->cap) {
		size_t ncap = b->cap ? b->cap * 2 : 32;
		struct rule_cond **p = realloc(b->conds, ncap * sizeof(*p));
		if (p == NULL)
			return -1;
		b->conds = p;
		b->cap = ncap;
	}
	b->conds[b->n++] = c;
	return 0;
}

/* compile_group - one database for b's conditions; a pattern Hyperscan refuses is dropped
 * from the group (left to PCRE2) and the rest compiled again. 0 (g->db may stay NULL when
 * nothing is left), or -1 when out of memory. */
static int compile_group(struct gbuild *b, struct pf_group *g)
{
	const char **pats = malloc(b->n * sizeof(*pats));
	unsigned *flags = malloc(b->n * sizeof(*flags));
	unsigned *ids = malloc(b->n * sizeof(*ids));
	int rc = pats && flags && ids ? 0 : -1;
	while (rc == 0 && b->n > 0) {
		for (size_t i = 0; i < b->n; i++) {
			pats[i] = b->conds[i]->pat;
			flags[i] = hs_flags(b->conds[i]->opts);
			ids[i] = (unsigned)i;
		}
		hs_compile_error_t *err = NULL;
		hs_database_t *db = NULL;
		if (hs_compile_multi(pats, flags, ids, (unsigned)b->n, HS_MODE_BLOCK, NULL, &db,
				     &err) == HS_SUCCESS) {
			g->db = db;
			g->n = (unsigned)b->n;
			break;
		}
		int bad = err ? err->expression : -1;
		hs_free_compile_error(err);
		if (bad < 0 || (size_t)bad >= b->n)
			break; /* not one pattern's fault: leave the whole group to PCRE2 */
		memmove(b->conds + bad, b->conds + bad + 1,
			(b->n - (size_t)bad - 1) * sizeof(*b->conds));
		b->n--;
	}
	for (size_t i = 0; g->db && i < b->n; i++)
		b->conds[i]->pf_id = (unsigned)i;
	free(pats);
	free(flags);
	free(ids);
	return rc;
}

static int clear_pf(struct rule_cond *c, void *ctx)
{
	(void)ctx;
	c->pf = -1;
	return 0;
}

/* pf_build - the set's databases; 0, or -1 when out of memory (the set then has none) */
int pf_build(struct rule_set *rs)
{
	each_cond(rs, clear_pf, NULL);
	rs->pf = NULL;
	if (hs_valid_platform() != HS_SUCCESS)
		return 0;
	const struct rule_target *seen[16];
	size_t nseen = 0;
	struct pf_set *ps = calloc(1, sizeof(*ps));
	if (ps == NULL || (ps->g = calloc(ARRAY_LEN(seen), sizeof(*ps->g))) == NULL)
		goto nomem;
	/* one group per target that has prefilterable conditions, in order of appearance */
	for (size_t i = 0; i < rs->n; i++) {
		struct rule *r = &rs->rules[i];
		for (size_t j = 0; j < r->nmatch + r->nunless; j++) {
			struct rule_cond *c =
			    j < r->nmatch ? &r->match[j] : &r->unless[j - r->nmatch];
			size_t k = 0;
			while (k < nseen && seen[k] != c->t)
				k++;
			if (grouped(c) && k == nseen && nseen < ARRAY_LEN(seen))
				seen[nseen++] = c->t;
		}
	}
	for (size_t k = 0; k < nseen; k++) {
		struct gbuild b = {.t = seen[k]};
		struct pf_group *g = &ps->g[ps->ng];
		int rc = each_cond(rs, collect, &b);
		if (rc == 0)
			rc = compile_group(&b, g);
		if (rc == 0 && g->db) {
			g->t = seen[k];
			for (size_t i = 0; i < b.n; i++)
				b.conds[i]->pf = (int)ps->ng;
			ps->ng++;
		}
		free(b.conds);
		if (rc < 0)
			goto nomem;
	}
	if (ps->ng == 0) {
		pf_free(ps);
		return 0;
	}
	static atomic_ulong serials;
	ps->serial = atomic_fetch_add(&serials, 1) + 1;
	rs->pf = ps;
	return 0;
nomem:
	each_cond(rs, clear_pf, NULL);
	pf_free(ps);
	return -1;
}

/* pf_free - release a set's databases */
void pf_free(struct pf_set *ps)
{
	if (ps == NULL)
		return;
	for (size_t i = 0; i < ps->ng; i++)
		hs_free_database(ps->g[i].db);
	free(ps->g);
	free(ps);
}

/* pf_groups - how many groups the set has (tests) */
size_t pf_groups(const struct pf_set *ps)
{
	return ps ? ps->ng : 0;
}

/* Scratch spaces are kept for the next run (keep.h), tagged with the serial of the set they
 * were last fitted for: hs_alloc_scratch checks the CRC of every database even when the
 * scratch fits already (about a tenth of a message's CPU), and allocates when it does not.
 * A scratch fitted for one set and then grown for another fits both, but is tagged only
 * with the last: after a reload the old set's runs fit it again, at the cost of a check. */
static void scratch_free(void *s)
{
	hs_free_scratch(s);
}
static struct keep scratch_keep = KEEP_INIT(scratch_free);

/* pf_run_new - a run's scratch space; NULL for a set without databases, or out of memory
 * (*nomem set) */
struct pf_run *pf_run_new(const struct pf_set *ps, int *nomem)
{
	*nomem = 0;
	if (ps == NULL)
		return NULL;
	struct pf_run *p = calloc(1, sizeof(*p));
	if (p == NULL || (p->c = calloc(ps->ng, sizeof(*p->c))) == NULL) {
		pf_run_free(p);
		*nomem = 1;
		return NULL;
	}
	p->ps = ps;
	return p;
}

/* pf_run_free - release */
void pf_run_free(struct pf_run *p)
{
	if (p == NULL)
		return;
	for (size_t i = 0; p->ps && i < p->ps->ng; i++) {
		free(p->c[i].got);
		free(p->c[i].bits);
	}
	keep_give(&scratch_keep, p->scratch, p->fits);
	free(p->c);
	free(p);
}

/* run_scratch - p's scratch, fit for every database of its set; NULL when it cannot be had
 * (the run then goes without the prefilter) */
static hs_scratch_t *run_scratch(struct pf_run *p)
{
	if (p->scratch == NULL)
		p->scratch = keep_take(&scratch_keep, &p->fits);
	if (p->scratch != NULL && p->fits == p->ps->serial)
		return p->scratch;
	int fits = 1;
	for (size_t i = 0; fits && i < p->ps->ng; i++)
		fits = hs_alloc_scratch(p->ps->g[i].db, &p->scratch) == HS_SUCCESS;
	p->fits = fits ? p->ps->serial : 0;
	return fits ? p->scratch : NULL;
}

/* pf_reset - forget the last message's scans; take a scratch that fits the set */
void pf_reset(struct pf_run *p)
{
	if (p)
		p->ready = run_scratch(p) != NULL;
	for (size_t i = 0; p && i < p->ps->ng; i++) {
		if (p->c[i].got)
			memset(p->c[i].got, 0, p->c[i].cap);
		p->c[i].nv = 0;
	}
}

static int on_match(unsigned id, unsigned long long from, unsigned long long to, unsigned fl,
		    void *ctx)
{
	(void)from, (void)to, (void)fl;
	uint64_t *bits = ctx;
	bits[id / 64] |= (uint64_t)1 << (id % 64);
	return 0;
}

/* pf_may - can c's pattern match value vi (of nv) of its target, v (len bytes, already cut
 * to the target's cap)? 1 when it may (or nothing is known), 0 when it cannot. */
int pf_may(struct pf_run *p, const struct rule_cond *c, size_t vi, size_t nv, const char *v,
	   size_t len)
{
	if (p == NULL || !p->ready || c->pf < 0 || vi >= nv)
		return 1;
	const struct pf_group *g = &p->ps->g[c->pf];
	struct pf_cache *k = &p->c[c->pf];
	size_t words = (g->n + 63) / 64;
	if (nv > k->cap) {
		size_t ncap = nv < 8 ? 8 : nv;
		unsigned char *got = calloc(ncap, 1);
		uint64_t *bits = malloc(ncap * words * sizeof(*bits));
		if (got == NULL || bits == NULL) {
			free(got);
			free(bits);
			return 1;
		}
		free(k->got);
		free(k->bits);
		k->got = got;
		k->bits = bits;
		k->cap = ncap;
	}
	k->nv = nv;
	uint64_t *b = k->bits + vi * words;
	if (!k->got[vi]) {
		memset(b, 0, words * sizeof(*b));
		if (len > UINT32_MAX ||
		    hs_scan(g->db, v, (unsigned)len, 0, p->scratch, on_match, b) != HS_SUCCESS)
			memset(b, 0xff, words * sizeof(*b)); /* unknown: let PCRE2 decide */
		k->got[vi] = 1;
		p->scans++;
	}
	int may = (b[c->pf_id / 64] >> (c->pf_id % 64)) & 1;
	p->skips += !may;
	return may;
}

/* pf_skips - PCRE2 calls the prefilter saved since the run began (tests) */
size_t pf_skips(const struct pf_run *p)
{
	return p ? p->skips : 0;
}

#else /* !HAVE_HYPERSCAN: every pattern runs */

int pf_build(struct rule_set *rs)
{
	rs->pf = NULL;
	return 0;
}
void pf_free(struct pf_set *ps)
{
	(void)ps;
}
size_t pf_groups(const struct pf_set *ps)
{
	(void)ps;
	return 0;
}
struct pf_run *pf_run_new(const struct pf_set *ps, int *nomem)
{
	(void)ps;
	*nomem = 0;
	return NULL;
}
void pf_run_free(struct pf_run *p)
{
	(void)p;
}
void pf_reset(struct pf_run *p)
{
	(void)p;
}
int pf_may(struct pf_run *p, const struct rule_cond *c, size_t vi, size_t nv, const char *v,
	   size_t len)
{
	(void)p, (void)c, (void)vi, (void)nv, (void)v, (void)len;
	return 1;
}
size_t pf_skips(const struct pf_run *p)
{
	(void)p;
	return 0;
}
#endif
