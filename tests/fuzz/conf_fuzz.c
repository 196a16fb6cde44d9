/*
 * conf_fuzz.c - libFuzzer target: arbitrary bytes as portcullis.conf
 * (build: tests/fuzz/build.sh).
 */
#include "config.h"

#include "fuzz_file.h"

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
	if (fuzz_file(path, data, size) < 0)
		return 0;
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
