#!/bin/sh
# suite-mail-dkim.sh - the mail-dkim conformance suite (TAP); see tests/auth_suite.py
exec /usr/bin/python3 "$(dirname "$0")/auth_suite.py" mail-dkim
