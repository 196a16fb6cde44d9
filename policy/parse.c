/*
 * parse.c - read a policy file into an immutable policy.
 *
 * SYNOPSIS
 *	struct policy *pol_load(path, settings, errs)
 *	void pol_free(p)
 *
 * DESCRIPTION
 *	The file is lines of words and "quoted strings" ('\"' and '\\' escape
 *	inside quotes); '#' outside quotes starts a comment at the start of a
 *	line or after white space. The statements (policy/README and
 *	portcullis.policy(5) give the whole grammar):
 *
 *	    tag|tempfail|quarantine|reject at SCORE | off
 *	    reply reject|tempfail|deny "CODE X.Y.Z text"
 *	    subject-prefix "TEXT" | off
 *	    flag-header NAME VALUE | off
 *	    score-header NAME | off
 *	    on CONDITION -> score N | accept | tag | quarantine | discard
 *	                   | reject ["REPLY"] | tempfail ["REPLY"]   [as NAME]
 *	    allow|deny client-ip|helo|sender|from-domain VALUE... [require ...]
 *
 *	CONDITION is the expression language of rules/expr.h over findings.
 *	The built-in policy is the text builtin_text below, which
 *	policy/policy.conf repeats with comments; pol_load(NULL) parses only
 *	that. A file's thresholds, replies and headers replace the defaults one
 *	by one; its `on` lines and lists are all there is (none are added). The
 *	portcullis.conf settings spf_reject_fail and on_dns_error become
 *	`on` actions ahead of the file's own.
 *
 * DIAGNOSTICS
 *	Every error is recorded as "file:line:col: message" and parsing goes
 *	on, so one run shows them all; a file with any error yields no policy.
 *
 * THREAD SAFETY
 *	pol_load uses only its arguments; a loaded policy is immutable.
 */
#include "config.h"

#include "polint.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "errlist.h"
#include "expr.h"
#include "findings.h"
#include "log.h"

#define POL_FILE_MAX (4 * 1024 * 1024)
#define POL_LINE_MAX 8192
#define POL_TOKS 512
#define POL_NAME_MAX 64
#define POL_BUILTIN_NAME "built-in"

/* The built-in policy. policy/policy.conf must say the same (tests/unit/policy_test.c
 * decides a set of messages with both and compares). */
static const char builtin_text[] =
    "tag at 5\n"
    "tempfail off\n"
    "quarantine at 10\n"
    "reject at 15\n"
    "reply reject \"550 5.7.1 Message refused by content policy\"\n"
    "reply tempfail \"451 4.7.1 Message deferred, please try again later\"\n"
    "reply deny \"550 5.7.1 Message refused by local policy\"\n"
    "subject-prefix off\n"
    "flag-header X-Spam-Flag YES\n"
    "score-header X-Portcullis-Score\n"
    "quarantine-to auto\n"
    "released accept\n"
    "on spf = fail -> score 3 as SPF_FAIL\n"
    "on spf = softfail -> score 1 as SPF_SOFTFAIL\n"
    "on spf = permerror -> score 0.5 as SPF_PERMERROR\n"
    "on header.from.count > 1 or header.from.addresses > 1 -> reject"
    " \"550 5.7.1 Message has more than one From address\" as MULTIPLE_FROM\n"
    "on header.from.problem = syntax or header.from.problem = no-domain -> score 5"
    " as FROM_UNREADABLE\n"
    "on dmarc = fail and dmarc.disposition = reject -> reject"
    " \"550 5.7.1 Rejected by the DMARC policy of %{dmarc.header_from}\" as DMARC_REJECT\n"
    "on dmarc = fail and dmarc.disposition = quarantine -> quarantine as DMARC_QUARANTINE\n";

/* statements that may appear once */
enum once {
	O_TH = 0,
	O_REPLY = TH_COUNT,
	O_SUBJECT = O_REPLY + 3,
	O_FLAG,
	O_SCORE,
	O_QTO,
	O_RELEASED,
	O_COUNT
};

struct loader {
	struct pol_ctx c;
	unsigned seen[O_COUNT]; /* line where set, 0: not yet */
	struct pol_tok t[POL_TOKS];
	size_t n;
	unsigned last_line; /* lines in the file */
};

static const char *const th_names[TH_COUNT] = {"tag", "tempfail", "quarantine", "reject"};

/* polx_error - report at a column of the current line */
void polx_error(struct pol_ctx *c, unsigned col, const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	errlist_addc(c->errs, c->path, c->line, col, "%s", msg);
}

/* polx_action_name - display name of an action */
const char *polx_action_name(enum rule_action a)
{
	static const char *const names[] = {"score",    "accept",  "tag",   "quarantine",
					    "tempfail", "discard", "reject"};
	return (unsigned)a < ARRAY_LEN(names) ? names[a] : "?";
}

/* polx_origin - "name:line" or "built-in" */
char *polx_origin(const struct policy *p, unsigned line)
{
	char tmp[512];
	if (strcmp(p->file, POL_BUILTIN_NAME) == 0)
		snprintf(tmp, sizeof(tmp), "%s", POL_BUILTIN_NAME);
	else
		snprintf(tmp, sizeof(tmp), "%s:%u", p->name, line);
	return strdup(tmp);
}

/* unquoted - where what ("#" starting a comment, or "->") first starts in s outside quotes;
 * a comment's '#' starts the line or follows white space */
static char *unquoted(char *s, const char *what)
{
	int inq = 0;
	size_t n = strlen(what);
	for (char *p = s; *p; p++) {
		if (inq && *p == '\\' && p[1])
			p++;
		else if (*p == '"')
			inq = !inq;
		else if (!inq && strncmp(p, what, n) == 0 &&
			 (what[0] != '#' || p == s || p[-1] == ' ' || p[-1] == '\t'))
			return p;
	}
	return NULL;
}

/* tokenize - split s (modified in place) into l->t; col0 is the column of s[0]; -1 after
 * reporting an error */
static int tokenize(struct loader *l, char *s, unsigned col0)
{
	l->n = 0;
	char *p = s;
	for (;;) {
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p == '\0')
			return 0;
		if (l->n == POL_TOKS) {
			polx_error(&l->c, col0 + (unsigned)(p - s), "more than %d words on a line",
				   POL_TOKS);
			return -1;
		}
		struct pol_tok *t = &l->t[l->n++];
		t->col = col0 + (unsigned)(p - s);
		t->quoted = *p == '"';
		if (t->quoted) {
			char *w = ++p;
			t->s = w;
			while (*p && *p != '"') {
				if (*p == '\\' && (p[1] == '"' || p[1] == '\\'))
					p++;
				*w++ = *p++;
			}
			if (*p != '"') {
				polx_error(&l->c, t->col, "unterminated quoted string");
				return -1;
			}
			p++;
			*w = '\0';
			if (*p && *p != ' ' && *p != '\t') {
				polx_error(&l->c, col0 + (unsigned)(p - s),
					   "expected a space after the closing quote");
				return -1;
			}
			if (*p)
				p++;
			continue;
		}
		t->s = p;
		while (*p && *p != ' ' && *p != '\t') {
			if (*p == '"') {
				polx_error(&l->c, col0 + (unsigned)(p - s),
					   "a quote inside a word (put the whole value in quotes)");
				return -1;
			}
			p++;
		}
		if (*p)
			*p++ = '\0';
	}
}

/* parse_score - a decimal number (sign, digits, a fraction), the whole word */
static int parse_score(const char *s, double *out)
{
	size_t lead = (*s == '-' || *s == '+') ? 1 : 0;
	if (!isdigit((unsigned char)s[lead]) || strspn(s + lead, "0123456789.") != strlen(s + lead))
		return -1;
	char *end;
	errno = 0;
	double d = strtod(s, &end);
	if (end == s || *end || errno || !isfinite(d) || d > 1e6 || d < -1e6)
		return -1;
	*out = d;
	return 0;
}

/* code_ok - three digits of class cls */
static int code_ok(const char *s, size_t n, char cls)
{
	return n == 3 && s[0] == cls && isdigit((unsigned char)s[1]) &&
	       isdigit((unsigned char)s[2]);
}

/* xcode_ok - "C.S.D" of class cls, 1-3 digits for subject and detail */
static int xcode_ok(const char *s, size_t n, char cls)
{
	if (n < 5 || n > 9 || s[0] != cls || s[1] != '.')
		return 0;
	size_t i = 2, digits = 0;
	int dots = 0;
	for (; i < n; i++) {
		if (isdigit((unsigned char)s[i]) && ++digits <= 3)
			continue;
		if (s[i] != '.' || digits == 0 || ++dots > 1)
			return 0;
		digits = 0;
	}
	return dots == 1 && digits > 0;
}

/* parse_reply - "550 5.7.1 text" for an action of class cls ('5' or '4') */
static int parse_reply(struct pol_ctx *c, const struct pol_tok *t, char cls, struct pol_reply *r)
{
	const char *s = t->s;
	unsigned col = t->col + 1;
	size_t n = strcspn(s, " ");
	if (!code_ok(s, n, cls)) {
		polx_error(c, col, "expected a reply starting with a %cxx code, such as \"%s\"",
			   cls, cls == '5' ? "550 5.7.1 Message refused" : "451 4.7.1 Try later");
		return -1;
	}
	memcpy(r->rcode, s, 3);
	r->rcode[3] = '\0';
	s += n;
	while (*s == ' ')
		s++;
	n = strcspn(s, " ");
	if (n > 0 && isdigit((unsigned char)s[0]) && strchr(s, '.') && strchr(s, '.') < s + n) {
		if (!xcode_ok(s, n, cls)) {
			polx_error(c, col + (unsigned)(s - t->s),
				   "expected an enhanced status code of class %c, such as %c.7.1",
				   cls, cls);
			return -1;
		}
		memcpy(r->xcode, s, n);
		r->xcode[n] = '\0';
		s += n;
		while (*s == ' ')
			s++;
	}
	for (const char *q = s; *q; q++)
		if (iscntrl((unsigned char)*q)) {
			polx_error(c, col + (unsigned)(q - t->s), "control character in the reply");
			return -1;
		}
	/* %{FINDING}: filled in from the message (decide.c) */
	for (const char *q = strstr(s, "%{"); q; q = strstr(q + 2, "%{")) {
		char name[128];
		if (polx_placeholder(q, name, sizeof(name)) && fnd_known(name))
			continue;
		polx_error(c, col + (unsigned)(q - t->s),
			   "expected %%{FINDING} with the name of a finding, such as "
			   "%%{dmarc.header_from}");
		return -1;
	}
	free(r->text);
	r->text = NULL;
	if (*s && (r->text = strdup(s)) == NULL) {
		polx_error(c, col, "out of memory");
		return -1;
	}
	return 0;
}

/* once - note a statement that may appear once; 0 if this is the first time */
static int once(struct loader *l, enum once which, const struct pol_tok *t)
{
	if (l->seen[which]) {
		polx_error(&l->c, t->col, "'%s' is already set at line %u", t->s, l->seen[which]);
		return -1;
	}
	l->seen[which] = l->c.line;
	return 0;
}

/* stmt_threshold - "ACTION at SCORE" or "ACTION off" */
static void stmt_threshold(struct loader *l, enum pol_th th)
{
	const struct pol_tok *t = l->t;
	struct pol_threshold *h = &l->c.p->th[th];
	if (once(l, (enum once)(O_TH + th), &t[0]) < 0)
		return;
	if (l->n == 2 && strcmp(t[1].s, "off") == 0 && !t[1].quoted) {
		h->on = 0;
		h->line = l->c.line;
		return;
	}
	if (l->n < 2 || strcmp(t[1].s, "at") != 0) {
		polx_error(&l->c, l->n < 2 ? t[0].col : t[1].col,
			   "expected '%s at SCORE' or '%s off'", t[0].s, t[0].s);
		return;
	}
	if (l->n < 3 || parse_score(t[2].s, &h->at) < 0) {
		polx_error(&l->c, l->n < 3 ? t[1].col : t[2].col,
			   "expected a score such as 5 or 7.5 after 'at'");
		return;
	}
	if (l->n > 3) {
		polx_error(&l->c, t[3].col, "unexpected '%s' after the score", t[3].s);
		return;
	}
	h->on = 1;
	h->line = l->c.line;
}

/* stmt_reply - "reply reject|tempfail|deny REPLY" */
static void stmt_reply(struct loader *l)
{
	const struct pol_tok *t = l->t;
	static const char *const which[] = {"reject", "tempfail", "deny"};
	struct policy *p = l->c.p;
	struct pol_reply *r[] = {&p->reply_reject, &p->reply_tempfail, &p->reply_deny};
	size_t i = 0;
	while (l->n >= 2 && i < 3 && strcmp(t[1].s, which[i]) != 0)
		i++;
	if (l->n < 2 || i == 3) {
		polx_error(&l->c, l->n < 2 ? t[0].col : t[1].col,
			   "expected 'reply reject', 'reply tempfail' or 'reply deny'");
		return;
	}
	if (once(l, (enum once)(O_REPLY + i), &t[1]) < 0)
		return;
	if (l->n != 3 || !t[2].quoted) {
		polx_error(&l->c, l->n < 3 ? t[1].col : t[2].col,
			   "expected one quoted reply such as \"%s\"",
			   i == 1 ? "451 4.7.1 Try again later" : "550 5.7.1 Message refused");
		return;
	}
	struct pol_reply nr = {{0}, {0}, NULL};
	if (parse_reply(&l->c, &t[2], i == 1 ? '4' : '5', &nr) < 0) {
		free(nr.text);
		return;
	}
	free(r[i]->text);
	*r[i] = nr;
}

/* header_name_ok - RFC 5322 field name: printable ASCII but ':' */
static int header_name_ok(const char *s)
{
	if (*s == '\0' || strlen(s) > 76)
		return 0;
	for (; *s; s++)
		if (*s < 33 || *s > 126 || *s == ':')
			return 0;
	return 1;
}

/* set_str - replace an owned string (NULL: none); -1 on memory failure (reported) */
static int set_str(struct pol_ctx *c, char **field, const char *s)
{
	char *d = NULL;
	if (s && (d = strdup(s)) == NULL) {
		polx_error(c, 0, "out of memory");
		return -1;
	}
	free(*field);
	*field = d;
	return 0;
}

/* stmt_headers - subject-prefix, flag-header, score-header */
static void stmt_headers(struct loader *l, enum once which)
{
	const struct pol_tok *t = l->t;
	struct policy *p = l->c.p;
	if (once(l, which, &t[0]) < 0)
		return;
	int off = l->n == 2 && !t[1].quoted && strcmp(t[1].s, "off") == 0;
	size_t want = which == O_FLAG ? 3 : 2;
	if (!off && (l->n != want || (which != O_SUBJECT && !header_name_ok(t[1].s)))) {
		const char *form = which == O_SUBJECT ? "subject-prefix \"[SPAM] \""
				   : which == O_FLAG  ? "flag-header NAME VALUE"
						      : "score-header NAME";
		unsigned col = l->n < 2 ? t[0].col : l->n > want ? t[want].col : t[1].col;
		polx_error(&l->c, col, "expected '%s' or '%s off'", form, t[0].s);
		return;
	}
	if (which == O_SUBJECT)
		(void)set_str(&l->c, &p->subject_prefix, off ? NULL : t[1].s);
	else if (which == O_SCORE)
		(void)set_str(&l->c, &p->score_header, off ? NULL : t[1].s);
	else if (set_str(&l->c, &p->flag_name, off ? NULL : t[1].s) == 0)
		(void)set_str(&l->c, &p->flag_value, off ? NULL : t[2].s);
}

/* stmt_word - "quarantine-to auto|store|hold|both" or "released accept|off" */
static void stmt_word(struct loader *l, enum once which)
{
	static const char *const qto[] = {"auto", "store", "hold", "both"};
	static const char *const rel[] = {"off", "accept"};
	const char *const *words = which == O_QTO ? qto : rel;
	size_t nwords = which == O_QTO ? ARRAY_LEN(qto) : ARRAY_LEN(rel), i = 0;
	const struct pol_tok *t = l->t;
	if (once(l, which, &t[0]) < 0)
		return;
	while (l->n == 2 && !t[1].quoted && i < nwords && strcmp(t[1].s, words[i]) != 0)
		i++;
	if (l->n != 2 || i == nwords) {
		polx_error(&l->c, l->n < 2 ? t[0].col : t[1].col, "expected '%s'",
			   which == O_QTO ? "quarantine-to auto, store, hold or both"
					  : "released accept or released off");
		return;
	}
	if (which == O_QTO)
		l->c.p->qdest = (enum pol_qdest)i;
	else {
		l->c.p->released_accept = (int)i;
		l->c.p->released_line = l->c.line;
	}
}

/* add_on - append a copy of o to p->on; -1 on memory failure */
static int add_on(struct policy *p, const struct pol_on *o)
{
	struct pol_on *n = realloc(p->on, (p->non + 1) * sizeof(*n));
	if (n == NULL)
		return -1;
	p->on = n;
	p->on[p->non++] = *o;
	return 0;
}

/* on_free - release one `on` action's contents */
static void on_free(struct pol_on *o)
{
	rexpr_free(o->cond);
	free(o->origin);
	free(o->src);
	free(o->name);
	free(o->reply.text);
}

/* name_ok - a label: letters, digits, '_', '.', '-' */
static int name_ok(const char *s)
{
	size_t n = strlen(s);
	if (n == 0 || n > POL_NAME_MAX)
		return 0;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && !strchr("_.-", *s))
			return 0;
	return 1;
}

/* on_action - the words after "->": the action, its reply or score, "as NAME" */
static int on_action(struct loader *l, struct pol_on *o, unsigned endcol)
{
	static const struct {
		const char *word;
		enum rule_action a;
	} acts[] = {{"score", RA_NONE},       {"accept", RA_ACCEPT},
		    {"tag", RA_TAG},          {"quarantine", RA_QUARANTINE},
		    {"discard", RA_DISCARD},  {"reject", RA_REJECT},
		    {"tempfail", RA_TEMPFAIL}};
	const struct pol_tok *t = l->t;
	size_t i = 0, k = 0;
	while (l->n > 0 && k < ARRAY_LEN(acts) && (t[0].quoted || strcmp(t[0].s, acts[k].word)))
		k++;
	if (l->n == 0 || k == ARRAY_LEN(acts)) {
		polx_error(&l->c, l->n ? t[0].col : endcol,
			   "expected an action after '->': score N, accept, tag, quarantine, "
			   "discard, reject or tempfail");
		return -1;
	}
	o->action = acts[k].a;
	i = 1;
	if (o->action == RA_NONE) {
		if (l->n < 2 || parse_score(t[1].s, &o->score) < 0) {
			polx_error(&l->c, l->n < 2 ? t[0].col : t[1].col,
				   "expected a score such as 3, -2 or 0.5 after 'score'");
			return -1;
		}
		i = 2;
	} else if ((o->action == RA_REJECT || o->action == RA_TEMPFAIL) && l->n > 1 &&
		   t[1].quoted) {
		if (parse_reply(&l->c, &t[1], o->action == RA_REJECT ? '5' : '4', &o->reply) < 0)
			return -1;
		i = 2;
	}
	if (i < l->n && !t[i].quoted && strcmp(t[i].s, "as") == 0) {
		if (i + 1 >= l->n || !name_ok(t[i + 1].s)) {
			polx_error(&l->c, i + 1 < l->n ? t[i + 1].col : t[i].col,
				   "expected a name after 'as' (letters, digits, '_', '.', '-', "
				   "up to %d)",
				   POL_NAME_MAX);
			return -1;
		}
		if ((o->name = strdup(t[i + 1].s)) == NULL)
			return -1;
		i += 2;
	}
	if (i < l->n) {
		polx_error(&l->c, t[i].col, "unexpected '%s' after the action", t[i].s);
		return -1;
	}
	return 0;
}

/* collapse - s with runs of white space as one space, trimmed, malloc'd */
static char *collapse(const char *s)
{
	char *d = malloc(strlen(s) + 1);
	if (d == NULL)
		return NULL;
	size_t n = 0;
	for (; *s; s++)
		if (*s != ' ' && *s != '\t')
			d[n++] = *s;
		else if (n && d[n - 1] != ' ')
			d[n++] = ' ';
	while (n && d[n - 1] == ' ')
		n--;
	d[n] = '\0';
	return d;
}

/* stmt_on - "on CONDITION -> ACTION"; line is the whole line, on the "on" at column col */
static void stmt_on(struct loader *l, char *line, char *on)
{
	struct pol_ctx *c = &l->c;
	char *cond = on + 2;
	char *arrow = unquoted(cond, "->");
	if (arrow == NULL) {
		if (tokenize(l, on, (unsigned)(on - line) + 1) == 0) /* an open quote hides it? */
			polx_error(c, (unsigned)(on - line) + 1,
				   "expected 'on CONDITION -> ACTION'");
		return;
	}
	struct pol_on o = {0};
	*arrow = '\0';
	o.cond =
	    rexpr_parse(cond, c->path, c->line, (unsigned)(cond - line) + 1, NULL, NULL, c->errs);
	char *cond_text = collapse(cond);
	*arrow = '-';
	o.src = collapse(on);
	o.origin = polx_origin(c->p, c->line);
	unsigned acol = (unsigned)(arrow + 2 - line) + 1;
	int rc = tokenize(l, arrow + 2, acol);
	if (rc == 0)
		rc = on_action(l, &o, acol);
	if (rc == 0 && o.name == NULL) {
		o.name = cond_text;
		cond_text = NULL;
	}
	free(cond_text);
	if (o.cond == NULL || rc < 0) {
		on_free(&o);
		return;
	}
	if (o.src == NULL || o.origin == NULL || o.name == NULL || add_on(c->p, &o) < 0) {
		polx_error(c, 0, "out of memory");
		on_free(&o);
	}
}

/* parse_line - one line, NUL-terminated, modified in place */
static void parse_line(struct loader *l, char *line)
{
	size_t len = strlen(line);
	if (len && line[len - 1] == '\r')
		line[--len] = '\0';
	for (size_t i = 0; i < len; i++)
		if (iscntrl((unsigned char)line[i]) && line[i] != '\t') {
			polx_error(&l->c, (unsigned)i + 1, "control character (0x%02x)",
				   (unsigned char)line[i]);
			return;
		}
	char *hash = unquoted(line, "#");
	if (hash)
		*hash = '\0';
	char *s = line;
	while (*s == ' ' || *s == '\t')
		s++;
	if (strncmp(s, "on", 2) == 0 && (s[2] == ' ' || s[2] == '\t' || s[2] == '\0')) {
		stmt_on(l, line, s);
		return;
	}
	if (tokenize(l, line, 1) < 0 || l->n == 0)
		return;
	if (l->t[0].quoted) {
		polx_error(&l->c, l->t[0].col,
			   "a line starts with a statement, not a quoted string");
		return;
	}
	const char *w = l->t[0].s;
	for (int th = 0; th < TH_COUNT; th++)
		if (strcmp(w, th_names[th]) == 0) {
			stmt_threshold(l, (enum pol_th)th);
			return;
		}
	if (strcmp(w, "reply") == 0)
		stmt_reply(l);
	else if (strcmp(w, "subject-prefix") == 0)
		stmt_headers(l, O_SUBJECT);
	else if (strcmp(w, "flag-header") == 0)
		stmt_headers(l, O_FLAG);
	else if (strcmp(w, "score-header") == 0)
		stmt_headers(l, O_SCORE);
	else if (strcmp(w, "quarantine-to") == 0)
		stmt_word(l, O_QTO);
	else if (strcmp(w, "released") == 0)
		stmt_word(l, O_RELEASED);
	else if (strcmp(w, "allow") == 0 || strcmp(w, "deny") == 0)
		polx_list_line(&l->c, l->t, l->n);
	else
		polx_error(
		    &l->c, l->t[0].col,
		    "unknown statement '%s' (expected tag, tempfail, quarantine, reject, "
		    "reply, subject-prefix, flag-header, score-header, quarantine-to, released, "
		    "on, allow or deny)",
		    l->t[0].s);
}

/* parse_text - every line of text (modified in place) */
static void parse_text(struct loader *l, char *text, size_t len)
{
	char *p = text, *end = text + len;
	l->c.line = 0;
	while (p < end) {
		char *nl = memchr(p, '\n', (size_t)(end - p));
		char *stop = nl ? nl : end;
		l->last_line = ++l->c.line;
		if (stop - p > POL_LINE_MAX)
			polx_error(&l->c, 0, "line longer than %d bytes", POL_LINE_MAX);
		else {
			*stop = '\0';
			parse_line(l, p);
		}
		p = stop + 1;
	}
}

/* settings_on - the portcullis.conf settings as `on` actions */
static int settings_on(struct policy *p, struct errlist *errs)
{
	static const struct {
		const char *setting, *cond, *name, *rcode, *xcode, *text;
		enum rule_action a;
	} s[] = {
	    {"spf_reject_fail", "spf = fail", "spf=fail", "550", "5.7.23", "SPF validation failed",
	     RA_REJECT},
	    {"on_dns_error", "spf = temperror", "spf=temperror", "451", "4.7.24",
	     "Temporary DNS failure checking SPF, please try again later", RA_TEMPFAIL},
	};
	int want[] = {p->set.spf_reject_fail, p->set.dns_error_tempfail};
	for (size_t i = 0; i < ARRAY_LEN(s); i++) {
		if (!want[i])
			continue;
		char origin[64], src[128];
		snprintf(origin, sizeof(origin), "portcullis.conf %s", s[i].setting);
		snprintf(src, sizeof(src), "on %s -> %s", s[i].cond, polx_action_name(s[i].a));
		struct pol_on o = {0};
		o.cond = rexpr_parse(s[i].cond, "(settings)", 0, 1, NULL, NULL, errs);
		o.origin = strdup(origin);
		o.src = strdup(src);
		o.name = strdup(s[i].name);
		o.reply.text = strdup(s[i].text);
		o.action = s[i].a;
		snprintf(o.reply.rcode, sizeof(o.reply.rcode), "%s", s[i].rcode);
		snprintf(o.reply.xcode, sizeof(o.reply.xcode), "%s", s[i].xcode);
		if (!o.cond || !o.origin || !o.src || !o.name || !o.reply.text || add_on(p, &o)) {
			on_free(&o);
			return -1;
		}
	}
	return 0;
}

/* check_thresholds - two thresholds at one score would make the band ambiguous; reported
 * at the later line */
static void check_thresholds(struct loader *l)
{
	const struct pol_threshold *th = l->c.p->th;
	for (unsigned line = 1; line <= l->last_line; line++)
		for (int i = 0; i < TH_COUNT; i++) {
			if (!th[i].on || th[i].line != line)
				continue;
			int j = 0;
			while (j < TH_COUNT &&
			       (j == i || !th[j].on || th[j].at != th[i].at || th[j].line > line))
				j++;
			if (j == TH_COUNT)
				continue;
			char where[32] = "by default";
			if (th[j].line)
				snprintf(where, sizeof(where), "at line %u", th[j].line);
			l->c.line = line;
			polx_error(
			    &l->c, 0,
			    "'%s at %g': '%s' is at %g too (%s); each threshold needs its own "
			    "score",
			    th_names[i], th[i].at, th_names[j], th[j].at, where);
		}
}

/* base_name - the part after the last '/' */
static const char *base_name(const char *path)
{
	const char *s = strrchr(path, '/');
	return s ? s + 1 : path;
}

/* load_text - parse the built-in text, then the file's (each may be NULL) */
static void load_text(struct loader *l, const char *path, struct errlist *errs)
{
	char *copy = strdup(builtin_text);
	if (copy == NULL) {
		errlist_add(errs, path, 0, "out of memory");
		return;
	}
	struct policy *p = l->c.p;
	char *saved = p->file;
	size_t non = p->non;
	p->file = (char *)POL_BUILTIN_NAME; /* the defaults' origins say "built-in" */
	l->c.path = POL_BUILTIN_NAME;
	parse_text(l, copy, strlen(copy));
	free(copy);
	p->file = saved;
	memset(l->seen, 0, sizeof(l->seen));
	for (int i = 0; i < TH_COUNT; i++)
		p->th[i].line = 0; /* 0: the default */
	p->released_line = 0;
	if (path == NULL)
		return;
	/* a file's `on` lines and lists are all there is: the built-in ones go */
	while (p->non > non)
		on_free(&p->on[--p->non]);
	l->c.path = path;
	struct buf text;
	buf_init(&text, POL_FILE_MAX);
	if (buf_read_file(&text, path, errs) == 0)
		parse_text(l, text.data ? text.data : "", text.len);
	buf_free(&text);
}

/* pol_load - the built-in defaults, then the file on top; nothing when anything is wrong */
struct policy *pol_load(const char *path, const struct pol_settings *ps, struct errlist *errs)
{
	size_t before = errs->count;
	struct policy *p = calloc(1, sizeof(*p));
	struct loader *l = calloc(1, sizeof(*l));
	if (p == NULL || l == NULL || (p->file = strdup(path ? path : POL_BUILTIN_NAME)) == NULL ||
	    (p->name = strdup(base_name(p->file))) == NULL) {
		errlist_add(errs, path, 0, "out of memory");
		free(l);
		pol_free(p);
		return NULL;
	}
	p->set = *ps;
	l->c.p = p;
	l->c.errs = errs;
	if (settings_on(p, errs) < 0)
		errlist_add(errs, path, 0, "out of memory");
	load_text(l, path, errs);
	check_thresholds(l);
	free(l);
	if (errs->count > before || errs->nomem) {
		pol_free(p);
		return NULL;
	}
	return p;
}

/* pol_free - release */
void pol_free(struct policy *p)
{
	if (p == NULL)
		return;
	for (size_t i = 0; i < p->non; i++)
		on_free(&p->on[i]);
	free(p->on);
	for (size_t i = 0; i < p->nent; i++)
		polx_entry_free(&p->ent[i]);
	free(p->ent);
	free(p->reply_reject.text);
	free(p->reply_tempfail.text);
	free(p->reply_deny.text);
	free(p->subject_prefix);
	free(p->flag_name);
	free(p->flag_value);
	free(p->score_header);
	free(p->file);
	free(p->name);
	free(p);
}
