/*
 * dkimcanon.h - DKIM canonicalization (RFC 6376 3.4) of header fields and of the body,
 * streamed into digests, with libopendkim 2.11's treatment of stray CR and LF.
 */
#ifndef PORTCULLIS_DKIMCANON_H
#define PORTCULLIS_DKIMCANON_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

#include "compat.h"

struct buf;

enum dkc_canon { DKC_SIMPLE = 0, DKC_RELAXED = 1 };

#define DKC_HOLD_MAX 4096 /* relaxed: bytes of a word held back behind pending empty lines */
#define DKC_OUT_MAX 8192  /* canonical bytes gathered before they go to the digests */

/* a digest fed by a body canonicalizer */
struct dkc_sink {
	EVP_MD_CTX *md;  /* borrowed; initialised by the caller */
	uint64_t remain; /* bytes still wanted (l=) */
	int limited;     /* remain applies */
};

/* a body canonicalizer: one per canonicalization, feeding any number of digests */
struct dkc_body {
	enum dkc_canon canon;
	struct dkc_sink *sink; /* borrowed array of nsink */
	size_t nsink;
	uint64_t total; /* canonical bytes produced, before any l= */
	/* private */
	int pend_cr, state, blankline, inword;
	int flushed;         /* simple: libopendkim wrote hashed bytes before the end */
	size_t seg, pending; /* simple: line bytes of this chunk; its 4 KB hash buffer */
	uint64_t blanks;
	size_t held, outlen;
	unsigned char hold[DKC_HOLD_MAX];
	unsigned char out[DKC_OUT_MAX];
};

/* dkc_header - append the canonical form of one header field to out: text is "name:value"
 * with CRLF folding, NUL-terminated, textlen the length simple takes (relaxed reads the
 * value to the NUL, as libopendkim does); crlf adds the line end. -1 when out of memory */
int dkc_header(struct buf *out, enum dkc_canon c, const char *text, size_t textlen, int crlf) WUR;

/* dkc_body_init - start a body of canonicalization c into the n sinks */
void dkc_body_init(struct dkc_body *b, enum dkc_canon c, struct dkc_sink *sink, size_t n);
/* dkc_body_update - more body bytes (any split; bare CR and bare LF end lines) */
void dkc_body_update(struct dkc_body *b, const void *p, size_t len);
/* dkc_body_final - the end of the body: the last bytes go to the sinks */
void dkc_body_final(struct dkc_body *b);

#endif
