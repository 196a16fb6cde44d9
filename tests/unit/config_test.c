/*
 * config_test.c - unit tests of conf.c: portcullis.conf parsing.
 *
 * DESCRIPTION
 *	Table tests of conf_parse_size, conf_parse_duration and
 *	conf_socket_valid; the built-in defaults; every field of
 *	tests/data/config/good*.conf; one-line files for each value form;
 *	and golden error tests: each tests/data/config/bad-NAME.conf must
 *	produce exactly the diagnostics in bad-NAME.expected (one per line,
 *	the file's path written as @FILE@), and no configuration.
 *	Files that cannot live in the tree (too large, missing) are made in
 *	a private temporary directory.
 *
 * OUTPUT
 *	TAP on stdout (see tap.h).
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "conf.h"
#include "errlist.h"
#include "log.h"
#include "tap.h"

#define KiB ((size_t)1024)
#define MiB (KiB * 1024)
#define GiB (MiB * 1024)

static char tmpdir[1024]; /* private scratch directory, removed at the end */

/* slurp - a whole file as a NUL-terminated string in b; -1 if unreadable */
static int slurp(const char *path, struct buf *b)
{
	FILE *fp = fopen(path, "rb");
	if (fp == NULL)
		return -1;
	char chunk[8192];
	size_t n;
	int rc = 0;
	while (rc == 0 && (n = fread(chunk, 1, sizeof(chunk), fp)) > 0)
		rc = buf_add(b, chunk, n) == BUF_OK ? 0 : -1;
	if (ferror(fp))
		rc = -1;
	fclose(fp);
	return rc;
}

/* write_file - create path holding len bytes of text; -1 on failure */
static int write_file(const char *path, const char *text, size_t len)
{
	FILE *fp = fopen(path, "wb");
	if (fp == NULL)
		return -1;
	int rc = fwrite(text, 1, len, fp) == len ? 0 : -1;
	if (fclose(fp) != 0)
		rc = -1;
	return rc;
}

/* scratch - path of a file in the scratch directory */
static void scratch(char *out, size_t len, const char *name)
{
	snprintf(out, len, "%s/%s", tmpdir, name);
}

/* data_path - path of a file in tests/data/config */
static void data_path(char *out, size_t len, const char *name)
{
	snprintf(out, len, "%s/tests/data/config/%s", tap_srcdir(), name);
}

/* fnv1a - 64-bit FNV-1a, the hash conf_load records */
static uint64_t fnv1a(const char *p, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ULL;
	for (size_t i = 0; i < n; i++) {
		h ^= (unsigned char)p[i];
		h *= 0x100000001b3ULL;
	}
	return h;
}

/* field - the value of the named field of c as text ("(null)" for an unset string) */
static const char *field(const struct conf *c, const char *name, char *out, size_t len)
{
	const char *s = NULL;
	int str_field = 1;
	if (strcmp(name, "file") == 0)
		s = c->file;
	else if (strcmp(name, "socket") == 0)
		s = c->socket;
	else if (strcmp(name, "socket_group") == 0)
		s = c->socket_group;
	else if (strcmp(name, "user") == 0)
		s = c->user;
	else if (strcmp(name, "group") == 0)
		s = c->group;
	else if (strcmp(name, "pidfile") == 0)
		s = c->pidfile;
	else if (strcmp(name, "log") == 0)
		s = c->log_dest;
	else if (strcmp(name, "authserv_id") == 0)
		s = c->authserv_id;
	else if (strcmp(name, "tmpdir") == 0)
		s = c->tmpdir;
	else if (strcmp(name, "rules_dir") == 0)
		s = c->rules_dir;
	else if (strcmp(name, "policy_file") == 0)
		s = c->policy_file;
	else {
		str_field = 0;
		if (strcmp(name, "socket_mode") == 0)
			snprintf(out, len, "0%o", c->socket_mode);
		else if (strcmp(name, "log_level") == 0)
			snprintf(out, len, "%d", c->log_level);
		else if (strcmp(name, "body_memory_max") == 0)
			snprintf(out, len, "%zu", c->body_memory_max);
		else if (strcmp(name, "message_size_max") == 0)
			snprintf(out, len, "%zu", c->message_size_max);
		else if (strcmp(name, "header_count_max") == 0)
			snprintf(out, len, "%u", c->header_count_max);
		else if (strcmp(name, "on_error") == 0)
			snprintf(out, len, "%s", conf_on_error_name(c->on_error));
		else if (strcmp(name, "shutdown_timeout") == 0)
			snprintf(out, len, "%u", c->shutdown_timeout);
		else
			snprintf(out, len, "(no field %s)", name);
	}
	if (str_field)
		snprintf(out, len, "%s", s ? s : "(null)");
	return out;
}

struct expect {
	const char *field;
	const char *value;
};

/* check_fields - each listed field of c has the listed value */
static void check_fields(const char *what, const struct conf *c, const struct expect *e, size_t n)
{
	char got[4096];
	for (size_t i = 0; i < n; i++)
		is_str(c ? field(c, e[i].field, got, sizeof(got)) : NULL, e[i].value, "%s: %s",
		       what, e[i].field);
}

/* show_errors - the diagnostics of a failed load, as TAP comments */
static void show_errors(const struct errlist *errs)
{
	for (size_t i = 0; i < errs->count; i++)
		diag("  %s", errs->msgs[i]);
}

/* test_parse_size - sizes with K/M/G (and B) suffixes, malformed input, overflow */
static void test_parse_size(void)
{
	static const struct {
		const char *in;
		int rc;
		size_t want;
	} t[] = {
	    {"0", 0, 0},
	    {"512", 0, 512},
	    {"512b", 0, 512},
	    {"512B", 0, 512},
	    {"64K", 0, 64 * KiB},
	    {"64k", 0, 64 * KiB},
	    {"64KB", 0, 64 * KiB},
	    {"64kb", 0, 64 * KiB},
	    {"10M", 0, 10 * MiB},
	    {"10m", 0, 10 * MiB},
	    {"1G", 0, GiB},
	    {"1g", 0, GiB},
	    {"3G", 0, 3 * GiB},
	    {"0K", 0, 0},
	    {"007", 0, 7},
	    {"18446744073709551615", 0, SIZE_MAX},
	    {"18014398509481983K", 0, (SIZE_MAX / KiB) * KiB},
	    {"17179869183G", 0, (SIZE_MAX / GiB) * GiB},
	    /* malformed */
	    {"", -1, 0},
	    {"K", -1, 0},
	    {"-1", -1, 0},
	    {"+1", -1, 0},
	    {" 1", -1, 0},
	    {"1 ", -1, 0},
	    {"1 K", -1, 0},
	    {"1.5M", -1, 0},
	    {"1T", -1, 0},
	    {"1KK", -1, 0},
	    {"1BB", -1, 0},
	    {"1KiB", -1, 0},
	    {"0x10", -1, 0},
	    {"ten", -1, 0},
	    /* overflow */
	    {"18446744073709551616", -1, 0},
	    {"99999999999999999999999", -1, 0},
	    {"18014398509481984K", -1, 0},
	    {"17592186044416M", -1, 0},
	    {"17179869184G", -1, 0},
	};
	for (size_t i = 0; i < ARRAY_LEN(t); i++) {
		size_t out = 12345;
		int rc = conf_parse_size(t[i].in, &out);
		if (t[i].rc == 0) {
			if (!ok(rc == 0 && out == t[i].want, "conf_parse_size(\"%s\") = %zu",
				t[i].in, t[i].want))
				diag("  rc %d, value %zu", rc, out);
		} else {
			if (!ok(rc == -1 && out == 12345, "conf_parse_size(\"%s\") is malformed",
				t[i].in))
				diag("  rc %d, value %zu", rc, out);
		}
	}
}

/* test_parse_duration - durations with s/m/h suffixes, malformed input, overflow */
static void test_parse_duration(void)
{
	static const struct {
		const char *in;
		int rc;
		unsigned want;
	} t[] = {
	    {"0", 0, 0},
	    {"30", 0, 30},
	    {"30s", 0, 30},
	    {"5m", 0, 300},
	    {"1h", 0, 3600},
	    {"24h", 0, 86400},
	    {"4294967295", 0, 4294967295U},
	    {"4294967295s", 0, 4294967295U},
	    {"71582788m", 0, 71582788U * 60},
	    {"1193046h", 0, 1193046U * 3600},
	    {"30d", 0, 30U * 86400},
	    {"49710d", 0, 49710U * 86400},
	    /* malformed */
	    {"", -1, 0},
	    {"s", -1, 0},
	    {"-5", -1, 0},
	    {"+5", -1, 0},
	    {" 5", -1, 0},
	    {"5 s", -1, 0},
	    {"5w", -1, 0},
	    {"5ms", -1, 0},
	    {"1.5h", -1, 0},
	    {"5sec", -1, 0},
	    /* overflow */
	    {"4294967296", -1, 0},
	    {"4294967296s", -1, 0},
	    {"71582789m", -1, 0},
	    {"1193047h", -1, 0},
	    {"99999999999999999999999", -1, 0},
	};
	for (size_t i = 0; i < ARRAY_LEN(t); i++) {
		unsigned out = 12345;
		int rc = conf_parse_duration(t[i].in, &out);
		if (t[i].rc == 0) {
			if (!ok(rc == 0 && out == t[i].want, "conf_parse_duration(\"%s\") = %u",
				t[i].in, t[i].want))
				diag("  rc %d, value %u", rc, out);
		} else {
			if (!ok(rc == -1 && out == 12345,
				"conf_parse_duration(\"%s\") is malformed", t[i].in))
				diag("  rc %d, value %u", rc, out);
		}
	}
}

/* test_socket_valid - unix, local, inet and inet6 socket specifications */
static void test_socket_valid(void)
{
	static const struct {
		const char *spec;
		int valid;
	} t[] = {
	    {"unix:/run/portcullis/portcullis.sock", 1},
	    {"local:/var/run/p.sock", 1},
	    {"inet:8891", 1},
	    {"inet:8891@127.0.0.1", 1},
	    {"inet:1@localhost", 1},
	    {"inet:65535@localhost", 1},
	    {"inet6:8891@::1", 1},
	    {"inet6:8891@[::1]", 1},
	    {"unix:run/p.sock", 0},
	    {"unix:", 0},
	    {"local:p.sock", 0},
	    {"inet:", 0},
	    {"inet:@127.0.0.1", 0},
	    {"inet:0@127.0.0.1", 0},
	    {"inet:65536@127.0.0.1", 0},
	    {"inet:99999@127.0.0.1", 0},
	    {"inet:123456@127.0.0.1", 0},
	    {"inet:-1@127.0.0.1", 0},
	    {"inet:88a1@127.0.0.1", 0},
	    {"inet:8891@", 0},
	    {"inet6:0@::1", 0},
	    {"tcp:8891@127.0.0.1", 0},
	    {"8891", 0},
	    {"", 0},
	    {"/run/p.sock", 0},
	};
	for (size_t i = 0; i < ARRAY_LEN(t); i++) {
		const char *why = conf_socket_valid(t[i].spec);
		if (t[i].valid) {
			if (!ok(why == NULL, "socket '%s' is valid", t[i].spec))
				diag("  said: %s", why);
		} else {
			ok(why != NULL, "socket '%s' is refused", t[i].spec);
		}
	}
	/* sun_path holds 107 bytes and the NUL */
	for (size_t len = 106; len <= 109; len++) {
		char spec[200] = "unix:/";
		memset(spec + 6, 'p', len - 1);
		spec[5 + len] = '\0';
		const char *why = conf_socket_valid(spec);
		if (len <= 107) {
			if (!ok(why == NULL, "a unix socket path of %zu bytes is valid", len))
				diag("  said: %s", why);
		} else {
			ok(why != NULL, "a unix socket path of %zu bytes is refused", len);
		}
	}
}

/* test_on_error_name - the names of the on_error actions */
static void test_on_error_name(void)
{
	is_str(conf_on_error_name(ON_ERROR_TEMPFAIL), "tempfail", "on_error name tempfail");
	is_str(conf_on_error_name(ON_ERROR_ACCEPT), "accept", "on_error name accept");
	is_str(conf_on_error_name(ON_ERROR_REJECT), "reject", "on_error name reject");
}

/* test_defaults - conf_load(NULL) gives the documented defaults */
static void test_defaults(void)
{
	static const struct expect want[] = {
	    {"file", "(built-in defaults)"},
	    {"socket", "inet:8891@127.0.0.1"},
	    {"socket_mode", "0660"},
	    {"socket_group", "(null)"},
	    {"user", "(null)"},
	    {"group", "(null)"},
	    {"pidfile", "(null)"},
	    {"log", "syslog:mail"},
	    {"log_level", "3"}, /* LOG_LVL_INFO */
	    {"tmpdir", "/var/tmp"},
	    {"body_memory_max", "1048576"},
	    {"message_size_max", "52428800"},
	    {"header_count_max", "1000"},
	    {"rules_dir", SYSCONFDIR "/portcullis/rules.d"},
	    {"policy_file", SYSCONFDIR "/portcullis/policy.conf"},
	    {"on_error", "tempfail"},
	    {"shutdown_timeout", "30"},
	};
	struct errlist errs;
	errlist_init(&errs);
	struct conf *c = conf_load(NULL, &errs);
	if (!ok(c != NULL && errs.count == 0, "conf_load(NULL) gives the defaults without errors"))
		show_errors(&errs);
	check_fields("defaults", c, want, ARRAY_LEN(want));
	is_int(LOG_LVL_INFO, 3, "log level info is 3 (as the defaults table assumes)");
	ok(c && c->authserv_id && c->authserv_id[0] != '\0',
	   "default authserv_id is set (the host name or localhost)");
	ok(c && c->hash == 0, "no file: hash 0");
	conf_free(c);
	errlist_free(&errs);
	conf_free(NULL); /* allowed */
}

/* load_ok - load a file that must be valid; NULL (and a failed point) if not */
static struct conf *load_ok(const char *path, const char *what)
{
	struct errlist errs;
	errlist_init(&errs);
	struct conf *c = conf_load(path, &errs);
	if (!ok(c != NULL && errs.count == 0, "%s loads without errors", what))
		show_errors(&errs);
	errlist_free(&errs);
	return c;
}

/* test_good - every field of good.conf, which sets every key */
static void test_good(void)
{
	static const struct expect want[] = {
	    {"socket", "unix:/run/portcullis/test.sock"},
	    {"socket_mode", "0640"},
	    {"socket_group", "daemon"},
	    {"user", "root"},
	    {"group", "daemon"},
	    {"pidfile", "/run/portcullis/test.pid"},
	    {"log", "syslog:local3"},
	    {"log_level", "4"}, /* LOG_LVL_DEBUG */
	    {"authserv_id", "mx1.example.test"},
	    {"tmpdir", "/var/spool/portcullis-test"},
	    {"body_memory_max", "262144"},
	    {"message_size_max", "20971520"},
	    {"header_count_max", "250"},
	    {"rules_dir", "/etc/portcullis-test/rules.d"},
	    {"policy_file", "/etc/portcullis-test/policy.conf"},
	    {"on_error", "reject"},
	    {"shutdown_timeout", "120"},
	};
	char path[4096];
	data_path(path, sizeof(path), "good.conf");
	struct conf *c = load_ok(path, "good.conf");
	check_fields("good.conf", c, want, ARRAY_LEN(want));
	is_str(c ? c->file : NULL, path, "good.conf: file is the path it was read from");
	struct buf text;
	buf_init(&text, 0);
	if (slurp(path, &text) == 0)
		ok(c && c->hash == fnv1a(text.data, text.len),
		   "good.conf: hash is FNV-1a of the bytes");
	else
		ok(0, "good.conf: readable for the hash check");
	buf_free(&text);
	conf_free(c);
}

/* test_good_variants - comments, CRLF line ends, the body_memory_max clamp, an empty file */
static void test_good_variants(void)
{
	static const struct expect comments[] = {
	    {"socket", "inet:10025@localhost"}, {"log_level", "2"}, /* LOG_LVL_NOTICE */
	    {"pidfile", "/run/pid#1"},          {"tmpdir", "/var/tmp/a#b"},
	    {"authserv_id", "mx.example.test"}, {"log", "stderr"},
	};
	static const struct expect crlf[] = {
	    {"socket", "inet6:8891@[::1]"},
	    {"socket_mode", "0600"},
	    {"log_level", "1"}, /* LOG_LVL_WARN */
	    {"message_size_max", "10485760"},
	    {"on_error", "accept"},
	    {"shutdown_timeout", "90"},
	};
	static const struct expect clamp[] = {
	    {"body_memory_max", "1048576"},
	    {"message_size_max", "1048576"},
	};
	static const struct expect empty[] = {
	    {"socket", "inet:8891@127.0.0.1"},
	    {"message_size_max", "52428800"},
	    {"on_error", "tempfail"},
	};
	static const struct {
		const char *name;
		const struct expect *want;
		size_t n;
	} t[] = {
	    {"good-comments.conf", comments, ARRAY_LEN(comments)},
	    {"good-crlf.conf", crlf, ARRAY_LEN(crlf)},
	    {"good-clamp.conf", clamp, ARRAY_LEN(clamp)},
	    {"good-empty.conf", empty, ARRAY_LEN(empty)},
	};
	for (size_t i = 0; i < ARRAY_LEN(t); i++) {
		char path[4096];
		data_path(path, sizeof(path), t[i].name);
		struct conf *c = load_ok(path, t[i].name);
		check_fields(t[i].name, c, t[i].want, t[i].n);
		conf_free(c);
	}
}

/* one-line files: every accepted value form lands in the right field */
static void test_value_forms(void)
{
	static const struct {
		const char *line;
		const char *field;
		const char *value;
	} t[] = {
	    {"socket local:/run/p.sock", "socket", "local:/run/p.sock"},
	    {"socket inet:25", "socket", "inet:25"},
	    {"socket_mode 0", "socket_mode", "00"},
	    {"socket_mode 777", "socket_mode", "0777"},
	    {"socket_mode 0777", "socket_mode", "0777"},
	    {"log stderr", "log", "stderr"},
	    {"log syslog", "log", "syslog"},
	    {"log syslog:daemon", "log", "syslog:daemon"},
	    {"log syslog:local7", "log", "syslog:local7"},
	    {"log_level error", "log_level", "0"},
	    {"log_level err", "log_level", "0"},
	    {"log_level warning", "log_level", "1"},
	    {"log_level warn", "log_level", "1"},
	    {"log_level INFO", "log_level", "3"},
	    {"on_error tempfail", "on_error", "tempfail"},
	    {"on_error accept", "on_error", "accept"},
	    {"on_error reject", "on_error", "reject"},
	    {"message_size_max 1G", "message_size_max", "1073741824"},
	    {"message_size_max 100", "message_size_max", "100"},
	    {"body_memory_max 0", "body_memory_max", "0"},
	    {"header_count_max 1", "header_count_max", "1"},
	    {"header_count_max 1000000", "header_count_max", "1000000"},
	    {"shutdown_timeout 0", "shutdown_timeout", "0"},
	    {"shutdown_timeout 1h", "shutdown_timeout", "3600"},
	    {"authserv_id a-b_c.example", "authserv_id", "a-b_c.example"},
	    {"tmpdir /a dir/with spaces", "tmpdir", "/a dir/with spaces"},
	    {"  user\t\troot  ", "user", "root"},
	    {"user root\ngroup root", "group", "root"},
	    {"socket_group daemon", "socket_group", "daemon"},
	};
	char path[4096];
	scratch(path, sizeof(path), "form.conf");
	for (size_t i = 0; i < ARRAY_LEN(t); i++) {
		char text[512];
		int n = snprintf(text, sizeof(text), "%s\n", t[i].line);
		if (write_file(path, text, (size_t)n) < 0) {
			ok(0, "write %s", path);
			continue;
		}
		struct errlist errs;
		errlist_init(&errs);
		struct conf *c = conf_load(path, &errs);
		char got[4096];
		if (!is_str(c ? field(c, t[i].field, got, sizeof(got)) : NULL, t[i].value,
			    "'%s' sets %s", t[i].line, t[i].field))
			show_errors(&errs);
		conf_free(c);
		errlist_free(&errs);
	}
	unlink(path);
}

/* read_expected - the lines of a .expected file with @FILE@ replaced by path */
static int read_expected(const char *exp_path, const char *path, struct errlist *want)
{
	struct buf text;
	buf_init(&text, 0);
	if (slurp(exp_path, &text) < 0) {
		buf_free(&text);
		return -1;
	}
	char *p = text.data ? text.data : "";
	while (*p) {
		char *nl = strchr(p, '\n');
		if (nl)
			*nl = '\0';
		struct buf line;
		buf_init(&line, 0);
		const char *q = p;
		const char *at;
		int rc = 0;
		while ((at = strstr(q, "@FILE@")) != NULL) {
			rc |= buf_add(&line, q, (size_t)(at - q)) | buf_adds(&line, path);
			q = at + 6;
		}
		rc |= buf_adds(&line, q);
		if (rc == 0)
			errlist_add(want, NULL, 0, "%s", line.data ? line.data : "");
		buf_free(&line);
		if (nl == NULL)
			break;
		p = nl + 1;
	}
	buf_free(&text);
	return want->nomem ? -1 : 0;
}

/* golden - load a bad file; the diagnostics must be exactly those expected */
static void golden(const char *conf_path, const char *exp_path, const char *name)
{
	struct errlist want, got;
	errlist_init(&want);
	errlist_init(&got);
	if (read_expected(exp_path, conf_path, &want) < 0) {
		ok(0, "%s: %s is readable", name, exp_path);
		errlist_free(&want);
		return;
	}
	struct conf *c = conf_load(conf_path, &got);
	ok(c == NULL, "%s: no configuration", name);
	int same = got.count == want.count && !got.nomem;
	for (size_t i = 0; same && i < got.count; i++)
		same = strcmp(got.msgs[i], want.msgs[i]) == 0;
	ok(same, "%s: exactly the %zu expected diagnostic(s)", name, want.count);
	if (!same) {
		diag("  got %zu:", got.count);
		show_errors(&got);
		diag("  expected %zu:", want.count);
		show_errors(&want);
	}
	conf_free(c);
	errlist_free(&want);
	errlist_free(&got);
}

/* name_cmp - qsort order for file names */
static int name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* test_golden_files - each bad-*.conf gives exactly the diagnostics of its .expected */
static void test_golden_files(void)
{
	char dir[4096];
	data_path(dir, sizeof(dir), "");
	DIR *d = opendir(dir);
	if (d == NULL) {
		ok(0, "open %s: %s", dir, strerror(errno));
		return;
	}
	char **names = NULL;
	size_t n = 0, cap = 0;
	struct dirent *de;
	while ((de = readdir(d)) != NULL) {
		size_t len = strlen(de->d_name);
		if (strncmp(de->d_name, "bad-", 4) != 0 || len < 9 ||
		    strcmp(de->d_name + len - 5, ".conf") != 0)
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 64;
			char **p = realloc(names, cap * sizeof(*p));
			if (p == NULL)
				break;
			names = p;
		}
		if ((names[n] = strdup(de->d_name)) != NULL)
			n++;
	}
	closedir(d);
	ok(n >= 20, "found the golden bad-*.conf files (%zu)", n);
	if (n)
		qsort(names, n, sizeof(*names), name_cmp);
	for (size_t i = 0; i < n; i++) {
		char conf_path[4096], exp_path[4096];
		data_path(conf_path, sizeof(conf_path), names[i]);
		snprintf(exp_path, sizeof(exp_path), "%.*s.expected", (int)(strlen(conf_path) - 5),
			 conf_path);
		golden(conf_path, exp_path, names[i]);
		free(names[i]);
	}
	free(names);
}

/* test_missing_file - a file that does not exist is one diagnostic naming it */
static void test_missing_file(void)
{
	char path[4096];
	scratch(path, sizeof(path), "no-such-file.conf");
	struct errlist errs;
	errlist_init(&errs);
	struct conf *c = conf_load(path, &errs);
	ok(c == NULL, "a missing file gives no configuration");
	char want[4200];
	snprintf(want, sizeof(want), "%s: cannot open: %s", path, strerror(ENOENT));
	is_int(errs.count, 1, "a missing file gives one diagnostic");
	is_str(errs.count ? errs.msgs[0] : NULL, want, "the diagnostic names the file");
	conf_free(c);
	errlist_free(&errs);
}

/* test_directory - a directory given as the file is one diagnostic naming it */
static void test_directory(void)
{
	struct errlist errs;
	errlist_init(&errs);
	struct conf *c = conf_load(tmpdir, &errs);
	ok(c == NULL, "a directory gives no configuration");
	char want[1100];
	snprintf(want, sizeof(want), "%s: ", tmpdir);
	if (!ok(errs.count == 1 && strncmp(errs.msgs[0], want, strlen(want)) == 0,
		"a directory gives one diagnostic naming it"))
		show_errors(&errs);
	conf_free(c);
	errlist_free(&errs);
}

/* line_file - a file whose first line is "pidfile /aaa..." of exactly len bytes */
static int line_file(const char *path, size_t len, const char *eol)
{
	struct buf b;
	buf_init(&b, 0);
	int rc = buf_adds(&b, "pidfile /");
	while (rc == 0 && b.len < len)
		rc = buf_add(&b, "a", 1);
	rc |= buf_adds(&b, eol) | buf_adds(&b, "log_level debug\n");
	if (rc == 0)
		rc = write_file(path, b.data, b.len);
	buf_free(&b);
	return rc;
}

/* test_line_length - lines up to 4096 bytes are read, longer ones refused */
static void test_line_length(void)
{
	static const struct {
		size_t len;
		const char *eol;
		int ok;
	} t[] = {
	    {4095, "\n", 1}, {4096, "\n", 1}, {4097, "\n", 0}, {8192, "\n", 0}, {4095, "\r\n", 1},
	};
	char path[4096];
	scratch(path, sizeof(path), "long.conf");
	for (size_t i = 0; i < ARRAY_LEN(t); i++) {
		if (line_file(path, t[i].len, t[i].eol) < 0) {
			ok(0, "write %s", path);
			continue;
		}
		struct errlist errs;
		errlist_init(&errs);
		struct conf *c = conf_load(path, &errs);
		if (t[i].ok) {
			if (!ok(c && c->pidfile && strlen(c->pidfile) == t[i].len - 8 &&
				    c->log_level == 4,
				"a %zu-byte line is accepted", t[i].len))
				show_errors(&errs);
		} else {
			char want[4200];
			snprintf(want, sizeof(want), "%s:1: line longer than 4096 bytes", path);
			if (!ok(c == NULL && errs.count == 1 && strcmp(errs.msgs[0], want) == 0,
				"a %zu-byte line is refused with one diagnostic", t[i].len))
				show_errors(&errs);
		}
		conf_free(c);
		errlist_free(&errs);
	}
	unlink(path);
}

/* test_file_size - files up to 1 MiB are read, larger ones refused */
static void test_file_size(void)
{
	static const struct {
		size_t len;
		int ok;
	} t[] = {{1024 * 1024, 1}, {1024 * 1024 + 1, 0}};
	char path[4096];
	scratch(path, sizeof(path), "big.conf");
	for (size_t i = 0; i < ARRAY_LEN(t); i++) {
		char *text = malloc(t[i].len);
		if (text == NULL) {
			ok(0, "memory for a %zu-byte file", t[i].len);
			continue;
		}
		for (size_t j = 0; j < t[i].len; j++) /* comment lines of 64 bytes */
			text[j] = (j % 64 == 63) ? '\n' : (j % 64 == 0) ? '#' : 'x';
		int wrc = write_file(path, text, t[i].len);
		free(text);
		if (wrc < 0) {
			ok(0, "write %s", path);
			continue;
		}
		struct errlist errs;
		errlist_init(&errs);
		struct conf *c = conf_load(path, &errs);
		if (t[i].ok) {
			if (!ok(c != NULL, "a file of %zu bytes (the limit) is read", t[i].len))
				show_errors(&errs);
		} else {
			char want[4200];
			snprintf(want, sizeof(want),
				 "%s: file too large (the limit is 1048576 bytes)", path);
			if (!ok(c == NULL && errs.count == 1 && strcmp(errs.msgs[0], want) == 0,
				"a file of %zu bytes is refused with one diagnostic", t[i].len))
				show_errors(&errs);
		}
		conf_free(c);
		errlist_free(&errs);
	}
	unlink(path);
}

/* errors already in the list are not the new file's: only new ones count */
static void test_errlist_reuse(void)
{
	char path[4096];
	data_path(path, sizeof(path), "good.conf");
	struct errlist errs;
	errlist_init(&errs);
	errlist_add(&errs, "earlier.conf", 3, "an earlier problem");
	struct conf *c = conf_load(path, &errs);
	ok(c != NULL, "an error list with earlier entries does not fail a good file");
	is_int(errs.count, 1, "and gets nothing added");
	is_str(errs.msgs[0], "earlier.conf:3: an earlier problem", "errlist_add formats file:line");
	conf_free(c);
	errlist_free(&errs);
}

/* main - run every test in a private scratch directory */
int main(void)
{
	const char *t = getenv("TMPDIR");
	snprintf(tmpdir, sizeof(tmpdir), "%s/config_test.XXXXXX", t && *t ? t : "/tmp");
	if (mkdtemp(tmpdir) == NULL) {
		printf("Bail out! mkdtemp %s: %s\n", tmpdir, strerror(errno));
		return 1;
	}
	test_parse_size();
	test_parse_duration();
	test_socket_valid();
	test_on_error_name();
	test_defaults();
	test_good();
	test_good_variants();
	test_value_forms();
	test_golden_files();
	test_missing_file();
	test_directory();
	test_line_length();
	test_file_size();
	test_errlist_reuse();
	if (rmdir(tmpdir) < 0)
		diag("rmdir %s: %s", tmpdir, strerror(errno));
	return done_testing();
}
