/*
 * field_fuzz.c - libFuzzer target: mime_field_parse (milter/mimefield.c) against
 * GMime's Content-Type and Content-Disposition parsers, which it stands in for
 * on the plain forms (build: tests/fuzz/build.sh). The input is a header value;
 * whenever mime_field_parse reads it, GMime must give the same type (and
 * subtype, or disposition) and the same parameters, names and values, in the
 * same order. When it does not read it, the value must be left unchanged.
 */
#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <gmime/gmime.h>

#include "mimeint.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* same_params - do GMime's parameters equal f's? */
static int same_params(GMimeParamList *pl, const struct mime_field *f)
{
	if (g_mime_param_list_length(pl) != (int)f->n)
		return 0;
	for (size_t k = 0; k < f->n; k++) {
		GMimeParam *p = g_mime_param_list_get_parameter_at(pl, (int)k);
		if (strcmp(g_mime_param_get_name(p), f->name[k]) != 0 ||
		    strcmp(g_mime_param_get_value(p), f->value[k]) != 0)
			return 0;
	}
	return 1;
}

/* check - one reading (with_sub: Content-Type, else Content-Disposition) */
static void check(const char *value, size_t size, int with_sub)
{
	char *s = malloc(size + 1);
	if (s == NULL)
		abort();
	memcpy(s, value, size + 1);
	struct mime_field f;
	if (!mime_field_parse(s, with_sub, &f)) {
		if (memcmp(s, value, size + 1) != 0)
			abort(); /* left for GMime: unchanged */
		free(s);
		return;
	}
	if (with_sub) {
		GMimeContentType *ct = g_mime_content_type_parse(NULL, value);
		if (strcmp(g_mime_content_type_get_media_type(ct), f.type) != 0 ||
		    strcmp(g_mime_content_type_get_media_subtype(ct), f.sub) != 0 ||
		    !same_params(g_mime_content_type_get_parameters(ct), &f))
			abort();
		g_object_unref(ct);
	} else {
		GMimeContentDisposition *cd = g_mime_content_disposition_parse(NULL, value);
		if (strcmp(g_mime_content_disposition_get_disposition(cd), f.type) != 0 ||
		    !same_params(g_mime_content_disposition_get_parameters(cd), &f))
			abort();
		g_object_unref(cd);
	}
	free(s);
}

/* LLVMFuzzerTestOneInput - one header value (up to a NUL, as GMime reads it) */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int init;
	if (!init) {
		g_mime_init();
		init = 1;
	}
	char *value = malloc(size + 1);
	if (value == NULL)
		abort();
	memcpy(value, data, size);
	value[size] = '\0';
	size_t n = strlen(value);
	check(value, n, 1);
	check(value, n, 0);
	free(value);
	return 0;
}
