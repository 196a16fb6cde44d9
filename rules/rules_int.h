/*
 * rules_int.h - the inside of a rule set, shared by the rule modules (target.c, parse.c,
 * compile.c, eval.c) and their unit tests; nothing else includes it.
 */
#ifndef PORTCULLIS_RULES_INT_H
#define PORTCULLIS_RULES_INT_H

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <stddef.h>
#include <stdint.h>

#include "cidr.h"
#include "locallist.h"
#include "compat.h"
#include "errlist.h"
#include "rules.h"

struct rexpr;

/* Limits on rule files (documented in rules/README and portcullis.rules(5)). */
#define RULE_FILE_MAX (4u * 1024 * 1024) /* bytes in one rule file */
#define RULE_LINE_MAX 8192               /* bytes in one line */
#define RULE_INCLUDE_DEPTH 8             /* include nesting */
#define RULE_FILE_ERRORS 20              /* errors reported per file before giving up on it */
#define RULE_NAME_MAX 64                 /* bytes in a rule name */
#define RULE_TEXT_MAX 200                /* bytes in describe text and in reply text */
#define RULE_SCORE_MAX 100000.0          /* |score| */
#define RULE_META_DEPTH 32               /* rules chained through `when` lines */

/* Limits on matching (per value of a target, per pattern). */
#define RULE_HEADER_CAP (32u * 1024)  /* unfolded or decoded header value */
#define RULE_BODY_CAP (1024u * 1024)  /* raw body */
#define RULE_VALUE_CAP (64u * 1024)   /* envelope values, findings, extra values */
#define RULE_MATCH_LIMIT 100000u      /* pcre2_set_match_limit */
#define RULE_DEPTH_LIMIT 5000u        /* pcre2_set_depth_limit */
#define RULE_HEAP_LIMIT (20u * 1024)  /* pcre2_set_heap_limit, KiB */
#define RULE_JIT_STACK (1024u * 1024) /* the most a run's JIT stack grows to */
#define RULE_WHY_TEXT 60              /* bytes of matched text quoted in rule_hit.why */

/* Where a target's values come from. */
enum tkind {
	TK_HEADER,      /* header:NAME, header:NAME:decoded */
	TK_HEADERS,     /* every header as "Name: value" */
	TK_CLIENT_IP,   /* rule_input.client_addr */
	TK_CLIENT_NAME, /* rule_input.client_name */
	TK_HELO,        /* rule_input.helo */
	TK_MAIL_FROM,   /* rule_input.mail_from */
	TK_RCPT,        /* each of rule_input.rcpts */
	TK_SIZE,        /* rule_input.size */
	TK_BODY,        /* rule_input.body */
	TK_FINDING,     /* finding:NAME */
	TK_EXTRA,       /* rule_input.extra[] entries named like the target */
};

/* What a match line holds after the target. */
enum tmatch { TM_REGEX, TM_CIDR, TM_SIZE };

/* What may follow "target:" (TA_NONE: the target takes no argument). */
enum targ { TA_NONE, TA_HEADER, TA_FINDING };

/* One row of the target table (target.c). */
struct rule_target {
	const char *name; /* as written in rules (before any ":ARG") */
	enum tkind kind;
	enum targ arg;
	enum tmatch how;
	size_t cap; /* bytes of each value that patterns see */
};

enum rule_cmp { CMP_LT, CMP_LE, CMP_GT, CMP_GE, CMP_EQ };

/* One match or unless line. */
struct rule_cond {
	const struct rule_target *t; /* borrowed from the table */
	char *label;                 /* owned: the target as written, "header:Subject" */
	char *arg;                   /* owned: header or finding name, or NULL */
	int decoded;                 /* header:NAME:decoded */
	pcre2_code *re;              /* owned (TM_REGEX) */
	char *pat;          /* owned (TM_REGEX): the pattern for prefilter.c ("(?x)" first for x) */
	uint32_t opts;      /* TM_REGEX: its PCRE2 options */
	int pf;             /* its prefilter group, or -1 (prefilter.c) */
	unsigned pf_id;     /* its pattern's id in that group */
	struct cidr *nets;  /* owned array (TM_CIDR) */
	struct llist *list; /* owned: a "file:PATH" list of networks (TM_CIDR), or NULL */
	size_t nnet;
	enum rule_cmp op; /* TM_SIZE */
	double num;       /* TM_SIZE: bytes */
	unsigned line, col;
};

/* One rule. Single-valued settings remember their line to name it in "already set". */
struct rule {
	char *name;       /* owned; "" when the rule line was bad */
	int broken;       /* a line of the block was reported: no further checks */
	const char *file; /* borrowed from the set's file list */
	unsigned line, col;
	struct rule_cond *match; /* owned array, ANDed */
	size_t nmatch;
	struct rule_cond *unless; /* owned array, any one vetoes */
	size_t nunless;
	char *when_text;    /* owned: the expression as written, or NULL */
	struct rexpr *when; /* owned, compiled once every rule is known */
	unsigned when_line, when_col;
	double score;
	unsigned score_line; /* 0: no score */
	enum rule_action action;
	char *rcode, *xcode, *text; /* owned: reject/tempfail reply, else NULL */
	unsigned action_line;       /* 0: no action line */
	int monitor;
	unsigned mode_line;
	char *describe; /* owned, or NULL */
	unsigned describe_line;
};

/* A whole loaded set. */
struct rule_set {
	struct rule *rules; /* owned array, in load order */
	size_t n, cap;
	char **files; /* owned: every file read, each owned */
	size_t nfiles, fcap;
	struct rule_test *tests; /* owned array; msg_path and msg_text owned */
	size_t ntests, tcap;
	uint32_t ovec_pairs; /* match data pairs the largest pattern needs */
	struct pf_set *pf;   /* owned: the Hyperscan prefilter, or NULL (prefilter.c) */
};

/* One line's tokens (lex.c). The line is NUL-terminated and holds no control characters
 * but tabs. The first error on a line is reported and ends it (lx->bad). */
struct rule_lexer {
	const char *s; /* borrowed: the line */
	size_t pos;    /* next unread byte */
	const char *file;
	unsigned line;
	struct errlist *errs; /* borrowed */
	int bad;
};

enum rule_ttype { TT_END, TT_WORD, TT_STRING, TT_REGEX, TT_BAD };

struct rule_tok {
	enum rule_ttype t;
	unsigned col;  /* where the token starts */
	char *text;    /* owned: the word, the string (escapes resolved) or the pattern */
	size_t len;    /* bytes in text */
	uint32_t opts; /* TT_REGEX: PCRE2 options from the flags */
	unsigned pcol; /* TT_REGEX: column of the pattern's first byte */
};

/* lex_next - the next token (any previous text in tok is freed); TT_BAD after an error
 * (reported, lx->bad set) or when out of memory */
void lex_next(struct rule_lexer *lx, struct rule_tok *tok);
/* lex_rest - the rest of the line up to a comment, blanks trimmed, and its column */
size_t lex_rest(struct rule_lexer *lx, unsigned *col);
/* lex_error - report at col (first error of the line only) */
void lex_error(struct rule_lexer *lx, unsigned col, const char *fmt, ...) PRINTF_LIKE(3, 4);
/* lex_free - release a token's text */
void lex_free(struct rule_tok *tok);

/* tgt_lookup - the table row for a target as written (e.g. "header:Subject:decoded");
 * NULL with a message for the user in *err. On success *arg is the argument (owned by the
 * caller, NULL when none) and *decoded is set. -1 only when out of memory. */
int tgt_lookup(const char *text, const struct rule_target **t, char **arg, int *decoded,
	       const char **err) WUR;

/* rp_file - parse one file (and its includes) into rs; includer/line/col name the include
 * line (NULL for a top-level file). Errors go to errs. */
void rp_file(struct rule_set *rs, const char *path, const char *includer, unsigned line,
	     unsigned col, int depth, char **stack, struct errlist *errs);

/* rc_regex - compile /pattern/flags of a cond (flags: PCRE2 options); 0, or -1 with the
 * error in errs (col: the column of the pattern's first byte) */
int rc_regex(struct rule_set *rs, struct rule_cond *c, const char *pat, size_t len, uint32_t opts,
	     const char *file, unsigned line, unsigned col, struct errlist *errs) WUR;
/* rc_jit - does this PCRE2 have a JIT for this machine? */
int rc_jit(void);
/* rc_cond_free - release what a cond owns */
void rc_cond_free(struct rule_cond *c);

/* The prefilter (prefilter.c): one Hyperscan scan per long value for all its patterns. */
struct pf_set;
struct pf_run;
/* pf_build - after the set is compiled; 0, or -1 when out of memory (no prefilter then) */
int pf_build(struct rule_set *rs) WUR;
void pf_free(struct pf_set *ps);
/* pf_groups - targets that have a database (tests) */
size_t pf_groups(const struct pf_set *ps);
/* pf_run_new - a run's scratch; NULL without a prefilter, or (*nomem set) out of memory */
struct pf_run *pf_run_new(const struct pf_set *ps, int *nomem);
void pf_run_free(struct pf_run *p);
/* pf_reset - forget the last message's scans */
void pf_reset(struct pf_run *p);
/* pf_may - can c's pattern match value vi (of nv values of its target), v (len bytes)?
 * 0 only when Hyperscan ruled it out */
int pf_may(struct pf_run *p, const struct rule_cond *c, size_t vi, size_t nv, const char *v,
	   size_t len);
/* pf_skips - PCRE2 calls the prefilter saved since the run began (tests) */
size_t pf_skips(const struct pf_run *p);

/* rule_run_prefilter - the run's prefilter state, or NULL (tests) */
const struct pf_run *rule_run_prefilter(const struct rule_run *r);

/* rule_run_evals - how many rules the run has evaluated in its last rule_eval (tests) */
size_t rule_run_evals(const struct rule_run *r);

#endif
