/*
 * eval.c - evaluate a rule set against one message.
 *
 * SYNOPSIS
 *	struct rule_run *r = rule_run_new(rs);
 *	rule_eval(r, &input, &hits, &nhits, &limits, &nlimits);
 *	rule_run_free(r);
 *
 * DESCRIPTION
 *	A run belongs to one message (one thread). It holds the PCRE2 match
 *	data (sized for the set's largest pattern), a match context with match,
 *	depth and heap limits and a JIT stack (kept across runs: keep.h), the
 *	per-rule memo (unknown, being evaluated, false, true) and lazily built
 *	header values (unfolded, and RFC 2047-decoded), so that no rule and no
 *	header is worked on twice. Rules are evaluated in order; a `when` line
 *	pulls the rules it names on demand through the memo. A rule's match
 *	lines are ANDed (each true when any value of its target matches), then
 *	its `when` expression, then any true unless line vetoes it.
 *
 *	Each value is cut to its target's cap before matching: header values
 *	RULE_HEADER_CAP, the raw body and the decoded "body" RULE_BODY_CAP, the rest
 *	RULE_VALUE_CAP. A pattern that runs into a PCRE2 limit does not
 *	match; its rule is false and is listed in the run's limits.
 *
 * THREAD SAFETY
 *	The set is only read; a run must not be shared between threads.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "expr.h"
#include "findings.h"
#include "keep.h"
#include "rfc2047.h"
#include "rules_int.h"

#define WHY_SIZE sizeof(((struct rule_hit *)0)->why)

enum { ST_UNKNOWN, ST_BUSY, ST_FALSE, ST_TRUE };
enum { C_NOMEM = -2, C_LIMIT = -1, C_NO = 0, C_YES = 1 };

/* A header's values as patterns see them, built on first use. */
struct hval {
	char *unf; /* owned: unfolded, or NULL until built */
	size_t unf_len;
	char *dec; /* owned: unfolded and decoded, or NULL until built */
	size_t dec_len;
};

struct rule_run {
	const struct rule_set *rs;   /* borrowed */
	const struct rule_input *in; /* borrowed, during rule_eval only */
	unsigned char *state;        /* owned: ST_* per rule */
	struct rule_hit *hits;       /* owned, in rule order */
	size_t *hit_rule;            /* owned: each hit's rule index */
	size_t nhits, hcap;
	const char **limits; /* owned array (names borrowed from the set) */
	size_t nlimits;
	struct hval *hv; /* owned: one per input header, or NULL */
	size_t nhv;
	struct buf scratch;      /* "Name: value" for the headers target */
	pcre2_match_data *md;    /* owned */
	pcre2_match_context *mc; /* owned */
	pcre2_jit_stack *js;     /* owned, from js_keep: NULL for PCRE2's small default stack */
	struct pf_run *pf;       /* owned: the prefilter's scratch, or NULL (prefilter.c) */
	size_t evals;            /* rules evaluated by the last rule_eval */
	int nomem;
};

/* JIT stacks are kept for the next run (keep.h): making one costs an mmap, and freeing it
 * an munmap with its TLB shootdown across the daemon's threads. */
static void js_free(void *s)
{
	pcre2_jit_stack_free(s);
}
static struct keep js_keep = KEEP_INIT(js_free);

/* rule_run_new - everything a message's evaluation needs */
struct rule_run *rule_run_new(const struct rule_set *rs)
{
	struct rule_run *r = calloc(1, sizeof(*r));
	if (r == NULL)
		return NULL;
	r->rs = rs;
	buf_init(&r->scratch, RULE_HEADER_CAP + 256);
	r->state = calloc(rs->n + 1, 1);
	r->limits = calloc(rs->n + 1, sizeof(*r->limits));
	r->md = pcre2_match_data_create(rs->ovec_pairs, NULL);
	r->mc = pcre2_match_context_create(NULL);
	int pf_nomem;
	r->pf = pf_run_new(rs->pf, &pf_nomem);
	if (pf_nomem || r->state == NULL || r->limits == NULL || r->md == NULL || r->mc == NULL) {
		rule_run_free(r);
		return NULL;
	}
	pcre2_set_match_limit(r->mc, RULE_MATCH_LIMIT);
	pcre2_set_depth_limit(r->mc, RULE_DEPTH_LIMIT);
	pcre2_set_heap_limit(r->mc, RULE_HEAP_LIMIT);
	if (rc_jit()) {
		unsigned long unused;
		r->js = keep_take(&js_keep, &unused);
		if (r->js == NULL)
			r->js = pcre2_jit_stack_create(32 * 1024, RULE_JIT_STACK, NULL);
		if (r->js) /* else PCRE2's small default stack: a deep match hits its limit */
			pcre2_jit_stack_assign(r->mc, NULL, r->js);
	}
	return r;
}

/* drop_headers - forget the last message's header values */
static void drop_headers(struct rule_run *r)
{
	for (size_t i = 0; i < r->nhv; i++) {
		free(r->hv[i].unf);
		free(r->hv[i].dec);
	}
	free(r->hv);
	r->hv = NULL;
	r->nhv = 0;
}

/* rule_run_free - release */
void rule_run_free(struct rule_run *r)
{
	if (r == NULL)
		return;
	drop_headers(r);
	buf_free(&r->scratch);
	free(r->state);
	free(r->hits);
	free(r->hit_rule);
	free(r->limits);
	pcre2_match_data_free(r->md);
	pcre2_match_context_free(r->mc);
	keep_give(&js_keep, r->js, 0);
	pf_run_free(r->pf);
	free(r);
}

/* rule_run_evals - rules evaluated by the last rule_eval */
size_t rule_run_evals(const struct rule_run *r)
{
	return r->evals;
}

/* rule_run_prefilter - the run's prefilter state (tests) */
const struct pf_run *rule_run_prefilter(const struct rule_run *r)
{
	return r->pf;
}

/* unfold - a raw header value without its line breaks and leading blanks */
static char *unfold(const char *v, size_t *len)
{
	struct buf b;
	buf_init(&b, RULE_HEADER_CAP);
	while (*v == ' ' || *v == '\t' || *v == '\r' || *v == '\n')
		v++;
	for (const char *s = v; *s && b.len < RULE_HEADER_CAP;) {
		size_t run = strcspn(s, "\r\n");
		size_t room = RULE_HEADER_CAP - b.len;
		if (buf_add(&b, s, run < room ? run : room) == BUF_NOMEM) {
			buf_free(&b);
			return NULL;
		}
		s += run;
		while (*s == '\r' || *s == '\n')
			s++;
	}
	if (b.data == NULL && buf_add(&b, "", 0) != BUF_OK)
		return NULL;
	*len = b.len;
	return buf_steal(&b);
}

/* header_value - header i unfolded (and decoded); NULL when out of memory */
static const char *header_value(struct rule_run *r, size_t i, int decoded, size_t *len)
{
	if (r->hv == NULL) {
		r->hv = calloc(r->in->nhdr + 1, sizeof(*r->hv));
		if (r->hv == NULL)
			return NULL;
		r->nhv = r->in->nhdr;
	}
	struct hval *h = &r->hv[i];
	if (h->unf == NULL && (h->unf = unfold(r->in->hdrs[i].value, &h->unf_len)) == NULL)
		return NULL;
	if (!decoded) {
		*len = h->unf_len;
		return h->unf;
	}
	if (h->dec == NULL) {
		struct buf b;
		buf_init(&b, RULE_HEADER_CAP);
		if (rfc2047_decode(h->unf, h->unf_len, &b) < 0 ||
		    (b.data == NULL && buf_add(&b, "", 0) != BUF_OK)) {
			buf_free(&b);
			return NULL;
		}
		h->dec_len = b.len;
		h->dec = buf_steal(&b);
	}
	*len = h->dec_len;
	return h->dec;
}

/* quote - s as a quoted, escaped text of at most RULE_WHY_TEXT bytes of s */
static void quote(char *out, size_t size, const char *s, size_t len)
{
	size_t o = 0;
	out[o++] = '"';
	for (size_t i = 0; i < len && i < RULE_WHY_TEXT && o + 6 < size; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '"' || c == '\\')
			o += (size_t)snprintf(out + o, size - o, "\\%c", c);
		else if (c < 0x20 || c > 0x7e)
			o += (size_t)snprintf(out + o, size - o, "\\x%02x", c);
		else
			out[o++] = (char)c;
	}
	if (len > RULE_WHY_TEXT && o + 5 < size)
		o += (size_t)snprintf(out + o, size - o, "...");
	out[o++] = '"';
	out[o] = '\0';
}

/* matched - why = `LABEL matched "TEXT"`, cut short to fit */
static void matched(char *why, const char *label, const char *s, size_t len)
{
	char q[RULE_WHY_TEXT * 4 + 8];
	quote(q, sizeof(q), s, len);
	if (snprintf(why, WHY_SIZE, "%s matched %s", label, q) >= (int)WHY_SIZE)
		memcpy(why + WHY_SIZE - 4, "...", 4); /* a very long header name */
}

/* try - match value vi of nv values of c's target; C_YES with why filled, C_NO, or C_LIMIT */
static int try(struct rule_run *r, const struct rule_cond *c, const char *v, size_t len, size_t vi,
	       size_t nv, char *why)
{
	if (v == NULL)
		return C_NO;
	if (len > c->t->cap)
		len = c->t->cap;
	if (!pf_may(r->pf, c, vi, nv, v, len))
		return C_NO;
	int rc = pcre2_match(c->re, (PCRE2_SPTR)v, len, 0, 0, r->md, r->mc);
	if (rc == PCRE2_ERROR_MATCHLIMIT || rc == PCRE2_ERROR_DEPTHLIMIT ||
	    rc == PCRE2_ERROR_HEAPLIMIT || rc == PCRE2_ERROR_JIT_STACKLIMIT)
		return C_LIMIT;
	if (rc < 0)
		return C_NO;
	PCRE2_SIZE *ov = pcre2_get_ovector_pointer(r->md);
	size_t a = ov[0] < len ? ov[0] : len, b = ov[1] < len ? ov[1] : len;
	matched(why, c->label, v + a, b > a ? b - a : 0);
	return C_YES;
}

/* try_str - one NUL-terminated value, not prefiltered */
static int try_str(struct rule_run *r, const struct rule_cond *c, const char *v, char *why)
{
	return try(r, c, v, v ? strlen(v) : 0, 0, 0, why);
}

/* cond_headers - header:NAME, header:NAME:decoded, headers */
static int cond_headers(struct rule_run *r, const struct rule_cond *c, char *why)
{
	const struct rule_input *in = r->in;
	for (size_t i = 0; i < in->nhdr; i++) {
		if (c->t->kind == TK_HEADER && strcasecmp(in->hdrs[i].name, c->arg) != 0)
			continue;
		size_t len;
		const char *v = header_value(r, i, c->decoded, &len);
		if (v == NULL)
			return C_NOMEM;
		if (c->t->kind == TK_HEADERS) {
			buf_reset(&r->scratch);
			if (buf_printf(&r->scratch, "%s: ", in->hdrs[i].name) == BUF_NOMEM ||
			    buf_add(&r->scratch, v, len) == BUF_NOMEM)
				return C_NOMEM;
			v = r->scratch.data;
			len = r->scratch.len;
		}
		int m = try(r, c, v, len, i, in->nhdr, why);
		if (m != C_NO)
			return m;
	}
	return C_NO;
}

/* cond_many - rcpt, finding:NAME and the extra targets: any value */
static int cond_many(struct rule_run *r, const struct rule_cond *c, char *why)
{
	const struct rule_input *in = r->in;
	int m = C_NO;
	if (c->t->kind == TK_RCPT) {
		for (size_t i = 0; m == C_NO && i < in->nrcpt; i++)
			m = try_str(r, c, in->rcpts[i], why);
	} else if (c->t->kind == TK_FINDING) {
		size_t n = in->findings ? fnd_count(in->findings) : 0;
		for (size_t i = 0; m == C_NO && i < n; i++) {
			const struct finding *f = fnd_at(in->findings, i);
			if (strcmp(f->name, c->arg) == 0)
				m = try_str(r, c, f->value, why);
		}
	} else {
		/* the target's values over every entry that carries it, numbered for the prefilter
		 */
		size_t nv = 0, vi = 0;
		for (size_t e = 0; in->extra && e < in->nextra; e++)
			if (in->extra[e].target && strcmp(in->extra[e].target, c->t->name) == 0)
				nv += in->extra[e].n;
		for (size_t e = 0; m == C_NO && in->extra && e < in->nextra; e++) {
			const struct rule_values *x = &in->extra[e];
			if (x->target == NULL || strcmp(x->target, c->t->name) != 0)
				continue;
			for (size_t i = 0; m == C_NO && i < x->n; i++, vi++) {
				const char *v = x->v[i];
				m = try(r, c, v,
					x->len ? x->len[i]
					: v    ? strlen(v)
					       : 0,
					vi, nv, why);
			}
		}
	}
	return m;
}

/* cond_true - one match or unless line */
static int cond_true(struct rule_run *r, const struct rule_cond *c, char *why)
{
	const struct rule_input *in = r->in;
	if (c->t->how == TM_CIDR) {
		if (c->list && in->client_addr && llist_has_ip(c->list, in->client_addr)) {
			matched(why, c->label, in->client_addr, strlen(in->client_addr));
			return C_YES;
		}
		for (size_t i = 0; in->client_addr && i < c->nnet; i++)
			if (cidr_match(&c->nets[i], in->client_addr)) {
				matched(why, c->label, in->client_addr, strlen(in->client_addr));
				return C_YES;
			}
		return C_NO;
	}
	if (c->t->how == TM_SIZE) {
		double s = (double)in->size;
		int yes = c->op == CMP_LT   ? s < c->num
			  : c->op == CMP_LE ? s <= c->num
			  : c->op == CMP_GT ? s > c->num
			  : c->op == CMP_GE ? s >= c->num
					    : s == c->num;
		if (yes)
			snprintf(why, WHY_SIZE, "%s is %zu bytes", c->label, in->size);
		return yes ? C_YES : C_NO;
	}
	switch (c->t->kind) {
	case TK_HEADER:
	case TK_HEADERS: return cond_headers(r, c, why);
	case TK_CLIENT_NAME: return try_str(r, c, in->client_name, why);
	case TK_HELO: return try_str(r, c, in->helo, why);
	case TK_MAIL_FROM: return try_str(r, c, in->mail_from, why);
	case TK_BODY: return try(r, c, in->body, in->body ? in->body_len : 0, 0, 1, why);
	default: return cond_many(r, c, why);
	}
}

/* add_hit - record rule i as hit, keeping the hits in rule order */
static void add_hit(struct rule_run *r, size_t i, const char *why)
{
	if (r->nhits == r->hcap) {
		size_t ncap = r->hcap ? r->hcap * 2 : 16;
		struct rule_hit *h = realloc(r->hits, ncap * sizeof(*h));
		if (h)
			r->hits = h;
		size_t *x = h ? realloc(r->hit_rule, ncap * sizeof(*x)) : NULL;
		if (x == NULL) {
			r->nomem = 1;
			return;
		}
		r->hit_rule = x;
		r->hcap = ncap;
	}
	size_t at = r->nhits;
	while (at > 0 && r->hit_rule[at - 1] > i)
		at--;
	memmove(r->hits + at + 1, r->hits + at, (r->nhits - at) * sizeof(*r->hits));
	memmove(r->hit_rule + at + 1, r->hit_rule + at, (r->nhits - at) * sizeof(*r->hit_rule));
	r->nhits++;
	r->hit_rule[at] = i;
	const struct rule *ru = &r->rs->rules[i];
	struct rule_hit *h = &r->hits[at];
	*h = (struct rule_hit){.name = ru->name,
			       .file = ru->file,
			       .line = ru->line,
			       .describe = ru->describe,
			       .score = ru->score,
			       .action = ru->action,
			       .rcode = ru->rcode,
			       .xcode = ru->xcode,
			       .text = ru->text,
			       .monitor = ru->monitor};
	snprintf(h->why, sizeof(h->why), "%s", why);
}

static int eval_rule(struct rule_run *r, size_t i);

/* pull - expr.c's callback: a rule's value, evaluated on demand */
static int pull(void *ctx, int index)
{
	struct rule_run *r = ctx;
	return index >= 0 && (size_t)index < r->rs->n ? eval_rule(r, (size_t)index) : 0;
}

/* conds - the rule's match lines, when and unless lines: C_YES, C_NO, C_LIMIT, C_NOMEM */
static int conds(struct rule_run *r, const struct rule *ru, char *why)
{
	char other[WHY_SIZE];
	int res = C_YES;
	for (size_t j = 0; res == C_YES && j < ru->nmatch; j++)
		res = cond_true(r, &ru->match[j], j == 0 ? why : other);
	if (res == C_YES && ru->when) {
		res = rexpr_eval(ru->when, r->in->findings, pull, r) ? C_YES : C_NO;
		if (res == C_YES && ru->nmatch == 0)
			snprintf(why, WHY_SIZE, "when %s", ru->when_text);
	}
	for (size_t j = 0; res == C_YES && j < ru->nunless; j++) {
		int m = cond_true(r, &ru->unless[j], other);
		res = m == C_YES ? C_NO : m == C_NO ? C_YES : m;
	}
	return res;
}

/* eval_rule - rule i's value, through the memo */
static int eval_rule(struct rule_run *r, size_t i)
{
	if (r->state[i] != ST_UNKNOWN)
		return r->state[i] == ST_TRUE; /* ST_BUSY cannot happen: cycles are load errors */
	r->state[i] = ST_BUSY;
	r->evals++;
	const struct rule *ru = &r->rs->rules[i];
	char why[WHY_SIZE] = "";
	int res = conds(r, ru, why);
	if (res == C_LIMIT)
		r->limits[r->nlimits++] = ru->name;
	else if (res == C_NOMEM)
		r->nomem = 1;
	r->state[i] = res == C_YES ? ST_TRUE : ST_FALSE;
	if (res == C_YES)
		add_hit(r, i, why);
	return res == C_YES;
}

/* rule_eval - every rule, once */
int rule_eval(struct rule_run *r, const struct rule_input *in, const struct rule_hit **hits,
	      size_t *nhits, const char *const **limits, size_t *nlimits)
{
	drop_headers(r);
	memset(r->state, ST_UNKNOWN, r->rs->n);
	r->nhits = r->nlimits = r->evals = 0;
	r->nomem = 0;
	r->in = in;
	pf_reset(r->pf);
	for (size_t i = 0; i < r->rs->n; i++)
		eval_rule(r, i);
	r->in = NULL;
	drop_headers(r);
	*hits = r->hits;
	*nhits = r->nhits;
	*limits = r->limits;
	*nlimits = r->nlimits;
	return r->nomem ? -1 : 0;
}

/* rule_action_name - the word rules use */
const char *rule_action_name(enum rule_action a)
{
	switch (a) {
	case RA_ACCEPT: return "accept";
	case RA_TAG: return "tag";
	case RA_QUARANTINE: return "quarantine";
	case RA_TEMPFAIL: return "tempfail";
	case RA_DISCARD: return "discard";
	case RA_REJECT: return "reject";
	default: return "";
	}
}
