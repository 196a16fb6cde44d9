/*
 * release.h - hand a released message back to the MTA: sendmail(1) or SMTP.
 */
#ifndef PORTCULLIS_RELEASE_H
#define PORTCULLIS_RELEASE_H

#include <stddef.h>

#include "compat.h"

/* release_send - inject msg (len bytes, as stored) with mark (a header line without its
 * line end) put first, from sender to rcpts, through via ("sendmail:PATH": PATH -i -f
 * SENDER -- RCPT...; "smtp:HOST:PORT": an SMTP transaction). 0 when the MTA took it; -1 with
 * the reason (the MTA's reply, when it gave one) in err. */
int release_send(const char *via, const char *sender, char *const *rcpts, size_t nrcpt,
		 const char *mark, const char *msg, size_t len, char *err, size_t errlen) WUR;

#endif
