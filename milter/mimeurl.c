/*
 * mimeurl.c - URLs in mail: find, normalise, registrable domain.
 *
 * SYNOPSIS
 *	mime_url_norm("HTTP://Example.COM:80/%7euser/", n, &url, &host)
 *		url "http://example.com/~user/", host "example.com"
 *	mime_url_domain("www.example.co.uk", &d)            d "example.co.uk"
 *	mime_url_scan(r, max, text, len)    bare URLs in text into r
 *	mime_url_add(r, max, href, n, shown, m)     one link into r
 *
 * DESCRIPTION
 *	Only web and FTP URLs are kept (http, https, ftp, and "www." that a
 *	mail client would link). Normalising does what a browser does before
 *	it fetches: tabs and line breaks inside are dropped, backslashes are
 *	slashes, the scheme and host are lower-cased, the host is percent-
 *	decoded and turned into IDNA A-labels (libidn2, UTS #46 non-
 *	transitional), user info and fragment go, a default port goes,
 *	percent-escapes of unreserved characters are decoded and other
 *	escapes upper-cased, bytes outside printable ASCII are escaped.
 *	The registrable domain comes from the public suffix list (libpsl with
 *	Debian's publicsuffix file, else libpsl's built-in copy).
 *	A link whose text looks like a URL or a host name of another
 *	registrable domain than its href gives a mime.link_mismatch note.
 *
 * THREAD SAFETY
 *	The public suffix list is loaded once (mime_lib_init) and read-only.
 */
#include "config.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <idn2.h>
#include <libpsl.h>

#include "mimeint.h"

#define URL_MAX 2048                /* bytes of a normalised URL kept */
#define HOST_MAX 253                /* a DNS name */
#define HOST_BUF (HOST_MAX * 4 + 1) /* a host as found (longer than DNS allows: kept) */
#define SHOWN_MAX 256               /* bytes of a link's text compared */

static const psl_ctx_t *psl; /* the list, once loaded; NULL: none (hosts stand for themselves) */

/* mime_lib_init - the public suffix list */
void mime_lib_init(void)
{
	psl = psl_latest(NULL);
	if (psl == NULL)
		psl = psl_builtin();
}

/* is_alpha, is_digit, is_alnum - ASCII classes (the C locale's, without a call) */
static int is_alpha(int c)
{
	return (unsigned)((c | 0x20) - 'a') < 26;
}

static int is_digit(int c)
{
	return (unsigned)(c - '0') < 10;
}

static int is_alnum(int c)
{
	return is_alpha(c) || is_digit(c);
}

/* hexv - 0..15 or -1 */
static int hexv(int c)
{
	if (is_digit(c))
		return c - '0';
	c |= 0x20;
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* unreserved - RFC 3986 unreserved characters: their escapes are decoded */
static int unreserved(int c)
{
	return is_alnum(c) || c == '-' || c == '.' || c == '_' || c == '~';
}

/* host_char - what may be left in a host name after decoding */
static int host_char(int c)
{
	return is_alnum(c) || c == '-' || c == '.' || c == '_' || c >= 0x80;
}

/* clean - the URL without surrounding blanks, with tabs and line breaks dropped and
 * backslashes made slashes, into out (URL_MAX * 2 bytes, cut there); its length */
static size_t clean(const char *in, size_t len, char *out)
{
	while (len && (unsigned char)*in <= ' ')
		in++, len--;
	while (len && (unsigned char)in[len - 1] <= ' ')
		len--;
	size_t n, i = len < URL_MAX * 2 ? len : URL_MAX * 2;
	for (const char *c = "\t\r\n\\"; *c; c++) { /* the first byte to drop or change */
		const char *p = memchr(in, *c, i);
		if (p)
			i = (size_t)(p - in);
	}
	memcpy(out, in, i); /* up to it: as it is */
	for (n = i; i < len && n < URL_MAX * 2; i++)
		if (in[i] != '\t' && in[i] != '\r' && in[i] != '\n')
			out[n++] = in[i] == '\\' ? '/' : in[i];
	return n;
}

/* scheme - the scheme's length (before ':') when it is one we keep (http, https, ftp, in
 * any case), else 0 */
static size_t scheme(const char *s, size_t n)
{
	if (n > 4 && (s[0] | 0x20) == 'h' && (s[1] | 0x20) == 't' && (s[2] | 0x20) == 't' &&
	    (s[3] | 0x20) == 'p')
		return s[4] == ':' ? 4 : n > 5 && (s[4] | 0x20) == 's' && s[5] == ':' ? 5 : 0;
	if (n > 3 && (s[0] | 0x20) == 'f' && (s[1] | 0x20) == 't' && (s[2] | 0x20) == 'p' &&
	    s[3] == ':')
		return 3;
	return 0;
}

/* norm_host - percent-decode, lower-case and IDNA-encode h (n bytes) into host (HOST_BUF
 * bytes, NUL-terminated): its length, 0 when it is not a host name, -1 out of memory */
static long norm_host(const char *h, size_t n, char *host)
{
	char raw[HOST_MAX * 3 + 1];
	size_t k = 0;
	unsigned bits = 0; /* of all bytes: 8-bit ones need IDNA */
	if (n == 0 || n > HOST_MAX * 3)
		return 0;
	for (size_t i = 0; i < n; i++) {
		int c = (unsigned char)h[i];
		if (c == '%' && i + 2 < n + 0 && hexv(h[i + 1]) >= 0 && hexv(h[i + 2]) >= 0) {
			c = hexv(h[i + 1]) << 4 | hexv(h[i + 2]);
			i += 2;
		}
		if (!host_char(c))
			return 0;
		bits |= (unsigned)c;
		raw[k++] = (char)((unsigned)(c - 'A') < 26 ? c + 32 : c);
	}
	while (k && raw[k - 1] == '.')
		k--;
	raw[k] = '\0';
	if (k == 0 || raw[0] == '.')
		return 0;
	for (size_t i = 1; i < k; i++)
		if (raw[i] == '.' && raw[i - 1] == '.')
			return 0; /* an empty label */
	if (bits < 0x80) {        /* the common case: no IDNA work */
		memcpy(host, raw, k + 1);
		return (long)k;
	}
	char *a = NULL;
	if (idn2_to_ascii_8z(raw, &a, IDN2_NONTRANSITIONAL | IDN2_NFC_INPUT) != IDN2_OK &&
	    idn2_to_ascii_8z(raw, &a, IDN2_TRANSITIONAL | IDN2_NFC_INPUT) != IDN2_OK)
		return 0;
	size_t al = strlen(a);
	if (al < HOST_BUF)
		memcpy(host, a, al + 1);
	idn2_free(a);
	return al < HOST_BUF ? (long)al : 0;
}

/* norm_rest - path and query: unreserved escapes decoded, other escapes upper-cased,
 * bytes outside printable ASCII escaped, the fragment dropped; into o (room bytes, the
 * rest cut); its length */
static size_t norm_rest(const char *s, size_t n, char *o, size_t room)
{
	static const char hx[] = "0123456789ABCDEF";
	size_t k = 0;
	if ((n == 0 || *s != '/') && room)
		o[k++] = '/';
	for (size_t i = 0; i < n && k + 3 <= room; i++) {
		int c = (unsigned char)s[i];
		if (c > '>' && c < 0x7f) { /* letters and the like: as they are */
			o[k++] = (char)c;
			continue;
		}
		if (c == '#')
			break;
		if (c == '%' && i + 2 < n && hexv(s[i + 1]) >= 0 && hexv(s[i + 2]) >= 0) {
			c = hexv(s[i + 1]) << 4 | hexv(s[i + 2]);
			i += 2;
			if (unreserved(c)) {
				o[k++] = (char)c;
				continue;
			}
		} else if (c > ' ' && c < 0x7f && c != '"' && c != '<' && c != '>') {
			o[k++] = (char)c;
			continue;
		}
		o[k++] = '%';
		o[k++] = hx[c >> 4];
		o[k++] = hx[c & 15];
	}
	return k;
}

/* put_str - append the NUL-terminated s to o at *k (room bytes in all); 0 when it does not
 * fit */
static int put_str(char *o, size_t *k, size_t room, const char *s)
{
	size_t n = strlen(s);
	if (*k + n >= room)
		return 0;
	memcpy(o + *k, s, n);
	*k += n;
	return 1;
}

/* norm - mime_url_norm into arrays: out (URL_MAX bytes, *outlen set) and host (HOST_BUF
 * bytes); 1 done, 0 not such a URL, -1 out of memory */
static int norm(const char *in, size_t len, char *out, size_t *outlen, char *host)
{
	char s[URL_MAX * 2];
	s[0] = '\0'; /* for the compiler: clean() may write nothing */
	size_t n = clean(in, len, s), sl = scheme(s, n), i = sl + 1;
	if (sl == 0 && n > 4 && strncasecmp(s, "www.", 4) == 0)
		i = 0; /* "www.example.com/x": http */
	else if (sl == 0)
		return 0;
	while (i < n && s[i] == '/')
		i++;
	size_t a = i, at = 0, colon = 0; /* the authority: [userinfo@]host[:port] */
	for (; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c > '@') /* letters: nothing to note */
			continue;
		if (c == '/' || c == '?' || c == '#')
			break;
		if (c == '@')
			at = i + 1; /* just past the last '@' */
		else if (c == ':')
			colon = i + 1; /* and the last ':' */
	}
	size_t hs = at ? at : a, he = i, port = 0;
	if (colon > hs) { /* a port: the last ':' of the host part */
		for (size_t d = colon; d < he && port < 100000; d++)
			port = is_digit((unsigned char)s[d]) ? port * 10 + (size_t)(s[d] - '0')
							     : 100000;
		he = colon - 1;
	}
	const char *sch = sl == 0              ? "http"
			  : sl == 5            ? "https"
			  : tolower(*s) == 'h' ? "http"
					       : "ftp";
	int dflt = port == 0 || (port == 80 && strcmp(sch, "http") == 0) ||
		   (port == 443 && strcmp(sch, "https") == 0) ||
		   (port == 21 && strcmp(sch, "ftp") == 0);
	long hl = port >= 65536 ? 0 : norm_host(s + hs, he - hs, host);
	if (hl <= 0)
		return (int)hl;
	size_t k = 0;
	if (!put_str(out, &k, URL_MAX, sch) || !put_str(out, &k, URL_MAX, "://") ||
	    !put_str(out, &k, URL_MAX, host))
		return 0;
	if (!dflt) {
		char p[8];
		size_t d = sizeof(p);
		p[--d] = '\0';
		for (size_t v = port; v || d == sizeof(p) - 1; v /= 10)
			p[--d] = (char)('0' + v % 10);
		p[--d] = ':';
		if (!put_str(out, &k, URL_MAX, p + d))
			return 0;
	}
	*outlen = k + norm_rest(s + i, n - i, out + k, URL_MAX - k);
	return 1;
}

/* mime_url_norm - see mimeint.h */
int mime_url_norm(const char *in, size_t len, struct buf *url, struct buf *host)
{
	char out[URL_MAX], h[HOST_BUF];
	size_t ol = 0;
	buf_reset(url);
	buf_reset(host);
	int rc = norm(in, len, out, &ol, h);
	if (rc <= 0)
		return rc;
	if (buf_adds(host, h) == BUF_NOMEM || buf_add(url, out, ol) == BUF_NOMEM)
		return -1;
	return 1;
}

/* is_ip - an IPv4 dotted quad or an IPv6 literal host */
static int is_ip(const char *h)
{
	if (*h == '[')
		return 1;
	for (; *h; h++)
		if (!isdigit((unsigned char)*h) && *h != '.')
			return 0;
	return 1;
}

/* registrable - the registrable domain of host: a suffix of it (libpsl answers with a
 * pointer into the name it is given), or host itself */
static const char *registrable(const char *host)
{
	const char *d = NULL;
	if (psl && !is_ip(host))
		d = psl_registrable_domain(psl, host);
	return d ? d : host;
}

/* mime_url_domain - registrable domain */
int mime_url_domain(const char *host, struct buf *out)
{
	buf_reset(out);
	return buf_adds(out, registrable(host)) == BUF_NOMEM ? -1 : 0;
}

/* shown_domain - the registrable domain a link's text shows, if it shows one, into dom
 * (HOST_BUF bytes): 1 it does, 0 it does not */
static int shown_domain(const char *s, size_t n, char *dom)
{
	while (n && isspace((unsigned char)*s))
		s++, n--;
	while (n && (isspace((unsigned char)s[n - 1]) || s[n - 1] == '.'))
		n--;
	if (n == 0 || n > SHOWN_MAX || memchr(s, ' ', n) || !memchr(s, '.', n))
		return 0;
	char t[SHOWN_MAX + 8], u[URL_MAX], h[HOST_BUF];
	size_t tl = 0, ul = 0;
	if (scheme(s, n) == 0) {
		memcpy(t, "http://", 7);
		tl = 7;
	}
	memcpy(t + tl, s, n);
	tl += n;
	if (norm(t, tl, u, &ul, h) <= 0)
		return 0;
	/* a host name shows a domain only if it ends in letters: "1.5" is no host */
	const char *dot = strrchr(h, '.');
	if (!dot || !isalpha((unsigned char)dot[1]) || !isalpha((unsigned char)dot[2]))
		return 0;
	const char *d = registrable(h);
	memcpy(dom, d, strlen(d) + 1);
	return 1;
}

/* domain_of - the registrable domain of host (a suffix of it), through r's one-entry
 * cache (the URLs of a message mostly share their hosts) */
static const char *domain_of(struct mime_result *r, const char *host)
{
	size_t hl = strlen(host);
	if (strcmp(host, r->last_host) == 0)
		return host + hl - strlen(r->last_domain);
	const char *d = registrable(host);
	size_t dl = strlen(d);
	if (hl < sizeof(r->last_host) && dl < sizeof(r->last_domain)) {
		memcpy(r->last_host, host, hl + 1);
		memcpy(r->last_domain, d, dl + 1);
	}
	return d;
}

/* mime_url_add - one link: normalised on the stack, copied only when it is new */
int mime_url_add(struct mime_result *r, unsigned urls_max, const char *url, size_t len,
		 const char *shown, size_t shown_len)
{
	char u[URL_MAX], h[HOST_BUF], sd[HOST_BUF];
	size_t ul = 0;
	int rc = norm(url, len, u, &ul, h);
	if (rc <= 0)
		return rc;
	int added = mime_list_add_unique(&r->urls, u, ul, urls_max);
	if (added < 0 || (added == 0 && mime_note(r, "mime.urls_exceeded", "%u", urls_max) < 0))
		return -1;
	const char *d = added != 2 || shown ? domain_of(r, h) : "";
	if (added == 1 && mime_list_add_unique(&r->domains, d, strlen(d), urls_max) < 0)
		return -1;
	if (shown && shown_domain(shown, shown_len, sd) && strcmp(sd, d) != 0 &&
	    mime_note(r, "mime.link_mismatch", "%s -> %s", sd, d) < 0)
		return -1;
	return 0;
}

/* url_char - may this byte be part of a bare URL in text? */
static int url_char(unsigned char c)
{
	if (is_alnum(c) || c >= 0x80)
		return 1;
	return c > ' ' && c != '<' && c != '>' && c != '"' && c != '\'' && c != '`' && c != '{' &&
	       c != '}' && c != '|' && c != '^' && c != 0x7f;
}

/* bare - the URL that starts at s (ends at the first byte no URL holds, trailing
 * punctuation dropped) into r; its length */
static size_t bare(struct mime_result *r, unsigned max, const char *s, size_t n, int *err)
{
	size_t e = 0, open = 0;
	while (e < n && url_char((unsigned char)s[e]))
		open += s[e++] == '(';
	while (e && (strchr(".,;:!?]", s[e - 1]) || (s[e - 1] == ')' && open == 0)))
		e--;
	*err = mime_url_add(r, max, s, e, NULL, 0);
	return e ? e : 1;
}

/* next_www - the next "www." or "WWW." at or after i, or NULL: each '.' from i + 3 on
 * (fewer in text than the letters a search for the words would stop at) is looked behind */
static const char *next_www(const char *text, size_t len, size_t i)
{
	for (size_t k = i + 3; k < len;) {
		const char *d = memchr(text + k, '.', len - k);
		if (d == NULL)
			return NULL;
		if (memcmp(d - 3, "www", 3) == 0 || memcmp(d - 3, "WWW", 3) == 0)
			return d - 3;
		k = (size_t)(d - text) + 1;
	}
	return NULL;
}

/* mime_url_scan - bare URLs: "scheme://" and "www." at a word's start */
int mime_url_scan(struct mime_result *r, unsigned urls_max, const char *text, size_t len)
{
	int err = 0;
	const char *w = next_www(text, len, 0); /* kept until passed: one search per hit */
	for (size_t i = 0; i < len && err == 0;) {
		if (w && (size_t)(w - text) < i)
			w = next_www(text, len, i);
		const char *c = memchr(text + i, ':', len - i);
		if (c == NULL && w == NULL)
			break;
		if (w && (c == NULL || w < c)) {
			size_t at = (size_t)(w - text);
			if (at == 0 || !isalnum((unsigned char)text[at - 1]))
				i = at + bare(r, urls_max, w, len - at, &err);
			else
				i = at + 4;
			continue;
		}
		size_t at = (size_t)(c - text), s = at;
		while (s > 0 && s + 6 > at && is_alpha((unsigned char)text[s - 1]))
			s--;
		if (at + 2 < len && text[at + 1] == '/' && text[at + 2] == '/' &&
		    scheme(text + s, len - s) == at - s && at > s &&
		    (s == 0 || !isalnum((unsigned char)text[s - 1])))
			i = s + bare(r, urls_max, text + s, len - s, &err);
		else
			i = at + 1;
	}
	return err;
}
