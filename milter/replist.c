/*
 * replist.c - reputation list definitions and the meaning of their answers.
 *
 * SYNOPSIS
 *	replist_parse(REPLIST_DNSBL, "zen zen.spamhaus.org listed 127.0.0.2-127.0.0.11", &l);
 *	replist_match(&l, "127.0.0.4") == 1
 *
 * DESCRIPTION
 *	Lists answer a query for a listed name with an A record in 127/8 whose
 *	value is a code. Providers also answer with codes meaning "you may not
 *	query me" (Spamhaus: 127.255.255.252-255, from public resolvers or over
 *	quota): those are refusals, a temperror of that list, never a hit. By
 *	default every other 127/8 answer is a hit; `listed` narrows it to
 *	ranges or a bitmask of the last octet (SURBL-style multi lists).
 *
 * THREAD SAFETY
 *	No state.
 */
#include "config.h"

#include "replist.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define WORD_MAX 512

/* next_word - copy the next blank-separated word of *p into w; 0 at the end */
static int next_word(const char **p, char *w, size_t cap)
{
	const char *s = *p;
	while (isspace((unsigned char)*s))
		s++;
	size_t n = 0;
	while (s[n] && !isspace((unsigned char)s[n]))
		n++;
	*p = s + n;
	if (n == 0 || n >= cap)
		return n == 0 ? 0 : -1;
	memcpy(w, s, n);
	w[n] = '\0';
	return 1;
}

/* ip4 - dotted quad to host order */
static int ip4(const char *s, uint32_t *out)
{
	struct in_addr a;
	if (inet_pton(AF_INET, s, &a) != 1)
		return -1;
	*out = ntohl(a.s_addr);
	return 0;
}

/* parse_codes - "127.0.0.2,127.0.0.4-127.0.0.11,mask:6" */
static const char *parse_codes(const char *w, struct replist_codes *c)
{
	char buf[WORD_MAX];
	snprintf(buf, sizeof(buf), "%s", w);
	c->n = 0;
	for (char *item = buf, *next; item && *item; item = next) {
		next = strchr(item, ',');
		if (next)
			*next++ = '\0';
		if (c->n == REPLIST_CODES_MAX)
			return "at most 16 codes";
		memset(&c->c[c->n], 0, sizeof(c->c[c->n]));
		if (strncmp(item, "mask:", 5) == 0) {
			char *end;
			unsigned long m = strtoul(item + 5, &end, 0);
			if (item[5] == '\0' || *end || m == 0 || m > 255)
				return "a mask is mask:N with N from 1 to 255";
			c->c[c->n++].mask = (unsigned)m;
			continue;
		}
		char *dash = strchr(item, '-');
		if (dash)
			*dash = '\0';
		uint32_t lo, hi;
		if (ip4(item, &lo) < 0 || ip4(dash ? dash + 1 : item, &hi) < 0 || hi < lo)
			return "codes are IPv4 answers, ranges a-b, or mask:N, separated by commas";
		c->c[c->n].lo = lo;
		c->c[c->n].hi = hi;
		c->n++;
	}
	return c->n ? NULL : "expected codes";
}

/* parse_ids - "sender,from,helo,ptr" */
static const char *parse_ids(const char *w, unsigned *ids)
{
	static const struct {
		const char *name;
		unsigned bit;
	} names[] = {{"sender", REPLIST_ID_SENDER},
		     {"from", REPLIST_ID_FROM},
		     {"helo", REPLIST_ID_HELO},
		     {"ptr", REPLIST_ID_PTR},
		     {"dkim", REPLIST_ID_DKIM}};
	char buf[WORD_MAX];
	snprintf(buf, sizeof(buf), "%s", w);
	*ids = 0;
	for (char *item = buf, *next; item && *item; item = next) {
		next = strchr(item, ',');
		if (next)
			*next++ = '\0';
		size_t i;
		for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
			if (strcmp(item, names[i].name) == 0)
				break;
		if (i == sizeof(names) / sizeof(names[0]))
			return "identities are sender, from, helo, ptr and dkim, separated by "
			       "commas";
		*ids |= names[i].bit;
	}
	return *ids ? NULL : "expected identities";
}

/* name_ok - a list name usable in a finding name */
static int name_ok(const char *s)
{
	if (*s == '\0' || strlen(s) > REPLIST_NAME_MAX)
		return 0;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && *s != '-' && *s != '_')
			return 0;
	return 1;
}

/* zone_ok - a DNS name: labels of 1-63 letters, digits, '-' or '_' */
static int zone_ok(const char *s)
{
	size_t label = 0, n = strlen(s);
	if (n == 0 || n > 253)
		return 0;
	for (; *s; s++) {
		if (*s == '.') {
			if (label == 0)
				return 0;
			label = 0;
		} else if (isalnum((unsigned char)*s) || *s == '-' || *s == '_') {
			if (++label > 63)
				return 0;
		} else
			return 0;
	}
	return label > 0;
}

/* replist_parse - one definition */
const char *replist_parse(enum replist_kind kind, const char *text, struct replist *out)
{
	memset(out, 0, sizeof(*out));
	out->kind = kind;
	out->identities =
	    kind == REPLIST_URIBL ? REPLIST_ID_URL : REPLIST_ID_SENDER | REPLIST_ID_FROM;
	char w[WORD_MAX];
	const char *p = text;
	if (next_word(&p, w, sizeof(w)) != 1 || !name_ok(w))
		return "expected a list name (letters, digits, '-', '_') and a zone";
	snprintf(out->name, sizeof(out->name), "%s", w);
	if (next_word(&p, w, sizeof(w)) != 1)
		return "expected a zone after the list name";
	size_t zl = strlen(w);
	if (zl && w[zl - 1] == '.')
		w[zl - 1] = '\0';
	if (!zone_ok(w))
		return "the zone is not a valid DNS name";
	snprintf(out->zone, sizeof(out->zone), "%s", w);
	int rc;
	while ((rc = next_word(&p, w, sizeof(w))) == 1) {
		char arg[WORD_MAX];
		if (strcmp(w, "reject") == 0 && kind == REPLIST_DNSBL) {
			out->reject = 1; /* refuse a listed client already at RCPT TO */
			continue;
		}
		if (strcmp(w, "hosts") == 0 && kind == REPLIST_URIBL) {
			out->hosts = 1; /* the full host names of links too */
			continue;
		}
		int is_check = strcmp(w, "check") == 0;
		if (strcmp(w, "listed") != 0 && strcmp(w, "refused") != 0 &&
		    !(is_check && kind == REPLIST_RHSBL))
			return kind == REPLIST_RHSBL   ? "expected listed, refused or check"
			       : kind == REPLIST_DNSBL ? "expected listed, refused or reject"
						       : "expected hosts, listed or refused";
		if (next_word(&p, arg, sizeof(arg)) != 1)
			return "expected a value after listed, refused or check";
		const char *why = is_check                   ? parse_ids(arg, &out->identities)
				  : strcmp(w, "listed") == 0 ? parse_codes(arg, &out->listed)
							     : parse_codes(arg, &out->refused);
		if (why)
			return why;
	}
	return rc < 0 ? "a word is too long" : NULL;
}

/* in_codes - does answer a fall in one of the codes? */
static int in_codes(const struct replist_codes *c, uint32_t a)
{
	for (size_t i = 0; i < c->n; i++) {
		if (c->c[i].mask) {
			if ((a >> 24) == 127 && (a & 0xff & c->c[i].mask))
				return 1;
		} else if (a >= c->c[i].lo && a <= c->c[i].hi)
			return 1;
	}
	return 0;
}

/* replist_match - what an answer means */
int replist_match(const struct replist *l, const char *answer)
{
	uint32_t a;
	if (ip4(answer, &a) < 0)
		return 0;
	if (l->refused.n ? in_codes(&l->refused, a) : (a >= 0x7ffffffcu && a <= 0x7fffffffu))
		return -1;
	if (l->listed.n)
		return in_codes(&l->listed, a);
	return (a >> 24) == 127;
}
