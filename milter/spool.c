/*
 * spool.c - body storage for one message.
 *
 * DESCRIPTION
 *	Bytes are kept in memory until mem_max would be exceeded (0: never in
 *	memory); then a private file is created in tmpdir with mkostemp
 *	(mode 0600, without touching the process-wide umask), unlinked
 *	at once so that nothing is left behind by a crash, and the memory copy
 *	is moved there. Reads work the same either way.
 *
 * THREAD SAFETY
 *	A spool belongs to one message.
 */
#include "config.h"

#include "spool.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"

struct spool {
	struct buf mem; /* in-memory part while fd < 0 */
	int fd;         /* -1 until spooled to disk */
	size_t size;    /* bytes stored */
	size_t mem_max;
	char *tmpdir; /* owned */
};

/* spool_new - create */
struct spool *spool_new(const char *tmpdir, size_t mem_max)
{
	struct spool *s = calloc(1, sizeof(*s));
	if (s == NULL)
		return NULL;
	s->tmpdir = strdup(tmpdir);
	if (s->tmpdir == NULL) {
		free(s);
		return NULL;
	}
	buf_init(&s->mem, 0); /* the threshold is enforced in spool_write */
	s->fd = -1;
	s->mem_max = mem_max;
	return s;
}

/* write_all - write(2) until done */
static int write_all(int fd, const char *p, size_t len)
{
	while (len) {
		ssize_t w = write(fd, p, len);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += w;
		len -= (size_t)w;
	}
	return 0;
}

/* spool_to_disk - move the memory part into a fresh unlinked file */
static int spool_to_disk(struct spool *s)
{
	struct buf path;
	buf_init(&path, 4096);
	if (buf_printf(&path, "%s/portcullis.XXXXXX", s->tmpdir) != BUF_OK) {
		buf_free(&path);
		errno = ENAMETOOLONG;
		return -1;
	}
	int fd = mkostemp(path.data, O_CLOEXEC); /* always mode 0600 */
	if (fd < 0) {
		int e = errno;
		buf_free(&path);
		errno = e;
		return -1;
	}
	unlink(path.data);
	buf_free(&path);
	if (s->mem.len && write_all(fd, s->mem.data, s->mem.len) < 0) {
		int e = errno;
		close(fd);
		errno = e;
		return -1;
	}
	buf_free(&s->mem);
	s->fd = fd;
	return 0;
}

/* spool_write - append */
int spool_write(struct spool *s, const void *p, size_t len)
{
	if (s->fd < 0) {
		if (len <= s->mem_max - s->mem.len) {
			if (buf_add(&s->mem, p, len) != BUF_OK) {
				errno = ENOMEM;
				return -1;
			}
			s->size += len;
			return 0;
		}
		if (spool_to_disk(s) < 0)
			return -1;
	}
	off_t end = (off_t)s->size;
	if (lseek(s->fd, end, SEEK_SET) < 0 || write_all(s->fd, p, len) < 0) {
		int e = errno;
		if (ftruncate(s->fd, end) < 0) { /* keep size and file in step */
		}
		errno = e;
		return -1;
	}
	s->size += len;
	return 0;
}

/* spool_size - stored bytes */
size_t spool_size(const struct spool *s)
{
	return s->size;
}

/* spool_on_disk - spooled to a file? */
int spool_on_disk(const struct spool *s)
{
	return s->fd >= 0;
}

/* spool_read - random-access read */
ssize_t spool_read(const struct spool *s, size_t off, void *p, size_t len)
{
	if (off >= s->size)
		return 0;
	if (len > s->size - off)
		len = s->size - off;
	if (s->fd < 0) {
		memcpy(p, s->mem.data + off, len);
		return (ssize_t)len;
	}
	size_t done = 0;
	while (done < len) {
		ssize_t r = pread(s->fd, (char *)p + done, len - done, (off_t)(off + done));
		if (r < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (r == 0)
			break;
		done += (size_t)r;
	}
	return (ssize_t)done;
}

/* spool_free - release */
void spool_free(struct spool *s)
{
	if (s == NULL)
		return;
	if (s->fd >= 0)
		close(s->fd);
	buf_free(&s->mem);
	free(s->tmpdir);
	free(s);
}
