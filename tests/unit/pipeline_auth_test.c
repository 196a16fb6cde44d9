/*
 * pipeline_auth_test.c - the pipeline's authentication headers and early checks: forged
 * verdict, tag and Authentication-Results headers removed (authres_trusted_hosts), SPF
 * of the HELO and MAIL FROM identities started early and overlapping (the fake DNS holds
 * one answer back), and a reload that keeps the resolver.
 *
 * OUTPUT
 *	TAP on stdout (see tap.h).
 */
#include "config.h"

#include "pipeline.h"
#include "scan.h"

/* test_forged - a forged verdict header is removed */
static void test_forged(void)
{
	struct session *s = begin("<mallory@example.test>", NULL);
	if (s == NULL) {
		ok(0, "begin");
		return;
	}
	(void)session_rcpt(s, "<bob@example.test>");
	(void)session_header(s, "X-Portcullis-Verdict", " accept score=-100.0 (forged)");
	(void)session_header(s, "Subject", " forged");
	(void)session_header(s, "x-portcullis-verdict", " accept");
	(void)session_eoh(s);
	(void)session_body(s, "hi\r\n", 4);
	is_int(session_eom(s), SESS_VERDICT, "forged verdict header: a verdict");
	is_accept_with_header(s, "forged verdict header");
	const struct verdict *v = &s->verdict;
	ok(v->nremove == 2 && strcasecmp(v->remove[0].name, VERDICT_HEADER) == 0 &&
	       v->remove[0].index == 2 && strcasecmp(v->remove[1].name, VERDICT_HEADER) == 0 &&
	       v->remove[1].index == 1,
	   "both forged %s instances are removed, the later first", VERDICT_HEADER);
	session_free(s);
}

/* removed_authres - how many A-R instances the verdict removes */
static size_t removed_authres(const struct verdict *v)
{
	size_t n = 0;
	for (size_t i = 0; i < v->nremove; i++)
		n += strcasecmp(v->remove[i].name, AUTHRES_HEADER) == 0;
	return n;
}

/* trusted_case - a message from client addr carrying one upstream A-R and one claiming
 * our id; how many A-R the verdict removes */
static size_t trusted_case(const char *addr)
{
	struct session *s = session_new();
	size_t n = 99;
	if (s && session_connect(s, "up.example.test", addr) == SESS_CONTINUE &&
	    session_mail(s, "<a@example.test>", NULL) == SESS_CONTINUE) {
		(void)session_rcpt(s, "<b@example.test>");
		(void)session_header(s, AUTHRES_HEADER, " upstream.example; spf=pass");
		(void)session_header(s, AUTHRES_HEADER, " " AUTHSERV "; dkim=pass");
		(void)session_eoh(s);
		if (session_eom(s) == SESS_VERDICT)
			n = removed_authres(&s->verdict);
	}
	session_free(s);
	return n;
}

/* test_trusted_hosts - authres_trusted_hosts: A-R from other clients all go */
static void test_trusted_hosts(void)
{
	is_int((int)trusted_case("192.0.2.10"), 1, "no list: only the A-R claiming our id goes");
	publish("trusted.conf", NULL, "authres_trusted_hosts 198.51.100.0/24 2001:db8::/32\n");
	is_int((int)trusted_case("198.51.100.7"), 1, "a trusted client keeps its upstream A-R");
	is_int((int)trusted_case("::ffff:198.51.100.7"), 1,
	       "a trusted client seen as IPv4-mapped IPv6 too");
	is_int((int)trusted_case("2001:db8::25"), 1, "a trusted IPv6 client");
	is_int((int)trusted_case("192.0.2.10"), 2, "any other client: every A-R goes");
	publish("removeall.conf", NULL, "authres_remove_all yes\n");
	is_int((int)trusted_case("192.0.2.10"), 2, "authres_remove_all: every A-R goes");
	publish("main.conf", NULL, "");
}

/* test_forged_tag - incoming copies of the policy's tag headers are removed */
static void test_forged_tag(void)
{
	struct session *s = begin("<mallory@example.test>", NULL);
	if (s == NULL) {
		ok(0, "begin");
		return;
	}
	(void)session_rcpt(s, "<bob@example.test>");
	(void)session_header(s, "X-Spam-Flag", " NO");
	(void)session_header(s, "x-portcullis-score", " -100");
	(void)session_header(s, "X-Spam-Flag", " NO");
	(void)session_eoh(s);
	is_int(session_eom(s), SESS_VERDICT, "forged tag headers: a verdict");
	const struct verdict *v = &s->verdict;
	size_t flags = 0, scores = 0, last_flag = 0;
	for (size_t i = 0; i < v->nremove; i++) {
		if (strcasecmp(v->remove[i].name, "X-Spam-Flag") == 0 &&
		    v->remove[i].value == NULL) {
			flags++;
			if (last_flag == 0)
				last_flag = v->remove[i].index;
		}
		scores += strcasecmp(v->remove[i].name, "X-Portcullis-Score") == 0;
	}
	ok(flags == 2 && last_flag == 2, "both forged X-Spam-Flag removed, the later first");
	ok(scores == 1, "the forged X-Portcullis-Score removed");
	session_free(s);
}

/* test_spf_overlap - the HELO check starts at HELO, the MAIL FROM check at MAIL FROM while
 * the HELO check still waits for DNS, and the end of message collects both */
static void test_spf_overlap(void)
{
	struct session *s = session_new();
	if (s == NULL || session_connect(s, "client.example", "192.0.2.7") != SESS_CONTINUE) {
		ok(0, "session");
		session_free(s);
		return;
	}
	nxdns_hold("held-helo.example");
	is_int(session_helo(s, "held-helo.example"), SESS_CONTINUE, "HELO returns at once");
	ok(nxdns_wait_seen("held-helo.example", 1, 5000),
	   "the HELO name's SPF record is asked for before MAIL FROM");
	is_int(session_mail(s, "<a@overlap-sender.example>", NULL), SESS_CONTINUE,
	       "MAIL FROM returns while the HELO lookup is held");
	ok(nxdns_wait_seen("overlap-sender.example", 1, 5000),
	   "the sender's SPF record is asked for while the HELO lookup is held");
	(void)session_rcpt(s, "<r@example.test>");
	(void)session_eoh(s);
	nxdns_release();
	is_int(session_eom(s), SESS_VERDICT, "end of message waits for both checks");
	is_str(finding(s, "spf.helo"), "none", "the HELO result is collected");
	is_str(finding(s, "spf.mailfrom"), "none", "the MAIL FROM result is collected");
	is_str(finding(s, "spf.mailfrom.identity"), "a@overlap-sender.example",
	       "MAIL FROM identity");

	/* the null sender is the HELO identity (RFC 7208 2.4): no second evaluation */
	unsigned before = nxdns_seen("held-helo.example");
	is_int(session_mail(s, "<>", NULL), SESS_CONTINUE, "null sender");
	is_int(session_eom(s), SESS_VERDICT, "null sender: a verdict");
	is_str(finding(s, "spf.mailfrom.identity"), "postmaster@held-helo.example",
	       "null sender: checked as postmaster@HELO");
	is_int(nxdns_seen("held-helo.example"), before, "null sender: the HELO result is reused");

	/* a transaction given up while its lookup is held does not wait for it */
	nxdns_hold("abandoned.example");
	is_int(session_mail(s, "<x@abandoned.example>", NULL), SESS_CONTINUE, "MAIL FROM");
	ok(nxdns_wait_seen("abandoned.example", 1, 5000), "its lookup is under way");
	session_abort(s);
	is_int(session_helo(s, "other-helo.example"), SESS_CONTINUE,
	       "a new HELO drops the old check"); /* nothing is held for it */
	session_free(s);
	ok(1, "abort, new HELO and close return with the lookup still held");
	nxdns_release();
}

/* test_resolver_kept - a reload with the same DNS settings keeps the resolver (and its
 * cache); one that changes them makes a new one */
static void test_resolver_kept(void)
{
	struct generation *a = gen_current();
	unsigned long s1 = publish("main.conf", NULL, "");
	struct generation *b = gen_current();
	ok(s1 && a && b && a != b && a->dns == b->dns,
	   "same DNS settings: the new generation shares the resolver");
	unsigned long s2 = publish("timeout.conf", NULL, "dns_timeout 7\n");
	struct generation *c = gen_current();
	ok(s2 && c && c->dns != b->dns, "another dns_timeout: a new resolver");
	gen_release(a);
	gen_release(b); /* the old generations and the shared resolver go away cleanly */
	gen_release(c);
	publish("main.conf", NULL, "");
}

int main(void)
{
	if (pipeline_setup("pipeline_auth_test") < 0)
		return 1;
	if (publish("main.conf", NULL, "") == 0) {
		printf("Bail out! cannot load the test configuration\n");
		return 1;
	}
	test_forged();
	test_trusted_hosts();
	test_forged_tag();
	test_spf_overlap();
	test_resolver_kept();
	pipeline_teardown();
	return done_testing();
}
