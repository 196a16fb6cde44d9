#!/bin/sh
# cli_test.sh - TAP tests of the command lines: `portcullis check` and `portcullisd -n/-V`.
#
# Runs the built binaries ($PORTCULLIS, $PORTCULLISD, set by `make check`) on the
# messages in tests/data/messages, on configurations written to a private
# temporary directory, and on the bad configurations of tests/data/config; then
# runs every message of ../shared/corpus/samples and ../shared/corpus/mime4j
# through `portcullis check --json`: each must end with a verdict status (0-4),
# never a signal or 70, and print valid JSON. A missing corpus is a failure.
set -u

top=${abs_top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
build=${abs_top_builddir:-$top}
PORTCULLIS=${PORTCULLIS:-$build/portcullis}
PORTCULLISD=${PORTCULLISD:-$build/portcullisd}
data=$top/tests/data
corpus=${PORTCULLIS_SHARED:-$top/../shared}/corpus
tmp=$(mktemp -d "${TMPDIR:-/tmp}/cli_test.XXXXXX") || { echo "Bail out! mktemp failed"; exit 1; }
trap 'rm -rf "$tmp"' EXIT HUP INT TERM

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
# show - the last command's status and output, as diagnostics
show() {
	echo "#   exit status $rc"
	sed -n '1,15s/^/#   stdout: /p' "$tmp/out"
	sed -n '1,15s/^/#   stderr: /p' "$tmp/err"
}
# run COMMAND... - run it; status in $rc, output in $tmp/out and $tmp/err
run() {
	"$@" >"$tmp/out" 2>"$tmp/err"
	rc=$?
}
# expect_rc DESC STATUS - the last command exited with STATUS
expect_rc() {
	if [ "$rc" -eq "$2" ]; then pass "$1"; else fail "$1 (want exit $2)"; show; fi
}
# has FILE TEXT - FILE has a line containing TEXT (fixed string)
has() { grep -F -q -e "$2" "$1"; }
# json_get EXPR - evaluate a Python expression on the JSON in $tmp/out (as d)
json_get() {
	python3 -c 'import json, sys
d = json.load(open(sys.argv[1]))
print(eval(sys.argv[2]))' "$tmp/out" "$1" 2>/dev/null
}

for bin in "$PORTCULLIS" "$PORTCULLISD"; do
	[ -x "$bin" ] || { echo "Bail out! $bin is not built"; exit 1; }
done
have_python=0
command -v python3 >/dev/null 2>&1 && have_python=1

# configurations: spool in $tmp, never in /var/tmp; no SPF (tests/unit/spf_test, the
# RFC 7208 suite and the e2e bed test it), and DNS only to a closed port on loopback
# should anything ask (a test never asks the machine's resolver)
# should anything ask (a test never asks the machine's resolver); rules from the tree
# (never whatever /etc/portcullis holds on this machine)
mkdir -p "$tmp/norules"
nodns="spf no
iprev no
dns_forwarders 127.0.0.1@9
rules_dir $tmp/norules"
stock="spf no
iprev no
dns_forwarders 127.0.0.1@9
rules_dir $top/rules/stock"
good=$tmp/good.conf
printf 'tmpdir %s\nauthserv_id cli.test.example\nlog stderr\n%s\n' "$tmp" "$stock" >"$good"
small=$tmp/small.conf
printf 'tmpdir %s\nmessage_size_max 1K\nbody_memory_max 512\n%s\n' "$tmp" "$nodns" >"$small"
msg=$data/messages/lf.eml
big=$tmp/big.eml
{
	printf 'From: big@example.test\nSubject: over 1K\n\n'
	i=0
	while [ $i -lt 40 ]; do
		printf '%s\n' "0123456789012345678901234567890123456789012345678901234567890123"
		i=$((i + 1))
	done
} >"$big"

# ---- portcullis check ------------------------------------------------------
run "$PORTCULLIS" check -c "$good" "$msg"
expect_rc "check a normal message: exit 0" 0
if has "$tmp/out" "verdict: accept"; then pass "check a normal message: verdict: accept"; else
	fail "check a normal message: verdict: accept"
	show
fi
check "check a normal message: the verdict header to add" \
	has "$tmp/out" "add header: X-Portcullis-Verdict: accept"
check "check a normal message: the findings" has "$tmp/out" "size.headers"

run "$PORTCULLIS" check -c "$good" --client-ip 192.0.2.7 --client-name c.example.test \
	--helo h.example.test --mail-from '<s@example.test>' --rcpt '<r1@example.test>' \
	--rcpt r2@example.test "$msg"
expect_rc "check with an envelope: exit 0" 0
ok_env=1
for want in "envelope.client_addr     192.0.2.7" "envelope.client_name     c.example.test" \
	"envelope.helo            h.example.test" "envelope.mail_from       s@example.test" \
	"envelope.rcpt            r1@example.test" "envelope.rcpt            r2@example.test"; do
	has "$tmp/out" "$want" || { ok_env=0; echo "#   missing: $want"; }
done
if [ $ok_env -eq 1 ]; then pass "check with an envelope: envelope findings"; else
	fail "check with an envelope: envelope findings"
	show
fi

run sh -c '"$1" check -c "$2" - <"$3"' sh "$PORTCULLIS" "$good" "$msg"
expect_rc "check - reads the message from stdin: exit 0" 0
check "check - reads the message from stdin: verdict: accept" has "$tmp/out" "verdict: accept"

run "$PORTCULLIS" check -c "$good" "$data/messages/forged.eml"
expect_rc "check a message with a forged verdict header: exit 0" 0
check "check a message with a forged verdict header: it is removed" \
	has "$tmp/out" "remove header: X-Portcullis-Verdict"

run "$PORTCULLIS" check --json -c "$good" "$msg"
expect_rc "check --json: exit 0" 0
if [ $have_python -eq 1 ]; then
	if python3 -m json.tool "$tmp/out" >/dev/null 2>&1; then pass "check --json: valid JSON"; else
		fail "check --json: valid JSON"
		show
	fi
	action=$(json_get 'd["verdict"]["action"]')
	if [ "$action" = accept ]; then pass "check --json: verdict.action is accept"; else
		fail "check --json: verdict.action is accept (got '$action')"
	fi
	value=$(json_get '[h["value"] for h in d["verdict"]["add_headers"] if h["name"] == "X-Portcullis-Verdict"][0]')
	case $value in
	# lf.eml has no Date and no Message-ID: the stock rules score 1 each
	"accept score=2.0 (cli.test.example; generation 1)") pass "check --json: the verdict header value" ;;
	*) fail "check --json: the verdict header value (got '$value')" ;;
	esac
else
	skip "check --json: valid JSON (python3 is not installed)"
	skip "check --json: verdict.action (python3 is not installed)"
	skip "check --json: the verdict header value (python3 is not installed)"
fi

run "$PORTCULLIS" check -c "$small" "$big"
expect_rc "check an over-size message (message_size_max 1K): exit 2" 2
check "check an over-size message: verdict: reject" has "$tmp/out" "verdict: reject"
if has "$tmp/out" "reply: 552 5.3.4"; then pass "check an over-size message: reply 552 5.3.4"; else
	fail "check an over-size message: reply 552 5.3.4"
	show
fi
check "check an over-size message: reason size.oversize" has "$tmp/out" "reason: size.oversize"
head -c 900 "$big" >"$tmp/mid.eml"
run "$PORTCULLIS" check -c "$small" "$tmp/mid.eml"
expect_rc "check a message spooled to disk (body_memory_max 512): exit 0" 0
check "check a message spooled to disk: finding size.spooled" has "$tmp/out" "size.spooled"
check "check a message spooled to disk: no spool file left in tmpdir" \
	test -z "$(find "$tmp" -name 'portcullis.*' 2>/dev/null)"
run "$PORTCULLIS" check --json -c "$small" "$big"
expect_rc "check --json an over-size message: exit 2" 2
if [ $have_python -eq 1 ]; then
	reply=$(json_get 'd["verdict"]["reply"]["code"] + " " + d["verdict"]["reply"]["status"]')
	if [ "$reply" = "552 5.3.4" ]; then pass "check --json an over-size message: reply 552 5.3.4"; else
		fail "check --json an over-size message: reply 552 5.3.4 (got '$reply')"
	fi
else
	skip "check --json an over-size message: reply (python3 is not installed)"
fi

run "$PORTCULLIS" check -c "$data/config/bad-many.conf" "$msg"
expect_rc "check with a bad configuration: exit 78" 78
if has "$tmp/err" "$data/config/bad-many.conf:3:"; then
	pass "check with a bad configuration: stderr has file:line:"
else
	fail "check with a bad configuration: stderr has file:line:"
	show
fi
check "check with a bad configuration: nothing on stdout" test ! -s "$tmp/out"

run "$PORTCULLIS" check -c "$tmp/no-such.conf" "$msg"
expect_rc "check with a missing configuration file: exit 78" 78
check "check with a missing configuration file: stderr names it" has "$tmp/err" "$tmp/no-such.conf: "

run "$PORTCULLIS" check -c "$good" "$tmp/no-such-message.eml"
expect_rc "check a missing message file: exit 66" 66
check "check a missing message file: stderr names it" has "$tmp/err" "no-such-message.eml"

run "$PORTCULLIS"
expect_rc "portcullis without arguments: exit 64" 64
check "portcullis without arguments: usage on stderr" has "$tmp/err" "usage:"
run "$PORTCULLIS" check -c "$good"
expect_rc "check without a file: exit 64" 64
run "$PORTCULLIS" check -c "$good" "$msg" "$msg"
expect_rc "check with two files: exit 64" 64
run "$PORTCULLIS" check --no-such-option "$msg"
expect_rc "check with an unknown option: exit 64" 64
run "$PORTCULLIS" frobnicate
expect_rc "an unknown command: exit 64" 64
run "$PORTCULLIS" version
expect_rc "portcullis version: exit 0" 0
check "portcullis version prints the version" grep -Eq '^portcullis [0-9]+\.[0-9]+' "$tmp/out"

# ---- portcullis rules lint / test -------------------------------------------
run "$PORTCULLIS" rules lint -c "$good" "$top/rules/stock"
expect_rc "rules lint on the stock rules: exit 0" 0
check "rules lint on the stock rules: counts rules and tests, says OK" \
	grep -Eq ': [0-9]+ rules, [0-9]+ tests: OK$' "$tmp/out"
run "$PORTCULLIS" rules lint -c "$good"
expect_rc "rules lint without DIR lints the configured rules_dir: exit 0" 0
check "rules lint without DIR names the configured rules_dir" has "$tmp/out" "$top/rules/stock:"
mkdir -p "$tmp/badrules"
printf 'rule A\n    match header:Subject /x/\n    score 1\nrule B\n    match nosuch /x/\n    score 1\nrule C\n    match header:Subject /(/\n    action bounce\n' \
	>"$tmp/badrules/10-bad.rules"
run "$PORTCULLIS" rules lint -c "$good" "$tmp/badrules"
expect_rc "rules lint on a broken file: exit 78" 78
check "rules lint: an unknown target is named as file:line:col" \
	grep -Eq "^$tmp/badrules/10-bad.rules:5:[0-9]+: .*nosuch" "$tmp/err"
check "rules lint: a bad regex is named as file:line:col" \
	grep -Eq "^$tmp/badrules/10-bad.rules:8:[0-9]+: " "$tmp/err"
check "rules lint: a bad action is named as file:line:col" \
	grep -Eq "^$tmp/badrules/10-bad.rules:9:[0-9]+: .*bounce" "$tmp/err"
check "rules lint: every error, then a count" grep -Eq ': [3-9] error\(s\)$' "$tmp/err"

run "$PORTCULLIS" rules test -c "$good" "$top/rules/stock"
expect_rc "rules test on the stock rules: exit 0" 0
check "rules test: ends with 'N passed, 0 failed'" grep -Eq '^[1-9][0-9]* passed, 0 failed$' "$tmp/out"
mkdir -p "$tmp/testrules"
printf 'From: a@example.test\nSubject: cheap pills\n\nbody\n' >"$tmp/testrules/pills.eml"
cat >"$tmp/testrules/10-t.rules" <<'EOF'
rule PILLS
    match header:Subject /pills/i
    score 2
    test hit "pills.eml"
    test miss text "Subject: hello\n\nbody\n"
    test miss "pills.eml"
    test hit text "Subject: no match here\n\nbody\n"
    test hit "missing.eml"
EOF
run "$PORTCULLIS" rules test -c "$good" "$tmp/testrules"
expect_rc "rules test with failing tests: exit 1" 1
check "rules test: a passing file test is ok" has "$tmp/out" "ok - $tmp/testrules/10-t.rules:4: PILLS hits"
check "rules test: a passing inline test is ok" \
	has "$tmp/out" "ok - $tmp/testrules/10-t.rules:5: PILLS does not hit"
check "rules test: an unexpected hit names file:line" \
	has "$tmp/out" "not ok - $tmp/testrules/10-t.rules:6: PILLS was expected not to hit, but it did"
check "rules test: a missing hit names file:line" \
	has "$tmp/out" "not ok - $tmp/testrules/10-t.rules:7: PILLS was expected to hit, but did not"
check "rules test: a missing message file names file:line" \
	has "$tmp/out" "not ok - $tmp/testrules/10-t.rules:8: PILLS: cannot read the message"
check "rules test: ends with '2 passed, 3 failed'" grep -qx '2 passed, 3 failed' "$tmp/out"

# ---- check explains rules -------------------------------------------------------
printf 'From: a@example.test\nSubject: You have WON the lottery\n\nbody\n' >"$tmp/lottery.eml"
run "$PORTCULLIS" check -c "$good" "$tmp/lottery.eml"
check "check lists a rule that hit with its score, file:line and what matched" \
	grep -Eq "^  LOTTERY_SUBJECT +\+[0-9.]+ +$top/rules/stock/20-headers.rules:[0-9]+ +header:Subject:decoded matched \"You have WON the lottery\"" "$tmp/out"
run "$PORTCULLIS" check --json -c "$good" "$tmp/lottery.eml"
if [ $have_python -eq 1 ]; then
	check "check --json lists the rule hits with file and line" \
		test "$(json_get '[r["file"].endswith("20-headers.rules") and r["line"] > 0 for r in d["rules"] if r["name"] == "LOTTERY_SUBJECT"][0]')" = True
fi

# rawbody is read from the MIME input when it holds enough of the body, from the spool
# when mime_scan_max cut it short: both ways the rule sees the end of a long body
mkdir -p "$tmp/rawrules"
printf 'rule RAW_END\n    match rawbody /raw-end-marker/\n    score 1\n' >"$tmp/rawrules/10-raw.rules"
{
	printf 'From: a@example.test\nSubject: long\n\n'
	i=0
	while [ $i -lt 60 ]; do
		printf '%s\n' "0123456789012345678901234567890123456789012345678901234567890123"
		i=$((i + 1))
	done
	printf 'raw-end-marker\n'
} >"$tmp/long.eml"
for scan in 10M 1K; do
	printf 'tmpdir %s\nspf no\niprev no\ndns_forwarders 127.0.0.1@9\nrules_dir %s\nmime_scan_max %s\n' \
		"$tmp" "$tmp/rawrules" "$scan" >"$tmp/raw-$scan.conf"
	run "$PORTCULLIS" check -c "$tmp/raw-$scan.conf" "$tmp/long.eml"
	check "rawbody sees the end of a 4 KB body with mime_scan_max $scan" \
		grep -q '^  RAW_END ' "$tmp/out"
done

# ---- portcullisd -n / -V ---------------------------------------------------
run "$PORTCULLISD" -n -c "$good"
expect_rc "portcullisd -n with a good configuration: exit 0" 0
check "portcullisd -n with a good configuration: configuration OK" \
	grep -qx "configuration OK" "$tmp/out"
# good.conf names a policy file that does not exist: configured explicitly, that is an error
run "$PORTCULLISD" -n -c "$data/config/good.conf"
expect_rc "portcullisd -n with tests/data/config/good.conf (its policy_file missing): exit 78" 78
check "portcullisd -n: a configured policy_file that is missing is named" \
	has "$tmp/err" "/etc/portcullis-test/policy.conf: cannot open"
sed "s|^policy_file .*|policy_file $top/policy/policy.conf|" "$data/config/good.conf" \
	>"$tmp/every.conf"
run "$PORTCULLISD" -n -c "$tmp/every.conf"
expect_rc "portcullisd -n with tests/data/config/good.conf (every key, stock policy): exit 0" 0

# a bad policy file: every error as file:line:col, and no configuration
pbad=$data/policy/bad-on.conf
printf 'policy_file %s\n%s\n' "$pbad" "$nodns" >"$tmp/pbad.conf"
run "$PORTCULLISD" -n -c "$tmp/pbad.conf"
expect_rc "portcullisd -n with a bad policy file: exit 78" 78
sed "s|@FILE@|$pbad|g" "${pbad%.conf}.expected" >"$tmp/want"
if cmp -s "$tmp/want" "$tmp/err"; then
	pass "portcullisd -n lists every policy error as file:line:col: message"
else
	fail "portcullisd -n lists every policy error as file:line:col: message"
	diff "$tmp/want" "$tmp/err" | sed 's/^/#   /'
fi
# the policy file decides: here it tags, and lists the client
printf 'tag at 0\nallow client-ip 192.0.2.0/24\n' >"$tmp/tag.policy"
printf 'tmpdir %s\npolicy_file %s\n%s\n' "$tmp" "$tmp/tag.policy" "$nodns" >"$tmp/tag.conf"
run "$PORTCULLIS" check -c "$tmp/tag.conf" --client-ip 198.51.100.1 "$msg"
expect_rc "check with a policy that tags: exit 0" 0
check "check with a policy that tags: verdict: tag" has "$tmp/out" "verdict: tag"
check "check with a policy that tags: X-Spam-Flag" has "$tmp/out" "add header: X-Spam-Flag: YES"
check "check with a policy that tags: X-Portcullis-Score" \
	has "$tmp/out" "add header: X-Portcullis-Score: 0.0"
run "$PORTCULLIS" check -c "$tmp/tag.conf" --client-ip 192.0.2.1 "$msg"
check "check with an allow-listed client: verdict: accept" has "$tmp/out" "verdict: accept"
check "check with an allow-listed client: the allowlisted finding" \
	grep -Eq "^  allowlisted +tag.policy:2: allow client-ip 192.0.2.0/24 \(192.0.2.1\)" "$tmp/out"

# the built-in policy refuses a message with two From addresses (header.from.count)
printf 'From: a@one.example\nFrom: b@two.example\nSubject: two\n\nbody\n' >"$tmp/twofrom.eml"
run "$PORTCULLIS" check -c "$good" "$tmp/twofrom.eml"
expect_rc "check a message with two From headers: exit 2 (reject)" 2
check "check a message with two From headers: 550 5.7.1, no internals in the text" \
	grep -Eq "^reply: 550 5.7.1 Message has more than one From address \(ref [^)]+\)$" "$tmp/out"

bad=$data/config/bad-many.conf
run "$PORTCULLISD" -n -c "$bad"
expect_rc "portcullisd -n with a bad configuration: exit 78" 78
sed "s|@FILE@|$bad|g" "${bad%.conf}.expected" >"$tmp/want"
if cmp -s "$tmp/want" "$tmp/err"; then
	pass "portcullisd -n lists every error as file:line: message"
else
	fail "portcullisd -n lists every error as file:line: message"
	sed 's/^/#   want: /' "$tmp/want"
	sed 's/^/#   got:  /' "$tmp/err"
fi
check "portcullisd -n with a bad configuration: no 'configuration OK'" \
	test ! -s "$tmp/out"

run "$PORTCULLISD" -V
expect_rc "portcullisd -V: exit 0" 0
check "portcullisd -V prints the version" grep -Eq '^portcullisd [0-9]+\.[0-9]+' "$tmp/out"
v1=$(sed 's/^portcullisd //' "$tmp/out")
run "$PORTCULLIS" version
v2=$(sed 's/^portcullis //' "$tmp/out")
check "portcullis and portcullisd report the same version ($v1)" test "$v1" = "$v2"
run "$PORTCULLISD" -x
expect_rc "portcullisd with an unknown option: exit 64" 64

# ---- external corpus: never a crash, always a verdict and valid JSON --------
# check_corpus NAME DIR FILE... - one test point per message
check_corpus() {
	name=$1
	dir=$2
	shift 2
	if [ ! -d "$dir" ]; then
		fail "corpus $name: $dir is missing (the shared corpus must sit beside the repository as ../shared/corpus)"
		return
	fi
	if [ "$#" -eq 0 ] || [ ! -f "$1" ]; then
		fail "corpus $name: no messages found in $dir"
		return
	fi
	for f in "$@"; do
		rel=${f#"$dir"/}
		run "$PORTCULLIS" check --json -c "$good" --mail-from '<corpus@example.test>' \
			--rcpt '<rcpt@example.test>' "$f"
		why=
		if [ "$rc" -gt 4 ]; then
			why="exit status $rc"
			[ "$rc" -gt 128 ] && why="$why (signal $((rc - 128)))"
		elif [ $have_python -eq 1 ]; then
			action=$(json_get 'd["verdict"]["action"]') || action=
			case $action in
			accept | tag | quarantine | reject | tempfail | discard) ;;
			*) why="not valid JSON with a verdict.action" ;;
			esac
		fi
		if [ -z "$why" ]; then pass "corpus $name: $rel (exit $rc)"; else
			fail "corpus $name: $rel: $why"
			show
		fi
	done
}

if [ $have_python -eq 0 ]; then
	echo "# python3 is not installed: corpus output is not checked as JSON"
fi
# shellcheck disable=SC2046 # the corpus file names have no white space
check_corpus samples "$corpus/samples" "$corpus/samples/sample-nonspam.txt" \
	"$corpus/samples/sample-spam.txt"
set -f
# shellcheck disable=SC2046
check_corpus mime4j "$corpus/mime4j" $(find "$corpus/mime4j" -name '*.msg' 2>/dev/null | sort)
set +f

echo "1..$n"
[ "$failed" -eq 0 ]
