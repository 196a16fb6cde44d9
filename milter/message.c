/*
 * message.c - the per-transaction store.
 *
 * DESCRIPTION
 *	Holds the envelope, the headers in arrival order exactly as the MTA
 *	passed them, and the body in a spool. Sizes are counted even past the
 *	configured maximum, but nothing more is stored once the message is over
 *	it: the MSG_OVERSIZE flag becomes a finding and the policy decides.
 *	Caps: message_size_max bytes, header_count_max headers, MSG_RCPT_MAX
 *	recipients, MSG_ADDR_MAX bytes per address.
 *
 * THREAD SAFETY
 *	A message belongs to one session (one libmilter thread).
 */
#include "config.h"

#include "message.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <time.h>

#include "generation.h"
#include "spool.h"
#include "task.h"

/* msg_make_ref - a ULID (48 bits of milliseconds, 80 random bits, Crockford base32): sorts
 * by time, unique enough to find one message in the logs */
static void msg_make_ref(char out[MSG_REF_LEN + 1])
{
	static const char b32[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
	unsigned char rnd[10];
	if (getrandom(rnd, sizeof(rnd), GRND_NONBLOCK) != (ssize_t)sizeof(rnd)) {
		/* no entropy yet (early boot): time and address still make it unique here */
		struct timespec t;
		clock_gettime(CLOCK_MONOTONIC, &t);
		uint64_t x = (uint64_t)t.tv_nsec ^ ((uint64_t)(uintptr_t)out << 16);
		for (size_t i = 0; i < sizeof(rnd); i++)
			rnd[i] = (unsigned char)(x >> (8 * (i % 8)));
	}
	struct timespec now;
	clock_gettime(CLOCK_REALTIME, &now);
	uint64_t ms = (uint64_t)now.tv_sec * 1000 + (uint64_t)now.tv_nsec / 1000000;
	for (int i = 9; i >= 0; i--) { /* 10 characters of time, 50 bits (top 2 are 0) */
		out[i] = b32[ms & 31];
		ms >>= 5;
	}
	/* 16 characters of randomness: 80 bits, 5 at a time */
	for (int i = 0; i < 16; i++) {
		unsigned bit = (unsigned)i * 5, byte = bit / 8, shift = bit % 8;
		unsigned v =
		    (unsigned)rnd[byte] << 8 | (byte + 1 < sizeof(rnd) ? rnd[byte + 1] : 0);
		out[10 + i] = b32[(v >> (11 - shift)) & 31];
	}
	out[MSG_REF_LEN] = '\0';
}

/* msg_new - empty message bound to a generation */
struct message *msg_new(struct generation *gen)
{
	struct message *m = calloc(1, sizeof(*m));
	if (m == NULL)
		return NULL;
	m->gen = gen;
	msg_make_ref(m->ref);
	m->body = spool_new(gen->conf->tmpdir, gen->conf->body_memory_max);
	m->mail_from = strdup("");
	if (m->body == NULL || m->mail_from == NULL) {
		m->gen = NULL; /* the caller keeps its reference on failure */
		msg_free(m);
		return NULL;
	}
	return m;
}

/* msg_free - release */
void msg_free(struct message *m)
{
	if (m == NULL)
		return;
	for (size_t i = 0; i < m->nrcpt; i++)
		free(m->rcpts[i]);
	free(m->rcpts);
	for (size_t i = 0; i < m->nhdr; i++) {
		free(m->hdrs[i].name);
		free(m->hdrs[i].value);
	}
	free(m->hdrs);
	spool_free(m->body);
	free(m->own);
	task_release(m->spf_task);
	spf_outcome_free(&m->spf_mailfrom);
	spf_outcome_free(&m->spf_helo);
	free(m->mail_from);
	free(m->queue_id);
	dkv_msg_free(m->dkim);
	dkv_result_free(&m->dkim_res);
	gen_release(m->gen);
	free(m);
}

/* msg_addr_strip - remove one pair of angle brackets */
char *msg_addr_strip(const char *addr)
{
	size_t n = strnlen(addr, MSG_ADDR_MAX + 1);
	if (n > MSG_ADDR_MAX)
		n = MSG_ADDR_MAX;
	if (n >= 2 && addr[0] == '<' && addr[n - 1] == '>') {
		addr++;
		n -= 2;
	}
	return strndup(addr, n);
}

/* msg_set_sender - envelope sender */
int msg_set_sender(struct message *m, const char *addr)
{
	char *a = msg_addr_strip(addr);
	if (a == NULL)
		return -1;
	free(m->mail_from);
	m->mail_from = a;
	return 0;
}

/* msg_add_rcpt - envelope recipient */
int msg_add_rcpt(struct message *m, const char *addr)
{
	if (m->nrcpt >= MSG_RCPT_MAX) {
		m->flags |= MSG_RCPTS_CAPPED;
		return 0;
	}
	if (m->nrcpt == m->rcpt_cap) {
		size_t ncap = m->rcpt_cap ? m->rcpt_cap * 2 : 4;
		char **p = realloc(m->rcpts, ncap * sizeof(*p));
		if (p == NULL)
			return -1;
		m->rcpts = p;
		m->rcpt_cap = ncap;
	}
	char *a = msg_addr_strip(addr);
	if (a == NULL)
		return -1;
	m->rcpts[m->nrcpt++] = a;
	return 0;
}

/* account - add n bytes to the size; 1 if still within the maximum */
static int account(struct message *m, size_t n)
{
	size_t max = m->gen->conf->message_size_max;
	m->size = (n > SIZE_MAX - m->size) ? SIZE_MAX : m->size + n;
	if (m->size > max)
		m->flags |= MSG_OVERSIZE;
	return !(m->flags & MSG_OVERSIZE);
}

/* msg_add_header - keep one header */
int msg_add_header(struct message *m, const char *name, const char *value)
{
	size_t nl = strlen(name), vl = strlen(value);
	if (!account(m, nl + 1 + vl + 2))
		return 0;
	if (m->nhdr >= m->gen->conf->header_count_max) {
		m->flags |= MSG_HEADERS_CAPPED;
		return 0;
	}
	if (m->nhdr == m->hdr_cap) {
		size_t ncap = m->hdr_cap ? m->hdr_cap * 2 : 16;
		struct header *p = realloc(m->hdrs, ncap * sizeof(*p));
		if (p == NULL)
			return -1;
		m->hdrs = p;
		m->hdr_cap = ncap;
	}
	struct header *h = &m->hdrs[m->nhdr];
	h->name = strndup(name, nl);
	h->value = strndup(value, vl);
	if (h->name == NULL || h->value == NULL) {
		free(h->name);
		free(h->value);
		return -1;
	}
	m->nhdr++;
	return 0;
}

/* msg_add_body - keep a body chunk while within the maximum */
int msg_add_body(struct message *m, const void *p, size_t len)
{
	m->body_size += len;
	if (!account(m, len))
		return 0;
	return spool_write(m->body, p, len);
}

/* msg_set_queue_id - remember the MTA's id */
int msg_set_queue_id(struct message *m, const char *id)
{
	char *d = strndup(id, 128);
	if (d == NULL)
		return -1;
	free(m->queue_id);
	m->queue_id = d;
	return 0;
}

/* msg_add_own - note a claimed instance */
int msg_add_own(struct message *m, const char *name, size_t index)
{
	if (m->nown == m->own_cap) {
		size_t ncap = m->own_cap ? m->own_cap * 2 : 4;
		struct own_header *p = realloc(m->own, ncap * sizeof(*p));
		if (p == NULL)
			return -1;
		m->own = p;
		m->own_cap = ncap;
	}
	m->own[m->nown].name = name;
	m->own[m->nown].index = index;
	m->nown++;
	return 0;
}

/* msg_header_find - n-th header by name, case-insensitively */
const char *msg_header_find(const struct message *m, const char *name, size_t n)
{
	for (size_t i = 0; i < m->nhdr; i++)
		if (strcasecmp(m->hdrs[i].name, name) == 0 && n-- == 0)
			return m->hdrs[i].value;
	return NULL;
}
