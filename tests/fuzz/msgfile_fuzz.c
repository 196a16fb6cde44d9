/*
 * msgfile_fuzz.c - libFuzzer target: arbitrary bytes as a message file,
 * through the whole session and scan pipeline (build: tests/fuzz/build.sh).
 */
#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "errlist.h"
#include "generation.h"
#include "msgfile.h"
#include "session.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* LLVMFuzzerTestOneInput - one message */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int ready;
	if (!ready) {
		struct errlist e;
		errlist_init(&e);
		struct generation *g = gen_load(NULL, &e);
		if (g == NULL)
			abort();
		gen_publish(g);
		errlist_free(&e);
		ready = 1;
	}
	struct session *s = session_new();
	if (s == NULL)
		return 0;
	const char *args[] = {NULL};
	/* no client address: no SPF, so no DNS (this target is about parsing) */
	if (session_connect(s, "client.example", "unknown") == SESS_CONTINUE &&
	    session_mail(s, "<a@example.test>", args) == SESS_CONTINUE) {
		(void)session_rcpt(s, "<b@example.test>");
		msgfile_feed(s, (const char *)data, size);
		enum sess_rc rc = session_eom(s);
		if (rc != SESS_VERDICT && rc != SESS_ERROR)
			abort();
	}
	session_free(s);
	return 0;
}
