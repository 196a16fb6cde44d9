/*
 * spf.c - SPF checks (RFC 7208) with libspf2 over the shared resolver.
 *
 * SYNOPSIS
 *	s = spf_new(dns, rec_dom, timeout_ms);
 *	spf_check(s, ip, helo, sender, SPF_ID_MAILFROM, deadline, &outcome);
 *
 * DESCRIPTION
 *	libspf2 parses and interprets the records; every DNS query it makes goes
 *	through a DNS layer written here on top of dns.*, so SPF shares the
 *	resolver's cache, forwarders, timeouts and the message's DNS budget.
 *	The layer also counts lookups and void lookups for the evaluation on
 *	this thread.
 *
 *	Where libspf2 is not RFC 7208, this module closes the gap:
 *	- libspf2 passes every loopback client ("localhost gets a free ride");
 *	  RFC 7208 has no such rule, so the record is fetched and interpreted
 *	  through the lower-level calls instead.
 *	- libspf2 can end without a result ("invalid"): a DNS failure seen
 *	  during the evaluation makes that a temperror, anything else a permerror.
 *	- more than two void lookups are a permerror (RFC 7208 section 4.6.4).
 *	- libspf2's parser is lenient: every SPF record fetched during the
 *	  evaluation (not explanation text) is held to the ABNF by spfsyntax.c,
 *	  and a syntax error makes the result a permerror (section 4.6). To know
 *	  which TXT queries fetch records, the layer's get_spf hook does the
 *	  fetch (section 4.4/4.5, as libspf2's own) with a flag up.
 *	- libspf2 counts the DNS-querying terms per record, not per evaluation,
 *	  and checks the MX limit only after matching: the layer counts terms
 *	  (include/redirect fetches, MX and PTR queries, A/AAAA queries that are
 *	  not for the names an MX or PTR answer just gave) and MX answers; more
 *	  than 10 of either is a permerror (section 4.6.4). A %{p} macro's PTR
 *	  query counts as a term, which may overcount (never undercounts).
 *	  The first error wins: a DNS failure before it keeps its temperror.
 *	- libspf2 refuses some valid records (a CIDR length of 0, "." in an
 *	  unknown modifier's name) and runs redirect= where it stands rather
 *	  than after all mechanisms: once a record has passed the syntax check,
 *	  it is compiled as spfsyntax_normalize() rewrites it for the client's
 *	  address family, which means the same under RFC 7208. a//0 for an IPv6
 *	  client and mx/0 (mx//0) for an IPv4 (IPv6) client have no such
 *	  rewrite: they still do not compile (permerror).
 *	The null sender is checked as postmaster@<HELO> (section 2.4).
 *
 * THREAD SAFETY
 *	One struct spf serves all threads: requests and responses are per call,
 *	and the per-evaluation counters are thread-local.
 */
#include "config.h"

#include "spf.h"

#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <spf2/spf.h>
#include <spf2/spf_dns.h>

#include "dns.h"
#include "log.h"
#include "spfsyntax.h"

#define SPF_VOID_MAX 2
#define SPF_TERM_MAX 10 /* DNS-querying terms per evaluation (RFC 7208 4.6.4) */
#define SPF_MX_MAX 10   /* MX records an mx mechanism may look at */

struct spf {
	SPF_server_t *server;    /* owned */
	SPF_dns_server_t *layer; /* owned (the server only borrows it) */
	struct dns *dns;         /* borrowed from the generation */
	unsigned timeout_ms;
};

/* what the DNS layer learns during one evaluation on this thread */
struct spf_eval {
	const struct timespec *deadline; /* borrowed, or NULL */
	unsigned lookups, voids, temps;
	unsigned fetches;   /* SPF record fetches (the first is not a term) */
	unsigned terms;     /* DNS-querying terms seen (4.6.4) */
	int fetching;       /* a record fetch is under way (TXT answers are SPF) */
	unsigned nsub;      /* A/AAAA names an MX or PTR answer just gave ... */
	uint32_t sub[10];   /* ... as name_hash() values (not terms of their own) */
	int perm;           /* a syntax or limit error ended the evaluation */
	char perm_why[200]; /* what it was */
};
static _Thread_local struct spf_eval *spf_cur;

static const char *const res_names[] = {"none",     "neutral",   "pass",     "fail",
					"softfail", "temperror", "permerror"};

/* spf_result_name - RFC name of a result */
const char *spf_result_name(enum spf_res r)
{
	return (unsigned)r < ARRAY_LEN(res_names) ? res_names[r] : "permerror";
}

/* ts_before - a earlier than b */
static int ts_before(const struct timespec *a, const struct timespec *b)
{
	return a->tv_sec < b->tv_sec || (a->tv_sec == b->tv_sec && a->tv_nsec < b->tv_nsec);
}

/* rr_fill - copy the decoded records of a into libspf2's structure */
static int rr_fill(SPF_dns_rr_t *rr, const struct dns_answer *a, ns_type type)
{
	int k = 0;
	for (size_t i = 0; i < a->n; i++) {
		const struct dns_rr *r = &a->rr[i];
		size_t need = type == ns_t_a      ? sizeof(struct in_addr)
			      : type == ns_t_aaaa ? sizeof(struct in6_addr)
						  : r->len + 1;
		if (SPF_dns_rr_buf_realloc(rr, k, need) != SPF_E_SUCCESS)
			return -1;
		if (type == ns_t_a) {
			if (inet_pton(AF_INET, r->data, &rr->rr[k]->a) != 1)
				continue;
		} else if (type == ns_t_aaaa) {
			if (inet_pton(AF_INET6, r->data, &rr->rr[k]->aaaa) != 1)
				continue;
		} else {
			if (memchr(r->data, '\0', r->len))
				continue; /* a NUL in TXT or a name: not usable as text */
			memcpy(rr->rr[k]->txt, r->data, r->len + 1);
		}
		k++;
	}
	rr->num_rr = k;
	return 0;
}

/* eval_perm - the first error of the evaluation, if it is the first (no DNS failure yet) */
static void eval_perm(struct spf_eval *ev, const char *fmt, ...) PRINTF_LIKE(2, 3);
static void eval_perm(struct spf_eval *ev, const char *fmt, ...)
{
	if (ev->perm || ev->temps)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(ev->perm_why, sizeof(ev->perm_why), fmt, ap);
	va_end(ap);
	ev->perm = 1;
}

/* name_hash - FNV-1a of a name, ASCII case and a final dot ignored */
static uint32_t name_hash(const char *name)
{
	size_t n = strlen(name);
	if (n > 0 && name[n - 1] == '.')
		n--;
	uint32_t h = 2166136261u;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)name[i];
		h = (h ^ (c >= 'A' && c <= 'Z' ? c + 32u : c)) * 16777619u;
	}
	return h;
}

/* count_term - is this query the start of a DNS-querying term? count it (4.6.4) */
static void count_term(struct spf_eval *ev, const char *domain, ns_type type)
{
	int term = 1;
	if (type == ns_t_txt) {
		term = ev->fetching && ev->fetches > 1; /* include/redirect; not exp text */
	} else if (type == ns_t_a || type == ns_t_aaaa) {
		uint32_t h = name_hash(domain);
		for (unsigned i = 0; i < ev->nsub; i++)
			if (ev->sub[i] == h)
				term = 0; /* an address of an MX or PTR name */
	}
	if (!term)
		return;
	ev->nsub = 0;
	if (++ev->terms > SPF_TERM_MAX)
		eval_perm(ev, "more than %d DNS-querying terms", SPF_TERM_MAX);
}

/* check_answer - limits and syntax on what came back (ev: this evaluation) */
static void check_answer(struct spf_eval *ev, const char *domain, ns_type type,
			 const struct dns_answer *a)
{
	if (type == ns_t_mx && a->n > SPF_MX_MAX)
		eval_perm(ev, "%s has %zu MX records (limit %d)", domain, a->n, SPF_MX_MAX);
	if (type == ns_t_mx || type == ns_t_ptr) {
		ev->nsub = 0;
		for (size_t i = 0; i < a->n && ev->nsub < ARRAY_LEN(ev->sub); i++)
			ev->sub[ev->nsub++] = name_hash(a->rr[i].data);
	}
	if (type != ns_t_txt || !ev->fetching)
		return;
	for (size_t i = 0; i < a->n; i++) {
		char why[160];
		const struct dns_rr *r = &a->rr[i];
		if (spfsyntax_is_spf(r->data, r->len) &&
		    spfsyntax_check(r->data, r->len, why, sizeof(why)) < 0)
			eval_perm(ev, "SPF record of %s: %s", domain, why);
	}
}

/* layer_lookup - libspf2's DNS query, answered by the shared resolver */
static SPF_dns_rr_t *layer_lookup(SPF_dns_server_t *srv, const char *domain, ns_type type,
				  int should_cache)
{
	struct spf *s = srv->hook;
	struct spf_eval *ev = spf_cur;
	if (type != ns_t_a && type != ns_t_aaaa && type != ns_t_mx && type != ns_t_ptr &&
	    type != ns_t_txt) /* e.g. the obsolete SPF RR type: never asked for */
		return SPF_dns_rr_new_init(srv, domain, type, 0, NO_DATA);
	struct timespec dl, now;
	dns_deadline(&dl, s->timeout_ms);
	if (ev && ev->deadline && ts_before(ev->deadline, &dl)) {
		dl = *ev->deadline;
		dns_deadline(&now, 0);
		if (!ts_before(&now, &dl)) { /* the message's DNS budget is spent */
			ev->temps++;
			return SPF_dns_rr_new_init(srv, domain, type, 0, TRY_AGAIN);
		}
	}
	if (ev) {
		ev->lookups++;
		count_term(ev, domain, type);
	}
	struct dns_answer *a = dns_lookup(s->dns, domain, (int)type, &dl);
	log_debug("spf layer: %s type %d -> %s %ums", domain, (int)type,
		  a ? dns_status_name(a->status) : "null", a ? a->ms : 0);
	SPF_dns_stat_t herr;
	switch (a ? a->status : DNS_ERROR) {
	case DNS_OK: herr = NETDB_SUCCESS; break;
	case DNS_NXDOMAIN:
	case DNS_BADNAME: herr = HOST_NOT_FOUND; break;
	case DNS_NODATA: herr = NO_DATA; break;
	default: herr = TRY_AGAIN; break;
	}
	/* explanation text (a TXT query outside a record fetch) is no mechanism's lookup */
	int exp_text = type == ns_t_txt && ev && !ev->fetching;
	if (ev && !exp_text &&
	    (herr == HOST_NOT_FOUND || herr == NO_DATA || (herr == NETDB_SUCCESS && a->n == 0)))
		ev->voids++;
	if (ev && herr == NETDB_SUCCESS)
		check_answer(ev, domain, type, a);
	if (ev && herr == TRY_AGAIN)
		ev->temps++;
	SPF_dns_rr_t *rr = SPF_dns_rr_new_init(srv, domain, type, a ? (int)a->ttl : 0, herr);
	if (rr && herr == NETDB_SUCCESS && rr_fill(rr, a, type) < 0) {
		SPF_dns_rr_free(rr);
		rr = NULL;
	}
	if (rr && herr == NETDB_SUCCESS && rr->num_rr == 0)
		rr->herrno = NO_DATA;
	dns_answer_free(a);
	return rr;
}

/* compile_record - compile the valid record txt of req->cur_dom, rewritten by
 * spfsyntax_normalize for the client's address family */
static SPF_errcode_t compile_record(SPF_server_t *server, SPF_request_t *req, SPF_response_t *resp,
				    SPF_record_t **recp, const char *txt)
{
	const char *dom = req->cur_dom;
	char *norm = spfsyntax_normalize(txt, strlen(txt), req->client_ver, req->helo_dom != NULL);
	if (norm == NULL)
		return SPF_response_add_error(resp, SPF_E_NO_MEMORY, "no memory for '%s'", dom);
	if (strcmp(norm, txt) != 0)
		log_debug("spf: record of %s compiled as \"%s\"", dom, norm);
	SPF_errcode_t err = SPF_record_compile(server, resp, recp, norm);
	free(norm);
	if (err != SPF_E_SUCCESS)
		return SPF_response_add_error(resp, SPF_E_NOT_SPF,
					      "failed to compile the SPF record of '%s'", dom);
	return SPF_E_SUCCESS;
}

/* layer_get_spf - fetch and compile the SPF record of req->cur_dom (RFC 7208 4.4, 4.5), as
 * libspf2 would, but with ev->fetching up so that the TXT answer is checked as SPF records,
 * and stopping at a syntax or limit error */
static SPF_errcode_t layer_get_spf(SPF_server_t *server, SPF_request_t *req, SPF_response_t *resp,
				   SPF_record_t **recp)
{
	struct spf_eval *ev = spf_cur;
	const char *dom = req->cur_dom;
	*recp = NULL;
	if (ev) {
		ev->fetches++;
		ev->fetching = 1;
	}
	SPF_dns_rr_t *rr = SPF_dns_lookup(server->resolver, dom, ns_t_txt, 1);
	if (ev)
		ev->fetching = 0;
	if (rr == NULL)
		return SPF_response_add_error(resp, SPF_E_NO_MEMORY, "no memory for '%s'", dom);
	SPF_errcode_t err = SPF_E_NOT_SPF;
	const char *txt = NULL;
	int found = 0;
	for (int i = 0; rr->herrno == NETDB_SUCCESS && i < rr->num_rr; i++)
		if (spfsyntax_is_spf(rr->rr[i]->txt, strlen(rr->rr[i]->txt)) && found++ == 0)
			txt = rr->rr[i]->txt;
	resp->reason = SPF_REASON_FAILURE;
	if (ev && ev->perm) {
		resp->result = SPF_RESULT_PERMERROR;
		err = SPF_response_add_error(resp, SPF_E_SYNTAX, "%s", ev->perm_why);
	} else if (rr->herrno == TRY_AGAIN) {
		resp->result = SPF_RESULT_TEMPERROR;
		err = SPF_response_add_error(resp, SPF_E_DNS_ERROR, "DNS failure for '%s'", dom);
	} else if (rr->herrno != NETDB_SUCCESS || found == 0) {
		resp->result = SPF_RESULT_NONE;
		err = SPF_response_add_error(resp, SPF_E_NOT_SPF, "no SPF record for '%s'", dom);
	} else if (found > 1) {
		resp->result = SPF_RESULT_PERMERROR;
		err = SPF_response_add_error(resp, SPF_E_MULTIPLE_RECORDS,
					     "multiple SPF records for '%s'", dom);
	} else {
		err = compile_record(server, req, resp, recp, txt);
	}
	SPF_dns_rr_free(rr);
	return err;
}

/* quiet - libspf2's warnings and debug output go to our log at debug level */
static void quiet(const char *file, int line, const char *msg)
{
	log_debug("libspf2: %s", msg);
}

/* spf_new - build the evaluator */
struct spf *spf_new(struct dns *d, const char *rec_dom, unsigned timeout_ms)
{
	struct spf *s = calloc(1, sizeof(*s));
	SPF_dns_server_t *layer = calloc(1, sizeof(*layer));
	if (s == NULL || layer == NULL) {
		free(s);
		free(layer);
		return NULL;
	}
	SPF_warning_handler = quiet;
	SPF_info_handler = quiet;
	SPF_debug_handler = quiet;
	layer->destroy = NULL; /* a server made with SPF_server_new_dns never frees it: we do */
	layer->lookup = layer_lookup;
	layer->get_spf = layer_get_spf;
	layer->name = "portcullis";
	layer->hook = s;
	s->layer = layer;
	s->dns = d;
	s->timeout_ms = timeout_ms;
	s->server = SPF_server_new_dns(layer, 0);
	if (s->server == NULL) {
		free(layer);
		free(s);
		return NULL;
	}
	if (rec_dom && SPF_server_set_rec_dom(s->server, rec_dom) != SPF_E_SUCCESS) {
		spf_free(s);
		return NULL;
	}
	return s;
}

/* spf_free - release (the server destroys the layer) */
void spf_free(struct spf *s)
{
	if (s == NULL)
		return;
	if (s->server)
		SPF_server_free(s->server);
	free(s->layer);
	free(s);
}

/* spf_outcome_free - release strings */
void spf_outcome_free(struct spf_outcome *o)
{
	free(o->sender);
	free(o->domain);
	free(o->reason);
	free(o->explanation);
	memset(o, 0, sizeof(*o));
}

/* dup_or_null - strdup that keeps NULL; -1 when out of memory */
static int dup_or_null(char **dst, const char *src)
{
	*dst = src ? strdup(src) : NULL;
	return src && *dst == NULL ? -1 : 0;
}

/* spf_outcome_copy - deep copy */
int spf_outcome_copy(struct spf_outcome *dst, const struct spf_outcome *src)
{
	*dst = *src;
	if (dup_or_null(&dst->sender, src->sender) < 0 ||
	    dup_or_null(&dst->domain, src->domain) < 0 ||
	    dup_or_null(&dst->reason, src->reason) < 0 ||
	    dup_or_null(&dst->explanation, src->explanation) < 0) {
		/* the fields not yet copied still point into src: clear them first */
		if (dst->sender == src->sender)
			dst->sender = NULL;
		if (dst->domain == src->domain)
			dst->domain = NULL;
		if (dst->reason == src->reason)
			dst->reason = NULL;
		if (dst->explanation == src->explanation)
			dst->explanation = NULL;
		spf_outcome_free(dst);
		return -1;
	}
	return 0;
}

/* map_result - libspf2's result to ours */
static enum spf_res map_result(SPF_result_t r, const struct spf_eval *ev)
{
	switch (r) {
	case SPF_RESULT_NEUTRAL: return SPFR_NEUTRAL;
	case SPF_RESULT_PASS: return SPFR_PASS;
	case SPF_RESULT_FAIL: return SPFR_FAIL;
	case SPF_RESULT_SOFTFAIL: return SPFR_SOFTFAIL;
	case SPF_RESULT_NONE: return SPFR_NONE;
	case SPF_RESULT_TEMPERROR: return SPFR_TEMPERROR;
	case SPF_RESULT_PERMERROR: return SPFR_PERMERROR;
	default: /* "invalid": libspf2 ended without a result */
		return ev->temps ? SPFR_TEMPERROR : SPFR_PERMERROR;
	}
}

/* dupf - formatted strdup */
static char *dupf(const char *fmt, ...) PRINTF_LIKE(1, 2);
static char *dupf(const char *fmt, ...)
{
	char tmp[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	return strdup(tmp);
}

/* set_request - client, HELO and sender into a libspf2 request */
static int set_request(SPF_request_t *req, const char *ip, const char *helo, const char *sender)
{
	struct in6_addr a6;
	struct in_addr a4;
	if (inet_pton(AF_INET6, ip, &a6) == 1 && IN6_IS_ADDR_V4MAPPED(&a6)) {
		/* an IPv4 client seen through an IPv6 socket is checked as IPv4
		 * (RFC 7208 section 5); libspf2 would treat it as IPv6 */
		memcpy(&a4, &a6.s6_addr[12], sizeof(a4));
		if (SPF_request_set_ipv4(req, a4) != SPF_E_SUCCESS)
			return -1;
	} else if (strchr(ip, ':') ? SPF_request_set_ipv6_str(req, ip) != SPF_E_SUCCESS
				   : SPF_request_set_ipv4_str(req, ip) != SPF_E_SUCCESS)
		return -1;
	if (helo && *helo && SPF_request_set_helo_dom(req, helo) != SPF_E_SUCCESS)
		return -1;
	return SPF_request_set_env_from(req, sender) == 0 ? 0 : -1;
}

/* compile_error - did the record fail to compile (as opposed to there being none)? */
static int compile_error(SPF_response_t *resp)
{
	for (int i = 0; i < SPF_response_messages(resp); i++) {
		SPF_error_t *e = SPF_response_message(resp, i);
		if (e && SPF_error_errorp(e) && SPF_error_code(e) != SPF_E_NOT_SPF) {
			log_debug("libspf2: record error %d: %s", (int)SPF_error_code(e),
				  SPF_error_message(e));
			return 1;
		}
	}
	return 0;
}

/* evaluate - fetch and interpret the record of req->cur_dom; the response's result */
static SPF_result_t evaluate(struct spf *s, SPF_request_t *req, SPF_response_t *resp)
{
	SPF_record_t *rec = NULL;
	SPF_errcode_t err = SPF_server_get_record(s->server, req, resp, &rec);
	if (err != SPF_E_SUCCESS) {
		/* no usable record: the error says why (libspf2 may leave "none" in the
		 * response even when the record was there but did not compile) */
		if (rec)
			SPF_record_free(rec);
		if (err == SPF_E_NOT_SPF && !compile_error(resp))
			return SPF_RESULT_NONE;
		if (err == SPF_E_DNS_ERROR)
			return SPF_RESULT_TEMPERROR;
		return SPF_RESULT_PERMERROR;
	}
	resp->spf_record_exp = rec;
	(void)SPF_record_interpret(rec, req, resp, 0);
	resp->spf_record_exp = NULL;
	SPF_record_free(rec);
	return SPF_response_result(resp);
}

/* spf_check - one identity */
int spf_check(struct spf *s, const char *client_ip, const char *helo, const char *sender,
	      enum spf_identity id, const struct timespec *deadline, struct spf_outcome *out)
{
	memset(out, 0, sizeof(*out));
	out->identity = id;
	const char *h = helo ? helo : "";
	char *addr = NULL;
	if (id == SPF_ID_HELO || sender == NULL || *sender == '\0')
		addr = dupf("postmaster@%s", h);
	else
		addr = strdup(sender);
	if (addr == NULL)
		return -1;
	out->sender = addr;
	const char *at = strrchr(addr, '@');
	out->domain = strdup(at ? at + 1 : addr);
	if (out->domain == NULL)
		return -1;

	struct spf_eval ev = {.deadline = deadline};
	SPF_request_t *req = SPF_request_new(s->server);
	SPF_response_t *resp = NULL;
	SPF_result_t r = SPF_RESULT_INVALID;
	int bad_input = 0;
	if (req == NULL)
		return -1;
	if (set_request(req, client_ip, h, addr) < 0 || out->domain[0] == '\0') {
		bad_input = 1;
	} else if ((resp = SPF_response_new(req)) == NULL) {
		SPF_request_free(req);
		return -1;
	} else {
		req->use_helo = id == SPF_ID_HELO;
		req->cur_dom = req->use_helo ? req->helo_dom : req->env_from_dp;
		if (req->cur_dom == NULL || req->cur_dom[0] == '\0')
			bad_input = 1;
		else {
			spf_cur = &ev;
			r = evaluate(s, req, resp);
			spf_cur = NULL;
		}
	}
	out->lookups = ev.lookups;
	out->voids = ev.voids;
	if (bad_input) {
		/* no domain to check (bare IP in HELO, malformed address): RFC 7208 4.3 */
		out->result = SPFR_NONE;
		out->reason = dupf("no checkable domain in '%s'", addr);
	} else if (ev.perm) {
		/* a syntax or limit error: it ended the evaluation (RFC 7208 4.6) */
		out->result = SPFR_PERMERROR;
		out->reason = dupf("%s", ev.perm_why);
	} else if (ev.voids > SPF_VOID_MAX && r != SPF_RESULT_TEMPERROR) {
		out->result = SPFR_PERMERROR;
		out->reason = dupf("%u void DNS lookups (limit %d)", ev.voids, SPF_VOID_MAX);
	} else {
		out->result = map_result(r, &ev);
		const char *c = resp ? SPF_response_get_header_comment(resp) : NULL;
		if (out->result == SPFR_TEMPERROR)
			out->reason = dupf("DNS failure while checking %s", out->domain);
		else if (out->result == SPFR_PERMERROR && (r != SPF_RESULT_PERMERROR || !c || !*c))
			out->reason = dupf("error evaluating the SPF record of %s", out->domain);
		else
			out->reason = dupf("%s", c && *c ? c : spf_result_name(out->result));
		if (out->result == SPFR_FAIL && resp) {
			const char *e = SPF_response_get_explanation(resp);
			if (e && *e)
				out->explanation = strdup(e);
		}
	}
	if (resp)
		SPF_response_free(resp);
	SPF_request_free(req);
	return out->reason ? 0 : -1;
}
