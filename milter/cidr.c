/*
 * cidr.c - IP address ranges.
 *
 * SYNOPSIS
 *	cidr_parse("192.0.2.0/24", &c);	cidr_match(&c, "192.0.2.7");
 *
 * DESCRIPTION
 *	Parses ranges from the configuration (and, later, rules) and tests a
 *	client address against them. IPv4 clients that reach an IPv6 socket
 *	arrive as ::ffff:a.b.c.d; they are compared as the IPv4 address they
 *	are, so one "192.0.2.0/24" covers both forms.
 *
 * THREAD SAFETY
 *	No state.
 */
#include "config.h"

#include "cidr.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

static const unsigned char v4mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

/* addr_parse - a textual address into family and bytes (IPv4-mapped made IPv4) */
static int addr_parse(const char *s, int *family, unsigned char *addr)
{
	if (inet_pton(AF_INET, s, addr) == 1) {
		*family = AF_INET;
		return 0;
	}
	if (inet_pton(AF_INET6, s, addr) != 1)
		return -1;
	*family = AF_INET6;
	if (memcmp(addr, v4mapped, sizeof(v4mapped)) == 0) {
		memmove(addr, addr + 12, 4);
		*family = AF_INET;
	}
	return 0;
}

/* cidr_parse - address[/bits] */
int cidr_parse(const char *s, struct cidr *out)
{
	char text[64];
	const char *slash = strchr(s, '/');
	size_t n = slash ? (size_t)(slash - s) : strlen(s);
	if (n == 0 || n >= sizeof(text))
		return -1;
	memcpy(text, s, n);
	text[n] = '\0';
	memset(out, 0, sizeof(*out));
	if (addr_parse(text, &out->family, out->addr) < 0)
		return -1;
	unsigned max = out->family == AF_INET ? 32 : 128;
	if (out->family == AF_INET && strchr(text, ':'))
		max = 128; /* ::ffff:a.b.c.d/bits counts bits of the IPv6 form */
	out->bits = max;
	if (slash) {
		const char *d = slash + 1;
		unsigned v = 0;
		if (*d == '\0' || strlen(d) > 3)
			return -1;
		for (; *d; d++) {
			if (!isdigit((unsigned char)*d))
				return -1;
			v = v * 10 + (unsigned)(*d - '0');
		}
		if (v > max)
			return -1;
		out->bits = v;
	}
	if (max == 128 && out->family == AF_INET) /* back to IPv4 bits */
		out->bits = out->bits < 96 ? 0 : out->bits - 96;
	return 0;
}

/* cidr_match - ip inside c? */
int cidr_match(const struct cidr *c, const char *ip)
{
	int family;
	unsigned char a[16];
	if (ip == NULL || addr_parse(ip, &family, a) < 0 || family != c->family)
		return 0;
	unsigned full = c->bits / 8, rest = c->bits % 8;
	if (memcmp(a, c->addr, full) != 0)
		return 0;
	if (rest == 0)
		return 1;
	unsigned char mask = (unsigned char)(0xff << (8 - rest));
	return (a[full] & mask) == (c->addr[full] & mask);
}

/* cidr_match_text - any of the textual ranges */
int cidr_match_text(char *const *v, size_t n, const char *ip)
{
	for (size_t i = 0; i < n; i++) {
		struct cidr c;
		if (cidr_parse(v[i], &c) == 0 && cidr_match(&c, ip))
			return 1;
	}
	return 0;
}
