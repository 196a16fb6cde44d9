/*
 * mime_fuzz.c - libFuzzer target: arbitrary bytes as a message through
 * mime_analyze (structure, transfer decoding, charsets, HTML, URLs, type
 * sniffing), with small limits so that the fuzzer reaches them (build:
 * tests/fuzz/build.sh). Every list must stay within its limit and every text
 * value must be valid UTF-8.
 */
#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "mime.h"
#include "mimeint.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* LLVMFuzzerTestOneInput - one message */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mime_opts o;
	mime_opts_default(&o);
	o.depth_max = 8;
	o.parts_max = 64;
	o.part_bytes_max = 32768;
	o.total_bytes_max = 65536;
	o.urls_max = 20;
	o.header_line_max = 4096;
	struct mime_result r;
	if (mime_analyze((const char *)data, size, &o, &r) != 0)
		return 0;
	if (r.nparts > o.parts_max + 1 || r.urls.n > o.urls_max || r.domains.n > o.urls_max ||
	    r.nnotes > MIME_NOTES_MAX)
		abort();
	for (size_t i = 0; i < r.text.n; i++)
		if (!mime_utf8_valid(r.text.v[i], r.text.len[i]))
			abort();
	mime_result_free(&r);
	return 0;
}
