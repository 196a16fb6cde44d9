/*
 * smtpload.c - one SMTP session per message, for milterload --smtp (the filters behind a
 * real MTA, Postfix mode)
 *
 * SYNOPSIS
 *	smtp_target_new("host:port" or "[v6addr]:port", bind_client, err, errlen)
 *	smtp_target_free(t)
 *	smtp_worker_new(), smtp_worker_free(w)	one thread's buffers
 *	smtp_session(target, worker, msg, timeout_ms, result)
 *
 * DESCRIPTION
 *	The filters should see the corpus' clients, not loopback. With bind_client each
 *	connection comes from the manifest's client address (which must be local: in a
 *	network namespace, "ip route add local 192.0.2.0/24 dev lo" and the like). Else,
 *	when the server offers XCLIENT (Postfix: smtpd_authorized_xclient_hosts), the
 *	session sends XCLIENT ADDR= NAME= after the first EHLO, then EHLO again; Postfix
 *	then ends the milter session of the loopback client (negotiation, connect, HELO,
 *	QUIT) and opens another: that costs the filters a second, short session per message.
 *	Then:
 *	MAIL FROM with SIZE=, RCPT TO for each recipient, DATA with dot-stuffing, QUIT.
 *	The verdict comes from the reply class: 2xx accept, 4xx tempfail, 5xx reject, at
 *	whichever command the server refused (all recipients refused: the last refusal).
 *	"eom" time: from writing the final "." to its reply. Every reply line is checked
 *	(three digits, then ' ' or '-', the same code on every line of a reply); a malformed
 *	reply, an unexpected code, a broken connection or a timeout is an error.
 *	Thread-safety: a worker belongs to one thread; a target is read-only.
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "loadgen.h"

#define SMTP_LINE_MAX 2048 /* a longer reply line is an error */
#define SMTP_LINES_MAX 100 /* lines per reply */
#define SMTP_RBUF 8192

struct smtp_target {
	struct sockaddr_storage sa;
	socklen_t salen;
	int bind_client; /* connect from the manifest's client address */
};

struct smtp_worker {
	char rbuf[SMTP_RBUF]; /* unread reply bytes: rbuf[rpos..rlen) */
	size_t rpos, rlen;
	char *out; /* owned: the dot-stuffed message */
	size_t cap;
};

/* one session's state */
struct sess {
	int fd;
	int timeout_ms;
	struct smtp_worker *w;
	int xclient; /* the last EHLO reply offered XCLIENT */
	char *err;   /* the result's error buffer */
};

/* serr - record an error; returns -1 */
static int serr(struct sess *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int serr(struct sess *s, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(s->err, LG_ERR_MAX, fmt, ap);
	va_end(ap);
	return -1;
}

/* smtp_target_new - resolve host:port once */
struct smtp_target *smtp_target_new(const char *hostport, int bind_client, char *err, size_t errlen)
{
	char host[256];
	const char *colon = strrchr(hostport, ':');
	const char *h = hostport;
	size_t hl = colon ? (size_t)(colon - hostport) : 0;
	if (hl >= 2 && h[0] == '[' && h[hl - 1] == ']') {
		h++;
		hl -= 2;
	}
	if (colon == NULL || hl == 0 || hl >= sizeof(host) || colon[1] == '\0') {
		snprintf(err, errlen, "%s: want HOST:PORT", hostport);
		return NULL;
	}
	memcpy(host, h, hl);
	host[hl] = '\0';
	struct addrinfo hints = {.ai_socktype = SOCK_STREAM}, *res;
	int rc = getaddrinfo(host, colon + 1, &hints, &res);
	if (rc != 0) {
		snprintf(err, errlen, "%s: %s", hostport, gai_strerror(rc));
		return NULL;
	}
	struct smtp_target *t = calloc(1, sizeof(*t));
	if (t) {
		memcpy(&t->sa, res->ai_addr, res->ai_addrlen);
		t->salen = res->ai_addrlen;
		t->bind_client = bind_client;
	} else
		snprintf(err, errlen, "out of memory");
	freeaddrinfo(res);
	return t;
}

/* smtp_target_free - free a target */
void smtp_target_free(struct smtp_target *t)
{
	free(t);
}

/* smtp_worker_new - one thread's buffers */
struct smtp_worker *smtp_worker_new(void)
{
	return calloc(1, sizeof(struct smtp_worker));
}

/* smtp_worker_free - free a worker */
void smtp_worker_free(struct smtp_worker *w)
{
	if (w)
		free(w->out);
	free(w);
}

/* send_all - write the whole buffer */
static int send_all(struct sess *s, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t k = send(s->fd, p, n, MSG_NOSIGNAL);
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0)
			return serr(s, "smtp write: %s",
				    errno == EAGAIN ? "timed out" : strerror(errno));
		p += k;
		n -= (size_t)k;
	}
	return 0;
}

/* read_line - one line, without its line end, into line (NUL-terminated) */
static int read_line(struct sess *s, char *line, size_t size)
{
	struct smtp_worker *w = s->w;
	size_t n = 0;
	for (;;) {
		if (w->rpos == w->rlen) {
			ssize_t r = recv(s->fd, w->rbuf, sizeof(w->rbuf), 0);
			if (r < 0 && errno == EINTR)
				continue;
			if (r == 0)
				return serr(s, "smtp: connection closed by the server");
			if (r < 0)
				return serr(s, "smtp read: %s",
					    errno == EAGAIN ? "timed out" : strerror(errno));
			w->rpos = 0;
			w->rlen = (size_t)r;
		}
		char ch = w->rbuf[w->rpos++];
		if (ch == '\n')
			break;
		if (n + 1 >= size)
			return serr(s, "smtp: reply line longer than %d bytes", SMTP_LINE_MAX);
		line[n++] = ch;
	}
	if (n > 0 && line[n - 1] == '\r')
		n--;
	line[n] = '\0';
	return 0;
}

/* reply - read one (multi-line) reply; its code, or -1 */
static int reply(struct sess *s, const char *after)
{
	char line[SMTP_LINE_MAX];
	int code = -1;
	s->xclient = 0;
	for (int i = 0; i < SMTP_LINES_MAX; i++) {
		if (read_line(s, line, sizeof(line)) < 0)
			return -1;
		if (line[0] < '2' || line[0] > '5' || line[1] < '0' || line[1] > '9' ||
		    line[2] < '0' || line[2] > '9' ||
		    (line[3] != ' ' && line[3] != '-' && line[3] != '\0'))
			return serr(s, "smtp: malformed reply to %s: \"%.80s\"", after, line);
		int c = (line[0] - '0') * 100 + (line[1] - '0') * 10 + (line[2] - '0');
		if (code >= 0 && c != code)
			return serr(s, "smtp: reply to %s changes its code: \"%.80s\"", after,
				    line);
		code = c;
		if (line[3] && strncmp(line + 4, "XCLIENT", 7) == 0 &&
		    (line[11] == ' ' || line[11] == '\0'))
			s->xclient = 1;
		if (line[3] != '-')
			return code;
	}
	return serr(s, "smtp: reply to %s longer than %d lines", after, SMTP_LINES_MAX);
}

/* command - send a command line, read the reply; its code or -1 */
static int command(struct sess *s, const char *what, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int command(struct sess *s, const char *what, const char *fmt, ...)
{
	char buf[1200];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(buf, sizeof(buf) - 2, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(buf) - 2)
		return serr(s, "smtp: %s command too long", what);
	memcpy(buf + n, "\r\n", 2);
	if (send_all(s, buf, (size_t)n + 2) < 0)
		return -1;
	return reply(s, what);
}

/* refusal - the verdict of a 4xx or 5xx reply to what; any other code is an error */
static enum lg_verdict refusal(struct sess *s, int code, const char *what)
{
	if (code / 100 == 4 || code / 100 == 5)
		return code / 100 == 4 ? LV_TEMPFAIL : LV_REJECT;
	if (code >= 0) /* else the error is told already */
		serr(s, "smtp: %s answered %d", what, code);
	return LV_ERROR;
}

/* stuff - the message dot-stuffed, ending with CRLF "." CRLF, into w->out */
static int stuff(struct sess *s, const struct lg_msg *m, size_t *len)
{
	struct smtp_worker *w = s->w;
	size_t lines = 1;
	for (size_t i = 0; i < m->len; i++)
		lines += m->data[i] == '\n';
	size_t need = m->len + lines + 8;
	if (need > w->cap) {
		char *n = realloc(w->out, need);
		if (n == NULL)
			return serr(s, "out of memory");
		w->out = n;
		w->cap = need;
	}
	size_t o = 0;
	for (size_t i = 0; i < m->len; i++) {
		if (m->data[i] == '.' && (i == 0 || m->data[i - 1] == '\n'))
			w->out[o++] = '.';
		w->out[o++] = m->data[i];
	}
	if (m->len > 0 && m->data[m->len - 1] != '\n') {
		memcpy(w->out + o, "\r\n", 2);
		o += 2;
	}
	memcpy(w->out + o, ".\r\n", 3);
	*len = o + 3;
	return 0;
}

/* hello - EHLO, and XCLIENT with the corpus' client when the server offers it */
static int hello(struct sess *s, const struct lg_msg *m, int xclient)
{
	int code = command(s, "EHLO", "EHLO %s", m->helo);
	if (code != 250 || !s->xclient || !xclient)
		return code;
	const char *name =
	    strcmp(m->client_name, "unknown") == 0 ? "[UNAVAILABLE]" : m->client_name;
	code = command(s, "XCLIENT", "XCLIENT ADDR=%s NAME=%s", m->client_ip, name);
	if (code / 100 != 2) /* Postfix greets again (220); smtp-sink says 250 */
		return code < 0 ? -1 : serr(s, "smtp: XCLIENT answered %d", code);
	return command(s, "EHLO", "EHLO %s", m->helo);
}

/* transaction - greeting to the end of DATA; the verdict, or LV_ERROR */
static enum lg_verdict transaction(struct sess *s, const struct smtp_target *t,
				   const struct lg_msg *m, double *eom_ms)
{
	int code = reply(s, "the connection");
	if (code / 100 != 2)
		return refusal(s, code, "the connection");
	if ((code = hello(s, m, !t->bind_client)) != 250)
		return refusal(s, code, "EHLO");
	code = command(s, "MAIL", "MAIL FROM:<%s> SIZE=%zu", m->mail_from, m->len);
	if (code / 100 != 2)
		return refusal(s, code, "MAIL");
	size_t accepted = 0;
	enum lg_verdict refused = LV_REJECT;
	for (size_t i = 0; i < m->nrcpts; i++) {
		code = command(s, "RCPT", "RCPT TO:<%s>", m->rcpts[i]);
		if (code / 100 == 2)
			accepted++;
		else if ((refused = refusal(s, code, "RCPT")) == LV_ERROR)
			return LV_ERROR;
	}
	if (accepted == 0)
		return refused;
	if ((code = command(s, "DATA", "DATA")) != 354)
		return refusal(s, code, "DATA");
	size_t len = 0;
	if (stuff(s, m, &len) < 0 || send_all(s, s->w->out, len) < 0)
		return LV_ERROR;
	double t0 = lg_now_ms();
	code = reply(s, "the message");
	*eom_ms = lg_now_ms() - t0;
	return code / 100 == 2 ? LV_ACCEPT : refusal(s, code, "the end of the message");
}

/* bind_client - the connection will come from the message's client address */
static int bind_client(struct sess *s, const struct smtp_target *t, const struct lg_msg *m)
{
	struct sockaddr_storage ss;
	socklen_t len;
	memset(&ss, 0, sizeof(ss));
	if (t->sa.ss_family == AF_INET) {
		struct sockaddr_in *in = (struct sockaddr_in *)&ss;
		in->sin_family = AF_INET;
		len = sizeof(*in);
		if (inet_pton(AF_INET, m->client_ip, &in->sin_addr) != 1)
			return serr(s, "smtp: %s is not an IPv4 address", m->client_ip);
	} else {
		struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;
		in6->sin6_family = AF_INET6;
		len = sizeof(*in6);
		if (inet_pton(AF_INET6, m->client_ip, &in6->sin6_addr) != 1)
			return serr(s, "smtp: %s is not an IPv6 address", m->client_ip);
	}
	if (bind(s->fd, (const struct sockaddr *)&ss, len) < 0)
		return serr(s, "smtp: bind to %s: %s (is it a local address?)", m->client_ip,
			    strerror(errno));
	return 0;
}

/* smtp_session - one message in one SMTP session */
void smtp_session(const struct smtp_target *t, struct smtp_worker *w, const struct lg_msg *m,
		  int timeout_ms, struct lg_result *r)
{
	struct sess s = {.fd = -1, .timeout_ms = timeout_ms, .w = w, .err = r->err};
	double t0 = lg_now_ms();
	r->err[0] = '\0';
	r->eom_ms = -1;
	w->rpos = w->rlen = 0;
	s.fd = socket(t->sa.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct timeval tv = {.tv_sec = timeout_ms / 1000, .tv_usec = (timeout_ms % 1000) * 1000};
	int one = 1;
	if (s.fd < 0) {
		serr(&s, "socket: %s", strerror(errno));
		r->verdict = LV_ERROR;
	} else {
		(void)setsockopt(s.fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		(void)setsockopt(s.fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
		(void)setsockopt(s.fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		if (t->bind_client && bind_client(&s, t, m) < 0)
			r->verdict = LV_ERROR;
		else if (connect(s.fd, (const struct sockaddr *)&t->sa, t->salen) < 0) {
			serr(&s, "smtp connect: %s", strerror(errno));
			r->verdict = LV_ERROR;
		} else
			r->verdict = transaction(&s, t, m, &r->eom_ms);
	}
	if (r->verdict != LV_ERROR) {
		/* after a refusal the server may have hung up (421): no reply to QUIT then */
		int code = command(&s, "QUIT", "QUIT");
		if (code >= 0 ? code / 100 != 2 : r->verdict == LV_ACCEPT) {
			if (code >= 0)
				serr(&s, "smtp: QUIT answered %d", code);
			r->verdict = LV_ERROR;
		}
	}
	if (s.fd >= 0)
		close(s.fd);
	r->txn_ms = lg_now_ms() - t0;
}
