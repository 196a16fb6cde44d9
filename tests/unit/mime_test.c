/*
 * mime_test.c - the MIME analysis: charsets, RFC 2047/2231 names, HTML text and links,
 * URL normalisation, type sniffing, structure, limits on hostile input.
 *
 * OUTPUT
 *	TAP on stdout (see tap.h).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "mime.h"
#include "mimeint.h"
#include "tap.h"

/* analyze - run the analysis on a C string with default limits (o may be NULL) */
static int analyze(const char *msg, const struct mime_opts *o, struct mime_result *r)
{
	struct mime_opts d;
	mime_opts_default(&d);
	return mime_analyze(msg, strlen(msg), o ? o : &d, r);
}

/* has_note - is there a note called name (with value, unless NULL)? */
static int has_note(const struct mime_result *r, const char *name, const char *value)
{
	for (size_t i = 0; i < r->nnotes; i++)
		if (strcmp(r->notes[i].name, name) == 0 &&
		    (value == NULL || strcmp(r->notes[i].value, value) == 0))
			return 1;
	return 0;
}

/* has - is s one of the list's values? */
static int has(const struct mime_list *l, const char *s)
{
	return mime_list_has(l, s, strlen(s));
}

/* test_charsets - declared, missing, lying and unknown charsets to UTF-8 */
static void test_charsets(void)
{
	static const struct {
		const char *cs, *in, *out;
		int unknown;
	} t[] = {
	    {"utf-8", "caf\xc3\xa9", "caf\xc3\xa9", 0},
	    {NULL, "caf\xc3\xa9", "caf\xc3\xa9", 0},   /* undeclared, valid UTF-8 */
	    {NULL, "caf\xe9", "caf\xc3\xa9", 0},       /* undeclared, 8-bit: cp1252 */
	    {"us-ascii", "caf\xe9", "caf\xc3\xa9", 0}, /* a lying charset */
	    {"utf-8", "caf\xe9 \x80", "caf\xc3\xa9 \xe2\x82\xac", 0}, /* invalid UTF-8 */
	    {"iso-8859-1", "\xe9\x80", "\xc3\xa9\xe2\x82\xac", 0},
	    {"ISO-8859-2", "\xb1", "\xc4\x85", 0}, /* through iconv */
	    {"koi8-r", "\xf0\xd2", "\xd0\x9f\xd1\x80", 0},
	    {"latin2", "\xb1", "\xc4\x85", 0}, /* an alias (GMime's table) */
	    {"shift_jis", "\x82\xa0", "\xe3\x81\x82", 0},
	    {"x-no-such", "ok \xc3\xa9", "ok \xc3\xa9", 1}, /* unknown: read as UTF-8 */
	    {"utf-16le", "a\0b\0", "ab", 0},
	    {"shift_jis", "a\x82", "a\xef\xbf\xbd", 0}, /* cut short: U+FFFD */
	    /* glibc reads this name as UTF-8 and lets 0xF6... through: repaired */
	    {"utf-8\xff", "a\xf6\xbc\x90\x91z\xc3\xa9",
	     "a\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbdz\xc3\xa9", 0},
	};
	for (size_t i = 0; i < ARRAY_LEN(t); i++) {
		struct buf b;
		buf_init(&b, 0);
		int unknown = -1;
		size_t len = strcmp(t[i].cs ? t[i].cs : "", "utf-16le") == 0 ? 4 : strlen(t[i].in);
		int rc = mime_utf8(t[i].cs, t[i].in, len, &b, &unknown);
		if (!ok(rc == 0 && unknown == t[i].unknown && b.data &&
			    strcmp(b.data, t[i].out) == 0 && mime_utf8_valid(b.data, b.len),
			"charset %s: \"%s\"", t[i].cs ? t[i].cs : "(none)", t[i].in))
			diag("got \"%s\" unknown=%d", b.data ? b.data : "(null)", unknown);
		buf_free(&b);
	}
	struct buf b;
	buf_init(&b, 4);
	int unknown;
	ok(mime_utf8("iso-8859-1", "\xe9\xe9\xe9", 3, &b, &unknown) == 0 && b.len == 4,
	   "output stops at the buffer's cap, whole characters only");
	buf_free(&b);
}

/* test_names - attachment names in RFC 2231 and RFC 2047 forms */
static void test_names(void)
{
	static const struct {
		const char *hdrs, *name;
	} t[] = {
	    {"Content-Disposition: attachment; filename*=ISO-8859-1''caf%E9.txt",
	     "caf\xc3\xa9.txt"},
	    {"Content-Disposition: attachment; filename*=utf-8''%F0%9F%98%80.exe",
	     "\xf0\x9f\x98\x80.exe"},
	    {"Content-Disposition: attachment;\r\n filename*0*=utf-8''a%C3%A9;\r\n"
	     " filename*1=\"b.doc\"",
	     "a\xc3\xa9"
	     "b.doc"},
	    {"Content-Disposition: attachment; filename=\"=?utf-8?B?w6kuemlw?=\"", "\xc3\xa9.zip"},
	    {"Content-Type: application/octet-stream; name=\"=?iso-8859-1?Q?r=E9sum=E9.pdf?=\"",
	     "r\xc3\xa9sum\xc3\xa9.pdf"},
	    {"Content-Type: application/octet-stream; name=plain.bin", "plain.bin"},
	};
	for (size_t i = 0; i < ARRAY_LEN(t); i++) {
		char msg[1024];
		snprintf(msg, sizeof(msg),
			 "Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n"
			 "%s\r\n\r\nxyz\r\n--b--\r\n",
			 t[i].hdrs);
		struct mime_result r;
		int rc = analyze(msg, NULL, &r);
		if (!ok(rc == 0 && r.nparts == 2 && r.parts[1].filename &&
			    strcmp(r.parts[1].filename, t[i].name) == 0 &&
			    has(&r.att_name, t[i].name),
			"file name %s", t[i].name))
			diag("got %s", rc == 0 && r.nparts == 2 && r.parts[1].filename
					   ? r.parts[1].filename
					   : "(none)");
		if (rc == 0)
			mime_result_free(&r);
	}
}

/* html - mime_html on s: the visible text, with r kept for the links */
static char *html(const char *s, struct mime_result *r)
{
	memset(r, 0, sizeof(*r));
	struct buf b;
	buf_init(&b, 0);
	if (mime_html(r, 100, s, strlen(s), &b) < 0)
		return NULL;
	return buf_steal(&b);
}

/* test_html - visible text, entities, hidden elements, links, a shown domain */
static void test_html(void)
{
	static const struct {
		const char *in, *text;
	} t[] = {
	    {"<p>Hello <b>world</b></p>", "Hello world"},
	    {"caf&eacute; &amp; &#x263A; &lt;x&gt;", "caf\xc3\xa9 & \xe2\x98\xba <x>"},
	    {"<html><head><title>T</title><style>p{}</style></head><body>seen</body></html>",
	     "seen"},
	    {"a<script>hidden()</script>b", "ab"},
	    {"one<br>two<div>three</div>", "one\ntwo\nthree"},
	    {"<P>Up<BR>per<SCRIPT>x</SCRIPT></P>", "Up\nper"}, /* names come lower-cased */
	    {"  lots   of\n\n blanks  ", "lots of blanks"},
	    {"<p>unclosed <b>tags <i>everywhere", "unclosed tags everywhere"},
	    {"<meta charset=\"iso-8859-1\"><p>caf\xc3\xa9</p>", "caf\xc3\xa9"}, /* stays UTF-8 */
	    {"&amp &lt;b&gt; &copy 2020 &foo; &#65 &#128; &#0;",
	     "& <b> \xc2\xa9 2020 &foo; A \xe2\x82\xac \xef\xbf\xbd"}, /* as browsers read them */
	    {"<script>document.write(\"</div>\")</script>after", "after"}, /* raw text */
	    {"<head><title>T</title>shown<p>too</p>", "shown\ntoo"},       /* text ends a head */
	    {"<div><noscript>hidden</div>shown", "shown"}, /* </div> closes what is in it */
	    {"a < b <!-- <p>gone --> c <!DOCTYPE html><?pi?>d", "a < b c d"},
	    {"<title/>self-closed <style/>too", "self-closed too"},
	    {"<p>cut <a href=\"http://x.example/", "cut"},
	};
	for (size_t i = 0; i < ARRAY_LEN(t); i++) {
		struct mime_result r;
		char *got = html(t[i].in, &r);
		is_str(got, t[i].text, "html text of %s", t[i].in);
		free(got);
		mime_result_free(&r);
	}
	struct mime_result r;
	char *got =
	    html("<a href=\"https://Evil.example.net/login\">https://www.bank.example.com/"
		 "</a> <img src='http://img.example.org/a.gif'> <a href=\"http://x.example.org/"
		 "\">click here</a><form action=\"https://post.example/\"></form>",
		 &r);
	ok(got && has(&r.urls, "https://evil.example.net/login") &&
	       has(&r.urls, "http://img.example.org/a.gif") &&
	       has(&r.urls, "http://x.example.org/") && has(&r.urls, "https://post.example/") &&
	       has(&r.domains, "example.net"),
	   "href, src and action are links");
	ok(has_note(&r, "mime.link_mismatch", "example.com -> example.net") && r.nnotes == 1,
	   "a link showing another domain is noted, 'click here' is not");
	free(got);
	mime_result_free(&r);
	got = html("<a href=\"https://www.example.com/x\">www.example.com</a>", &r);
	ok(got && r.nnotes == 0, "a link showing its own domain is no mismatch");
	free(got);
	mime_result_free(&r);
}

/* test_urls - normalisation and registrable domains */
static void test_urls(void)
{
	static const struct {
		const char *in, *url, *domain; /* url NULL: not a URL we keep */
	} t[] = {
	    {"HTTP://Example.COM", "http://example.com/", "example.com"},
	    {"https://a.b.example.co.uk:443/x?y#frag", "https://a.b.example.co.uk/x?y",
	     "example.co.uk"},
	    {"http://example.com:8080/%7Euser/%2f%zz", "http://example.com:8080/~user/%2F%zz",
	     "example.com"},
	    {"http://user:pw@bank.example.com@evil.example.net/", "http://evil.example.net/",
	     "example.net"},
	    {"http://b\xc3\xbc"
	     "cher.example/",
	     "http://xn--bcher-kva.example/", "xn--bcher-kva.example"},
	    {"http://%65vil.example.org/", "http://evil.example.org/", "example.org"},
	    {"www.Example.org/path", "http://www.example.org/path", "example.org"},
	    {"http:\\\\example.com\\a", "http://example.com/a", "example.com"},
	    {" http://exa\tmple.com/a b ", "http://example.com/a%20b", "example.com"},
	    {"http://192.0.2.1/x", "http://192.0.2.1/x", "192.0.2.1"},
	    {"http://example.com./", "http://example.com/", "example.com"},
	    {"http://foo.blogspot.com/", "http://foo.blogspot.com/", "foo.blogspot.com"},
	    {"mailto:someone@example.com", NULL, NULL},
	    {"javascript:alert(1)", NULL, NULL},
	    {"http://exa mple.com/", NULL, NULL},
	    {"http://example.com:99999/", NULL, NULL},
	    {"http:///", NULL, NULL},
	};
	for (size_t i = 0; i < ARRAY_LEN(t); i++) {
		struct buf u, h, d;
		buf_init(&u, 0);
		buf_init(&h, 0);
		buf_init(&d, 0);
		int rc = mime_url_norm(t[i].in, strlen(t[i].in), &u, &h);
		if (t[i].url == NULL) {
			is_int(rc, 0, "not a URL: %s", t[i].in);
		} else {
			is_str(rc == 1 ? u.data : NULL, t[i].url, "normalised %s", t[i].in);
			is_str(rc == 1 && mime_url_domain(h.data, &d) == 0 ? d.data : NULL,
			       t[i].domain, "domain of %s", t[i].in);
		}
		buf_free(&u);
		buf_free(&h);
		buf_free(&d);
	}
	struct mime_result r;
	memset(&r, 0, sizeof(r));
	const char *text = "see http://a.example.com/x. or (https://b.example.com/y) and"
			   " www.c.example.com, not xhttp://d.example.com nor awww.e.example.com;"
			   " ftp://f.example.com/file!";
	if (!ok(mime_url_scan(&r, 100, text, strlen(text)) == 0 && r.urls.n == 4 &&
		    has(&r.urls, "http://a.example.com/x") &&
		    has(&r.urls, "https://b.example.com/y") &&
		    has(&r.urls, "http://www.c.example.com/") &&
		    has(&r.urls, "ftp://f.example.com/file"),
		"bare URLs in text, trailing punctuation dropped"))
		diag("%zu URLs", r.urls.n);
	mime_result_free(&r);
	memset(&r, 0, sizeof(r));
	struct buf many;
	buf_init(&many, 0);
	for (int i = 0; i < 50; i++)
		if (buf_printf(&many, "http://h%d.example.com/ ", i) != BUF_OK)
			break;
	ok(mime_url_scan(&r, 10, many.data, many.len) == 0 && r.urls.n == 10 &&
	       has_note(&r, "mime.urls_exceeded", "10"),
	   "urls_max URLs are kept, then a note");
	buf_free(&many);
	mime_result_free(&r);
}

/* test_lists - values kept once through the hash index, in order, within max */
static void test_lists(void)
{
	struct mime_list l;
	memset(&l, 0, sizeof(l));
	char v[32];
	int bad = 0;
	for (int round = 0; round < 2; round++) /* the second round finds them all there */
		for (int i = 0; i < 300; i++) {
			int n = snprintf(v, sizeof(v), "value-%d", i);
			int rc = mime_list_add_unique(&l, v, (size_t)n, 250);
			bad += rc != (round == 0 && i < 250 ? 1 : i < 250 ? 2 : 0);
		}
	ok(bad == 0 && l.n == 250 && strcmp(l.v[0], "value-0") == 0 &&
	       strcmp(l.v[249], "value-249") == 0 && has(&l, "value-100") && !has(&l, "value-260"),
	   "add_unique: 1 added, 2 there already, 0 full; order kept");
	ok(mime_list_add_unique(&l, "", 0, 251) == 1 && mime_list_add_unique(&l, "", 0, 251) == 2,
	   "add_unique: the empty value is a value");
	mime_list_free(&l);
	for (int i = 0; i < 20; i++) /* a plain list with duplicates, then an index on it */
		if (mime_list_add(&l, i % 2 ? "odd" : "even", i % 2 ? 3 : 4, 100) != 1)
			bad++;
	ok(bad == 0 && mime_list_add_unique(&l, "odd", 3, 100) == 2 &&
	       mime_list_add_unique(&l, "new", 3, 100) == 1 && l.n == 21 &&
	       mime_list_add(&l, "new", 3, 100) == 1 && l.n == 22 && has(&l, "even"),
	   "an index over a list that has duplicates already");
	mime_list_free(&l);
}

/* test_fields - the plain forms of Content-Type and Content-Disposition read without
 * GMime; the others left to it, unchanged */
static void test_fields(void)
{
	static const struct {
		const char *in;
		int sub;
		const char *want; /* "type/sub|name=value|...", or NULL: left to GMime */
	} t[] = {
	    {" text/plain; charset=utf-8", 1, "text/plain|charset=utf-8"},
	    {"Text/HTML;charset=\"UTF-8\"", 1, "Text/HTML|charset=UTF-8"},
	    {"multipart/mixed; boundary=\"a b;c\";\tx=1 ;", 1,
	     "multipart/mixed|boundary=a b;c|x=1"},
	    {"attachment; filename=\"x y.pdf\"", 0, "attachment|filename=x y.pdf"},
	    {" inline", 0, "inline"},
	    {"text/plain", 0, NULL},                         /* a disposition is one token */
	    {"text", 1, NULL},                               /* no subtype */
	    {"text /plain", 1, NULL},                        /* blanks around '/' */
	    {"text/plain; charset = x", 1, NULL},            /* blanks around '=' */
	    {"text/plain; a=1; A=2", 1, NULL},               /* a name twice */
	    {"text/plain; name*=utf-8''x", 1, NULL},         /* RFC 2231 */
	    {"text/plain; name=\"=?utf-8?q?x?=\"", 1, NULL}, /* RFC 2047 */
	    {"text/plain; name=\"a\\\"b\"", 1, NULL},        /* a quoted pair */
	    {"text/plain (comment)", 1, NULL},
	    {"text/plain; name=caf\xc3\xa9", 1, NULL}, /* 8-bit */
	    {"text/plain; name=", 1, NULL},
	    {"text/plain; x=1; x2=2; x3=3; x4=4; x5=5; x6=6; x7=7; x8=8; x9=9", 1, NULL},
	};
	for (size_t i = 0; i < ARRAY_LEN(t); i++) {
		char s[256], got[256];
		snprintf(s, sizeof(s), "%s", t[i].in);
		struct mime_field f;
		int rc = mime_field_parse(s, t[i].sub, &f);
		size_t k = 0;
		if (rc) {
			k += (size_t)snprintf(got, sizeof(got), "%s%s%s", f.type, f.sub ? "/" : "",
					      f.sub ? f.sub : "");
			for (size_t j = 0; j < f.n && k < sizeof(got); j++)
				k += (size_t)snprintf(got + k, sizeof(got) - k, "|%s=%s", f.name[j],
						      f.value[j]);
		}
		if (!ok(t[i].want ? rc == 1 && strcmp(got, t[i].want) == 0
				  : rc == 0 && strcmp(s, t[i].in) == 0,
			"field \"%s\"", t[i].in))
			diag("got %s", rc ? got : "(left to GMime)");
	}
	char s[] = "text/plain; CharSet=x";
	struct mime_field f;
	ok(mime_field_parse(s, 1, &f) == 1 && mime_field_param(&f, "charset") != NULL &&
	       strcmp(mime_field_param(&f, "charset"), "x") == 0 &&
	       mime_field_param(&f, "name") == NULL,
	   "field parameters are found in any case");
}

/* test_sniff - types from the first bytes */
static void test_sniff(void)
{
	unsigned char pe[128] = "MZ\x90";
	static const struct {
		const char *bytes;
		size_t len;
		const char *type;
	} t[] = {
	    {"%PDF-1.7\n", 9, "application/pdf"},
	    {"PK\x03\x04\x14\0", 6, "application/zip"},
	    {"\x7f"
	     "ELF\x02\x01",
	     6, "application/x-executable"},
	    {"\x89PNG\r\n\x1a\n\0", 9, "image/png"},
	    {"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", 8, "application/x-ole-storage"},
	    {"Rar!\x1a\x07\x01", 7, "application/x-rar"},
	    {"RIFF\0\0\0\0WEBPVP8", 15, "image/webp"},
	    {"RIFF\0\0\0\0WAVE", 12, NULL},
	    {"  <!DOCTYPE html><html>", 23, "text/html"},
	    {"just text", 9, NULL},
	    {"", 0, NULL},
	    {"MZ", 2, NULL}, /* too short to be an executable */
	};
	is_str(mime_sniff(pe, sizeof(pe)), "application/x-dosexec", "sniff: a PE executable");
	for (size_t i = 0; i < ARRAY_LEN(t); i++)
		is_str(mime_sniff((const unsigned char *)t[i].bytes, t[i].len), t[i].type,
		       "sniff #%zu: %s", i, t[i].type ? t[i].type : "nothing");
}

/* test_structure - decoding, text targets, attachments, oddities */
static void test_structure(void)
{
	struct mime_result r;
	const char *m1 =
	    "Subject: x\r\nContent-Type: multipart/mixed; boundary=\"=_b\"\r\n\r\n"
	    "preamble\r\n--=_b\r\nContent-Type: text/plain; charset=iso-8859-1\r\n"
	    "Content-Transfer-Encoding: quoted-printable\r\n\r\ncaf=E9 soft=\r\nbreak\r\n"
	    "--=_b\r\nContent-Type: text/plain\r\nContent-Transfer-Encoding: base64\r\n\r\n"
	    "aGlkZGVuIHBocmFzZQ==\r\n--=_b\r\nContent-Type: message/rfc822\r\n\r\n"
	    "Subject: inner\r\n\r\ninner text\r\n--=_b--\r\nepilogue\r\n";
	ok(analyze(m1, NULL, &r) == 0 && r.nparts == 5 && r.parts[0].kind == MIME_MULTIPART &&
	       r.parts[3].kind == MIME_MESSAGE && strcmp(r.parts[4].path, "1.3.1") == 0 &&
	       r.parts[4].depth == 2,
	   "part tree: multipart, leaves, an enclosed message");
	if (!ok(r.text.n == 3 && strcmp(r.text.v[0], "caf\xc3\xa9 softbreak") == 0 &&
		    strcmp(r.text.v[1], "hidden phrase") == 0 &&
		    strcmp(r.text.v[2], "inner text") == 0,
		"body values: QP and base64 decoded, converted to UTF-8"))
		diag("%zu texts: %s", r.text.n, r.text.n ? r.text.v[0] : "");
	if (!ok(r.nnotes == 0, "a well-formed message has no oddities"))
		diag("%s %s", r.notes[0].name, r.notes[0].value);
	mime_result_free(&r);

	const char *m2 =
	    "Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n"
	    "Content-Type: text/plain\r\nContent-Transfer-Encoding: base64\r\n\r\n"
	    "aGVsbG8*\r\n--b\r\nContent-Type: text/plain; charset=klingon\r\n\r\nx\r\n";
	ok(analyze(m2, NULL, &r) == 0 && has_note(&r, "mime.bad_base64", "1.1") &&
	       has_note(&r, "mime.charset_unknown", "1.2 klingon") &&
	       has_note(&r, "mime.boundary_unterminated", "1"),
	   "oddities: bad base64, unknown charset, no close delimiter");
	mime_result_free(&r);
	ok(analyze("Content-Type: multipart/mixed; boundary=b\r\n\r\nno delimiter\r\n", NULL, &r) ==
		   0 &&
	       has_note(&r, "mime.boundary_missing", "1"),
	   "oddity: a boundary that never comes");
	mime_result_free(&r);
	ok(analyze("Content-Type: multipart/mixed\r\n\r\ntext\r\n", NULL, &r) == 0 &&
	       has_note(&r, "mime.boundary_missing", "1") && r.text.n == 0,
	   "oddity: a multipart without boundary");
	mime_result_free(&r);
	ok(analyze("Content-Type: text/html\r\n\r\n<p>only html</p>", NULL, &r) == 0 &&
	       has_note(&r, "mime.html_only", "yes") && r.text.n == 1 &&
	       strcmp(r.text.v[0], "only html") == 0,
	   "oddity: an HTML-only message; its text is the visible text");
	mime_result_free(&r);
	ok(analyze("", NULL, &r) == 0 && r.nparts == 1, "an empty message is one empty part");
	mime_result_free(&r);
}

/* nested - a message nested n deep (multipart in multipart ...) */
static char *nested(unsigned n)
{
	struct buf b;
	buf_init(&b, 0);
	for (unsigned i = 0; i < n; i++)
		if (buf_printf(&b, "Content-Type: multipart/mixed; boundary=b%u\r\n\r\n--b%u\r\n",
			       i, i) != BUF_OK)
			return NULL;
	if (buf_adds(&b, "Content-Type: text/plain\r\n\r\ndeep\r\n") != BUF_OK)
		return NULL;
	return buf_steal(&b);
}

/* test_limits - depth, parts, bytes, header line: each a note, the rest analysed */
static void test_limits(void)
{
	struct mime_opts o;
	mime_opts_default(&o);
	struct mime_result r;
	char *m = nested(50);
	if (!ok(m && analyze(m, NULL, &r) == 0 && has_note(&r, "mime.depth_exceeded", NULL) &&
		    r.nparts == 21,
		"nesting past depth_max is not walked"))
		diag("%zu parts", r.nparts);
	mime_result_free(&r);
	free(m);
	m = nested(100000); /* deeper than any stack would take, were it walked */
	ok(m && analyze(m, NULL, &r) == 0 && has_note(&r, "mime.depth_exceeded", NULL),
	   "100000 levels of nesting: bounded");
	mime_result_free(&r);
	free(m);

	struct buf b;
	buf_init(&b, 0);
	int rc = buf_adds(&b, "Content-Type: multipart/mixed; boundary=b\r\n\r\n");
	for (int i = 0; rc == BUF_OK && i < 1000000; i++)
		rc = buf_adds(&b, "--b\r\n\r\nx\r\n");
	ok(rc == BUF_OK && mime_analyze(b.data, b.len, &o, &r) == 0 && r.nparts == o.parts_max &&
	       has_note(&r, "mime.parts_exceeded", "1000"),
	   "a million tiny parts: parts_max walked, then a note");
	mime_result_free(&r);
	buf_free(&b);

	buf_init(&b, 0);
	rc = buf_adds(&b, "Content-Type: text/plain;\r\n x-pad=\"");
	char pad[1024];
	memset(pad, 'x', sizeof(pad));
	for (int i = 0; rc == BUF_OK && i < 10 * 1024; i++)
		rc = buf_add(&b, pad, sizeof(pad));
	if (rc == BUF_OK)
		rc = buf_adds(&b, "\"\r\n\r\nbody after a 10 MB header line\r\n");
	ok(rc == BUF_OK && mime_analyze(b.data, b.len, &o, &r) == 0 &&
	       has_note(&r, "mime.header_too_long", "1") && r.text.n == 1 &&
	       strcmp(r.text.v[0], "body after a 10 MB header line\r\n") == 0,
	   "a 10 MB header line: noted, cut, the body still read");
	mime_result_free(&r);
	buf_free(&b);

	o.part_bytes_max = 10;
	ok(analyze("Content-Transfer-Encoding: base64\r\n\r\naGVsbG8gd29ybGQsIGhlbGxvIQ==\r\n", &o,
		   &r) == 0 &&
	       r.parts[0].size == 10 && has_note(&r, "mime.part_truncated", "1") &&
	       strcmp(r.text.v[0], "hello worl") == 0,
	   "part_bytes_max: decoding stops, a note");
	mime_result_free(&r);
	mime_opts_default(&o);
	o.total_bytes_max = 8;
	ok(analyze("Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n\r\n12345\r\n--b\r\n"
		   "\r\n67890\r\n--b\r\n\r\nabc\r\n--b--\r\n",
		   &o, &r) == 0 &&
	       has_note(&r, "mime.bytes_exceeded", NULL) && r.decoded <= 8,
	   "total_bytes_max: the message's decoded bytes are bounded");
	mime_result_free(&r);
}

int main(void)
{
	mime_init(); /* mime_analyze does it; the tests call the parts directly */
	test_charsets();
	test_names();
	test_html();
	test_urls();
	test_lists();
	test_fields();
	test_sniff();
	test_structure();
	test_limits();
	return done_testing();
}
