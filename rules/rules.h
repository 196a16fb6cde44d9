/*
 * rules.h - the rule language: load (parse and compile), evaluate, explain.
 *
 * A rule set is everything in rules_dir (*.rules in name order, with their
 * includes), compiled once into the generation and shared read-only by all
 * threads. A rule run is one message's evaluation: it owns the per-message
 * memo (each rule runs at most once) and the PCRE2 match data and JIT stack.
 * The grammar is documented in rules/README and portcullis.rules(5).
 */
#ifndef PORTCULLIS_RULES_H
#define PORTCULLIS_RULES_H

#include <stddef.h>

#include "compat.h"
#include "errlist.h"

struct findings;
struct rule_set;
struct rule_run;

/* A direct action. RA_NONE: the rule only scores. */
enum rule_action {
	RA_NONE = 0,
	RA_ACCEPT,
	RA_TAG,
	RA_QUARANTINE,
	RA_TEMPFAIL,
	RA_DISCARD,
	RA_REJECT,
};

/* One header as received: name without the colon, value raw (folding kept). */
struct rule_header {
	const char *name;  /* borrowed */
	const char *value; /* borrowed */
};

/* A named list of values for a target the core does not know itself (the MIME issue adds
 * "text", "url", "url-domain", "attachment:name", "attachment:type" this way). */
struct rule_values {
	const char *target;   /* borrowed: the target's name as written in rules */
	const char *const *v; /* borrowed array */
	const size_t *len;    /* borrowed: lengths of v[i] (values may hold NULs) */
	size_t n;
};

/* The message as rules see it. Everything is borrowed from the caller for the length of
 * rule_eval. Strings are NUL-terminated; the body is not (use body_len). */
struct rule_input {
	const struct rule_header *hdrs;
	size_t nhdr;
	const char *client_addr; /* textual IP, or "unknown" */
	const char *client_name; /* the MTA's PTR name, or "unknown" */
	const char *helo;        /* "" when none */
	const char *mail_from;   /* without angle brackets; "" for the null sender */
	const char *const *rcpts;
	size_t nrcpt;
	size_t size;      /* message bytes (headers and body) */
	const char *body; /* the raw body as received (CRLF), at most its first body_len bytes */
	size_t body_len;
	const struct findings *findings; /* checks' results (spf, dkim, dmarc, dnsbl:..., ...) */
	const struct rule_values *extra; /* further targets, or NULL */
	size_t nextra;
};

/* One rule that hit (or, mode monitor, would have hit). */
struct rule_hit {
	const char *name;     /* borrowed from the rule set */
	const char *file;     /* borrowed: where the rule is defined */
	unsigned line;        /* its "rule" line */
	const char *describe; /* borrowed, or NULL */
	double score;
	enum rule_action action;
	const char *rcode, *xcode, *text; /* borrowed: the reply of a reject/tempfail, else NULL */
	int monitor;                      /* mode monitor: logged as "would hit", no effect */
	char why[200]; /* what matched: `header:Subject matched "you have won..."`, cut short */
};

/* A rule's in-file test: run the message through the pipeline, expect the rule to hit or
 * not. */
struct rule_test {
	const char *rule;     /* borrowed: the rule the test belongs to */
	const char *file;     /* borrowed: the rule file */
	unsigned line;        /* the test line */
	int expect_hit;       /* 1: must hit; 0: must not */
	const char *msg_path; /* borrowed: message file (resolved against the rule file's
			       * directory), or NULL */
	const char *msg_text; /* borrowed: inline message text (escapes resolved), or NULL */
	size_t msg_len;
};

/* rule_load - every *.rules file in dir, in name order (a missing or empty directory is an
 * empty set); NULL with every error as "file:line:col: message" in errs */
struct rule_set *rule_load(const char *dir, struct errlist *errs) WUR;
/* rule_load_file - one file (and its includes) */
struct rule_set *rule_load_file(const char *path, struct errlist *errs) WUR;
/* rule_free - release */
void rule_free(struct rule_set *rs);
/* rule_count - rules in the set */
size_t rule_count(const struct rule_set *rs);
/* rule_tests - the in-file tests, in file order */
const struct rule_test *rule_tests(const struct rule_set *rs, size_t *n);
/* rule_known_target - is name a target rules may match (for the policy's lists too) */
int rule_known_target(const char *name);

/* rule_run_new - a per-message evaluation context; NULL when out of memory */
struct rule_run *rule_run_new(const struct rule_set *rs) WUR;
/* rule_run_free - release */
void rule_run_free(struct rule_run *r);
/* rule_eval - evaluate every rule once against in. Hits (monitor ones included, flagged)
 * are the run's, valid until rule_run_free, in rule order. A regex that hits its match or
 * depth limit does not match, and is reported in *limits (rule names, the run's).
 * -1 only when out of memory. */
int rule_eval(struct rule_run *r, const struct rule_input *in, const struct rule_hit **hits,
	      size_t *nhits, const char *const **limits, size_t *nlimits) WUR;
/* rule_action_name - "reject", ...; "" for RA_NONE */
const char *rule_action_name(enum rule_action a);

#endif
