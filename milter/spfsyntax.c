/*
 * spfsyntax.c - strict syntax check of SPF records (RFC 7208 section 12), and
 * their rewrite for libspf2.
 *
 * SYNOPSIS
 *	if (spfsyntax_is_spf(txt, len) && spfsyntax_check(txt, len, why, sizeof(why)) < 0)
 *		... the record is a permerror (RFC 7208 4.6) ...
 *	text = spfsyntax_normalize(txt, len, AF_INET, helo_known);
 *
 * DESCRIPTION
 *	libspf2 compiles records leniently; this module holds a record's text to
 *	the ABNF of RFC 7208 section 12 so that spf.c can turn what the RFC calls
 *	a syntax error into a permerror:
 *	- "v=spf1", then terms separated by one or more SP (trailing SP allowed);
 *	  only printable ASCII (no control characters, no NUL, no 8-bit bytes);
 *	- mechanisms all, include, a, mx, ptr, ip4, ip6, exists with an optional
 *	  qualifier and their exact arguments: domain-spec (macro-string ending
 *	  in a macro-expand or in "." toplabel [ "." ]), dual-cidr-length (ip4
 *	  0-32, ip6 0-128, no leading zeros), a dotted-quad ip4-network without
 *	  leading zeros, an RFC 4291 ip6-network;
 *	- modifiers name "=" macro-string; redirect= and exp= take a domain-spec
 *	  and may each appear once;
 *	- macro-expand: "%{" letter *DIGIT [ "r" ] *delimiter "}", "%%", "%_",
 *	  "%-"; a DIGIT transformer must be nonzero; the letters c, r and t belong
 *	  to explanation text only, so they are refused in every domain-spec
 *	  (unknown modifiers, which are never expanded, may carry them).
 *	Nothing here looks anything up or evaluates: that stays with libspf2.
 *
 *	libspf2 (1.2.10) also refuses or misreads some valid records. Once a
 *	record is known valid, spfsyntax_normalize() rewrites it into text that
 *	libspf2 evaluates exactly as RFC 7208 evaluates the original, for one
 *	client address family (the rewrite depends on it):
 *	- unknown modifiers are dropped: they have no effect (section 6), and
 *	  libspf2 refuses "." in their names;
 *	- redirect= goes to the end: libspf2 runs it where it stands, the RFC
 *	  only after no mechanism matched (section 6.1);
 *	- libspf2 refuses a CIDR length of 0 (and reads 0 as "none": /32, /128):
 *	  q ip4:x/0 becomes q ip4:0.0.0.0/1 q ip4:128.0.0.0/1 (ip6 alike with ::/1
 *	  and 8000::/1); a /0 or //0 on a or mx for the other family is dropped;
 *	  q a[:d]/0 for an IPv4 client becomes q exists:d (d defaults to %{d}),
 *	  unless d uses %{h} and there is no HELO name (libspf2 makes that a
 *	  permerror in a, a temperror in exists). a//0 for an IPv6 client and
 *	  mx/0 (mx//0) for an IPv4 (IPv6) client have no exact equivalent and are
 *	  left as they are (libspf2 refuses them: a permerror).
 *
 *	Public: spfsyntax_check(), spfsyntax_is_spf(), spfsyntax_normalize().
 *
 * DIAGNOSTICS
 *	The first error found, as a short phrase naming the term, in the
 *	caller's buffer ("invalid domain-spec in 'a:foo'", "exp= given twice").
 *
 * THREAD SAFETY
 *	Pure functions over the caller's buffers (spfsyntax_normalize allocates
 *	its result): safe from any thread.
 */
#include "config.h"

#include "spfsyntax.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "buf.h"

/* a slice of the record: bytes, not NUL-terminated */
struct span {
	const char *p;
	size_t n;
};

/* what the terms seen so far imply for the rest */
struct terms_state {
	unsigned redirects, exps;
};

#define TERM_SHOW 48 /* at most this much of a term in a reason */
/* spfsyntax_normalize's text is at most this many times the record's length (the
 * longest rewrite per input byte: " a/0" -> " exists:%{d}") */
#define NORM_GROWTH 3

/* is_alpha - ASCII letter (no locale) */
static int is_alpha(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* is_digit - ASCII digit */
static int is_digit(int c)
{
	return c >= '0' && c <= '9';
}

/* is_alnum - ASCII letter or digit */
static int is_alnum(int c)
{
	return is_alpha(c) || is_digit(c);
}

/* lower - ASCII lower case */
static int lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c;
}

/* span_is - the slice equals word, ignoring ASCII case */
static int span_is(struct span s, const char *word)
{
	size_t n = strlen(word);
	if (s.n != n)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (lower((unsigned char)s.p[i]) != word[i])
			return 0;
	return 1;
}

/* fail - put a reason in why (term quoted, cut to TERM_SHOW bytes); -1 */
static int fail(char *why, size_t whylen, struct span term, const char *fmt, ...) PRINTF_LIKE(4, 5);
static int fail(char *why, size_t whylen, struct span term, const char *fmt, ...)
{
	if (why == NULL || whylen == 0)
		return -1;
	va_list ap;
	va_start(ap, fmt);
	int k = vsnprintf(why, whylen, fmt, ap);
	va_end(ap);
	if (k < 0 || (size_t)k >= whylen || term.p == NULL)
		return -1;
	size_t show = term.n > TERM_SHOW ? TERM_SHOW : term.n;
	(void)snprintf(why + k, whylen - (size_t)k, " in '%.*s%s'", (int)show, term.p,
		       show < term.n ? "..." : "");
	return -1;
}

/* macro_expand - one macro-expand at s.p[*i] == '%'; advances *i; 0 or -1 */
static int macro_expand(struct span s, size_t *i, int allow_crt)
{
	size_t k = *i + 1;
	if (k >= s.n)
		return -1; /* a lone '%' at the end */
	char c = s.p[k];
	if (c == '%' || c == '_' || c == '-') {
		*i = k + 1;
		return 0;
	}
	if (c != '{' || ++k >= s.n)
		return -1;
	int letter = lower((unsigned char)s.p[k]);
	if (letter == 0 || (strchr("slodiphv", letter) == NULL &&
			    (!allow_crt || (letter != 'c' && letter != 'r' && letter != 't'))))
		return -1;
	k++;
	size_t digits = 0;
	int nonzero = 0;
	while (k < s.n && is_digit((unsigned char)s.p[k])) {
		nonzero |= s.p[k] != '0';
		digits++;
		k++;
	}
	if (digits > 0 && !nonzero)
		return -1; /* RFC 7208 7.3: a DIGIT transformer must be nonzero */
	if (k < s.n && lower((unsigned char)s.p[k]) == 'r')
		k++;
	while (k < s.n && s.p[k] != '\0' && strchr(".-+,/_=", s.p[k]) != NULL)
		k++;
	if (k >= s.n || s.p[k] != '}')
		return -1;
	*i = k + 1;
	return 0;
}

/* macro_string - s is a macro-string; *tail: where its trailing run of literals starts
 * (s.n when it ends in a macro-expand); 0 or -1 */
static int macro_string(struct span s, int allow_crt, size_t *tail)
{
	size_t i = 0;
	*tail = 0;
	while (i < s.n) {
		unsigned char c = (unsigned char)s.p[i];
		if (c == '%') {
			if (macro_expand(s, &i, allow_crt) < 0)
				return -1;
			*tail = i;
		} else if (c >= 0x21 && c <= 0x7e) {
			i++;
		} else {
			return -1;
		}
	}
	return 0;
}

/* toplabel - ( *alphanum ALPHA *alphanum ) / ( 1*alphanum "-" *( alphanum / "-" ) alphanum ) */
static int toplabel(struct span s)
{
	if (s.n == 0)
		return 0;
	int alpha = 0, dash = 0;
	for (size_t i = 0; i < s.n; i++) {
		unsigned char c = (unsigned char)s.p[i];
		if (is_alpha(c))
			alpha = 1;
		else if (c == '-')
			dash = 1;
		else if (!is_digit(c))
			return 0;
	}
	if (!dash)
		return alpha;
	return is_alnum((unsigned char)s.p[0]) && is_alnum((unsigned char)s.p[s.n - 1]);
}

/* domain_spec - macro-string domain-end; domain-end = ( "." toplabel [ "." ] ) / macro-expand */
static int domain_spec(struct span s)
{
	size_t tail;
	if (s.n == 0 || macro_string(s, 0, &tail) < 0)
		return -1;
	if (tail == s.n)
		return 0; /* ends in a macro-expand */
	size_t end = s.n;
	if (s.p[end - 1] == '.')
		end--;
	size_t dot = end;
	while (dot > tail && s.p[dot - 1] != '.')
		dot--;
	if (dot == tail)
		return -1; /* no "." toplabel made of literals */
	struct span top = {s.p + dot, end - dot};
	return toplabel(top) ? 0 : -1;
}

/* cidr_value - 1*DIGIT without a leading zero (but "0"), at most max; 0 or -1 */
static int cidr_value(struct span s, unsigned max)
{
	if (s.n == 0 || s.n > 3 || (s.n > 1 && s.p[0] == '0'))
		return -1;
	unsigned v = 0;
	for (size_t i = 0; i < s.n; i++) {
		if (!is_digit((unsigned char)s.p[i]))
			return -1;
		v = v * 10 + (unsigned)(s.p[i] - '0');
	}
	return v <= max ? 0 : -1;
}

/* digits_before - how many digits end s (before index end) */
static size_t digits_before(struct span s, size_t end)
{
	size_t k = 0;
	while (k < end && is_digit((unsigned char)s.p[end - 1 - k]))
		k++;
	return k;
}

/* a dual-cidr-length split off the end of an a or mx argument */
struct dual_cidr {
	size_t dom;         /* the argument before the lengths: arg.p[0..dom) */
	struct span v4, v6; /* the digits of each length, {NULL, 0} when not given */
};

/* dual_cidr - split a trailing dual-cidr-length off arg (a, mx); 0, or -1 when the
 * lengths are out of range or have leading zeros */
static int dual_cidr(struct span arg, struct dual_cidr *dc)
{
	size_t end = arg.n;
	size_t d = digits_before(arg, end);
	dc->v4 = dc->v6 = (struct span){NULL, 0};
	if (d > 0 && end - d >= 2 && arg.p[end - d - 1] == '/' && arg.p[end - d - 2] == '/') {
		dc->v6 = (struct span){arg.p + end - d, d};
		if (cidr_value(dc->v6, 128) < 0)
			return -1;
		end -= d + 2;
		d = digits_before(arg, end);
	}
	if (d > 0 && end - d >= 1 && arg.p[end - d - 1] == '/' &&
	    (end - d < 2 || arg.p[end - d - 2] != '/')) {
		dc->v4 = (struct span){arg.p + end - d, d};
		if (cidr_value(dc->v4, 32) < 0)
			return -1;
		end -= d + 1;
	}
	dc->dom = end;
	return 0;
}

/* ip4_network - qnum "." qnum "." qnum "." qnum, no leading zeros */
static int ip4_network(struct span s)
{
	size_t i = 0;
	for (int part = 0; part < 4; part++) {
		if (part > 0) {
			if (i >= s.n || s.p[i] != '.')
				return -1;
			i++;
		}
		size_t start = i;
		while (i < s.n && is_digit((unsigned char)s.p[i]))
			i++;
		struct span q = {s.p + start, i - start};
		if (cidr_value(q, 255) < 0)
			return -1;
	}
	return i == s.n ? 0 : -1;
}

/* ip6_network - an address as RFC 4291 section 2.2 writes it */
static int ip6_network(struct span s)
{
	char buf[INET6_ADDRSTRLEN + 1];
	struct in6_addr a;
	if (s.n == 0 || s.n >= sizeof(buf))
		return -1;
	for (size_t i = 0; i < s.n; i++)
		if (!is_digit((unsigned char)s.p[i]) && strchr("abcdefABCDEF:.", s.p[i]) == NULL)
			return -1;
	memcpy(buf, s.p, s.n);
	buf[s.n] = '\0';
	return inet_pton(AF_INET6, buf, &a) == 1 ? 0 : -1;
}

/* ip_cidr - split a trailing "/" length off an ip4:/ip6: argument: the network's length
 * in bytes; *len gets the length's digits ({NULL, 0} when not given) */
static size_t ip_cidr(struct span arg, struct span *len)
{
	size_t d = digits_before(arg, arg.n);
	*len = (struct span){NULL, 0};
	if (d == 0 || d == arg.n || arg.p[arg.n - d - 1] != '/')
		return arg.n;
	*len = (struct span){arg.p + arg.n - d, d};
	return arg.n - d - 1;
}

/* ip_mech - ip4:/ip6: network [ "/" length ] */
static int ip_mech(struct span term, struct span arg, int v6, char *why, size_t whylen)
{
	struct span len;
	size_t net = ip_cidr(arg, &len);
	if (len.p && cidr_value(len, v6 ? 128 : 32) < 0)
		return fail(why, whylen, term, "invalid CIDR length");
	struct span n = {arg.p, net};
	if (v6 ? ip6_network(n) < 0 : ip4_network(n) < 0)
		return fail(why, whylen, term, "invalid %s network", v6 ? "ip6" : "ip4");
	return 0;
}

/* mechanism - [ qualifier ] name [ ":" arg | "/" cidr ] after the qualifier */
static int mechanism(struct span term, struct span name, struct span rest, char *why, size_t whylen)
{
	int has_arg = rest.n > 0 && rest.p[0] == ':';
	struct span arg = {rest.p + has_arg, rest.n - (size_t)has_arg};
	if (span_is(name, "all")) {
		if (rest.n > 0)
			return fail(why, whylen, term, "'all' takes no argument");
		return 0;
	}
	if (span_is(name, "include") || span_is(name, "exists")) {
		if (!has_arg)
			return fail(why, whylen, term, "'%.*s' needs ':' domain-spec", (int)name.n,
				    name.p);
		if (domain_spec(arg) < 0)
			return fail(why, whylen, term, "invalid domain-spec");
		return 0;
	}
	if (span_is(name, "ip4") || span_is(name, "ip6")) {
		if (!has_arg)
			return fail(why, whylen, term, "'%.*s' needs ':' network", (int)name.n,
				    name.p);
		return ip_mech(term, arg, span_is(name, "ip6"), why, whylen);
	}
	int is_ptr = span_is(name, "ptr");
	if (!is_ptr && !span_is(name, "a") && !span_is(name, "mx"))
		return fail(why, whylen, term, "unknown mechanism");
	struct dual_cidr dc = {arg.n, {NULL, 0}, {NULL, 0}};
	if (!is_ptr && dual_cidr(arg, &dc) < 0)
		return fail(why, whylen, term, "invalid CIDR length");
	size_t dom = dc.dom;
	if (!has_arg && dom > 0)
		return fail(why, whylen, term, "junk after the mechanism name");
	if (has_arg && domain_spec((struct span){arg.p, dom}) < 0)
		return fail(why, whylen, term, "invalid domain-spec");
	return 0;
}

/* modifier - name "=" value; redirect and exp take a domain-spec, once each */
static int modifier(struct span term, struct span name, struct span value, struct terms_state *st,
		    char *why, size_t whylen)
{
	int is_redirect = span_is(name, "redirect"), is_exp = span_is(name, "exp");
	if (is_redirect && ++st->redirects > 1)
		return fail(why, whylen, term, "redirect= given twice");
	if (is_exp && ++st->exps > 1)
		return fail(why, whylen, term, "exp= given twice");
	if (is_redirect || is_exp) {
		if (domain_spec(value) < 0)
			return fail(why, whylen, term, "invalid domain-spec");
		return 0;
	}
	size_t tail;
	if (macro_string(value, 1, &tail) < 0)
		return fail(why, whylen, term, "invalid macro-string");
	return 0;
}

/* the parts of one term (RFC 7208 section 12: directive or modifier) */
struct term_parts {
	char qual;        /* '+', '-', '?', '~', or 0 when not given */
	struct span name; /* the mechanism or modifier name */
	struct span rest; /* what follows the name: "", ":...", "/..." or "=..." */
};

/* split_term - qualifier, name and the rest of t; -1 when no name starts it */
static int split_term(struct span t, struct term_parts *tp)
{
	size_t i = 0;
	tp->qual = strchr("+-?~", t.p[0]) != NULL ? t.p[0] : 0;
	i += tp->qual != 0;
	size_t start = i;
	if (i >= t.n || !is_alpha((unsigned char)t.p[i]))
		return -1;
	while (i < t.n && (is_alnum((unsigned char)t.p[i]) || strchr("-_.", t.p[i]) != NULL))
		i++;
	tp->name = (struct span){t.p + start, i - start};
	tp->rest = (struct span){t.p + i, t.n - i};
	return 0;
}

/* is_modifier - the term is name "=" value */
static int is_modifier(const struct term_parts *tp)
{
	return tp->rest.n > 0 && tp->rest.p[0] == '=';
}

/* term - one directive or modifier */
static int term(struct span t, struct terms_state *st, char *why, size_t whylen)
{
	struct term_parts tp;
	if (split_term(t, &tp) < 0)
		return fail(why, whylen, t, "a term must start with a qualifier or a letter");
	if (is_modifier(&tp)) {
		if (tp.qual)
			return fail(why, whylen, t, "a modifier takes no qualifier");
		struct span value = {tp.rest.p + 1, tp.rest.n - 1};
		return modifier(t, tp.name, value, st, why, whylen);
	}
	if (tp.rest.n > 0 && tp.rest.p[0] != ':' && tp.rest.p[0] != '/')
		return fail(why, whylen, t, "unexpected character after a term name");
	return mechanism(t, tp.name, tp.rest, why, whylen);
}

/* next_term - the next SP-separated term of rec[0..len) at or after *i; 0 when none is left */
static int next_term(const char *rec, size_t len, size_t *i, struct span *t)
{
	while (*i < len && rec[*i] == ' ')
		(*i)++;
	size_t start = *i;
	while (*i < len && rec[*i] != ' ')
		(*i)++;
	*t = (struct span){rec + start, *i - start};
	return t->n > 0;
}

/* spfsyntax_is_spf - "v=spf1" (any case) then SP or the end */
int spfsyntax_is_spf(const char *rec, size_t len)
{
	struct span v = {rec, 6};
	return len >= 6 && span_is(v, "v=spf1") && (len == 6 || rec[6] == ' ');
}

/* spfsyntax_check - the whole record against the ABNF */
int spfsyntax_check(const char *rec, size_t len, char *why, size_t whylen)
{
	struct span none = {NULL, 0};
	if (why && whylen)
		why[0] = '\0';
	if (rec == NULL || !spfsyntax_is_spf(rec, len))
		return fail(why, whylen, none, "does not start with \"v=spf1\" and a space");
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)rec[i];
		if (c < 0x20 || c > 0x7e)
			return fail(why, whylen, none,
				    "byte 0x%02x at offset %zu: only printable ASCII and "
				    "SP are allowed",
				    c, i);
	}
	struct terms_state st = {0, 0};
	struct span t;
	size_t i = 6;
	while (next_term(rec, len, &i, &t))
		if (term(t, &st, why, whylen) < 0)
			return -1;
	return 0;
}

/*
 * The rewrite for libspf2. Each rule below turns a term into terms that libspf2
 * evaluates exactly as RFC 7208 evaluates the original, for the client's address
 * family; what cannot be said exactly is left as it is.
 */

/* is_zero - a CIDR length given as "0" */
static int is_zero(struct span len)
{
	return len.n == 1 && len.p[0] == '0';
}

/* has_h_macro - does s use %{h}, the HELO name? */
static int has_h_macro(struct span s)
{
	for (size_t i = 0; i + 2 < s.n; i++) {
		if (s.p[i] != '%')
			continue;
		if (s.p[i + 1] == '{' && lower((unsigned char)s.p[i + 2]) == 'h')
			return 1;
		i++; /* the byte after a '%' ("%%", "%_", "%-", "%{") starts nothing */
	}
	return 0;
}

/* put_term - SP and the term, unchanged */
static int put_term(struct buf *out, struct span t)
{
	return buf_printf(out, " %.*s", (int)t.n, t.p);
}

/* norm_ip - ip4:/ip6: with a length of 0 (libspf2 refuses it) as the two halves of the
 * address space, each /1 with the same qualifier: together they match every client of
 * that family, as /0 does, and neither matches a client of the other family */
static int norm_ip(struct buf *out, struct span t, const struct term_parts *tp, int v6)
{
	struct span len;
	(void)ip_cidr((struct span){tp->rest.p + 1, tp->rest.n - 1}, &len);
	if (!is_zero(len))
		return put_term(out, t);
	char q[2] = {tp->qual, '\0'};
	if (v6)
		return buf_printf(out, " %sip6:::/1 %sip6:8000::/1", q, q);
	return buf_printf(out, " %sip4:0.0.0.0/1 %sip4:128.0.0.0/1", q, q);
}

/* norm_a_mx - a and mx with a CIDR length of 0 (libspf2 refuses it), for a client of
 * family v6 (1: IPv6, 0: IPv4); helo_known: %{h} can be expanded */
static int norm_a_mx(struct buf *out, struct span t, const struct term_parts *tp, int is_mx, int v6,
		     int helo_known)
{
	int has_arg = tp->rest.n > 0 && tp->rest.p[0] == ':';
	struct span arg = {tp->rest.p + has_arg, tp->rest.n - (size_t)has_arg};
	struct dual_cidr dc;
	if (dual_cidr(arg, &dc) < 0)
		return put_term(out, t); /* not reached: the record is valid */
	struct span mine = v6 ? dc.v6 : dc.v4, other = v6 ? dc.v4 : dc.v6;
	struct span dom = has_arg ? (struct span){arg.p, dc.dom} : (struct span){"%{d}", 4};
	char q[2] = {tp->qual, '\0'};
	if (is_zero(mine)) {
		/* a/0 and an IPv4 client: every address matches, so the mechanism matches
		 * when the name has an A record, and that is exists: (the same A query,
		 * counted alike as a DNS term and as a void lookup). Not when %{h} cannot
		 * be expanded: libspf2 makes that a permerror in a but a temperror in
		 * exists. For an IPv6 client (exists asks for A, not AAAA) and for mx (the
		 * addresses of the MX hosts) no term says it: left as it is, it does not
		 * compile, as before. */
		if (is_mx || v6 || (!helo_known && has_h_macro(dom)))
			return put_term(out, t);
		return buf_printf(out, " %sexists:%.*s", q, (int)dom.n, dom.p);
	}
	if (!is_zero(other))
		return put_term(out, t);
	/* the /0 is the other family's: it never applies to this client, drop it */
	int rc = buf_printf(out, " %s%.*s", q, (int)tp->name.n, tp->name.p);
	if (rc == BUF_OK && has_arg)
		rc = buf_printf(out, ":%.*s", (int)dom.n, dom.p);
	if (rc == BUF_OK && mine.p)
		rc = buf_printf(out, "%s%.*s", v6 ? "//" : "/", (int)mine.n, mine.p);
	return rc;
}

/* spfsyntax_normalize - the text libspf2 should compile for rec */
char *spfsyntax_normalize(const char *rec, size_t len, int family, int helo_known)
{
	struct buf out;
	if (rec == NULL || len > SIZE_MAX / NORM_GROWTH)
		return NULL;
	buf_init(&out, NORM_GROWTH * len);
	if (spfsyntax_check(rec, len, NULL, 0) < 0) {
		/* nothing is known about it: unchanged */
		if (buf_add(&out, rec, len) != BUF_OK) {
			buf_free(&out);
			return NULL;
		}
		return buf_steal(&out);
	}
	int v6 = family == AF_INET6;
	int rc = buf_add(&out, rec, 6); /* "v=spf1" */
	struct span t, redirect = {NULL, 0};
	size_t i = 6;
	while (rc == BUF_OK && next_term(rec, len, &i, &t)) {
		struct term_parts tp;
		if (split_term(t, &tp) < 0)
			rc = put_term(&out, t); /* not reached: the record is valid */
		else if (is_modifier(&tp) && span_is(tp.name, "redirect"))
			redirect = t; /* RFC 7208 6.1: used only when no mechanism matched */
		else if (is_modifier(&tp) && span_is(tp.name, "exp"))
			rc = put_term(&out, t);
		else if (is_modifier(&tp))
			continue; /* RFC 7208 6: an unknown modifier is ignored */
		else if (span_is(tp.name, "ip4") || span_is(tp.name, "ip6"))
			rc = norm_ip(&out, t, &tp, span_is(tp.name, "ip6"));
		else if (span_is(tp.name, "a") || span_is(tp.name, "mx"))
			rc = norm_a_mx(&out, t, &tp, span_is(tp.name, "mx"), v6, helo_known);
		else
			rc = put_term(&out, t);
	}
	if (rc == BUF_OK && redirect.p)
		rc = put_term(&out, redirect);
	if (rc != BUF_OK) {
		buf_free(&out);
		return NULL;
	}
	return buf_steal(&out);
}
