/*
 * locallist_test.c - local list files: networks (merged, v4, v6, IPv4-mapped), domains
 * with subdomains, addresses, bad lines as file:line, and a large list against a naive
 * scan of the same entries.
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

#include "cidr.h"
#include "errlist.h"
#include "locallist.h"
#include "tap.h"

static char dir[1024];

/* put - write a list file; its path in out */
static void put(char *out, size_t cap, const char *name, const char *text)
{
	snprintf(out, cap, "%s/%s", dir, name);
	FILE *fp = fopen(out, "w");
	if (fp) {
		fputs(text, fp);
		fclose(fp);
	}
}

/* load - a list that must load */
static struct llist *load(const char *name, const char *text, enum ll_kind k)
{
	char path[2048];
	put(path, sizeof(path), name, text);
	struct errlist e;
	errlist_init(&e);
	struct llist *l = llist_load(path, k, &e);
	for (size_t i = 0; i < e.count; i++)
		diag("%s", e.msgs[i]);
	errlist_free(&e);
	unlink(path);
	return l;
}

/* test_ip - networks */
static void test_ip(void)
{
	struct llist *l = load("nets",
			       "# partners\n192.0.2.0/25\n192.0.2.128/25 # touching\n"
			       "198.51.100.7\n10.0.0.0/8\n10.1.0.0/16\n\n"
			       "2001:db8::/32\n2001:db8:1::/48\n::1\n",
			       LL_IP);
	if (!ok(l != NULL, "a network list loads"))
		return;
	is_int((int)llist_count(l), 5, "overlapping and touching networks merged: 3 v4 + 2 v6");
	static const struct {
		const char *ip;
		int in;
	} cases[] = {
	    {"192.0.2.0", 1},
	    {"192.0.2.255", 1},
	    {"192.0.3.0", 0},
	    {"198.51.100.7", 1},
	    {"198.51.100.8", 0},
	    {"10.255.255.255", 1},
	    {"11.0.0.0", 0},
	    {"::ffff:192.0.2.9", 1},
	    {"2001:db8:ffff::1", 1},
	    {"2001:db9::", 0},
	    {"::1", 1},
	    {"::2", 0},
	    {"0.0.0.0", 0},
	    {"255.255.255.255", 0},
	    {"not an address", 0},
	};
	for (size_t i = 0; i < ARRAY_LEN(cases); i++)
		is_int(llist_has_ip(l, cases[i].ip), cases[i].in, "%s %s", cases[i].ip,
		       cases[i].in ? "listed" : "not listed");
	llist_free(l);
}

/* test_names - domains and addresses */
static void test_names(void)
{
	struct llist *l = load("doms", "Example.COM.\npartner.example\n", LL_DOMAIN);
	if (ok(l != NULL, "a domain list loads")) {
		ok(llist_has_domain(l, "example.com"), "the domain");
		ok(llist_has_domain(l, "MAIL.example.com"), "a subdomain, any case");
		ok(!llist_has_domain(l, "badexample.com"), "a look-alike is not a subdomain");
		ok(!llist_has_domain(l, "com"), "a parent is not listed");
		ok(!llist_has_domain(l, ""), "empty");
		llist_free(l);
	}
	l = load("addrs", "billing@Vendor.example\nwhole.example\n", LL_ADDRESS);
	if (ok(l != NULL, "an address list loads")) {
		ok(llist_has_address(l, "BILLING@vendor.example"), "the address, any case");
		ok(!llist_has_address(l, "sales@vendor.example"), "another address of its domain");
		ok(llist_has_address(l, "anyone@sub.whole.example"),
		   "a domain entry covers its users");
		ok(!llist_has_address(l, "nobody"), "no domain");
		llist_free(l);
	}
}

/* test_errors - bad lines name file:line; nothing is loaded */
static void test_errors(void)
{
	char path[2048];
	put(path, sizeof(path), "bad", "192.0.2.1\n192.0.2.0/33\nexample.com\n10.0.0.1 10.0.0.2\n");
	struct errlist e;
	errlist_init(&e);
	struct llist *l = llist_load(path, LL_IP, &e);
	ok(l == NULL, "a list with bad lines is refused whole");
	char want[3][2200];
	snprintf(want[0], sizeof(want[0]),
		 "%s:2: expected an IP address or network (192.0.2.0/24, 2001:db8::/32), got "
		 "'192.0.2.0/33'",
		 path);
	snprintf(want[1], sizeof(want[1]),
		 "%s:3: expected an IP address or network (192.0.2.0/24, 2001:db8::/32), got "
		 "'example.com'",
		 path);
	snprintf(want[2], sizeof(want[2]), "%s:4: one entry per line, got '10.0.0.1'", path);
	is_int((int)e.count, 3, "three errors");
	for (size_t i = 0; i < 3 && i < e.count; i++)
		is_str(e.msgs[i], want[i], "error %zu", i);
	errlist_free(&e);
	unlink(path);
	errlist_init(&e);
	put(path, sizeof(path), "baddom", "user@example.com\n");
	ok(llist_load(path, LL_DOMAIN, &e) == NULL && e.count == 1, "an address in a domain list");
	errlist_free(&e);
	unlink(path);
	errlist_init(&e);
	snprintf(path, sizeof(path), "%s/missing", dir);
	ok(llist_load(path, LL_IP, &e) == NULL && e.count == 1 && strstr(e.msgs[0], "cannot open"),
	   "a missing file is an error naming it");
	errlist_free(&e);
}

/* test_large - 50,000 random networks: the index agrees with a scan of every network */
static void test_large(void)
{
	char path[2048];
	snprintf(path, sizeof(path), "%s/large", dir);
	FILE *fp = fopen(path, "w");
	if (fp == NULL) {
		ok(0, "write the large list");
		return;
	}
	static struct cidr nets[50000];
	srand(7);
	for (size_t i = 0; i < ARRAY_LEN(nets); i++) {
		unsigned a = (unsigned)rand() & 0xff, b = (unsigned)rand() & 0xff,
			 c = (unsigned)rand() & 0xff, bits = 16 + (unsigned)rand() % 17;
		char text[64];
		snprintf(text, sizeof(text), "%u.%u.%u.0/%u", a, b, c, bits);
		fprintf(fp, "%s\n", text);
		if (cidr_parse(text, &nets[i]) < 0)
			diag("bad generated network %s", text);
	}
	fclose(fp);
	struct errlist e;
	errlist_init(&e);
	struct llist *l = llist_load(path, LL_IP, &e);
	errlist_free(&e);
	unlink(path);
	if (!ok(l != NULL, "50,000 networks load"))
		return;
	int agree = 1;
	for (int i = 0; i < 2000 && agree; i++) {
		char ip[32];
		snprintf(ip, sizeof(ip), "%u.%u.%u.%u", (unsigned)rand() & 0xff,
			 (unsigned)rand() & 0xff, (unsigned)rand() & 0xff, (unsigned)rand() & 0xff);
		int naive = 0;
		for (size_t k = 0; k < ARRAY_LEN(nets) && !naive; k++)
			naive = cidr_match(&nets[k], ip);
		if (naive != llist_has_ip(l, ip)) {
			agree = 0;
			diag("disagree on %s: scan %d, index %d", ip, naive, llist_has_ip(l, ip));
		}
	}
	ok(agree, "2,000 random addresses: the index agrees with a scan of every network");
	llist_free(l);
}

int main(void)
{
	const char *t = getenv("TMPDIR");
	snprintf(dir, sizeof(dir), "%s/locallist_test.XXXXXX", t && *t ? t : "/tmp");
	if (mkdtemp(dir) == NULL) {
		printf("Bail out! mkdtemp: %s\n", strerror(errno));
		return 1;
	}
	test_ip();
	test_names();
	test_errors();
	test_large();
	rmdir(dir);
	return done_testing();
}
