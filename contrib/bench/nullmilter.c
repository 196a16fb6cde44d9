/*
 * nullmilter.c - the null milter: the floor of protocol cost in the benchmark harness
 *
 * SYNOPSIS
 *	nullmilter -p SOCKET [-P PIDFILE] [-B]
 *
 * DESCRIPTION
 *	A libmilter filter with every callback registered (connect, HELO, MAIL, RCPT, DATA,
 *	unknown command, header, end of header, body, end of message, abort, close), each
 *	returning SMFIS_CONTINUE, end of message SMFIS_ACCEPT. It asks for no action and
 *	negotiates no step or reply away, so the MTA sends it everything and waits for
 *	every reply: what any filter pays for the protocol alone.
 *	SOCKET is smfi_setconn's: unix:/path or inet:port@host. -P writes the process id
 *	once the socket is open (and removes the file at exit). -B (broken) makes every
 *	negotiation fail, so that libmilter drops the connection: for the harness's own
 *	test that a broken filter is detected.
 *	SIGTERM, SIGINT and SIGHUP stop it (libmilter's signal thread); it exits 0.
 *
 * EXIT STATUS
 *	0 stopped by a signal; 64 usage; 71 the socket or libmilter failed.
 */
#include "config.h"

#include <libmilter/mfapi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int broken; /* -B */

/* nm_connect - every stage continues */
static sfsistat nm_connect(SMFICTX *ctx, char *host, _SOCK_ADDR *sa)
{
	return SMFIS_CONTINUE;
}

/* nm_helo - continue */
static sfsistat nm_helo(SMFICTX *ctx, char *helo)
{
	return SMFIS_CONTINUE;
}

/* nm_args - continue (MAIL, RCPT) */
static sfsistat nm_args(SMFICTX *ctx, char **argv)
{
	return SMFIS_CONTINUE;
}

/* nm_ctx - continue (DATA, end of header, abort, close) */
static sfsistat nm_ctx(SMFICTX *ctx)
{
	return SMFIS_CONTINUE;
}

/* nm_unknown - continue */
static sfsistat nm_unknown(SMFICTX *ctx, const char *cmd)
{
	return SMFIS_CONTINUE;
}

/* nm_header - continue */
static sfsistat nm_header(SMFICTX *ctx, char *name, char *value)
{
	return SMFIS_CONTINUE;
}

/* nm_body - continue */
static sfsistat nm_body(SMFICTX *ctx, unsigned char *chunk, size_t len)
{
	return SMFIS_CONTINUE;
}

/* nm_eom - accept */
static sfsistat nm_eom(SMFICTX *ctx)
{
	return SMFIS_ACCEPT;
}

/* nm_negotiate - only with -B: refuse, and libmilter drops the connection */
static sfsistat nm_negotiate(SMFICTX *ctx, unsigned long f0, unsigned long f1, unsigned long f2,
			     unsigned long f3, unsigned long *pf0, unsigned long *pf1,
			     unsigned long *pf2, unsigned long *pf3)
{
	return SMFIS_REJECT;
}

int main(int argc, char **argv)
{
	const char *sock = NULL, *pidfile = NULL;
	int opt, bad = 0;
	while ((opt = getopt(argc, argv, "p:P:B")) != -1) {
		if (opt == 'p')
			sock = optarg;
		else if (opt == 'P')
			pidfile = optarg;
		else if (opt == 'B')
			broken = 1;
		else
			bad = 1;
	}
	if (bad || sock == NULL || optind != argc) {
		fprintf(stderr, "usage: nullmilter -p SOCKET [-P PIDFILE] [-B]\n");
		return 64;
	}
	struct smfiDesc desc = {
	    .xxfi_name = "nullmilter",
	    .xxfi_version = SMFI_VERSION,
	    .xxfi_flags = SMFIF_NONE,
	    .xxfi_connect = nm_connect,
	    .xxfi_helo = nm_helo,
	    .xxfi_envfrom = nm_args,
	    .xxfi_envrcpt = nm_args,
	    .xxfi_header = nm_header,
	    .xxfi_eoh = nm_ctx,
	    .xxfi_body = nm_body,
	    .xxfi_eom = nm_eom,
	    .xxfi_abort = nm_ctx,
	    .xxfi_close = nm_ctx,
	    .xxfi_unknown = nm_unknown,
	    .xxfi_data = nm_ctx,
	    .xxfi_negotiate = broken ? nm_negotiate : NULL,
	};
	if (smfi_register(desc) != MI_SUCCESS || smfi_setconn((char *)sock) != MI_SUCCESS ||
	    smfi_opensocket(1) != MI_SUCCESS) {
		fprintf(stderr, "nullmilter: cannot open %s\n", sock);
		return 71;
	}
	if (pidfile) {
		FILE *fp = fopen(pidfile, "w");
		if (fp == NULL || fprintf(fp, "%ld\n", (long)getpid()) < 0 || fclose(fp) != 0) {
			fprintf(stderr, "nullmilter: cannot write %s\n", pidfile);
			return 71;
		}
	}
	int rc = smfi_main();
	if (pidfile)
		(void)unlink(pidfile);
	return rc == MI_SUCCESS ? 0 : 71;
}
