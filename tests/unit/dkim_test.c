/*
 * dkim_test.c - the DKIM verifier over the shared resolver with local key records.
 *
 * Messages in tests/data/dkim/ were signed once with Debian's python3-dkim and the keys
 * beside them (keys.zone holds the public halves, served as local data; broken.test's
 * queries get SERVFAIL from the forwarder); expired.eml (x= in 2020) and future.eml (t= in
 * 2100) by timed.py there. Each is fed as the milter feeds it: headers one by one, end of
 * headers, the body in two chunks, end of message; the result of every signature and its
 * reason are checked. Then the key cache: a second message with the same key is answered
 * from the cache, without a query, also by the verifier of a reloaded configuration (the
 * cache is handed over).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dkim.h"
#include "dns.h"
#include "nxdns.h"
#include "tap.h"

static const struct {
	const char *file;
	size_t nsig;
	enum dkv_res want[2];
	const char *reason; /* of the last signature */
} cases[] = {
    {"rsa-pass.eml", 1, {DKV_PASS}, "good signature"},
    {"ed-pass.eml", 1, {DKV_PASS}, "good signature"},
    {"body-changed.eml", 1, {DKV_FAIL}, "body hash mismatch"},
    {"header-changed.eml", 1, {DKV_FAIL}, "signature mismatch"},
    {"key-missing.eml", 1, {DKV_PERMERROR}, "key not found"},
    {"revoked.eml", 1, {DKV_PERMERROR}, "key revoked"},
    {"rsa-sha1.eml", 1, {DKV_POLICY}, "rsa-sha1 is not accepted (RFC 8301)"},
    {"small-key.eml", 1, {DKV_POLICY}, "key too small (512 bits, RFC 8301)"},
    {"two-one-good.eml", 2, {DKV_PASS, DKV_FAIL}, "body hash mismatch"},
    {"servfail.eml", 1, {DKV_TEMPERROR}, "key lookup failed (DNS)"},
    {"expired.eml", 1, {DKV_PERMERROR}, "signature expired"},
    {"future.eml", 1, {DKV_PERMERROR}, "signature in the future"},
};

/* slurp - a whole file, NUL-terminated */
static char *slurp(const char *name, size_t *len)
{
	char path[512];
	const char *top = getenv("abs_top_srcdir");
	snprintf(path, sizeof(path), "%s/tests/data/dkim/%s", top ? top : ".", name);
	FILE *fp = fopen(path, "rb");
	if (fp == NULL)
		return NULL;
	char *b = malloc(1 << 20);
	*len = b ? fread(b, 1, (1 << 20) - 1, fp) : 0;
	fclose(fp);
	if (b)
		b[*len] = '\0';
	return b;
}

/* feed - headers (unfolded into name and raw value), end of headers, body in two chunks */
static int feed(struct dkv_msg *m, char *text, size_t len)
{
	char *body = strstr(text, "\r\n\r\n");
	if (body == NULL)
		return -1;
	*body = '\0';
	body += 4;
	for (char *p = text; *p;) {
		char *end = p;
		while ((end = strstr(end, "\r\n")) && (end[2] == ' ' || end[2] == '\t'))
			end += 2;
		if (end == NULL)
			end = p + strlen(p);
		char save = *end;
		*end = '\0';
		char *colon = strchr(p, ':');
		if (colon) {
			*colon = '\0';
			dkv_msg_header(m, p, colon + 1);
		}
		*end = save;
		p = *end ? end + 2 : end;
	}
	dkv_msg_eoh(m);
	size_t blen = len - (size_t)(body - text), half = blen / 2;
	dkv_msg_body(m, body, half);
	dkv_msg_body(m, body + half, blen - half);
	return 0;
}

/* load_keys - keys.zone as local TXT data */
static void load_keys(struct dns *d)
{
	size_t len;
	char *z = slurp("keys.zone", &len);
	for (char *p = z; p && *p;) {
		char *nl = strchr(p, '\n');
		if (nl)
			*nl = '\0';
		char *tab = strchr(p, '\t');
		if (*p != '#' && tab) {
			*tab = '\0';
			char rr[2048]; /* character-strings of at most 255 bytes */
			size_t n = (size_t)snprintf(rr, sizeof(rr), "%s. 300 IN TXT", p);
			for (const char *t = tab + 1;
			     *t && n<sizeof(rr); t += strlen(t)> 255 ? 255 : strlen(t))
				n += (size_t)snprintf(rr + n, sizeof(rr) - n, " \"%.255s\"", t);
			ok(dns_add_local(d, rr) == 0, "key record %s served", p);
		}
		p = nl ? nl + 1 : p + strlen(p);
	}
	free(z);
}

/* verify - one message; 0 and the result */
static int verify(struct dkv *v, const char *file, struct dkv_result *r)
{
	size_t len;
	char *text = slurp(file, &len);
	struct dkv_msg *m = text ? dkv_msg_new(v, NULL) : NULL;
	int rc = m && feed(m, text, len) == 0 && dkv_msg_eom(m, r) == 0 ? 0 : -1;
	dkv_msg_free(m);
	free(text);
	return rc;
}

int main(void)
{
	const char *fail[] = {"rsa._domainkey.broken.test"};
	struct dns *d = nxdns_resolver(fail, 1, "dkim_test");
	if (d == NULL)
		return 1;
	load_keys(d);
	struct dkv *v = dkv_new(d, 8, 16, NULL);
	ok(v != NULL, "verifier made");
	for (size_t i = 0; v && i < ARRAY_LEN(cases); i++) {
		struct dkv_result r;
		if (!ok(verify(v, cases[i].file, &r) == 0, "%s: verified", cases[i].file))
			continue;
		is_int(r.n, cases[i].nsig, "%s: signatures", cases[i].file);
		for (size_t k = 0; k < r.n && k < cases[i].nsig; k++)
			is_str(dkv_res_name(r.sigs[k].result), dkv_res_name(cases[i].want[k]),
			       "%s: signature %zu result", cases[i].file, k);
		if (r.n)
			is_str(r.sigs[r.n - 1].reason, cases[i].reason, "%s: reason",
			       cases[i].file);
		dkv_result_free(&r);
	}
	/* the cache: the rsa key was fetched above; now it is a hit, and no query is made */
	struct dkv_stats before, after;
	dkv_get_stats(v, &before);
	unsigned q0 = nxdns_seen("rsa._domainkey.sig.test");
	struct dkv_result r;
	ok(verify(v, "rsa-pass.eml", &r) == 0 && r.n == 1 && r.sigs[0].result == DKV_PASS,
	   "rsa-pass.eml again: pass");
	dkv_result_free(&r);
	dkv_get_stats(v, &after);
	is_int(after.hits - before.hits, 1, "the key came from the cache");
	is_int(nxdns_seen("rsa._domainkey.sig.test"), q0, "no query left the resolver");
	/* a reload: the next verifier takes the cache over, even once the old one is gone */
	struct dkv *next = dkv_new(d, 8, 16, v);
	dkv_free(v);
	v = next;
	ok(v && verify(v, "rsa-pass.eml", &r) == 0 && r.n == 1 && r.sigs[0].result == DKV_PASS,
	   "after a reload: pass");
	if (v)
		dkv_result_free(&r);
	is_int(nxdns_seen("rsa._domainkey.sig.test"), q0, "after a reload: the key still cached");
	/* a limit of one signature: the second is not checked */
	struct dkv *one = dkv_new(d, 1, 0, NULL);
	ok(one && verify(one, "two-one-good.eml", &r) == 0 && r.n == 2 && r.unchecked == 1 &&
	       r.sigs[1].result == DKV_POLICY,
	   "dkim_signatures_max 1: the second signature is policy (not checked)");
	if (one)
		dkv_result_free(&r);
	dkv_free(one);
	dkv_free(v);
	dns_free(d);
	return done_testing();
}
