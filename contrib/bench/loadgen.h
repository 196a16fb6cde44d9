/*
 * loadgen.h - shared declarations of the benchmark load generator (contrib/bench/milterload)
 *
 * corpus.c     the corpus: manifest.tsv and the messages, read once, then read-only
 * proctree.c   CPU time, RSS and threads of a process tree, from /proc
 * smtpload.c   one SMTP session (the --smtp mode)
 * miltersession.c  one message in one session through the chain of filters, as Postfix
 *              sends it (milterproto.h: one connection to one filter)
 */
#ifndef LOADGEN_H
#define LOADGEN_H

#include <stddef.h>
#include <sys/types.h>

#define LG_CLASSES_MAX 32 /* distinct corpus classes counted separately */
#define LG_ERR_MAX 256    /* room for one error message */

/* one header field of a message: name and value inside the message's own copy */
struct lg_header {
	size_t name_off, name_len; /* the field name, without the colon */
	size_t val_off, val_len;   /* everything after the colon (leading space kept); folded
				      lines joined by a bare LF, as Postfix passes them on */
};

/* one message with its envelope; every pointer is owned by the message */
struct lg_msg {
	char *path;    /* as named in the manifest (for messages) */
	char *data;    /* the message as read */
	size_t len;    /* its length */
	char *hdrtext; /* the header fields, unfolded into name/value form */
	struct lg_header *hdrs;
	size_t nhdrs;
	size_t body_off;   /* where the body starts in data */
	char *client_ip;   /* IPv4 or IPv6 text */
	char *client_name; /* PTR name or "unknown" */
	char *helo;
	char *mail_from; /* "" for the null sender */
	char **rcpts;    /* rcpts[0..nrcpts) */
	size_t nrcpts;
	int cls; /* index into lg_corpus.classes */
};

/* the corpus: messages in manifest order and the class names seen */
struct lg_corpus {
	struct lg_msg *msgs; /* owned */
	size_t n;
	char *classes[LG_CLASSES_MAX]; /* owned */
	size_t nclasses;
};

/* what a message came to, as the MTA would act on it */
enum lg_verdict {
	LV_ACCEPT,     /* delivered unchanged (or with headers that do not mark it as spam) */
	LV_TAG,        /* delivered, marked as spam by a header or a Subject change */
	LV_QUARANTINE, /* SMFIR_QUARANTINE: put on hold */
	LV_REJECT,     /* 5xx */
	LV_TEMPFAIL,   /* 4xx */
	LV_DISCARD,    /* accepted and dropped */
	LV_ERROR,      /* a protocol error, a broken connection or a timeout */
	LV_COUNT
};

/* the outcome of one session */
struct lg_result {
	enum lg_verdict verdict;
	double eom_ms; /* end of message: BODYEOB (or SMTP ".") sent to final reply; -1: none */
	double txn_ms; /* the whole session */
	char err[LG_ERR_MAX];
};

/* corpus.c */
int corpus_load(const char *dir, struct lg_corpus *c, char *err, size_t errlen)
    __attribute__((warn_unused_result));
int corpus_add_file(struct lg_corpus *c, const char *path, const struct lg_msg *envelope, char *err,
		    size_t errlen) __attribute__((warn_unused_result));
void corpus_free(struct lg_corpus *c);
const char *lg_verdict_name(enum lg_verdict v);

/* proctree.c: summed over the given processes and all their descendants */
struct pt_usage {
	unsigned long long ticks; /* utime + stime, in clock ticks */
	long rss_kb;              /* VmRSS */
	long hwm_kb;              /* VmHWM */
	long threads;
	int procs; /* processes found */
};
int pt_measure(const pid_t *roots, size_t nroots, struct pt_usage *u)
    __attribute__((warn_unused_result));

/* smtpload.c */
struct smtp_target; /* opaque: an address to connect to */
struct smtp_target *smtp_target_new(const char *hostport, int bind_client, char *err,
				    size_t errlen);
void smtp_target_free(struct smtp_target *t);
struct smtp_worker; /* opaque: one worker's buffers */
struct smtp_worker *smtp_worker_new(void);
void smtp_worker_free(struct smtp_worker *w);
void smtp_session(const struct smtp_target *t, struct smtp_worker *w, const struct lg_msg *m,
		  int timeout_ms, struct lg_result *r);

/* miltersession.c: the filters of one session, in chain order */
struct mp_addr;
struct mp_conn;
struct ms_chain {
	size_t n;
	struct mp_conn *conns; /* owned: one connection per filter */
};
int ms_chain_init(struct ms_chain *ch, const struct mp_addr *addrs, size_t n, int timeout_ms)
    __attribute__((warn_unused_result));
void ms_chain_free(struct ms_chain *ch);
void ms_session(struct ms_chain *ch, const struct lg_msg *m, unsigned long seq,
		struct lg_result *res);
int ms_idle_open(struct ms_chain *ch, const struct lg_msg *m, unsigned long seq, char *err,
		 size_t errlen) __attribute__((warn_unused_result));
int ms_idle_close(struct ms_chain *ch);

/* lg_now_ms - monotonic clock in milliseconds */
double lg_now_ms(void);

#endif
