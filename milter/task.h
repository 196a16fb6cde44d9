/*
 * task.h - one piece of work on its own thread, which its owner may wait for or drop.
 */
#ifndef PORTCULLIS_TASK_H
#define PORTCULLIS_TASK_H

#include "compat.h"

struct task;

/* task_start - run run(arg) on a new thread; done(arg) is called once, by whichever of the
 * thread and the owner lets go last. When no thread can be made, run(arg) runs here and now
 * (the result is the same, only later). NULL only when out of memory (nothing was run, and
 * arg is still the caller's). */
struct task *task_start(void (*run)(void *), void *arg, void (*done)(void *)) WUR;
/* task_wait - wait until run has returned; arg stays the task's until task_release */
void *task_wait(struct task *t);
/* task_release - the owner lets go; a task still running finishes and frees itself */
void task_release(struct task *t);

#endif
