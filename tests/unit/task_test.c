/*
 * task_test.c - unit tests for tasks and their thread pool (milter/task.c).
 *
 * DESCRIPTION
 *	A task's life (wait, release before or after it ends, done called once
 *	by the last side), the pool: idle workers reused, never a task queued
 *	behind a busy one (past the bound, threads of their own), idle workers
 *	ending, the stack size, a fork with idle workers in the parent, and
 *	threads starting and dropping tasks at once.
 *
 *	Under ThreadSanitizer the fork case needs TSAN_OPTIONS=die_after_fork=0
 *	(it refuses threads in the child of a threaded process otherwise).
 *
 * THREAD SAFETY
 *	tap.h is not thread-safe: tasks and worker threads only count, the
 *	main thread reports.
 */
#include "config.h"

#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "task.h"
#include "tap.h"

static atomic_int dones;   /* done() calls */
static atomic_int running; /* tasks inside run() now */

/* a task's argument */
struct job {
	int in, out;       /* run sets out = in * 2 */
	size_t stack;      /* the stack size run found */
	atomic_int *gate;  /* run waits until it is 1 (NULL: no wait) */
	unsigned sleep_ms; /* then sleeps this long */
};

/* nap - sleep ms milliseconds */
static void nap(unsigned ms)
{
	struct timespec t = {ms / 1000, (long)(ms % 1000) * 1000000L};
	nanosleep(&t, NULL);
}

/* job_run - the work */
static void job_run(void *p)
{
	struct job *j = p;
	atomic_fetch_add(&running, 1);
	pthread_attr_t a;
	size_t sz = 0;
	if (pthread_getattr_np(pthread_self(), &a) == 0) {
		(void)pthread_attr_getstacksize(&a, &sz);
		pthread_attr_destroy(&a);
	}
	j->stack = sz;
	for (int i = 0; j->gate && !atomic_load(j->gate) && i < 5000; i++)
		nap(1);
	if (j->sleep_ms)
		nap(j->sleep_ms);
	j->out = j->in * 2;
	atomic_fetch_sub(&running, 1);
}

/* job_done - count and free */
static void job_done(void *p)
{
	atomic_fetch_add(&dones, 1);
	free(p);
}

/* job_new - a job of in */
static struct job *job_new(int in, atomic_int *gate, unsigned sleep_ms)
{
	struct job *j = calloc(1, sizeof(*j));
	if (j) {
		j->in = in;
		j->gate = gate;
		j->sleep_ms = sleep_ms;
	}
	return j;
}

/* settle - wait (at most 2 s) until every pool worker is idle; 1 when they are */
static int settle(void)
{
	for (int i = 0; i < 2000; i++) {
		struct task_stats st;
		task_get_stats(&st);
		if (st.idle == st.workers)
			return 1;
		nap(1);
	}
	return 0;
}

/* test_basic - one task: the result, done once, the stack */
static void test_basic(void)
{
	atomic_store(&dones, 0);
	struct job *j = job_new(21, NULL, 0);
	struct task *t = j ? task_start(job_run, j, job_done) : NULL;
	struct job *r = t ? task_wait(t) : NULL;
	ok(r == j && r->out == 42, "task_wait gives back the argument, with the result");
	ok(r && r->stack >= 1024 * 1024, "the task's stack is at least 1 MiB (%zu)",
	   r ? r->stack : 0);
	ok(t && task_wait(t) == j, "a second wait: the same");
	is_int(atomic_load(&dones), 0, "done not called while the owner holds the task");
	task_release(t);
	for (int i = 0; i < 2000 && atomic_load(&dones) < 1; i++)
		nap(1); /* the thread may still be letting go: then it calls done */
	nap(10);
	is_int(atomic_load(&dones), 1, "done called once both sides let go of a finished task");

	/* the owner lets go first: the thread calls done when it ends */
	atomic_int gate = 0;
	j = job_new(1, &gate, 0);
	t = j ? task_start(job_run, j, job_done) : NULL;
	task_release(t);
	nap(20);
	is_int(atomic_load(&dones), 1, "released while running: done not called yet");
	atomic_store(&gate, 1);
	for (int i = 0; i < 2000 && atomic_load(&dones) < 2; i++)
		nap(1);
	is_int(atomic_load(&dones), 2, "then called by the thread when run returns");
	task_release(NULL);
	ok(1, "task_release(NULL) does nothing");

	/* task_run: done at once, in the caller's thread */
	j = job_new(5, NULL, 0);
	struct task_stats before, after;
	task_get_stats(&before);
	t = j ? task_run(job_run, j, job_done) : NULL;
	task_get_stats(&after);
	ok(t && j->out == 10, "task_run has run the task when it returns");
	ok(after.started == before.started, "task_run gives nothing to the pool");
	ok(t && task_wait(t) == j, "task_wait on it returns the argument at once");
	task_release(t);
	is_int(atomic_load(&dones), 3, "done called once the owner lets go of it");
}

/* test_reuse - tasks one after another share one worker */
static void test_reuse(void)
{
	ok(settle(), "all workers idle");
	struct task_stats s0, s1;
	task_get_stats(&s0);
	int right = 0;
	for (int i = 0; i < 100; i++) {
		struct job *j = job_new(i, NULL, 0);
		struct task *t = j ? task_start(job_run, j, job_done) : NULL;
		struct job *r = t ? task_wait(t) : NULL;
		right += r && r->out == 2 * i;
		task_release(t);
		(void)settle();
	}
	task_get_stats(&s1);
	is_int(right, 100, "100 tasks in a row, each right");
	is_int((int)(s1.spawned - s0.spawned), s0.idle ? 0 : 1, "at most one worker made for them");
	ok(s1.reused - s0.reused >= 99, "the others reused it (%lu)", s1.reused - s0.reused);
	is_int((int)(s1.overflow - s0.overflow), 0, "no thread of its own");
}

/* test_bound - past the pool's bound, threads of their own: nothing waits */
static void test_bound(void)
{
	ok(settle(), "all workers idle");
	task_pool_set(4, 0);
	struct task_stats s0, s1;
	task_get_stats(&s0);
	atomic_int gate = 0;
	struct task *t[12];
	atomic_store(&running, 0);
	for (int i = 0; i < 12; i++) {
		struct job *j = job_new(i, &gate, 0);
		t[i] = j ? task_start(job_run, j, job_done) : NULL;
	}
	int all = 0;
	for (int i = 0; i < 2000 && !all; i++) {
		all = atomic_load(&running) == 12;
		if (!all)
			nap(1);
	}
	ok(all, "12 tasks with 4 pool workers: all 12 run at once (%d)", atomic_load(&running));
	task_get_stats(&s1);
	ok(s1.workers <= 4, "the pool stays within its bound (%u workers)", s1.workers);
	is_int((int)(s1.overflow - s0.overflow), 12 - (int)s1.workers,
	       "the rest got threads of their own");
	atomic_store(&gate, 1);
	int right = 0;
	for (int i = 0; i < 12; i++) {
		struct job *r = t[i] ? task_wait(t[i]) : NULL;
		right += r && r->out == 2 * i && r->stack >= 1024 * 1024;
		task_release(t[i]);
	}
	is_int(right, 12, "each right, each with a 1 MiB stack");
	task_pool_set(0, 0);
}

/* test_idle - idle workers end after the idle time; the pool then grows again */
static void test_idle(void)
{
	ok(settle(), "all workers idle");
	task_pool_set(0, 100);
	struct job *j = job_new(5, NULL, 0);
	struct task *t = j ? task_start(job_run, j, job_done) : NULL; /* waiting: new timeout */
	if (t)
		task_release(t);
	struct task_stats st;
	int gone = 0;
	for (int i = 0; i < 100 && !gone; i++) {
		nap(100);
		task_get_stats(&st);
		gone = st.workers == 0 && st.idle == 0;
	}
	ok(gone, "with an idle time of 100 ms, every worker ends (%u left)", st.workers);
	ok(st.retired > 0, "counted as retired (%lu)", st.retired);
	j = job_new(7, NULL, 0);
	t = j ? task_start(job_run, j, job_done) : NULL;
	struct job *r = t ? task_wait(t) : NULL;
	ok(r && r->out == 14, "a task after that: a new worker runs it");
	task_release(t);
	task_pool_set(0, 0);
}

/* test_fork - a child of a process with idle workers starts tasks of its own */
static void test_fork(void)
{
	struct job *j = job_new(1, NULL, 0);
	struct task *t = j ? task_start(job_run, j, job_done) : NULL;
	if (t) {
		(void)task_wait(t);
		task_release(t);
	}
	ok(settle(), "idle workers before the fork");
	struct task_stats st;
	task_get_stats(&st);
	ok(st.idle > 0, "%u idle", st.idle);
	pid_t pid = fork();
	if (pid == 0) {
		alarm(10); /* a task handed to a worker the child does not have never ends */
		struct job *cj = job_new(8, NULL, 0);
		struct task *ct = cj ? task_start(job_run, cj, job_done) : NULL;
		struct job *r = ct ? task_wait(ct) : NULL;
		int good = r && r->out == 16;
		task_release(ct);
		struct task_stats cs;
		task_get_stats(&cs);
		_exit(good && cs.workers >= 1 ? 0 : 1);
	}
	int status = -1;
	if (pid > 0 && waitpid(pid, &status, 0) != pid)
		status = -1;
	ok(status == 0, "after a fork the child's tasks run (wait status %d)", status);
}

struct starter {
	int wrong, done;
};

/* starter_main - 300 tasks: waited for, or dropped while they run */
static void *starter_main(void *p)
{
	struct starter *s = p;
	for (int i = 0; i < 300; i++) {
		struct job *j = job_new(i, NULL, i % 5 == 0 ? 1 : 0);
		struct task *t = j ? task_start(job_run, j, job_done) : NULL;
		if (t == NULL) {
			s->wrong++;
			continue;
		}
		if (i % 3 == 0) {
			task_release(t); /* the owner stops caring */
		} else {
			struct job *r = task_wait(t);
			s->wrong += r->out != 2 * i;
			task_release(t);
		}
		s->done++;
	}
	return NULL;
}

/* test_threads - 8 threads starting, waiting for and dropping tasks at once */
static void test_threads(void)
{
	ok(settle(), "all workers idle");
	task_pool_set(6, 0);
	int d0 = atomic_load(&dones);
	struct starter s[8];
	pthread_t th[8];
	int started = 0;
	for (int i = 0; i < 8; i++) {
		s[i] = (struct starter){0, 0};
		if (pthread_create(&th[i], NULL, starter_main, &s[i]) != 0)
			break;
		started++;
	}
	int wrong = 0, done = 0;
	for (int i = 0; i < started; i++) {
		pthread_join(th[i], NULL);
		wrong += s[i].wrong;
		done += s[i].done;
	}
	is_int(done, 2400, "8 threads: 2400 tasks");
	is_int(wrong, 0, "every result right");
	for (int i = 0; i < 2000 && atomic_load(&dones) - d0 < 2400; i++)
		nap(1);
	is_int(atomic_load(&dones) - d0, 2400, "done called once for each");
	struct task_stats st;
	task_get_stats(&st);
	ok(st.workers <= 6, "the pool stayed within its bound (%u)", st.workers);
	task_pool_set(0, 0);
}

int main(void)
{
	test_basic();
	test_reuse();
	test_bound();
	test_idle();
	test_fork();
	test_threads();
	struct task_stats st;
	task_get_stats(&st);
	diag("pool: %lu tasks, %lu reused, %lu workers made, %lu own threads, %lu inline",
	     st.started, st.reused, st.spawned, st.overflow, st.inline_runs);
	return done_testing();
}
