/*
 * dkimtag_test.c - DKIM tag lists, base64 and dkim-quoted-printable as libopendkim 2.11 reads
 * them: what is accepted, the error texts (the A-R comments carry them), repeated tags,
 * defaults.
 *
 * OUTPUT
 *	TAP on stdout (see tap.h).
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "dkimtag.h"
#include "tap.h"

#define SIG_TAIL "; s=sel; h=from; d=example.org; b=AAAA; v=1; a=rsa-sha256"

/* test_signatures - tag lists of signatures: accepted or the error text */
static void test_signatures(void)
{
	static const struct {
		const char *text, *err; /* err NULL: accepted */
	} cases[] = {
	    {"bh=x" SIG_TAIL, NULL},
	    {" bh = x ; c=relaxed/simple " SIG_TAIL ";", NULL},
	    {"s=sel; h=from; d=example.org; b=AAAA; v=1", "missing parameter(s) in signature data"},
	    {"bh=x; d=exa!mple.org" SIG_TAIL, NULL}, /* the later d= wins */
	    {"bh=x" SIG_TAIL "; d=exa!mple.org", "malformed \"d=\" tag value"},
	    {"t=12x" SIG_TAIL, "invalid \"t\" value in signature data"},
	    {"t=-1" SIG_TAIL, "invalid \"t\" value in signature data"},
	    {"x=" SIG_TAIL, "invalid \"x\" value in signature data"},
	    {"t=+5" SIG_TAIL, NULL},
	    {"t=18446744073709551615" SIG_TAIL, "invalid \"t\" value in signature data"},
	    {";bh=x" SIG_TAIL, "syntax error in signature data (ASCII 0x3b at offset 0)"},
	    {"b h=x" SIG_TAIL, "syntax error in signature data (ASCII 0x68 at offset 2)"},
	    {"bh=x; z=caf\xc3\xa9" SIG_TAIL,
	     "invalid character (ASCII 0xc3 at offset 11) in signature data"},
	    {"bh=x; z=a\x01" SIG_TAIL,
	     "invalid character (ASCII 0x01 at offset 9) in signature data"},
	    {"bh=x" SIG_TAIL "; q", "tag without value at end of signature data"},
	    {"bh=x" SIG_TAIL "; q=", NULL},
	};
	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		struct dkt_list l;
		char err[160] = "";
		int rc = dkt_parse(&l, DKT_SIGNATURE, cases[i].text, strlen(cases[i].text), err,
				   sizeof(err));
		if (cases[i].err == NULL)
			ok(rc == 0, "signature %zu accepted", i) || diag("error: %s", err);
		else
			ok(rc < 0 && strcmp(err, cases[i].err) == 0, "signature %zu: %s", i,
			   cases[i].err) ||
			    diag("got: %s", rc < 0 ? err : "accepted");
		dkt_free(&l);
	}
}

/* test_values - collapsing, repeats, defaults, exact look-up */
static void test_values(void)
{
	const char *text = " bh = a b\r\n\tc ; S=upper; bH=later; t=1" SIG_TAIL "; x=";
	struct dkt_list l;
	char err[160];
	ok(dkt_parse(&l, DKT_SIGNATURE, text, strlen(text), err, sizeof(err)) < 0,
	   "an empty x= is refused");
	dkt_free(&l);
	text = " bh = a b\r\n\tc ; S=upper; bH=later; t=1" SIG_TAIL;
	if (ok(dkt_parse(&l, DKT_SIGNATURE, text, strlen(text), err, sizeof(err)) == 0,
	       "folded signature parsed")) {
		is_str(dkt_get(&l, "bh"), "later", "a repeat (any case, same first byte) replaces");
		is_str(dkt_get(&l, "bH"), NULL, "the first spelling is kept");
		is_str(dkt_get(&l, "S"), "upper", "S= is a tag of its own");
		is_str(dkt_get(&l, "s"), "sel", "s= untouched");
		is_str(dkt_get(&l, "c"), "simple/simple", "c= defaults to simple/simple");
		is_str(dkt_get(&l, "q"), "dns/txt", "q= defaults to dns/txt");
	}
	dkt_free(&l);
	text = "v=DKIM1; p=AB CD\t\r\n EF=";
	if (ok(dkt_parse(&l, DKT_KEY, text, strlen(text), err, sizeof(err)) == 0, "key parsed")) {
		is_str(dkt_get(&l, "p"), "ABCDEF=", "white space collapsed");
		is_str(dkt_get(&l, "k"), "rsa", "k= defaults to rsa");
	}
	dkt_free(&l);
	text = "v=DKIM1; k rsa";
	ok(dkt_parse(&l, DKT_KEY, text, strlen(text), err, sizeof(err)) < 0 &&
	       strcmp(err, "syntax error in key data (ASCII 0x72 at offset 11)") == 0,
	   "key syntax error text") ||
	    diag("got %s", err);
	dkt_free(&l);
	text = "p=A;";
	ok(dkt_parse(&l, DKT_KEY, text, 2, err, sizeof(err)) == 0 && dkt_get(&l, "p")[0] == '\0',
	   "only len bytes are read");
	dkt_free(&l);
}

/* test_base64 - libopendkim's decoder, quirks included */
static void test_base64(void)
{
	static const struct {
		const char *in;
		int want; /* length, -1 corrupt, -2 no room */
		const char *out;
	} cases[] = {
	    {"aGVsbG8=", 5, "hello"},
	    {"aGVs bG8", 5, "hello"},     /* bytes outside the alphabet are skipped */
	    {"aGVsbG8=junk", 5, "hello"}, /* '=' ends it */
	    {"aGVsbG", 4, "hell"},
	    {"aGVsbG8xA", -1, NULL}, /* one char left over */
	    {"aGVsb", -2, NULL},     /* the decoder wants 3 bytes of room ahead */
	    {"AB", -2, NULL},
	    {"ABC", 2, "\0\020"},
	    {"", 0, ""},
	};
	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		unsigned char out[64];
		int n = dkt_b64_decode(cases[i].in, out, strlen(cases[i].in));
		is_int(n, cases[i].want, "base64 '%s'", cases[i].in);
		if (n > 0 && cases[i].out)
			is_mem(out, (size_t)n, cases[i].out, (size_t)n, "base64 '%s' bytes",
			       cases[i].in);
	}
	char b64[16];
	dkt_b64_encode((const unsigned char *)"hell", 4, b64, sizeof(b64));
	is_str(b64, "aGVsbA==", "encode pads");
}

/* test_qp - dkim-quoted-printable for i= */
static void test_qp(void)
{
	static const struct {
		const char *in;
		int want;
		const char *out;
	} cases[] = {
	    {"user@example.org", 16, "user@example.org"},
	    {"us=40er@ex", 8, "us@er@ex"},
	    {"a=3Db", 3, "a=b"},
	    {"a=3db", -1, NULL}, /* lower-case hex is not accepted */
	    {"abc=4", -1, NULL},
	};
	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		char out[64] = "";
		int n = dkt_qp_decode(cases[i].in, out, sizeof(out) - 1);
		is_int(n, cases[i].want, "qp '%s'", cases[i].in);
		if (n >= 0)
			is_str(out, cases[i].out, "qp '%s' text", cases[i].in);
	}
}

int main(void)
{
	test_signatures();
	test_values();
	test_base64();
	test_qp();
	return done_testing();
}
