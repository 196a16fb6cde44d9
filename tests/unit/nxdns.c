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
 *
 *	To show that lookups overlap, a test can hold the answers for one name
 *	(nxdns_hold) while it watches other queries arrive (nxdns_seen), then
 *	let them go (nxdns_release).
 */
#include "config.h"

#include "nxdns.h"

#include "dns.h"
#include "errlist.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <ctype.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define HELD_MAX 32
#define SEEN_MAX 256

struct held {
	unsigned char pkt[1500];
	size_t n;
	struct sockaddr_in from;
};

struct nxdns {
	int fd;
	char **fail; /* owned copies */
	size_t nfail;
	pthread_mutex_t lock; /* guards the rest */
	char hold[256];       /* name whose queries are held, or "" */
	int release;          /* answer the held queries */
	struct held held[HELD_MAX];
	size_t nheld;
	char seen[SEEN_MAX][256]; /* names queried, in order (the first SEEN_MAX) */
	size_t nseen;
};

static struct nxdns *server; /* the one server of this process */

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

/* answer - turn a query into its answer and send it */
static void answer(const struct nxdns *x, unsigned char *pkt, size_t n,
		   const struct sockaddr_in *from, int fail)
{
	pkt[2] = (unsigned char)(0x84 | (pkt[2] & 0x01)); /* QR, AA, keep RD */
	pkt[3] = fail ? 0x82 : 0x83;                      /* RA, SERVFAIL or NXDOMAIN */
	memset(pkt + 6, 0, 6);                            /* no answer/authority/additional */
	ssize_t w = sendto(x->fd, pkt, n, 0, (const struct sockaddr *)from, sizeof(*from));
	(void)w;
}

/* flush - answer the held queries once released */
static void flush(struct nxdns *x)
{
	pthread_mutex_lock(&x->lock);
	if (x->release) {
		for (size_t i = 0; i < x->nheld; i++)
			answer(x, x->held[i].pkt, x->held[i].n, &x->held[i].from, 0);
		x->nheld = 0;
		x->release = 0;
		x->hold[0] = '\0';
	}
	pthread_mutex_unlock(&x->lock);
}

/* note - record a query; 1 if it is to be held (then it is kept) */
static int note(struct nxdns *x, const char *name, const unsigned char *pkt, size_t n,
		const struct sockaddr_in *from)
{
	int held = 0;
	pthread_mutex_lock(&x->lock);
	if (x->nseen < SEEN_MAX)
		snprintf(x->seen[x->nseen++], sizeof(x->seen[0]), "%s", name);
	if (x->hold[0] && strcasecmp(x->hold, name) == 0 && x->nheld < HELD_MAX) {
		memcpy(x->held[x->nheld].pkt, pkt, n);
		x->held[x->nheld].n = n;
		x->held[x->nheld].from = *from;
		x->nheld++;
		held = 1;
	}
	pthread_mutex_unlock(&x->lock);
	return held;
}

/* serve - answer each datagram with its question and rcode NXDOMAIN or SERVFAIL */
static void *serve(void *arg)
{
	struct nxdns *x = arg;
	unsigned char pkt[1500];
	for (;;) {
		flush(x);
		struct pollfd p = {.fd = x->fd, .events = POLLIN};
		if (poll(&p, 1, 20) <= 0)
			continue;
		struct sockaddr_in from;
		socklen_t flen = sizeof(from);
		ssize_t n = recvfrom(x->fd, pkt, sizeof(pkt), 0, (struct sockaddr *)&from, &flen);
		if (n < 12)
			continue;
		char name[256];
		if (qname(pkt, (size_t)n, name, sizeof(name)) < 0)
			name[0] = '\0';
		if (note(x, name, pkt, (size_t)n, &from))
			continue;
		answer(x, pkt, (size_t)n, &from, name[0] && failing(x, name));
	}
	return NULL;
}

/* nxdns_hold - hold the answers for name */
void nxdns_hold(const char *name)
{
	pthread_mutex_lock(&server->lock);
	snprintf(server->hold, sizeof(server->hold), "%s", name);
	pthread_mutex_unlock(&server->lock);
}

/* nxdns_release - let the held answers go */
void nxdns_release(void)
{
	pthread_mutex_lock(&server->lock);
	server->release = 1;
	pthread_mutex_unlock(&server->lock);
}

/* nxdns_seen - how often name was asked */
unsigned nxdns_seen(const char *name)
{
	unsigned c = 0;
	pthread_mutex_lock(&server->lock);
	for (size_t i = 0; i < server->nseen; i++)
		c += strcasecmp(server->seen[i], name) == 0;
	pthread_mutex_unlock(&server->lock);
	return c;
}

/* nxdns_wait_seen - poll nxdns_seen */
int nxdns_wait_seen(const char *name, unsigned n, unsigned ms)
{
	for (unsigned waited = 0;; waited += 10) {
		if (nxdns_seen(name) >= n)
			return 1;
		if (waited >= ms)
			return 0;
		struct timespec ts = {0, 10 * 1000 * 1000};
		nanosleep(&ts, NULL);
	}
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
	pthread_mutex_init(&x->lock, NULL);
	server = x;
	if (pthread_create(&t, NULL, serve, x) != 0) {
		close(fd);
		return -1;
	}
	pthread_detach(t);
	return ntohs(a.sin_port);
}

/* nxdns_resolver - the server and a resolver forwarding to it */
struct dns *nxdns_resolver(const char *const *fail, size_t n, const char *who)
{
	char fwd0[32];
	snprintf(fwd0, sizeof(fwd0), "127.0.0.1@%d", nxdns_start(fail, n));
	const char *fwd[] = {fwd0};
	struct dns_opts o = {fwd, 1, 2000, NULL, NULL};
	struct errlist e;
	errlist_init(&e);
	struct dns *d = dns_new(&o, who, &e);
	for (size_t i = 0; i < e.count; i++)
		fprintf(stderr, "%s\n", e.msgs[i]);
	errlist_free(&e);
	return d;
}
