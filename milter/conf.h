/*
 * conf.h - portcullis.conf: the daemon's settings.
 */
#ifndef PORTCULLIS_CONFIG_H
#define PORTCULLIS_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#include "compat.h"
#include "errlist.h"

#ifndef SYSCONFDIR
#define SYSCONFDIR "/etc"
#endif
#define CONF_DEFAULT_FILE SYSCONFDIR "/portcullis/portcullis.conf"

enum conf_on_error { ON_ERROR_TEMPFAIL = 0, ON_ERROR_ACCEPT, ON_ERROR_REJECT };

/* A list of words from one line. */
struct conf_list {
	char **v; /* owned array of owned strings */
	size_t n;
};

/* An immutable, validated configuration. All strings owned. */
struct conf {
	char *file;              /* the file it was read from */
	char *socket;            /* unix:/path, local:/path, inet:port@host, inet6:port@host */
	unsigned socket_mode;    /* permission bits of a unix socket */
	char *socket_group;      /* group of a unix socket, or NULL */
	char *user;              /* run as this user after binding, or NULL */
	char *group;             /* and this group, or NULL (the user's) */
	char *pidfile;           /* or NULL for none */
	char *log_dest;          /* "stderr", "syslog" or "syslog:facility" */
	int log_level;           /* enum log_level */
	char *authserv_id;       /* RFC 8601 authserv-id */
	char *tmpdir;            /* where body spool files go */
	size_t body_memory_max;  /* body bytes kept in memory before spooling to a file */
	size_t body_scan_max;    /* body bytes that "body" rules look at */
	size_t message_size_max; /* larger messages get the "oversize" finding */
	unsigned header_count_max;
	char *rules_dir;
	char *policy_file;
	int policy_file_set; /* policy_file was in the file (not the default) */
	enum conf_on_error on_error;
	unsigned shutdown_timeout;       /* seconds to let in-flight messages finish */
	struct conf_list dns_forwarders; /* "host" or "host@port"; empty: the system resolver */
	unsigned dns_timeout;            /* seconds per DNS query */
	unsigned dns_budget;             /* seconds of DNS per message, all lookups together */
	char *dns_trust_anchor;          /* DNSSEC trust anchor file, or NULL: no validation */
	int spf;                         /* evaluate SPF */
	int spf_reject_fail;             /* reject at RCPT TO when SPF fails */
	int received_spf;                /* add a Received-SPF header */
	int authres_remove_all;          /* remove every incoming Authentication-Results */
	struct conf_list authres_trusted_hosts; /* when set, A-R from other clients all go */
	int on_dns_error_tempfail;   /* a DNS temperror in a check tempfails the message */
	struct conf_list dnsbl;      /* "NAME ZONE [...]" per dnsbl line (replist.h) */
	struct conf_list rhsbl;      /* "NAME ZONE [...]" per rhsbl line */
	struct conf_list uribl;      /* "NAME ZONE [...]" per uribl line */
	int iprev;                   /* check the client's forward-confirmed reverse DNS */
	size_t mime_scan_max;        /* message bytes the MIME analysis holds */
	unsigned mime_depth_max;     /* MIME nesting walked */
	unsigned mime_parts_max;     /* MIME parts walked */
	size_t mime_part_bytes_max;  /* decoded bytes kept per part */
	size_t mime_bytes_max;       /* decoded bytes per message */
	unsigned mime_urls_max;      /* URLs kept */
	size_t mime_header_line_max; /* a longer header line in a part is an oddity */
	char *quarantine_dir;        /* the quarantine store, or NULL: none (the MTA's hold) */
	char *quarantine_group;      /* group that may use `portcullis quarantine`, or NULL */
	unsigned quarantine_max_age; /* seconds an entry is kept; 0: no limit */
	size_t quarantine_max_size;  /* bytes the store may hold; 0: no limit */
	unsigned quarantine_purge_interval; /* seconds between the daemon's purges; 0: never */
	unsigned release_mark_max_age;      /* seconds a release mark is honoured */
	char *release_via;                  /* "sendmail:PATH" or "smtp:HOST:PORT" */
	char *json_log;                     /* the per-message JSON log, or NULL: none */
	int dkim;                           /* verify DKIM signatures */
	unsigned dkim_signatures_max;       /* signatures checked per message (1..32) */
	unsigned dkim_key_cache;            /* key records cached across messages */
	int dmarc;                          /* evaluate DMARC (needs dkim and spf for alignment) */
	char *public_suffix_list;           /* the PSL file for organisational domains */
	uint64_t hash;                      /* FNV-1a of the file's bytes */
};

/* conf_load - read and validate path (NULL: defaults only); NULL with every problem in errs */
struct conf *conf_load(const char *path, struct errlist *errs) WUR;
/* conf_free - release */
void conf_free(struct conf *c);

/* conf_parse_size - "512", "64K", "10M", "1G" into bytes; -1 when malformed */
int conf_parse_size(const char *s, size_t *out) WUR;
/* conf_parse_duration - "30", "30s", "5m", "1h", "7d" into seconds; -1 when malformed */
int conf_parse_duration(const char *s, unsigned *out) WUR;
/* conf_socket_valid - NULL when spec is usable, else why not */
const char *conf_socket_valid(const char *spec);
/* conf_on_error_name - "tempfail", "accept" or "reject" */
const char *conf_on_error_name(enum conf_on_error e);

#endif
