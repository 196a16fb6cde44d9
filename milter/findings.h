/*
 * findings.h - the facts about one message, as name/value pairs in order.
 */
#ifndef PORTCULLIS_FINDINGS_H
#define PORTCULLIS_FINDINGS_H

#include <stddef.h>

#include "compat.h"

struct finding {
	char *name;  /* owned; dotted, e.g. "envelope.mail_from", "size.oversize" */
	char *value; /* owned; text */
};

struct findings;

/* fnd_new - empty set */
struct findings *fnd_new(void) WUR;
/* fnd_add - append one fact; -1 on memory failure */
int fnd_add(struct findings *f, const char *name, const char *fmt, ...) WUR PRINTF_LIKE(3, 4);
/* fnd_get - value of the first fact called name, or NULL */
const char *fnd_get(const struct findings *f, const char *name);
/* fnd_count - number of facts */
size_t fnd_count(const struct findings *f);
/* fnd_at - the i-th fact */
const struct finding *fnd_at(const struct findings *f, size_t i);
/* fnd_known - is name a finding some check produces (so rules and policy may name it)?
 * The vocabulary is a table in findings.c: a check that adds findings adds its names. */
int fnd_known(const char *name);
/* fnd_free - release */
void fnd_free(struct findings *f);

#endif
