/*
 * mime.h - MIME analysis: the part tree, decoded text, URLs and attachments of a message.
 *
 * mime_analyze() walks a message (headers and body as received) within the limits given,
 * and fills a struct mime_result: one entry per part, the decoded text of each text part
 * in UTF-8 (HTML reduced to its visible text), the URLs found (normalised) with their
 * registrable domains, the attachments' names and types, and the oddities seen. Hitting
 * a limit is an oddity; the rest of the message is still analysed.
 */
#ifndef PORTCULLIS_MIME_H
#define PORTCULLIS_MIME_H

#include <stddef.h>
#include <sys/types.h>

#include "compat.h"

/* How a part holds its content. */
enum mime_kind {
	MIME_LEAF = 0,  /* a body: text, image, application/... */
	MIME_MULTIPART, /* children are its body parts */
	MIME_MESSAGE,   /* message/rfc822 (or global): one child, the enclosed message */
};

/* One part, in tree order (a part comes before its children). */
struct mime_part {
	char path[64];       /* "1", "1.2", "1.2.1": the part's position (cut when deep) */
	unsigned depth;      /* 0: the message itself */
	enum mime_kind kind; /* leaf, multipart or enclosed message */
	char *type;          /* owned: lower-case "text/plain" (the default when absent) */
	char *charset;       /* owned, or NULL */
	char *encoding;      /* owned: lower-case transfer encoding, or NULL (7bit) */
	char *disposition;   /* owned: "inline", "attachment", ... or NULL */
	char *filename;      /* owned: UTF-8 (RFC 2231 / RFC 2047 decoded), or NULL */
	const char *sniffed; /* borrowed (static): type from the first bytes, or NULL */
	size_t size;         /* decoded bytes (as far as decoded) */
	int attachment;      /* counted as an attachment */
};

struct buf;
struct mime_slot;  /* private to mimelist.c */
struct mime_chunk; /* private to mimelist.c */

/* A list of values (a rule target's values): UTF-8 text, lengths given. */
struct mime_list {
	char **v;    /* owned array of strings that live in chunks */
	size_t *len; /* owned: length of each */
	size_t n, cap;
	struct mime_slot *slot;    /* owned: a hash index of v, or NULL: none yet */
	size_t nslot;              /* slots in it: a power of two, at least twice n */
	struct mime_chunk *chunks; /* owned: the memory of the strings, or NULL */
};

/* An oddity: a finding name under "mime." and what it is about. */
struct mime_note {
	const char *name; /* borrowed (static): "mime.bad_base64", ... */
	char *value;      /* owned */
};

/* What the analysis found. Free with mime_result_free. */
struct mime_result {
	struct mime_part *parts; /* owned array */
	size_t nparts, parts_cap;
	struct mime_list text;     /* decoded text of each text part, UTF-8 (rule target body) */
	struct mime_list urls;     /* normalised URLs, each once (rule target url) */
	struct mime_list domains;  /* their registrable domains, each once (url-domain) */
	struct mime_list att_name; /* attachment file names (attachment:name) */
	struct mime_list att_type; /* attachment types, declared and sniffed (attachment:type) */
	struct mime_note *notes;   /* owned array: the oddities, in the order seen */
	size_t nnotes, notes_cap;
	size_t decoded;        /* decoded bytes in all */
	char last_host[256];   /* scratch: the last host mime_url_domain was asked about */
	char last_domain[256]; /* and its registrable domain */
};

/* Bytes of a leaf's body that the input leaves out (mime_elide): the analysis reads them
 * back through mime_opts.read when it decodes that body. */
struct mime_gap {
	size_t at;  /* offset in the input: the bytes left out came just before input[at] */
	size_t len; /* how many */
	size_t src; /* their offset in what mime_opts.read reads */
};

/* The gaps of an input, in the order of their offsets. */
struct mime_gaps {
	struct mime_gap *v; /* owned array */
	size_t n, cap;
};

/* mime_read - read len bytes at offset off of the source into p; the bytes read, -1 on
 * error */
typedef ssize_t mime_read(void *arg, size_t off, void *p, size_t len);

/* The limits (portcullis.conf mime_* keys), and an optional observer for tests. */
struct mime_opts {
	unsigned depth_max;     /* nesting deeper than this is not walked */
	unsigned parts_max;     /* parts past this many are not walked */
	size_t part_bytes_max;  /* decoded bytes kept per part */
	size_t total_bytes_max; /* decoded bytes per message, all parts */
	unsigned urls_max;      /* URLs kept */
	size_t header_line_max; /* a longer header line is an oddity (and is cut) */
	/* leaf - called with each leaf's transfer-decoded bytes (before charset conversion) */
	void (*leaf)(void *arg, const struct mime_part *p, const char *data, size_t len);
	void *leaf_arg;               /* borrowed: leaf's argument */
	const struct mime_gaps *gaps; /* borrowed, or NULL: what the input leaves out */
	mime_read *read;              /* reads the bytes the gaps stand for */
	void *read_arg;               /* borrowed: read's argument */
};

/* mime_init - initialise the libraries once (mime_analyze calls it; call it before the
 * functions of mimeint.h) */
void mime_init(void);
/* mime_opts_default - the defaults portcullis.conf documents */
void mime_opts_default(struct mime_opts *o);
/* mime_analyze - analyse msg (len bytes: header, empty line, body; CRLF or LF) into r,
 * which the caller then owns. Malformed input is never an error. -1 when out of memory. */
int mime_analyze(const char *msg, size_t len, const struct mime_opts *o, struct mime_result *r) WUR;
/* mime_elide - append a message body of len bytes (read through rd at offsets 0..len) to
 * b, whose cap bounds it, as mime_analyze needs it: header blocks and lines that start
 * with "--" whole, of the rest of each body its first keep bytes; what is left out is
 * recorded in g (offsets in b), for mime_opts.gaps. 0 done, 1 b's cap cut it short (or a
 * read failed), -1 out of memory. */
int mime_elide(struct buf *b, size_t len, mime_read *rd, void *arg, size_t keep,
	       struct mime_gaps *g) WUR;
/* mime_gaps_free - release */
void mime_gaps_free(struct mime_gaps *g);
/* mime_result_free - release */
void mime_result_free(struct mime_result *r);

/* helpers shared by the mime*.c files */
/* mime_list_add - append a copy of s (len bytes) unless max values are there already;
 * 1 added, 0 full, -1 out of memory */
int mime_list_add(struct mime_list *l, const char *s, size_t len, size_t max) WUR;
/* mime_list_add_unique - append a copy of s unless it is there already or max values are
 * (the list keeps a hash index for this); 1 added, 2 there already, 0 full, -1 out of
 * memory */
int mime_list_add_unique(struct mime_list *l, const char *s, size_t len, size_t max) WUR;
/* mime_list_has - is s (len bytes) in the list? */
int mime_list_has(const struct mime_list *l, const char *s, size_t len);
/* mime_list_free - release */
void mime_list_free(struct mime_list *l);
/* mime_note - record an oddity (at most MIME_NOTES_MAX; the same name and value once) */
int mime_note(struct mime_result *r, const char *name, const char *fmt, ...) WUR PRINTF_LIKE(3, 4);

#define MIME_NOTES_MAX 64
#define MIME_KEEP 32768 /* bytes of each body that scan.c has mime_elide keep */

#endif
