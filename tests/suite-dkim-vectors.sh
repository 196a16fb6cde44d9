#!/bin/sh
# suite-dkim-vectors.sh - the dkim-vectors conformance suite (TAP); see tests/auth_suite.py
exec /usr/bin/python3 "$(dirname "$0")/auth_suite.py" dkim-vectors
