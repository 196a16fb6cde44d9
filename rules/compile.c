/*
 * compile.c - load a rule set: parse the files, compile patterns, resolve `when` lines,
 * reject cycles; all or nothing.
 *
 * SYNOPSIS
 *	struct rule_set *rs = rule_load("/etc/portcullis/rules.d", &errs);
 *	struct rule_set *rs = rule_load_file("local.rules", &errs);
 *	rule_count(rs); rule_tests(rs, &n); rule_free(rs);
 *
 * DESCRIPTION
 *	rule_load reads every *.rules file of a directory in name order
 *	(strcmp, so "10-x.rules" before "20-y.rules"); names starting with a
 *	dot are skipped. Patterns are compiled with PCRE2 as they are read,
 *	and JIT-compiled where the library has a JIT: a JIT failure there is
 *	an error, not a silent fallback to the interpreter. Once every file
 *	is read, `when` lines are compiled (rules/expr.c) against the names of
 *	all rules, and the graph of rules naming rules is searched for cycles
 *	and for chains deeper than RULE_META_DEPTH (which bounds the
 *	evaluator's recursion). Any error anywhere: no set at all.
 *
 * DIAGNOSTICS
 *	"file:line:col: message" into the caller's errlist, every one.
 *
 * THREAD SAFETY
 *	A loaded set is immutable: any number of threads may evaluate it,
 *	each with its own rule_run.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "expr.h"
#include "log.h"
#include "rules_int.h"

/* rc_jit - does this PCRE2 have a JIT for this machine? */
int rc_jit(void)
{
	uint32_t jit = 0;
	return pcre2_config(PCRE2_CONFIG_JIT, &jit) >= 0 && jit == 1;
}

/* rc_regex - compile and JIT one pattern */
int rc_regex(struct rule_set *rs, struct rule_cond *c, const char *pat, size_t len, uint32_t opts,
	     const char *file, unsigned line, unsigned col, struct errlist *errs)
{
	int ec;
	PCRE2_SIZE off;
	PCRE2_UCHAR msg[256];
	c->re = pcre2_compile((PCRE2_SPTR)pat, len, opts, &ec, &off, NULL);
	if (c->re == NULL) {
		pcre2_get_error_message(ec, msg, sizeof(msg));
		errlist_addc(errs, file, line, col + (unsigned)(off < len ? off : len),
			     "bad pattern: %s (at offset %zu)", (const char *)msg, (size_t)off);
		return -1;
	}
	if (rc_jit() && (ec = pcre2_jit_compile(c->re, PCRE2_JIT_COMPLETE)) != 0) {
		pcre2_get_error_message(ec, msg, sizeof(msg));
		errlist_addc(errs, file, line, col, "pattern cannot be JIT-compiled: %s",
			     (const char *)msg);
		pcre2_code_free(c->re);
		c->re = NULL;
		return -1;
	}
	c->opts = opts;
	c->pf = -1;
	/* Hyperscan knows the x flag only inline */
	const char *x = opts & PCRE2_EXTENDED ? "(?x)" : "";
	if ((c->pat = malloc(strlen(x) + len + 1)) == NULL) {
		errlist_add(errs, file, line, "out of memory");
		return -1;
	}
	memcpy(c->pat, x, strlen(x));
	memcpy(c->pat + strlen(x), pat, len);
	c->pat[strlen(x) + len] = '\0';
	uint32_t captures = 0;
	if (pcre2_pattern_info(c->re, PCRE2_INFO_CAPTURECOUNT, &captures) == 0 &&
	    captures + 1 > rs->ovec_pairs)
		rs->ovec_pairs = captures + 1;
	return 0;
}

/* rc_cond_free - what one condition owns */
void rc_cond_free(struct rule_cond *c)
{
	free(c->label);
	free(c->arg);
	free(c->pat);
	pcre2_code_free(c->re);
	free(c->nets);
	llist_free(c->list);
}

/* rule_index - expr.c's lookup: the index of a rule called name, or -1 */
static int rule_index(void *ctx, const char *name)
{
	const struct rule_set *rs = ctx;
	for (size_t i = 0; i < rs->n; i++)
		if (rs->rules[i].name[0] && strcmp(rs->rules[i].name, name) == 0)
			return (int)i;
	return -1;
}

/* report_cycle - "A -> B -> A", from v's place on the DFS stack to u and back to v */
static void report_cycle(const struct rule_set *rs, const size_t *stack, size_t sp, size_t v,
			 struct errlist *errs)
{
	size_t from = sp;
	while (from > 0 && stack[from - 1] != v)
		from--;
	struct buf b;
	buf_init(&b, 1024);
	int rc = 0;
	for (size_t i = from ? from - 1 : 0; i < sp && rc == 0; i++)
		rc = buf_printf(&b, "%s -> ", rs->rules[stack[i]].name);
	if (rc == 0)
		rc = buf_adds(&b, rs->rules[v].name);
	const struct rule *u = &rs->rules[stack[sp - 1]];
	errlist_addc(errs, u->file, u->when_line, u->when_col,
		     "rules name each other in a cycle: %s%s", b.data ? b.data : "",
		     rc ? " ..." : "");
	buf_free(&b);
}

/* The graph search's state: an explicit stack, so a long chain cannot overflow ours. */
struct graph {
	int **deps;           /* owned: the rules each rule's `when` names */
	size_t *ndep;         /* owned */
	unsigned char *color; /* owned: 0 unseen, 1 on the stack, 2 done */
	unsigned *height;     /* owned: the longest chain of rules from here */
	size_t *next;         /* owned: the next dependency to visit */
	size_t *stack;        /* owned */
};

/* visit - depth-first from s: report cycles and chains deeper than RULE_META_DEPTH */
static void visit(const struct rule_set *rs, struct graph *g, size_t s, struct errlist *errs)
{
	size_t sp = 0;
	g->stack[sp++] = s;
	g->color[s] = 1;
	while (sp > 0) {
		size_t u = g->stack[sp - 1];
		if (g->next[u] < g->ndep[u]) {
			size_t v = (size_t)g->deps[u][g->next[u]++];
			if (g->color[v] == 0) {
				g->color[v] = 1;
				g->stack[sp++] = v;
			} else if (g->color[v] == 1) {
				report_cycle(rs, g->stack, sp, v, errs);
			}
			continue;
		}
		unsigned h = 0;
		for (size_t i = 0; i < g->ndep[u]; i++) {
			size_t v = (size_t)g->deps[u][i];
			if (g->color[v] == 2 && g->height[v] > h)
				h = g->height[v];
		}
		g->height[u] = h + 1;
		if (g->height[u] == RULE_META_DEPTH + 1) {
			const struct rule *r = &rs->rules[u];
			errlist_addc(errs, r->file, r->when_line, r->when_col,
				     "rule '%s' starts a chain of more than %d rules through "
				     "'when' lines",
				     r->name, RULE_META_DEPTH);
		}
		g->color[u] = 2;
		sp--;
	}
}

/* check_graph - cycles and depth of the rules that name rules; -1 when out of memory */
static int check_graph(const struct rule_set *rs, struct errlist *errs)
{
	size_t n = rs->n;
	struct graph g = {calloc(n + 1, sizeof(int *)),
			  calloc(n + 1, sizeof(size_t)),
			  calloc(n + 1, 1),
			  calloc(n + 1, sizeof(unsigned)),
			  calloc(n + 1, sizeof(size_t)),
			  calloc(n + 1, sizeof(size_t))};
	int rc = g.deps && g.ndep && g.color && g.height && g.next && g.stack ? 0 : -1;
	for (size_t i = 0; rc == 0 && i < n; i++) {
		if (rs->rules[i].when == NULL)
			continue;
		int dummy;
		size_t k = rexpr_rules(rs->rules[i].when, &dummy, 0);
		g.deps[i] = malloc((k + 1) * sizeof(int));
		if (g.deps[i] == NULL)
			rc = -1;
		else
			g.ndep[i] = rexpr_rules(rs->rules[i].when, g.deps[i], k);
	}
	for (size_t i = 0; rc == 0 && i < n; i++)
		if (g.color[i] == 0)
			visit(rs, &g, i, errs);
	for (size_t i = 0; g.deps && i < n; i++)
		free(g.deps[i]);
	free(g.deps);
	free(g.ndep);
	free(g.color);
	free(g.height);
	free(g.next);
	free(g.stack);
	return rc;
}

/* finish - compile `when` lines, check the graph; the set, or NULL if anything failed */
static struct rule_set *finish(struct rule_set *rs, struct errlist *errs, size_t err0)
{
	for (size_t i = 0; i < rs->n; i++) {
		struct rule *r = &rs->rules[i];
		if (r->when_text)
			r->when = rexpr_parse(r->when_text, r->file, r->when_line, r->when_col,
					      rule_index, rs, errs);
	}
	if (errs->count == err0 && check_graph(rs, errs) < 0)
		errlist_add(errs, NULL, 0, "out of memory");
	if (errs->count == err0 && pf_build(rs) < 0)
		errlist_add(errs, NULL, 0, "out of memory");
	if (errs->count != err0 || errs->nomem) {
		rule_free(rs);
		return NULL;
	}
	return rs;
}

/* new_set - an empty set; NULL (reported) when out of memory */
static struct rule_set *new_set(struct errlist *errs)
{
	struct rule_set *rs = calloc(1, sizeof(*rs));
	if (rs == NULL)
		errlist_add(errs, NULL, 0, "out of memory");
	else
		rs->ovec_pairs = 1;
	return rs;
}

/* rule_load_file - one file and its includes */
struct rule_set *rule_load_file(const char *path, struct errlist *errs)
{
	size_t err0 = errs->count;
	struct rule_set *rs = new_set(errs);
	if (rs == NULL)
		return NULL;
	char *stack[RULE_INCLUDE_DEPTH + 1] = {0};
	rp_file(rs, path, NULL, 0, 0, 0, stack, errs);
	return finish(rs, errs, err0);
}

/* name_cmp - qsort order of file names */
static int name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* list_dir - the *.rules names in dir, sorted; -1 (reported) on failure, 0 with *n = 0 when
 * the directory does not exist */
static int list_dir(const char *dir, char ***names, size_t *n, struct errlist *errs)
{
	*names = NULL;
	*n = 0;
	DIR *d = opendir(dir);
	if (d == NULL) {
		if (errno == ENOENT)
			return 0;
		char ebuf[256];
		errlist_add(errs, dir, 0, "cannot open the rules directory: %s",
			    log_strerror(errno, ebuf, sizeof(ebuf)));
		return -1;
	}
	size_t cap = 0;
	struct dirent *de;
	int rc = 0;
	while (rc == 0 && (de = readdir(d)) != NULL) {
		size_t len = strlen(de->d_name);
		if (de->d_name[0] == '.' || len <= 6 || strcmp(de->d_name + len - 6, ".rules") != 0)
			continue;
		if (*n == cap) {
			cap = cap ? cap * 2 : 16;
			char **p = realloc(*names, cap * sizeof(*p));
			if (p == NULL) {
				rc = -1;
				break;
			}
			*names = p;
		}
		if (((*names)[*n] = strdup(de->d_name)) == NULL)
			rc = -1;
		else
			(*n)++;
	}
	closedir(d);
	if (rc < 0)
		errlist_add(errs, dir, 0, "out of memory");
	else if (*n)
		qsort(*names, *n, sizeof(**names), name_cmp);
	return rc;
}

/* rule_load - every *.rules file in dir, in name order */
struct rule_set *rule_load(const char *dir, struct errlist *errs)
{
	size_t err0 = errs->count;
	char **names;
	size_t n;
	int rc = list_dir(dir, &names, &n, errs);
	struct rule_set *rs = rc == 0 ? new_set(errs) : NULL;
	for (size_t i = 0; i < n; i++) {
		struct buf path;
		buf_init(&path, 0);
		if (rs && buf_printf(&path, "%s/%s", dir, names[i]) == BUF_OK) {
			char *stack[RULE_INCLUDE_DEPTH + 1] = {0};
			rp_file(rs, path.data, NULL, 0, 0, 0, stack, errs);
		} else if (rs) {
			errlist_add(errs, dir, 0, "out of memory");
		}
		buf_free(&path);
		free(names[i]);
	}
	free(names);
	return rs ? finish(rs, errs, err0) : NULL;
}

/* rule_free - everything the set owns */
void rule_free(struct rule_set *rs)
{
	if (rs == NULL)
		return;
	for (size_t i = 0; i < rs->n; i++) {
		struct rule *r = &rs->rules[i];
		for (size_t j = 0; j < r->nmatch; j++)
			rc_cond_free(&r->match[j]);
		for (size_t j = 0; j < r->nunless; j++)
			rc_cond_free(&r->unless[j]);
		free(r->match);
		free(r->unless);
		free(r->name);
		free(r->when_text);
		rexpr_free(r->when);
		free(r->rcode);
		free(r->xcode);
		free(r->text);
		free(r->describe);
	}
	free(rs->rules);
	for (size_t i = 0; i < rs->nfiles; i++)
		free(rs->files[i]);
	free(rs->files);
	for (size_t i = 0; i < rs->ntests; i++) {
		free((char *)rs->tests[i].msg_path);
		free((char *)rs->tests[i].msg_text);
	}
	free(rs->tests);
	pf_free(rs->pf);
	free(rs);
}

/* rule_count - rules in the set */
size_t rule_count(const struct rule_set *rs)
{
	return rs ? rs->n : 0;
}

/* rule_tests - the in-file tests */
const struct rule_test *rule_tests(const struct rule_set *rs, size_t *n)
{
	*n = rs ? rs->ntests : 0;
	return rs ? rs->tests : NULL;
}
