#!/bin/sh
# srccheck.sh - the house rules of ENGINEERING.md that a script can check, as TAP.
#
# Looks at the C sources under milter/ rules/ policy/ tests/unit/ (the files git
# knows, tracked or not ignored, in a git checkout; else every *.c and *.h found)
# and fails, one TAP line per rule, naming each offending file:line:
#   1. banned functions: strcpy strncpy strcat sprintf vsprintf strtok atoi atol
#      sscanf gets tmpnam mktemp, as calls, outside comments and strings;
#   2. exit( anywhere but milter/main.c and milter/portcullis.c (_exit is fine);
#   3. #include <libmilter/...> in rules/ or policy/;
#   4. a .c file that does not open with a comment block;
#   5. clang-format --dry-run --Werror with the tree's .clang-format (it must be
#      installed);
#      a file that differs fails the check.
# First it checks itself on planted violations, so a broken pattern cannot pass
# silently.
set -u

top=${abs_top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
cd "$top" || { echo "Bail out! cannot cd to $top"; exit 1; }
tmp=$(mktemp -d "${TMPDIR:-/tmp}/srccheck.XXXXXX") || { echo "Bail out! mktemp failed"; exit 1; }
trap 'rm -rf "$tmp"' EXIT HUP INT TERM

n=0
failed=0
# pass DESC / fail DESC - one test point
pass() { n=$((n + 1)); echo "ok $n - $1"; }
fail() { n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - $1"; }
# diag_file FILE - its lines as TAP diagnostics
diag_file() { sed 's/^/#   /' "$1"; }

banned='strcpy|strncpy|strcat|sprintf|vsprintf|strtok|atoi|atol|sscanf|gets|tmpnam|mktemp'

# strip FILE... - "file:line:code" for every line, comments and the contents of
# string and character literals blanked (column positions kept)
strip() {
	awk '
	FNR == 1 { incomment = 0 }
	{
		line = $0; out = ""; i = 1; len = length(line)
		while (i <= len) {
			c = substr(line, i, 1); c2 = substr(line, i, 2)
			if (incomment) {
				if (c2 == "*/") { incomment = 0; out = out "  "; i += 2 }
				else { out = out " "; i++ }
				continue
			}
			if (c2 == "/*") { incomment = 1; out = out "  "; i += 2; continue }
			if (c2 == "//") break
			if (c == "\"" || c == "'\''") {
				q = c; out = out q; i++
				while (i <= len) {
					c = substr(line, i, 1)
					if (c == "\\") { out = out "  "; i += 2; continue }
					if (c == q) break
					out = out " "; i++
				}
				if (i <= len) { out = out q; i++ }
				continue
			}
			out = out c; i++
		}
		print FILENAME ":" FNR ":" out
	}' "$@"
}

# check_banned FILE... - offending lines on stdout
check_banned() {
	strip "$@" | grep -E "(^|[^[:alnum:]_])($banned)[[:space:]]*\(" || true
}

# check_exit FILE... - exit( calls outside the two mains
check_exit() {
	for f in "$@"; do
		case $f in
		milter/main.c | milter/portcullis.c | */milter/main.c | */milter/portcullis.c) ;;
		*) strip "$f" | grep -E '(^|[^[:alnum:]_])exit[[:space:]]*\(' ;;
		esac
	done
	true
}

# check_libmilter FILE... - libmilter includes in the pure libraries
check_libmilter() {
	for f in "$@"; do
		case $f in
		rules/* | policy/* | */rules/* | */policy/*)
			grep -nE '^[[:space:]]*#[[:space:]]*include[[:space:]]*[<"]libmilter/' "$f" |
				sed "s|^|$f:|"
			;;
		esac
	done
	true
}

# check_header FILE... - .c files whose first line does not open a comment
check_header() {
	for f in "$@"; do
		case $f in
		*.c) head -n 1 "$f" | grep -q '^/\*' || echo "$f:1: does not start with a comment block" ;;
		esac
	done
	true
}

# ---- self-test on planted violations ---------------------------------------
mkdir -p "$tmp/self/rules" "$tmp/self/milter"
cat >"$tmp/self/rules/bad.c" <<'EOF'
#include <libmilter/mfapi.h>
static void f(char *d, const char *s)
{
	strcpy(d, s);
	n = atoi (s);
	sprintf(d, "%s", s);
	exit(1);
}
EOF
cat >"$tmp/self/milter/good.c" <<'EOF'
/*
 * good.c - nothing here may be reported: strcpy(d, s) in a comment,
 * exit(1) too.
 */
static void g(char *d, const char *s)
{
	snprintf(d, 8, "strcpy(%s)", s); /* sprintf( in a comment */
	vsnprintf(d, 8, "%s", ap);       // atoi( after a line comment
	_exit(2);
	atexit(h);
	strtok_r(d, "'", &save);
	my_strcpy(d, s);
	fgets(d, 8, fp);
	c = '"'; strncat(d, s, 1);
}
EOF
self_banned=$(cd "$tmp/self" && check_banned rules/bad.c milter/good.c | cut -d: -f1,2 | tr '\n' ' ')
self_exit=$(cd "$tmp/self" && check_exit rules/bad.c milter/good.c | cut -d: -f1,2 | tr '\n' ' ')
self_milter=$(cd "$tmp/self" && check_libmilter rules/bad.c milter/good.c | cut -d: -f1,2 | tr '\n' ' ')
self_header=$(cd "$tmp/self" && check_header rules/bad.c milter/good.c | cut -d: -f1,2 | tr '\n' ' ')
if [ "$self_banned" = "rules/bad.c:4 rules/bad.c:5 rules/bad.c:6 " ] &&
	[ "$self_exit" = "rules/bad.c:7 " ] && [ "$self_milter" = "rules/bad.c:1 " ] &&
	[ "$self_header" = "rules/bad.c:1 " ]; then
	pass "the checks find planted violations and nothing else"
else
	fail "the checks find planted violations and nothing else"
	echo "#   banned: '$self_banned' (want rules/bad.c:4 :5 :6)"
	echo "#   exit: '$self_exit' (want rules/bad.c:7)"
	echo "#   libmilter: '$self_milter' (want rules/bad.c:1)"
	echo "#   header: '$self_header' (want rules/bad.c:1)"
fi

# ---- the files -------------------------------------------------------------
# git only when $top is a checkout of its own (not an unpacked tarball that
# happens to sit inside some other work tree, as in `make distcheck`)
if [ "$(git -C "$top" rev-parse --show-toplevel 2>/dev/null)" = "$(cd "$top" && pwd -P)" ]; then
	how="git ls-files"
	git -C "$top" ls-files --cached --others --exclude-standard -- milter rules policy tests/unit |
		grep -E '\.[ch]$' | while read -r f; do [ -f "$f" ] && echo "$f"; done | sort -u >"$tmp/files"
else
	how="find"
	find milter rules policy tests/unit -type f \( -name '*.c' -o -name '*.h' \) 2>/dev/null |
		sort >"$tmp/files"
fi
count=$(wc -l <"$tmp/files" | tr -d ' ')
if [ "$count" -gt 0 ]; then
	pass "found $count C source files ($how)"
else
	fail "found C source files under milter/ rules/ policy/ tests/unit/ ($how)"
fi
# shellcheck disable=SC2046 # file names have no spaces (checked by the loop below)
set -f
set -- $(cat "$tmp/files")
set +f
[ "$#" -eq "$count" ] || echo "# warning: some file names contain white space and are skipped"

# rule DESC FUNCTION - one test point from a check function's findings
rule() {
	desc=$1
	shift
	"$@" >"$tmp/found"
	if [ -s "$tmp/found" ]; then
		fail "$desc"
		diag_file "$tmp/found"
	else
		pass "$desc"
	fi
}

if [ "$#" -gt 0 ]; then
	rule "no banned function ($(echo "$banned" | tr '|' ' '))" check_banned "$@"
	rule "no exit( outside milter/main.c and milter/portcullis.c" check_exit "$@"
	rule "no #include <libmilter/...> in rules/ or policy/" check_libmilter "$@"
	rule "every .c file starts with a comment block" check_header "$@"
else
	for d in "banned functions" "exit(" "libmilter includes" "comment blocks"; do
		fail "$d: no files to check"
	done
fi

# ---- clang-format ----------------------------------------------------------
if ! command -v clang-format >/dev/null 2>&1; then
	fail "clang-format is not installed (contrib/install-deps.sh --test installs it)"
elif [ ! -f "$top/.clang-format" ]; then
	fail "clang-format: $top/.clang-format is missing"
else
	: >"$tmp/unformatted"
	for f in "$@"; do
		clang-format --style=file --dry-run --Werror "$f" >/dev/null 2>"$tmp/cf.err" ||
			echo "$f ($(grep -cE '(warning|error):' "$tmp/cf.err") place(s))" >>"$tmp/unformatted"
	done
	if [ ! -s "$tmp/unformatted" ]; then
		pass "clang-format --dry-run --Werror: every file is formatted ($(clang-format --version | head -n 1))"
	else
		fail "clang-format --dry-run --Werror: $(wc -l <"$tmp/unformatted" | tr -d ' ') file(s) differ (fix: clang-format -i FILE)"
		diag_file "$tmp/unformatted"
		echo "#   (see a file's differences with: clang-format FILE | diff FILE -)"
	fi
fi

echo "1..$n"
[ "$failed" -eq 0 ]
