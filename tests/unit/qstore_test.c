/*
 * qstore_test.c - unit tests of the quarantine store (qstore.c, qindex_sqlite.c).
 *
 * DESCRIPTION
 *	Id validation ('../', absolute paths, NULs, wrong alphabet); a put
 *	read back byte for byte with its metadata and found by every filter;
 *	fault injection through the store's ops table: each of write, short
 *	writes, fsync of the file, rename and fsync of the directory fails in
 *	turn, and nothing may be left behind; a child process killed
 *	(SIGKILL) after each step of a put, after which repair must show
 *	either the whole entry or nothing; repair after lost rows, lost files
 *	and foreign files; delete; the release mark's check; and 1,000
 *	entries listed and filtered in well under a second.
 *
 * OUTPUT
 *	TAP on stdout (see tap.h).
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "qstore.h"
#include "tap.h"

static char root[256]; /* scratch directory */
static const char msg_text[] = "Received: from x\r\nSubject: hello\r\n\r\nbody line\r\n";

/* write_msg - the test message */
static int write_msg(void *arg, struct qwriter *w)
{
	const char *m = arg;
	return qwriter_put(w, m, strlen(m));
}

/* make_id - a ULID-shaped id from a number (sorts like the number) */
static void make_id(char out[QID_LEN + 1], unsigned long n)
{
	static const char b32[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
	memset(out, '0', QID_LEN);
	for (int i = QID_LEN - 1; i >= 10 && n; i--, n >>= 5)
		out[i] = b32[n & 31];
	out[0] = '1';
	out[QID_LEN] = '\0';
}

/* item - a test entry */
static struct qstore_item item(const char *id, long long t, const char *from, double score)
{
	static char *rcpts[] = {"a@example.test", "b@example.test"};
	static char *rules[] = {"RULE_ONE", "RULE_TWO"};
	struct qstore_item it = {0};
	snprintf(it.e.id, sizeof(it.e.id), "%s", id);
	it.e.time = t;
	it.e.queue_id = "4ABC";
	it.e.client_addr = "192.0.2.1";
	it.e.mail_from = (char *)from;
	it.e.from_domain = "example.test";
	it.e.subject = "hello\r\nInjected: no";
	it.e.score = score;
	it.e.action = "quarantine";
	it.e.rcpts = rcpts;
	it.e.nrcpt = 2;
	it.e.rules = rules;
	it.e.nrule = score > 5 ? 2 : 1;
	it.meta_json = "{\"v\":1}";
	it.write_msg = write_msg;
	it.arg = (void *)msg_text;
	return it;
}

/* count_files - regular entries in dir/sub */
static int count_files(const char *dir, const char *sub)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/%s", dir, sub);
	DIR *d = opendir(path);
	if (d == NULL)
		return -1;
	int n = 0;
	struct dirent *de;
	while ((de = readdir(d)) != NULL)
		n += de->d_name[0] != '.';
	closedir(d);
	return n;
}

/* count_cb - counts listed entries */
static int count_cb(void *arg, const struct qentry *e)
{
	(*(size_t *)arg)++;
	return 0;
}

/* listed - how many entries f selects */
static long listed(struct qstore *q, const struct qfilter *f)
{
	size_t n = 0;
	struct qindex *ix = qstore_index(q);
	return ix->ops->list(ix, f, count_cb, &n) < 0 ? -1 : (long)n;
}

/* open_store - a fresh store in root/name */
static struct qstore *open_store(const char *name, char *dir, size_t len)
{
	char err[256];
	snprintf(dir, len, "%s/%s", root, name);
	struct qstore *q = qstore_open(dir, QSTORE_CREATE, err, sizeof(err));
	if (q == NULL)
		diag("qstore_open %s: %s", dir, err);
	return q;
}

/* read_entry - the message and metadata of id */
static int read_entry(struct qstore *q, const char *id, char *out, size_t len, char **meta)
{
	int fd = qstore_open_entry(q, id, meta);
	if (fd < 0)
		return -1;
	ssize_t n = read(fd, out, len - 1);
	close(fd);
	if (n < 0)
		return -1;
	out[n] = '\0';
	return (int)n;
}

/* test_ids - what an id may be */
static void test_ids(void)
{
	static const struct {
		const char *id;
		size_t len;
		int valid;
		const char *what;
	} t[] = {
	    {"01HQZX3V4K8D9E7F6G5H4J3K2M", 26, 1, "a ULID"},
	    {"7ZZZZZZZZZZZZZZZZZZZZZZZZZ", 26, 1, "the largest ULID"},
	    {"8ZZZZZZZZZZZZZZZZZZZZZZZZZ", 26, 0, "past 48 bits of time"},
	    {"../../../../../../etc/pass", 26, 0, "../ path"},
	    {"/etc/passwd/AAAAAAAAAAAAAA", 26, 0, "absolute path"},
	    {"01HQZX3V4K8D9E7F6G5H4J3K2\0", 26, 0, "a NUL inside"},
	    {"01HQZX3V4K8D9E7F6G5H4J3K2", 25, 0, "too short"},
	    {"01HQZX3V4K8D9E7F6G5H4J3K2MM", 27, 0, "too long"},
	    {"01hqzx3v4k8d9e7f6g5h4j3k2m", 26, 0, "lower case"},
	    {"01HQZX3V4K8D9E7F6G5H4J3KIL", 26, 0, "I and L are not Crockford base32"},
	    {"01HQZX3V4K8D9E7F6G5H4J3K.M", 26, 0, "a dot"},
	    {"", 0, 0, "empty"},
	};
	for (size_t i = 0; i < ARRAY_LEN(t); i++)
		is_int(qstore_id_valid(t[i].id, t[i].len), t[i].valid, "id %s: %s",
		       t[i].valid ? "accepted" : "refused", t[i].what);
	ok(!qstore_id_valid(NULL, 26), "id refused: NULL");
}

/* test_put_read - a put read back, listed and filtered */
static void test_put_read(void)
{
	char dir[512], buf[512], err[256], *meta = NULL, id[QID_LEN + 1], id2[QID_LEN + 1];
	struct qstore *q = open_store("basic", dir, sizeof(dir));
	if (!ok(q != NULL, "store created"))
		return;
	make_id(id, 1);
	make_id(id2, 2);
	struct qstore_item it = item(id, 1000, "spammer@bad.test", 12.5);
	if (!ok(qstore_put(q, &it, err, sizeof(err)) == 0, "put"))
		diag("%s", err);
	it = item(id2, 2000, "friend@good.test", 3);
	if (!ok(qstore_put(q, &it, err, sizeof(err)) == 0, "second put"))
		diag("%s", err);
	ok(qstore_put(q, &it, err, sizeof(err)) < 0, "a put never replaces an entry: %s", err);
	int n = read_entry(q, id, buf, sizeof(buf), &meta);
	is_mem(buf, n < 0 ? 0 : (size_t)n, msg_text, strlen(msg_text), "message read back exactly");
	is_str(meta, "{\"v\":1}", "metadata read back");
	free(meta);
	char path[600];
	struct stat st;
	snprintf(path, sizeof(path), "%s/q/%s", dir, id);
	ok(stat(path, &st) == 0 && (st.st_mode & 0777) == 0600, "entry file mode 0600");
	snprintf(path, sizeof(path), "%s", dir);
	ok(stat(path, &st) == 0 && (st.st_mode & 0777) == 0700, "store directory mode 0700");
	is_int(count_files(dir, "tmp"), 0, "no temp file left");

	struct qindex *ix = qstore_index(q);
	struct qentry e;
	if (ok(ix->ops->get(ix, id, &e) == 1, "index row")) {
		is_str(e.subject, "hello  Injected: no", "subject kept on one line");
		is_int(e.size, (long long)strlen(msg_text), "size is the message's");
		is_int((long long)e.nrcpt, 2, "two recipients");
		is_str(e.state, QSTATE_HELD, "state held");
		qentry_free(&e);
	}
	struct {
		struct qfilter f;
		long want;
		const char *what;
	} t[] = {
	    {{0}, 2, "no filter"},
	    {{.sender = "spammer@bad.test"}, 1, "sender"},
	    {{.sender = "SPAMMER@BAD.TEST"}, 1, "sender, case ignored"},
	    {{.sender = "*@good.test"}, 1, "sender pattern"},
	    {{.sender = "spam%"}, 0, "'%' is not a wildcard"},
	    {{.rcpt = "b@example.test"}, 2, "recipient"},
	    {{.rule = "RULE_TWO"}, 1, "rule"},
	    {{.from_domain = "example.test"}, 2, "From domain"},
	    {{.has_min = 1, .score_min = 10}, 1, "score >= 10"},
	    {{.has_max = 1, .score_max = 3}, 1, "score <= 3"},
	    {{.since = 1500}, 1, "since"},
	    {{.until = 1500}, 1, "until"},
	    {{.limit = 1}, 1, "limit"},
	    {{.state = "released"}, 0, "state"},
	};
	for (size_t i = 0; i < ARRAY_LEN(t); i++)
		is_int(listed(q, &t[i].f), t[i].want, "filter: %s", t[i].what);
	qstore_close(q);
}

/* fault injection ------------------------------------------------------------------- */

static int fail_write, fail_fsync_n, fail_rename, short_writes, fsync_calls;

/* f_write - fails when asked, or writes one byte at a time */
static ssize_t f_write(int fd, const void *p, size_t n)
{
	if (fail_write) {
		errno = ENOSPC;
		return -1;
	}
	return write(fd, p, short_writes && n > 1 ? 1 : n);
}

/* f_fsync - the n-th call fails */
static int f_fsync(int fd)
{
	if (++fsync_calls == fail_fsync_n) {
		errno = EIO;
		return -1;
	}
	return fsync(fd);
}

/* f_rename - fails when asked */
static int f_rename(const char *from, const char *to)
{
	if (fail_rename) {
		errno = EXDEV;
		return -1;
	}
	return renameat2(AT_FDCWD, from, AT_FDCWD, to, RENAME_NOREPLACE);
}

/* test_faults - each call fails in turn: nothing stored, nothing left */
static void test_faults(void)
{
	static const struct qstore_ops ops = {f_write, f_fsync, f_rename, NULL};
	static const struct {
		int write, fsync_n, rename;
		const char *what;
	} t[] = {
	    {1, 0, 0, "write fails (ENOSPC)"},
	    {0, 1, 0, "fsync of the file fails"},
	    {0, 0, 1, "rename fails"},
	    {0, 2, 0, "fsync of the directory fails"},
	};
	char dir[512], err[256], id[QID_LEN + 1];
	struct qstore *q = open_store("faults", dir, sizeof(dir));
	if (!ok(q != NULL, "store for fault injection"))
		return;
	qstore_set_ops(q, &ops);
	for (size_t i = 0; i < ARRAY_LEN(t); i++) {
		fail_write = t[i].write;
		fail_fsync_n = t[i].fsync_n;
		fail_rename = t[i].rename;
		fsync_calls = 0;
		make_id(id, 100 + i);
		struct qstore_item it = item(id, 1000, "x@y.test", 11);
		ok(qstore_put(q, &it, err, sizeof(err)) < 0, "%s: put fails (%s)", t[i].what, err);
		is_int(count_files(dir, "q") + count_files(dir, "tmp"), 0,
		       "%s: no file left in q/ or tmp/", t[i].what);
		is_int(listed(q, &(struct qfilter){0}), 0, "%s: no index row", t[i].what);
	}
	fail_write = fail_fsync_n = fail_rename = 0;
	short_writes = 1;
	make_id(id, 200);
	struct qstore_item it = item(id, 1000, "x@y.test", 11);
	ok(qstore_put(q, &it, err, sizeof(err)) == 0, "short writes: put succeeds");
	char buf[512], *meta = NULL;
	int n = read_entry(q, id, buf, sizeof(buf), &meta);
	is_mem(buf, n < 0 ? 0 : (size_t)n, msg_text, strlen(msg_text),
	       "short writes: message whole");
	free(meta);
	short_writes = 0;
	qstore_close(q);
}

static enum qstore_step kill_at; /* the child kills itself after this step */

/* k_after - the kill hook */
static void k_after(enum qstore_step s)
{
	if (s == kill_at)
		raise(SIGKILL);
}

/* test_kill - a child killed after each step: the whole entry or nothing */
static void test_kill(void)
{
	static const struct qstore_ops ops = {NULL, NULL, NULL, k_after};
	static const char *const names[] = {"",
					    "the write",
					    "the file's fsync",
					    "the rename",
					    "the directory's fsync",
					    "the index update"};
	for (enum qstore_step s = QS_WROTE; s <= QS_INDEXED; s++) {
		char dir[512], name[32], err[256], id[QID_LEN + 1];
		snprintf(name, sizeof(name), "kill%d", (int)s);
		struct qstore *q = open_store(name, dir, sizeof(dir));
		if (q == NULL)
			continue;
		make_id(id, 300);
		fflush(stdout);
		pid_t pid = fork();
		if (pid == 0) {
			kill_at = s;
			qstore_set_ops(q, &ops);
			struct qstore_item it = item(id, 1000, "x@y.test", 11);
			_exit(qstore_put(q, &it, err, sizeof(err)) == 0 ? 0 : 1);
		}
		int status = 0;
		waitpid(pid, &status, 0);
		ok(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL, "killed after %s", names[s]);
		qstore_close(q);
		q = qstore_open(dir, 0, err, sizeof(err));
		size_t added = 0, removed = 0;
		ok(q && qstore_repair(q, &added, &removed, err, sizeof(err)) == 0,
		   "repair after a kill after %s", names[s]);
		if (q == NULL)
			continue;
		long rows = listed(q, &(struct qfilter){0});
		int files = count_files(dir, "q");
		char buf[512], *meta = NULL;
		int n = rows == 1 ? read_entry(q, id, buf, sizeof(buf), &meta) : -1;
		free(meta);
		int whole = rows == 1 && files == 1 && n == (int)strlen(msg_text) &&
			    memcmp(buf, msg_text, (size_t)n) == 0;
		int none = rows == 0 && files == 0;
		ok(whole || none, "after %s: %s (rows %ld, files %d)", names[s],
		   whole  ? "the whole entry"
		   : none ? "nothing"
			  : "a broken entry",
		   rows, files);
		is_int(count_files(dir, "tmp"), 0, "after %s: repair removed the temp file",
		       names[s]);
		if (s >= QS_RENAMED)
			ok(whole, "after %s the entry survives (repair added %zu)", names[s],
			   added);
		qstore_close(q);
	}
}

/* test_repair - lost rows, lost files, foreign files; delete */
static void test_repair(void)
{
	char dir[512], err[256], id[QID_LEN + 1], path[600];
	struct qstore *q = open_store("repair", dir, sizeof(dir));
	if (!ok(q != NULL, "store for repair"))
		return;
	struct qindex *ix = qstore_index(q);
	for (unsigned long i = 0; i < 5; i++) {
		make_id(id, 400 + i);
		struct qstore_item it = item(id, 1000 + (long long)i, "x@y.test", 11);
		if (qstore_put(q, &it, err, sizeof(err)) < 0)
			diag("put: %s", err);
	}
	make_id(id, 400);
	(void)ix->ops->remove(ix, id); /* a lost row */
	make_id(id, 401);
	snprintf(path, sizeof(path), "%s/q/%s", dir, id);
	unlink(path); /* a lost file */
	make_id(id, 499);
	snprintf(path, sizeof(path), "%s/q/%s", dir, id);
	FILE *fp = fopen(path, "w"); /* a truncated entry */
	if (fp) {
		fputs("PORTCULLIS-QUARANTINE 1\nid ", fp);
		fclose(fp);
	}
	snprintf(path, sizeof(path), "%s/q/not-an-id", dir);
	fp = fopen(path, "w");
	if (fp)
		fclose(fp);
	size_t added = 0, removed = 0;
	if (!ok(qstore_repair(q, &added, &removed, err, sizeof(err)) == 0, "repair"))
		diag("%s", err);
	is_int(added, 1, "repair added the entry whose row was lost");
	is_int(removed, 1, "repair dropped the row whose file was lost");
	is_int(listed(q, &(struct qfilter){0}), 4, "four entries after repair");
	make_id(id, 402);
	ok(qstore_delete(q, id) == 0, "delete");
	is_int(listed(q, &(struct qfilter){0}), 3, "three entries after delete");
	ok(qstore_delete(q, id) < 0 && errno == ENOENT, "delete again: ENOENT");
	ok(qstore_delete(q, "../../etc/passwd") < 0 && errno == EINVAL, "delete '../': EINVAL");
	char *meta;
	ok(qstore_open_entry(q, "/etc/passwd", &meta) < 0 && errno == EINVAL,
	   "open an absolute path: EINVAL");

	make_id(id, 403);
	long long now = (long long)time(NULL);
	ok(ix->ops->set_state(ix, id, QSTATE_RELEASED, now, "root", "tok123") == 0,
	   "mark released");
	ok(qstore_release_valid(q, id, "tok123", 3600), "release mark valid");
	ok(!qstore_release_valid(q, id, "tok124", 3600), "wrong token refused");
	ok(!qstore_release_valid(q, id, "", 3600), "empty token refused");
	make_id(id, 404);
	ok(!qstore_release_valid(q, id, "tok123", 3600), "an entry not released refused");
	(void)ix->ops->set_state(ix, id, QSTATE_RELEASED, now - 7200, "root", "old");
	ok(!qstore_release_valid(q, id, "old", 3600), "an old release mark refused");
	qstore_close(q);
}

/* elapsed - seconds since t0 */
static double elapsed(const struct timespec *t0)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)(t.tv_sec - t0->tv_sec) + (double)(t.tv_nsec - t0->tv_nsec) / 1e9;
}

/* nosync - fsync skipped, to fill the store quickly */
static int nosync(int fd)
{
	return 0;
}

/* test_thousand - 1,000 entries list and filter fast */
static void test_thousand(void)
{
	static const struct qstore_ops ops = {NULL, nosync, NULL, NULL};
	char dir[512], err[256], id[QID_LEN + 1];
	struct qstore *q = open_store("thousand", dir, sizeof(dir));
	if (!ok(q != NULL, "store for 1,000 entries"))
		return;
	qstore_set_ops(q, &ops);
	int bad = 0;
	for (unsigned long i = 0; i < 1000; i++) {
		make_id(id, 1000 + i);
		struct qstore_item it =
		    item(id, 100000 + (long long)i, i % 10 ? "bulk@many.test" : "rare@few.test",
			 (double)(i % 20));
		bad += qstore_put(q, &it, err, sizeof(err)) < 0;
	}
	is_int(bad, 0, "1,000 puts");
	struct timespec t0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	long all = listed(q, &(struct qfilter){0});
	double t_all = elapsed(&t0);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	long rare = listed(q, &(struct qfilter){.sender = "rare@few.test"});
	long rule = listed(q, &(struct qfilter){.rule = "RULE_TWO", .since = 100500});
	double t_f = elapsed(&t0);
	is_int(all, 1000, "list all 1,000 in %.3f s", t_all);
	is_int(rare, 100, "filter by sender: 100");
	is_int(rule, 350, "filter by rule and time: 350 (both in %.3f s)", t_f);
	ok(t_all < 0.5 && t_f < 0.5, "listing and filtering take well under a second");
	size_t added, removed;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	ok(qstore_repair(q, &added, &removed, err, sizeof(err)) == 0 && added == 0 && removed == 0,
	   "repair of 1,000 consistent entries changes nothing (%.3f s)", elapsed(&t0));
	qstore_close(q);
}

int main(void)
{
	snprintf(root, sizeof(root), "/tmp/qstore_test.XXXXXX");
	if (mkdtemp(root) == NULL) {
		printf("Bail out! mkdtemp failed\n");
		return 1;
	}
	umask(022);
	test_ids();
	test_put_read();
	test_faults();
	test_kill();
	test_repair();
	test_thousand();
	char cmd[300];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	if (system(cmd) != 0)
		diag("could not remove %s", root);
	return done_testing();
}
