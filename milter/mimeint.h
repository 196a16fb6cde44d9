/*
 * mimeint.h - what the mime*.c files share: charset conversion (mimecharset.c), HTML
 * (mimehtml.c), URLs (mimeurl.c) and type sniffing (mimesniff.c). Unit tests use these
 * directly.
 */
#ifndef PORTCULLIS_MIMEINT_H
#define PORTCULLIS_MIMEINT_H

#include <stddef.h>

#include "buf.h"
#include "compat.h"
#include "mime.h"

/* mime_lib_init - the public suffix list, once (mime_analyze calls it) */
void mime_lib_init(void);

/* mime_utf8 - append in (len bytes, in charset; NULL: undeclared) to out as UTF-8. An
 * undeclared or ASCII charset with 8-bit data, and a charset iconv does not know
 * (*unknown set), are read as UTF-8 when valid, else as windows-1252; bytes that do not
 * convert become U+FFFD. Output past out's cap is dropped. -1 when out of memory. */
int mime_utf8(const char *charset, const char *in, size_t len, struct buf *out, int *unknown) WUR;
/* mime_utf8_as_is - is in (len bytes, in charset) what mime_utf8 would append unchanged
 * (valid UTF-8 in an undeclared, ASCII or UTF-8 charset)? Then it needs no copy. */
int mime_utf8_as_is(const char *charset, const char *in, size_t len);
/* mime_cp1252 - the code point of windows-1252 byte c (0x80..0x9F), or 0 when undefined */
unsigned mime_cp1252(unsigned char c);
/* mime_entity - the code point of HTML named character reference name (len bytes, no '&'
 * or ';'), or 0 when not known */
unsigned mime_entity(const char *name, size_t len);
/* mime_utf8_valid - is s (len bytes) well-formed UTF-8? */
int mime_utf8_valid(const char *s, size_t len);

/* mime_html - the visible text of an HTML document (UTF-8) appended to text; href and src
 * URLs into r (at most urls_max), with a mime.link_mismatch note when a link's text
 * shows another domain than its href. -1 when out of memory. */
int mime_html(struct mime_result *r, unsigned urls_max, const char *html, size_t len,
	      struct buf *text) WUR;

/* mime_url_norm - normalise a URL (http, https, ftp; "www." means http): lower-case
 * scheme and host, host in IDNA A-labels, default port and fragment dropped,
 * percent-escapes of unreserved characters decoded, others upper-case. url gets the
 * URL, host its host. 1 done, 0 not such a URL, -1 out of memory. */
int mime_url_norm(const char *in, size_t len, struct buf *url, struct buf *host) WUR;
/* mime_url_domain - the registrable domain of host (public suffix list); an IP address
 * or a public suffix stands for itself. -1 out of memory. */
int mime_url_domain(const char *host, struct buf *out) WUR;
/* mime_url_add - one link: normalised into r->urls and its domain into r->domains; shown
 * (or NULL) is the link's text, compared with the href's domain. -1 out of memory. */
int mime_url_add(struct mime_result *r, unsigned urls_max, const char *url, size_t len,
		 const char *shown, size_t shown_len) WUR;
/* mime_url_scan - the bare URLs in text (http://, https://, ftp://, www.) into r */
int mime_url_scan(struct mime_result *r, unsigned urls_max, const char *text, size_t len) WUR;

/* mime_qp_step - quoted-printable decoding of in (len bytes) into out (room for len + 2
 * bytes), as GMime's g_mime_encoding_quoted_decode_step: *state and *save (both 0 at the
 * start) carry what one step leaves to the next. The bytes written. */
size_t mime_qp_step(const char *in, size_t len, char *out, int *state, unsigned *save);
/* mime_b64_step - base64 likewise (g_mime_encoding_base64_decode_step), out with room for
 * len + 3 bytes; *junk (0 at the start) set when a byte is neither base64, a blank nor
 * '=', or data follows the padding. */
size_t mime_b64_step(const char *in, size_t len, char *out, int *state, unsigned *save,
		     unsigned *junk);

#define MIME_FIELD_PARAMS 8 /* parameters mime_field_parse reads */

/* A Content-Type or Content-Disposition value as mime_field_parse reads it. */
struct mime_field {
	const char *type; /* borrowed (the value): the media type, or the disposition */
	const char *sub;  /* borrowed: the subtype (Content-Type), else NULL */
	size_t n;         /* parameters */
	const char *name[MIME_FIELD_PARAMS], *value[MIME_FIELD_PARAMS]; /* borrowed */
};

/* mime_field_parse - read the header value s in its plain form: a token (with_sub: and
 * "/" and a token), then "; name=value" parameters. 1: read into f, s cut in place by
 * NULs; 0: not that form (leave it to GMime), s unchanged. */
int mime_field_parse(char *s, int with_sub, struct mime_field *f) WUR;
/* mime_looks_field - does the line l (n bytes, no line break) look like a header field? */
int mime_looks_field(const char *l, size_t n);
/* mime_field_param - the value of parameter name (any case), or NULL */
const char *mime_field_param(const struct mime_field *f, const char *name);

/* mime_sniff - the type the first bytes say (a static string), or NULL when unknown */
const char *mime_sniff(const unsigned char *p, size_t len);

#endif
