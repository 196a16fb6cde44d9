/*
 * compat.h - small portability and annotation macros used across the tree.
 */
#ifndef PORTCULLIS_COMPAT_H
#define PORTCULLIS_COMPAT_H

#include "config.h"

#if defined(__GNUC__)
#define WUR __attribute__((warn_unused_result))
#define PRINTF_LIKE(f, a) __attribute__((format(printf, f, a)))
#else
#define WUR
#define PRINTF_LIKE(f, a)
#endif

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

#endif
