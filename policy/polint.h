/*
 * polint.h - the loaded policy, shared by parse.c, lists.c and decide.c (private).
 */
#ifndef PORTCULLIS_POLINT_H
#define PORTCULLIS_POLINT_H

#include <stddef.h>

#include "cidr.h"
#include "locallist.h"
#include "policy.h"
#include "rules.h"

struct rexpr;

/* the score thresholds, in the order they are written in the default file */
enum pol_th { TH_TAG = 0, TH_TEMPFAIL, TH_QUARANTINE, TH_REJECT, TH_COUNT };

/* an SMTP reply as written: "550 5.7.1 text" */
struct pol_reply {
	char rcode[4];  /* "" when not given */
	char xcode[16]; /* "" when not given */
	char *text;     /* owned, or NULL */
};

struct pol_threshold {
	int on;        /* 0: "ACTION off" */
	double at;     /* the score from which it applies */
	unsigned line; /* where set, 0 for the default */
};

/* one `on` line, or a portcullis.conf setting acting as one */
struct pol_on {
	struct rexpr *cond; /* owned */
	char *origin;       /* owned: "policy.conf:14" or "spf_reject_fail (portcullis.conf)" */
	char *src;          /* owned: the line from "on" on, for decided_by */
	char *name;         /* owned: the label in reasons and the score header */
	enum rule_action action; /* RA_NONE: the line only scores */
	double score;
	struct pol_reply reply; /* reject and tempfail: rcode "" means the `reply` default */
};

enum pol_kind { PK_CLIENT_IP = 0, PK_HELO, PK_SENDER, PK_FROM_DOMAIN };

#define REQ_DKIM 1u
#define REQ_SPF 2u

/* one value of an allow or deny line */
struct pol_entry {
	int deny;
	enum pol_kind kind;
	char *text;         /* owned: the value as written */
	char *local;        /* owned: the local part of a sender address, or NULL (a domain) */
	char *domain;       /* owned: lower case, no trailing dot (HELO, sender, from-domain) */
	struct cidr net;    /* client-ip */
	struct llist *list; /* owned: the entries of a "file:PATH" value, or NULL */
	unsigned require;   /* REQ_DKIM | REQ_SPF, or 0 */
	int require_all;    /* "require dkim and spf": both, else either */
	char *origin;       /* owned: "policy.conf:20" */
	char *line_text;    /* owned: "allow from-domain partner.example require dkim" */
};

struct policy {
	char *file; /* owned: the path as given, or "(built-in policy)" */
	char *name; /* owned: the file's base name, for decided_by and reasons */
	struct pol_settings set;
	struct pol_threshold th[TH_COUNT];
	struct pol_reply reply_reject, reply_tempfail, reply_deny; /* defaults */
	char *subject_prefix;                                      /* owned, or NULL: none */
	char *flag_name;    /* owned, or NULL: no flag header */
	char *flag_value;   /* owned */
	char *score_header; /* owned, or NULL: no score header */
	struct pol_on *on;  /* owned array: settings first, then the file's lines */
	size_t non;
	struct pol_entry *ent; /* owned array, in file order */
	size_t nent;
	enum pol_qdest qdest;   /* quarantine-to */
	int released_accept;    /* released accept (1) or off (0) */
	unsigned released_line; /* where `released` was set, 0: the default */
};

/* a word or quoted string of a line (quotes removed, escapes resolved) */
struct pol_tok {
	const char *s; /* borrowed from the line buffer */
	unsigned col;  /* 1-based column of its first byte (of the quote, when quoted) */
	int quoted;
};

/* the parser's place */
struct pol_ctx {
	struct policy *p; /* borrowed: being built */
	const char *path; /* borrowed: the file as given, for errors */
	unsigned line;
	struct errlist *errs; /* borrowed */
};

/* the result of matching the lists */
struct pol_match {
	const struct pol_entry *deny;  /* borrowed: the first deny entry that matched, or NULL */
	const struct pol_entry *allow; /* borrowed: the first allow entry that matched (its
					* requirement met), or NULL */
	const struct pol_entry *unmet; /* borrowed: the first allow entry that matched but whose
					* requirement was not met, or NULL */
	const char *deny_what, *allow_what; /* borrowed from the findings: what matched */
};

/* polx_placeholder - at s, a "%{NAME}" reply placeholder? The text after it, with NAME in
 * name (cap bytes); NULL when s is none (or NAME does not fit) */
const char *polx_placeholder(const char *s, char *name, size_t cap);
/* polx_origin - "policy.conf:12" (or "built-in" for the built-in policy), malloc'd */
char *polx_origin(const struct policy *p, unsigned line) WUR;
/* polx_error - report at column col of the current line */
void polx_error(struct pol_ctx *c, unsigned col, const char *fmt, ...) PRINTF_LIKE(3, 4);
/* polx_list_line - one allow or deny line (t[0] is "allow" or "deny") */
void polx_list_line(struct pol_ctx *c, const struct pol_tok *t, size_t n);
/* polx_entry_free - release one entry's contents */
void polx_entry_free(struct pol_entry *e);
/* polx_match - match the lists against the findings */
void polx_match(const struct policy *p, const struct findings *f, struct pol_match *m);
/* polx_action_name - "reject", ...; "score" for RA_NONE (rules.c is not needed here) */
const char *polx_action_name(enum rule_action a);
/* polx_kind_name - "client-ip", "helo", "sender", "from-domain" */
const char *polx_kind_name(enum pol_kind k);
/* polx_domain_in - is d the domain parent or one of its subdomains (ASCII case ignored,
 * a trailing dot on d ignored)? */
int polx_domain_in(const char *d, const char *parent);

#endif
