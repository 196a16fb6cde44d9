/*
 * message_test.c - unit tests of message.c: the per-transaction store.
 *
 * DESCRIPTION
 *	A generation is loaded from a small configuration written to a
 *	private temporary directory and published, as the daemon does; each
 *	message pins it with gen_current() like session_mail. Checked: headers
 *	kept raw and in order, msg_header_find, msg_addr_strip, the envelope,
 *	size accounting with the message_size_max cap (nothing stored past it,
 *	sizes still counted), the header_count_max and recipient caps, and
 *	the body spooled to disk past body_memory_max.
 *
 * OUTPUT
 *	TAP on stdout (see tap.h).
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "errlist.h"
#include "generation.h"
#include "message.h"
#include "spool.h"
#include "tap.h"

#define SIZE_MAX_CONF 1024 /* message_size_max in the test configuration */
#define HEADER_MAX_CONF 5  /* header_count_max */
#define BODY_MEM_CONF 100  /* body_memory_max */

static char tmpdir[1024];    /* private scratch directory, removed at the end */
static char conf_path[1100]; /* the test configuration inside it */

/* setup - write the configuration, load and publish it; -1 on failure */
static int setup(void)
{
	const char *t = getenv("TMPDIR");
	snprintf(tmpdir, sizeof(tmpdir), "%s/message_test.XXXXXX", t && *t ? t : "/tmp");
	if (mkdtemp(tmpdir) == NULL) {
		printf("Bail out! mkdtemp %s: %s\n", tmpdir, strerror(errno));
		return -1;
	}
	snprintf(conf_path, sizeof(conf_path), "%s/portcullis.conf", tmpdir);
	FILE *fp = fopen(conf_path, "w");
	if (fp == NULL) {
		printf("Bail out! %s: %s\n", conf_path, strerror(errno));
		return -1;
	}
	fprintf(fp, "tmpdir %s\nmessage_size_max %d\nheader_count_max %d\nbody_memory_max %d\n",
		tmpdir, SIZE_MAX_CONF, HEADER_MAX_CONF, BODY_MEM_CONF);
	fclose(fp);
	struct errlist errs;
	errlist_init(&errs);
	struct generation *g = gen_load(conf_path, &errs);
	for (size_t i = 0; i < errs.count; i++)
		diag("%s", errs.msgs[i]);
	errlist_free(&errs);
	if (g == NULL) {
		printf("Bail out! cannot load %s\n", conf_path);
		return -1;
	}
	gen_publish(g);
	return 0;
}

/* new_msg - a message pinned to the current generation, as session_mail makes it */
static struct message *new_msg(void)
{
	struct generation *g = gen_current();
	if (g == NULL)
		return NULL;
	struct message *m = msg_new(g);
	if (m == NULL)
		gen_release(g);
	return m;
}

/* test_new - a new message is empty and pins the current generation */
static void test_new(void)
{
	struct generation *cur = gen_current();
	struct message *m = new_msg();
	ok(m != NULL, "msg_new");
	if (m == NULL) {
		gen_release(cur);
		return;
	}
	ok(m->gen == cur, "the message pins the current generation");
	is_str(m->mail_from, "", "the sender starts as the null sender");
	ok(m->nrcpt == 0 && m->nhdr == 0 && m->size == 0 && m->body_size == 0 && m->flags == 0 &&
	       m->queue_id == NULL && m->size_param == 0,
	   "a new message is empty");
	ok(m->body != NULL && spool_size(m->body) == 0, "with an empty body spool");
	msg_free(m);
	/* refs is private to generation.c; two are left: the published one and cur */
	ok(cur && cur->refs == 2, "msg_free dropped the message's generation reference");
	gen_release(cur);
	msg_free(NULL); /* allowed */
}

/* test_headers - headers kept raw and in order; msg_header_find */
static void test_headers(void)
{
	static const struct header in[] = {
	    {"Subject", " hello world"},
	    {"X-Folded", " first\n\tsecond\n third"},
	    {"NoSpace", "value"},
	    {"Empty", ""},
	    {"subject", "  two spaces, lower-case name"},
	};
	struct message *m = new_msg();
	if (m == NULL) {
		ok(0, "msg_new");
		return;
	}
	size_t size = 0;
	for (size_t i = 0; i < ARRAY_LEN(in); i++) {
		ok(msg_add_header(m, in[i].name, in[i].value) == 0, "msg_add_header %s",
		   in[i].name);
		size += strlen(in[i].name) + 1 + strlen(in[i].value) + 2; /* "name:value\r\n" */
	}
	is_int(m->nhdr, ARRAY_LEN(in), "every header kept");
	for (size_t i = 0; i < ARRAY_LEN(in) && i < m->nhdr; i++) {
		is_str(m->hdrs[i].name, in[i].name, "header %zu name kept as passed", i);
		is_str(m->hdrs[i].value, in[i].value, "header %zu value kept raw (folding, spaces)",
		       i);
	}
	is_int(m->size, size, "size counts each header as name:value CRLF");
	is_int(m->body_size, 0, "no body bytes yet");
	ok(m->flags == 0, "no flags");

	static const struct {
		const char *name;
		size_t n;
		const char *want;
	} find[] = {
	    {"Subject", 0, " hello world"},
	    {"SUBJECT", 0, " hello world"},
	    {"subject", 1, "  two spaces, lower-case name"},
	    {"sUbJeCt", 1, "  two spaces, lower-case name"},
	    {"Subject", 2, NULL},
	    {"x-folded", 0, " first\n\tsecond\n third"},
	    {"Empty", 0, ""},
	    {"NoSpace", 0, "value"},
	    {"Missing", 0, NULL},
	    {"Subj", 0, NULL},
	    {"Subject:", 0, NULL},
	    {"", 0, NULL},
	};
	for (size_t i = 0; i < ARRAY_LEN(find); i++)
		is_str(msg_header_find(m, find[i].name, find[i].n), find[i].want,
		       "msg_header_find(\"%s\", %zu)", find[i].name, find[i].n);
	msg_free(m);
}

/* test_addr_strip - one pair of angle brackets removed, length capped */
static void test_addr_strip(void)
{
	static const struct {
		const char *in, *want;
	} t[] = {
	    {"<user@example.test>", "user@example.test"},
	    {"user@example.test", "user@example.test"},
	    {"<>", ""},
	    {"", ""},
	    {"<", "<"},
	    {">", ">"},
	    {"<a", "<a"},
	    {"a>", "a>"},
	    {"<<a@b>>", "<a@b>"},
	    {"< a@b >", " a@b "},
	    {"<\"quoted local\"@example.test>", "\"quoted local\"@example.test"},
	};
	for (size_t i = 0; i < ARRAY_LEN(t); i++) {
		char *got = msg_addr_strip(t[i].in);
		is_str(got, t[i].want, "msg_addr_strip(\"%s\")", t[i].in);
		free(got);
	}
	/* addresses are capped at MSG_ADDR_MAX bytes */
	char *long_addr = malloc(MSG_ADDR_MAX + 100);
	if (long_addr == NULL) {
		ok(0, "memory");
		return;
	}
	memset(long_addr, 'a', MSG_ADDR_MAX + 99);
	long_addr[MSG_ADDR_MAX + 99] = '\0';
	char *got = msg_addr_strip(long_addr);
	ok(got && strlen(got) == MSG_ADDR_MAX, "a long address is cut to %d bytes", MSG_ADDR_MAX);
	free(got);
	long_addr[0] = '<';
	long_addr[MSG_ADDR_MAX - 1] = '>';
	long_addr[MSG_ADDR_MAX] = '\0';
	got = msg_addr_strip(long_addr);
	ok(got && strlen(got) == MSG_ADDR_MAX - 2 && got[0] == 'a',
	   "a bracketed address of exactly %d bytes loses its brackets", MSG_ADDR_MAX);
	free(got);
	free(long_addr);
}

/* test_envelope - sender, recipients in order, queue id */
static void test_envelope(void)
{
	struct message *m = new_msg();
	if (m == NULL) {
		ok(0, "msg_new");
		return;
	}
	ok(msg_set_sender(m, "<sender@example.test>") == 0, "msg_set_sender");
	is_str(m->mail_from, "sender@example.test", "the sender loses its brackets");
	ok(msg_set_sender(m, "<>") == 0, "msg_set_sender null sender");
	is_str(m->mail_from, "", "the null sender is empty");

	static const struct {
		const char *in, *want;
	} rcpts[] = {
	    {"<one@example.test>", "one@example.test"},
	    {"two@example.test", "two@example.test"},
	    {"<Postmaster>", "Postmaster"},
	    {"<one@example.test>", "one@example.test"}, /* duplicates are the MTA's business */
	};
	for (size_t i = 0; i < ARRAY_LEN(rcpts); i++)
		ok(msg_add_rcpt(m, rcpts[i].in) == 0, "msg_add_rcpt %s", rcpts[i].in);
	is_int(m->nrcpt, ARRAY_LEN(rcpts), "every recipient kept");
	for (size_t i = 0; i < ARRAY_LEN(rcpts) && i < m->nrcpt; i++)
		is_str(m->rcpts[i], rcpts[i].want, "recipient %zu, in order, without brackets", i);
	ok(!(m->flags & MSG_RCPTS_CAPPED), "not capped");

	ok(msg_set_queue_id(m, "4Xyz1AbC") == 0, "msg_set_queue_id");
	is_str(m->queue_id, "4Xyz1AbC", "queue id kept");
	char qid[300];
	memset(qid, 'Q', sizeof(qid) - 1);
	qid[sizeof(qid) - 1] = '\0';
	ok(msg_set_queue_id(m, qid) == 0 && m->queue_id && strlen(m->queue_id) == 128,
	   "a long queue id is cut to 128 bytes");
	msg_free(m);
}

/* test_rcpt_cap - recipients past MSG_RCPT_MAX are dropped and flagged */
static void test_rcpt_cap(void)
{
	struct message *m = new_msg();
	if (m == NULL) {
		ok(0, "msg_new");
		return;
	}
	int fails = 0;
	for (int i = 0; i < MSG_RCPT_MAX + 5; i++) {
		char a[64];
		snprintf(a, sizeof(a), "<r%d@example.test>", i);
		if (msg_add_rcpt(m, a) != 0)
			fails++;
	}
	is_int(fails, 0, "recipients past the cap are not an error");
	is_int(m->nrcpt, MSG_RCPT_MAX, "only %d recipients kept", MSG_RCPT_MAX);
	ok(m->flags & MSG_RCPTS_CAPPED, "MSG_RCPTS_CAPPED set");
	is_str(m->nrcpt ? m->rcpts[m->nrcpt - 1] : NULL, "r9999@example.test",
	       "the kept ones are the first");
	msg_free(m);
}

/* test_header_cap - headers past header_count_max are dropped, flagged and counted */
static void test_header_cap(void)
{
	struct message *m = new_msg();
	if (m == NULL) {
		ok(0, "msg_new");
		return;
	}
	int fails = 0;
	size_t size = 0;
	for (int i = 0; i < HEADER_MAX_CONF + 3; i++) {
		char value[32];
		snprintf(value, sizeof(value), " %d", i);
		if (msg_add_header(m, "X-N", value) != 0)
			fails++;
		size += 3 + 1 + strlen(value) + 2;
	}
	is_int(fails, 0, "headers past header_count_max are not an error");
	is_int(m->nhdr, HEADER_MAX_CONF, "only header_count_max (%d) headers kept",
	       HEADER_MAX_CONF);
	ok(m->flags & MSG_HEADERS_CAPPED, "MSG_HEADERS_CAPPED set");
	ok(!(m->flags & MSG_OVERSIZE), "but not over-size");
	is_int(m->size, size, "dropped headers still count in the size");
	is_str(msg_header_find(m, "X-N", HEADER_MAX_CONF - 1), " 4", "the kept ones are the first");
	is_str(msg_header_find(m, "X-N", HEADER_MAX_CONF), NULL, "the later ones are gone");
	msg_free(m);
}

/* body_bytes - the stored body as a string (caller frees) */
static char *body_bytes(const struct message *m)
{
	size_t n = spool_size(m->body);
	char *p = malloc(n + 1);
	if (p == NULL)
		return NULL;
	ssize_t r = spool_read(m->body, 0, p, n);
	if (r < 0 || (size_t)r != n) {
		free(p);
		return NULL;
	}
	p[n] = '\0';
	return p;
}

/* test_size_cap - message_size_max: counted past the cap, nothing stored past it */
static void test_size_cap(void)
{
	struct message *m = new_msg();
	if (m == NULL) {
		ok(0, "msg_new");
		return;
	}
	/* 20 header bytes: "Subject: size test" CRLF */
	ok(msg_add_header(m, "Subject", " size test") == 0, "header");
	is_int(m->size, 20, "header counted as 20 bytes");
	char body[SIZE_MAX_CONF];
	for (size_t i = 0; i < sizeof(body); i++)
		body[i] = (i % 50 == 49) ? '\n' : (char)('a' + i % 26);
	/* up to the cap exactly: 20 + 1004 = 1024 */
	ok(msg_add_body(m, body, 500) == 0, "body chunk of 500");
	ok(spool_on_disk(m->body), "past body_memory_max (%d) the body is on disk", BODY_MEM_CONF);
	ok(msg_add_body(m, body + 500, 504) == 0, "body chunk of 504 reaching the cap exactly");
	is_int(m->size, SIZE_MAX_CONF, "size is message_size_max");
	ok(!(m->flags & MSG_OVERSIZE), "exactly message_size_max bytes is not over-size");
	is_int(spool_size(m->body), 1004, "all 1004 body bytes stored");
	char *stored = body_bytes(m);
	ok(stored && memcmp(stored, body, 1004) == 0, "and they read back identical");
	free(stored);

	/* one byte more */
	ok(msg_add_body(m, "X", 1) == 0, "one byte past the cap is not an error");
	ok(m->flags & MSG_OVERSIZE, "MSG_OVERSIZE set");
	is_int(m->size, SIZE_MAX_CONF + 1, "size still counted");
	is_int(m->body_size, 1005, "body_size still counted");
	is_int(spool_size(m->body), 1004, "nothing stored past the cap");
	ok(msg_add_body(m, body, 300) == 0, "more body after the cap");
	is_int(m->body_size, 1305, "body_size counts it");
	is_int(m->size, SIZE_MAX_CONF + 301, "size counts it");
	is_int(spool_size(m->body), 1004, "still nothing stored");
	ok(msg_add_header(m, "X-Late", " v") == 0, "a header after the cap is not an error");
	is_int(m->nhdr, 1, "but it is not stored");
	is_int(m->size, SIZE_MAX_CONF + 301 + 11, "and it is counted");
	msg_free(m);

	/* a single chunk that crosses the cap is not stored in part */
	m = new_msg();
	if (m == NULL) {
		ok(0, "msg_new");
		return;
	}
	ok(msg_add_body(m, body, 1000) == 0 && msg_add_body(m, body, 100) == 0,
	   "1000 then 100 body bytes");
	ok((m->flags & MSG_OVERSIZE) && spool_size(m->body) == 1000 && m->body_size == 1100,
	   "the chunk that crosses the cap is dropped whole, and counted");
	msg_free(m);

	/* headers alone can make a message over-size */
	m = new_msg();
	if (m == NULL) {
		ok(0, "msg_new");
		return;
	}
	char big[SIZE_MAX_CONF + 10];
	memset(big, 'v', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	ok(msg_add_header(m, "X-Big", big) == 0, "a header larger than the cap is not an error");
	ok((m->flags & MSG_OVERSIZE) && m->nhdr == 0, "MSG_OVERSIZE set and the header not stored");
	ok(msg_add_body(m, "body\r\n", 6) == 0 && spool_size(m->body) == 0 && m->body_size == 6,
	   "the body after it is counted, not stored");
	msg_free(m);
}

/* test_default_generation - a message under the built-in defaults */
static void test_default_generation(void)
{
	struct errlist errs;
	errlist_init(&errs);
	struct generation *g = gen_load(NULL, &errs);
	ok(g != NULL && errs.count == 0, "gen_load(NULL) builds a generation from the defaults");
	errlist_free(&errs);
	if (g == NULL)
		return;
	struct message *m = msg_new(g); /* takes over the reference */
	ok(m != NULL, "msg_new on an unpublished generation");
	if (m) {
		ok(msg_add_header(m, "Subject", " x") == 0 && msg_add_body(m, "hi\r\n", 4) == 0 &&
		       !(m->flags & MSG_OVERSIZE) && spool_size(m->body) == 4,
		   "a small message fits the default limits in memory");
		msg_free(m);
	} else
		gen_release(g);
}

/* main - load and publish the test generation, run every test */
int main(void)
{
	if (setup() < 0)
		return 1;
	test_new();
	test_headers();
	test_addr_strip();
	test_envelope();
	test_rcpt_cap();
	test_header_cap();
	test_size_cap();
	test_default_generation();
	gen_shutdown();
	unlink(conf_path);
	if (rmdir(tmpdir) < 0) {
		ok(0, "nothing left in the scratch directory");
		diag("  rmdir %s: %s", tmpdir, strerror(errno));
	}
	return done_testing();
}
