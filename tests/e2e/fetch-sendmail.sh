#!/bin/sh
# fetch-sendmail.sh - unpack a private Sendmail for the end-to-end tests
#
# Usage: fetch-sendmail.sh [DIR]        (default /opt/portcullis-testbed/sendmail)
#
# Debian's sendmail-bin conflicts with postfix as a package, so it is never
# installed: its .debs (sendmail-bin, sendmail-cf, sendmail-base) are
# downloaded with apt-get and unpacked with dpkg -x into DIR. The shared
# libraries it links (libwrap0, libdb5.3, ...) and m4 (to build the .cf) are
# installed with apt-get when missing. Idempotent: does nothing when DIR already holds the
# daemon and the m4 files. Needs root (apt-get install) and Debian's archive.
set -eu

dir=${1:-/opt/portcullis-testbed/sendmail}
daemon=usr/libexec/sendmail/sendmail
cfm4=usr/share/sendmail/cf/m4/cf.m4

die() {
	echo "fetch-sendmail: $*" >&2
	exit 1
}

have_all() {
	[ -x "$dir/$daemon" ] && [ -f "$dir/$cfm4" ] &&
		command -v m4 >/dev/null 2>&1 &&
		! ldd "$dir/$daemon" 2>/dev/null | grep -q 'not found'
}

# apt_install PKG... - install the packages, refreshing the lists once if needed
apt_install() {
	apt-get install -y --no-install-recommends "$@" >/dev/null 2>&1 && return 0
	apt-get update >/dev/null 2>&1 || die "apt-get update failed"
	apt-get install -y --no-install-recommends "$@" || die "apt-get install $* failed"
}

if have_all; then
	echo "fetch-sendmail: $dir already holds sendmail"
	exit 0
fi

command -v apt-get >/dev/null 2>&1 || die "apt-get not found (Debian needed)"
command -v dpkg >/dev/null 2>&1 || die "dpkg not found (Debian needed)"
[ "$(id -u)" -eq 0 ] || die "must run as root"
export DEBIAN_FRONTEND=noninteractive

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM
# apt-get download drops privileges to _apt: let it write here.
chmod 0755 "$tmp"
id _apt >/dev/null 2>&1 && chown _apt "$tmp"

set -- sendmail-bin sendmail-cf sendmail-base
if ! (cd "$tmp" && apt-get download "$@" >/dev/null 2>&1); then
	apt-get update >/dev/null 2>&1 || die "apt-get update failed"
	(cd "$tmp" && apt-get download "$@") || die "apt-get download $* failed"
fi

# The shared libraries sendmail-bin depends on (libwrap0, libdb5.3, ...) and
# m4 are installed for real: none of them conflicts with postfix.
bin_deb=
for f in "$tmp"/sendmail-bin_*.deb; do [ -f "$f" ] && bin_deb=$f; done
[ -n "$bin_deb" ] || die "sendmail-bin was not downloaded"
libs=$(dpkg-deb -f "$bin_deb" Depends | tr ',' '\n' |
	sed -e 's/^ *//' -e 's/[ (].*//' | grep '^lib' || true)
need=
for p in $libs m4; do
	dpkg -s "$p" 2>/dev/null | grep -q '^Status: install ok installed' || need="$need $p"
done
# shellcheck disable=SC2086
[ -z "$need" ] || apt_install $need

mkdir -p "$dir" || die "cannot create $dir"
for deb in "$tmp"/*.deb; do
	dpkg -x "$deb" "$dir" || die "dpkg -x $deb failed"
done

[ -x "$dir/$daemon" ] || die "$dir/$daemon missing after unpacking"
[ -f "$dir/$cfm4" ] || die "$dir/$cfm4 missing after unpacking"
if ldd "$dir/$daemon" | grep -q 'not found'; then
	ldd "$dir/$daemon" | grep 'not found' >&2
	die "$dir/$daemon has unresolved libraries"
fi
echo "fetch-sendmail: sendmail unpacked into $dir"
