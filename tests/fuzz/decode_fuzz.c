/*
 * decode_fuzz.c - libFuzzer target: the transfer decoders of milter/mimedecode.c
 * against GMime's, which they replace (build: tests/fuzz/build.sh). The first
 * byte picks quoted-printable or base64, the next two where the input is cut
 * into pieces; both decoders step through the same pieces and must write the
 * same bytes and keep the same state. Ours write each piece into a buffer of
 * exactly the room they promise, so that ASan sees any byte past it. For base64,
 * *junk must say what the former check (a second pass, kept here) said. The
 * reference is the GMime installed, not the copy in its repository: 3.2's base64
 * saves other bits at the padding than older ones.
 */
#include "config.h"

#include <ctype.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <gmime/gmime.h>

#include "mimeint.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* b64_junk - the former check: bytes outside the alphabet, blanks and padding, or data
 * after the padding */
static int b64_junk(const unsigned char *s, size_t n)
{
	int pad = 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = s[i];
		if (c == ' ' || c == '\t' || c == '\r' || c == '\n')
			continue;
		if (c == '=') {
			pad = 1;
			continue;
		}
		if (pad || !(isalnum(c) || c == '+' || c == '/') || c >= 0x80)
			return 1;
	}
	return 0;
}

/* LLVMFuzzerTestOneInput - one body, cut into pieces */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 3)
		return 0;
	int b64 = data[0] & 1;
	size_t piece = 1 + ((size_t)data[1] << 8 | data[2]) % 4096;
	const unsigned char *in = data + 3;
	size_t len = size - 3;
	char *ours = malloc(len + 3 * (len / piece + 1));
	char *theirs = malloc(len + 3 * (len / piece + 1));
	if (ours == NULL || theirs == NULL)
		abort();
	GMimeEncoding st;
	g_mime_encoding_init_decode(&st, b64 ? GMIME_CONTENT_ENCODING_BASE64
					     : GMIME_CONTENT_ENCODING_QUOTEDPRINTABLE);
	int state = 0;
	unsigned save = 0, junk = 0;
	size_t n = 0, m = 0;
	for (size_t pos = 0; pos < len; pos += piece) {
		size_t c = len - pos < piece ? len - pos : piece;
		char *step = malloc(c + (b64 ? 3 : 2)); /* exactly the room promised: ASan sees */
		if (step == NULL)
			abort();
		size_t k =
		    b64 ? mime_b64_step((const char *)in + pos, c, step, &state, &save, &junk)
			: mime_qp_step((const char *)in + pos, c, step, &state, &save);
		memcpy(ours + n, step, k);
		free(step);
		n += k;
		m += g_mime_encoding_step(&st, (const char *)in + pos, c, theirs + m);
		if (n != m || memcmp(ours, theirs, n) != 0 || state != st.state ||
		    (state != -1 && save != st.save)) /* -1: the end, save no longer matters */
			abort();
	}
	if (b64 && (junk != 0) != b64_junk(in, len))
		abort();
	free(ours);
	free(theirs);
	return 0;
}
