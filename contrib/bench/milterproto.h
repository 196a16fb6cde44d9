/*
 * milterproto.h - the MTA side of the milter protocol, version 6, as Postfix 3.7 speaks it:
 * one connection to one filter (contrib/bench/milterload)
 */
#ifndef MILTERPROTO_H
#define MILTERPROTO_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include <libmilter/mfapi.h> /* the protocol's constants: SMFIC_, SMFIR_, SMFIP_, SMFIF_ */

#define MP_VERSION 6
/* what Postfix offers: every action, and every step and no-reply flag of version 6 */
#define MP_ACTIONS                                                                                 \
	(SMFIF_ADDHDRS | SMFIF_CHGBODY | SMFIF_ADDRCPT | SMFIF_DELRCPT | SMFIF_CHGHDRS |           \
	 SMFIF_QUARANTINE | SMFIF_CHGFROM | SMFIF_ADDRCPT_PAR | SMFIF_SETSYMLIST)
#define MP_NOSEND_MASK                                                                             \
	(SMFIP_NOCONNECT | SMFIP_NOHELO | SMFIP_NOMAIL | SMFIP_NORCPT | SMFIP_NOBODY |             \
	 SMFIP_NOHDRS | SMFIP_NOEOH | SMFIP_NOUNKNOWN | SMFIP_NODATA)
#define MP_NOREPLY_MASK                                                                            \
	(SMFIP_NR_CONN | SMFIP_NR_HELO | SMFIP_NR_MAIL | SMFIP_NR_RCPT | SMFIP_NR_DATA |           \
	 SMFIP_NR_UNKN | SMFIP_NR_HDR | SMFIP_NR_EOH | SMFIP_NR_BODY)
#define MP_STEPS                                                                                   \
	(MP_NOSEND_MASK | MP_NOREPLY_MASK | SMFIP_SKIP | SMFIP_RCPT_REJ | SMFIP_HDR_LEADSPC)
#define MP_MACRO_STAGES (SMFIM_LAST + 1)

/* where a filter listens: unix:/path, local:/path, inet:port@host or inet6:port@host */
struct mp_addr {
	struct sockaddr_storage sa;
	socklen_t salen;
	const char *spec; /* borrowed: as given, for messages */
};

enum mp_state {
	MP_CLOSED,     /* no connection: not opened, or closed after a verdict at connect/HELO */
	MP_ENVELOPE,   /* takes the events of the transaction */
	MP_ACCEPT_MSG, /* accepted the message: no more events for it */
};

/* a growable byte buffer; data owned */
struct mp_buf {
	unsigned char *data;
	size_t len, cap;
};

/* one connection to one filter */
struct mp_conn {
	int fd;                     /* -1: closed */
	const struct mp_addr *addr; /* borrowed */
	int timeout_ms;
	enum mp_state state;
	uint32_t version, actions, steps; /* what the filter negotiated */
	char *macros[MP_MACRO_STAGES];    /* owned: macro lists the filter asked for, or NULL */
	int skip_cmd;                     /* after SMFIR_SKIP: events of this command skipped */
	struct mp_buf out;                /* commands not yet written */
	struct mp_buf in;                 /* the last reply's data, NUL-terminated */
	size_t rpos, rlen;                /* unread bytes of rbuf */
	unsigned char *rbuf;              /* owned: read buffer */
	char err[256];                    /* what went wrong */
	struct mp_hdr_add *adds;          /* owned: headers added at the end of the last message */
	size_t nadds;
};

/* how a filter answered one event */
enum mp_act {
	MP_SKIPPED,  /* the event was not sent: declined in negotiation, or skipped */
	MP_NOREPLY,  /* sent, no reply due (SMFIP_NR_*) */
	MP_CONTINUE, /* SMFIR_CONTINUE, or SMFIR_SKIP */
	MP_ACCEPT,
	MP_REJECT,   /* SMFIR_REJECT, or a 5xx SMFIR_REPLYCODE */
	MP_TEMPFAIL, /* SMFIR_TEMPFAIL, SMFIR_SHUTDOWN, or a 4xx SMFIR_REPLYCODE */
	MP_DISCARD,
};

/* A header a filter added (SMFIR_ADDHEADER: at the end; SMFIR_INSHEADER: before the
 * index-th header of the message as the filter saw it). A chain's next filter sees it, as
 * Postfix shows each filter the headers the filters before it added. */
struct mp_hdr_add {
	size_t before; /* SIZE_MAX: at the end */
	char *name;    /* owned */
	char *value;   /* owned */
};

/* mp_adds_clear - forget the headers the filter added (a new message) */
void mp_adds_clear(struct mp_conn *c);

struct mp_reply {
	enum mp_act act;
	char code[4];   /* SMFIR_REPLYCODE's code, else "" */
	int quarantine; /* SMFIR_QUARANTINE seen */
	int tag;        /* a header marking spam added or changed, or the Subject changed */
	unsigned edits; /* modification requests */
};

/* the value of macro NAME (without braces) for the session in ctx; NULL: undefined */
typedef const char *mp_lookup_fn(void *ctx, const char *name);

int mp_addr_parse(const char *spec, struct mp_addr *a, char *err, size_t errlen)
    __attribute__((warn_unused_result));
void mp_init(struct mp_conn *c, const struct mp_addr *addr, int timeout_ms);
int mp_open(struct mp_conn *c) __attribute__((warn_unused_result));
int mp_event(struct mp_conn *c, int cmd, const void *d1, size_t l1, const void *d2, size_t l2,
	     mp_lookup_fn *lookup, void *ctx, struct mp_reply *r)
    __attribute__((warn_unused_result));
int mp_flush(struct mp_conn *c) __attribute__((warn_unused_result));
int mp_quit(struct mp_conn *c, int aborts) __attribute__((warn_unused_result));
void mp_close(struct mp_conn *c);
void mp_free(struct mp_conn *c);

#endif
