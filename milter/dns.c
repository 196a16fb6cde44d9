/*
 * dns.c - the one resolver every check shares, on libunbound.
 *
 * SYNOPSIS
 *	d = dns_new(opts, file, errs)          dns_free(d)
 *	q = dns_start(d, name, type)           a = dns_wait(q, deadline)
 *	dns_query_free(q)                      a = dns_lookup(d, name, type, deadline)
 *	dns_answer_free(a)                     dns_get_stats(d, out)
 *	dns_add_local(d, rr)                   dns_add_local_zone(d, name, type)
 *
 * DESCRIPTION
 *	One libunbound context per struct dns, in threaded asynchronous mode
 *	(never its forked background process), and in front of it a cache of
 *	decoded answers (dnscache.c), kept with the context by every
 *	generation that keeps the resolver. dns_start looks in the cache
 *	first: a kept answer settles the query at once, without libunbound,
 *	the event thread or a system call (the stats count it as a hit).
 *	Otherwise dns_start hands the query to ub_resolve_async; an event
 *	thread of our own polls ub_fd() together with a stop pipe and calls
 *	ub_process(), which calls query_done() with each answer. query_done
 *	decodes the ub_result into a struct dns_answer, offers a copy to the
 *	cache, stores it in the query and wakes the waiter. dns_wait sleeps on
 *	the query's condition variable (CLOCK_MONOTONIC) until the answer or
 *	the deadline; at the deadline the query is cancelled and the answer is
 *	DNS_TEMPFAIL. Once an answer is final nothing changes it: a callback
 *	that comes after the deadline is dropped. Local data added
 *	(dns_add_local, dns_add_local_zone) empties the cache.
 *
 *	A query has two references: the caller's, dropped by dns_query_free,
 *	and the resolver's, dropped by query_done, or by whoever gets
 *	UB_NOERROR from ub_cancel (libunbound then never calls back: it looks
 *	at the cancelled flag under its own lock before it calls back). The
 *	last reference frees the query, so a callback never meets freed memory.
 *
 *	The event thread starts with the first lookup, not in dns_new, so a
 *	resolver made before the daemon forks still works in the child (no
 *	lookup may run before such a fork). dns_new forces libunbound to read
 *	its configuration (trust anchor included) at once, so errors show at
 *	load time and files are read before any chroot or privilege drop.
 *
 *	Every rdata byte is untrusted: each length is checked before use. A
 *	record that does not decode is skipped; an answer whose records all
 *	fail to decode is DNS_TEMPFAIL. At most DNS_RR_MAX records and
 *	DNS_ANSWER_MAX bytes of rdata are kept; the rest is dropped, the
 *	answer is still DNS_OK with its truncated flag set, and the resolver
 *	counts it (DNS_OVERSIZE is not used as a status).
 *
 * DIAGNOSTICS
 *	dns_new reports each problem as "file: dns: what" in errs. The event
 *	thread logs when libunbound's answer pipe breaks (lookups then time
 *	out). libunbound itself writes its errors to stderr.
 *
 * THREAD SAFETY
 *	Every function may be called from any thread at once, except that a
 *	query belongs to one thread at a time (dns_wait and dns_query_free on
 *	the same query must not race) and dns_free needs every query freed.
 */
#include "config.h"

#include "dns.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unbound.h>
#include <unistd.h>

#include "buf.h"
#include "dnscache.h"
#include "log.h"

#define DNS_TIMEOUT_DEFAULT 5000 /* ms, when the options say 0 */
#define DNS_NAME_TEXT_MAX 1100   /* 255 octets, each at most "\DDD", and dots */
#define DNS_CLASS_IN 1
#define DNS_RCODE_NOERROR 0
#define DNS_RCODE_NXDOMAIN 3

/* results of the rdata decoders */
enum { DEC_OK = 0, DEC_BAD = -1, DEC_NOMEM = -2 };

struct dns {
	struct ub_ctx *ctx;       /* owned */
	unsigned timeout_ms;      /* per query */
	int validate;             /* a trust anchor was given */
	int stop[2];              /* owned: self-pipe that stops the event thread */
	pthread_condattr_t cattr; /* CLOCK_MONOTONIC, for every query's condition */
	pthread_mutex_t start_lock;
	atomic_int started; /* the event thread runs (set under start_lock) */
	pthread_t thread;   /* valid when started */
	pthread_mutex_t stats_lock;
	struct dns_stats stats; /* under stats_lock */
	char *key;              /* owned: the settings it was made with (opts_key) */
	struct dnscache *cache; /* owned: answers kept for their TTL */
	unsigned long refs;     /* generations sharing it; atomic */
};

struct dns_query {
	struct dns *d; /* borrowed */
	pthread_mutex_t lock;
	pthread_cond_t cond;      /* broadcast when done */
	int refs;                 /* under lock: the caller's and the resolver's */
	int in_resolver;          /* under lock: the resolver holds its reference */
	int done;                 /* under lock: ans is final */
	int cancel_tried;         /* the caller's thread only */
	int async_id;             /* libunbound's id, while in_resolver */
	unsigned long epoch;      /* the cache's epoch at the start */
	struct timespec start;    /* CLOCK_MONOTONIC */
	struct timespec deadline; /* start + timeout */
	struct dns_answer ans;    /* owned fields; final once done */
};

/* type_index - the counters' slot for a type; -1 when not one of ours */
static int type_index(int type)
{
	switch (type) {
	case DNS_T_A: return 0;
	case DNS_T_PTR: return 1;
	case DNS_T_MX: return 2;
	case DNS_T_TXT: return 3;
	case DNS_T_AAAA: return 4;
	default: return -1;
	}
}

/* dns_status_name - a status as a word for logs */
const char *dns_status_name(enum dns_status s)
{
	static const char *const names[DNS_STATUS_COUNT] = {
	    "ok", "nxdomain", "nodata", "tempfail", "bogus", "oversize", "badname", "error"};
	return (unsigned)s < DNS_STATUS_COUNT ? names[s] : "unknown";
}

/* dns_type_name - a record type as its mnemonic */
const char *dns_type_name(int type)
{
	switch (type) {
	case DNS_T_A: return "A";
	case DNS_T_PTR: return "PTR";
	case DNS_T_MX: return "MX";
	case DNS_T_TXT: return "TXT";
	case DNS_T_AAAA: return "AAAA";
	default: return "UNKNOWN";
	}
}

/* ts_add_ms - t plus ms, normalised */
static void ts_add_ms(struct timespec *t, unsigned ms)
{
	t->tv_sec += ms / 1000;
	t->tv_nsec += (long)(ms % 1000) * 1000000L;
	if (t->tv_nsec >= 1000000000L) {
		t->tv_sec++;
		t->tv_nsec -= 1000000000L;
	}
}

/* dns_deadline - now + ms on CLOCK_MONOTONIC */
void dns_deadline(struct timespec *out, unsigned ms)
{
	clock_gettime(CLOCK_MONOTONIC, out);
	ts_add_ms(out, ms);
}

/* ms_since - whole milliseconds from start to now (CLOCK_MONOTONIC) */
static unsigned ms_since(const struct timespec *start)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	long long ms = (long long)(now.tv_sec - start->tv_sec) * 1000 +
		       (now.tv_nsec - start->tv_nsec) / 1000000;
	return ms < 0 ? 0 : ms > (long long)UINT32_MAX ? UINT32_MAX : (unsigned)ms;
}

/* name_ok - labels of 1..63 octets, at most 253 in all, one final dot allowed;
 * escapes (\X, \DDD) count as the one octet libunbound makes of them */
static int name_ok(const char *s)
{
	size_t total = 0, label = 0;
	for (size_t i = 0; s[i] != '\0'; i++) {
		if (s[i] == '.') {
			if (label == 0)
				return 0; /* a leading dot, "..", or "." alone */
			if (s[i + 1] == '\0')
				break; /* the one final dot */
			total++;
			label = 0;
			continue;
		}
		if (s[i] == '\\') {
			if (s[i + 1] >= '0' && s[i + 1] <= '9') {
				if (!(s[i + 2] >= '0' && s[i + 2] <= '9') ||
				    !(s[i + 3] >= '0' && s[i + 3] <= '9'))
					return 0;
				int v = (s[i + 1] - '0') * 100 + (s[i + 2] - '0') * 10 +
					(s[i + 3] - '0');
				if (v > 255)
					return 0;
				i += 3;
			} else if (s[i + 1] == '\0') {
				return 0;
			} else {
				i++;
			}
		}
		label++;
		total++;
		if (label > 63 || total > 253)
			return 0;
	}
	return total > 0;
}

/* buf_dec - a buf result as a decoder result */
static int buf_dec(int rc)
{
	return rc == BUF_OK ? DEC_OK : rc == BUF_NOMEM ? DEC_NOMEM : DEC_BAD;
}

/* name_byte - one octet of a label as text: safe bytes lower-cased, others as \DDD */
static int name_byte(struct buf *b, unsigned char c)
{
	if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '*' ||
	    c == '/') {
		char ch = (char)c;
		return buf_dec(buf_add(b, &ch, 1));
	}
	if (c >= 'A' && c <= 'Z') {
		char ch = (char)(c - 'A' + 'a');
		return buf_dec(buf_add(b, &ch, 1));
	}
	return buf_dec(buf_printf(b, "\\%03u", (unsigned)c));
}

/* wire_name - the uncompressed wire-format name at p[0..len) as text ("." for the
 * root); *used gets its octets. Pointers and other label types are refused. */
static int wire_name(const unsigned char *p, size_t len, size_t *used, struct buf *out)
{
	size_t off = 0;
	for (;;) {
		if (off >= len)
			return DEC_BAD; /* no terminating root label */
		size_t l = p[off++];
		if (l == 0)
			break;
		if (l > 63)
			return DEC_BAD; /* a compression pointer or an obsolete label type */
		if (l > len - off || off + l + 1 > 255)
			return DEC_BAD; /* past the rdata, or a name over 255 octets */
		if (out->len > 0) {
			int rc = buf_dec(buf_add(out, ".", 1));
			if (rc != DEC_OK)
				return rc;
		}
		for (size_t i = 0; i < l; i++) {
			int rc = name_byte(out, p[off + i]);
			if (rc != DEC_OK)
				return rc;
		}
		off += l;
	}
	if (out->len == 0) {
		int rc = buf_dec(buf_add(out, ".", 1));
		if (rc != DEC_OK)
			return rc;
	}
	*used = off;
	return DEC_OK;
}

/* rr_decode - one rdata of the type asked for into r (data, len, pref) */
static int rr_decode(int type, const unsigned char *p, size_t len, struct dns_rr *r)
{
	struct buf b;
	size_t used = 0;
	int rc = DEC_OK;

	switch (type) {
	case DNS_T_A:
	case DNS_T_AAAA: {
		char text[INET6_ADDRSTRLEN];
		if (len != (type == DNS_T_A ? 4u : 16u) ||
		    inet_ntop(type == DNS_T_A ? AF_INET : AF_INET6, p, text, sizeof(text)) == NULL)
			return DEC_BAD;
		buf_init(&b, 0);
		rc = buf_dec(buf_adds(&b, text));
		break;
	}
	case DNS_T_TXT:
		/* character-strings: a length octet, then that many octets */
		buf_init(&b, len);
		for (size_t off = 0; rc == DEC_OK && off < len;) {
			size_t l = p[off++];
			if (l > len - off) {
				rc = DEC_BAD;
				break;
			}
			rc = buf_dec(buf_add(&b, p + off, l));
			off += l;
		}
		break;
	case DNS_T_MX:
		if (len < 3)
			return DEC_BAD;
		r->pref = (unsigned)p[0] << 8 | p[1];
		buf_init(&b, DNS_NAME_TEXT_MAX);
		rc = wire_name(p + 2, len - 2, &used, &b);
		if (rc == DEC_OK && used != len - 2)
			rc = DEC_BAD; /* bytes after the name */
		break;
	case DNS_T_PTR:
		buf_init(&b, DNS_NAME_TEXT_MAX);
		rc = wire_name(p, len, &used, &b);
		if (rc == DEC_OK && used != len)
			rc = DEC_BAD;
		break;
	default: return DEC_BAD;
	}
	if (rc != DEC_OK) {
		buf_free(&b);
		r->pref = 0;
		return rc;
	}
	r->len = b.len;
	r->data = buf_steal(&b);
	return r->data ? DEC_OK : DEC_NOMEM;
}

/* answer_clear_rr - free the records of a */
static void answer_clear_rr(struct dns_answer *a)
{
	for (size_t i = 0; i < a->n; i++)
		free(a->rr[i].data);
	free(a->rr);
	a->rr = NULL;
	a->n = 0;
}

/* answer_records - decode what fits of res's records into a; a status */
static enum dns_status answer_records(struct dns_answer *a, int type, const struct ub_result *res)
{
	size_t count = 0;
	while (res->data[count] != NULL)
		count++;
	a->rr = calloc(count < DNS_RR_MAX ? count : DNS_RR_MAX, sizeof(*a->rr));
	if (a->rr == NULL)
		return DNS_ERROR;
	size_t bytes = 0;
	size_t i;
	for (i = 0; i < count && a->n < DNS_RR_MAX; i++) {
		if (res->len[i] < 0)
			continue;
		size_t l = (size_t)res->len[i];
		if (l > DNS_ANSWER_MAX - bytes)
			break; /* keep what fits */
		int rc = rr_decode(type, (const unsigned char *)res->data[i], l, &a->rr[a->n]);
		if (rc == DEC_NOMEM) {
			answer_clear_rr(a);
			return DNS_ERROR;
		}
		if (rc == DEC_OK) {
			a->n++;
			bytes += l;
		}
	}
	a->truncated = i < count; /* records left over: not all of the answer is here */
	if (a->n == 0) {
		answer_clear_rr(a);
		return DNS_TEMPFAIL; /* records there, none usable: the server's trouble */
	}
	return DNS_OK;
}

/* packet_has_rr - libunbound's answer packet has answer or authority records */
static int packet_has_rr(const struct ub_result *res)
{
	const unsigned char *p = res->answer_packet;
	if (p == NULL || res->answer_len < 12)
		return 0;
	return (p[6] | p[7] | p[8] | p[9]) != 0; /* ANCOUNT, NSCOUNT */
}

/* answer_fill - classify and decode libunbound's result (status, ttl, secure, rr) */
static void answer_fill(struct dns_answer *a, int type, int validate, int err,
			const struct ub_result *res)
{
	a->n = 0;
	a->rr = NULL;
	a->ttl = 0;
	a->secure = 0;
	a->truncated = 0;
	if (err != 0 || res == NULL) {
		a->status = err == UB_NOMEM ? DNS_ERROR : DNS_TEMPFAIL;
		return;
	}
	if (validate && res->bogus) {
		a->status = DNS_BOGUS;
		return;
	}
	a->ttl = res->ttl > 0 ? (uint32_t)res->ttl : 0;
	a->secure = validate && res->secure;
	if (res->rcode == DNS_RCODE_NXDOMAIN)
		a->status = DNS_NXDOMAIN;
	else if (res->rcode != DNS_RCODE_NOERROR)
		a->status = DNS_TEMPFAIL;
	else if (!res->havedata || res->data == NULL || res->data[0] == NULL || res->len == NULL)
		a->status = DNS_NODATA;
	else
		a->status = answer_records(a, type, res);
	if ((a->status == DNS_NXDOMAIN || a->status == DNS_NODATA) && !packet_has_rr(res))
		a->ttl = 0; /* no SOA to take a negative TTL from (libunbound leaves junk) */
	if (a->status == DNS_TEMPFAIL || a->status == DNS_ERROR) {
		a->ttl = 0;
		a->secure = 0;
	}
}

/* stats_add - count one final answer (hit: it came from the cache) */
static void stats_add(struct dns *d, int type, enum dns_status st, int truncated, unsigned ms,
		      int hit)
{
	int i = type_index(type);
	if (i < 0 || (unsigned)st >= DNS_STATUS_COUNT)
		return;
	pthread_mutex_lock(&d->stats_lock);
	d->stats.queries[i]++;
	d->stats.hits[i] += hit != 0;
	d->stats.status[i][st]++;
	d->stats.ms_total[i] += ms;
	d->stats.truncated[i] += truncated != 0;
	pthread_mutex_unlock(&d->stats_lock);
}

/* query_settle - with q->lock held: make got the final answer unless there is one
 * already (then got's records are the caller's to free); 1 when it did. hit: got came
 * from the cache */
static int query_settle(struct dns_query *q, struct dns_answer *got, int hit)
{
	if (q->done)
		return 0;
	q->ans.status = got->status;
	q->ans.ttl = got->ttl;
	q->ans.secure = got->secure;
	q->ans.truncated = got->truncated;
	q->ans.n = got->n;
	q->ans.rr = got->rr;
	got->n = 0;
	got->rr = NULL;
	q->ans.ms = ms_since(&q->start);
	q->done = 1;
	pthread_cond_broadcast(&q->cond);
	stats_add(q->d, q->ans.type, q->ans.status, q->ans.truncated, q->ans.ms, hit);
	return 1;
}

/* query_settle_status - make a record-less answer final */
static void query_settle_status(struct dns_query *q, enum dns_status st)
{
	struct dns_answer got;
	memset(&got, 0, sizeof(got));
	got.status = st;
	pthread_mutex_lock(&q->lock);
	(void)query_settle(q, &got, 0);
	pthread_mutex_unlock(&q->lock);
}

/* query_destroy - free a query nobody refers to */
static void query_destroy(struct dns_query *q)
{
	answer_clear_rr(&q->ans);
	free(q->ans.name);
	pthread_cond_destroy(&q->cond);
	pthread_mutex_destroy(&q->lock);
	free(q);
}

/* query_release - drop one reference; the last frees */
static void query_release(struct dns_query *q)
{
	pthread_mutex_lock(&q->lock);
	int left = --q->refs;
	pthread_mutex_unlock(&q->lock);
	if (left == 0)
		query_destroy(q);
}

/* query_done - libunbound's callback (in the event thread): store the answer */
static void query_done(void *arg, int err, struct ub_result *res)
{
	struct dns_query *q = arg;
	struct dns_answer got;
	memset(&got, 0, sizeof(got));
	/* q->ans.type and q->d do not change after dns_start: no lock needed */
	answer_fill(&got, q->ans.type, q->d->validate, err, res);
	ub_resolve_free(res);
	got.type = q->ans.type;
	dnscache_put(q->d->cache, q->ans.name, &got, q->epoch); /* even when abandoned */
	pthread_mutex_lock(&q->lock);
	(void)query_settle(q, &got, 0);
	q->in_resolver = 0;
	int left = --q->refs;
	pthread_mutex_unlock(&q->lock);
	answer_clear_rr(&got); /* records of an answer that came too late */
	if (left == 0)
		query_destroy(q);
}

/* query_cancel - try once to take the query back from libunbound; when that
 * works the callback will never run, so its reference is dropped here */
static void query_cancel(struct dns_query *q)
{
	q->cancel_tried = 1;
	if (ub_cancel(q->d->ctx, q->async_id) != UB_NOERROR)
		return; /* answered meanwhile: query_done runs or ran */
	pthread_mutex_lock(&q->lock);
	q->in_resolver = 0;
	q->refs--; /* never the last: the caller holds one */
	pthread_mutex_unlock(&q->lock);
}

/* event_loop - the event thread: run libunbound's callbacks until stopped */
static void *event_loop(void *arg)
{
	struct dns *d = arg;
	int ubfd = ub_fd(d->ctx);
	int live = ubfd >= 0;
	for (;;) {
		struct pollfd p[2] = {{d->stop[0], POLLIN, 0}, {ubfd, POLLIN, 0}};
		int n = poll(p, live ? 2 : 1, -1);
		if (n < 0) {
			if (errno != EINTR) {
				struct timespec pause = {0, 10 * 1000 * 1000};
				nanosleep(&pause, NULL);
			}
			continue;
		}
		if (p[0].revents != 0)
			break;
		if (live && p[1].revents != 0) {
			int rc = ub_process(d->ctx);
			if (rc != UB_NOERROR) {
				log_err(
				    "dns: lost libunbound's answers (%s); lookups will time out",
				    ub_strerror(rc));
				live = 0;
			}
		}
	}
	return NULL;
}

/* event_start - start the event thread unless it runs; 0 or -1 */
static int event_start(struct dns *d)
{
	if (atomic_load(&d->started))
		return 0;
	int rc = 0;
	pthread_mutex_lock(&d->start_lock);
	if (!atomic_load(&d->started)) {
		/* the thread takes no signals: libmilter's signal thread gets them */
		sigset_t all, old;
		sigfillset(&all);
		pthread_sigmask(SIG_SETMASK, &all, &old);
		rc = pthread_create(&d->thread, NULL, event_loop, d) == 0 ? 0 : -1;
		pthread_sigmask(SIG_SETMASK, &old, NULL);
		if (rc == 0)
			atomic_store(&d->started, 1);
		else
			log_err("dns: cannot start the resolver's event thread");
	}
	pthread_mutex_unlock(&d->start_lock);
	return rc;
}

/* dns_release - free whatever of d dns_new made */
static void dns_release(struct dns *d)
{
	if (d->ctx != NULL)
		ub_ctx_delete(d->ctx);
	for (int i = 0; i < 2; i++)
		if (d->stop[i] >= 0)
			close(d->stop[i]);
	pthread_mutex_destroy(&d->stats_lock);
	pthread_mutex_destroy(&d->start_lock);
	pthread_condattr_destroy(&d->cattr);
	dnscache_free(d->cache);
	free(d->key);
	free(d);
}

/* file_key - a file's name and when it last changed, so that an edit counts as a change */
static int file_key(struct buf *b, const char *path)
{
	struct stat st;
	if (stat(path, &st) < 0)
		return buf_printf(b, "%s:absent;", path);
	return buf_printf(b, "%s:%lld.%09ld:%lld;", path, (long long)st.st_mtim.tv_sec,
			  st.st_mtim.tv_nsec, (long long)st.st_size);
}

/* opts_key - everything in o that shapes a resolver, as one string; NULL out of memory */
static char *opts_key(const struct dns_opts *o)
{
	struct buf b;
	buf_init(&b, 0);
	int rc =
	    buf_printf(&b, "timeout=%u;fwd=", o->timeout_ms ? o->timeout_ms : DNS_TIMEOUT_DEFAULT);
	for (size_t i = 0; rc == 0 && i < o->nforwarders; i++)
		rc = buf_printf(&b, "%s,", o->forwarders[i]);
	if (rc == 0 && o->nforwarders == 0)
		rc = file_key(&b, o->resolv_conf ? o->resolv_conf : "/etc/resolv.conf");
	if (rc == 0 && o->trust_anchor)
		rc = file_key(&b, o->trust_anchor);
	if (rc != 0) {
		buf_free(&b);
		return NULL;
	}
	return buf_steal(&b);
}

/* dns_matches - was d made with these settings (files unchanged)? */
int dns_matches(const struct dns *d, const struct dns_opts *o)
{
	char *k = opts_key(o);
	int same = k && d->key && strcmp(k, d->key) == 0;
	free(k);
	return same;
}

/* dns_ref - one more user */
struct dns *dns_ref(struct dns *d)
{
	__atomic_add_fetch(&d->refs, 1, __ATOMIC_RELAXED);
	return d;
}

/* dns_setup - configure d->ctx from o; the number of errors reported */
static int dns_setup(struct dns *d, const struct dns_opts *o, const char *file,
		     struct errlist *errs)
{
	/* Forwarding to loopback must work: unbound refuses 127/8 and ::1 by
	 * default. A forwarder that was down for a few minutes must be used
	 * again soon after it is back: by default libunbound then keeps it
	 * blacklisted (failing every lookup at once) until its infra-cache entry
	 * expires, 15 min later. With a 10 s entry and probing kept up, it is
	 * back in use within about 10 s (measured; unit tests cannot wait that
	 * long). Both settings are per context (infra-cache-max-rtt would be
	 * faster still, but it sets process-wide globals in libunbound). */
	static const char *const opts[][2] = {
	    {"do-not-query-localhost:", "no"},
	    {"infra-host-ttl:", "10"},
	    {"infra-keep-probing:", "yes"},
	    {"rrset-roundrobin:", "no"}, /* answers in the server's order: repeatable */
	};
	int nerr = 0;
	int rc = ub_ctx_async(d->ctx, 1);
	if (rc != UB_NOERROR) {
		errlist_add(errs, file, 0, "dns: cannot use a resolver thread: %s",
			    ub_strerror(rc));
		nerr++;
	}
	for (size_t i = 0; i < ARRAY_LEN(opts); i++) {
		rc = ub_ctx_set_option(d->ctx, opts[i][0], opts[i][1]);
		if (rc != UB_NOERROR) {
			errlist_add(errs, file, 0, "dns: cannot set %s %s: %s", opts[i][0],
				    opts[i][1], ub_strerror(rc));
			nerr++;
		}
	}
	rc = ub_ctx_set_option(d->ctx,
			       "module-config:", d->validate ? "validator iterator" : "iterator");
	if (rc != UB_NOERROR) {
		errlist_add(errs, file, 0, "dns: cannot set the modules: %s", ub_strerror(rc));
		nerr++;
	}
	if (d->validate) {
		/* no key-tag queries (RFC 8145) to the forwarder */
		(void)ub_ctx_set_option(d->ctx, "trust-anchor-signaling:", "no");
		rc = ub_ctx_add_ta_file(d->ctx, o->trust_anchor);
		if (rc != UB_NOERROR) {
			errlist_add(errs, file, 0, "dns: trust anchor %s: %s", o->trust_anchor,
				    ub_strerror(rc));
			nerr++;
		}
	}
	for (size_t i = 0; i < o->nforwarders; i++) {
		const char *f = o->forwarders[i];
		rc = f ? ub_ctx_set_fwd(d->ctx, f) : UB_SYNTAX;
		if (rc != UB_NOERROR) {
			errlist_add(errs, file, 0, "dns: forwarder \"%s\": %s", f ? f : "(null)",
				    ub_strerror(rc));
			nerr++;
		}
	}
	if (o->nforwarders == 0) {
		rc = ub_ctx_resolvconf(d->ctx, o->resolv_conf);
		if (rc != UB_NOERROR) {
			errlist_add(errs, file, 0, "dns: cannot use the resolvers of %s: %s",
				    o->resolv_conf ? o->resolv_conf : "/etc/resolv.conf",
				    ub_strerror(rc));
			nerr++;
		}
	}
	if (nerr == 0) {
		/* make libunbound apply its configuration now (any zone change does). The
		 * change: libunbound answers test. itself (RFC 6761) unless told not to (the
		 * "local-zone:" option is ignored); the test bed's zones live there */
		rc = ub_ctx_zone_add(d->ctx, "test.", "nodefault");
		/* likewise the loopback and documentation networks' (RFC 5737) reverse
		 * zones: test beds and benchmarks give their clients PTRs there */
		static const char *const asked[] = {"127.in-addr.arpa.", "2.0.192.in-addr.arpa.",
						    "100.51.198.in-addr.arpa.",
						    "113.0.203.in-addr.arpa."};
		for (size_t i = 0; rc == UB_NOERROR && i < ARRAY_LEN(asked); i++)
			rc = ub_ctx_zone_add(d->ctx, asked[i], "nodefault");
		if (rc != UB_NOERROR) {
			if (d->validate)
				errlist_add(
				    errs, file, 0,
				    "dns: cannot set up the resolver with trust anchor %s: %s",
				    o->trust_anchor, ub_strerror(rc));
			else
				errlist_add(errs, file, 0, "dns: cannot set up the resolver: %s",
					    ub_strerror(rc));
			nerr++;
		}
	}
	return nerr;
}

/* dns_new - a resolver; NULL with the reasons in errs */
struct dns *dns_new(const struct dns_opts *o, const char *file, struct errlist *errs)
{
	static const struct dns_opts none;
	if (o == NULL)
		o = &none;
	struct dns *d = calloc(1, sizeof(*d));
	if (d == NULL) {
		errlist_add(errs, file, 0, "dns: out of memory");
		return NULL;
	}
	d->stop[0] = d->stop[1] = -1;
	d->refs = 1;
	d->timeout_ms = o->timeout_ms ? o->timeout_ms : DNS_TIMEOUT_DEFAULT;
	d->validate = o->trust_anchor != NULL;
	atomic_init(&d->started, 0);
	if (pthread_condattr_init(&d->cattr) != 0) {
		errlist_add(errs, file, 0, "dns: out of memory");
		free(d);
		return NULL;
	}
	if (pthread_condattr_setclock(&d->cattr, CLOCK_MONOTONIC) != 0 ||
	    pthread_mutex_init(&d->start_lock, NULL) != 0) {
		errlist_add(errs, file, 0, "dns: cannot set up locks");
		pthread_condattr_destroy(&d->cattr);
		free(d);
		return NULL;
	}
	if (pthread_mutex_init(&d->stats_lock, NULL) != 0) {
		errlist_add(errs, file, 0, "dns: cannot set up locks");
		pthread_mutex_destroy(&d->start_lock);
		pthread_condattr_destroy(&d->cattr);
		free(d);
		return NULL;
	}
	char ebuf[128];
	if (pipe2(d->stop, O_CLOEXEC | O_NONBLOCK) < 0) {
		errlist_add(errs, file, 0, "dns: pipe: %s",
			    log_strerror(errno, ebuf, sizeof(ebuf)));
		d->stop[0] = d->stop[1] = -1;
		dns_release(d);
		return NULL;
	}
	d->cache = dnscache_new(DNSCACHE_ENTRIES, DNSCACHE_BYTES, NULL);
	if (d->cache == NULL) {
		errlist_add(errs, file, 0, "dns: out of memory");
		dns_release(d);
		return NULL;
	}
	d->key = opts_key(o);
	d->ctx = d->key ? ub_ctx_create() : NULL;
	if (d->ctx == NULL) {
		errlist_add(errs, file, 0, "dns: cannot create the resolver: %s",
			    log_strerror(errno, ebuf, sizeof(ebuf)));
		dns_release(d);
		return NULL;
	}
	if (dns_setup(d, o, file, errs) > 0 || ub_fd(d->ctx) < 0) {
		if (ub_fd(d->ctx) < 0)
			errlist_add(errs, file, 0, "dns: the resolver has no answer pipe");
		dns_release(d);
		return NULL;
	}
	return d;
}

/* dns_free - drop a reference; the last stops the event thread and releases */
void dns_free(struct dns *d)
{
	if (d == NULL || __atomic_sub_fetch(&d->refs, 1, __ATOMIC_ACQ_REL) != 0)
		return;
	if (atomic_load(&d->started)) {
		ssize_t w;
		do
			w = write(d->stop[1], "x", 1);
		while (w < 0 && errno == EINTR);
		pthread_join(d->thread, NULL);
	}
	dns_release(d);
}

/* dns_add_local - serve a record from local data (answers kept so far are forgotten);
 * 0 or -1 */
int dns_add_local(struct dns *d, const char *rr)
{
	int rc = ub_ctx_data_add(d->ctx, rr) == UB_NOERROR ? 0 : -1;
	dnscache_clear(d->cache);
	return rc;
}

/* dns_add_local_zone - a local zone of a libunbound local-zone type (answers kept so far
 * are forgotten) */
int dns_add_local_zone(struct dns *d, const char *name, const char *type)
{
	int rc = ub_ctx_zone_add(d->ctx, name, type) == UB_NOERROR ? 0 : -1;
	dnscache_clear(d->cache);
	return rc;
}

/* cache_settle - make a kept answer q's answer; 1 when there was one */
static int cache_settle(struct dns_query *q)
{
	struct dns_answer got;
	memset(&got, 0, sizeof(got));
	if (!dnscache_get(q->d->cache, q->ans.name, q->ans.type, &got))
		return 0;
	pthread_mutex_lock(&q->lock);
	(void)query_settle(q, &got, 1);
	pthread_mutex_unlock(&q->lock);
	return 1;
}

/* dns_start - begin a lookup; NULL only when out of memory */
struct dns_query *dns_start(struct dns *d, const char *name, int type)
{
	struct dns_query *q = calloc(1, sizeof(*q));
	if (q == NULL)
		return NULL;
	q->ans.name = strdup(name ? name : "");
	if (q->ans.name == NULL) {
		free(q);
		return NULL;
	}
	if (pthread_mutex_init(&q->lock, NULL) != 0) {
		free(q->ans.name);
		free(q);
		return NULL;
	}
	if (pthread_cond_init(&q->cond, &d->cattr) != 0) {
		pthread_mutex_destroy(&q->lock);
		free(q->ans.name);
		free(q);
		return NULL;
	}
	q->d = d;
	q->refs = 1;
	q->ans.type = type;
	clock_gettime(CLOCK_MONOTONIC, &q->start);
	q->deadline = q->start;
	ts_add_ms(&q->deadline, d->timeout_ms);

	if (type_index(type) < 0) {
		query_settle_status(q, DNS_ERROR); /* a type the decoders do not know */
		return q;
	}
	if (!name_ok(q->ans.name)) {
		query_settle_status(q, DNS_BADNAME);
		return q;
	}
	/* the epoch before the probe: a clear after it keeps this lookup's answer out */
	q->epoch = dnscache_epoch(d->cache);
	if (cache_settle(q))
		return q; /* a kept answer: no resolver, no system call */
	if (event_start(d) < 0) {
		query_settle_status(q, DNS_ERROR);
		return q;
	}
	q->refs = 2;
	q->in_resolver = 1;
	int rc =
	    ub_resolve_async(d->ctx, q->ans.name, type, DNS_CLASS_IN, q, query_done, &q->async_id);
	if (rc != UB_NOERROR) {
		/* only UB_PIPE leaves the query registered (written to no worker):
		 * take it back; otherwise libunbound never saw it */
		q->cancel_tried = 1;
		if (rc != UB_PIPE || ub_cancel(d->ctx, q->async_id) == UB_NOERROR) {
			pthread_mutex_lock(&q->lock);
			q->in_resolver = 0;
			q->refs--;
			pthread_mutex_unlock(&q->lock);
		}
		query_settle_status(q, DNS_ERROR);
	}
	return q;
}

/* dns_wait - the answer, or DNS_TEMPFAIL once the deadline has passed */
const struct dns_answer *dns_wait(struct dns_query *q, const struct timespec *deadline)
{
	/* the per-query timeout always holds; a deadline can only make it shorter */
	const struct timespec *dl = &q->deadline;
	if (deadline && (deadline->tv_sec < dl->tv_sec ||
			 (deadline->tv_sec == dl->tv_sec && deadline->tv_nsec < dl->tv_nsec)))
		dl = deadline;
	pthread_mutex_lock(&q->lock);
	while (!q->done) {
		if (pthread_cond_timedwait(&q->cond, &q->lock, dl) != 0)
			break; /* ETIMEDOUT (or EINVAL for a malformed deadline) */
	}
	if (!q->done) {
		struct dns_answer got;
		memset(&got, 0, sizeof(got));
		got.status = DNS_TEMPFAIL;
		(void)query_settle(q, &got, 0);
	}
	int cancel = q->in_resolver && !q->cancel_tried;
	pthread_mutex_unlock(&q->lock);
	if (cancel)
		query_cancel(q);
	return &q->ans;
}

/* dns_query_free - cancel if still running, release */
void dns_query_free(struct dns_query *q)
{
	if (q == NULL)
		return;
	pthread_mutex_lock(&q->lock);
	q->done = 1; /* abandoned: a late answer is neither kept nor counted */
	int cancel = q->in_resolver && !q->cancel_tried;
	pthread_mutex_unlock(&q->lock);
	if (cancel)
		query_cancel(q);
	query_release(q);
}

/* dns_lookup - start, wait, and hand the answer to the caller */
struct dns_answer *dns_lookup(struct dns *d, const char *name, int type,
			      const struct timespec *deadline)
{
	struct dns_answer *a = calloc(1, sizeof(*a));
	if (a == NULL)
		return NULL;
	struct dns_query *q = dns_start(d, name, type);
	if (q == NULL) {
		free(a);
		return NULL;
	}
	(void)dns_wait(q, deadline);
	pthread_mutex_lock(&q->lock);
	*a = q->ans;
	q->ans.name = NULL;
	q->ans.rr = NULL;
	q->ans.n = 0;
	pthread_mutex_unlock(&q->lock);
	dns_query_free(q);
	return a;
}

/* dns_cached - would a lookup of (name, type) be answered from the cache? */
int dns_cached(struct dns *d, const char *name, int type)
{
	return dnscache_has(d->cache, name, type);
}

/* dns_answer_free - release an answer from dns_lookup */
void dns_answer_free(struct dns_answer *a)
{
	if (a == NULL)
		return;
	answer_clear_rr(a);
	free(a->name);
	free(a);
}

/* dns_get_stats - a consistent copy of the counters */
void dns_get_stats(struct dns *d, struct dns_stats *out)
{
	pthread_mutex_lock(&d->stats_lock);
	*out = d->stats;
	pthread_mutex_unlock(&d->stats_lock);
}
