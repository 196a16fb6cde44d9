/*
 * mime_bench.c - micro-benchmark of the MIME analysis: CPU µs per message.
 *
 * SYNOPSIS
 *	mime_bench [-n ROUNDS] [-l LABEL] [-o] [FILE...]
 *	make bench-mime       (the fixed set: a generated 20 KB multipart, the
 *	                       messages of tests/data/mime, the mime4j corpus)
 *	-o: mime_analyze only, no peer (for a profiler: perf, callgrind)
 *
 * DESCRIPTION
 *	Not a timed test: it reports, for each set, the CPU time (process CPU
 *	clock) per message of mime_analyze() with the default limits, and of a
 *	peer measured in the same run on the same bytes: GMime 3's own parser
 *	(g_mime_parser_construct_message) building the part tree and decoding
 *	every leaf to a null stream. The peer does structure and transfer
 *	decoding only; mime_analyze also converts charsets, reduces HTML to
 *	text, collects and normalises URLs and sniffs types.
 *	The generated message: multipart/mixed holding multipart/alternative
 *	(text/plain quoted-printable, text/html quoted-printable with links)
 *	and a small base64 PDF, about 20 KB.
 *	contrib/bench/mime/README has the figures (before and after the work
 *	that brought the typical message from ~110 to ~50 us), where the time
 *	goes, and how to measure instructions with callgrind.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <gmime/gmime.h>

#include "buf.h"
#include "mime.h"

struct msg {
	char *data; /* owned */
	size_t len;
};

/* cpu_us - process CPU time in µs */
static double cpu_us(void)
{
	struct timespec t;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
	return (double)t.tv_sec * 1e6 + (double)t.tv_nsec / 1e3;
}

/* typical - the generated ~20 KB multipart */
static int typical(struct msg *m)
{
	struct buf b;
	buf_init(&b, 0);
	int rc =
	    buf_adds(&b, "From: News <news@shop.example.com>\r\nTo: <you@example.net>\r\n"
			 "Subject: =?utf-8?Q?Your_weekly_d=C3=A9als?=\r\nMIME-Version: 1.0\r\n"
			 "Content-Type: multipart/mixed; boundary=\"mix\"\r\n\r\n--mix\r\n"
			 "Content-Type: multipart/alternative; boundary=\"alt\"\r\n\r\n--alt\r\n"
			 "Content-Type: text/plain; charset=utf-8\r\n"
			 "Content-Transfer-Encoding: quoted-printable\r\n\r\n");
	for (int i = 0; rc == BUF_OK && i < 70; i++)
		rc = buf_printf(&b,
				"Line %d of the offer: caf=C3=A9 cr=C3=A8me at "
				"https://shop.example.com/item/%d today only=\r\n!\r\n",
				i, i);
	if (rc == BUF_OK)
		rc = buf_adds(&b, "--alt\r\nContent-Type: text/html; charset=utf-8\r\n"
				  "Content-Transfer-Encoding: quoted-printable\r\n\r\n"
				  "<html><head><style>p{color:red}</style></head><body>\r\n");
	for (int i = 0; rc == BUF_OK && i < 70; i++)
		rc = buf_printf(&b,
				"<p class=3D\"x\">Line %d: caf=C3=A9 &amp; cr=C3=A8me <a href=3D"
				"\"https://shop.example.com/item/%d?utm=3Dmail\">see item %d</a>"
				"</p>\r\n",
				i, i, i);
	if (rc == BUF_OK)
		rc =
		    buf_adds(&b, "</body></html>\r\n--alt--\r\n--mix\r\nContent-Type: "
				 "application/pdf; name=\"terms.pdf\"\r\nContent-Disposition: "
				 "attachment; filename=\"terms.pdf\"\r\nContent-Transfer-Encoding: "
				 "base64\r\n\r\n");
	for (int i = 0; rc == BUF_OK && i < 30; i++)
		rc = buf_adds(
		    &b, "JVBERi0xLjQKJcfsj6IKNSAwIG9iago8PC9MZW5ndGggNiAwIFIvRmlsdGVyIC9G\r\n");
	if (rc == BUF_OK)
		rc = buf_adds(&b, "--mix--\r\n");
	m->len = b.len;
	m->data = buf_steal(&b);
	return rc == BUF_OK ? 0 : -1;
}

/* slurp - a whole file */
static int slurp(const char *path, struct msg *m)
{
	FILE *f = fopen(path, "rb");
	if (f == NULL)
		return -1;
	struct buf b;
	buf_init(&b, 0);
	char chunk[65536];
	size_t n;
	int rc = BUF_OK;
	while (rc == BUF_OK && (n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		rc = buf_add(&b, chunk, n);
	fclose(f);
	if (rc != BUF_OK) {
		buf_free(&b);
		return -1;
	}
	m->len = b.len;
	m->data = b.data ? buf_steal(&b) : calloc(1, 1);
	return m->data ? 0 : -1;
}

/* peer_leaf - decode one leaf to a null stream */
static void peer_leaf(GMimeObject *parent, GMimeObject *part, gpointer data)
{
	if (!GMIME_IS_PART(part))
		return;
	GMimeDataWrapper *w = g_mime_part_get_content(GMIME_PART(part));
	if (w == NULL)
		return;
	GMimeStream *null = g_mime_stream_null_new();
	g_mime_data_wrapper_write_to_stream(w, null);
	g_object_unref(null);
}

/* peer - GMime's parser on one message */
static void peer(const struct msg *m)
{
	GMimeStream *s = g_mime_stream_mem_new_with_buffer(m->data, m->len);
	GMimeParser *p = g_mime_parser_new_with_stream(s);
	GMimeMessage *msg = g_mime_parser_construct_message(p, NULL);
	if (msg) {
		g_mime_message_foreach(msg, peer_leaf, NULL);
		g_object_unref(msg);
	}
	g_object_unref(p);
	g_object_unref(s);
}

/* ours - mime_analyze on one message */
static void ours(const struct msg *m, const struct mime_opts *o)
{
	struct mime_result r;
	if (mime_analyze(m->data, m->len, o, &r) == 0)
		mime_result_free(&r);
}

/* run - both (only ours when alone), rounds times over the set; prints one line */
static void run(const char *label, const struct msg *set, size_t n, int rounds, int alone)
{
	struct mime_opts o;
	mime_opts_default(&o);
	size_t bytes = 0;
	for (size_t i = 0; i < n; i++)
		bytes += set[i].len;
	double t0 = cpu_us();
	for (int k = 0; k < rounds; k++)
		for (size_t i = 0; i < n; i++)
			ours(&set[i], &o);
	double t1 = cpu_us();
	for (int k = 0; k < rounds && !alone; k++)
		for (size_t i = 0; i < n; i++)
			peer(&set[i]);
	double t2 = cpu_us();
	double per = (double)rounds * (double)n;
	printf("%-28s %5zu msgs %8.1f KB avg   mime_analyze %8.1f us/msg", label, n,
	       (double)bytes / (double)n / 1024.0, (t1 - t0) / per);
	if (!alone)
		printf("   GMime parser %8.1f us/msg", (t2 - t1) / per);
	printf("\n");
}

int main(int argc, char **argv)
{
	int rounds = 200, i = 1, alone = 0;
	const char *label = "files given";
	for (; i < argc && argv[i][0] == '-'; i++)
		if (strcmp(argv[i], "-o") == 0)
			alone = 1; /* no peer: for profilers */
		else if (i + 1 < argc && strcmp(argv[i], "-n") == 0)
			rounds = (int)strtol(argv[++i], NULL, 10);
		else if (i + 1 < argc && strcmp(argv[i], "-l") == 0)
			label = argv[++i];
	if (rounds < 1)
		rounds = 1;
	mime_init();
	struct msg one;
	if (typical(&one) < 0)
		return 1;
	run("generated 20 KB multipart", &one, 1, rounds * 20, alone);
	size_t n = 0;
	struct msg *set = calloc((size_t)argc + 1, sizeof(*set));
	for (; set && i < argc; i++)
		if (slurp(argv[i], &set[n]) == 0)
			n++;
	if (n)
		run(label, set, n, rounds, alone);
	for (size_t k = 0; k < n; k++)
		free(set[k].data);
	free(set);
	free(one.data);
	return 0;
}
