/*
 * milterload.c - load generator of the benchmark harness: replays a corpus to milters as
 * Postfix 3.7 does (protocol version 6), or to an MTA over SMTP, and measures the filters
 *
 * SYNOPSIS
 *	milterload -s SOCKET [-s SOCKET...] [-c N] [-n M] [-w] [-p PID...] [-t SECS] CORPUSDIR
 *	milterload --smtp HOST:PORT [-b] [-c N] [-n M] [-w] [-p PID...] CORPUSDIR
 *	milterload -s SOCKET... --idle N [-p PID...] [CORPUSDIR]
 *	milterload -s SOCKET... --hwm FILE [-p PID...] [CORPUSDIR]
 *
 * DESCRIPTION
 *	CORPUSDIR holds manifest.tsv and the messages (contrib/bench/mkcorpus.py; the format
 *	is in corpus.c and the README). N worker threads (-c, default 1) each run one SMTP
 *	session per message, back to back, taking the next message from a shared counter,
 *	until M messages (-n, default: the corpus once; the corpus is cycled) are done. -w
 *	runs the corpus once first, unmeasured. Each session opens one connection per
 *	filter (-s, in chain order, as Postfix's smtpd_milters) and sends every event as
 *	miltersession.c describes; --smtp HOST:PORT talks SMTP to an MTA instead (smtpload.c;
 *	-b: from the manifest's client addresses, else through XCLIENT when offered).
 *
 *	Measured: wall time and messages/s; per message the "eom" time (end of message sent
 *	to the final reply: the latency the filters add) and the "txn" time (the session);
 *	with -p PID (repeatable) the CPU time of each PID and all its descendants over the
 *	measured run, per message, and their RSS, peak RSS and threads at the end
 *	(proctree.c); milterload's own CPU time per message (on a small machine the load
 *	generator competes with the filters for the cores). Verdicts are counted overall
 *	and per corpus class.
 *
 *	--idle N opens N sessions up to HELO, holds them, measures the filters' RSS and
 *	threads (one second after the last one opened), closes them and checks that the
 *	filter processes are still there. --hwm FILE sends the one message FILE (the
 *	envelope of the corpus' first message, or a built-in one) and reports the filters'
 *	peak RSS (VmHWM) before and after.
 *
 * OUTPUT
 *	A report for people on stdout, then one line "RESULT key=value ..." (keys in
 *	../../SPEC.md and the README). Errors on stderr (the first 10 in detail).
 *
 * EXIT STATUS
 *	0 every session ended with a well-formed verdict; 1 a malformed reply, a broken
 *	connection, a timeout, or a filter process gone (errors=N); 64 usage; 66 corpus.
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "loadgen.h"
#include "milterproto.h"

#define MAX_FILTERS 8
#define MAX_PIDS 16
#define ERRORS_SHOWN 10
#define EX_USAGE_ 64
#define EX_NOINPUT_ 66

struct opts {
	const char *sockets[MAX_FILTERS]; /* borrowed from argv */
	size_t nsockets;
	struct mp_addr addrs[MAX_FILTERS];
	const char *smtp; /* HOST:PORT, or NULL */
	int bind_client;  /* -b */
	struct smtp_target *target;
	int conns;
	long msgs; /* 0: the corpus once */
	int warmup;
	int timeout_ms;
	long max_errors;
	pid_t pids[MAX_PIDS];
	size_t npids;
	double rate;          /* -r: messages per second over all connections, 0: flat out */
	long idle;            /* --idle N */
	const char *hwm_file; /* --hwm FILE */
	const char *dir;      /* CORPUSDIR or NULL */
};

/* one pass over the corpus, shared by its workers */
struct pass {
	const struct opts *o;
	const struct lg_corpus *c;
	long total;
	atomic_long next;          /* the next message to send */
	atomic_long errors;        /* sessions that failed */
	struct lg_result *results; /* owned: total entries */
	double t0;                 /* when the pass began (ms, lg_now_ms) */
};

static atomic_ulong session_seq; /* makes the queue ids unique */

/* usage - the synopsis; returns EX_USAGE_ */
static int usage(void)
{
	fprintf(stderr,
		"usage: milterload -s SOCKET [-s SOCKET...] [options] CORPUSDIR\n"
		"       milterload --smtp HOST:PORT [options] CORPUSDIR\n"
		"       milterload -s SOCKET... --idle N [-p PID...] [CORPUSDIR]\n"
		"       milterload -s SOCKET... --hwm FILE [-p PID...] [CORPUSDIR]\n"
		"  -s SOCKET     milter: unix:/path or inet:port@host; repeat for a chain\n"
		"  -c N          concurrent sessions (default 1)\n"
		"  -n M          messages to send (default: the corpus once; cycles)\n"
		"  -w            one unmeasured pass over the corpus first\n"
		"  -r RATE       start RATE sessions a second in all (paced, for latency below\n"
		"                saturation); default: each connection flat out\n"
		"  -p PID        a filter process to account, with its descendants (repeatable)\n"
		"  -t SECS       give up on a reply after SECS seconds (default 30)\n"
		"  -e N          stop after N failed sessions (default 10)\n"
		"  --idle N      hold N sessions open after HELO and measure the filters\n"
		"  --hwm FILE    send the message FILE once and report the filters' peak RSS\n"
		"  --smtp H:P    replay over SMTP to an MTA instead of the milter protocol\n"
		"  -b            (--smtp) connect from the manifest's client addresses\n");
	return EX_USAGE_;
}

/* number - a positive integer option, or -1 */
static long number(const char *s, long max)
{
	char *e;
	long v = strtol(s, &e, 10);
	return *s && *e == '\0' && v > 0 && v <= max ? v : -1;
}

/* parse_opts - the command line into o; 0, or an exit status */
static int parse_opts(int argc, char **argv, struct opts *o)
{
	static const struct option longs[] = {{"idle", required_argument, NULL, 'I'},
					      {"hwm", required_argument, NULL, 'H'},
					      {"smtp", required_argument, NULL, 'S'},
					      {"help", no_argument, NULL, 'h'},
					      {NULL, 0, NULL, 0}};
	long v;
	int opt;
	memset(o, 0, sizeof(*o));
	o->conns = 1;
	o->timeout_ms = 30000;
	o->max_errors = ERRORS_SHOWN;
	while ((opt = getopt_long(argc, argv, "s:c:n:p:t:e:r:wbh", longs, NULL)) != -1) {
		switch (opt) {
		case 's':
			if (o->nsockets == MAX_FILTERS)
				return usage();
			o->sockets[o->nsockets++] = optarg;
			break;
		case 'c':
			if ((v = number(optarg, 100000)) < 0)
				return usage();
			o->conns = (int)v;
			break;
		case 'n':
			if ((o->msgs = number(optarg, 1000000000)) < 0)
				return usage();
			break;
		case 'p':
			if (o->npids == MAX_PIDS || (v = number(optarg, 1L << 30)) < 0)
				return usage();
			o->pids[o->npids++] = (pid_t)v;
			break;
		case 't':
			if ((v = number(optarg, 3600)) < 0)
				return usage();
			o->timeout_ms = (int)v * 1000;
			break;
		case 'e':
			if ((o->max_errors = number(optarg, 1000000000)) < 0)
				return usage();
			break;
		case 'w': o->warmup = 1; break;
		case 'r':
			if ((v = number(optarg, 1000000)) < 0)
				return usage();
			o->rate = (double)v;
			break;
		case 'b': o->bind_client = 1; break;
		case 'I':
			if ((o->idle = number(optarg, 1000000)) < 0)
				return usage();
			break;
		case 'H': o->hwm_file = optarg; break;
		case 'S': o->smtp = optarg; break;
		default: return usage();
		}
	}
	if (optind < argc)
		o->dir = argv[optind++];
	int special = o->idle > 0 || o->hwm_file;
	if (optind != argc || (o->dir == NULL && !special) || (o->idle > 0 && o->hwm_file) ||
	    (o->smtp != NULL) == (o->nsockets > 0) || (o->smtp && o->idle > 0) ||
	    (o->bind_client && !o->smtp))
		return usage();
	char err[LG_ERR_MAX];
	for (size_t i = 0; i < o->nsockets; i++)
		if (mp_addr_parse(o->sockets[i], &o->addrs[i], err, sizeof(err)) < 0) {
			fprintf(stderr, "milterload: %s\n", err);
			return EX_USAGE_;
		}
	if (o->smtp &&
	    (o->target = smtp_target_new(o->smtp, o->bind_client, err, sizeof(err))) == NULL) {
		fprintf(stderr, "milterload: %s\n", err);
		return EX_USAGE_;
	}
	return 0;
}

/* raise_nofile - room for n open files */
static void raise_nofile(rlim_t n)
{
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) < 0 || rl.rlim_cur >= n)
		return;
	rl.rlim_cur = n;
	if (rl.rlim_max < n)
		rl.rlim_max = n; /* allowed to root only */
	if (setrlimit(RLIMIT_NOFILE, &rl) < 0 && getrlimit(RLIMIT_NOFILE, &rl) == 0) {
		rl.rlim_cur = rl.rlim_max;
		(void)setrlimit(RLIMIT_NOFILE, &rl);
	}
}

/* note_error - count a failed session; the first few are shown */
static void note_error(atomic_long *errors, const char *what, const char *err)
{
	long n = atomic_fetch_add(errors, 1);
	if (n < ERRORS_SHOWN)
		fprintf(stderr, "milterload: %s: %s\n", what, err);
	else if (n == ERRORS_SHOWN)
		fprintf(stderr, "milterload: more errors not shown\n");
}

/* pace - sleep until the monotonic time at_ms (lg_now_ms's clock) */
static void pace(double at_ms)
{
	double now = lg_now_ms();
	if (at_ms <= now)
		return;
	double d = (at_ms - now) / 1000.0;
	struct timespec ts = {(time_t)d, (long)((d - (double)(time_t)d) * 1e9)};
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/* worker - sessions back to back until the pass is done */
static void *worker(void *arg)
{
	struct pass *p = arg;
	const struct opts *o = p->o;
	struct ms_chain ch = {0};
	struct smtp_worker *sw = NULL;
	if (o->smtp ? (sw = smtp_worker_new()) == NULL
		    : ms_chain_init(&ch, o->addrs, o->nsockets, o->timeout_ms) < 0) {
		note_error(&p->errors, "worker", "out of memory");
		return NULL;
	}
	while (atomic_load(&p->errors) < o->max_errors) {
		long i = atomic_fetch_add(&p->next, 1);
		if (i >= p->total)
			break;
		const struct lg_msg *m = &p->c->msgs[i % (long)p->c->n];
		struct lg_result *r = &p->results[i];
		if (o->rate > 0) /* session i starts i/rate seconds into the pass */
			pace(p->t0 + (double)i * 1000.0 / o->rate);
		if (o->smtp)
			smtp_session(o->target, sw, m, o->timeout_ms, r);
		else
			ms_session(&ch, m, atomic_fetch_add(&session_seq, 1), r);
		if (r->verdict == LV_ERROR) {
			char what[300];
			snprintf(what, sizeof(what), "message %ld (%s)", i, m->path);
			note_error(&p->errors, what, r->err);
		}
	}
	ms_chain_free(&ch);
	smtp_worker_free(sw);
	return NULL;
}

/* run_pass - total messages over o->conns workers; the wall time in ms, or -1 */
static double run_pass(struct pass *p)
{
	pthread_t *t = calloc((size_t)p->o->conns, sizeof(*t));
	if (t == NULL)
		return -1;
	for (long i = 0; i < p->total; i++)
		p->results[i].verdict = LV_COUNT; /* not run */
	double t0 = lg_now_ms();
	p->t0 = t0;
	int started = 0;
	for (; started < p->o->conns; started++)
		if (pthread_create(&t[started], NULL, worker, p) != 0)
			break;
	for (int i = 0; i < started; i++)
		pthread_join(t[i], NULL);
	double wall = lg_now_ms() - t0;
	free(t);
	return started > 0 ? wall : -1;
}

/* cmp_double - for qsort */
static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

/* pct - the p-th percentile (nearest rank) of sorted v[0..n) */
static double pct(const double *v, size_t n, size_t p)
{
	size_t k = (p * n + 99) / 100;
	return v[k > 0 ? k - 1 : 0];
}

/* latency summary of one measure */
struct lat {
	size_t n;
	double p50, p90, p99, max;
};

/* summarize - percentiles of the eom (which = 0) or txn (1) times of finished sessions */
static int summarize(const struct pass *p, int which, struct lat *l)
{
	double *v = malloc(((size_t)p->total + 1) * sizeof(double));
	if (v == NULL)
		return -1;
	memset(l, 0, sizeof(*l));
	for (long i = 0; i < p->total; i++) {
		const struct lg_result *r = &p->results[i];
		double x = which == 0 ? r->eom_ms : r->txn_ms;
		if (r->verdict < LV_ERROR && x >= 0)
			v[l->n++] = x;
	}
	if (l->n > 0) {
		qsort(v, l->n, sizeof(double), cmp_double);
		l->p50 = pct(v, l->n, 50);
		l->p90 = pct(v, l->n, 90);
		l->p99 = pct(v, l->n, 99);
		l->max = v[l->n - 1];
	}
	free(v);
	return 0;
}

/* fmt_ms - a latency for the RESULT line, "na" without samples */
static const char *fmt_ms(char *buf, size_t size, const struct lat *l, double v)
{
	if (l->n == 0)
		return "na";
	snprintf(buf, size, "%.3f", v);
	return buf;
}

/* print_table - verdicts per class and overall */
static void print_table(const struct pass *p, long counts[LV_COUNT])
{
	long cls[LG_CLASSES_MAX][LV_COUNT];
	memset(cls, 0, sizeof(cls));
	memset(counts, 0, sizeof(long) * LV_COUNT);
	for (long i = 0; i < p->total; i++) {
		const struct lg_result *r = &p->results[i];
		if (r->verdict >= LV_COUNT)
			continue;
		cls[p->c->msgs[i % (long)p->c->n].cls][r->verdict]++;
		counts[r->verdict]++;
	}
	printf("  %-12s", "verdicts");
	for (int v = 0; v < LV_COUNT; v++)
		printf(" %10s", lg_verdict_name((enum lg_verdict)v));
	printf("\n");
	for (size_t k = 0; k <= p->c->nclasses; k++) {
		const long *row = k < p->c->nclasses ? cls[k] : counts;
		printf("    %-10s", k < p->c->nclasses ? p->c->classes[k] : "all");
		for (int v = 0; v < LV_COUNT; v++)
			printf(" %10ld", row[v]);
		printf("\n");
	}
}

/* measure - the filters' usage into u; 0, or -1 (reported) when a process is gone */
static int measure(const struct opts *o, struct pt_usage *u)
{
	memset(u, 0, sizeof(*u));
	if (o->npids == 0)
		return 0;
	if (pt_measure(o->pids, o->npids, u) < 0) {
		fprintf(stderr, "milterload: a filter process (-p) is gone\n");
		return -1;
	}
	return 0;
}

/* target_name - what the load goes to, for the report */
static void target_name(const struct opts *o, char *buf, size_t size)
{
	if (o->smtp) {
		snprintf(buf, size, "smtp %s", o->smtp);
		return;
	}
	size_t n = 0;
	for (size_t i = 0; i < o->nsockets && n < size; i++)
		n += (size_t)snprintf(buf + n, size - n, "%s%s", i ? " -> " : "", o->sockets[i]);
}

/* what was measured around a pass */
struct measured {
	double wall_ms;
	double self_ms; /* milterload's own CPU time */
	struct pt_usage before, after;
	long gone; /* 1: a filter process disappeared */
};

/* self_cpu_ms - milterload's CPU time so far */
static double self_cpu_ms(void)
{
	struct rusage ru;
	if (getrusage(RUSAGE_SELF, &ru) < 0)
		return 0;
	return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e3 +
	       (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e3;
}

/* report - the measured pass, for people and then the RESULT line */
static void report(const struct opts *o, const struct pass *p, const struct measured *m)
{
	const struct pt_usage *before = &m->before, *after = &m->after;
	const long gone = m->gone;
	struct lat eom, txn;
	long counts[LV_COUNT], msgs = 0;
	char target[512], b[6][32], cpu[32] = "na", rss[3][32] = {"na", "na", "na"};
	if (summarize(p, 0, &eom) < 0 || summarize(p, 1, &txn) < 0) {
		fprintf(stderr, "milterload: out of memory\n");
		return;
	}
	target_name(o, target, sizeof(target));
	printf("milterload: %s, %d connection%s\n", target, o->conns, o->conns == 1 ? "" : "s");
	print_table(p, counts);
	for (int v = 0; v < LV_COUNT; v++)
		msgs += counts[v];
	double secs = m->wall_ms / 1000.0, rate = secs > 0 ? (double)msgs / secs : 0;
	double self = msgs > 0 ? m->self_ms / (double)msgs : 0;
	printf("  wall time      %.3f s, %ld messages, %.1f messages/s\n", secs, msgs, rate);
	printf("  milterload CPU %.0f ms, %.3f ms/message (the load generator itself)\n",
	       m->self_ms, self);
	if (o->npids > 0 && !gone && msgs > 0) {
		long hz = sysconf(_SC_CLK_TCK);
		double ms = (double)(after->ticks - before->ticks) * 1000.0 / (double)hz;
		snprintf(cpu, sizeof(cpu), "%.3f", ms / (double)msgs);
		snprintf(rss[0], sizeof(rss[0]), "%ld", after->rss_kb);
		snprintf(rss[1], sizeof(rss[1]), "%ld", after->hwm_kb);
		snprintf(rss[2], sizeof(rss[2]), "%ld", after->threads);
		printf(
		    "  filter CPU     %.0f ms, %s ms/message (%d processes, %ld ms resolution)\n",
		    ms, cpu, after->procs, 1000 / hz);
		printf("  filter memory  RSS %ld kB, peak %ld kB, %ld threads\n", after->rss_kb,
		       after->hwm_kb, after->threads);
	}
	printf("  end of message p50 %.3f  p90 %.3f  p99 %.3f  max %.3f ms (%zu messages)\n",
	       eom.p50, eom.p90, eom.p99, eom.max, eom.n);
	printf("  session        p50 %.3f  p90 %.3f  p99 %.3f  max %.3f ms\n", txn.p50, txn.p90,
	       txn.p99, txn.max);
	printf("RESULT msgs=%ld conns=%d wall_s=%.3f msgs_per_s=%.1f cpu_ms_per_msg=%s "
	       "eom_p50_ms=%s eom_p90_ms=%s eom_p99_ms=%s eom_max_ms=%s txn_p99_ms=%s rss_kb=%s "
	       "hwm_kb=%s threads=%s",
	       msgs, o->conns, secs, rate, cpu, fmt_ms(b[0], 32, &eom, eom.p50),
	       fmt_ms(b[1], 32, &eom, eom.p90), fmt_ms(b[2], 32, &eom, eom.p99),
	       fmt_ms(b[3], 32, &eom, eom.max), fmt_ms(b[4], 32, &txn, txn.p99), rss[0], rss[1],
	       rss[2]);
	for (int v = 0; v < LV_COUNT; v++)
		printf(" %s=%ld", lg_verdict_name((enum lg_verdict)v),
		       counts[v] + (v == LV_ERROR ? gone : 0));
	printf(" rate=%.0f", o->rate);
	printf(" txn_p50_ms=%s self_cpu_ms_per_msg=%.3f filters=%zu mode=%s\n",
	       fmt_ms(b[5], 32, &txn, txn.p50), self, o->nsockets, o->smtp ? "smtp" : "milter");
}

/* run_load - the normal mode: optional warm-up, then the measured pass */
static int run_load(const struct opts *o, const struct lg_corpus *c)
{
	long total = o->msgs > 0 ? o->msgs : (long)c->n;
	struct pass p = {.o = o, .c = c};
	raise_nofile((rlim_t)o->conns * (o->nsockets + 1) + 64);
	if ((p.results = calloc((size_t)(total > (long)c->n ? total : (long)c->n),
				sizeof(*p.results))) == NULL) {
		fprintf(stderr, "milterload: out of memory\n");
		return 1;
	}
	if (o->warmup) {
		p.total = (long)c->n;
		if (run_pass(&p) < 0 || atomic_load(&p.errors) > 0) {
			fprintf(stderr, "milterload: the warm-up pass failed\n");
			free(p.results);
			return 1;
		}
	}
	struct measured m = {0};
	m.gone = measure(o, &m.before) < 0;
	p.total = total;
	atomic_store(&p.next, 0);
	atomic_store(&p.errors, 0);
	double self0 = self_cpu_ms();
	m.wall_ms = run_pass(&p);
	m.self_ms = self_cpu_ms() - self0;
	m.gone |= !m.gone && measure(o, &m.after) < 0;
	if (m.wall_ms < 0)
		fprintf(stderr, "milterload: cannot start a worker thread\n");
	else
		report(o, &p, &m);
	long errors = atomic_load(&p.errors) + m.gone;
	free(p.results);
	return m.wall_ms < 0 || errors > 0;
}

/* default_envelope - for --idle and --hwm without a corpus */
static struct lg_msg default_envelope(void)
{
	static char *rcpts[] = {"postmaster@mx.bench.test"};
	struct lg_msg m = {.client_ip = "192.0.2.10",
			   .client_name = "unknown",
			   .helo = "client.example.test",
			   .mail_from = "sender@example.test",
			   .rcpts = rcpts,
			   .nrcpts = 1,
			   .path = "(built-in)",
			   .data = "",
			   .hdrtext = ""};
	return m;
}

/* run_idle - hold o->idle sessions after HELO and measure the filters meanwhile */
static int run_idle(const struct opts *o, const struct lg_msg *env)
{
	struct ms_chain *chains = calloc((size_t)o->idle, sizeof(*chains));
	struct pt_usage base, held, end;
	atomic_long errors = 0;
	long opened = 0;
	if (chains == NULL) {
		fprintf(stderr, "milterload: out of memory\n");
		return 1;
	}
	raise_nofile((rlim_t)o->idle * o->nsockets + 64);
	long gone = measure(o, &base) < 0;
	for (; opened < o->idle && !gone; opened++) {
		char err[LG_ERR_MAX];
		if (ms_chain_init(&chains[opened], o->addrs, o->nsockets, o->timeout_ms) < 0 ||
		    ms_idle_open(&chains[opened], env, atomic_fetch_add(&session_seq, 1), err,
				 sizeof(err)) < 0) {
			char what[64];
			snprintf(what, sizeof(what), "idle session %ld", opened);
			note_error(&errors, what, err);
			ms_chain_free(&chains[opened]);
			break;
		}
	}
	struct timespec settle = {1, 0};
	nanosleep(&settle, NULL);
	gone |= !gone && measure(o, &held) < 0;
	for (long i = 0; i < opened; i++) {
		if (ms_idle_close(&chains[i]) < 0)
			note_error(&errors, "closing an idle session", "write failed");
		ms_chain_free(&chains[i]);
	}
	free(chains);
	settle.tv_sec = 0;
	settle.tv_nsec = 500000000;
	nanosleep(&settle, NULL);
	gone |= !gone && measure(o, &end) < 0; /* did the filters survive? */
	long nerr = atomic_load(&errors) + gone;
	printf("milterload: %ld idle sessions held (of %ld)\n", opened, o->idle);
	if (o->npids > 0 && !gone) {
		printf("  filter before  RSS %ld kB, %ld threads\n", base.rss_kb, base.threads);
		printf("  filter held    RSS %ld kB, peak %ld kB, %ld threads\n", held.rss_kb,
		       held.hwm_kb, held.threads);
		printf("  filter after   RSS %ld kB, %ld threads\n", end.rss_kb, end.threads);
		printf(
		    "RESULT idle=%ld opened=%ld rss_kb=%ld hwm_kb=%ld threads=%ld rss_base_kb=%ld "
		    "threads_base=%ld rss_after_kb=%ld errors=%ld\n",
		    o->idle, opened, held.rss_kb, held.hwm_kb, held.threads, base.rss_kb,
		    base.threads, end.rss_kb, nerr);
	} else
		printf("RESULT idle=%ld opened=%ld rss_kb=na hwm_kb=na threads=na errors=%ld\n",
		       o->idle, opened, nerr);
	return nerr > 0;
}

/* run_hwm - one message, the filters' peak RSS before and after */
static int run_hwm(const struct opts *o, const struct lg_corpus *c)
{
	const struct lg_msg *m = &c->msgs[c->n - 1];
	struct pt_usage before, after;
	struct lg_result r;
	if (measure(o, &before) < 0)
		return 1;
	if (o->smtp) {
		struct smtp_worker *w = smtp_worker_new();
		if (w == NULL)
			return 1;
		smtp_session(o->target, w, m, o->timeout_ms, &r);
		smtp_worker_free(w);
	} else {
		struct ms_chain ch;
		if (ms_chain_init(&ch, o->addrs, o->nsockets, o->timeout_ms) < 0)
			return 1;
		ms_session(&ch, m, atomic_fetch_add(&session_seq, 1), &r);
		ms_chain_free(&ch);
	}
	int gone = measure(o, &after) < 0;
	int err = r.verdict == LV_ERROR || gone;
	if (r.verdict == LV_ERROR)
		fprintf(stderr, "milterload: %s: %s\n", m->path, r.err);
	printf("milterload: %s, %zu kB, verdict %s, end of message %.3f ms\n", m->path,
	       m->len / 1024, lg_verdict_name(r.verdict), r.eom_ms);
	if (o->npids > 0 && !gone) {
		printf("  filter peak RSS %ld kB before, %ld kB after: +%ld kB\n", before.hwm_kb,
		       after.hwm_kb, after.hwm_kb - before.hwm_kb);
		printf("RESULT hwm_file=%s size_kb=%zu verdict=%s hwm_before_kb=%ld "
		       "hwm_after_kb=%ld hwm_delta_kb=%ld rss_kb=%ld errors=%d\n",
		       m->path, m->len / 1024, lg_verdict_name(r.verdict), before.hwm_kb,
		       after.hwm_kb, after.hwm_kb - before.hwm_kb, after.rss_kb, err);
	} else
		printf("RESULT hwm_file=%s size_kb=%zu verdict=%s hwm_delta_kb=na errors=%d\n",
		       m->path, m->len / 1024, lg_verdict_name(r.verdict), err);
	return err;
}

int main(int argc, char **argv)
{
	struct opts o;
	struct lg_corpus c = {0};
	char err[LG_ERR_MAX];
	int rc = parse_opts(argc, argv, &o);
	if (rc != 0)
		return rc;
	signal(SIGPIPE, SIG_IGN);
	if (o.dir && corpus_load(o.dir, &c, err, sizeof(err)) < 0) {
		fprintf(stderr, "milterload: %s\n", err);
		smtp_target_free(o.target);
		return EX_NOINPUT_;
	}
	struct lg_msg dflt = default_envelope();
	const struct lg_msg *env = c.n > 0 ? &c.msgs[0] : &dflt;
	if (o.hwm_file && corpus_add_file(&c, o.hwm_file, env, err, sizeof(err)) < 0) {
		fprintf(stderr, "milterload: %s\n", err);
		rc = EX_NOINPUT_;
	} else if (o.hwm_file)
		rc = run_hwm(&o, &c);
	else if (o.idle > 0)
		rc = run_idle(&o, env);
	else
		rc = run_load(&o, &c);
	corpus_free(&c);
	smtp_target_free(o.target);
	return rc;
}
