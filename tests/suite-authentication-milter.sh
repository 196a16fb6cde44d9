#!/bin/sh
# suite-authentication-milter.sh - the authentication-milter conformance suite (TAP); see tests/auth_suite.py
exec /usr/bin/python3 "$(dirname "$0")/auth_suite.py" authentication-milter
