/*
 * addr_test.c - mailboxes out of address headers: display names, quoting, comments,
 * groups, routes, and malformed values that must not crash or invent addresses.
 *
 * OUTPUT
 *	TAP on stdout (see tap.h).
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "addr.h"
#include "tap.h"

int main(void)
{
	static const struct {
		const char *value;
		const char *want; /* "local@domain" joined by " | " */
	} cases[] = {
	    {" alice@Example.ORG", "alice@example.org"},
	    {" Alice <alice@example.org>", "alice@example.org"},
	    {" \"Doe, Jane\" <jane@example.org>", "jane@example.org"},
	    {" \"a@b\" <c@d.test>", "c@d.test"},
	    {" alice@example.org, bob@example.net", "alice@example.org | bob@example.net"},
	    {" alice@example.org (Alice, the first)", "alice@example.org"},
	    {" (comment (nested) <x@y>) alice@example.org", "alice@example.org"},
	    {" friends: a@one.test, b@two.test;, c@three.test",
	     "a@one.test | b@two.test | c@three.test"},
	    {" undisclosed-recipients:;", ""},
	    {" <@route.test,@r2.test:user@host.test>", "user@host.test"},
	    {" \"quoted local\"@example.org", "\"quoted local\"@example.org"},
	    {" user@example.org.", "user@example.org"},
	    {" Name\r\n <folded@example.org>", "folded@example.org"},
	    {" no-domain", "no-domain@"},
	    {" <>", ""},
	    {"", ""},
	    {" @@@", "@@@"}, /* local "@@", no domain */
	    {" \"unterminated <x@y.test>", "\"unterminated <x@y.test>@"}, /* all quoted */
	    {" a@b.test, , ,c@d.test", "a@b.test | c@d.test"},
	    {" <a@b.test", "a@b.test"},
	};
	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		struct addr a[ADDR_MAX];
		size_t n = addr_parse_list(cases[i].value, a, ADDR_MAX);
		char got[2048] = "";
		size_t o = 0;
		for (size_t j = 0; j < n && o < sizeof(got); j++)
			o += (size_t)snprintf(got + o, sizeof(got) - o, "%s%s@%s", j ? " | " : "",
					      a[j].local, a[j].domain);
		is_str(got, cases[i].want, "'%s'", cases[i].value);
	}
	/* more addresses than room: the first max, no overflow */
	char many[4096] = " ";
	for (int i = 0; i < 100; i++) {
		char one[32];
		snprintf(one, sizeof(one), "u%d@d%d.test,", i, i);
		strncat(many, one, sizeof(many) - strlen(many) - 1);
	}
	struct addr a[3];
	is_int((int)addr_parse_list(many, a, 3), 3, "100 addresses, room for 3: 3");
	is_str(a[2].domain, "d2.test", "the third is the third");
	/* a long value is cut, never overrun */
	static char big[100000];
	memset(big, 'x', sizeof(big) - 1);
	big[50] = '@';
	struct addr b[1];
	ok(addr_parse_list(big, b, 1) == 1 && strlen(b[0].domain) == 255,
	   "a 100 KB value: one address, domain cut to 255");
	return done_testing();
}
