/*
 * rfc2047_test.c - decoding of RFC 2047 encoded-words, table-driven.
 *
 * OUTPUT
 *	TAP on stdout (see tap.h).
 */
#include "config.h"

#include <string.h>

#include "buf.h"
#include "rfc2047.h"
#include "tap.h"

/* test_table - input, expected UTF-8 output */
static void test_table(void)
{
	static const struct {
		const char *in, *out;
	} t[] = {
	    {"plain text", "plain text"},
	    {"", ""},
	    {"=?utf-8?B?w6ljaGVj?=", "\xc3\xa9"
				     "chec"},
	    {"=?UTF-8?b?w6ljaGVj?=", "\xc3\xa9"
				     "chec"},
	    {"=?utf-8?Q?caf=C3=A9?=", "caf\xc3\xa9"},
	    {"=?utf-8?q?a_b_c?=", "a b c"},
	    {"=?iso-8859-1?Q?caf=E9?=", "caf\xc3\xa9"},
	    {"=?ISO-8859-1?B?Y2Fm6Q==?=", "caf\xc3\xa9"},
	    {"=?us-ascii?Q?hello?=", "hello"},
	    {"=?utf-8*en?Q?lang?=", "lang"},
	    {"=?windows-1252?Q?=80?=", "\xe2\x82\xac"}, /* through iconv */
	    {"=?koi8-r?B?8NLJ18XU?=", "\xd0\x9f\xd1\x80\xd0\xb8\xd0\xb2\xd0\xb5\xd1\x82"},
	    {"=?utf-8?Q?a?= =?utf-8?Q?b?=", "ab"}, /* blanks between words go */
	    {"=?utf-8?Q?a?=\t \t=?utf-8?Q?b?=", "ab"},
	    {"=?utf-8?Q?a?= x =?utf-8?Q?b?=", "a x b"}, /* other text stays */
	    {"Re: =?utf-8?Q?caf=C3=A9?= now", "Re: caf\xc3\xa9 now"},
	    {"=?utf-8?Q?a?=  plain", "a  plain"},
	    {"=?no-such-charset?Q?x?=", "=?no-such-charset?Q?x?="}, /* undecodable: as is */
	    {"=?utf-8?X?abc?=", "=?utf-8?X?abc?="},
	    {"=?utf-8?B?!!!?=", "=?utf-8?B?!!!?="},
	    {"=?utf-8?B?YWJj=x?=", "=?utf-8?B?YWJj=x?="},
	    {"=?utf-8?Q?=ZZ?=", "=?utf-8?Q?=ZZ?="},
	    {"=?utf-8?Q?=4?=", "=?utf-8?Q?=4?="},
	    {"=?utf-8?Q?a b?=", "=?utf-8?Q?a b?="}, /* no blanks inside a word */
	    {"=?utf-8?Q?unterminated", "=?utf-8?Q?unterminated"},
	    {"=?utf-8?", "=?utf-8?"},
	    {"=?", "=?"},
	    {"a=?=b", "a=?=b"},
	    {"=??Q?x?=", "=??Q?x?="},
	    {"=?utf-8?Q?"
	     "?=",
	     ""}, /* empty word */
	    {"x =?bad?Q?y?= =?utf-8?Q?z?=", "x =?bad?Q?y?= z"},
	    {"=?utf-8?B?YQ?=", "a"}, /* missing padding */
	};
	for (size_t i = 0; i < ARRAY_LEN(t); i++) {
		struct buf b;
		buf_init(&b, 1024);
		int rc = rfc2047_decode(t[i].in, strlen(t[i].in), &b);
		ok(rc == 0, "decode %zu returns 0", i);
		is_str(b.data ? b.data : "", t[i].out, "decode '%s'", t[i].in);
		buf_free(&b);
	}
}

/* test_cap - output past the buffer's cap is dropped, the rest kept */
static void test_cap(void)
{
	struct buf b;
	buf_init(&b, 8);
	const char *in = "=?utf-8?Q?abcd?= efghijkl";
	ok(rfc2047_decode(in, strlen(in), &b) == 0, "a capped buffer is no error");
	ok(b.len <= 8 && b.data && strncmp(b.data, "abcd efg", b.len) == 0,
	   "a capped buffer keeps the start (%zu bytes)", b.len);
	buf_free(&b);
	char big[5000];
	memset(big, '=', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	buf_init(&b, 0);
	ok(rfc2047_decode(big, strlen(big), &b) == 0 && b.len == strlen(big),
	   "a value of '=' only comes back as is");
	buf_free(&b);
	static const char nul[] = "a\0=?utf-8?Q?b?=";
	buf_init(&b, 0);
	ok(rfc2047_decode(nul, sizeof(nul) - 1, &b) == 0 && b.len == 3 &&
	       memcmp(b.data, "a\0b", 3) == 0,
	   "a NUL in the value is kept, the word after it decoded");
	buf_free(&b);
}

/* main - the tests */
int main(void)
{
	test_table();
	test_cap();
	return done_testing();
}
