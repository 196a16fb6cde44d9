/*
 * findings.c - an ordered list of facts about a message.
 *
 * DESCRIPTION
 *	Checks append facts; rules and policy only read them. Once the scan
 *	hands the set to policy it is not changed again. The names are the
 *	vocabulary that rules and `portcullis check -v` use.
 *
 * THREAD SAFETY
 *	A set belongs to one message.
 */
#include "config.h"

#include "findings.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"

#define FINDING_VALUE_MAX 8192

struct findings {
	struct finding *items; /* owned array */
	size_t n, cap;
};

/* The vocabulary. "x.*" stands for any name under x. (the dnsbl: family is "dnsbl:ZONE") */
static const char *const known[] = {
    "envelope.*", "size.*",      "spf",        "spf.*",   "dkim",    "dkim.*",   "dmarc",
    "dmarc.*",    "iprev",       "iprev.*",    "dnsbl:*", "rhsbl:*", "uribl:*",  "header.*",
    "mime.*",     "allowlisted", "denylisted", "rules.*", "dns.*",   "released",
};

/* fnd_known - in the vocabulary? */
int fnd_known(const char *name)
{
	for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++) {
		size_t n = strlen(known[i]);
		if (known[i][n - 1] == '*') {
			if (strncmp(name, known[i], n - 1) == 0 && name[n - 1] != '\0')
				return 1;
		} else if (strcmp(name, known[i]) == 0)
			return 1;
	}
	return 0;
}

/* fnd_new - empty */
struct findings *fnd_new(void)
{
	return calloc(1, sizeof(struct findings));
}

/* fnd_add - append */
int fnd_add(struct findings *f, const char *name, const char *fmt, ...)
{
	if (f->n == f->cap) {
		size_t ncap = f->cap ? f->cap * 2 : 16;
		struct finding *p = realloc(f->items, ncap * sizeof(*p));
		if (p == NULL)
			return -1;
		f->items = p;
		f->cap = ncap;
	}
	char tmp[FINDING_VALUE_MAX];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	char *n = strdup(name), *v = strdup(tmp);
	if (n == NULL || v == NULL) {
		free(n);
		free(v);
		return -1;
	}
	f->items[f->n].name = n;
	f->items[f->n].value = v;
	f->n++;
	return 0;
}

/* fnd_get - first value by name */
const char *fnd_get(const struct findings *f, const char *name)
{
	for (size_t i = 0; i < f->n; i++)
		if (strcmp(f->items[i].name, name) == 0)
			return f->items[i].value;
	return NULL;
}

/* fnd_count - how many */
size_t fnd_count(const struct findings *f)
{
	return f->n;
}

/* fnd_at - by position */
const struct finding *fnd_at(const struct findings *f, size_t i)
{
	return i < f->n ? &f->items[i] : NULL;
}

/* fnd_free - release */
void fnd_free(struct findings *f)
{
	if (f == NULL)
		return;
	for (size_t i = 0; i < f->n; i++) {
		free(f->items[i].name);
		free(f->items[i].value);
	}
	free(f->items);
	free(f);
}
