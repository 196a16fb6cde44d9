/*
 * auth_probe.c - run stored messages through the whole scan pipeline with test DNS data,
 * for the DKIM and DMARC conformance runners.
 *
 * SYNOPSIS
 *	auth_probe CONFIG ZONEFILE < cases
 *
 * DESCRIPTION
 *	CONFIG is a portcullis.conf; a "dns_forwarders" line naming the
 *	test forwarder (tests/unit/nxdns.c: every name outside the local
 *	data is NXDOMAIN) is appended to a copy of it, and the generation is
 *	loaded from that copy with gen_load, exactly as portcullisd does.
 *	ZONEFILE holds the directives of tests/spf_probe.c: "data <rr>"
 *	(local data), "zone <name> <type>" (a local zone, e.g.
 *	always_refuse: a DNS failure), "fail <name>" (SERVFAIL from the
 *	forwarder). Each line of standard input is a case:
 *	"id<TAB>client-ip<TAB>client-name<TAB>helo<TAB>mail-from<TAB>rcpt<TAB>file";
 *	each is fed through a session the way `portcullis check` feeds one
 *	(msgfile_feed) and answered by one JSON line: {"id":..,"action":..,
 *	"authres":[values of the A-R headers added],"findings":[[name,value],..]}.
 *
 * DIAGNOSTICS
 *	A refused directive or a case that cannot run is reported on stderr
 *	and makes the exit status 2.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "buf.h"
#include "dns.h"
#include "probe.h"
#include "errlist.h"
#include "findings.h"
#include "generation.h"
#include "json.h"
#include "log.h"
#include "msgfile.h"
#include "scan.h"
#include "session.h"
#include "unit/nxdns.h"


/* conf_copy - CONFIG plus the forwarder line, in a temporary file; its path or NULL */
static char *conf_copy(const char *path, int port)
{
	static char tmpl[] = "/tmp/auth_probe.XXXXXX";
	int fd = mkstemp(tmpl);
	FILE *in = fopen(path, "r"), *out = fd >= 0 ? fdopen(fd, "w") : NULL;
	if (in == NULL || out == NULL) {
		if (in)
			fclose(in);
		return NULL;
	}
	char chunk[4096];
	size_t n;
	while ((n = fread(chunk, 1, sizeof(chunk), in)) > 0)
		fwrite(chunk, 1, n, out);
	fprintf(out, "\ndns_forwarders 127.0.0.1@%d\n", port);
	fclose(in);
	fclose(out);
	return tmpl;
}

/* read_all - a file into b */
static int read_all(const char *path, struct buf *b)
{
	FILE *fp = fopen(path, "rb");
	if (fp == NULL)
		return -1;
	char chunk[8192];
	size_t n;
	int rc = 0;
	while ((n = fread(chunk, 1, sizeof(chunk), fp)) > 0)
		if (buf_add(b, chunk, n) != BUF_OK)
			rc = -1;
	fclose(fp);
	return rc;
}

/* run_case - one message through a session; the JSON line */
static int run_case(char *line)
{
	char *p = line;
	char *id = probe_field(&p), *ip = probe_field(&p), *name = probe_field(&p),
	     *helo = probe_field(&p);
	char *from = probe_field(&p), *rcpt = probe_field(&p), *file = probe_field(&p);
	struct buf msg, out;
	buf_init(&msg, 0);
	buf_init(&out, 0);
	struct session *s = session_new();
	const char *args[] = {NULL};
	int rc = -1;
	if (s == NULL || read_all(file, &msg) < 0)
		goto done;
	enum sess_rc r = session_connect(s, name, ip);
	if (r == SESS_CONTINUE && helo[0])
		r = session_helo(s, helo);
	if (r == SESS_CONTINUE)
		r = session_mail(s, from, args);
	if (r == SESS_CONTINUE && rcpt[0])
		r = session_rcpt(s, rcpt);
	if (r == SESS_CONTINUE) {
		msgfile_feed(s, msg.data ? msg.data : "", msg.len);
		enum sess_rc end = session_eom(s); /* the verdict is in s either way */
		(void)end;
	}
	int e = buf_adds(&out, "{\"id\":") | json_str(&out, id) | buf_adds(&out, ",\"action\":") |
		json_str(&out, vd_action_name(s->verdict.action)) |
		buf_adds(&out, ",\"authres\":[");
	for (size_t i = 0, k = 0; i < s->verdict.nadd; i++)
		if (strcasecmp(s->verdict.add[i].name, AUTHRES_HEADER) == 0)
			e |= buf_adds(&out, k++ ? "," : "") |
			     json_str(&out, s->verdict.add[i].value);
	e |= buf_adds(&out, "],\"findings\":[");
	for (size_t i = 0; s->findings && i < fnd_count(s->findings); i++) {
		const struct finding *f = fnd_at(s->findings, i);
		e |= buf_adds(&out, i ? ",[" : "[") | json_str(&out, f->name) |
		     buf_adds(&out, ",") | json_str(&out, f->value) | buf_adds(&out, "]");
	}
	e |= buf_adds(&out, "]}\n");
	if (e == 0) {
		fwrite(out.data, 1, out.len, stdout);
		fflush(stdout);
		rc = 0;
	}
done:
	if (rc < 0)
		fprintf(stderr, "auth_probe: case %s could not run\n", id);
	session_free(s);
	buf_free(&msg);
	buf_free(&out);
	return rc;
}

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: auth_probe CONFIG ZONEFILE < cases\n");
		return 64;
	}
	FILE *zf = fopen(argv[2], "r");
	if (zf == NULL) {
		perror(argv[2]);
		return 66;
	}
	int port = probe_forwarder(zf);
	char *conf = conf_copy(argv[1], port);
	if (conf == NULL || log_open("auth_probe", "stderr") < 0)
		return 70;
	log_set_level(LOG_LVL_ERR);
	struct errlist errs;
	errlist_init(&errs);
	struct generation *g = gen_load(conf, &errs);
	unlink(conf);
	if (g == NULL) {
		for (size_t i = 0; i < errs.count; i++)
			fprintf(stderr, "%s\n", errs.msgs[i]);
		return 78;
	}
	errlist_free(&errs);
	int bad = probe_load_zone(g->dns, zf, "auth_probe");
	fclose(zf);
	gen_publish(g);
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	while ((n = getline(&line, &cap, stdin)) > 0) {
		line[strcspn(line, "\n")] = '\0';
		if (line[0] && run_case(line) < 0)
			bad++;
	}
	free(line);
	gen_shutdown();
	return bad ? 2 : 0;
}
