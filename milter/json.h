/*
 * json.h - minimal JSON string output.
 */
#ifndef PORTCULLIS_JSON_H
#define PORTCULLIS_JSON_H

#include "buf.h"
#include "compat.h"

/* json_str - append s as a quoted JSON string (invalid UTF-8 bytes become U+FFFD) */
int json_str(struct buf *b, const char *s) WUR;

#endif
