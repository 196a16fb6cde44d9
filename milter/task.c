/*
 * task.c - one piece of work on its own thread.
 *
 * SYNOPSIS
 *	t = task_start(run, arg, done);
 *	arg = task_wait(t);	... use the results in arg ...
 *	task_release(t);
 *
 * DESCRIPTION
 *	Checks whose input is known early (SPF of the HELO name at HELO, of
 *	the sender at MAIL FROM) start on a task and are joined when their
 *	result is needed, so their DNS waits overlap each other and the SMTP
 *	dialogue. A task is shared by its thread and its owner: the last of the
 *	two to let go calls done(arg), so an owner that stops caring (RSET, a
 *	new HELO, a closed connection) never waits for a lookup it does not
 *	need. Threads are detached and use a small stack.
 *
 * THREAD SAFETY
 *	One owner per task; the task's fields are guarded by its mutex.
 */
#include "config.h"

#include "task.h"

#include <pthread.h>
#include <stdlib.h>

#include "log.h"

#define TASK_STACK (1024 * 1024) /* libspf2 recurses for include/redirect (depth 10) */

struct task {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	void (*run)(void *);
	void (*done)(void *);
	void *arg;    /* the task's until both sides let go */
	int finished; /* run has returned */
	int refs;     /* thread + owner */
};

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

/* body - the thread */
static void *body(void *p)
{
	struct task *t = p;
	t->run(t->arg);
	finish(t);
	unref(t);
	return NULL;
}

/* task_start - start run(arg) */
struct task *task_start(void (*run)(void *), void *arg, void (*done)(void *))
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
	pthread_attr_t attr;
	pthread_t tid;
	int rc = pthread_attr_init(&attr);
	if (rc == 0) {
		(void)pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
		(void)pthread_attr_setstacksize(&attr, TASK_STACK);
		rc = pthread_create(&tid, &attr, body, t);
		pthread_attr_destroy(&attr);
	}
	if (rc != 0) { /* no thread to be had (EAGAIN under load): do it inline */
		log_debug("no thread for a task (error %d): running it inline", rc);
		t->refs = 1;
		run(arg);
		t->finished = 1;
	}
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
