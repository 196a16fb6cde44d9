/*
 * tap.h - tiny header-only TAP producer for the unit tests.
 *
 * SYNOPSIS
 *	ok(cond, fmt, ...)            one test point
 *	is_str(got, want, fmt, ...)   strings equal (NULL equals only NULL)
 *	is_int(got, want, fmt, ...)   integers equal
 *	is_mem(got, glen, want, wlen, fmt, ...)  byte ranges equal
 *	diag(fmt, ...)                a "# " diagnostic line
 *	ok(...) || diag(...);         a diagnostic only when the point failed
 *	return done_testing();        print the plan, exit status 0 or 1
 *
 * DESCRIPTION
 *	Output is TAP version 12 on stdout with the plan at the end, as
 *	automake's tap-driver.sh reads it. A failing point prints what was
 *	got and what was wanted, and where the check is in the test source.
 *	tap_srcdir() is $abs_top_srcdir (set by `make check`) or ".".
 *
 * THREAD SAFETY
 *	None needed: the tests are single-threaded.
 */
#ifndef PORTCULLIS_TAP_H
#define PORTCULLIS_TAP_H

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#if defined(__GNUC__)
#define TAP_PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define TAP_PRINTF(f, a)
#endif

static int tap_count;  /* test points run */
static int tap_failed; /* test points failed */

/* tap_vreport - print one "ok"/"not ok" line; returns cond */
static inline int tap_vreport(int cond, const char *fmt, va_list ap) TAP_PRINTF(2, 0);
static inline int tap_vreport(int cond, const char *fmt, va_list ap)
{
	tap_count++;
	if (!cond)
		tap_failed++;
	char desc[1024];
	vsnprintf(desc, sizeof(desc), fmt, ap);
	for (char *p = desc; *p; p++)
		if (*p == '\n' || *p == '\r')
			*p = ' '; /* one line per test point */
	printf("%sok %d - %s\n", cond ? "" : "not ", tap_count, desc);
	fflush(stdout);
	return cond;
}

/* diag - a diagnostic line (each embedded newline starts a new "# " line); returns 0 */
static inline int diag(const char *fmt, ...) TAP_PRINTF(1, 2);
static inline int diag(const char *fmt, ...)
{
	char line[4096];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	printf("# ");
	for (const char *p = line; *p; p++)
		if (*p == '\n')
			printf("\n# ");
		else
			putchar(*p);
	printf("\n");
	fflush(stdout);
	return 0;
}

/* tap_ok - a test point; use the ok() macro */
static inline int tap_ok(const char *file, int line, int cond, const char *fmt, ...)
    TAP_PRINTF(4, 5);
static inline int tap_ok(const char *file, int line, int cond, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	tap_vreport(cond, fmt, ap);
	va_end(ap);
	if (!cond)
		diag("  at %s line %d", file, line);
	return cond;
}

/* tap_is_str - strings equal; use the is_str() macro */
static inline int tap_is_str(const char *file, int line, const char *got, const char *want,
			     const char *fmt, ...) TAP_PRINTF(5, 6);
static inline int tap_is_str(const char *file, int line, const char *got, const char *want,
			     const char *fmt, ...)
{
	int cond = (got == NULL || want == NULL) ? got == want : strcmp(got, want) == 0;
	va_list ap;
	va_start(ap, fmt);
	tap_vreport(cond, fmt, ap);
	va_end(ap);
	if (!cond) {
		diag("  at %s line %d", file, line);
		diag("       got: %s%s%s", got ? "'" : "", got ? got : "NULL", got ? "'" : "");
		diag("  expected: %s%s%s", want ? "'" : "", want ? want : "NULL", want ? "'" : "");
	}
	return cond;
}

/* tap_is_int - integers equal; use the is_int() macro */
static inline int tap_is_int(const char *file, int line, long long got, long long want,
			     const char *fmt, ...) TAP_PRINTF(5, 6);
static inline int tap_is_int(const char *file, int line, long long got, long long want,
			     const char *fmt, ...)
{
	int cond = got == want;
	va_list ap;
	va_start(ap, fmt);
	tap_vreport(cond, fmt, ap);
	va_end(ap);
	if (!cond) {
		diag("  at %s line %d", file, line);
		diag("       got: %lld", got);
		diag("  expected: %lld", want);
	}
	return cond;
}

/* tap_is_mem - byte ranges equal; use the is_mem() macro */
static inline int tap_is_mem(const char *file, int line, const void *got, size_t glen,
			     const void *want, size_t wlen, const char *fmt, ...) TAP_PRINTF(7, 8);
static inline int tap_is_mem(const char *file, int line, const void *got, size_t glen,
			     const void *want, size_t wlen, const char *fmt, ...)
{
	int cond = glen == wlen && (glen == 0 || memcmp(got, want, glen) == 0);
	va_list ap;
	va_start(ap, fmt);
	tap_vreport(cond, fmt, ap);
	va_end(ap);
	if (!cond) {
		diag("  at %s line %d", file, line);
		size_t i = 0;
		while (i < glen && i < wlen && ((const char *)got)[i] == ((const char *)want)[i])
			i++;
		diag("  got %zu bytes, expected %zu; first difference at offset %zu", glen, wlen,
		     i);
	}
	return cond;
}

#define ok(cond, ...) tap_ok(__FILE__, __LINE__, (cond) ? 1 : 0, __VA_ARGS__)
#define is_str(got, want, ...) tap_is_str(__FILE__, __LINE__, (got), (want), __VA_ARGS__)
#define is_int(got, want, ...)                                                                     \
	tap_is_int(__FILE__, __LINE__, (long long)(got), (long long)(want), __VA_ARGS__)
#define is_mem(got, glen, want, wlen, ...)                                                         \
	tap_is_mem(__FILE__, __LINE__, (got), (glen), (want), (wlen), __VA_ARGS__)

/* skip - a test point that was not run, and why */
static inline void skip(const char *why)
{
	tap_count++;
	printf("ok %d # SKIP %s\n", tap_count, why);
	fflush(stdout);
}

/* done_testing - the plan; the exit status of the test program */
static inline int done_testing(void)
{
	printf("1..%d\n", tap_count);
	if (tap_failed)
		diag("failed %d of %d test points", tap_failed, tap_count);
	fflush(stdout);
	return tap_failed ? 1 : 0;
}

/* tap_srcdir - the top of the source tree */
static inline const char *tap_srcdir(void)
{
	const char *d = getenv("abs_top_srcdir");
	return d && *d ? d : ".";
}

#endif
