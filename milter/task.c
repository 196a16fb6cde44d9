/*
 * task.c - one piece of work on a thread of its own, from a small pool.
 *
 * SYNOPSIS
 *	t = task_start(run, arg, done);
 *	arg = task_wait(t);	... use the results in arg ...
 *	task_release(t);
 *	task_get_stats(&st);	task_pool_set(max_workers, idle_ms);	(tests)
 *
 * DESCRIPTION
 *	Checks whose input is known early (SPF of the HELO name at HELO, of
 *	the sender at MAIL FROM, iprev at connect) start on a task and are
 *	joined when their result is needed, so their DNS waits overlap each
 *	other and the SMTP dialogue. A task is shared by its thread and its
 *	owner: the last of the two to let go calls done(arg), so an owner that
 *	stops caring (RSET, a new HELO, a closed connection) never waits for a
 *	lookup it does not need.
 *
 *	Threads come from a pool, so that a message does not pay for three
 *	thread creations and exits. A worker that has run its task waits,
 *	idle, on a condition variable of its own; task_start hands a task to
 *	the most recently idle worker (the others grow old and leave). When
 *	no worker is idle, it starts a new one, up to TASK_POOL_MAX; past that
 *	it starts a detached thread for that task alone, as it did before the
 *	pool. A task is never queued behind another: a slow lookup of one
 *	message never holds up the SPF check of the next. A worker idle for
 *	TASK_POOL_IDLE_MS ends. When no thread can be made at all, the task
 *	runs inline.
 *
 *	Workers are made only by task_start, never ahead of time, so a
 *	process that forks (the daemon becoming a daemon) has none to lose;
 *	and a fork handler empties the pool in the child, so a pool that did
 *	exist in the parent is not taken to exist in the child. Every thread
 *	has TASK_STACK bytes of stack (libspf2 recurses); pool workers block
 *	every signal (libmilter's signal thread takes them).
 *
 * THREAD SAFETY
 *	One owner per task; the task's fields are guarded by its mutex. The
 *	pool is process-wide and guarded by its own mutex (held only to hand
 *	a task over or to go idle, never while a task runs).
 */
#include "config.h"

#include "task.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <time.h>

#include "log.h"

#define TASK_STACK (1024 * 1024) /* libspf2 recurses for include/redirect (depth 10) */
#define TASK_POOL_MAX 64         /* pool workers at most */
#define TASK_POOL_IDLE_MS 30000u /* an idle worker ends after this */

struct task {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	void (*run)(void *);
	void (*done)(void *);
	void *arg;    /* the task's until both sides let go */
	int finished; /* run has returned */
	int refs;     /* thread + owner */
};

/* a pool thread */
struct worker {
	struct worker *next; /* on the idle list, under pool.lock */
	pthread_cond_t cond; /* signalled when a job is handed over */
	struct task *job;    /* under pool.lock: handed over, not yet taken */
};

/* the pool: process-wide, synchronised by its lock */
static struct {
	pthread_mutex_t lock;
	struct worker *idle;      /* owned by their threads: idle, most recently idle first */
	unsigned workers;         /* pool threads alive (busy or idle) */
	unsigned max;             /* 0: TASK_POOL_MAX */
	unsigned idle_ms;         /* 0: TASK_POOL_IDLE_MS */
	pthread_condattr_t cattr; /* for the workers' conditions: clock below */
	clockid_t clock;          /* CLOCK_MONOTONIC, unless the attribute refused it */
	struct task_stats stats;
} pool = {.lock = PTHREAD_MUTEX_INITIALIZER, .clock = CLOCK_REALTIME};

static pthread_once_t pool_once = PTHREAD_ONCE_INIT;

/* unref - one side lets go; the last frees */
static void unref(struct task *t)
{
	pthread_mutex_lock(&t->lock);
	int last = --t->refs == 0;
	pthread_mutex_unlock(&t->lock);
	if (!last)
		return;
	t->done(t->arg);
	pthread_cond_destroy(&t->cond);
	pthread_mutex_destroy(&t->lock);
	free(t);
}

/* finish - mark run as returned and wake the owner */
static void finish(struct task *t)
{
	pthread_mutex_lock(&t->lock);
	t->finished = 1;
	pthread_cond_broadcast(&t->cond);
	pthread_mutex_unlock(&t->lock);
}

/* execute - run a task on this thread and let go of it */
static void execute(struct task *t)
{
	t->run(t->arg);
	finish(t);
	unref(t);
}

/* body - a thread for one task */
static void *body(void *p)
{
	execute(p);
	return NULL;
}

/* pool_prepare, pool_parent, pool_child - around fork: the child has none of the
 * parent's workers (their memory is left behind) */
static void pool_prepare(void)
{
	pthread_mutex_lock(&pool.lock);
}
static void pool_parent(void)
{
	pthread_mutex_unlock(&pool.lock);
}
static void pool_child(void)
{
	pool.idle = NULL;
	pool.workers = 0;
	pthread_mutex_unlock(&pool.lock);
}

/* pool_init - once: the fork handlers and the condition clock */
static void pool_init(void)
{
	if (pthread_atfork(pool_prepare, pool_parent, pool_child) != 0)
		log_warn("task: no fork handler: a child must not start tasks");
	if (pthread_condattr_init(&pool.cattr) == 0 &&
	    pthread_condattr_setclock(&pool.cattr, CLOCK_MONOTONIC) == 0)
		pool.clock = CLOCK_MONOTONIC;
}

/* idle_deadline - when a worker idle since `since` ends, on pool.clock */
static struct timespec idle_deadline(const struct timespec *since)
{
	unsigned ms = pool.idle_ms ? pool.idle_ms : TASK_POOL_IDLE_MS;
	struct timespec dl = *since;
	dl.tv_sec += ms / 1000;
	dl.tv_nsec += (long)(ms % 1000) * 1000000L;
	if (dl.tv_nsec >= 1000000000L) {
		dl.tv_sec++;
		dl.tv_nsec -= 1000000000L;
	}
	return dl;
}

/* go_idle - with pool.lock held: wait for a job; NULL when idle too long (the worker is
 * then off the pool). A wake-up without a job looks at the idle time again. */
static struct task *go_idle(struct worker *w)
{
	w->next = pool.idle;
	pool.idle = w;
	struct timespec since;
	clock_gettime(pool.clock, &since);
	while (w->job == NULL) {
		struct timespec dl = idle_deadline(&since);
		int rc = pthread_cond_timedwait(&w->cond, &pool.lock, &dl);
		if (rc == ETIMEDOUT && w->job == NULL) {
			struct worker **pp = &pool.idle; /* still idle: take it off the list */
			while (*pp != w)
				pp = &(*pp)->next;
			*pp = w->next;
			pool.workers--;
			pool.stats.retired++;
			return NULL;
		}
	}
	struct task *t = w->job; /* task_start took w off the idle list */
	w->job = NULL;
	return t;
}

/* worker_main - a pool thread: its first task, then whatever it is handed */
static void *worker_main(void *p)
{
	struct worker *w = p;
	pthread_mutex_lock(&pool.lock);
	struct task *t = w->job;
	w->job = NULL;
	while (t != NULL) {
		pthread_mutex_unlock(&pool.lock);
		execute(t);
		pthread_mutex_lock(&pool.lock);
		t = go_idle(w);
	}
	pthread_mutex_unlock(&pool.lock);
	pthread_cond_destroy(&w->cond);
	free(w);
	return NULL;
}

/* spawn - a thread with our stack size, detached; every signal blocked when quiet; 0 or
 * an error number */
static int spawn(void *(*fn)(void *), void *arg, int quiet)
{
	pthread_attr_t attr;
	pthread_t tid;
	int rc = pthread_attr_init(&attr);
	if (rc != 0)
		return rc;
	(void)pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	(void)pthread_attr_setstacksize(&attr, TASK_STACK);
	sigset_t all, old;
	if (quiet) {
		sigfillset(&all);
		pthread_sigmask(SIG_SETMASK, &all, &old);
	}
	rc = pthread_create(&tid, &attr, fn, arg);
	if (quiet)
		pthread_sigmask(SIG_SETMASK, &old, NULL);
	pthread_attr_destroy(&attr);
	return rc;
}

/* new_worker - a pool thread whose first task is t; 0 or an error number */
static int new_worker(struct task *t)
{
	struct worker *w = calloc(1, sizeof(*w));
	if (w == NULL)
		return ENOMEM;
	int rc = pthread_cond_init(&w->cond, &pool.cattr);
	if (rc != 0) {
		free(w);
		return rc;
	}
	w->job = t;
	rc = spawn(worker_main, w, 1);
	if (rc != 0) {
		pthread_cond_destroy(&w->cond);
		free(w);
	}
	return rc;
}

/* dispatch - hand t to an idle worker, a new worker or a thread of its own; 0 or an
 * error number (no thread took it) */
static int dispatch(struct task *t)
{
	pthread_once(&pool_once, pool_init);
	pthread_mutex_lock(&pool.lock);
	pool.stats.started++;
	struct worker *w = pool.idle;
	if (w != NULL) {
		pool.idle = w->next;
		w->job = t;
		pool.stats.reused++;
		/* under the lock: once w has run the job it may go idle, time out and free
		 * its condition before a signal sent after the unlock */
		pthread_cond_signal(&w->cond);
		pthread_mutex_unlock(&pool.lock);
		return 0;
	}
	int grow = pool.workers < (pool.max ? pool.max : TASK_POOL_MAX);
	if (grow)
		pool.workers++;
	pthread_mutex_unlock(&pool.lock);
	int rc = grow ? new_worker(t) : spawn(body, t, 0);
	pthread_mutex_lock(&pool.lock);
	if (grow && rc != 0)
		pool.workers--;
	if (rc != 0)
		pool.stats.inline_runs++;
	else if (grow)
		pool.stats.spawned++;
	else
		pool.stats.overflow++;
	pthread_mutex_unlock(&pool.lock);
	return rc;
}

/* task_start - start run(arg) */
/* task_new - a task not yet run; NULL when out of memory */
static struct task *task_new(void (*run)(void *), void *arg, void (*done)(void *))
{
	struct task *t = calloc(1, sizeof(*t));
	if (t == NULL)
		return NULL;
	if (pthread_mutex_init(&t->lock, NULL) != 0) {
		free(t);
		return NULL;
	}
	if (pthread_cond_init(&t->cond, NULL) != 0) {
		pthread_mutex_destroy(&t->lock);
		free(t);
		return NULL;
	}
	t->run = run;
	t->done = done;
	t->arg = arg;
	t->refs = 2;
	return t;
}

/* run_here - run t in the caller's thread; the task is finished on return */
static void run_here(struct task *t)
{
	t->refs = 1;
	t->run(t->arg);
	t->finished = 1;
}

struct task *task_start(void (*run)(void *), void *arg, void (*done)(void *))
{
	struct task *t = task_new(run, arg, done);
	if (t == NULL)
		return NULL;
	int rc = dispatch(t);
	if (rc != 0) { /* no thread to be had (EAGAIN under load): do it inline */
		log_debug("no thread for a task (error %d): running it inline", rc);
		run_here(t);
	}
	return t;
}

/* task_run - a task run at once in the caller's thread, for work that will not wait (its
 * DNS answers are cached): handing it to a worker would cost more than doing it */
struct task *task_run(void (*run)(void *), void *arg, void (*done)(void *))
{
	struct task *t = task_new(run, arg, done);
	if (t)
		run_here(t);
	return t;
}

/* task_wait - until run has returned */
void *task_wait(struct task *t)
{
	pthread_mutex_lock(&t->lock);
	while (!t->finished)
		pthread_cond_wait(&t->cond, &t->lock);
	pthread_mutex_unlock(&t->lock);
	return t->arg;
}

/* task_release - the owner lets go */
void task_release(struct task *t)
{
	if (t != NULL)
		unref(t);
}

/* task_get_stats - the pool's counters and size now */
void task_get_stats(struct task_stats *out)
{
	pthread_mutex_lock(&pool.lock);
	*out = pool.stats;
	out->workers = pool.workers;
	out->idle = 0;
	for (const struct worker *w = pool.idle; w != NULL; w = w->next)
		out->idle++;
	pthread_mutex_unlock(&pool.lock);
}

/* task_pool_set - the pool's bounds (0: the default); idle workers look at the new idle
 * time at once */
void task_pool_set(unsigned max_workers, unsigned idle_ms)
{
	pthread_mutex_lock(&pool.lock);
	pool.max = max_workers;
	pool.idle_ms = idle_ms;
	for (struct worker *w = pool.idle; w != NULL; w = w->next)
		pthread_cond_signal(&w->cond);
	pthread_mutex_unlock(&pool.lock);
}
