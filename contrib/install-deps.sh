#!/bin/sh
# install-deps.sh [--test|--bench] - install the Debian 12 packages Portcullis needs.
#   (no option)  what building and running the milter needs
#   --test       also what the test suite needs: Postfix, swaks, unbound,
#                clang-format, and Sendmail unpacked into /opt/portcullis-testbed
#   --bench      --test, and the benchmark's peers (contrib/bench/peers):
#                rspamd, opendkim, opendmarc. Their packages' own services are
#                not started and are left disabled: the benchmark starts them
#                by hand with private configurations.
# Run as root. Only Debian's package archive is contacted.
set -eu

if [ "$(id -u)" -ne 0 ]; then
	echo "install-deps.sh: run as root (it calls apt-get)" >&2
	exit 1
fi
here=$(cd "$(dirname "$0")/.." && pwd)
mode=${1:-}
case "$mode" in
"" | --test | --bench) ;;
*)
	echo "usage: install-deps.sh [--test|--bench]" >&2
	exit 2
	;;
esac

build_pkgs="build-essential autoconf automake libtool pkg-config
	libmilter-dev libpcre2-dev libspf2-dev libssl-dev libopendmarc-dev
	libunbound-dev libevent-dev libsqlite3-dev
	libgmime-3.0-dev libpsl-dev libidn2-dev publicsuffix"
# Hyperscan prefilters the rules' patterns; Debian builds it for amd64 only
# (elsewhere configure goes without it)
if [ "$(dpkg --print-architecture)" = amd64 ]; then
	build_pkgs="$build_pkgs libhyperscan-dev"
fi
# libio-socket-inet6-perl: swaks talks IPv6 only with it (a Recommends, which
# --no-install-recommends leaves out; the IPv6 cases of tests/e2e/run.sh need it)
test_pkgs="postfix swaks libio-socket-inet6-perl unbound bind9-dnsutils iproute2 m4
	libwrap0 python3 procps clang-format git python3-yaml python3-authres sqlite3
	python3-dkim"
# dbconfig-no-thanks: opendmarc's database set-up is not wanted (without it
# apt picks dbconfig-mysql and a MariaDB client); util-linux: unshare, mount;
# python3-cryptography and python3-nacl: mkcorpus.py's rsa and ed25519 keys
bench_pkgs="rspamd opendkim opendmarc dbconfig-no-thanks util-linux
	python3-cryptography python3-nacl"
# the services those packages install
bench_services="rspamd opendkim opendmarc"

pkgs=$build_pkgs
case "$mode" in
--test) pkgs="$pkgs $test_pkgs" ;;
--bench) pkgs="$pkgs $test_pkgs $bench_pkgs" ;;
esac

missing=
for p in $pkgs; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
		missing="$missing $p"
done

# A service's package starts it at installation unless policy-rc.d says no
# (exit 101): while installing, have one that says no, unless there is one.
policy=/usr/sbin/policy-rc.d
own_policy=
if [ -n "$missing" ] && [ ! -e "$policy" ]; then
	printf '#!/bin/sh\n# install-deps.sh: start no service while installing\nexit 101\n' >"$policy"
	chmod 0755 "$policy"
	own_policy=1
	trap 'rm -f "$policy"' EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM
fi

if [ -n "$missing" ]; then
	export DEBIAN_FRONTEND=noninteractive
	# Postfix is only used by the tests, each with a private configuration.
	echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections
	echo "opendmarc opendmarc/dbconfig-install boolean false" | debconf-set-selections
	apt-get update -qq
	# shellcheck disable=SC2086
	apt-get install -y -qq --no-install-recommends $missing
fi

if [ -n "$own_policy" ]; then
	rm -f "$policy"
	trap - EXIT INT TERM
fi

# The peers' services, when this run installed them: stopped (if a policy
# other than ours let them start) and disabled, for systemd and for
# System V init alike.
if [ "$mode" = --bench ]; then
	for s in $bench_services; do
		case " $missing " in
		*" $s "*) ;;
		*) continue ;;
		esac
		if [ -d /run/systemd/system ]; then
			systemctl disable --now "$s.service" >/dev/null 2>&1 || true
		else
			service "$s" stop >/dev/null 2>&1 || true
		fi
		if command -v deb-systemd-helper >/dev/null 2>&1; then
			deb-systemd-helper disable "$s.service" >/dev/null 2>&1 || true
		fi
		if [ -e "/etc/init.d/$s" ]; then
			update-rc.d "$s" disable >/dev/null 2>&1 || true
		fi
		echo "install-deps.sh: the $s service is disabled (contrib/bench/peers starts its own)"
	done
fi

case "$mode" in
--test | --bench) sh "$here/tests/e2e/fetch-sendmail.sh" ;;
esac
