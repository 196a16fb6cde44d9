/*
 * mimefield.c - Content-Type and Content-Disposition values in their plain form.
 *
 * SYNOPSIS
 *	struct mime_field f;
 *	if (mime_field_parse(value, 1, &f))          "text/plain; charset=utf-8"
 *		f.type "text", f.sub "plain", mime_field_param(&f, "charset") "utf-8"
 *	else
 *		... g_mime_content_type_parse(NULL, value) ...
 *
 * DESCRIPTION
 *	Nearly every such field in mail is a token (and for a Content-Type
 *	"/" and a second token) followed by parameters "; name=value", each
 *	value a token or a quoted string without escapes. mime_field_parse
 *	reads exactly that: printable ASCII, blanks only around the ';'
 *	separators, at most MIME_FIELD_PARAMS parameters with distinct names.
 *	Anything else is left to GMime, and so are the forms whose meaning
 *	takes more than reading them: comments, quoted pairs, RFC 2231
 *	parameters ('*' in a name), RFC 2047 words ("=?" in a value), 8-bit
 *	bytes. For what it does read, the result is GMime's (which mime.c
 *	used for every field before): tests/fuzz/field_fuzz.c checks that the
 *	two agree on the type, the parameters, their order and values.
 *	It is here because GMime builds a GObject for each field, with a
 *	parameter list and a signal connection between them, and tears it
 *	down again: about 24,000 instructions a field, a tenth of the analysis
 *	of a typical message; reading the plain form costs a few hundred.
 *	The value is read in place: on success its separators are overwritten
 *	with NULs and the results point into it; on failure it is unchanged.
 *
 * THREAD SAFETY
 *	Reentrant.
 */
#include "config.h"

#include <string.h>
#include <strings.h>

#include "mimeint.h"

/* is_tchar - a token character of RFC 2045 (printable ASCII but for tspecials) */
static int is_tchar(unsigned char c)
{
	return c > ' ' && c < 0x7f && strchr("()<>@,;:\\\"/[]?=", c) == NULL;
}

/* is_wsp - a blank */
static int is_wsp(unsigned char c)
{
	return c == ' ' || c == '\t';
}

/* token - the end of the token at i (i itself when there is none) */
static size_t token(const char *s, size_t i)
{
	while (is_tchar((unsigned char)s[i]))
		i++;
	return i;
}

/* quoted - the end of the quoted string whose '"' is at i (past its closing '"'), or 0
 * when it is not a plain one: printable ASCII and spaces, no '\\', no "=?" */
static size_t quoted(const char *s, size_t i)
{
	for (i++; s[i] != '"'; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c < ' ' || c >= 0x7f || c == '\\' || (c == '=' && s[i + 1] == '?'))
			return 0;
	}
	return i + 1;
}

/* mime_field_parse - see mimeint.h */
int mime_field_parse(char *s, int with_sub, struct mime_field *f)
{
	size_t cut[2 + 2 * MIME_FIELD_PARAMS], ncut = 0; /* where NULs go once it all reads */
	size_t i = 0, e;
	while (is_wsp((unsigned char)s[i]))
		i++;
	size_t type = i, sub = 0;
	if ((e = token(s, i)) == i)
		return 0;
	i = e;
	if (with_sub) {
		if (s[i] != '/' || (e = token(s, i + 1)) == i + 1)
			return 0;
		cut[ncut++] = i;
		sub = i + 1;
		i = e;
	}
	cut[ncut++] = i;
	size_t name[MIME_FIELD_PARAMS], nlen[MIME_FIELD_PARAMS], value[MIME_FIELD_PARAMS], n = 0;
	for (;;) {
		while (is_wsp((unsigned char)s[i]))
			i++;
		if (s[i] == '\0')
			break;
		if (s[i] != ';')
			return 0;
		for (i++; is_wsp((unsigned char)s[i]);)
			i++;
		if (s[i] == '\0')
			break; /* a ';' at the end */
		if (n == MIME_FIELD_PARAMS || (e = token(s, i)) == i || s[e] != '=' ||
		    memchr(s + i, '*', e - i) != NULL)
			return 0;
		for (size_t k = 0; k < n; k++)
			if (nlen[k] == e - i && strncasecmp(s + name[k], s + i, e - i) == 0)
				return 0; /* the same name twice: which one counts is GMime's choice
					   */
		name[n] = i;
		nlen[n] = e - i;
		cut[ncut++] = e;
		i = e + 1;
		if (s[i] == '"') {
			if ((e = quoted(s, i)) == 0)
				return 0;
			value[n] = i + 1;
			cut[ncut++] = e - 1;
		} else {
			if ((e = token(s, i)) == i)
				return 0;
			value[n] = i;
			cut[ncut++] = e;
		}
		i = e;
		n++;
	}
	for (size_t k = 0; k < ncut; k++)
		s[cut[k]] = '\0';
	f->type = s + type;
	f->sub = with_sub ? s + sub : NULL;
	f->n = n;
	for (size_t k = 0; k < n; k++) {
		f->name[k] = s + name[k];
		f->value[k] = s + value[k];
	}
	return 1;
}

/* mime_field_param - see mimeint.h */
const char *mime_field_param(const struct mime_field *f, const char *name)
{
	for (size_t k = 0; k < f->n; k++)
		if (strcasecmp(f->name[k], name) == 0)
			return f->value[k];
	return NULL;
}

/* mime_looks_field - see mimeint.h: a name of printable or 8-bit characters, blanks (the
 * obsolete syntax of RFC 5322 4.5.2), then a colon */
int mime_looks_field(const char *l, size_t n)
{
	size_t i = 0;
	while (i < n && (unsigned char)l[i] > 32 && l[i] != 127 && l[i] != ':')
		i++;
	if (i == 0)
		return 0;
	while (i < n && (l[i] == ' ' || l[i] == '\t'))
		i++;
	return i < n && l[i] == ':';
}
