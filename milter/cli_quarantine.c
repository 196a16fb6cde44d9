/*
 * cli_quarantine.c - review the quarantine: list, show, release, delete, purge, stats,
 * repair; and `portcullis why` over the JSON log.
 *
 * SYNOPSIS
 *	portcullis quarantine [-c config] [-d dir] list [filters] [--json]
 *	portcullis quarantine show ID [--raw | --json]
 *	portcullis quarantine release ID... [--to ADDR]...
 *	portcullis quarantine delete ID...
 *	portcullis quarantine purge [--older-than DURATION] [--max-size SIZE]
 *	portcullis quarantine stats [--since WHEN] [--until WHEN]
 *	portcullis quarantine repair
 *	portcullis why [-c config] [--log FILE] REF|QUEUEID
 *
 * DESCRIPTION
 *	The store is quarantine_dir of the configuration (-c, default the
 *	installed one), or -d. Only root and members of quarantine_group (the
 *	store's group) get in; anyone else is told so. Filters of list:
 *	--since/--until WHEN (YYYY-MM-DD[THH:MM[:SS]] in UTC, @EPOCH, or a
 *	duration ago such as 2h or 7d), --sender, --rcpt, --from-domain (a
 *	'*' is a wildcard), --rule, --min-score, --max-score, --verdict
 *	(held or released), --limit. release sends the message as stored,
 *	headed by the release mark, to the original recipients (or --to)
 *	through release_via, then marks it released; delete, purge and
 *	release are logged to json_log as quarantine events with who did it.
 *	`why` finds a message's record in json_log by its reference or queue
 *	id and explains its verdict (and the stored decision, if quarantined).
 *
 * DIAGNOSTICS
 *	Exit status: 0 done, 1 some id not found or not released, 64 usage,
 *	70 internal error, 77 permission denied, 78 configuration.
 */
#include "config.h"

#include "cli_quarantine.h"

#include <errno.h>
#include <getopt.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "conf.h"
#include "errlist.h"
#include "json.h"
#include "jsonlog.h"
#include "jsonread.h"
#include "log.h"
#include "qstore.h"
#include "quarantine.h"
#include "release.h"
#include "scan.h"

#define EX_FAIL_ 1
#define EX_USAGE_ 64
#define EX_SOFTWARE_ 70
#define EX_NOPERM_ 77
#define EX_CONFIG_ 78
#define MSG_MAX ((size_t)1 << 30)
#define TOP_N 10

/* The command line, parsed. */
struct qopts {
	const char *conf_path, *dir, *log;
	struct qfilter f;
	int json, raw;
	const char **to; /* owned array of borrowed strings */
	size_t nto;
	const char *older_than, *max_size;
};

/* The open store and its settings. */
struct qctx {
	struct conf *conf; /* owned */
	struct qstore *q;  /* owned */
	const char *via;   /* borrowed from conf */
	char by[160];      /* who is running this */
};

/* usage - the synopsis */
static void usage(FILE *fp)
{
	fprintf(fp, "usage: portcullis quarantine [-c config] [-d dir] COMMAND ...\n"
		    "  list [--since WHEN] [--until WHEN] [--sender ADDR] [--rcpt ADDR]\n"
		    "       [--from-domain D] [--rule NAME] [--min-score N] [--max-score N]\n"
		    "       [--verdict held|released] [--limit N] [--json]\n"
		    "  show ID [--raw | --json]\n"
		    "  release ID... [--to ADDR]...\n"
		    "  delete ID...\n"
		    "  purge [--older-than DURATION] [--max-size SIZE]\n"
		    "  stats [--since WHEN] [--until WHEN]\n"
		    "  repair\n"
		    "WHEN: YYYY-MM-DD[THH:MM[:SS]] (UTC), @EPOCH, or a duration ago (2h, 7d)\n"
		    "       portcullis why [-c config] [--log FILE] REF|QUEUEID\n");
}

/* parse_when - an absolute or relative time; -1 when malformed */
static int parse_when(const char *s, long long *out)
{
	char *end;
	if (s[0] == '@') {
		errno = 0;
		*out = strtoll(s + 1, &end, 10);
		return errno || *end || end == s + 1 ? -1 : 0;
	}
	if (strchr(s, '-')) {
		static const char *const fmts[] = {"%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M",
						   "%Y-%m-%d %H:%M:%S", "%Y-%m-%d"};
		for (size_t i = 0; i < ARRAY_LEN(fmts); i++) {
			struct tm tm = {0};
			end = strptime(s, fmts[i], &tm);
			if (end && *end == '\0') {
				*out = (long long)timegm(&tm);
				return 0;
			}
		}
		return -1;
	}
	unsigned ago;
	if (conf_parse_duration(s, &ago) < 0)
		return -1;
	*out = (long long)time(NULL) - ago;
	return 0;
}

/* parse_score - a number */
static int parse_score(const char *s, double *out)
{
	char *end;
	errno = 0;
	*out = strtod(s, &end);
	return errno || *end || end == s ? -1 : 0;
}

/* parse_opts - the options after the command word; -1 on a usage error */
static int parse_opts(int argc, char **argv, struct qopts *o, int permute)
{
	static const struct option longopts[] = {{"config", required_argument, NULL, 'c'},
						 {"dir", required_argument, NULL, 'd'},
						 {"json", no_argument, NULL, 'j'},
						 {"raw", no_argument, NULL, 'R'},
						 {"since", required_argument, NULL, 's'},
						 {"until", required_argument, NULL, 'u'},
						 {"sender", required_argument, NULL, 'S'},
						 {"rcpt", required_argument, NULL, 'r'},
						 {"from-domain", required_argument, NULL, 'D'},
						 {"rule", required_argument, NULL, 'x'},
						 {"min-score", required_argument, NULL, 'm'},
						 {"max-score", required_argument, NULL, 'M'},
						 {"verdict", required_argument, NULL, 'v'},
						 {"state", required_argument, NULL, 'v'},
						 {"limit", required_argument, NULL, 'l'},
						 {"to", required_argument, NULL, 't'},
						 {"older-than", required_argument, NULL, 'o'},
						 {"max-size", required_argument, NULL, 'z'},
						 {"log", required_argument, NULL, 'L'},
						 {"help", no_argument, NULL, 'h'},
						 {NULL, 0, NULL, 0}};
	int opt, bad = 0;
	char *end;
	optind = 0; /* glibc: start over at argv[1] */
	while ((opt = getopt_long(argc, argv, permute ? "c:d:h" : "+c:d:h", longopts, NULL)) !=
	       -1) {
		switch (opt) {
		case 'c': o->conf_path = optarg; break;
		case 'd': o->dir = optarg; break;
		case 'j': o->json = 1; break;
		case 'R': o->raw = 1; break;
		case 's': bad |= parse_when(optarg, &o->f.since); break;
		case 'u': bad |= parse_when(optarg, &o->f.until); break;
		case 'S': o->f.sender = optarg; break;
		case 'r': o->f.rcpt = optarg; break;
		case 'D': o->f.from_domain = optarg; break;
		case 'x': o->f.rule = optarg; break;
		case 'm':
			bad |= parse_score(optarg, &o->f.score_min);
			o->f.has_min = 1;
			break;
		case 'M':
			bad |= parse_score(optarg, &o->f.score_max);
			o->f.has_max = 1;
			break;
		case 'v': o->f.state = optarg; break;
		case 'l':
			o->f.limit = strtoul(optarg, &end, 10);
			bad |= *end != '\0' || end == optarg;
			break;
		case 't': o->to[o->nto++] = optarg; break;
		case 'o': o->older_than = optarg; break;
		case 'z': o->max_size = optarg; break;
		case 'L': o->log = optarg; break;
		case 'h': return 1;
		default: return -1;
		}
		if (bad) {
			fprintf(stderr, "portcullis: cannot read the value '%s'\n", optarg);
			return -1;
		}
	}
	return 0;
}

/* who - the invoking user, for the event log */
static void who(char *out, size_t len)
{
	struct passwd pw, *res = NULL;
	char pbuf[1024];
	uid_t uid = getuid();
	const char *name =
	    getpwuid_r(uid, &pw, pbuf, sizeof(pbuf), &res) == 0 && res ? pw.pw_name : "?";
	const char *sudo = getenv("SUDO_USER");
	snprintf(out, len, "%s (uid %ld)%s%s", name, (long)uid, sudo ? " via sudo by " : "",
		 sudo ? sudo : "");
}

/* load_conf - the configuration (NULL path: the installed one if present, else defaults) */
static struct conf *load_conf(const char *path)
{
	if (path == NULL && access(CONF_DEFAULT_FILE, F_OK) == 0)
		path = CONF_DEFAULT_FILE;
	struct errlist errs;
	errlist_init(&errs);
	struct conf *c = conf_load(path, &errs);
	for (size_t i = 0; i < errs.count; i++)
		fprintf(stderr, "%s\n", errs.msgs[i]);
	errlist_free(&errs);
	return c;
}

/* denied - the message for someone the store keeps out */
static void denied(const char *dir, const struct conf *c)
{
	struct stat st;
	struct group *gr = stat(dir, &st) == 0 ? getgrgid(st.st_gid) : NULL;
	if (c->quarantine_group)
		fprintf(stderr,
			"portcullis: %s: permission denied: the quarantine is for root and "
			"members of the group %s (quarantine_group)\n",
			dir, c->quarantine_group);
	else
		fprintf(stderr,
			"portcullis: %s: permission denied: the quarantine is for root and the "
			"daemon's user%s%s (set quarantine_group to let a group in)\n",
			dir, gr ? " and group " : "", gr ? gr->gr_name : "");
}

/* open_ctx - configuration, permission check, store, JSON log; an exit status on failure */
static int open_ctx(const struct qopts *o, struct qctx *x)
{
	memset(x, 0, sizeof(*x));
	if ((x->conf = load_conf(o->conf_path)) == NULL)
		return EX_CONFIG_;
	const char *dir = o->dir ? o->dir : x->conf->quarantine_dir;
	if (dir == NULL) {
		fprintf(stderr, "portcullis: no quarantine_dir in %s (or give -d DIR)\n",
			x->conf->file);
		return EX_CONFIG_;
	}
	if (access(dir, R_OK | W_OK | X_OK) < 0 && errno == EACCES) {
		denied(dir, x->conf);
		return EX_NOPERM_;
	}
	char err[512];
	int flags = x->conf->quarantine_group ? QSTORE_SHARED : 0;
	if ((x->q = qstore_open(dir, flags, err, sizeof(err))) == NULL) {
		fprintf(stderr, "portcullis: quarantine %s: %s\n", dir, err);
		return errno == EACCES ? EX_NOPERM_ : EX_SOFTWARE_;
	}
	x->via = x->conf->release_via;
	who(x->by, sizeof(x->by));
	if (x->conf->json_log && jsonlog_open(x->conf->json_log) < 0)
		fprintf(stderr, "portcullis: warning: cannot open %s: events are not logged\n",
			x->conf->json_log);
	return 0;
}

/* close_ctx - release */
static void close_ctx(struct qctx *x)
{
	qstore_close(x->q);
	conf_free(x->conf);
	jsonlog_close();
}

/* fmt_time - unix seconds as "YYYY-MM-DD HH:MM:SS" UTC */
static void fmt_time(long long t, char *out, size_t len)
{
	time_t tt = (time_t)t;
	struct tm tm;
	gmtime_r(&tt, &tm);
	strftime(out, len, "%Y-%m-%d %H:%M:%S", &tm);
}

/* entry_json - one entry as a JSON object */
static int entry_json(struct buf *b, const struct qentry *e)
{
	int rc =
	    buf_printf(b, "{\"id\":\"%s\",\"time\":%lld,\"state\":", e->id, e->time) |
	    json_str(b, e->state) | buf_printf(b, ",\"score\":%.2f,\"verdict\":", e->score) |
	    json_str(b, e->action) | buf_adds(b, ",\"queue_id\":") | json_str(b, e->queue_id) |
	    buf_adds(b, ",\"client_addr\":") | json_str(b, e->client_addr) |
	    buf_adds(b, ",\"mail_from\":") | json_str(b, e->mail_from) |
	    buf_adds(b, ",\"from_domain\":") | json_str(b, e->from_domain) |
	    buf_adds(b, ",\"subject\":") | json_str(b, e->subject) |
	    buf_printf(b, ",\"size\":%lld,\"released\":%lld,\"rcpts\":[", e->size, e->released);
	for (size_t i = 0; i < e->nrcpt; i++)
		rc |= (i ? buf_adds(b, ",") : 0) | json_str(b, e->rcpts[i]);
	rc |= buf_adds(b, "],\"rules\":[");
	for (size_t i = 0; i < e->nrule; i++)
		rc |= (i ? buf_adds(b, ",") : 0) | json_str(b, e->rules[i]);
	return rc | buf_adds(b, "]}") ? -1 : 0;
}

/* list_row - print one entry */
static int list_row(void *arg, const struct qentry *e)
{
	const struct qopts *o = arg;
	if (o->json) {
		struct buf b;
		buf_init(&b, 0);
		if (entry_json(&b, e) == 0)
			printf("%s\n", b.data);
		buf_free(&b);
		return 0;
	}
	char when[32];
	fmt_time(e->time, when, sizeof(when));
	printf("%-26s  %s  %6.1f  %-8s  %-28.28s  %-28.28s  %-24.24s  %.60s\n", e->id, when,
	       e->score, e->state, e->mail_from[0] ? e->mail_from : "<>",
	       e->nrcpt ? e->rcpts[0] : "-", e->nrule ? e->rules[0] : "-", e->subject);
	return 0;
}

/* cmd_list - the entries the filters select */
static int cmd_list(struct qctx *x, const struct qopts *o)
{
	struct qindex *ix = qstore_index(x->q);
	if (!o->json)
		printf("%-26s  %-19s  %6s  %-8s  %-28s  %-28s  %-24s  %s\n", "ID", "TIME (UTC)",
		       "SCORE", "STATE", "SENDER", "RECIPIENT", "RULE", "SUBJECT");
	if (ix->ops->list(ix, &o->f, list_row, (void *)o) < 0) {
		fprintf(stderr, "portcullis: index: %s\n", ix->ops->error(ix));
		return EX_SOFTWARE_;
	}
	return 0;
}

/* get_entry - the index row of id, with a message when there is none */
static int get_entry(struct qctx *x, const char *id, struct qentry *e)
{
	if (!qstore_id_valid(id, strlen(id))) {
		fprintf(stderr,
			"portcullis: '%s' is not a quarantine id (26 characters, 0-9 A-Z)\n", id);
		return -1;
	}
	struct qindex *ix = qstore_index(x->q);
	int rc = ix->ops->get(ix, id, e);
	if (rc == 0)
		fprintf(stderr, "portcullis: %s: no such entry\n", id);
	else if (rc < 0)
		fprintf(stderr, "portcullis: index: %s\n", ix->ops->error(ix));
	return rc == 1 ? 0 : -1;
}

/* read_msg - the stored message into b and its metadata; -1 after a message */
static int read_msg(struct qctx *x, const char *id, struct buf *b, char **meta)
{
	char ebuf[128];
	int fd = qstore_open_entry(x->q, id, meta);
	if (fd < 0) {
		fprintf(stderr, "portcullis: %s: %s\n", id,
			log_strerror(errno, ebuf, sizeof(ebuf)));
		return -1;
	}
	char chunk[65536];
	ssize_t n;
	int rc = 0;
	while ((n = read(fd, chunk, sizeof(chunk))) > 0)
		if (buf_add(b, chunk, (size_t)n) != BUF_OK) {
			rc = -1;
			break;
		}
	close(fd);
	if (n < 0 || rc < 0) {
		fprintf(stderr, "portcullis: %s: cannot read the message\n", id);
		free(*meta);
		*meta = NULL;
		return -1;
	}
	return 0;
}

/* print_list - the strings of a JSON array, one "  - " line each */
static void print_strings(const char *arr, const char *indent)
{
	for (size_t i = 0; arr && jr_elem(arr, i); i++) {
		char *s = jr_string(jr_elem(arr, i));
		if (s)
			printf("%s%zu. %s\n", indent, i + 1, s);
		free(s);
	}
}

/* print_hits - the rule hits of a record: name, score, action, file:line, what matched */
static void print_hits(const char *rules)
{
	for (size_t i = 0; rules && jr_elem(rules, i); i++) {
		const char *h = jr_elem(rules, i);
		char *name = jr_string(jr_member(h, "name")),
		     *file = jr_string(jr_member(h, "file"));
		char *line = jr_string(jr_member(h, "line")),
		     *score = jr_string(jr_member(h, "score"));
		char *act = jr_string(jr_member(h, "action")),
		     *why = jr_string(jr_member(h, "why"));
		char *mon = jr_string(jr_member(h, "monitor"));
		printf("  %-28s %7s %-10s %s:%s%s%s%s\n", name ? name : "?", score ? score : "",
		       act && strcmp(act, "null") ? act : "", file ? file : "?", line ? line : "?",
		       mon && strcmp(mon, "true") == 0 ? " (monitor: would hit)" : "",
		       why ? "  " : "", why ? why : "");
		free(name), free(file), free(line), free(score), free(act), free(why), free(mon);
	}
}

/* print_member - "label: value" of a member, when present */
static void print_member(const char *label, const char *obj, const char *path)
{
	char *v = jr_string(jr_path(obj, path));
	if (v && strcmp(v, "null") != 0)
		printf("%-12s %s\n", label, v);
	free(v);
}

/* print_record - the explanation of a message record (log line or stored metadata) */
static void print_record(const char *rec)
{
	print_member("reference:", rec, "ref");
	print_member("queue id:", rec, "queue_id");
	print_member("time:", rec, "time");
	print_member("client:", rec, "client.addr");
	print_member("client name:", rec, "client.name");
	print_member("helo:", rec, "client.helo");
	print_member("sender:", rec, "mail_from");
	const char *r = jr_member(rec, "rcpts");
	for (size_t i = 0; r && jr_elem(r, i); i++) {
		char *a = jr_string(jr_elem(r, i));
		printf("%-12s %s\n", i ? "" : "recipients:", a ? a : "?");
		free(a);
	}
	print_member("subject:", rec, "subject");
	print_member("size:", rec, "size");
	static const char *const auth[] = {"auth.spf", "auth.dkim", "auth.dmarc", "auth.iprev"};
	printf("%-12s", "auth:");
	for (size_t i = 0; i < ARRAY_LEN(auth); i++) {
		char *v = jr_string(jr_path(rec, auth[i]));
		printf(" %s=%s", auth[i] + 5, v && strcmp(v, "null") ? v : "-");
		free(v);
	}
	printf("\n");
	print_member("verdict:", rec, "verdict");
	print_member("score:", rec, "score");
	char *code = jr_string(jr_path(rec, "reply.code"));
	if (code) {
		char *st = jr_string(jr_path(rec, "reply.status"));
		char *tx = jr_string(jr_path(rec, "reply.text"));
		printf("%-12s %s %s %s\n", "reply:", code, st && strcmp(st, "null") ? st : "",
		       tx && strcmp(tx, "null") ? tx : "");
		free(st), free(tx);
	}
	free(code);
	if (jr_elem(jr_member(rec, "rules"), 0)) {
		printf("rule hits:\n");
		print_hits(jr_member(rec, "rules"));
	}
	if (jr_elem(jr_member(rec, "reasons"), 0)) {
		printf("decision, step by step:\n");
		print_strings(jr_member(rec, "reasons"), "  ");
	}
	print_member("decided by:", rec, "decided_by");
	print_member("quarantine:", rec, "quarantine.id");
	print_member("kept in:", rec, "quarantine.to");
	print_member("generation:", rec, "generation.id");
}

/* print_findings - every finding of stored metadata */
static void print_findings(const char *meta)
{
	const char *f = jr_member(meta, "findings");
	if (jr_elem(f, 0) == NULL)
		return;
	printf("findings:\n");
	for (size_t i = 0; jr_elem(f, i); i++) {
		char *n = jr_string(jr_member(jr_elem(f, i), "name"));
		char *v = jr_string(jr_member(jr_elem(f, i), "value"));
		printf("  %-28s %s\n", n ? n : "?", v ? v : "");
		free(n), free(v);
	}
}

/* cmd_show - one entry: metadata, the decision, the headers; or the raw message */
static int cmd_show(struct qctx *x, const struct qopts *o, const char *id)
{
	struct qentry e;
	struct buf msg;
	char *meta = NULL;
	buf_init(&msg, MSG_MAX);
	if (get_entry(x, id, &e) < 0)
		return EX_FAIL_;
	int status = EX_FAIL_;
	if (read_msg(x, id, &msg, &meta) < 0)
		goto done;
	status = 0;
	if (o->raw) {
		fwrite(msg.data ? msg.data : "", 1, msg.len, stdout);
		goto done;
	}
	if (o->json) {
		struct buf b;
		buf_init(&b, 0);
		if (entry_json(&b, &e) == 0)
			printf("{\"entry\":%s,\"meta\":%s}\n", b.data, meta);
		buf_free(&b);
		goto done;
	}
	char when[32];
	fmt_time(e.time, when, sizeof(when));
	printf("%-12s %s\n%-12s %s UTC\n%-12s %s", "id:", e.id, "stored:", when, "state:", e.state);
	if (e.released) {
		fmt_time(e.released, when, sizeof(when));
		printf(" (%s UTC by %s)", when, e.released_by ? e.released_by : "?");
	}
	printf("\n");
	print_record(meta);
	print_findings(meta);
	printf("headers:\n");
	const char *end = msg.data ? strstr(msg.data, "\r\n\r\n") : NULL;
	size_t hlen = end ? (size_t)(end - msg.data) : msg.len;
	for (size_t i = 0; i < hlen;) {
		size_t n = strcspn(msg.data + i, "\n");
		if (i + n > hlen)
			n = hlen - i;
		printf("  %.*s\n", (int)(n && msg.data[i + n - 1] == '\r' ? n - 1 : n),
		       msg.data + i);
		i += n + 1;
	}
	printf("(portcullis quarantine show --raw %s prints the whole message)\n", e.id);
done:
	qentry_free(&e);
	buf_free(&msg);
	free(meta);
	return status;
}

/* make_token - 128 random bits in hex */
static int make_token(char out[33])
{
	unsigned char r[16];
	if (getrandom(r, sizeof(r), 0) != (ssize_t)sizeof(r))
		return -1;
	for (size_t i = 0; i < sizeof(r); i++)
		snprintf(out + 2 * i, 3, "%02x", r[i]);
	return 0;
}

/* release_one - mark, re-inject, log; 0 or -1 (reported) */
static int release_one(struct qctx *x, const struct qopts *o, const char *id)
{
	struct qentry e;
	if (get_entry(x, id, &e) < 0)
		return -1;
	struct buf msg, ev;
	char *meta = NULL, token[33], mark[128], err[512];
	buf_init(&msg, MSG_MAX);
	buf_init(&ev, 0);
	struct qindex *ix = qstore_index(x->q);
	char *const *rcpts = o->nto ? (char *const *)o->to : e.rcpts;
	size_t nrcpt = o->nto ? o->nto : e.nrcpt;
	int rc = -1;
	if (read_msg(x, id, &msg, &meta) < 0)
		goto done;
	if (nrcpt == 0 || make_token(token) < 0) {
		fprintf(stderr, "portcullis: %s: %s\n", id,
			nrcpt ? "no randomness for the release mark" : "no recipients");
		goto done;
	}
	snprintf(mark, sizeof(mark), "%s: %s %s", RELEASE_HEADER, id, token);
	long long now = (long long)time(NULL);
	/* marked first: the filter must know the mark when the message comes back through it */
	if (ix->ops->set_state(ix, id, QSTATE_RELEASED, now, x->by, token) < 0) {
		fprintf(stderr, "portcullis: %s: index: %s\n", id, ix->ops->error(ix));
		goto done;
	}
	if (release_send(x->via, e.mail_from, rcpts, nrcpt, mark, msg.data ? msg.data : "", msg.len,
			 err, sizeof(err)) < 0) {
		fprintf(stderr, "portcullis: %s: not released: %s\n", id, err);
		if (ix->ops->set_state(ix, id, e.state, e.released, e.released_by, e.token) < 0)
			fprintf(stderr, "portcullis: %s: index: %s\n", id, ix->ops->error(ix));
		goto done;
	}
	int j = buf_adds(&ev, "\"to\":[");
	for (size_t i = 0; i < nrcpt; i++)
		j |= (i ? buf_adds(&ev, ",") : 0) | json_str(&ev, rcpts[i]);
	j |= buf_adds(&ev, "],\"via\":") | json_str(&ev, x->via);
	quar_event("released", id, x->by, j == 0 ? ev.data : NULL);
	printf("%s: released to", id);
	for (size_t i = 0; i < nrcpt; i++)
		printf("%s %s", i ? "," : "", rcpts[i]);
	printf(" via %s\n", x->via);
	rc = 0;
done:
	qentry_free(&e);
	buf_free(&msg);
	buf_free(&ev);
	free(meta);
	return rc;
}

/* cmd_ids - release or delete each id */
static int cmd_ids(struct qctx *x, const struct qopts *o, const char *cmd, int n, char **ids)
{
	int failed = 0;
	char ebuf[128];
	for (int i = 0; i < n; i++) {
		if (strcmp(cmd, "release") == 0) {
			failed |= release_one(x, o, ids[i]) < 0;
			continue;
		}
		if (!qstore_id_valid(ids[i], strlen(ids[i]))) {
			fprintf(stderr, "portcullis: '%s' is not a quarantine id\n", ids[i]);
			failed = 1;
		} else if (qstore_delete(x->q, ids[i]) < 0) {
			fprintf(stderr, "portcullis: %s: %s\n", ids[i],
				errno == ENOENT ? "no such entry"
						: log_strerror(errno, ebuf, sizeof(ebuf)));
			failed = 1;
		} else {
			quar_event("deleted", ids[i], x->by, NULL);
			printf("%s: deleted\n", ids[i]);
		}
	}
	return failed ? EX_FAIL_ : 0;
}

/* cmd_purge - retention now */
static int cmd_purge(struct qctx *x, const struct qopts *o)
{
	unsigned age = x->conf->quarantine_max_age;
	size_t size = x->conf->quarantine_max_size, n;
	long long bytes;
	char err[512];
	if ((o->older_than && conf_parse_duration(o->older_than, &age) < 0) ||
	    (o->max_size && conf_parse_size(o->max_size, &size) < 0)) {
		fprintf(stderr, "portcullis: purge: expected --older-than 30d, --max-size 10G\n");
		return EX_USAGE_;
	}
	if (quar_purge(x->q, age, size, x->by, &n, &bytes, err, sizeof(err)) < 0) {
		fprintf(stderr, "portcullis: purge: %s\n", err);
		return EX_SOFTWARE_;
	}
	printf("purged %zu entries (%lld bytes)\n", n, bytes);
	return 0;
}

/* A counter by name, for stats. */
struct tally {
	char **name; /* owned */
	size_t *count, n, cap;
};

/* tally_add - count one name */
static void tally_add(struct tally *t, const char *name)
{
	for (size_t i = 0; i < t->n; i++)
		if (strcmp(t->name[i], name) == 0) {
			t->count[i]++;
			return;
		}
	if (t->n == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 32;
		char **nn = realloc(t->name, cap * sizeof(*nn));
		if (nn)
			t->name = nn;
		size_t *nc = nn ? realloc(t->count, cap * sizeof(*nc)) : NULL;
		if (nc == NULL)
			return;
		t->count = nc;
		t->cap = cap;
	}
	if ((t->name[t->n] = strdup(name)) != NULL)
		t->count[t->n++] = 1;
}

/* tally_print - the top entries, most first */
static void tally_print(struct tally *t, const char *title, size_t top)
{
	printf("%s:\n", title);
	for (size_t k = 0; k < top && k < t->n; k++) {
		size_t best = k;
		for (size_t i = k + 1; i < t->n; i++)
			if (t->count[i] > t->count[best])
				best = i;
		char *nm = t->name[best];
		size_t c = t->count[best];
		t->name[best] = t->name[k], t->count[best] = t->count[k];
		t->name[k] = nm, t->count[k] = c;
		printf("  %7zu  %s\n", c, nm[0] ? nm : "<>");
	}
	for (size_t i = 0; i < t->n; i++)
		free(t->name[i]);
	free(t->name);
	free(t->count);
}

/* The counters of stats. */
struct stats {
	size_t n;
	long long bytes;
	struct tally state, verdict, rules, senders;
};

/* stats_row - count one entry */
static int stats_row(void *arg, const struct qentry *e)
{
	struct stats *s = arg;
	s->n++;
	s->bytes += e->size;
	tally_add(&s->state, e->state);
	tally_add(&s->verdict, e->action);
	tally_add(&s->senders, e->mail_from);
	for (size_t i = 0; i < e->nrule; i++)
		tally_add(&s->rules, e->rules[i]);
	return 0;
}

/* cmd_stats - counts by state and verdict, top rules and senders */
static int cmd_stats(struct qctx *x, const struct qopts *o)
{
	struct stats s = {0};
	struct qindex *ix = qstore_index(x->q);
	if (ix->ops->list(ix, &o->f, stats_row, &s) < 0) {
		fprintf(stderr, "portcullis: index: %s\n", ix->ops->error(ix));
		return EX_SOFTWARE_;
	}
	printf("entries: %zu (%lld bytes)\n", s.n, s.bytes);
	tally_print(&s.state, "by state", TOP_N);
	tally_print(&s.verdict, "by verdict", TOP_N);
	tally_print(&s.rules, "top rules", TOP_N);
	tally_print(&s.senders, "top senders", TOP_N);
	return 0;
}

/* cmd_repair - the index from the files */
static int cmd_repair(struct qctx *x)
{
	size_t added, removed;
	char err[512];
	if (qstore_repair(x->q, &added, &removed, err, sizeof(err)) < 0) {
		fprintf(stderr, "portcullis: repair: %s\n", err);
		return EX_SOFTWARE_;
	}
	printf("repaired: %zu entries added to the index, %zu stale rows removed\n", added,
	       removed);
	return 0;
}

/* run - one command on the open store */
static int run(struct qctx *x, const struct qopts *o, const char *cmd, int n, char **args)
{
	if (strcmp(cmd, "list") == 0 && n == 0)
		return cmd_list(x, o);
	if (strcmp(cmd, "show") == 0 && n == 1)
		return cmd_show(x, o, args[0]);
	if ((strcmp(cmd, "release") == 0 || strcmp(cmd, "delete") == 0) && n > 0)
		return cmd_ids(x, o, cmd, n, args);
	if (strcmp(cmd, "purge") == 0 && n == 0)
		return cmd_purge(x, o);
	if (strcmp(cmd, "stats") == 0 && n == 0)
		return cmd_stats(x, o);
	if (strcmp(cmd, "repair") == 0 && n == 0)
		return cmd_repair(x);
	usage(stderr);
	return EX_USAGE_;
}

/* cli_quarantine - `portcullis quarantine [options] COMMAND [options] [ARGS]` */
int cli_quarantine(int argc, char **argv)
{
	struct qopts o = {0};
	o.to = calloc((size_t)argc + 1, sizeof(*o.to));
	if (o.to == NULL)
		return EX_SOFTWARE_;
	int rc = parse_opts(argc, argv, &o, 0); /* options before the command word */
	const char *cmd = rc == 0 && optind < argc ? argv[optind] : NULL;
	if (cmd) {
		int base = optind;
		/* the rest: options and arguments in any order (getopt permutes them) */
		argc -= base;
		argv += base;
		rc = parse_opts(argc, argv, &o, 1);
	}
	if (rc != 0 || cmd == NULL) {
		usage(rc > 0 ? stdout : stderr);
		free(o.to);
		return rc > 0 ? 0 : EX_USAGE_;
	}
	struct qctx x;
	int status = open_ctx(&o, &x);
	if (status == 0)
		status = run(&x, &o, cmd, argc - optind, argv + optind);
	close_ctx(&x);
	free(o.to);
	return status;
}

/* why_line - one JSON log line about needle (a ref or queue id): explained; 1 if it was */
static int why_line(const char *line, const char *needle, struct qctx *x)
{
	char *ref = jr_string(jr_member(line, "ref")),
	     *qid = jr_string(jr_member(line, "queue_id"));
	char *type = jr_string(jr_member(line, "type"));
	int match = type && strcmp(type, "message") == 0 &&
		    ((ref && strcmp(ref, needle) == 0) || (qid && strcmp(qid, needle) == 0));
	if (match) {
		printf("----\n");
		print_record(line);
		char *qidq = jr_string(jr_path(line, "quarantine.id"));
		char *meta = NULL;
		int fd = qidq && x->q ? qstore_open_entry(x->q, qidq, &meta) : -1;
		if (fd >= 0) {
			close(fd);
			if (jr_elem(jr_member(meta, "reasons"), 0)) {
				printf("decision, step by step (from the quarantine):\n");
				print_strings(jr_member(meta, "reasons"), "  ");
			}
			printf("(portcullis quarantine show %s has the whole entry)\n", qidq);
		}
		free(meta);
		free(qidq);
	}
	free(ref);
	free(qid);
	free(type);
	return match;
}

/* cli_why - `portcullis why REF|QUEUEID`: the verdict of a message from the JSON log */
int cli_why(int argc, char **argv)
{
	struct qopts o = {0};
	int rc = parse_opts(argc, argv, &o, 1);
	if (rc != 0 || optind != argc - 1) {
		usage(rc > 0 ? stdout : stderr);
		return rc > 0 ? 0 : EX_USAGE_;
	}
	const char *needle = argv[optind];
	struct conf *c = load_conf(o.conf_path);
	if (c == NULL)
		return EX_CONFIG_;
	const char *path = o.log ? o.log : c->json_log;
	FILE *fp = path ? fopen(path, "r") : NULL;
	if (fp == NULL) {
		fprintf(stderr, "portcullis: %s\n",
			path ? "cannot open the JSON log" : "no json_log is configured (or --log)");
		conf_free(c);
		return path ? EX_FAIL_ : EX_CONFIG_;
	}
	struct qctx x = {.conf = c};
	char err[256];
	if (c->quarantine_dir && access(c->quarantine_dir, X_OK) == 0)
		x.q = qstore_open(c->quarantine_dir, 0, err, sizeof(err));
	char *line = NULL;
	size_t cap = 0, found = 0;
	while (getline(&line, &cap, fp) > 0)
		if (strstr(line, needle))
			found += (size_t)why_line(line, needle, &x);
	free(line);
	fclose(fp);
	qstore_close(x.q);
	conf_free(c);
	if (found == 0)
		fprintf(stderr, "portcullis: %s: not in %s\n", needle, path);
	return found ? 0 : EX_FAIL_;
}
