/*
 * fromhdr.c - read the From header(s) strictly and name every ambiguity.
 *
 * SYNOPSIS
 *	from_parse(values, n, &info);
 *
 * DESCRIPTION
 *	DMARC is only as good as the author domain it checks: a From that
 *	one program reads as "a@bank.example" and another as
 *	"b@attacker.example" defeats it (Chen et al., "Composition Kills",
 *	USENIX Security 2020). So the author is read by RFC 5322 section 3.4
 *	without the lenient recoveries of addr.c: a mailbox-list of name-addr
 *	or addr-spec, comments and folding allowed where CFWS is, obsolete
 *	forms only in the phrase (dots). Anything else is FROM_SYNTAX and
 *	yields no author domain. The parse also names what is legal but
 *	deceptive: several From headers or mailboxes (or domains), groups, a
 *	display name that looks like an address, a quoted comma (naive
 *	readers split there), encoded-words outside the display name or that
 *	decode to address syntax. The author domain is set only when there is
 *	exactly one From header, it parses, and its mailboxes all have the same
 *	domain: otherwise DMARC has no author to check (a permerror), and the
 *	problems are findings that policy must act on (a forger could
 *	otherwise escape p=reject by breaking the From).
 *
 * THREAD SAFETY
 *	Functions of their arguments.
 */
#include "config.h"

#include "fromhdr.h"

#include <stdio.h>
#include <string.h>

#include "buf.h"
#include "rfc2047.h"

#define DISPLAY_MAX 1024 /* bytes of a display name kept for the checks */

/* the reader over one header value */
struct rd {
	const char *p;     /* borrowed: the next character */
	unsigned problems; /* FROM_* found so far */
	size_t addresses;
	size_t domains;  /* mailboxes with a domain */
	char first[256]; /* the first domain seen */
	int differ;      /* a later domain differed */
};

static const char *const problem_names[FROM_PROBLEM_BITS] = {"missing",
							     "multiple-headers",
							     "multiple-addresses",
							     "no-domain",
							     "address-in-display-name",
							     "quoted-comma",
							     "encoded-word",
							     "syntax",
							     "multiple-domains",
							     "group"};

/* from_problem_name - the finding value of one bit */
const char *from_problem_name(unsigned bit)
{
	for (unsigned i = 0; i < FROM_PROBLEM_BITS; i++)
		if (bit == 1u << i)
			return problem_names[i];
	return "unknown";
}

/* is_atext - RFC 5322 atext (ASCII; UTF-8 bytes allowed as RFC 6532 does) */
static int is_atext(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c >= 0x80 || (c != '\0' && strchr("!#$%&'*+-/=?^_`{|}~", c) != NULL);
}

/* skip_cfws - white space, folding and (nested) comments; an unclosed comment is syntax */
static void skip_cfws(struct rd *r)
{
	for (;;) {
		while (*r->p == ' ' || *r->p == '\t' || *r->p == '\r' || *r->p == '\n')
			r->p++;
		if (*r->p != '(')
			return;
		int depth = 0;
		do {
			if (*r->p == '\\' && r->p[1])
				r->p++;
			else if (*r->p == '(')
				depth++;
			else if (*r->p == ')')
				depth--;
			r->p++;
		} while (depth > 0 && *r->p);
		if (depth > 0) {
			r->problems |= FROM_SYNTAX;
			return;
		}
	}
}

/* put - append to a bounded text */
static void put(char *dst, size_t cap, size_t *len, const char *s, size_t n)
{
	if (*len + n >= cap)
		n = *len + 1 < cap ? cap - *len - 1 : 0;
	memcpy(dst + *len, s, n);
	*len += n;
	dst[*len] = '\0';
}

/* quoted - a quoted-string at r->p, its content appended to out; -1 if unterminated */
static int quoted(struct rd *r, char *out, size_t cap, size_t *len)
{
	r->p++;
	while (*r->p && *r->p != '"') {
		if (*r->p == '\\' && r->p[1])
			r->p++;
		put(out, cap, len, r->p, 1);
		r->p++;
	}
	if (*r->p != '"')
		return -1;
	r->p++;
	return 0;
}

/* atom - atext run (dots too when dots is set) appended to out; its length */
static size_t atom(struct rd *r, int dots, char *out, size_t cap, size_t *len)
{
	const char *s = r->p;
	while (is_atext((unsigned char)*r->p) || (dots && *r->p == '.'))
		r->p++;
	put(out, cap, len, s, (size_t)(r->p - s));
	return (size_t)(r->p - s);
}

/* check_display - what a display name may hide */
static void check_display(struct rd *r, const char *disp, int quoted_comma)
{
	if (quoted_comma)
		r->problems |= FROM_QUOTED_COMMA;
	const char *at = strchr(disp, '@');
	if (at && strchr(at, '.'))
		r->problems |= FROM_ADDR_IN_DISPLAY;
	if (strstr(disp, "=?") == NULL)
		return;
	struct buf b;
	buf_init(&b, DISPLAY_MAX * 4);
	if (rfc2047_decode(disp, strlen(disp), &b) == 0 && b.data && b.len) {
		if (memchr(b.data, '@', b.len) || memchr(b.data, '<', b.len) ||
		    memchr(b.data, ',', b.len))
			r->problems |= FROM_ENCODED_WORD;
		if (memchr(b.data, '@', b.len))
			r->problems |= FROM_ADDR_IN_DISPLAY;
	}
	buf_free(&b);
}

/* dot_atom - atoms joined by dots (CFWS around the dots, as the obsolete forms allow) */
static int dot_atom(struct rd *r, char *out, size_t cap, size_t *n)
{
	for (;;) {
		if (atom(r, 0, out, cap, n) == 0)
			return -1;
		skip_cfws(r);
		if (*r->p != '.')
			return 0;
		put(out, cap, n, ".", 1);
		r->p++;
		skip_cfws(r);
	}
}

/* domain - the domain of an addr-spec at r->p (after '@'); 0 or -1 */
static int domain(struct rd *r)
{
	skip_cfws(r);
	char d[256];
	size_t n = 0;
	d[0] = '\0';
	if (*r->p == '[') { /* a domain-literal: no DNS domain for DMARC */
		const char *e = strchr(r->p, ']');
		if (e == NULL)
			return -1;
		r->p = e + 1;
		r->problems |= FROM_NO_DOMAIN;
		return 0;
	}
	if (dot_atom(r, d, sizeof(d), &n) < 0)
		return -1;
	for (size_t i = 0; i < n; i++)
		if (d[i] >= 'A' && d[i] <= 'Z')
			d[i] = (char)(d[i] + 32);
	if (r->domains++ == 0)
		snprintf(r->first, sizeof(r->first), "%s", d);
	else if (strcmp(r->first, d) != 0)
		r->differ = 1;
	return 0;
}

/* addr_spec - local-part "@" domain at r->p; 0 or -1 */
static int addr_spec(struct rd *r)
{
	char local[512];
	size_t n = 0;
	skip_cfws(r);
	if (*r->p == '"') {
		if (quoted(r, local, sizeof(local), &n) < 0)
			return -1;
	} else if (dot_atom(r, local, sizeof(local), &n) < 0)
		return -1;
	if (strstr(local, "=?"))
		r->problems |= FROM_ENCODED_WORD;
	skip_cfws(r);
	r->addresses++;
	if (*r->p != '@') {
		r->problems |= FROM_NO_DOMAIN;
		return 0;
	}
	r->p++;
	return domain(r);
}

/* mailbox - name-addr or addr-spec at r->p (the phrase read first, then decided) */
static int mailbox(struct rd *r, int in_group)
{
	const char *start = r->p;
	char disp[DISPLAY_MAX];
	size_t n = 0;
	int words = 0, qcomma = 0;
	disp[0] = '\0';
	for (;;) { /* the phrase: words and (obsolete) dots */
		skip_cfws(r);
		if (*r->p == '"') {
			size_t before = n;
			if (n)
				put(disp, sizeof(disp), &n, " ", 1);
			if (quoted(r, disp, sizeof(disp), &n) < 0)
				return -1;
			if (memchr(disp + before, ',', n - before))
				qcomma = 1;
		} else if (is_atext((unsigned char)*r->p) || *r->p == '.') {
			if (n)
				put(disp, sizeof(disp), &n, " ", 1);
			(void)atom(r, 1, disp, sizeof(disp), &n);
		} else
			break;
		words++;
	}
	if (*r->p == '<') {
		check_display(r, disp, qcomma);
		r->p++;
		if (addr_spec(r) < 0)
			return -1;
		skip_cfws(r);
		if (*r->p != '>')
			return -1;
		r->p++;
		return 0;
	}
	if (*r->p == ':' && !in_group && words > 0) {
		r->problems |= FROM_GROUP;
		r->p++;
		skip_cfws(r);
		while (*r->p && *r->p != ';') {
			if (*r->p == ',') {
				r->p++;
				skip_cfws(r);
				continue;
			}
			if (mailbox(r, 1) < 0)
				return -1;
			skip_cfws(r);
		}
		if (*r->p != ';')
			return -1;
		r->p++;
		return 0;
	}
	/* an addr-spec: read it again from the start */
	r->p = start;
	return addr_spec(r);
}

/* parse_value - one header value */
static void parse_value(const char *v, struct rd *r)
{
	r->p = v;
	size_t before = r->addresses;
	for (;;) {
		skip_cfws(r);
		if (*r->p == '\0')
			break;
		if (*r->p == ',') { /* obs-mbox-list allows empty elements; we do not */
			r->problems |= FROM_SYNTAX;
			r->p++;
			continue;
		}
		if (mailbox(r, 0) < 0) {
			r->problems |= FROM_SYNTAX;
			return;
		}
		skip_cfws(r);
		if (*r->p == ',')
			r->p++;
		else if (*r->p != '\0') {
			r->problems |= FROM_SYNTAX;
			return;
		}
	}
	if (r->addresses == before)
		r->problems |= FROM_NO_DOMAIN;
}

/* from_parse - all From values, strictly */
void from_parse(const char *const *values, size_t n, struct from_info *out)
{
	struct rd r;
	memset(&r, 0, sizeof(r));
	memset(out, 0, sizeof(*out));
	out->headers = n;
	for (size_t i = 0; i < n; i++)
		parse_value(values[i], &r);
	if (n == 0)
		r.problems |= FROM_MISSING;
	if (n > 1)
		r.problems |= FROM_MULTIPLE_HEADERS;
	if (r.addresses > 1)
		r.problems |= FROM_MULTIPLE_ADDRESSES;
	if (r.differ)
		r.problems |= FROM_MULTIPLE_DOMAINS;
	out->addresses = r.addresses;
	out->problems = r.problems;
	unsigned fatal = FROM_MISSING | FROM_MULTIPLE_HEADERS | FROM_SYNTAX | FROM_NO_DOMAIN |
			 FROM_MULTIPLE_DOMAINS;
	if (!(r.problems & fatal) && r.domains) {
		size_t len = strlen(r.first);
		if (len && r.first[len - 1] == '.')
			r.first[--len] = '\0';
		snprintf(out->domain, sizeof(out->domain), "%s", r.first);
	}
}
