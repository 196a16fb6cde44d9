/*
 * addr.c - mailboxes out of an address header.
 *
 * SYNOPSIS
 *	n = addr_parse_list(" \"Doe, J\" <j@Example.ORG>, x@y.test", a, ADDR_MAX);
 *
 * DESCRIPTION
 *	A forgiving reader of RFC 5322 address lists, enough for policy and
 *	DMARC: it drops comments (nested), keeps quoted strings whole (a comma
 *	or "@" inside one is not structure), splits at top-level commas, takes
 *	the angle-addr of a name-addr, reads "group: a, b;" as its members,
 *	and splits each addr-spec at its last "@". Domains are lowered and
 *	lose a final dot. Anything unreadable is skipped; malformed mail is
 *	data, and the caller sees how many addresses there were.
 *
 * THREAD SAFETY
 *	No state.
 */
#include "config.h"

#include "addr.h"

#include <ctype.h>
#include <string.h>

/* strip - remove comments and folding; quoted strings kept with their quotes. Writes at
 * most cap-1 bytes. */
static void strip(const char *in, char *out, size_t cap)
{
	size_t o = 0;
	int depth = 0, quoted = 0;
	for (const char *p = in; *p && o + 1 < cap; p++) {
		char c = *p;
		if (c == '\r' || c == '\n')
			continue;
		if (quoted) {
			out[o++] = c;
			if (c == '\\' && p[1] && o + 1 < cap)
				out[o++] = *++p;
			else if (c == '"')
				quoted = 0;
			continue;
		}
		if (depth) {
			if (c == '\\' && p[1])
				p++;
			else if (c == '(')
				depth++;
			else if (c == ')')
				depth--;
			continue;
		}
		if (c == '(') {
			depth = 1;
			out[o++] = ' ';
			continue;
		}
		if (c == '"')
			quoted = 1;
		out[o++] = c;
	}
	out[o] = '\0';
}

/* trim - a span without surrounding white space */
static void trim(const char **s, const char **e)
{
	while (*s < *e && isspace((unsigned char)**s))
		(*s)++;
	while (*e > *s && isspace((unsigned char)(*e)[-1]))
		(*e)--;
}

/* one - read the mailbox in [s, e) into a; 1 when it held an address */
static int one(const char *s, const char *e, struct addr *a)
{
	/* a name-addr: the last <...> outside quotes */
	const char *lt = NULL, *gt = NULL;
	int quoted = 0;
	for (const char *p = s; p < e; p++) {
		if (*p == '"' && (p == s || p[-1] != '\\'))
			quoted = !quoted;
		else if (!quoted && *p == '<')
			lt = p, gt = NULL;
		else if (!quoted && *p == '>' && lt)
			gt = p;
	}
	if (lt) {
		s = lt + 1;
		e = gt ? gt : e;
	}
	trim(&s, &e);
	if (s == e)
		return 0;
	const char *at = NULL;
	quoted = 0;
	for (const char *p = s; p < e; p++) {
		if (*p == '"' && (p == s || p[-1] != '\\'))
			quoted = !quoted;
		else if (!quoted && *p == '@')
			at = p;
	}
	if (lt && *s == '@') { /* obsolete route "<@a,@b:user@host>" */
		for (const char *p = s; p < e; p++)
			if (*p == ':') {
				s = p + 1;
				break;
			}
	}
	const char *ls = s, *le = at ? at : e, *ds = at ? at + 1 : e, *de = e;
	trim(&ls, &le);
	trim(&ds, &de);
	size_t ll = (size_t)(le - ls), dl = (size_t)(de - ds);
	if (ll >= sizeof(a->local))
		ll = sizeof(a->local) - 1;
	memcpy(a->local, ls, ll);
	a->local[ll] = '\0';
	if (dl && ds[dl - 1] == '.')
		dl--;
	if (dl >= sizeof(a->domain))
		dl = sizeof(a->domain) - 1;
	for (size_t i = 0; i < dl; i++)
		a->domain[i] = (char)tolower((unsigned char)ds[i]);
	a->domain[dl] = '\0';
	return ll > 0 || dl > 0;
}

/* addr_parse_list - split at top-level commas (and group punctuation) */
size_t addr_parse_list(const char *value, struct addr *out, size_t max)
{
	char buf[8192];
	strip(value ? value : "", buf, sizeof(buf));
	size_t n = 0;
	const char *s = buf;
	int quoted = 0, angle = 0;
	for (const char *p = buf;; p++) {
		char c = *p;
		if (c == '"' && (p == buf || p[-1] != '\\'))
			quoted = !quoted;
		else if (!quoted && c == '<')
			angle = 1;
		else if (!quoted && c == '>')
			angle = 0;
		int end = c == '\0' || (!quoted && !angle && (c == ',' || c == ';'));
		if (!quoted && !angle && c == ':') {
			s = p + 1; /* "group-name:" starts a group: its members follow */
			continue;
		}
		if (!end)
			continue;
		if (n < max && one(s, p, &out[n]))
			n++;
		if (c == '\0')
			break;
		s = p + 1;
	}
	return n;
}
