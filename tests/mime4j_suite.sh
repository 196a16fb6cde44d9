#!/bin/sh
# mime4j_suite.sh - the mime4j corpus through the MIME analysis (TAP); see tests/mime4j_suite.py
exec /usr/bin/python3 "$(dirname "$0")/mime4j_suite.py" "$@"
