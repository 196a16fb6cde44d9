#!/bin/bash
# quarantine.sh - end-to-end tests of the quarantine store, the JSON log and the review
# CLI (TAP), run by `make check`
#
# The real portcullisd behind a real Postfix (see lib.sh), with quarantine_dir, json_log,
# release_via smtp: back into Postfix, a rule that quarantines by Subject and the policy
# line `quarantine-to store`. A message scored into quarantine is stored (the client gets
# 250, the sink never sees it), listed, shown with its rule hit and file:line, released
# (over SMTP, and through Postfix's sendmail(1)) and delivered with its original envelope,
# not quarantined again; a forged release mark does not pass; delete and purge work; 1,000
# entries (copies of a real one, indexed by `repair`) list and filter in well under a
# second; SIGUSR1 reopens the JSON log; others than root are refused.
# Needs root and `ip netns`, as run.sh.
set -u

# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"

TESTS=24

Q=
JLOG=
CONF=

# pcl ARGS... - the CLI inside the namespace with the test configuration
pcl() { in_ns "$PORTCULLIS" quarantine -c "$CONF" "$@"; }

# q_id TAG - the store's id of the entry whose subject holds TAG
q_id() { pcl list --json | grep -F "$1" | head -n 1 | sed 's/^{"id":"\([0-9A-Z]*\)".*/\1/'; }

# stored TAG CANARY - 250 to the client, an entry in the store, and once the canary (sent
# after it) has reached the sink, TAG has not
stored() {
	local id out
	out=$(smtp_outcome "$CLIENT/$1.swaks")
	case "$out" in
	250*) echo "$1: $out" ;;
	*) echo "$1: expected 250, got: ${out:-none}"; return 1 ;;
	esac
	id=$(q_id "$1")
	[ -n "$id" ] || { echo "$1: not in 'quarantine list'"; pcl list; return 1; }
	echo "$1: stored as $id"
	e2e_wait_delivery "$2" 10 >/dev/null || { echo "canary $2 not delivered"; return 1; }
	[ -z "$(sink_files "$1")" ] || { echo "$1 reached the sink"; return 1; }
}

# json_has FIXED-STRING... - a line of the JSON log holds every string
json_has() {
	local line
	line=$(grep -F -e "$1" "$JLOG" | head -n 1)
	shift
	for s in "$@"; do
		printf '%s' "$line" | grep -q -F -e "$s" ||
			{ echo "no JSON log line with '$s':"; tail -n 3 "$JLOG"; return 1; }
	done
	"$PYTHON" -c 'import json,sys; json.loads(sys.argv[1])' "$line" ||
		{ echo "not valid JSON: $line"; return 1; }
	echo "${line:0:300}"
}

# shows ID - `show` names the rule, its file:line, what matched and who decided
shows() {
	local out
	out=$(pcl show "$1") || { echo "show failed"; return 1; }
	for s in "E2E_QUARANTINE" "50-q.rules:1" 'matched' "decided by:" "X-Test-Id: q-1" \
		"sender@example.test"; do
		printf '%s\n' "$out" | grep -q -F -e "$s" || { echo "no '$s' in:"; echo "$out"; return 1; }
	done
	printf '%s\n' "$out" | head -n 30
}

# raw_is ID TAG - `show --raw` is the message as received (headers, body end marker)
raw_is() {
	local out
	out=$(pcl show --raw "$1" | tr -d '\r')
	printf '%s\n' "$out" | grep -q -x -F "X-Test-Id: $2" &&
		printf '%s\n' "$out" | grep -q -x -F "e2e-end $2" &&
		printf '%s\n' "$out" | grep -q -x -F "Subject: portcullis e2e $2 e2e-quarantine-me" ||
		{ echo "raw message of $1:"; echo "$out" | head -n 20; return 1; }
	echo "$out" | head -n 8
}

# released_delivered TAG SENDER RCPT... - at the sink with the original envelope, accepted,
# without the release mark
released_delivered() {
	local tag=$1 sender=$2 f r
	shift 2
	f=$(e2e_wait_delivery "$tag" 15) || { echo "$tag: not delivered within 15 s"; return 1; }
	msg_headers "$f" | grep -q -i "^X-Mail-Args:.*<$sender>" ||
		{ echo "$tag: sender not <$sender>:"; msg_headers "$f"; return 1; }
	for r in "$@"; do
		grep -l -F -e "e2e-end $tag" -r "$E2E_SINK_DIR" | xargs cat | tr -d '\r' |
			grep -q -i "^X-Rcpt-Args:.*<$r>" ||
			{ echo "$tag: not delivered to <$r>"; msg_headers "$f"; return 1; }
	done
	msg_headers "$f" | grep -q '^X-Portcullis-Verdict: accept' ||
		{ echo "$tag: not accepted:"; msg_headers "$f"; return 1; }
	! msg_headers "$f" | grep -q -i '^X-Portcullis-Released' ||
		{ echo "$tag: the release mark was passed on"; return 1; }
	msg_headers "$f" | grep -E '^(X-Mail-Args|X-Rcpt-Args|X-Portcullis-Verdict|Subject):'
}

# state_is ID STATE - the index says so
state_is() {
	pcl list --json | grep -F "\"id\":\"$1\"" | grep -q -F "\"state\":\"$2\"" ||
		{ echo "$1 is not $2:"; pcl list; return 1; }
	echo "$1: $2"
}

# gone ID - not listed, no file
gone() {
	[ -z "$(pcl list --json | grep -F "\"id\":\"$1\"")" ] || { echo "$1 still listed"; return 1; }
	[ ! -e "$Q/q/$1" ] || { echo "$Q/q/$1 still there"; return 1; }
	pcl show "$1" >/dev/null 2>&1 && { echo "show $1 still works"; return 1; }
	echo "$1 is gone"
}

# clone ID N - N copies of entry ID under new ids (one in ten from rare@few.test)
clone() {
	local src=$Q/q/$1 prefix=${1:0:10}
	awk -v n="$2" -v prefix="$prefix" -v dir="$Q/q" '
		BEGIN { b32 = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
			while ((getline line < ARGV[1]) > 0) lines[++nl] = line
			for (i = 0; i < n; i++) {
				x = i; suf = ""
				for (k = 0; k < 16; k++) { suf = substr(b32, x % 32 + 1, 1) suf; x = int(x / 32) }
				id = prefix suf; f = dir "/" id
				for (j = 1; j <= nl; j++) {
					l = lines[j]
					if (l ~ /^id /) l = "id " id
					else if (l ~ /^mail-from / && i % 10 == 0) l = "mail-from rare@few.test"
					printf "%s\n", l > f
				}
				close(f)
			}
			exit }' "$src"
}

# fast_lists - list and filters of 1,000+ entries in well under a second each
fast_lists() {
	local t0 t1 n ms
	t0=$(date +%s%N)
	n=$(pcl list --json | wc -l)
	t1=$(date +%s%N)
	ms=$(((t1 - t0) / 1000000))
	[ "$n" -ge 1000 ] || { echo "only $n entries listed"; return 1; }
	echo "list: $n entries in $ms ms"
	[ "$ms" -lt 500 ] || { echo "too slow"; return 1; }
	t0=$(date +%s%N)
	n=$(pcl list --json --sender rare@few.test --rule E2E_QUARANTINE --since 1h | wc -l)
	t1=$(date +%s%N)
	ms=$(((t1 - t0) / 1000000))
	echo "list --sender --rule --since: $n entries in $ms ms"
	[ "$n" -eq 100 ] || { echo "expected 100"; return 1; }
	[ "$ms" -lt 500 ] || { echo "too slow"; return 1; }
	t0=$(date +%s%N)
	pcl stats >"$CLIENT/stats.out" || { echo "stats failed"; return 1; }
	t1=$(date +%s%N)
	echo "stats in $(((t1 - t0) / 1000000)) ms:"
	head -n 12 "$CLIENT/stats.out"
	grep -q "E2E_QUARANTINE" "$CLIENT/stats.out"
}

# usr1_reopens - after the log is moved away and SIGUSR1, a new file gets the next line
usr1_reopens() {
	mv "$JLOG" "$JLOG.1"
	kill -USR1 "${E2E_PID[milter]}"
	e2e_wait_log "$E2E_TMP/logs/portcullisd.log" "$1" "JSON log reopened" 5 ||
		{ echo "no 'JSON log reopened'"; return 1; }
	e2e_send usr1-a "$E2E_PORT_POSTFIX" 127.0.0.2
	e2e_wait_delivery usr1-a 10 >/dev/null || { echo "usr1-a not delivered"; return 1; }
	grep -q -F 'e2e usr1-a' "$JLOG" || { echo "usr1-a not in the new $JLOG"; return 1; }
	! grep -q -F 'e2e usr1-a' "$JLOG.1" || { echo "usr1-a in the old file"; return 1; }
	echo "new $JLOG: $(wc -l <"$JLOG") line(s)"
}

# refused_others - a user other than root (and not in quarantine_group) is told no
refused_others() {
	local out rc
	out=$(in_ns setpriv --reuid=65534 --regid=65534 --clear-groups \
		"$PORTCULLIS" quarantine -c "$CONF" list 2>&1)
	rc=$?
	echo "$out (exit $rc)"
	[ $rc -eq 77 ] && printf '%s' "$out" | grep -q "permission denied"
}

# store_modes ID - entry file 0600 in a 0700 directory, no temp file left
store_modes() {
	stat -c '%a %n' "$Q" "$Q/q/$1"
	[ "$(stat -c %a "$Q")" = 700 ] && [ "$(stat -c %a "$Q/q/$1")" = 600 ] &&
		[ -z "$(ls -A "$Q/tmp")" ]
}

# why_explains REF - `portcullis why` finds and explains the message
why_explains() {
	local out
	out=$(in_ns "$PORTCULLIS" why -c "$CONF" "$1") || { echo "why failed: $out"; return 1; }
	printf '%s\n' "$out"
	printf '%s\n' "$out" | grep -q 'E2E_QUARANTINE' && printf '%s\n' "$out" | grep -q 'decided by'
}

# only_one - one entry in the store, and the released message's record says why it passed
only_one() {
	[ "$(ls "$Q/q" | wc -l)" -eq 1 ] || { echo "entries: $(ls "$Q/q")"; return 1; }
	grep -F 'released from the quarantine' "$JLOG" | cut -c1-300
}

# sendmail_release ID - release through Postfix's sendmail(1) of the test instance
sendmail_release() {
	sed "s|^release_via .*|release_via sendmail:$POSTFIX_SENDMAIL|" "$CONF" >"$CONF.sendmail"
	MAIL_CONFIG=$E2E_TMP/postfix/etc in_ns "$PORTCULLIS" quarantine -c "$CONF.sendmail" \
		release "$1"
}

# deleted ID - gone, and a 'deleted' event logged
deleted() {
	gone "$1" && grep -F '"event":"deleted"' "$JLOG" | grep -F "$1"
}

# bad_id_refused - a path instead of an id: refused, exit 1
bad_id_refused() {
	local out rc
	out=$(pcl show ../../../etc/passwd 2>&1)
	rc=$?
	echo "$out (exit $rc)"
	[ $rc -eq 1 ] && printf '%s' "$out" | grep -q 'not a quarantine id'
}

# repair_adds N - `repair` adds N entries
repair_adds() {
	local out
	out=$(pcl repair)
	echo "$out"
	printf '%s' "$out" | grep -q "repaired: $1 entries added"
}

# purge_all - purge --max-size 1 removes everything, each logged
purge_all() {
	local out
	out=$(pcl purge --max-size 1)
	echo "$out"
	printf '%s' "$out" | grep -q 'purged 100[0-9] entries' || return 1
	[ -z "$(ls -A "$Q/q")" ] || { echo "entries left"; return 1; }
	echo "purged events: $(grep -c '"event":"purged"' "$JLOG")"
}

# restart_repairs ID - after a restart without an index, ID is listed again
restart_repairs() {
	e2e_wait_log "$E2E_TMP/logs/portcullisd.log" "$2" "repaired" 5
	log_since "$E2E_TMP/logs/portcullisd.log" "$2" | grep -F 'repaired'
	pcl list | grep -F "$1"
}

# ---------------------------------------------------------------- main
e2e_init
CLIENT=$E2E_TMP/client
for cmd in postfix postconf smtp-sink swaks unbound ss timeout setpriv; do
	command -v "$cmd" >/dev/null 2>&1 || tap_bail "missing: $cmd"
done
[ -x "$PORTCULLISD" ] || tap_bail "no portcullisd at $PORTCULLISD"
tap_plan $TESTS

Q=$E2E_TMP/milter/quarantine
JLOG=$E2E_TMP/logs/messages.json
e2e_start_dns
e2e_start_sink
mkdir -p "$E2E_TMP/milter/rules"
cat >"$E2E_TMP/milter/rules/50-q.rules" <<'EOF'
rule E2E_QUARANTINE
    match   header:Subject /e2e-quarantine-me/
    score   11
EOF
E2E_POLICY_TEXT='quarantine-to store'
e2e_milter_conf "quarantine_dir $Q" "json_log $JLOG" \
	"release_via smtp:127.0.0.1:$E2E_PORT_POSTFIX"
CONF=$E2E_MILTER_CONF
e2e_start_milter || {
	tap_tail "$E2E_TMP/logs/portcullisd.log" 30
	tap_bail "portcullisd did not listen on port $E2E_PORT_MILTER within 10 s"
}
e2e_start_postfix

# 1-5: a message scored over 'quarantine at 10' is stored, logged, shown
e2e_send q-1 "$E2E_PORT_POSTFIX" 127.0.0.2 --header "Subject: portcullis e2e q-1 e2e-quarantine-me" \
	--from qsender@example.test --to q1@example.test,q2@example.org
e2e_send q-canary "$E2E_PORT_POSTFIX" 127.0.0.2
tap_check "score 11 over 'quarantine at 10': 250, stored, listed, never at the sink" \
	stored q-1 q-canary
ID1=$(q_id q-1)
tap_check "store: entry file mode 0600 in a 0700 directory, no temp file left" \
	store_modes "$ID1"
tap_check "JSON log: one message line with verdict, rule hit, score, quarantine id (valid JSON)" \
	json_has "\"id\":\"$ID1\",\"to\":\"store\"" '"verdict":"quarantine"' \
	'"name":"E2E_QUARANTINE"' '"score":11.00' '"mail_from":"qsender@example.test"' \
	'"v":1' '"durations_ms"'
tap_check "JSON log: a 'stored' quarantine event" \
	json_has "\"event\":\"stored\",\"id\":\"$ID1\"" '"by":"portcullisd"'
tap_check "show: the rule hit with file:line and what matched, who decided, the headers" \
	shows "$ID1"
tap_check "show --raw: the message exactly as received" raw_is "$ID1" q-1
tap_check "why REF: the verdict explained from the JSON log" why_explains "$ID1"

# 6-9: release over SMTP: the original envelope, accepted, not quarantined again
tap_check "release over SMTP (release_via smtp:): exit 0" pcl release "$ID1"
tap_check "released: delivered with the original envelope, accepted, the mark removed" \
	released_delivered q-1 qsender@example.test q1@example.test q2@example.org
tap_check "released: the index says released" state_is "$ID1" released
tap_check "released: the JSON log has the 'released' event and the accept 'released from'" \
	json_has '"event":"released"' "\"id\":\"$ID1\"" '"to":["q1@example.test","q2@example.org"]'
tap_check "released: only one entry (not quarantined again), accepted as released" only_one

# 10: release through Postfix's sendmail(1) (pickup, non_smtpd_milters)
e2e_send q-2 "$E2E_PORT_POSTFIX" 127.0.0.2 --header "Subject: portcullis e2e q-2 e2e-quarantine-me"
e2e_wait_log "$JLOG" 0 "e2e q-2" 10
ID2=$(q_id q-2)
tap_check "release through sendmail -i -f (MAIL_CONFIG: the test Postfix): exit 0" \
	sendmail_release "$ID2"
tap_check "sendmail release: at the sink with the original envelope" \
	released_delivered q-2 sender@example.test rcpt@example.test

# 11: a forged release mark does not pass
e2e_send q-3 "$E2E_PORT_POSTFIX" 127.0.0.2 --header "Subject: portcullis e2e q-3 e2e-quarantine-me" \
	--add-header "X-Portcullis-Released: $ID1 0123456789abcdef0123456789abcdef"
e2e_send q-canary3 "$E2E_PORT_POSTFIX" 127.0.0.2
tap_check "a forged release mark (a real id, a wrong token): quarantined all the same" \
	stored q-3 q-canary3
ID3=$(q_id q-3)

# 12-13: delete
tap_check "delete: exit 0" pcl delete "$ID3"
tap_check "deleted: not listed, no file, show fails; a 'deleted' event" deleted "$ID3"

# 14-15: ids that are not ids; others than root
tap_check "show ../../../etc/passwd: refused as not a quarantine id (exit 1)" bad_id_refused
tap_check "a user who is not root nor in quarantine_group: 'permission denied', exit 77" \
	refused_others

# 16-17: 1,000 more entries (copies of a real one) indexed by repair; list and filter
clone "$ID2" 1000
tap_check "repair indexes 1,000 entry files written without the daemon" repair_adds 1000
tap_check "1,000 entries: list, list --sender --rule --since and stats in well under a second" \
	fast_lists

# 18: purge
tap_check "purge --max-size 1: every entry purged, 'purged' events logged" purge_all

# 19: SIGUSR1
mark=$(log_size "$E2E_TMP/logs/portcullisd.log")
tap_check "SIGUSR1 reopens the JSON log (logrotate)" usr1_reopens "$mark"

# 20: the daemon repairs the index at start
e2e_send q-4 "$E2E_PORT_POSTFIX" 127.0.0.2 --header "Subject: portcullis e2e q-4 e2e-quarantine-me"
e2e_wait_log "$JLOG" 0 "e2e q-4" 10
ID4=$(q_id q-4)
e2e_stop milter
rm -f "$Q/index.sqlite" "$Q/index.sqlite-wal" "$Q/index.sqlite-shm"
mark=$(log_size "$E2E_TMP/logs/portcullisd.log")
e2e_start_milter || tap_bail "portcullisd did not restart"
tap_check "restart with the index deleted: the daemon rebuilds it from the files" \
	restart_repairs "$ID4" "$mark"

[ "$TAP_N" -eq "$TESTS" ] || tap_diag "ran $TAP_N tests, planned $TESTS"
exit $((TAP_FAILED > 0))
