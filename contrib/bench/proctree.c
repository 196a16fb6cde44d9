/*
 * proctree.c - what a filter's process tree uses, from /proc (Linux)
 *
 * pt_measure sums over the given processes and all their descendants (found through the
 * parent pid in /proc/PID/stat): CPU time as utime + stime of /proc/PID/stat (fields 14
 * and 15, clock ticks; the process figures include every thread, the exited ones too),
 * and VmRSS, VmHWM and Threads of /proc/PID/status. Descendants that exited before the
 * sample are not counted. Returns -1 when a given process does not exist.
 * Thread-safe (no shared state).
 */
#include "config.h"

#include <ctype.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "loadgen.h"

/* one process seen in /proc */
struct proc {
	pid_t pid, ppid;
	unsigned long long ticks;
	int mark; /* in the tree */
};

/* read_small - the first bytes of a /proc file, NUL-terminated; -1 when unreadable */
static int read_small(const char *path, char *buf, size_t size)
{
	FILE *fp = fopen(path, "re");
	if (fp == NULL)
		return -1;
	size_t n = fread(buf, 1, size - 1, fp);
	fclose(fp);
	buf[n] = '\0';
	return n > 0 ? 0 : -1;
}

/* parse_stat - ppid and utime + stime from the text of /proc/PID/stat */
static int parse_stat(const char *text, struct proc *p)
{
	const char *s = strrchr(text, ')'); /* the command name may hold anything */
	if (s == NULL)
		return -1;
	s++;
	while (*s == ' ')
		s++;
	if (*s++ == '\0') /* field 3: the state letter */
		return -1;
	unsigned long long v[16] = {0};
	for (int field = 4; field <= 15; field++) { /* 4: ppid, 14: utime, 15: stime */
		char *e;
		v[field] = strtoull(s, &e, 10);
		if (e == s)
			return -1;
		s = e;
	}
	p->ppid = (pid_t)v[4];
	p->ticks = v[14] + v[15];
	return 0;
}

/* status_value - the number after KEY in /proc/PID/status text, or 0 */
static long status_value(const char *text, const char *key)
{
	size_t kl = strlen(key);
	for (const char *s = text; s && *s; s = strchr(s, '\n'), s = s ? s + 1 : NULL)
		if (strncmp(s, key, kl) == 0)
			return strtol(s + kl, NULL, 10);
	return 0;
}

/* scan - every process of /proc into *procs */
static int scan(struct proc **procs, size_t *n)
{
	DIR *d = opendir("/proc");
	if (d == NULL)
		return -1;
	size_t cap = 0;
	struct dirent *e;
	char path[300], buf[1024];
	*n = 0;
	while ((e = readdir(d)) != NULL) {
		if (!isdigit((unsigned char)e->d_name[0]))
			continue;
		snprintf(path, sizeof(path), "/proc/%s/stat", e->d_name);
		struct proc p = {.pid = (pid_t)strtol(e->d_name, NULL, 10)};
		if (read_small(path, buf, sizeof(buf)) < 0 || parse_stat(buf, &p) < 0)
			continue; /* gone meanwhile */
		if (*n == cap) {
			size_t ncap = cap ? cap * 2 : 512;
			struct proc *np = realloc(*procs, ncap * sizeof(*np));
			if (np == NULL) {
				closedir(d);
				return -1;
			}
			*procs = np;
			cap = ncap;
		}
		(*procs)[(*n)++] = p;
	}
	closedir(d);
	return 0;
}

/* pt_measure - CPU ticks, memory and threads of the trees under roots[0..nroots) */
int pt_measure(const pid_t *roots, size_t nroots, struct pt_usage *u)
{
	struct proc *procs = NULL;
	size_t n = 0;
	memset(u, 0, sizeof(*u));
	if (scan(&procs, &n) < 0) {
		free(procs);
		return -1;
	}
	size_t found = 0;
	for (size_t i = 0; i < n; i++)
		for (size_t r = 0; r < nroots; r++)
			if (procs[i].pid == roots[r] && !procs[i].mark) {
				procs[i].mark = 1;
				found++;
			}
	for (int changed = 1; changed;) { /* descendants, to a fixed point */
		changed = 0;
		for (size_t i = 0; i < n; i++) {
			if (procs[i].mark)
				continue;
			for (size_t j = 0; j < n; j++)
				if (procs[j].mark && procs[j].pid == procs[i].ppid) {
					procs[i].mark = changed = 1;
					break;
				}
		}
	}
	char path[64], buf[4096];
	for (size_t i = 0; i < n; i++) {
		if (!procs[i].mark)
			continue;
		u->ticks += procs[i].ticks;
		u->procs++;
		snprintf(path, sizeof(path), "/proc/%ld/status", (long)procs[i].pid);
		if (read_small(path, buf, sizeof(buf)) == 0) {
			u->rss_kb += status_value(buf, "VmRSS:");
			u->hwm_kb += status_value(buf, "VmHWM:");
			u->threads += status_value(buf, "Threads:");
		}
	}
	free(procs);
	return found == nroots ? 0 : -1;
}
