/*
 * conf.c - read portcullis.conf.
 *
 * SYNOPSIS
 *	struct conf *conf_load(path, errs)
 *
 * DESCRIPTION
 *	The file is lines of "key value"; '#' starts a comment at the start of
 *	a line or after white space; blank lines are ignored. The value is the
 *	rest of the line with surrounding white space removed. Every key is in
 *	the table below with its parser and its default; contrib/portcullis.conf
 *	documents each one.
 *
 * DIAGNOSTICS
 *	Every problem is recorded as "file:line: message" and parsing goes on,
 *	so one run reports them all. A file with any error yields no config.
 *
 * THREAD SAFETY
 *	conf_load uses only its arguments; a loaded conf is immutable.
 */
#include "config.h"

#include "conf.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "cidr.h"
#include "replist.h"
#include "log.h"

#define CONF_LINE_MAX 4096
#define CONF_FILE_MAX (1024 * 1024)

enum ktype {
	K_STR,
	K_PATH,
	K_SOCKET,
	K_MODE,
	K_SIZE,
	K_DURATION,
	K_LOGDEST,
	K_LOGLEVEL,
	K_ONERROR,
	K_COUNT,
	K_TOKEN,
	K_USER,
	K_GROUP,
	K_BOOL,
	K_FORWARDERS,
	K_CIDRS,
	K_DNSBL, /* repeatable: each line adds a list */
	K_RHSBL, /* repeatable */
	K_URIBL, /* repeatable */
	K_DNSERR,
	K_RELEASE
};

struct key {
	const char *name;
	enum ktype type;
	size_t off;       /* offset of the field in struct conf */
	const char *dflt; /* default value, parsed like a file value; NULL: unset */
};

#define F(field) offsetof(struct conf, field)
static const struct key keys[] = {
    {"socket", K_SOCKET, F(socket), "inet:8891@127.0.0.1"},
    {"socket_mode", K_MODE, F(socket_mode), "0660"},
    {"socket_group", K_GROUP, F(socket_group), NULL},
    {"user", K_USER, F(user), NULL},
    {"group", K_GROUP, F(group), NULL},
    {"pidfile", K_PATH, F(pidfile), NULL},
    {"log", K_LOGDEST, F(log_dest), "syslog:mail"},
    {"log_level", K_LOGLEVEL, F(log_level), "info"},
    {"authserv_id", K_TOKEN, F(authserv_id), NULL},
    {"tmpdir", K_PATH, F(tmpdir), "/var/tmp"},
    {"body_memory_max", K_SIZE, F(body_memory_max), "1M"},
    {"body_scan_max", K_SIZE, F(body_scan_max), "1M"},
    {"message_size_max", K_SIZE, F(message_size_max), "50M"},
    {"header_count_max", K_COUNT, F(header_count_max), "1000"},
    {"rules_dir", K_PATH, F(rules_dir), SYSCONFDIR "/portcullis/rules.d"},
    {"policy_file", K_PATH, F(policy_file), SYSCONFDIR "/portcullis/policy.conf"},
    {"on_error", K_ONERROR, F(on_error), "tempfail"},
    {"shutdown_timeout", K_DURATION, F(shutdown_timeout), "30s"},
    {"dns_forwarders", K_FORWARDERS, F(dns_forwarders), NULL},
    {"dns_timeout", K_DURATION, F(dns_timeout), "5s"},
    {"dns_budget", K_DURATION, F(dns_budget), "20s"},
    {"dns_trust_anchor", K_PATH, F(dns_trust_anchor), NULL},
    {"spf", K_BOOL, F(spf), "yes"},
    {"spf_reject_fail", K_BOOL, F(spf_reject_fail), "no"},
    {"received_spf", K_BOOL, F(received_spf), "no"},
    {"authres_remove_all", K_BOOL, F(authres_remove_all), "no"},
    {"authres_trusted_hosts", K_CIDRS, F(authres_trusted_hosts), NULL},
    {"on_dns_error", K_DNSERR, F(on_dns_error_tempfail), "ignore"},
    {"dnsbl", K_DNSBL, F(dnsbl), NULL},
    {"rhsbl", K_RHSBL, F(rhsbl), NULL},
    {"uribl", K_URIBL, F(uribl), NULL},
    {"iprev", K_BOOL, F(iprev), "yes"},
    {"mime_scan_max", K_SIZE, F(mime_scan_max), "4M"},
    {"mime_depth_max", K_COUNT, F(mime_depth_max), "20"},
    {"mime_parts_max", K_COUNT, F(mime_parts_max), "1000"},
    {"mime_part_bytes_max", K_SIZE, F(mime_part_bytes_max), "10M"},
    {"mime_bytes_max", K_SIZE, F(mime_bytes_max), "20M"},
    {"mime_urls_max", K_COUNT, F(mime_urls_max), "200"},
    {"mime_header_line_max", K_SIZE, F(mime_header_line_max), "64K"},
    {"quarantine_dir", K_PATH, F(quarantine_dir), NULL},
    {"quarantine_group", K_GROUP, F(quarantine_group), NULL},
    {"quarantine_max_age", K_DURATION, F(quarantine_max_age), "30d"},
    {"quarantine_max_size", K_SIZE, F(quarantine_max_size), "0"},
    {"quarantine_purge_interval", K_DURATION, F(quarantine_purge_interval), "1h"},
    {"release_mark_max_age", K_DURATION, F(release_mark_max_age), "1d"},
    {"release_via", K_RELEASE, F(release_via), "sendmail:/usr/sbin/sendmail"},
    {"json_log", K_PATH, F(json_log), NULL},
    {"dkim", K_BOOL, F(dkim), "yes"},
    {"dkim_signatures_max", K_COUNT, F(dkim_signatures_max), "8"},
    {"dkim_key_cache", K_COUNT, F(dkim_key_cache), "1000"},
    {"dmarc", K_BOOL, F(dmarc), "yes"},
    {"public_suffix_list", K_PATH, F(public_suffix_list),
     "/usr/share/publicsuffix/public_suffix_list.dat"},
};
#undef F

/* conf_parse_size - a byte count with an optional K/M/G suffix (powers of 1024) */
int conf_parse_size(const char *s, size_t *out)
{
	if (!isdigit((unsigned char)*s))
		return -1;
	errno = 0;
	char *end;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno)
		return -1;
	unsigned long long mul = 1;
	switch (toupper((unsigned char)*end)) {
	case 'K':
		mul = 1024ULL;
		end++;
		break;
	case 'M':
		mul = 1024ULL * 1024;
		end++;
		break;
	case 'G':
		mul = 1024ULL * 1024 * 1024;
		end++;
		break;
	default: break;
	}
	if (*end == 'B' || *end == 'b')
		end++;
	if (*end != '\0' || v > (unsigned long long)SIZE_MAX / mul)
		return -1;
	*out = (size_t)(v * mul);
	return 0;
}

/* conf_parse_duration - seconds with an optional s/m/h/d suffix */
int conf_parse_duration(const char *s, unsigned *out)
{
	if (!isdigit((unsigned char)*s))
		return -1;
	errno = 0;
	char *end;
	unsigned long v = strtoul(s, &end, 10);
	if (errno)
		return -1;
	unsigned long mul = 1;
	switch (tolower((unsigned char)*end)) {
	case 's': end++; break;
	case 'm':
		mul = 60;
		end++;
		break;
	case 'h':
		mul = 3600;
		end++;
		break;
	case 'd':
		mul = 86400;
		end++;
		break;
	default: break;
	}
	if (*end != '\0' || v > UINT_MAX / mul)
		return -1;
	*out = (unsigned)(v * mul);
	return 0;
}

/* parse_port - 1..65535 from the start of s up to stop; -1 if not */
static long parse_port(const char *s, const char *stop)
{
	if (s == stop || stop - s > 5)
		return -1;
	long v = 0;
	for (const char *p = s; p < stop; p++) {
		if (!isdigit((unsigned char)*p))
			return -1;
		v = v * 10 + (*p - '0');
	}
	return v >= 1 && v <= 65535 ? v : -1;
}

/* conf_socket_valid - check a libmilter socket specification */
const char *conf_socket_valid(const char *spec)
{
	if (strncmp(spec, "unix:", 5) == 0 || strncmp(spec, "local:", 6) == 0) {
		const char *path = strchr(spec, ':') + 1;
		if (*path != '/')
			return "a unix socket needs an absolute path "
			       "(unix:/run/portcullis/portcullis.sock)";
		if (strlen(path) >= 108)
			return "unix socket path longer than 107 bytes";
		return NULL;
	}
	int v6 = strncmp(spec, "inet6:", 6) == 0;
	if (v6 || strncmp(spec, "inet:", 5) == 0) {
		const char *port = spec + (v6 ? 6 : 5);
		const char *at = strchr(port, '@');
		const char *stop = at ? at : port + strlen(port);
		if (parse_port(port, stop) < 0)
			return "expected a port 1-65535 (inet:8891@127.0.0.1)";
		if (at && at[1] == '\0')
			return "expected a host after '@'";
		return NULL;
	}
	return "expected unix:PATH, inet:PORT@HOST or inet6:PORT@HOST";
}

/* conf_on_error_name - name of an on_error action */
const char *conf_on_error_name(enum conf_on_error e)
{
	switch (e) {
	case ON_ERROR_ACCEPT: return "accept";
	case ON_ERROR_REJECT: return "reject";
	default: return "tempfail";
	}
}

/* token_valid - RFC 8601 authserv-id as a dot-atom-ish token */
static int token_valid(const char *s)
{
	if (*s == '\0')
		return 0;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && !strchr(".-_", *s))
			return 0;
	return 1;
}

/* list_free - release a word list */
static void list_free(struct conf_list *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

/* forwarder_valid - "IPv4", "IPv6" or either with "@port" */
static int forwarder_valid(const char *w)
{
	const char *at = strchr(w, '@');
	size_t hl = at ? (size_t)(at - w) : strlen(w);
	if (at && parse_port(at + 1, at + strlen(at)) < 0)
		return 0;
	char host[64];
	if (hl == 0 || hl >= sizeof(host))
		return 0;
	memcpy(host, w, hl);
	host[hl] = '\0';
	unsigned char addr[16];
	return inet_pton(AF_INET, host, addr) == 1 || inet_pton(AF_INET6, host, addr) == 1;
}

/* set_list - white-space separated words, each valid by ok(); NULL, or what was expected */
static const char *set_list(struct conf_list *l, const char *v, int (*ok)(const char *),
			    const char *expected)
{
	list_free(l);
	const char *p = v;
	while (*p) {
		while (isspace((unsigned char)*p))
			p++;
		const char *s = p;
		while (*p && !isspace((unsigned char)*p))
			p++;
		if (p == s)
			break;
		char *w = strndup(s, (size_t)(p - s));
		char **nv = w ? realloc(l->v, (l->n + 1) * sizeof(*nv)) : NULL;
		if (nv == NULL) {
			free(w);
			list_free(l);
			return "out of memory";
		}
		l->v = nv;
		l->v[l->n++] = w;
		if (!ok(w))
			return expected;
	}
	return NULL;
}

/* list_append - one more entry (a repeatable key) */
static const char *list_append(struct conf_list *l, const char *v)
{
	char *w = strdup(v);
	char **nv = w ? realloc(l->v, (l->n + 1) * sizeof(*nv)) : NULL;
	if (nv == NULL) {
		free(w);
		return "out of memory";
	}
	l->v = nv;
	l->v[l->n++] = w;
	return NULL;
}

/* release_valid - "sendmail:/path" or "smtp:host:port" (host may be [IPv6]) */
static int release_valid(const char *v)
{
	if (strncmp(v, "sendmail:", 9) == 0)
		return v[9] == '/' && strchr(v, ' ') == NULL;
	if (strncmp(v, "smtp:", 5) != 0)
		return 0;
	const char *port = strrchr(v + 5, ':');
	return port && port > v + 5 && parse_port(port + 1, port + strlen(port)) > 0;
}

/* cidr_valid - an address or address/bits */
static int cidr_valid(const char *w)
{
	struct cidr c;
	return cidr_parse(w, &c) == 0;
}

/* set_value - parse v for key k into c; NULL on success, else what was expected */
static const char *set_value(struct conf *c, const struct key *k, const char *v)
{
	char *base = (char *)c;
	void *field = base + k->off;
	switch (k->type) {
	case K_SOCKET: {
		const char *why = conf_socket_valid(v);
		if (why)
			return why;
		break;
	}
	case K_PATH:
		if (v[0] != '/')
			return "expected an absolute path";
		break;
	case K_TOKEN:
		if (!token_valid(v))
			return "expected a host name (letters, digits, '.', '-', '_')";
		break;
	case K_LOGDEST:
		if (!log_dest_valid(v))
			return "expected stderr, syslog or syslog:FACILITY (mail, daemon, user, "
			       "local0-7)";
		break;
	case K_USER:
		if (getpwnam(v) == NULL)
			return "no such user";
		break;
	case K_GROUP:
		if (getgrnam(v) == NULL)
			return "no such group";
		break;
	case K_MODE: {
		char *end;
		errno = 0;
		unsigned long m = strtoul(v, &end, 8);
		if (!isdigit((unsigned char)*v) || errno || *end || m > 0777)
			return "expected an octal mode such as 0660";
		*(unsigned *)field = (unsigned)m;
		return NULL;
	}
	case K_SIZE:
		if (conf_parse_size(v, (size_t *)field) < 0)
			return "expected a size such as 512K, 10M or 1G";
		return NULL;
	case K_DURATION:
		if (conf_parse_duration(v, (unsigned *)field) < 0)
			return "expected a duration such as 30s, 5m, 1h or 7d";
		return NULL;
	case K_COUNT: {
		char *end;
		errno = 0;
		unsigned long n = strtoul(v, &end, 10);
		if (!isdigit((unsigned char)*v) || errno || *end || n == 0 || n > 1000000)
			return "expected a whole number from 1 to 1000000";
		*(unsigned *)field = (unsigned)n;
		return NULL;
	}
	case K_LOGLEVEL: {
		int lvl = log_level_parse(v);
		if (lvl < 0)
			return "expected error, warning, notice, info or debug";
		*(int *)field = lvl;
		return NULL;
	}
	case K_BOOL:
		if (strcmp(v, "yes") == 0)
			*(int *)field = 1;
		else if (strcmp(v, "no") == 0)
			*(int *)field = 0;
		else
			return "expected yes or no";
		return NULL;
	case K_FORWARDERS:
		return set_list(
		    (struct conf_list *)field, v, forwarder_valid,
		    "expected IP addresses, each optionally with @port (127.0.0.1@5353)");
	case K_DNSBL:
	case K_RHSBL:
	case K_URIBL: {
		struct replist l;
		const char *why = replist_parse(k->type == K_DNSBL   ? REPLIST_DNSBL
						: k->type == K_RHSBL ? REPLIST_RHSBL
								     : REPLIST_URIBL,
						v, &l);
		return why ? why : list_append((struct conf_list *)field, v);
	}
	case K_CIDRS:
		return set_list((struct conf_list *)field, v, cidr_valid,
				"expected IP addresses or networks (192.0.2.0/24 2001:db8::/32)");
	case K_DNSERR:
		if (strcmp(v, "tempfail") == 0)
			*(int *)field = 1;
		else if (strcmp(v, "ignore") == 0)
			*(int *)field = 0;
		else
			return "expected tempfail or ignore";
		return NULL;
	case K_ONERROR:
		if (strcmp(v, "tempfail") == 0)
			*(enum conf_on_error *)field = ON_ERROR_TEMPFAIL;
		else if (strcmp(v, "accept") == 0)
			*(enum conf_on_error *)field = ON_ERROR_ACCEPT;
		else if (strcmp(v, "reject") == 0)
			*(enum conf_on_error *)field = ON_ERROR_REJECT;
		else
			return "expected tempfail, accept or reject";
		return NULL;
	case K_RELEASE:
		if (!release_valid(v))
			return "expected sendmail:/PATH or smtp:HOST:PORT";
		break;
	case K_STR: break;
	}
	char *dup = strdup(v);
	if (dup == NULL)
		return "out of memory";
	char **slot = (char **)field;
	free(*slot);
	*slot = dup;
	return NULL;
}

/* key_find - table entry by name */
static const struct key *key_find(const char *name)
{
	for (size_t i = 0; i < ARRAY_LEN(keys); i++)
		if (strcmp(keys[i].name, name) == 0)
			return &keys[i];
	return NULL;
}

/* conf_free - release */
void conf_free(struct conf *c)
{
	if (c == NULL)
		return;
	for (size_t i = 0; i < ARRAY_LEN(keys); i++) {
		const struct key *k = &keys[i];
		if (k->type == K_MODE || k->type == K_SIZE || k->type == K_DURATION ||
		    k->type == K_COUNT || k->type == K_LOGLEVEL || k->type == K_ONERROR ||
		    k->type == K_BOOL || k->type == K_DNSERR)
			continue;
		if (k->type == K_FORWARDERS || k->type == K_CIDRS || k->type == K_DNSBL ||
		    k->type == K_RHSBL || k->type == K_URIBL) {
			list_free((struct conf_list *)((char *)c + k->off));
			continue;
		}
		free(*(char **)((char *)c + k->off));
	}
	free(c->file);
	free(c);
}

/* fnv1a - 64-bit FNV-1a hash */
static uint64_t fnv1a(const char *p, size_t n)
{
	uint64_t h = 14695981039346656037ULL;
	for (size_t i = 0; i < n; i++) {
		h ^= (unsigned char)p[i];
		h *= 1099511628211ULL;
	}
	return h;
}

/* parse_line - one line (NUL-terminated, modified in place) */
static void parse_line(struct conf *c, const char *path, unsigned lineno, char *line,
		       unsigned *seen, struct errlist *errs)
{
	/* strip comment: '#' at the start or after white space */
	for (char *p = line; *p; p++)
		if (*p == '#' && (p == line || isspace((unsigned char)p[-1]))) {
			*p = '\0';
			break;
		}
	char *s = line;
	while (isspace((unsigned char)*s))
		s++;
	char *e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	if (*s == '\0')
		return;
	char *name = s;
	while (*s && !isspace((unsigned char)*s))
		s++;
	if (*s)
		*s++ = '\0';
	while (isspace((unsigned char)*s))
		s++;
	const struct key *k = key_find(name);
	if (k == NULL) {
		errlist_add(errs, path, lineno, "unknown key '%s'", name);
		return;
	}
	size_t idx = (size_t)(k - keys);
	if (seen[idx] && k->type != K_DNSBL && k->type != K_RHSBL && k->type != K_URIBL) {
		errlist_add(errs, path, lineno, "'%s' is already set at line %u", name, seen[idx]);
		return;
	}
	seen[idx] = lineno;
	if (*s == '\0') {
		errlist_add(errs, path, lineno, "'%s' needs a value", name);
		return;
	}
	const char *why = set_value(c, k, s);
	if (why == NULL && strcmp(name, "policy_file") == 0)
		c->policy_file_set = 1;
	if (why)
		errlist_add(errs, path, lineno, "%s: %s, got '%s'", name, why, s);
}

/* conf_load - read, parse and validate a configuration file (NULL: defaults only) */
struct conf *conf_load(const char *path, struct errlist *errs)
{
	size_t before = errs->count;
	struct conf *c = calloc(1, sizeof(*c));
	if (c == NULL || (c->file = strdup(path ? path : "(built-in defaults)")) == NULL) {
		free(c);
		errlist_add(errs, path, 0, "out of memory");
		return NULL;
	}
	for (size_t i = 0; i < ARRAY_LEN(keys); i++)
		if (keys[i].dflt && set_value(c, &keys[i], keys[i].dflt) != NULL)
			errlist_add(errs, path, 0, "internal: bad default for %s", keys[i].name);

	struct buf text;
	buf_init(&text, CONF_FILE_MAX);
	if (path && buf_read_file(&text, path, errs) == 0) {
		c->hash = fnv1a(text.data ? text.data : "", text.len);
		unsigned seen[ARRAY_LEN(keys)] = {0};
		unsigned lineno = 0;
		char *p = text.data ? text.data : "";
		char *end = p + text.len;
		while (p < end) {
			char *nl = memchr(p, '\n', (size_t)(end - p));
			char *stop = nl ? nl : end;
			lineno++;
			if (stop - p > CONF_LINE_MAX)
				errlist_add(errs, path, lineno, "line longer than %d bytes",
					    CONF_LINE_MAX);
			else {
				*stop = '\0';
				parse_line(c, path, lineno, p, seen, errs);
			}
			p = stop + 1;
		}
	}
	buf_free(&text);

	if (c->authserv_id == NULL) {
		char host[256];
		if (gethostname(host, sizeof(host)) != 0 || !token_valid(host))
			snprintf(host, sizeof(host), "localhost");
		host[sizeof(host) - 1] = '\0';
		if ((c->authserv_id = strdup(host)) == NULL)
			errlist_add(errs, path, 0, "out of memory");
	}
	if (c->group && !c->user)
		errlist_add(errs, path, 0, "'group' is set but 'user' is not");
	if (c->dns_timeout == 0)
		errlist_add(errs, path, 0, "dns_timeout must be at least 1s");
	if (c->dkim_signatures_max > 32)
		errlist_add(errs, path, 0, "dkim_signatures_max must be at most 32");
	if (c->body_memory_max > c->message_size_max)
		c->body_memory_max = c->message_size_max;

	if (errs->count > before || errs->nomem) {
		conf_free(c);
		return NULL;
	}
	return c;
}
