/*
 * milterproto.c - the MTA side of the milter protocol, version 6, as Postfix 3.7 speaks it
 *
 * SYNOPSIS
 *	mp_addr_parse(spec, addr, err, errlen)	unix:/path, inet:port@host, inet6:port@host
 *	mp_init(conn, addr, timeout_ms)		a closed connection
 *	mp_open(conn)				connect and negotiate (SMFIC_OPTNEG)
 *	mp_event(conn, cmd, data..., lookup, ctx, reply)
 *	mp_flush(conn), mp_quit(conn, aborts), mp_close(conn), mp_free(conn)
 *
 * DESCRIPTION
 *	Offers what Postfix offers (MP_ACTIONS, MP_STEPS) and honours the answer the way
 *	Postfix's milter8.c does: the macros of an event are sent before it even when the
 *	filter declined the event (but not for declined header, end-of-header and body events,
 *	which Postfix never produces then); a declined event is not sent; no reply is read
 *	for an event with its SMFIP_NR_* flag; after SMFIR_SKIP further events of the same
 *	command are skipped; macro lists the filter asks for in its SMFIC_OPTNEG reply replace
 *	Postfix's default list of that stage. Commands are buffered and written in one go
 *	before a reply is read, as Postfix's stream does.
 *
 *	Every reply is checked: known reply codes only, lengths within the packet, NUL
 *	terminated strings where strings belong, no data after a verdict, modification
 *	requests only at the end of the message and only those the filter negotiated,
 *	SMFIR_REPLYCODE text "4xx"/"5xx" on every line with an enhanced status code of the
 *	same class. The first failure is the connection's error (conn->err) and -1.
 *
 *	A reply marks the message as tagged (reply->tag) when it adds, inserts or changes
 *	X-Spam-Flag, X-Spam or X-Spam-Status to a value starting with "yes", adds
 *	X-Portcullis-Score, or changes Subject; see is_tag.
 *
 *	Thread-safety: one connection belongs to one thread.
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
#include <strings.h>
#include <sys/un.h>
#include <unistd.h>

#include "milterproto.h"

#define MP_PACKET_MAX (16u << 20) /* a larger reply is an error */
#define MP_FLUSH_AT 65536         /* write buffered commands from this size on */
#define MP_RBUF 16384             /* read buffer */
#define MP_REPLIES_MAX 100000     /* modification requests (and progress) per event */

/* one command the MTA sends and how a filter can decline it */
struct event {
	int cmd;
	int stage;             /* macro class sent before it (SMFIM_*) */
	unsigned long nosend;  /* SMFIP_NO* */
	unsigned long noreply; /* SMFIP_NR_* */
	int content;           /* header, end of header, body: no macros when declined */
	const char *name;
};

static const struct event events[] = {
    {SMFIC_CONNECT, SMFIM_CONNECT, SMFIP_NOCONNECT, SMFIP_NR_CONN, 0, "connect"},
    {SMFIC_HELO, SMFIM_HELO, SMFIP_NOHELO, SMFIP_NR_HELO, 0, "HELO"},
    {SMFIC_MAIL, SMFIM_ENVFROM, SMFIP_NOMAIL, SMFIP_NR_MAIL, 0, "MAIL"},
    {SMFIC_RCPT, SMFIM_ENVRCPT, SMFIP_NORCPT, SMFIP_NR_RCPT, 0, "RCPT"},
    {SMFIC_DATA, SMFIM_DATA, SMFIP_NODATA, SMFIP_NR_DATA, 0, "DATA"},
    {SMFIC_HEADER, SMFIM_EOH, SMFIP_NOHDRS, SMFIP_NR_HDR, 1, "header"},
    {SMFIC_EOH, SMFIM_EOH, SMFIP_NOEOH, SMFIP_NR_EOH, 1, "end of header"},
    {SMFIC_BODY, SMFIM_EOM, SMFIP_NOBODY, SMFIP_NR_BODY, 1, "body"},
    {SMFIC_BODYEOB, SMFIM_EOM, 0, 0, 1, "end of message"},
};

/* Postfix 3.7's default macro lists (milter_*_macros), by SMFIM_ stage */
static const char *const default_macros[MP_MACRO_STAGES] = {
    [SMFIM_CONNECT] = "j {daemon_name} {daemon_addr} v _",
    [SMFIM_HELO] = "{tls_version} {cipher} {cipher_bits} {cert_subject} {cert_issuer}",
    [SMFIM_ENVFROM] = "i {auth_type} {auth_authen} {auth_author} {mail_addr} {mail_host} "
		      "{mail_mailer}",
    [SMFIM_ENVRCPT] = "i {rcpt_addr} {rcpt_host} {rcpt_mailer}",
    [SMFIM_DATA] = "i",
    [SMFIM_EOM] = "i",
    [SMFIM_EOH] = "i",
};

/* perr - record the connection's error; returns -1 */
static int perr(struct mp_conn *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int perr(struct mp_conn *c, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(c->err, sizeof(c->err), fmt, ap);
	va_end(ap);
	return -1;
}

/* event_of - the table entry of a command */
static const struct event *event_of(int cmd)
{
	for (size_t i = 0; i < sizeof(events) / sizeof(events[0]); i++)
		if (events[i].cmd == cmd)
			return &events[i];
	return NULL;
}

/* mp_addr_parse - resolve a socket specification once */
int mp_addr_parse(const char *spec, struct mp_addr *a, char *err, size_t errlen)
{
	memset(a, 0, sizeof(*a));
	a->spec = spec;
	const char *path = NULL;
	if (strncmp(spec, "unix:", 5) == 0 || strncmp(spec, "local:", 6) == 0)
		path = strchr(spec, ':') + 1;
	else if (spec[0] == '/')
		path = spec;
	if (path) {
		struct sockaddr_un *un = (struct sockaddr_un *)&a->sa;
		if (strlen(path) >= sizeof(un->sun_path)) {
			snprintf(err, errlen, "%s: socket path too long", spec);
			return -1;
		}
		un->sun_family = AF_UNIX;
		memcpy(un->sun_path, path, strlen(path) + 1);
		a->salen = sizeof(*un);
		return 0;
	}
	int family = strncmp(spec, "inet:", 5) == 0    ? AF_INET
		     : strncmp(spec, "inet6:", 6) == 0 ? AF_INET6
						       : AF_UNSPEC;
	const char *port = strchr(spec, ':');
	if (family == AF_UNSPEC || port == NULL) {
		snprintf(err, errlen, "%s: want unix:/path, inet:port@host or inet6:port@host",
			 spec);
		return -1;
	}
	port++;
	const char *at = strchr(port, '@');
	char pbuf[16], hbuf[256];
	size_t pl = at ? (size_t)(at - port) : strlen(port);
	if (pl == 0 || pl >= sizeof(pbuf) || (at && strlen(at + 1) >= sizeof(hbuf))) {
		snprintf(err, errlen, "%s: bad port or host", spec);
		return -1;
	}
	memcpy(pbuf, port, pl);
	pbuf[pl] = '\0';
	snprintf(hbuf, sizeof(hbuf), "%s", at ? at + 1 : family == AF_INET6 ? "::1" : "127.0.0.1");
	struct addrinfo hints = {.ai_family = family, .ai_socktype = SOCK_STREAM}, *res;
	int rc = getaddrinfo(hbuf, pbuf, &hints, &res);
	if (rc != 0) {
		snprintf(err, errlen, "%s: %s", spec, gai_strerror(rc));
		return -1;
	}
	memcpy(&a->sa, res->ai_addr, res->ai_addrlen);
	a->salen = res->ai_addrlen;
	freeaddrinfo(res);
	return 0;
}

/* mp_init - a closed connection to addr */
void mp_init(struct mp_conn *c, const struct mp_addr *addr, int timeout_ms)
{
	memset(c, 0, sizeof(*c));
	c->fd = -1;
	c->addr = addr;
	c->timeout_ms = timeout_ms;
}

/* reserve - room for n more bytes in b */
static int reserve(struct mp_buf *b, size_t n)
{
	if (b->len + n <= b->cap)
		return 0;
	size_t ncap = b->cap ? b->cap : 4096;
	while (ncap < b->len + n)
		ncap *= 2;
	unsigned char *nd = realloc(b->data, ncap);
	if (nd == NULL)
		return -1;
	b->data = nd;
	b->cap = ncap;
	return 0;
}

/* put_packet - append one packet: length, command, then up to two pieces of data */
static int put_packet(struct mp_conn *c, int cmd, const void *d1, size_t l1, const void *d2,
		      size_t l2)
{
	uint32_t n = htonl((uint32_t)(1 + l1 + l2));
	if (reserve(&c->out, 5 + l1 + l2) < 0)
		return perr(c, "out of memory");
	unsigned char *p = c->out.data + c->out.len;
	memcpy(p, &n, 4);
	p[4] = (unsigned char)cmd;
	if (l1)
		memcpy(p + 5, d1, l1);
	if (l2)
		memcpy(p + 5 + l1, d2, l2);
	c->out.len += 5 + l1 + l2;
	return 0;
}

/* put_macros - the SMFIC_MACRO packet of a stage for command cmd (sent even when empty, as
 * Postfix does); names are sent as listed, looked up without braces */
static int put_macros(struct mp_conn *c, int cmd, int stage, mp_lookup_fn *lookup, void *ctx)
{
	const char *list = c->macros[stage] ? c->macros[stage] : default_macros[stage];
	unsigned char pairs[4096];
	size_t n = 0;
	pairs[n++] = (unsigned char)cmd;
	for (const char *s = list; *s;) {
		size_t l = strcspn(s, " ,\t");
		char name[128], bare[128];
		if (l > 0 && l < sizeof(name)) {
			memcpy(name, s, l);
			name[l] = '\0';
			int braced = l > 2 && name[0] == '{' && name[l - 1] == '}';
			snprintf(bare, sizeof(bare), "%.*s", (int)(braced ? l - 2 : l),
				 braced ? name + 1 : name);
			const char *v = lookup(ctx, bare);
			size_t vl = v ? strlen(v) : 0;
			if (v && n + l + vl + 2 <= sizeof(pairs)) {
				memcpy(pairs + n, name, l + 1);
				n += l + 1;
				memcpy(pairs + n, v, vl + 1);
				n += vl + 1;
			}
		}
		s += l;
		s += strspn(s, " ,\t");
	}
	return put_packet(c, SMFIC_MACRO, pairs, n, NULL, 0);
}

/* mp_flush - write the buffered commands */
int mp_flush(struct mp_conn *c)
{
	size_t off = 0;
	while (off < c->out.len) {
		ssize_t w = send(c->fd, c->out.data + off, c->out.len - off, MSG_NOSIGNAL);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0) {
			c->out.len = 0;
			return perr(c, "%s: write: %s", c->addr->spec,
				    errno == EAGAIN ? "timed out" : strerror(errno));
		}
		off += (size_t)w;
	}
	c->out.len = 0;
	return 0;
}

/* read_exact - n bytes from the filter into dst */
static int read_exact(struct mp_conn *c, void *dst, size_t n)
{
	unsigned char *d = dst;
	while (n > 0) {
		if (c->rpos == c->rlen) {
			unsigned char *into = n >= MP_RBUF ? d : c->rbuf;
			ssize_t r = recv(c->fd, into, n >= MP_RBUF ? n : MP_RBUF, 0);
			if (r < 0 && errno == EINTR)
				continue;
			if (r == 0)
				return perr(c, "%s: connection closed by the filter",
					    c->addr->spec);
			if (r < 0)
				return perr(c, "%s: read: %s", c->addr->spec,
					    errno == EAGAIN ? "timed out" : strerror(errno));
			if (into == d) {
				d += r;
				n -= (size_t)r;
				continue;
			}
			c->rpos = 0;
			c->rlen = (size_t)r;
		}
		size_t k = c->rlen - c->rpos < n ? c->rlen - c->rpos : n;
		memcpy(d, c->rbuf + c->rpos, k);
		c->rpos += k;
		d += k;
		n -= k;
	}
	return 0;
}

/* read_packet - one reply: its command in *cmd, its data in c->in */
static int read_packet(struct mp_conn *c, int *cmd)
{
	uint32_t n;
	unsigned char code;
	if (read_exact(c, &n, 4) < 0)
		return -1;
	n = ntohl(n);
	if (n < 1 || n > MP_PACKET_MAX)
		return perr(c, "%s: bad reply length %u", c->addr->spec, n);
	if (read_exact(c, &code, 1) < 0)
		return -1;
	c->in.len = 0;
	if (reserve(&c->in, n) < 0)
		return perr(c, "out of memory");
	if (read_exact(c, c->in.data, n - 1) < 0)
		return -1;
	c->in.len = n - 1;
	c->in.data[c->in.len] = '\0';
	*cmd = code;
	return 0;
}

/* strings - split data into NUL-terminated strings; their count, or -1 when the data does
 * not end with a NUL or holds more than max */
static int strings(const unsigned char *d, size_t len, const char **s, int max)
{
	if (len == 0 || d[len - 1] != '\0')
		return -1;
	int n = 0;
	for (size_t i = 0; i < len; i += strlen((const char *)d + i) + 1) {
		if (n == max)
			return -1;
		s[n++] = (const char *)d + i;
	}
	return n;
}

/* field_name_ok - printable ASCII but ':' */
static int field_name_ok(const char *s)
{
	if (*s == '\0')
		return 0;
	for (; *s; s++)
		if ((unsigned char)*s < 33 || (unsigned char)*s > 126 || *s == ':')
			return 0;
	return 1;
}

/* is_tag - does this header edit mark the message as spam? */
static int is_tag(int cmd, const char *name, const char *value)
{
	value += strspn(value, " \t");
	if (strcasecmp(name, "X-Spam-Flag") == 0 || strcasecmp(name, "X-Spam") == 0 ||
	    strcasecmp(name, "X-Spam-Status") == 0)
		return strncasecmp(value, "yes", 3) == 0;
	if (strcasecmp(name, "X-Portcullis-Score") == 0)
		return cmd != SMFIR_CHGHEADER || *value != '\0';
	return cmd == SMFIR_CHGHEADER && strcasecmp(name, "Subject") == 0 && *value != '\0';
}

/* check_replycode - SMFIR_REPLYCODE data: "4xx text" or "5xx text", NUL-terminated;
 * multi-line replies repeat the code on every line ("550-..." CRLF "550 ..."); an
 * enhanced status code, when there is one, has the class of the reply code */
static int check_replycode(struct mp_conn *c, struct mp_reply *r)
{
	const char *t = (const char *)c->in.data;
	if (c->in.len < 4 || t[c->in.len - 1] != '\0' || strlen(t) != c->in.len - 1)
		return perr(c, "%s: SMFIR_REPLYCODE without a NUL-terminated text", c->addr->spec);
	for (const char *line = t; line;) {
		if ((line[0] != '4' && line[0] != '5') || line[1] < '0' || line[1] > '9' ||
		    line[2] < '0' || line[2] > '9' || strncmp(line, t, 3) != 0 ||
		    (line[3] != ' ' && line[3] != '-' && line[3] != '\0') ||
		    (line[3] && line[4] >= '0' && line[4] <= '9' && line[4] != line[0]))
			return perr(c, "%s: malformed SMFIR_REPLYCODE \"%.80s\"", c->addr->spec, t);
		const char *crlf = strstr(line, "\r\n");
		if (crlf && line[3] != '-')
			return perr(c, "%s: SMFIR_REPLYCODE line after the last \"%.80s\"",
				    c->addr->spec, t);
		if (!crlf && line[3] == '-')
			return perr(c, "%s: SMFIR_REPLYCODE ends with a continued line \"%.80s\"",
				    c->addr->spec, t);
		line = crlf ? crlf + 2 : NULL;
	}
	memcpy(r->code, t, 3);
	r->code[3] = '\0';
	r->act = t[0] == '4' ? MP_TEMPFAIL : MP_REJECT;
	return 0;
}

/* check_edit - one modification request at the end of the message */
/* add_header - remember a header the filter added, for the next filter of a chain */
static int add_header(struct mp_conn *c, int cmd, const char *name, const char *value)
{
	struct mp_hdr_add *a = realloc(c->adds, (c->nadds + 1) * sizeof(*a));
	if (a == NULL)
		return -1;
	c->adds = a;
	a += c->nadds;
	a->before = SIZE_MAX;
	if (cmd == SMFIR_INSHEADER) {
		uint32_t idx;
		memcpy(&idx, c->in.data, 4);
		a->before = ntohl(idx);
	}
	a->name = strdup(name);
	a->value = strdup(value);
	if (a->name == NULL || a->value == NULL) {
		free(a->name);
		free(a->value);
		return -1;
	}
	c->nadds++;
	return 0;
}

/* mp_adds_clear - forget the headers the filter added */
void mp_adds_clear(struct mp_conn *c)
{
	for (size_t i = 0; i < c->nadds; i++) {
		free(c->adds[i].name);
		free(c->adds[i].value);
	}
	c->nadds = 0;
}

static int check_edit(struct mp_conn *c, int cmd, struct mp_reply *r)
{
	static const struct {
		int cmd;
		unsigned long action;
		int index, minstr, maxstr; /* a leading uint32; strings wanted */
		const char *name;
	} edits[] = {
	    {SMFIR_ADDHEADER, SMFIF_ADDHDRS, 0, 2, 2, "SMFIR_ADDHEADER"},
	    {SMFIR_INSHEADER, SMFIF_ADDHDRS, 1, 2, 2, "SMFIR_INSHEADER"},
	    {SMFIR_CHGHEADER, SMFIF_CHGHDRS, 1, 2, 2, "SMFIR_CHGHEADER"},
	    {SMFIR_ADDRCPT, SMFIF_ADDRCPT, 0, 1, 1, "SMFIR_ADDRCPT"},
	    {SMFIR_DELRCPT, SMFIF_DELRCPT, 0, 1, 1, "SMFIR_DELRCPT"},
	    {SMFIR_ADDRCPT_PAR, SMFIF_ADDRCPT_PAR, 0, 1, 2, "SMFIR_ADDRCPT_PAR"},
	    {SMFIR_CHGFROM, SMFIF_CHGFROM, 0, 1, 2, "SMFIR_CHGFROM"},
	    {SMFIR_REPLBODY, SMFIF_CHGBODY, 0, 0, 0, "SMFIR_REPLBODY"},
	};
	size_t i = 0, n = sizeof(edits) / sizeof(edits[0]);
	while (i < n && edits[i].cmd != cmd)
		i++;
	if (i == n)
		return perr(c, "%s: unknown reply code 0x%02x at the end of message", c->addr->spec,
			    (unsigned)cmd);
	if (!(c->actions & edits[i].action))
		return perr(c, "%s: %s without having negotiated it", c->addr->spec, edits[i].name);
	r->edits++;
	if (edits[i].maxstr == 0)
		return 0;
	size_t skip = edits[i].index ? 4 : 0;
	const char *s[2] = {"", ""};
	int ns = c->in.len < skip ? -1 : strings(c->in.data + skip, c->in.len - skip, s, 2);
	if (ns < edits[i].minstr || ns > edits[i].maxstr || *s[0] == '\0')
		return perr(c, "%s: malformed %s", c->addr->spec, edits[i].name);
	if (edits[i].minstr == 2) {
		if (!field_name_ok(s[0]))
			return perr(c, "%s: %s with a bad header name \"%.60s\"", c->addr->spec,
				    edits[i].name, s[0]);
		r->tag |= is_tag(cmd, s[0], s[1]);
		if (cmd != SMFIR_CHGHEADER && add_header(c, cmd, s[0], s[1]) < 0)
			return perr(c, "%s: out of memory", c->addr->spec);
	}
	return 0;
}

/* read_reply - the filter's reply or replies to event e, up to its decision */
static int read_reply(struct mp_conn *c, const struct event *e, struct mp_reply *r)
{
	int body_state = 0; /* 1: in SMFIR_REPLBODY requests, 2: after them */
	for (unsigned i = 0; i < MP_REPLIES_MAX; i++) {
		int cmd;
		if (read_packet(c, &cmd) < 0)
			return -1;
		int bare = cmd == SMFIR_CONTINUE || cmd == SMFIR_ACCEPT || cmd == SMFIR_REJECT ||
			   cmd == SMFIR_TEMPFAIL || cmd == SMFIR_DISCARD || cmd == SMFIR_PROGRESS ||
			   cmd == SMFIR_SKIP || cmd == SMFIR_SHUTDOWN;
		if (bare && c->in.len != 0)
			return perr(c, "%s: reply '%c' to %s followed by %zu bytes", c->addr->spec,
				    cmd, e->name, c->in.len);
		if (body_state == 1 && cmd != SMFIR_REPLBODY)
			body_state = 2;
		switch (cmd) {
		case SMFIR_PROGRESS: continue;
		case SMFIR_CONTINUE: r->act = MP_CONTINUE; return 0;
		case SMFIR_ACCEPT: r->act = MP_ACCEPT; return 0;
		case SMFIR_REJECT: r->act = MP_REJECT; return 0;
		case SMFIR_TEMPFAIL: r->act = MP_TEMPFAIL; return 0;
		case SMFIR_SHUTDOWN: r->act = MP_TEMPFAIL; return 0;
		case SMFIR_REPLYCODE: return check_replycode(c, r);
		case SMFIR_DISCARD:
			if (e->cmd == SMFIC_CONNECT || e->cmd == SMFIC_HELO)
				return perr(c, "%s: SMFIR_DISCARD at %s (not allowed there)",
					    c->addr->spec, e->name);
			r->act = MP_DISCARD;
			return 0;
		case SMFIR_SKIP:
			if (e->cmd == SMFIC_BODYEOB)
				return perr(c, "%s: SMFIR_SKIP at the end of message",
					    c->addr->spec);
			c->skip_cmd = e->cmd;
			r->act = MP_CONTINUE;
			return 0;
		case SMFIR_QUARANTINE: {
			const char *s[1] = {""};
			if (!(c->actions & SMFIF_QUARANTINE) ||
			    strings(c->in.data, c->in.len, s, 1) != 1)
				return perr(c, "%s: malformed or unnegotiated SMFIR_QUARANTINE",
					    c->addr->spec);
			r->quarantine = 1;
			continue;
		}
		default:
			if (e->cmd != SMFIC_BODYEOB)
				return perr(c, "%s: unexpected reply 0x%02x ('%c') to %s",
					    c->addr->spec, (unsigned)cmd,
					    cmd > 32 && cmd < 127 ? cmd : '?', e->name);
			if (cmd == SMFIR_REPLBODY && body_state == 2)
				return perr(c, "%s: SMFIR_REPLBODY mixed with other requests",
					    c->addr->spec);
			if (cmd == SMFIR_REPLBODY)
				body_state = 1;
			if (check_edit(c, cmd, r) < 0)
				return -1;
			continue;
		}
	}
	return perr(c, "%s: more than %d replies to %s", c->addr->spec, MP_REPLIES_MAX, e->name);
}

/* set_timeouts - every read and write of fd gives up after timeout_ms */
static void set_timeouts(int fd, int timeout_ms)
{
	struct timeval tv = {.tv_sec = timeout_ms / 1000, .tv_usec = (timeout_ms % 1000) * 1000};
	(void)setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	(void)setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
}

/* read_macro_lists - the optional macro lists after the SMFIC_OPTNEG reply's 12 bytes */
static int read_macro_lists(struct mp_conn *c)
{
	size_t off = 12;
	while (off < c->in.len) {
		uint32_t stage;
		if (c->in.len - off < 5)
			return perr(c, "%s: truncated macro list in SMFIC_OPTNEG", c->addr->spec);
		memcpy(&stage, c->in.data + off, 4);
		stage = ntohl(stage);
		off += 4;
		const char *list = (const char *)c->in.data + off;
		size_t l = strnlen(list, c->in.len - off);
		if (l == c->in.len - off)
			return perr(c, "%s: macro list without NUL in SMFIC_OPTNEG", c->addr->spec);
		off += l + 1;
		if (stage >= MP_MACRO_STAGES || *list == '\0')
			continue; /* Postfix ignores unknown stages; empty: the default */
		free(c->macros[stage]);
		if ((c->macros[stage] = strdup(list)) == NULL)
			return perr(c, "out of memory");
	}
	return 0;
}

/* negotiate - SMFIC_OPTNEG and the filter's answer */
static int negotiate(struct mp_conn *c)
{
	uint32_t offer[3] = {htonl(MP_VERSION), htonl(MP_ACTIONS), htonl(MP_STEPS)};
	int cmd;
	if (put_packet(c, SMFIC_OPTNEG, offer, sizeof(offer), NULL, 0) < 0 || mp_flush(c) < 0 ||
	    read_packet(c, &cmd) < 0)
		return -1;
	if (cmd != SMFIC_OPTNEG || c->in.len < 12)
		return perr(c, "%s: bad reply '%c' (%zu bytes) to SMFIC_OPTNEG", c->addr->spec,
			    cmd > 32 && cmd < 127 ? cmd : '?', c->in.len);
	uint32_t v[3];
	memcpy(v, c->in.data, 12);
	c->version = ntohl(v[0]);
	c->actions = ntohl(v[1]);
	c->steps = ntohl(v[2]);
	if (c->version < 2 || c->version > MP_VERSION)
		return perr(c, "%s: protocol version %u (want 2 to 6)", c->addr->spec, c->version);
	if ((c->actions & MP_ACTIONS) != c->actions)
		return perr(c, "%s: actions 0x%x beyond those offered (0x%x)", c->addr->spec,
			    c->actions, (unsigned)MP_ACTIONS);
	return read_macro_lists(c);
}

/* mp_open - connect and negotiate; the connection then takes events */
int mp_open(struct mp_conn *c)
{
	int family = c->addr->sa.ss_family;
	c->fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (c->fd < 0)
		return perr(c, "socket: %s", strerror(errno));
	set_timeouts(c->fd, c->timeout_ms);
	if (connect(c->fd, (const struct sockaddr *)&c->addr->sa, c->addr->salen) < 0) {
		int e = errno;
		mp_close(c);
		return perr(c, "%s: connect: %s", c->addr->spec,
			    e == EAGAIN || e == EINPROGRESS ? "timed out" : strerror(e));
	}
	if (family != AF_UNIX) {
		int one = 1; /* commands are batched already: no Nagle delay on loopback */
		(void)setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	}
	if (c->rbuf == NULL && (c->rbuf = malloc(MP_RBUF)) == NULL) {
		mp_close(c);
		return perr(c, "out of memory");
	}
	c->rpos = c->rlen = 0;
	c->out.len = 0;
	c->skip_cmd = 0;
	for (int i = 0; i < MP_MACRO_STAGES; i++) {
		free(c->macros[i]);
		c->macros[i] = NULL;
	}
	if (negotiate(c) < 0) {
		mp_close(c);
		return -1;
	}
	c->state = MP_ENVELOPE;
	return 0;
}

/* mp_event - send command cmd (data d1 then d2) preceded by its macros, then read the
 * reply unless the filter declined the command or negotiated no reply for it */
int mp_event(struct mp_conn *c, int cmd, const void *d1, size_t l1, const void *d2, size_t l2,
	     mp_lookup_fn *lookup, void *ctx, struct mp_reply *r)
{
	const struct event *e = event_of(cmd);
	memset(r, 0, sizeof(*r));
	r->act = MP_SKIPPED;
	if (e == NULL)
		return perr(c, "internal error: event '%c'", cmd);
	if (c->skip_cmd && c->skip_cmd != cmd)
		c->skip_cmd = 0;
	if (c->skip_cmd == cmd || (e->content && (c->steps & e->nosend)) ||
	    (cmd == SMFIC_DATA && c->version < 4))
		return 0;
	if (put_macros(c, cmd, e->stage, lookup, ctx) < 0)
		return -1;
	if (c->steps & e->nosend)
		return c->out.len >= MP_FLUSH_AT ? mp_flush(c) : 0;
	if (put_packet(c, cmd, d1, l1, d2, l2) < 0)
		return -1;
	if (c->steps & e->noreply) {
		r->act = MP_NOREPLY;
		return c->out.len >= MP_FLUSH_AT ? mp_flush(c) : 0;
	}
	if (mp_flush(c) < 0)
		return -1;
	return read_reply(c, e, r);
}

/* mp_quit - SMFIC_ABORT aborts times, SMFIC_QUIT, then close */
int mp_quit(struct mp_conn *c, int aborts)
{
	if (c->fd < 0)
		return 0;
	int rc = 0;
	for (int i = 0; i < aborts && rc == 0; i++)
		rc = put_packet(c, SMFIC_ABORT, NULL, 0, NULL, 0);
	if (rc < 0 || put_packet(c, SMFIC_QUIT, NULL, 0, NULL, 0) < 0 || mp_flush(c) < 0)
		rc = -1;
	mp_close(c);
	return rc;
}

/* mp_close - drop the connection without a word */
void mp_close(struct mp_conn *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	c->state = MP_CLOSED;
	c->out.len = 0;
}

/* mp_free - close, and free the buffers */
void mp_free(struct mp_conn *c)
{
	mp_close(c);
	free(c->out.data);
	free(c->in.data);
	free(c->rbuf);
	for (int i = 0; i < MP_MACRO_STAGES; i++)
		free(c->macros[i]);
	mp_adds_clear(c);
	free(c->adds);
	mp_init(c, c->addr, c->timeout_ms);
}
