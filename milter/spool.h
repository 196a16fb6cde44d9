/*
 * spool.h - message body storage: memory up to a bound, then a temp file.
 */
#ifndef PORTCULLIS_SPOOL_H
#define PORTCULLIS_SPOOL_H

#include <stddef.h>
#include <sys/types.h>

#include "compat.h"

struct spool;

/* spool_new - empty spool; mem_max bytes in memory, then a file in tmpdir */
struct spool *spool_new(const char *tmpdir, size_t mem_max) WUR;
/* spool_write - append; -1 with errno on failure (the spool stays consistent) */
int spool_write(struct spool *s, const void *p, size_t len) WUR;
/* spool_size - bytes stored */
size_t spool_size(const struct spool *s);
/* spool_on_disk - 1 once the body moved to a file */
int spool_on_disk(const struct spool *s);
/* spool_read - copy up to len bytes from offset off; returns bytes copied or -1 */
ssize_t spool_read(const struct spool *s, size_t off, void *p, size_t len) WUR;
/* spool_free - release memory and close (the file is already unlinked) */
void spool_free(struct spool *s);

#endif
