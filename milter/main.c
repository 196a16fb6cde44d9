/*
 * main.c - portcullisd, the milter daemon.
 *
 * SYNOPSIS
 *	portcullisd [-fnVh] [-c config] [-p socket]
 *
 * DESCRIPTION
 *	Loads the configuration into the first generation, opens the milter
 *	socket, drops privileges, and serves libmilter connections.
 *	libmilter's own signal thread would stop the filter on SIGHUP, so
 *	smfi_main runs in a thread of its own while the main thread waits for
 *	signals: SIGHUP builds a new generation and publishes it only when
 *	everything loaded (the old one keeps serving otherwise); SIGTERM and
 *	SIGINT answer new connections 451 4.3.2, let open ones finish for at
 *	most shutdown_timeout, then stop the listener and exit 0. SIGUSR1
 *	reopens the JSON log (json_log) after logrotate moved it. The
 *	quarantine store is created (owned by the daemon's user) before
 *	privileges are dropped, its index repaired from the files after, and
 *	its retention applied every quarantine_purge_interval.
 *
 * DIAGNOSTICS
 *	Configuration errors as "file:line: message". Exit status: 0 done,
 *	64 usage, 70 the listener stopped unasked, 71 cannot set up (socket,
 *	privileges, daemon), 78 configuration.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pthread.h>
#include <pwd.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#include "callbacks.h"
#include "conf.h"
#include "errlist.h"
#include "generation.h"
#include "jsonlog.h"
#include "log.h"
#include "quarantine.h"

#define EX_OK_ 0
#define EX_USAGE_ 64
#define EX_SOFTWARE_ 70
#define EX_OSERR_ 71
#define EX_CONFIG_ 78

static atomic_int milter_done; /* set when smfi_main has returned */
static int milter_status;

/* usage - print the synopsis */
static void usage(FILE *fp)
{
	fprintf(fp,
		"usage: portcullisd [-fnVh] [-c config] [-p socket]\n"
		"  -c FILE    configuration file (default %s)\n"
		"  -f         stay in the foreground and log to stderr\n"
		"  -n         check the configuration and exit\n"
		"  -p SOCKET  milter socket, overriding the configuration\n"
		"  -V         print the version and exit\n"
		"  -h         this help\n",
		CONF_DEFAULT_FILE);
}

/* print_errors - every diagnostic to stderr */
static void print_errors(const struct errlist *e)
{
	for (size_t i = 0; i < e->count; i++)
		fprintf(stderr, "%s\n", e->msgs[i]);
	if (e->nomem)
		fprintf(stderr, "portcullisd: out of memory while reporting errors\n");
}

/* unix_path - the path of a unix socket spec, or NULL */
static const char *unix_path(const char *spec)
{
	if (strncmp(spec, "unix:", 5) == 0)
		return spec + 5;
	if (strncmp(spec, "local:", 6) == 0)
		return spec + 6;
	return NULL;
}

/* tcp_nodelay - set TCP_NODELAY on libmilter's listening TCP socket, which the connections
 * it accepts inherit (Linux). libmilter writes the replies at end of message (header changes,
 * then the verdict) one small write each; with Nagle's algorithm and the MTA's delayed ACKs
 * the verdict waits about 40 ms on every message. libmilter does not hand out its socket, so
 * it is found among the open descriptors: the one listening TCP socket. */
static void tcp_nodelay(void)
{
	int found = 0;
	for (int fd = 0; fd < 1024; fd++) {
		int listening = 0, type = 0;
		socklen_t len = sizeof(listening);
		struct sockaddr_storage ss;
		socklen_t slen = sizeof(ss);
		if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &len) < 0 || !listening)
			continue;
		len = sizeof(type);
		if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) < 0 || type != SOCK_STREAM ||
		    getsockname(fd, (struct sockaddr *)&ss, &slen) < 0 ||
		    (ss.ss_family != AF_INET && ss.ss_family != AF_INET6))
			continue;
		int on = 1;
		if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on)) == 0)
			found++;
	}
	if (found != 1)
		log_warn("milter socket: TCP_NODELAY set on %d listening sockets (expected 1): "
			 "verdicts over TCP may wait for delayed ACKs",
			 found);
}

/* open_socket - bind the milter socket (as root, before dropping privileges) */
static int open_socket(const struct conf *c, const char *spec)
{
	if (smfi_setconn((char *)spec) != MI_SUCCESS || smfi_opensocket(1) != MI_SUCCESS) {
		fprintf(stderr, "portcullisd: cannot open milter socket %s\n", spec);
		return -1;
	}
	const char *path = unix_path(spec);
	if (path == NULL) {
		tcp_nodelay();
		return 0;
	}
	char ebuf[128];
	if (chmod(path, c->socket_mode) < 0) {
		fprintf(stderr, "portcullisd: chmod %s: %s\n", path,
			log_strerror(errno, ebuf, sizeof(ebuf)));
		return -1;
	}
	if (c->socket_group) {
		struct group *gr = getgrnam(c->socket_group);
		uid_t owner = (uid_t)-1;
		if (c->user) {
			struct passwd *pw = getpwnam(c->user);
			if (pw)
				owner = pw->pw_uid;
		}
		if (gr == NULL || chown(path, owner, gr->gr_gid) < 0) {
			fprintf(stderr, "portcullisd: chown %s to group %s: %s\n", path,
				c->socket_group,
				gr ? log_strerror(errno, ebuf, sizeof(ebuf)) : "no such group");
			return -1;
		}
	} else if (c->user) {
		struct passwd *pw = getpwnam(c->user);
		if (pw && chown(path, pw->pw_uid, (gid_t)-1) < 0) {
			fprintf(stderr, "portcullisd: chown %s: %s\n", path,
				log_strerror(errno, ebuf, sizeof(ebuf)));
			return -1;
		}
	}
	return 0;
}

/* drop_privileges - become the configured user and group for good */
static int drop_privileges(const struct conf *c)
{
	if (c->user == NULL) {
		if (geteuid() == 0)
			log_warn("running as root: set 'user' in %s", c->file);
		return 0;
	}
	struct passwd *pw = getpwnam(c->user);
	if (pw == NULL) {
		fprintf(stderr, "portcullisd: no such user %s\n", c->user);
		return -1;
	}
	gid_t gid = pw->pw_gid;
	if (c->group) {
		struct group *gr = getgrnam(c->group);
		if (gr == NULL) {
			fprintf(stderr, "portcullisd: no such group %s\n", c->group);
			return -1;
		}
		gid = gr->gr_gid;
	}
	if (geteuid() != 0) {
		if (geteuid() == pw->pw_uid)
			return 0;
		fprintf(stderr, "portcullisd: cannot become user %s: not started as root\n",
			c->user);
		return -1;
	}
	char ebuf[128];
	if (initgroups(pw->pw_name, gid) < 0 || setgid(gid) < 0 || setuid(pw->pw_uid) < 0) {
		fprintf(stderr, "portcullisd: cannot become %s: %s\n", c->user,
			log_strerror(errno, ebuf, sizeof(ebuf)));
		return -1;
	}
	if (setuid(0) == 0) {
		fprintf(stderr, "portcullisd: privileges were not dropped\n");
		return -1;
	}
	return 0;
}

/* write_pidfile - our pid, written atomically */
static int write_pidfile(const char *path)
{
	char tmp[4096];
	int n = snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	if (n < 0 || (size_t)n >= sizeof(tmp))
		return -1;
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return -1;
	char line[32];
	int len = snprintf(line, sizeof(line), "%ld\n", (long)getpid());
	int ok = write(fd, line, (size_t)len) == len;
	if (close(fd) < 0 || !ok || rename(tmp, path) < 0) {
		unlink(tmp);
		return -1;
	}
	return 0;
}

/* daemonize - detach; the parent exits once the child reports readiness */
static int daemonize(int *ready_fd)
{
	int p[2];
	if (pipe(p) < 0)
		return -1;
	pid_t pid = fork();
	if (pid < 0)
		return -1;
	if (pid > 0) {
		close(p[1]);
		char b;
		ssize_t r;
		do
			r = read(p[0], &b, 1);
		while (r < 0 && errno == EINTR);
		_exit(r == 1 ? EX_OK_ : EX_OSERR_);
	}
	close(p[0]);
	if (setsid() < 0)
		return -1;
	int nul = open("/dev/null", O_RDWR);
	if (nul >= 0) {
		dup2(nul, STDIN_FILENO);
		dup2(nul, STDOUT_FILENO);
		dup2(nul, STDERR_FILENO);
		if (nul > STDERR_FILENO)
			close(nul);
	}
	*ready_fd = p[1];
	return 0;
}

/* milter_thread - run libmilter's accept loop */
static void *milter_thread(void *arg)
{
	milter_status = smfi_main();
	atomic_store(&milter_done, 1);
	return NULL;
}

/* daemon_ids - the user and group the daemon runs as */
static void daemon_ids(const struct conf *c, uid_t *uid, gid_t *gid)
{
	*uid = geteuid();
	*gid = getegid();
	struct passwd *pw = c->user ? getpwnam(c->user) : NULL;
	struct group *gr = c->group ? getgrnam(c->group) : NULL;
	if (pw) {
		*uid = pw->pw_uid;
		*gid = pw->pw_gid;
	}
	if (gr)
		*gid = gr->gr_gid;
}

/* open_json_log - the configured JSON log (or none) */
static void open_json_log(const struct conf *c)
{
	char ebuf[128];
	if (jsonlog_open(c->json_log) < 0)
		log_err("cannot open the JSON log %s: %s", c->json_log,
			log_strerror(errno, ebuf, sizeof(ebuf)));
}

/* reload - SIGHUP: build a new generation and publish it only if complete */
static void reload(const char *conf_path, int foreground)
{
	struct errlist errs;
	errlist_init(&errs);
	struct generation *old = gen_current();
	struct generation *g = gen_load(conf_path, &errs);
	if (g == NULL) {
		for (size_t i = 0; i < errs.count; i++)
			log_err("config error: %s", errs.msgs[i]);
		log_err("reload failed: %zu error(s); keeping generation %lu (%s)", errs.count,
			old ? old->serial : 0, old ? old->id : "-");
		errlist_free(&errs);
		gen_release(old);
		return;
	}
	errlist_free(&errs);
	if (old && strcmp(old->conf->socket, g->conf->socket) != 0)
		log_warn("socket changed to %s: takes effect at the next restart", g->conf->socket);
	if (old && ((old->conf->user == NULL) != (g->conf->user == NULL) ||
		    (old->conf->user && strcmp(old->conf->user, g->conf->user) != 0)))
		log_warn("user changed: takes effect at the next restart");
	if (!foreground && old && strcmp(old->conf->log_dest, g->conf->log_dest) != 0 &&
	    log_open("portcullisd", g->conf->log_dest) < 0)
		log_warn("cannot switch logging to %s", g->conf->log_dest);
	log_set_level((enum log_level)g->conf->log_level);
	open_json_log(g->conf);
	gen_publish(g);
	struct generation *now = gen_current();
	log_notice("configuration reloaded: generation %lu (%s)", now->serial, now->id);
	gen_release(now);
	gen_release(old);
}

/* wait_drain - give open connections up to timeout seconds */
static void wait_drain(unsigned timeout)
{
	struct timespec step = {0, 100 * 1000 * 1000};
	if (cb_active() > 0)
		log_notice("waiting for %u open connection(s) to finish, at most %us", cb_active(),
			   timeout);
	for (unsigned long i = 0; cb_active() > 0 && i < (unsigned long)timeout * 10; i++)
		nanosleep(&step, NULL);
	if (cb_active() > 0)
		log_warn("%u connection(s) still open after %us: exiting anyway", cb_active(),
			 timeout);
}

int main(int argc, char **argv)
{
	const char *conf_path = CONF_DEFAULT_FILE, *sock_override = NULL;
	int foreground = 0, check_only = 0, opt;
	while ((opt = getopt(argc, argv, "c:fnp:Vh")) != -1) {
		switch (opt) {
		case 'c': conf_path = optarg; break;
		case 'f': foreground = 1; break;
		case 'n': check_only = 1; break;
		case 'p': sock_override = optarg; break;
		case 'V': printf("portcullisd %s\n", PACKAGE_VERSION); return EX_OK_;
		case 'h': usage(stdout); return EX_OK_;
		default: usage(stderr); return EX_USAGE_;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return EX_USAGE_;
	}
	if (sock_override && conf_socket_valid(sock_override)) {
		fprintf(stderr, "portcullisd: -p %s: %s\n", sock_override,
			conf_socket_valid(sock_override));
		return EX_USAGE_;
	}

	/* loading makes no DNS lookup: the resolver's thread starts at the first one,
	 * so it exists only in the process that serves (after daemonize's fork) */
	struct errlist errs;
	errlist_init(&errs);
	struct generation *g = gen_load(conf_path, &errs);
	if (g == NULL) {
		print_errors(&errs);
		errlist_free(&errs);
		return EX_CONFIG_;
	}
	errlist_free(&errs);
	if (check_only) {
		printf("configuration OK\n");
		gen_release(g);
		return EX_OK_;
	}
	const struct conf *c = g->conf;
	const char *spec = sock_override ? sock_override : c->socket;
	if (log_open("portcullisd", foreground ? "stderr" : c->log_dest) < 0) {
		fprintf(stderr, "portcullisd: cannot log to %s\n", c->log_dest);
		return EX_CONFIG_;
	}
	log_set_level((enum log_level)c->log_level);
	signal(SIGPIPE, SIG_IGN);

	if (cb_register("portcullis") != MI_SUCCESS) {
		fprintf(stderr, "portcullisd: smfi_register failed\n");
		return EX_OSERR_;
	}
	if (open_socket(c, spec) < 0)
		return EX_OSERR_;
	int ready_fd = -1;
	if (!foreground && daemonize(&ready_fd) < 0) {
		fprintf(stderr, "portcullisd: cannot become a daemon\n");
		return EX_OSERR_;
	}
	char *pidpath = c->pidfile ? strdup(c->pidfile) : NULL; /* owned: removed at exit */
	if (c->pidfile && (pidpath == NULL || write_pidfile(pidpath) < 0)) {
		char ebuf[128];
		log_err("cannot write pidfile %s: %s", c->pidfile,
			log_strerror(errno, ebuf, sizeof(ebuf)));
		return EX_OSERR_;
	}
	uid_t quid;
	gid_t qgid;
	char qerr[512];
	daemon_ids(c, &quid, &qgid);
	if (quar_prepare(c, quid, qgid, qerr, sizeof(qerr)) < 0) {
		log_err("quarantine %s: %s", c->quarantine_dir, qerr);
		return EX_OSERR_;
	}
	if (drop_privileges(c) < 0 || chdir("/") < 0) {
		log_err("cannot drop privileges to user %s", c->user ? c->user : "-");
		return EX_OSERR_;
	}

	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGUSR1);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	open_json_log(c);
	quar_startup(c);
	gen_publish(g);
	g = NULL;
	pthread_t tid;
	if (pthread_create(&tid, NULL, milter_thread, NULL) != 0) {
		log_err("cannot start the milter thread");
		return EX_OSERR_;
	}
	{
		struct generation *cur = gen_current();
		log_notice("portcullisd %s listening on %s (generation %lu, %s)", PACKAGE_VERSION,
			   spec, cur->serial, cur->id);
		gen_release(cur);
	}
	if (ready_fd >= 0) {
		ssize_t w = write(ready_fd, "1", 1);
		(void)w;
		close(ready_fd);
	}

	const char *why = NULL; /* set when we were asked to stop */
	for (;;) {
		struct timespec tick = {1, 0};
		int sig = sigtimedwait(&set, NULL, &tick);
		if (atomic_load(&milter_done))
			break;
		struct generation *tg = gen_current();
		if (tg)
			quar_tick(tg->conf);
		gen_release(tg);
		if (sig == SIGHUP) {
			reload(conf_path, foreground);
		} else if (sig == SIGUSR1) {
			char ebuf[128];
			if (jsonlog_reopen() < 0)
				log_err("SIGUSR1: cannot reopen the JSON log: %s",
					log_strerror(errno, ebuf, sizeof(ebuf)));
			else
				log_notice("SIGUSR1: JSON log reopened");
		} else if (sig == SIGTERM || sig == SIGINT) {
			why = sig == SIGTERM ? "SIGTERM" : "SIGINT";
			log_notice("%s: refusing new connections; letting open ones finish", why);
			/* libmilter's stop abandons open sessions (its worker pool stops
			 * polling them): drain first, stop the listener after */
			cb_drain();
			struct generation *cur = gen_current();
			wait_drain(cur ? cur->conf->shutdown_timeout : 30);
			gen_release(cur);
			smfi_stop();
			break;
		}
	}
	pthread_join(tid, NULL);
	if (pidpath && unlink(pidpath) < 0)
		log_debug("pidfile %s not removed", pidpath);
	free(pidpath);
	if (why)
		log_notice("stopped (%s)", why);
	gen_shutdown();
	quar_shutdown();
	jsonlog_close();
	if (why == NULL) {
		/* libmilter stopped on its own (its signal thread took a signal, or
		 * the listener failed): not a clean stop, let the supervisor restart */
		log_err("the milter listener stopped unexpectedly");
		return EX_SOFTWARE_;
	}
	return milter_status == MI_SUCCESS ? EX_OK_ : EX_OSERR_;
}
