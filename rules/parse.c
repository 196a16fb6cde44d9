/*
 * parse.c - read rule files (and their includes) into rule records.
 *
 * SYNOPSIS
 *	rp_file(rs, "/etc/portcullis/rules.d/10-gtube.rules", NULL, 0, 0, 0, stack, errs);
 *
 * DESCRIPTION
 *	A file is read whole (at most RULE_FILE_MAX bytes) and checked for NUL
 *	bytes, then line by line: a line of at most RULE_LINE_MAX bytes (a
 *	trailing CR is dropped), no control characters but tabs. The first
 *	word is a keyword: "rule NAME" opens a block that runs to the next
 *	"rule" or "include" line or the end of the file; match, unless, when,
 *	score, action, mode, describe and test lines belong to the open
 *	block; "include" reads another file (relative to this one's
 *	directory) at that point. Patterns are compiled as they are read
 *	(compile.c); `when` lines are kept as text until every rule is known.
 *	Every error is reported and parsing goes on, up to RULE_FILE_ERRORS
 *	errors per file.
 *
 * DIAGNOSTICS
 *	"file:line:col: message"; a file that cannot be read is named at its
 *	include line ("file:line:col: cannot open ...") or on its own.
 *
 * THREAD SAFETY
 *	Loading runs in one thread; the set is not shared until it is done.
 */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "findings.h"
#include "log.h"
#include "rules_int.h"

/* The state of one file being read. */
struct pfile {
	struct rule_set *rs;  /* borrowed */
	struct errlist *errs; /* borrowed */
	const char *file;     /* borrowed from rs->files */
	char *dir;            /* owned: the file's directory, for includes and tests */
	int depth;            /* include nesting */
	char **stack;         /* borrowed: real paths of the files being read */
	long cur;             /* index of the open rule block, or -1 */
	size_t err0;          /* errs->count when the file started */
};

/* keep_string - strdup, reporting failure at the line */
static char *keep_string(struct rule_lexer *lx, const char *s, unsigned col)
{
	char *p = strdup(s);
	if (p == NULL)
		lex_error(lx, col, "out of memory");
	return p;
}

/* expect_end - nothing more on the line */
static void expect_end(struct rule_lexer *lx, struct rule_tok *tok, const char *after)
{
	lex_next(lx, tok);
	if (tok->t != TT_END && tok->t != TT_BAD)
		lex_error(lx, tok->col, "expected the end of the line after %s, found '%s'", after,
			  tok->text);
}

/* cur_rule - the open block, or NULL with an error */
static struct rule *cur_rule(struct pfile *pf, struct rule_lexer *lx, const struct rule_tok *kw)
{
	if (pf->cur >= 0)
		return &pf->rs->rules[pf->cur];
	lex_error(lx, kw->col, "'%s' must follow a 'rule NAME' line", kw->text);
	return NULL;
}

/* once - a setting that may appear once per rule; records its line */
static int once(struct rule_lexer *lx, const struct rule_tok *kw, unsigned *line)
{
	if (*line) {
		lex_error(lx, kw->col, "'%s' is already set for this rule at line %u", kw->text,
			  *line);
		return -1;
	}
	*line = lx->line;
	return 0;
}

/* finish_rule - close the open block: it needs a condition and a score or an action */
static void finish_rule(struct pfile *pf)
{
	if (pf->cur < 0)
		return;
	struct rule *r = &pf->rs->rules[pf->cur];
	pf->cur = -1;
	if (r->name[0] == '\0' || r->broken)
		return; /* an error in the block was reported: the rest would be noise */
	if (r->nmatch == 0 && r->when_text == NULL)
		errlist_addc(pf->errs, r->file, r->line, r->col,
			     "rule '%s' has no 'match' or 'when' line", r->name);
	if (r->score_line == 0 && r->action_line == 0)
		errlist_addc(pf->errs, r->file, r->line, r->col,
			     "rule '%s' has neither a 'score' nor an 'action' (write 'score 0' for "
			     "a rule that only serves other rules' 'when' lines)",
			     r->name);
}

/* name_ok - letters, digits and _, not starting with a digit */
static int name_ok(const char *s)
{
	size_t n = strlen(s);
	if (n == 0 || n > RULE_NAME_MAX || (s[0] >= '0' && s[0] <= '9'))
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= 'a' && s[i] <= 'z') ||
		      (s[i] >= '0' && s[i] <= '9') || s[i] == '_'))
			return 0;
	return 1;
}

/* check_name - is the rule name usable and new? (errors at col) */
static int check_name(struct pfile *pf, struct rule_lexer *lx, const char *name, unsigned col)
{
	if (!name_ok(name)) {
		lex_error(lx, col,
			  "expected a rule name of at most %d letters, digits and '_', not "
			  "starting with a digit, found '%s'",
			  RULE_NAME_MAX, name);
		return -1;
	}
	if (strcmp(name, "and") == 0 || strcmp(name, "or") == 0 || strcmp(name, "not") == 0 ||
	    fnd_known(name)) {
		lex_error(lx, col, "'%s' is %s; choose another rule name", name,
			  fnd_known(name) ? "a finding's name" : "a word of 'when' lines");
		return -1;
	}
	for (size_t i = 0; i < pf->rs->n; i++) {
		const struct rule *o = &pf->rs->rules[i];
		if (strcmp(o->name, name) == 0) {
			lex_error(lx, col, "rule '%s' is already defined at %s:%u", name, o->file,
				  o->line);
			return -1;
		}
	}
	return 0;
}

/* kw_rule - "rule NAME": open a block */
static void kw_rule(struct pfile *pf, struct rule_lexer *lx, struct rule_tok *tok)
{
	finish_rule(pf);
	lex_next(lx, tok);
	if (tok->t == TT_END)
		lex_error(lx, tok->col, "expected a rule name after 'rule'");
	int good = tok->t == TT_WORD && check_name(pf, lx, tok->text, tok->col) == 0;
	if (tok->t == TT_STRING || tok->t == TT_REGEX)
		lex_error(lx, tok->col, "expected a rule name after 'rule'");
	unsigned col = tok->col;
	char *name = keep_string(lx, good ? tok->text : "", col);
	if (good)
		expect_end(lx, tok, "the rule name");
	struct rule_set *rs = pf->rs;
	if (name && rs->n == rs->cap) {
		size_t ncap = rs->cap ? rs->cap * 2 : 64;
		struct rule *p = realloc(rs->rules, ncap * sizeof(*p));
		if (p == NULL) {
			free(name);
			name = NULL;
			lex_error(lx, col, "out of memory");
		} else {
			rs->rules = p;
			rs->cap = ncap;
		}
	}
	if (name == NULL)
		return;
	struct rule *r = &rs->rules[rs->n];
	memset(r, 0, sizeof(*r));
	r->name = name;
	r->file = pf->file;
	r->line = lx->line;
	r->col = col;
	pf->cur = (long)rs->n++;
}

/* number - [-]digits[.digits], with a K/M/G suffix (1024-based) when sizes is set */
static int number(const char *s, int sizes, double *out)
{
	const char *p = s;
	if (*p == '-' && !sizes)
		p++;
	if (*p < '0' || *p > '9')
		return -1;
	while (*p >= '0' && *p <= '9')
		p++;
	if (*p == '.') {
		p++;
		if (*p < '0' || *p > '9')
			return -1;
		while (*p >= '0' && *p <= '9')
			p++;
	}
	if (p - s > 20)
		return -1;
	double v = strtod(s, NULL);
	if (sizes && *p) {
		static const char units[] = "KMG";
		const char *u = strchr(units, *p >= 'a' ? *p - 32 : *p);
		if (u == NULL || *u == '\0')
			return -1;
		for (const char *k = units; k <= u; k++)
			v *= 1024;
		p++;
	}
	if (*p)
		return -1;
	*out = v;
	return 0;
}

/* cond_cidr - one or more address ranges */
static int cond_cidr(struct rule_lexer *lx, struct rule_tok *tok, struct rule_cond *c)
{
	for (lex_next(lx, tok); tok->t == TT_WORD; lex_next(lx, tok)) {
		if (strncmp(tok->text, "file:", 5) == 0) {
			if (c->list || c->nnet) {
				lex_error(lx, tok->col, "a file: list stands alone after %s",
					  c->label);
				return -1;
			}
			char full[4096];
			const char *slash = strrchr(lx->file, '/'), *path = tok->text + 5;
			if (path[0] == '/' || slash == NULL)
				snprintf(full, sizeof(full), "%s", path);
			else
				snprintf(full, sizeof(full), "%.*s/%s", (int)(slash - lx->file),
					 lx->file, path);
			c->list = llist_load(full, LL_IP, lx->errs);
			if (c->list == NULL) {
				lex_error(lx, tok->col, "the list %s did not load", full);
				return -1;
			}
			continue;
		}
		if (c->list) {
			lex_error(lx, tok->col, "a file: list stands alone after %s", c->label);
			return -1;
		}
		struct cidr one;
		if (cidr_parse(tok->text, &one) < 0) {
			lex_error(lx, tok->col, "expected an address or address/bits, found '%s'",
				  tok->text);
			return -1;
		}
		struct cidr *p = realloc(c->nets, (c->nnet + 1) * sizeof(*p));
		if (p == NULL) {
			lex_error(lx, tok->col, "out of memory");
			return -1;
		}
		c->nets = p;
		c->nets[c->nnet++] = one;
	}
	if (tok->t != TT_END || (c->nnet == 0 && c->list == NULL)) {
		lex_error(lx, tok->col, "expected address ranges such as 192.0.2.0/24 after %s",
			  c->label);
		return -1;
	}
	return 0;
}

/* cond_size - "> 5M", ">5M", "<= 100K", "= 0" */
static int cond_size(struct rule_lexer *lx, struct rule_tok *tok, struct rule_cond *c)
{
	static const struct {
		const char *op;
		enum rule_cmp cmp;
	} ops[] = {{"<=", CMP_LE}, {">=", CMP_GE}, {"<", CMP_LT}, {">", CMP_GT}, {"=", CMP_EQ}};
	lex_next(lx, tok);
	size_t i = 0, oplen = 0;
	for (; tok->t == TT_WORD && i < ARRAY_LEN(ops); i++) {
		oplen = strlen(ops[i].op);
		if (strncmp(tok->text, ops[i].op, oplen) == 0)
			break;
	}
	if (tok->t != TT_WORD || i == ARRAY_LEN(ops)) {
		lex_error(lx, tok->col, "expected a comparison such as 'size > 5M'");
		return -1;
	}
	c->op = ops[i].cmp;
	unsigned col = tok->col + (unsigned)oplen;
	const char *num = tok->text + oplen;
	if (*num == '\0') {
		lex_next(lx, tok);
		col = tok->col;
		num = tok->t == TT_WORD ? tok->text : "";
	}
	if (number(num, 1, &c->num) < 0) {
		lex_error(lx, col, "expected a size such as 512K, 5M or 1G after the comparison");
		return -1;
	}
	expect_end(lx, tok, "the size");
	return 0;
}

/* cond_body - what follows the target: a pattern, ranges or a comparison */
static int cond_body(struct pfile *pf, struct rule_lexer *lx, struct rule_tok *tok,
		     struct rule_cond *c)
{
	if (c->t->how == TM_CIDR)
		return cond_cidr(lx, tok, c);
	if (c->t->how == TM_SIZE)
		return cond_size(lx, tok, c);
	lex_next(lx, tok);
	if (tok->t != TT_REGEX) {
		if (tok->t != TT_BAD)
			lex_error(lx, tok->col, "expected a /pattern/ after %s%s%s%s", c->label,
				  tok->t == TT_END ? "" : ", found '",
				  tok->t == TT_END ? "" : tok->text, tok->t == TT_END ? "" : "'");
		return -1;
	}
	if (rc_regex(pf->rs, c, tok->text, tok->len, tok->opts, lx->file, lx->line, tok->pcol,
		     lx->errs) < 0) {
		lx->bad = 1;
		return -1;
	}
	expect_end(lx, tok, "the pattern");
	return lx->bad ? -1 : 0;
}

/* kw_match - "match TARGET ..." and "unless TARGET ..." */
static void kw_match(struct pfile *pf, struct rule_lexer *lx, struct rule_tok *tok)
{
	struct rule *r = cur_rule(pf, lx, tok);
	int unless = strcmp(tok->text, "unless") == 0;
	lex_next(lx, tok);
	if (tok->t != TT_WORD) {
		if (tok->t != TT_BAD)
			lex_error(lx, tok->col, "expected a target such as header:Subject or body");
		return;
	}
	struct rule_cond c = {.line = lx->line, .col = tok->col};
	const char *err = NULL;
	if (tgt_lookup(tok->text, &c.t, &c.arg, &c.decoded, &err) < 0 ||
	    (c.label = strdup(tok->text)) == NULL) {
		lex_error(lx, tok->col, "out of memory");
	} else if (c.t == NULL) {
		lex_error(lx, tok->col, strncmp(err, "unknown", 7) ? "%s, found '%s'" : "%s '%s'",
			  err, tok->text);
	} else if (cond_body(pf, lx, tok, &c) == 0 && r) {
		struct rule_cond **arr = unless ? &r->unless : &r->match;
		size_t *n = unless ? &r->nunless : &r->nmatch;
		struct rule_cond *p = realloc(*arr, (*n + 1) * sizeof(*p));
		if (p) {
			*arr = p;
			p[(*n)++] = c;
			return;
		}
		lex_error(lx, c.col, "out of memory");
	}
	rc_cond_free(&c);
}

/* kw_when - "when EXPRESSION", compiled once every rule is known */
static void kw_when(struct pfile *pf, struct rule_lexer *lx, struct rule_tok *tok)
{
	struct rule *r = cur_rule(pf, lx, tok);
	if (r == NULL || once(lx, tok, &r->when_line) < 0)
		return;
	unsigned col;
	size_t len = lex_rest(lx, &col);
	size_t start = col - 1;
	if (len == 0) {
		lex_error(lx, col, "expected an expression after 'when'");
		return;
	}
	r->when_text = strndup(lx->s + start, len);
	r->when_col = col;
	if (r->when_text == NULL)
		lex_error(lx, col, "out of memory");
}

/* kw_score - "score NUMBER" */
static void kw_score(struct pfile *pf, struct rule_lexer *lx, struct rule_tok *tok)
{
	struct rule *r = cur_rule(pf, lx, tok);
	if (r == NULL || once(lx, tok, &r->score_line) < 0)
		return;
	lex_next(lx, tok);
	if (tok->t != TT_WORD || number(tok->text, 0, &r->score) < 0) {
		lex_error(lx, tok->col, "expected a number such as 2.5 or -1 after 'score'");
		return;
	}
	if (r->score > RULE_SCORE_MAX || r->score < -RULE_SCORE_MAX) {
		lex_error(lx, tok->col, "a score lies between -%.0f and %.0f", RULE_SCORE_MAX,
			  RULE_SCORE_MAX);
		return;
	}
	expect_end(lx, tok, "the score");
}

/* reply - "550 5.7.1 text" for a reject (class 5) or tempfail (class 4) */
static int reply(struct rule *r, struct rule_lexer *lx, const struct rule_tok *tok, char cls)
{
	const char *s = tok->text;
	const char *what = cls == '5' ? "a reject" : "a tempfail";
	if (!(s[0] == cls && s[1] >= '0' && s[1] <= '9' && s[2] >= '0' && s[2] <= '9' &&
	      s[3] == ' ')) {
		lex_error(lx, tok->col + 1, "%s reply starts with a %cxx code, as in \"%s\"", what,
			  cls, cls == '5' ? "550 5.7.1 text" : "451 4.7.1 text");
		return -1;
	}
	size_t i = 4, parts = 0;
	for (; parts < 3; parts++) {
		size_t d = i;
		while (s[i] >= '0' && s[i] <= '9' && i - d < 3)
			i++;
		if (i == d || (parts == 0 && (i - d != 1 || s[d] != cls)) ||
		    (parts < 2 && s[i++] != '.'))
			break;
	}
	if (parts < 3 || (s[i] != ' ' && s[i] != '\0')) {
		lex_error(lx, tok->col + 5,
			  "expected an enhanced status code %c.X.Y after the reply code", cls);
		return -1;
	}
	const char *text = s[i] ? s + i + 1 : "";
	for (const char *p = text; *p; p++)
		if ((unsigned char)*p < 0x20 || (unsigned char)*p > 0x7e) {
			lex_error(lx, tok->col, "a reply text is printable ASCII on one line");
			return -1;
		}
	if (strlen(text) > RULE_TEXT_MAX) {
		lex_error(lx, tok->col, "a reply text is at most %d bytes", RULE_TEXT_MAX);
		return -1;
	}
	r->rcode = strndup(s, 3);
	r->xcode = strndup(s + 4, i - 4);
	r->text = strdup(*text ? text : cls == '5' ? "Message rejected" : "Try again later");
	return 0;
}

/* kw_action - "action NAME [\"CODE X.Y.Z text\"]" */
static void kw_action(struct pfile *pf, struct rule_lexer *lx, struct rule_tok *tok)
{
	static const struct {
		const char *name;
		enum rule_action a;
	} actions[] = {{"accept", RA_ACCEPT},     {"reject", RA_REJECT},
		       {"tempfail", RA_TEMPFAIL}, {"quarantine", RA_QUARANTINE},
		       {"discard", RA_DISCARD},   {"tag", RA_TAG}};
	struct rule *r = cur_rule(pf, lx, tok);
	if (r == NULL || once(lx, tok, &r->action_line) < 0)
		return;
	lex_next(lx, tok);
	size_t i = 0;
	while (tok->t == TT_WORD && i < ARRAY_LEN(actions) && strcmp(tok->text, actions[i].name))
		i++;
	if (tok->t != TT_WORD || i == ARRAY_LEN(actions)) {
		lex_error(lx, tok->col,
			  "expected accept, reject, tempfail, quarantine, discard or tag after "
			  "'action'%s%s%s",
			  tok->t == TT_WORD ? ", found '" : "", tok->t == TT_WORD ? tok->text : "",
			  tok->t == TT_WORD ? "'" : "");
		return;
	}
	r->action = actions[i].a;
	char cls = r->action == RA_REJECT ? '5' : r->action == RA_TEMPFAIL ? '4' : 0;
	lex_next(lx, tok);
	if (tok->t == TT_STRING && cls) {
		if (reply(r, lx, tok, cls) < 0)
			return;
		expect_end(lx, tok, "the reply");
	} else if (tok->t == TT_END && cls) {
		r->rcode = strdup(cls == '5' ? "550" : "451");
		r->xcode = strdup(cls == '5' ? "5.7.1" : "4.7.1");
		r->text = strdup(cls == '5' ? "Message rejected" : "Try again later");
	} else if (tok->t != TT_END && tok->t != TT_BAD) {
		lex_error(lx, tok->col,
			  cls ? "expected a reply in quotes, as in \"550 5.7.1 text\""
			      : "only reject and tempfail take a reply");
		return;
	}
	if (cls && (r->rcode == NULL || r->xcode == NULL || r->text == NULL))
		lex_error(lx, tok->col, "out of memory");
}

/* kw_mode - "mode monitor|enforce" */
static void kw_mode(struct pfile *pf, struct rule_lexer *lx, struct rule_tok *tok)
{
	struct rule *r = cur_rule(pf, lx, tok);
	if (r == NULL || once(lx, tok, &r->mode_line) < 0)
		return;
	lex_next(lx, tok);
	if (tok->t == TT_WORD && strcmp(tok->text, "monitor") == 0)
		r->monitor = 1;
	else if (tok->t != TT_WORD || strcmp(tok->text, "enforce") != 0) {
		lex_error(lx, tok->col, "expected 'monitor' or 'enforce' after 'mode'");
		return;
	}
	expect_end(lx, tok, "the mode");
}

/* kw_describe - "describe \"text\"" */
static void kw_describe(struct pfile *pf, struct rule_lexer *lx, struct rule_tok *tok)
{
	struct rule *r = cur_rule(pf, lx, tok);
	if (r == NULL || once(lx, tok, &r->describe_line) < 0)
		return;
	lex_next(lx, tok);
	if (tok->t != TT_STRING) {
		lex_error(lx, tok->col, "expected a text in quotes after 'describe'");
		return;
	}
	for (size_t i = 0; i < tok->len; i++)
		if ((unsigned char)tok->text[i] < 0x20 || tok->text[i] == 0x7f) {
			lex_error(lx, tok->col, "a description is one line of printable text");
			return;
		}
	if (tok->len > RULE_TEXT_MAX) {
		lex_error(lx, tok->col, "a description is at most %d bytes", RULE_TEXT_MAX);
		return;
	}
	r->describe = keep_string(lx, tok->text, tok->col);
	expect_end(lx, tok, "the description");
}

/* resolve - path relative to dir (absolute paths as they are) */
static char *resolve(const char *dir, const char *path)
{
	struct buf b;
	buf_init(&b, PATH_MAX);
	int rc = path[0] == '/' ? buf_adds(&b, path) : buf_printf(&b, "%s/%s", dir, path);
	if (rc != BUF_OK) {
		buf_free(&b);
		return NULL;
	}
	return buf_steal(&b);
}

/* add_test - append one test to the set */
static void add_test(struct pfile *pf, struct rule_lexer *lx, const struct rule *r, int hit,
		     char *path, char *text, size_t len)
{
	struct rule_set *rs = pf->rs;
	if (rs->ntests == rs->tcap) {
		size_t ncap = rs->tcap ? rs->tcap * 2 : 16;
		struct rule_test *p = realloc(rs->tests, ncap * sizeof(*p));
		if (p == NULL) {
			free(path);
			free(text);
			lex_error(lx, 1, "out of memory");
			return;
		}
		rs->tests = p;
		rs->tcap = ncap;
	}
	rs->tests[rs->ntests++] = (struct rule_test){.rule = r->name,
						     .file = pf->file,
						     .line = lx->line,
						     .expect_hit = hit,
						     .msg_path = path,
						     .msg_text = text,
						     .msg_len = len};
}

/* kw_test - "test hit|miss \"file\"" or "test hit|miss text \"message\"" */
static void kw_test(struct pfile *pf, struct rule_lexer *lx, struct rule_tok *tok)
{
	struct rule *r = cur_rule(pf, lx, tok);
	if (r == NULL)
		return;
	lex_next(lx, tok);
	int hit = tok->t == TT_WORD && strcmp(tok->text, "hit") == 0;
	if (!hit && (tok->t != TT_WORD || strcmp(tok->text, "miss") != 0)) {
		lex_error(lx, tok->col, "expected 'hit' or 'miss' after 'test'");
		return;
	}
	lex_next(lx, tok);
	int inline_text = tok->t == TT_WORD && strcmp(tok->text, "text") == 0;
	if (inline_text)
		lex_next(lx, tok);
	if (tok->t != TT_STRING || tok->len == 0) {
		lex_error(lx, tok->col,
			  inline_text ? "expected a message in quotes after 'text'"
				      : "expected a message file in quotes, or text \"message\"");
		return;
	}
	size_t len = tok->len;
	char *path = NULL, *text = NULL;
	if (inline_text) {
		text = tok->text;
		tok->text = NULL;
	} else if ((path = resolve(pf->dir, tok->text)) == NULL) {
		lex_error(lx, tok->col, "message file name too long");
		return;
	}
	add_test(pf, lx, r, hit, path, text, len);
	expect_end(lx, tok, "the test message");
}

/* kw_include - "include \"file\"": read it here */
static void kw_include(struct pfile *pf, struct rule_lexer *lx, struct rule_tok *tok)
{
	finish_rule(pf);
	unsigned col = tok->col;
	lex_next(lx, tok);
	if (tok->t != TT_STRING || tok->len == 0) {
		lex_error(lx, tok->col, "expected a file name in quotes after 'include'");
		return;
	}
	char *path = resolve(pf->dir, tok->text);
	if (path == NULL) {
		lex_error(lx, tok->col, "file name too long");
		return;
	}
	expect_end(lx, tok, "the file name");
	if (!lx->bad)
		rp_file(pf->rs, path, pf->file, lx->line, col, pf->depth + 1, pf->stack, pf->errs);
	free(path);
}

/* parse_line - one line: a keyword and what it takes */
static void parse_line(struct pfile *pf, struct rule_lexer *lx)
{
	static const struct {
		const char *kw;
		void (*fn)(struct pfile *, struct rule_lexer *, struct rule_tok *);
	} kws[] = {{"rule", kw_rule},      {"match", kw_match},       {"unless", kw_match},
		   {"when", kw_when},      {"score", kw_score},       {"action", kw_action},
		   {"mode", kw_mode},      {"describe", kw_describe}, {"test", kw_test},
		   {"include", kw_include}};
	struct rule_tok tok = {0};
	lex_next(lx, &tok);
	if (tok.t == TT_WORD) {
		size_t i = 0;
		while (i < ARRAY_LEN(kws) && strcmp(kws[i].kw, tok.text) != 0)
			i++;
		if (i < ARRAY_LEN(kws))
			kws[i].fn(pf, lx, &tok);
		else
			lex_error(lx, tok.col,
				  "unknown keyword '%s' (expected rule, include, match, unless, "
				  "when, score, action, mode, describe or test)",
				  tok.text);
	} else if (tok.t != TT_END) {
		lex_error(lx, tok.col, "expected a keyword such as rule, match or score");
	}
	lex_free(&tok);
}

/* parse_text - every line of a file's text (no NUL inside) */
static void parse_text(struct pfile *pf, char *text, size_t len)
{
	unsigned lineno = 0;
	for (size_t pos = 0; pos < len;) {
		char *line = text + pos;
		char *nl = memchr(line, '\n', len - pos);
		size_t n = nl ? (size_t)(nl - line) : len - pos;
		pos += n + 1;
		lineno++;
		if (n && line[n - 1] == '\r')
			n--;
		line[n] = '\0';
		struct rule_lexer lx = {
		    .s = line, .file = pf->file, .line = lineno, .errs = pf->errs};
		if (pf->errs->count - pf->err0 >= RULE_FILE_ERRORS) {
			lex_error(&lx, 0, "too many errors; the rest of this file is not read");
			return;
		}
		if (n > RULE_LINE_MAX)
			lex_error(&lx, RULE_LINE_MAX + 1, "line longer than %d bytes",
				  RULE_LINE_MAX);
		for (size_t i = 0; !lx.bad && i < n; i++)
			if (((unsigned char)line[i] < 0x20 && line[i] != '\t') || line[i] == 0x7f) {
				lex_error(&lx, (unsigned)i + 1,
					  "control character 0x%02x; is this a text file?",
					  (unsigned char)line[i]);
				break;
			}
		if (!lx.bad)
			parse_line(pf, &lx);
		if (lx.bad && pf->cur >= 0)
			pf->rs->rules[pf->cur].broken = 1;
	}
}

/* slurp - the whole file, at most RULE_FILE_MAX bytes; errno set on failure (EFBIG: too
 * large) */
static char *slurp(const char *path, size_t *len)
{
	FILE *fp = fopen(path, "rb");
	if (fp == NULL)
		return NULL;
	struct buf b;
	buf_init(&b, RULE_FILE_MAX);
	char chunk[8192];
	size_t n;
	int rc = BUF_OK;
	while (rc == BUF_OK && (n = fread(chunk, 1, sizeof(chunk), fp)) > 0)
		rc = buf_add(&b, chunk, n);
	int err = rc == BUF_TOOBIG ? EFBIG : rc != BUF_OK ? ENOMEM : ferror(fp) ? EIO : 0;
	fclose(fp);
	if (err == 0 && buf_add(&b, "", 0) != BUF_OK)
		err = ENOMEM;
	if (err) {
		buf_free(&b);
		errno = err;
		return NULL;
	}
	*len = b.len;
	return buf_steal(&b);
}

/* open_file - register path in the set, check the include stack, read the text; NULL with
 * the error reported */
static char *open_file(struct pfile *pf, const char *path, const char *includer, unsigned line,
		       unsigned col, size_t *len)
{
	struct rule_set *rs = pf->rs;
	const char *where = includer ? includer : path;
	if (pf->depth > RULE_INCLUDE_DEPTH) {
		errlist_addc(pf->errs, where, line, col, "includes nested deeper than %d",
			     RULE_INCLUDE_DEPTH);
		return NULL;
	}
	char *real = realpath(path, NULL);
	for (int i = 0; real && i < pf->depth; i++)
		if (strcmp(pf->stack[i], real) == 0) {
			errlist_addc(pf->errs, where, line, col,
				     "include cycle: \"%s\" is already being read", path);
			free(real);
			return NULL;
		}
	char *text = real ? slurp(path, len) : NULL;
	if (text == NULL) {
		int e = errno;
		char ebuf[256], big[64];
		snprintf(big, sizeof(big), "larger than %u bytes", RULE_FILE_MAX);
		const char *msg = e == EFBIG ? big : log_strerror(e, ebuf, sizeof(ebuf));
		if (includer)
			errlist_addc(pf->errs, includer, line, col, "cannot read \"%s\": %s", path,
				     msg);
		else
			errlist_add(pf->errs, path, 0, "cannot read: %s", msg);
		free(real);
		return NULL;
	}
	if (rs->nfiles == rs->fcap) {
		size_t ncap = rs->fcap ? rs->fcap * 2 : 16;
		char **p = realloc(rs->files, ncap * sizeof(*p));
		if (p)
			rs->files = p, rs->fcap = ncap;
	}
	char *name = rs->nfiles < rs->fcap ? strdup(path) : NULL;
	const char *slash = strrchr(path, '/');
	pf->dir = slash ? strndup(path, (size_t)(slash - path) + (slash == path)) : strdup(".");
	if (name == NULL || pf->dir == NULL) {
		errlist_add(pf->errs, path, 0, "out of memory");
		free(name);
		free(text);
		free(real);
		return NULL;
	}
	pf->stack[pf->depth] = real;
	pf->file = rs->files[rs->nfiles++] = name;
	return text;
}

/* rp_file - read one file into the set */
void rp_file(struct rule_set *rs, const char *path, const char *includer, unsigned line,
	     unsigned col, int depth, char **stack, struct errlist *errs)
{
	struct pfile pf = {
	    .rs = rs, .errs = errs, .depth = depth, .stack = stack, .cur = -1, .err0 = errs->count};
	size_t len = 0;
	char *text = open_file(&pf, path, includer, line, col, &len);
	if (text) {
		const char *nul = memchr(text, '\0', len);
		if (nul) {
			unsigned ln = 1, c = 1;
			for (const char *p = text; p < nul; p++, c++)
				if (*p == '\n')
					ln++, c = 0;
			errlist_addc(errs, pf.file, ln, c, "NUL byte; is this a text file?");
		} else {
			parse_text(&pf, text, len);
			finish_rule(&pf);
		}
	}
	free(text);
	free(pf.dir);
	if (depth <= RULE_INCLUDE_DEPTH) {
		free(stack[depth]);
		stack[depth] = NULL;
	}
}
