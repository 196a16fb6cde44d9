/*
 * qindex_sqlite.c - the quarantine index in an SQLite database.
 *
 * SYNOPSIS
 *	struct qindex *qindex_sqlite_open(path, shared, err, errlen)
 *
 * DESCRIPTION
 *	Tables: entry (one row per entry, WITHOUT ROWID, keyed by the id,
 *	which sorts by time), rcpt and hit (one row per recipient and per
 *	rule, for filtering), with indexes on time, sender, From domain,
 *	recipient and rule. WAL journal, so that the CLI reads while the
 *	daemon writes; a busy timeout of 10 s. PRAGMA user_version holds the
 *	schema version (1). The index is derived data: qstore_repair rebuilds
 *	it from the entry files.
 *
 * THREAD SAFETY
 *	One mutex serialises every operation on a handle.
 *
 * DIAGNOSTICS
 *	Each operation returns -1 on failure; ops->error gives SQLite's text.
 */
#include "config.h"

#include "qindex.h"

#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"

struct sqlite_index {
	struct qindex base;
	sqlite3 *db;          /* owned */
	pthread_mutex_t lock; /* serialises every use of db */
	char err[256];        /* the last error */
};

static const char schema[] =
    "CREATE TABLE IF NOT EXISTS entry(id TEXT PRIMARY KEY, time INTEGER NOT NULL,"
    " queue_id TEXT, client_addr TEXT, mail_from TEXT COLLATE NOCASE,"
    " from_domain TEXT COLLATE NOCASE, subject TEXT, score REAL, action TEXT, size INTEGER,"
    " state TEXT NOT NULL DEFAULT 'held', released INTEGER NOT NULL DEFAULT 0,"
    " released_by TEXT, token TEXT, rcpts TEXT, rules TEXT) WITHOUT ROWID;"
    "CREATE TABLE IF NOT EXISTS rcpt(id TEXT NOT NULL, addr TEXT COLLATE NOCASE);"
    "CREATE TABLE IF NOT EXISTS hit(id TEXT NOT NULL, rule TEXT);"
    "CREATE INDEX IF NOT EXISTS entry_time ON entry(time);"
    "CREATE INDEX IF NOT EXISTS entry_sender ON entry(mail_from);"
    "CREATE INDEX IF NOT EXISTS entry_domain ON entry(from_domain);"
    "CREATE INDEX IF NOT EXISTS rcpt_addr ON rcpt(addr);"
    "CREATE INDEX IF NOT EXISTS rcpt_id ON rcpt(id);"
    "CREATE INDEX IF NOT EXISTS hit_rule ON hit(rule);"
    "CREATE INDEX IF NOT EXISTS hit_id ON hit(id);";

/* six - the handle behind the interface */
static struct sqlite_index *six(struct qindex *ix)
{
	return (struct sqlite_index *)(void *)ix;
}

/* fail - remember SQLite's error; -1 */
static int fail(struct sqlite_index *s, const char *what)
{
	snprintf(s->err, sizeof(s->err), "%s: %s", what, sqlite3_errmsg(s->db));
	return -1;
}

/* exec - run SQL without results */
static int exec(struct sqlite_index *s, const char *sql)
{
	char *msg = NULL;
	if (sqlite3_exec(s->db, sql, NULL, NULL, &msg) == SQLITE_OK)
		return 0;
	snprintf(s->err, sizeof(s->err), "%s", msg ? msg : "sqlite error");
	sqlite3_free(msg);
	return -1;
}

/* join - words joined by a space, malloc'd */
static char *join(char *const *v, size_t n)
{
	struct buf b;
	buf_init(&b, 0);
	for (size_t i = 0; i < n; i++)
		if (buf_adds(&b, i ? " " : "") != BUF_OK || buf_adds(&b, v[i]) != BUF_OK) {
			buf_free(&b);
			return NULL;
		}
	if (b.data == NULL && buf_adds(&b, "") != BUF_OK)
		return NULL;
	return buf_steal(&b);
}

/* split - the words of s into a new array; -1 on memory */
static int split(const char *s, char ***out, size_t *n)
{
	*out = NULL;
	*n = 0;
	size_t cap = 0;
	while (s && *s) {
		while (*s == ' ')
			s++;
		size_t len = strcspn(s, " ");
		if (len == 0)
			break;
		if (*n == cap) {
			cap = cap ? cap * 2 : 4;
			char **nv = realloc(*out, cap * sizeof(*nv));
			if (nv == NULL)
				return -1;
			*out = nv;
		}
		if (((*out)[*n] = strndup(s, len)) == NULL)
			return -1;
		(*n)++;
		s += len;
	}
	return 0;
}

/* qentry_free - release the strings */
void qentry_free(struct qentry *e)
{
	free(e->queue_id);
	free(e->client_addr);
	free(e->mail_from);
	free(e->from_domain);
	free(e->subject);
	free(e->action);
	for (size_t i = 0; i < e->nrcpt; i++)
		free(e->rcpts[i]);
	free(e->rcpts);
	for (size_t i = 0; i < e->nrule; i++)
		free(e->rules[i]);
	free(e->rules);
	free(e->state);
	free(e->released_by);
	free(e->token);
	memset(e, 0, sizeof(*e));
}

/* bind_text - a text parameter (NULL binds NULL) */
static int bind_text(sqlite3_stmt *st, int i, const char *v)
{
	return v ? sqlite3_bind_text(st, i, v, -1, SQLITE_TRANSIENT) : sqlite3_bind_null(st, i);
}

/* one_row - run a statement with many rows of one (id, value) list */
static int put_list(struct sqlite_index *s, const char *sql, const char *id, char *const *v,
		    size_t n)
{
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK)
		return fail(s, "prepare");
	int rc = 0;
	for (size_t i = 0; rc == 0 && i < n; i++) {
		sqlite3_reset(st);
		if (bind_text(st, 1, id) || bind_text(st, 2, v[i]) ||
		    sqlite3_step(st) != SQLITE_DONE)
			rc = fail(s, "insert");
	}
	sqlite3_finalize(st);
	return rc;
}

/* del_rows - the rows of id in every table */
static int del_rows(struct sqlite_index *s, const char *id)
{
	static const char *const sql[] = {"DELETE FROM entry WHERE id = ?1",
					  "DELETE FROM rcpt WHERE id = ?1",
					  "DELETE FROM hit WHERE id = ?1"};
	for (size_t i = 0; i < ARRAY_LEN(sql); i++) {
		sqlite3_stmt *st;
		if (sqlite3_prepare_v2(s->db, sql[i], -1, &st, NULL) != SQLITE_OK)
			return fail(s, "prepare");
		int ok = bind_text(st, 1, id) == SQLITE_OK && sqlite3_step(st) == SQLITE_DONE;
		sqlite3_finalize(st);
		if (!ok)
			return fail(s, "delete");
	}
	return 0;
}

/* put_locked - the rows of one entry (in the caller's transaction) */
static int put_locked(struct sqlite_index *s, const struct qentry *e)
{
	if (del_rows(s, e->id) < 0)
		return -1;
	char *rcpts = join(e->rcpts, e->nrcpt), *rules = join(e->rules, e->nrule);
	sqlite3_stmt *st = NULL;
	int rc = -1;
	if (rcpts == NULL || rules == NULL) {
		snprintf(s->err, sizeof(s->err), "out of memory");
		goto done;
	}
	if (sqlite3_prepare_v2(s->db,
			       "INSERT INTO entry(id, time, queue_id, client_addr, mail_from,"
			       " from_domain, subject, score, action, size, state, released,"
			       " released_by, token, rcpts, rules)"
			       " VALUES(?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14,?15,?16)",
			       -1, &st, NULL) != SQLITE_OK) {
		rc = fail(s, "prepare");
		goto done;
	}
	int b = bind_text(st, 1, e->id) | sqlite3_bind_int64(st, 2, e->time) |
		bind_text(st, 3, e->queue_id ? e->queue_id : "") |
		bind_text(st, 4, e->client_addr) | bind_text(st, 5, e->mail_from) |
		bind_text(st, 6, e->from_domain) | bind_text(st, 7, e->subject) |
		sqlite3_bind_double(st, 8, e->score) | bind_text(st, 9, e->action) |
		sqlite3_bind_int64(st, 10, e->size) |
		bind_text(st, 11, e->state ? e->state : QSTATE_HELD) |
		sqlite3_bind_int64(st, 12, e->released) | bind_text(st, 13, e->released_by) |
		bind_text(st, 14, e->token) | bind_text(st, 15, rcpts) | bind_text(st, 16, rules);
	if (b != SQLITE_OK || sqlite3_step(st) != SQLITE_DONE) {
		rc = fail(s, "insert");
		goto done;
	}
	rc = put_list(s, "INSERT INTO rcpt(id, addr) VALUES(?1, ?2)", e->id, e->rcpts, e->nrcpt);
	if (rc == 0)
		rc = put_list(s, "INSERT INTO hit(id, rule) VALUES(?1, ?2)", e->id, e->rules,
			      e->nrule);
done:
	sqlite3_finalize(st);
	free(rcpts);
	free(rules);
	return rc;
}

/* ix_put - one entry, atomically */
static int ix_put(struct qindex *ix, const struct qentry *e)
{
	struct sqlite_index *s = six(ix);
	pthread_mutex_lock(&s->lock);
	int in_tx = !sqlite3_get_autocommit(s->db);
	int rc = in_tx ? 0 : exec(s, "BEGIN IMMEDIATE");
	if (rc == 0)
		rc = put_locked(s, e);
	if (!in_tx)
		rc = rc == 0 ? exec(s, "COMMIT") : (exec(s, "ROLLBACK"), -1);
	pthread_mutex_unlock(&s->lock);
	return rc;
}

/* ix_remove - forget one entry */
static int ix_remove(struct qindex *ix, const char *id)
{
	struct sqlite_index *s = six(ix);
	pthread_mutex_lock(&s->lock);
	int in_tx = !sqlite3_get_autocommit(s->db);
	int rc = in_tx ? 0 : exec(s, "BEGIN IMMEDIATE");
	if (rc == 0)
		rc = del_rows(s, id);
	if (!in_tx)
		rc = rc == 0 ? exec(s, "COMMIT") : (exec(s, "ROLLBACK"), -1);
	pthread_mutex_unlock(&s->lock);
	return rc;
}

#define COLUMNS                                                                                    \
	"id, time, queue_id, client_addr, mail_from, from_domain, subject, score, action, size,"   \
	" state, released, released_by, token, rcpts, rules"

/* dup_col - column i as a new string ("" for NULL); -1 on memory */
static int dup_col(sqlite3_stmt *st, int i, char **out, int keep_null)
{
	const unsigned char *t = sqlite3_column_text(st, i);
	if (t == NULL && keep_null) {
		*out = NULL;
		return 0;
	}
	*out = strdup(t ? (const char *)t : "");
	return *out ? 0 : -1;
}

/* row_entry - the current row into e; -1 on memory */
static int row_entry(sqlite3_stmt *st, struct qentry *e)
{
	memset(e, 0, sizeof(*e));
	const unsigned char *id = sqlite3_column_text(st, 0);
	snprintf(e->id, sizeof(e->id), "%s", id ? (const char *)id : "");
	e->time = sqlite3_column_int64(st, 1);
	e->score = sqlite3_column_double(st, 7);
	e->size = sqlite3_column_int64(st, 9);
	e->released = sqlite3_column_int64(st, 11);
	if (dup_col(st, 2, &e->queue_id, 0) || dup_col(st, 3, &e->client_addr, 0) ||
	    dup_col(st, 4, &e->mail_from, 0) || dup_col(st, 5, &e->from_domain, 0) ||
	    dup_col(st, 6, &e->subject, 0) || dup_col(st, 8, &e->action, 0) ||
	    dup_col(st, 10, &e->state, 0) || dup_col(st, 12, &e->released_by, 1) ||
	    dup_col(st, 13, &e->token, 1) ||
	    split((const char *)sqlite3_column_text(st, 14), &e->rcpts, &e->nrcpt) ||
	    split((const char *)sqlite3_column_text(st, 15), &e->rules, &e->nrule)) {
		qentry_free(e);
		return -1;
	}
	return 0;
}

/* ix_get - one entry by id */
static int ix_get(struct qindex *ix, const char *id, struct qentry *e)
{
	struct sqlite_index *s = six(ix);
	sqlite3_stmt *st;
	pthread_mutex_lock(&s->lock);
	int rc = -1;
	if (sqlite3_prepare_v2(s->db, "SELECT " COLUMNS " FROM entry WHERE id = ?1", -1, &st,
			       NULL) != SQLITE_OK) {
		rc = fail(s, "prepare");
		pthread_mutex_unlock(&s->lock);
		return rc;
	}
	if (bind_text(st, 1, id) != SQLITE_OK)
		rc = fail(s, "bind");
	else {
		int step = sqlite3_step(st);
		if (step == SQLITE_ROW)
			rc = row_entry(st, e) == 0 ? 1 : -1;
		else if (step == SQLITE_DONE)
			rc = 0;
		else
			rc = fail(s, "select");
	}
	sqlite3_finalize(st);
	pthread_mutex_unlock(&s->lock);
	return rc;
}

/* pattern - a user's value as a LIKE pattern: '*' becomes '%', LIKE's own specials escaped */
static char *pattern(const char *v)
{
	size_t n = strlen(v);
	char *p = malloc(2 * n + 1);
	if (p == NULL)
		return NULL;
	size_t j = 0;
	for (size_t i = 0; i < n; i++) {
		if (v[i] == '%' || v[i] == '_' || v[i] == '\\')
			p[j++] = '\\';
		p[j++] = v[i] == '*' ? '%' : v[i];
	}
	p[j] = '\0';
	return p;
}

/* where - the WHERE clause of a filter; parameters in binds (borrowed or owned below) */
static int where(struct buf *sql, const struct qfilter *f, const char **binds, size_t *nb)
{
	int rc = 0;
	*nb = 0;
	rc |= buf_adds(sql, " WHERE 1");
	if (f->since)
		rc |= buf_printf(sql, " AND time >= %lld", f->since);
	if (f->until)
		rc |= buf_printf(sql, " AND time < %lld", f->until);
	if (f->has_min)
		rc |= buf_printf(sql, " AND score >= %.17g", f->score_min);
	if (f->has_max)
		rc |= buf_printf(sql, " AND score <= %.17g", f->score_max);
	if (f->sender) {
		binds[(*nb)++] = f->sender;
		rc |= buf_printf(sql, " AND mail_from LIKE ?%zu ESCAPE '\\'", *nb);
	}
	if (f->from_domain) {
		binds[(*nb)++] = f->from_domain;
		rc |= buf_printf(sql, " AND from_domain LIKE ?%zu ESCAPE '\\'", *nb);
	}
	if (f->state) {
		binds[(*nb)++] = f->state;
		rc |= buf_printf(sql, " AND state = ?%zu", *nb);
	}
	if (f->rcpt) {
		binds[(*nb)++] = f->rcpt;
		rc |= buf_printf(
		    sql, " AND id IN (SELECT id FROM rcpt WHERE addr LIKE ?%zu ESCAPE '\\')", *nb);
	}
	if (f->rule) {
		binds[(*nb)++] = f->rule;
		rc |= buf_printf(sql, " AND id IN (SELECT id FROM hit WHERE rule = ?%zu)", *nb);
	}
	rc |= buf_printf(sql, " ORDER BY id %s", f->oldest_first ? "ASC" : "DESC");
	if (f->limit)
		rc |= buf_printf(sql, " LIMIT %zu", f->limit);
	return rc ? -1 : 0;
}

/* ix_list - the selected entries to cb */
static int ix_list(struct qindex *ix, const struct qfilter *f, qentry_cb cb, void *arg)
{
	struct sqlite_index *s = six(ix);
	struct buf sql;
	buf_init(&sql, 0);
	const char *binds[8];
	size_t nb;
	if (buf_adds(&sql, "SELECT " COLUMNS " FROM entry") != BUF_OK ||
	    where(&sql, f, binds, &nb) < 0) {
		buf_free(&sql);
		snprintf(s->err, sizeof(s->err), "out of memory");
		return -1;
	}
	pthread_mutex_lock(&s->lock);
	sqlite3_stmt *st;
	int rc = 0;
	if (sqlite3_prepare_v2(s->db, sql.data, -1, &st, NULL) != SQLITE_OK)
		rc = fail(s, "prepare");
	for (size_t i = 0; rc == 0 && i < nb; i++) {
		int like = binds[i] != f->rule && binds[i] != f->state;
		char *p = like ? pattern(binds[i]) : NULL;
		if ((like && p == NULL) ||
		    bind_text(st, (int)i + 1, like ? p : binds[i]) != SQLITE_OK)
			rc = fail(s, "bind");
		free(p);
	}
	int step;
	while (rc == 0 && (step = sqlite3_step(st)) == SQLITE_ROW) {
		struct qentry e;
		if (row_entry(st, &e) < 0) {
			snprintf(s->err, sizeof(s->err), "out of memory");
			rc = -1;
			break;
		}
		int stop = cb(arg, &e);
		qentry_free(&e);
		if (stop)
			break;
	}
	if (rc == 0 && step != SQLITE_ROW && step != SQLITE_DONE)
		rc = fail(s, "select");
	if (st)
		sqlite3_finalize(st);
	pthread_mutex_unlock(&s->lock);
	buf_free(&sql);
	return rc;
}

/* ix_set_state - mark released (or held again) */
static int ix_set_state(struct qindex *ix, const char *id, const char *state, long long when,
			const char *by, const char *token)
{
	struct sqlite_index *s = six(ix);
	sqlite3_stmt *st;
	pthread_mutex_lock(&s->lock);
	int rc = 0;
	if (sqlite3_prepare_v2(s->db,
			       "UPDATE entry SET state = ?5, released = ?2,"
			       " released_by = ?3, token = ?4 WHERE id = ?1",
			       -1, &st, NULL) != SQLITE_OK)
		rc = fail(s, "prepare");
	else {
		if ((bind_text(st, 1, id) | sqlite3_bind_int64(st, 2, when) | bind_text(st, 3, by) |
		     bind_text(st, 4, token) | bind_text(st, 5, state)) != SQLITE_OK ||
		    sqlite3_step(st) != SQLITE_DONE)
			rc = fail(s, "update");
		else if (sqlite3_changes(s->db) == 0) {
			snprintf(s->err, sizeof(s->err), "no entry %s in the index", id);
			rc = -1;
		}
		sqlite3_finalize(st);
	}
	pthread_mutex_unlock(&s->lock);
	return rc;
}

/* ix_begin - start a transaction (the caller holds it until ix_commit) */
static int ix_begin(struct qindex *ix)
{
	struct sqlite_index *s = six(ix);
	pthread_mutex_lock(&s->lock);
	int rc = exec(s, "BEGIN IMMEDIATE");
	pthread_mutex_unlock(&s->lock);
	return rc;
}

/* ix_commit - end it */
static int ix_commit(struct qindex *ix)
{
	struct sqlite_index *s = six(ix);
	pthread_mutex_lock(&s->lock);
	int rc = exec(s, "COMMIT");
	pthread_mutex_unlock(&s->lock);
	return rc;
}

/* ix_error - the last error */
static const char *ix_error(struct qindex *ix)
{
	return six(ix)->err;
}

/* ix_close - release */
static void ix_close(struct qindex *ix)
{
	struct sqlite_index *s = six(ix);
	if (s == NULL)
		return;
	sqlite3_close(s->db);
	pthread_mutex_destroy(&s->lock);
	free(s);
}

static const struct qindex_ops sqlite_ops = {
    .name = "sqlite",
    .close = ix_close,
    .put = ix_put,
    .remove = ix_remove,
    .get = ix_get,
    .list = ix_list,
    .set_state = ix_set_state,
    .begin = ix_begin,
    .commit = ix_commit,
    .error = ix_error,
};

/* qindex_sqlite_open - open or create */
struct qindex *qindex_sqlite_open(const char *path, int shared, char *err, size_t errlen)
{
	struct sqlite_index *s = calloc(1, sizeof(*s));
	if (s == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	s->base.ops = &sqlite_ops;
	pthread_mutex_init(&s->lock, NULL);
	int rc = sqlite3_open_v2(
	    path, &s->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX, NULL);
	if (rc == SQLITE_OK)
		sqlite3_busy_timeout(s->db, 10000);
	if (rc != SQLITE_OK || exec(s, "PRAGMA journal_mode=WAL") < 0 ||
	    exec(s, "PRAGMA synchronous=NORMAL") < 0 || exec(s, schema) < 0 ||
	    exec(s, "PRAGMA user_version=1") < 0) {
		snprintf(err, errlen, "%s: %s", path,
			 rc != SQLITE_OK ? (s->db ? sqlite3_errmsg(s->db) : "cannot open")
					 : s->err);
		ix_close(&s->base);
		return NULL;
	}
	/* SQLite gives its -wal and -shm files the database file's mode: the directory
	 * already keeps others out, this keeps the files to the owner (and the group) */
	struct stat st;
	mode_t want = shared ? 0660 : 0600;
	if (stat(path, &st) == 0 && st.st_uid == geteuid() && (st.st_mode & 0777) != want &&
	    chmod(path, want) < 0) {
		snprintf(err, errlen, "%s: chmod failed", path);
		ix_close(&s->base);
		return NULL;
	}
	return &s->base;
}
