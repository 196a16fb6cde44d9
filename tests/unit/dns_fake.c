/*
 * dns_fake.c - a fake DNS server for tests/unit/dns_test.c.
 *
 * DESCRIPTION
 *	Serves 127.0.0.1 over UDP and TCP on one free port. The answer is chosen
 *	by the first label of the question (fake_answer): correct answers (one
 *	with a TTL of 1 s), NXDOMAIN and NODATA with and without SOA, SERVFAIL,
 *	REFUSED, silence, garbage, wrong IDs, truncated or malformed rdata,
 *	compression loops, TC with a TCP retry, large answers. Packets are
 *	built by hand.
 *
 * THREAD SAFETY
 *	One server thread; the query counter is atomic.
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "dns.h"
#include "dns_fake.h"

struct pkt {
	unsigned char b[8192];
	size_t n;
	int over; /* something did not fit */
};

/* put - append bytes */
static void put(struct pkt *p, const void *v, size_t len)
{
	if (len > sizeof(p->b) - p->n) {
		p->over = 1;
		return;
	}
	memcpy(p->b + p->n, v, len);
	p->n += len;
}

/* put16 - append a 16-bit number in network order */
static void put16(struct pkt *p, unsigned v)
{
	unsigned char x[2] = {(unsigned char)(v >> 8), (unsigned char)v};
	put(p, x, 2);
}

/* put32 - append a 32-bit number in network order */
static void put32(struct pkt *p, uint32_t v)
{
	put16(p, v >> 16);
	put16(p, v & 0xffff);
}

/* put_rr - a record owned by the question's name (a pointer to offset 12) */
static void put_rr(struct pkt *p, int type, uint32_t ttl, const void *rdata, size_t rdlen)
{
	put16(p, 0xc00c);
	put16(p, (unsigned)type);
	put16(p, 1);
	put32(p, ttl);
	put16(p, (unsigned)rdlen);
	put(p, rdata, rdlen);
}

/* put_soa - a SOA for "fake." in the authority section: TTL 300, minimum 60 */
static void put_soa(struct pkt *p)
{
	static const unsigned char soa[] = {
	    4, 'f', 'a', 'k', 'e', 0, 0, 0, /* owner "fake.", then type below */
	};
	static const unsigned char rdata[] = {
	    0, 0, 0, 0, 0, 1, 0, 0, 0x0e, 0x10, 0, 0, 0x02, 0x58, 0, 0x01, 0x51, 0x80, 0, 0, 0, 60};
	put(p, soa, 6);
	put16(p, 6);
	put16(p, 1);
	put32(p, 300);
	put16(p, sizeof(rdata));
	put(p, rdata, sizeof(rdata));
}

/* set_counts - write AN and NS counts into the header */
static void set_counts(struct pkt *p, unsigned an, unsigned ns)
{
	p->b[6] = (unsigned char)(an >> 8);
	p->b[7] = (unsigned char)an;
	p->b[8] = (unsigned char)(ns >> 8);
	p->b[9] = (unsigned char)ns;
}

/* fake_answer - the reply to query q for the case named by its first label; 0: none */
static size_t fake_answer(const unsigned char *q, size_t qlen, int tcp, struct pkt *p)
{
	p->n = 0;
	p->over = 0;
	if (qlen < 12 || q[4] != 0 || q[5] != 1)
		return 0;
	size_t off = 12;
	char label[64] = "";
	while (off < qlen && q[off] != 0) {
		size_t l = q[off];
		if (l > 63 || off + 1 + l >= qlen)
			return 0;
		if (off == 12) {
			for (size_t i = 0; i < l; i++)
				label[i] = (char)(q[off + 1 + i] | 0x20);
			label[l] = '\0';
		}
		off += 1 + l;
	}
	if (off + 5 > qlen)
		return 0;
	size_t qend = off + 5;
	int qtype = q[off + 1] << 8 | q[off + 2];

	unsigned char hdr[12] = {q[0], q[1], (unsigned char)(0x84 | (q[2] & 0x01)), 0x80, 0, 1};
	put(p, hdr, sizeof(hdr));
	put(p, q + 12, qend - 12);
	static const unsigned char a7[] = {192, 0, 2, 7};
	if (strcmp(label, "silent") == 0) {
		return 0;
	} else if (strcmp(label, "garbage") == 0) {
		p->n = 7; /* not even a header */
	} else if (strcmp(label, "wrongid") == 0) {
		p->b[1] ^= 0x5a;
		put_rr(p, 1, 300, a7, 4);
		set_counts(p, 1, 0);
	} else if (strcmp(label, "servfail") == 0) {
		p->b[3] |= 2;
	} else if (strcmp(label, "refused") == 0) {
		p->b[3] |= 5;
	} else if (strcmp(label, "nx") == 0) {
		p->b[3] |= 3;
		put_soa(p);
		set_counts(p, 0, 1);
	} else if (strcmp(label, "nodata") == 0) {
		put_soa(p);
		set_counts(p, 0, 1);
	} else if (strcmp(label, "ok") == 0 && qtype == DNS_T_A) {
		put_rr(p, 1, 300, a7, 4);
		set_counts(p, 1, 0);
	} else if (strcmp(label, "ttl1") == 0 && qtype == DNS_T_A) {
		put_rr(p, 1, 1, a7, 4);
		set_counts(p, 1, 0);
	} else if (strcmp(label, "aaaa") == 0 && qtype == DNS_T_AAAA) {
		static const unsigned char a6[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 1};
		put_rr(p, 28, 300, a6, 16);
		set_counts(p, 1, 0);
	} else if (strcmp(label, "longa") == 0) {
		static const unsigned char a5[] = {192, 0, 2, 7, 9}; /* rdlength 5 */
		put_rr(p, 1, 300, a5, 5);
		set_counts(p, 1, 0);
	} else if (strcmp(label, "shorta") == 0) {
		put_rr(p, 1, 300, a7, 3); /* rdlength 3 */
		set_counts(p, 1, 0);
	} else if (strcmp(label, "trunc") == 0) {
		put_rr(p, 1, 300, a7, 4);
		p->b[p->n - 6] = 0; /* rdlength 200 with 4 bytes left in the packet */
		p->b[p->n - 5] = 200;
		set_counts(p, 1, 0);
	} else if (strcmp(label, "badtxt") == 0 || strcmp(label, "allbadtxt") == 0) {
		static const unsigned char bad[] = {5, 'a', 'b'}; /* a length past the end */
		static const unsigned char bad2[] = {2, 'o', 'k', 9, 'x'};
		static const unsigned char good[] = {4, 'g', 'o', 'o', 'd'};
		put_rr(p, 16, 300, bad, sizeof(bad));
		put_rr(p, 16, 300, bad2, sizeof(bad2));
		if (label[0] == 'b')
			put_rr(p, 16, 300, good, sizeof(good));
		set_counts(p, label[0] == 'b' ? 3 : 2, 0);
	} else if (strcmp(label, "nulltxt") == 0) {
		static const unsigned char nul[] = {3, 'a', 0, 'b', 0, 1, 'c'};
		put_rr(p, 16, 300, nul, sizeof(nul));
		set_counts(p, 1, 0);
	} else if (strcmp(label, "emptytxt") == 0) {
		put_rr(p, 16, 300, "", 0);
		set_counts(p, 1, 0);
	} else if (strcmp(label, "mxloop") == 0) {
		size_t at = p->n + 12 + 2; /* where the name in the rdata will be */
		unsigned char mx[] = {0, 10, (unsigned char)(0xc0 | at >> 8), (unsigned char)at};
		put_rr(p, 15, 300, mx, sizeof(mx));
		set_counts(p, 1, 0);
	} else if (strcmp(label, "mxcomp") == 0) {
		static const unsigned char mx[] = {0, 10, 4, 'M', 'a', 'i', 'l', 0xc0, 0x0c};
		put_rr(p, 15, 300, mx, sizeof(mx));
		set_counts(p, 1, 0);
	} else if (strcmp(label, "ptrlabel") == 0) {
		static const unsigned char ptr[] = {0x41, 'x', 0}; /* label type 01 */
		put_rr(p, 12, 300, ptr, sizeof(ptr));
		set_counts(p, 1, 0);
	} else if (strcmp(label, "cname") == 0 || strcmp(label, "cname60") == 0) {
		/* cname: CNAME TTL 300, A TTL 120; cname60: CNAME TTL 60, A TTL 300 */
		static const unsigned char target[] = {2, 'o', 'k', 4, 'f', 'a', 'k', 'e', 0};
		size_t at = p->n + 12;
		int short_cname = label[5] == '6';
		put_rr(p, 5, short_cname ? 60 : 300, target, sizeof(target));
		put16(p, 0xc000 | (unsigned)at);
		put16(p, 1);
		put16(p, 1);
		put32(p, short_cname ? 300 : 120);
		put16(p, 4);
		put(p, a7, 4);
		set_counts(p, 2, 0);
	} else if (strcmp(label, "bigtxt") == 0) {
		for (unsigned i = 0; i < 100; i++) {
			unsigned char t[5] = {4, 't', (unsigned char)('0' + i / 10),
					      (unsigned char)('0' + i % 10), 'x'};
			put_rr(p, 16, 300, t, sizeof(t));
		}
		set_counts(p, 100, 0);
	} else if (strcmp(label, "tc") == 0) {
		if (!tcp) {
			p->b[2] |= 0x02; /* truncated: ask again over TCP */
		} else {
			static const unsigned char t1[] = {4, 't', 'c', 'p', '1'};
			static const unsigned char t2[] = {4, 't', 'c', 'p', '2'};
			put_rr(p, 16, 300, t1, sizeof(t1));
			put_rr(p, 16, 300, t2, sizeof(t2));
			set_counts(p, 2, 0);
		}
	} /* anything else: NOERROR without records */
	return p->over ? 0 : p->n;
}

/* read_full - read exactly len bytes (with the socket's timeout); 0 or -1 */
static int read_full(int fd, unsigned char *p, size_t len)
{
	while (len > 0) {
		ssize_t r = read(fd, p, len);
		if (r <= 0)
			return -1;
		p += r;
		len -= (size_t)r;
	}
	return 0;
}

/* fake_tcp - one TCP connection: queries until EOF, each answered */
static void fake_tcp(struct fake *f, int c)
{
	struct timeval tv = {1, 0};
	setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	unsigned char q[1024];
	static struct pkt p; /* only the server thread uses it */
	for (;;) {
		unsigned char lb[2];
		if (read_full(c, lb, 2) < 0)
			break;
		size_t len = (size_t)lb[0] << 8 | lb[1];
		if (len > sizeof(q) || read_full(c, q, len) < 0)
			break;
		atomic_fetch_add(&f->queries, 1);
		size_t n = fake_answer(q, len, 1, &p);
		if (n == 0)
			continue;
		unsigned char out[2] = {(unsigned char)(n >> 8), (unsigned char)n};
		if (write(c, out, 2) != 2 || write(c, p.b, n) != (ssize_t)n)
			break;
	}
	close(c);
}

/* fake_main - the server thread */
static void *fake_main(void *arg)
{
	struct fake *f = arg;
	static struct pkt p;
	for (;;) {
		struct pollfd pf[3] = {
		    {f->stop[0], POLLIN, 0}, {f->udp, POLLIN, 0}, {f->tcp, POLLIN, 0}};
		if (poll(pf, 3, -1) < 0)
			continue;
		if (pf[0].revents)
			break;
		if (pf[1].revents) {
			unsigned char q[1024];
			struct sockaddr_storage from;
			socklen_t fl = sizeof(from);
			ssize_t r =
			    recvfrom(f->udp, q, sizeof(q), 0, (struct sockaddr *)&from, &fl);
			if (r > 0) {
				atomic_fetch_add(&f->queries, 1);
				size_t n = fake_answer(q, (size_t)r, 0, &p);
				if (n > 0)
					(void)sendto(f->udp, p.b, n, 0, (struct sockaddr *)&from,
						     fl);
			}
		}
		if (pf[2].revents) {
			int c = accept(f->tcp, NULL, NULL);
			if (c >= 0)
				fake_tcp(f, c);
		}
	}
	return NULL;
}

/* fake_start - bind UDP and TCP on one free port of 127.0.0.1 and serve; 0 or -1 */
int fake_start(struct fake *f)
{
	memset(f, 0, sizeof(*f));
	for (int attempt = 0; attempt < 20; attempt++) {
		f->udp = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
		f->tcp = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		struct sockaddr_in sa = {.sin_family = AF_INET};
		sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		socklen_t sl = sizeof(sa);
		int one = 1;
		setsockopt(f->tcp, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (bind(f->udp, (struct sockaddr *)&sa, sizeof(sa)) == 0 &&
		    getsockname(f->udp, (struct sockaddr *)&sa, &sl) == 0 &&
		    bind(f->tcp, (struct sockaddr *)&sa, sizeof(sa)) == 0 &&
		    listen(f->tcp, 16) == 0) {
			f->port = ntohs(sa.sin_port);
			break;
		}
		close(f->udp);
		close(f->tcp);
	}
	if (f->port == 0 || pipe(f->stop) < 0)
		return -1;
	atomic_init(&f->queries, 0);
	return pthread_create(&f->thread, NULL, fake_main, f) == 0 ? 0 : -1;
}

/* fake_stop - end the server */
void fake_stop(struct fake *f)
{
	if (write(f->stop[1], "x", 1) != 1)
		return;
	pthread_join(f->thread, NULL);
	close(f->udp);
	close(f->tcp);
	close(f->stop[0]);
	close(f->stop[1]);
}
