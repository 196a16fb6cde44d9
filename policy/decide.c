/*
 * decide.c - the verdict engine: findings and rule hits to a verdict.
 *
 * SYNOPSIS
 *	int pol_decide(p, findings, hits, nhits, verdict)
 *	int pol_size_verdict(p, size, verdict)
 *
 * DESCRIPTION
 *	The score is the sum of the scores of the rule hits that are not in
 *	monitor mode and of the `on ... -> score N` lines whose condition
 *	holds. Then the first of these steps that applies decides:
 *	  1. size.oversize: reject 552 5.3.4;
 *	  2. a deny list entry: reject with the deny reply;
 *	  3. a message released from the quarantine ("released" finding, with
 *	     `released accept`): accept; then an allow list entry (its
 *	     requirement met): accept;
 *	  4. direct actions (rule hits with an action, not in monitor mode,
 *	     and `on` actions, the portcullis.conf settings among them): the
 *	     strictest wins (reject > discard > quarantine > tempfail > tag >
 *	     accept; among equals the first: settings, `on` lines in file
 *	     order, rules in rule order). A direct accept ends it here: the
 *	     thresholds do not apply. Any other direct action is a floor the
 *	     score thresholds can only make stricter (step 5);
 *	  5. the score thresholds: the highest threshold the score reaches.
 *	A tag adds the flag header, the score header ("7.5 (A=4.5, B=3.0)")
 *	and the Subject prefix. Monitor hits change nothing; they are listed
 *	as "monitor: NAME (...) would ..." reasons. decided_by names the step.
 *	The public reply comes from the policy's replies or the rule's own;
 *	it never carries rule names, scores or file names.
 *
 * THREAD SAFETY
 *	Reads the immutable policy and the caller's findings, hits and verdict.
 */
#include "config.h"

#include "polint.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "expr.h"
#include "findings.h"
#include "verdict.h"

#define SCORE_HEADER_MAX 800

/* a direct action and where it came from */
struct direct {
	enum rule_action a;         /* RA_NONE: none */
	const struct pol_on *on;    /* borrowed: the `on` line, or NULL */
	const struct rule_hit *hit; /* borrowed: the rule hit, or NULL */
};

/* rank - strictness of an action */
static int rank(enum rule_action a)
{
	switch (a) {
	case RA_NONE: return 0;
	case RA_ACCEPT: return 1;
	case RA_TAG: return 2;
	case RA_TEMPFAIL: return 3;
	case RA_QUARANTINE: return 4;
	case RA_DISCARD: return 5;
	case RA_REJECT: return 6;
	}
	return 0;
}

/* base_name - the part after the last '/' */
static const char *base_name(const char *path)
{
	const char *s = path ? strrchr(path, '/') : NULL;
	return s ? s + 1 : path ? path : "?";
}

/* add_part - "NAME=SCORE" to the score header's list, cut short with ", ..." */
static int add_part(struct buf *parts, const char *name, double score)
{
	char one[128];
	int n = snprintf(one, sizeof(one), "%s%s=%.1f", parts->len ? ", " : "", name, score);
	if (parts->len + (size_t)n + 5 > SCORE_HEADER_MAX) {
		if (parts->len && strcmp(parts->data + parts->len - 3, "...") != 0)
			return buf_adds(parts, ", ...") == BUF_OK ? 0 : -1;
		return 0;
	}
	return buf_adds(parts, one) == BUF_OK ? 0 : -1;
}

/* offer - keep d the strictest (the first among equals) */
static void offer(struct direct *d, enum rule_action a, const struct pol_on *on,
		  const struct rule_hit *hit)
{
	if (rank(a) > rank(d->a)) {
		d->a = a;
		d->on = on;
		d->hit = hit;
	}
}

/* tally_on - the `on` lines that hold: score, reasons, direct actions */
static int tally_on(const struct policy *p, const struct findings *f, struct verdict *v,
		    struct buf *parts, struct direct *d)
{
	for (size_t i = 0; i < p->non; i++) {
		const struct pol_on *o = &p->on[i];
		if (!rexpr_eval(o->cond, f, NULL, NULL))
			continue;
		char reason[400];
		if (o->action == RA_NONE) {
			v->score += o->score;
			snprintf(reason, sizeof(reason), "%s (%s) %+.1f", o->name, o->origin,
				 o->score);
			if (add_part(parts, o->name, o->score) < 0)
				return -1;
		} else {
			snprintf(reason, sizeof(reason), "%s (%s) %s", o->name, o->origin,
				 polx_action_name(o->action));
			offer(d, o->action, o, NULL);
		}
		if (vd_add_reason(v, reason) < 0)
			return -1;
	}
	return 0;
}

/* tally_hits - the rule hits: score, reasons, direct actions; monitor hits as reasons */
static int tally_hits(const struct rule_hit *hits, size_t nhits, struct verdict *v,
		      struct buf *parts, struct direct *d)
{
	for (size_t i = 0; i < nhits; i++) {
		const struct rule_hit *h = &hits[i];
		char what[64] = "", reason[600];
		if (h->score != 0)
			snprintf(what, sizeof(what), " %+.1f", h->score);
		if (h->action != RA_NONE)
			snprintf(what + strlen(what), sizeof(what) - strlen(what), " %s",
				 polx_action_name(h->action));
		snprintf(reason, sizeof(reason), "%s%s (%s:%u)%s%s%s",
			 h->monitor ? "monitor: " : "", h->name, base_name(h->file), h->line,
			 h->monitor ? " would hit" : "", what, h->why[0] ? ": " : "");
		size_t n = strlen(reason);
		snprintf(reason + n, sizeof(reason) - n, "%.*s", (int)sizeof(h->why), h->why);
		if (vd_add_reason(v, reason) < 0)
			return -1;
		if (h->monitor)
			continue;
		v->score += h->score;
		if (h->score != 0 && add_part(parts, h->name, h->score) < 0)
			return -1;
		if (h->action != RA_NONE)
			offer(d, h->action, NULL, h);
	}
	return 0;
}

/* reply_expand - text with each %{FINDING} replaced by that finding's value in f: the
 * characters of a domain or an address only (anything else becomes '?', at most
 * REPLY_VALUE_MAX of them), "unknown" when the message has no such finding. Text that
 * is no placeholder is copied as it is; out always ends in NUL. */
#define REPLY_VALUE_MAX 255
const char *polx_placeholder(const char *s, char *name, size_t cap)
{
	const char *end = s[0] == '%' && s[1] == '{' ? strchr(s + 2, '}') : NULL;
	if (end == NULL || (size_t)(end - s - 2) >= cap)
		return NULL;
	snprintf(name, cap, "%.*s", (int)(end - s - 2), s + 2);
	return end + 1;
}

static void reply_expand(const char *text, const struct findings *f, char *out, size_t cap)
{
	size_t n = 0;
	for (const char *s = text; *s && n + 1 < cap;) {
		char name[128];
		const char *next = polx_placeholder(s, name, sizeof(name));
		if (next == NULL) {
			out[n++] = *s++;
			continue;
		}
		const char *val = f ? fnd_get(f, name) : NULL;
		if (val == NULL || *val == '\0')
			val = "unknown";
		for (size_t i = 0; val[i] && i < REPLY_VALUE_MAX && n + 1 < cap; i++) {
			unsigned char c = (unsigned char)val[i];
			out[n++] = isalnum(c) || strchr(".-_@+:[]", c) ? (char)c : '?';
		}
		s = next;
	}
	out[n] = '\0';
}

/* set_reply - reject or tempfail with the given reply, else the default; placeholders
 * filled from f in the policy's texts, and in text only when text_expands (a rule's own
 * text is sent as written: the rule language has no placeholders) */
static int set_reply(struct verdict *v, enum vd_action a, const char *rcode, const char *xcode,
		     const char *text, int text_expands, const struct pol_reply *dflt,
		     const struct findings *f)
{
	char buf[VD_TEXT_MAX + 1];
	if (rcode && *rcode) {
		if (text && text_expands) {
			reply_expand(text, f, buf, sizeof(buf));
			text = buf;
		}
		if (vd_set(v, a, rcode, xcode && *xcode ? xcode : NULL, text) == 0)
			return 0;
	}
	if (dflt->text)
		reply_expand(dflt->text, f, buf, sizeof(buf));
	return vd_set(v, a, dflt->rcode[0] ? dflt->rcode : NULL,
		      dflt->xcode[0] ? dflt->xcode : NULL, dflt->text ? buf : NULL);
}

/* tag - the tag verdict with its headers and Subject prefix */
static int tag(const struct policy *p, struct verdict *v, const struct buf *parts)
{
	if (vd_set(v, VD_TAG, NULL, NULL, NULL) < 0)
		return -1;
	if (p->flag_name && vd_add_header(v, p->flag_name, p->flag_value) < 0)
		return -1;
	if (p->score_header) {
		char val[SCORE_HEADER_MAX + 64];
		if (parts->len)
			snprintf(val, sizeof(val), "%.1f (%s)", v->score, parts->data);
		else
			snprintf(val, sizeof(val), "%.1f", v->score);
		if (vd_add_header(v, p->score_header, val) < 0)
			return -1;
	}
	if (p->subject_prefix && vd_set_subject_prefix(v, p->subject_prefix) < 0)
		return -1;
	return 0;
}

/* apply - carry out an action; the reply of a reject or tempfail from its source */
static int apply(const struct policy *p, struct verdict *v, enum rule_action a,
		 const struct direct *src, const struct buf *parts, const struct findings *f)
{
	const char *rc = NULL, *xc = NULL, *text = NULL;
	int expands = 1; /* an `on` line's text may hold placeholders, a rule's not */
	if (src && src->on) {
		rc = src->on->reply.rcode;
		xc = src->on->reply.xcode;
		text = src->on->reply.text;
	} else if (src && src->hit) {
		rc = src->hit->rcode;
		xc = src->hit->xcode;
		text = src->hit->text;
		expands = 0;
	}
	switch (a) {
	case RA_REJECT: return set_reply(v, VD_REJECT, rc, xc, text, expands, &p->reply_reject, f);
	case RA_TEMPFAIL:
		return set_reply(v, VD_TEMPFAIL, rc, xc, text, expands, &p->reply_tempfail, f);
	case RA_QUARANTINE: return vd_set(v, VD_QUARANTINE, NULL, NULL, NULL);
	case RA_DISCARD: return vd_set(v, VD_DISCARD, NULL, NULL, NULL);
	case RA_TAG: return tag(p, v, parts);
	case RA_ACCEPT:
	case RA_NONE: break;
	}
	return vd_set(v, VD_ACCEPT, NULL, NULL, NULL);
}

/* threshold - the highest threshold the score reaches, or -1 */
static int threshold(const struct policy *p, double score)
{
	int best = -1;
	for (int i = 0; i < TH_COUNT; i++)
		if (p->th[i].on && score >= p->th[i].at &&
		    (best < 0 || p->th[i].at > p->th[best].at))
			best = i;
	return best;
}

/* th_where - where a threshold was set: "policy.conf:5" or "built-in" */
static void th_where(const struct policy *p, int th, char *out, size_t len)
{
	if (p->th[th].line)
		snprintf(out, len, "%s:%u", p->name, p->th[th].line);
	else
		snprintf(out, len, "built-in");
}

/* by_score - step 5 (and the floor of step 4) */
static int by_score(const struct policy *p, struct verdict *v, const struct direct *d,
		    const struct buf *parts, const struct findings *f)
{
	static const enum rule_action th_action[TH_COUNT] = {RA_TAG, RA_TEMPFAIL, RA_QUARANTINE,
							     RA_REJECT};
	static const char *const th_name[TH_COUNT] = {"tag", "tempfail", "quarantine", "reject"};
	int th = threshold(p, v->score);
	char where[300];
	if (d->a == RA_ACCEPT ||
	    (d->a != RA_NONE && (th < 0 || rank(d->a) >= rank(th_action[th])))) {
		if (d->on)
			return apply(p, v, d->a, d, parts, f) < 0 ||
				       vd_set_decided(v, "%s: %s", d->on->origin, d->on->src) < 0
				   ? -1
				   : 0;
		return apply(p, v, d->a, d, parts, f) < 0 ||
			       vd_set_decided(v, "rule %s (%s:%u): %s", d->hit->name,
					      base_name(d->hit->file), d->hit->line,
					      polx_action_name(d->a)) < 0
			   ? -1
			   : 0;
	}
	if (th >= 0) {
		th_where(p, th, where, sizeof(where));
		return apply(p, v, th_action[th], NULL, parts, f) < 0 ||
			       vd_set_decided(v, "score %g >= %s at %g (%s)", v->score, th_name[th],
					      p->th[th].at, where) < 0
			   ? -1
			   : 0;
	}
	int low = -1;
	for (int i = 0; i < TH_COUNT; i++)
		if (p->th[i].on && (low < 0 || p->th[i].at < p->th[low].at))
			low = i;
	if (low < 0)
		return vd_set_decided(v, "score %g: every threshold is off", v->score);
	th_where(p, low, where, sizeof(where));
	return vd_set_decided(v, "score %g < %s at %g (%s)", v->score, th_name[low], p->th[low].at,
			      where);
}

/* size_reject - 552 5.3.4 */
static int size_reject(struct verdict *v)
{
	if (vd_set(v, VD_REJECT, "552", "5.3.4",
		   "Message size exceeds fixed maximum message size") < 0 ||
	    vd_add_reason(v, "size.oversize") < 0)
		return -1;
	return 0;
}

/* pol_tag_header - the tag's header names */
const char *pol_tag_header(const struct policy *p, size_t i)
{
	return i == 0 ? p->flag_name : i == 1 ? p->score_header : NULL;
}

/* pol_size_verdict - reject what is larger than allowed */
int pol_size_verdict(const struct policy *p, size_t size, struct verdict *v)
{
	if (size <= p->set.message_size_max)
		return 0;
	if (size_reject(v) < 0 ||
	    vd_set_decided(v, "size %zu > message_size_max %zu", size, p->set.message_size_max) < 0)
		return -1;
	return 1;
}

/* pol_quarantine_to - where a quarantine goes */
enum pol_qdest pol_quarantine_to(const struct policy *p)
{
	return p->qdest;
}

/* pol_qdest_name - its name */
const char *pol_qdest_name(enum pol_qdest d)
{
	static const char *const names[] = {"auto", "store", "hold", "both"};
	return (unsigned)d < ARRAY_LEN(names) ? names[d] : "?";
}

/* by_released - a message released from the quarantine: accepted (after deny, before
 * allow); 1 when it decided */
static int by_released(const struct policy *p, const struct findings *f, struct verdict *v)
{
	const char *id = fnd_get(f, "released");
	if (id == NULL || !p->released_accept)
		return 0;
	char where[300];
	if (p->released_line)
		snprintf(where, sizeof(where), "%s:%u", p->name, p->released_line);
	else
		snprintf(where, sizeof(where), "built-in");
	if (vd_set(v, VD_ACCEPT, NULL, NULL, NULL) < 0 ||
	    vd_set_decided(v, "released from the quarantine as %s (%s: released accept)", id,
			   where) < 0)
		return -1;
	return 1;
}

/* by_lists - steps 2 and 3; 1 when a list decided */
static int by_lists(const struct policy *p, const struct pol_match *m, struct verdict *v,
		    const struct findings *f)
{
	const struct pol_entry *e = m->deny ? m->deny : m->allow;
	const char *what = m->deny ? m->deny_what : m->allow_what;
	if (m->deny == NULL) {
		int r = by_released(p, f, v);
		if (r != 0)
			return r;
	}
	if (e == NULL)
		return 0;
	if (m->deny) {
		if (set_reply(v, VD_REJECT, NULL, NULL, NULL, 0, &p->reply_deny, f) < 0)
			return -1;
	} else if (vd_set(v, VD_ACCEPT, NULL, NULL, NULL) < 0)
		return -1;
	if (vd_set_decided(v, "%s: %s (%s)", e->origin, e->line_text, what) < 0)
		return -1;
	return 1;
}

/* list_reasons - the list entries that matched, and an allow entry whose requirement was
 * not met */
static int list_reasons(const struct pol_match *m, struct verdict *v)
{
	char r[800];
	if (m->deny) {
		snprintf(r, sizeof(r), "denylisted: %s: %s (%s)", m->deny->origin,
			 m->deny->line_text, m->deny_what);
		if (vd_add_reason(v, r) < 0)
			return -1;
	}
	if (m->allow) {
		snprintf(r, sizeof(r), "allowlisted: %s: %s (%s)", m->allow->origin,
			 m->allow->line_text, m->allow_what);
		if (vd_add_reason(v, r) < 0)
			return -1;
	}
	if (m->unmet && !m->allow) {
		snprintf(r, sizeof(r),
			 "not allowlisted: %s: %s matched, but its requirement was not met",
			 m->unmet->origin, m->unmet->line_text);
		if (vd_add_reason(v, r) < 0)
			return -1;
	}
	return 0;
}

/* pol_decide - the precedence of DESCRIPTION */
int pol_decide(const struct policy *p, const struct findings *f, const struct rule_hit *hits,
	       size_t nhits, struct verdict *v)
{
	vd_init(v);
	struct pol_match m;
	polx_match(p, f, &m);
	struct direct d = {RA_NONE, NULL, NULL};
	struct buf parts;
	buf_init(&parts, SCORE_HEADER_MAX + 16);
	int rc = list_reasons(&m, v);
	if (rc == 0)
		rc = tally_on(p, f, v, &parts, &d);
	if (rc == 0)
		rc = tally_hits(hits, nhits, v, &parts, &d);
	const char *oversize = fnd_get(f, "size.oversize");
	if (rc == 0 && oversize)
		rc = size_reject(v) < 0 ||
			     vd_set_decided(v, "size %s (message_size_max)", oversize) < 0
			 ? -1
			 : 0;
	else if (rc == 0 && (rc = by_lists(p, &m, v, f)) == 0)
		rc = by_score(p, v, &d, &parts, f);
	buf_free(&parts);
	return rc < 0 ? -1 : 0;
}
