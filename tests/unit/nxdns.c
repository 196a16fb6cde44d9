/*
 * nxdns.c - a DNS server for tests that answers NXDOMAIN to every query.
 *
 * DESCRIPTION
 *	The resolver's local data answers what a test defines; this server is
 *	its forwarder, so every other name is NXDOMAIN, as an authoritative
 *	server would say, except the names a test wants to fail: those get
 *	SERVFAIL (the conformance suite's TIMEOUT). (libunbound's "." static local zone would do the
 *	same, but in libunbound 1.17 zones added around it make some names
 *	miss it and go to the forwarder anyway.) The thread lives until exit.
 */
#include "config.h"

#include "nxdns.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

struct nxdns {
	int fd;
	char **fail; /* owned copies */
	size_t nfail;
};

/* qname - the question name of a query, dotted, no final dot; 0 or -1 */
static int qname(const unsigned char *p, size_t n, char *out, size_t cap)
{
	size_t i = 12, o = 0;
	while (i < n && p[i]) {
		size_t l = p[i++];
		if (l > 63 || i + l > n || o + l + 2 > cap)
			return -1;
		if (o)
			out[o++] = '.';
		memcpy(out + o, p + i, l);
		o += l;
		i += l;
	}
	out[o] = '\0';
	return i < n ? 0 : -1;
}

/* failing - is name one of the names to fail? */
static int failing(const struct nxdns *x, const char *name)
{
	for (size_t i = 0; i < x->nfail; i++)
		if (strcasecmp(x->fail[i], name) == 0)
			return 1;
	return 0;
}

/* serve - answer each datagram with its question and rcode NXDOMAIN or SERVFAIL */
static void *serve(void *arg)
{
	struct nxdns *x = arg;
	int fd = x->fd;
	unsigned char pkt[1500];
	for (;;) {
		struct sockaddr_in from;
		socklen_t flen = sizeof(from);
		ssize_t n = recvfrom(fd, pkt, sizeof(pkt), 0, (struct sockaddr *)&from, &flen);
		if (n < 12)
			continue;
		char name[256];
		int fail = qname(pkt, (size_t)n, name, sizeof(name)) == 0 && failing(x, name);
		pkt[2] = (unsigned char)(0x84 | (pkt[2] & 0x01)); /* QR, AA, keep RD */
		pkt[3] = fail ? 0x82 : 0x83;                      /* RA, SERVFAIL or NXDOMAIN */
		memset(pkt + 6, 0, 6); /* no answer/authority/additional */
		ssize_t w = sendto(fd, pkt, (size_t)n, 0, (struct sockaddr *)&from, flen);
		(void)w;
	}
	return NULL;
}

/* nxdns_start - bind and start */
int nxdns_start(const char *const *fail, size_t nfail)
{
	struct nxdns *x = calloc(1, sizeof(*x)); /* lives as long as the thread: until exit */
	if (x == NULL || (nfail && (x->fail = calloc(nfail, sizeof(char *))) == NULL))
		return -1;
	for (size_t i = 0; i < nfail; i++) {
		size_t l = strlen(fail[i]);
		if ((x->fail[i] = strndup(fail[i], l && fail[i][l - 1] == '.' ? l - 1 : l)) == NULL)
			return -1;
		x->nfail++;
	}
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	struct sockaddr_in a;
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	socklen_t len = sizeof(a);
	if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0 ||
	    getsockname(fd, (struct sockaddr *)&a, &len) < 0) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	pthread_t t;
	x->fd = fd;
	if (pthread_create(&t, NULL, serve, x) != 0) {
		close(fd);
		return -1;
	}
	pthread_detach(t);
	return ntohs(a.sin_port);
}
