/*
 * html_fuzz.c - libFuzzer target: arbitrary bytes as an HTML part through
 * mime_html, the hand-written tokenizer of milter/mimehtml.c (build:
 * tests/fuzz/build.sh). The input is first made UTF-8 as mime.c does; the
 * visible text must come out valid UTF-8, within its cap, without a blank at
 * its end.
 */
#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "mime.h"
#include "mimeint.h"

#define TEXT_MAX 65536 /* a cap the fuzzer can reach */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* LLVMFuzzerTestOneInput - one document */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	mime_init();
	struct buf u, text;
	buf_init(&u, 0);
	buf_init(&text, TEXT_MAX);
	int unknown;
	struct mime_result r;
	memset(&r, 0, sizeof(r));
	if (mime_utf8(NULL, (const char *)data, size, &u, &unknown) == 0 &&
	    mime_html(&r, 50, u.data ? u.data : "", u.len, &text) == 0) {
		if (text.len > TEXT_MAX || !mime_utf8_valid(text.data ? text.data : "", text.len))
			abort();
		if (text.len && (text.data[text.len - 1] == ' ' || text.data[text.len - 1] == '\n'))
			abort();
		if (r.urls.n > 50)
			abort();
	}
	mime_result_free(&r);
	buf_free(&u);
	buf_free(&text);
	return 0;
}
