/*
 * log.c - the daemon's own diagnostics.
 *
 * SYNOPSIS
 *	log_open(ident, "stderr" | "syslog[:facility]"); log_msg(level, fmt, ...)
 *
 * DESCRIPTION
 *	One line per call. On stderr each line is "ident[pid]: level: text",
 *	written with a single write(2) so that lines from several threads never
 *	interleave. On syslog the level maps to the syslog priority.
 *	Per-message records (JSON) are not written here.
 *
 * THREAD SAFETY
 *	log_msg may be called from any thread. log_open and log_set_level are
 *	called from the main thread (start-up and reload); the level is atomic.
 */
#include "config.h"

#include "log.h"

#include <errno.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <syslog.h>
#include <unistd.h>

static atomic_int log_threshold = LOG_LVL_INFO;
static atomic_int log_to_syslog = 0;
static const char *log_ident = "portcullis"; /* borrowed: a string literal or argv[0] */

static const char *const level_names[] = {"error", "warning", "notice", "info", "debug"};
static const int level_prio[] = {LOG_ERR, LOG_WARNING, LOG_NOTICE, LOG_INFO, LOG_DEBUG};

static const struct {
	const char *name;
	int facility;
} facilities[] = {
    {"mail", LOG_MAIL},     {"daemon", LOG_DAEMON}, {"user", LOG_USER},     {"local0", LOG_LOCAL0},
    {"local1", LOG_LOCAL1}, {"local2", LOG_LOCAL2}, {"local3", LOG_LOCAL3}, {"local4", LOG_LOCAL4},
    {"local5", LOG_LOCAL5}, {"local6", LOG_LOCAL6}, {"local7", LOG_LOCAL7},
};

/* facility_lookup - syslog facility by name, -1 if unknown */
static int facility_lookup(const char *name)
{
	for (size_t i = 0; i < ARRAY_LEN(facilities); i++)
		if (strcasecmp(facilities[i].name, name) == 0)
			return facilities[i].facility;
	return -1;
}

/* log_dest_valid - 1 when dest names stderr or a known syslog facility */
int log_dest_valid(const char *dest)
{
	if (strcmp(dest, "stderr") == 0 || strcmp(dest, "syslog") == 0)
		return 1;
	if (strncmp(dest, "syslog:", 7) == 0)
		return facility_lookup(dest + 7) >= 0;
	return 0;
}

/* log_open - select the destination */
int log_open(const char *ident, const char *dest)
{
	log_ident = ident;
	if (strcmp(dest, "stderr") == 0) {
		if (atomic_exchange(&log_to_syslog, 0))
			closelog();
		return 0;
	}
	if (!log_dest_valid(dest))
		return -1;
	int fac = strcmp(dest, "syslog") == 0 ? LOG_MAIL : facility_lookup(dest + 7);
	openlog(ident, LOG_PID | LOG_NDELAY, fac);
	atomic_store(&log_to_syslog, 1);
	return 0;
}

/* log_set_level - set the threshold */
void log_set_level(enum log_level lvl)
{
	atomic_store(&log_threshold, (int)lvl);
}

/* log_level_parse - level by name */
int log_level_parse(const char *name)
{
	for (size_t i = 0; i < ARRAY_LEN(level_names); i++)
		if (strcasecmp(level_names[i], name) == 0)
			return (int)i;
	if (strcasecmp(name, "err") == 0)
		return LOG_LVL_ERR;
	if (strcasecmp(name, "warn") == 0)
		return LOG_LVL_WARN;
	return -1;
}

/* log_msg - format and emit one line */
void log_msg(enum log_level lvl, const char *fmt, ...)
{
	if ((int)lvl > atomic_load(&log_threshold))
		return;
	char line[2048];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if (atomic_load(&log_to_syslog)) {
		syslog(level_prio[lvl], "%s", line);
		return;
	}
	char out[2200];
	int m = snprintf(out, sizeof(out), "%s[%ld]: %s: %s\n", log_ident, (long)getpid(),
			 level_names[lvl], line);
	if (m < 0)
		return;
	if ((size_t)m >= sizeof(out)) {
		m = sizeof(out) - 1;
		out[m - 1] = '\n';
	}
	ssize_t w = write(STDERR_FILENO, out, (size_t)m);
	(void)w;
}

/* log_strerror - strerror_r, GNU or XSI flavour */
const char *log_strerror(int err, char *buf, size_t len)
{
#if defined(_GNU_SOURCE) && defined(__GLIBC__)
	return strerror_r(err, buf, len);
#else
	if (strerror_r(err, buf, len) != 0)
		snprintf(buf, len, "error %d", err);
	return buf;
#endif
}
