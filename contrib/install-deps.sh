#!/bin/sh
# install-deps.sh [--test] - install the Debian 12 packages Portcullis needs.
#   (no option)  what building and running the milter needs
#   --test       also what the test suite needs: Postfix, swaks, unbound,
#                clang-format, and Sendmail unpacked into /opt/portcullis-testbed
# Run as root. Only Debian's package archive is contacted.
set -eu

if [ "$(id -u)" -ne 0 ]; then
	echo "install-deps.sh: run as root (it calls apt-get)" >&2
	exit 1
fi
here=$(cd "$(dirname "$0")/.." && pwd)

build_pkgs="build-essential autoconf automake libtool pkg-config
	libmilter-dev libpcre2-dev libspf2-dev libssl-dev libopendmarc-dev
	libunbound-dev libevent-dev libsqlite3-dev
	libgmime-3.0-dev libpsl-dev libidn2-dev publicsuffix"
test_pkgs="postfix swaks unbound bind9-dnsutils iproute2 m4 libwrap0 python3
	procps clang-format git python3-yaml python3-authres sqlite3 python3-dkim"

pkgs=$build_pkgs
if [ "${1:-}" = "--test" ]; then
	pkgs="$pkgs $test_pkgs"
fi

missing=
for p in $pkgs; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
		missing="$missing $p"
done
if [ -n "$missing" ]; then
	export DEBIAN_FRONTEND=noninteractive
	# Postfix is only used by the tests, each with a private configuration.
	echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections
	apt-get update -qq
	# shellcheck disable=SC2086
	apt-get install -y -qq --no-install-recommends $missing
fi

if [ "${1:-}" = "--test" ]; then
	sh "$here/tests/e2e/fetch-sendmail.sh"
fi
