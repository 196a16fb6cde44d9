/*
 * qstore.c - the quarantine store: one file per entry, written crash-safely, and an index.
 *
 * SYNOPSIS
 *	struct qstore *qstore_open(dir, flags, err, errlen)
 *	int qstore_put(q, item, err, errlen)
 *	int qstore_open_entry(q, id, &meta)
 *	int qstore_delete(q, id)
 *	int qstore_repair(q, &added, &removed, err, errlen)
 *	int qstore_release_valid(q, id, token, max_age)
 *
 * DESCRIPTION
 *	Layout of DIR: q/ID (the entries), tmp/ (entries being written),
 *	index.sqlite (qindex_sqlite.c). An entry file is a block of
 *	"key value" lines (the fields the index holds, so that the index can
 *	be rebuilt from the files), "meta {JSON}" with the full metadata, an
 *	empty line, then the message exactly as received:
 *
 *	    PORTCULLIS-QUARANTINE 1
 *	    id 01J...  time 1700000000  queue-id ...  client-addr ...
 *	    mail-from ...  from-domain ...  subject ...  score 12.5
 *	    action quarantine  rcpt ... (one line each)  rule ... (one line each)
 *	    meta {...}
 *	    (empty line)
 *	    Received: ...
 *
 *	A put writes tmp/ID.N, fsyncs it, renames it to q/ID (never over an
 *	existing file), fsyncs q/, and only then adds the index row. So a
 *	crash at any point leaves either the whole entry or none (a stray
 *	temp file, which repair removes); an entry whose index row is missing
 *	is added back by repair, and a row whose file is gone is dropped.
 *	Ids are ULIDs (Crockford base32, 26 characters): nothing else is
 *	accepted, so no id can name a path outside q/.
 *
 * THREAD SAFETY
 *	qstore_put and the rest may be called from many threads at once: the
 *	files are per entry and the index serialises itself.
 *
 * DIAGNOSTICS
 *	Failures return -1 with a reason in the caller's buffer (or errno);
 *	a durable entry whose index row could not be written is logged as a
 *	warning (repair fixes it).
 */
#include "config.h"

#include "qstore.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "log.h"

#define QSTORE_MAGIC "PORTCULLIS-QUARANTINE 1"
#define PATH_CAP 4096
#define WBUF 65536
#define HEAD_LINE_MAX (1024 * 1024)

struct qstore {
	char *dir;                    /* owned */
	int shared;                   /* group access */
	struct qindex *ix;            /* owned */
	const struct qstore_ops *ops; /* borrowed: the test's, or NULL */
	atomic_uint seq;              /* makes temp names unique within the process */
};

struct qwriter {
	int fd;
	const struct qstore_ops *ops; /* borrowed */
	size_t n;                     /* bytes in buf */
	long long total;              /* message bytes written (after the head) */
	int counting;                 /* the head is done: count what follows */
	int err;                      /* errno of the first failure, 0 if none */
	char buf[WBUF];
};

/* sys_rename - rename that never replaces */
static int sys_rename(const char *from, const char *to)
{
	return renameat2(AT_FDCWD, from, AT_FDCWD, to, RENAME_NOREPLACE);
}

/* do_write - the ops' write, or write(2) */
static ssize_t do_write(const struct qstore_ops *o, int fd, const void *p, size_t n)
{
	return o && o->write ? o->write(fd, p, n) : write(fd, p, n);
}

/* do_fsync - the ops' fsync, or fsync(2) */
static int do_fsync(const struct qstore_ops *o, int fd)
{
	return o && o->fsync ? o->fsync(fd) : fsync(fd);
}

/* step - tell the test hook a step is done */
static void step(const struct qstore_ops *o, enum qstore_step s)
{
	if (o && o->after)
		o->after(s);
}

/* qstore_id_valid - a ULID and nothing else */
int qstore_id_valid(const char *id, size_t len)
{
	static const char b32[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
	if (id == NULL || len != QID_LEN)
		return 0;
	for (size_t i = 0; i < len; i++)
		if (id[i] == '\0' || strchr(b32, id[i]) == NULL)
			return 0;
	return id[0] <= '7'; /* 48 bits of time: the first character holds 3 */
}

/* qstore_path - q/ID */
int qstore_path(const struct qstore *q, const char *id, char *out, size_t len)
{
	if (!qstore_id_valid(id, strlen(id)))
		return -1;
	int n = snprintf(out, len, "%s/q/%s", q->dir, id);
	return n < 0 || (size_t)n >= len ? -1 : 0;
}

/* make_dir - mkdir with the store's mode (existing is fine) */
static int make_dir(const char *path, int shared)
{
	if (mkdir(path, shared ? 02770 : 0700) == 0)
		return chmod(path, shared ? 02770 : 0700); /* past the umask */
	return errno == EEXIST ? 0 : -1;
}

/* qstore_open - the directories and the index */
struct qstore *qstore_open(const char *dir, int flags, char *err, size_t errlen)
{
	char path[PATH_CAP], ebuf[128];
	int shared = (flags & QSTORE_SHARED) != 0;
	if (flags & QSTORE_CREATE) {
		const char *sub[] = {"", "/q", "/tmp"};
		for (size_t i = 0; i < ARRAY_LEN(sub); i++) {
			snprintf(path, sizeof(path), "%s%s", dir, sub[i]);
			if (make_dir(path, shared) < 0) {
				snprintf(err, errlen, "mkdir %s: %s", path,
					 log_strerror(errno, ebuf, sizeof(ebuf)));
				return NULL;
			}
		}
	}
	snprintf(path, sizeof(path), "%s/q", dir);
	if (access(path, R_OK | W_OK | X_OK) < 0) {
		snprintf(err, errlen, "%s: %s", path, log_strerror(errno, ebuf, sizeof(ebuf)));
		return NULL;
	}
	struct qstore *q = calloc(1, sizeof(*q));
	if (q == NULL || (q->dir = strdup(dir)) == NULL) {
		free(q);
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	q->shared = shared;
	snprintf(path, sizeof(path), "%s/index.sqlite", dir);
	if ((q->ix = qindex_sqlite_open(path, shared, err, errlen)) == NULL) {
		qstore_close(q);
		return NULL;
	}
	return q;
}

/* qstore_close - release */
void qstore_close(struct qstore *q)
{
	if (q == NULL)
		return;
	if (q->ix)
		q->ix->ops->close(q->ix);
	free(q->dir);
	free(q);
}

/* qstore_set_ops - the test hook */
void qstore_set_ops(struct qstore *q, const struct qstore_ops *ops)
{
	q->ops = ops;
}

/* qstore_index - borrowed */
struct qindex *qstore_index(struct qstore *q)
{
	return q->ix;
}

/* qstore_dir - borrowed */
const char *qstore_dir(const struct qstore *q)
{
	return q->dir;
}

/* flush - write out the buffer */
static int flush(struct qwriter *w)
{
	size_t off = 0;
	while (w->err == 0 && off < w->n) {
		ssize_t r = do_write(w->ops, w->fd, w->buf + off, w->n - off);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			w->err = r < 0 ? errno : EIO;
		else
			off += (size_t)r;
	}
	w->n = 0;
	return w->err ? -1 : 0;
}

/* qwriter_put - buffered append */
int qwriter_put(struct qwriter *w, const void *p, size_t n)
{
	const char *s = p;
	if (w->counting)
		w->total += (long long)n;
	while (n > 0) {
		if (w->err)
			return -1;
		size_t k = WBUF - w->n < n ? WBUF - w->n : n;
		memcpy(w->buf + w->n, s, k);
		w->n += k;
		s += k;
		n -= k;
		if (w->n == WBUF && flush(w) < 0)
			return -1;
	}
	return w->err ? -1 : 0;
}

/* head_line - "key value\n" with CR, LF and other controls in value made spaces */
static int head_line(struct buf *b, const char *key, const char *value)
{
	if (buf_printf(b, "%s ", key) != BUF_OK)
		return -1;
	for (const char *p = value ? value : ""; *p; p++)
		if (buf_add(b, (unsigned char)*p < 0x20 ? " " : p, 1) != BUF_OK)
			return -1;
	return buf_adds(b, "\n") == BUF_OK ? 0 : -1;
}

/* one_line - s with control characters as spaces, as head_line writes it (malloc'd) */
static char *one_line(const char *s)
{
	char *d = strdup(s ? s : "");
	for (char *p = d; p && *p; p++)
		if ((unsigned char)*p < 0x20)
			*p = ' ';
	return d;
}

/* make_head - the key-value block that starts an entry file */
static int make_head(struct buf *b, const struct qstore_item *it)
{
	const struct qentry *e = &it->e;
	int rc = buf_adds(b, QSTORE_MAGIC "\n") | head_line(b, "id", e->id) |
		 buf_printf(b, "time %lld\n", e->time) | head_line(b, "queue-id", e->queue_id) |
		 head_line(b, "client-addr", e->client_addr) |
		 head_line(b, "mail-from", e->mail_from) |
		 head_line(b, "from-domain", e->from_domain) | head_line(b, "subject", e->subject) |
		 buf_printf(b, "score %.17g\n", e->score) | head_line(b, "action", e->action);
	for (size_t i = 0; i < e->nrcpt; i++)
		rc |= head_line(b, "rcpt", e->rcpts[i]);
	for (size_t i = 0; i < e->nrule; i++)
		rc |= head_line(b, "rule", e->rules[i]);
	rc |= head_line(b, "meta", it->meta_json ? it->meta_json : "{}") | buf_adds(b, "\n");
	return rc ? -1 : 0;
}

/* sync_dir - fsync a directory so that a rename or unlink in it is durable */
static int sync_dir(const struct qstore *q, const char *sub)
{
	char path[PATH_CAP];
	snprintf(path, sizeof(path), "%s/%s", q->dir, sub);
	int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	int rc = do_fsync(q->ops, fd);
	int e = errno;
	close(fd);
	errno = e;
	return rc;
}

/* write_tmp - the whole entry into an open temp file, synced; -1 with errno */
static int write_tmp(const struct qstore *q, int fd, const struct qstore_item *it, long long *size)
{
	struct qwriter *w = calloc(1, sizeof(*w));
	struct buf head;
	buf_init(&head, 0);
	if (w == NULL || make_head(&head, it) < 0) {
		free(w);
		buf_free(&head);
		errno = ENOMEM;
		return -1;
	}
	w->fd = fd;
	w->ops = q->ops;
	int rc = qwriter_put(w, head.data, head.len);
	buf_free(&head);
	w->counting = 1;
	if (rc == 0 && it->write_msg && it->write_msg(it->arg, w) < 0 && w->err == 0)
		w->err = EIO; /* the source failed (a spool read error) */
	if (flush(w) < 0) {
		errno = w->err;
		free(w);
		return -1;
	}
	*size = w->total;
	free(w);
	step(q->ops, QS_WROTE);
	if (do_fsync(q->ops, fd) < 0)
		return -1;
	step(q->ops, QS_SYNCED);
	return 0;
}

/* qstore_put - crash-safe write, then the index */
int qstore_put(struct qstore *q, const struct qstore_item *it, char *err, size_t errlen)
{
	char tmp[PATH_CAP], final[PATH_CAP], ebuf[128];
	const char *what = "open";
	if (qstore_path(q, it->e.id, final, sizeof(final)) < 0) {
		snprintf(err, errlen, "invalid quarantine id '%s'", it->e.id);
		return -1;
	}
	snprintf(tmp, sizeof(tmp), "%s/tmp/%s.%ld.%u", q->dir, it->e.id, (long)getpid(),
		 atomic_fetch_add(&q->seq, 1));
	int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, q->shared ? 0660 : 0600);
	long long size = 0;
	if (fd < 0)
		goto fail;
	what = "write";
	int rc = write_tmp(q, fd, it, &size);
	int e = errno;
	if (close(fd) < 0 && rc == 0) {
		rc = -1;
		e = errno;
	}
	errno = e;
	if (rc < 0)
		goto fail_unlink;
	what = "rename";
	if ((q->ops && q->ops->rename ? q->ops->rename(tmp, final) : sys_rename(tmp, final)) < 0)
		goto fail_unlink;
	step(q->ops, QS_RENAMED);
	if (sync_dir(q, "q") < 0) {
		/* not known to be durable: take it back, so that failure means nothing stored */
		e = errno;
		unlink(final);
		errno = e;
		what = "fsync of the directory";
		goto fail;
	}
	step(q->ops, QS_DIRSYNCED);
	struct qentry row = it->e;
	char *subject = one_line(it->e.subject);
	row.subject = subject ? subject : "";
	row.size = size;
	row.state = (char *)QSTATE_HELD;
	row.released = 0;
	row.released_by = row.token = NULL;
	if (q->ix->ops->put(q->ix, &row) < 0)
		log_warn("quarantine %s stored, but the index was not updated (%s): "
			 "`portcullis quarantine repair` adds it",
			 it->e.id, q->ix->ops->error(q->ix));
	free(subject);
	step(q->ops, QS_INDEXED);
	return 0;
fail_unlink:
	e = errno;
	unlink(tmp);
	errno = e;
fail:
	snprintf(err, errlen, "%s %s: %s", what, what[0] == 'r' ? final : tmp,
		 log_strerror(errno, ebuf, sizeof(ebuf)));
	return -1;
}

/* set_field - one "key value" line of an entry file into e; -1 on memory */
static int set_field(struct qentry *e, const char *key, const char *v, char **meta)
{
	static const struct {
		const char *key;
		size_t off;
	} strs[] = {{"queue-id", offsetof(struct qentry, queue_id)},
		    {"client-addr", offsetof(struct qentry, client_addr)},
		    {"mail-from", offsetof(struct qentry, mail_from)},
		    {"from-domain", offsetof(struct qentry, from_domain)},
		    {"subject", offsetof(struct qentry, subject)},
		    {"action", offsetof(struct qentry, action)}};
	for (size_t i = 0; i < ARRAY_LEN(strs); i++)
		if (strcmp(key, strs[i].key) == 0) {
			char **slot = (char **)(void *)((char *)e + strs[i].off);
			free(*slot);
			return (*slot = strdup(v)) ? 0 : -1;
		}
	if (strcmp(key, "id") == 0)
		snprintf(e->id, sizeof(e->id), "%s", v);
	else if (strcmp(key, "time") == 0)
		e->time = strtoll(v, NULL, 10);
	else if (strcmp(key, "score") == 0)
		e->score = strtod(v, NULL);
	else if (strcmp(key, "meta") == 0 && meta) {
		free(*meta);
		return (*meta = strdup(v)) ? 0 : -1;
	} else if (strcmp(key, "rcpt") == 0 || strcmp(key, "rule") == 0) {
		char ***v_ = key[1] == 'c' ? &e->rcpts : &e->rules;
		size_t *n = key[1] == 'c' ? &e->nrcpt : &e->nrule;
		char **nv = realloc(*v_, (*n + 1) * sizeof(*nv));
		if (nv == NULL)
			return -1;
		*v_ = nv;
		return (nv[*n] = strdup(v)) ? ((*n)++, 0) : -1;
	}
	return 0; /* a key from a later version: ignored */
}

/* read_head - parse the key-value block; *off gets the message's offset. -1 with errno
 * (EINVAL: not an entry file) */
static int read_head(FILE *fp, struct qentry *e, char **meta, long long *off)
{
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	int rc = -1, first = 1;
	memset(e, 0, sizeof(*e));
	errno = EINVAL;
	while ((n = getline(&line, &cap, fp)) > 0 && n < HEAD_LINE_MAX) {
		if (line[n - 1] != '\n')
			break; /* cut short: an incomplete file */
		line[--n] = '\0';
		if (first) {
			if (strcmp(line, QSTORE_MAGIC) != 0)
				break;
			first = 0;
			continue;
		}
		if (n == 0) {
			rc = e->id[0] ? 0 : -1;
			break;
		}
		char *sp = strchr(line, ' ');
		if (sp)
			*sp = '\0';
		if (set_field(e, line, sp ? sp + 1 : "", meta) < 0) {
			errno = ENOMEM;
			break;
		}
	}
	free(line);
	*off = ftello(fp);
	if (rc < 0)
		qentry_free(e);
	return rc;
}

/* qstore_open_entry - the message's fd, the metadata */
int qstore_open_entry(const struct qstore *q, const char *id, char **meta)
{
	char path[PATH_CAP];
	*meta = NULL;
	if (qstore_path(q, id, path, sizeof(path)) < 0) {
		errno = EINVAL;
		return -1;
	}
	FILE *fp = fopen(path, "rbe");
	if (fp == NULL)
		return -1;
	struct qentry e;
	long long off;
	int fd = -1;
	if (read_head(fp, &e, meta, &off) == 0) {
		qentry_free(&e);
		fd = dup(fileno(fp));
		if (fd >= 0 && lseek(fd, (off_t)off, SEEK_SET) < 0) {
			close(fd);
			fd = -1;
		}
	}
	int err = errno;
	fclose(fp);
	if (fd < 0) {
		free(*meta);
		*meta = NULL;
	}
	errno = err;
	return fd;
}

/* qstore_delete - file, directory sync, index */
int qstore_delete(struct qstore *q, const char *id)
{
	char path[PATH_CAP];
	if (qstore_path(q, id, path, sizeof(path)) < 0) {
		errno = EINVAL;
		return -1;
	}
	int gone = unlink(path) < 0 ? errno : 0;
	if (gone && gone != ENOENT)
		return -1;
	if (!gone && sync_dir(q, "q") < 0)
		return -1;
	if (q->ix->ops->remove(q->ix, id) < 0) {
		errno = EIO;
		return -1;
	}
	errno = gone;
	return gone ? -1 : 0;
}

/* qstore_release_valid - a release mark that the store issued, recently */
int qstore_release_valid(struct qstore *q, const char *id, const char *token, long long max_age)
{
	if (!qstore_id_valid(id, strlen(id)) || token == NULL || *token == '\0')
		return 0;
	struct qentry e;
	if (q->ix->ops->get(q->ix, id, &e) != 1)
		return 0;
	long long now = (long long)time(NULL);
	int ok = strcmp(e.state, QSTATE_RELEASED) == 0 && e.token && strcmp(e.token, token) == 0 &&
		 now - e.released <= max_age;
	qentry_free(&e);
	return ok;
}

/* A growable list of ids. */
struct idlist {
	char (*v)[QID_LEN + 1]; /* owned */
	size_t n, cap;
	int nomem;
};

/* idl_add - append one id */
static int idl_add(struct idlist *l, const char *id)
{
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 256;
		char(*nv)[QID_LEN + 1] = realloc(l->v, cap * sizeof(*nv));
		if (nv == NULL) {
			l->nomem = 1;
			return -1;
		}
		l->v = nv;
		l->cap = cap;
	}
	snprintf(l->v[l->n++], QID_LEN + 1, "%s", id);
	return 0;
}

/* cmp_id - qsort order */
static int cmp_id(const void *a, const void *b)
{
	return strcmp(a, b);
}

/* collect_row - an index row's id into the list */
static int collect_row(void *arg, const struct qentry *e)
{
	return idl_add(arg, e->id) < 0;
}

/* scan_dir - the ids of the files in q/ (sorted); with clean, remove every file instead
 * (tmp/) */
static int scan_dir(const struct qstore *q, const char *sub, int clean, struct idlist *l)
{
	char path[PATH_CAP];
	snprintf(path, sizeof(path), "%s/%s", q->dir, sub);
	DIR *d = opendir(path);
	if (d == NULL)
		return -1;
	struct dirent *de;
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (clean) {
			if (unlinkat(dirfd(d), de->d_name, 0) < 0)
				log_warn("cannot remove %s/%s", path, de->d_name);
		} else if (qstore_id_valid(de->d_name, strlen(de->d_name)) &&
			   idl_add(l, de->d_name) < 0)
			break;
	}
	closedir(d);
	if (l && l->nomem)
		return -1;
	if (l && l->n > 1) /* (qsort's array may not be NULL, even when empty) */
		qsort(l->v, l->n, sizeof(*l->v), cmp_id);
	return 0;
}

/* add_from_file - an index row from an entry file; -1 when the file is not an entry */
static int add_from_file(struct qstore *q, const char *id)
{
	char path[PATH_CAP];
	if (qstore_path(q, id, path, sizeof(path)) < 0)
		return -1;
	FILE *fp = fopen(path, "rbe");
	if (fp == NULL)
		return -1;
	struct qentry e;
	long long off;
	struct stat st;
	int rc = read_head(fp, &e, NULL, &off);
	if (rc == 0 && fstat(fileno(fp), &st) == 0 && strcmp(e.id, id) == 0) {
		e.size = (long long)st.st_size - off;
		rc = q->ix->ops->put(q->ix, &e);
	} else if (rc == 0)
		rc = -1;
	if (rc == 0 || e.id[0])
		qentry_free(&e);
	fclose(fp);
	return rc;
}

/* qstore_repair - the index from the files */
int qstore_repair(struct qstore *q, size_t *added, size_t *removed, char *err, size_t errlen)
{
	struct idlist files = {0}, rows = {0};
	struct qfilter all = {.oldest_first = 1};
	size_t nadd = 0, nrem = 0;
	int rc = -1;
	char ebuf[128];
	if (scan_dir(q, "tmp", 1, NULL) < 0 || scan_dir(q, "q", 0, &files) < 0) {
		snprintf(err, errlen, "cannot read %s: %s", q->dir,
			 log_strerror(errno, ebuf, sizeof(ebuf)));
		goto done;
	}
	if (q->ix->ops->list(q->ix, &all, collect_row, &rows) < 0 || rows.nomem) {
		snprintf(err, errlen, "index: %s",
			 rows.nomem ? "out of memory" : q->ix->ops->error(q->ix));
		goto done;
	}
	if (q->ix->ops->begin(q->ix) < 0) {
		snprintf(err, errlen, "index: %s", q->ix->ops->error(q->ix));
		goto done;
	}
	size_t i = 0, j = 0;
	while (i < files.n || j < rows.n) {
		int c = i == files.n ? 1 : j == rows.n ? -1 : strcmp(files.v[i], rows.v[j]);
		if (c < 0) { /* a file without a row */
			if (add_from_file(q, files.v[i]) == 0)
				nadd++;
			else
				log_warn("%s/q/%s is not a complete quarantine entry: left alone",
					 q->dir, files.v[i]);
			i++;
		} else if (c > 0) { /* a row without a file */
			if (q->ix->ops->remove(q->ix, rows.v[j]) == 0)
				nrem++;
			j++;
		} else {
			i++;
			j++;
		}
	}
	if (q->ix->ops->commit(q->ix) < 0) {
		snprintf(err, errlen, "index: %s", q->ix->ops->error(q->ix));
		goto done;
	}
	rc = 0;
done:
	free(files.v);
	free(rows.v);
	if (added)
		*added = nadd;
	if (removed)
		*removed = nrem;
	return rc;
}
