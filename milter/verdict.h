/*
 * verdict.h - what happens to a message, and what the MTA is told.
 */
#ifndef PORTCULLIS_VERDICT_H
#define PORTCULLIS_VERDICT_H

#include <stddef.h>

#include "compat.h"

enum vd_action { VD_ACCEPT = 0, VD_TAG, VD_QUARANTINE, VD_REJECT, VD_TEMPFAIL, VD_DISCARD };

struct vd_header {
	char *name;  /* owned */
	char *value; /* owned */
};

/* An edit of one existing header instance (smfi_chgheader): removal, or a new value. */
struct vd_removal {
	char *name;   /* owned */
	size_t index; /* which instance (1-based among headers of that name) */
	char *value;  /* owned: the new value, or NULL to remove the header */
};

struct verdict {
	enum vd_action action;
	char rcode[4];  /* SMTP reply code, "" when the MTA's default is fine */
	char xcode[16]; /* enhanced status code, e.g. "5.3.4" */
	char *text;     /* owned public reply text, or NULL */
	double score;
	char **reasons; /* owned: rule and check names that decided */
	size_t nreason;
	struct vd_header *add; /* owned: headers to add */
	size_t nadd;
	struct vd_removal *remove; /* owned: header instances to remove or change, in order */
	size_t nremove;
	char *decided_by;     /* owned: the step that decided, for the log and `portcullis
			       * check` ("policy.conf:9: score 12.5 >= reject at 10"), or NULL */
	char *subject_prefix; /* owned: put before the Subject (tag), or NULL */
};

/* vd_init - an empty accept */
void vd_init(struct verdict *v);
/* vd_free - release contents (v itself is the caller's) */
void vd_free(struct verdict *v);
/* the longest reply text kept (longer text is cut) */
#define VD_TEXT_MAX 512

/* vd_set - action with reply; rcode/xcode/text may be NULL; -1 on bad code or memory */
int vd_set(struct verdict *v, enum vd_action a, const char *rcode, const char *xcode,
	   const char *text) WUR;
/* vd_add_reason - note why */
int vd_add_reason(struct verdict *v, const char *reason) WUR;
/* vd_add_header - a header to add */
int vd_add_header(struct verdict *v, const char *name, const char *value) WUR;
/* vd_remove_header - remove one instance of a header; removals are applied in the order
 * added, so add the highest index of a name first */
int vd_remove_header(struct verdict *v, const char *name, size_t index) WUR;
/* vd_change_header - give one existing header instance a new value (applied in order with
 * the removals) */
int vd_change_header(struct verdict *v, const char *name, size_t index, const char *value) WUR;
/* vd_set_decided - say which step decided (replaces an earlier one) */
int vd_set_decided(struct verdict *v, const char *fmt, ...) WUR PRINTF_LIKE(2, 3);
/* vd_set_subject_prefix - text to put before the Subject */
int vd_set_subject_prefix(struct verdict *v, const char *prefix) WUR;
/* vd_action_name - "accept", "tag", ... */
const char *vd_action_name(enum vd_action a);

#endif
