/*
 * verdict.c - the verdict type: action, SMTP reply, reasons, header edits.
 *
 * DESCRIPTION
 *	Reply codes are checked here so that no caller can hand the MTA a
 *	malformed reply: the code must be three digits matching the class of
 *	the action (4xx tempfail, 5xx reject), the enhanced code must start
 *	with the same digit, and the text loses CR, LF and other controls.
 *
 * THREAD SAFETY
 *	A verdict belongs to one message.
 */
#include "config.h"

#include "verdict.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const action_names[] = {"accept", "tag",      "quarantine",
					   "reject", "tempfail", "discard"};

/* vd_action_name - display name */
const char *vd_action_name(enum vd_action a)
{
	return (unsigned)a < sizeof(action_names) / sizeof(action_names[0]) ? action_names[a]
									    : "unknown";
}

/* vd_init - empty accept */
void vd_init(struct verdict *v)
{
	memset(v, 0, sizeof(*v));
	v->action = VD_ACCEPT;
}

/* vd_free - release */
void vd_free(struct verdict *v)
{
	free(v->text);
	for (size_t i = 0; i < v->nreason; i++)
		free(v->reasons[i]);
	free(v->reasons);
	for (size_t i = 0; i < v->nadd; i++) {
		free(v->add[i].name);
		free(v->add[i].value);
	}
	free(v->add);
	for (size_t i = 0; i < v->nremove; i++) {
		free(v->remove[i].name);
		free(v->remove[i].value);
	}
	free(v->remove);
	free(v->decided_by);
	free(v->subject_prefix);
	vd_init(v);
}

/* vd_set_decided - which step decided */
int vd_set_decided(struct verdict *v, const char *fmt, ...)
{
	char text[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	char *d = strdup(text);
	if (d == NULL)
		return -1;
	free(v->decided_by);
	v->decided_by = d;
	return 0;
}

/* vd_set_subject_prefix - the tag's Subject prefix */
int vd_set_subject_prefix(struct verdict *v, const char *prefix)
{
	char *d = strdup(prefix);
	if (d == NULL)
		return -1;
	free(v->subject_prefix);
	v->subject_prefix = d;
	return 0;
}

/* code_ok - "DXX" three digits with first digit d */
static int code_ok(const char *c, char d)
{
	return strlen(c) == 3 && c[0] == d && isdigit((unsigned char)c[1]) &&
	       isdigit((unsigned char)c[2]);
}

/* xcode_ok - "D.X.Y" enhanced status with class d */
static int xcode_ok(const char *c, char d)
{
	if (c[0] != d || c[1] != '.')
		return 0;
	const char *p = c + 2;
	for (int part = 0; part < 2; part++) {
		int digits = 0;
		while (isdigit((unsigned char)*p)) {
			p++;
			digits++;
		}
		if (digits < 1 || digits > 3)
			return 0;
		if (part == 0 && *p++ != '.')
			return 0;
	}
	return *p == '\0';
}

/* vd_set - set action and reply */
int vd_set(struct verdict *v, enum vd_action a, const char *rcode, const char *xcode,
	   const char *text)
{
	char cls = a == VD_REJECT ? '5' : a == VD_TEMPFAIL ? '4' : 0;
	if (rcode && (!cls || !code_ok(rcode, cls)))
		return -1;
	if (xcode && (!rcode || !xcode_ok(xcode, cls) || strlen(xcode) >= sizeof(v->xcode)))
		return -1;
	char *t = NULL;
	if (text) {
		size_t n = strnlen(text, VD_TEXT_MAX);
		t = malloc(n + 1);
		if (t == NULL)
			return -1;
		for (size_t i = 0; i < n; i++)
			t[i] = (iscntrl((unsigned char)text[i])) ? ' ' : text[i];
		t[n] = '\0';
	}
	v->action = a;
	snprintf(v->rcode, sizeof(v->rcode), "%s", rcode ? rcode : "");
	snprintf(v->xcode, sizeof(v->xcode), "%s", xcode ? xcode : "");
	free(v->text);
	v->text = t;
	return 0;
}

/* grow - make room for one more pointer-sized slot */
static int grow(void **arr, size_t n, size_t elem)
{
	if (n & (n - 1)) /* not a power of two: room is there */
		return 0;
	size_t ncap = n ? n * 2 : 1;
	void *p = realloc(*arr, ncap * elem);
	if (p == NULL)
		return -1;
	*arr = p;
	return 0;
}

/* vd_add_reason - append a reason */
int vd_add_reason(struct verdict *v, const char *reason)
{
	char *r = strdup(reason);
	if (r == NULL || grow((void **)&v->reasons, v->nreason, sizeof(char *)) < 0) {
		free(r);
		return -1;
	}
	v->reasons[v->nreason++] = r;
	return 0;
}

/* vd_add_header - append a header to add */
int vd_add_header(struct verdict *v, const char *name, const char *value)
{
	char *n = strdup(name), *val = strdup(value);
	if (n == NULL || val == NULL || grow((void **)&v->add, v->nadd, sizeof(*v->add)) < 0) {
		free(n);
		free(val);
		return -1;
	}
	v->add[v->nadd].name = n;
	v->add[v->nadd].value = val;
	v->nadd++;
	return 0;
}

/* edit - append an edit of one header instance (value NULL: removal) */
static int edit(struct verdict *v, const char *name, size_t index, const char *value)
{
	char *n = strdup(name), *val = value ? strdup(value) : NULL;
	if (n == NULL || (value && val == NULL) ||
	    grow((void **)&v->remove, v->nremove, sizeof(*v->remove)) < 0) {
		free(n);
		free(val);
		return -1;
	}
	v->remove[v->nremove].name = n;
	v->remove[v->nremove].index = index;
	v->remove[v->nremove].value = val;
	v->nremove++;
	return 0;
}

/* vd_remove_header - append a header to remove */
int vd_remove_header(struct verdict *v, const char *name, size_t index)
{
	return edit(v, name, index, NULL);
}

/* vd_change_header - append a header to change */
int vd_change_header(struct verdict *v, const char *name, size_t index, const char *value)
{
	return edit(v, name, index, value);
}
