/*
 * list_bench.c - micro-benchmark of local lists (milter/locallist.c): load a file of
 * N random IPv4 networks, then look up M random addresses. Prints CPU milliseconds for
 * the load and CPU nanoseconds per lookup. Not a test: run by `make bench-lists`, which
 * also times Postfix's cidr table (postmap -q) on the same file as the peer.
 *
 * usage: list_bench [-n NETWORKS] [-m LOOKUPS] FILE   (FILE is written first)
 */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "errlist.h"
#include "locallist.h"

/* cpu_ns - process CPU time */
static double cpu_ns(void)
{
	struct timespec t;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
	return (double)t.tv_sec * 1e9 + (double)t.tv_nsec;
}

int main(int argc, char **argv)
{
	long n = 1000000, m = 1000000;
	int opt;
	while ((opt = getopt(argc, argv, "n:m:")) != -1) {
		if (opt == 'n')
			n = strtol(optarg, NULL, 10);
		else if (opt == 'm')
			m = strtol(optarg, NULL, 10);
		else
			return 64;
	}
	if (optind != argc - 1 || n <= 0 || m <= 0) {
		fprintf(stderr, "usage: list_bench [-n NETWORKS] [-m LOOKUPS] FILE\n");
		return 64;
	}
	const char *path = argv[optind];
	FILE *fp = fopen(path, "w");
	if (fp == NULL)
		return 73;
	srand(1);
	for (long i = 0; i < n; i++) { /* postmap's cidr format: network, then a result */
		int bits = 24 + rand() % 9, host = rand() & 0xff & (0xff << (32 - bits));
		fprintf(fp, "%d.%d.%d.%d/%d OK\n", rand() & 0xff, rand() & 0xff, rand() & 0xff,
			host, bits);
	}
	fclose(fp);
	/* our list format has no result column: a copy without it */
	char ours[4096];
	snprintf(ours, sizeof(ours), "%s.list", path);
	FILE *in = fopen(path, "r"), *out = fopen(ours, "w");
	char line[128];
	while (in && out && fgets(line, sizeof(line), in)) {
		char *sp = line;
		while (*sp && *sp != ' ')
			sp++;
		*sp = '\0';
		fprintf(out, "%s\n", line);
	}
	if (in)
		fclose(in);
	if (out)
		fclose(out);
	struct errlist e;
	errlist_init(&e);
	double t0 = cpu_ns();
	struct llist *l = llist_load(ours, LL_IP, &e);
	double t1 = cpu_ns();
	if (l == NULL) {
		for (size_t i = 0; i < e.count; i++)
			fprintf(stderr, "%s\n", e.msgs[i]);
		return 1;
	}
	long hits = 0;
	char(*ips)[16] = malloc((size_t)m * sizeof(*ips)); /* formatted before the clock */
	if (ips == NULL)
		return 1;
	for (long i = 0; i < m; i++)
		snprintf(ips[i], sizeof(ips[i]), "%d.%d.%d.%d", rand() & 0xff, rand() & 0xff,
			 rand() & 0xff, rand() & 0xff);
	double t2 = cpu_ns();
	for (long i = 0; i < m; i++)
		hits += llist_has_ip(l, ips[i]);
	double t3 = cpu_ns();
	printf("locallist: %ld networks (%zu ranges after merging) loaded in %.0f ms CPU; "
	       "%ld lookups (%ld hits): %.0f ns CPU each\n",
	       n, llist_count(l), (t1 - t0) / 1e6, m, hits, (t3 - t2) / (double)m);
	free(ips);
	llist_free(l);
	errlist_free(&e);
	remove(ours);
	return 0;
}
