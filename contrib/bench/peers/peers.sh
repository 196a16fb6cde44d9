# peers.sh - start and stop the filters the benchmark compares (sourced, bash)
#
# SYNOPSIS
#   . contrib/bench/peers/peers.sh
#   peer_start NAME WORKDIR DNS_ADDR CORPUSDIR || exit 1
#   milterload $(peer_milter_args) ... CORPUSDIR      # -s SOCKET... -p PID...
#   peer_stop NAME
#
# DESCRIPTION
#   NAME is one of
#     portcullis  portcullisd, the corpus's rules, the stock policy
#     chain       opendkim (verify) then opendmarc (SPF + DMARC), two milters
#     rspamd      rspamd 3.4's milter proxy, scanning by itself
#     null        contrib/bench/nullmilter (always continue)
#   configured to do the same work on the same DNS data (see README).
#
#   peer_start writes the peer's configuration into WORKDIR/NAME (created),
#   starts its daemon(s) in the foreground (as children of this shell, each
#   recorded by PID), waits until every milter socket answers a milter
#   negotiation, and sets
#     PEER_SOCKETS  the milter sockets, in chain order ("unix:/path ...")
#     PEER_PIDS     the processes whose CPU time counts (with descendants)
#     PEER_LOG      the peer's main log file
#   DNS_ADDR is the resolver the peer must use: IP, IP:PORT or IP@PORT
#   (opendmarc's resolver takes no port: it must be 53). CORPUSDIR is a
#   corpus of contrib/bench/mkcorpus.py; its bench.env names the blocklist
#   zone and the rule files.
#
#   Call it in the network namespace of the run (or set PEER_NETNS=NAME:
#   every daemon is then started with `ip netns exec NAME`). Run as root.
#
#   peer_stop NAME sends TERM to the peer's processes, KILL after
#   PEER_STOP_TIMEOUT seconds (default 10), and reaps them. peer_stop_all
#   stops every peer started.
#
# ENVIRONMENT
#   BENCH_BUILDDIR   the build tree (default: abs_top_builddir, else the
#                    source tree): portcullisd, contrib/bench/nullmilter
#   PORTCULLISD, NULLMILTER   the binaries, to override the above
#   PEER_IPREV       Portcullis's iprev setting (default: no, as the peers)
#   PEER_WAIT        seconds to wait for a peer's sockets (default 180: a
#                    first start of rspamd compiles for a minute)
#   PEER_RSPAMD_LOG_LEVEL  rspamd's log level (default notice: one line per
#                    message; info shows what each message went through)
#   PEER_RSPAMD_DB   rspamd's DBDIR, where its compiled hyperscan databases
#                    are cached from one start to the next (default
#                    WORKDIR/rspamd.db): a run that makes a new WORKDIR per
#                    round saves a minute per round by pointing it elsewhere
#
# DIAGNOSTICS
#   peer_start returns non-zero, after printing on stderr what failed and
#   the end of the daemon's log, and stops whatever it had started.

PEERS_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
PEERS_TOP_SRCDIR=$(cd "$PEERS_DIR/../../.." && pwd)
: "${BENCH_BUILDDIR:=${abs_top_builddir:-$PEERS_TOP_SRCDIR}}"
: "${PORTCULLISD:=$BENCH_BUILDDIR/portcullisd}"
: "${NULLMILTER:=$BENCH_BUILDDIR/contrib/bench/nullmilter}"
: "${PEER_IPREV:=no}"
: "${PEER_WAIT:=180}"
: "${PEER_STOP_TIMEOUT:=10}"
PEER_AUTHSERV_ID=mx.bench.test
if [ -x /usr/bin/python3 ]; then PEER_PYTHON=/usr/bin/python3; else PEER_PYTHON=python3; fi

# set by peer_start, for the caller
PEER_SOCKETS=''
PEER_PIDS=''
PEER_LOG=''
declare -A PEER_PIDS_OF=()   # NAME -> pids of the daemons, in start order
declare -A PEER_LOGS_OF=()   # NAME -> log files, in start order

# peer_log_tail FILE... - the last lines of each log, on stderr
peer_log_tail() {
	local f
	for f in "$@"; do
		if [ -s "$f" ]; then
			echo "--- last 20 lines of $f:" >&2
			tail -n 20 "$f" | cut -c1-400 >&2
		else
			echo "--- $f: empty or missing" >&2
		fi
	done
}

# peer_fail NAME MESSAGE - report a failed start, stop what started, fail
peer_fail() {
	local name=$1
	echo "peer_start $name: $2" >&2
	# shellcheck disable=SC2086
	peer_log_tail ${PEER_LOGS_OF[$name]:-}
	peer_stop "$name"
	return 1
}

# peer_spawn NAME LOG CMD... - start CMD in the background (in PEER_NETNS
# when set), output appended to LOG; records its PID under NAME
peer_spawn() {
	local name=$1 log=$2
	shift 2
	if [ -n "${PEER_NETNS:-}" ]; then
		set -- ip netns exec "$PEER_NETNS" "$@"
	fi
	"$@" </dev/null >>"$log" 2>&1 &
	PEER_PIDS_OF[$name]="${PEER_PIDS_OF[$name]:-} $!"
	PEER_LOGS_OF[$name]="${PEER_LOGS_OF[$name]:-} $log"
}

# peer_in_ns CMD... - run CMD (in PEER_NETNS when set)
peer_in_ns() {
	if [ -n "${PEER_NETNS:-}" ]; then
		ip netns exec "$PEER_NETNS" "$@"
	else
		"$@"
	fi
}

# peer_alive NAME - are all of the peer's processes running?
peer_alive() {
	local pid
	for pid in ${PEER_PIDS_OF[$1]:-}; do
		kill -0 "$pid" 2>/dev/null || return 1
	done
	return 0
}

# peer_wait_sockets NAME - wait until each socket of PEER_SOCKETS answers a
# milter negotiation; fails when a process of the peer dies or after PEER_WAIT s
peer_wait_sockets() {
	local name=$1 sock _ ok
	local -a socks
	read -ra socks <<<"$PEER_SOCKETS"
	set -- "${socks[@]}"
	for _ in $(seq $((PEER_WAIT * 5))); do
		ok=1
		for sock in "$@"; do
			peer_in_ns "$PEER_PYTHON" "$PEERS_DIR/milter-ping.py" "$sock" 1 2>/dev/null ||
				{ ok=0; break; }
		done
		[ $ok = 1 ] && return 0
		peer_alive "$name" || { echo "peer_start $name: a daemon exited" >&2; return 1; }
		sleep 0.2
	done
	echo "peer_start $name: no answer on $* within ${PEER_WAIT}s" >&2
	peer_in_ns "$PEER_PYTHON" "$PEERS_DIR/milter-ping.py" "$sock" 1
	return 1
}

# peer_subst TEMPLATE OUT KEY=VALUE... - OUT is TEMPLATE with each @KEY@
# replaced by VALUE
peer_subst() {
	local in=$1 out=$2 kv script=
	shift 2
	for kv in "$@"; do
		# values are paths and names: escape sed's specials anyway
		script="$script s|@${kv%%=*}@|$(printf '%s' "${kv#*=}" | sed 's/[|&\\]/\\&/g')|g;"
	done
	sed -e "$script" "$in" >"$out"
}

# peer_corpus_env CORPUSDIR - set BL_ZONE, RULES, RSPAMD_RULES from its bench.env
peer_corpus_env() {
	local env=$1/bench.env
	[ -r "$env" ] || { echo "peer_start: no $env" >&2; return 1; }
	# shellcheck source=/dev/null
	BL_ZONE=$(. "$env" && echo "${BL_ZONE:-}")
	# shellcheck source=/dev/null
	RULES=$(. "$env" && echo "${RULES:-}")
	# shellcheck source=/dev/null
	RSPAMD_RULES=$(. "$env" && echo "${RSPAMD_RULES:-}")
	if [ -z "$BL_ZONE" ] || [ -z "$RULES" ] || [ -z "$RSPAMD_RULES" ]; then
		echo "peer_start: $env lacks BL_ZONE, RULES or RSPAMD_RULES" >&2
		return 1
	fi
}

# peer_dns_split DNS_ADDR - set DNS_IP and DNS_PORT from IP, IP:PORT, IP@PORT
peer_dns_split() {
	case "$1" in
	*@*) DNS_IP=${1%@*} DNS_PORT=${1##*@} ;;
	*.*:*) DNS_IP=${1%:*} DNS_PORT=${1##*:} ;;
	*) DNS_IP=$1 DNS_PORT=53 ;;
	esac
}

# peer_start NAME WORKDIR DNS_ADDR CORPUSDIR - start a peer (see above)
peer_start() {
	local name=$1 work=$2 dns=$3 corpus=$4 d
	PEER_SOCKETS='' PEER_PIDS='' PEER_LOG=''
	if [ $# -ne 4 ]; then
		echo "usage: peer_start NAME WORKDIR DNS_ADDR CORPUSDIR" >&2
		return 2
	fi
	if [ -n "${PEER_PIDS_OF[$name]:-}" ]; then
		echo "peer_start $name: already started" >&2
		return 1
	fi
	corpus=$(cd "$corpus" && pwd) || return 1
	d=$work/$name
	rm -rf "$d"
	mkdir -p "$d" || return 1
	d=$(cd "$d" && pwd)
	# Postfix's smtpd (user postfix) must reach the sockets
	chmod 0755 "$d"
	: >"$d/empty.hosts"
	peer_dns_split "$dns"
	case "$name" in
	portcullis) peer_start_portcullis "$d" "$corpus" ;;
	chain) peer_start_chain "$d" "$corpus" ;;
	rspamd) peer_start_rspamd "$d" "$corpus" ;;
	null) peer_start_null "$d" ;;
	*)
		echo "peer_start: unknown peer $name (portcullis, chain, rspamd, null)" >&2
		return 2
		;;
	esac || return 1
	local -a w
	read -ra w <<<"${PEER_PIDS_OF[$name]}"
	PEER_PIDS=${w[*]}
	read -ra w <<<"${PEER_LOGS_OF[$name]}"
	# shellcheck disable=SC2034 # for the caller
	PEER_LOG=${w[0]}
	return 0
}

# peer_start_portcullis DIR CORPUSDIR - portcullisd on DIR/portcullis.sock
peer_start_portcullis() {
	local d=$1 corpus=$2 fwd
	peer_corpus_env "$corpus" || return 1
	[ -x "$PORTCULLISD" ] || { echo "peer_start portcullis: no $PORTCULLISD" >&2; return 1; }
	mkdir -p "$d/tmp"
	fwd=$DNS_IP
	[ "$DNS_PORT" = 53 ] || fwd=$DNS_IP@$DNS_PORT
	# the stock policy and the line a site adds for its blocklist: rejected
	# at end of message, like rspamd's RBL_BENCH_LISTED (score 15)
	{
		cat "$PEERS_TOP_SRCDIR/policy/policy.conf"
		echo
		echo "# added by contrib/bench/peers/peers.sh: the bench blocklist"
		echo "on dnsbl:bench -> reject \"554 5.7.1 Client host blocked using $BL_ZONE\" as BENCH_BL"
	} >"$d/policy.conf"
	peer_subst "$PEERS_DIR/portcullis.conf.in" "$d/portcullis.conf" \
		WORKDIR="$d" AUTHSERV_ID="$PEER_AUTHSERV_ID" DNS_FORWARDER="$fwd" \
		RULES_DIR="$(dirname "$RULES")" BL_ZONE="$BL_ZONE" IPREV="$PEER_IPREV"
	"$PORTCULLISD" -n -c "$d/portcullis.conf" >"$d/check.out" 2>&1 || {
		PEER_LOGS_OF[portcullis]=$d/check.out
		peer_fail portcullis "portcullisd -n rejects $d/portcullis.conf"
		return 1
	}
	peer_spawn portcullis "$d/portcullisd.log" "$PORTCULLISD" -f -c "$d/portcullis.conf"
	PEER_SOCKETS="unix:$d/portcullis.sock"
	peer_wait_sockets portcullis || { peer_fail portcullis "did not start"; return 1; }
}

# peer_start_chain DIR CORPUSDIR - opendkim, then opendmarc
peer_start_chain() {
	local d=$1 corpus=$2 ns=$DNS_IP z
	[ "$DNS_PORT" = 53 ] || ns=$DNS_IP@$DNS_PORT
	if [ "$DNS_PORT" != 53 ]; then
		echo "peer_start chain: opendmarc's resolver needs port 53 (got $DNS_PORT)" >&2
		return 1
	fi
	peer_subst "$PEERS_DIR/opendkim.conf.in" "$d/opendkim.conf" \
		WORKDIR="$d" AUTHSERV_ID="$PEER_AUTHSERV_ID" NAMESERVER="$ns"
	# opendkim's libunbound answers for test. itself (RFC 6761): keys there
	# would be "not found" (opendkim.conf.in says why it is left so)
	for z in "$corpus"/zones/*.test.zone; do
		[ -e "$z" ] && grep -q '_domainkey' "$z" &&
			echo "peer_start chain: warning: $z has DKIM keys under test.: opendkim will not find them" >&2
	done
	peer_subst "$PEERS_DIR/opendmarc.conf.in" "$d/opendmarc.conf" \
		WORKDIR="$d" AUTHSERV_ID="$PEER_AUTHSERV_ID"
	# opendmarc and libspf2 use the libc resolver: give them a resolv.conf of
	# their own, bound over /etc/resolv.conf in a private mount namespace
	printf 'nameserver %s\noptions timeout:2 attempts:2\n' "$DNS_IP" >"$d/resolv.conf"
	peer_spawn chain "$d/opendkim.log" opendkim -f -x "$d/opendkim.conf"
	# shellcheck disable=SC2016
	peer_spawn chain "$d/opendmarc.log" unshare -m sh -c '
		mount --bind "$1" /etc/resolv.conf || exit 1
		shift
		exec "$@"' sh "$d/resolv.conf" opendmarc -f -c "$d/opendmarc.conf"
	PEER_SOCKETS="unix:$d/opendkim.sock unix:$d/opendmarc.sock"
	peer_wait_sockets chain || { peer_fail chain "did not start"; return 1; }
}

# peer_start_rspamd DIR CORPUSDIR - rspamd (stock /etc/rspamd with the
# bench's local configuration, contrib/bench/peers/rspamd) on DIR/run/rspamd.sock
#
# Until its hyperscan databases are compiled (by the hs_helper process, in
# the background, a minute for a cold cache on 2 cores) rspamd matches with
# PCRE. So that the measured run sees rspamd at its speed, a first start
# logs at level info (where the loading of hyperscan databases shows), and
# waits for it; then rspamd is restarted at level notice (one line per
# message): the databases, cached in DBDIR, are loaded before the workers
# start. With PEER_RSPAMD_LOG_LEVEL=info the first start is kept.
peer_start_rspamd() {
	local d=$1 corpus=$2 _ db rules level=${PEER_RSPAMD_LOG_LEVEL:-notice}
	peer_corpus_env "$corpus" || return 1
	# DBDIR (hyperscan databases: the TLD list, the rules) lasts from one
	# start to the next, as on a server: beside the peer's directory, which
	# each start makes anew
	db=${PEER_RSPAMD_DB:-$(dirname "$d")/rspamd.db}
	mkdir -p "$d/run" "$db"
	# RSPAMD_RULES may name a file or the directory: rules/rspamd.lua runs
	# every *.lua of the directory
	rules=$RSPAMD_RULES
	[ -d "$rules" ] || rules=$(dirname "$rules")
	set -- --var="LOCAL_CONFDIR=$PEERS_DIR/rspamd" --var="RULESDIR=$PEERS_DIR/rspamd/rules" \
		--var="RUNDIR=$d/run" --var="DBDIR=$db" --var="LOGDIR=$d" \
		--var="BENCH_DNS=$DNS_IP:$DNS_PORT" --var="BENCH_BL_ZONE=$BL_ZONE"
	PEER_SOCKETS="unix:$d/run/rspamd.sock"
	# -i: workers may run as root (the namespace is the fence)
	peer_spawn rspamd "$d/rspamd.log" env BENCH_RULES="$rules" \
		rspamd -f -i -c /etc/rspamd/rspamd.conf "$@" --var="BENCH_LOG_LEVEL=info"
	peer_wait_sockets rspamd || { peer_fail rspamd "did not start"; return 1; }
	# "full hyperscan database of N regexps has been loaded": by the main
	# process before it forks the workers (a warm cache), or once hs_helper
	# has compiled, then by each worker within a second
	for _ in $(seq $((PEER_WAIT * 5))); do
		grep -q 'hyperscan database of .* has been loaded' "$d/rspamd.log" && break
		peer_alive rspamd || { peer_fail rspamd "exited"; return 1; }
		sleep 0.2
	done
	if grep -q 'hyperscan database of .* has been loaded' "$d/rspamd.log"; then
		sleep 2
	else
		echo "peer_start rspamd: warning: no hyperscan database loaded after ${PEER_WAIT}s" >&2
	fi
	[ "$level" = info ] && return 0
	peer_stop rspamd
	mv "$d/rspamd.log" "$d/rspamd-first.log"
	rm -f "$d/run/rspamd.sock"
	peer_spawn rspamd "$d/rspamd.log" env BENCH_RULES="$rules" \
		rspamd -f -i -c /etc/rspamd/rspamd.conf "$@" --var="BENCH_LOG_LEVEL=$level"
	peer_wait_sockets rspamd || { peer_fail rspamd "did not restart"; return 1; }
}

# peer_start_null DIR - the null milter on DIR/null.sock
peer_start_null() {
	local d=$1
	[ -x "$NULLMILTER" ] || { echo "peer_start null: no $NULLMILTER" >&2; return 1; }
	# umask 000: its socket's mode, for Postfix's smtpd (it has no option)
	# shellcheck disable=SC2016
	peer_spawn null "$d/nullmilter.log" sh -c 'umask 000 && exec "$@"' sh \
		"$NULLMILTER" -p "unix:$d/null.sock"
	PEER_SOCKETS="unix:$d/null.sock"
	peer_wait_sockets null || { peer_fail null "did not start"; return 1; }
}

# peer_milter_args - milterload's options for the peer started last:
# -s SOCKET for each socket, -p PID for each process
peer_milter_args() {
	local s p
	local -a w
	read -ra w <<<"$PEER_SOCKETS"
	for s in "${w[@]}"; do printf -- '-s %s ' "$s"; done
	read -ra w <<<"$PEER_PIDS"
	for p in "${w[@]}"; do printf -- '-p %s ' "$p"; done
	echo
}

# peer_descendants PID - the pids of PID's descendants
peer_descendants() {
	local c
	# shellcheck disable=SC2013 # pids, separated by blanks
	for c in $(cat /proc/"$1"/task/*/children 2>/dev/null); do
		echo "$c"
		peer_descendants "$c"
	done
}

# peer_stop NAME - TERM the peer's processes, KILL them after
# PEER_STOP_TIMEOUT s, reap them
peer_stop() {
	local name=$1 pid _ left
	for pid in ${PEER_PIDS_OF[$name]:-}; do
		kill -TERM "$pid" 2>/dev/null
	done
	for _ in $(seq $((PEER_STOP_TIMEOUT * 10))); do
		left=
		for pid in ${PEER_PIDS_OF[$name]:-}; do
			kill -0 "$pid" 2>/dev/null && left=1
		done
		[ -z "$left" ] && break
		sleep 0.1
	done
	for pid in ${PEER_PIDS_OF[$name]:-}; do
		if kill -0 "$pid" 2>/dev/null; then
			echo "peer_stop $name: $pid still running after ${PEER_STOP_TIMEOUT}s: KILL" >&2
			# its workers too (rspamd's), or they are left behind
			# shellcheck disable=SC2046 # pids
			kill -KILL $(peer_descendants "$pid") "$pid" 2>/dev/null
		fi
		wait "$pid" 2>/dev/null
	done
	unset "PEER_PIDS_OF[$name]" "PEER_LOGS_OF[$name]"
	return 0
}

# peer_stop_all - stop every peer started
peer_stop_all() {
	local name
	for name in "${!PEER_PIDS_OF[@]}"; do
		peer_stop "$name"
	done
}
