/*
 * task.h - one piece of work on a thread of its own (from a pool), which its owner may
 * wait for or drop.
 */
#ifndef PORTCULLIS_TASK_H
#define PORTCULLIS_TASK_H

#include "compat.h"

struct task;

/* task_start - run run(arg) on a thread of its own (an idle pool worker, a new one, or past
 * the pool's bound a new detached thread: never queued behind another task); done(arg) is called
 * once, by whichever of the thread and the owner lets go last. When no thread can be made, run(arg)
 * runs here and now (the result is the same, only later). NULL only when out of memory (nothing was
 * run, and arg is still the caller's). */
struct task *task_start(void (*run)(void *), void *arg, void (*done)(void *)) WUR;
/* task_run - the same, but run at once in the caller's thread (for work whose DNS answers
 * are cached): task_wait returns at once */
struct task *task_run(void (*run)(void *), void *arg, void (*done)(void *));
/* task_wait - wait until run has returned; arg stays the task's until task_release */
void *task_wait(struct task *t);
/* task_release - the owner lets go; a task still running finishes and frees itself */
void task_release(struct task *t);

/* the pool's counters since the process started, and its size now */
struct task_stats {
	unsigned long started;     /* tasks */
	unsigned long reused;      /* handed to an idle pool worker */
	unsigned long spawned;     /* pool workers made */
	unsigned long overflow;    /* given a thread of their own: every worker busy */
	unsigned long inline_runs; /* run by task_start itself: no thread to be had */
	unsigned long retired;     /* pool workers ended, idle too long */
	unsigned workers;          /* pool workers alive */
	unsigned idle;             /* of those, idle */
};
/* task_get_stats - a consistent copy */
void task_get_stats(struct task_stats *out);
/* task_pool_set - the pool's bounds: workers at most, and how long one stays idle
 * before it ends (0: the defaults, 64 and 30 s); for tests */
void task_pool_set(unsigned max_workers, unsigned idle_ms);

#endif
