/*
 * lists.c - the policy's allow and deny lists: parsing their lines and matching them.
 *
 * SYNOPSIS
 *	allow|deny client-ip|helo|sender|from-domain VALUE... [require dkim|spf
 *	                                     | dkim or spf | dkim and spf]
 *	int pol_lists(p, findings)
 *
 * DESCRIPTION
 *	client-ip   an address or network (192.0.2.0/24, 2001:db8::/32) against
 *	            envelope.client_addr (an IPv4-mapped client as IPv4).
 *	helo        a domain, matching it and its subdomains, or an address
 *	            literal ("[192.0.2.1]", matched as written) against
 *	            envelope.helo.
 *	sender      user@domain (that address, case ignored), or *@domain, @domain
 *	            or domain (the domain and its subdomains) against
 *	            envelope.mail_from; the null sender matches nothing.
 *	from-domain a domain (and its subdomains) against header.from.domain. A
 *	            deny entry matches when any From domain does; an allow entry
 *	            only when every From domain does, so that a second From
 *	            cannot ride on the first.
 *	An allow entry for sender or from-domain may require authentication:
 *	dkim is met when a dkim.pass.domain finding is the entry's domain or a
 *	subdomain of it; spf when spf is pass and the envelope sender's domain
 *	is the entry's domain or a subdomain of it. An entry whose requirement
 *	is not met does not allow anything (decide.c names it in the reasons).
 *
 * THREAD SAFETY
 *	Matching reads the immutable policy and the caller's findings.
 */
#include "config.h"

#include "polint.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "findings.h"

static const char *const kind_names[] = {"client-ip", "helo", "sender", "from-domain"};

/* polx_kind_name - display name of a list kind */
const char *polx_kind_name(enum pol_kind k)
{
	return kind_names[k];
}

/* polx_entry_free - release one entry's contents */
void polx_entry_free(struct pol_entry *e)
{
	free(e->text);
	llist_free(e->list);
	free(e->local);
	free(e->domain);
	free(e->origin);
	free(e->line_text);
}

/* polx_domain_in - d is parent or below it */
int polx_domain_in(const char *d, const char *parent)
{
	size_t n = strlen(d), pn = strlen(parent);
	if (n && d[n - 1] == '.')
		n--;
	if (n == pn)
		return strncasecmp(d, parent, n) == 0;
	return n > pn && d[n - pn - 1] == '.' && strncasecmp(d + n - pn, parent, pn) == 0;
}

/* domain_ok - a host name: labels of letters, digits, '-', '_', at most 253 bytes */
static int domain_ok(const char *s)
{
	size_t n = strlen(s), label = 0;
	if (n == 0 || n > 253)
		return 0;
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '.') {
			if (label == 0)
				return 0;
			label = 0;
		} else if (isalnum((unsigned char)s[i]) || s[i] == '-' || s[i] == '_') {
			if (++label > 63)
				return 0;
		} else
			return 0;
	}
	return label > 0;
}

/* lower_dup - a lower-case copy without a trailing dot */
static char *lower_dup(const char *s)
{
	size_t n = strlen(s);
	if (n && s[n - 1] == '.')
		n--;
	char *d = malloc(n + 1);
	if (d == NULL)
		return NULL;
	for (size_t i = 0; i < n; i++)
		d[i] = (char)tolower((unsigned char)s[i]);
	d[n] = '\0';
	return d;
}

/* entry_value - fill e from the written value; NULL, or what was expected */
static const char *entry_value(struct pol_entry *e, const char *v, int *nomem)
{
	const char *at = strrchr(v, '@');
	switch (e->kind) {
	case PK_CLIENT_IP:
		return cidr_parse(v, &e->net) == 0
			   ? NULL
			   : "expected an IP address or network such as 192.0.2.0/24 or "
			     "2001:db8::/32";
	case PK_HELO:
		if (v[0] == '[' && v[strlen(v) - 1] == ']')
			break; /* an address literal, compared as written */
			       /* fall through */
	case PK_FROM_DOMAIN:
		if (!domain_ok(v))
			return "expected a domain such as example.com";
		break;
	case PK_SENDER: {
		const char *why = "expected user@domain, *@domain or domain";
		const char *d = at ? at + 1 : v;
		if (at && at != v && !(at == v + 1 && v[0] == '*')) {
			for (const char *q = v; q < at; q++)
				if (*q == '@' || *q == '*')
					return why;
			if ((e->local = strndup(v, (size_t)(at - v))) == NULL)
				*nomem = 1;
		}
		if (!domain_ok(d))
			return why;
		v = d;
		break;
	}
	}
	if (e->kind != PK_CLIENT_IP && (e->domain = lower_dup(v)) == NULL)
		*nomem = 1;
	return NULL;
}

/* entry_file - a "file:PATH" value: a local list (relative to the policy file's directory);
 * NULL, or what was expected */
static const char *entry_file(struct pol_ctx *c, struct pol_entry *e, const char *path)
{
	static const enum ll_kind kinds[] = {LL_IP, LL_DOMAIN, LL_ADDRESS, LL_DOMAIN};
	char full[4096];
	const char *slash = strrchr(c->path, '/');
	if (path[0] == '\0')
		return "expected a file name after 'file:'";
	if (path[0] == '/' || slash == NULL)
		snprintf(full, sizeof(full), "%s", path);
	else
		snprintf(full, sizeof(full), "%.*s/%s", (int)(slash - c->path), c->path, path);
	if (e->kind == PK_HELO || e->kind == PK_FROM_DOMAIN || e->kind == PK_SENDER)
		e->domain = strdup(""); /* the list decides; entry_match reads it */
	e->list = llist_load(full, kinds[e->kind], c->errs);
	return e->list ? NULL : "the list did not load (errors above)";
}

/* parse_require - "require dkim|spf [and|or dkim|spf]" at t[i..n); -1 after reporting */
static int parse_require(struct pol_ctx *c, const struct pol_tok *t, size_t i, size_t n,
			 unsigned *req, int *all)
{
	const char *want = "expected 'require dkim', 'require spf', 'require dkim or spf' or "
			   "'require dkim and spf'";
	*req = 0;
	*all = 0;
	for (size_t k = i + 1; k < n; k++) {
		int even = (k - i) % 2 == 1; /* a method; else a connective */
		unsigned m = strcmp(t[k].s, "dkim") == 0  ? REQ_DKIM
			     : strcmp(t[k].s, "spf") == 0 ? REQ_SPF
							  : 0;
		if (even && m && !(*req & m) && k - i <= 3) {
			*req |= m;
			continue;
		}
		if (!even && k - i == 2 &&
		    (strcmp(t[k].s, "and") == 0 || strcmp(t[k].s, "or") == 0)) {
			*all = t[k].s[0] == 'a';
			continue;
		}
		polx_error(c, t[k].col, "%s", want);
		return -1;
	}
	if (*req == 0 || (n - i) % 2 != 0) {
		polx_error(c, t[n - 1].col, "%s", want);
		return -1;
	}
	return 0;
}

/* add_entry - one value of a list line; -1 on memory failure */
static int add_entry(struct pol_ctx *c, struct pol_entry *e, const char *verb, const char *req_text)
{
	char line[600];
	snprintf(line, sizeof(line), "%s %s %s%s%s", verb, kind_names[e->kind], e->text,
		 *req_text ? " " : "", req_text);
	e->origin = polx_origin(c->p, c->line);
	e->line_text = strdup(line);
	struct pol_entry *n = realloc(c->p->ent, (c->p->nent + 1) * sizeof(*n));
	if (n)
		c->p->ent = n;
	if (e->origin == NULL || e->line_text == NULL || n == NULL)
		return -1;
	c->p->ent[c->p->nent++] = *e;
	return 0;
}

/* polx_list_line - "allow|deny KIND VALUE... [require ...]" */
void polx_list_line(struct pol_ctx *c, const struct pol_tok *t, size_t n)
{
	int deny = strcmp(t[0].s, "deny") == 0;
	size_t k = 0;
	while (n > 1 && k < PK_FROM_DOMAIN + 1 && strcmp(t[1].s, kind_names[k]) != 0)
		k++;
	if (n < 2 || k > PK_FROM_DOMAIN) {
		polx_error(c, n < 2 ? t[0].col : t[1].col,
			   "expected what to %s: client-ip, helo, sender or from-domain", t[0].s);
		return;
	}
	size_t end = 2;
	while (end < n && (t[end].quoted || strcmp(t[end].s, "require") != 0))
		end++;
	if (end == 2) {
		polx_error(c, end < n ? t[end].col : t[1].col, "expected a value after '%s'",
			   t[1].s);
		return;
	}
	unsigned req = 0;
	int all = 0;
	if (end < n) {
		if (deny || k == PK_CLIENT_IP || k == PK_HELO) {
			polx_error(c, t[end].col,
				   "'require' is for allow sender and allow "
				   "from-domain lines");
			return;
		}
		if (parse_require(c, t, end, n, &req, &all) < 0)
			return;
	}
	char req_text[64] = "";
	if (req)
		snprintf(req_text, sizeof(req_text), "require %s",
			 req == REQ_DKIM  ? "dkim"
			 : req == REQ_SPF ? "spf"
			 : all            ? "dkim and spf"
					  : "dkim or spf");
	for (size_t i = 2; i < end; i++) {
		struct pol_entry e = {
		    .deny = deny, .kind = (enum pol_kind)k, .require = req, .require_all = all};
		int nomem = 0;
		const char *why = strncmp(t[i].s, "file:", 5) == 0
				      ? entry_file(c, &e, t[i].s + 5)
				      : entry_value(&e, t[i].s, &nomem);
		if (why == NULL && !nomem && (e.text = strdup(t[i].s)) != NULL &&
		    add_entry(c, &e, t[0].s, req_text) == 0)
			continue;
		polx_error(c, t[i].col, "%s, got '%s'", why ? why : "out of memory", t[i].s);
		polx_entry_free(&e);
	}
}

/* sender_domain - the domain of the envelope sender, or NULL */
static const char *sender_domain(const struct findings *f)
{
	const char *s = fnd_get(f, "envelope.mail_from");
	const char *at = s ? strrchr(s, '@') : NULL;
	return at && at[1] ? at + 1 : NULL;
}

/* from_match - header.from.domain values against e: any (deny) or all (allow) */
static const char *from_match(const struct pol_entry *e, const struct findings *f)
{
	const char *first = NULL;
	for (size_t i = 0; i < fnd_count(f); i++) {
		const struct finding *x = fnd_at(f, i);
		if (strcmp(x->name, "header.from.domain") != 0)
			continue;
		int in = e->list ? llist_has_domain(e->list, x->value)
				 : polx_domain_in(x->value, e->domain);
		if (e->deny && in)
			return x->value;
		if (!e->deny && !in)
			return NULL;
		if (first == NULL)
			first = x->value;
	}
	return e->deny ? NULL : first;
}

/* entry_match - what in the message matches e, or NULL */
static const char *entry_match(const struct pol_entry *e, const struct findings *f)
{
	const char *v;
	switch (e->kind) {
	case PK_CLIENT_IP:
		v = fnd_get(f, "envelope.client_addr");
		if (e->list)
			return v && llist_has_ip(e->list, v) ? v : NULL;
		return v && cidr_match(&e->net, v) ? v : NULL;
	case PK_HELO:
		v = fnd_get(f, "envelope.helo");
		if (v == NULL || *v == '\0')
			return NULL;
		if (e->list)
			return llist_has_domain(e->list, v) ? v : NULL;
		if (e->text[0] == '[')
			return strcasecmp(v, e->text) == 0 ? v : NULL;
		return polx_domain_in(v, e->domain) ? v : NULL;
	case PK_SENDER: {
		v = fnd_get(f, "envelope.mail_from");
		const char *d = sender_domain(f);
		if (d == NULL)
			return NULL;
		if (e->list)
			return llist_has_address(e->list, v) ? v : NULL;
		if (e->local == NULL)
			return polx_domain_in(d, e->domain) ? v : NULL;
		size_t ln = (size_t)(d - 1 - v);
		return strlen(e->local) == ln && strncasecmp(v, e->local, ln) == 0 &&
			       strcasecmp(d, e->domain) == 0
			   ? v
			   : NULL;
	}
	case PK_FROM_DOMAIN: return from_match(e, f);
	}
	return NULL;
}

/* covered - is domain d the entry's domain, under it, or (a file list) on the list? */
static int covered(const struct pol_entry *e, const char *d)
{
	return e->list ? llist_has_domain(e->list, d) : polx_domain_in(d, e->domain);
}

/* require_met - the authentication an allow entry demands */
static int require_met(const struct pol_entry *e, const struct findings *f)
{
	if (e->require == 0)
		return 1;
	/* a sender file list matched the sender itself: authentication must be for its domain */
	int sender_list = e->list && e->kind == PK_SENDER;
	const char *spf = fnd_get(f, "spf"), *d = sender_domain(f);
	int dkim = 0;
	for (size_t i = 0; i < fnd_count(f) && !dkim; i++) {
		const struct finding *x = fnd_at(f, i);
		dkim = strcmp(x->name, "dkim.pass.domain") == 0 &&
		       (sender_list ? d && polx_domain_in(d, x->value) : covered(e, x->value));
	}
	int spf_ok = spf && strcasecmp(spf, "pass") == 0 && d && (sender_list || covered(e, d));
	if (e->require == (REQ_DKIM | REQ_SPF))
		return e->require_all ? dkim && spf_ok : dkim || spf_ok;
	return e->require == REQ_DKIM ? dkim : spf_ok;
}

/* polx_match - the first deny and the first allow entries that match */
void polx_match(const struct policy *p, const struct findings *f, struct pol_match *m)
{
	memset(m, 0, sizeof(*m));
	for (size_t i = 0; i < p->nent; i++) {
		const struct pol_entry *e = &p->ent[i];
		if ((e->deny && m->deny) || (!e->deny && m->allow))
			continue;
		const char *what = entry_match(e, f);
		if (what == NULL)
			continue;
		if (e->deny) {
			m->deny = e;
			m->deny_what = what;
		} else if (require_met(e, f)) {
			m->allow = e;
			m->allow_what = what;
		} else if (m->unmet == NULL)
			m->unmet = e;
	}
}

/* pol_lists - the "allowlisted" and "denylisted" findings */
int pol_lists(const struct policy *p, struct findings *f)
{
	struct pol_match m;
	polx_match(p, f, &m);
	if (m.deny && fnd_add(f, "denylisted", "%s: %s (%s)", m.deny->origin, m.deny->line_text,
			      m.deny_what) < 0)
		return -1;
	if (m.allow && fnd_add(f, "allowlisted", "%s: %s (%s)", m.allow->origin, m.allow->line_text,
			       m.allow_what) < 0)
		return -1;
	return 0;
}
