#!/bin/sh
# quickstart.sh - install what is needed, build, install, and run portcullisd
# in the foreground with the stock configuration (inet:8891@127.0.0.1).
# Run as root from a checkout on Debian 12. Stop it with Ctrl-C.
set -eu
cd "$(dirname "$0")/.."
sh contrib/install-deps.sh
autoreconf -fi
./configure -q --prefix=/usr/local --sysconfdir=/etc --localstatedir=/var --runstatedir=/run
make -j"$(nproc)"
make install
id portcullis >/dev/null 2>&1 ||
	useradd --system --home-dir /var/lib/portcullis --shell /usr/sbin/nologin portcullis
install -d -o portcullis -g portcullis -m 0750 /var/lib/portcullis /run/portcullis \
	/var/log/portcullis
install -d -o portcullis -g portcullis -m 0700 /var/lib/portcullis/quarantine
test -f /etc/logrotate.d/portcullis ||
	install -m 0644 contrib/portcullis.logrotate /etc/logrotate.d/portcullis
/usr/local/sbin/portcullisd -n -c /etc/portcullis/portcullis.conf

cat <<'MSG'

portcullisd is starting on inet:8891@127.0.0.1.

Postfix (/etc/postfix/main.cf), then `postfix reload`:
    smtpd_milters = inet:127.0.0.1:8891
    non_smtpd_milters = inet:127.0.0.1:8891
    milter_default_action = tempfail
    milter_protocol = 6

Sendmail (sendmail.mc), then rebuild sendmail.cf and restart:
    INPUT_MAIL_FILTER(`portcullis', `S=inet:8891@127.0.0.1, F=T, T=S:10s;R:10s;E:5m')

MSG
exec /usr/local/sbin/portcullisd -f -c /etc/portcullis/portcullis.conf
