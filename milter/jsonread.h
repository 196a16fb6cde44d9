/*
 * jsonread.h - just enough JSON reading for the CLI to explain the records Portcullis wrote
 * itself (the quarantine's metadata, the JSON log).
 */
#ifndef PORTCULLIS_JSONREAD_H
#define PORTCULLIS_JSONREAD_H

#include <stddef.h>

#include "compat.h"

/* jr_member - the value of member key of the object at p (not nested), or NULL */
const char *jr_member(const char *p, const char *key);
/* jr_path - a nested member: keys separated by '.', e.g. "reply.code"; or NULL */
const char *jr_path(const char *p, const char *path);
/* jr_elem - the i-th element of the array at p, or NULL */
const char *jr_elem(const char *p, size_t i);
/* jr_string - the string at p, unescaped, malloc'd; a number, true/false/null as written;
 * NULL when p is NULL, an object or array, or out of memory */
char *jr_string(const char *p) WUR;
/* jr_skip - past the value at p (white space skipped first); NULL when malformed */
const char *jr_skip(const char *p);

#endif
