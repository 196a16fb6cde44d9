/*
 * jsonlog_test.c - unit tests of jsonlog.c (and of quar_keep's stored metadata).
 *
 * DESCRIPTION
 *	A message with a hostile Subject (quotes, CR LF, a NUL-free control
 *	character, invalid UTF-8, 300 bytes) goes through the real pipeline
 *	(SPF off, one rule) and its record must be one line of valid UTF-8
 *	JSON whose fields read back (schema version, ref, envelope, bounded
 *	Subject, rule hit with file:line, score, verdict, generation). Four
 *	threads writing 250 records each must leave 1,000 whole lines; after
 *	the file is renamed, jsonlog_reopen must start a new one. quar_keep
 *	must store the message with the full metadata (findings, reasons,
 *	what matched) and log a "stored" event.
 *
 * OUTPUT
 *	TAP on stdout (see tap.h).
 */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "errlist.h"
#include "generation.h"
#include "jsonlog.h"
#include "jsonread.h"
#include "message.h"
#include "msgfile.h"
#include "qstore.h"
#include "quarantine.h"
#include "scan.h"
#include "session.h"
#include "tap.h"

static char dir[256]; /* scratch */

static const char message[] =
    "From: Alice <alice@example.test>\r\n"
    "Subject: \"quoted\" \\ back\r\n\tslash \x01 bad \xff\xfe utf8 "
    "WIN-THIS "
    "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
    "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
    "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\xc3\xa9\xc3\xa9\r\n"
    "\r\nbody\r\n";

/* write_file - dir/name with text; its path in out */
static int write_file(char *out, size_t len, const char *name, const char *text)
{
	snprintf(out, len, "%s/%s", dir, name);
	FILE *fp = fopen(out, "w");
	if (fp == NULL)
		return -1;
	fputs(text, fp);
	return fclose(fp);
}

/* setup - a configuration with one rule, SPF off, a store and a JSON log; published */
static int setup(void)
{
	char path[512], rules[512], text[2048];
	snprintf(rules, sizeof(rules), "%s/rules", dir);
	mkdir(rules, 0700);
	if (write_file(path, sizeof(path), "rules/10-t.rules",
		       "rule WIN\n    match header:Subject /WIN-THIS/\n    score 12\n") < 0)
		return -1;
	snprintf(text, sizeof(text),
		 "spf no\ntmpdir %s\nrules_dir %s\nauthserv_id mx.test\nquarantine_dir %s/q\n"
		 "json_log %s/log.json\n",
		 dir, rules, dir, dir);
	if (write_file(path, sizeof(path), "p.conf", text) < 0)
		return -1;
	struct errlist errs;
	errlist_init(&errs);
	struct generation *g = gen_load(path, &errs);
	for (size_t i = 0; i < errs.count; i++)
		diag("%s", errs.msgs[i]);
	errlist_free(&errs);
	if (g == NULL)
		return -1;
	char err[256];
	if (quar_prepare(g->conf, getuid(), getgid(), err, sizeof(err)) < 0) {
		diag("quar_prepare: %s", err);
		gen_release(g);
		return -1;
	}
	if (jsonlog_open(g->conf->json_log) < 0) {
		gen_release(g);
		return -1;
	}
	gen_publish(g);
	return 0;
}

/* utf8_clean - valid UTF-8 without control characters (a JSON line must be) */
static int utf8_clean(const unsigned char *p, size_t n)
{
	for (size_t i = 0; i < n;) {
		unsigned char c = p[i];
		size_t k = c < 0x80                 ? 1
			   : c >= 0xC2 && c <= 0xDF ? 2
			   : c >= 0xE0 && c <= 0xEF ? 3
			   : c >= 0xF0 && c <= 0xF4 ? 4
						    : 0;
		if (k == 0 || i + k > n || (k == 1 && c < 0x20))
			return 0;
		for (size_t j = 1; j < k; j++)
			if ((p[i + j] & 0xC0) != 0x80)
				return 0;
		i += k;
	}
	return 1;
}

/* field - a member as a string (malloc'd) */
static char *field(const char *rec, const char *path)
{
	return jr_string(jr_path(rec, path));
}

/* run_message - the test message through a session */
static struct session *run_message(void)
{
	struct session *s = session_new();
	const char *args[] = {NULL};
	if (s == NULL || session_connect(s, "client.test", "192.0.2.9") != SESS_CONTINUE ||
	    session_helo(s, "helo.test") != SESS_CONTINUE ||
	    session_mail(s, "<bob@example.test>", args) != SESS_CONTINUE) {
		session_free(s);
		return NULL;
	}
	(void)session_rcpt(s, "<carol@example.test>");
	msgfile_feed(s, message, sizeof(message) - 1);
	if (session_eom(s) != SESS_VERDICT) {
		session_free(s);
		return NULL;
	}
	return s;
}

/* test_record - the record of one message */
static void test_record(struct session *s)
{
	struct buf b;
	buf_init(&b, 0);
	struct jl_info info = {.scan_ms = 1.5};
	s->stage_ms[SCAN_T_MIME] = 0.25; /* as session_eom records them */
	s->spf_wait_ms = 0.125;
	if (!ok(jsonlog_message(&b, s, &info, 0) == 0, "record built"))
		return;
	ok(utf8_clean((const unsigned char *)b.data, b.len), "one line of valid UTF-8");
	const char *end = jr_skip(b.data);
	ok(end && *end == '\0', "one JSON object, nothing after it");
	char *v = field(b.data, "v"), *ref = field(b.data, "ref"), *sub = field(b.data, "subject");
	is_str(v, "1", "schema version 1");
	is_str(ref, s->msg->ref, "ref");
	ok(sub && strlen(sub) <= JSONLOG_SUBJECT_MAX + 40 && strncmp(sub, "\"quoted\" \\", 10) == 0,
	   "subject unescaped back, bounded (%zu bytes)", sub ? strlen(sub) : 0);
	free(v), free(ref), free(sub);
	static const struct {
		const char *path, *want;
	} t[] = {{"mail_from", "bob@example.test"},
		 {"client.addr", "192.0.2.9"},
		 {"client.helo", "helo.test"},
		 {"verdict", "quarantine"},
		 {"score", "12.00"},
		 {"auth.spf", "null"},
		 {"auth.dkim", "none"}, /* the pipeline's own: the message is unsigned */
		 {"auth.dmarc_report",
		  "source_ip=192.0.2.9 header_from=example.test envelope_from=bob@example.test "
		  "spf=-:none dkim=- dmarc=none policy=- disposition=none"},
		 {"quarantine", "null"},
		 {"durations_ms.scan", "1.500"},
		 {"durations_ms.mime", "0.250"},
		 {"durations_ms.spf_wait", "0.125"},
		 {"generation.serial", "1"},
		 {"type", "message"}};
	for (size_t i = 0; i < ARRAY_LEN(t); i++) {
		char *got = field(b.data, t[i].path);
		is_str(got, t[i].want, "%s", t[i].path);
		free(got);
	}
	const char *rule = jr_elem(jr_member(b.data, "rules"), 0);
	char *name = field(rule, "name"), *line = field(rule, "line");
	is_str(name, "WIN", "rule hit: name");
	is_str(line, "1", "rule hit: line");
	free(name), free(line);
	char *rc = jr_string(jr_elem(jr_member(b.data, "rcpts"), 0));
	char *from = jr_string(jr_elem(jr_member(b.data, "from"), 0));
	is_str(rc, "carol@example.test", "recipient");
	is_str(from, "alice@example.test", "From address");
	free(rc), free(from);
	ok(jr_member(b.data, "findings") == NULL, "no findings in the log line");
	buf_free(&b);
}

/* writer - many records from one thread */
static void *writer(void *arg)
{
	char line[200];
	for (int i = 0; i < 250; i++) {
		int n = snprintf(line, sizeof(line),
				 "{\"v\":1,\"thread\":%ld,\"i\":%d,\"pad\":\"%s\"}\n",
				 (long)(size_t)arg, i, "pppppppppppppppppppppppppppppppppppppppp");
		if (jsonlog_write(line, (size_t)n) < 0)
			return (void *)1;
	}
	return NULL;
}

/* test_writes - threads, whole lines; reopen */
static void test_writes(void)
{
	char path[512], moved[600];
	snprintf(path, sizeof(path), "%s/log.json", dir);
	if (truncate(path, 0) < 0)
		diag("truncate %s failed", path);
	pthread_t t[4];
	for (size_t i = 0; i < 4; i++)
		pthread_create(&t[i], NULL, writer, (void *)i);
	int bad = 0;
	for (size_t i = 0; i < 4; i++) {
		void *r;
		pthread_join(t[i], &r);
		bad += r != NULL;
	}
	is_int(bad, 0, "4 threads wrote 250 records each");
	FILE *fp = fopen(path, "r");
	char *line = NULL;
	size_t cap = 0, lines = 0, whole = 0;
	while (fp && getline(&line, &cap, fp) > 0) {
		lines++;
		const char *end = jr_skip(line);
		whole += end && strcmp(end, "\n") == 0;
	}
	if (fp)
		fclose(fp);
	free(line);
	is_int(lines, 1000, "1,000 lines");
	is_int(whole, 1000, "every line one whole record");
	snprintf(moved, sizeof(moved), "%s.1", path);
	ok(rename(path, moved) == 0 && jsonlog_reopen() == 0, "renamed, reopened");
	ok(jsonlog_write("{}\n", 3) == 0, "write after reopen");
	struct stat st;
	ok(stat(path, &st) == 0 && st.st_size == 3, "the new file has the record");
	ok(stat(moved, &st) == 0 && st.st_size > 3000, "the old one kept its records");
}

/* test_store - quar_keep stores the message with full metadata */
static void test_store(struct session *s)
{
	struct quar_outcome o;
	if (!ok(quar_keep(s, 0, &o) == 0, "quar_keep (no MTA hold)"))
		return;
	ok(o.stored && !o.held, "stored, not held");
	is_str(o.to, "store", "to store");
	struct generation *g = gen_current();
	char err[256], *meta = NULL;
	struct qstore *q = quar_store(g->conf, err, sizeof(err));
	gen_release(g);
	int fd = q ? qstore_open_entry(q, o.id, &meta) : -1;
	ok(fd >= 0, "entry %s readable", o.id);
	if (fd >= 0) {
		char buf[2048];
		ssize_t n = read(fd, buf, sizeof(buf));
		close(fd);
		is_mem(buf, n > 0 ? (size_t)n : 0, message, sizeof(message) - 1,
		       "message stored exactly as received");
		char *why = field(jr_elem(jr_member(meta, "rules"), 0), "why");
		ok(why && strstr(why, "WIN-THIS"), "metadata: what the rule matched (%s)",
		   why ? why : "");
		free(why);
		ok(jr_elem(jr_member(meta, "findings"), 0) != NULL, "metadata: findings");
		ok(jr_elem(jr_member(meta, "reasons"), 0) != NULL, "metadata: reasons");
		char *qid = field(meta, "quarantine.id");
		is_str(qid, o.id, "metadata: the quarantine id");
		free(qid);
	}
	free(meta);
	char path[512];
	snprintf(path, sizeof(path), "%s/log.json", dir);
	FILE *fp = fopen(path, "r");
	char *line = NULL;
	size_t cap = 0;
	int stored = 0;
	while (fp && getline(&line, &cap, fp) > 0)
		stored |= strstr(line, "\"event\":\"stored\"") && strstr(line, o.id);
	if (fp)
		fclose(fp);
	free(line);
	ok(stored, "a 'stored' event in the JSON log");
}

int main(void)
{
	snprintf(dir, sizeof(dir), "/tmp/jsonlog_test.XXXXXX");
	if (mkdtemp(dir) == NULL) {
		printf("Bail out! mkdtemp\n");
		return 1;
	}
	if (!ok(setup() == 0, "configuration with a rule, a store and a JSON log")) {
		return done_testing();
	}
	struct session *s = run_message();
	if (ok(s != NULL, "message through the pipeline")) {
		test_record(s);
		test_writes();
		test_store(s);
	}
	session_free(s);
	gen_shutdown();
	quar_shutdown();
	jsonlog_close();
	char cmd[300];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		diag("could not remove %s", dir);
	return done_testing();
}
