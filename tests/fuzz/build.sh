#!/bin/sh
# build.sh [OUTDIR] - build the libFuzzer targets with clang (ASan+UBSan).
# Needs clang and libclang-rt-14-dev; a configured tree for config.h.
# Run one:  OUTDIR/msgfile_fuzz -max_total_time=60 OUTDIR/corpus-msgfile
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
out=${1:-$top/_fuzz}
mkdir -p "$out"
cfgdir=$top
[ -f "$cfgdir/config.h" ] || cfgdir=$top/_build
[ -f "$cfgdir/config.h" ] || { echo "build.sh: configure the tree first" >&2; exit 1; }
lib="milter/log.c milter/buf.c milter/errlist.c milter/conf.c milter/generation.c
	milter/spool.c milter/message.c milter/findings.c milter/verdict.c
	milter/session.c milter/scan.c milter/msgfile.c milter/json.c policy/policy.c"
flags="-g -O1 -fsanitize=fuzzer,address,undefined -I$cfgdir -I$top/milter -I$top/policy"
for t in msgfile conf; do
	# shellcheck disable=SC2086
	(cd "$top" && clang $flags -o "$out/${t}_fuzz" tests/fuzz/${t}_fuzz.c $lib -lpthread)
	echo "built $out/${t}_fuzz"
done
