/*
 * pipeline_test.c - the session and scan pipeline driven as the daemon does.
 *
 * DESCRIPTION
 *	Calls session_connect, _helo, _mail (with ESMTP arguments), _rcpt,
 *	_header, _eoh, _body and _eom in the order libmilter does, and
 *	msgfile_feed for stored messages (tests/data/messages/), and checks
 *	the findings and the verdict: the added and removed verdict header,
 *	over-size rejection at end of message and at MAIL FROM (SIZE=),
 *	independent transactions on one connection, abort, generation
 *	pinning, and that every internal failure becomes the on_error
 *	verdict, never a silent accept. Also json_str.
 *	Configurations are written to a private temporary directory.
 *
 * OUTPUT
 *	TAP on stdout (see tap.h).
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "buf.h"
#include "errlist.h"
#include "findings.h"
#include "nxdns.h"
#include "generation.h"
#include "json.h"
#include "log.h"
#include "message.h"
#include "msgfile.h"
#include "scan.h"
#include "session.h"
#include "spool.h"
#include "verdict.h"
#include "tap.h"

#include "pipeline.h"

/* test_no_configuration - MAIL FROM before any generation is published fails safe */
static void test_no_configuration(void)
{
	struct session *s = session_new();
	if (s == NULL) {
		ok(0, "session_new");
		return;
	}
	is_int(session_mail(s, "<a@example.test>", NULL), SESS_ERROR,
	       "MAIL FROM before any configuration is published: SESS_ERROR");
	is_reply(s, VD_TEMPFAIL, "451", "4.3.0", "no configuration");
	session_free(s);
}

/* test_normal - a normal transaction: findings, accept and one verdict header */
static void test_normal(unsigned long serial)
{
	const char *args[] = {"BODY=8BITMIME", "SIZE=500", NULL};
	struct session *s = session_new();
	if (s == NULL) {
		ok(0, "session_new");
		return;
	}
	is_int(session_connect(s, "client.example.test", "192.0.2.10"), SESS_CONTINUE, "connect");
	is_int(session_helo(s, "helo.example.test"), SESS_CONTINUE, "HELO");
	is_int(session_mail(s, "<alice@example.test>", args), SESS_CONTINUE,
	       "MAIL FROM with SIZE=500 and BODY=8BITMIME");
	is_int(s->msg ? s->msg->size_param : 0, 500, "SIZE= recorded");
	session_queue_id(s, "4QID0001");
	is_int(session_rcpt(s, "<bob@example.test>"), SESS_CONTINUE, "RCPT TO bob");
	is_int(session_rcpt(s, "<carol@example.test>"), SESS_CONTINUE, "RCPT TO carol");
	static const char *const hdrs[][2] = {
	    {"From", " Alice <alice@example.test>"},
	    {"To", " bob@example.test,\n\tcarol@example.test"},
	    {"Subject", " a normal message"},
	};
	size_t size = 0;
	for (size_t i = 0; i < ARRAY_LEN(hdrs); i++) {
		is_int(session_header(s, hdrs[i][0], hdrs[i][1]), SESS_CONTINUE, "header %s",
		       hdrs[i][0]);
		size += strlen(hdrs[i][0]) + strlen(hdrs[i][1]) + 3;
	}
	is_int(session_eoh(s), SESS_CONTINUE, "end of headers");
	const char body[] = "Hello Bob,\r\n\r\nthis is a test.\r\n";
	is_int(session_body(s, body, 12), SESS_CONTINUE, "body chunk 1");
	is_int(session_body(s, body + 12, sizeof(body) - 1 - 12), SESS_CONTINUE, "body chunk 2");
	size += sizeof(body) - 1;
	is_int(session_eom(s), SESS_VERDICT, "end of message gives a verdict");

	static const struct {
		const char *name, *value;
	} facts[] = {
	    {"envelope.client_addr", "192.0.2.10"},
	    {"envelope.client_name", "client.example.test"},
	    {"envelope.helo", "helo.example.test"},
	    {"envelope.mail_from", "alice@example.test"},
	    {"envelope.rcpt", "bob@example.test"},
	    {"envelope.queue_id", "4QID0001"},
	    {"size.headers", "3"},
	};
	for (size_t i = 0; i < ARRAY_LEN(facts); i++)
		is_str(finding(s, facts[i].name), facts[i].value, "finding %s", facts[i].name);
	char want[64];
	snprintf(want, sizeof(want), "%zu", size);
	is_str(finding(s, "size.bytes"), want, "finding size.bytes counts headers and body");
	snprintf(want, sizeof(want), "%zu", sizeof(body) - 1);
	is_str(finding(s, "size.body_bytes"), want, "finding size.body_bytes");
	is_int(count_findings(s, "envelope.rcpt"), 2, "one envelope.rcpt per recipient");
	const char *second = NULL;
	for (size_t i = 0, n = 0; s->findings && i < fnd_count(s->findings); i++)
		if (strcmp(fnd_at(s->findings, i)->name, "envelope.rcpt") == 0 && n++ == 1)
			second = fnd_at(s->findings, i)->value;
	is_str(second, "carol@example.test", "recipients in order");
	ok(!finding(s, "size.oversize") && !finding(s, "size.headers_capped") &&
	       !finding(s, "size.spooled"),
	   "no over-size, capped or spooled finding");

	is_accept_with_header(s, "normal message");
	is_reply(s, VD_ACCEPT, "", "", "normal message");
	is_int(s->verdict.nremove, 0, "normal message: no header to remove");
	char gen[64];
	snprintf(gen, sizeof(gen), "(%s; generation %lu)", AUTHSERV, serial);
	size_t nv;
	const char *vh = added(&s->verdict, VERDICT_HEADER, &nv);
	ok(nv == 1 && strstr(vh, gen) != NULL,
	   "the verdict header names the authserv-id and generation %lu", serial);
	if (nv)
		diag("  %s: %s", VERDICT_HEADER, vh);
	is_int(s->msg_count, 1, "one transaction counted");
	session_free(s);
}

/* test_oversize - a message over message_size_max is rejected 552 5.3.4 */
static void test_oversize(void)
{
	struct session *s = begin("<big@example.test>", NULL);
	if (s == NULL) {
		ok(0, "begin");
		return;
	}
	(void)session_rcpt(s, "<bob@example.test>");
	(void)session_header(s, "Subject", " too big");
	(void)session_header(s, "X-Portcullis-Verdict", " accept");
	(void)session_eoh(s);
	char line[100];
	memset(line, 'z', sizeof(line) - 2);
	line[98] = '\r';
	line[99] = '\n';
	for (int i = 0; i < 30; i++) /* 3000 bytes */
		(void)session_body(s, line, sizeof(line));
	is_int(session_eom(s), SESS_VERDICT, "over-size: a verdict");
	is_reply(s, VD_REJECT, "552", "5.3.4", "over-size message");
	ok(has_reason(&s->verdict, "size.oversize"), "over-size: reason size.oversize");
	ok(finding(s, "size.oversize") != NULL, "over-size: finding size.oversize");
	if (finding(s, "size.oversize"))
		diag("  size.oversize: %s", finding(s, "size.oversize"));
	is_str(finding(s, "size.body_bytes"), "3000", "over-size: every body byte counted");
	is_int(s->verdict.nadd, 0, "over-size: no verdict header added to a rejected message");
	ok(s->verdict.nremove == 1, "over-size: a forged verdict header is still removed");
	char want[200];
	snprintf(want, sizeof(want), "Message size exceeds fixed maximum message size (ref %s)",
		 s->msg ? s->msg->ref : "?");
	is_str(s->verdict.text, want, "over-size: reply text ends with the message's reference");
	ok(s->msg && strlen(s->msg->ref) == 26 &&
	       strspn(s->msg->ref, "0123456789ABCDEFGHJKMNPQRSTVWXYZ") == 26,
	   "the reference is a ULID (26 Crockford base32 characters): %s",
	   s->msg ? s->msg->ref : "?");
	session_free(s);
}

/* test_size_param - SIZE= over the limit is refused at MAIL FROM */
static void test_size_param(void)
{
	static const struct {
		const char *args[3];
		enum sess_rc rc;
	} t[] = {
	    {{"SIZE=4096", NULL, NULL}, SESS_VERDICT},
	    {{"BODY=8BITMIME", "SIZE=2049", NULL}, SESS_VERDICT},
	    {{"size=100000", NULL, NULL}, SESS_VERDICT},
	    {{"SIZE=99999999999999999999999", NULL, NULL}, SESS_VERDICT},
	    {{"SIZE=2048", NULL, NULL}, SESS_CONTINUE},
	    {{"SIZE=0", NULL, NULL}, SESS_CONTINUE},
	    {{"SIZE=", NULL, NULL}, SESS_CONTINUE},
	    {{"SIZE=12x", NULL, NULL}, SESS_CONTINUE},
	    {{"XSIZE=9999", NULL, NULL}, SESS_CONTINUE},
	    {{NULL, NULL, NULL}, SESS_CONTINUE},
	};
	for (size_t i = 0; i < ARRAY_LEN(t); i++) {
		struct session *s = session_new();
		if (s == NULL) {
			ok(0, "session_new");
			continue;
		}
		char what[128];
		snprintf(what, sizeof(what), "MAIL FROM %s %s", t[i].args[0] ? t[i].args[0] : "",
			 t[i].args[1] ? t[i].args[1] : "");
		enum sess_rc rc = session_mail(s, "<a@example.test>", t[i].args);
		is_int(rc, t[i].rc, "%s: %s", what,
		       t[i].rc == SESS_VERDICT ? "verdict" : "continue");
		if (t[i].rc == SESS_VERDICT) {
			is_reply(s, VD_REJECT, "552", "5.3.4", what);
			ok(has_reason(&s->verdict, "size.oversize"), "%s: reason size.oversize",
			   what);
			/* the MTA refuses MAIL; the client may try again without SIZE= */
			is_int(session_mail(s, "<a@example.test>", NULL), SESS_CONTINUE,
			       "%s: the next MAIL FROM starts afresh", what);
			(void)session_body(s, "ok\r\n", 4);
			is_int(session_eom(s), SESS_VERDICT, "%s: and ends in a verdict", what);
			is_accept_with_header(s, what);
		}
		session_free(s);
	}
	/* a NULL args array, as a caller without ESMTP parameters passes */
	struct session *s = session_new();
	if (s) {
		is_int(session_mail(s, "<a@example.test>", NULL), SESS_CONTINUE,
		       "MAIL FROM with no parameter array");
		session_free(s);
	}
}

/* test_two_transactions - two transactions on one connection are independent */
static void test_two_transactions(void)
{
	struct session *s = begin("<first@example.test>", NULL);
	if (s == NULL) {
		ok(0, "begin");
		return;
	}
	(void)session_rcpt(s, "<one@example.test>");
	(void)session_rcpt(s, "<two@example.test>");
	(void)session_header(s, "Subject", " first");
	(void)session_header(s, "X-Portcullis-Verdict", " forged");
	(void)session_eoh(s);
	char big[SIZE_LIMIT + 100];
	memset(big, 'b', sizeof(big));
	(void)session_body(s, big, sizeof(big));
	is_int(session_eom(s), SESS_VERDICT, "first transaction: a verdict");
	is_reply(s, VD_REJECT, "552", "5.3.4", "first transaction is over-size");

	is_int(session_mail(s, "<second@example.test>", NULL), SESS_CONTINUE,
	       "second MAIL FROM after end of message");
	(void)session_rcpt(s, "<three@example.test>");
	(void)session_header(s, "Subject", " second");
	(void)session_eoh(s);
	(void)session_body(s, "small\r\n", 7);
	is_int(session_eom(s), SESS_VERDICT, "second transaction: a verdict");
	is_accept_with_header(s, "second transaction");
	is_int(s->verdict.nremove, 0, "second transaction: nothing to remove");
	is_int(s->verdict.nreason, 0, "second transaction: no reasons left from the first");
	is_str(finding(s, "envelope.mail_from"), "second@example.test", "second sender");
	is_int(count_findings(s, "envelope.rcpt"), 1, "only the second transaction's recipient");
	is_str(finding(s, "envelope.rcpt"), "three@example.test", "which is three@");
	is_str(finding(s, "size.headers"), "1", "only the second transaction's header");
	is_str(finding(s, "size.body_bytes"), "7", "only the second transaction's body");
	ok(!finding(s, "size.oversize"), "the first transaction's over-size is gone");
	is_str(finding(s, "envelope.helo"), "client.example.test", "HELO kept across transactions");
	is_int(s->msg_count, 2, "two transactions counted");
	session_free(s);
}

/* test_abort - session_abort drops the transaction; the next one starts clean */
static void test_abort(void)
{
	struct session *s = begin("<aborted@example.test>", NULL);
	if (s == NULL) {
		ok(0, "begin");
		return;
	}
	(void)session_rcpt(s, "<gone@example.test>");
	(void)session_header(s, "Subject", " aborted");
	(void)session_body(s, "aborted body\r\n", 14);
	session_abort(s);
	ok(s->msg == NULL, "session_abort drops the transaction");
	session_abort(s); /* twice is harmless */

	is_int(session_mail(s, "<after@example.test>", NULL), SESS_CONTINUE,
	       "MAIL FROM after abort");
	(void)session_rcpt(s, "<kept@example.test>");
	(void)session_header(s, "Subject", " after abort");
	(void)session_eoh(s);
	(void)session_body(s, "body\r\n", 6);
	is_int(session_eom(s), SESS_VERDICT, "end of message after abort: a verdict");
	is_accept_with_header(s, "after abort");
	is_str(finding(s, "envelope.mail_from"), "after@example.test", "the new sender");
	is_int(count_findings(s, "envelope.rcpt"), 1, "no recipient of the aborted transaction");
	is_str(finding(s, "size.body_bytes"), "6", "no body of the aborted transaction");

	session_abort(s);
	is_int(session_eom(s), SESS_ERROR,
	       "end of message after abort without MAIL FROM: an error");
	is_reply(s, VD_TEMPFAIL, "451", "4.3.0", "end of message without a transaction");
	session_free(s);
}

/* events before MAIL FROM: the end of message must not accept */
static void test_out_of_order(const char *on_error, enum vd_action a, const char *rcode,
			      const char *xcode)
{
	static const char *const stages[] = {"header", "rcpt", "body", "eoh", "eom"};
	for (size_t i = 0; i < ARRAY_LEN(stages); i++) {
		struct session *s = session_new();
		if (s == NULL) {
			ok(0, "session_new");
			continue;
		}
		if (session_connect(s, "client.example.test", "192.0.2.10") != SESS_CONTINUE)
			diag("  connect failed");
		enum sess_rc rc = SESS_CONTINUE;
		if (strcmp(stages[i], "header") == 0)
			rc = session_header(s, "Subject", " early");
		else if (strcmp(stages[i], "rcpt") == 0)
			rc = session_rcpt(s, "<early@example.test>");
		else if (strcmp(stages[i], "body") == 0)
			rc = session_body(s, "early\r\n", 7);
		else if (strcmp(stages[i], "eoh") == 0)
			rc = session_eoh(s);
		is_int(rc, SESS_CONTINUE, "on_error %s: %s before MAIL FROM is not answered early",
		       on_error, stages[i]);
		is_int(session_eom(s), SESS_ERROR,
		       "on_error %s: %s before MAIL FROM, then eom: error", on_error, stages[i]);
		char what[128];
		snprintf(what, sizeof(what), "on_error %s: %s before MAIL FROM", on_error,
			 stages[i]);
		is_reply(s, a, rcode, xcode, what);
		ok(s->verdict.nadd == 0, "%s: no verdict header", what);
		/* the next transaction is unaffected */
		if (session_mail(s, "<a@example.test>", NULL) != SESS_CONTINUE)
			diag("  MAIL FROM failed");
		(void)session_body(s, "x\r\n", 3);
		is_int(session_eom(s), SESS_VERDICT, "%s: the next transaction is judged normally",
		       what);
		is_accept_with_header(s, what);
		session_free(s);
	}
}

/* a body that cannot be stored (tmpdir missing) is a failure, never an accept */
static void test_store_failure(void)
{
	char missing[1200];
	snprintf(missing, sizeof(missing), "%s/no/such/dir", tmpdir);
	static const struct {
		const char *on_error;
		enum vd_action a;
		const char *rcode, *xcode;
	} t[] = {
	    {"tempfail", VD_TEMPFAIL, "451", "4.3.0"},
	    {"accept", VD_ACCEPT, "", ""},
	    {"reject", VD_REJECT, "550", "5.7.1"},
	};
	for (size_t i = 0; i < ARRAY_LEN(t); i++) {
		char extra[64];
		snprintf(extra, sizeof(extra), "on_error %s\n", t[i].on_error);
		if (publish("store.conf", missing, extra) == 0) {
			ok(0, "publish a configuration with a missing tmpdir");
			continue;
		}
		struct session *s = begin("<a@example.test>", NULL);
		if (s == NULL) {
			ok(0, "begin");
			continue;
		}
		(void)session_header(s, "Subject", " spooled");
		(void)session_header(s, "X-Portcullis-Verdict", " accept (forged)");
		char body[BODY_MEM + 100];
		memset(body, 's', sizeof(body));
		is_int(session_body(s, body, sizeof(body)), SESS_CONTINUE,
		       "on_error %s: a body that cannot be spooled is not answered at once",
		       t[i].on_error);
		/* a later configuration does not change how this message fails */
		unsigned long other = publish("other.conf", NULL, "on_error accept\n");
		is_int(session_eom(s), SESS_ERROR,
		       "on_error %s: end of message reports the failure", t[i].on_error);
		char what[128];
		snprintf(what, sizeof(what), "on_error %s: unstorable body (pinned generation)",
			 t[i].on_error);
		is_reply(s, t[i].a, t[i].rcode, t[i].xcode, what);
		ok(other != 0, "a newer generation was published meanwhile");
		if (t[i].a == VD_ACCEPT) {
			/* failing open must not let a forged verdict header through */
			if (!ok(s->verdict.nremove == 1 &&
				    strcasecmp(s->verdict.remove[0].name, VERDICT_HEADER) == 0 &&
				    s->verdict.remove[0].index == 1,
				"%s: the forged %s is still removed", what, VERDICT_HEADER))
				diag("  session_fail() builds the verdict without scan.c finish(), "
				     "so "
				     "nothing removes the forged header");
		}
		session_free(s);
	}
}

/* a message keeps the generation it started with */
static void test_pinning(void)
{
	unsigned long first = publish("pin.conf", NULL, "");
	struct session *s = begin("<a@example.test>", NULL);
	if (s == NULL || first == 0) {
		ok(0, "begin");
		session_free(s);
		return;
	}
	char path[1200];
	char text[12288];
	snprintf(text, sizeof(text),
		 "tmpdir %s\nmessage_size_max 100\nauthserv_id other.example\n%s", tmpdir, NODNS);
	struct errlist errs;
	errlist_init(&errs);
	struct generation *g = NULL;
	if (conf_file(path, sizeof(path), "small.conf", text) == 0)
		g = gen_load(path, &errs);
	errlist_free(&errs);
	unlink(path);
	if (g == NULL) {
		ok(0, "load small.conf");
		session_free(s);
		return;
	}
	gen_publish(g);
	char body[1000];
	memset(body, 'p', sizeof(body));
	(void)session_body(s, body, sizeof(body));
	is_int(session_eom(s), SESS_VERDICT, "pinned: a verdict");
	is_accept_with_header(s, "a 1000-byte message started before the 100-byte limit");
	char gen[64];
	snprintf(gen, sizeof(gen), "(%s; generation %lu)", AUTHSERV, first);
	size_t nv;
	const char *vh = added(&s->verdict, VERDICT_HEADER, &nv);
	ok(nv == 1 && strstr(vh, gen) != NULL, "the verdict header names the pinned generation %lu",
	   first);
	/* the next transaction takes the new one */
	if (session_mail(s, "<a@example.test>", NULL) != SESS_CONTINUE)
		diag("  MAIL FROM failed");
	(void)session_body(s, body, sizeof(body));
	is_int(session_eom(s), SESS_VERDICT, "next transaction: a verdict");
	is_reply(s, VD_REJECT, "552", "5.3.4", "the next transaction uses the new 100-byte limit");
	session_free(s);
	publish("main.conf", NULL, "");
}

/* test_caps_findings - capped headers and spooled bodies become findings */
static void test_caps_findings(void)
{
	struct session *s = begin("<a@example.test>", NULL);
	if (s == NULL) {
		ok(0, "begin");
		return;
	}
	for (int i = 0; i < HDR_LIMIT + 2; i++)
		(void)session_header(s, "X-Many", " h");
	(void)session_eoh(s);
	char body[BODY_MEM + 1];
	memset(body, 'q', sizeof(body));
	(void)session_body(s, body, sizeof(body));
	is_int(session_eom(s), SESS_VERDICT, "many headers: a verdict");
	char want[32];
	snprintf(want, sizeof(want), "%d", HDR_LIMIT);
	is_str(finding(s, "size.headers_capped"), want,
	       "finding size.headers_capped names the cap");
	is_str(finding(s, "size.headers"), want, "size.headers counts the kept headers");
	snprintf(want, sizeof(want), "%d", BODY_MEM + 1);
	is_str(finding(s, "size.spooled"), want, "finding size.spooled past body_memory_max");
	is_accept_with_header(s, "capped headers and a spooled body");
	session_free(s);
}

/* a forged verdict header after header_count_max others must still be removed */
static void test_forged_past_cap(void)
{
	struct session *s = begin("<mallory@example.test>", NULL);
	if (s == NULL) {
		ok(0, "begin");
		return;
	}
	for (int i = 0; i < HDR_LIMIT; i++)
		(void)session_header(s, "Received", " from filler");
	(void)session_header(s, "X-Portcullis-Verdict", " accept score=-100.0 (forged)");
	(void)session_eoh(s);
	(void)session_body(s, "hi\r\n", 4);
	is_int(session_eom(s), SESS_VERDICT, "forged header past the header cap: a verdict");
	ok(finding(s, "size.headers_capped") != NULL, "the header cap was hit");
	const struct verdict *v = &s->verdict;
	ok(v->action != VD_ACCEPT ||
	       (v->nremove == 1 && strcasecmp(v->remove[0].name, VERDICT_HEADER) == 0 &&
		v->remove[0].index == 1),
	   "an accepted message never keeps a %s that arrived past header_count_max",
	   VERDICT_HEADER);
	if (v->action == VD_ACCEPT && v->nremove == 0)
		diag("  accepted with %zu header(s) to add and none removed: the forged header "
		     "was not stored (cap) so scan.c finish() never saw it",
		     v->nadd);
	session_free(s);
}

/* test_values_trimmed - header values without their space; NULL connect and HELO data */
static void test_values_trimmed(void)
{
	struct session *s = begin("<a@example.test>", NULL);
	if (s == NULL) {
		ok(0, "begin");
		return;
	}
	s->values_trimmed = 1; /* an MTA that strips the space after the colon */
	(void)session_header(s, "Subject", "trimmed");
	(void)session_header(s, "X-Space", " kept");
	(void)session_header(s, "X-Tab", "\tkept");
	(void)session_header(s, "X-Empty", "");
	(void)session_header(s, "X-Null", NULL);
	static const struct {
		const char *name, *want;
	} t[] = {
	    {"Subject", " trimmed"}, {"X-Space", " kept"}, {"X-Tab", "\tkept"},
	    {"X-Empty", " "},        {"X-Null", " "},
	};
	for (size_t i = 0; i < ARRAY_LEN(t); i++)
		is_str(msg_header_find(s->msg, t[i].name, 0), t[i].want,
		       "trimmed values get their space back: %s", t[i].name);
	session_free(s);

	s = session_new();
	if (s == NULL)
		return;
	is_int(session_connect(s, NULL, NULL), SESS_CONTINUE, "connect with no name or address");
	ok(strcmp(s->client_name, "unknown") == 0 && strcmp(s->client_addr, "unknown") == 0,
	   "both become 'unknown'");
	is_int(session_helo(s, NULL), SESS_CONTINUE, "HELO with no name");
	if (session_mail(s, NULL, NULL) != SESS_CONTINUE)
		diag("  MAIL FROM failed");
	is_int(session_eom(s), SESS_VERDICT, "MAIL FROM NULL then end of message");
	is_str(finding(s, "envelope.mail_from"), "", "a NULL sender is the null sender");
	is_str(finding(s, "envelope.helo"), "", "an empty HELO name");
	session_free(s);
}

/* ---- msgfile_feed ------------------------------------------------------ */

struct hdr {
	const char *name, *value;
};

/* feed - connect, MAIL, feed len bytes, end of message; the session (caller frees) */
static struct session *feed(const char *data, size_t len)
{
	struct session *s = begin("<file@example.test>", NULL);
	if (s == NULL)
		return NULL;
	msgfile_feed(s, data, len);
	if (session_eom(s) != SESS_VERDICT) {
		session_free(s);
		return NULL;
	}
	return s;
}

/* check_fed - headers and body of a fed message as expected */
static void check_fed(const char *what, const struct session *s, const struct hdr *h, size_t nh,
		      const char *body, size_t blen)
{
	if (s == NULL || s->msg == NULL) {
		ok(0, "%s: fed and judged", what);
		return;
	}
	int same = s->msg->nhdr == nh;
	for (size_t i = 0; same && i < nh; i++)
		same = strcmp(s->msg->hdrs[i].name, h[i].name) == 0 &&
		       strcmp(s->msg->hdrs[i].value, h[i].value) == 0;
	if (!ok(same, "%s: %zu header(s) as expected", what, nh)) {
		for (size_t i = 0; i < s->msg->nhdr; i++)
			diag("  got [%s] [%.80s]", s->msg->hdrs[i].name, s->msg->hdrs[i].value);
		for (size_t i = 0; i < nh; i++)
			diag("  expected [%s] [%.80s]", h[i].name, h[i].value);
	}
	struct buf got;
	body_of(s, &got);
	is_mem(got.data, got.len, body, blen, "%s: body of %zu bytes as expected", what, blen);
	if (got.len != blen || (blen && memcmp(got.data, body, blen) != 0))
		diag("  got body '%.200s'", got.data ? got.data : "");
	buf_free(&got);
	char want[64];
	snprintf(want, sizeof(want), "%zu", blen);
	is_str(finding(s, "size.body_bytes"), want, "%s: size.body_bytes", what);
	snprintf(want, sizeof(want), "%zu", nh);
	is_str(finding(s, "size.headers"), want, "%s: size.headers", what);
	is_accept_with_header(s, what);
}

/* test_msgfile - msgfile_feed on tests/data/messages: headers and body as documented */
static void test_msgfile(void)
{
	static const struct hdr lf[] = {
	    {"From", " alice@example.test"}, {"To", " bob@example.test"}, {"Subject", " LF only"}};
	static const struct hdr crlf[] = {{"From", " alice@example.test"},
					  {"To", " bob@example.test"},
					  {"Subject", " CRLF\n folded"}};
	static const struct hdr mbox[] = {{"From", " alice@example.test"}, {"Subject", " mbox"}};
	static const struct hdr folded[] = {
	    {"Subject", " a folded\n subject line"},
	    {"Received", " from a.example.test\n\tby b.example.test\n\twith ESMTP"},
	    {"X-Empty", ""},
	    {"X-Tight", "value"},
	    {"X-Spaces", "   three"},
	};
	static const struct hdr nonheader[] = {{"From", " alice@example.test"},
					       {"Subject", " no blank line before the body"}};
	static const struct hdr nobody[] = {{"From", " alice@example.test"},
					    {"Subject", " no body"}};
	static const struct hdr noblank[] = {{"From", " alice@example.test"},
					     {"Subject", " no blank line at all"}};
	static const struct hdr nul[] = {{"Subject", " nul"}, {"X-After", " ok"}};
	static const struct hdr x[] = {{"Subject", " x"}};
	static const struct hdr forged[] = {
	    {"From", " mallory@example.test"},
	    {"X-Portcullis-Verdict", " accept score=-100.0 (mx.test.example; generation 1)"},
	    {"x-portcullis-verdict", " accept"},
	    {"Subject", " forged verdict"},
	};
	static const struct {
		const char *file;
		const struct hdr *h;
		size_t nh;
		const char *body;
		size_t blen;
	} t[] = {
	    {"lf.eml", lf, ARRAY_LEN(lf), "line one\r\nline two\r\n", 20},
	    {"crlf.eml", crlf, ARRAY_LEN(crlf), "line one\r\nline two\r\n", 20},
	    {"mbox.eml", mbox, ARRAY_LEN(mbox), "body\r\n", 6},
	    {"mbox-only.eml", NULL, 0, "", 0},
	    {"folded.eml", folded, ARRAY_LEN(folded), "body\r\n", 6},
	    {"nonheader.eml", nonheader, ARRAY_LEN(nonheader),
	     "Not A Header: spaces in the name\r\nsecond body line\r\n", 52},
	    {"nobody.eml", nobody, ARRAY_LEN(nobody), "", 0},
	    {"noblank.eml", noblank, ARRAY_LEN(noblank), "", 0},
	    {"empty.eml", NULL, 0, "", 0},
	    {"nul.eml", nul, ARRAY_LEN(nul), "bo\0dy\r\n", 7},
	    {"leading-space.eml", NULL, 0, " starts with white space\r\nSubject: x\r\n\r\nbody\r\n",
	     46},
	    {"blank-first.eml", NULL, 0, "Subject: not a header\r\n", 23},
	    {"no-final-newline.eml", x, ARRAY_LEN(x), "last line without a newline\r\n", 29},
	    {"bare-cr.eml", x, ARRAY_LEN(x), "line\rwith a bare CR\r\n\r\n", 23},
	    {"forged.eml", forged, ARRAY_LEN(forged), "body\r\n", 6},
	};
	for (size_t i = 0; i < ARRAY_LEN(t); i++) {
		char path[4096];
		snprintf(path, sizeof(path), "%s/tests/data/messages/%s", tap_srcdir(), t[i].file);
		FILE *fp = fopen(path, "rb");
		struct buf data;
		buf_init(&data, 0);
		char chunk[4096];
		size_t n;
		int rc = fp ? 0 : -1;
		while (fp && (n = fread(chunk, 1, sizeof(chunk), fp)) > 0)
			rc |= buf_add(&data, chunk, n);
		if (fp)
			fclose(fp);
		if (rc != 0) {
			ok(0, "read %s", path);
			buf_free(&data);
			continue;
		}
		struct session *s = feed(data.data ? data.data : "", data.len);
		check_fed(t[i].file, s, t[i].h, t[i].nh, t[i].body, t[i].blen);
		if (strcmp(t[i].file, "forged.eml") == 0)
			ok(s && s->verdict.nremove == 2,
			   "forged.eml: both forged headers are removed");
		session_free(s);
		buf_free(&data);
	}
}

/* one line of 1 MiB: as the body, and as a header */
static void test_msgfile_long_line(void)
{
	publish_sized("big.conf", NULL, 4 * 1024 * 1024, "");
	const size_t n = 1024 * 1024;
	char *data = malloc(n + 64);
	char *want = malloc(n + 64);
	if (data == NULL || want == NULL) {
		ok(0, "memory for a 1 MiB line");
		free(data);
		free(want);
		return;
	}
	memset(data, 'x', n);
	memcpy(want, data, n);
	memcpy(want + n, "\r\n", 2);
	struct session *s = feed(data, n);
	check_fed("a 1 MiB line without a newline", s, NULL, 0, want, n + 2);
	session_free(s);

	memcpy(data, "X-Long: ", 8); /* the same line as a header, then a body */
	memcpy(data + n, "\n\nbody\n", 7);
	want[0] = ' '; /* the value: the space after the colon and n - 8 x */
	memset(want + 1, 'x', n - 8);
	want[n - 7] = '\0';
	const struct hdr h[] = {{"X-Long", want}};
	s = feed(data, n + 7);
	check_fed("a 1 MiB header line", s, h, 1, "body\r\n", 6);
	session_free(s);
	free(data);
	free(want);
	publish("main.conf", NULL, "");
}

/* ---- json_str ---------------------------------------------------------- */

/* test_json_str - JSON string escaping and U+FFFD for invalid UTF-8 */
static void test_json_str(void)
{
	static const struct {
		const char *in, *want, *what;
	} t[] = {
	    {"", "\"\"", "empty"},
	    {"plain text", "\"plain text\"", "plain"},
	    {"a\"b\\c/d", "\"a\\\"b\\\\c/d\"", "quote and backslash"},
	    {"\n\r\t", "\"\\n\\r\\t\"", "newline, CR, tab"},
	    {"\x01\x08\x0c\x1f\x7f", "\"\\u0001\\u0008\\u000c\\u001f\\u007f\"", "other controls"},
	    {"caf\xc3\xa9", "\"caf\xc3\xa9\"", "2-byte UTF-8 kept"},
	    {"\xe2\x82\xac 5", "\"\xe2\x82\xac 5\"", "3-byte UTF-8 kept"},
	    {"\xf0\x9f\x98\x80", "\"\xf0\x9f\x98\x80\"", "4-byte UTF-8 kept"},
	    {"\xef\xbf\xbf", "\"\xef\xbf\xbf\"", "U+FFFF kept"},
	    {"\xf4\x8f\xbf\xbf", "\"\xf4\x8f\xbf\xbf\"", "U+10FFFF kept"},
	    {"a\xff"
	     "b",
	     "\"a\\ufffdb\"", "0xFF"},
	    {"\x80", "\"\\ufffd\"", "lone continuation byte"},
	    {"\xc3", "\"\\ufffd\"", "truncated 2-byte sequence at the end"},
	    {"\xe2\x82", "\"\\ufffd\\ufffd\"", "truncated 3-byte sequence at the end"},
	    {"\xe2\x82x", "\"\\ufffd\\ufffdx\"", "truncated 3-byte sequence before ASCII"},
	    {"\xc0\xaf", "\"\\ufffd\\ufffd\"", "overlong 2-byte '/'"},
	    {"\xc1\xbf", "\"\\ufffd\\ufffd\"", "overlong 2-byte (C1)"},
	    {"\xe0\x80\xaf", "\"\\ufffd\\ufffd\\ufffd\"", "overlong 3-byte"},
	    {"\xf0\x80\x80\xaf", "\"\\ufffd\\ufffd\\ufffd\\ufffd\"", "overlong 4-byte"},
	    {"\xed\xa0\x80", "\"\\ufffd\\ufffd\\ufffd\"", "UTF-16 surrogate"},
	    {"\xf4\x90\x80\x80", "\"\\ufffd\\ufffd\\ufffd\\ufffd\"", "above U+10FFFF"},
	    {"\xf5\x80\x80\x80", "\"\\ufffd\\ufffd\\ufffd\\ufffd\"", "F5 lead byte"},
	    {"\xfe\xff", "\"\\ufffd\\ufffd\"", "FE FF"},
	    {"\xc3\n", "\"\\ufffd\\n\"", "truncated sequence before a control"},
	    {"\xc3\"", "\"\\ufffd\\\"\"", "truncated sequence before a quote"},
	};
	for (size_t i = 0; i < ARRAY_LEN(t); i++) {
		struct buf b;
		buf_init(&b, 0);
		int rc = json_str(&b, t[i].in);
		ok(rc == 0, "json_str %s: returns 0", t[i].what);
		is_str(b.data, t[i].want, "json_str %s", t[i].what);
		buf_free(&b);
	}
	struct buf b;
	buf_init(&b, 0);
	ok(buf_adds(&b, "{\"k\":") == 0 && json_str(&b, "v") == 0 && buf_adds(&b, "}") == 0,
	   "json_str appends to what the buffer holds");
	is_str(b.data, "{\"k\":\"v\"}", "and keeps it");
	buf_free(&b);
	buf_init(&b, 8);
	ok(json_str(&b, "0123456789") < 0, "json_str reports a buffer cap it cannot fit");
	buf_free(&b);
}

/* main - run every test, publishing configurations as the daemon would */
int main(void)
{
	if (pipeline_setup("pipeline_test") < 0)
		return 1;

	test_no_configuration();
	unsigned long serial = publish("main.conf", NULL, "");
	if (serial == 0) {
		printf("Bail out! cannot load the test configuration\n");
		return 1;
	}
	test_normal(serial);
	test_oversize();
	test_size_param();
	test_two_transactions();
	test_abort();
	test_out_of_order("tempfail", VD_TEMPFAIL, "451", "4.3.0");
	publish("accept.conf", NULL, "on_error accept\n");
	test_out_of_order("accept", VD_ACCEPT, "", "");
	publish("reject.conf", NULL, "on_error reject\n");
	test_out_of_order("reject", VD_REJECT, "550", "5.7.1");
	test_store_failure();
	publish("main.conf", NULL, "");
	test_pinning();
	test_caps_findings();
	test_forged_past_cap();
	test_values_trimmed();
	test_msgfile();
	test_msgfile_long_line();
	test_json_str();
	pipeline_teardown();
	return done_testing();
}
