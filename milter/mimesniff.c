/*
 * mimesniff.c - a part's type from its first bytes.
 *
 * SYNOPSIS
 *	mime_sniff(data, len)    "application/x-dosexec", "application/pdf", ... or NULL
 *
 * DESCRIPTION
 *	A table of magic numbers for what matters in mail: executables (PE,
 *	ELF, Mach-O, scripts, Windows shortcuts), archives (zip, rar, 7z,
 *	gzip, bzip2, xz, cab), documents (PDF, OLE2 as used by old Office
 *	files, RTF, HTML) and common images. Names are libmagic's
 *	(`file --mime-type`), so that rules can be written with its vocabulary.
 *	Archives are not opened: an .exe inside a zip is a zip.
 *	This is a hand-written table, not libmagic: libmagic's database is
 *	large, slow to load per thread and parses far more than mail needs;
 *	the table only compares fixed bytes at fixed offsets within len.
 *
 * THREAD SAFETY
 *	The table is constant.
 */
#include "config.h"

#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "mimeint.h"

struct magic {
	size_t off;       /* where the bytes are */
	const char *m;    /* borrowed: the bytes */
	size_t n;         /* how many */
	const char *type; /* borrowed: the type they mean */
};

#define M(off, s, type)                                                                            \
	{                                                                                          \
		off, s, sizeof(s) - 1, type                                                        \
	}
static const struct magic table[] = {
    M(0,
      "\x7f"
      "ELF",
      "application/x-executable"),
    M(0, "\xcf\xfa\xed\xfe", "application/x-mach-binary"),
    M(0, "\xce\xfa\xed\xfe", "application/x-mach-binary"),
    M(0, "\xca\xfe\xba\xbe", "application/x-mach-binary"),
    M(0, "L\0\0\0\x01\x14\x02\0", "application/x-ms-shortcut"),
    M(0, "%PDF-", "application/pdf"),
    M(0, "PK\x03\x04", "application/zip"),
    M(0, "PK\x05\x06", "application/zip"),
    M(0, "Rar!\x1a\x07", "application/x-rar"),
    M(0, "7z\xbc\xaf\x27\x1c", "application/x-7z-compressed"),
    M(0, "\x1f\x8b", "application/gzip"),
    M(0, "BZh", "application/x-bzip2"),
    M(0,
      "\xfd"
      "7zXZ\0",
      "application/x-xz"),
    M(0, "MSCF\0\0\0\0", "application/vnd.ms-cab-compressed"),
    M(0, "\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "application/x-ole-storage"),
    M(0, "{\\rtf", "text/rtf"),
    M(0, "\x89PNG\r\n\x1a\n", "image/png"),
    M(0, "\xff\xd8\xff", "image/jpeg"),
    M(0, "GIF87a", "image/gif"),
    M(0, "GIF89a", "image/gif"),
    M(0, "II*\0", "image/tiff"),
    M(0, "MM\0*", "image/tiff"),
    M(8, "WEBP", "image/webp"),
    M(0, "#!", "text/x-shellscript"),
};
#undef M

/* is_pe - a DOS "MZ" header: every Windows executable (PE) starts with one */
static int is_pe(const unsigned char *p, size_t len)
{
	return len >= 64 && p[0] == 'M' && p[1] == 'Z';
}

/* is_html - markup that opens an HTML document (after blanks) */
static int is_html(const unsigned char *p, size_t len)
{
	size_t i = 0;
	while (i < len && i < 256 && isspace(p[i]))
		i++;
	static const char *const starts[] = {"<!doctype html", "<html", "<head", "<body"};
	for (size_t k = 0; k < ARRAY_LEN(starts); k++) {
		size_t n = strlen(starts[k]);
		if (len - i >= n && strncasecmp((const char *)p + i, starts[k], n) == 0)
			return 1;
	}
	return 0;
}

/* mime_sniff - look up the first bytes */
const char *mime_sniff(const unsigned char *p, size_t len)
{
	if (is_pe(p, len))
		return "application/x-dosexec";
	for (size_t i = 0; i < ARRAY_LEN(table); i++)
		if (len >= table[i].off + table[i].n &&
		    memcmp(p + table[i].off, table[i].m, table[i].n) == 0 &&
		    (table[i].off != 8 || memcmp(p, "RIFF", 4) == 0))
			return table[i].type;
	if (is_html(p, len))
		return "text/html";
	return NULL;
}
