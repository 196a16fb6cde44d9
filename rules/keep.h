/*
 * keep.h - a few costly objects kept for the next message, whichever thread it runs on.
 *
 *	static struct keep k = KEEP_INIT(free_fn);
 *	void *o = keep_take(&k, &tag);    NULL when none is kept: make one
 *	... use o ...
 *	keep_give(&k, o, tag);           kept, or freed with free_fn when KEEP_MAX are
 *
 * Per-thread objects are wrong for a milter: libmilter starts and ends its threads as the
 * connections come and go, and each new thread paid for a new JIT stack (an mmap) and a
 * new Hyperscan scratch (an allocation and a CRC of every database). A kept object belongs
 * to the run that took it until that run gives it back. tag is the caller's: what the
 * object was last fitted for (0: nothing). The list is guarded by its own mutex, held only
 * for a take or a give.
 */
#ifndef PORTCULLIS_KEEP_H
#define PORTCULLIS_KEEP_H

#include <pthread.h>

#define KEEP_MAX 64

struct keep {
	pthread_mutex_t lock;
	void (*free_fn)(void *);
	void *obj[KEEP_MAX];
	unsigned long tag[KEEP_MAX];
	unsigned n;
};

#define KEEP_INIT(fn)                                                                              \
	{                                                                                          \
		.lock = PTHREAD_MUTEX_INITIALIZER, .free_fn = (fn)                                 \
	}

/* keep_take - a kept object and its tag (*tag), or NULL (*tag 0) when none is kept */
void *keep_take(struct keep *k, unsigned long *tag);
/* keep_give - keep o (tagged tag) for the next taker; freed when KEEP_MAX are kept.
 * NULL is ignored. */
void keep_give(struct keep *k, void *o, unsigned long tag);

#endif
