/*
 * rfc2047.h - decode RFC 2047 encoded-words ("=?utf-8?B?...?=") in header values.
 */
#ifndef PORTCULLIS_RFC2047_H
#define PORTCULLIS_RFC2047_H

#include <stddef.h>

#include "buf.h"
#include "compat.h"

/* rfc2047_decode - append in (len bytes) to out with every encoded-word decoded to UTF-8
 * and the blanks between two adjacent encoded-words dropped; a word that cannot be decoded
 * (bad syntax, unknown charset, bad data) is copied as it is. Output past out's cap is
 * dropped. -1 only when out of memory. */
int rfc2047_decode(const char *in, size_t len, struct buf *out) WUR;

#endif
