/*
 * portcullis.c - the command-line tool.
 *
 * SYNOPSIS
 *	portcullis check [-c config] [--client-ip IP] [--client-name NAME]
 *		[--helo NAME] [--mail-from ADDR] [--rcpt ADDR]... [--json] FILE|-
 *	portcullis rules lint [-c config] [DIR|FILE]
 *	portcullis rules test [-c config] [DIR]
 *	portcullis quarantine ...  portcullis why ...   (cli_quarantine.c)
 *
 * DESCRIPTION
 *	`check` feeds a stored message through the same session and scan
 *	pipeline the daemon uses and prints the findings and the verdict, as
 *	text or (--json) as one JSON object. Without -c the installed
 *	configuration is used when it exists, the built-in defaults otherwise.
 *	It lists each rule that hit (why, score, file:line) and the policy step
 *	that decided. `rules lint` loads the rules of DIR or one FILE (default:
 *	rules_dir)
 *	and prints every error as file:line:col; `rules test` runs each rule's
 *	in-file tests through the same pipeline and ends with "N passed, N
 *	failed".
 *
 * DIAGNOSTICS
 *	Exit status of check: 0 accept or tag, 1 quarantine, 2 reject,
 *	3 tempfail, 4 discard; 64 usage, 66 unreadable input, 70 internal
 *	error, 78 configuration error. rules lint: 0 clean, 78 errors.
 *	rules test: 0 all passed, 1 a test failed, 78 the rules do not load.
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "cli_quarantine.h"
#include "conf.h"
#include "errlist.h"
#include "findings.h"
#include "generation.h"
#include "json.h"
#include "log.h"
#include "message.h"
#include "msgfile.h"
#include "rules.h"
#include "session.h"
#include "verdict.h"

#define EX_USAGE_ 64
#define EX_NOINPUT_ 66
#define EX_SOFTWARE_ 70
#define EX_CONFIG_ 78
#define INPUT_MAX ((size_t)1 << 30)

struct check_opts {
	const char *conf;
	const char *client_ip, *client_name, *helo, *mail_from;
	const char **rcpts; /* owned array of borrowed strings */
	size_t nrcpt;
	int json;
	const char *file;
};

/* usage - the synopsis */
static void usage(FILE *fp)
{
	fprintf(
	    fp,
	    "usage: portcullis check [options] FILE|-\n"
	    "  -c, --config FILE     configuration (default %s if present)\n"
	    "      --client-ip IP    connecting client address\n"
	    "      --client-name N   the client's host name as the MTA saw it\n"
	    "      --helo NAME       HELO/EHLO name\n"
	    "      --mail-from ADDR  envelope sender (default: null sender)\n"
	    "      --rcpt ADDR       envelope recipient (repeatable)\n"
	    "      --json            machine-readable output\n"
	    "       portcullis rules lint [-c config] [DIR|FILE]  check rule files (default:\n"
	    "                                             rules_dir), errors as file:line:col\n"
	    "       portcullis rules test [-c config] [DIR]   run the rules' own tests\n"
	    "       portcullis quarantine [-c config] list|show|release|delete|purge|stats|repair\n"
	    "       portcullis why [-c config] [--log FILE] REF|QUEUEID\n"
	    "       portcullis version\n",
	    CONF_DEFAULT_FILE);
}

/* read_input - the whole message file, bounded */
static int read_input(const char *file, struct buf *b)
{
	FILE *fp = strcmp(file, "-") == 0 ? stdin : fopen(file, "rb");
	char ebuf[128];
	if (fp == NULL) {
		fprintf(stderr, "portcullis: %s: %s\n", file,
			log_strerror(errno, ebuf, sizeof(ebuf)));
		return -1;
	}
	char chunk[65536];
	size_t n;
	int rc = 0;
	while ((n = fread(chunk, 1, sizeof(chunk), fp)) > 0)
		if (buf_add(b, chunk, n) != BUF_OK) {
			fprintf(stderr, "portcullis: %s: larger than %zu bytes or out of memory\n",
				file, INPUT_MAX);
			rc = -1;
			break;
		}
	if (rc == 0 && ferror(fp)) {
		fprintf(stderr, "portcullis: %s: %s\n", file,
			log_strerror(errno, ebuf, sizeof(ebuf)));
		rc = -1;
	}
	if (fp != stdin)
		fclose(fp);
	return rc;
}

/* print_text - human-readable report */
static void print_text(const struct check_opts *o, const struct session *s,
		       const struct generation *g)
{
	const struct verdict *v = &s->verdict;
	printf("message: %s\n", o->file);
	printf("configuration: %s (generation %s)\n", g->conf->file, g->id);
	if (s->findings) {
		printf("findings:\n");
		for (size_t i = 0; i < fnd_count(s->findings); i++) {
			const struct finding *f = fnd_at(s->findings, i);
			printf("  %-24s %s\n", f->name, f->value);
		}
	}
	if (s->nhits || s->nlimits)
		printf("rules:\n");
	for (size_t i = 0; i < s->nhits; i++) {
		const struct rule_hit *h = &s->hits[i];
		printf("  %-28s %+6.1f%s%s  %s:%u  %s%s\n", h->name, h->score, h->action ? " " : "",
		       rule_action_name(h->action), h->file, h->line,
		       h->monitor ? "(monitor: would hit, no effect) " : "", h->why);
	}
	for (size_t i = 0; i < s->nlimits; i++)
		printf("  %-28s regex match limit reached: treated as no match\n", s->limits[i]);
	printf("verdict: %s\n", vd_action_name(v->action));
	printf("score: %.1f\n", v->score);
	if (v->decided_by)
		printf("decided by: %s\n", v->decided_by);
	if (v->rcode[0])
		printf("reply: %s %s %s\n", v->rcode, v->xcode, v->text ? v->text : "");
	for (size_t i = 0; i < v->nreason; i++)
		printf("reason: %s\n", v->reasons[i]);
	for (size_t i = 0; i < v->nremove; i++)
		if (v->remove[i].value)
			printf("change header: %s #%zu: %s\n", v->remove[i].name,
			       v->remove[i].index, v->remove[i].value);
		else
			printf("remove header: %s #%zu\n", v->remove[i].name, v->remove[i].index);
	for (size_t i = 0; i < v->nadd; i++)
		printf("add header: %s: %s\n", v->add[i].name, v->add[i].value);
}

/* print_json - one JSON object */
static int print_json(const struct check_opts *o, const struct session *s,
		      const struct generation *g)
{
	const struct verdict *v = &s->verdict;
	struct buf b;
	buf_init(&b, 0);
	int rc = buf_adds(&b, "{\"message\":") | json_str(&b, o->file) |
		 buf_adds(&b, ",\"generation\":") | json_str(&b, g->id) |
		 buf_adds(&b, ",\"verdict\":{\"action\":") |
		 json_str(&b, vd_action_name(v->action)) |
		 buf_printf(&b, ",\"score\":%.2f", v->score);
	if (v->rcode[0])
		rc |= buf_adds(&b, ",\"reply\":{\"code\":") | json_str(&b, v->rcode) |
		      buf_adds(&b, ",\"status\":") | json_str(&b, v->xcode) |
		      buf_adds(&b, ",\"text\":") | json_str(&b, v->text ? v->text : "") |
		      buf_adds(&b, "}");
	if (v->decided_by)
		rc |= buf_adds(&b, ",\"decided_by\":") | json_str(&b, v->decided_by);
	rc |= buf_adds(&b, ",\"reasons\":[");
	for (size_t i = 0; i < v->nreason; i++)
		rc |= buf_adds(&b, i ? "," : "") | json_str(&b, v->reasons[i]);
	rc |= buf_adds(&b, "],\"add_headers\":[");
	for (size_t i = 0; i < v->nadd; i++)
		rc |= buf_adds(&b, i ? ",{\"name\":" : "{\"name\":") |
		      json_str(&b, v->add[i].name) | buf_adds(&b, ",\"value\":") |
		      json_str(&b, v->add[i].value) | buf_adds(&b, "}");
	rc |= buf_adds(&b, "],\"remove_headers\":[");
	for (size_t i = 0; i < v->nremove; i++)
		rc |= buf_adds(&b, i ? ",{\"name\":" : "{\"name\":") |
		      json_str(&b, v->remove[i].name) |
		      buf_printf(&b, ",\"index\":%zu", v->remove[i].index) |
		      (v->remove[i].value
			   ? buf_adds(&b, ",\"value\":") | json_str(&b, v->remove[i].value)
			   : 0) |
		      buf_adds(&b, "}");
	rc |= buf_adds(&b, "]},\"rules\":[");
	for (size_t i = 0; i < s->nhits; i++) {
		const struct rule_hit *h = &s->hits[i];
		rc |= buf_adds(&b, i ? ",{\"name\":" : "{\"name\":") | json_str(&b, h->name) |
		      buf_adds(&b, ",\"file\":") | json_str(&b, h->file) |
		      buf_printf(&b, ",\"line\":%u,\"score\":%.2f,\"monitor\":%s", h->line,
				 h->score, h->monitor ? "true" : "false") |
		      buf_adds(&b, ",\"action\":") | json_str(&b, rule_action_name(h->action)) |
		      buf_adds(&b, ",\"why\":") | json_str(&b, h->why) | buf_adds(&b, "}");
	}
	rc |= buf_adds(&b, "],\"rule_limits\":[");
	for (size_t i = 0; i < s->nlimits; i++)
		rc |= buf_adds(&b, i ? "," : "") | json_str(&b, s->limits[i]);
	rc |= buf_adds(&b, "],\"findings\":[");
	for (size_t i = 0; s->findings && i < fnd_count(s->findings); i++) {
		const struct finding *f = fnd_at(s->findings, i);
		rc |= buf_adds(&b, i ? ",{\"name\":" : "{\"name\":") | json_str(&b, f->name) |
		      buf_adds(&b, ",\"value\":") | json_str(&b, f->value) | buf_adds(&b, "}");
	}
	rc |= buf_adds(&b, "]}\n");
	if (rc == 0)
		fwrite(b.data, 1, b.len, stdout);
	buf_free(&b);
	return rc == 0 ? 0 : -1;
}

/* exit_for - exit status for a verdict */
static int exit_for(enum vd_action a)
{
	switch (a) {
	case VD_QUARANTINE: return 1;
	case VD_REJECT: return 2;
	case VD_TEMPFAIL: return 3;
	case VD_DISCARD: return 4;
	default: return 0;
	}
}

/* run_session - drive a session with the envelope and the file */
static int run_session(const struct check_opts *o, struct session *s, const struct buf *msg)
{
	const char *args[] = {NULL};
	enum sess_rc rc = session_connect(s, o->client_name ? o->client_name : "unknown",
					  o->client_ip ? o->client_ip : "unknown");
	if (rc == SESS_CONTINUE && o->helo)
		rc = session_helo(s, o->helo);
	if (rc == SESS_CONTINUE)
		rc = session_mail(s, o->mail_from ? o->mail_from : "", args);
	for (size_t i = 0; rc == SESS_CONTINUE && i < o->nrcpt; i++)
		rc = session_rcpt(s, o->rcpts[i]);
	if (rc != SESS_CONTINUE)
		return 0; /* decided before the data: the verdict is in s */
	msgfile_feed(s, msg->data ? msg->data : "", msg->len);
	enum sess_rc end = session_eom(s); /* either way the verdict is in s */
	(void)end;
	return 0;
}

/* cmd_check - `portcullis check` */
static int cmd_check(int argc, char **argv)
{
	struct check_opts o = {0};
	static const struct option longopts[] = {{"config", required_argument, NULL, 'c'},
						 {"client-ip", required_argument, NULL, 'i'},
						 {"client-name", required_argument, NULL, 'n'},
						 {"helo", required_argument, NULL, 'H'},
						 {"mail-from", required_argument, NULL, 'f'},
						 {"rcpt", required_argument, NULL, 'r'},
						 {"json", no_argument, NULL, 'j'},
						 {"help", no_argument, NULL, 'h'},
						 {NULL, 0, NULL, 0}};
	o.rcpts = calloc((size_t)argc + 1, sizeof(*o.rcpts));
	if (o.rcpts == NULL)
		return EX_SOFTWARE_;
	int opt, status = EX_SOFTWARE_;
	optind = 1;
	while ((opt = getopt_long(argc, argv, "c:h", longopts, NULL)) != -1) {
		switch (opt) {
		case 'c': o.conf = optarg; break;
		case 'i': o.client_ip = optarg; break;
		case 'n': o.client_name = optarg; break;
		case 'H': o.helo = optarg; break;
		case 'f': o.mail_from = optarg; break;
		case 'r': o.rcpts[o.nrcpt++] = optarg; break;
		case 'j': o.json = 1; break;
		case 'h':
			usage(stdout);
			free(o.rcpts);
			return 0;
		default:
			usage(stderr);
			free(o.rcpts);
			return EX_USAGE_;
		}
	}
	if (optind != argc - 1) {
		usage(stderr);
		free(o.rcpts);
		return EX_USAGE_;
	}
	o.file = argv[optind];
	if (o.conf == NULL && access(CONF_DEFAULT_FILE, F_OK) == 0)
		o.conf = CONF_DEFAULT_FILE;

	struct errlist errs;
	errlist_init(&errs);
	struct generation *g = gen_load(o.conf, &errs);
	if (g == NULL) {
		for (size_t i = 0; i < errs.count; i++)
			fprintf(stderr, "%s\n", errs.msgs[i]);
		errlist_free(&errs);
		free(o.rcpts);
		return EX_CONFIG_;
	}
	errlist_free(&errs);
	gen_publish(g);
	if (log_open("portcullis", "stderr") < 0)
		return EX_SOFTWARE_;
	log_set_level(LOG_LVL_WARN);

	struct buf msg;
	buf_init(&msg, INPUT_MAX);
	struct session *s = NULL;
	if (read_input(o.file, &msg) < 0)
		status = EX_NOINPUT_;
	else if ((s = session_new()) == NULL || run_session(&o, s, &msg) < 0)
		status = EX_SOFTWARE_;
	else {
		struct generation *cur = gen_current();
		int prc = o.json ? print_json(&o, s, cur) : (print_text(&o, s, cur), 0);
		gen_release(cur);
		status = prc < 0 ? EX_SOFTWARE_ : exit_for(s->verdict.action);
	}
	session_free(s);
	buf_free(&msg);
	gen_shutdown();
	free(o.rcpts);
	return status;
}

/* rules_dir_of - DIR from the command line, else the configured rules_dir (copied) */
static char *rules_dir_of(const char *conf_path, const char *dir)
{
	if (dir)
		return strdup(dir);
	struct errlist errs;
	errlist_init(&errs);
	struct conf *c = conf_load(conf_path, &errs);
	for (size_t i = 0; i < errs.count; i++)
		fprintf(stderr, "%s\n", errs.msgs[i]);
	errlist_free(&errs);
	char *d = c ? strdup(c->rules_dir) : NULL;
	conf_free(c);
	return d;
}

/* cmd_rules_lint - `portcullis rules lint [DIR]`: every error, file:line:col */
static int cmd_rules_lint(const char *conf_path, const char *dir)
{
	char *d = rules_dir_of(conf_path, dir);
	if (d == NULL)
		return EX_CONFIG_;
	struct errlist errs;
	errlist_init(&errs);
	struct stat st;
	int one_file = stat(d, &st) == 0 && S_ISREG(st.st_mode);
	struct rule_set *rs = one_file ? rule_load_file(d, &errs) : rule_load(d, &errs);
	for (size_t i = 0; i < errs.count; i++)
		fprintf(stderr, "%s\n", errs.msgs[i]);
	int status = EX_CONFIG_;
	if (rs) {
		size_t nt;
		(void)rule_tests(rs, &nt);
		printf("%s: %zu rules, %zu tests: OK\n", d, rule_count(rs), nt);
		status = 0;
	} else
		fprintf(stderr, "%s: %zu error(s)%s\n", d, errs.count,
			errs.nomem ? " (and some lost for lack of memory)" : "");
	rule_free(rs);
	errlist_free(&errs);
	free(d);
	return status;
}

/* rule_hit_in - did rule hit (or would it, monitor) in the last message of s? */
static int rule_hit_in(const struct session *s, const char *rule)
{
	for (size_t i = 0; i < s->nhits; i++)
		if (strcmp(s->hits[i].name, rule) == 0)
			return 1;
	return 0;
}

/* run_rule_test - one in-file test through the pipeline; 1 passed, 0 failed */
static int run_rule_test(const struct rule_test *t)
{
	struct buf msg;
	buf_init(&msg, INPUT_MAX);
	struct check_opts o = {.file = t->msg_path ? t->msg_path : "(inline text)"};
	int rc = t->msg_path ? read_input(t->msg_path, &msg)
			     : (buf_add(&msg, t->msg_text, t->msg_len) == BUF_OK ? 0 : -1);
	struct session *s = rc == 0 ? session_new() : NULL;
	int passed = 0;
	if (s == NULL)
		printf("not ok - %s:%u: %s: cannot read the message %s\n", t->file, t->line,
		       t->rule, o.file);
	else if (run_session(&o, s, &msg) < 0)
		printf("not ok - %s:%u: %s: the check failed\n", t->file, t->line, t->rule);
	else if (rule_hit_in(s, t->rule) != t->expect_hit) {
		printf("not ok - %s:%u: %s was expected %s, but %s\n", t->file, t->line, t->rule,
		       t->expect_hit ? "to hit" : "not to hit",
		       t->expect_hit ? "did not" : "it did");
		for (size_t i = 0; i < s->nhits; i++)
			printf("#   hit: %s  %s\n", s->hits[i].name, s->hits[i].why);
	} else {
		printf("ok - %s:%u: %s %s\n", t->file, t->line, t->rule,
		       t->expect_hit ? "hits" : "does not hit");
		passed = 1;
	}
	session_free(s);
	buf_free(&msg);
	return passed;
}

/* cmd_rules_test - `portcullis rules test [DIR]`: the rules' own tests */
static int cmd_rules_test(const char *conf_path, const char *dir)
{
	struct errlist errs;
	errlist_init(&errs);
	struct generation *g = gen_load_rules(conf_path, dir, &errs);
	for (size_t i = 0; i < errs.count; i++)
		fprintf(stderr, "%s\n", errs.msgs[i]);
	errlist_free(&errs);
	if (g == NULL)
		return EX_CONFIG_;
	gen_publish(g);
	if (log_open("portcullis", "stderr") < 0)
		return EX_SOFTWARE_;
	log_set_level(LOG_LVL_WARN);
	size_t n, passed = 0;
	const struct rule_test *t = rule_tests(g->rules, &n);
	for (size_t i = 0; i < n; i++)
		passed += (size_t)run_rule_test(&t[i]);
	printf("%zu passed, %zu failed\n", passed, n - passed);
	gen_shutdown();
	return passed == n ? 0 : 1;
}

/* cmd_rules - `portcullis rules lint|test [-c config] [DIR]` */
static int cmd_rules(int argc, char **argv)
{
	const char *conf = NULL;
	static const struct option longopts[] = {{"config", required_argument, NULL, 'c'},
						 {"help", no_argument, NULL, 'h'},
						 {NULL, 0, NULL, 0}};
	if (argc < 2 || (strcmp(argv[1], "lint") != 0 && strcmp(argv[1], "test") != 0)) {
		usage(stderr);
		return EX_USAGE_;
	}
	int opt;
	optind = 2;
	while ((opt = getopt_long(argc, argv, "c:h", longopts, NULL)) != -1) {
		if (opt == 'c')
			conf = optarg;
		else {
			usage(opt == 'h' ? stdout : stderr);
			return opt == 'h' ? 0 : EX_USAGE_;
		}
	}
	if (argc - optind > 1) {
		usage(stderr);
		return EX_USAGE_;
	}
	const char *dir = optind < argc ? argv[optind] : NULL;
	if (conf == NULL && access(CONF_DEFAULT_FILE, F_OK) == 0)
		conf = CONF_DEFAULT_FILE;
	return strcmp(argv[1], "lint") == 0 ? cmd_rules_lint(conf, dir) : cmd_rules_test(conf, dir);
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return EX_USAGE_;
	}
	if (strcmp(argv[1], "check") == 0)
		return cmd_check(argc - 1, argv + 1);
	if (strcmp(argv[1], "rules") == 0)
		return cmd_rules(argc - 1, argv + 1);
	if (strcmp(argv[1], "quarantine") == 0)
		return cli_quarantine(argc - 1, argv + 1);
	if (strcmp(argv[1], "why") == 0)
		return cli_why(argc - 1, argv + 1);
	if (strcmp(argv[1], "version") == 0 || strcmp(argv[1], "-V") == 0) {
		printf("portcullis %s\n", PACKAGE_VERSION);
		return 0;
	}
	if (strcmp(argv[1], "help") == 0 || strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "--help") == 0) {
		usage(stdout);
		return 0;
	}
	fprintf(stderr, "portcullis: unknown command '%s'\n", argv[1]);
	usage(stderr);
	return EX_USAGE_;
}
