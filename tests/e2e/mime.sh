#!/bin/bash
# mime.sh - end-to-end tests of the MIME analysis (TAP), run by `make check`
#
# The real portcullisd behind a real Postfix, on the test bed of lib.sh (private
# network namespace, unbound, smtp-sink). Rules on the MIME targets reject with
# a reply of their own, so each case shows in the SMTP outcome:
#   - a phrase that is only in a base64-encoded text body hits "body";
#   - an .exe inside a zip is not claimed (archives are not opened), a PE
#     executable named invoice.pdf is (attachment:type from its first bytes);
#   - a URL rule hits the domain of an HTML href;
#   - malformed and hostile messages (broken boundaries, bad base64, 5000
#     levels of nesting, 100000 parts) are delivered or judged, never
#     tempfailed, and the daemon keeps running.
# Needs root and `ip netns`; anything else is a "Bail out!", never a skip.
# Environment: as run.sh (PORTCULLISD, E2E_KEEP=1).
set -u

# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"

TESTS=9
DATA=$TOP_SRCDIR/tests/data/mime

# ---------------------------------------------------------------- helpers

# mime_rules - the rules the cases rely on
mime_rules() {
	cat >"$E2E_TMP/milter/rules/50-mime.rules" <<-'EOF'
	rule E2E_MIME_PHRASE
	    match  body /account has been SUSPENDED/
	    action reject "550 5.7.1 e2e-mime-phrase"
	rule E2E_MIME_RAW
	    match  rawbody /account has been SUSPENDED/
	    action reject "550 5.7.1 e2e-mime-rawbody"
	rule E2E_MIME_EXE
	    match  attachment:type /^application\/x-dosexec$/
	    action reject "550 5.7.1 e2e-mime-exe"
	rule E2E_MIME_EXE_NAME
	    match  attachment:name /\.exe$/i
	    action reject "550 5.7.1 e2e-mime-exe-name"
	rule E2E_MIME_URL
	    match  url-domain /^phish-example\.com$/
	    action reject "550 5.7.1 e2e-mime-url"
	EOF
}

# send_file ID FILE - FILE (a whole message) over SMTP to Postfix, with an X-Test-Id
# header in front; transcript in $CLIENT/ID.swaks
send_file() {
	local id=$1 f=$CLIENT/$1.eml
	{
		printf 'X-Test-Id: %s\r\n' "$id"
		cat "$2"
	} >"$f"
	in_ns timeout 60 swaks --server 127.0.0.1 --port "$E2E_PORT_POSTFIX" \
		--local-interface 127.0.0.2 --helo client.example.test \
		--from sender@example.test --to rcpt@example.test \
		--data "@$f" --suppress-data --timeout 30 >"$CLIENT/$id.swaks" 2>&1
}

# rejected_by ID FILE TEXT - FILE is refused with a 550 naming TEXT
rejected_by() {
	send_file "$1" "$2"
	local out
	out=$(smtp_outcome "$CLIENT/$1.swaks")
	case "$out" in
	550*"$3"*) echo "$1: $out" ;;
	*)
		echo "$1: expected 550 ... $3, got: ${out:-none}"
		tail -n 8 "$CLIENT/$1.swaks"
		return 1
		;;
	esac
}

# delivered ID FILE - FILE is accepted (250) and reaches the sink with a verdict header
delivered() {
	send_file "$1" "$2"
	local out f
	out=$(smtp_outcome "$CLIENT/$1.swaks")
	case "$out" in
	250*) ;;
	*)
		echo "$1: expected 250, got: ${out:-none}"
		tail -n 8 "$CLIENT/$1.swaks"
		return 1
		;;
	esac
	for _ in $(seq 100); do
		f=$(sink_files "$1" | head -n 1)
		[ -n "$f" ] && break
		sleep 0.1
	done
	[ -n "$f" ] || { echo "$1: accepted but not at the sink within 10 s"; return 1; }
	msg_headers "$f" | grep -q '^X-Portcullis-Verdict: ' ||
		{ echo "$1: delivered without X-Portcullis-Verdict"; return 1; }
	echo "$1: $out"
}

# hostile FILE - a message to break parsers: deep nesting, many parts, broken base64
hostile() {
	"$PYTHON" - "$1" <<-'EOF'
	import sys
	out = ["From: <a@example.test>", "To: <b@example.test>", "Subject: hostile",
	       "MIME-Version: 1.0", "Content-Type: multipart/mixed; boundary=top", "", "--top"]
	for i in range(5000):
	    out += ["Content-Type: multipart/mixed; boundary=n%d" % i, "", "--n%d" % i]
	out += ["Content-Type: text/plain", "", "deep", "--top",
	        "Content-Type: multipart/mixed; boundary=many", ""]
	out += ["--many\r\n\r\nx"] * 100000
	out += ["--top", "Content-Type: text/plain; charset=x-unknown",
	        "Content-Transfer-Encoding: base64", "", "@@@ not base64 @@@"]
	open(sys.argv[1], "w").write("\r\n".join(out) + "\r\n")
	EOF
}

# limits_found FILE - `portcullis check` on FILE lists mime.depth_exceeded and
# mime.parts_exceeded among the findings
limits_found() {
	"$PORTCULLIS" check -c "$E2E_MILTER_CONF" "$1" >"$CLIENT/check.out" 2>&1
	grep -E '^ *mime\.(depth|parts)_exceeded' "$CLIENT/check.out" | sort -u -k1,1 | tee "$CLIENT/limits"
	[ "$(wc -l <"$CLIENT/limits")" -eq 2 ] || { tail -n 20 "$CLIENT/check.out"; return 1; }
}

# daemon_alive - portcullisd is still running
daemon_alive() {
	kill -0 "${E2E_PID[milter]}" 2>/dev/null || { echo "portcullisd is gone"; return 1; }
	echo "portcullisd (pid ${E2E_PID[milter]}) still running"
}

# ---------------------------------------------------------------- main
e2e_init
CLIENT=$E2E_TMP/client
mkdir -p "$CLIENT"

missing=
for cmd in postfix postconf smtp-sink swaks unbound unbound-checkconf ss timeout; do
	command -v "$cmd" >/dev/null 2>&1 || missing="$missing $cmd"
done
[ -x "$POSTFIX_DAEMON_DIR/master" ] || missing="$missing $POSTFIX_DAEMON_DIR/master"
[ -z "$missing" ] || tap_bail "missing:$missing"
[ -x "$PORTCULLISD" ] || tap_bail "no portcullisd at $PORTCULLISD (build it or set PORTCULLISD)"
[ -d "$DATA" ] || tap_bail "no test messages at $DATA"

tap_plan $TESTS

e2e_start_dns
e2e_start_sink
E2E_SIZE_MAX=10M e2e_milter_conf
mime_rules
e2e_start_milter || {
	tap_tail "$E2E_TMP/logs/portcullisd.log" 30
	tap_bail "portcullisd did not listen on port $E2E_PORT_MILTER within 10 s"
}
e2e_start_postfix

tap_check "a phrase only in a base64-encoded text body: the body rule hits (550), not rawbody" \
	rejected_by mime-b64 "$DATA/b64-phrase.eml" e2e-mime-phrase
tap_check "an .exe inside a zip is not claimed: delivered" \
	delivered mime-zip "$DATA/zip-exe.eml"
tap_check "a PE executable named invoice.pdf: attachment:type x-dosexec hits (550)" \
	rejected_by mime-renamed "$DATA/renamed-exe.eml" e2e-mime-exe
tap_check "an HTML href to phish-example.com: the url-domain rule hits (550)" \
	rejected_by mime-url "$DATA/html-link.eml" e2e-mime-url
tap_check "a malformed message (no close boundary, bad base64, unknown charset): delivered" \
	delivered mime-malformed "$DATA/malformed.eml"
hostile "$CLIENT/hostile.src"
tap_check "5000 levels of nesting and 100000 parts: delivered, not tempfailed" \
	delivered mime-hostile "$CLIENT/hostile.src"
tap_check "portcullisd still running after the hostile messages" daemon_alive
tap_check "after them, a plain message is still delivered" \
	delivered mime-after "$DATA/zip-exe.eml"
tap_check "portcullis check (the same pipeline) shows the hostile message's limits as findings" \
	limits_found "$CLIENT/hostile.src"

[ "$TAP_N" -eq "$TESTS" ] || echo "# ran $TAP_N tests, planned $TESTS"
[ "$TAP_FAILED" -eq 0 ]
