/*
 * msgfile.h - feed a stored message (RFC 5322 text) through a session.
 */
#ifndef PORTCULLIS_MSGFILE_H
#define PORTCULLIS_MSGFILE_H

#include <stddef.h>

#include "compat.h"

struct session;

/* msgfile_feed - headers then body of data[0..len) into s, as an MTA would pass them */
void msgfile_feed(struct session *s, const char *data, size_t len);

#endif
