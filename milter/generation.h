/*
 * generation.h - an immutable, refcounted snapshot of everything loaded.
 */
#ifndef PORTCULLIS_GENERATION_H
#define PORTCULLIS_GENERATION_H

#include <stddef.h>
#include <stdint.h>

#include "compat.h"
#include "conf.h"
#include "errlist.h"

struct policy;
struct dns;
struct spf;
struct rule_set;
struct replist;
struct dkv;
struct dmarc;

struct generation {
	unsigned long serial;         /* 1 for the first load, +1 per successful reload */
	char id[17];                  /* hex hash of everything loaded */
	const struct conf *conf;      /* owned */
	const struct policy *policy;  /* owned */
	const struct rule_set *rules; /* owned: the compiled rules_dir (maybe empty) */
	struct dns *dns;              /* owned: the resolver every check shares */
	struct spf *spf;              /* owned, or NULL when SPF is off */
	struct replist *replists;     /* owned array: the dnsbl and rhsbl lists */
	size_t nreplists;
	int rep_early;       /* a dnsbl list refuses listed clients at RCPT TO */
	struct dkv *dkim;    /* owned, or NULL when DKIM is off */
	struct dmarc *dmarc; /* owned, or NULL when DMARC is off */
	/* private: reference count, atomically updated */
	unsigned long refs;
};

/* gen_load - build a new generation from a config file; NULL with errors in errs */
struct generation *gen_load(const char *conf_path, struct errlist *errs) WUR;
/* gen_load_rules - the same with the rules from rules_dir instead of the configured ones
 * (`portcullis rules test DIR`); NULL rules_dir: as configured */
struct generation *gen_load_rules(const char *conf_path, const char *rules_dir,
				  struct errlist *errs) WUR;
/* gen_publish - make g current (takes over the caller's reference) */
void gen_publish(struct generation *g);
/* gen_current - a new reference to the current generation (NULL before the first publish) */
struct generation *gen_current(void) WUR;
/* gen_ref - another reference */
struct generation *gen_ref(struct generation *g);
/* gen_release - drop a reference; the last one frees */
void gen_release(struct generation *g);
/* gen_shutdown - drop the published generation */
void gen_shutdown(void);

#endif
