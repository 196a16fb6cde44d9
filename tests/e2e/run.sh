#!/bin/bash
# run.sh - Portcullis end-to-end tests (TAP), run by `make check`
#
# The real portcullisd behind a real Postfix and a real Sendmail, a real DNS
# server (unbound), swaks and smtp-session.py as clients and smtp-sink as the
# next hop, all on loopback inside a private network namespace (see lib.sh).
# Needs root and `ip netns`; anything else is a "Bail out!", never a skip.
#
# Environment: PORTCULLISD, PORTCULLIS (the binaries; default: the top of
# the build dir, $abs_top_builddir), SENDMAIL_DIR (default
# /opt/portcullis-testbed/sendmail, filled by fetch-sendmail.sh), E2E_KEEP=1
# keeps the work dir with every log for a look afterwards.
set -u

# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"

TESTS=62

# ---------------------------------------------------------------- checks
# Each prints why it failed (its output becomes TAP diagnostics) and returns
# non-zero; tap_check turns it into one TAP line.

# local_submission ID - a message handed to Postfix's sendmail(1) (postdrop,
# pickup: the non_smtpd_milters path) is delivered with the verdict
local_submission() {
	local body
	body=$(e2e_body "$1")
	{
		printf 'From: <sender@example.test>\nTo: <rcpt@example.test>\n'
		printf 'Subject: portcullis e2e %s\nX-Test-Id: %s\n\n' "$1" "$1"
		cat "$body"
	} >"$CLIENT/$1.msg"
	in_ns timeout 30 "$POSTFIX_SENDMAIL" -C "$E2E_TMP/postfix/etc" \
		-f sender@example.test rcpt@example.test <"$CLIENT/$1.msg" ||
		{ echo "Postfix's sendmail -C failed"; return 1; }
	verdict_accept "$1"
}

# verdict_accept ID - the message tagged ID reached the sink with exactly
# one X-Portcullis-Verdict header, whose value starts with "accept"
verdict_accept() {
	local f vals n
	f=$(e2e_wait_delivery "$1" 10) || {
		echo "$1: not delivered to the sink within 10 s"
		return 1
	}
	vals=$(msg_header_values "$f" X-Portcullis-Verdict)
	n=$(printf '%s' "$vals" | grep -c '^')
	if [ "$n" -ne 1 ]; then
		echo "$1: $n X-Portcullis-Verdict headers, expected 1; headers as delivered:"
		msg_headers "$f"
		return 1
	fi
	case "$vals" in
	accept*) echo "$1: X-Portcullis-Verdict: $vals" ;;
	*)
		echo "$1: X-Portcullis-Verdict: $vals (expected accept...)"
		return 1
		;;
	esac
	# as delivered: one space after the colon (Postfix and Sendmail differ
	# in how they treat the leading space of a milter's header value)
	msg_headers "$f" | grep -q '^X-Portcullis-Verdict: accept' || {
		echo "$1: header not delivered as 'X-Portcullis-Verdict: accept...':"
		msg_headers "$f" | grep -i -A2 '^X-Portcullis-Verdict:'
		return 1
	}
}

# accepted ID PORT IFACE [KB] - send a message and expect 250, then its
# delivery with the accept verdict
accepted() {
	[ -z "${4:-}" ] || e2e_body "$1" "$4" >/dev/null
	e2e_send "$1" "$2" "$3"
	reply_is "$1" 250 && verdict_accept "$1"
}

# rejected ID PORT IFACE CODE [KB] - send a message and expect reply CODE
rejected() {
	[ -z "${5:-}" ] || e2e_body "$1" "$5" >/dev/null
	e2e_send "$1" "$2" "$3"
	reply_is "$1" "$4"
}

# never_delivered CANARY-ID... -- ID... - once every canary has reached the
# sink (so the MTAs have delivered what they had), none of the IDs is there
never_delivered() {
	local id bad=0 canaries=1
	for id in "$@"; do
		if [ "$id" = -- ]; then
			canaries=0
		elif [ $canaries = 1 ]; then
			e2e_wait_delivery "$id" 10 >/dev/null ||
				{ echo "canary $id not delivered within 10 s"; bad=1; }
		elif [ -n "$(sink_files "$id")" ]; then
			echo "$id reached the sink:"
			msg_headers "$(sink_files "$id" | head -n 1)"
			bad=1
		fi
	done
	return $bad
}

# session_replies FILE ID STAGE CODE-PREFIX... - smtp-session.py's output has
# "ID STAGE CODE..." lines as listed (arguments in threes)
session_replies() {
	local f=$1 bad=0 line
	shift
	while [ $# -ge 3 ]; do
		line=$(grep -m 1 "^$1 $2 " "$f")
		case "$line" in
		"$1 $2 $3"*) ;;
		*)
			echo "expected $1 $2 $3.., got: ${line:-nothing}"
			bad=1
			;;
		esac
		shift 3
	done
	if [ $bad = 1 ]; then cat "$f"; fi
	return $bad
}

# ---------------------------------------------------------------- cases

# dns_answers - unbound serves the test zones, through glibc's resolver too
dns_answers() {
	local q out bad=0
	for q in "example.test A" "example.test MX" "example.test TXT" \
		"2.0.0.127.in-addr.arpa PTR"; do
		# shellcheck disable=SC2086
		if out=$(dns_query $q); then
			echo "$out" | sed 1d
		else
			echo "no answer to $q: $out"
			bad=1
		fi
	done
	dns_query example.test TXT | grep -q '"v=spf1 ' || { echo "no SPF TXT record"; bad=1; }
	dns_query pass.example.test TXT 5353 >/dev/null || { echo "nothing on port 5353"; bad=1; }
	out=$(in_ns getent hosts client2.example.test)
	if ! echo "$out" | grep -q '^127\.0\.0\.2 '; then
		echo "glibc cannot resolve client2.example.test: $out"
		bad=1
	fi
	return $bad
}

# two_transactions - one connection to Postfix carrying two messages (and a
# transaction given up with RSET between them)
two_transactions() {
	local out=$CLIENT/session-d.out
	in_ns timeout 60 "$PYTHON" "$E2E_SRCDIR/smtp-session.py" --port "$E2E_PORT_POSTFIX" \
		--local 127.0.0.4 mail:pf-d1 rset:pf-d2 mail:pf-d3 >"$out" 2>&1
	session_replies "$out" pf-d1 END 250 pf-d2 RCPT 250 pf-d2 RSET 250 \
		pf-d3 MAIL 250 pf-d3 END 250 || return 1
	head -n 1 "$out"
	verdict_accept pf-d1 && verdict_accept pf-d3 && never_delivered -- pf-d2
}

# reload_failed MARK - after SIGHUP with a bad line 3, portcullisd runs on
# and has logged "<conf>:3:" and "reload failed"
reload_failed() {
	local log=$E2E_TMP/logs/portcullisd.log bad=0
	e2e_wait_log "$log" "$1" "reload failed" 5 || { echo "no 'reload failed' logged within 5 s"; bad=1; }
	e2e_alive milter || { echo "portcullisd died"; bad=1; }
	log_since "$log" "$1" | grep -q -F "$E2E_MILTER_CONF:3:" ||
		{ echo "no '$E2E_MILTER_CONF:3:' in the log"; bad=1; }
	echo "log after SIGHUP:"
	log_since "$log" "$1" | tail -n 8
	return $bad
}

# reloaded MARK - after SIGHUP with a good file, "configuration reloaded"
reloaded() {
	local log=$E2E_TMP/logs/portcullisd.log
	if e2e_wait_log "$log" "$1" "configuration reloaded" 5 && e2e_alive milter; then
		log_since "$log" "$1" | grep -F "configuration reloaded"
		return 0
	fi
	echo "no 'configuration reloaded' within 5 s (or the daemon died); log after SIGHUP:"
	log_since "$log" "$1" | tail -n 8
	return 1
}

# hold_sessions - one transaction in flight on Postfix and one on Sendmail,
# stopped between RCPT and DATA (smtp-session.py hold:) until DIR/go exists
hold_sessions() {
	local mta port
	for mta in pf sm; do
		[ $mta = pf ] && port=$E2E_PORT_POSTFIX || port=$E2E_PORT_SENDMAIL
		mkdir -p "$CLIENT/hold-$mta"
		e2e_spawn "client-$mta" "$CLIENT/hold-$mta.out" timeout 60 "$PYTHON" \
			"$E2E_SRCDIR/smtp-session.py" --port "$port" --local 127.0.0.5 \
			--sync "$CLIENT/hold-$mta" "hold:$mta-e1"
	done
	local _
	for _ in $(seq 100); do
		[ -e "$CLIENT/hold-pf/ready" ] && [ -e "$CLIENT/hold-sm/ready" ] && return 0
		sleep 0.1
	done
	return 1
}

# milter_down_4xx MTA PORT - with portcullisd gone, the transaction held on
# MTA (resumed now) and a new one both end with a 4xx reply
milter_down_4xx() {
	local mta=$1 port=$2 out=$CLIENT/hold-$1.out bad=0 line
	line=$(grep -E "^$mta-e1 (MAIL|RCPT|DATA|END) [^23]" "$out" | head -n 1)
	case "$line" in
	"$mta-e1 "*" 4"*) echo "in flight: $line" ;;
	*)
		echo "the transaction in flight did not get a 4xx:"
		cat "$out"
		bad=1
		;;
	esac
	rejected "$mta-e2" "$port" 127.0.0.6 4 || bad=1
	return $bad
}

# restarted STATUS - portcullisd started again (STATUS: e2e_start_milter's),
# mail passes through both MTAs, and what was tempfailed never arrives
restarted() {
	[ "$1" -eq 0 ] || { echo "portcullisd did not listen again within 10 s"; return 1; }
	accepted pf-e3 "$E2E_PORT_POSTFIX" 127.0.0.2 &&
		accepted sm-e3 "$E2E_PORT_SENDMAIL" 127.0.0.3 &&
		never_delivered pf-e3 sm-e3 -- pf-e1 pf-e2 sm-e1 sm-e2
}

# forged ID PORT IFACE - a message arriving with a forged verdict header is
# delivered with only the daemon's own
forged() {
	e2e_send "$1" "$2" "$3" --add-header "X-Portcullis-Verdict: reject forged-by-sender"
	reply_is "$1" 250 && verdict_accept "$1"
}

# refused_while_draining - after SIGTERM, with a transaction held between
# RCPT and DATA: a new connection gets 4xx and the daemon is still running
refused_while_draining() {
	local bad=0
	rejected pf-h2 "$E2E_PORT_POSTFIX" 127.0.0.6 4 || bad=1
	e2e_alive milter || { echo "portcullisd exited with a transaction in flight"; bad=1; }
	return $bad
}

# drained STATUS - the held transaction then completed with 250 and the
# verdict, and the daemon exited by itself with STATUS 0 (-1: it did not exit)
drained() {
	local bad=0
	session_replies "$CLIENT/hold-pf.out" pf-h1 END 250 || bad=1
	verdict_accept pf-h1 || bad=1
	case "$1" in
	0) grep "stopped (SIGTERM)" "$E2E_TMP/logs/portcullisd.log" ||
		{ echo "no 'stopped (SIGTERM)' in the log"; bad=1; } ;;
	-1) echo "portcullisd still running 10 s after its last connection closed"; bad=1 ;;
	*) echo "portcullisd exited with status $1, expected 0"; bad=1 ;;
	esac
	return $bad
}

# spf_case ID PORT FROM HELO RESULT PROP [EXTRA SWAKS ARGS...] - a message from 127.0.0.2
# with that envelope is delivered with our A-R saying spf=RESULT and PROP
spf_case() {
	local id=$1 port=$2 from=$3 helo=$4 want=$5 prop=$6 f
	shift 6
	e2e_send "$id" "$port" 127.0.0.2 --from "$from" --helo "$helo" "$@"
	reply_is "$id" 250 || return 1
	f=$(e2e_wait_delivery "$id" 10) || { echo "$id: not delivered within 10 s"; return 1; }
	"$PYTHON" "$E2E_SRCDIR/authres_check.py" "$f" mx.test spf "$want" "$prop" ${E2E_OTHER_ID:-}
}

# received_spf ID - the delivered message ID has exactly one Received-SPF header, ours
received_spf() {
	local f vals
	f=$(sink_files "$1" | head -n 1)
	[ -n "$f" ] || { echo "$1 was not delivered"; return 1; }
	vals=$(msg_header_values "$f" Received-SPF)
	echo "Received-SPF: $vals"
	[ "$(printf '%s\n' "$vals" | grep -c .)" -eq 1 ] || { echo "expected one Received-SPF"; return 1; }
	case "$vals" in
	pass*receiver=mx.test*) return 0 ;;
	*) echo "expected 'pass ... receiver=mx.test'"; return 1 ;;
	esac
}

# refused_from ID FROM CODE - a message from 127.0.0.2 with that sender gets reply CODE
refused_from() {
	e2e_send "$1" "$E2E_PORT_POSTFIX" 127.0.0.2 --from "$2"
	reply_is "$1" "$3"
}

# rule_reply ID WANT - the transaction ID ended with reply WANT followed by " (ref ULID)",
# and that reference finds the message in the log
rule_reply() {
	local out ref
	out=$(smtp_outcome "$CLIENT/$1.swaks")
	echo "$1: $out"
	case "$out" in
	"$2 (ref "[0-9A-Z]*")") ;;
	*) echo "expected '$2 (ref ...)'"; return 1 ;;
	esac
	ref=${out##*(ref }
	ref=${ref%)}
	grep -q -F "ref=$ref " "$E2E_TMP/logs/portcullisd.log" || { echo "ref=$ref not in the log"; return 1; }
}

# held ID - accepted with 250, then in Postfix's hold queue (smfi_quarantine), never at the sink
held() {
	local qid= _
	reply_is "$1" 250 || return 1
	for _ in $(seq 100); do
		qid=$(hold_queue_id "$1") && break
		sleep 0.1
	done
	[ -n "$qid" ] || {
		echo "$1: not in the hold queue within 10 s"
		in_ns postqueue -c "$E2E_TMP/postfix/etc" -p
		return 1
	}
	echo "$1: on hold as $qid"
	[ -z "$(sink_files "$1")" ] || { echo "$1 reached the sink"; return 1; }
}

# tagged ID - delivered with the tag's headers and the Subject prefix
tagged() {
	local f
	reply_is "$1" 250 || return 1
	f=$(e2e_wait_delivery "$1" 10) || { echo "$1: not delivered within 10 s"; return 1; }
	msg_headers "$f" | grep -E '^(Subject|X-Spam-Flag|X-Portcullis-Score|X-Portcullis-Verdict):'
	[ "$(msg_header_values "$f" X-Spam-Flag)" = YES ] || { echo "no X-Spam-Flag: YES"; return 1; }
	msg_header_values "$f" X-Portcullis-Score | grep -q 'E2E_TAG=6' ||
		{ echo "X-Portcullis-Score does not name E2E_TAG=6"; return 1; }
	[ "$(msg_header_values "$f" Subject)" = "[SPAM] portcullis e2e $1" ] ||
		{ echo "Subject without the prefix"; return 1; }
	msg_header_values "$f" X-Portcullis-Verdict | grep -q '^tag ' || { echo "verdict is not tag"; return 1; }
}

# monitored ID MARK - a monitor rule's message is delivered as accepted, and the log says
# the rule would have hit
monitored() {
	accepted "$1" "$E2E_PORT_POSTFIX" 127.0.0.2 || return 1
	log_since "$E2E_TMP/logs/portcullisd.log" "$2" | grep -F "would_hit=E2E_MONITOR" ||
		{ echo "no would_hit=E2E_MONITOR logged"; return 1; }
}

# rules_reload_failed MARK FILE LINE - a SIGHUP with a broken rule file: logged with
# file:line, the daemon still running
rules_reload_failed() {
	local log=$E2E_TMP/logs/portcullisd.log
	e2e_wait_log "$log" "$1" "reload failed" 5 || { echo "no 'reload failed' within 5 s"; return 1; }
	e2e_alive milter || { echo "portcullisd died"; return 1; }
	log_since "$log" "$1" | grep -F "$2:$3:" || { echo "no '$2:$3:' in the log"; return 1; }
}

# discarded ID CANARY - the client got 250 for ID, and once CANARY (sent after it) has
# arrived, ID has not
discarded() {
	reply_is "$1" 250 && never_delivered "$2" -- "$1"
}

# delivered_after_reload ID - the message tagged ID, once rejected, is now delivered
delivered_after_reload() {
	accepted "$1" "$E2E_PORT_POSTFIX" 127.0.0.2
}

# iprev_is ID RESULT - the delivered message ID has our A-R with iprev=RESULT for its client
iprev_is() {
	local f
	f=$(e2e_wait_delivery "$1" 10) || { echo "$1: not delivered within 10 s"; return 1; }
	"$PYTHON" "$E2E_SRCDIR/authres_check.py" "$f" mx.test iprev "$2" "policy.iprev=$3"
}

# judged_within ID SECS - the transaction ID got its final reply within SECS seconds
judged_within() {
	local start end
	start=$(date +%s)
	e2e_send "$1" "$E2E_PORT_POSTFIX" 127.0.0.4
	end=$(date +%s)
	reply_is "$1" 250 || return 1
	echo "$1: judged in $((end - start)) s"
	[ $((end - start)) -le "$2" ] || { echo "took longer than $2 s"; return 1; }
}

# log_has MARK TEXT - the daemon logged TEXT after MARK
log_has() {
	e2e_wait_log "$E2E_TMP/logs/portcullisd.log" "$1" "$2" 5 || { echo "'$2' not logged"; return 1; }
	log_since "$E2E_TMP/logs/portcullisd.log" "$1" | grep -F -- "$2" | head -n 2
}

# ---------------------------------------------------------------- main
e2e_init
CLIENT=$E2E_TMP/client

missing=
for cmd in postfix postconf smtp-sink swaks unbound unbound-checkconf m4 ss timeout; do
	command -v "$cmd" >/dev/null 2>&1 || missing="$missing $cmd"
done
[ -x "$POSTFIX_DAEMON_DIR/master" ] || missing="$missing $POSTFIX_DAEMON_DIR/master"
"$PYTHON" -c 'import smtplib' 2>/dev/null || missing="$missing python3"
[ -z "$missing" ] || tap_bail "missing:$missing"
[ -x "$PORTCULLISD" ] || tap_bail "no portcullisd at $PORTCULLISD (build it or set PORTCULLISD)"
if [ ! -x "$SENDMAIL_DIR/usr/libexec/sendmail/sendmail" ]; then
	sh "$E2E_SRCDIR/fetch-sendmail.sh" "$SENDMAIL_DIR" 2>&1 | tap_diag
fi

tap_plan $TESTS

e2e_start_dns
tap_check "DNS: unbound answers A, MX, TXT (SPF) and PTR from tests/data/zones" dns_answers

e2e_start_sink
e2e_milter_conf
e2e_start_milter || {
	tap_tail "$E2E_TMP/logs/portcullisd.log" 30
	tap_bail "portcullisd did not listen on port $E2E_PORT_MILTER within 10 s"
}
e2e_start_postfix
e2e_start_sendmail

# a, b: a plain message passes and carries the verdict header
tap_check "Postfix: message accepted, delivered with one X-Portcullis-Verdict: accept" \
	accepted pf-a "$E2E_PORT_POSTFIX" 127.0.0.2
tap_check "Sendmail: message accepted, delivered with one X-Portcullis-Verdict: accept" \
	accepted sm-b "$E2E_PORT_SENDMAIL" 127.0.0.3

tap_check "Postfix: local submission (pickup, non_smtpd_milters) delivered with the verdict" \
	local_submission pf-local

# c: over message_size_max (64K): 552 from both MTAs, nothing delivered
tap_check "Postfix: 200 KB message over message_size_max 64K rejected with 552" \
	rejected pf-c "$E2E_PORT_POSTFIX" 127.0.0.2 552 200
tap_check "Sendmail: 200 KB message over message_size_max 64K rejected with 552" \
	rejected sm-c "$E2E_PORT_SENDMAIL" 127.0.0.3 552 200
e2e_send pf-c-canary "$E2E_PORT_POSTFIX" 127.0.0.2
e2e_send sm-c-canary "$E2E_PORT_SENDMAIL" 127.0.0.3
tap_check "over-size messages never reach the next hop" \
	never_delivered pf-c-canary sm-c-canary -- pf-c sm-c

# d: several transactions on one connection
tap_check "Postfix: two transactions (and an RSET) on one connection, both delivered with the verdict" \
	two_transactions

# f: SIGHUP with a broken file keeps the running configuration ...
mark=$(log_size "$E2E_TMP/logs/portcullisd.log")
E2E_SIZE_MAX=1M e2e_milter_conf "no_such_key 1"
kill -HUP "${E2E_PID[milter]}"
tap_check "SIGHUP with a bad line 3: daemon keeps running, logs <conf>:3: and 'reload failed'" \
	reload_failed "$mark"
tap_check "after the failed reload: mail still passes with the verdict" \
	accepted pf-f1 "$E2E_PORT_POSTFIX" 127.0.0.2
tap_check "after the failed reload: old settings kept (message_size_max 64K, not 1M)" \
	rejected pf-f2 "$E2E_PORT_POSTFIX" 127.0.0.2 552 200
# ... and once fixed, SIGHUP loads it
mark=$(log_size "$E2E_TMP/logs/portcullisd.log")
E2E_SIZE_MAX=1M e2e_milter_conf
kill -HUP "${E2E_PID[milter]}"
tap_check "SIGHUP with the file fixed: 'configuration reloaded' logged" reloaded "$mark"
tap_check "after the reload: new settings in force (200 KB passes under 1M)" \
	accepted pf-f3 "$E2E_PORT_POSTFIX" 127.0.0.2 200

# e: portcullisd killed: nothing passes unfiltered; it comes back
hold_sessions || tap_diag "the held sessions did not get to DATA within 10 s"
e2e_stop milter KILL
touch "$CLIENT/hold-pf/go" "$CLIENT/hold-sm/go"
e2e_wait_exit client-pf 30
e2e_wait_exit client-sm 30
tap_check "portcullisd killed: Postfix answers 4xx (in-flight transaction and new connection)" \
	milter_down_4xx pf "$E2E_PORT_POSTFIX"
tap_check "portcullisd killed: Sendmail answers 4xx (in-flight transaction and new connection)" \
	milter_down_4xx sm "$E2E_PORT_SENDMAIL"
e2e_start_milter
tap_check "portcullisd restarted: mail passes again; nothing sent while it was down arrived" \
	restarted $?

# a forged verdict header from the sender never survives
tap_check "Postfix: a forged X-Portcullis-Verdict is removed, only the daemon's own delivered" \
	forged pf-g "$E2E_PORT_POSTFIX" 127.0.0.2
tap_check "Sendmail: a forged X-Portcullis-Verdict is removed, only the daemon's own delivered" \
	forged sm-g "$E2E_PORT_SENDMAIL" 127.0.0.3

# SPF: each result produced for real from tests/data/zones/spf.test.zone, and carried in
# an Authentication-Results header that python3-authres parses
for r in pass fail softfail neutral none; do
	tap_check "Postfix: SPF $r: delivered with A-R spf=$r smtp.mailfrom" \
		spf_case "spf-$r" "$E2E_PORT_POSTFIX" "s@$r.spf.test" client.example.test "$r" \
		"smtp.mailfrom=s@$r.spf.test"
done
tap_check "received_spf yes: the SPF pass message carries Received-SPF: pass ... receiver=mx.test" \
	received_spf spf-pass
tap_check "Postfix: SPF permerror (bad ip4 literal): A-R spf=permerror" \
	spf_case spf-syntax "$E2E_PORT_POSTFIX" s@syntax.spf.test client.example.test \
	permerror smtp.mailfrom=s@syntax.spf.test
tap_check "Postfix: SPF permerror (11 DNS mechanisms): A-R spf=permerror" \
	spf_case spf-toomany "$E2E_PORT_POSTFIX" s@toomany.spf.test client.example.test \
	permerror smtp.mailfrom=s@toomany.spf.test
tap_check "Postfix: SPF temperror (include of a zone whose server refuses): A-R spf=temperror" \
	spf_case spf-temp "$E2E_PORT_POSTFIX" s@temp.spf.test client.example.test \
	temperror smtp.mailfrom=s@temp.spf.test
tap_check "Postfix: null sender, HELO passes: A-R spf=pass smtp.helo" \
	spf_case spf-helo-pass "$E2E_PORT_POSTFIX" "" helo-pass.spf.test pass \
	smtp.helo=helo-pass.spf.test
tap_check "Postfix: null sender, HELO fails: A-R spf=fail smtp.helo" \
	spf_case spf-helo-fail "$E2E_PORT_POSTFIX" "" helo-fail.spf.test fail \
	smtp.helo=helo-fail.spf.test
tap_check "Sendmail: SPF pass: delivered with A-R spf=pass smtp.mailfrom" \
	spf_case spf-sm-pass "$E2E_PORT_SENDMAIL" s@pass.spf.test client.example.test pass \
	smtp.mailfrom=s@pass.spf.test
E2E_OTHER_ID=other.example
tap_check "Postfix: a forged 'A-R: mx.test; spf=pass' is removed, a foreign A-R kept" \
	spf_case spf-forged "$E2E_PORT_POSTFIX" s@fail.spf.test client.example.test fail \
	smtp.mailfrom=s@fail.spf.test \
	--add-header "Authentication-Results: MX.test ; spf=pass smtp.mailfrom=s@fail.spf.test" \
	--add-header "Authentication-Results: other.example; spf=pass smtp.mailfrom=x@other.example"
tap_check "Sendmail: a forged 'A-R: mx.test; spf=pass' is removed, a foreign A-R kept" \
	spf_case spf-sm-forged "$E2E_PORT_SENDMAIL" s@fail.spf.test client.example.test fail \
	smtp.mailfrom=s@fail.spf.test \
	--add-header "Authentication-Results: (x) mx.test; spf=pass smtp.mailfrom=s@fail.spf.test" \
	--add-header "Authentication-Results: other.example; spf=pass smtp.mailfrom=x@other.example"
E2E_OTHER_ID=
# spf_reject_fail: a reload turns it on; SPF fail is refused at RCPT TO with 5.7.23
mark=$(log_size "$E2E_TMP/logs/portcullisd.log")
E2E_SIZE_MAX=1M e2e_milter_conf "spf_reject_fail yes"
kill -HUP "${E2E_PID[milter]}"
e2e_wait_log "$E2E_TMP/logs/portcullisd.log" "$mark" "configuration reloaded" 5 ||
	tap_diag "no reload logged"
tap_check "spf_reject_fail yes: SPF fail refused with 550 5.7.23 at RCPT TO" \
	refused_from spf-reject s@fail.spf.test "550 5.7.23"
tap_check "spf_reject_fail yes: SPF pass still delivered" \
	spf_case spf-reject-pass "$E2E_PORT_POSTFIX" s@pass.spf.test client.example.test pass \
	smtp.mailfrom=s@pass.spf.test

# Rules and policy: the stock rules plus a test file, the stock policy with a Subject prefix
RULES=$E2E_TMP/milter/rules
cp "$TOP_SRCDIR"/rules/stock/*.rules "$RULES/"
cat >"$RULES/50-e2e.rules" <<'EOF'
rule E2E_REJECT
    match   header:Subject /e2e-reject-me/
    action  reject "550 5.7.9 Not wanted here"
rule E2E_QUARANTINE
    match   header:Subject /e2e-hold-me/
    action  quarantine
rule E2E_TAG
    match   header:Subject /e2e-tag-me/
    score   6
rule E2E_MONITOR
    match   header:Subject /e2e-monitor-me/
    action  reject
    mode    monitor
rule E2E_DISCARD
    match   header:Subject /e2e-discard-me/
    action  discard
rule E2E_TEMPFAIL
    match   header:Subject /e2e-later/
    action  tempfail "451 4.7.9 Later, please"
EOF
E2E_POLICY_TEXT=$(sed 's/^subject-prefix off$/subject-prefix "[SPAM] "/' "$TOP_SRCDIR/policy/policy.conf")
mark=$(log_size "$E2E_TMP/logs/portcullisd.log")
E2E_SIZE_MAX=1M e2e_milter_conf
kill -HUP "${E2E_PID[milter]}"
tap_check "SIGHUP with the stock and test rules and the stock policy: reloaded" reloaded "$mark"
e2e_send e2e-reject-me "$E2E_PORT_POSTFIX" 127.0.0.2
tap_check "Postfix: a rule's reject answers its own reply, with a reference found in the log" \
	rule_reply e2e-reject-me "550 5.7.9 Not wanted here"
e2e_send e2e-hold-me "$E2E_PORT_POSTFIX" 127.0.0.2
tap_check "Postfix: a rule's quarantine puts the message in the hold queue (postqueue -j, postcat)" \
	held e2e-hold-me
e2e_send e2e-tag-me "$E2E_PORT_POSTFIX" 127.0.0.2
tap_check "Postfix: score 6 over 'tag at 5': X-Spam-Flag, X-Portcullis-Score, the Subject prefix" \
	tagged e2e-tag-me
mark=$(log_size "$E2E_TMP/logs/portcullisd.log")
tap_check "Postfix: a monitor rule changes nothing (delivered, accept) but is logged as would_hit" \
	monitored e2e-monitor-me "$mark"
e2e_send e2e-later "$E2E_PORT_POSTFIX" 127.0.0.2
tap_check "Postfix: a rule's tempfail answers its own 4xx reply, with a reference" \
	rule_reply e2e-later "451 4.7.9 Later, please"
e2e_send e2e-discard-me "$E2E_PORT_POSTFIX" 127.0.0.2
e2e_send discard-canary "$E2E_PORT_POSTFIX" 127.0.0.2
tap_check "Postfix: a rule's discard: 250 to the client, the message never delivered" \
	discarded e2e-discard-me discard-canary
cp "${PORTCULLIS_SHARED:-$TOP_SRCDIR/../shared}/corpus/samples/sample-spam.txt" "$CLIENT/gtube.body"
e2e_send gtube "$E2E_PORT_POSTFIX" 127.0.0.2
tap_check "Postfix: GTUBE (corpus sample-spam.txt) is caught by the stock rules: 550 5.7.1" \
	rule_reply gtube "550 5.7.1 Message refused by content policy"
# a broken rule file keeps the old rules ...
printf 'rule BROKEN\n    match header:Subject /(unclosed/\n    score 1\n' >"$RULES/60-broken.rules"
mark=$(log_size "$E2E_TMP/logs/portcullisd.log")
kill -HUP "${E2E_PID[milter]}"
tap_check "SIGHUP with a broken rule file: 'reload failed', the error logged as file:line" \
	rules_reload_failed "$mark" "$RULES/60-broken.rules" 2
e2e_send e2e-reject-me-2 "$E2E_PORT_POSTFIX" 127.0.0.2
tap_check "after the failed reload the old rules still reject" \
	rule_reply e2e-reject-me-2 "550 5.7.9 Not wanted here"
# ... and a good one changes verdicts without a restart
rm -f "$RULES/60-broken.rules"
sed -i 's|/e2e-reject-me/|/e2e-refuse-now/|' "$RULES/50-e2e.rules"
mark=$(log_size "$E2E_TMP/logs/portcullisd.log")
kill -HUP "${E2E_PID[milter]}"
e2e_wait_log "$E2E_TMP/logs/portcullisd.log" "$mark" "configuration reloaded" 5 ||
	tap_diag "no reload logged"
tap_check "after a good reload: the old rule's subject is delivered" \
	delivered_after_reload e2e-reject-me-3
e2e_send e2e-refuse-now "$E2E_PORT_POSTFIX" 127.0.0.2
tap_check "after a good reload: the new pattern rejects with 550 5.7.9" \
	rule_reply e2e-refuse-now "550 5.7.9 Not wanted here"
E2E_POLICY_TEXT=

# Reputation: a DNSBL, an RHSBL and a list whose server never answers, from the test DNS
E2E_POLICY_TEXT='on dnsbl:testbl = 127.0.0.2 -> reject "554 5.7.1 Client listed at testbl" as TESTBL
on rhsbl:testdbl -> reject "554 5.7.1 Sender domain listed at testdbl" as TESTDBL
on uribl:testuri -> reject "554 5.7.1 Message links to a listed domain" as TESTURI
on dnsbl:testbl = 127.0.0.4 -> reject "554 5.7.1 IPv6 client listed at testbl" as TESTBL6'
mark=$(log_size "$E2E_TMP/logs/portcullisd.log")
E2E_SIZE_MAX=1M e2e_milter_conf "dnsbl testbl testbl.test" "dnsbl slowbl timeout.test" \
	"rhsbl testdbl testdbl.test check sender,from" "uribl testuri testuri.test"
kill -HUP "${E2E_PID[milter]}"
tap_check "SIGHUP with dnsbl and rhsbl lists: reloaded" reloaded "$mark"
e2e_send rep-listed "$E2E_PORT_POSTFIX" 127.0.0.2
tap_check "Postfix: client 127.0.0.2 on the DNSBL: the policy's reply, with a reference" \
	rule_reply rep-listed "554 5.7.1 Client listed at testbl"
mark=$(log_size "$E2E_TMP/logs/portcullisd.log")
tap_check "Postfix: client 127.0.0.3 gets the list's 'refused' code: no hit, delivered" \
	accepted rep-refused "$E2E_PORT_POSTFIX" 127.0.0.3
tap_check "the refusal is logged as a temperror of the list" \
	log_has "$mark" "dnsbl testbl: the list refused this resolver for client-ip 127.0.0.3"
tap_check "a list whose server never answers: the message is still judged (within 10 s)" \
	judged_within rep-timeout 10
tap_check "... and the silent list is logged as a temperror" \
	log_has "$mark" "dnsbl slowbl: no answer for client-ip 127.0.0.4"
e2e_send rep-from "$E2E_PORT_POSTFIX" 127.0.0.3 --header "From: x@listed.example.test"
tap_check "Postfix: a From domain on the RHSBL: the policy's reply" \
	rule_reply rep-from "554 5.7.1 Sender domain listed at testdbl"
{
	printf '<html><body><p>Offer: <a href="http://www.BadLinks.test/win?id=1">click here</a></p>\n'
	printf '</body></html>\ne2e-end rep-uri\n'
} >"$CLIENT/rep-uri.body"
e2e_send rep-uri "$E2E_PORT_POSTFIX" 127.0.0.3 --add-header "Content-Type: text/html; charset=utf-8"
tap_check "Postfix: an HTML href to a domain on the URIBL: the policy's reply" \
	rule_reply rep-uri "554 5.7.1 Message links to a listed domain"
in_ns timeout 60 swaks --server ::1 --port "$E2E_PORT_POSTFIX" --local-interface ::1 \
	--helo client.example.test --from sender@example.test --to rcpt@example.test \
	--header "X-Test-Id: rep-v6" --suppress-data --timeout 30 >"$CLIENT/rep-v6.swaks" 2>&1
tap_check "Postfix over IPv6: client ::1 on the DNSBL through its nibble name: the policy's reply" \
	rule_reply rep-v6 "554 5.7.1 IPv6 client listed at testbl"
tap_check "iprev pass: client 127.0.0.3 -> client3.example.test -> 127.0.0.3, in the A-R" \
	iprev_is rep-refused pass 127.0.0.3
e2e_send rep-iprev-fail "$E2E_PORT_POSTFIX" 127.0.0.7
tap_check "iprev fail: client 127.0.0.7's PTR name does not map back, in the A-R" \
	iprev_is rep-iprev-fail fail 127.0.0.7
mark=$(log_size "$E2E_TMP/logs/portcullisd.log")
E2E_SIZE_MAX=1M e2e_milter_conf "dnsbl testbl testbl.test reject"
kill -HUP "${E2E_PID[milter]}"
e2e_wait_log "$E2E_TMP/logs/portcullisd.log" "$mark" "configuration reloaded" 5 ||
	tap_diag "no reload logged"
e2e_send rep-early "$E2E_PORT_POSTFIX" 127.0.0.2
tap_check "a dnsbl marked reject: the listed client is refused at RCPT TO, the list named" \
	rule_reply rep-early "554 5.7.1 Service unavailable; client [127.0.0.2] blocked using testbl"
tap_check "... at RCPT TO, before any DATA" \
	sh -c 'tr -d "\r" <"$1" | grep -q "^<\*\* 554 5.7.1 .*blocked using testbl" &&
		! grep -q "^ -> DATA" "$1" || { tail -n 8 "$1"; exit 1; }' sh "$CLIENT/rep-early.swaks"
E2E_POLICY_TEXT=
E2E_SIZE_MAX=1M e2e_milter_conf
kill -HUP "${E2E_PID[milter]}"

# SIGTERM: stop accepting, let the message in flight finish, exit 0
rm -rf "$CLIENT/hold-pf"
mkdir -p "$CLIENT/hold-pf"
e2e_spawn client-pf "$CLIENT/hold-pf.out" timeout 60 "$PYTHON" \
	"$E2E_SRCDIR/smtp-session.py" --port "$E2E_PORT_POSTFIX" --local 127.0.0.5 \
	--sync "$CLIENT/hold-pf" "hold:pf-h1"
for _ in $(seq 100); do [ -e "$CLIENT/hold-pf/ready" ] && break; sleep 0.1; done
kill -TERM "${E2E_PID[milter]}"
sleep 0.5
tap_check "SIGTERM with a transaction in flight: new connections get 4xx, daemon still running" \
	refused_while_draining
touch "$CLIENT/hold-pf/go"
e2e_wait_exit client-pf 30
milter_pid=${E2E_PID[milter]}
milter_status=-1
for _ in $(seq 100); do kill -0 "$milter_pid" 2>/dev/null || break; sleep 0.1; done
if ! kill -0 "$milter_pid" 2>/dev/null; then
	wait "$milter_pid"
	milter_status=$?
	unset "E2E_PID[milter]"
fi
tap_check "after SIGTERM: the transaction in flight is delivered with the verdict, then exit 0" \
	drained "$milter_status"
tap_check "after SIGTERM: the pid file is removed" \
	test ! -e "$E2E_TMP/milter/portcullisd.pid"

[ "$TAP_N" -eq "$TESTS" ] || echo "# ran $TAP_N tests, planned $TESTS"
[ "$TAP_FAILED" -eq 0 ]
