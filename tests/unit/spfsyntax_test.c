/*
 * spfsyntax_test.c - unit tests of the strict SPF record syntax check (spfsyntax.c).
 *
 * DESCRIPTION
 *	Table-driven: valid records (every mechanism and modifier form, macros,
 *	CIDR edges) and invalid ones (each rule of RFC 7208 section 12, including
 *	the records of the RFC 7208 suite that libspf2 accepts), each checked for
 *	the verdict and, where given, a phrase of the reason. Then records with
 *	NUL, control and 8-bit bytes, the is-it-SPF test, small reason buffers,
 *	and a few thousand random and mutated inputs that must not crash.
 *
 * THREAD SAFETY
 *	Single-threaded test program.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "spfsyntax.h"
#include "tap.h"

struct ok_case {
	const char *rec;
};

struct bad_case {
	const char *rec;
	const char *phrase; /* expected in the reason, or NULL */
};

static const struct ok_case valid[] = {
    {"v=spf1"},
    {"v=spf1 "},
    {"V=SPF1 -ALL"},
    {"v=spf1 -all"},
    {"v=spf1 a  -all"},
    {"v=spf1 a -all   "},
    {"v=spf1 +all"},
    {"v=spf1 ?all ~all"},
    {"v=spf1 a mx ptr"},
    {"v=spf1 a:example.com"},
    {"v=spf1 a:example.com."},
    {"v=spf1 a:foo.example.xn--zckzah -all"},
    {"v=spf1 a:foo:bar/baz.example.com"},
    {"v=spf1 mx:foo:bar/baz.example.com"},
    {"v=spf1 a:x.1-2"},
    {"v=spf1 a:x.a1"},
    {"v=spf1 a:.com"},
    {"v=spf1 a/0 -all"},
    {"v=spf1 a/24"},
    {"v=spf1 a/32"},
    {"v=spf1 a//0 -all"},
    {"v=spf1 a//64"},
    {"v=spf1 a//128"},
    {"v=spf1 mx//33 -all"},
    {"v=spf1 a/24//64 -all"},
    {"v=spf1 a:example.com/24//64"},
    {"v=spf1 mx/0 -all"},
    {"v=spf1 mx:example.com//0"},
    {"v=spf1 ptr:example.Com -all"},
    {"v=spf1 include:o.spf.example.com. ~all"},
    {"v=spf1 exists:%{i}.%{l2r-}.user.%{d2}"},
    {"v=spf1 exists:%{l2r+-}.user.%{d2}"},
    {"v=spf1 exists:%{ir}.%{v}._spf.%{d}"},
    {"v=spf1 exists:%{p}.should.example.com ~exists:%{p}.ok.example.com"},
    {"v=spf1 a:%{H} -all"},
    {"v=spf1 a:%{H}.bar -all"},
    {"v=spf1 a:%{S}.%{L}.%{O}.%{D}.%{I}.%{P}.%{V}.%{H}.com"},
    {"v=spf1 a:%{d127r.-+,/_=}"},
    {"v=spf1 a:macro%%percent%_%_space%-url-space.example.com -all"},
    {"v=spf1 a:foo.%%"},
    {"v=spf1 -include:_spfh.%{d2} ip4:1.2.3.0/24 -all"},
    {"v=spf1 ip4:1.2.3.4"},
    {"v=spf1 ip4:1.1.1.1/0 -all"},
    {"v=spf1 ip4:1.2.3.4/32"},
    {"v=spf1 ip4:255.255.255.255/9"},
    {"v=spf1 ip4:0.0.0.0/0"},
    {"v=spf1 ip6:::1"},
    {"v=spf1 ip6:::1.1.1.1/0"},
    {"v=spf1 ip6:Cafe:Babe:8000::/33"},
    {"v=spf1 ip6:::FFFF:1.2.3.4"},
    {"v=spf1 ip6:2001:db8::/128"},
    {"v=spf1 ip6:1:2:3:4:5:6:7:8"},
    {"v=spf1 redirect=example.com"},
    {"v=spf1 redirect=%{d}.d.spf.example.com."},
    {"v=spf1 exp=msg8.%{D2}"},
    {"v=spf1 -all exp=exp.example.net"},
    {"v=spf1 exp=e.example.com redirect=r.example.com"},
    {"v=spf1 REDIRECT=r.example.com"},
    {"v=spf1 moo.cow-far_out=man:dog/cat ip4:1.2.3.4 -all"},
    {"v=spf1 default=pass"},
    {"v=spf1 default=+"},
    {"v=spf1 foo="},
    {"v=spf1 foo=%{c}%{r}%{t}"},
    {"v=spf1 a=b"},
    {"v=spf1 x-y_z.w=%%%_%-"},
};

static const struct bad_case invalid[] = {
    {"", "v=spf1"},
    {"v=spf10", "v=spf1"},
    {"v=spf1-all", "v=spf1"},
    {" v=spf1", "v=spf1"},
    {"spf1 -all", "v=spf1"},
    {"v=spf1 a:ctrl.example.com\rptr -all", "0x0d"},
    {"v=spf1\t-all", "v=spf1"},
    {"v=spf1 -all\t", "0x09"},
    {"v=spf1 -all\n", "0x0a"},
    {"v=spf1 a:\xef\xbb\xbfgarbage.example.net -all", "0xef"},
    {"v=spf1 \x80"
     "a:example.net -all",
     "0x80"},
    {"v=spf1 a:example.net \x96"
     "all",
     "0x96"},
    {"v=spf1 a:foo\x7f.com", "0x7f"},
    {"v=spf1 moo", "unknown mechanism"},
    {"v=spf1 ip4:1.2.3.4 -all moo", "unknown mechanism"},
    {"v=spf1 ip4:1.2.3.4 redirect:t2.example.com", "unknown mechanism in 'redirect:t2"},
    {"v=spf1 moo.cow/far_out=man:dog/cat", "unknown mechanism"},
    {"v=spf1 moo.cow:far_out=man:dog/cat", "unknown mechanism"},
    {"v=spf1 1up=foo", "must start"},
    {"v=spf1 =all", "must start"},
    {"v=spf1 -", "must start"},
    {"v=spf1 all:foo", "no argument"},
    {"v=spf1 all/24", "no argument"},
    {"v=spf1 -all=foo", "qualifier"},
    {"v=spf1 a!", "unexpected character"},
    {"v=spf1 a:foo-bar -all", "invalid domain-spec in 'a:foo-bar'"},
    {"v=spf1 a:", "invalid domain-spec"},
    {"v=spf1 a:/24", "invalid domain-spec"},
    {"v=spf1 ptr:", "invalid domain-spec"},
    {"v=spf1 mx: -all", "invalid domain-spec"},
    {"v=spf1 exists:", "invalid domain-spec"},
    {"v=spf1 exists", "needs ':'"},
    {"v=spf1 include", "needs ':'"},
    {"v=spf1 include:", "invalid domain-spec"},
    {"v=spf1 exists:mail.example.com/24", "invalid domain-spec"},
    {"v=spf1 include:example.com/24", "invalid domain-spec"},
    {"v=spf1 a:example.com:8080", "invalid domain-spec"},
    {"v=spf1 mx:example.com:8080", "invalid domain-spec"},
    {"v=spf1 a:111.222.33.44", "invalid domain-spec"},
    {"v=spf1 a:abc.123", "invalid domain-spec"},
    {"v=spf1 mx:abc.123", "invalid domain-spec"},
    {"v=spf1 a:museum", "invalid domain-spec"},
    {"v=spf1 a:museum.", "invalid domain-spec"},
    {"v=spf1 a:example.-com", "invalid domain-spec"},
    {"v=spf1 a:example.com-", "invalid domain-spec"},
    {"v=spf1 a:example.com..", "invalid domain-spec"},
    {"v=spf1 a:example.co_m", "invalid domain-spec"},
    {"v=spf1 a:%{d}.", "invalid domain-spec"},
    {"v=spf1 a:foo.%%com", "invalid domain-spec"},
    {"v=spf1 a:foo.example.com/24/64", "invalid CIDR"},
    {"v=spf1 a:foo.example.com/2/64", "invalid CIDR"},
    {"v=spf1 a:foo.example.com/24/6", "invalid domain-spec"},
    {"v=spf1 ptr/0 -all", "junk"},
    {"v=spf1 ptr//0", "junk"},
    {"v=spf1 a/33 -all", "invalid CIDR"},
    {"v=spf1 a//129 -all", "invalid CIDR"},
    {"v=spf1 a//33x", "junk"},
    {"v=spf1 a/24/64 -all", "invalid CIDR"},
    {"v=spf1 a/024", "invalid CIDR"},
    {"v=spf1 a//064", "invalid CIDR"},
    {"v=spf1 a/", "junk"},
    {"v=spf1 a//", "junk"},
    {"v=spf1 mx//129 -all", "invalid CIDR"},
    {"v=spf1 mx/33 -all", "invalid CIDR"},
    {"v=spf1 ip4", "needs ':'"},
    {"v=spf1 ip4:", "invalid ip4 network"},
    {"v=spf1 ip4:1.2.3.4/33 -all", "invalid CIDR"},
    {"v=spf1 ip4:1.2.3.4/032 -all", "invalid CIDR"},
    {"v=spf1 ip4:1.2.3.4/", "invalid ip4 network"},
    {"v=spf1 ip4:1.2.3.4//32", "invalid ip4 network"},
    {"v=spf1 ip4:1.2.3.4:8080", "invalid ip4 network"},
    {"v=spf1 ip4:1.2.3", "invalid ip4 network"},
    {"v=spf1 ip4:1.2.3.4.5", "invalid ip4 network"},
    {"v=spf1 ip4:1.2.3.256", "invalid ip4 network"},
    {"v=spf1 ip4:01.2.3.4", "invalid ip4 network"},
    {"v=spf1 ip4:1..3.4", "invalid ip4 network"},
    {"v=spf1 ip4:example.com", "invalid ip4 network"},
    {"v=spf1 -all ip6", "needs ':'"},
    {"v=spf1 ip6:::1.1.1.1/129", "invalid CIDR"},
    {"v=spf1 ip6:::1.1.1.1//33", "invalid ip6 network"},
    {"v=spf1 ip6::CAFE::BABE", "invalid ip6 network"},
    {"v=spf1 ip6:1.2.3.4", "invalid ip6 network"},
    {"v=spf1 ip6:1:2:3:4:5:6:7:8:9", "invalid ip6 network"},
    {"v=spf1 ip6:fe80::1%eth0", "invalid ip6 network"},
    {"v=spf1 ip6:gggg::", "invalid ip6 network"},
    {"v=spf1 ip6:::1/0128", "invalid CIDR"},
    {"v=spf1 exp= -all", "invalid domain-spec in 'exp='"},
    {"v=spf1 exp=-all", "invalid domain-spec"},
    {"v=spf1 redirect=-all ?all", "invalid domain-spec"},
    {"v=spf1 ?all redirect=", "invalid domain-spec"},
    {"v=spf1 exp=e13msg.example.com -all exp=e11msg.example.com", "exp= given twice"},
    {"v=spf1 redirect=e12.example.com -all redirect=e12.example.com", "redirect= given twice"},
    {"v=spf1 Exp=a.example.com EXP=b.example.com", "exp= given twice"},
    {"v=spf1 -all exp=%{r}.example.com", "invalid domain-spec"},
    {"v=spf1 a:%{c}.example.com", "invalid domain-spec"},
    {"v=spf1 redirect=%{t}.example.com", "invalid domain-spec"},
    {"v=spf1 -all foo=%abc", "invalid macro-string"},
    {"v=spf1 foo=%", "invalid macro-string"},
    {"v=spf1 -exists:%(ir).sbl.example.com ?all", "invalid domain-spec"},
    {"v=spf1 exists:foo%(ir).sbl.example.com ?all", "invalid domain-spec"},
    {"v=spf1 exists:foo%.sbl.example.com ?all", "invalid domain-spec"},
    {"v=spf1 a:%{x}.example.com", "invalid domain-spec"},
    {"v=spf1 a:%{d", "invalid domain-spec"},
    {"v=spf1 a:%{", "invalid domain-spec"},
    {"v=spf1 a:%{}", "invalid domain-spec"},
    {"v=spf1 a:%{d0}", "invalid domain-spec"},
    {"v=spf1 a:%{d00}", "invalid domain-spec"},
    {"v=spf1 a:%{drr}", "invalid domain-spec"},
    {"v=spf1 a:%{dr2}", "invalid domain-spec"},
    {"v=spf1 a:%{d:}", "invalid domain-spec"},
    {"v=spf1 a:foo%", "invalid domain-spec"},
};

/* run_tables - the valid and invalid records */
static void run_tables(void)
{
	char why[256];
	for (size_t i = 0; i < sizeof(valid) / sizeof(valid[0]); i++) {
		const char *r = valid[i].rec;
		int rc = spfsyntax_check(r, strlen(r), why, sizeof(why));
		if (!ok(rc == 0, "valid: '%s'", r))
			diag("  reason: %s", why);
		ok(why[0] == '\0', "valid: '%s' leaves no reason", r);
	}
	for (size_t i = 0; i < sizeof(invalid) / sizeof(invalid[0]); i++) {
		const char *r = invalid[i].rec;
		why[0] = 'x';
		int rc = spfsyntax_check(r, strlen(r), why, sizeof(why));
		char shown[128];
		size_t k = 0;
		for (const char *p = r; *p && k + 5 < sizeof(shown); p++) {
			unsigned char c = (unsigned char)*p;
			if (c >= 0x20 && c < 0x7f)
				shown[k++] = (char)c;
			else
				k += (size_t)snprintf(shown + k, sizeof(shown) - k, "\\x%02x", c);
		}
		shown[k] = '\0';
		ok(rc == -1, "invalid: '%s'", shown);
		if (invalid[i].phrase && !ok(strstr(why, invalid[i].phrase) != NULL,
					     "reason for '%s' has '%s'", shown, invalid[i].phrase))
			diag("  reason: %s", why);
	}
}

/* run_bytes - NULs, the is-SPF test, lengths and reason buffers */
static void run_bytes(void)
{
	char why[128];
	static const char nul[] = "v=spf1 a:foo.example.com\0";
	ok(spfsyntax_check(nul, sizeof(nul) - 1, why, sizeof(why)) == -1,
	   "a NUL at the end is invalid");
	if (!ok(strstr(why, "0x00") != NULL, "the reason names the NUL byte"))
		diag("  %s", why);
	static const char mid[] = "v=spf1 ip4:\0192.0.2.5 -all";
	ok(spfsyntax_check(mid, sizeof(mid) - 1, why, sizeof(why)) == -1,
	   "a NUL inside is invalid");
	ok(spfsyntax_check("v=spf1 -all", 6, why, sizeof(why)) == 0,
	   "only len bytes are read (\"v=spf1\")");
	ok(spfsyntax_check("v=spf1 a:x", 9, why, sizeof(why)) == -1,
	   "only len bytes are read (\"v=spf1 a:\")");
	ok(spfsyntax_check(NULL, 0, why, sizeof(why)) == -1, "NULL is invalid");
	ok(spfsyntax_check("v=spf1 moo", 10, NULL, 0) == -1, "no reason buffer: still -1");
	char tiny[4] = "abc";
	ok(spfsyntax_check("v=spf1 moo", 10, tiny, sizeof(tiny)) == -1 && strlen(tiny) < 4,
	   "a small reason buffer is cut and terminated");
	char one[1] = {'z'};
	ok(spfsyntax_check("v=spf1 moo", 10, one, sizeof(one)) == -1 && one[0] == '\0',
	   "a one-byte reason buffer holds the NUL");
	char big[512];
	char longrec[400];
	memcpy(longrec, "v=spf1 a:", 9);
	memset(longrec + 9, 'x', sizeof(longrec) - 9);
	if (!ok(spfsyntax_check(longrec, sizeof(longrec), big, sizeof(big)) == -1 &&
		    strstr(big, "...'") != NULL,
		"a long term is shown cut"))
		diag("  %s", big);

	ok(spfsyntax_is_spf("v=spf1", 6) == 1, "is_spf: v=spf1");
	ok(spfsyntax_is_spf("V=Spf1 -all", 11) == 1, "is_spf: any case, then SP");
	ok(spfsyntax_is_spf("v=spf10", 7) == 0, "is_spf: v=spf10 is not");
	ok(spfsyntax_is_spf("v=spf1\t-all", 11) == 0, "is_spf: TAB after the version is not");
	ok(spfsyntax_is_spf("v=spf", 5) == 0, "is_spf: too short");
	ok(spfsyntax_is_spf("Answer a fool", 13) == 0, "is_spf: explanation text is not");
	ok(spfsyntax_is_spf("v=spf1 -all", 3) == 0, "is_spf: only len bytes are read");
}

/* rnd - a small deterministic generator (xorshift) */
static uint32_t rnd(uint32_t *st)
{
	uint32_t x = *st;
	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	return *st = x;
}

/* run_fuzz - random bytes and mutated valid records never crash, always 0 or -1 */
static void run_fuzz(void)
{
	static const char alphabet[] = "v=spf1 aAmxptr4i6:./%{}-_+~?=0123456789sldhcexomul\0\x80";
	uint32_t st = 0x9e3779b9u;
	unsigned odd = 0, n = 0;
	char buf[300], why[64];
	for (int round = 0; round < 6000; round++) {
		size_t len = rnd(&st) % sizeof(buf);
		if (round % 3 == 0) {
			for (size_t i = 0; i < len; i++)
				buf[i] = (char)(rnd(&st) & 0xff);
		} else {
			memcpy(buf, "v=spf1 ", 7);
			if (len < 7)
				len = 7;
			for (size_t i = 7; i < len; i++)
				buf[i] = alphabet[rnd(&st) % (sizeof(alphabet) - 1)];
		}
		if (round % 5 == 0) { /* a valid record with one byte changed */
			const char *v = valid[rnd(&st) % (sizeof(valid) / sizeof(valid[0]))].rec;
			len = strlen(v);
			memcpy(buf, v, len);
			buf[rnd(&st) % len] = (char)(rnd(&st) & 0xff);
		}
		int rc = spfsyntax_check(buf, len, why, sizeof(why));
		if (rc != 0 && rc != -1)
			odd++;
		if (rc == -1 && why[0] == '\0')
			odd++;
		n++;
	}
	if (!ok(odd == 0, "%u random and mutated records: each 0 or -1 with a reason", n))
		diag("  %u odd answers", odd);
}

/* main - all of it */
int main(void)
{
	run_tables();
	run_bytes();
	run_fuzz();
	return done_testing();
}
