/*
 * mime_probe.c - run the MIME analysis on one message file, for tests/mime4j_suite.py.
 *
 * SYNOPSIS
 *	mime_probe MESSAGE [OUTDIR]
 *
 * DESCRIPTION
 *	Prints one line per part in tree order, "part DEPTH KIND TYPE" (KIND
 *	leaf, multipart or message), then "note NAME VALUE" per oddity,
 *	"text N", "url URL", "domain D", "att-name N", "att-type T". With
 *	OUTDIR, each leaf's transfer-decoded bytes go to OUTDIR/leaf-N (N from
 *	1 in tree order).
 *
 * DIAGNOSTICS
 *	Exit status 0, or 1 when the file cannot be read or memory runs out.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mime.h"

/* The leaf observer's state. */
struct probe {
	const char *dir; /* borrowed, or NULL */
	unsigned n;      /* leaves so far */
	int err;
};

/* on_leaf - write a leaf's decoded bytes */
static void on_leaf(void *arg, const struct mime_part *p, const char *data, size_t len)
{
	struct probe *pr = arg;
	pr->n++;
	if (pr->dir == NULL)
		return;
	char path[4096];
	snprintf(path, sizeof(path), "%s/leaf-%u", pr->dir, pr->n);
	FILE *f = fopen(path, "wb");
	if (f == NULL || fwrite(data, 1, len, f) != len)
		pr->err = 1;
	if (f && fclose(f) != 0)
		pr->err = 1;
}

/* slurp - the whole file */
static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (f == NULL)
		return NULL;
	size_t cap = 65536, n = 0;
	char *b = malloc(cap + 1);
	while (b) {
		size_t r = fread(b + n, 1, cap - n, f);
		n += r;
		if (r == 0)
			break;
		if (n == cap) {
			char *nb = realloc(b, cap * 2 + 1);
			if (nb == NULL) {
				free(b);
				b = NULL;
				break;
			}
			b = nb;
			cap *= 2;
		}
	}
	fclose(f);
	if (b)
		b[n] = '\0';
	*len = n;
	return b;
}

/* list - print a value list */
static void list(const char *tag, const struct mime_list *l)
{
	for (size_t i = 0; i < l->n; i++)
		printf("%s %s\n", tag, l->v[i]);
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: mime_probe MESSAGE [OUTDIR]\n");
		return 2;
	}
	size_t len;
	char *msg = slurp(argv[1], &len);
	if (msg == NULL) {
		perror(argv[1]);
		return 1;
	}
	struct probe pr = {argc > 2 ? argv[2] : NULL, 0, 0};
	struct mime_opts o;
	mime_opts_default(&o);
	o.leaf = on_leaf;
	o.leaf_arg = &pr;
	struct mime_result r;
	if (mime_analyze(msg, len, &o, &r) < 0) {
		free(msg);
		fprintf(stderr, "mime_probe: out of memory\n");
		return 1;
	}
	static const char *const kinds[] = {"leaf", "multipart", "message"};
	for (size_t i = 0; i < r.nparts; i++) {
		const struct mime_part *p = &r.parts[i];
		printf("part %u %s %s", p->depth, kinds[p->kind], p->type);
		printf(" path=%s size=%zu", p->path, p->size);
		if (p->charset)
			printf(" charset=%s", p->charset);
		if (p->encoding)
			printf(" encoding=%s", p->encoding);
		if (p->disposition)
			printf(" disposition=%s", p->disposition);
		if (p->filename)
			printf(" filename=%s", p->filename);
		if (p->sniffed)
			printf(" sniffed=%s", p->sniffed);
		printf("\n");
	}
	for (size_t i = 0; i < r.nnotes; i++)
		printf("note %s %s\n", r.notes[i].name, r.notes[i].value);
	for (size_t i = 0; i < r.text.n; i++)
		printf("text %zu\n", r.text.len[i]);
	list("url", &r.urls);
	list("domain", &r.domains);
	list("att-name", &r.att_name);
	list("att-type", &r.att_type);
	mime_result_free(&r);
	free(msg);
	return pr.err;
}
