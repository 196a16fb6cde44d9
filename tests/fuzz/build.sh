#!/bin/sh
# build.sh [OUTDIR [TARGET...]] - build the libFuzzer targets (all, or those named:
# mime decode ...) with clang (ASan+UBSan).
# Needs clang and libclang-rt-14-dev, and a configured tree (config.h in the
# source or in _build). Every library module (libportcullis_a_SOURCES in
# Makefile.am) is compiled with the fuzzer's instrumentation.
# Run one:  OUTDIR/rules_fuzz -max_total_time=60 OUTDIR/corpus-rules
# (html_fuzz: the HTML tokenizer; mime_fuzz: mime_analyze as a whole; decode_fuzz:
# the transfer decoders against GMime's; field_fuzz: Content-Type and -Disposition
# values against GMime's parsers; dkim_fuzz: the DKIM tag lists, key records,
# canonicalizations and a message through the verifier)
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
out=${1:-$top/_fuzz}
[ $# -gt 0 ] && shift
targets=${*:-msgfile conf rules policy html mime decode field dkim}
mkdir -p "$out"
cfgdir=$top
[ -f "$cfgdir/config.h" ] || cfgdir=$top/_build
[ -f "$cfgdir/config.h" ] || { echo "build.sh: configure the tree first" >&2; exit 1; }
# the library's .c files, as Makefile.am lists them
srcs=$(sed -n '/^libportcullis_a_SOURCES/,/^$/p' "$top/Makefile.am" |
	tr ' \t\\' '\n\n\n' | grep '\.c$')
# Hyperscan when the configured tree uses it (rules/prefilter.c)
hs=
grep -q '^#define HAVE_HYPERSCAN 1' "$cfgdir/config.h" && hs=libhs
flags="-g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined
	-I$cfgdir -I$top/milter -I$top/rules -I$top/policy
	$(pkg-config --cflags libpcre2-8 libunbound gmime-3.0 libpsl libidn2 sqlite3 libcrypto $hs)"
libs="$(pkg-config --libs libpcre2-8 libunbound gmime-3.0 libpsl libidn2 sqlite3 libcrypto $hs) -lopendmarc -lspf2 -lmilter -lpthread"
for t in $targets; do
	extra=
	[ "$t" = dkim ] && extra="tests/unit/nxdns.c -I$top/tests" # its resolver's NXDOMAIN server
	# shellcheck disable=SC2086
	(cd "$top" && clang $flags -o "$out/${t}_fuzz" "tests/fuzz/${t}_fuzz.c" $extra $srcs $libs)
	echo "built $out/${t}_fuzz"
done
