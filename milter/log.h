/*
 * log.h - the daemon's own diagnostics (syslog or stderr).
 */
#ifndef PORTCULLIS_LOG_H
#define PORTCULLIS_LOG_H

#include <stddef.h>

#include "compat.h"

enum log_level { LOG_LVL_ERR = 0, LOG_LVL_WARN, LOG_LVL_NOTICE, LOG_LVL_INFO, LOG_LVL_DEBUG };

/* log_open - choose the destination: "stderr" or "syslog:FACILITY" (or "syslog") */
int log_open(const char *ident, const char *dest) WUR;
/* log_set_level - messages above this level are dropped */
void log_set_level(enum log_level lvl);
/* log_level_parse - "error".."debug" to a level; -1 when unknown */
int log_level_parse(const char *name);
/* log_dest_valid - 1 when log_open would accept dest */
int log_dest_valid(const char *dest);

void log_msg(enum log_level lvl, const char *fmt, ...) PRINTF_LIKE(2, 3);
#define log_err(...) log_msg(LOG_LVL_ERR, __VA_ARGS__)
#define log_warn(...) log_msg(LOG_LVL_WARN, __VA_ARGS__)
#define log_notice(...) log_msg(LOG_LVL_NOTICE, __VA_ARGS__)
#define log_info(...) log_msg(LOG_LVL_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_LVL_DEBUG, __VA_ARGS__)

/* log_strerror - thread-safe strerror into the caller's buffer */
const char *log_strerror(int err, char *buf, size_t len);

#endif
