# lib.sh - test bed for the Portcullis end-to-end tests (sourced by run.sh)
#
# Builds, inside a private network namespace, a whole mail path on loopback:
#
#   client (swaks, smtp-session.py, Postfix's sendmail -C) from 127.0.0.2..9
#     -> Postfix  127.0.0.1:$E2E_PORT_POSTFIX  \
#     -> Sendmail 127.0.0.1:$E2E_PORT_SENDMAIL  >-- milter: portcullisd inet:$E2E_PORT_MILTER@127.0.0.1
#     -> smtp-sink 127.0.0.1:$E2E_PORT_SINK (one file per message in $E2E_SINK_DIR)
#   unbound on 127.0.0.1:53 and :5353, authoritative for tests/data/zones/*.zone
#   (a file NAME.zone holds zone NAME); dnsq.py asks it questions
#   Sendmail's syslog goes to syslog-sink.py
#
# Everything lives under one mktemp -d ($E2E_TMP). Every process started is
# recorded by PID in E2E_PID[name]; e2e_cleanup (trapped on EXIT INT TERM)
# kills them by PID, then any process still left inside the namespace (by
# PID, from `ip netns pids`), deletes the namespace and /etc/netns/<ns>, and
# removes $E2E_TMP (kept when E2E_KEEP=1, for debugging).
#
# Functions:
#   e2e_init                     check root + ip netns, make $E2E_TMP and the ns
#   e2e_start_dns / _sink / _postfix / _sendmail / _milter   start one piece
#   e2e_stop NAME [SIG]          stop one started process and reap it
#   e2e_wait_exit NAME SECS      let one end by itself, stop it after SECS
#   e2e_send NAME PORT IFACE [swaks args]   one message; transcript in $E2E_TMP/client
#   smtp_outcome FILE            "CODE text" of the transaction's final reply
#   e2e_wait_delivery ID [SECS]  wait for the message tagged ID at the sink
#   tap_plan / tap_ok / tap_not_ok / tap_check / tap_diag / tap_bail   TAP output
#
# Ports are fixed: the namespace is private, nothing else listens there.

E2E_PORT_POSTFIX=2525
E2E_PORT_SENDMAIL=2526
E2E_PORT_SINK=2527
E2E_PORT_MILTER=8891

E2E_SRCDIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
TOP_SRCDIR=${abs_top_srcdir:-$(cd "$E2E_SRCDIR/../.." && pwd)}
TOP_BUILDDIR=${abs_top_builddir:-$TOP_SRCDIR}
ZONES_DIR=$TOP_SRCDIR/tests/data/zones
PORTCULLISD=${PORTCULLISD:-$TOP_BUILDDIR/portcullisd}
PORTCULLIS=${PORTCULLIS:-$TOP_BUILDDIR/portcullis}
SENDMAIL_DIR=${SENDMAIL_DIR:-/opt/portcullis-testbed/sendmail}
if [ -z "${PYTHON:-}" ]; then
	# the system interpreter: a pyenv shim may not work in CI's environment
	if [ -x /usr/bin/python3 ]; then PYTHON=/usr/bin/python3; else PYTHON=python3; fi
fi
POSTFIX_DAEMON_DIR=$(postconf -dh daemon_directory 2>/dev/null)
: "${POSTFIX_DAEMON_DIR:=/usr/lib/postfix/sbin}"
POSTFIX_SENDMAIL=$(postconf -dh sendmail_path 2>/dev/null)
: "${POSTFIX_SENDMAIL:=/usr/sbin/sendmail}"

E2E_TMP=
E2E_NS=
declare -A E2E_PID=()
declare -A E2E_LOG=()

# ---------------------------------------------------------------- TAP output
TAP_N=0
TAP_FAILED=0

# tap_plan N - print the plan line
tap_plan() { echo "1..$1"; }

# tap_diag LINE... - diagnostics, one "# " line each (stdin when no argument)
tap_diag() {
	if [ $# -gt 0 ]; then
		printf '%s\n' "$@" | sed 's/^/# /'
	else
		sed 's/^/# /'
	fi
}

# tap_tail FILE [LINES] - the end of a file as diagnostics
tap_tail() {
	local f=$1 n=${2:-15}
	if [ -s "$f" ]; then
		tap_diag "--- last $n lines of ${f#"$E2E_TMP"/}:"
		tail -n "$n" "$f" | tr -d '\r' | cut -c1-300 | tap_diag
	else
		tap_diag "--- ${f#"$E2E_TMP"/}: empty or missing"
	fi
}

# tap_ok DESC [DIAG] - a passing test, DIAG (text) as diagnostics
tap_ok() {
	TAP_N=$((TAP_N + 1))
	echo "ok $TAP_N - $1"
	[ -z "${2:-}" ] || tap_diag "$2"
}

# tap_not_ok DESC [DIAG] - a failing test: DIAG (text), then the ends of the
# daemons' logs as diagnostics
tap_not_ok() {
	TAP_N=$((TAP_N + 1))
	TAP_FAILED=$((TAP_FAILED + 1))
	echo "not ok $TAP_N - $1"
	[ -z "${2:-}" ] || tap_diag "$2"
	e2e_log_tails
}

# tap_check DESC CMD... - one test: ok when CMD succeeds; what CMD prints
# (the evidence, or the reason of a failure) becomes diagnostics
tap_check() {
	local desc=$1 out rc
	shift
	out=$("$@" 2>&1)
	rc=$?
	if [ $rc -eq 0 ]; then
		tap_ok "$desc" "$out"
	else
		tap_not_ok "$desc" "$out"
	fi
	return $rc
}

# tap_bail REASON - abort the whole run (the harness counts it as an error)
tap_bail() {
	[ -z "$E2E_TMP" ] || e2e_log_tails
	echo "Bail out! $1"
	exit 1
}

# e2e_log_tails - the last lines of every daemon's log
e2e_log_tails() {
	local name
	for name in milter postfix sendmail sendmail-traffic sink dns; do
		[ -n "${E2E_LOG[$name]:-}" ] && tap_tail "${E2E_LOG[$name]}" 12
	done
	return 0
}

# ---------------------------------------------------------------- lifecycle

# e2e_init - check the prerequisites, make the work dir and the namespace
e2e_init() {
	if [ "$(id -u)" -ne 0 ] || ! ip netns list >/dev/null 2>&1; then
		echo "Bail out! needs root and ip netns"
		exit 1
	fi
	E2E_TMP=$(mktemp -d /tmp/portcullis-e2e.XXXXXX) || tap_bail "mktemp failed"
	# Postfix and smtp-sink drop to the postfix user: let them traverse.
	chmod 0711 "$E2E_TMP"
	trap e2e_cleanup EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM
	mkdir -p "$E2E_TMP/client" "$E2E_TMP/logs"

	E2E_NS=pcl-$$
	ip netns add "$E2E_NS" || { E2E_NS=; tap_bail "ip netns add failed"; }
	ip -n "$E2E_NS" link set lo up || tap_bail "cannot bring up lo in $E2E_NS"
	mkdir -p "/etc/netns/$E2E_NS"
	printf 'nameserver 127.0.0.1\noptions timeout:2 attempts:2\n' \
		>"/etc/netns/$E2E_NS/resolv.conf"
	printf '127.0.0.1\tlocalhost mx.pf.test mx.sm.test sink.test %s\n' \
		"$(hostname)" >"/etc/netns/$E2E_NS/hosts"
	# The whole 127/8 is local on lo: clients can bind 127.0.0.2..9.
	local a
	for a in 2 9; do
		in_ns "$PYTHON" -c "import socket; socket.socket().bind(('127.0.0.$a', 0))" ||
			tap_bail "cannot bind 127.0.0.$a inside $E2E_NS"
	done
}

# e2e_cleanup - kill what we started, delete the namespace and the work dir
e2e_cleanup() {
	local rc=$? name pid
	trap - EXIT INT TERM
	for name in "${!E2E_PID[@]}"; do
		e2e_stop "$name" TERM
	done
	if [ -n "$E2E_NS" ]; then
		# Children of the daemons (smtpd, sendmail's per-connection forks)
		# are still in the namespace if a parent died first.
		for pid in $(ip netns pids "$E2E_NS" 2>/dev/null); do
			kill -KILL "$pid" 2>/dev/null
		done
		ip netns delete "$E2E_NS" 2>/dev/null
		rm -rf "/etc/netns/$E2E_NS"
	fi
	if [ -n "$E2E_TMP" ] && [ -d "$E2E_TMP" ]; then
		if [ "${E2E_KEEP:-0}" = 1 ]; then
			echo "# work dir kept: $E2E_TMP"
		else
			rm -rf "$E2E_TMP"
		fi
	fi
	exit $rc
}

# in_ns CMD... - run CMD inside the namespace
in_ns() { ip netns exec "$E2E_NS" "$@"; }

# e2e_spawn NAME LOG CMD... - start CMD in the background inside the
# namespace, stdout and stderr appended to LOG; records its PID
e2e_spawn() {
	local name=$1 log=$2
	shift 2
	ip netns exec "$E2E_NS" "$@" </dev/null >>"$log" 2>&1 &
	E2E_PID[$name]=$!
	E2E_LOG[$name]=$log
}

# e2e_alive NAME - is the process started as NAME still running?
e2e_alive() {
	local pid=${E2E_PID[$1]:-}
	[ -n "$pid" ] && kill -0 "$pid" 2>/dev/null
}

# e2e_stop NAME [SIG] - signal a started process (TERM by default), wait up
# to 5 s for it to exit (then KILL it) and reap it
e2e_stop() {
	local name=$1 sig=${2:-TERM} pid=${E2E_PID[$1]:-} _
	[ -n "$pid" ] || return 0
	kill -"$sig" "$pid" 2>/dev/null
	for _ in $(seq 50); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	unset "E2E_PID[$name]"
	return 0
}

# e2e_wait_exit NAME SECS - wait for a started process to end by itself; stop
# it after SECS
e2e_wait_exit() {
	local pid=${E2E_PID[$1]:-} _
	[ -n "$pid" ] || return 0
	for _ in $(seq $(($2 * 10))); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	e2e_stop "$1"
}

# e2e_wait_listen NAME PORT [SECS] - wait until a TCP port listens inside the
# namespace; fails early when the process NAME died
e2e_wait_listen() {
	local name=$1 port=$2 secs=${3:-10} _
	for _ in $(seq $((secs * 10))); do
		if [ -n "$(in_ns ss -Hltn "sport = :$port" 2>/dev/null)" ]; then
			return 0
		fi
		e2e_alive "$name" || return 1
		sleep 0.1
	done
	return 1
}

# ---------------------------------------------------------------- DNS

# e2e_start_dns - unbound on 127.0.0.1:53 and :5353, authoritative for every
# tests/data/zones/NAME.zone; bails out unless it answers
e2e_start_dns() {
	local d=$E2E_TMP/dns z name
	mkdir -p "$d"
	{
		cat <<-EOF
		server:
		    interface: 127.0.0.1@53
		    interface: 127.0.0.1@5353
		    do-ip6: no
		    do-daemonize: no
		    chroot: ""
		    username: ""
		    directory: "$d"
		    pidfile: "$d/unbound.pid"
		    use-syslog: no
		    logfile: ""
		    verbosity: 1
		    access-control: 127.0.0.0/8 allow
		    module-config: "iterator"
		    # test. and 127.in-addr.arpa. are built-in local zones (RFC 6761)
		    local-zone: "test." nodefault
		    local-zone: "127.in-addr.arpa." nodefault
		    # the documentation networks' reverse zones (RFC 5737): the
		    # benchmark corpus's clients have PTRs there
		    local-zone: "2.0.192.in-addr.arpa." nodefault
		    local-zone: "100.51.198.in-addr.arpa." nodefault
		    local-zone: "113.0.203.in-addr.arpa." nodefault
		    # a zone whose server fails: every query is refused (SPF temperror)
		    local-zone: "broken.test." always_refuse
		    # a zone whose server never answers: every query is dropped (timeouts)
		    local-zone: "timeout.test." deny
		remote-control:
		    control-enable: no
		EOF
		for z in "$ZONES_DIR"/*.zone; do
			name=$(basename "$z" .zone)
			printf 'auth-zone:\n    name: "%s."\n    zonefile: "%s"\n' "$name" "$z"
			printf '    for-downstream: yes\n    for-upstream: yes\n    fallback-enabled: no\n'
		done
	} >"$d/unbound.conf"
	unbound-checkconf "$d/unbound.conf" >"$d/checkconf.out" 2>&1 ||
		{ tap_tail "$d/checkconf.out"; tap_bail "unbound.conf invalid"; }
	e2e_spawn dns "$E2E_TMP/logs/unbound.log" unbound -d -c "$d/unbound.conf"
	local _
	for _ in $(seq 50); do
		in_ns "$PYTHON" "$E2E_SRCDIR/dnsq.py" "${E2E_DNS_PROBE:-mx.example.test}" A \
			>/dev/null 2>&1 && return 0
		e2e_alive dns || break
		sleep 0.1
	done
	tap_bail "unbound does not answer inside $E2E_NS"
}

# dns_query NAME TYPE [PORT] - print the answer records (dnsq.py output)
dns_query() { in_ns "$PYTHON" "$E2E_SRCDIR/dnsq.py" -p "${3:-53}" "$1" "$2"; }

# ---------------------------------------------------------------- smtp-sink

# e2e_start_sink - smtp-sink on 127.0.0.1:$E2E_PORT_SINK, one dump file per
# message in $E2E_SINK_DIR
e2e_start_sink() {
	E2E_SINK_DIR=$E2E_TMP/sink
	mkdir -p "$E2E_SINK_DIR"
	chown postfix "$E2E_SINK_DIR"
	e2e_spawn sink "$E2E_TMP/logs/smtp-sink.log" smtp-sink -u postfix -h sink.test \
		-d "$E2E_SINK_DIR/%Y%m%d%H%M%S." "127.0.0.1:$E2E_PORT_SINK" 64
	e2e_wait_listen sink "$E2E_PORT_SINK" || tap_bail "smtp-sink did not start"
}

# sink_files ID - the dump files holding the message tagged ID
sink_files() { grep -l -F -x -e "X-Test-Id: $1" -r "$E2E_SINK_DIR" 2>/dev/null; }

# e2e_wait_delivery ID [SECS] - wait until the message tagged ID has reached
# the sink whole (its body's last line "e2e-end ID" is there); prints the
# dump file's name
e2e_wait_delivery() {
	local id=$1 secs=${2:-10} _ f
	for _ in $(seq $((secs * 10))); do
		f=$(grep -l -F -x -e "e2e-end $id" -r "$E2E_SINK_DIR" 2>/dev/null | head -n 1)
		if [ -n "$f" ]; then
			echo "$f"
			return 0
		fi
		sleep 0.1
	done
	return 1
}

# msg_headers FILE - the header block of a dumped message (smtp-sink's own
# X-Client-*, X-*-Args and Received lines come first), CRs stripped
msg_headers() { tr -d '\r' <"$1" | sed '/^$/q' | sed '$ { /^$/d }'; }

# msg_header_values FILE NAME - the value of every NAME: header, unfolded,
# one per line
msg_header_values() {
	msg_headers "$1" | awk -v want="$(echo "$2" | tr '[:upper:]' '[:lower:]')" '
		/^[ \t]/ { if (cur != "") { sub(/^[ \t]+/, " "); cur = cur $0 }; next }
		{ if (cur != "") print cur; cur = "" }
		{ i = index($0, ":"); if (i && tolower(substr($0, 1, i - 1)) == want) {
			cur = substr($0, i + 1); sub(/^[ \t]+/, "", cur); if (cur == "") cur = " " } }
		END { if (cur != "") print cur }'
}

# ---------------------------------------------------------------- Postfix

# e2e_start_postfix - a private Postfix instance: config, queue and data
# directories under $E2E_TMP/postfix, smtpd on 127.0.0.1:$E2E_PORT_POSTFIX,
# portcullisd as smtpd and non-smtpd milter, everything relayed to the sink;
# its log in $E2E_TMP/logs/postfix.log (maillog_file, via postlogd).
# E2E_POSTFIX_MILTERS (other milters, in Postfix's syntax) and
# E2E_RELAY_DOMAINS override the defaults (the benchmark uses them).
e2e_start_postfix() {
	local d=$E2E_TMP/postfix milter=${E2E_POSTFIX_MILTERS:-"inet:127.0.0.1:$E2E_PORT_MILTER"}
	mkdir -p "$d/etc" "$d/spool" "$d/data"
	chown postfix "$d/data"
	cat >"$d/etc/main.cf" <<-EOF
	compatibility_level = 3.6
	queue_directory = $d/spool
	data_directory = $d/data
	mail_owner = postfix
	setgid_group = postdrop
	myhostname = mx.pf.test
	mydomain = pf.test
	myorigin = \$myhostname
	mydestination =
	local_recipient_maps =
	alias_maps =
	alias_database =
	inet_interfaces = 127.0.0.1, [::1]
	inet_protocols = all
	mynetworks = 127.0.0.0/8, [::1]/128
	relay_domains = ${E2E_RELAY_DOMAINS:-example.test example.org}
	relayhost = [127.0.0.1]:$E2E_PORT_SINK
	relay_transport = smtp:[127.0.0.1]:$E2E_PORT_SINK
	default_transport = smtp:[127.0.0.1]:$E2E_PORT_SINK
	smtpd_milters = $milter
	non_smtpd_milters = $milter
	milter_default_action = tempfail
	milter_protocol = 6
	milter_connect_timeout = 10s
	milter_command_timeout = 20s
	milter_content_timeout = 60s
	maillog_file = $E2E_TMP/logs/postfix.log
	maillog_file_prefixes = $E2E_TMP
	smtp_tls_security_level = none
	smtpd_tls_security_level = none
	biff = no
	append_dot_mydomain = no
	queue_run_delay = 5s
	minimal_backoff_time = 5s
	maximal_backoff_time = 10s
	EOF
	cat >"$d/etc/master.cf" <<-EOF
	$E2E_PORT_POSTFIX inet n - n - - smtpd
	pickup    unix  n - n 60 1 pickup
	cleanup   unix  n - n -  0 cleanup
	qmgr      unix  n - n 300 1 qmgr
	rewrite   unix  - - n -  - trivial-rewrite
	bounce    unix  - - n -  0 bounce
	defer     unix  - - n -  0 bounce
	trace     unix  - - n -  0 bounce
	verify    unix  - - n -  1 verify
	flush     unix  n - n 1000? 0 flush
	proxymap  unix  - - n -  - proxymap
	proxywrite unix - - n -  1 proxymap
	smtp      unix  - - n -  - smtp
	relay     unix  - - n -  - smtp
	showq     unix  n - n -  - showq
	error     unix  - - n -  - error
	retry     unix  - - n -  - error
	discard   unix  - - n -  - discard
	anvil     unix  - - n -  1 anvil
	scache    unix  - - n -  1 scache
	postlog   unix-dgram n - n - 1 postlogd
	EOF
	# Creates the queue directories with their owners and modes.
	postfix -c "$d/etc" check >"$d/check.out" 2>&1 ||
		{ tap_tail "$d/check.out"; tap_bail "postfix check failed"; }
	# master without -w stays in the foreground (postfix start-fg would
	# leave a shell between us and it).
	e2e_spawn postfix "$E2E_TMP/logs/postfix-master.log" \
		"$POSTFIX_DAEMON_DIR/master" -c "$d/etc" -s
	E2E_LOG[postfix]=$E2E_TMP/logs/postfix.log
	e2e_wait_listen postfix "$E2E_PORT_POSTFIX" ||
		{ tap_tail "$E2E_TMP/logs/postfix-master.log"; tap_bail "postfix did not start"; }
}

# ---------------------------------------------------------------- Sendmail

# e2e_start_sendmail - Sendmail from $SENDMAIL_DIR (fetch-sendmail.sh) on
# 127.0.0.1:$E2E_PORT_SENDMAIL with portcullisd as input filter (F=T: tempfail
# when it is down), relaying everything to the sink. Its SMTP traffic is
# traced with -X; it logs only through syslog(3), so it runs with a private
# /dev (in the mount namespace `ip netns exec` makes for it) whose "log" is
# the socket of syslog-sink.py, and its log lands in logs/sendmail.log
e2e_start_sendmail() {
	local d=$E2E_TMP/sendmail cfdir=$SENDMAIL_DIR/usr/share/sendmail/cf
	local bin=$SENDMAIL_DIR/usr/libexec/sendmail/sendmail n _
	if [ ! -x "$bin" ] || [ ! -f "$cfdir/m4/cf.m4" ]; then
		tap_bail "no sendmail in $SENDMAIL_DIR: run tests/e2e/fetch-sendmail.sh"
	fi
	mkdir -p "$d/queue" "$d/dev"
	chmod 0700 "$d/queue"
	: >"$d/sendmail.st"
	cat >"$d/test.mc" <<-EOF
	divert(-1)
	Portcullis e2e test instance, generated by tests/e2e/lib.sh
	divert(0)dnl
	include(\`$cfdir/m4/cf.m4')dnl
	OSTYPE(\`linux')dnl
	define(\`confDOMAIN_NAME', \`mx.sm.test')dnl
	define(\`confDONT_PROBE_INTERFACES', \`True')dnl
	define(\`QUEUE_DIR', \`$d/queue')dnl
	define(\`confPID_FILE', \`$d/sendmail.pid')dnl
	define(\`STATUS_FILE', \`$d/sendmail.st')dnl
	define(\`ALIAS_FILE', \`')dnl
	define(\`confHELP_FILE', \`')dnl
	define(\`confHOST_STATUS_DIRECTORY', \`')dnl
	define(\`confTO_IDENT', \`0s')dnl
	define(\`confLOG_LEVEL', \`9')dnl
	define(\`confMILTER_LOG_LEVEL', \`12')dnl
	define(\`SMART_HOST', \`esmtp:[127.0.0.1]')dnl
	define(\`ESMTP_MAILER_ARGS', \`TCP \$h $E2E_PORT_SINK')dnl
	define(\`RELAY_MAILER_ARGS', \`TCP \$h $E2E_PORT_SINK')dnl
	define(\`SMTP_MAILER_ARGS', \`TCP \$h $E2E_PORT_SINK')dnl
	FEATURE(\`no_default_msa')dnl
	FEATURE(\`promiscuous_relay')dnl
	FEATURE(\`accept_unresolvable_domains')dnl
	FEATURE(\`nocanonify')dnl
	DAEMON_OPTIONS(\`Port=$E2E_PORT_SENDMAIL, Addr=127.0.0.1, Name=MTA')dnl
	INPUT_MAIL_FILTER(\`portcullis', \`S=inet:$E2E_PORT_MILTER@127.0.0.1, F=T, T=S:10s;R:10s;E:1m')dnl
	MAILER(\`local')dnl
	MAILER(\`smtp')dnl
	EOF
	m4 "$d/test.mc" >"$d/test.cf" 2>"$d/m4.err" ||
		{ tap_tail "$d/m4.err"; tap_bail "m4 could not build sendmail's test.cf"; }

	# the private /dev: the host's device nodes, bound in, plus "log"
	for n in null zero full random urandom tty; do : >"$d/dev/$n"; done
	e2e_spawn syslog "$E2E_TMP/logs/syslog-sink.err" \
		"$PYTHON" "$E2E_SRCDIR/syslog-sink.py" "$d/dev/log" "$E2E_TMP/logs/sendmail.log"
	for _ in $(seq 50); do
		[ -S "$d/dev/log" ] && break
		sleep 0.1
	done
	[ -S "$d/dev/log" ] || tap_bail "syslog-sink.py did not start"
	# shellcheck disable=SC2016
	e2e_spawn sendmail "$E2E_TMP/logs/sendmail.out" sh -c '
		for n in null zero full random urandom tty; do
			mount --bind "/dev/$n" "$1/dev/$n" || exit 1
		done
		mount --rbind "$1/dev" /dev || exit 1
		shift
		exec "$@"' sh "$d" \
		"$bin" -C "$d/test.cf" -bD -X "$E2E_TMP/logs/sendmail-traffic.log"
	E2E_LOG[sendmail]=$E2E_TMP/logs/sendmail.log
	E2E_LOG[sendmail-traffic]=$E2E_TMP/logs/sendmail-traffic.log
	e2e_wait_listen sendmail "$E2E_PORT_SENDMAIL" || {
		tap_tail "$E2E_TMP/logs/sendmail.out"
		tap_bail "sendmail did not start"
	}
}

# ---------------------------------------------------------------- portcullisd

# e2e_milter_conf [EXTRA LINE...] - write the daemon's configuration file
# $E2E_MILTER_CONF; extra lines go after the two comment lines, so the
# first of them is line 3
e2e_milter_conf() {
	local d=$E2E_TMP/milter
	mkdir -p "$d/tmp" "$d/rules"
	# the policy: $E2E_POLICY_TEXT when set (a test's own), else empty (the built-in
	# thresholds and replies, no `on` lines)
	printf '%s\n' "${E2E_POLICY_TEXT:-}" >"$d/policy.conf"
	E2E_MILTER_CONF=$d/portcullis.conf
	{
		echo "# portcullisd configuration for the end-to-end tests"
		echo "# generated by tests/e2e/lib.sh"
		[ $# -eq 0 ] || printf '%s\n' "$@"
		cat <<-EOF
		socket inet:$E2E_PORT_MILTER@127.0.0.1
		log stderr
		log_level debug
		pidfile $d/portcullisd.pid
		authserv_id mx.test
		dns_forwarders 127.0.0.1@5353
		received_spf yes
		dns_timeout 3s
		tmpdir $d/tmp
		message_size_max ${E2E_SIZE_MAX:-64K}
		rules_dir $d/rules
		policy_file $d/policy.conf
		EOF
	} >"$E2E_MILTER_CONF.new" && mv "$E2E_MILTER_CONF.new" "$E2E_MILTER_CONF"
}

# e2e_start_milter - start portcullisd -f on $E2E_MILTER_CONF, stderr to
# $E2E_TMP/logs/portcullisd.log; fails unless its port listens within 10 s
e2e_start_milter() {
	[ -n "${E2E_MILTER_CONF:-}" ] || e2e_milter_conf
	e2e_spawn milter "$E2E_TMP/logs/portcullisd.log" \
		"$PORTCULLISD" -f -c "$E2E_MILTER_CONF"
	e2e_wait_listen milter "$E2E_PORT_MILTER"
}

# log_size FILE - its size in bytes now (a mark to look past later)
log_size() { stat -c %s "$1" 2>/dev/null || echo 0; }

# log_since FILE MARK - what was appended to FILE after MARK
log_since() { tail -c +"$(($2 + 1))" "$1" 2>/dev/null; }

# e2e_wait_log FILE MARK FIXED-STRING [SECS] - wait until FILE has grown a
# line containing the string past MARK
e2e_wait_log() {
	local f=$1 mark=$2 s=$3 secs=${4:-5} _
	for _ in $(seq $((secs * 10))); do
		log_since "$f" "$mark" | grep -q -F -e "$s" && return 0
		sleep 0.1
	done
	return 1
}

# ---------------------------------------------------------------- clients

# e2e_body ID [KBYTES] - write a message body tagged ID, about KBYTES long
# (default: a few lines), ending with the line "e2e-end ID"; prints its path
e2e_body() {
	local id=$1 kb=${2:-0} f=$E2E_TMP/client/$1.body
	{
		echo "Portcullis end-to-end test message $id."
		if [ "$kb" -gt 0 ]; then
			# 13 lines of 78 characters (+ CRLF) per KB, roughly
			awk -v n=$((kb * 13)) 'BEGIN { for (i = 0; i < n; i++)
				printf "%06d the quick brown fox jumps over the lazy dog 0123456789 abcdefghijklmn\n", i }'
		fi
		echo "e2e-end $id"
	} >"$f"
	echo "$f"
}

# e2e_send ID PORT IFACE [SWAKS-ARGS...] - send one message tagged ID with
# swaks from IFACE (127.0.0.x) to 127.0.0.1:PORT; the transcript goes to
# $E2E_TMP/client/ID.swaks; returns swaks's exit status. A body from
# e2e_body ID is used when one was written, else a short one is made.
e2e_send() {
	local id=$1 port=$2 iface=$3 body=$E2E_TMP/client/$1.body
	shift 3
	[ -f "$body" ] || body=$(e2e_body "$id")
	in_ns timeout 60 swaks --server 127.0.0.1 --port "$port" --local-interface "$iface" \
		--helo client.example.test --from "sender@example.test" --to "rcpt@example.test" \
		--header "Subject: portcullis e2e $id" --header "X-Test-Id: $id" \
		--body "@$body" --suppress-data --timeout 30 "$@" \
		>"$E2E_TMP/client/$id.swaks" 2>&1
}

# hold_queue_id ID - the queue id of the message tagged ID in Postfix's hold queue, if any
hold_queue_id() {
	local q
	for q in $(in_ns postqueue -c "$E2E_TMP/postfix/etc" -j 2>/dev/null | "$PYTHON" -c '
import json, sys
for line in sys.stdin:
    m = json.loads(line)
    if m.get("queue_name") == "hold":
        print(m["queue_id"])'); do
		in_ns postcat -c "$E2E_TMP/postfix/etc" -q "$q" 2>/dev/null |
			grep -q -F "X-Test-Id: $1" && { echo "$q"; return 0; }
	done
	return 1
}

# reply_is ID CODE-PREFIX - the swaks transaction ID ended with such a reply
reply_is() {
	local out
	out=$(smtp_outcome "$CLIENT/$1.swaks")
	case "$out" in
	"$2"*) echo "$1: $out" ;;
	*)
		echo "$1: expected a $2.. reply, got: ${out:-none}"
		tail -n 12 "$CLIENT/$1.swaks"
		return 1
		;;
	esac
}

# smtp_outcome FILE - "CODE text" of the reply that decided a swaks
# transaction: the first error reply, else the reply to the end of DATA
smtp_outcome() {
	tr -d '\r' <"$1" | awk '
		/^<\*\* [0-9][0-9][0-9]/ { sub(/^<\*\* /, ""); print; exit }
		/^ -> QUIT/ { print last; exit }
		/^<-  [0-9][0-9][0-9] / { last = substr($0, 5) }'
}
