/*
 * release.c - re-inject a released message with its original envelope.
 *
 * SYNOPSIS
 *	release_send(via, sender, rcpts, nrcpt, mark, msg, len, err, errlen)
 *
 * DESCRIPTION
 *	"sendmail:PATH" runs PATH -i -f SENDER -- RCPT... with the message on
 *	its standard input (the MTA's own submission path: for Postfix,
 *	postdrop and pickup, so non_smtpd_milters see it; MAIL_CONFIG in the
 *	environment selects a Postfix instance). "smtp:HOST:PORT" speaks SMTP
 *	(EHLO, MAIL FROM, RCPT TO, DATA with dot-stuffing, every line ended
 *	with CRLF) to HOST:PORT. Either way the release mark goes first, so
 *	that the filter accepts the message instead of quarantining it again.
 *	A null sender is passed as "" (sendmail) or <> (SMTP).
 *
 * THREAD SAFETY
 *	Used by the CLI only; no shared state.
 */
#include "config.h"

#include "release.h"

#include <errno.h>
#include <netdb.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "buf.h"
#include "log.h"

#define SMTP_LINE_MAX 1024

/* write_all - the whole range */
static int write_all(int fd, const void *p, size_t n)
{
	const char *s = p;
	while (n > 0) {
		ssize_t w = write(fd, s, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		s += w;
		n -= (size_t)w;
	}
	return 0;
}

/* via_sendmail - PATH -i -f SENDER -- RCPT... */
static int via_sendmail(const char *path, const char *sender, char *const *rcpts, size_t nrcpt,
			const char *mark, const char *msg, size_t len, char *err, size_t errlen)
{
	char ebuf[128];
	const char **argv = calloc(nrcpt + 7, sizeof(*argv));
	int p[2];
	if (argv == NULL || pipe(p) < 0) {
		free(argv);
		snprintf(err, errlen, "cannot start %s", path);
		return -1;
	}
	size_t a = 0;
	argv[a++] = path;
	argv[a++] = "-i";
	argv[a++] = "-f";
	argv[a++] = sender;
	argv[a++] = "--";
	for (size_t i = 0; i < nrcpt; i++)
		argv[a++] = rcpts[i];
	pid_t pid = fork();
	if (pid == 0) {
		dup2(p[0], STDIN_FILENO);
		close(p[0]);
		close(p[1]);
		execv(path, (char *const *)argv);
		_exit(127);
	}
	free(argv);
	close(p[0]);
	void (*old)(int) = signal(SIGPIPE, SIG_IGN);
	int rc = pid < 0 ? -1 : 0;
	if (rc == 0 && (write_all(p[1], mark, strlen(mark)) < 0 || write_all(p[1], "\r\n", 2) < 0 ||
			write_all(p[1], msg, len) < 0))
		rc = -1;
	int werr = errno;
	close(p[1]);
	signal(SIGPIPE, old);
	int status = 0;
	if (pid > 0)
		while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
			;
	if (pid < 0)
		snprintf(err, errlen, "fork: %s", log_strerror(errno, ebuf, sizeof(ebuf)));
	else if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		snprintf(err, errlen, "%s exited with status %d%s", path,
			 WIFEXITED(status) ? WEXITSTATUS(status) : -1,
			 WIFEXITED(status) && WEXITSTATUS(status) == 127 ? " (cannot run it)" : "");
	else if (rc < 0)
		snprintf(err, errlen, "writing to %s: %s", path,
			 log_strerror(werr, ebuf, sizeof(ebuf)));
	else
		return 0;
	return -1;
}

/* smtp_reply - read a (multi-line) reply; its code, or -1; the last line into err */
static int smtp_reply(FILE *in, char *err, size_t errlen)
{
	char line[SMTP_LINE_MAX];
	while (fgets(line, sizeof(line), in)) {
		line[strcspn(line, "\r\n")] = '\0';
		if (strlen(line) < 3 || line[0] < '1' || line[0] > '5')
			break;
		if (line[3] != '-') {
			snprintf(err, errlen, "%s", line);
			return (line[0] - '0') * 100 + (line[1] - '0') * 10 + (line[2] - '0');
		}
	}
	snprintf(err, errlen, "connection closed or a malformed reply");
	return -1;
}

/* smtp_cmd - send a command, expect a reply of class want (2 or 3) */
static int smtp_cmd(int fd, FILE *in, const char *cmd, int want, char *err, size_t errlen)
{
	if (cmd && (write_all(fd, cmd, strlen(cmd)) < 0 || write_all(fd, "\r\n", 2) < 0)) {
		snprintf(err, errlen, "write failed");
		return -1;
	}
	int code = smtp_reply(in, err, errlen);
	return code / 100 == want ? 0 : -1;
}

/* dot_stuff - the message as DATA: CRLF line ends, leading dots doubled, the final dot */
static int dot_stuff(struct buf *b, const char *mark, const char *msg, size_t len)
{
	int rc = buf_adds(b, mark) | buf_adds(b, "\r\n");
	int bol = 1;
	for (size_t i = 0; rc == 0 && i < len; i++) {
		char c = msg[i];
		if (bol && c == '.')
			rc |= buf_add(b, ".", 1);
		if (c == '\n' && (i == 0 || msg[i - 1] != '\r'))
			rc |= buf_add(b, "\r", 1);
		if (c == '\r' && (i + 1 == len || msg[i + 1] != '\n')) {
			rc |= buf_adds(b, "\r\n"); /* a bare CR ends a line too */
			bol = 1;
			continue;
		}
		rc |= buf_add(b, &c, 1);
		bol = c == '\n';
	}
	if (!bol)
		rc |= buf_adds(b, "\r\n");
	return rc | buf_adds(b, ".\r\n") ? -1 : 0;
}

/* connect_to - a TCP connection to host:port */
static int connect_to(const char *hostport, char *err, size_t errlen)
{
	char host[256];
	const char *colon = strrchr(hostport, ':');
	size_t hl = colon ? (size_t)(colon - hostport) : 0;
	if (hl == 0 || hl >= sizeof(host)) {
		snprintf(err, errlen, "expected HOST:PORT, got '%s'", hostport);
		return -1;
	}
	memcpy(host, hostport, hl);
	host[hl] = '\0';
	if (host[0] == '[' && host[hl - 1] == ']') {
		memmove(host, host + 1, hl - 2);
		host[hl - 2] = '\0';
	}
	struct addrinfo hints = {.ai_socktype = SOCK_STREAM}, *res, *ai;
	int gai = getaddrinfo(host, colon + 1, &hints, &res);
	if (gai != 0) {
		snprintf(err, errlen, "%s: %s", host, gai_strerror(gai));
		return -1;
	}
	int fd = -1;
	for (ai = res; ai && fd < 0; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
		if (fd >= 0 && connect(fd, ai->ai_addr, ai->ai_addrlen) < 0) {
			close(fd);
			fd = -1;
		}
	}
	freeaddrinfo(res);
	if (fd < 0)
		snprintf(err, errlen, "cannot connect to %s", hostport);
	return fd;
}

/* via_smtp - one SMTP transaction */
static int via_smtp(const char *hostport, const char *sender, char *const *rcpts, size_t nrcpt,
		    const char *mark, const char *msg, size_t len, char *err, size_t errlen)
{
	int fd = connect_to(hostport, err, errlen);
	if (fd < 0)
		return -1;
	int rfd = dup(fd);
	FILE *in = rfd >= 0 ? fdopen(rfd, "r") : NULL;
	if (in == NULL) {
		if (rfd >= 0)
			close(rfd);
		close(fd);
		snprintf(err, errlen, "out of resources");
		return -1;
	}
	char me[256] = "localhost", cmd[SMTP_LINE_MAX];
	if (gethostname(me, sizeof(me)) != 0)
		snprintf(me, sizeof(me), "localhost");
	me[sizeof(me) - 1] = '\0';
	struct buf data;
	buf_init(&data, 0);
	size_t accepted = 0;
	int rc = smtp_cmd(fd, in, NULL, 2, err, errlen);
	snprintf(cmd, sizeof(cmd), "EHLO %s", me);
	if (rc == 0)
		rc = smtp_cmd(fd, in, cmd, 2, err, errlen);
	snprintf(cmd, sizeof(cmd), "MAIL FROM:<%s>", sender);
	if (rc == 0)
		rc = smtp_cmd(fd, in, cmd, 2, err, errlen);
	for (size_t i = 0; rc == 0 && i < nrcpt; i++) {
		snprintf(cmd, sizeof(cmd), "RCPT TO:<%s>", rcpts[i]);
		accepted += smtp_cmd(fd, in, cmd, 2, err, errlen) == 0;
	}
	if (rc == 0 && accepted == 0)
		rc = -1; /* err holds the last refusal */
	if (rc == 0)
		rc = smtp_cmd(fd, in, "DATA", 3, err, errlen);
	if (rc == 0 && dot_stuff(&data, mark, msg, len) < 0) {
		snprintf(err, errlen, "out of memory");
		rc = -1;
	}
	if (rc == 0 && write_all(fd, data.data, data.len) < 0) {
		snprintf(err, errlen, "write failed");
		rc = -1;
	}
	if (rc == 0)
		rc = smtp_cmd(fd, in, NULL, 2, err, errlen);
	char quit_err[64];
	(void)smtp_cmd(fd, in, "QUIT", 2, quit_err, sizeof(quit_err));
	buf_free(&data);
	fclose(in);
	close(fd);
	return rc;
}

/* release_send - by the configured way */
int release_send(const char *via, const char *sender, char *const *rcpts, size_t nrcpt,
		 const char *mark, const char *msg, size_t len, char *err, size_t errlen)
{
	if (strncmp(via, "sendmail:", 9) == 0)
		return via_sendmail(via + 9, sender, rcpts, nrcpt, mark, msg, len, err, errlen);
	if (strncmp(via, "smtp:", 5) == 0)
		return via_smtp(via + 5, sender, rcpts, nrcpt, mark, msg, len, err, errlen);
	snprintf(err, errlen, "release_via: expected sendmail:PATH or smtp:HOST:PORT");
	return -1;
}
