/*
 * cidr_test.c - address ranges: parsing and matching, IPv4, IPv6, IPv4-mapped.
 *
 * OUTPUT
 *	TAP on stdout (see tap.h).
 */
#include "config.h"

#include <stdio.h>

#include "cidr.h"
#include "tap.h"

struct match_case {
	const char *range, *ip;
	int want;
};

/* test_parse - what is a range and what is not */
static void test_parse(void)
{
	static const struct {
		const char *s;
		int ok;
		unsigned bits;
	} cases[] = {
	    {"192.0.2.1", 1, 32},
	    {"192.0.2.0/24", 1, 24},
	    {"0.0.0.0/0", 1, 0},
	    {"2001:db8::/32", 1, 32},
	    {"::1", 1, 128},
	    {"::/0", 1, 0},
	    {"::ffff:192.0.2.0/120", 1, 24},
	    {"192.0.2.0/33", 0, 0},
	    {"2001:db8::/129", 0, 0},
	    {"192.0.2.0/", 0, 0},
	    {"192.0.2.0/2x", 0, 0},
	    {"/24", 0, 0},
	    {"example.org", 0, 0},
	    {"192.0.2", 0, 0},
	    {"192.0.2.0/0024", 0, 0},
	    {"", 0, 0},
	};
	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		struct cidr c;
		int rc = cidr_parse(cases[i].s, &c);
		is_int(rc == 0, cases[i].ok, "'%s' is %s", cases[i].s,
		       cases[i].ok ? "a range" : "refused");
		if (rc == 0 && cases[i].ok)
			is_int((int)c.bits, (int)cases[i].bits, "'%s': %u bits", cases[i].s,
			       cases[i].bits);
	}
}

/* test_match - membership */
static void test_match(void)
{
	static const struct match_case cases[] = {
	    {"192.0.2.0/24", "192.0.2.200", 1},
	    {"192.0.2.0/24", "192.0.3.1", 0},
	    {"192.0.2.128/25", "192.0.2.127", 0},
	    {"192.0.2.128/25", "192.0.2.128", 1},
	    {"192.0.2.7", "192.0.2.7", 1},
	    {"192.0.2.7", "192.0.2.8", 0},
	    {"192.0.2.77/24", "192.0.2.1", 1}, /* host bits ignored */
	    {"0.0.0.0/0", "203.0.113.9", 1},
	    {"0.0.0.0/0", "2001:db8::1", 0},
	    {"192.0.2.0/24", "::ffff:192.0.2.9", 1}, /* mapped client, IPv4 range */
	    {"::ffff:192.0.2.0/120", "192.0.2.9", 1},
	    {"2001:db8::/32", "2001:db8:ffff::1", 1},
	    {"2001:db8::/32", "2001:db9::1", 0},
	    {"2001:db8::/33", "2001:db8:8000::1", 0},
	    {"::/0", "::1", 1},
	    {"::/0", "127.0.0.1", 0},
	    {"192.0.2.0/24", "unknown", 0},
	    {"192.0.2.0/24", "", 0},
	};
	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		struct cidr c;
		if (!ok(cidr_parse(cases[i].range, &c) == 0, "parse %s", cases[i].range))
			continue;
		is_int(cidr_match(&c, cases[i].ip), cases[i].want, "%s %s %s", cases[i].ip,
		       cases[i].want ? "in" : "not in", cases[i].range);
	}
	char *list[] = {"10.0.0.0/8", "bad/99", "2001:db8::/32"};
	ok(cidr_match_text(list, 3, "2001:db8::5"), "a list: the third entry matches");
	ok(!cidr_match_text(list, 3, "192.0.2.1"), "a list: none matches");
	struct cidr any;
	if (cidr_parse("0.0.0.0/0", &any) == 0)
		ok(!cidr_match(&any, NULL), "NULL address: no match");
}

int main(void)
{
	test_parse();
	test_match();
	return done_testing();
}
