/*
 * spool_test.c - unit tests of spool.c: body storage in memory, then on disk.
 *
 * DESCRIPTION
 *	For a table of thresholds and chunk sizes, pseudo-random bytes are
 *	written and read back whole and in pieces: the data must come back
 *	identical across the memory/file boundary, the spool must move to a
 *	file exactly when the threshold is passed, the file must never be
 *	visible in tmpdir, and spool_free must close it. Reads at and past
 *	the end, and a tmpdir that cannot hold a file, are checked too.
 *
 * OUTPUT
 *	TAP on stdout (see tap.h).
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "spool.h"
#include "tap.h"

#define TOTAL 100000 /* bytes written per table row */

static char tmpdir[1024]; /* private scratch directory, removed at the end */

/* fill - deterministic pseudo-random bytes (xorshift32) */
static void fill(unsigned char *p, size_t n, uint32_t seed)
{
	uint32_t x = seed ? seed : 1;
	for (size_t i = 0; i < n; i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		p[i] = (unsigned char)x;
	}
}

/* dir_entries - names in dir other than . and ..; -1 if unreadable */
static int dir_entries(const char *dir)
{
	DIR *d = opendir(dir);
	if (d == NULL)
		return -1;
	int n = 0;
	struct dirent *de;
	while ((de = readdir(d)) != NULL)
		if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
			n++;
	closedir(d);
	return n;
}

/* lowest_free_fd - the descriptor the next open would get */
static int lowest_free_fd(void)
{
	int fd = dup(0);
	if (fd >= 0)
		close(fd);
	return fd;
}

/* deleted_file_in - 1 when an open descriptor of ours is an unlinked file in dir
 * with mode 0600 (Linux /proc), 0 when none, -1 when it cannot be told */
static int deleted_file_in(const char *dir)
{
	DIR *d = opendir("/proc/self/fd");
	if (d == NULL)
		return -1;
	int found = 0;
	struct dirent *de;
	size_t dl = strlen(dir);
	while (!found && (de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		char link[320], target[PATH_MAX];
		snprintf(link, sizeof(link), "/proc/self/fd/%s", de->d_name);
		ssize_t n = readlink(link, target, sizeof(target) - 1);
		if (n <= 0)
			continue;
		target[n] = '\0';
		struct stat st;
		if (strncmp(target, dir, dl) == 0 && target[dl] == '/' &&
		    strstr(target, " (deleted)") != NULL && stat(link, &st) == 0 &&
		    S_ISREG(st.st_mode) && (st.st_mode & 07777) == 0600 && st.st_nlink == 0)
			found = 1;
	}
	closedir(d);
	return found;
}

/* read_all - the whole spool through reads of at most piece bytes */
static int read_all(const struct spool *s, unsigned char *out, size_t size, size_t piece)
{
	size_t off = 0;
	while (off < size) {
		ssize_t r = spool_read(s, off, out + off, piece);
		if (r <= 0)
			return -1;
		off += (size_t)r;
	}
	return spool_read(s, off, out, piece) == 0 ? 0 : -1;
}

/* round_trip - write TOTAL bytes in chunks into a spool with threshold mem_max */
static void round_trip(size_t mem_max, size_t chunk, const unsigned char *data)
{
	int fd_before = lowest_free_fd();
	struct spool *s = spool_new(tmpdir, mem_max);
	if (s == NULL) {
		ok(0, "spool_new(threshold %zu)", mem_max);
		return;
	}
	int disk_early = 0;   /* on disk while still within the threshold */
	int disk_late = 0;    /* still in memory past the threshold */
	int write_failed = 0; /* a spool_write returned -1 */
	size_t off = 0;
	while (off < TOTAL) {
		size_t n = TOTAL - off < chunk ? TOTAL - off : chunk;
		if (spool_write(s, data + off, n) != 0) {
			write_failed = 1;
			break;
		}
		off += n;
		if (off <= mem_max && spool_on_disk(s))
			disk_early = 1;
		if (off > mem_max && !spool_on_disk(s))
			disk_late = 1;
	}
	unsigned char *back = malloc(TOTAL);
	int whole = 0, pieces = 0, odd = 0;
	if (back) {
		memset(back, 0, TOTAL);
		whole =
		    spool_read(s, 0, back, TOTAL + 100) == TOTAL && memcmp(back, data, TOTAL) == 0;
		memset(back, 0, TOTAL);
		pieces = read_all(s, back, TOTAL, chunk) == 0 && memcmp(back, data, TOTAL) == 0;
		memset(back, 0, TOTAL);
		odd = read_all(s, back, TOTAL, 997) == 0 && memcmp(back, data, TOTAL) == 0;
	}
	int entries = dir_entries(tmpdir);
	ok(!write_failed && spool_size(s) == TOTAL && !disk_early && !disk_late && whole &&
	       pieces && odd && entries == 0,
	   "threshold %zu, chunks of %zu: %s, read back identical, nothing in tmpdir", mem_max,
	   chunk, TOTAL > mem_max ? "moved to disk past the threshold" : "kept in memory");
	if (write_failed || disk_early || disk_late || !whole || !pieces || !odd || entries != 0)
		diag("  write failed %d (%s), size %zu, on disk %d (early %d, late %d), whole %d, "
		     "pieces %d, odd pieces %d, tmpdir entries %d",
		     write_failed, write_failed ? strerror(errno) : "-", spool_size(s),
		     spool_on_disk(s), disk_early, disk_late, whole, pieces, odd, entries);
	free(back);
	spool_free(s);
	is_int(lowest_free_fd(), fd_before,
	       "threshold %zu, chunks of %zu: spool_free closed the file", mem_max, chunk);
}

/* test_round_trips - thresholds x chunk sizes, with pseudo-random data */
static void test_round_trips(void)
{
	static const size_t thresholds[] = {0, 1, 7, 4096, 65536, TOTAL, TOTAL + 1};
	static const size_t chunks[] = {1, 3, 512, 4095, 10000, TOTAL};
	unsigned char *data = malloc(TOTAL);
	if (data == NULL) {
		ok(0, "memory for the test data");
		return;
	}
	fill(data, TOTAL, 12345);
	for (size_t i = 0; i < ARRAY_LEN(thresholds); i++)
		for (size_t j = 0; j < ARRAY_LEN(chunks); j++) {
			if (chunks[j] == 1 && thresholds[i] >= 4096)
				continue; /* 100000 one-byte writes in memory teach nothing new */
			round_trip(thresholds[i], chunks[j], data);
		}
	free(data);
}

/* the boundary itself: exactly mem_max bytes stay in memory, one more moves */
static void test_boundary(void)
{
	struct spool *s = spool_new(tmpdir, 100);
	if (s == NULL) {
		ok(0, "spool_new");
		return;
	}
	unsigned char data[300];
	fill(data, sizeof(data), 7);
	ok(spool_size(s) == 0 && !spool_on_disk(s), "a new spool is empty and in memory");
	unsigned char byte = 0xAA;
	is_int(spool_read(s, 0, &byte, 1), 0, "reading an empty spool gives 0 bytes");
	is_int(byte, 0xAA, "and leaves the buffer alone");
	ok(spool_write(s, data, 60) == 0 && !spool_on_disk(s), "60 of 100 bytes: in memory");
	ok(spool_write(s, data + 60, 40) == 0 && !spool_on_disk(s), "100 of 100 bytes: in memory");
	ok(spool_write(s, data + 100, 0) == 0 && !spool_on_disk(s),
	   "an empty write at the threshold: in memory");
	ok(spool_write(s, data + 100, 1) == 0 && spool_on_disk(s), "101 bytes: on disk");
	is_int(dir_entries(tmpdir), 0, "the spool file is not visible in tmpdir");
	int del = deleted_file_in(tmpdir);
	if (del < 0)
		skip("no /proc/self/fd to look at the open spool file");
	else
		is_int(del, 1,
		       "the open spool file is an unlinked regular file of mode 0600 in tmpdir");
	ok(spool_write(s, data + 101, 199) == 0 && spool_size(s) == 300, "300 bytes stored");

	unsigned char back[400];
	static const struct {
		size_t off, len;
		ssize_t want;
	} reads[] = {
	    {0, 300, 300}, {0, 400, 300}, {99, 3, 3},    {100, 1, 1},      {150, 150, 150},
	    {299, 1, 1},   {299, 50, 1},  {300, 1, 0},   {301, 10, 0},     {5000, 10, 0},
	    {0, 0, 0},     {10, 0, 0},    {1, 299, 299}, {SIZE_MAX, 1, 0},
	};
	for (size_t i = 0; i < ARRAY_LEN(reads); i++) {
		memset(back, 0, sizeof(back));
		ssize_t r = spool_read(s, reads[i].off, back, reads[i].len);
		int same = r == reads[i].want &&
			   (r <= 0 || memcmp(back, data + reads[i].off, (size_t)r) == 0);
		if (!ok(same, "read %zu bytes at offset %zu gives %zd bytes", reads[i].len,
			reads[i].off, reads[i].want))
			diag("  got %zd", r);
	}
	spool_free(s);
	is_int(dir_entries(tmpdir), 0, "nothing left in tmpdir after spool_free");
	spool_free(NULL); /* allowed */
}

/* a tmpdir that cannot hold a file: the write fails, the spool stays usable */
static void test_unwritable(void)
{
	char notdir[1100], missing[1100];
	snprintf(notdir, sizeof(notdir), "%s/plain-file", tmpdir);
	snprintf(missing, sizeof(missing), "%s/no/such/dir", tmpdir);
	int fd = open(notdir, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd >= 0)
		close(fd);
	char *toolong = malloc(5000);
	if (toolong) {
		memset(toolong, 'd', 4999);
		toolong[0] = '/';
		toolong[4999] = '\0';
	}
	const struct {
		const char *dir;
		const char *what;
	} t[] = {
	    {missing, "a missing tmpdir"},
	    {notdir, "a tmpdir that is a file"},
	    {toolong ? toolong : missing, "a tmpdir path longer than any file name"},
	};
	unsigned char data[64];
	fill(data, sizeof(data), 99);
	for (size_t i = 0; i < ARRAY_LEN(t); i++) {
		struct spool *s = spool_new(t[i].dir, 16);
		if (s == NULL) {
			ok(0, "%s: spool_new", t[i].what);
			continue;
		}
		ok(spool_write(s, data, 10) == 0, "%s: writing within the threshold works",
		   t[i].what);
		errno = 0;
		int rc = spool_write(s, data + 10, 20);
		int e = errno;
		ok(rc == -1 && e != 0, "%s: writing past the threshold returns -1 with errno",
		   t[i].what);
		if (rc == -1)
			diag("  errno: %s", strerror(e));
		ok(spool_size(s) == 10 && !spool_on_disk(s), "%s: the spool still holds 10 bytes",
		   t[i].what);
		unsigned char back[16];
		ok(spool_read(s, 0, back, sizeof(back)) == 10 && memcmp(back, data, 10) == 0,
		   "%s: and they read back", t[i].what);
		ok(spool_write(s, data + 10, 6) == 0 && spool_size(s) == 16,
		   "%s: a later write within the threshold still works", t[i].what);
		spool_free(s);
	}
	free(toolong);
	unlink(notdir);
}

/* spool_churn - thread body: many spools that each move to disk */
static void *spool_churn(void *arg)
{
	long *failures = arg;
	for (int i = 0; i < 500; i++) {
		struct spool *s = spool_new(tmpdir, 1);
		if (s == NULL || spool_write(s, "ab", 2) != 0 || !spool_on_disk(s))
			(*failures)++;
		spool_free(s);
	}
	return NULL;
}

/* spools are made by many libmilter threads at once: the process umask, which
 * other threads' files depend on, must be the same afterwards */
static void test_threads_umask(void)
{
	enum { NTHREADS = 4 };
	mode_t before = umask(022);
	pthread_t tid[NTHREADS];
	long failures[NTHREADS] = {0};
	int started = 0;
	for (int i = 0; i < NTHREADS; i++)
		if (pthread_create(&tid[i], NULL, spool_churn, &failures[i]) == 0)
			started++;
		else
			break;
	for (int i = 0; i < started; i++)
		pthread_join(tid[i], NULL);
	long fails = 0;
	for (int i = 0; i < started; i++)
		fails += failures[i];
	mode_t after = umask(before);
	ok(started == NTHREADS && fails == 0, "%d threads x 500 spools on disk at once", NTHREADS);
	if (!ok(after == 022, "concurrent spools leave the process umask as it was (022)"))
		diag("  umask is now %03o: spool_to_disk changes the process-wide umask around "
		     "mkostemp, and two threads interleaving restore each other's 077",
		     (unsigned)after);
	is_int(dir_entries(tmpdir), 0, "nothing left in tmpdir by the threads");
}

/* main - run every test in a private scratch directory */
int main(void)
{
	const char *t = getenv("TMPDIR");
	snprintf(tmpdir, sizeof(tmpdir), "%s/spool_test.XXXXXX", t && *t ? t : "/tmp");
	if (mkdtemp(tmpdir) == NULL) {
		printf("Bail out! mkdtemp %s: %s\n", tmpdir, strerror(errno));
		return 1;
	}
	char real[PATH_MAX];
	if (realpath(tmpdir, real) && strlen(real) < sizeof(tmpdir))
		memcpy(tmpdir, real, strlen(real) + 1); /* /proc shows resolved paths */
	test_boundary();
	test_round_trips();
	test_unwritable();
	test_threads_umask();
	if (rmdir(tmpdir) < 0) {
		ok(0, "the scratch directory is empty at the end");
		diag("  rmdir %s: %s", tmpdir, strerror(errno));
	}
	return done_testing();
}
