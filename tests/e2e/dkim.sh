#!/bin/bash
# dkim.sh - end-to-end tests of DKIM and DMARC through Postfix (TAP), run by `make check`
#
# The real portcullisd behind a real Postfix, on the test bed of lib.sh (private network
# namespace, unbound, smtp-sink). The DKIM keys and DMARC records are served by the test
# DNS (dkim.test, example.co.uk: written by dkim_make.py with the other zones), and the
# messages are signed at test time with Debian's python3-dkim. Each case checks the reply,
# and for delivered mail our Authentication-Results as python3-authres parses it:
#   DKIM: valid rsa and ed25519, body changed, signed header changed, key missing,
#   revoked key, expired (x= an hour ago), two signatures one good;
#   DMARC: pass via DKIM only and via SPF only, p=reject failing -> 550, p=quarantine
#   failing -> held by Postfix, p=none failing -> delivered with dmarc=fail, strict
#   alignment failing, sp= of an organisational domain under a public suffix
#   (mail.example.co.uk), two From addresses -> rejected.
# Needs root and `ip netns`; anything else is a "Bail out!", never a skip.
set -u

# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"

TESTS=17

# send ID IFACE FROM - the prepared message ID from client IFACE with envelope sender FROM
send() {
	in_ns timeout 60 swaks --server 127.0.0.1 --port "$E2E_PORT_POSTFIX" \
		--local-interface "$2" --helo client.example.test \
		--from "$3" --to rcpt@example.test \
		--data "@$CLIENT/$1.eml" --suppress-data --timeout 30 >"$CLIENT/$1.swaks" 2>&1
}

# ar ID METHOD RESULT PROP - ID was delivered with our A-R saying METHOD=RESULT with PROP
ar() {
	local f
	reply_is "$1" 250 || return 1
	f=$(e2e_wait_delivery "$1" 10) || { echo "$1: not delivered within 10 s"; return 1; }
	"$PYTHON" "$E2E_SRCDIR/authres_check.py" "$f" mx.test "$2" "$3" "$4"
}

# ar2 ID - two dkim results in our A-R: one pass, one not
ar2() {
	local f
	f=$(e2e_wait_delivery "$1" 10) || { echo "$1: not delivered within 10 s"; return 1; }
	msg_header_values "$f" Authentication-Results | grep '^mx.test' | tee "$CLIENT/$1.ar"
	grep -q 'dkim=pass' "$CLIENT/$1.ar" && grep -q 'dkim=permerror' "$CLIENT/$1.ar"
}

# refused ID WANT - the transaction ended with a reply starting WANT
refused() {
	local out
	out=$(smtp_outcome "$CLIENT/$1.swaks")
	echo "$1: $out"
	case "$out" in "$2"*) ;; *) echo "expected '$2...'"; return 1 ;; esac
}

# held ID - 250, then in Postfix's hold queue (hold_queue_id in lib.sh)
held() {
	local q= _
	reply_is "$1" 250 || return 1
	for _ in $(seq 100); do
		q=$(hold_queue_id "$1") && { echo "$1: on hold as $q"; return 0; }
		sleep 0.1
	done
	echo "$1: not in the hold queue"
	return 1
}

# ---------------------------------------------------------------- main
e2e_init
CLIENT=$E2E_TMP/client
mkdir -p "$CLIENT" "$E2E_TMP/zones"
missing=
for cmd in postfix postconf smtp-sink swaks unbound unbound-checkconf timeout; do
	command -v "$cmd" >/dev/null 2>&1 || missing="$missing $cmd"
done
"$PYTHON" -c 'import dkim, authres' 2>/dev/null || missing="$missing python3-dkim/python3-authres"
[ -z "$missing" ] || tap_bail "missing:$missing"
[ -x "$PORTCULLISD" ] || tap_bail "no portcullisd at $PORTCULLISD"

# the test bed's zones plus the DKIM/DMARC ones, written now
cp "$ZONES_DIR"/*.zone "$E2E_TMP/zones/"
"$PYTHON" "$E2E_SRCDIR/dkim_make.py" "$E2E_TMP/zones" "$TOP_SRCDIR/tests/data/dkim" ||
	tap_bail "dkim_make.py failed"
mv "$E2E_TMP"/zones/*.eml "$CLIENT/"
ZONES_DIR=$E2E_TMP/zones

tap_plan $TESTS
e2e_start_dns
e2e_start_sink
E2E_POLICY_TEXT=$(cat "$TOP_SRCDIR/policy/policy.conf")
e2e_milter_conf
e2e_start_milter || {
	tap_tail "$E2E_TMP/logs/portcullisd.log" 30
	tap_bail "portcullisd did not listen on port $E2E_PORT_MILTER within 10 s"
}
e2e_start_postfix

# from 127.0.0.6 SPF fails for dkim.test (-all), from 127.0.0.2 it passes
OUT=127.0.0.6
send rsa-pass $OUT x@other.example.test
tap_check "DKIM rsa-sha256 valid: dkim=pass header.d=dkim.test" ar rsa-pass dkim pass header.d=dkim.test
send ed-pass $OUT x@other.example.test
tap_check "DKIM ed25519-sha256 valid (RFC 8463): dkim=pass header.a=ed25519-sha256" \
	ar ed-pass dkim pass header.a=ed25519-sha256
send body-changed 127.0.0.2 s@dkim.test
tap_check "DKIM body changed after signing: dkim=fail" ar body-changed dkim fail header.d=dkim.test
send header-changed 127.0.0.2 s@dkim.test
tap_check "DKIM signed header changed: dkim=fail" ar header-changed dkim fail header.d=dkim.test
send key-missing 127.0.0.2 s@dkim.test
tap_check "DKIM key missing: dkim=permerror" ar key-missing dkim permerror header.s=nokey
send revoked 127.0.0.2 s@dkim.test
tap_check "DKIM revoked key (p=): dkim=permerror" ar revoked dkim permerror header.s=revoked
send expired 127.0.0.2 s@dkim.test
tap_check "DKIM signature expired (x= past): dkim=permerror" ar expired dkim permerror header.s=rsa
send two-sigs 127.0.0.2 s@dkim.test
tap_check "two signatures, one good: one dkim=pass and one dkim=permerror" ar2 two-sigs
send dmarc-dkim-only $OUT x@other.example.test
tap_check "DMARC pass through DKIM only (SPF not aligned): dmarc=pass" \
	ar dmarc-dkim-only dmarc pass header.from=dkim.test
send dmarc-spf-only 127.0.0.2 s@dkim.test
tap_check "DMARC pass through SPF only (unsigned): dmarc=pass" \
	ar dmarc-spf-only dmarc pass header.from=dkim.test
send dmarc-reject $OUT x@other.example.test
tap_check "DMARC fail under p=reject: 550 5.7.1 naming the From domain" \
	refused dmarc-reject "550 5.7.1 Rejected by the DMARC policy of dkim.test"
send dmarc-quarantine $OUT x@other.example.test
tap_check "DMARC fail under p=quarantine: held in Postfix's hold queue" held dmarc-quarantine
send dmarc-none $OUT x@other.example.test
tap_check "DMARC fail under p=none: delivered with dmarc=fail" \
	ar dmarc-none dmarc fail header.from=none.dkim.test
send dmarc-strict $OUT x@other.example.test
tap_check "DMARC strict alignment (adkim=s): d=strictco.co.uk for mail.strictco.co.uk fails: 550" \
	refused dmarc-strict "550 5.7.1"
send dmarc-sp $OUT x@other.example.test
tap_check "DMARC sp=reject of example.co.uk (public suffix co.uk) for mail.example.co.uk: 550" \
	refused dmarc-sp "550 5.7.1"
send two-from $OUT x@other.example.test
tap_check "two From addresses: rejected 550 5.7.1" refused two-from "550 5.7.1"
tap_check "portcullisd still running" sh -c 'kill -0 "$1"' sh "${E2E_PID[milter]}"

[ "$TAP_N" -eq "$TESTS" ] || echo "# ran $TAP_N tests, planned $TESTS"
[ "$TAP_FAILED" -eq 0 ]
