/*
 * corpus.c - the load generator's corpus: DIR/manifest.tsv and the messages it names
 *
 * corpus_load reads every message into memory once and splits its header into fields the
 * way Postfix hands them to a milter (name, then the value after the colon with folded
 * lines joined by a bare LF); corpus_add_file adds one more file with a given envelope
 * (the --hwm mode). Afterwards the corpus is read-only and shared by the worker threads.
 * Errors: "FILE:LINE: what" in err, -1 returned.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "loadgen.h"

#define MANIFEST_FIELDS 7
#define MESSAGE_MAX ((size_t)1 << 30) /* a sanity cap on one message file */

/* lg_now_ms - monotonic clock in milliseconds */
double lg_now_ms(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

/* lg_verdict_name - the verdict's name as used in the RESULT line */
const char *lg_verdict_name(enum lg_verdict v)
{
	static const char *const names[LV_COUNT] = {"accept",   "tag",     "quarantine", "reject",
						    "tempfail", "discard", "errors"};
	return v < LV_COUNT ? names[v] : "?";
}

/* fail - format an error into err; returns -1 */
static int fail(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -1;
}

/* read_file - the whole file into *data (owned by the caller), NUL-terminated */
static int read_file(const char *path, char **data, size_t *len, char *err, size_t errlen)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) < 0) {
		int e = errno;
		if (fd >= 0)
			close(fd);
		return fail(err, errlen, "%s: %s", path, strerror(e));
	}
	if (!S_ISREG(st.st_mode) || (size_t)st.st_size > MESSAGE_MAX) {
		close(fd);
		return fail(err, errlen, "%s: not a regular file of at most 1 GB", path);
	}
	size_t n = (size_t)st.st_size, got = 0;
	char *buf = malloc(n + 1);
	if (buf == NULL) {
		close(fd);
		return fail(err, errlen, "%s: out of memory", path);
	}
	while (got < n) {
		ssize_t r = read(fd, buf + got, n - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			int e = r < 0 ? errno : EIO;
			free(buf);
			close(fd);
			return fail(err, errlen, "%s: read: %s", path, strerror(e));
		}
		got += (size_t)r;
	}
	close(fd);
	buf[n] = '\0';
	*data = buf;
	*len = n;
	return 0;
}

/* field_name_ok - a header field name: printable ASCII but ':' (RFC 5322) */
static int field_name_ok(const char *s, size_t n)
{
	if (n == 0)
		return 0;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 33 || (unsigned char)s[i] > 126 || s[i] == ':')
			return 0;
	return 1;
}

/* split_header - find the header fields and the start of the body of m->data. A line that
 * is neither a field nor a continuation ends the header, as in Postfix's MIME state
 * machine; so does the empty line, which is not part of the body. */
static int split_header(struct lg_msg *m)
{
	const char *d = m->data, *end = m->data + m->len, *p = d;
	size_t cap = 0, used = 0;
	m->body_off = m->len;
	if ((m->hdrtext = malloc(m->len + 1)) == NULL)
		return -1;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *next = nl ? nl + 1 : end, *eol = nl ? nl : end;
		if (eol > p && eol[-1] == '\r')
			eol--;
		if (eol == p) { /* the empty line */
			m->body_off = (size_t)(next - d);
			break;
		}
		if (*p == ' ' || *p == '\t') {
			if (m->nhdrs == 0) {
				m->body_off = (size_t)(p - d);
				break;
			}
			/* a folded line: the value goes on after a bare LF, over the NUL */
			struct lg_header *h = &m->hdrs[m->nhdrs - 1];
			used--;
			m->hdrtext[used++] = '\n';
			memcpy(m->hdrtext + used, p, (size_t)(eol - p));
			used += (size_t)(eol - p);
			m->hdrtext[used++] = '\0';
			h->val_len += 1 + (size_t)(eol - p);
			p = next;
			continue;
		}
		const char *colon = memchr(p, ':', (size_t)(eol - p));
		const char *ne = colon;
		while (ne && ne > p && (ne[-1] == ' ' || ne[-1] == '\t'))
			ne--;
		if (colon == NULL || !field_name_ok(p, (size_t)(ne - p))) {
			m->body_off = (size_t)(p - d);
			break;
		}
		if (m->nhdrs == cap) {
			size_t ncap = cap ? cap * 2 : 32;
			struct lg_header *nh = realloc(m->hdrs, ncap * sizeof(*nh));
			if (nh == NULL)
				return -1;
			m->hdrs = nh;
			cap = ncap;
		}
		struct lg_header *h = &m->hdrs[m->nhdrs++];
		h->name_off = used;
		h->name_len = (size_t)(ne - p);
		memcpy(m->hdrtext + used, p, h->name_len);
		used += h->name_len;
		m->hdrtext[used++] = '\0';
		h->val_off = used;
		h->val_len = (size_t)(eol - colon - 1);
		memcpy(m->hdrtext + used, colon + 1, h->val_len);
		used += h->val_len;
		m->hdrtext[used++] = '\0';
		p = next;
	}
	return 0;
}

/* msg_free - what one message owns */
static void msg_free(struct lg_msg *m)
{
	free(m->path);
	free(m->data);
	free(m->hdrtext);
	free(m->hdrs);
	free(m->client_ip);
	free(m->client_name);
	free(m->helo);
	free(m->mail_from);
	for (size_t i = 0; i < m->nrcpts; i++)
		free(m->rcpts[i]);
	free(m->rcpts);
}

/* set_rcpts - split "a,b,c" into m->rcpts */
static int set_rcpts(struct lg_msg *m, const char *list)
{
	size_t n = 1;
	for (const char *s = list; *s; s++)
		n += *s == ',';
	if ((m->rcpts = calloc(n, sizeof(char *))) == NULL)
		return -1;
	for (const char *s = list;;) {
		const char *c = strchr(s, ',');
		size_t l = c ? (size_t)(c - s) : strlen(s);
		if (l > 0 && (m->rcpts[m->nrcpts++] = strndup(s, l)) == NULL)
			return -1;
		if (c == NULL)
			break;
		s = c + 1;
	}
	return m->nrcpts > 0 ? 0 : -1;
}

/* class_index - the index of class NAME, added when new; -1 when there are too many */
static int class_index(struct lg_corpus *c, const char *name)
{
	for (size_t i = 0; i < c->nclasses; i++)
		if (strcmp(c->classes[i], name) == 0)
			return (int)i;
	if (c->nclasses == LG_CLASSES_MAX || (c->classes[c->nclasses] = strdup(name)) == NULL)
		return -1;
	return (int)c->nclasses++;
}

/* grow - room for one more message */
static int grow(struct lg_corpus *c, size_t *cap)
{
	if (c->n < *cap)
		return 0;
	size_t ncap = *cap ? *cap * 2 : 256;
	struct lg_msg *nm = realloc(c->msgs, ncap * sizeof(*nm));
	if (nm == NULL)
		return -1;
	c->msgs = nm;
	*cap = ncap;
	return 0;
}

/* load_message - read and split the message file of m */
static int load_message(struct lg_msg *m, const char *file, char *err, size_t errlen)
{
	if (read_file(file, &m->data, &m->len, err, errlen) < 0)
		return -1;
	if (split_header(m) < 0)
		return fail(err, errlen, "%s: out of memory", file);
	return 0;
}

/* parse_line - one manifest line (NUL-terminated, no line end) into m */
static int parse_line(struct lg_corpus *c, const char *dir, char *line, struct lg_msg *m,
		      const char *where, char *err, size_t errlen)
{
	char *f[MANIFEST_FIELDS];
	size_t nf = 0;
	for (char *s = line; nf < MANIFEST_FIELDS; nf++) {
		f[nf] = s;
		char *t = strchr(s, '\t');
		if (t == NULL) {
			nf++;
			break;
		}
		*t = '\0';
		s = t + 1;
	}
	if (nf != MANIFEST_FIELDS || strchr(f[MANIFEST_FIELDS - 1], '\t'))
		return fail(err, errlen, "%s: want 7 TAB-separated fields", where);
	for (size_t i = 0; i < nf; i++)
		if (*f[i] == '\0')
			return fail(err, errlen, "%s: field %zu is empty", where, i + 1);
	m->path = strdup(f[0]);
	m->client_ip = strdup(f[1]);
	m->client_name = strdup(f[2]);
	m->helo = strdup(f[3]);
	m->mail_from = strdup(strcmp(f[4], "-") == 0 ? "" : f[4]);
	if (!m->path || !m->client_ip || !m->client_name || !m->helo || !m->mail_from)
		return fail(err, errlen, "%s: out of memory", where);
	if (set_rcpts(m, f[5]) < 0)
		return fail(err, errlen, "%s: bad recipient list", where);
	if ((m->cls = class_index(c, f[6])) < 0)
		return fail(err, errlen, "%s: more than %d classes", where, LG_CLASSES_MAX);
	size_t n = strlen(dir) + strlen(f[0]) + 2;
	char *file = malloc(n);
	if (file == NULL)
		return fail(err, errlen, "%s: out of memory", where);
	snprintf(file, n, "%s/%s", dir, f[0]);
	char why[LG_ERR_MAX];
	int rc = load_message(m, f[0][0] == '/' ? f[0] : file, why, sizeof(why));
	free(file);
	return rc < 0 ? fail(err, errlen, "%s: %s", where, why) : 0;
}

/* corpus_load - DIR/manifest.tsv and every message it names */
int corpus_load(const char *dir, struct lg_corpus *c, char *err, size_t errlen)
{
	memset(c, 0, sizeof(*c));
	size_t n = strlen(dir) + sizeof("/manifest.tsv");
	char *path = malloc(n), *text = NULL;
	size_t len, cap = 0, lineno = 0;
	if (path == NULL)
		return fail(err, errlen, "out of memory");
	snprintf(path, n, "%s/manifest.tsv", dir);
	if (read_file(path, &text, &len, err, errlen) < 0) {
		free(path);
		return -1;
	}
	int rc = 0;
	for (char *line = text; rc == 0 && line < text + len;) {
		char *nl = strchr(line, '\n');
		if (nl)
			*nl = '\0';
		lineno++;
		size_t l = strlen(line);
		if (l && line[l - 1] == '\r')
			line[--l] = '\0';
		if (l > 0 && line[0] != '#') {
			char where[512];
			snprintf(where, sizeof(where), "%s:%zu", path, lineno);
			if (grow(c, &cap) < 0)
				rc = fail(err, errlen, "%s: out of memory", where);
			else {
				memset(&c->msgs[c->n], 0, sizeof(c->msgs[0]));
				rc = parse_line(c, dir, line, &c->msgs[c->n++], where, err, errlen);
			}
		}
		line = nl ? nl + 1 : text + len;
	}
	if (rc == 0 && c->n == 0)
		rc = fail(err, errlen, "%s: no messages", path);
	free(text);
	free(path);
	if (rc < 0)
		corpus_free(c);
	return rc;
}

/* corpus_add_file - one more message: FILE with the envelope of ENV (which may be one of
 * the corpus' own messages) */
int corpus_add_file(struct lg_corpus *c, const char *file, const struct lg_msg *env, char *err,
		    size_t errlen)
{
	struct lg_msg m = {0};
	size_t cap = c->n; /* grow() reallocates from the exact size */
	m.path = strdup(file);
	m.client_ip = strdup(env->client_ip);
	m.client_name = strdup(env->client_name);
	m.helo = strdup(env->helo);
	m.mail_from = strdup(env->mail_from);
	int ok = m.path && m.client_ip && m.client_name && m.helo && m.mail_from &&
		 (m.rcpts = calloc(env->nrcpts, sizeof(char *))) != NULL;
	for (; ok && m.nrcpts < env->nrcpts; m.nrcpts++)
		ok = (m.rcpts[m.nrcpts] = strdup(env->rcpts[m.nrcpts])) != NULL;
	if (!ok || grow(c, &cap) < 0) {
		msg_free(&m);
		return fail(err, errlen, "out of memory");
	}
	c->msgs[c->n++] = m; /* env may be gone from here on */
	struct lg_msg *added = &c->msgs[c->n - 1];
	if ((added->cls = class_index(c, "file")) < 0)
		return fail(err, errlen, "more than %d classes", LG_CLASSES_MAX);
	return load_message(added, file, err, errlen);
}

/* corpus_free - everything the corpus owns */
void corpus_free(struct lg_corpus *c)
{
	for (size_t i = 0; i < c->n; i++)
		msg_free(&c->msgs[i]);
	free(c->msgs);
	for (size_t i = 0; i < c->nclasses; i++)
		free(c->classes[i]);
	memset(c, 0, sizeof(*c));
}
