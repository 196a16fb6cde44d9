/*
 * target.c - the table of what rules can match: one row per target.
 *
 * SYNOPSIS
 *	tgt_lookup("header:Subject:decoded", &t, &arg, &decoded, &err)
 *	rule_known_target("url-domain")
 *
 * DESCRIPTION
 *	Every target a rule may name is a row of targets[] below: its name,
 *	where its values come from (enum tkind), what it takes as an
 *	argument ("header:NAME", "finding:NAME") and how it is matched (a
 *	pattern, address ranges or a size comparison). Targets of kind
 *	TK_EXTRA take their values from rule_input.extra entries of the same
 *	name, so the MIME code adds one by adding a row here and passing the
 *	values; until it passes them such a target never matches.
 *
 * THREAD SAFETY
 *	The table is constant.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "findings.h"
#include "rules_int.h"

/* The targets. Fixed names that hold a colon (attachment:name) are looked up whole first. */
static const struct rule_target targets[] = {
    {"header", TK_HEADER, TA_HEADER, TM_REGEX, RULE_HEADER_CAP},
    {"headers", TK_HEADERS, TA_NONE, TM_REGEX, RULE_HEADER_CAP},
    {"client-ip", TK_CLIENT_IP, TA_NONE, TM_CIDR, 0},
    {"client-name", TK_CLIENT_NAME, TA_NONE, TM_REGEX, RULE_VALUE_CAP},
    {"helo", TK_HELO, TA_NONE, TM_REGEX, RULE_VALUE_CAP},
    {"mail-from", TK_MAIL_FROM, TA_NONE, TM_REGEX, RULE_VALUE_CAP},
    {"rcpt", TK_RCPT, TA_NONE, TM_REGEX, RULE_VALUE_CAP},
    {"size", TK_SIZE, TA_NONE, TM_SIZE, 0},
    {"rawbody", TK_BODY, TA_NONE, TM_REGEX, RULE_BODY_CAP},
    {"finding", TK_FINDING, TA_FINDING, TM_REGEX, RULE_VALUE_CAP},
    /* from the MIME code, through rule_input.extra */
    {"body", TK_EXTRA, TA_NONE, TM_REGEX, RULE_BODY_CAP}, /* decoded text of the parts */
    {"url", TK_EXTRA, TA_NONE, TM_REGEX, RULE_VALUE_CAP},
    {"url-domain", TK_EXTRA, TA_NONE, TM_REGEX, RULE_VALUE_CAP},
    {"attachment:name", TK_EXTRA, TA_NONE, TM_REGEX, RULE_VALUE_CAP},
    {"attachment:type", TK_EXTRA, TA_NONE, TM_REGEX, RULE_VALUE_CAP},
};

/* find - the row called name (len bytes), or NULL */
static const struct rule_target *find(const char *name, size_t len)
{
	for (size_t i = 0; i < ARRAY_LEN(targets); i++)
		if (strlen(targets[i].name) == len && strncmp(targets[i].name, name, len) == 0)
			return &targets[i];
	return NULL;
}

/* header_name_ok - RFC 5322 field name: printable ASCII but the colon */
static int header_name_ok(const char *s, size_t len)
{
	if (len == 0 || len > 128)
		return 0;
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)s[i] < 33 || (unsigned char)s[i] > 126 || s[i] == ':')
			return 0;
	return 1;
}

/* tgt_lookup - resolve a target as written */
int tgt_lookup(const char *text, const struct rule_target **t, char **arg, int *decoded,
	       const char **err)
{
	*t = NULL;
	*arg = NULL;
	*decoded = 0;
	*err = NULL;
	const struct rule_target *row = find(text, strlen(text));
	const char *colon = strchr(text, ':');
	if (row == NULL && colon)
		row = find(text, (size_t)(colon - text));
	if (row == NULL) {
		*err = "unknown target";
		return 0;
	}
	if (row->arg == TA_NONE) {
		if (strcmp(text, row->name) != 0) {
			*err = "this target takes no ':' argument";
			return 0;
		}
		*t = row;
		return 0;
	}
	const char *a = colon ? colon + 1 : "";
	size_t alen = strlen(a);
	if (row->arg == TA_HEADER) {
		const char *c2 = strchr(a, ':');
		if (c2) {
			if (strcasecmp(c2 + 1, "decoded") != 0) {
				*err = "expected header:NAME or header:NAME:decoded";
				return 0;
			}
			*decoded = 1;
			alen = (size_t)(c2 - a);
		}
		if (!header_name_ok(a, alen)) {
			*err = "expected a header name, as in header:Subject";
			return 0;
		}
	} else if (alen == 0 || !fnd_known(a)) {
		*err = alen ? "unknown finding" : "expected a finding name, as in finding:spf";
		return 0;
	}
	*arg = strndup(a, alen);
	if (*arg == NULL)
		return -1;
	*t = row;
	return 0;
}

/* rule_known_target - may a rule (or a policy list) name this target? */
int rule_known_target(const char *name)
{
	const struct rule_target *t;
	char *arg;
	int decoded;
	const char *err;
	if (tgt_lookup(name, &t, &arg, &decoded, &err) < 0)
		return 0;
	free(arg);
	return t != NULL;
}
