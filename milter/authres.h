/*
 * authres.h - Authentication-Results (RFC 8601) and Received-SPF (RFC 7208
 * section 9.1) header values: building ours, spotting forged ones.
 */
#ifndef PORTCULLIS_AUTHRES_H
#define PORTCULLIS_AUTHRES_H

#include <stddef.h>

#include "compat.h"

/* Bytes kept of one property value, comment or key-value (cut at a UTF-8 boundary). */
#define AUTHRES_VALUE_MAX 256
/* Bytes a whole header value built here may reach (else NULL, errno E2BIG). */
#define AUTHRES_HEADER_MAX 16384

/* One property of a result: "smtp.mailfrom=alice@example.com". All borrowed. */
struct ar_prop {
	const char *ptype;    /* "smtp", "header", "body", "policy": lower-case keyword */
	const char *property; /* "mailfrom", "d", "from": lower-case keyword */
	const char *value;    /* any text; made valid (token, address or quoted-string) */
};

/* One resinfo: "spf=pass (comment) smtp.mailfrom=...". All borrowed. */
struct ar_result {
	const char *method;          /* "spf", "dkim", "dmarc", "iprev": lower-case keyword */
	const char *result;          /* "pass", "fail", ...: lower-case keyword */
	const char *reason;          /* free text written as a (comment); NULL or "": none */
	const struct ar_prop *props; /* nprops of them; may be NULL when nprops is 0 */
	size_t nprops;
};

/* authres_id_valid - 1 when id can be our authserv-id: a host name of ASCII
 * labels [A-Za-z0-9_-] joined by single dots, at most 253 bytes */
int authres_id_valid(const char *id);

/* authres_value - our Authentication-Results value, folded with "\n\t", in a
 * malloc'ed string; "ID; none" when n is 0. NULL with errno EINVAL on an
 * invalid id, method, result, ptype or property, ENOMEM, or E2BIG. */
char *authres_value(const char *authserv_id, const struct ar_result *r, size_t n) WUR;

/* authres_received_spf - our Received-SPF value (RFC 7208 9.1) in a malloc'ed
 * string: "pass (comment) client-ip=...; envelope-from=...; helo=...;
 * receiver=...; identity=mailfrom;". result is one of pass fail softfail
 * neutral none temperror permerror; identity is "mailfrom", "helo" or NULL;
 * any other argument may be NULL to leave it out. NULL with errno EINVAL,
 * ENOMEM or E2BIG. */
char *authres_received_spf(const char *result, const char *comment, const char *client_ip,
			   const char *envelope_from, const char *helo, const char *identity,
			   const char *receiver) WUR;

/* authres_claims - 1 when a received Authentication-Results value (raw: folded,
 * with comments) names authserv_id as its authserv-id, so that it must be
 * removed (RFC 8601 section 5); 0 otherwise */
int authres_claims(const char *value, const char *authserv_id);

/* authres_received_spf_claims - 1 when a received Received-SPF value says it
 * was written by authserv_id: a receiver= key naming it, or a comment that
 * starts with it (as RFC 7208 suggests, "(mx.example.org: domain of ...)");
 * read loosely, so that anything a reader could take for either counts */
int authres_received_spf_claims(const char *value, const char *authserv_id);

#endif
