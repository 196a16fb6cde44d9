/*
 * lex.c - split one line of a rule file into tokens.
 *
 * SYNOPSIS
 *	struct rule_lexer lx = {.s = line, .file = f, .line = n, .errs = errs};
 *	lex_next(&lx, &tok);  ... TT_WORD, TT_STRING, TT_REGEX, TT_END or TT_BAD
 *
 * DESCRIPTION
 *	Tokens are separated by blanks. A word runs to the next blank or
 *	double quote. A string is "..." with the escapes \n \r \t \\ and \".
 *	A pattern is /.../ followed by flags (i m s x u); a slash inside it
 *	is written \/ and every escape is left for PCRE2. A '#' where a
 *	token would start begins a comment. Columns count bytes from 1, a
 *	tab as one.
 *
 * DIAGNOSTICS
 *	"file:line:col: message", the first error of a line only.
 *
 * THREAD SAFETY
 *	A lexer belongs to the thread that loads the rules.
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "rules_int.h"

/* lex_error - the first error of the line */
void lex_error(struct rule_lexer *lx, unsigned col, const char *fmt, ...)
{
	if (lx->bad)
		return;
	lx->bad = 1;
	char text[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	errlist_addc(lx->errs, lx->file, lx->line, col, "%s", text);
}

/* lex_free - drop the text */
void lex_free(struct rule_tok *tok)
{
	free(tok->text);
	tok->text = NULL;
	tok->len = 0;
}

/* blank - space or tab */
static int blank(char c)
{
	return c == ' ' || c == '\t';
}

/* string - "..." with escapes; pos is at the opening quote */
static int string(struct rule_lexer *lx, struct buf *b)
{
	unsigned col = (unsigned)lx->pos + 1;
	const char *s = lx->s;
	size_t i = lx->pos + 1;
	for (; s[i] && s[i] != '"'; i++) {
		char c = s[i];
		if (c == '\\') {
			static const char from[] = "nrt\\\"", to[] = "\n\r\t\\\"";
			const char *e = s[i + 1] ? strchr(from, s[i + 1]) : NULL;
			if (e == NULL) {
				lex_error(
				    lx, (unsigned)i + 1,
				    "unknown escape in a string (use \\n, \\r, \\t, \\\\ or \\\")");
				return -1;
			}
			c = to[e - from];
			i++;
		}
		if (buf_add(b, &c, 1) != BUF_OK)
			return -1;
	}
	if (s[i] != '"') {
		lex_error(lx, col, "unterminated string: expected a closing '\"'");
		return -1;
	}
	lx->pos = i + 1;
	return 0;
}

/* pattern - /.../flags; pos is at the opening slash */
static int pattern(struct rule_lexer *lx, struct buf *b, struct rule_tok *tok)
{
	const char *s = lx->s;
	size_t i = lx->pos + 1;
	while (s[i] && s[i] != '/')
		i += s[i] == '\\' && s[i + 1] ? 2 : 1;
	if (s[i] != '/') {
		lex_error(lx, tok->col,
			  "unterminated pattern: expected a closing '/' (write a "
			  "slash inside the pattern as \\/)");
		return -1;
	}
	if (i == lx->pos + 1) {
		lex_error(lx, tok->col, "empty pattern");
		return -1;
	}
	if (buf_add(b, s + lx->pos + 1, i - lx->pos - 1) != BUF_OK)
		return -1;
	tok->pcol = tok->col + 1;
	tok->opts = 0;
	for (i++; s[i] && !blank(s[i]); i++) {
		switch (s[i]) {
		case 'i': tok->opts |= PCRE2_CASELESS; break;
		case 'm': tok->opts |= PCRE2_MULTILINE; break;
		case 's': tok->opts |= PCRE2_DOTALL; break;
		case 'x': tok->opts |= PCRE2_EXTENDED; break;
		case 'u': tok->opts |= PCRE2_UTF | PCRE2_UCP | PCRE2_MATCH_INVALID_UTF; break;
		default:
			lex_error(lx, (unsigned)i + 1,
				  "unknown pattern flag '%c' (flags are i, m, s, x and u%s)", s[i],
				  strchr(s + i, '/') ? "; write a slash inside the pattern as \\/"
						     : "");
			return -1;
		}
	}
	lx->pos = i;
	return 0;
}

/* lex_next - one token */
void lex_next(struct rule_lexer *lx, struct rule_tok *tok)
{
	lex_free(tok);
	const char *s = lx->s;
	while (blank(s[lx->pos]))
		lx->pos++;
	tok->col = (unsigned)lx->pos + 1;
	tok->t = TT_END;
	if (lx->bad) {
		tok->t = TT_BAD;
		return;
	}
	if (s[lx->pos] == '\0' || s[lx->pos] == '#')
		return;
	struct buf b;
	buf_init(&b, RULE_LINE_MAX);
	int rc = 0;
	if (s[lx->pos] == '"') {
		tok->t = TT_STRING;
		rc = string(lx, &b);
	} else if (s[lx->pos] == '/') {
		tok->t = TT_REGEX;
		rc = pattern(lx, &b, tok);
	} else {
		size_t i = lx->pos;
		while (s[i] && !blank(s[i]) && s[i] != '"')
			i++;
		tok->t = TT_WORD;
		rc = buf_add(&b, s + lx->pos, i - lx->pos) == BUF_OK ? 0 : -1;
		lx->pos = i;
	}
	if (rc == 0 && b.data == NULL)
		rc = buf_add(&b, "", 0) == BUF_OK ? 0 : -1;
	if (rc != 0) {
		lex_error(lx, tok->col, "out of memory");
		buf_free(&b);
		tok->t = TT_BAD;
		return;
	}
	tok->len = b.len;
	tok->text = buf_steal(&b);
}

/* lex_rest - the rest of the line, comment and trailing blanks cut (quotes respected) */
size_t lex_rest(struct rule_lexer *lx, unsigned *col)
{
	const char *s = lx->s;
	while (blank(s[lx->pos]))
		lx->pos++;
	*col = (unsigned)lx->pos + 1;
	size_t start = lx->pos, end = start;
	int quoted = 0;
	for (size_t i = start; s[i]; i++) {
		if (s[i] == '#' && !quoted)
			break;
		if (s[i] == '"')
			quoted = !quoted;
		else if (s[i] == '\\' && quoted && s[i + 1])
			i++;
		if (!blank(s[i]))
			end = i + 1;
	}
	lx->pos = end;
	return end - start;
}
