/*
 * conf_fuzz.c - libFuzzer target: arbitrary bytes as portcullis.conf
 * (build: tests/fuzz/build.sh).
 */
#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "conf.h"
#include "errlist.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* LLVMFuzzerTestOneInput - one configuration file */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char path[] = "/tmp/conf_fuzz.XXXXXX";
	int fd = mkstemp(path);
	if (fd < 0)
		return 0;
	if (write(fd, data, size) != (ssize_t)size) {
		close(fd);
		unlink(path);
		return 0;
	}
	close(fd);
	struct errlist e;
	errlist_init(&e);
	struct conf *c = conf_load(path, &e);
	if ((c == NULL) == (e.count == 0 && !e.nomem)) /* errors iff no config */
		abort();
	conf_free(c);
	errlist_free(&e);
	unlink(path);
	return 0;
}
