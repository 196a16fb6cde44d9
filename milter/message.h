/*
 * message.h - one SMTP transaction: envelope, headers in order, body spool.
 */
#ifndef PORTCULLIS_MESSAGE_H
#define PORTCULLIS_MESSAGE_H

#include <stddef.h>

#include <time.h>

#include "compat.h"
#include "dkim.h"
#include "dmarc.h"
#include "fromhdr.h"
#include "spf.h"

struct generation;
struct spool;
struct task;

/* A header as the MTA passed it: name without the colon, value raw (folding kept). */
struct header {
	char *name;  /* owned */
	char *value; /* owned */
};

#define MSG_OVERSIZE 0x1       /* more than message_size_max bytes arrived */
#define MSG_HEADERS_CAPPED 0x2 /* more than header_count_max headers arrived */
#define MSG_RCPTS_CAPPED 0x4   /* more than MSG_RCPT_MAX recipients arrived */

#define MSG_RCPT_MAX 10000
#define MSG_REF_LEN 26 /* a ULID */
#define MSG_ADDR_MAX 2048

/* A header instance that claims to come from us (a forgery, or an earlier pass):
 * removed before ours are added. */
struct own_header {
	const char *name; /* borrowed: a string literal, or a name in the message's policy */
	size_t index;     /* 1-based among the headers of that name, as the MTA counts */
};

struct message {
	struct generation *gen;    /* owned reference: the rules this message is judged by */
	char ref[MSG_REF_LEN + 1]; /* reference id: in the log and in reject texts */
	char *mail_from;           /* owned; "" for the null sender */
	size_t size_param;         /* ESMTP SIZE= value, 0 if none */
	char **rcpts;              /* owned array of owned strings */
	size_t nrcpt, rcpt_cap;
	struct header *hdrs; /* owned array */
	size_t nhdr, hdr_cap;
	struct spool *body;     /* owned */
	size_t size;            /* header + body bytes received, wire size estimate */
	size_t body_size;       /* body bytes received (even past the cap) */
	unsigned flags;         /* MSG_* */
	struct own_header *own; /* owned array: instances to remove, in arrival order */
	size_t nown, own_cap;
	size_t seen_verdict, seen_authres, seen_rspf; /* instances of each name so far */
	size_t seen_release;                          /* of RELEASE_HEADER */
	size_t seen_tag[2];    /* of the policy's tag headers (flag, score) */
	int authres_strip_all; /* remove every incoming A-R, not only those claiming our id */
	struct timespec dns_deadline;    /* end of this message's DNS budget */
	struct task *spf_task;           /* owned: the MAIL FROM check, or NULL */
	int spf_collected;               /* scan_envelope_wait has run */
	int spf_checked;                 /* spf_mailfrom holds a result */
	int spf_helo_checked;            /* spf_helo holds a result */
	struct spf_outcome spf_mailfrom; /* MAIL FROM identity (postmaster@HELO if null) */
	struct spf_outcome spf_helo;     /* HELO identity */
	char *queue_id;                  /* owned, or NULL */
	int remote;                      /* the client has an IP address: authenticate */
	struct dkv_msg *dkim;            /* owned: DKIM verification under way, or NULL */
	int auth_done;                   /* dkim_res, from and dmarc hold the outcome */
	struct dkv_result dkim_res;      /* one entry per DKIM-Signature */
	struct from_info from;           /* the author, read strictly */
	int dmarc_checked;               /* dmarc holds a result */
	struct dmarc_outcome dmarc;
	char dmarc_comment[480]; /* the A-R comment of the dmarc= entry */
};

/* msg_new - a message judged by gen (the reference is taken over) */
struct message *msg_new(struct generation *gen) WUR;
/* msg_free - release everything, including the generation reference */
void msg_free(struct message *m);
/* msg_set_sender - envelope sender; -1 on memory failure */
int msg_set_sender(struct message *m, const char *addr) WUR;
/* msg_add_rcpt - one recipient; -1 on memory failure */
int msg_add_rcpt(struct message *m, const char *addr) WUR;
/* msg_add_header - one header, value as passed (leading space kept if present) */
int msg_add_header(struct message *m, const char *name, const char *value) WUR;
/* msg_add_body - a body chunk (CRLF line ends as on the wire) */
int msg_add_body(struct message *m, const void *p, size_t len) WUR;
/* msg_set_queue_id - the MTA's queue id */
int msg_set_queue_id(struct message *m, const char *id) WUR;
/* msg_header_find - value of the n-th (0-based) header called name, or NULL */
const char *msg_header_find(const struct message *m, const char *name, size_t n);
/* msg_add_own - remember a header instance that claims to be ours; -1 on memory */
int msg_add_own(struct message *m, const char *name, size_t index) WUR;
/* msg_addr_strip - "<a@b>" to "a@b" in a new string */
char *msg_addr_strip(const char *addr) WUR;

#endif
