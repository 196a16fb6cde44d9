/*
 * dns_fake.h - the fake DNS server of tests/unit/dns_test.c.
 */
#ifndef PORTCULLIS_DNS_FAKE_H
#define PORTCULLIS_DNS_FAKE_H

#include <pthread.h>
#include <stdatomic.h>

/* A server on 127.0.0.1 (UDP and TCP, one port) whose answer depends on the first
 * label of the question: see fake_answer in dns_fake.c. */
struct fake {
	int udp, tcp; /* on 127.0.0.1:port */
	int stop[2];
	unsigned short port;
	pthread_t thread;
	atomic_int queries; /* received, UDP and TCP */
};

/* fake_start - bind UDP and TCP on one free port of 127.0.0.1 and serve; 0 or -1 */
int fake_start(struct fake *f);
/* fake_stop - end the server */
void fake_stop(struct fake *f);

#endif
