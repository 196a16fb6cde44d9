/*
 * rules_fuzz.c - libFuzzer target: arbitrary bytes as a rule file, and the rules that
 * load run against a message made of the same bytes (build: tests/fuzz/build.sh).
 */
#include "config.h"

#include "fuzz_file.h"

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "errlist.h"
#include "rules.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* LLVMFuzzerTestOneInput - one rule file */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char path[] = "/tmp/rules_fuzz.XXXXXX";
	if (fuzz_file(path, data, size) < 0)
		return 0;
	struct errlist e;
	errlist_init(&e);
	struct rule_set *rs = rule_load_file(path, &e);
	if ((rs == NULL) == (e.count == 0 && !e.nomem)) /* errors iff no rule set */
		abort();
	if (rs) {
		struct rule_run *run = rule_run_new(rs);
		struct rule_header h = {"Subject", (const char *)"fuzz"};
		struct rule_input in = {.hdrs = &h,
					.nhdr = 1,
					.client_addr = "192.0.2.1",
					.client_name = "unknown",
					.helo = "fuzz.example",
					.mail_from = "a@fuzz.example",
					.size = size,
					.body = (const char *)data,
					.body_len = size};
		const struct rule_hit *hits;
		const char *const *limits;
		size_t nh, nl;
		if (run && rule_eval(run, &in, &hits, &nh, &limits, &nl) < 0)
			abort(); /* only out of memory may fail */
		rule_run_free(run);
	}
	rule_free(rs);
	errlist_free(&e);
	unlink(path);
	return 0;
}
