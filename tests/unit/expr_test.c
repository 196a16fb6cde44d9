/*
 * expr_test.c - conditions over rules and findings: parsing, errors with columns,
 * evaluation (short-circuit included), and the rules an expression names.
 *
 * OUTPUT
 *	TAP on stdout (see tap.h).
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "errlist.h"
#include "expr.h"
#include "findings.h"
#include "tap.h"

static const char *const rule_names[] = {"LOTTERY", "FREEMAIL", "EXE", "NEVER"};
static int rule_values[] = {1, 0, 1, 0};
static int rule_calls[4];

/* lookup - index of a rule name, or -1 */
static int lookup(void *ctx, const char *name)
{
	(void)ctx;
	for (int i = 0; i < 4; i++)
		if (strcmp(rule_names[i], name) == 0)
			return i;
	return -1;
}

/* result - a rule's value, counting calls */
static int result(void *ctx, int i)
{
	(void)ctx;
	rule_calls[i]++;
	return rule_values[i];
}

/* test_eval - table of expressions and their values */
static void test_eval(const struct findings *f)
{
	static const struct {
		const char *text;
		int want;
	} cases[] = {
	    {"LOTTERY", 1},
	    {"FREEMAIL", 0},
	    {"not FREEMAIL", 1},
	    {"LOTTERY and EXE", 1},
	    {"LOTTERY and FREEMAIL", 0},
	    {"FREEMAIL or EXE", 1},
	    {"not (LOTTERY and EXE)", 0},
	    {"not not LOTTERY", 1},
	    {"FREEMAIL or LOTTERY and EXE", 1}, /* and binds tighter */
	    {"(FREEMAIL or LOTTERY) and NEVER", 0},
	    {"spf = fail", 1},
	    {"spf = FAIL", 1}, /* case ignored */
	    {"spf = pass", 0},
	    {"spf != pass", 1},
	    {"spf != fail", 0},
	    {"dmarc != pass", 1}, /* absent */
	    {"dmarc = pass", 0},
	    {"dmarc", 0},
	    {"spf", 1},
	    {"dkim = pass", 1}, /* one of several values */
	    {"dkim = fail", 1},
	    {"dkim = none", 0},
	    {"size.bytes > 100K", 1},
	    {"size.bytes > 200K", 0},
	    {"size.bytes >= 150000", 1},
	    {"size.bytes < 1M", 1},
	    {"size.bytes <= 149999", 0},
	    {"dnsbl:zen.example.org", 1},
	    {"dnsbl:zen.example.org = \"127.0.0.2\"", 1},
	    {"LOTTERY and dmarc != pass and not allowlisted", 1},
	    {"envelope.helo = mx.example.test", 1},
	};
	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		struct errlist errs;
		errlist_init(&errs);
		struct rexpr *e = rexpr_parse(cases[i].text, "t.rules", 1, 10, lookup, NULL, &errs);
		if (!ok(e != NULL, "parse: %s", cases[i].text)) {
			for (size_t j = 0; j < errs.count; j++)
				diag("%s", errs.msgs[j]);
		} else
			is_int(rexpr_eval(e, f, result, NULL), cases[i].want, "eval: %s",
			       cases[i].text);
		rexpr_free(e);
		errlist_free(&errs);
	}
}

/* test_short_circuit - a false "and" does not ask for its right side */
static void test_short_circuit(const struct findings *f)
{
	struct errlist errs;
	errlist_init(&errs);
	struct rexpr *e = rexpr_parse("FREEMAIL and EXE", "t", 1, 1, lookup, NULL, &errs);
	memset(rule_calls, 0, sizeof(rule_calls));
	ok(e && rexpr_eval(e, f, result, NULL) == 0 && rule_calls[2] == 0,
	   "FREEMAIL and EXE: EXE is not asked for");
	rexpr_free(e);
	e = rexpr_parse("LOTTERY or EXE", "t", 1, 1, lookup, NULL, &errs);
	memset(rule_calls, 0, sizeof(rule_calls));
	ok(e && rexpr_eval(e, f, result, NULL) == 1 && rule_calls[2] == 0,
	   "LOTTERY or EXE: EXE is not asked for");
	rexpr_free(e);
	e = rexpr_parse("(LOTTERY or spf) and not (EXE and NEVER) or FREEMAIL", "t", 1, 1, lookup,
			NULL, &errs);
	int idx[8];
	size_t n = e ? rexpr_rules(e, idx, 8) : 0;
	ok(n == 4 && idx[0] == 0 && idx[1] == 2 && idx[2] == 3 && idx[3] == 1,
	   "rexpr_rules lists the rules named, in order (%zu)", n);
	ok(e && rexpr_rules(e, idx, 2) == 4, "rexpr_rules counts past max");
	rexpr_free(e);
	errlist_free(&errs);
}

/* test_errors - each bad expression: one error naming file:line:col */
static void test_errors(void)
{
	static const struct {
		const char *text;
		const char *want;
	} cases[] = {
	    {"", "t.rules:3:5: expected an expression, found 'end of line'"},
	    {"LOTTERY and", "t.rules:3:16: expected a rule or finding name, found 'end of line'"},
	    {"NOPE", "t.rules:3:5: unknown rule or finding, found 'NOPE'"},
	    {"LOTTERY and spff = fail", "t.rules:3:17: unknown rule or finding, found 'spff'"},
	    {"LOTTERY = 1",
	     "t.rules:3:13: a rule is true or false: it takes no comparison, found '='"},
	    {"(LOTTERY", "t.rules:3:13: expected ')', found 'end of line'"},
	    {"LOTTERY)", "t.rules:3:12: unbalanced ')', found ')'"},
	    {"LOTTERY EXE", "t.rules:3:13: expected 'and', 'or' or the end, found 'EXE'"},
	    {"spf =", "t.rules:3:10: expected a value after the comparison, found 'end of line'"},
	    {"size.bytes > lots",
	     "t.rules:3:18: expected a number (optionally with K, M or G), found 'lots'"},
	    {"spf == fail", "t.rules:3:9: expected 'and', 'or' or the end, found '=='"},
	    {"spf = \"fail", "t.rules:3:11: expected a value after the comparison, found '\"'"},
	    {"LOTTERY & EXE", "t.rules:3:13: expected 'and', 'or' or the end, found '&'"},
	    {"and", "t.rules:3:5: expected a rule or finding name, found 'and'"},
	};
	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		struct errlist errs;
		errlist_init(&errs);
		struct rexpr *e = rexpr_parse(cases[i].text, "t.rules", 3, 5, lookup, NULL, &errs);
		ok(e == NULL, "refused: %s", cases[i].text);
		is_int((int)errs.count, 1, "one error: %s", cases[i].text);
		is_str(errs.count ? errs.msgs[0] : NULL, cases[i].want, "message: %s",
		       cases[i].text);
		rexpr_free(e);
		errlist_free(&errs);
	}
	/* without a rule lookup (the policy's lists), rule names are unknown findings */
	struct errlist errs;
	errlist_init(&errs);
	struct rexpr *e = rexpr_parse("LOTTERY", "p.conf", 2, 4, NULL, NULL, &errs);
	ok(e == NULL && errs.count == 1 &&
	       strcmp(errs.msgs[0], "p.conf:2:4: unknown finding, found 'LOTTERY'") == 0,
	   "no lookup: a rule name is an unknown finding");
	errlist_free(&errs);
	/* nesting is bounded */
	char deep[400];
	size_t n = 0;
	for (int i = 0; i < 150; i++)
		deep[n++] = '(';
	snprintf(deep + n, sizeof(deep) - n, "spf");
	errlist_init(&errs);
	e = rexpr_parse(deep, "t", 1, 1, lookup, NULL, &errs);
	ok(e == NULL && errs.count == 1 && strstr(errs.msgs[0], "nested too deeply"),
	   "150 parentheses: nested too deeply");
	errlist_free(&errs);
}

int main(void)
{
	struct findings *f = fnd_new();
	if (f == NULL || fnd_add(f, "spf", "fail") < 0 || fnd_add(f, "dkim", "pass") < 0 ||
	    fnd_add(f, "dkim", "fail") < 0 || fnd_add(f, "size.bytes", "150000") < 0 ||
	    fnd_add(f, "dnsbl:zen.example.org", "127.0.0.2") < 0 ||
	    fnd_add(f, "envelope.helo", "mx.example.test") < 0) {
		printf("Bail out! no memory\n");
		return 1;
	}
	test_eval(f);
	test_short_circuit(f);
	test_errors();
	fnd_free(f);
	return done_testing();
}
