/*
 * expr.h - boolean conditions over rule results and findings, shared by rule `when`
 * lines and the policy's `on` lines.
 *
 *	expr    := term { "or" term }
 *	term    := factor { "and" factor }
 *	factor  := "not" factor | "(" expr ")" | NAME [ op VALUE ]
 *	op      := "=" | "!=" | "<" | "<=" | ">" | ">="
 *
 * NAME is a rule (when the caller's lookup knows it) or a finding (fnd_known); anything
 * else is an error. A rule takes no operator. A bare finding is true when the message has
 * it; NAME = VALUE is true when one of its values equals VALUE (ASCII case ignored),
 * NAME != VALUE when none does (also when the finding is absent); the ordering operators
 * compare numbers (VALUE may end in K, M or G).
 */
#ifndef PORTCULLIS_EXPR_H
#define PORTCULLIS_EXPR_H

#include <stddef.h>

#include "compat.h"
#include "errlist.h"

struct findings;
struct rexpr;

/* rexpr_parse - compile text (found at file:line, starting at column col); rule_index(ctx,
 * name) gives a rule's index or -1 (NULL: no rules may be named). NULL with the errors,
 * "file:line:col: ...", in errs. */
struct rexpr *rexpr_parse(const char *text, const char *file, unsigned line, unsigned col,
			  int (*rule_index)(void *ctx, const char *name), void *ctx,
			  struct errlist *errs) WUR;
/* rexpr_free - release */
void rexpr_free(struct rexpr *e);
/* rexpr_eval - the value of e; rule(ctx, index) gives a rule's result (0 or 1) */
int rexpr_eval(const struct rexpr *e, const struct findings *f, int (*rule)(void *ctx, int index),
	       void *ctx);
/* rexpr_rules - the rule indexes e names, into out (up to max); how many there are */
size_t rexpr_rules(const struct rexpr *e, int *out, size_t max);

#endif
