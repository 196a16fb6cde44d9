/*
 * jsonread.c - navigate JSON text in place: members, elements, strings.
 *
 * SYNOPSIS
 *	jr_member(obj, key)  jr_path(obj, "a.b")  jr_elem(arr, i)  jr_string(v)
 *
 * DESCRIPTION
 *	No tree is built: each call scans the text from the value it is
 *	given, skipping nested values by their brackets and strings by their
 *	escapes. Meant for records Portcullis wrote (bounded lines); a
 *	malformed value reads as absent (NULL).
 *
 * THREAD SAFETY
 *	Pure functions of their arguments.
 */
#include "config.h"

#include "jsonread.h"

#include <stdlib.h>
#include <string.h>

#include "buf.h"

#define JR_DEPTH 64

/* ws - past white space */
static const char *ws(const char *p)
{
	while (p && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
		p++;
	return p;
}

/* skip_string - past the string whose quote is at p */
static const char *skip_string(const char *p)
{
	for (p++; *p && *p != '"'; p++)
		if (*p == '\\' && p[1])
			p++;
	return *p == '"' ? p + 1 : NULL;
}

/* jr_skip - past one value */
const char *jr_skip(const char *p)
{
	p = ws(p);
	if (p == NULL || *p == '\0')
		return NULL;
	if (*p == '"')
		return skip_string(p);
	if (*p != '{' && *p != '[') {
		size_t n = strcspn(p, ",}] \t\r\n");
		return n ? p + n : NULL;
	}
	int depth = 0;
	while (*p) {
		if (*p == '"') {
			if ((p = skip_string(p)) == NULL)
				return NULL;
			continue;
		}
		if (*p == '{' || *p == '[') {
			if (++depth > JR_DEPTH)
				return NULL;
		} else if ((*p == '}' || *p == ']') && --depth == 0)
			return p + 1;
		p++;
	}
	return NULL;
}

/* jr_member - one member of an object */
const char *jr_member(const char *p, const char *key)
{
	p = ws(p);
	if (p == NULL || *p != '{')
		return NULL;
	p = ws(p + 1);
	size_t klen = strlen(key);
	while (p && *p == '"') {
		const char *k = p + 1, *end = skip_string(p);
		if (end == NULL)
			return NULL;
		p = ws(end);
		if (*p != ':')
			return NULL;
		p = ws(p + 1);
		if ((size_t)(end - 1 - k) == klen && strncmp(k, key, klen) == 0)
			return p;
		p = ws(jr_skip(p));
		if (p == NULL || *p != ',')
			return NULL;
		p = ws(p + 1);
	}
	return NULL;
}

/* jr_path - a.b.c */
const char *jr_path(const char *p, const char *path)
{
	char key[128];
	while (p && *path) {
		size_t n = strcspn(path, ".");
		if (n >= sizeof(key))
			return NULL;
		memcpy(key, path, n);
		key[n] = '\0';
		p = jr_member(p, key);
		path += n + (path[n] == '.');
	}
	return p;
}

/* jr_elem - one element of an array */
const char *jr_elem(const char *p, size_t i)
{
	p = ws(p);
	if (p == NULL || *p != '[')
		return NULL;
	p = ws(p + 1);
	if (*p == ']')
		return NULL;
	for (size_t k = 0; p; k++) {
		if (k == i)
			return p;
		p = ws(jr_skip(p));
		if (p == NULL || *p != ',')
			return NULL;
		p = ws(p + 1);
	}
	return NULL;
}

/* hex4 - four hex digits, or -1 */
static long hex4(const char *p)
{
	long v = 0;
	for (int i = 0; i < 4; i++) {
		char c = p[i];
		int d = c >= '0' && c <= '9'   ? c - '0'
			: c >= 'a' && c <= 'f' ? c - 'a' + 10
			: c >= 'A' && c <= 'F' ? c - 'A' + 10
					       : -1;
		if (d < 0)
			return -1;
		v = v * 16 + d;
	}
	return v;
}

/* put_utf8 - code point cp as UTF-8 */
static int put_utf8(struct buf *b, long cp)
{
	unsigned char u[4];
	size_t n;
	if (cp < 0x80) {
		u[0] = (unsigned char)cp;
		n = 1;
	} else if (cp < 0x800) {
		u[0] = (unsigned char)(0xC0 | (cp >> 6));
		u[1] = (unsigned char)(0x80 | (cp & 0x3F));
		n = 2;
	} else {
		u[0] = (unsigned char)(0xE0 | (cp >> 12));
		u[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
		u[2] = (unsigned char)(0x80 | (cp & 0x3F));
		n = 3;
	}
	return buf_add(b, u, n) == BUF_OK ? 0 : -1;
}

/* jr_string - unescape */
char *jr_string(const char *p)
{
	p = ws(p);
	if (p == NULL || *p == '{' || *p == '[' || *p == '\0')
		return NULL;
	if (*p != '"') {
		const char *end = jr_skip(p);
		return end ? strndup(p, (size_t)(end - p)) : NULL;
	}
	struct buf b;
	buf_init(&b, 0);
	int rc = buf_adds(&b, "");
	for (p++; rc == 0 && *p && *p != '"'; p++) {
		if (*p != '\\') {
			rc = buf_add(&b, p, 1);
			continue;
		}
		p++;
		static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
		const char *k = *p ? strchr(from, *p) : NULL;
		if (k)
			rc = buf_add(&b, &to[k - from], 1);
		else if (*p == 'u' && hex4(p + 1) >= 0) {
			rc = put_utf8(&b, hex4(p + 1)); /* our writer never emits surrogates */
			p += 4;
		} else
			rc = -1;
	}
	if (rc != 0) {
		buf_free(&b);
		return NULL;
	}
	return buf_steal(&b);
}
