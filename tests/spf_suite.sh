#!/bin/sh
# spf_suite.sh - run the RFC 7208 conformance suite (TAP); see tests/spf_suite.py
exec /usr/bin/python3 "$(dirname "$0")/spf_suite.py" "$@"
