/*
 * policy_fuzz.c - libFuzzer target: arbitrary bytes as a policy file
 * (build: tests/fuzz/build.sh).
 */
#include "config.h"

#include "fuzz_file.h"

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "errlist.h"
#include "findings.h"
#include "policy.h"
#include "verdict.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* LLVMFuzzerTestOneInput - one policy file, then one decision with it */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char path[] = "/tmp/policy_fuzz.XXXXXX";
	if (fuzz_file(path, data, size) < 0)
		return 0;
	struct errlist e;
	errlist_init(&e);
	struct pol_settings ps = {1024 * 1024, 0, 0};
	struct policy *p = pol_load(path, &ps, &e);
	if ((p == NULL) == (e.count == 0 && !e.nomem)) /* errors iff no policy */
		abort();
	struct findings *f = p ? fnd_new() : NULL;
	if (f && fnd_add(f, "envelope.client_addr", "192.0.2.7") == 0 &&
	    fnd_add(f, "envelope.mail_from", "a@example.org") == 0 &&
	    fnd_add(f, "spf", "fail") == 0 &&
	    fnd_add(f, "header.from.domain", "example.org") == 0 && pol_lists(p, f) == 0) {
		struct verdict v;
		vd_init(&v);
		if (pol_decide(p, f, NULL, 0, &v) < 0)
			abort(); /* only out of memory may fail */
		vd_free(&v);
	}
	fnd_free(f);
	pol_free(p);
	errlist_free(&e);
	unlink(path);
	return 0;
}
