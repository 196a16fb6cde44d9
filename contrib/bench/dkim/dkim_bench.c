/*
 * dkim_bench.c - CPU per message of DKIM verification with a cached key.
 *
 * SYNOPSIS
 *	dkim_bench MESSAGE [N]
 *
 * DESCRIPTION
 *	Verifies MESSAGE (signed with a key of tests/data/dkim/keys.zone, served as
 *	local data) once to fill the key cache, then N times (default 2000) as the
 *	milter feeds it, and prints the CPU time per verification: headers, the
 *	header hash and its signature check with the cached (parsed) key, the body
 *	canonicalized and hashed, the outcome.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dkim.h"
#include "dns.h"
#include "unit/nxdns.h"

#define BODY_CHUNK 65536

/* slurp - a file, NUL-terminated; NULL on failure */
static char *slurp(const char *path, size_t *len)
{
	FILE *fp = fopen(path, "rb");
	if (fp == NULL)
		return NULL;
	char *b = malloc(1 << 22);
	*len = b ? fread(b, 1, (1 << 22) - 1, fp) : 0;
	fclose(fp);
	if (b)
		b[*len] = '\0';
	return b;
}

/* serve_keys - keys.zone as local TXT records (255-byte character-strings) */
static int serve_keys(struct dns *d)
{
	char path[512];
	const char *top = getenv("abs_top_srcdir");
	snprintf(path, sizeof(path), "%s/tests/data/dkim/keys.zone", top ? top : ".");
	size_t len;
	char *z = slurp(path, &len);
	for (char *p = z; p && *p;) {
		char *nl = strchr(p, '\n'), *tab;
		if (nl)
			*nl = '\0';
		if (*p != '#' && (tab = strchr(p, '\t')) != NULL) {
			*tab = '\0';
			char rr[2048];
			size_t n = (size_t)snprintf(rr, sizeof(rr), "%s. 300 IN TXT", p);
			for (const char *t = tab + 1;
			     *t && n<sizeof(rr); t += strlen(t)> 255 ? 255 : strlen(t))
				n += (size_t)snprintf(rr + n, sizeof(rr) - n, " \"%.255s\"", t);
			if (dns_add_local(d, rr) < 0)
				return -1;
		}
		p = nl ? nl + 1 : p + strlen(p);
	}
	free(z);
	return z ? 0 : -1;
}

/* verify_once - feed a copy of the message (headers split and unfolded); its result */
static enum dkv_res verify_once(struct dkv *v, const char *msg, size_t len)
{
	const char *body = strstr(msg, "\r\n\r\n");
	struct dkv_msg *m = dkv_msg_new(v, NULL);
	if (body == NULL || m == NULL)
		return DKV_PERMERROR;
	char name[128], *value = malloc((size_t)(body - msg) + 1);
	for (const char *p = msg; value && p < body + 2;) {
		const char *end = p;
		while ((end = strstr(end, "\r\n")) && (end[2] == ' ' || end[2] == '\t'))
			end += 2;
		const char *colon = memchr(p, ':', (size_t)(end - p));
		if (colon && (size_t)(colon - p) < sizeof(name)) {
			memcpy(name, p, (size_t)(colon - p));
			name[colon - p] = '\0';
			memcpy(value, colon + 1, (size_t)(end - colon - 1));
			value[end - colon - 1] = '\0';
			dkv_msg_header(m, name, value);
		}
		p = end + 2;
	}
	free(value);
	dkv_msg_eoh(m);
	for (const char *b = body + 4; b < msg + len; b += BODY_CHUNK) {
		size_t n = (size_t)(msg + len - b);
		dkv_msg_body(m, b, n > BODY_CHUNK ? BODY_CHUNK : n);
	}
	struct dkv_result r;
	enum dkv_res res = DKV_PERMERROR;
	if (dkv_msg_eom(m, &r) == 0 && r.n == 1)
		res = r.sigs[0].result;
	dkv_result_free(&r);
	dkv_msg_free(m);
	return res;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: dkim_bench MESSAGE [N]\n");
		return 64;
	}
	long n = argc > 2 ? strtol(argv[2], NULL, 10) : 2000;
	size_t len;
	char *msg = slurp(argv[1], &len);
	struct dns *d = nxdns_resolver(NULL, 0, "dkim_bench");
	struct dkv *v = d ? dkv_new(d, 8, 100, NULL) : NULL;
	if (msg == NULL || v == NULL || serve_keys(d) < 0) {
		fprintf(stderr, "dkim_bench: cannot set up (message, resolver or keys)\n");
		return 70;
	}
	if (verify_once(v, msg, len) != DKV_PASS) {
		fprintf(stderr, "dkim_bench: %s does not verify\n", argv[1]);
		return 1;
	}
	struct timespec t0, t1;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t0);
	for (long i = 0; i < n; i++)
		if (verify_once(v, msg, len) != DKV_PASS) {
			fprintf(stderr, "dkim_bench: run %ld did not pass\n", i);
			return 1;
		}
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t1);
	double us =
	    ((double)(t1.tv_sec - t0.tv_sec) * 1e6 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e3);
	struct dkv_stats st;
	dkv_get_stats(v, &st);
	printf(
	    "message %zu bytes, %ld verifications: %.1f us CPU each (key cache: %lu lookups, %lu "
	    "hits)\n",
	    len, n, us / (double)n, st.lookups, st.hits);
	dkv_free(v);
	dns_free(d);
	free(msg);
	return 0;
}
