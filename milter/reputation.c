/*
 * reputation.c - DNSBL, RHSBL and iprev for one connection.
 *
 * SYNOPSIS
 *	r = rep_new(dns, lists, n, iprev);
 *	rep_client(r, "192.0.2.7", "mx.example.org");	at connect
 *	rep_helo(r, helo);				at HELO
 *	rep_message(r); rep_sender(r, from);		at MAIL FROM
 *	rep_from(r, domain);				at the end of the headers
 *	rep_facts(r, &deadline, findings);		at the end of the message
 *
 * DESCRIPTION
 *	Every lookup starts as soon as its input is known and runs on the
 *	shared resolver's event thread (dns_start); rep_facts only collects, so
 *	the lookups of a message overlap each other and the SMTP dialogue, and
 *	the whole is bounded by the message's DNS budget. A name is asked once
 *	per connection (client and HELO lookups) or per message (sender, From).
 *	IPv4 clients are queried as reversed octets, IPv6 clients as reversed
 *	nibbles; an IPv4-mapped IPv6 client is IPv4. An answer's meaning comes
 *	from the list's definition (replist.c): listed, not listed, or refused
 *	(the list will not answer this resolver), which is a temperror of that
 *	list, never a hit; so are timeouts and SERVFAIL.
 *	iprev (RFC 8601 2.7.3) runs on a task: the client's PTR names (at most
 *	REP_PTR_MAX), then their A or AAAA records; pass when one maps back.
 *
 * THREAD SAFETY
 *	A struct rep belongs to one session; the iprev task owns its own copy
 *	of what it needs.
 */
#include "config.h"

#include "reputation.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "dns.h"
#include "findings.h"
#include "log.h"
#include "replist.h"
#include "task.h"

#define REP_QUERIES_MAX 64 /* lookups per connection */
#define REP_PTR_MAX 10     /* PTR names iprev follows */
#define REP_URI_MAX 20     /* URL domains looked up per message */

/* one list lookup */
struct rq {
	const struct replist *l; /* borrowed from the lists */
	unsigned identity;       /* REPLIST_ID_*; 0 for a DNSBL */
	char subject[256];       /* the address or domain looked up */
	char qname[512];         /* subject (reversed for an address) + "." + zone */
	struct dns_query *q;     /* owned; NULL when an earlier lookup asks the same name */
	int message;             /* dropped by rep_message */
};

/* what the iprev task needs and finds */
struct iprev_job {
	struct dns *d; /* borrowed: the resolver outlives the session */
	char addr[64]; /* the client */
	struct timespec deadline;
	char qname[160];    /* the PTR query: reversed address and in-addr.arpa/ip6.arpa */
	int v6;             /* an IPv6 client (not IPv4-mapped): AAAA forward lookups */
	const char *result; /* a literal */
	char name[256];     /* the name checked: confirmed, or the first PTR */
};

struct rep {
	struct dns *d;               /* borrowed */
	const struct replist *lists; /* borrowed */
	size_t nlists;
	int iprev;
	unsigned budget_ms; /* DNS time from connect for iprev */
	struct rq q[REP_QUERIES_MAX];
	size_t nq;
	struct task *iprev_task; /* owned, or NULL */
	const char *iprev_result;
	char iprev_name[256];
};

/* rep_new - set up */
struct rep *rep_new(struct dns *d, const struct replist *lists, size_t nlists, int iprev,
		    unsigned budget_ms)
{
	struct rep *r = calloc(1, sizeof(*r));
	if (r == NULL)
		return NULL;
	r->d = d;
	r->lists = lists;
	r->nlists = nlists;
	r->iprev = iprev;
	r->budget_ms = budget_ms;
	return r;
}

/* drop - cancel and forget the lookups for which keep() is false */
static void drop(struct rep *r, int message_only)
{
	size_t k = 0;
	for (size_t i = 0; i < r->nq; i++) {
		if (message_only && !r->q[i].message) {
			r->q[k++] = r->q[i];
			continue;
		}
		dns_query_free(r->q[i].q);
	}
	r->nq = k;
}

/* rep_free - release */
void rep_free(struct rep *r)
{
	if (r == NULL)
		return;
	drop(r, 0);
	task_release(r->iprev_task);
	free(r);
}

/* reverse_name - the DNSBL form of an address (reversed octets or nibbles); -1 if none */
static int reverse_name(const char *addr, char *out, size_t cap)
{
	unsigned char a[16];
	if (inet_pton(AF_INET6, addr, a) == 1) {
		static const unsigned char v4mapped[12] = {0, 0, 0, 0, 0,    0,
							   0, 0, 0, 0, 0xff, 0xff};
		if (memcmp(a, v4mapped, 12) == 0) {
			snprintf(out, cap, "%u.%u.%u.%u", a[15], a[14], a[13], a[12]);
			return 0;
		}
		static const char hex[] = "0123456789abcdef";
		size_t o = 0;
		for (int i = 15; i >= 0 && o + 4 < cap; i--) {
			out[o++] = hex[a[i] & 0xf];
			out[o++] = '.';
			out[o++] = hex[a[i] >> 4];
			out[o++] = '.';
		}
		out[o ? o - 1 : 0] = '\0';
		return 0;
	}
	if (inet_pton(AF_INET, addr, a) != 1)
		return -1;
	snprintf(out, cap, "%u.%u.%u.%u", a[3], a[2], a[1], a[0]);
	return 0;
}

/* start - one lookup of subject (already in query form as qsub) on list l */
static int start(struct rep *r, const struct replist *l, unsigned identity, const char *subject,
		 const char *qsub, int message)
{
	char qname[512];
	int n = snprintf(qname, sizeof(qname), "%s.%s", qsub, l->zone);
	if (n < 0 || (size_t)n >= sizeof(qname) || n > 253)
		return 0; /* too long to ask: not listed */
	int shared = 0;
	for (size_t i = 0; i < r->nq; i++)
		if (strcasecmp(r->q[i].qname, qname) == 0) {
			if (r->q[i].l == l)
				return 0; /* asked already (same list, same name) */
			shared = 1; /* another list on the same zone: one query, two readings */
		}
	if (r->nq == REP_QUERIES_MAX)
		return 0;
	struct rq *q = &r->q[r->nq];
	memset(q, 0, sizeof(*q));
	q->l = l;
	q->identity = identity;
	q->message = message;
	snprintf(q->subject, sizeof(q->subject), "%s", subject);
	snprintf(q->qname, sizeof(q->qname), "%s", qname);
	if (!shared && (q->q = dns_start(r->d, qname, DNS_T_A)) == NULL)
		return -1;
	r->nq++;
	return 0;
}

/* domains - a domain on every rhsbl list that checks this identity */
static int domains(struct rep *r, unsigned identity, const char *domain, int message)
{
	char d[256];
	size_t n = strnlen(domain ? domain : "", sizeof(d));
	if (n == 0 || n >= sizeof(d))
		return 0;
	memcpy(d, domain, n + 1);
	if (d[n - 1] == '.')
		d[n - 1] = '\0';
	unsigned char ip[16];
	if (d[0] == '[' || inet_pton(AF_INET, d, ip) == 1 || inet_pton(AF_INET6, d, ip) == 1)
		return 0; /* an address literal is no domain */
	for (size_t i = 0; i < r->nlists; i++)
		if (r->lists[i].kind == REPLIST_RHSBL && (r->lists[i].identities & identity) &&
		    start(r, &r->lists[i], identity, d, d, message) < 0)
			return -1;
	return 0;
}

/* iprev_run - the FCrDNS check, on a task */
static void iprev_run(void *p)
{
	struct iprev_job *j = p;
	j->result = "temperror";
	int v6 = j->v6;
	struct dns_answer *ptr = dns_lookup(j->d, j->qname, DNS_T_PTR, &j->deadline);
	if (ptr == NULL)
		return;
	if (ptr->status == DNS_NXDOMAIN || ptr->status == DNS_NODATA)
		j->result = "permerror";
	else if (ptr->status == DNS_OK) {
		struct dns_query *fq[REP_PTR_MAX] = {0};
		size_t n = ptr->n < REP_PTR_MAX ? ptr->n : REP_PTR_MAX;
		snprintf(j->name, sizeof(j->name), "%s", ptr->rr[0].data);
		for (size_t i = 0; i < n; i++) /* all forward lookups at once */
			fq[i] = dns_start(j->d, ptr->rr[i].data, v6 ? DNS_T_AAAA : DNS_T_A);
		int temp = 0, pass = 0;
		for (size_t i = 0; i < n && !pass; i++) {
			const struct dns_answer *fa = fq[i] ? dns_wait(fq[i], &j->deadline) : NULL;
			if (fa == NULL || fa->status == DNS_TEMPFAIL || fa->status == DNS_ERROR) {
				temp = 1;
				continue;
			}
			for (size_t k = 0; fa->status == DNS_OK && k < fa->n; k++) {
				unsigned char b[16];
				int fam = v6 ? AF_INET6 : AF_INET;
				unsigned char mine[16];
				const char *want = j->addr;
				if (!v6 && strchr(want, ':'))
					want = strrchr(want, ':') + 1; /* ::ffff:a.b.c.d */
				if (inet_pton(fam, fa->rr[k].data, b) == 1 &&
				    inet_pton(fam, want, mine) == 1 &&
				    memcmp(b, mine, v6 ? 16 : 4) == 0) {
					pass = 1;
					snprintf(j->name, sizeof(j->name), "%s", ptr->rr[i].data);
				}
			}
		}
		for (size_t i = 0; i < n; i++)
			dns_query_free(fq[i]);
		j->result = pass ? "pass" : temp ? "temperror" : "fail";
	}
	dns_answer_free(ptr);
}

/* rep_client - the connect-time lookups */
int rep_client(struct rep *r, const char *addr, const char *name)
{
	char rev[128];
	if (addr == NULL || reverse_name(addr, rev, sizeof(rev)) < 0)
		return 0; /* not an IP address (a local submission): nothing to look up */
	for (size_t i = 0; i < r->nlists; i++)
		if (r->lists[i].kind == REPLIST_DNSBL &&
		    start(r, &r->lists[i], 0, addr, rev, 0) < 0)
			return -1;
	if (name && strcmp(name, "unknown") != 0 && domains(r, REPLIST_ID_PTR, name, 0) < 0)
		return -1;
	if (!r->iprev || r->iprev_task)
		return 0;
	struct iprev_job *j = calloc(1, sizeof(*j));
	if (j == NULL)
		return -1;
	j->d = r->d;
	snprintf(j->addr, sizeof(j->addr), "%s", addr);
	unsigned char a[16];
	j->v6 = inet_pton(AF_INET6, addr, a) == 1 &&
		!(a[10] == 0xff && a[11] == 0xff && memcmp(a, "\0\0\0\0\0\0\0\0\0\0", 10) == 0);
	snprintf(j->qname, sizeof(j->qname), "%s.%s", rev, j->v6 ? "ip6.arpa" : "in-addr.arpa");
	dns_deadline(&j->deadline, r->budget_ms); /* the budget, from connect */
	/* the PTR answer already cached (a client seen before: a busy MX's usual case): the
	 * check will not wait, so it runs here rather than on a worker thread */
	r->iprev_task = dns_cached(r->d, j->qname, DNS_T_PTR) ? task_run(iprev_run, j, free)
							      : task_start(iprev_run, j, free);
	if (r->iprev_task == NULL) {
		free(j);
		return -1;
	}
	return 0;
}

/* rep_helo - the HELO name */
int rep_helo(struct rep *r, const char *helo)
{
	return domains(r, REPLIST_ID_HELO, helo, 0);
}

/* rep_message - forget the last transaction's lookups */
void rep_message(struct rep *r)
{
	drop(r, 1);
}

/* rep_sender - the envelope sender's domain */
int rep_sender(struct rep *r, const char *mail_from)
{
	const char *at = mail_from ? strrchr(mail_from, '@') : NULL;
	return at ? domains(r, REPLIST_ID_SENDER, at + 1, 1) : 0;
}

/* rep_from - a From domain */
int rep_from(struct rep *r, const char *domain)
{
	return domains(r, REPLIST_ID_FROM, domain, 1);
}

/* rep_uri - a URL's registrable domain (or IP-literal host) on every uribl list; host_only:
 * a full host name, for the lists that ask for hosts */
static int uri_lookup(struct rep *r, const char *domain, int host_only)
{
	size_t asked = 0;
	for (size_t i = 0; i < r->nq; i++)
		asked += r->q[i].identity == REPLIST_ID_URL;
	if (asked >= REP_URI_MAX * (r->nlists ? r->nlists : 1))
		return 0; /* the cap: the rest are not looked up */
	char rev[128];
	int literal = reverse_name(domain, rev, sizeof(rev)) == 0;
	for (size_t i = 0; i < r->nlists; i++)
		if (r->lists[i].kind == REPLIST_URIBL && (!host_only || r->lists[i].hosts) &&
		    start(r, &r->lists[i], REPLIST_ID_URL, domain, literal ? rev : domain, 1) < 0)
			return -1;
	return 0;
}

/* rep_dkim - the d= domain of a passing DKIM signature */
int rep_dkim(struct rep *r, const char *domain)
{
	return domains(r, REPLIST_ID_DKIM, domain, 1);
}

/* rep_uri - a registrable domain or IP-literal host */
int rep_uri(struct rep *r, const char *domain)
{
	return uri_lookup(r, domain, 0);
}

/* rep_uri_host - a URL's full host name, for the lists marked hosts */
int rep_uri_host(struct rep *r, const char *host)
{
	return uri_lookup(r, host, 1);
}

/* query_of - the query that answers lookup i (its own, or the earlier one of the same
 * name that another list started), or NULL */
static struct dns_query *query_of(const struct rep *r, size_t i)
{
	struct dns_query *owner = r->q[i].q;
	for (size_t k = 0; owner == NULL && k < r->nq; k++)
		if (r->q[k].q && strcasecmp(r->q[k].qname, r->q[i].qname) == 0)
			owner = r->q[k].q;
	return owner;
}

/* rep_early_reject - a DNSBL with "reject" that lists the client, waiting for its answer
 * no longer than deadline: the list's name, or NULL */
const char *rep_early_reject(struct rep *r, const struct timespec *deadline)
{
	for (size_t i = 0; i < r->nq; i++) {
		const struct rq *q = &r->q[i];
		struct dns_query *owner = query_of(r, i);
		if (q->l->kind != REPLIST_DNSBL || !q->l->reject || owner == NULL)
			continue;
		const struct dns_answer *a = dns_wait(owner, deadline);
		for (size_t k = 0; a->status == DNS_OK && k < a->n; k++)
			if (replist_match(q->l, a->rr[k].data) > 0)
				return q->l->name;
	}
	return NULL;
}

/* identity_name - for findings */
static const char *identity_name(unsigned id)
{
	switch (id) {
	case REPLIST_ID_SENDER: return "sender";
	case REPLIST_ID_FROM: return "from";
	case REPLIST_ID_HELO: return "helo";
	case REPLIST_ID_PTR: return "ptr";
	case REPLIST_ID_URL: return "url";
	case REPLIST_ID_DKIM: return "dkim";
	default: return "client-ip";
	}
}

/* one_fact - the findings of one lookup: a hit, a temperror, or nothing */
static int one_fact(const struct rq *q, const struct dns_answer *a, struct findings *f)
{
	const char *kind = q->l->kind == REPLIST_DNSBL   ? "dnsbl"
			   : q->l->kind == REPLIST_RHSBL ? "rhsbl"
							 : "uribl";
	const char *name = q->l->name;
	char fname[128];
	if (a == NULL || a->status == DNS_TEMPFAIL || a->status == DNS_ERROR ||
	    a->status == DNS_BOGUS) {
		snprintf(fname, sizeof(fname), "%s:%s.temperror", kind, name);
		log_warn("%s %s: no answer for %s %s (%s): a temperror of the list", kind, name,
			 identity_name(q->identity), q->subject,
			 a ? dns_status_name(a->status) : "out of memory");
		return fnd_add(f, fname, "%s %s: %s", identity_name(q->identity), q->subject,
			       a ? dns_status_name(a->status) : "out of memory");
	}
	if (a->status != DNS_OK)
		return 0; /* NXDOMAIN, NODATA: not listed */
	int refused = 0;
	for (size_t i = 0; i < a->n; i++) {
		int m = replist_match(q->l, a->rr[i].data);
		if (m < 0)
			refused = 1;
		if (m <= 0)
			continue;
		snprintf(fname, sizeof(fname), "%s:%s", kind, name);
		if (fnd_add(f, fname, "%s", a->rr[i].data) < 0)
			return -1;
		snprintf(fname, sizeof(fname), "%s:%s.%s", kind, name,
			 q->l->kind == REPLIST_DNSBL ? "address" : "domain");
		if (fnd_add(f, fname, "%s", q->subject) < 0)
			return -1;
		snprintf(fname, sizeof(fname), "%s:%s.identity", kind, name);
		return fnd_add(f, fname, "%s", identity_name(q->identity));
	}
	if (!refused)
		return 0;
	snprintf(fname, sizeof(fname), "%s:%s.temperror", kind, name);
	log_warn("%s %s: the list refused this resolver for %s %s (%s): a temperror, no hit", kind,
		 name, identity_name(q->identity), q->subject, a->rr[0].data);
	return fnd_add(f, fname, "%s %s: the list refused this resolver (%s)",
		       identity_name(q->identity), q->subject, a->rr[0].data);
}

/* rep_facts - collect everything */
int rep_facts(struct rep *r, const struct timespec *deadline, struct findings *f)
{
	for (size_t i = 0; i < r->nq; i++) {
		struct dns_query *owner = query_of(r, i);
		if (one_fact(&r->q[i], owner ? dns_wait(owner, deadline) : NULL, f) < 0)
			return -1;
	}
	if (r->iprev_task) {
		struct iprev_job *j = task_wait(r->iprev_task);
		r->iprev_result = j->result;
		snprintf(r->iprev_name, sizeof(r->iprev_name), "%s", j->name);
		if (fnd_add(f, "iprev", "%s", j->result) < 0 ||
		    (j->name[0] && fnd_add(f, "iprev.name", "%s", j->name) < 0))
			return -1;
	}
	return 0;
}

/* rep_iprev - the iprev result */
const char *rep_iprev(const struct rep *r, const char **name)
{
	if (name)
		*name = r->iprev_name[0] ? r->iprev_name : NULL;
	return r->iprev_result;
}
