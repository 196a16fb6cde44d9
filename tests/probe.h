/*
 * probe.h - what tests/spf_probe.c and tests/auth_probe.c share: the zone-file directives
 * (data, zone, fail) fed to a resolver, and TAB-separated case lines. Header-only.
 */
#ifndef PORTCULLIS_TEST_PROBE_H
#define PORTCULLIS_TEST_PROBE_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dns.h"
#include "unit/nxdns.h"

/* probe_load_zone - "data <rr>" and "zone <name> <type>" lines to the resolver ("fail"
 * lines are the forwarder's business); the number of refused lines, each reported */
static inline int probe_load_zone(struct dns *d, FILE *fp, const char *prog)
{
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	int bad = 0;
	while ((n = getline(&line, &cap, fp)) > 0) {
		if (line[n - 1] == '\n')
			line[--n] = '\0';
		int rc = 0;
		if (strncmp(line, "data ", 5) == 0)
			rc = dns_add_local(d, line + 5);
		else if (strncmp(line, "zone ", 5) == 0) {
			char *name = line + 5, *type = strchr(name, ' ');
			if (type == NULL)
				rc = -1;
			else {
				*type++ = '\0';
				rc = dns_add_local_zone(d, name, type);
			}
		} else if (strncmp(line, "fail ", 5) != 0 && n > 0)
			rc = -1;
		if (rc < 0) {
			fprintf(stderr, "%s: refused: %s\n", prog, line);
			bad++;
		}
	}
	free(line);
	return bad;
}

#define PROBE_FAIL_MAX 64

/* probe_forwarder - start tests/unit/nxdns.c with the names of the "fail" lines of fp
 * (SERVFAIL; every other name NXDOMAIN) and rewind fp; its port */
static inline int probe_forwarder(FILE *fp)
{
	const char *failing[PROBE_FAIL_MAX];
	size_t nfailing = 0;
	char *line = NULL;
	size_t cap = 0;
	while (getline(&line, &cap, fp) > 0 && nfailing < PROBE_FAIL_MAX)
		if (strncmp(line, "fail ", 5) == 0) {
			line[strcspn(line, "\n")] = '\0';
			failing[nfailing++] = strdup(line + 5); /* kept by the forwarder */
		}
	free(line);
	rewind(fp);
	return nxdns_start(failing, nfailing);
}

/* probe_field - split off the next TAB-separated field of *p */
static inline char *probe_field(char **p)
{
	char *s = *p, *t = s ? strchr(s, '\t') : NULL;
	if (t) {
		*t = '\0';
		*p = t + 1;
	} else
		*p = NULL;
	return s ? s : "";
}

#endif
