/*
 * expr.c - boolean conditions over rule results and findings.
 *
 * SYNOPSIS
 *	e = rexpr_parse("LOTTERY and dmarc != pass", file, line, col, lookup, ctx, errs);
 *	if (rexpr_eval(e, findings, rule_result, ctx)) ...
 *
 * DESCRIPTION
 *	A recursive-descent parser (the grammar is in expr.h) builds a small
 *	tree; evaluation short-circuits, so a rule named on the right of a
 *	false "and" is not run for it. Nesting is limited to EXPR_DEPTH_MAX.
 *	Errors name the column of the offending token.
 *
 * THREAD SAFETY
 *	A parsed expression is immutable.
 */
#include "config.h"

#include "expr.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "findings.h"

#define EXPR_DEPTH_MAX 64
#define EXPR_TEXT_MAX 4096

enum kind { E_AND, E_OR, E_NOT, E_RULE, E_HAS, E_EQ, E_NE, E_LT, E_LE, E_GT, E_GE };

struct rexpr {
	enum kind k;
	struct rexpr *a, *b; /* owned operands (E_AND, E_OR: both; E_NOT: a) */
	int rule;            /* E_RULE: the caller's index */
	char *name;          /* owned: the finding's name */
	char *value;         /* owned: E_EQ, E_NE */
	double num;          /* E_LT .. E_GE */
};

enum tok { T_END, T_WORD, T_STR, T_LP, T_RP, T_OP, T_BAD };

struct parser {
	const char *s; /* whole text */
	size_t pos;    /* next unread byte */
	const char *file;
	unsigned line, col0;
	int (*rule_index)(void *, const char *);
	void *ctx;
	struct errlist *errs;
	int failed;
	/* the current token */
	enum tok t;
	size_t tpos;   /* where it starts */
	char tok[256]; /* its text (a word, the unquoted string or the operator) */
	int too_long;
};

/* word_char - may a NAME or bare VALUE hold c? */
static int word_char(int c)
{
	return isalnum(c) || c == '_' || c == '.' || c == ':' || c == '-' || c == '@' || c == '/' ||
	       c == '+' || c == '*';
}

/* error - report at the current token */
static void error(struct parser *p, const char *what)
{
	if (p->failed)
		return; /* one error per expression: the rest would be noise */
	p->failed = 1;
	const char *near = p->t == T_END ? "end of line" : p->tok;
	errlist_addc(p->errs, p->file, p->line, p->col0 + (unsigned)p->tpos, "%s, found '%s'", what,
		     near);
}

/* next - read the next token */
static void next(struct parser *p)
{
	const char *s = p->s;
	while (s[p->pos] == ' ' || s[p->pos] == '\t')
		p->pos++;
	p->tpos = p->pos;
	p->tok[0] = '\0';
	p->too_long = 0;
	char c = s[p->pos];
	size_t n = 0;
	if (c == '\0') {
		p->t = T_END;
		return;
	}
	if (c == '(' || c == ')') {
		p->t = c == '(' ? T_LP : T_RP;
		p->tok[0] = c;
		p->tok[1] = '\0';
		p->pos++;
		return;
	}
	if (c == '=' || c == '!' || c == '<' || c == '>') {
		p->tok[n++] = c;
		p->pos++;
		if (s[p->pos] == '=')
			p->tok[n++] = s[p->pos++];
		p->tok[n] = '\0';
		p->t = strcmp(p->tok, "!") == 0 || strcmp(p->tok, "==") == 0 ? T_BAD : T_OP;
		return;
	}
	if (c == '"') {
		p->pos++;
		while (s[p->pos] && s[p->pos] != '"') {
			char ch = s[p->pos++];
			if (ch == '\\' && s[p->pos])
				ch = s[p->pos++];
			if (n + 1 < sizeof(p->tok))
				p->tok[n++] = ch;
			else
				p->too_long = 1;
		}
		p->tok[n] = '\0';
		if (s[p->pos] != '"') {
			p->t = T_BAD;
			snprintf(p->tok, sizeof(p->tok), "\"");
			return;
		}
		p->pos++;
		p->t = T_STR;
		return;
	}
	if (word_char((unsigned char)c)) {
		while (word_char((unsigned char)s[p->pos])) {
			if (n + 1 < sizeof(p->tok))
				p->tok[n++] = s[p->pos];
			else
				p->too_long = 1;
			p->pos++;
		}
		p->tok[n] = '\0';
		p->t = T_WORD;
		return;
	}
	p->tok[0] = c;
	p->tok[1] = '\0';
	p->pos++;
	p->t = T_BAD;
}

/* node - a new node; NULL (and an error) when out of memory */
static struct rexpr *node(struct parser *p, enum kind k)
{
	struct rexpr *e = calloc(1, sizeof(*e));
	if (e == NULL) {
		p->failed = 1;
		errlist_addc(p->errs, p->file, p->line, p->col0, "out of memory");
		return NULL;
	}
	e->k = k;
	return e;
}

/* is_kw - is the current token the keyword kw? */
static int is_kw(const struct parser *p, const char *kw)
{
	return p->t == T_WORD && strcmp(p->tok, kw) == 0;
}

/* number - "12", "1.5", "64K", "10M", "1G" */
static int number(const char *s, double *out)
{
	char *end;
	double v = strtod(s, &end);
	if (end == s)
		return -1;
	if (*end == 'K' || *end == 'k')
		v *= 1024, end++;
	else if (*end == 'M' || *end == 'm')
		v *= 1024 * 1024, end++;
	else if (*end == 'G' || *end == 'g')
		v *= 1024.0 * 1024 * 1024, end++;
	if (*end != '\0')
		return -1;
	*out = v;
	return 0;
}

static struct rexpr *parse_or(struct parser *p, int depth);

/* parse_name - NAME [op VALUE] */
static struct rexpr *parse_name(struct parser *p)
{
	if (p->t != T_WORD || is_kw(p, "and") || is_kw(p, "or")) {
		error(p, "expected a rule or finding name");
		return NULL;
	}
	if (p->too_long) {
		error(p, "name too long");
		return NULL;
	}
	char name[256];
	size_t name_pos = p->tpos;
	snprintf(name, sizeof(name), "%s", p->tok);
	int idx = p->rule_index ? p->rule_index(p->ctx, name) : -1;
	next(p);
	if (idx >= 0) {
		if (p->t == T_OP) {
			error(p, "a rule is true or false: it takes no comparison");
			return NULL;
		}
		struct rexpr *e = node(p, E_RULE);
		if (e)
			e->rule = idx;
		return e;
	}
	if (!fnd_known(name)) {
		size_t save = p->tpos;
		p->tpos = name_pos;
		snprintf(p->tok, sizeof(p->tok), "%s", name);
		p->t = T_WORD;
		error(p, p->rule_index ? "unknown rule or finding" : "unknown finding");
		p->tpos = save;
		return NULL;
	}
	enum kind k = E_HAS;
	if (p->t == T_OP) {
		static const struct {
			const char *op;
			enum kind k;
		} ops[] = {{"=", E_EQ},  {"!=", E_NE}, {"<", E_LT},
			   {"<=", E_LE}, {">", E_GT},  {">=", E_GE}};
		for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++)
			if (strcmp(p->tok, ops[i].op) == 0)
				k = ops[i].k;
		next(p);
		if (p->t != T_WORD && p->t != T_STR) {
			error(p, "expected a value after the comparison");
			return NULL;
		}
		if (p->too_long) {
			error(p, "value too long");
			return NULL;
		}
	}
	struct rexpr *e = node(p, k);
	if (e == NULL)
		return NULL;
	e->name = strdup(name);
	if (k == E_EQ || k == E_NE)
		e->value = strdup(p->tok);
	if (e->name == NULL || ((k == E_EQ || k == E_NE) && e->value == NULL)) {
		rexpr_free(e);
		p->failed = 1;
		errlist_addc(p->errs, p->file, p->line, p->col0, "out of memory");
		return NULL;
	}
	if (k == E_EQ || k == E_NE) {
		next(p);
	} else if (k != E_HAS) {
		if (number(p->tok, &e->num) < 0) {
			error(p, "expected a number (optionally with K, M or G)");
			rexpr_free(e);
			return NULL;
		}
		next(p);
	}
	return e;
}

/* parse_factor - not, parentheses, or a name */
static struct rexpr *parse_factor(struct parser *p, int depth)
{
	if (depth > EXPR_DEPTH_MAX) {
		error(p, "expression nested too deeply");
		return NULL;
	}
	if (is_kw(p, "not")) {
		next(p);
		struct rexpr *a = parse_factor(p, depth + 1);
		if (a == NULL)
			return NULL;
		struct rexpr *e = node(p, E_NOT);
		if (e == NULL) {
			rexpr_free(a);
			return NULL;
		}
		e->a = a;
		return e;
	}
	if (p->t == T_LP) {
		next(p);
		struct rexpr *e = parse_or(p, depth + 1);
		if (e == NULL)
			return NULL;
		if (p->t != T_RP) {
			error(p, "expected ')'");
			rexpr_free(e);
			return NULL;
		}
		next(p);
		return e;
	}
	return parse_name(p);
}

/* parse_chain - operands joined by one keyword ("and": factors, "or": terms) */
static struct rexpr *parse_chain(struct parser *p, int depth, const char *kw, enum kind k,
				 struct rexpr *(*operand)(struct parser *, int))
{
	struct rexpr *left = operand(p, depth + 1);
	while (left && is_kw(p, kw)) {
		next(p);
		struct rexpr *right = operand(p, depth + 1);
		struct rexpr *e = right ? node(p, k) : NULL;
		if (e == NULL) {
			rexpr_free(left);
			rexpr_free(right);
			return NULL;
		}
		e->a = left;
		e->b = right;
		left = e;
	}
	return left;
}

/* parse_and - factors joined by "and" */
static struct rexpr *parse_and(struct parser *p, int depth)
{
	return parse_chain(p, depth, "and", E_AND, parse_factor);
}

/* parse_or - terms joined by "or" */
static struct rexpr *parse_or(struct parser *p, int depth)
{
	if (depth > EXPR_DEPTH_MAX) {
		error(p, "expression nested too deeply");
		return NULL;
	}
	return parse_chain(p, depth, "or", E_OR, parse_and);
}

/* rexpr_parse - the whole text must be one expression */
struct rexpr *rexpr_parse(const char *text, const char *file, unsigned line, unsigned col,
			  int (*rule_index)(void *ctx, const char *name), void *ctx,
			  struct errlist *errs)
{
	struct parser p = {.s = text,
			   .file = file,
			   .line = line,
			   .col0 = col ? col : 1,
			   .rule_index = rule_index,
			   .ctx = ctx,
			   .errs = errs};
	if (strlen(text) > EXPR_TEXT_MAX) {
		errlist_addc(errs, file, line, p.col0, "expression longer than %d bytes",
			     EXPR_TEXT_MAX);
		return NULL;
	}
	next(&p);
	if (p.t == T_END) {
		error(&p, "expected an expression");
		return NULL;
	}
	struct rexpr *e = parse_or(&p, 0);
	if (e && p.t != T_END) {
		error(&p, p.t == T_RP ? "unbalanced ')'" : "expected 'and', 'or' or the end");
		rexpr_free(e);
		return NULL;
	}
	if (p.failed) {
		rexpr_free(e);
		return NULL;
	}
	return e;
}

/* rexpr_free - the tree */
void rexpr_free(struct rexpr *e)
{
	if (e == NULL)
		return;
	rexpr_free(e->a);
	rexpr_free(e->b);
	free(e->name);
	free(e->value);
	free(e);
}

/* finding_test - E_HAS, E_EQ and the orderings: does one value of the finding pass? */
static int finding_test(const struct rexpr *e, const struct findings *f)
{
	size_t n = f ? fnd_count(f) : 0;
	for (size_t i = 0; i < n; i++) {
		const struct finding *x = fnd_at(f, i);
		if (strcmp(x->name, e->name) != 0)
			continue;
		if (e->k == E_HAS)
			return 1;
		if (e->k == E_EQ || e->k == E_NE) {
			if (strcasecmp(x->value, e->value) == 0)
				return 1;
			continue;
		}
		double v;
		char *end;
		v = strtod(x->value, &end);
		if (end == x->value)
			continue;
		if ((e->k == E_LT && v < e->num) || (e->k == E_LE && v <= e->num) ||
		    (e->k == E_GT && v > e->num) || (e->k == E_GE && v >= e->num))
			return 1;
	}
	return 0;
}

/* rexpr_eval - short-circuit evaluation */
int rexpr_eval(const struct rexpr *e, const struct findings *f, int (*rule)(void *ctx, int index),
	       void *ctx)
{
	switch (e->k) {
	case E_AND: return rexpr_eval(e->a, f, rule, ctx) && rexpr_eval(e->b, f, rule, ctx);
	case E_OR: return rexpr_eval(e->a, f, rule, ctx) || rexpr_eval(e->b, f, rule, ctx);
	case E_NOT: return !rexpr_eval(e->a, f, rule, ctx);
	case E_RULE: return rule ? rule(ctx, e->rule) != 0 : 0;
	case E_NE: {
		struct rexpr eq = *e;
		eq.k = E_EQ;
		return !finding_test(&eq, f);
	}
	default: return finding_test(e, f);
	}
}

/* rexpr_rules - collect rule indexes */
size_t rexpr_rules(const struct rexpr *e, int *out, size_t max)
{
	if (e == NULL)
		return 0;
	if (e->k == E_RULE) {
		if (max > 0)
			out[0] = e->rule;
		return 1;
	}
	size_t n = rexpr_rules(e->a, out, max);
	return n + rexpr_rules(e->b, out + (n < max ? n : max), n < max ? max - n : 0);
}
