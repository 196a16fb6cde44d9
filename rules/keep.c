/*
 * keep.c - a few costly objects kept for the next message (see keep.h).
 *
 * The most recently given object is taken first: it is the likeliest to be in a cache.
 */
#include "config.h"

#include "keep.h"

void *keep_take(struct keep *k, unsigned long *tag)
{
	void *o = NULL;
	*tag = 0;
	pthread_mutex_lock(&k->lock);
	if (k->n > 0) {
		k->n--;
		o = k->obj[k->n];
		*tag = k->tag[k->n];
	}
	pthread_mutex_unlock(&k->lock);
	return o;
}

void keep_give(struct keep *k, void *o, unsigned long tag)
{
	if (o == NULL)
		return;
	pthread_mutex_lock(&k->lock);
	if (k->n < KEEP_MAX) {
		k->obj[k->n] = o;
		k->tag[k->n] = tag;
		k->n++;
		o = NULL;
	}
	pthread_mutex_unlock(&k->lock);
	if (o != NULL)
		k->free_fn(o);
}
