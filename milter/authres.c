/*
 * authres.c - Authentication-Results (RFC 8601) and Received-SPF (RFC 7208
 * section 9.1) header values: building ours, spotting forged ones.
 *
 * SYNOPSIS
 *	authres_value()                 our Authentication-Results value
 *	authres_received_spf()          our Received-SPF value
 *	authres_claims()                an incoming A-R names our authserv-id
 *	authres_received_spf_claims()   an incoming Received-SPF names us
 *	authres_id_valid()              an authserv-id we can use
 *
 * DESCRIPTION
 *	Building. Method, result, ptype and property names come from our
 *	own code and must be lower-case keywords (letters, digits, inner
 *	hyphens); anything else is a bug, and the builders return NULL
 *	rather than emit a broken header. Values come from the network and
 *	are made safe instead: controls are removed (a tab becomes a space),
 *	bytes that are not UTF-8 become '?', and at most AUTHRES_VALUE_MAX
 *	bytes are kept, cut at a character boundary. Then a property value
 *	is written bare when it is an RFC 2045 token or an address whose
 *	domain is a domain-name (RFC 8601 pvalue: local-part "@" domain,
 *	the local part a dot-atom or already a quoted-string, or else quoted
 *	on its own), and as a quoted-string (" and \ escaped) otherwise.
 *	Non-ASCII text (RFC 6532, RFC 8616) is only ever written inside a
 *	quoted-string or comment. Properties that need a quoted-string are
 *	written after the others: python-authres 1.2.0 accepts a quoted
 *	pvalue only as the last property of a resinfo. A comment escapes
 *	'(', ')' and '\'. Each resinfo starts a line of its own ("\n\t":
 *	milters hand the MTA "\n" line ends), and a line is folded before an
 *	item that would take it past 78 columns, so no line nears 998.
 *	Received-SPF key values are dot-atoms or quoted-strings.
 *
 *	Detecting (RFC 8601 section 5: remove the A-R headers that claim our
 *	authserv-id, whatever else they say). Readers parse the authserv-id
 *	as an RFC 2045 token, an RFC 5322 dot-atom, or naively up to white
 *	space or ';'; a header claims our id when, after leading white
 *	space, folding and comments, any of those readings yields our id
 *	(ASCII case-insensitive, a trailing root dot allowed), i.e. the text
 *	starts with the id and the next character could not continue it
 *	under both grammars: "mx.example.org;", "mx.example.org 1;",
 *	"mx.example.org/x" and "MX.Example.Org." claim it,
 *	"mx.example.org.evil" and "evil-mx.example.org" do not. A quoted
 *	authserv-id claims it when its content is the id. Nothing after the
 *	first token matters, so a header that is garbage after our id still
 *	counts; one whose leading comment never closes has no id and does
 *	not.
 *	A Received-SPF header names us when its receiver= key has our id as
 *	its value (same ending rule, quoted or not, with folding white space
 *	and comments allowed around "="), or when, read loosely with
 *	comments and quoted-strings ignored, "receiver=" followed by our id,
 *	or "(" followed by our id, appears anywhere in it. Our own comment
 *	starts with our id as RFC 7208 suggests ("mx.example.org: domain of
 *	..."), and no other host has any business writing our name there.
 *	Everything here runs in time linear in the input.
 *
 * THREAD SAFETY
 *	Functions of their arguments only; callable from any thread.
 *
 * DIAGNOSTICS
 *	The builders return NULL with errno EINVAL (a name that is not a
 *	keyword, a bad authserv-id, result or identity), ENOMEM or E2BIG
 *	(more than AUTHRES_HEADER_MAX bytes).
 */
#include "config.h"

#include "authres.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"

#define FOLD_COL 78      /* fold before an item that would pass this column */
#define TAB_COLS 8       /* the columns a folding tab is counted as */
#define KEYWORD_MAX 64   /* longest method, result, ptype or property name */
#define AR_NAME_COLS 24  /* strlen("Authentication-Results: ") */
#define SPF_NAME_COLS 14 /* strlen("Received-SPF: ") */
#define ID_MAX 253       /* longest authserv-id */

/* a header value being built, with the column the last line has reached */
struct fold {
	struct buf b; /* owned */
	size_t col;
};

/* ---- characters ------------------------------------------------------- */

/* is_alnum - ASCII letter or digit, whatever the locale */
static int is_alnum(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

/* is_token_char - RFC 2045 token: printable ASCII without tspecials */
static int is_token_char(unsigned char c)
{
	return c > 0x20 && c < 0x7f && strchr("()<>@,;:\\\"/[]?=", c) == NULL;
}

/* is_atext - RFC 5322 atext (ASCII) */
static int is_atext(unsigned char c)
{
	return is_alnum(c) || (c != '\0' && strchr("!#$%&'*+-/=?^_`{|}~", c) != NULL);
}

/* is_idcont - could continue an authserv-id under both the token and the dot-atom grammar */
static int is_idcont(unsigned char c)
{
	return is_token_char(c) && is_atext(c);
}

/* is_ws - white space or a line break of folding */
static int is_ws(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* lower - ASCII lower case */
static unsigned char lower(unsigned char c)
{
	return c >= 'A' && c <= 'Z' ? (unsigned char)(c - 'A' + 'a') : c;
}

/* utf8_len - length of the valid UTF-8 sequence at p, 0 when invalid */
static size_t utf8_len(const unsigned char *p)
{
	unsigned char c = p[0];
	unsigned char lo = 0x80, hi = 0xBF; /* range of the second byte */
	size_t n;
	if (c < 0x80)
		return 1;
	if (c >= 0xC2 && c <= 0xDF)
		n = 2;
	else if (c >= 0xE0 && c <= 0xEF) {
		n = 3;
		if (c == 0xE0)
			lo = 0xA0; /* no overlong forms */
		else if (c == 0xED)
			hi = 0x9F; /* no surrogates */
	} else if (c >= 0xF0 && c <= 0xF4) {
		n = 4;
		if (c == 0xF0)
			lo = 0x90;
		else if (c == 0xF4)
			hi = 0x8F; /* nothing past U+10FFFF */
	} else
		return 0;
	if (p[1] < lo || p[1] > hi)
		return 0;
	for (size_t i = 2; i < n; i++)
		if (p[i] < 0x80 || p[i] > 0xBF)
			return 0; /* also stops at the NUL */
	return n;
}

/* is_keyword - a lower-case RFC 8601 Keyword: letters and digits, inner hyphens */
static int is_keyword(const char *s)
{
	if (s == NULL || *s == '\0' || *s == '-')
		return 0;
	size_t n = 0;
	for (const char *p = s; *p; p++, n++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '-'))
			return 0;
	return n <= KEYWORD_MAX && s[n - 1] != '-';
}

/* ---- values ------------------------------------------------------------ */

/* clean - append s to b without controls, non-UTF-8 bytes as '?', cut to
 * AUTHRES_VALUE_MAX bytes at a character boundary; BUF_* status */
static int clean(struct buf *b, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t kept = 0;
	while (*p) {
		size_t n = utf8_len(p);
		const void *add = p;
		size_t alen = n;
		if (n == 0) {
			add = "?";
			alen = n = 1;
		} else if (*p == '\t') {
			add = " ";
		} else if ((n == 1 && (*p < 0x20 || *p == 0x7f)) ||
			   (n == 2 && p[0] == 0xC2 && p[1] < 0xA0)) {
			p += n; /* C0 and C1 controls, DEL */
			continue;
		}
		if (kept + alen > AUTHRES_VALUE_MAX)
			break;
		int rc = buf_add(b, add, alen);
		if (rc != BUF_OK)
			return rc;
		kept += alen;
		p += n;
	}
	return BUF_OK;
}

/* is_token - RFC 2045 token */
static int is_token(const char *p, size_t n)
{
	if (n == 0)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!is_token_char((unsigned char)p[i]))
			return 0;
	return 1;
}

/* is_dot_atom - RFC 5322 dot-atom-text, ASCII */
static int is_dot_atom(const char *p, size_t n)
{
	if (n == 0 || p[0] == '.' || p[n - 1] == '.')
		return 0;
	for (size_t i = 0; i < n; i++)
		if (p[i] == '.' ? p[i + 1] == '.' : !is_atext((unsigned char)p[i]))
			return 0;
	return 1;
}

/* is_domain - RFC 6376 domain-name: two or more LDH labels */
static int is_domain(const char *p, size_t n)
{
	size_t labels = 0, len = 0;
	if (n == 0 || n > ID_MAX)
		return 0;
	for (size_t i = 0; i <= n; i++) {
		if (i == n || p[i] == '.') {
			if (len == 0 || len > 63 || p[i - 1] == '-')
				return 0;
			labels++;
			len = 0;
		} else if (is_alnum((unsigned char)p[i]) || (p[i] == '-' && len > 0)) {
			len++;
		} else {
			return 0;
		}
	}
	return labels >= 2;
}

/* is_quoted - p..n is one whole RFC 5322 quoted-string (cleaned text: no controls) */
static int is_quoted(const char *p, size_t n)
{
	if (n < 2 || p[0] != '"' || p[n - 1] != '"')
		return 0;
	for (size_t i = 1; i < n - 1; i++) {
		if (p[i] == '"')
			return 0;
		if (p[i] == '\\') {
			if (i + 1 >= n - 1 || (unsigned char)p[i + 1] >= 0x80)
				return 0; /* escaping the closing quote, or half a character */
			i++;
		}
	}
	return 1;
}

/* put_escaped - p..n with each of the bytes in special preceded by '\' */
static int put_escaped(struct buf *o, const char *p, size_t n, const char *special)
{
	size_t start = 0;
	for (size_t i = 0; i < n; i++) {
		if (p[i] == '\0' || strchr(special, p[i]) == NULL)
			continue;
		int rc = buf_add(o, p + start, i - start);
		if (rc == BUF_OK)
			rc = buf_add(o, "\\", 1);
		if (rc != BUF_OK)
			return rc;
		start = i;
	}
	return buf_add(o, p + start, n - start);
}

/* put_wrapped - p..n between open and close, escaping the special characters */
static int put_wrapped(struct buf *o, const char *p, size_t n, const char *open, const char *close,
		       const char *special)
{
	int rc = buf_adds(o, open);
	if (rc == BUF_OK)
		rc = put_escaped(o, p, n, special);
	if (rc == BUF_OK)
		rc = buf_adds(o, close);
	return rc;
}

/* put_quoted - p..n as a quoted-string */
static int put_quoted(struct buf *o, const char *p, size_t n)
{
	return put_wrapped(o, p, n, "\"", "\"", "\"\\");
}

/* put_comment - p..n as a comment */
static int put_comment(struct buf *o, const char *p, size_t n)
{
	return put_wrapped(o, p, n, "(", ")", "()\\");
}

/* put_pvalue - p..n as an RFC 8601 pvalue; *whole_quoted set when it is one quoted-string */
static int put_pvalue(struct buf *o, const char *p, size_t n, int *whole_quoted)
{
	*whole_quoted = 0;
	if (is_token(p, n))
		return buf_add(o, p, n);
	const char *at = NULL;
	for (size_t i = 0; i < n; i++)
		if (p[i] == '@')
			at = p + i;
	if (at != NULL && is_domain(at + 1, n - (size_t)(at - p) - 1)) {
		size_t llen = (size_t)(at - p);
		if (llen == 0 || is_dot_atom(p, llen) || is_quoted(p, llen))
			return buf_add(o, p, n);
		int rc = put_quoted(o, p, llen);
		return rc == BUF_OK ? buf_add(o, at, n - llen) : rc;
	}
	*whole_quoted = 1;
	return put_quoted(o, p, n);
}

/* ---- folding ----------------------------------------------------------- */

/* fold_add - append text that holds no line break */
static int fold_add(struct fold *f, const char *s, size_t n)
{
	f->col += n;
	return buf_add(&f->b, s, n);
}

/* fold_break - start a continuation line */
static int fold_break(struct fold *f)
{
	f->col = TAB_COLS;
	return buf_add(&f->b, "\n\t", 2);
}

/* fold_item - append " item", or "\n\titem" when the line would pass FOLD_COL */
static int fold_item(struct fold *f, const struct buf *item)
{
	int rc = f->col + 1 + item->len > FOLD_COL ? fold_break(f) : fold_add(f, " ", 1);
	return rc == BUF_OK ? fold_add(f, item->data, item->len) : rc;
}

/* fold_done - the value, or NULL with errno for a BUF_* failure */
static char *fold_done(struct fold *f, int rc)
{
	if (rc == BUF_OK)
		return buf_steal(&f->b);
	buf_free(&f->b);
	errno = rc == BUF_TOOBIG ? E2BIG : ENOMEM;
	return NULL;
}

/* ---- building ---------------------------------------------------------- */

/* authres_id_valid - a host name usable as our authserv-id */
int authres_id_valid(const char *id)
{
	if (id == NULL)
		return 0;
	size_t n = strlen(id), len = 0;
	if (n == 0 || n > ID_MAX)
		return 0;
	for (size_t i = 0; i <= n; i++) {
		if (i == n || id[i] == '.') {
			if (len == 0 || len > 63)
				return 0;
			len = 0;
		} else if (is_alnum((unsigned char)id[i]) || id[i] == '-' || id[i] == '_') {
			len++;
		} else {
			return 0;
		}
	}
	return 1;
}

/* result_valid - names all keywords, arrays where counts say so */
static int result_valid(const struct ar_result *r)
{
	if (!is_keyword(r->method) || !is_keyword(r->result) || (r->nprops && r->props == NULL))
		return 0;
	for (size_t i = 0; i < r->nprops; i++)
		if (!is_keyword(r->props[i].ptype) || !is_keyword(r->props[i].property) ||
		    r->props[i].value == NULL)
			return 0;
	return 1;
}

/* put_props - the properties of r whose value is (quoted) or is not (!quoted) one quoted-string */
static int put_props(struct fold *f, const struct ar_result *r, int quoted, struct buf *val,
		     struct buf *item)
{
	for (size_t i = 0; i < r->nprops; i++) {
		const struct ar_prop *pr = &r->props[i];
		int whole_quoted;
		buf_reset(val);
		buf_reset(item);
		int rc = clean(val, pr->value);
		if (rc == BUF_OK)
			rc = buf_printf(item, "%s.%s=", pr->ptype, pr->property);
		if (rc == BUF_OK)
			rc = put_pvalue(item, val->data ? val->data : "", val->len, &whole_quoted);
		if (rc == BUF_OK && whole_quoted == quoted)
			rc = fold_item(f, item);
		if (rc != BUF_OK)
			return rc;
	}
	return BUF_OK;
}

/* put_result - ";\n\tmethod=result (comment) props" */
static int put_result(struct fold *f, const struct ar_result *r, struct buf *val, struct buf *item)
{
	int rc = fold_add(f, ";", 1);
	if (rc == BUF_OK)
		rc = fold_break(f);
	if (rc == BUF_OK)
		rc = fold_add(f, r->method, strlen(r->method));
	if (rc == BUF_OK)
		rc = fold_add(f, "=", 1);
	if (rc == BUF_OK)
		rc = fold_add(f, r->result, strlen(r->result));
	if (rc == BUF_OK && r->reason != NULL) {
		buf_reset(val);
		buf_reset(item);
		rc = clean(val, r->reason);
		if (rc == BUF_OK && val->len > 0)
			rc = put_comment(item, val->data, val->len);
		if (rc == BUF_OK && item->len > 0)
			rc = fold_item(f, item);
	}
	if (rc == BUF_OK)
		rc = put_props(f, r, 0, val, item);
	if (rc == BUF_OK)
		rc = put_props(f, r, 1, val, item);
	return rc;
}

/* authres_value - our Authentication-Results value */
char *authres_value(const char *authserv_id, const struct ar_result *r, size_t n)
{
	if (!authres_id_valid(authserv_id) || (n && r == NULL)) {
		errno = EINVAL;
		return NULL;
	}
	for (size_t i = 0; i < n; i++) {
		if (!result_valid(&r[i])) {
			errno = EINVAL;
			return NULL;
		}
	}
	struct fold f;
	struct buf val, item;
	buf_init(&f.b, AUTHRES_HEADER_MAX);
	buf_init(&val, 0);
	buf_init(&item, 0);
	f.col = AR_NAME_COLS;
	int rc = fold_add(&f, authserv_id, strlen(authserv_id));
	if (rc == BUF_OK && n == 0)
		rc = fold_add(&f, "; none", 6);
	for (size_t i = 0; rc == BUF_OK && i < n; i++)
		rc = put_result(&f, &r[i], &val, &item);
	buf_free(&val);
	buf_free(&item);
	return fold_done(&f, rc);
}

static const char *const spf_results[] = {"pass", "fail",      "softfail", "neutral",
					  "none", "temperror", "permerror"};

/* spf_result_valid - one of the RFC 7208 results */
static int spf_result_valid(const char *result)
{
	if (result == NULL)
		return 0;
	for (size_t i = 0; i < ARRAY_LEN(spf_results); i++)
		if (strcmp(result, spf_results[i]) == 0)
			return 1;
	return 0;
}

/* put_key_value - " key=value;" with value a dot-atom or a quoted-string */
static int put_key_value(struct fold *f, const char *key, const char *value, struct buf *val,
			 struct buf *item)
{
	buf_reset(val);
	buf_reset(item);
	int rc = clean(val, value);
	const char *v = val->data ? val->data : "";
	if (rc == BUF_OK)
		rc = buf_printf(item, "%s=", key);
	if (rc == BUF_OK)
		rc = is_dot_atom(v, val->len) ? buf_add(item, v, val->len)
					      : put_quoted(item, v, val->len);
	if (rc == BUF_OK)
		rc = buf_add(item, ";", 1);
	return rc == BUF_OK ? fold_item(f, item) : rc;
}

/* authres_received_spf - our Received-SPF value */
char *authres_received_spf(const char *result, const char *comment, const char *client_ip,
			   const char *envelope_from, const char *helo, const char *identity,
			   const char *receiver)
{
	if (!spf_result_valid(result) || (identity != NULL && strcmp(identity, "mailfrom") != 0 &&
					  strcmp(identity, "helo") != 0)) {
		errno = EINVAL;
		return NULL;
	}
	const struct {
		const char *key, *value;
	} kv[] = {{"client-ip", client_ip},
		  {"envelope-from", envelope_from},
		  {"helo", helo},
		  {"receiver", receiver},
		  {"identity", identity}};
	struct fold f;
	struct buf val, item;
	buf_init(&f.b, AUTHRES_HEADER_MAX);
	buf_init(&val, 0);
	buf_init(&item, 0);
	f.col = SPF_NAME_COLS;
	int rc = fold_add(&f, result, strlen(result));
	if (rc == BUF_OK && comment != NULL) {
		rc = clean(&val, comment);
		if (rc == BUF_OK && val.len > 0)
			rc = put_comment(&item, val.data, val.len);
		if (rc == BUF_OK && item.len > 0)
			rc = fold_item(&f, &item);
	}
	for (size_t i = 0; rc == BUF_OK && i < ARRAY_LEN(kv); i++)
		if (kv[i].value != NULL)
			rc = put_key_value(&f, kv[i].key, kv[i].value, &val, &item);
	buf_free(&val);
	buf_free(&item);
	return fold_done(&f, rc);
}

/* ---- detecting --------------------------------------------------------- */

/* skip_ws - past white space and line breaks */
static const char *skip_ws(const char *p)
{
	while (is_ws((unsigned char)*p))
		p++;
	return p;
}

/* skip_cfws - past white space, line breaks and comments; NULL when a comment never closes */
static const char *skip_cfws(const char *p)
{
	for (;;) {
		p = skip_ws(p);
		if (*p != '(')
			return p;
		size_t depth = 0;
		for (; *p; p++) {
			if (*p == '\\' && p[1] != '\0')
				p++;
			else if (*p == '(')
				depth++;
			else if (*p == ')' && --depth == 0)
				break;
		}
		if (*p == '\0')
			return NULL;
		p++;
	}
}

/* prefix_ci - s starts with id, ASCII case-insensitively; idlen bytes of id */
static int prefix_ci(const char *s, const char *id, size_t idlen)
{
	for (size_t i = 0; i < idlen; i++)
		if (s[i] == '\0' || lower((unsigned char)s[i]) != lower((unsigned char)id[i]))
			return 0;
	return 1;
}

/* id_at - text at p reads as id under some grammar: the id, then (after an
 * optional root dot) a character that cannot continue it */
static int id_at(const char *p, const char *id)
{
	size_t n = strlen(id);
	if (!prefix_ci(p, id, n))
		return 0;
	p += n;
	if (*p == '.')
		p++;
	return !is_idcont((unsigned char)*p);
}

/* quoted_is_id - the quoted-string at p (at its '"') holds id, perhaps with a
 * root dot and surrounding white space */
static int quoted_is_id(const char *p, const char *id)
{
	p = skip_ws(p + 1);
	for (const char *i = id; *i; i++, p++) {
		if (*p == '\\' && p[1] != '\0')
			p++;
		if (*p == '\0' || lower((unsigned char)*p) != lower((unsigned char)*i))
			return 0;
	}
	if (*p == '.')
		p++;
	else if (p[0] == '\\' && p[1] == '.')
		p += 2;
	return *skip_ws(p) == '"';
}

/* authres_claims - the A-R value names our authserv-id */
int authres_claims(const char *value, const char *authserv_id)
{
	if (value == NULL || authserv_id == NULL || *authserv_id == '\0')
		return 0;
	const char *p = skip_cfws(value);
	if (p == NULL)
		return 0;
	return *p == '"' ? quoted_is_id(p, authserv_id) : id_at(p, authserv_id);
}

/* word_at - the keyword kw (lower case) starts at p, not in the middle of a word */
static int word_at(const char *start, const char *p, const char *kw, size_t kwlen)
{
	if (p > start && (is_idcont((unsigned char)p[-1]) || p[-1] == '.'))
		return 0;
	return prefix_ci(p, kw, kwlen) && !is_idcont((unsigned char)p[kwlen]) && p[kwlen] != '.';
}

/* value_is_id - a key's value at p (after "=" and white space) is id */
static int value_is_id(const char *p, const char *id)
{
	return *p == '"' ? quoted_is_id(p, id) : id_at(p, id);
}

/* loose_claims - "receiver=ID" or "(ID" anywhere, comments and quotes ignored */
static int loose_claims(const char *value, const char *id)
{
	static const char kw[] = "receiver";
	for (const char *p = value; *p; p++) {
		if (*p == '(' && id_at(skip_ws(p + 1), id))
			return 1;
		if (word_at(value, p, kw, sizeof(kw) - 1)) {
			const char *q = skip_ws(p + sizeof(kw) - 1);
			if (*q == '=' && value_is_id(skip_ws(q + 1), id))
				return 1;
		}
	}
	return 0;
}

/* strict_claims - a top-level receiver key whose value is id, CFWS allowed around "=" */
static int strict_claims(const char *value, const char *id)
{
	static const char kw[] = "receiver";
	enum { S_NONE, S_KEY, S_EQ } st = S_NONE;
	size_t depth = 0; /* comment nesting */
	int inq = 0;      /* inside a quoted-string */
	for (const char *p = value; *p; p++) {
		unsigned char c = (unsigned char)*p;
		if (inq || depth) {
			if (c == '\\' && p[1] != '\0')
				p++;
			else if (inq && c == '"')
				inq = 0;
			else if (!inq && c == '(')
				depth++;
			else if (!inq && c == ')')
				depth--;
			continue;
		}
		if (c == '(') {
			depth = 1;
			continue;
		}
		if (is_ws(c))
			continue;
		if (st == S_EQ && value_is_id(p, id))
			return 1;
		if (st == S_KEY && c == '=') {
			st = S_EQ;
			continue;
		}
		st = S_NONE;
		if (c == '"') {
			inq = 1;
		} else if (word_at(value, p, kw, sizeof(kw) - 1)) {
			st = S_KEY;
			p += sizeof(kw) - 2;
		}
	}
	return 0;
}

/* authres_received_spf_claims - the Received-SPF value names us */
int authres_received_spf_claims(const char *value, const char *authserv_id)
{
	if (value == NULL || authserv_id == NULL || *authserv_id == '\0')
		return 0;
	return loose_claims(value, authserv_id) || strict_claims(value, authserv_id);
}
