/*
 * spf_probe.c - drive the SPF module for the RFC 7208 conformance suite.
 *
 * SYNOPSIS
 *	spf_probe ZONEFILE < cases
 *
 * DESCRIPTION
 *	ZONEFILE holds one directive a line: "data <name> <ttl> IN <type> <rdata>"
 *	(served as local data), "zone <name> <type>" (a local zone, e.g.
 *	typetransparent), "fail <name>" (queries for exactly that name that
 *	reach the forwarder get SERVFAIL: a DNS failure). Every other name is
 *	NXDOMAIN (the forwarder is tests/unit/nxdns.c). Each line of standard input is a case:
 *	"id<TAB>client-ip<TAB>helo<TAB>mailfrom"; each output line is
 *	"id<TAB>result<TAB>reason". The cases go through spf_check exactly as
 *	the daemon calls it (the null sender is checked as postmaster@helo).
 *	Driven by tests/spf_suite.py.
 *
 * DIAGNOSTICS
 *	A directive the resolver refuses is reported on stderr and makes the
 *	exit status 2 (the driver reports it); cases are still run.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dns.h"
#include "probe.h"
#include "errlist.h"
#include "unit/nxdns.h"
#include "spf.h"

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: spf_probe ZONEFILE < cases\n");
		return 64;
	}
	FILE *zf = fopen(argv[1], "r");
	if (zf == NULL) {
		perror(argv[1]);
		return 66;
	}
	/* every name outside the local data is NXDOMAIN: the forwarder says so; the
	 * names of "fail" directives get SERVFAIL from it */
	int port = probe_forwarder(zf);
	char fwd0[32];
	snprintf(fwd0, sizeof(fwd0), "127.0.0.1@%d", port);
	const char *fwd[] = {fwd0};
	struct dns_opts o = {fwd, 1, 2000, NULL, NULL};
	struct errlist e;
	errlist_init(&e);
	struct dns *d = dns_new(&o, "spf_probe", &e);
	if (d == NULL) {
		for (size_t i = 0; i < e.count; i++)
			fprintf(stderr, "%s\n", e.msgs[i]);
		errlist_free(&e);
		fclose(zf);
		return 70;
	}
	errlist_free(&e);
	int bad = probe_load_zone(d, zf, "spf_probe");
	fclose(zf);
	struct spf *s = spf_new(d, "spf-probe.test", 2000);
	if (s == NULL)
		return 70;
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	while ((n = getline(&line, &cap, stdin)) > 0) {
		if (line[n - 1] == '\n')
			line[n - 1] = '\0';
		char *p = line;
		char *id = probe_field(&p), *ip = probe_field(&p), *helo = probe_field(&p),
		     *from = probe_field(&p);
		struct spf_outcome out;
		if (spf_check(s, ip, helo, from, SPF_ID_MAILFROM, NULL, &out) < 0) {
			printf("%s\tERROR\tout of memory\n", id);
			continue;
		}
		printf("%s\t%s\t%s\n", id, spf_result_name(out.result),
		       out.reason ? out.reason : "");
		fflush(stdout);
		spf_outcome_free(&out);
	}
	free(line);
	spf_free(s);
	dns_free(d);
	return bad ? 2 : 0;
}
