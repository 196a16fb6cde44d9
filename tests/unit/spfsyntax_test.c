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
 *	The rewrite for libspf2 (spfsyntax_normalize) is table-driven too: each
 *	record, client family and HELO case with the text wanted and whether
 *	libspf2 compiles it; then every valid record of the first table must stay
 *	valid, be rewritten the same way twice, and still compile if libspf2
 *	compiled the original.
 *
 * THREAD SAFETY
 *	Single-threaded test program.
 */
#include "config.h"

#include <netinet/in.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <spf2/spf.h>

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

/* a rewrite for libspf2: the record, the client, the text wanted */
struct norm_case {
	const char *rec;
	int family;       /* AF_INET or AF_INET6 */
	int helo;         /* a HELO name is known (%{h} expands) */
	const char *want; /* NULL: rec unchanged */
	int compiles;     /* libspf2 compiles the text wanted */
};

#define V4 AF_INET
#define V6 AF_INET6

static const struct norm_case norms[] = {
    /* nothing to rewrite; runs of SP become one */
    {"v=spf1", V4, 1, NULL, 1},
    {"V=SPF1 -ALL", V6, 1, NULL, 1},
    {"v=spf1 a mx ptr include:i.example.com exists:%{i}.e.example.com -all", V4, 1, NULL, 1},
    {"v=spf1  a   -all  ", V4, 1, "v=spf1 a -all", 1},
    {"v=spf1 ip4:1.2.3.4/32 ip4:1.2.3.4/10 ip6:::1/10 a/10//100", V4, 1, NULL, 1},
    {"v=spf1 a:foo.example.com/24//64 mx/30 -all", V6, 1, NULL, 1},
    /* unknown modifiers have no effect: dropped; exp= stays */
    {"v=spf1 moo.cow-far_out=man:dog/cat ip4:1.2.3.4 -all", V4, 1, "v=spf1 ip4:1.2.3.4 -all", 1},
    {"v=spf1 foo=%{c} exp=e.example.com bar= -all", V4, 1, "v=spf1 exp=e.example.com -all", 1},
    {"v=spf1 EXP=e.example.com a.b=c", V6, 1, "v=spf1 EXP=e.example.com", 1},
    /* redirect= last (RFC 7208 6.1) */
    {"v=spf1 redirect=t5.example.com ~all", V4, 1, "v=spf1 ~all redirect=t5.example.com", 1},
    {"v=spf1 REDIRECT=r.example.com exp=e.example.com a", V6, 1,
     "v=spf1 exp=e.example.com a REDIRECT=r.example.com", 1},
    {"v=spf1 ip4:1.2.3.4 redirect=t2.example.com", V4, 1, NULL, 1},
    /* ip4:/ip6: with /0: the two halves, qualifier kept, for either family */
    {"v=spf1 ip4:1.1.1.1/0 -all", V4, 1, "v=spf1 ip4:0.0.0.0/1 ip4:128.0.0.0/1 -all", 1},
    {"v=spf1 ip4:1.1.1.1/0 -all", V6, 1, "v=spf1 ip4:0.0.0.0/1 ip4:128.0.0.0/1 -all", 1},
    {"v=spf1 -ip4:0.0.0.0/0", V4, 1, "v=spf1 -ip4:0.0.0.0/1 -ip4:128.0.0.0/1", 1},
    {"v=spf1 ?ip6:::1.1.1.1/0", V4, 1, "v=spf1 ?ip6:::/1 ?ip6:8000::/1", 1},
    {"v=spf1 ip6:2001:db8::/0 ~all", V6, 1, "v=spf1 ip6:::/1 ip6:8000::/1 ~all", 1},
    /* a/0 and an IPv4 client: exists: (the same A query); an IPv6 client: drop /0 */
    {"v=spf1 a/0 -all", V4, 1, "v=spf1 exists:%{d} -all", 1},
    {"v=spf1 a/0 -all", V6, 1, "v=spf1 a -all", 1},
    {"v=spf1 ~a:foo.example.com/0//64", V4, 1, "v=spf1 ~exists:foo.example.com", 1},
    {"v=spf1 ~a:foo.example.com/0//64", V6, 1, "v=spf1 ~a:foo.example.com//64", 1},
    {"v=spf1 a/0//0", V4, 1, "v=spf1 exists:%{d}", 1},
    {"v=spf1 A:%{d}.x.example.com/0", V4, 1, "v=spf1 exists:%{d}.x.example.com", 1},
    {"v=spf1 A:%{d}.x.example.com/0", V6, 1, "v=spf1 A:%{d}.x.example.com", 1},
    /* ... but not when %{h} cannot be expanded (a: permerror, exists: temperror) */
    {"v=spf1 a:%{h}.example.com/0", V4, 0, NULL, 0},
    {"v=spf1 a:%{H}.example.com/0", V4, 0, NULL, 0},
    {"v=spf1 a:%{h}.example.com/0", V4, 1, "v=spf1 exists:%{h}.example.com", 1},
    {"v=spf1 a:%{h}.example.com/0", V6, 0, "v=spf1 a:%{h}.example.com", 1},
    {"v=spf1 a:%%{h}.example.com/0", V4, 0, "v=spf1 exists:%%{h}.example.com", 1},
    /* a//0: dropped for an IPv4 client; for an IPv6 one there is no exact rewrite */
    {"v=spf1 a//0 -all", V4, 1, "v=spf1 a -all", 1},
    {"v=spf1 a/24//0 -all", V4, 1, "v=spf1 a/24 -all", 1},
    {"v=spf1 a//0 -all", V6, 1, NULL, 0},
    {"v=spf1 a/0//0", V6, 1, NULL, 0},
    /* mx: only the other family's /0 can go */
    {"v=spf1 mx/0 -all", V4, 1, NULL, 0},
    {"v=spf1 mx/0 -all", V6, 1, "v=spf1 mx -all", 1},
    {"v=spf1 mx//0 -all", V4, 1, "v=spf1 mx -all", 1},
    {"v=spf1 mx//0 -all", V6, 1, NULL, 0},
    {"v=spf1 -mx:example.com/24//0", V4, 1, "v=spf1 -mx:example.com/24", 1},
    {"v=spf1 mx:example.com/0//64", V6, 1, "v=spf1 mx:example.com//64", 1},
    /* all together */
    {"v=spf1 redirect=r.example.com foo=bar ip4:1.1.1.1/0 a/0 mx//0", V4, 1,
     "v=spf1 ip4:0.0.0.0/1 ip4:128.0.0.0/1 exists:%{d} mx redirect=r.example.com", 1},
    /* invalid records are not rewritten (whether libspf2 takes them or not) */
    {"v=spf1 a/0 moo", V4, 1, NULL, 0},
    {"v=spf1 ip4:1.2.3.4 redirect:t2.example.com foo=bar", V4, 1, NULL, 1},
    {"v=spf1 ip4:1.1.1.1/00", V4, 1, NULL, 0},
};

/* compiles - does libspf2 compile text? */
static int compiles(SPF_server_t *srv, const char *text)
{
	SPF_request_t *req = SPF_request_new(srv);
	SPF_response_t *resp = req ? SPF_response_new(req) : NULL;
	SPF_record_t *rec = NULL;
	int ok = resp && SPF_record_compile(srv, resp, &rec, text) == SPF_E_SUCCESS;
	if (rec)
		SPF_record_free(rec);
	if (resp)
		SPF_response_free(resp);
	if (req)
		SPF_request_free(req);
	return ok;
}

/* run_normalize - the rewrite table */
static void run_normalize(SPF_server_t *srv)
{
	for (size_t i = 0; i < sizeof(norms) / sizeof(norms[0]); i++) {
		const struct norm_case *c = &norms[i];
		const char *want = c->want ? c->want : c->rec;
		const char *fam = c->family == V6 ? "IPv6" : "IPv4";
		char *got = spfsyntax_normalize(c->rec, strlen(c->rec), c->family, c->helo);
		is_str(got, want, "normalize '%s' (%s%s)", c->rec, fam, c->helo ? "" : ", no HELO");
		if (got)
			ok(compiles(srv, got) == c->compiles, "libspf2 %s '%s'",
			   c->compiles ? "compiles" : "refuses", got);
		free(got);
	}
}

/* run_normalize_valid - every valid record: the rewrite is valid and stable, and libspf2
 * compiles it if it compiled the record (the table above says which it now takes) */
static void run_normalize_valid(SPF_server_t *srv)
{
	static const int fams[] = {V4, V6};
	unsigned bad = 0, n = 0;
	for (size_t i = 0; i < sizeof(valid) / sizeof(valid[0]); i++)
		for (size_t f = 0; f < 2; f++) {
			const char *r = valid[i].rec;
			char *a = spfsyntax_normalize(r, strlen(r), fams[f], 1);
			char *b = a ? spfsyntax_normalize(a, strlen(a), fams[f], 1) : NULL;
			int good = a && b && strcmp(a, b) == 0 &&
				   spfsyntax_check(a, strlen(a), NULL, 0) == 0 &&
				   (compiles(srv, a) || !compiles(srv, r));
			if (!good) {
				bad++;
				diag("  '%s' (%s) -> '%s' -> '%s'", r,
				     fams[f] == V6 ? "IPv6" : "IPv4", a ? a : "(null)",
				     b ? b : "(null)");
			}
			free(a);
			free(b);
			n++;
		}
	ok(bad == 0, "%u rewrites of valid records: valid, stable, none lost to libspf2", n);
}

/* run_normalize_edges - NULL, the length bound, the worst growth */
static void run_normalize_edges(void)
{
	ok(spfsyntax_normalize(NULL, 0, V4, 1) == NULL, "normalize NULL: NULL");
	char *g = spfsyntax_normalize("v=spf1 -all", 6, V4, 1);
	is_str(g, "v=spf1", "normalize reads only len bytes");
	free(g);
	/* " a/0" -> " exists:%{d}" is the largest growth: 3 times */
	char rec[6 + 4 * 60 + 1], want[6 + 12 * 60 + 1];
	memcpy(rec, "v=spf1", 6);
	memcpy(want, "v=spf1", 6);
	for (int i = 0; i < 60; i++) {
		memcpy(rec + 6 + 4 * i, " a/0", 4);
		memcpy(want + 6 + 12 * i, " exists:%{d}", 12);
	}
	rec[sizeof(rec) - 1] = want[sizeof(want) - 1] = '\0';
	g = spfsyntax_normalize(rec, strlen(rec), V4, 1);
	is_str(g, want, "sixty 'a/0' fit the growth bound");
	free(g);
}

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
	SPF_server_t *srv = SPF_server_new(SPF_DNS_ZONE, 0);
	if (!ok(srv != NULL, "a libspf2 server to compile with"))
		return done_testing();
	run_normalize(srv);
	run_normalize_valid(srv);
	run_normalize_edges();
	SPF_server_free(srv);
	return done_testing();
}
