#!/bin/sh
# bench_smoke.sh - TAP smoke test of the benchmark harness itself (not of any timing):
# contrib/bench/milterload against contrib/bench/nullmilter and against portcullisd.
#
# Builds a small corpus in a private temporary directory (the messages of
# tests/data/mime with CRLF line ends, class "ham"), then checks that milterload
# runs it through the null milter (every message accepted, CPU accounted), through
# portcullisd on a unix socket (a verdict for every message, idle sessions held),
# and that it fails, with errors counted, against a filter that drops the
# connection (nullmilter -B) and one that answers a malformed reply (a few lines of
# python3; skipped without it). portcullisd gets DNS only from a closed port on
# loopback (a test never asks the machine's resolver) and SPF, iprev, DKIM and
# DMARC off. Every process started is stopped by its pid.
set -u

top=${abs_top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
build=${abs_top_builddir:-$top}
PORTCULLISD=${PORTCULLISD:-$build/portcullisd}
MILTERLOAD=$build/contrib/bench/milterload
NULLMILTER=$build/contrib/bench/nullmilter
tmp=$(mktemp -d "${TMPDIR:-/tmp}/bench_smoke.XXXXXX") || { echo "Bail out! mktemp failed"; exit 1; }
pids=""

# stop_all - TERM every process started here, then KILL what is left after 5 s
stop_all() {
	for p in $pids; do kill "$p" 2>/dev/null; done
	for _ in 1 2 3 4 5 6 7 8 9 10; do
		alive=""
		for p in $pids; do kill -0 "$p" 2>/dev/null && alive="$alive $p"; done
		[ -z "$alive" ] && break
		sleep 0.5
	done
	for p in $pids; do kill -9 "$p" 2>/dev/null; done
	pids=""
}
trap 'stop_all; rm -rf "$tmp"' EXIT
trap 'exit 1' HUP INT TERM

n=0
failed=0
pass() { n=$((n + 1)); echo "ok $n - $1"; }
fail() { n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - $1"; }
skip() { n=$((n + 1)); echo "ok $n # SKIP $1"; }
# check DESC COMMAND... - one test point from a command's status
check() {
	desc=$1
	shift
	if "$@"; then pass "$desc"; else fail "$desc"; fi
}
# show - the last run's status and output, as diagnostics
show() {
	echo "#   exit status $rc"
	sed -n '1,20s/^/#   stdout: /p' "$tmp/out"
	sed -n '1,10s/^/#   stderr: /p' "$tmp/err"
}
# run COMMAND... - run it; status in $rc, output in $tmp/out and $tmp/err
run() {
	"$@" >"$tmp/out" 2>"$tmp/err"
	rc=$?
}
# result KEY - the value of KEY in the RESULT line of $tmp/out
result() { sed -n 's/^RESULT //p' "$tmp/out" | tr ' ' '\n' | sed -n "s/^$1=//p"; }
# expect DESC KEY VALUE - the RESULT line has KEY=VALUE
expect() {
	if [ "$(result "$2")" = "$3" ]; then pass "$1"; else
		fail "$1 (want $2=$3)"
		show
	fi
}
# expect_ok DESC - the last run exited 0
expect_ok() {
	if [ $rc -eq 0 ]; then pass "$1"; else
		fail "$1"
		show
	fi
}
# start NAME SOCKET COMMAND... - run a filter in the background (output in
# $tmp/NAME.log, its pid in $started) and wait up to 10 s for its unix socket; 1 when
# it does not come
start() {
	name=$1 sock=$2
	shift 2
	"$@" >"$tmp/$name.log" 2>&1 &
	started=$!
	pids="$pids $started"
	for _ in $(seq 100); do
		[ -S "$sock" ] && return 0
		kill -0 "$started" 2>/dev/null || break
		sleep 0.1
	done
	sed 's/^/#   /' "$tmp/$name.log"
	return 1
}
# stop PID... - TERM them together and wait for each; the exit statuses in $rcs
stop() {
	for p in "$@"; do kill "$p" 2>/dev/null; done
	rcs=""
	for p in "$@"; do
		wait "$p"
		rcs="$rcs $?"
		pids=$(echo "$pids" | tr ' ' '\n' | grep -v "^$p\$" | tr '\n' ' ')
	done
}

for bin in "$MILTERLOAD" "$NULLMILTER" "$PORTCULLISD"; do
	[ -x "$bin" ] || { echo "Bail out! $bin is not built"; exit 1; }
done

# ---- the corpus: the format of contrib/bench/mkcorpus.py --------------------------
mkdir -p "$tmp/corpus/msg"
i=0
for f in "$top"/tests/data/mime/*.eml; do
	i=$((i + 1))
	awk '{ sub(/\r$/, ""); printf "%s\r\n", $0 }' "$f" >"$tmp/corpus/msg/$i.eml"
	printf 'msg/%d.eml\t192.0.2.%d\tunknown\thelo%d.example.test\tsender%d@example.test\t%s\tham\n' \
		$i $i $i $i "rcpt1@example.test,rcpt2@example.test" >>"$tmp/corpus/manifest.tsv"
done
[ $i -gt 0 ] || { echo "Bail out! no messages in tests/data/mime"; exit 1; }
ld="-t 10"

echo "1..18"

# ---- the null milter ----------------------------------------------------------------
check "nullmilter listens" start nullmilter "$tmp/null.sock" \
	"$NULLMILTER" -p "unix:$tmp/null.sock" -P "$tmp/null.pid"
null=$started
run "$MILTERLOAD" $ld -s "unix:$tmp/null.sock" -c 2 -n 10 -p "$null" "$tmp/corpus"
expect_ok "null milter: milterload exits 0"
expect "null milter: msgs=10" msgs 10
expect "null milter: accept=10" accept 10
expect "null milter: errors=0" errors 0
case $(result cpu_ms_per_msg) in
[0-9]*.[0-9]*) pass "null milter: cpu_ms_per_msg is a number" ;;
*) fail "null milter: cpu_ms_per_msg is a number" && show ;;
esac
if grep -q "^    ham " "$tmp/out"; then pass "null milter: the report has a row per class"; else
	fail "null milter: the report has a row per class"
	show
fi

# ---- portcullisd --------------------------------------------------------------------
mkdir -p "$tmp/spool"
cat >"$tmp/portcullis.conf" <<EOF
socket unix:$tmp/portcullisd.sock
pidfile $tmp/portcullisd.pid
log stderr
tmpdir $tmp/spool
rules_dir $top/rules/stock
policy_file $top/policy/policy.conf
dns_forwarders 127.0.0.1@1
dns_timeout 1s
spf no
iprev no
dkim no
dmarc no
quarantine_dir $tmp/quarantine
json_log $tmp/messages.json
EOF
check "portcullisd listens" start portcullisd "$tmp/portcullisd.sock" \
	"$PORTCULLISD" -f -c "$tmp/portcullis.conf"
pd=$started
run "$MILTERLOAD" $ld -s "unix:$tmp/portcullisd.sock" -c 2 -n 10 -p "$pd" "$tmp/corpus"
expect_ok "portcullisd: milterload exits 0"
expect "portcullisd: errors=0" errors 0
sum=0
for v in accept tag quarantine reject tempfail discard; do
	sum=$((sum + $(result $v)))
done
if [ "$sum" -eq 10 ] && [ "$(result msgs)" = 10 ]; then
	pass "portcullisd: a verdict for every message"
else
	fail "portcullisd: a verdict for every message (sum $sum)"
	show
fi
run "$MILTERLOAD" $ld -s "unix:$tmp/portcullisd.sock" --idle 20 -p "$pd" "$tmp/corpus"
if [ $rc -eq 0 ] && [ "$(result opened)" = 20 ] && [ "$(result errors)" = 0 ]; then
	pass "portcullisd: 20 idle sessions held and closed"
else
	fail "portcullisd: 20 idle sessions held and closed"
	show
fi
# a chain: the null milter, then portcullisd
run "$MILTERLOAD" $ld -s "unix:$tmp/null.sock" -s "unix:$tmp/portcullisd.sock" -n 5 \
	-p "$pd" -p "$null" "$tmp/corpus"
if [ $rc -eq 0 ] && [ "$(result filters)" = 2 ] && [ "$(result errors)" = 0 ]; then
	pass "a chain of two filters"
else
	fail "a chain of two filters"
	show
fi

# ---- broken filters are detected ----------------------------------------------------
start broken "$tmp/broken.sock" "$NULLMILTER" -B -p "unix:$tmp/broken.sock"
run "$MILTERLOAD" $ld -s "unix:$tmp/broken.sock" -c 2 -n 4 "$tmp/corpus"
if [ $rc -ne 0 ] && [ "$(result errors)" -gt 0 ] 2>/dev/null; then
	pass "a filter that drops the connection: non-zero exit, errors counted"
else
	fail "a filter that drops the connection: non-zero exit, errors counted"
	show
fi
if command -v python3 >/dev/null 2>&1; then
	# answers the negotiation, then "250" in a reply code to the connection
	start fake "$tmp/fake.sock" python3 -c '
import socket, struct, sys
s = socket.socket(socket.AF_UNIX)
s.bind(sys.argv[1])
s.listen(8)
def pkt(cmd, data=b""):
    return struct.pack(">I", len(data) + 1) + cmd + data
while True:
    c, _ = s.accept()
    f = c.makefile("rb")
    while True:
        h = f.read(4)
        if len(h) < 4:
            break
        body = f.read(struct.unpack(">I", h)[0])
        if body[:1] == b"O":
            c.sendall(pkt(b"O", struct.pack(">III", 6, 0, 0)))
        elif body[:1] == b"C":
            c.sendall(pkt(b"y", b"250 2.0.0 fine\0"))
    c.close()
' "$tmp/fake.sock"
	run "$MILTERLOAD" $ld -s "unix:$tmp/fake.sock" -n 2 "$tmp/corpus"
	if [ $rc -ne 0 ] && [ "$(result errors)" -gt 0 ] 2>/dev/null &&
		grep -q "malformed SMFIR_REPLYCODE" "$tmp/err"; then
		pass "a malformed reply: non-zero exit, errors counted, the reply named"
	else
		fail "a malformed reply: non-zero exit, errors counted, the reply named"
		show
	fi
else
	skip "no python3 for the fake filter"
fi
run "$MILTERLOAD" $ld -s "unix:$tmp/null.sock" -n 2 -p 999999999 "$tmp/corpus"
if [ $rc -ne 0 ]; then pass "a filter process (-p) that is not there: non-zero exit"; else
	fail "a filter process (-p) that is not there: non-zero exit"
	show
fi

# ---- the daemons stop cleanly (libmilter takes up to 5 s to notice) -----------------
others=$(echo "$pids" | tr ' ' '\n' | grep -v -e "^$null\$" -e "^$pd\$" | tr '\n' ' ')
stop "$null" "$pd" $others # the broken filters too: one wait for all
set -- $rcs
if [ "$1" -eq 0 ]; then pass "nullmilter exits 0 on SIGTERM"; else
	fail "nullmilter exits 0 on SIGTERM (status $1)"
fi
if [ "$2" -eq 0 ]; then pass "portcullisd exits 0 on SIGTERM"; else
	fail "portcullisd exits 0 on SIGTERM (status $2)"
	tail -5 "$tmp/portcullisd.log" | sed 's/^/#   /'
fi

[ $failed -eq 0 ]
