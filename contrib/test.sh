#!/bin/sh
# test.sh - install what is needed, build, and run the whole test suite:
# unit tests, the CLI test, the source check, the end-to-end test bed (real
# Postfix, Sendmail and DNS in a private network namespace), then the unit
# tests again in an ASan+UBSan build. Run as root on Debian 12.
# Ends with one line "N passed, N failed"; exits non-zero on any failure.
set -u
cd "$(dirname "$0")/.."
top=$(pwd)
jobs=$(nproc 2>/dev/null || echo 2)

sh contrib/install-deps.sh --test || { echo "test.sh: installing dependencies failed" >&2; exit 1; }
autoreconf -fi || exit 1

status=0
mkdir -p _build _build-san
(cd _build && "$top/configure" -q && make -j"$jobs" && make -j"$jobs" check) || status=1
(cd _build-san && "$top/configure" -q --enable-sanitizers && make -j"$jobs" &&
	make -j"$jobs" check-unit) || status=1

# every test point of every TAP script, from automake's .trs files
pass=0 fail=0 skip=0 known=0
for trs in $(find _build _build-san -name '*.trs'); do
	p=$(grep -c '^:test-result: PASS' "$trs")
	k=$(grep -c '^:test-result: XFAIL' "$trs")
	f=$(grep -c '^:test-result: \(FAIL\|XPASS\|ERROR\)' "$trs")
	s=$(grep -c '^:test-result: SKIP' "$trs")
	pass=$((pass + p)) fail=$((fail + f)) skip=$((skip + s)) known=$((known + k))
	if [ "$f" -gt 0 ]; then
		log=${trs%.trs}.log
		echo "---- $log"
		grep -E '^(not ok|# |Bail out)' "$log" | head -40
	fi
done
[ "$pass" -gt 0 ] || status=1
[ "$fail" -eq 0 ] || status=1
[ "$known" -eq 0 ] ||
	echo "$known known failures (TODO in the TAP output, each with its cause: tests/data/spf/known-failures.txt, tests/data/mime/mime4j-known.txt, tests/data/dkim/known-*.txt)"
echo "$pass passed, $fail failed, $skip skipped"
exit $status
